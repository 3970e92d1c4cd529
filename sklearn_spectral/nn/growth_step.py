"""One TINY growth step: choose the layer, line-search the amplitude, apply.

See :mod:`sklearn_spectral.nn.bottleneck` for the statistics and proposals
and their sign conventions.
"""

import math
from dataclasses import dataclass

import torch

from .activations import ACTIVATIONS
from .bottleneck import (
    GrowthProposal,
    GrowthStatistics,
    _as_inputs,
    _forward_from,
    _loss,
    _prefix,
    growth_statistics,
    inverse_sqrt,
    propose_growth,
)
from .growing import _with_ones


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
    >>> from sklearn_spectral.nn import GrowingMLP
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
    >>> from sklearn_spectral.nn import GrowingMLP
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
