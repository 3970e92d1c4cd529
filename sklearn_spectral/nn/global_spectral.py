"""Global spectral parametrization of a whole network (SPARCS: Peri, Chicchi,
Fanelli and Giambagli, "Spectral Architecture Search for Neural Networks",
arXiv:2504.00885).

All ``N = n_1 + ... + n_{B+1}`` nodes of a feed-forward network with layers
``1..B+1`` (``1`` = input, ``B+1`` = output) are stacked into one adjacency

    A = Phi Lambda Phi^{-1},    Phi = I + (sub-diagonal blocks phi_k),
    Lambda = diag(lambda_1, ..., lambda_{B+1}),

where ``phi_k`` has shape ``(n_{k+1}, n_k)`` (torch layout) and node ``i`` of
layer ``k`` has the single eigenvalue ``lambda_k[i]``. The strictly-lower block
from layer ``j`` to layer ``i`` is (SPARCS eq. 3)

    W_{i,j} = (-1)^{i-1-j} [phi_{i-1} diag(lambda_{i-1}) - diag(lambda_i) phi_{i-1}]
              phi_{i-2} ... phi_j,

so every layer feeds every later layer through the same ``phi``'s and
``lambda``'s. The diagonal blocks of ``A`` are ``diag(lambda_k)`` (self-loops,
which transfer no information) and the strictly-upper part is zero.

The network never builds these ``O(B^2)`` blocks: :meth:`GlobalSpectralNetwork.forward`
runs an exact ``O(B)`` carry recurrence (two matmuls per layer). The blocks and
the dense ``A`` are materialized only for diagnostics and tests
(:meth:`~GlobalSpectralNetwork.blocks`,
:meth:`~GlobalSpectralNetwork.dense_adjacency`, :func:`dense_forward`).
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from .activations import ACTIVATIONS, get_activation
from .spectral_layer import soft_threshold_

__all__ = ["GlobalSpectralNetwork", "binomial_inverse", "dense_forward", "used_nodes"]


def _members(parameters):
    """The parameters of a ``ParameterList``, in order, as a plain list.

    Iterating a ``ParameterList`` goes through ``__getitem__`` and its index
    checks for every entry; on the small batches of tabular data that cost
    about as much as a matmul per list in the training step.
    """
    return list(parameters._parameters.values())


def binomial_inverse(Phi, B):
    """Inverse of ``Phi`` by the binomial formula of the SPARCS poster.

    ``Phi^{-1} = sum_{i=0}^{B} (-1)^i C(B+1, i+1) Phi^i``, exact when
    ``Phi - I`` is nilpotent of order ``B + 1`` (``(Phi - I)^{B+1} = 0``), as
    for the block unit-lower-bidiagonal ``Phi`` of a network with ``B + 1``
    layers. It follows from ``Phi^{-1} = sum_{p=0}^{B} (I - Phi)^p`` and the
    hockey-stick identity ``sum_{p=i}^{B} C(p, i) = C(B+1, i+1)``.

    Parameters
    ----------
    Phi : torch.Tensor of shape (N, N)
        Square matrix with ``(Phi - I)^{B+1} = 0``.
    B : int
        Number of weight blocks (layers minus one), ``B >= 0``.

    Returns
    -------
    torch.Tensor of shape (N, N)

    Examples
    --------
    >>> import torch
    >>> Phi = torch.tensor([[1.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.0, 3.0, 1.0]])
    >>> binomial_inverse(Phi, 2)
    tensor([[ 1.,  0.,  0.],
            [-2.,  1.,  0.],
            [ 6., -3.,  1.]])
    """
    if Phi.ndim != 2 or Phi.shape[0] != Phi.shape[1]:
        raise ValueError(f"Phi must be a square matrix, got shape {tuple(Phi.shape)}")
    if B < 0:
        raise ValueError(f"B must be >= 0, got {B}")
    power = torch.eye(Phi.shape[0], dtype=Phi.dtype, device=Phi.device)
    inverse = torch.zeros_like(power)
    for i in range(B + 1):
        inverse = inverse + (-1) ** i * math.comb(B + 1, i + 1) * power
        power = power @ Phi
    return inverse


class GlobalSpectralNetwork(nn.Module):
    """Feed-forward network under the global spectral parametrization.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths ``(n_1, ..., n_{B+1})``: inputs, hidden layers, outputs
        (at least two entries).
    activation : {"identity", "logistic", "tanh", "relu", "elu"}, default="tanh"
        Activation of the hidden layers; the output layer is linear (the loss
        applies the task's link).
    generator : torch.Generator, optional
        Source of randomness for the initialization; every random draw uses
        it. ``None`` falls back to torch's default generator, as
        :func:`torch.randn` does.
    hidden_eigenvalue_init : float, default=0.0
        If positive, the hidden eigenvalues ``lambda_2..lambda_B`` start
        uniform in ``[-hidden_eigenvalue_init, hidden_eigenvalue_init]``
        instead of 0 (the input eigenvalues ``lambda_1`` always start at 0).
        They are drawn after all ``phi``'s, so the ``phi``'s do not depend on
        this option.

    Attributes
    ----------
    phis : torch.nn.ParameterList
        ``B`` eigenvector blocks, ``phis[k-1]`` is ``phi_k`` of shape
        ``(n_{k+1}, n_k)``.
    eigenvalues : torch.nn.ParameterList
        ``B + 1`` eigenvalue vectors ``lambda_1..lambda_{B+1}``.
    biases : torch.nn.ParameterList
        ``B`` bias vectors of layers ``2..B+1``.
    activation : str
        Key of :data:`~sklearn_spectral.nn.spectral_layer.ACTIVATIONS`.
    layer_sizes : tuple of int

    Notes
    -----
    **Initialization: the perceptron start** (SPARCS). ``lambda_k = 0``
    for ``k <= B``, ``lambda_{B+1} = 1``, biases 0 and ``phi_k ~ N(0, 1/n_k)``
    (so the carry neither explodes nor vanishes with depth). Then every block
    into a hidden layer vanishes, the hidden activations are ``sigma(0)`` and,
    when ``sigma(0) = 0`` (tanh, ELU, ReLU, identity), the network is exactly
    the linear map ``x -> W_{B+1,1} x = (-1)^B phi_B ... phi_1 x``. (With the
    logistic activation the hidden layers add a constant offset.)

    **Forward pass.** The network computes the dense forward pass of the graph
    ``A`` (see :func:`dense_forward`): for each layer ``i >= 2``::

        a_i = sum_{j<i} W_{i,j} h_j + b_i,
        h_i = sigma(a_i) (hidden),  h_{B+1} = a_{B+1} (output),

    where ``h_1 = x`` and ``h_j`` is the *post-activation* output of layer
    ``j``: every block, long-range ones included, reads the activations, and
    the self-loops ``diag(lambda_i)`` are left out. It is evaluated exactly in
    ``O(B)`` with the carry ``z = Phi^{-1} h`` (``Phi z = h`` by forward
    substitution)::

        z_1 = x
        for k = 1..B:
            a_{k+1} = W_{k+1,k} z_k + b_{k+1}
                    = phi_k (lambda_k * z_k) - lambda_{k+1} * (phi_k z_k) + b_{k+1}
            h_{k+1} = sigma(a_{k+1})          (a_{B+1} for the output layer)
            z_{k+1} = h_{k+1} - phi_k z_k

    Proof: with ``Z = Phi^{-1} H``, ``A H = Phi Lambda Z`` and its block row
    ``k+1`` is ``phi_k lambda_k z_k + lambda_{k+1} z_{k+1}``; removing the
    self-loop term ``lambda_{k+1} h_{k+1}`` and substituting
    ``z_{k+1} = h_{k+1} - phi_k z_k`` leaves
    ``(phi_k diag(lambda_k) - diag(lambda_{k+1}) phi_k) z_k = W_{k+1,k} z_k``.
    The adjacent block ``W_{k+1,k}`` is built once per call (one broadcast
    product, same size as ``phi_k``), so a layer costs two matmuls of the size
    of an ordinary dense layer.

    Examples
    --------
    >>> import torch
    >>> gen = torch.Generator().manual_seed(0)
    >>> net = GlobalSpectralNetwork([3, 5, 5, 2], generator=gen)
    >>> x = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    >>> net(x).shape
    torch.Size([4, 2])
    >>> W31 = net.blocks(dtype=torch.float32)[3][0]  # input -> output block
    >>> torch.allclose(net(x), x @ W31.T, atol=1e-6)  # perceptron at init
    True
    """

    def __init__(
        self,
        layer_sizes,
        *,
        activation="tanh",
        generator=None,
        hidden_eigenvalue_init=0.0,
    ):
        super().__init__()
        layer_sizes = tuple(int(n) for n in layer_sizes)
        if len(layer_sizes) < 2 or min(layer_sizes) < 1:
            raise ValueError(
                f"layer_sizes must hold at least two positive widths, got {layer_sizes}"
            )
        get_activation(activation)
        if not hidden_eigenvalue_init >= 0:
            raise ValueError(
                f"hidden_eigenvalue_init must be >= 0, got {hidden_eigenvalue_init!r}"
            )
        self.layer_sizes = layer_sizes
        self.activation = activation
        n_blocks = len(layer_sizes) - 1
        self.phis = nn.ParameterList(
            nn.Parameter(
                torch.randn(n_out, n_in, generator=generator) / math.sqrt(n_in)
            )
            for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
        )
        eigenvalues = [torch.zeros(n) for n in layer_sizes[:-1]]
        if hidden_eigenvalue_init > 0:
            for k in range(1, n_blocks):
                eigenvalues[k].uniform_(
                    -hidden_eigenvalue_init, hidden_eigenvalue_init, generator=generator
                )
        eigenvalues.append(torch.ones(layer_sizes[-1]))
        self.eigenvalues = nn.ParameterList(nn.Parameter(lam) for lam in eigenvalues)
        self.biases = nn.ParameterList(
            nn.Parameter(torch.zeros(n)) for n in layer_sizes[1:]
        )

    @property
    def n_blocks(self):
        """Number ``B`` of weight blocks between adjacent layers."""
        return len(self.layer_sizes) - 1

    def adjacent_blocks(self):
        """Adjacent blocks ``W_{k+1,k}``, ``k = 1..B``, in order.

        ``W_{k+1,k} = phi_k diag(lambda_k) - diag(lambda_{k+1}) phi_k``, of
        shape ``(n_{k+1}, n_k)``, built with one broadcast product.
        Differentiable, in the parameters' dtype.
        """
        lams = _members(self.eigenvalues)
        return [
            phi * (lams[k] - lams[k + 1].unsqueeze(1))
            for k, phi in enumerate(_members(self.phis))
        ]

    def forward(self, x):
        """Output of the network by the ``O(B)`` carry recurrence.

        Equal to :func:`dense_forward` up to float rounding; see the Notes of
        the class for the recurrence and its proof. ``phi_k (lambda_k * z) -
        lambda_{k+1} * (phi_k z)`` is computed as ``W_{k+1,k} z`` with the
        adjacent block built once (measured faster than the two-product form
        and than one matmul on stacked weights).

        Parameters
        ----------
        x : torch.Tensor of shape (n_samples, n_1)

        Returns
        -------
        torch.Tensor of shape (n_samples, n_{B+1})
        """
        return self._propagate(x, self.adjacent_blocks())

    def forward_with_l2(self, x):
        """Output and the squared norm of the adjacent and readout blocks.

        ``l2 = sum_k ||W_{k+1,k}||_F^2 + sum_{j<B} ||W_{B+1,j}||_F^2``: every
        adjacent block (the weights the recurrence builds anyway) and every
        long-range block into the output layer, the perceptron's
        ``W_{B+1,1}`` among them. The readout blocks come from one chain
        ``W_{B+1,j} = -W_{B+1,j+1} phi_j`` (SPARCS eq. 3), ``B - 1`` products
        of ``n_{B+1}`` rows, so the cost stays linear in depth; long-range
        blocks between hidden layers are not penalized. Without the readout
        blocks the perceptron's map ``W_{B+1,1} = (-1)^B lambda_{B+1}
        phi_B ... phi_1`` escaped the penalty: only ``phi_B`` is in an
        adjacent block at the perceptron start.

        Returns
        -------
        output : torch.Tensor of shape (n_samples, n_{B+1})
        l2 : torch.Tensor, scalar
        """
        weights = self.adjacent_blocks()
        l2 = torch.cat([w.reshape(-1) for w in weights]).square().sum()
        readout = weights[-1]
        for phi in reversed(_members(self.phis)[:-1]):
            readout = readout @ phi  # W_{B+1,j} up to its sign
            l2 = l2 + readout.square().sum()
        return self._propagate(x, weights), l2

    def loss_and_backward(self, x, loss_and_gradient, alpha=0.0):
        """Loss of a batch, and the gradients of the trainable parameters.

        The forward pass of :meth:`forward` (with the penalty of
        :meth:`forward_with_l2` when ``alpha > 0``) runs without recording a
        graph, and the gradients go back through the carry recurrence by
        hand. With ``g`` the gradient of the pre-activation ``a_{k+1}`` and
        ``G`` that of the carry ``z_{k+1} = sigma(a_{k+1}) - phi_k z_k``:

        - ``dW_{k+1,k} = g^T z_k + (alpha / n) W_{k+1,k}`` (plus the readout
          chain's share for the last block), ``db = sum(g)``;
        - ``dphi_k = dW * (lambda_k - lambda_{k+1}) - G^T z_k``,
          ``dlambda_k += sum_rows dW * phi_k``,
          ``dlambda_{k+1} -= sum_cols dW * phi_k``;
        - the carry's gradient one layer down is ``g W_{k+1,k} - G phi_k``,
          and ``g = sigma'(a) * G`` for a hidden layer;
        - the readout blocks ``R_j = R_{j+1} phi_j`` of the penalty go back
          along the same chain (``dphi_j += R_{j+1}^T S_j``,
          ``S_{j+1} = (alpha / n) R_{j+1} + S_j phi_j^T``).

        Equal to autograd through :meth:`forward_with_l2` up to float
        rounding (tested for every activation and depth), with fewer tensor
        operations: on the small batches of tabular data autograd's
        bookkeeping costs more than the arithmetic
        (``benchmarks/bench_nas_cost.py`` has the times per epoch).
        :class:`~sklearn_spectral._training.Trainer` uses this method when a
        module has it.

        Parameters
        ----------
        x : torch.Tensor of shape (n_rows, n_1)
            The batch.
        loss_and_gradient : callable
            ``loss_and_gradient(output)`` returning the mean loss of the batch
            and its gradient with respect to ``output`` (same shape).
        alpha : float, default=0.0
            L2 strength: the loss includes ``0.5 * alpha * l2 / n`` with the
            ``l2`` of :meth:`forward_with_l2`, as in ``Trainer``.

        Returns
        -------
        loss : torch.Tensor
            The batch loss (a detached scalar). The ``grad`` of every
            trainable parameter is replaced by its gradient.
        """
        phis, lams = _members(self.phis), _members(self.eigenvalues)
        biases = _members(self.biases)
        activation = self.activation
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
                d_in = torch.linalg.vecdot(d_weight, phi, dim=0)
                d_out = torch.linalg.vecdot(d_weight, phi, dim=1)
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

    def _propagate(self, x, weights):
        act = ACTIVATIONS[self.activation]
        last = self.n_blocks - 1
        z = x
        for k, (phi, w, b) in enumerate(
            zip(_members(self.phis), weights, _members(self.biases), strict=True)
        ):
            a = F.linear(z, w, b)
            if k == last:
                return a
            z = act(a) - F.linear(z, phi)

    @torch.no_grad()
    def blocks(self, dtype=torch.float64):
        """Dense blocks ``W_{i,j}`` by SPARCS eq. 3, for diagnostics.

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float64
            Precision of the computation (float64 keeps deep products exact).

        Returns
        -------
        list of list
            ``(B+1) x (B+1)`` nested list; entry ``[i][j]`` (0-based, ``i > j``)
            is ``W_{i+1,j+1}`` of shape ``(n_{i+1}, n_{j+1})``, every other
            entry is ``None``. No gradient.
        """
        phis = [phi.to(dtype) for phi in self.phis]
        lams = [lam.to(dtype) for lam in self.eigenvalues]
        adjacent = [
            phi * (lams[k] - lams[k + 1].unsqueeze(1)) for k, phi in enumerate(phis)
        ]
        n_layers = len(self.layer_sizes)
        out = [[None] * n_layers for _ in range(n_layers)]
        for j in range(n_layers - 1):
            product = None  # phi_{i-2} ... phi_j (0-based phis[i-2] ... phis[j])
            for i in range(j + 1, n_layers):
                block = (
                    adjacent[i - 1] if product is None else adjacent[i - 1] @ product
                )
                out[i][j] = block if (i - 1 - j) % 2 == 0 else -block
                product = phis[i - 1] if product is None else phis[i - 1] @ product
        return out

    def _offsets(self):
        """Start index of every layer in the stacked node order, and ``N``."""
        offsets = [0]
        for n in self.layer_sizes:
            offsets.append(offsets[-1] + n)
        return offsets

    def dense_adjacency(self, dtype=torch.float64):
        """Dense ``N x N`` adjacency ``Phi Lambda Phi^{-1}``, for tests.

        ``Phi^{-1}`` is solved numerically with
        :func:`torch.linalg.solve_triangular` (``Phi`` is unit lower
        triangular), independently of the binomial formula and of eq. 3; the
        result is exactly lower triangular, so the strictly-upper part of
        ``A`` is exactly zero. Differentiable.

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float64

        Returns
        -------
        torch.Tensor of shape (N, N), ``N = sum(layer_sizes)``
        """
        offsets = self._offsets()
        Phi = torch.eye(offsets[-1], dtype=dtype, device=self.phis[0].device)
        for k, phi in enumerate(self.phis):
            rows = slice(offsets[k + 1], offsets[k + 2])
            Phi[rows, offsets[k] : offsets[k + 1]] = phi.to(dtype)
        Lam = torch.diag(torch.cat([lam.to(dtype) for lam in self.eigenvalues]))
        eye = torch.eye(offsets[-1], dtype=dtype, device=Phi.device)
        Phi_inv = torch.linalg.solve_triangular(
            Phi, eye, upper=False, unitriangular=True
        )
        return Phi @ Lam @ Phi_inv

    def proximal_step(self, threshold):
        """Soft-threshold the non-output eigenvalues in place.

        ``lambda <- sign(lambda) * max(|lambda| - threshold, 0)`` on
        ``lambda_1..lambda_B`` (input and hidden layers); the output
        eigenvalues are left alone. Call it after each optimizer step with
        ``threshold = lr * eigenvalue_l1`` (proximal gradient for an L1
        penalty; it gives exact zeros, which Adam + L1 never does).
        """
        soft_threshold_(_members(self.eigenvalues)[:-1], threshold)

    def node_group_sums(self, values):
        """Sum of ``values`` over every input and hidden node's eigenvector entries.

        The entries of node ``r`` of layer ``k <= B`` are column ``r`` of
        ``phi_k`` (its outgoing side) and, for a hidden node, row ``r`` of
        ``phi_{k-1}`` (its incoming side). Zeroing them removes the node from
        every block ``W_{i,j}`` whatever the eigenvalues (SPARCS eq. 3).

        Parameters
        ----------
        values : sequence of torch.Tensor
            One tensor per ``phi_k``, of its shape (e.g. ``phi_k ** 2``).

        Returns
        -------
        list of torch.Tensor
            ``B`` vectors: the sums for the nodes of layers ``1..B``.
        """
        values = list(values)
        sums = []
        for k, v in enumerate(values):
            total = v.sum(dim=0)
            if k:
                total = total + values[k - 1].sum(dim=1)
            sums.append(total)
        return sums

    def node_group_norms(self):
        """Euclidean norm of every input and hidden node's eigenvector entries.

        See :meth:`node_group_sums`; ``sum_r norms[k][r]`` is the group-L1
        penalty the ``node_l1`` option of the NAS estimators minimizes.
        """
        return [
            s.sqrt()
            for s in self.node_group_sums(p.square() for p in _members(self.phis))
        ]

    @torch.no_grad()
    def node_group_threshold_(self, thresholds):
        """Group soft-threshold of the nodes' eigenvector entries, in place.

        Every node's entries (see :meth:`node_group_sums`) are scaled by
        ``max(0, 1 - t / ||g||)``, with the norms taken before the step: the
        proximal step of the penalty ``sum_g t_g ||g||``, which sets whole
        groups, and so whole nodes, to exactly 0. An entry of ``phi_k``
        belongs to two groups (the nodes it joins, unless one is an output),
        so both scales apply to it: the product of the groups' proximal
        steps, which for these overlapping groups has no closed form.

        Parameters
        ----------
        thresholds : sequence of torch.Tensor or float
            One per layer ``1..B``: a vector of per-node thresholds or one
            number for the layer.
        """
        norms = self.node_group_norms()
        phis = _members(self.phis)
        for k, (norm, t) in enumerate(zip(norms, thresholds, strict=True)):
            scale = (1 - t / norm.clamp(min=torch.finfo(norm.dtype).tiny)).clamp_(min=0)
            phis[k].mul_(scale)
            if k:
                phis[k - 1].mul_(scale.unsqueeze(1))

    def extra_repr(self):
        return f"layer_sizes={self.layer_sizes}, activation={self.activation!r}"


def dense_forward(network, x):
    """Float64 reference forward pass built from the dense ``Phi Lambda Phi^{-1}``.

    Every block ``W_{i,j}`` (``i > j``) is cut out of
    :meth:`GlobalSpectralNetwork.dense_adjacency` (not from eq. 3), and for
    each layer ``i >= 2``::

        a_i = sum_{j<i} h_j W_{i,j}^T + b_i,
        h_i = sigma(a_i) for hidden layers,  h_{B+1} = a_{B+1},

    with ``h_1 = x`` and ``h_j`` the post-activation output of layer ``j``.
    The diagonal self-loops are not used. ``network(x)`` equals this up to
    float rounding (see the Notes of :class:`GlobalSpectralNetwork`).
    Differentiable with respect to the network's parameters.

    Parameters
    ----------
    network : GlobalSpectralNetwork
    x : torch.Tensor of shape (n_samples, n_1)

    Returns
    -------
    torch.Tensor of shape (n_samples, n_{B+1}), float64
    """
    dtype = torch.float64
    act = ACTIVATIONS[network.activation]
    A = network.dense_adjacency(dtype)
    offsets = network._offsets()
    n_layers = len(network.layer_sizes)
    hs = [x.to(dtype)]
    for i in range(1, n_layers):
        rows = slice(offsets[i], offsets[i + 1])
        a = network.biases[i - 1].to(dtype)
        for j in range(i):
            a = a + hs[j] @ A[rows, offsets[j] : offsets[j + 1]].T
        hs.append(a if i == n_layers - 1 else act(a))
    return hs[-1]


def used_nodes(blocks):
    """Which nodes the output of a network depends on, from its dense blocks.

    A node is used when it lies on a path of nonzero weights from an input to
    an output. A hidden node no input reaches outputs the constant
    ``sigma(b)``, which folds into the biases of the layers it feeds; a node
    that reaches no output changes nothing. Removing every unused node (and
    folding those constants) leaves the predictions unchanged, so the weights
    between used nodes are all a network needs. Output nodes always count as
    used (an output no input reaches predicts its bias).

    Eigenvalues alone do not say this: node ``r`` of layer ``i`` receives
    ``phi_{i-1}[r, :] diag(lambda_{i-1}) ...`` even when ``lambda_i[r] = 0``,
    so a node whose eigenvalue is 0 still computes once the layer before it
    has one nonzero eigenvalue. Only a zero row of ``phi_{i-1}`` or a zero
    column of ``phi_i`` removes it whatever the eigenvalues.

    Parameters
    ----------
    blocks : list of list
        The nested ``(B+1) x (B+1)`` list of :meth:`GlobalSpectralNetwork.blocks`:
        entry ``[i][j]`` (``i > j``) is the block from layer ``j`` to layer ``i``.

    Returns
    -------
    list of torch.Tensor
        One boolean mask per layer, inputs first.

    Examples
    --------
    >>> import torch
    >>> gen = torch.Generator().manual_seed(0)
    >>> net = GlobalSpectralNetwork([3, 4, 2], generator=gen)
    >>> [int(m.sum()) for m in used_nodes(net.blocks())]  # the perceptron start
    [3, 0, 2]
    """
    n_layers = len(blocks)
    nonzero = [[b if b is None else b != 0 for b in row] for row in blocks]
    sizes = [nonzero[-1][j].shape[1] for j in range(n_layers - 1)]
    sizes.append(nonzero[-1][0].shape[0])
    reached = [torch.ones(sizes[0], dtype=torch.bool)]  # from some input
    for i in range(1, n_layers):
        reached.append(
            torch.stack(
                [(nonzero[i][j] & reached[j]).any(dim=1) for j in range(i)]
            ).any(dim=0)
        )
    reaching = [None] * n_layers  # reaches some output
    reaching[-1] = torch.ones(sizes[-1], dtype=torch.bool)
    for j in range(n_layers - 2, -1, -1):
        reaching[j] = torch.stack(
            [
                (nonzero[i][j] & reaching[i].unsqueeze(1)).any(dim=0)
                for i in range(j + 1, n_layers)
            ]
        ).any(dim=0)
    used = [f & b for f, b in zip(reached, reaching, strict=True)]
    used[-1] = reaching[-1]
    return used
