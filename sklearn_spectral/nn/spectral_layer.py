"""Layer-wise spectral layers (Giambagli, Buffoni, Carletti, Nocentini and
Fanelli, "Machine learning in spectral domain", Nat. Commun. 12, 1330, 2021).

Two adjacent layers form a bipartite graph with self-loops whose adjacency is
``A = Phi Lambda Phi^{-1}`` with ``Phi = [[I, 0], [phi, I]]`` and
``Lambda = diag(lambda_in, lambda_out)``. Its off-diagonal block is the weight

    W = phi diag(lambda_in) - diag(lambda_out) phi,
    W[i, j] = phi[i, j] * (lambda_in[j] - lambda_out[i]).

The layer stores ``phi`` (the eigenvector block) and the two eigenvalue vectors
and builds ``W`` with one broadcast product; the dense ``(n_in + n_out)``-square
adjacency is never formed.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from .activations import ACTIVATIONS, get_activation
from .hidden_nodes import LayerStack, set_parameter


def spectral_weight(phi, lambda_in, lambda_out):
    """Weight ``W = phi diag(lambda_in) - diag(lambda_out) phi`` of a spectral layer.

    Parameters
    ----------
    phi : torch.Tensor of shape (n_out, n_in)
        Eigenvector block.
    lambda_in : torch.Tensor of shape (n_in,)
        Eigenvalues of the input nodes.
    lambda_out : torch.Tensor of shape (n_out,)
        Eigenvalues of the output nodes.

    Returns
    -------
    torch.Tensor of shape (n_out, n_in)

    Examples
    --------
    >>> import torch
    >>> phi = torch.ones(2, 3)
    >>> spectral_weight(phi, torch.zeros(3), torch.tensor([1.0, 2.0]))
    tensor([[-1., -1., -1.],
            [-2., -2., -2.]])
    """
    return phi * (lambda_in.unsqueeze(0) - lambda_out.unsqueeze(1))


@torch.no_grad()
def soft_threshold_(tensors, threshold):
    """In-place ``t <- sign(t) * max(|t| - threshold, 0)`` on every tensor.

    The proximal step of an L1 penalty: after a gradient step of size ``lr``
    on the loss, ``threshold = lr * l1`` gives exact zeros, which a
    subgradient of the L1 term never does.

    Examples
    --------
    >>> import torch
    >>> t = torch.tensor([-0.3, 0.05, 1.0])
    >>> soft_threshold_([t], 0.1)
    >>> t
    tensor([-0.2000,  0.0000,  0.9000])
    """
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    for t in tensors:
        t.copy_(t.sign() * (t.abs() - threshold).clamp_(min=0))


def dense_adjacency(phi, lambda_in, lambda_out):
    """Dense ``Phi Lambda Phi^{-1}`` of one layer pair, for tests and diagnostics.

    Uses ``Phi^{-1} = 2 I - Phi``. The weight is the lower-left block
    ``A[n_in:, :n_in]``.
    """
    n_out, n_in = phi.shape
    n = n_in + n_out
    eye = torch.eye(n, dtype=phi.dtype, device=phi.device)
    Phi = eye.clone()
    Phi[n_in:, :n_in] = phi
    Lam = torch.diag(torch.cat([lambda_in, lambda_out]))
    return Phi @ Lam @ (2 * eye - Phi)


class SpectralLinear(nn.Module):
    """Affine layer parametrized by eigenvectors and eigenvalues.

    ``y = x W^T + b`` with ``W = phi diag(lambda_in) - diag(lambda_out) phi``.

    Parameters
    ----------
    in_features, out_features : int
        Widths of the input and output layers.
    train_phi : bool, default=True
        Whether the eigenvector block ``phi`` is trainable. ``False`` gives
        eigenvalue-only training (``phi`` frozen at its random initialization).
    train_lambda_in : bool, default=False
        Whether the input eigenvalues are trainable. When frozen they stay at 0
        and ``W[i, :] = -lambda_out[i] phi[i, :]``.
    generator : torch.Generator, optional
        Source of randomness for the initialization.
    init_gain : float, default=1.0
        Multiplies the Glorot-uniform bound ``sqrt(6 / (n_in + n_out))`` of
        ``phi`` and the bias (``MLPClassifier`` uses ``1 / sqrt(3)`` of it for
        the logistic activation).

    Attributes
    ----------
    mask : torch.Tensor or None
        A boolean buffer of ``W``'s shape, or None (dense, the default): the
        layer then uses ``W * mask`` (set by
        :func:`~sklearn_spectral.nn.sparse.set_masks_`). Masked entries of
        ``W`` are 0 in the forward pass and their ``phi`` entries get no
        gradient, while the eigenvalues, shared by whole rows and columns,
        keep training on the unmasked ones.

    Notes
    -----
    At initialization ``lambda_in = 0`` and ``lambda_out = 1``, so ``W = -phi``
    is an ordinary Glorot-initialized dense layer.

    Examples
    --------
    >>> import torch
    >>> layer = SpectralLinear(3, 2, generator=torch.Generator().manual_seed(0))
    >>> layer(torch.ones(4, 3)).shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        in_features,
        out_features,
        *,
        train_phi=True,
        train_lambda_in=False,
        generator=None,
        init_gain=1.0,
    ):
        super().__init__()
        bound = init_gain * math.sqrt(6.0 / (in_features + out_features))
        self._init_phi(
            torch.empty(out_features, in_features).uniform_(
                -bound, bound, generator=generator
            ),
            train_phi,
        )
        self.lambda_in = nn.Parameter(
            torch.zeros(in_features), requires_grad=train_lambda_in
        )
        self.lambda_out = nn.Parameter(torch.ones(out_features))
        self.bias = nn.Parameter(
            torch.empty(out_features).uniform_(-bound, bound, generator=generator)
        )
        self.register_buffer("mask", None)

    #: The parameter that trains in place of ``phi`` (``phi`` itself, or the
    #: factor a structured block is built from).
    _phi_parameter = "phi"

    def _init_phi(self, phi, trainable):
        """Set up the eigenvector block from its initial value ``phi``."""
        self.phi = nn.Parameter(phi, requires_grad=trainable)

    @property
    def in_features(self):
        return self.lambda_in.shape[0]

    @property
    def out_features(self):
        return self.lambda_out.shape[0]

    @property
    def phi_trainable(self):
        """Whether the eigenvector block learns."""
        return getattr(self, self._phi_parameter).requires_grad

    def train_phi_(self, flag):
        """Make the eigenvector block trainable (``True``) or frozen."""
        getattr(self, self._phi_parameter).requires_grad_(flag)

    def phi_backward_(self, d_phi):
        """Set the gradients of the trainable numbers behind ``phi`` from the
        gradient ``d_phi`` of the loss with respect to ``phi``."""
        self.phi.grad = d_phi

    def _cut_phi(self, rows, columns):
        set_parameter(self, "phi", self.phi[rows][:, columns])

    def keep_(self, rows=slice(None), columns=slice(None)):
        """Keep the output nodes ``rows`` and the input nodes ``columns``
        (index tensors or slices) of the layer, with their eigenvalues,
        biases and mask entries."""
        self._cut_phi(rows, columns)
        set_parameter(self, "lambda_out", self.lambda_out[rows])
        set_parameter(self, "bias", self.bias[rows])
        set_parameter(self, "lambda_in", self.lambda_in[columns])
        if self.mask is not None:
            self.mask = self.mask[rows][:, columns]

    def weight(self):
        """Materialized weight ``W`` of shape (out_features, in_features),
        masked when the layer has a ``mask``."""
        w = spectral_weight(self.phi, self.lambda_in, self.lambda_out)
        return w if self.mask is None else w * self.mask

    def forward(self, x):
        return F.linear(x, self.weight(), self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"train_phi={self.phi_trainable}, "
            f"train_lambda_in={self.lambda_in.requires_grad}"
        )


class SVDSpectralLinear(SpectralLinear):
    """:class:`SpectralLinear` whose eigenvector block is ``phi = u diag(s) vh``
    with ``u`` and ``vh`` fixed: ``min(n_in, n_out)`` trainable numbers in
    ``phi`` instead of ``n_in * n_out``.

    The structured ("S-SVD") layer of Chicchi, Giambagli, Buffoni, Carletti,
    Ciavarella and Fanelli (Phys. Rev. E 104, 054312, 2021): with the
    eigenvalues, a layer trains a number of parameters linear in its widths.
    ``u`` (orthonormal columns), ``s`` and ``vh`` (orthonormal rows) start as
    the thin SVD of the same Glorot draw :class:`SpectralLinear` starts
    ``phi`` from, so at initialization the two layers compute the same
    function. (The authors draw ``u`` and ``vh`` at random, not orthonormal,
    and ``s`` uniform in [0, 3].)

    Parameters and attributes are :class:`SpectralLinear`'s, with ``s`` (the
    trainable singular values) and the buffers ``u`` and ``vh`` in place of
    the parameter ``phi``, which is built from them.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> layer = SVDSpectralLinear(5, 3, generator=g)
    >>> layer.phi.shape, layer.s.shape
    (torch.Size([3, 5]), torch.Size([3]))
    >>> dense = SpectralLinear(5, 3, generator=torch.Generator().manual_seed(0))
    >>> torch.allclose(layer.phi, dense.phi, atol=1e-6)
    True
    """

    _phi_parameter = "s"

    def _init_phi(self, phi, trainable):
        # (factorized in float64, stored in phi's dtype)
        u, s, vh = torch.linalg.svd(phi.double(), full_matrices=False)
        self.register_buffer("u", u.to(phi.dtype))
        self.s = nn.Parameter(s.to(phi.dtype), requires_grad=trainable)
        self.register_buffer("vh", vh.to(phi.dtype))

    @property
    def phi(self):
        """The eigenvector block ``u diag(s) vh``."""
        return (self.u * self.s) @ self.vh

    def phi_backward_(self, d_phi):
        # d loss / d s_k = sum_ij d_phi[i, j] u[i, k] vh[k, j]
        self.s.grad = torch.linalg.vecdot(self.u.t() @ d_phi, self.vh, dim=1)

    def _cut_phi(self, rows, columns):
        self.u = self.u[rows].contiguous()
        self.vh = self.vh[:, columns].contiguous()


class QRSpectralLinear(SpectralLinear):
    """:class:`SpectralLinear` whose eigenvector block is ``phi = r q`` with
    ``q`` fixed (orthonormal rows): ``n_out * min(n_in, n_out)`` trainable
    numbers in ``phi`` instead of ``n_in * n_out`` (fewer where a layer
    narrows, as from many input features to a few hidden nodes).

    The QR layer of Chicchi et al. (Phys. Rev. E 104, 054312, 2021), as in
    the authors' code: ``phi^T = q^T r^T`` is the reduced QR decomposition of
    the initial (Glorot) ``phi^T``, ``q`` stays fixed and all of ``r`` trains
    (it starts lower-triangular and is not kept so). At initialization the
    layer computes the same function as :class:`SpectralLinear`.

    Parameters and attributes are :class:`SpectralLinear`'s, with ``r`` (the
    trainable factor) and the buffer ``q`` in place of the parameter ``phi``,
    which is built from them.

    Examples
    --------
    >>> import torch
    >>> layer = QRSpectralLinear(50, 4, generator=torch.Generator().manual_seed(0))
    >>> layer.phi.shape, layer.r.shape
    (torch.Size([4, 50]), torch.Size([4, 4]))
    """

    _phi_parameter = "r"

    def _init_phi(self, phi, trainable):
        q, r = torch.linalg.qr(phi.t().double())
        self.r = nn.Parameter(r.t().to(phi.dtype).contiguous(), requires_grad=trainable)
        self.register_buffer("q", q.t().to(phi.dtype).contiguous())

    @property
    def phi(self):
        """The eigenvector block ``r q``."""
        return self.r @ self.q

    def phi_backward_(self, d_phi):
        self.r.grad = d_phi @ self.q.t()

    def _cut_phi(self, rows, columns):
        set_parameter(self, "r", self.r[rows])
        self.q = self.q[:, columns].contiguous()


#: The layer of every structure of ``phi`` (:class:`SpectralMLP`'s ``phi``).
PHI_LAYERS = {
    "dense": SpectralLinear,
    "svd": SVDSpectralLinear,
    "qr": QRSpectralLinear,
}


class SpectralMLP(LayerStack, nn.Module):
    """Feed-forward network of :class:`SpectralLinear` layers.

    Its hidden nodes follow :class:`~sklearn_spectral.nn.hidden_nodes.HiddenNodes`;
    a node's eigenvalue is its ``lambda_out``.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths ``(n_features, hidden..., n_outputs)``.
    activation : {"identity", "logistic", "tanh", "relu", "elu"}, default="relu"
        Activation of the hidden layers; the output layer is linear (the loss
        applies the task's link).
    train_phi, train_lambda_in : bool
        See :class:`SpectralLinear`.
    generator : torch.Generator, optional
        Source of randomness for the initialization.
    phi : {"dense", "svd", "qr"}, default="dense"
        Structure of every layer's eigenvector block: a full trainable
        matrix (:class:`SpectralLinear`), ``u diag(s) vh`` with ``s`` trained
        (:class:`SVDSpectralLinear`) or ``r q`` with ``r`` trained
        (:class:`QRSpectralLinear`).

    Examples
    --------
    >>> import torch
    >>> net = SpectralMLP([4, 8, 3], generator=torch.Generator().manual_seed(0))
    >>> net(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        layer_sizes,
        *,
        activation="relu",
        train_phi=True,
        train_lambda_in=False,
        generator=None,
        phi="dense",
    ):
        super().__init__()
        if phi not in PHI_LAYERS:
            raise ValueError(f"phi must be one of {sorted(PHI_LAYERS)}, got {phi!r}")
        layer = PHI_LAYERS[phi]
        # MLPClassifier's Glorot bound: sqrt(2 / (fan_in + fan_out)) for the
        # logistic activation instead of sqrt(6 / ...).
        gain = get_activation(activation).init_gain
        self.activation = activation
        self.layers = nn.ModuleList(
            layer(
                n_in,
                n_out,
                train_phi=train_phi,
                train_lambda_in=train_lambda_in,
                generator=generator,
                init_gain=gain,
            )
            for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
        )

    def forward(self, x):
        return self._propagate(x, self.weights())

    def forward_with_l2(self, x):
        """Output and the sum of squared weights, sharing one build of ``W``.

        This is what :class:`~sklearn_spectral.train.Trainer` calls when
        an L2 penalty is on: materializing ``W`` twice per batch cost 30 % of
        the training time on ``load_digits``.
        """
        weights = self.weights()
        l2 = sum(w.square().sum() for w in weights)
        return self._propagate(x, weights), l2

    def loss_and_backward(self, x, loss_and_gradient, alpha=0.0):
        """Loss of a batch, and the gradients of the trainable parameters.

        The forward pass runs without recording a graph; ``loss_and_gradient``
        gives the loss and its gradient with respect to the output (in closed
        form, or by autograd on the loss alone), and the gradients are
        propagated back through the layers by hand:

        - ``dW = g^T h + (alpha / n) W`` for the pre-activation gradient
          ``g`` and the layer input ``h`` of the ``n`` rows, ``db = sum(g)``;
        - ``dphi = dW * (lambda_in - lambda_out)``,
          ``dlambda_in = sum_i dW * phi``, ``dlambda_out = -sum_j dW * phi``.

        On the small batches of tabular data autograd's bookkeeping cost more
        than the arithmetic: one training step of a 30-100-1 network took
        320 us with ``backward()`` and about 210 us this way
        (``benchmarks/bench_spectral_mlp.py`` has the fit times).
        :class:`~sklearn_spectral.train.Trainer` uses this method when a
        module has it.

        Parameters
        ----------
        x : torch.Tensor of shape (n_rows, n_features)
            The batch.
        loss_and_gradient : callable
            ``loss_and_gradient(output)`` returning the mean loss of the batch
            and its gradient with respect to ``output`` (same shape).
        alpha : float, default=0.0
            L2 strength: the loss includes ``0.5 * alpha * sum ||W||^2 / n``,
            as in ``Trainer``.

        Returns
        -------
        loss : torch.Tensor
            The batch loss (a detached scalar). The ``grad`` of every
            trainable parameter is replaced by its gradient.
        """
        # Parameters are read once: nn.Module attribute lookups are not free
        # at this scale. (A structured phi is built here from its factors.)
        modules = list(self.layers)
        masks = [layer.mask for layer in modules]
        phi_trainable = [layer.phi_trainable for layer in modules]
        lambdas = [(layer.lambda_in, layer.lambda_out) for layer in modules]
        with torch.no_grad():
            phis = [layer.phi for layer in modules]
            diffs = []
            for (lambda_in, lambda_out), mask in zip(lambdas, masks, strict=True):
                diff = lambda_in.unsqueeze(0) - lambda_out.unsqueeze(1)
                # masked W = phi * (diff * mask)
                diffs.append(diff if mask is None else diff * mask)
            weights = [phi * diff for phi, diff in zip(phis, diffs, strict=True)]

        def weight_backward(k, d_weight):
            if phi_trainable[k]:
                modules[k].phi_backward_(d_weight * diffs[k])
            if masks[k] is not None:
                d_weight = d_weight * masks[k]
            lambda_in, lambda_out = lambdas[k]
            if lambda_in.requires_grad:
                lambda_in.grad = torch.linalg.vecdot(d_weight, phis[k], dim=0)
            if lambda_out.requires_grad:
                lambda_out.grad = torch.linalg.vecdot(d_weight, phis[k], dim=1).neg_()

        return self._stack_loss_and_backward(
            x, weights, loss_and_gradient, alpha, weight_backward
        )

    def _propagate(self, x, weights):
        act = ACTIVATIONS[self.activation]
        *hidden, last = zip(self.layers, weights, strict=True)
        for layer, w in hidden:
            x = act(F.linear(x, w, layer.bias))
        layer, w = last
        return F.linear(x, w, layer.bias)

    def weights(self):
        """Materialized weights ``W`` of every layer, torch layout (out, in)."""
        return [layer.weight() for layer in self.layers]

    @staticmethod
    def _layer_weight(layer):
        return layer.weight()

    def node_eigenvalues(self):
        return [layer.lambda_out for layer in self.layers[:-1]]

    def _cut_layer(self, k, kept):
        self.layers[k].keep_(rows=kept)
        self.layers[k + 1].keep_(columns=kept)
