"""Growing networks with TINY (Verbockhaven et al., TMLR 2024).

Notation: ``b_0(x) = (x, 1)``, ``a_l = W_l b_{l-1}``, ``b_l = (sigma(a_l), 1)``.
Growing hidden layer ``h`` (0-based index of the hidden layers) adds neurons
between ``layers[h]`` and ``layers[h + 1]``: rows of ``layers[h]`` (fan-in
``alpha_k`` over ``b_{l-2}``, the input of ``layers[h]`` with a 1 appended)
and columns of ``layers[h + 1]`` (fan-out ``omega_k``). For that pair
``b_{l-1}`` is the input of ``layers[h + 1]`` with a 1 appended, ``a_l`` the
output of ``layers[h + 1]`` and ``g = d loss_i / d a_l`` the per-sample gradient.

One growth step:

1. :func:`growth_statistics`: the second moments ``S1, M, S2, M2, C`` (one
   pass, chunked, float64).
2. :func:`propose_growth`: the best move ``delta`` of ``layers[h + 1]`` and the
   best neurons (SVD of ``S2^{-1/2} N``).
3. :func:`line_search`: the amplitude ``gamma`` (Armijo backtracking).
4. :func:`apply_growth`: ``W <- W + gamma * delta`` and the new neurons with
   fan-in ``sqrt(gamma) alpha_k`` and fan-out ``sqrt(gamma) omega_k``; the
   optimizer state of the old entries is kept.

Sign conventions (checked numerically in ``tests/test_growing_nn.py``), with
``v_goal = -g`` and ``S1^+`` the pseudo-inverse of ``S1``:

* ``delta = -(S1^+ M)^T``: adding ``gamma * delta`` decreases the loss by
  ``gamma * tr(M^T S1^+ M)`` to first order;
* ``N = <b_{l-2} v_proj^T> = -M2 - C delta^T = -M2 + C S1^+ M`` with
  ``v_proj = v_goal - delta b_{l-1}``;
* the new neurons change ``a_l`` by ``gamma sigma'(0) sum_k omega_k alpha_k^T
  b_{l-2}`` to first order, which decreases the loss by ``gamma sigma'(0)
  sum_k (-alpha_k^T M2 omega_k)``. For a network that is linear up to ``a_l``
  this is exactly ``gamma sum_k lambda_k^2``; otherwise the two differ by the
  cross term ``alpha_k^T C delta^T omega_k`` (the sequential solution is not
  the joint optimum), which :attr:`GrowthProposal.neuron_first_order` includes.
  In the Gauss-Newton model ``L0 - gamma <v_goal, V> + gamma^2 ||V||^2 / 2`` the
  cross term cancels at ``gamma = 1``, where the neurons gain exactly
  ``sum_k lambda_k^2 / 2``.
"""

import math
from dataclasses import dataclass, replace

import torch
from torch import nn

from .activations import ACTIVATIONS, get_activation

_STATE_NOT_PADDED = ("step",)


def _make_linear(weight, bias):
    """``nn.Linear`` holding ``weight`` and ``bias``, without touching any RNG."""
    layer = nn.Linear(1, 1, device="meta")
    layer.weight = nn.Parameter(weight)
    layer.bias = nn.Parameter(bias)
    layer.out_features, layer.in_features = weight.shape
    return layer


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


class GrowingMLP(nn.Module):
    """Feed-forward network whose hidden layers can be widened in place.

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
            bound = math.sqrt(factor / (n_in + n_out)) if n_in + n_out else 0.0
            weight = torch.empty(n_out, n_in).uniform_(
                -bound, bound, generator=generator
            )
            bias = torch.empty(n_out).uniform_(-bound, bound, generator=generator)
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

    @property
    def hidden_sizes(self):
        """Widths of the hidden layers."""
        return [layer.weight.shape[0] for layer in self.layers[:-1]]

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


def _forward_from(module, layer_index, a):
    """Output of ``module`` from pre-activation ``a`` of ``layers[layer_index]``."""
    act = ACTIVATIONS[module.activation]
    for layer in module.layers[layer_index + 1 :]:
        a = layer(act(a))
    return a


def _prefix(module, h, x):
    """Input ``z`` of ``layers[h]``, hidden output ``sigma(a_h)`` and ``a_{h+1}``."""
    act = ACTIVATIONS[module.activation]
    for layer in module.layers[:h]:
        x = act(layer(x))
    hidden = act(module.layers[h](x))
    return x, hidden, module.layers[h + 1](hidden)


def _as_inputs(module, X, y, sample_weight=None):
    weight = module.layers[0].weight
    X = torch.as_tensor(X).to(dtype=weight.dtype, device=weight.device)
    y = torch.as_tensor(y).to(device=weight.device)
    if X.shape[0] == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y need the same number (> 0) of rows, got {X.shape}")
    if sample_weight is not None:
        sample_weight = torch.as_tensor(sample_weight).to(weight)
        if sample_weight.shape != (X.shape[0],) or not sample_weight.sum() > 0:
            raise ValueError(
                "sample_weight needs one non-negative weight per row and a "
                f"positive sum, got shape {tuple(sample_weight.shape)}"
            )
        # Mean 1 over these rows: mean(w * loss) is then the weighted mean.
        sample_weight = sample_weight * (X.shape[0] / sample_weight.sum())
    return X, y, sample_weight


def _loss(loss_fn, output, y, sample_weight):
    """``loss_fn`` of the rows, weighted when ``sample_weight`` is given."""
    if sample_weight is None:
        return loss_fn(output, y)
    return loss_fn(output, y, sample_weight)


@dataclass(frozen=True)
class GrowthStatistics:
    """Second moments for growing one hidden layer (means over ``n`` rows, float64).

    Attributes
    ----------
    S1 : (d1 + 1, d1 + 1) ``<b_{l-1} b_{l-1}^T>``
    M : (d1 + 1, d_out) ``<b_{l-1} g^T>``
    S2 : (d2 + 1, d2 + 1) ``<b_{l-2} b_{l-2}^T>``
    M2 : (d2 + 1, d_out) ``<b_{l-2} g^T>``
    C : (d2 + 1, d1 + 1) ``<b_{l-2} b_{l-1}^T>``
    n : int, number of rows.
    loss : float, mean loss over the rows.
    hidden_index : int
    activation : str
    """

    S1: torch.Tensor
    M: torch.Tensor
    S2: torch.Tensor
    M2: torch.Tensor
    C: torch.Tensor
    n: int
    loss: float
    hidden_index: int
    activation: str


def growth_statistics(
    module,
    hidden_index,
    X,
    y,
    loss_fn,
    *,
    chunk_size=4096,
    S2=None,
    sample_weight=None,
):
    """Collect the TINY statistics of hidden layer ``hidden_index`` in one pass.

    Parameters
    ----------
    module : GrowingMLP
    hidden_index : int
        Hidden layer (0-based) that would grow.
    X : torch.Tensor of shape (n, n_features)
        Rows to estimate on (a subsample, e.g. at most 4096 rows).
    y : torch.Tensor
        Targets, as ``loss_fn`` takes them.
    loss_fn : callable
        ``loss_fn(output, target)`` must return the **mean over the rows** of a
        per-row loss ``loss_i`` (``F.cross_entropy``, ``F.mse_loss``, ... with
        their default ``reduction="mean"``). Internally it is multiplied by
        the chunk's row count, so that ``g_i = d loss_i / d a_l`` is the per-row
        gradient. Rows must not interact (no batch statistics).
    chunk_size : int, default=4096
        Rows per forward pass; memory is ``O(chunk_size * width + width^2)``
        and the result does not depend on it (up to rounding).
    S2 : torch.Tensor, optional
        ``S2`` of these rows when already known, to skip its accumulation:
        for hidden layer 0 it is the covariance of the inputs, which does not
        change between growth steps on the same rows (on MNIST-5k, 785 x 785
        and the dearest part of a step).
    sample_weight : torch.Tensor of shape (n,), optional
        Row weights. The moments become weighted means (a row of weight 0
        changes nothing) and ``loss_fn`` is called as
        ``loss_fn(output, target, sample_weight)``, returning the mean over
        the rows of ``sample_weight_i * loss_i``.

    Returns
    -------
    GrowthStatistics

    Examples
    --------
    >>> import torch
    >>> from torch.nn import functional as F
    >>> net = GrowingMLP([3, 1, 2], generator=torch.Generator().manual_seed(0))
    >>> X, y = torch.randn(10, 3), torch.randint(0, 2, (10,))
    >>> stats = growth_statistics(net, 0, X, y, F.cross_entropy)
    >>> stats.S1.shape, stats.M.shape, stats.S2.shape, stats.C.shape
    (torch.Size([2, 2]), torch.Size([2, 2]), torch.Size([4, 4]), torch.Size([4, 2]))
    """
    h = module._check_hidden_index(hidden_index)
    X, y, w = _as_inputs(module, X, y, sample_weight)
    n = X.shape[0]
    d2 = module.layers[h].in_features + 1
    d1 = module.layers[h].out_features + 1
    d_out = module.layers[h + 1].out_features
    f64 = dict(dtype=torch.float64, device=X.device)
    S1, M = torch.zeros(d1, d1, **f64), torch.zeros(d1, d_out, **f64)
    known_S2 = S2
    S2, M2 = torch.zeros(d2, d2, **f64), torch.zeros(d2, d_out, **f64)
    C = torch.zeros(d2, d1, **f64)
    loss_sum = 0.0
    for start in range(0, n, chunk_size):
        rows = slice(start, start + chunk_size)
        xb, yb = X[rows], y[rows]
        wb = None if w is None else w[rows]
        with torch.no_grad():
            z, hidden, a = _prefix(module, h, xb)
        a = a.detach().requires_grad_(True)
        with torch.enable_grad():
            # Sum over the rows: g is the per-row gradient (times its weight).
            loss = _loss(loss_fn, _forward_from(module, h + 1, a), yb, wb)
            loss = loss * xb.shape[0]
            (g,) = torch.autograd.grad(loss, a)
        b2 = _with_ones(z).to(torch.float64)
        b1 = _with_ones(hidden).to(torch.float64)
        g = g.to(torch.float64)
        # Weighted rows for the moments that g does not already weight.
        b2w, b1w = (b2, b1) if wb is None else (b2 * wb[:, None], b1 * wb[:, None])
        S1 += b1w.T @ b1
        M += b1.T @ g
        if known_S2 is None:
            S2 += b2w.T @ b2
        M2 += b2.T @ g
        C += b2w.T @ b1
        loss_sum += float(loss.detach())
    return GrowthStatistics(
        S1=S1 / n,
        M=M / n,
        S2=S2 / n if known_S2 is None else known_S2,
        M2=M2 / n,
        C=C / n,
        n=n,
        loss=loss_sum / n,
        hidden_index=h,
        activation=module.activation,
    )


@dataclass(frozen=True)
class GrowthProposal:
    """Best update of ``layers[h + 1]`` and best new neurons of hidden layer ``h``.

    All tensors are float64.

    Attributes
    ----------
    delta : torch.Tensor of shape (d_out, d1 + 1)
        ``-(S1^+ M)^T`` (last column = bias): adding ``gamma * delta`` to
        ``layers[h + 1]`` decreases the loss by ``gamma * first_order_gain``
        to first order.
    first_order_gain : float
        ``tr(M^T S1^+ M)``.
    singular_values : torch.Tensor of shape (min(d2 + 1, d_out),)
        All ``lambda_k`` of ``S2^{-1/2} N``, descending.
    fan_in : torch.Tensor of shape (K, d2 + 1)
        ``alpha_k = sqrt(lambda_k) S2^{-1/2} u_k`` (last column = bias).
    fan_out : torch.Tensor of shape (d_out, K)
        ``omega_k = sqrt(lambda_k) v_k``.
    neuron_first_order : torch.Tensor of shape (K,)
        ``-alpha_k^T M2 omega_k``: first-order loss decrease per unit ``gamma``
        of neuron ``k`` for ``sigma'(0) = 1``; equals ``lambda_k^2`` when
        the network is linear up to ``a_l``.
    hidden_index : int
    activation : str
    """

    delta: torch.Tensor
    first_order_gain: float
    singular_values: torch.Tensor
    fan_in: torch.Tensor
    fan_out: torch.Tensor
    neuron_first_order: torch.Tensor
    hidden_index: int
    activation: str

    @property
    def n_neurons(self):
        """Number ``K`` of proposed neurons."""
        return self.fan_in.shape[0]

    @property
    def neuron_gain(self):
        """``sum_{k < K} lambda_k^2``: the part of the bottleneck the neurons remove."""
        return float(self.singular_values[: self.n_neurons].square().sum())

    def top(self, k):
        """The same proposal restricted to its first ``k`` neurons."""
        if not 0 <= k <= self.n_neurons:
            raise ValueError(f"k must be in [0, {self.n_neurons}], got {k}")
        return replace(
            self,
            fan_in=self.fan_in[:k],
            fan_out=self.fan_out[:, :k],
            neuron_first_order=self.neuron_first_order[:k],
        )

    def select(self, indices):
        """The same proposal restricted to the neurons ``indices``, in that order.

        ``singular_values`` is reordered alike (the selected ``lambda_k``
        first), so that :attr:`neuron_gain` stays the selected neurons' gain.
        """
        idx = torch.as_tensor(indices, dtype=torch.long)
        lam = self.singular_values
        rest = torch.ones(lam.numel(), dtype=torch.bool)
        rest[idx] = False
        return replace(
            self,
            singular_values=torch.cat([lam[idx], lam[rest]]),
            fan_in=self.fan_in[idx],
            fan_out=self.fan_out[:, idx],
            neuron_first_order=self.neuron_first_order[idx],
        )

    def held_out_gains(self, stats):
        """First-order loss decrease of each neuron on other rows, per unit ``gamma``.

        ``alpha_k^T N' omega_k`` with ``N' = -M2' - C' delta^T`` from the
        statistics ``stats`` of those rows (the same layer): what neuron
        ``k`` adds there to the move ``delta`` of the existing weights. On
        the rows the proposal was computed from it is ``lambda_k^2``.
        """
        N = -stats.M2 - stats.C @ self.delta.T
        return ((self.fan_in @ N) * self.fan_out.T).sum(dim=1)

    def count_above(self, threshold=0.0, relative_threshold=0.0):
        """Proposed neurons with ``lambda_k > max(threshold, rel * lambda_1)``."""
        lam = self.singular_values[: self.n_neurons]
        if lam.numel() == 0:
            return 0
        floor = max(float(threshold), float(relative_threshold) * float(lam[0]))
        return int((lam > floor).sum())

    def predicted_decrease(self, n_neurons=None):
        """First-order loss decrease per unit ``gamma`` of the move and ``n_neurons``.

        ``first_order_gain + sigma'(0) * sum_{k < n_neurons} neuron_first_order``
        with ``sigma'(0)`` from the activation's ``slope_at_zero`` (0.5 for ReLU,
        an approximation).
        """
        k = self.n_neurons if n_neurons is None else n_neurons
        slope = ACTIVATIONS[self.activation].slope_at_zero
        return self.first_order_gain + slope * float(self.neuron_first_order[:k].sum())


def inverse_sqrt(S, relative_floor=1e-6):
    """``(S^{-1/2}, rank)`` on the eigenvalues above ``relative_floor * max``.

    What :func:`propose_growth` computes for ``S2``; pass it back as
    ``s2_inverse_sqrt`` when ``S2`` does not change between growth steps.
    """
    return _symmetric_power(S, -0.5, relative_floor)


def _symmetric_power(S, power, relative_floor):
    """``S^power`` on the eigenvalues above ``relative_floor * max`` (0 elsewhere)."""
    evals, evecs = torch.linalg.eigh(S)
    top = evals.max() if evals.numel() else evals.new_zeros(())
    keep = evals > relative_floor * top if top > 0 else evals > 0
    Q = evecs[:, keep]
    return (Q * evals[keep].pow(power)) @ Q.T, int(keep.sum())


def propose_growth(
    stats, *, max_neurons=None, relative_floor=1e-6, s2_inverse_sqrt=None
):
    """Best move of the existing layer and best neurons from growth statistics.

    ``S1`` and ``S2`` are inverted (resp. inverse-square-rooted) through their
    eigendecomposition, dropping eigenvalues below ``relative_floor`` times
    the largest: the solve falls back to a pseudo-inverse for singular
    statistics (dead units, width 0, collinear inputs).

    Parameters
    ----------
    stats : GrowthStatistics
    max_neurons : int, optional
        Cap on the number ``K`` of proposed neurons. ``K`` is also at most
        ``min(d2 + 1, d_out)`` and the rank of ``S2``.
    relative_floor : float, default=1e-6
        Relative eigenvalue floor of ``S1`` and ``S2``.
    s2_inverse_sqrt : tuple, optional
        ``inverse_sqrt(stats.S2, relative_floor)`` when already computed.

    Returns
    -------
    GrowthProposal

    Examples
    --------
    >>> import torch
    >>> from torch.nn import functional as F
    >>> net = GrowingMLP([3, 1, 2], generator=torch.Generator().manual_seed(0))
    >>> X, y = torch.randn(10, 3), torch.randint(0, 2, (10,))
    >>> proposal = propose_growth(growth_statistics(net, 0, X, y, F.cross_entropy))
    >>> proposal.delta.shape, proposal.fan_in.shape, proposal.fan_out.shape
    (torch.Size([2, 2]), torch.Size([2, 4]), torch.Size([2, 2]))
    """
    S1_pinv, _ = _symmetric_power(stats.S1, -1.0, relative_floor)
    solution = S1_pinv @ stats.M
    delta = -solution.T
    first_order_gain = float((stats.M * solution).sum())
    N = -stats.M2 - stats.C @ delta.T
    if s2_inverse_sqrt is None:
        s2_inverse_sqrt = inverse_sqrt(stats.S2, relative_floor)
    S2_isqrt, rank = s2_inverse_sqrt
    U, lam, Vh = torch.linalg.svd(S2_isqrt @ N, full_matrices=False)
    k = min(lam.numel(), rank)
    if max_neurons is not None:
        k = min(k, int(max_neurons))
    root = lam[:k].sqrt()
    fan_in = (S2_isqrt @ U[:, :k] * root).T
    fan_out = Vh[:k].T * root
    neuron_first_order = -((fan_in @ stats.M2) * fan_out.T).sum(dim=1)
    return GrowthProposal(
        delta=delta,
        first_order_gain=first_order_gain,
        singular_values=lam,
        fan_in=fan_in,
        fan_out=fan_out,
        neuron_first_order=neuron_first_order,
        hidden_index=stats.hidden_index,
        activation=stats.activation,
    )


def _check_proposal(module, hidden_index, proposal, n_neurons):
    h = module._check_hidden_index(hidden_index)
    if proposal.hidden_index != h:
        raise ValueError(
            f"proposal is for hidden layer {proposal.hidden_index}, not {h}"
        )
    return h, proposal.top(n_neurons)


def apply_growth(module, hidden_index, proposal, gamma, n_neurons, optimizer=None):
    """Apply a growth step of amplitude ``gamma`` in place.

    ``layers[h + 1] += gamma * delta``, then the first ``n_neurons`` neurons
    are added with fan-in ``sqrt(gamma) alpha_k`` and fan-out
    ``sqrt(gamma) omega_k``; for activations with ``sigma(0) != 0``
    (logistic) ``sqrt(gamma) sigma(0) sum_k omega_k`` is subtracted from the
    bias of ``layers[h + 1]`` so that the function moves by ``O(gamma)``.
    ``gamma = 0`` (a rejected step) leaves the module unchanged.

    Parameters
    ----------
    module : GrowingMLP
    hidden_index : int
    proposal : GrowthProposal
    gamma : float
        Amplitude, e.g. from :func:`line_search`.
    n_neurons : int
        How many of the proposed neurons to add (the first ones).
    optimizer : torch.optim.Optimizer, optional
        See :meth:`GrowingMLP.grow`.

    Examples
    --------
    >>> import torch
    >>> from torch.nn import functional as F
    >>> net = GrowingMLP([3, 1, 2], generator=torch.Generator().manual_seed(0))
    >>> X, y = torch.randn(10, 3), torch.randint(0, 2, (10,))
    >>> proposal = propose_growth(growth_statistics(net, 0, X, y, F.cross_entropy))
    >>> apply_growth(net, 0, proposal, 0.1, 2)
    >>> net.hidden_sizes
    [3]
    """
    h, proposal = _check_proposal(module, hidden_index, proposal, n_neurons)
    gamma = float(gamma)
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    if gamma == 0:
        return
    module.update_layer(h + 1, gamma * proposal.delta)
    if n_neurons == 0:
        return
    root = math.sqrt(gamma)
    fan_out = root * proposal.fan_out
    module.grow(h, root * proposal.fan_in, fan_out, optimizer)
    sigma0 = ACTIVATIONS[module.activation].at_zero
    if sigma0:
        bias = module.layers[h + 1].bias
        with torch.no_grad():
            bias.sub_((sigma0 * fan_out.sum(dim=1)).to(bias))


def line_search(
    module,
    hidden_index,
    proposal,
    n_neurons,
    X,
    y,
    loss_fn,
    *,
    max_evals=8,
    armijo_c=1e-4,
    gamma_max=64.0,
    refine=True,
    sample_weight=None,
):
    """Amplitude of a growth step by Armijo backtracking on ``(X, y)``.

    Starts from ``gamma_0 = min(2 L(0) / G, gamma_max)`` with ``G`` the
    predicted first-order decrease
    (:meth:`GrowthProposal.predicted_decrease` of ``n_neurons``) and halves
    ``gamma`` until ``L(gamma) <= L(0) - armijo_c * gamma * G``; with
    ``refine`` it then keeps halving while the loss still decreases (an
    accepted ``gamma`` can overshoot the minimum). All within ``max_evals``
    evaluations; if none is accepted the step is rejected. The module is not
    modified: the layers before ``layers[h + 1]`` are evaluated once and
    ``L(gamma)`` is the exact loss :func:`apply_growth` would give.

    Parameters
    ----------
    module : GrowingMLP
    hidden_index : int
    proposal : GrowthProposal
    n_neurons : int
        How many of the proposed neurons the step adds.
    X, y : torch.Tensor
        Rows to evaluate the loss on (a subsample chosen by the caller).
    loss_fn : callable
        Mean loss over the rows, as in :func:`growth_statistics`.
    max_evals : int, default=8
        Evaluations of ``L(gamma)``, ``L(0)`` not counted.
    armijo_c : float, default=1e-4
        Sufficient-decrease constant (the usual Armijo value: any decrease of
        at least a tiny fraction of the prediction is accepted; the
        prediction is only approximate for ReLU).
    gamma_max : float, default=64.0
        Cap on ``gamma_0`` (``2 L(0) / G`` explodes when ``G`` is tiny).
        ``gamma = 1`` is the Gauss-Newton step of ``0.5 * ||output - y||^2``;
        on ``load_digits`` the best ``gamma`` for the cross-entropy was 16-64
        and ``2 L(0) / G`` was within a factor 2 of it.
    refine : bool, default=True
        Keep halving an accepted ``gamma`` while ``L`` decreases.
    sample_weight : torch.Tensor of shape (n,), optional
        Row weights, as in :func:`growth_statistics`.

    Returns
    -------
    gamma : float
        Accepted amplitude; 0.0 means reject (no decrease predicted or found).
    loss_gamma : float
        ``L(gamma)`` (``L(0)`` on rejection).
    loss_0 : float
        ``L(0)``.

    Examples
    --------
    >>> import torch
    >>> from torch.nn import functional as F
    >>> net = GrowingMLP([3, 1, 2], generator=torch.Generator().manual_seed(0))
    >>> X, y = torch.randn(10, 3), torch.randint(0, 2, (10,))
    >>> proposal = propose_growth(growth_statistics(net, 0, X, y, F.cross_entropy))
    >>> gamma, loss, loss0 = line_search(net, 0, proposal, 2, X, y, F.cross_entropy)
    >>> loss <= loss0
    True
    """
    h, proposal = _check_proposal(module, hidden_index, proposal, n_neurons)
    X, y, w = _as_inputs(module, X, y, sample_weight)
    act = ACTIVATIONS[module.activation]
    sigma0 = ACTIVATIONS[module.activation].at_zero
    with torch.no_grad():
        z, hidden, a = _prefix(module, h, X)
        loss0 = float(_loss(loss_fn, _forward_from(module, h + 1, a), y, w))
        gain = proposal.predicted_decrease()
        if not (math.isfinite(gain) and gain > 0 and loss0 > 0):
            return 0.0, loss0, loss0
        moved = _with_ones(hidden) @ proposal.delta.T.to(a)
        pre = _with_ones(z) @ proposal.fan_in.T.to(a)
        fan_out = proposal.fan_out.to(a)

        def loss_at(gamma):
            root = math.sqrt(gamma)
            a_gamma = a + gamma * moved
            if n_neurons:
                a_gamma = a_gamma + root * (act(root * pre) - sigma0) @ fan_out.T
            return float(_loss(loss_fn, _forward_from(module, h + 1, a_gamma), y, w))

        gamma = min(2.0 * loss0 / gain, float(gamma_max))
        best = None
        for _ in range(max_evals):
            loss = loss_at(gamma)
            if best is None:
                if loss <= loss0 - armijo_c * gamma * gain:
                    best = (gamma, loss)
                    if not refine:
                        break
            elif loss < best[1]:
                best = (gamma, loss)
            else:
                break
            gamma /= 2.0
    if best is None:
        return 0.0, loss0, loss0
    return best[0], best[1], loss0


@dataclass(frozen=True)
class GrowthChoice:
    """The hidden layer a growth step widens and what it would add."""

    layer: int
    stats: GrowthStatistics
    proposal: GrowthProposal
    n_neurons: int
    gain: float
    held_out_stats: GrowthStatistics | None = None
    #: Neurons passing on the training rows alone (with held-out rows).
    n_training: int | None = None


def choose_growth(
    module,
    layers,
    X,
    y,
    loss_fn,
    *,
    growth_threshold,
    max_neurons,
    capacity=None,
    first_passing=False,
    input_s2=None,
    sample_weight=None,
    held_out=None,
):
    """Pick the hidden layer to grow and how many neurons to add.

    For each candidate layer, neuron ``k`` passes when
    ``lambda_k^2 > growth_threshold * loss``; with ``held_out`` rows it must
    also pay off there: its first-order loss decrease on those rows
    (:meth:`GrowthProposal.held_out_gains`) must be positive (a small
    held-out set is too noisy for a finer test). The layer whose passing neurons
    (at most ``max_neurons`` and ``capacity``, the largest ``lambda_k``
    first) promise the largest first-order loss decrease is chosen, or the
    first layer with any passing neuron when ``first_passing``. The
    choice's proposal holds the passing neurons first.

    Parameters
    ----------
    module : GrowingMLP
    layers : iterable of int
        Candidate hidden layers, in order.
    X, y, loss_fn
        As for :func:`growth_statistics`.
    growth_threshold : float
    max_neurons : int
    capacity : int or None, default=None
        Most neurons the network may still take.
    first_passing : bool, default=False
        Stop at the first layer with a passing neuron (round robin).
    input_s2 : list, optional
        A one-slot cache ``[None]`` or ``[(S2, S2^{-1/2})]`` for hidden layer
        0, whose ``S2`` (the input covariance) does not change on the same
        rows; it is filled on first use.
    sample_weight : torch.Tensor, optional
        Weights of the rows ``X``, as in :func:`growth_statistics`.
    held_out : tuple, optional
        ``(X, y, sample_weight)`` of rows the network is not trained on
        (``sample_weight`` may be ``None``).

    Returns
    -------
    GrowthChoice or None
        With ``n_neurons == 0`` when no layer has a passing neuron; ``None``
        when no layer gave finite statistics (non-finite activations).
    """
    best = None
    for layer in layers:
        known = input_s2[0] if layer == 0 and input_s2 is not None else None
        stats = growth_statistics(
            module,
            layer,
            X,
            y,
            loss_fn,
            S2=None if known is None else known[0],
            sample_weight=sample_weight,
        )
        if layer == 0 and input_s2 is not None and known is None:
            known = input_s2[0] = (stats.S2, inverse_sqrt(stats.S2))
        proposal = propose_growth(
            stats,
            max_neurons=max_neurons,
            s2_inverse_sqrt=None if known is None else known[1],
        )
        lam = proposal.singular_values[: proposal.n_neurons]
        passing = lam.square() > growth_threshold * stats.loss
        n_training = None
        held_out_stats = None
        if held_out is not None:
            X_ho, y_ho, w_ho = held_out
            held_out_stats = growth_statistics(
                module, layer, X_ho, y_ho, loss_fn, sample_weight=w_ho
            )
            n_training = min(int(passing.sum()), max_neurons)
            passing &= proposal.held_out_gains(held_out_stats) > 0
        n_new = min(int(passing.sum()), max_neurons)
        if capacity is not None:
            n_new = int(min(n_new, capacity))
        # The passing neurons first, each group by decreasing lambda_k.
        order = torch.cat([passing.nonzero()[:, 0], (~passing).nonzero()[:, 0]])
        proposal = proposal.select(order)
        gain = float(proposal.predicted_decrease(n_new)) if n_new else 0.0
        if not (torch.isfinite(proposal.singular_values).all() and math.isfinite(gain)):
            continue  # a non-finite candidate must not block the others
        if best is None or gain > best.gain:
            best = GrowthChoice(
                layer, stats, proposal, n_new, gain, held_out_stats, n_training
            )
        if first_passing and n_new:
            break
    return best
