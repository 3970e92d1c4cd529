"""Hand-written backward pass of the global spectral network.

The gradients go back through the ``O(B)`` carry recurrence of the forward
pass (SPARCS: Peri, Chicchi, Fanelli and Giambagli, "Spectral Architecture
Search for Neural Networks", arXiv:2504.00885, eq. 3 for the blocks); see
:meth:`GlobalSpectralNetwork.loss_and_backward
<sklearn_spectral.nn.global_spectral.GlobalSpectralNetwork.loss_and_backward>`
for the formulas.
"""

import torch

from .activations import ACTIVATIONS


def members(parameters):
    """The parameters of a ``ParameterList``, in order, as a plain list.

    Iterating a ``ParameterList`` goes through ``__getitem__`` and its index
    checks for every entry; on the small batches of tabular data that cost
    about as much as a matmul per list in the training step.
    """
    return list(parameters._parameters.values())


def carry_loss_and_backward(network, x, loss_and_gradient, alpha=0.0):
    """Loss of a batch and the gradients of ``network``'s trainable parameters.

    The implementation of
    :meth:`~sklearn_spectral.nn.global_spectral.GlobalSpectralNetwork.loss_and_backward`
    (same parameters and return value, ``network`` first).
    """
    phis, lams = members(network.phis), members(network.eigenvalues)
    biases = members(network.biases)
    activation = network.activation
    act = ACTIVATIONS[activation]
    last = len(phis) - 1
    n = x.shape[0]
    c = alpha / n
    with torch.no_grad():
        diffs, weights, carries, hidden = [], [], [], []
        z = x
        for k, (phi, b) in enumerate(zip(phis, biases, strict=True)):
            diff = lams[k] - lams[k + 1].unsqueeze(1)
            w = phi * diff
            diffs.append(diff)
            weights.append(w)
            carries.append(z)
            a = torch.addmm(b, z, w.t())
            if k == last:
                break
            h = act(a)
            hidden.append(h)
            z = torch.addmm(h, z, phi.t(), alpha=-1)
        loss, g = loss_and_gradient(a)
        loss = loss.detach()
        d_last = None  # the readout chain's gradient of W_{B+1,B}
        if alpha:
            l2 = sum(torch.dot(v, v) for v in (w.reshape(-1) for w in weights))
            readouts = [weights[-1]]  # R_{B-1}, R_{B-2}, ..., R_0
            for phi in reversed(phis[:-1]):
                readouts.append(readouts[-1] @ phi)
                r = readouts[-1].reshape(-1)
                l2 = l2 + torch.dot(r, r)
            loss = torch.add(loss, l2, alpha=0.5 * c)
            readouts.reverse()  # readouts[j] = R_j
            d_phis_readout = [None] * len(phis)
            s = None
            for j in range(last):  # S_j, then the share of phi_j
                s = (
                    readouts[j] * c
                    if s is None
                    else torch.addmm(readouts[j], s, phis[j - 1].t(), beta=c)
                )
                d_phis_readout[j] = readouts[j + 1].t() @ s
            if last:
                d_last = s @ phis[last - 1].t()
        d_lams = [None] * len(lams)
        carry_grad = None  # G, the gradient of z_{k+1}
        for k in range(last, -1, -1):
            phi, bias = phis[k], biases[k]
            w, z = weights[k], carries[k]
            if k < last:
                g = ACTIVATIONS[activation].backward(hidden[k], carry_grad)
            d_weight = torch.addmm(w, g.t(), z, beta=c) if alpha else g.t() @ z
            if k == last and d_last is not None:
                d_weight = d_weight + d_last
            if phi.requires_grad:
                d_phi = d_weight * diffs[k]
                if carry_grad is not None:
                    d_phi = torch.addmm(d_phi, carry_grad.t(), z, alpha=-1)
                if alpha and k < last:
                    d_phi = d_phi + d_phis_readout[k]
                phi.grad = d_phi
            # (one elementwise product for both sums: measured faster than
            # two ``vecdot`` calls on the blocks of tabular widths)
            d_weight_phi = d_weight * phi
            d_in = d_weight_phi.sum(0)
            d_out = d_weight_phi.sum(1)
            d_lams[k] = d_in if d_lams[k] is None else d_lams[k] + d_in
            d_lams[k + 1] = (
                d_out.neg_() if d_lams[k + 1] is None else d_lams[k + 1] - d_out
            )
            if bias.requires_grad:
                bias.grad = g.sum(0)
            if k > 0:
                down = g @ w
                if carry_grad is not None:
                    down = torch.addmm(down, carry_grad, phi, alpha=-1)
                carry_grad = down
        for lam, d in zip(lams, d_lams, strict=True):
            if lam.requires_grad:
                lam.grad = d
    return loss
