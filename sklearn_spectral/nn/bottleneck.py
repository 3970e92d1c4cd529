"""The expressivity bottleneck of TINY (Verbockhaven et al., TMLR 2024): the
growth statistics of a hidden layer and the best move and neurons they give.

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

from dataclasses import dataclass, replace

import torch

from .activations import ACTIVATIONS
from .growing import _with_ones


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
    >>> from sklearn_spectral.nn import GrowingMLP
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
    >>> from sklearn_spectral.nn import GrowingMLP
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
