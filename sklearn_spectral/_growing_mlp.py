"""GrowingMLPClassifier and GrowingMLPRegressor: networks that grow with TINY."""

import copy
import math
import time
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import is_classifier
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import (
    DEVICE_DOC,
    SHARED_ATTRIBUTES_DOC,
    SHARED_PARAMETERS_DOC,
    BaseTorchEstimator,
    TorchClassifierMixin,
    TorchRegressorMixin,
)
from .nn.growing import (
    IDENTITY_LAYER_SHIFT,
    GrowingMLP,
    apply_growth,
    choose_growth,
    line_search,
)

_PARAMETERS = (
    """
    Parameters
    ----------
    initial_hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(1,)
        Width of each hidden layer at the start. Their widths grow, and
        growth may add hidden layers up to ``max_hidden_layers``.
    growth_threshold : float, default=3e-4
        Which neurons are worth adding: neuron ``k`` of a growth step is added
        when its first-order loss decrease ``lambda_k^2`` (``lambda_k`` the
        singular values of the expressivity bottleneck) is at least
        ``growth_threshold`` times the current loss. Growth stops when no
        neuron passes. Higher values give smaller networks; this is the
        parameter to grid-search. The default was measured on load_digits,
        the breast cancer, wine and MNIST-5k sets (benchmarks/bench_growing.py):
        1e-3 grew digits to 0.980 with 3.1k parameters but MNIST-5k only to
        0.917, 3e-4 gave 0.979 and 0.928.
    max_hidden_units : int or None, default=None
        Cap on the total number of hidden neurons (``None``: no cap).
    max_hidden_layers : int, default=2
        Most hidden layers growth may reach. When widening stops paying off
        on the held-out rows, a hidden layer that passes the last one on
        unchanged is inserted and growth goes on; the deeper network is kept
        only if it lowers the held-out loss. A value at most
        ``len(initial_hidden_layer_sizes)`` keeps the depth fixed, as do the
        ``"tanh"`` and ``"logistic"`` activations (no exact identity).
    grow_every : int, default=3
        Epochs of training between two growth steps.
    max_neurons_per_step : int, default=16
        Most neurons added by one growth step.
    layer_selection : {"first_order", "round_robin"}, default="first_order"
        Which hidden layer a growth step widens: the one whose best neurons
        promise the largest first-order loss decrease, or each in turn.
    growth_samples : int, default=4096
        Rows (a random subsample) used to compute the growth statistics and to
        line-search the amplitude of the new neurons.
    activation : {"identity", "logistic", "tanh", "relu", "elu"}, default="relu"
        Activation of the hidden layers.
    alpha : float, default=1e-4
        L2 penalty on the weights, divided by the batch size as in
        ``MLPClassifier``.
    batch_size : int or "auto", default="auto"
        Rows per mini-batch; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate_init : float, default=3e-3
        Adam step size. Higher than ``MLPClassifier``'s 1e-3, chosen on the
        real-data suite (``benchmarks/bench_real_data.py``): the small
        networks growth keeps train slowly at 1e-3, and at their stopping
        rule often lost to a linear model on the held-out rows (make_friedman1
        most of all).
    max_iter : int, default=200
        Maximum number of epochs, growth phase included.
"""
    + SHARED_PARAMETERS_DOC
    + """    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows as a validation set: it
        makes the growth decisions (see Notes), stops training when the
        validation score stops improving, and the best network of the final
        phase is kept. Without it, the same share of rows is held back for
        the growth decisions only and rejoins training once they are made.
    validation_fraction : float, default=0.1
        Share of rows held out for the growth decisions (and, with
        ``early_stopping=True``, for stopping).
    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` before training stops.
"""
    + DEVICE_DOC
)

_ATTRIBUTES = (
    """
    hidden_layer_sizes_ : tuple of int
        The learned hidden widths (``initial_hidden_layer_sizes`` is left
        untouched).
    growth_history_ : list of dict
        One record per growth step: ``epoch`` (1-based, counted along
        ``loss_curve_``, earlier ``warm_start`` fits included), ``layer`` (hidden layer
        index), ``neurons_added``, ``singular_values`` (all ``lambda_k`` of
        that step), ``gamma`` (line-searched amplitude, 0 when rejected),
        ``first_order_gain`` (of the best update of the existing weights),
        ``neuron_gain`` (sum of ``lambda_k^2`` of the added neurons),
        ``loss_before`` and ``loss_after`` (on the growth subsample),
        ``hidden_layer_sizes`` after the step, ``status`` and ``seconds``
        (the step's wall time). ``status`` is ``"grown"``, the reason growth
        stopped, ``"hidden layer added (reason)"`` when growth inserted a
        hidden layer (``layer`` is its index, ``neurons_added`` its width),
        or ``"skipped: ..."`` when the statistics could not be used
        (singular or non-finite; ``layer`` is then ``None``), in which case
        training goes on and the next step tries again.
    growth_stop_reason_ : str
        Why growth stopped, and after a ``";"`` which earlier network was
        restored or whether a linear model replaced the network.
    coefs_ : list of ndarray
        Weights of every layer, shape ``(n_in, n_out)`` as in
        ``MLPClassifier``.
    intercepts_ : list of ndarray
        Bias of every layer after the input.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    loss_curve_ : list of float
        Training loss of every epoch.
    module_ : torch.nn.Module
        The fitted :class:`~sklearn_spectral.nn.GrowingMLP`, float64, on the
        CPU.
"""
    + SHARED_ATTRIBUTES_DOC
)

_NOTES = """
    Notes
    -----
    TINY (Verbockhaven, Rudkiewicz, Chevallier, Charpiat, TMLR 2024). Every
    ``grow_every`` epochs, on a subsample of ``growth_samples`` rows, the
    expressivity bottleneck of a hidden layer is measured: the part of the
    loss gradient (the desired change of the pre-activations of the next
    layer) that the best update of the existing weights cannot express. Its
    SVD gives the best neurons to add, each with its first-order loss decrease
    ``lambda_k^2``; the existing weights get their best update too, and a
    backtracking line search sets the amplitude ``gamma`` in ``(0, 1]``
    (larger amplitudes fitted the training set faster but generalized
    worse). Adam's state of the existing weights is kept; new entries start
    with zero moments.

    Growth decides on rows it does not train on: ``validation_fraction`` of
    the rows (the validation set with ``early_stopping``) are held out. A
    neuron is added only if its first-order loss decrease is positive on the
    held-out rows too, and the amplitude of a step is line-searched there;
    a step that does not pay off there is skipped. Growth stops when no
    neuron passes ``growth_threshold`` on the training rows, when the
    held-out loss measured at the growth steps has not improved for two
    steps in a row, when training converges, or at ``max_hidden_units``;
    the network of the best held-out loss is then put back.

    Widening a hidden layer only adds neurons that correlate with what the
    network misses through that layer's input; with one hidden layer that
    input is ``X`` itself. When widening stops (except at
    ``max_hidden_units`` or ``max_iter``), a hidden layer that passes the
    last one on unchanged is inserted (up to ``max_hidden_layers``), whose
    new neurons combine the previous layer's nonlinear features, and growth
    resumes. The deeper network is kept only if its held-out loss beats the
    best shallower network's by more than one standard error of the per-row
    differences; else that shallower network is put back. When training
    has converged, the network is compared on the held-out rows with a
    linear model fitted to the same rows (``LogisticRegression`` or
    ``RidgeCV``); unless the network scores better there, it is replaced by
    that linear model, held by one hidden unit per output in the linear
    range of its activation (the logistic activation has none, and keeps
    the network), and ``growth_stop_reason_`` says so. A kept network then
    trains on with the held-out rows (without ``early_stopping``) until its
    stopping rule.

    New neurons start with a small amplitude, where they act linearly on the
    layer's input: a bottleneck is seen only when what the network misses
    correlates (linearly) with that input. A target with no such correlation,
    such as ``sin(2 x_1) x_2`` on a symmetric domain, gives no growth from a
    tiny start; start wider or use a fixed-size network for it. With a
    single output, a step can add at most one neuron to the last hidden
    layer (the bottleneck's rank is at most the next layer's width).

    ``X`` is used as given: compose with a ``StandardScaler``.
"""


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


def _has_weight(rows):
    """Whether ``(X, y, sample_weight)`` has a positive total weight."""
    return rows[2] is None or bool(rows[2].sum() > 0)


class _Growth:
    """The trainer callback that grows the network every ``grow_every`` epochs.

    Growth decides on rows the network is not trained on (``held_out``: the
    validation set, or rows held back until growth stops): a neuron is added
    only if its first-order gain holds there too, the amplitude of a step is
    line-searched there, growth stops when the held-out loss stops improving,
    and the network with the best held-out loss seen at a growth step is
    restored when growth stops. Once training converges, the network is
    compared there with a linear model and replaced by it unless
    nonlinearity pays off; a kept network then trains on with the held-back
    rows (``rejoin``).
    """

    def __init__(self, estimator, data, generator, history, epoch_offset=0):
        self.est = estimator
        self.X, self.y, self.w = data.train
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
        self.best_loss = math.inf  # best held-out loss at a growth step
        self.misses = 0  # growth steps since then
        # (held-out loss, epoch, copy of the network) at every growth step
        self.checkpoints = []
        self.decided = False  # whether the network was compared with a linear model
        self.deepest = 0  # hidden layers of the deepest network growth added
        self.rows = None  # the growth subsample, drawn once per fit
        self.input_s2 = [None]  # S2 and S2^{-1/2} of hidden layer 0 on those rows

    def _loss(self, output, target, sample_weight=None):
        return self.est._loss(output, target, sample_weight)

    def _epoch(self, trainer):
        """The trainer's epoch, counted along ``loss_curve_`` (1-based)."""
        return self.epoch_offset + trainer.epoch

    def _on_held_out(self, module, metric):
        """``metric(output, y, sample_weight)`` of ``module`` on the held-out
        rows, as a float."""
        X, y, w = self.held_out
        module.eval()
        with torch.no_grad():
            value = float(metric(module(X), y, w))
        module.train()
        return value

    def _held_out_loss(self, module):
        return self._on_held_out(module, self._loss)

    def rollback(self, epoch):
        """Forget this fit's growth after ``epoch``: the trainer went back to
        that epoch's model (an interrupt during a later epoch)."""
        last = self.epoch_offset + epoch
        mine = [h for h in self.history[self.n_previous :] if h["epoch"] <= last]
        del self.history[self.n_previous :]
        self.history.extend(mine)
        if self.stopped_at is not None and self.stopped_at > epoch:
            self.stopped, self.stopped_at = "", None
        self.checkpoints = [c for c in self.checkpoints if c[1] <= last]

    def plateau(self, trainer):
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

    def finish(self, trainer):
        """At the end of training: a growth still going on is stopped (the
        best held-out network restored if it beats the last one) and, if
        not done at a plateau, the network is compared with a linear model."""
        if not self.stopped:
            self._stop("max_iter reached while growing", trainer, deepen=False)
        if not self.decided:
            self.decided = True
            self._keep_linear_if_as_good(trainer)

    def _linear_network(self, X, y, w, module):
        """The linear model a user tries first (``LogisticRegression`` or
        ``RidgeCV``, on the internal targets) fitted to these rows, as a
        network of ``module``'s activation and of the starting depth (the
        layers growth added are dropped); ``None`` if it cannot
        stand for the network (a class missing from the rows)."""
        X, y, w = (
            None if t is None else t.detach().cpu().double().numpy() for t in (X, y, w)
        )
        n_logits = module.layers[-1].out_features
        if is_classifier(self.est):
            y = y.astype(np.int64)
            n_classes = 2 if n_logits == 1 else n_logits
            if len(np.unique(y)) != n_classes:
                return None
            model = LogisticRegression(max_iter=1000)
        else:
            model = RidgeCV()
        model.fit(X, y, sample_weight=w)
        net = GrowingMLP.from_linear(
            np.atleast_2d(model.coef_),
            np.atleast_1d(model.intercept_),
            X,
            n_hidden=min(len(module.hidden_sizes), len(self.est._hidden_sizes())),
            activation=module.activation,
        )
        return net.to(module.layers[0].weight.device)

    def _keep_linear_if_as_good(self, trainer):
        """Replace the network by a linear model fitted to the same rows if
        that scores as well on the held-out rows; whether it did. The
        replacement is fitted to every row (held-back ones included)."""
        net = trainer.module
        if self.held_out is None or net.activation == "logistic":
            return False
        linear = self._linear_network(self.X, self.y, self.w, net)
        if linear is None:
            return False
        linear_score = self._held_out_score(linear)
        net_score = self._held_out_score(net)
        if linear_score < net_score:
            return False
        if self.rejoin is not None:
            linear = self._linear_network(*self.rejoin, net) or linear
        trainer.replace_module(linear)
        self.stopped += (
            f"; a linear model scored {linear_score:.4f} on the held-out rows "
            f"against {net_score:.4f} for the network: kept as a network of "
            f"{linear.hidden_sizes[0]} hidden unit(s) per layer in their linear "
            "range"
        )
        return True

    def _held_out_score(self, module):
        return self._on_held_out(module, self.est._score_tensor)

    def _held_out_row_scores(self, module):
        """Score of every held-out row (times its weight): whether it is
        predicted right for classifiers, minus its squared error for
        regressors."""
        X, y, w = self.held_out
        module.eval()
        with torch.no_grad():
            scores = self.est._row_scores(module(X), y)
        module.train()
        return scores if w is None else scores * w.to(scores)

    def _significantly_better(self, candidate, incumbent):
        """Whether network ``candidate`` scores better than ``incumbent`` on
        the held-out rows by more than ``DEPTH_SIGNIFICANCE`` standard errors
        of the mean per-row difference (rows paired)."""
        diff = self._held_out_row_scores(candidate) - self._held_out_row_scores(
            incumbent
        )
        n = diff.numel()
        if n < 2:
            return False
        error = float(diff.std()) / math.sqrt(n)
        return float(diff.mean()) > DEPTH_SIGNIFICANCE * error

    def _restore_best(self, trainer):
        """Put back the network of the lowest held-out loss seen at a growth
        step if it beats the current one; whether it did. A deeper network
        than the shallowest tried must beat the best shallower one
        significantly
        (:meth:`_significantly_better`): the held-out loss, measured at every
        growth step, picks its minimum among more candidates the longer
        growth goes on, and training alone lowers it."""
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
        network; else stop growing. Whether training goes on with another
        network."""
        self.stopped = reason
        self.stopped_at = trainer.epoch
        restored = self._restore_best(trainer)
        if deepen and self._deepen(trainer, reason):
            return True
        trainer.progress.message(
            f"Growth stopped at epoch {self._epoch(trainer)}: {self.stopped}"
        )
        return restored

    def _deepen(self, trainer, reason):
        """Insert a hidden layer that passes the last one on unchanged
        (:meth:`GrowingMLP.add_hidden_layer`) and resume growth, if
        ``max_hidden_layers`` and ``max_hidden_units`` leave room and no
        network this deep was tried yet; whether it did. The best held-out
        loss is kept: the deeper network stays only if growth in it lowers
        that loss, else the best network seen is restored when growth
        stops."""
        module = trainer.module
        depth = len(module.hidden_sizes)
        width = module.hidden_sizes[-1]
        cap = self.est.max_hidden_units
        if (
            self.held_out is None  # nothing to judge a deeper network on
            or depth >= self.est.max_hidden_layers
            or depth < self.deepest
            or module.activation not in IDENTITY_LAYER_SHIFT
            or width == 0
            or (cap is not None and sum(module.hidden_sizes) + width > cap)
        ):
            return False
        deeper = copy.deepcopy(module)
        deeper.add_hidden_layer()
        trainer.replace_module(deeper)
        self.deepest = depth + 1
        self.stopped, self.stopped_at = "", None
        self.misses = 0
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

    def __call__(self, trainer):
        if self.stopped or trainer.epoch % self.est.grow_every:
            return
        start = time.perf_counter()
        self._grow(trainer)
        if self.history and self.history[-1]["epoch"] == self._epoch(trainer):
            self.history[-1]["seconds"] = time.perf_counter() - start

    def _grow(self, trainer):
        est = self.est
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
            n = self.X.shape[0]
            idx = torch.randperm(n, generator=self.generator).to(self.X.device)
            if self.w is not None:
                idx = idx[self.w[idx] > 0]
            idx = idx[: est.growth_samples]
            w = None if self.w is None else self.w[idx]
            self.rows = self.X[idx], self.y[idx], w
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
        trainer.reset_best()
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


class _GrowingMLPMixin:
    """Network, growth hook and fitted attributes of the growing MLPs."""

    _parameter_constraints = {
        **{
            k: v
            for k, v in BaseTorchEstimator._parameter_constraints.items()
            if k != "hidden_layer_sizes"
        },
        "initial_hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 0, None, closed="left"),
        ],
        "growth_threshold": [Interval(Real, 0, None, closed="left")],
        "max_hidden_units": [Interval(Integral, 0, None, closed="left"), None],
        "max_hidden_layers": [Interval(Integral, 1, None, closed="left")],
        "grow_every": [Interval(Integral, 1, None, closed="left")],
        "max_neurons_per_step": [Interval(Integral, 1, None, closed="left")],
        "layer_selection": [StrOptions({"first_order", "round_robin"})],
        "growth_samples": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        initial_hidden_layer_sizes=(1,),
        *,
        growth_threshold=3e-4,
        max_hidden_units=None,
        max_hidden_layers=2,
        grow_every=3,
        max_neurons_per_step=16,
        layer_selection="first_order",
        growth_samples=4096,
        activation="relu",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=3e-3,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="auto",
    ):
        self.initial_hidden_layer_sizes = initial_hidden_layer_sizes
        self.growth_threshold = growth_threshold
        self.max_hidden_units = max_hidden_units
        self.max_hidden_layers = max_hidden_layers
        self.grow_every = grow_every
        self.max_neurons_per_step = max_neurons_per_step
        self.layer_selection = layer_selection
        self.growth_samples = growth_samples
        self.activation = activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device

    def _hidden_sizes(self):
        sizes = self.initial_hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not sizes or any(not isinstance(s, Integral) or s < 0 for s in sizes):
            raise ValueError(
                "initial_hidden_layer_sizes must hold one or more non-negative "
                f"integers, got {sizes}."
            )
        return sizes

    def _build_module(self, n_features, n_outputs, generator):
        return GrowingMLP(
            [n_features, *self._hidden_sizes(), n_outputs],
            activation=self.activation,
            generator=generator,
        )

    def _callback_holdout(self):
        return self.validation_fraction

    def _callbacks(self, data, generator):
        warm = self.warm_start and hasattr(self, "growth_history_")
        history = list(self.growth_history_) if warm else []
        offset = len(self.loss_curve_) if warm else 0
        self._growth = _Growth(self, data, generator, history, offset)
        return (self._growth,)

    def _finish_training(self, trainer):
        if not trainer.interrupted:  # an interrupted fit keeps what it had
            self._growth.finish(trainer)

    def _set_fitted_attributes(self):
        layers = self.module_.layers
        with torch.no_grad():
            self.coefs_ = [layer.weight.numpy().T.copy() for layer in layers]
            self.intercepts_ = [layer.bias.numpy().copy() for layer in layers]
        self.hidden_layer_sizes_ = tuple(self.module_.hidden_sizes)
        growth = self.__dict__.pop("_growth", None)
        if growth is not None:  # not when a pruner re-exports a pruned network
            self.growth_history_ = growth.history
            self.growth_stop_reason_ = growth.stopped
        self.n_layers_ = len(layers) + 1
        self.n_outputs_ = layers[-1].out_features


class GrowingMLPClassifier(TorchClassifierMixin, _GrowingMLPMixin, BaseTorchEstimator):
    __doc__ = (
        """Multi-layer perceptron classifier that grows its own hidden layers.

    Starts tiny and, every few epochs, adds the neurons that best fix the
    network's expressivity bottleneck (TINY), until no neuron is worth adding.
"""
        + _PARAMETERS
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
"""
        + _ATTRIBUTES
        + """
    See Also
    --------
    GrowingMLPRegressor : The same growth for regression.
    sklearn.neural_network.MLPClassifier : Fixed hidden sizes.
"""
        + _NOTES
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_spectral import GrowingMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = GrowingMLPClassifier(random_state=0, device="cpu").fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    >>> clf.hidden_layer_sizes_[0] > 1
    True
"""
    )


class GrowingMLPRegressor(TorchRegressorMixin, _GrowingMLPMixin, BaseTorchEstimator):
    __doc__ = (
        """Multi-layer perceptron regressor that grows its own hidden layers.

    Starts tiny and, every few epochs, adds the neurons that best fix the
    network's expressivity bottleneck (TINY), until no neuron is worth adding.
    ``y`` is standardized internally and predictions are returned in the
    original units.
"""
        + _PARAMETERS
        + """
    Attributes
    ----------
"""
        + _ATTRIBUTES
        + """
    See Also
    --------
    GrowingMLPClassifier : The same growth for classification.
    sklearn.neural_network.MLPRegressor : Fixed hidden sizes.
"""
        + _NOTES
        + """
    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_spectral import GrowingMLPRegressor
    >>> X, y = make_friedman1(500, noise=0.5, random_state=0)
    >>> X = StandardScaler().fit_transform(X)
    >>> reg = GrowingMLPRegressor(random_state=0, device="cpu").fit(X, y)
    >>> bool(reg.score(X, y) > 0.8)
    True
    >>> reg.hidden_layer_sizes_[0] > 1
    True
"""
    )
