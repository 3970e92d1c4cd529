"""TINY growth as a trainer callback: widen hidden layers, add hidden layers.

:class:`Growth` is plugged into the training loop of
:class:`~sklearn_spectral.GrowingMLPClassifier` /
:class:`~sklearn_spectral.GrowingMLPRegressor` and, through an adapter, into a
skorch net (:class:`sklearn_spectral.integrations.skorch.GrowthCallback`): one
growth implementation for both. It reads its settings (``grow_every``,
``growth_threshold``, ...) and the loss and scores from ``spec``, an estimator
or an object with the same attributes, and acts on the network through
``trainer`` (``module``, ``optimizer``, ``epoch``, ``loss_curve``,
``progress``, ``replace_module``, ``set_training_data``).

Reference: Verbockhaven, Rudkiewicz, Chevallier, Charpiat, "Growing Tiny
Networks: Spotting Expressivity Bottlenecks and Fixing Them Optimally",
TMLR 2024; the added layer follows Chen, Goodfellow and Shlens,
"Net2Net", ICLR 2016.
"""

import copy
import math
import time

import numpy as np
import torch
from sklearn.base import is_classifier

from ..nn.activations import ACTIVATIONS
from ..nn.growing import GrowingMLP
from ..nn.growth_step import apply_growth, choose_growth, line_search
from .callback import Callback
from .linear_baseline import linear_network
from .trainer import evaluate

#: Largest amplitude the line search may pick. ``gamma = 1`` is the full
#: natural-gradient move (exact for a linear network); on load_digits, letting
#: it reach 16-64 fitted the training set faster but generalized worse (test
#: accuracy 0.966 against 0.980 with 1, 5 seeds).
MAX_GAMMA = 1.0


#: Growth steps in a row at which the held-out loss is no better than its
#: best before growth stops (and the best network is restored).
GROWTH_PATIENCE = 2

#: Standard errors by which a deeper network's held-out score must beat the
#: best shallower network's (per-row differences, paired: right or wrong
#: for classifiers, squared errors for regressors) for it to be kept: the
#: held-out loss, measured at every growth step, picks its minimum among
#: more candidates the longer growth goes on, and training alone lowers it
#: (on load_digits, deeper networks chosen without this test were no better
#: on fresh rows).
DEPTH_SIGNIFICANCE = 1.0

#: Rows the linear model growth compares with is fitted on at most (or
#: ``LINEAR_ROWS_PER_INPUT`` per input feature if that is more); when it is
#: kept it is refitted on every row. On 10^5 x 50 rows, fitting it on all of
#: them took 38 % of a 5-epoch fit and held a float64 copy of the rows.
LINEAR_ROWS = 20_000
LINEAR_ROWS_PER_INPUT = 50

#: Weights on the network of its mixtures with the linear model (hidden
#: units side by side) tried when the network wins the comparison with the
#: linear model: the one that does best on the held-out rows replaces it,
#: unless the network alone does, and trains on like the network would. On
#: the real-data benchmark (``benchmarks/bench_defaults.py``, seeds 0-3)
#: this lowered the regret of ``GrowingMLP*`` most on small regression sets.
MIXING_WEIGHTS = tuple(k / 10 for k in range(1, 10))

#: Share of the held-out rows trimmed from each end of the per-row
#: squared-error differences when a regressor's network is compared with
#: the linear model. A squared error is unbounded: on a few dozen held-out
#: rows, one row three standard deviations off decided the plain mean for
#: the linear model where the network was better on the other rows and on
#: fresh ones (ISLP's Boston in the real-data benchmark). Classifiers'
#: per-row scores (right or wrong) are bounded and averaged untrimmed.
LINEAR_COMPARISON_TRIM = 0.1


def trimmed_mean(values, weights=None, trim=0.0):
    """Mean of ``values`` (1-D tensor) without their lowest and highest
    ``trim`` share of the total weight.

    Weighted as copies: a value of weight ``k`` counts as ``k`` values, and
    a value that straddles a cut counts with the part of its weight inside;
    ``weights=None`` weighs every value 1. With ``trim=0`` it is the
    weighted mean.

    Examples
    --------
    >>> import torch
    >>> float(trimmed_mean(torch.tensor([0.0, 1.0, 2.0, 3.0, 100.0]), trim=0.2))
    2.0
    """
    if weights is None:
        weights = torch.ones_like(values)
    order = torch.argsort(values)
    values, weights = values[order], weights[order].to(values)
    upper = torch.cumsum(weights, 0)
    lower = upper - weights
    total = upper[-1]
    kept = torch.minimum(upper, (1 - trim) * total) - torch.maximum(lower, trim * total)
    kept = kept.clamp_min(0)
    return (kept * values).sum() / kept.sum()


def _has_weight(rows):
    """Whether ``(X, y, sample_weight)`` has a positive total weight."""
    return rows[2] is None or bool(rows[2].sum() > 0)


class Growth(Callback):
    """The trainer callback that grows the network every ``grow_every`` epochs.

    Growth decides on rows the network is not trained on (``held_out``: the
    validation set, or rows held back until growth stops): a neuron is added
    only if its first-order gain holds there too, the amplitude of a step is
    line-searched there, growth stops when the held-out loss stops improving,
    and the network with the best held-out loss seen at a growth step is
    restored when growth stops. Once training converges, the network is
    compared there with a linear model and replaced by it unless
    nonlinearity pays off, or mixed with it where that pays off; a kept
    network then trains on with the held-back rows (``rejoin``). When
    widening stops, a hidden layer may be added (``max_hidden_layers``);
    when growth stops for good before training ends, the network is shrunk
    and perturbed (``shrink_perturb``) and trains on from there.

    Parameters
    ----------
    spec : object
        The growth settings as attributes (``grow_every``,
        ``growth_threshold``, ``max_neurons_per_step``, ``max_hidden_units``,
        ``max_hidden_layers``, ``layer_selection``, ``growth_samples``,
        ``shrink_perturb``, ``tol``) and the mean loss
        ``_loss(output, target, sample_weight)``;
        the held-out decisions also use ``_score_tensor``, ``_row_scores``
        and ``_hidden_sizes()``: a growing estimator.
    data : types.SimpleNamespace
        Tensors ``(X, y, sample_weight)`` on the network's device: ``train``
        (the rows trained on), ``validation`` and ``held_out`` (rows to
        decide on, or ``None``), ``all`` (every row, for the last phase, or
        ``None``).
    generator : torch.Generator
        Draws the growth subsample.
    history : list of dict
        Receives one record per growth step (see ``growth_history_``).
    epoch_offset : int, default=0
        Epochs of earlier ``warm_start`` fits (records count along
        ``loss_curve_``).
    state : dict, optional
        For ``partial_fit``: the growth state of the earlier calls
        (:meth:`export_state`; ``{}`` for the first call). Every call is one
        epoch; a step runs every ``grow_every`` calls on the call's rows, the
        rows the first call held out (``held_out``) decide at every call, and
        the growth goes on in the next call instead of ending with the fit:
        no linear model is compared and no rows rejoin, growth stops only by
        its own rules.
    """

    #: What :meth:`export_state` keeps between ``partial_fit`` calls.
    _STATE = ("epochs", "stopped", "next_layer", "best_loss", "misses", "deepest")

    def __init__(self, spec, data, generator, history, epoch_offset=0, state=None):
        self.spec = spec
        # The training rows are read through ``data`` by index: growth
        # gathers a subsample, never a copy of all of them.
        self.data = data
        self.held_out = data.validation or data.held_out
        if self.held_out is not None and not _has_weight(self.held_out):
            self.held_out = None  # nothing to decide on: the training rows decide
        elif self.held_out is not None and self.held_out[2] is not None:
            X_ho, y_ho, w_ho = self.held_out  # weights of mean 1, as the loss takes
            self.held_out = X_ho, y_ho, w_ho * (len(w_ho) / w_ho.sum())
        self.rejoin = data.all
        self.generator = generator
        self.history = history
        self.n_previous = len(history)  # records of earlier (warm-start) fits
        # epochs of earlier warm-start fits: records count along loss_curve_
        self.epoch_offset = epoch_offset
        self.stopped = ""
        self.stopped_at = None
        self.next_layer = 0
        # best held-out loss at a growth step of the current depth
        self.best_loss = math.inf
        self.misses = 0  # growth steps since then
        # (held-out loss, epoch, copy of the network) at every growth step
        self.checkpoints = []
        self.decided = False  # whether the network was compared with a linear model
        self.deepest = 0  # hidden layers of the deepest network growth added
        self.rows = None  # the growth subsample, drawn once per fit
        self.input_s2 = [None]  # S2 and S2^{-1/2} of hidden layer 0 on those rows
        self.incremental = state is not None
        self.epochs = 0  # epochs of earlier partial_fit calls (the schedule)
        self.epochs_now = 0  # and of this one
        if state:
            for name in self._STATE:
                setattr(self, name, state[name])
            device, dtype = data.full[0].device, data.full[0].dtype
            self.checkpoints = [  # (copies: a failed call leaves the state whole)
                (loss, epoch, copy.deepcopy(module).to(device=device, dtype=dtype))
                for loss, epoch, module in state["checkpoints"]
            ]
            # The rows the first call held out decide at every call: losses
            # of different chunks would not compare.
            if state.get("held_out") is not None:
                self.held_out = tuple(
                    None
                    if t is None
                    else t.to(
                        device=device,
                        dtype=dtype if t.is_floating_point() else t.dtype,
                    )
                    for t in state["held_out"]
                )

    def export_state(self):
        """The growth state a next ``partial_fit`` call goes on from
        (picklable: the checkpoint networks and rows are CPU copies; once
        growth has stopped, only that it stopped)."""
        state = {name: getattr(self, name) for name in self._STATE}
        state["epochs"] = self.epochs + self.epochs_now
        state["checkpoints"] = []
        if self.stopped:
            return state
        if self.held_out is not None:
            state["held_out"] = tuple(
                None if t is None else t.cpu() for t in self.held_out
            )
        state["checkpoints"] = [
            (loss, epoch, copy.deepcopy(module).cpu())
            for loss, epoch, module in self.checkpoints
        ]
        return state

    def _loss(self, output, target, sample_weight=None):
        return self.spec._loss(output, target, sample_weight)

    def _epoch(self, trainer):
        """The trainer's epoch, counted along ``loss_curve_`` (1-based)."""
        return self.epoch_offset + trainer.epoch

    def _on_held_out(self, module, metric):
        """``metric(output, y, sample_weight)`` of ``module`` on the held-out
        rows (evaluation mode, no gradient)."""
        X, y, w = self.held_out
        output = evaluate(module, X)
        with torch.no_grad():
            return metric(output, y, w)

    def _held_out_loss(self, module):
        return float(self._on_held_out(module, self._loss))

    def on_rollback(self, trainer, epoch):
        """Forget this fit's growth after ``epoch``: the trainer went back to
        that epoch's model (an interrupt during a later epoch)."""
        last = self.epoch_offset + epoch
        mine = [h for h in self.history[self.n_previous :] if h["epoch"] <= last]
        del self.history[self.n_previous :]
        self.history.extend(mine)
        if self.stopped_at is not None and self.stopped_at > epoch:
            self.stopped, self.stopped_at = "", None
        self.checkpoints = [c for c in self.checkpoints if c[1] <= last]
        self.epochs_now = min(self.epochs_now, epoch)

    def on_plateau(self, trainer):
        """Training converged. While growing: stop growing, and go on if that
        restored an earlier network or added a hidden layer. After growth:
        decide once between the network and a linear model on the held-out
        rows, which neither was trained on; if the network stays, held-back
        rows rejoin training for a last phase. Whether training goes on."""
        if not self.stopped and self._stop("training converged", trainer):
            return True
        if self.decided:
            return False
        self.decided = True
        if self._keep_linear_if_as_good(trainer):
            return False
        if self.rejoin is not None:
            trainer.set_training_data(*self.rejoin)
            trainer.progress.message("Training goes on with the held-back rows")
            return True
        return False

    def on_fit_end(self, trainer):
        """At the end of training: a growth still going on is stopped (the
        best held-out network restored if it beats the last one) and, if
        not done at a plateau, the network is compared with a linear model.
        An interrupted fit keeps what it had."""
        if trainer.interrupted or self.incremental:
            return  # (under partial_fit, growth goes on in the next call)
        if not self.stopped:
            self._stop("max_iter reached while growing", trainer, deepen=False)
        if not self.decided:
            self.decided = True
            self._keep_linear_if_as_good(trainer)

    def _keep_linear_if_as_good(self, trainer):
        """Replace the network by a linear model fitted to the same rows if
        that scores as well on the held-out rows; whether it did. The
        replacement is fitted to every row (held-back ones included).

        Rows are compared paired: the weighted mean of the per-row score
        differences, for regressors with the ``LINEAR_COMPARISON_TRIM`` share
        of the weight trimmed from each end. A network that stays may be
        mixed with the linear model (:meth:`_mix_with_linear`)."""
        net = trainer.module
        if self.held_out is None or net.activation == "logistic":
            return False
        rows, subsampled = self._linear_rows(net)
        if not _has_weight(rows):
            return False  # (every weighted row held out: nothing to fit)
        models = []  # (the refit on every row starts from their solution)
        linear = linear_network(self.spec, *rows, net, models)
        if linear is None and subsampled:
            # A rare class (or label) missed the subsample: every row decides.
            rows, subsampled = self.data.train, False
            linear = linear_network(self.spec, *rows, net, models)
        if linear is None:
            return False
        trim = 0.0 if is_classifier(self.spec) else LINEAR_COMPARISON_TRIM
        if self._mean_difference(net, linear, trim) > 0:
            self._mix_with_linear(trainer, linear, rows, models)
            return False
        # (the scores for the message, of the linear model compared)
        linear_score = self._held_out_score(linear)
        net_score = self._held_out_score(net)
        if self.rejoin is not None or subsampled:
            every = self.data.train if self.rejoin is None else self.rejoin
            linear = linear_network(self.spec, *every, net, models) or linear
        trainer.replace_module(linear)
        self.stopped += (
            f"; a linear model scored {linear_score:.4f} on the held-out rows "
            f"against {net_score:.4f} for the network: kept as a network of "
            f"{linear.hidden_sizes[0]} hidden unit(s) per layer in their linear "
            "range"
        )
        return True

    def _mix_with_linear(self, trainer, linear, rows, models):
        """Replace the network by its mixture with the linear model,
        ``w * network + (1 - w) * linear`` (:meth:`GrowingMLP.mixture`), if
        a weight ``w < 1`` of ``MIXING_WEIGHTS`` does best on the held-out
        rows and the mixture's units fit in ``max_hidden_units``: for
        regressors, the largest trimmed mean per-row difference over the
        network (``LINEAR_COMPARISON_TRIM``, as in the comparison with the
        linear model); for classifiers, whose per-row scores (right or wrong)
        move in steps, the lowest held-out loss. The linear model (fitted to
        ``rows``) is taken to the network's depth."""
        net = trainer.module
        depth = len(net.hidden_sizes)
        if len(linear.hidden_sizes) != depth:
            linear = linear_network(self.spec, *rows, net, models, n_hidden=depth)
        cap = self.spec.max_hidden_units
        if cap is not None and sum(net.hidden_sizes) + sum(linear.hidden_sizes) > cap:
            return

        def cost(module):
            if is_classifier(self.spec):  # (right or wrong moves in steps)
                return self._held_out_loss(module)
            return -self._mean_difference(module, net, LINEAR_COMPARISON_TRIM)

        candidates = [(cost(net), 1.0, net)]
        for weight in MIXING_WEIGHTS:
            mixed = GrowingMLP.mixture(net, linear, weight)
            candidates.append((cost(mixed), weight, mixed))
        _, weight, mixed = min(candidates, key=lambda c: c[0])
        if mixed is net:
            return
        trainer.replace_module(mixed)
        self.stopped += (
            f"; mixed with a linear model, weight {weight:.1f} on the network "
            "(the weight that did best on the held-out rows)"
        )

    def _linear_rows(self, module):
        """The training rows the linear model is compared on, and whether
        they are a subsample: at most ``LINEAR_ROWS`` rows, or
        ``LINEAR_ROWS_PER_INPUT`` per input feature if that is more, drawn
        at random (seeded); a linear model of few coefficients reaches its
        held-out score on far fewer rows than a large table has."""
        n_rows = self.data.n_train
        cap = max(LINEAR_ROWS, LINEAR_ROWS_PER_INPUT * module.layers[0].in_features)
        if n_rows <= cap:
            return self.data.train, False
        generator = torch.Generator().manual_seed(self.generator.initial_seed())
        return self.data.sample_train(cap, generator), True

    def _held_out_score(self, module):
        return float(self._on_held_out(module, self.spec._score_tensor))

    def _held_out_row_scores(self, module):
        """Score of every held-out row: whether it is predicted right for
        classifiers, minus its squared error for regressors."""
        return self._on_held_out(
            module, lambda output, y, w: self.spec._row_scores(output, y)
        )

    def _score_differences(self, candidate, incumbent):
        """Per held-out row, the score of network ``candidate`` minus that
        of ``incumbent``, and the rows' weights (of mean 1; ``None`` for
        equal weights)."""
        diff = self._held_out_row_scores(candidate) - self._held_out_row_scores(
            incumbent
        )
        w = self.held_out[2]
        return diff, None if w is None else w.to(diff)

    def _mean_difference(self, candidate, incumbent, trim):
        """The weighted mean per-row score difference of network
        ``candidate`` over ``incumbent`` on the held-out rows
        (:meth:`_score_differences`), the ``trim`` share of the weight
        trimmed from each end (:func:`trimmed_mean`)."""
        diff, w = self._score_differences(candidate, incumbent)
        return float(trimmed_mean(diff, w, trim))

    def _significantly_better(self, candidate, incumbent):
        """Whether network ``candidate`` scores better than ``incumbent`` on
        the held-out rows by more than ``DEPTH_SIGNIFICANCE`` standard errors
        of the mean per-row difference (rows paired)."""
        diff, w = self._score_differences(candidate, incumbent)
        if w is not None:
            diff = diff * w
        n = diff.numel()
        if n < 2:
            return False
        error = float(diff.std()) / math.sqrt(n)
        return float(diff.mean()) > DEPTH_SIGNIFICANCE * error

    def _restore_best(self, trainer):
        """Put back the network of the lowest held-out loss seen at a growth
        step if it beats the current one; whether it did. A deeper network
        than the shallowest tried must beat the best shallower one
        significantly (:meth:`_significantly_better`): the held-out loss,
        measured at every growth step, picks its minimum among more
        candidates the longer growth goes on, and training alone lowers it."""
        if not self.checkpoints:
            return False
        current = self._held_out_loss(trainer.module)
        candidates = [
            *self.checkpoints,
            (current, self._epoch(trainer), trainer.module),
        ]
        best_by_depth = {}
        for candidate in candidates:
            depth = len(candidate[2].hidden_sizes)
            if depth not in best_by_depth or candidate[0] <= best_by_depth[depth][0]:
                best_by_depth[depth] = candidate
        depths = sorted(best_by_depth)
        chosen = best_by_depth[depths[0]]
        for depth in depths[1:]:
            deeper = best_by_depth[depth]
            if deeper[0] < chosen[0] and self._significantly_better(
                deeper[2], chosen[2]
            ):
                chosen = deeper
        loss, epoch, module = chosen
        if module is trainer.module:
            return False
        trainer.replace_module(module)
        self.stopped += (
            f"; restored the network of epoch {epoch} (hidden sizes "
            f"{tuple(module.hidden_sizes)}, held-out loss {loss:.4g} against "
            f"{current:.4g})"
        )
        return True

    def _stop(self, reason, trainer, deepen=True):
        """Stop widening: restore the best held-out network and, with
        ``deepen`` and room for another hidden layer, go on growing a deeper
        network; else stop growing, and with ``deepen`` (training goes on)
        shrink and perturb the network (:meth:`_shrink_perturb`) if at least
        as many epochs are left as this fit took (not under ``partial_fit``,
        nor with ``shrink_perturb=None``). Whether training goes on with
        another network."""
        self.stopped = reason
        self.stopped_at = trainer.epoch
        restored = self._restore_best(trainer)
        if deepen and self._deepen(trainer, reason):
            return True
        going_on = (
            deepen
            and not self.incremental
            and self.spec.shrink_perturb is not None
            # epochs left to retrain it: at least as many as growth took
            and self.spec.max_iter - trainer.epoch >= trainer.epoch
        )
        if going_on:
            self._shrink_perturb(trainer)
        trainer.progress.message(
            f"Growth stopped at epoch {self._epoch(trainer)}: {self.stopped}"
        )
        return going_on or restored

    def _shrink_perturb(self, trainer):
        """Shrink and perturb the network growth ended with (the spec's
        ``(shrink, noise)``, :meth:`GrowingMLP.shrink_perturb`) for training
        to go on from, with a new optimizer: a grown network is a chain of
        warm starts, and warm-started networks generalize worse than
        networks trained from scratch (Ash and Adams, NeurIPS 2020)."""
        shrink, noise = self.spec.shrink_perturb
        module = trainer.module
        # (its own seeded generator: the noise does not depend on how many
        # draws the rows took, so weight k fits as k copies of a row)
        generator = torch.Generator().manual_seed(self.generator.initial_seed())
        module.shrink_perturb(shrink, noise, generator)
        trainer.replace_module(module)
        self.stopped += (
            f"; weights shrunk by {shrink} and perturbed by {noise} of a fresh "
            "initialization for the training that follows"
        )

    def _deepen(self, trainer, reason):
        """Insert a hidden layer that passes the last one on unchanged
        (:meth:`GrowingMLP.add_hidden_layer`) and resume growth, if
        ``max_hidden_layers`` and ``max_hidden_units`` leave room and no
        network this deep was tried yet; whether it did. The deeper network
        grows for as long as its own held-out loss improves (the patience
        counts from its first step, not from the shallower network's best:
        its identity layer needs training before depth pays off), and when
        growth stops it stays only if it beats the best shallower network
        (:meth:`_restore_best`). Judged against the shallower best after
        two steps, a deeper network that would have paid off was at times
        rolled back to one hidden layer (ISLP's Bikeshare in the real-data
        benchmark)."""
        module = trainer.module
        depth = len(module.hidden_sizes)
        width = module.hidden_sizes[-1]
        cap = self.spec.max_hidden_units
        if (
            self.held_out is None  # nothing to judge a deeper network on
            or depth >= self.spec.max_hidden_layers
            or depth < self.deepest
            or ACTIVATIONS[module.activation].identity_shift is None
            or width == 0
            or (cap is not None and sum(module.hidden_sizes) + width > cap)
        ):
            return False
        deeper = copy.deepcopy(module)
        deeper.add_hidden_layer()
        trainer.replace_module(deeper)
        self.deepest = depth + 1
        self.stopped, self.stopped_at = "", None
        self.best_loss, self.misses = math.inf, 0
        self.next_layer = depth
        self._record(
            trainer,
            trainer.loss_curve[-1],
            layer=depth,
            neurons_added=width,
            status=f"hidden layer added ({reason})",
        )
        trainer.progress.message(
            f"Hidden layer {depth} added at epoch {self._epoch(trainer)} ({reason}): "
            f"widths {tuple(deeper.hidden_sizes)}"
        )
        return True

    def _record(self, trainer, loss, **fields):
        """Append this epoch's ``growth_history_`` record: no growth by
        default, ``fields`` set what the step found."""
        record = {
            "epoch": self._epoch(trainer),
            "layer": None,
            "neurons_added": 0,
            "singular_values": np.empty(0),
            "gamma": 0.0,
            "first_order_gain": 0.0,
            "neuron_gain": 0.0,
            "loss_before": loss,
            "loss_after": loss,
            "hidden_layer_sizes": tuple(trainer.module.hidden_sizes),
            "status": "",
            "seconds": 0.0,
            **fields,
        }
        self.history.append(record)
        return record

    def _skip(self, trainer, reason):
        """Record a growth step that could not be computed; training goes on
        and the next step tries again."""
        self._record(trainer, trainer.loss_curve[-1], status=f"skipped: {reason}")
        trainer.progress.message(
            f"Growth step skipped at epoch {self._epoch(trainer)}: {reason}"
        )

    def on_epoch_end(self, trainer):
        self.epochs_now = trainer.epoch
        # (under partial_fit, the epochs of every call count)
        if self.stopped or (self.epochs + trainer.epoch) % self.spec.grow_every:
            return
        start, n_records = time.perf_counter(), len(self.history)
        self._grow(trainer)
        if len(self.history) > n_records:  # the step's time on its first record
            self.history[n_records]["seconds"] = time.perf_counter() - start

    def _grow(self, trainer):
        est = self.spec
        module = trainer.module
        if self.held_out is not None:
            loss = self._held_out_loss(module)
            self.checkpoints.append((loss, self._epoch(trainer), copy.deepcopy(module)))
            if loss < self.best_loss - est.tol:
                self.best_loss = loss
                self.misses = 0
            else:
                self.misses += 1
                if self.misses >= GROWTH_PATIENCE:
                    return self._stop("the held-out loss stopped improving", trainer)
        capacity = (  # neurons the network may still take; None: no cap
            None
            if est.max_hidden_units is None
            else est.max_hidden_units - sum(module.hidden_sizes)
        )
        if capacity is not None and capacity <= 0:
            return self._stop("max_hidden_units reached", trainer, deepen=False)
        if self.rows is None:
            # The same rows at every step: hidden layer 0's S2 (the input
            # covariance) is then computed once.
            # Rows of weight 0 (or below float32's range) say nothing.
            self.rows = self.data.sample_train(est.growth_samples, self.generator)
        X, y, w = self.rows
        if X.shape[0] == 0:
            return self._stop(
                "no training row has a positive weight", trainer, deepen=False
            )

        n_hidden = len(module.hidden_sizes)
        if est.layer_selection == "round_robin":
            # Each layer in turn; one with nothing worth adding passes its turn.
            candidates = [(self.next_layer + i) % n_hidden for i in range(n_hidden)]
        else:
            candidates = range(n_hidden)
        try:
            choice = choose_growth(
                module,
                candidates,
                X,
                y,
                self._loss,
                growth_threshold=est.growth_threshold,
                max_neurons=est.max_neurons_per_step,
                capacity=capacity,
                first_passing=est.layer_selection == "round_robin",
                input_s2=self.input_s2,
                sample_weight=w,
                held_out=self.held_out,
            )
        except torch.linalg.LinAlgError as exc:
            return self._skip(trainer, f"the growth statistics are singular ({exc})")
        if choice is None:
            return self._skip(trainer, "the growth statistics are not finite")
        if est.layer_selection == "round_robin" and choice.n_neurons:
            self.next_layer = choice.layer + 1
        layer, stats, proposal = choice.layer, choice.stats, choice.proposal
        n_new = choice.n_neurons
        record = self._record(
            trainer,
            float(stats.loss),
            layer=layer,
            singular_values=proposal.singular_values.cpu().numpy(),
            first_order_gain=float(proposal.first_order_gain),
            neuron_gain=float(proposal.top(n_new).neuron_gain) if n_new else 0.0,
        )
        if n_new == 0 and choice.n_training:
            # Noise on the held-out rows, or a gain training will realize
            # anyway: the next step tries again.
            record["status"] = "skipped: no neuron pays off on the held-out rows"
            return
        if n_new == 0:
            record["status"] = "no singular value above growth_threshold"
            self._stop(record["status"], trainer)
            return
        # The amplitude that does best on the held-out rows, if any.
        X_ls, y_ls, w_ls = self.held_out or (X, y, w)
        gamma, loss_after, loss_before = line_search(
            module,
            layer,
            proposal,
            n_new,
            X_ls,
            y_ls,
            self._loss,
            gamma_max=MAX_GAMMA,
            sample_weight=w_ls,
        )
        if gamma <= 0 and self.held_out is not None:
            record["status"] = "skipped: the step does not pay off on the held-out rows"
            return
        if gamma <= 0:
            record["status"] = "line search rejected the step"
            self._stop(record["status"], trainer)
            return
        apply_growth(module, layer, proposal, gamma, n_new, trainer.optimizer)
        record.update(
            neurons_added=n_new,
            gamma=float(gamma),
            loss_before=float(loss_before),
            loss_after=float(loss_after),
            hidden_layer_sizes=tuple(module.hidden_sizes),
            status="grown",
        )
        trainer.progress.message(
            f"Growth at epoch {self._epoch(trainer)}: +{n_new} neurons in hidden layer "
            f"{layer}, widths {record['hidden_layer_sizes']}, loss "
            f"{record['loss_before']:.5f} -> {record['loss_after']:.5f}"
        )
