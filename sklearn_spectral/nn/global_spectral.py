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
from .global_backward import carry_loss_and_backward
from .global_backward import members as _members
from .global_dense import (
    binomial_inverse,
    dense_forward,
    network_adjacency,
    network_blocks,
    path_richness,
    used_nodes,
)
from .hidden_nodes import HiddenNodes
from .spectral_layer import soft_threshold_

__all__ = [
    "GlobalSpectralNetwork",
    "binomial_inverse",
    "dense_forward",
    "path_richness",
    "used_nodes",
]


class GlobalSpectralNetwork(HiddenNodes, nn.Module):
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
        :class:`~sklearn_spectral.train.Trainer` uses this method when a
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
        return carry_loss_and_backward(self, x, loss_and_gradient, alpha)

    def _propagate(self, x, weights, hidden=None):
        """The carry recurrence; appends each hidden layer's output to
        ``hidden`` when a list is given."""
        act = ACTIVATIONS[self.activation]
        last = self.n_blocks - 1
        z = x
        for k, (phi, w, b) in enumerate(
            zip(_members(self.phis), weights, _members(self.biases), strict=True)
        ):
            a = F.linear(z, w, b)
            if k == last:
                return a
            h = act(a)
            if hidden is not None:
                hidden.append(h)
            z = h - F.linear(z, phi)

    # The hidden-node interface (HiddenNodes): hidden layer k is layer k + 1
    # of layer_sizes; its eigenvalues are eigenvalues[k + 1], its incoming
    # eigenvector block phis[k] and its outgoing one phis[k + 1].

    @property
    def hidden_sizes(self):
        """Widths of the hidden layers."""
        return [int(n) for n in self.layer_sizes[1:-1]]

    def hidden_outputs(self, x):
        hidden = []
        self._propagate(x, self.adjacent_blocks(), hidden)
        return hidden

    def incoming_weights(self):
        """The adjacent blocks ``W_{k+1,k}`` into the hidden layers.

        Every long-range block into a node, ``W_{k+1,j} = +-W_{k+1,k}
        phi_{k-1} ... phi_j``, has this block as its left factor, so a zero
        row silences the node in every incoming block.
        """
        return self.adjacent_blocks()[:-1]

    def node_eigenvalues(self):
        return _members(self.eigenvalues)[1:-1]

    @torch.no_grad()
    def remove_nodes_(self, keep, fold_biases=True):
        sizes = list(self.layer_sizes)
        for k, kept in enumerate(keep):
            layer = k + 1
            phis, lams = _members(self.phis), _members(self.eigenvalues)
            biases = _members(self.biases)
            kept = kept.to(phis[0].device)
            removed = torch.ones(sizes[layer], dtype=torch.bool, device=kept.device)
            removed[kept] = False
            if fold_biases and bool(removed.any()):
                self._fold_constant_(layer, removed)
            cuts = (
                (self.phis, layer - 1, phis[layer - 1][kept]),
                (self.phis, layer, phis[layer][:, kept]),
                (self.eigenvalues, layer, lams[layer][kept]),
                (self.biases, layer - 1, biases[layer - 1][kept]),
            )
            for params, index, data in cuts:
                params[index] = nn.Parameter(data.clone(), params[index].requires_grad)
            sizes[layer] = kept.numel()
        self.layer_sizes = tuple(sizes)

    def _fold_constant_(self, layer, removed):
        """Add the direct contribution ``W_{i,layer}[:, removed] c`` of the
        constant activations ``c = sigma(b)`` of the ``removed`` nodes of
        ``layer`` to the bias of every later layer ``i``. By SPARCS eq. 3,
        ``W_{i,l} = (-1)^{i-1-l} W_{i,i-1} phi_{i-2} ... phi_l``, applied to
        ``c`` right to left (matrix-vector products only)."""
        phis, lams = _members(self.phis), _members(self.eigenvalues)
        biases = _members(self.biases)
        carried = ACTIVATIONS[self.activation](biases[layer - 1][removed])
        for i in range(layer + 1, len(self.layer_sizes)):
            adjacent = phis[i - 1] * (lams[i - 1] - lams[i].unsqueeze(1))
            if i == layer + 1:
                contribution = adjacent[:, removed] @ carried
                carried = phis[i - 1][:, removed] @ carried
            else:
                contribution = adjacent @ carried
                carried = phis[i - 1] @ carried
            sign = -1.0 if (i - 1 - layer) % 2 else 1.0
            biases[i - 1].add_(sign * contribution)

    def constant_layers(self):
        """The hidden layers whose every node outputs a constant.

        Hidden layer ``k`` (layer ``l = k + 1`` of ``layer_sizes``) is
        constant when its adjacent incoming block ``W_{l,l-1} = phi_{l-1}
        diag(lambda_{l-1}) - diag(lambda_l) phi_{l-1}`` is exactly zero: every
        long-range block into it has that block as its left factor (SPARCS eq.
        3), so its nodes output ``sigma(b_l)`` whatever the input. Such a
        layer can be removed without changing the network's function
        (:meth:`remove_layer_`). That takes ``lambda_l = lambda_{l-1} = 0`` on
        the nonzero entries of ``phi_{l-1}``: a layer whose own eigenvalues
        are all 0 still computes once the layer before it has a nonzero
        eigenvalue.

        Returns
        -------
        list of int
            0-based indices over the hidden layers, as in ``hidden_sizes``.
        """
        with torch.no_grad():
            blocks = self.incoming_weights()
            return [k for k, w in enumerate(blocks) if not bool(w.any())]

    @torch.no_grad()
    def remove_layer_(self, k):
        """Remove hidden layer ``k`` physically, in place.

        The layer's nodes are replaced by their activation at zero input,
        ``c = sigma(b_l)`` (``l = k + 1``): ``W_{i,l} c`` is added to the bias
        of every later layer ``i``, and the eigenvector blocks around the
        layer merge into one, ``phi' = -phi_l phi_{l-1}`` from layer ``l - 1``
        to layer ``l + 1`` (the sign keeps ``(-1)^{i-1-j}`` of eq. 3 with one
        layer fewer). Every block between the remaining layers is then
        unchanged when ``phi_l W_{l,l-1} = 0``, in particular when the layer
        is constant (:meth:`constant_layers`): the function is exactly the
        same. Otherwise the function changes: the layer no longer computes,
        and the blocks through it change by terms in ``phi_l W_{l,l-1}`` (an
        approximation whose cost the caller measures).

        Parameters
        ----------
        k : int
            0-based index over the hidden layers.
        """
        n_hidden = len(self.layer_sizes) - 2
        if not 0 <= k < n_hidden:
            raise ValueError(
                f"k must index one of the {n_hidden} hidden layers, got {k}"
            )
        layer = k + 1
        phis = _members(self.phis)
        every = torch.ones(
            self.layer_sizes[layer], dtype=torch.bool, device=phis[0].device
        )
        self._fold_constant_(layer, every)
        merged = nn.Parameter(
            -(phis[layer] @ phis[layer - 1]), phis[layer - 1].requires_grad
        )
        self.phis = nn.ParameterList(phis[: layer - 1] + [merged] + phis[layer + 1 :])
        lams = _members(self.eigenvalues)
        self.eigenvalues = nn.ParameterList(lams[:layer] + lams[layer + 1 :])
        biases = _members(self.biases)
        self.biases = nn.ParameterList(biases[: layer - 1] + biases[layer:])
        sizes = list(self.layer_sizes)
        del sizes[layer]
        self.layer_sizes = tuple(sizes)

    def blocks(self, dtype=torch.float64):
        """Dense blocks ``W_{i,j}`` by SPARCS eq. 3, for diagnostics: see
        :func:`~sklearn_spectral.nn.global_dense.network_blocks`."""
        return network_blocks(self, dtype)

    def dense_adjacency(self, dtype=torch.float64):
        """Dense ``N x N`` adjacency ``Phi Lambda Phi^{-1}``, for tests: see
        :func:`~sklearn_spectral.nn.global_dense.network_adjacency`."""
        return network_adjacency(self, dtype)

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
