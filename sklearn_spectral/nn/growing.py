"""The growable network of TINY: a dense MLP whose hidden layers widen in
place (the optimizer's state kept) and deepen without changing the function.

The growth math is in :mod:`sklearn_spectral.nn.bottleneck` (what to add) and
:mod:`sklearn_spectral.nn.growth_step` (adding it).
"""

import math

import torch
from torch import nn

from .activations import ACTIVATIONS, get_activation
from .hidden_nodes import LayerStack, set_parameter

_STATE_NOT_PADDED = ("step",)


def _make_linear(weight, bias):
    """``nn.Linear`` holding ``weight`` and ``bias``, without touching any RNG."""
    layer = nn.Linear(1, 1, device="meta")
    layer.weight = nn.Parameter(weight)
    layer.bias = nn.Parameter(bias)
    layer.out_features, layer.in_features = weight.shape
    return layer


def _initial(n_in, n_out, factor, generator=None):
    """Initial ``(weight, bias)`` of a layer: uniform in ``[-bound, bound]``,
    ``bound = sqrt(factor / (n_in + n_out))`` (scikit-learn's
    ``MLPClassifier``)."""
    bound = math.sqrt(factor / (n_in + n_out)) if n_in + n_out else 0.0
    weight = torch.empty(n_out, n_in).uniform_(-bound, bound, generator=generator)
    bias = torch.empty(n_out).uniform_(-bound, bound, generator=generator)
    return weight, bias


def _with_ones(x):
    """``x`` with a column of ones appended (the bias input)."""
    return torch.cat([x, x.new_ones(x.shape[0], 1)], dim=1)


def _replace_parameter(module, name, data, dim, optimizer):
    """Swap ``module.name`` for a new Parameter; move its optimizer state."""
    old = getattr(module, name)
    new = nn.Parameter(data, requires_grad=old.requires_grad)
    setattr(module, name, new)
    if optimizer is None:
        return
    for group in optimizer.param_groups:
        group["params"] = [new if p is old else p for p in group["params"]]
    state = optimizer.state.pop(old, None)
    if not state:
        return
    moved = {}
    for key, value in state.items():
        if (
            key not in _STATE_NOT_PADDED
            and torch.is_tensor(value)
            and value.shape == old.shape
        ):
            pad = list(value.shape)
            pad[dim] = new.shape[dim] - old.shape[dim]
            value = torch.cat([value, value.new_zeros(pad)], dim=dim)
        moved[key] = value
    optimizer.state[new] = moved


class GrowingMLP(LayerStack, nn.Module):
    """Feed-forward network whose hidden layers can be widened in place.

    Its hidden nodes follow :class:`~sklearn_spectral.nn.hidden_nodes.HiddenNodes`
    (a dense network: no eigenvalues).

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths ``(n_features, hidden..., n_outputs)``. Hidden widths may be 0:
        the next layer then outputs its bias only.
    activation : {"identity", "logistic", "tanh", "relu", "elu"}, default="relu"
        Activation of the hidden layers; the output layer is linear.
    generator : torch.Generator, optional
        Source of randomness for the initialization (the global RNG is not
        used when it is given). Weights and biases are uniform in
        ``[-bound, bound]`` with scikit-learn's ``MLPClassifier`` bound
        ``sqrt(6 / (fan_in + fan_out))``, ``sqrt(2 / (fan_in + fan_out))`` for
        the logistic activation.

    Examples
    --------
    >>> import torch
    >>> net = GrowingMLP([4, 0, 3], generator=torch.Generator().manual_seed(0))
    >>> net(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    >>> net.grow(0, torch.ones(2, 5), torch.ones(3, 2))
    >>> net.hidden_sizes
    [2]
    """

    def __init__(self, layer_sizes, *, activation="relu", generator=None):
        super().__init__()
        factor = get_activation(activation).glorot_factor
        layer_sizes = [int(size) for size in layer_sizes]
        if len(layer_sizes) < 2 or min(layer_sizes) < 0:
            raise ValueError(
                f"layer_sizes needs at least two non-negative widths, got {layer_sizes}"
            )
        self.activation = activation
        layers = []
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
            weight, bias = _initial(n_in, n_out, factor, generator)
            layers.append(_make_linear(weight, bias))
        self.layers = nn.ModuleList(layers)

    @classmethod
    def from_linear(cls, weight, bias, X, *, n_hidden=1, activation="relu"):
        """The network that computes the affine map ``X @ weight.T + bias``.

        Each hidden layer has one unit per output, kept in the linear range of
        its activation on the rows ``X``: for ``"relu"`` and ``"elu"`` a bias
        shift makes every pre-activation positive on ``X`` (with as much
        room again below the smallest one), so the map is exact there;
        ``"identity"`` is exact everywhere; ``"tanh"`` scales the
        pre-activations into ``[-0.01, 0.01]``, where it is linear to a
        relative ``1e-4``. A linear model thus becomes a growing network of
        the smallest width that holds it.

        Parameters
        ----------
        weight : torch.Tensor of shape (n_outputs, n_features)
        bias : torch.Tensor of shape (n_outputs,)
        X : torch.Tensor of shape (n_samples, n_features)
            Rows on which the map must be exact.
        n_hidden : int, default=1
            Number of hidden layers.
        activation : {"identity", "tanh", "relu", "elu"}, default="relu"

        Returns
        -------
        GrowingMLP

        Examples
        --------
        >>> import torch
        >>> X = torch.randn(20, 3, generator=torch.Generator().manual_seed(0))
        >>> W, b = torch.tensor([[1.0, -2.0, 0.5]]), torch.tensor([0.3])
        >>> net = GrowingMLP.from_linear(W, b, X)
        >>> net.hidden_sizes
        [1]
        >>> bool(torch.allclose(net(X), X @ W.T + b, atol=1e-5))
        True
        """
        linear_range = get_activation(activation).linear_range
        if linear_range is None:
            raise ValueError(
                f"no linear range to hold a linear map for activation {activation!r}"
            )
        weight = torch.as_tensor(weight, dtype=torch.float64)
        bias = torch.as_tensor(bias, dtype=torch.float64)
        z = torch.as_tensor(X, dtype=torch.float64) @ weight.T
        n_out = weight.shape[0]
        eye = torch.eye(n_out, dtype=torch.float64)
        scale, shift = 1.0, torch.zeros(n_out, dtype=torch.float64)
        if linear_range == "nonnegative":
            low, high = z.min(dim=0).values, z.max(dim=0).values
            shift = high - 2 * low + 1.0  # z + shift >= 1 + (high - low) on X
        elif linear_range == "near_zero":
            scale = 0.01 / max(float(z.abs().max()), 1e-12)
        layers = [_make_linear(scale * weight, scale * shift)]
        layers += [_make_linear(eye, 0 * shift) for _ in range(n_hidden - 1)]
        layers.append(_make_linear(eye / scale, bias - shift))
        sizes = [weight.shape[1], *[n_out] * n_hidden, n_out]
        # (its own generator: the global RNG is left alone)
        net = cls(sizes, activation=activation, generator=torch.Generator())
        net.layers = nn.ModuleList(layer.to(torch.float32) for layer in layers)
        return net

    @classmethod
    def mixture(cls, first, second, weight):
        """The network that computes ``weight * first(x) + (1 - weight) *
        second(x)``.

        Its hidden layers hold both networks' units side by side: the first
        layer stacks the two first layers' rows, each later hidden layer is
        block-diagonal (no unit of one network feeds the other's), and the
        output layer is ``[weight * W_first, (1 - weight) * W_second]`` with
        the biases mixed alike. Training may then fill the zero blocks.

        Parameters
        ----------
        first, second : GrowingMLP
            Networks of the same activation, number of hidden layers, inputs
            and outputs; ``second`` is moved to ``first``'s device and dtype.
        weight : float
            Weight of ``first``'s output.

        Returns
        -------
        GrowingMLP
            Hidden widths: the sums of the two networks' widths.

        Examples
        --------
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> a = GrowingMLP([3, 4, 2], generator=g)
        >>> b = GrowingMLP([3, 1, 2], generator=g)
        >>> net = GrowingMLP.mixture(a, b, 0.25)
        >>> net.hidden_sizes
        [5]
        >>> x = torch.randn(6, 3, generator=g)
        >>> bool(torch.allclose(net(x), 0.25 * a(x) + 0.75 * b(x), atol=1e-6))
        True
        """
        shapes = [
            (net.activation, len(net.layers), net.layers[0].in_features)
            + (net.layers[-1].out_features,)
            for net in (first, second)
        ]
        if shapes[0] != shapes[1]:
            raise ValueError(
                "networks to mix need the same activation, number of layers, "
                f"inputs and outputs; got (activation, layers, inputs, "
                f"outputs) {shapes[0]} and {shapes[1]}"
            )
        like = dict(dtype=first.layers[0].weight.dtype)
        like["device"] = first.layers[0].weight.device
        last = len(first.layers) - 1
        layers = []
        with torch.no_grad():
            for k, (a, b) in enumerate(zip(first.layers, second.layers, strict=True)):
                wa, ba = a.weight.detach(), a.bias.detach()
                wb, bb = b.weight.detach().to(**like), b.bias.detach().to(**like)
                if k == last:
                    w = torch.cat([weight * wa, (1 - weight) * wb], dim=1)
                    bias = weight * ba + (1 - weight) * bb
                else:
                    w = torch.cat([wa, wb]) if k == 0 else torch.block_diag(wa, wb)
                    bias = torch.cat([ba, bb])
                layers.append(_make_linear(w, bias))
        widths = zip(first.hidden_sizes, second.hidden_sizes, strict=True)
        sizes = [shapes[0][2], *(p + q for p, q in widths), shapes[0][3]]
        net = cls(sizes, activation=first.activation, generator=torch.Generator())
        net.layers = nn.ModuleList(layers)
        return net

    def forward(self, x):
        act = ACTIVATIONS[self.activation]
        *hidden, last = self.layers
        for layer in hidden:
            x = act(layer(x))
        return last(x)

    def forward_with_l2(self, x):
        """Output and the sum of squared weights (biases excluded)."""
        l2 = sum(layer.weight.square().sum() for layer in self.layers)
        return self(x), l2

    def loss_and_backward(self, x, loss_and_gradient, alpha=0.0):
        """Loss of a batch, and the gradients of the trainable parameters,
        by a hand-written backward pass (``dW = g^T h + (alpha / n) W``,
        ``db = sum(g)``): the contract of :meth:`SpectralMLP.loss_and_backward
        <sklearn_spectral.nn.SpectralMLP.loss_and_backward>`, which
        :class:`~sklearn_spectral.train.Trainer` uses when a module has it
        (on small batches autograd's bookkeeping costs more than the
        arithmetic)."""
        weights = [layer.weight for layer in self.layers]

        def weight_backward(k, d_weight):
            if weights[k].requires_grad:
                weights[k].grad = d_weight

        return self._stack_loss_and_backward(
            x, weights, loss_and_gradient, alpha, weight_backward
        )

    @staticmethod
    def _layer_weight(layer):
        return layer.weight

    def _cut_layer(self, k, kept):
        first, second = self.layers[k], self.layers[k + 1]
        set_parameter(first, "weight", first.weight[kept])
        set_parameter(first, "bias", first.bias[kept])
        set_parameter(second, "weight", second.weight[:, kept])
        first.out_features = second.in_features = kept.numel()

    def _check_hidden_index(self, hidden_index):
        n_hidden = len(self.layers) - 1
        if not 0 <= hidden_index < n_hidden:
            raise IndexError(
                f"hidden_index must be in [0, {n_hidden}), got {hidden_index}"
            )
        return int(hidden_index)

    def grow(self, hidden_index, fan_in, fan_out, optimizer=None):
        """Append ``K`` neurons to hidden layer ``hidden_index``.

        Parameters
        ----------
        hidden_index : int
            Which hidden layer (0-based) grows.
        fan_in : torch.Tensor of shape (K, d_in + 1)
            New rows of ``layers[hidden_index]``; the last column is the bias.
        fan_out : torch.Tensor of shape (d_out, K)
            New columns of ``layers[hidden_index + 1].weight``.
        optimizer : torch.optim.Optimizer, optional
            Optimizer over the module's parameters (e.g. ``Adam``, fused or
            not). The replaced Parameters are swapped in its ``param_groups``
            and their state is moved to the new ones: ``step`` is kept, every
            state tensor of the parameter's shape (``exp_avg``,
            ``exp_avg_sq``, ...) is padded with zeros for the new entries.
        """
        h = self._check_hidden_index(hidden_index)
        first, second = self.layers[h], self.layers[h + 1]
        like = dict(dtype=first.weight.dtype, device=first.weight.device)
        fan_in = torch.as_tensor(fan_in).detach().to(**like)
        fan_out = torch.as_tensor(fan_out).detach().to(**like)
        k = fan_in.shape[0]
        if fan_in.shape != (k, first.in_features + 1):
            raise ValueError(
                f"fan_in must have shape (K, {first.in_features + 1}), "
                f"got {tuple(fan_in.shape)}"
            )
        if fan_out.shape != (second.out_features, k):
            raise ValueError(
                f"fan_out must have shape ({second.out_features}, {k}), "
                f"got {tuple(fan_out.shape)}"
            )
        if k == 0:
            return
        weight = torch.cat([first.weight.detach(), fan_in[:, :-1]], dim=0)
        bias = torch.cat([first.bias.detach(), fan_in[:, -1]])
        weight_next = torch.cat([second.weight.detach(), fan_out], dim=1)
        _replace_parameter(first, "weight", weight, 0, optimizer)
        _replace_parameter(first, "bias", bias, 0, optimizer)
        _replace_parameter(second, "weight", weight_next, 1, optimizer)
        first.out_features += k
        second.in_features += k

    @torch.no_grad()
    def shrink_perturb(self, shrink, noise, generator=None):
        """Shrink every weight and bias towards zero and add fresh noise:
        ``theta <- shrink * theta + noise * theta_0``, ``theta_0`` a new draw
        of the initialization (Ash and Adams, "On Warm-Starting Neural
        Network Training", NeurIPS 2020). A network trained on from there
        generalizes like one trained from scratch while keeping part of
        what it learned.

        Parameters
        ----------
        shrink : float
            Factor on the current parameters.
        noise : float
            Factor on the fresh initialization added to them.
        generator : torch.Generator, optional
            Source of the fresh initialization.

        Examples
        --------
        >>> import torch
        >>> net = GrowingMLP([3, 2, 1], generator=torch.Generator().manual_seed(0))
        >>> before = net.layers[0].weight.clone()
        >>> net.shrink_perturb(0.5, 0.0)
        >>> torch.equal(net.layers[0].weight, 0.5 * before)
        True
        """
        factor = get_activation(self.activation).glorot_factor
        for layer in self.layers:
            weight, bias = _initial(
                layer.in_features, layer.out_features, factor, generator
            )
            layer.weight.mul_(shrink).add_(noise * weight.to(layer.weight))
            layer.bias.mul_(shrink).add_(noise * bias.to(layer.bias))

    def add_hidden_layer(self):
        """Insert a hidden layer after the last one, without changing the
        function.

        The new layer has one unit per unit of the last hidden layer and
        passes each on unchanged: identity weights, and for ``"elu"`` (whose
        outputs are at least -1) a bias of 1 that keeps every pre-activation
        in the linear range, taken back from the output layer's bias. The
        network's output is the same for every input (Net2DeeperNet, Chen,
        Goodfellow and Shlens, ICLR 2016); growth can then widen the new
        layer with neurons that combine the previous layer's nonlinear
        features.

        Raises
        ------
        ValueError
            For the ``"tanh"`` and ``"logistic"`` activations, which have no
            exact identity, or a network without hidden layers.

        Examples
        --------
        >>> import torch
        >>> net = GrowingMLP([3, 4, 2], generator=torch.Generator().manual_seed(0))
        >>> x = torch.randn(5, 3)
        >>> before = net(x)
        >>> net.add_hidden_layer()
        >>> net.hidden_sizes
        [4, 4]
        >>> bool(torch.allclose(net(x), before))
        True
        """
        shift = ACTIVATIONS[self.activation].identity_shift
        if shift is None:
            exact = sorted(
                name
                for name, act in ACTIVATIONS.items()
                if act.identity_shift is not None
            )
            raise ValueError(
                f"the {self.activation!r} activation has no exact identity; "
                f"a hidden layer can be added for {exact}"
            )
        if len(self.layers) < 2:
            raise ValueError("the network has no hidden layer to pass on")
        last = self.layers[-1]
        like = dict(dtype=last.weight.dtype, device=last.weight.device)
        width = last.in_features
        identity = _make_linear(
            torch.eye(width, **like), torch.full((width,), shift, **like)
        )
        with torch.no_grad():
            last.bias -= shift * last.weight.sum(dim=1)
        self.layers.insert(len(self.layers) - 1, identity)

    def update_layer(self, layer_index, delta):
        """Add ``delta`` (shape ``(d_out, d_in + 1)``, last column = bias) in place."""
        layer = self.layers[layer_index]
        delta = torch.as_tensor(delta).to(layer.weight)
        if delta.shape != (layer.out_features, layer.in_features + 1):
            raise ValueError(
                f"delta must have shape ({layer.out_features}, "
                f"{layer.in_features + 1}), got {tuple(delta.shape)}"
            )
        with torch.no_grad():
            layer.weight.add_(delta[:, :-1])
            layer.bias.add_(delta[:, -1])
