"""The one mini-batch trainer every estimator uses.

It slices pre-built tensors per batch (no ``DataLoader`` on the hot path), runs
Adam, tracks the loss curve and the validation score with the stopping rules
of :class:`sklearn.neural_network.MLPClassifier`, keeps the best and the last
finite state, and calls its callbacks (:class:`~sklearn_spectral.train.Callback`)
at named events, where growth, compaction, proximal steps and pruning plug in.
"""

import copy
import math
import warnings

import torch
from sklearn.exceptions import ConvergenceWarning

from .optim import Adam
from .progress import ProgressReport
from .snapshots import KeptModel

#: Rows per forward pass when a model is evaluated during training
#: (validation and held-out rows): it bounds the activations held at once
#: (10^4 validation rows through a NAS network of 100 hidden nodes held 14 MB
#: at once, 0.7x the 10^5-row X they came from).
EVAL_CHUNK = 4096


def evaluate(module, X):
    """``module``'s output on the rows ``X``: in evaluation mode, without
    gradients, ``EVAL_CHUNK`` rows at a time; the module is left in training
    mode."""
    module.eval()
    try:
        with torch.no_grad():
            if len(X) <= EVAL_CHUNK:
                return module(X)
            return torch.cat([module(chunk) for chunk in X.split(EVAL_CHUNK)])
    finally:
        module.train()


def make_adam(params, lr):
    """:class:`~sklearn_spectral.train.optim.Adam` over the trainable ``params``."""
    return Adam([p for p in params if p.requires_grad], lr=lr)


class Trainer:
    """Mini-batch training of a torch module with scikit-learn's stopping rules.

    Parameters
    ----------
    module : torch.nn.Module
        The network, already on its training device.
    loss_fn : callable
        ``loss_fn(output, target, sample_weight)`` returning the mean loss of
        the batch (a scalar tensor); ``sample_weight`` is ``None`` or the
        batch's weights, normalized to mean 1 over the data set, to be used as
        ``mean(sample_weight * per_sample_loss)``.
    loss_gradient_fn : callable, optional
        ``loss_gradient_fn(output, target, sample_weight)`` returning the
        batch loss of ``loss_fn`` and its gradient with respect to ``output``
        in closed form. Used for modules that back-propagate by hand (they
        have ``loss_and_backward``); without it, autograd differentiates
        ``loss_fn`` with respect to the output.
    score_fn : callable, optional
        ``score_fn(output, target, sample_weight)`` returning a Python float,
        higher is better; used on the validation set when one is given.
    alpha : float, default=0.0
        Strength of the L2 penalty. When positive, the module must provide
        ``forward_with_l2(X)`` returning the output and the sum of squared
        weights; the batch loss adds ``0.5 * alpha * l2 / batch_size``, as
        ``MLPClassifier`` does, where ``batch_size`` is the batch's raw
        weight sum ``weight_scale * sum(sample_weight)`` when there are
        sample weights.
    weight_scale : float, default=1.0
        The mean of the raw sample weights (``sample_weight`` has mean 1):
        with it, the L2 penalty of a batch is divided by the batch's raw
        weight sum, as ``MLPClassifier`` divides it, so that a row of weight
        ``k`` counts as ``k`` copies of the row and a row of weight 0 as none.
    learning_rate_init : float, default=1e-3
        Adam step size.
    batch_size : int, default=200
        Rows per mini-batch (clamped to the number of training rows).
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Minimum improvement of the training loss (or validation score) that
        resets the no-improvement counter. With a validation set, an epoch
        whose score ties the best one improves if its validation loss is
        lower by ``tol``, and the kept model is the best score's of lowest
        validation loss: accuracy on a few hundred rows is coarse and
        saturates, and ``MLPClassifier``'s rule (the first epoch of the best
        accuracy, stop ``n_iter_no_change`` epochs later) then keeps an
        underfit model.
    n_iter_no_change : int or float, default=10
        Epochs without an improvement of at least ``tol`` before stopping
        (``math.inf``: never; then no callback's plateau comes either).
    shuffle : bool, default=True
        Whether to reshuffle the rows every epoch.
    generator : torch.Generator, optional
        CPU generator for the shuffling (the global torch RNG is not used).
    callbacks : sequence of Callback, default=()
        The training policies (:class:`~sklearn_spectral.train.Callback`):
        each is called at every named event of the loop (after each
        optimizer step, after each epoch, at the stopping rule, at a
        rollback, at the end), and its ``penalty`` is added to the recorded
        loss. At the stopping rule, a callback may start a new phase; it
        starts from the best model (with a validation set) or the current
        one and stops on the training loss, whose best value starts afresh
        (the new objective trades fit for something else, so the validation
        score would stop it at once); with a validation set the best model
        of the new phase is kept.
    verbose : bool, default=False
        Report every epoch (:class:`~sklearn_spectral.train.ProgressReport`,
        the first callback): a tqdm progress bar when tqdm is installed, else
        one printed line per epoch.
    optimizer : torch.optim.Optimizer, optional
        Optimizer to continue with; by default a new :func:`make_adam`.
    keep_initial_state : bool, default=False
        Whether ``module`` starts as a trained model (warm start,
        fine-tuning): if training diverges or is interrupted before the
        first epoch ends, that model is kept instead of raising.
    warn_at_max_iter : bool, default=True
        Whether reaching ``max_iter`` warns that training has not converged
        (not for the single epoch of a ``partial_fit`` call).

    Attributes
    ----------
    loss_curve : list of float
        Mean training loss (penalty included) of every epoch.
    validation_scores : list of float
        Validation score of every epoch (empty without a validation set).
    best_loss : float
        Lowest training loss seen.
    best_validation_score : float or None
        Validation score of the kept model: the highest seen (since a
        callback last replaced the network), or the score of the network a
        callback put in place after the last epoch.
    n_iter : int
        Epochs run.
    epoch : int
        Epochs run, as seen by callbacks during :meth:`fit`.
    stop_reason : str
        Why training stopped.
    interrupted : bool
        Whether a ``KeyboardInterrupt`` stopped training.
    """

    def __init__(
        self,
        module,
        loss_fn,
        *,
        loss_gradient_fn=None,
        score_fn=None,
        alpha=0.0,
        weight_scale=1.0,
        learning_rate_init=1e-3,
        batch_size=200,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        shuffle=True,
        generator=None,
        callbacks=(),
        verbose=False,
        optimizer=None,
        keep_initial_state=False,
        warn_at_max_iter=True,
    ):
        self.module = module
        self.loss_fn = loss_fn
        self.loss_gradient_fn = loss_gradient_fn
        self.score_fn = score_fn
        self.alpha = alpha
        self.weight_scale = weight_scale
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.generator = generator
        self.verbose = verbose
        self.progress = ProgressReport(verbose, max_iter)
        self.callbacks = [self.progress, *callbacks]
        self.optimizer = optimizer or make_adam(module.parameters(), learning_rate_init)
        self.keep_initial_state = keep_initial_state
        self.warn_at_max_iter = warn_at_max_iter
        self.loss_curve = []
        self.validation_scores = []
        self._epoch_rows = []  # training rows of every completed epoch
        self.best_loss = math.inf
        self.best_validation_score = None
        self._best_val_loss = math.inf
        self.n_iter = 0
        self.stop_training = False
        self.stop_reason = ""
        self.interrupted = False

    @property
    def epoch(self):
        return self.n_iter

    @property
    def best_validation_loss(self):
        """Validation loss of the kept model (``inf`` before any)."""
        return self._best_val_loss

    def best_model(self):
        """A copy of the best validation model kept so far, or None without a
        validation set (:class:`~sklearn_spectral.train.snapshots.KeptModel`;
        ``restore`` puts it back)."""
        return None if self._best is None else copy.deepcopy(self._best)

    @property
    def n_samples_seen(self):
        """Training rows of the completed epochs (``MLPClassifier``'s ``t_``)."""
        return sum(self._epoch_rows)

    def reset_best(self):
        """Forget the best validation model: the current one becomes it and
        the next epoch's score is the best. A callback that replaced the
        network by its own decision (:meth:`replace_module`) or started a
        new phase calls this; a network that only grew does not (the best
        model is kept whole, and comes back at the end if no later one beats
        it, as ``MLPClassifier`` keeps its best)."""
        if self._best is not None:
            self._keep_best()
            self.best_validation_score = None
            self._best_val_loss = math.inf

    def _keep_best(self):
        """Keep the current model as the best validation model."""
        self._best.keep(self.module, self.n_iter)

    def _load_best(self):
        """Put the best validation model back (a network of other shapes
        with a new optimizer)."""
        module = self._best.restore(self.module)
        if module is not self.module:
            self.module = module
            self.optimizer = make_adam(module.parameters(), self.learning_rate_init)

    def set_training_data(self, X, y, sample_weight=None, rows=None):
        """Train on other rows from the next epoch on (a callback that held
        rows out for its own decisions gives them back); ``rows``: see
        :meth:`fit`. The training loss of the new rows starts its stopping
        rule afresh."""
        self._train_data = (X, y, sample_weight, rows)
        self.best_loss = math.inf
        self._no_improvement = 0

    def replace_module(self, module):
        """Continue with ``module`` (a callback restoring an earlier network,
        possibly of another shape), with a new optimizer. The training loss
        starts its stopping rule afresh: the best loss of another network
        says nothing about when this one has converged."""
        self.module = module
        self.optimizer = make_adam(module.parameters(), self.learning_rate_init)
        self.reset_best()
        self.best_loss = math.inf
        self._no_improvement = 0

    def _batch_alphas(self, w, order, batch_size):
        """The L2 strength of every batch of the epoch, scaled so that the
        penalty, divided by the batch's row count, is divided by its raw
        weight sum instead; ``None`` without weights or penalty. ``order``
        is the epoch's row order (``None``: as stored). One device-to-host
        transfer per epoch (not one per batch)."""
        if w is None or not self.alpha:
            return None
        if order is not None:
            w = w[order]
        n = w.shape[0]
        ends = torch.arange(batch_size, n + batch_size, batch_size, device=w.device)
        ends = ends.clamp_(max=n)
        totals = torch.cumsum(w, 0, dtype=torch.float64)[ends - 1]
        sums = torch.diff(totals, prepend=totals.new_zeros(1)).tolist()
        rows = torch.diff(ends, prepend=ends.new_zeros(1)).tolist()
        return [
            self.alpha * r / (t * self.weight_scale) if t > 0 else self.alpha
            for r, t in zip(rows, sums, strict=True)
        ]

    def _batch_loss(self, X, y, w, alpha):
        if alpha:
            output, l2 = self.module.forward_with_l2(X)
        else:
            output, l2 = self.module(X), None
        loss = self.loss_fn(output, y, w)
        if l2 is not None:
            loss = loss + 0.5 * alpha * l2 / X.shape[0]
        return loss

    def _loss_and_gradient(self, y, w):
        """``output -> (loss, d loss / d output)`` for the batch ``y, w``."""
        if self.loss_gradient_fn is not None:
            return lambda output: self.loss_gradient_fn(output, y, w)
        return lambda output: loss_and_gradient_by_autograd(self.loss_fn, output, y, w)

    def _run_epoch(self, X, y, w, rows):
        n = X.shape[0] if rows is None else rows.shape[0]
        module, optimizer = self.module, self.optimizer
        module.train()
        manual_backward = getattr(module, "loss_and_backward", None)
        order = rows  # the rows of the epoch in their order (None: as stored)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(X.device)
            if rows is not None:
                order = rows[order]
        batch_size = min(self.batch_size, n)
        alphas = self._batch_alphas(w, order, batch_size)
        # The batch losses go into one preallocated tensor: a list of
        # thousands of scalar tensors, alive while the batches' temporaries
        # come and go, fragmented the heap by tens of MB at 10^6 rows.
        losses = torch.empty(-(-n // batch_size), dtype=torch.float64, device=X.device)
        for start in range(0, n, batch_size):
            if order is not None:
                idx = order[start : start + batch_size]
                # (index_select: less overhead per call than X[idx])
                xb, yb = X.index_select(0, idx), y.index_select(0, idx)
                wb = None if w is None else w.index_select(0, idx)
            else:
                stop = start + batch_size
                xb, yb = X[start:stop], y[start:stop]
                wb = None if w is None else w[start:stop]
            alpha = self.alpha if alphas is None else alphas[start // batch_size]
            if manual_backward is not None:  # replaces every gradient
                loss = manual_backward(xb, self._loss_and_gradient(yb, wb), alpha)
            else:
                optimizer.zero_grad(set_to_none=True)
                loss = self._batch_loss(xb, yb, wb, alpha)
                loss.backward()
            optimizer.step()
            for callback in self.callbacks:
                callback.on_step_end(self)
            losses[start // batch_size] = loss.detach()
        # Mean over rows (every batch is full but the last one), with one
        # device-to-host transfer per epoch.
        *full, last = losses.tolist()
        loss = (math.fsum(full) * batch_size + last * (n - batch_size * len(full))) / n
        return loss

    def _validation_score(self, X_val, y_val, w_val):
        """Score and loss of the module on the validation rows."""
        output = evaluate(self.module, X_val)
        with torch.no_grad():
            score = float(self.score_fn(output, y_val, w_val))
            loss = float(self.loss_fn(output, y_val, w_val))
        return score, loss

    def fit(
        self,
        X,
        y,
        sample_weight=None,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
        *,
        rows=None,
    ):
        """Train ``module`` on tensors ``X``, ``y`` (already on its device).

        ``sample_weight`` must be normalized to mean 1 by the caller; the
        batch loss is then ``mean(sample_weight * loss)``. ``rows``, an
        index tensor on the same device, trains on those rows of ``X``
        only (the others are validation or held-out rows; batches are
        gathered from ``X`` and no copy of the training rows is made);
        ``None``: on every row.

        Raises
        ------
        FloatingPointError
            If the loss becomes non-finite in the first epoch (no finite state
            to fall back on). Later, training stops with a
            :class:`~sklearn.exceptions.ConvergenceWarning` and the last finite
            state is restored.
        KeyboardInterrupt
            If interrupted before the first epoch is complete. A later
            interrupt stops training like the stopping rules do, keeping the
            last complete epoch's model (the best one with a validation set),
            with a :class:`~sklearn.exceptions.ConvergenceWarning`.
        """
        early_stopping = X_val is not None
        self._train_data = (X, y, sample_weight, rows)
        self._best = KeptModel() if early_stopping else None
        if early_stopping:
            self._keep_best()
        self._last_good = KeptModel()
        self._new_phase = False
        if self.keep_initial_state:
            self._snapshot()
        self.stop_training = False
        for callback in self.callbacks:
            callback.on_fit_begin(self)
        try:
            try:
                self._epochs(X_val, y_val, sample_weight_val)
            except KeyboardInterrupt:
                if self._last_good.state is None:
                    raise  # no complete epoch: nothing worth keeping
                self._interrupted()
            if self._best is not None:
                self._load_best()
            for callback in self.callbacks:
                callback.on_fit_end(self)
            if early_stopping and self.best_validation_score is None:
                # a callback replaced the network after the last epoch (growth's
                # linear model): the score of what is kept
                self.best_validation_score, _ = self._validation_score(
                    X_val, y_val, sample_weight_val
                )
        finally:
            self.progress.close()
        return self

    def _epochs(self, X_val, y_val, sample_weight_val):
        early_stopping = X_val is not None
        self._no_improvement = 0
        for _ in range(self.max_iter):
            loss = self._run_epoch(*self._train_data) + self._penalty()
            if not math.isfinite(loss):
                self._diverged(loss)
                break
            self.n_iter += 1
            X, _, _, rows = self._train_data
            self._epoch_rows.append(X.shape[0] if rows is None else rows.shape[0])
            self.loss_curve.append(loss)
            if early_stopping:
                score, val_loss = self._validation_score(
                    X_val, y_val, sample_weight_val
                )
                self.validation_scores.append(score)
                best, best_val_loss = self.best_validation_score, self._best_val_loss
                # A tie in score (accuracy on few rows is coarse and
                # saturates) goes to the lower validation loss.
                if best is None or (score, -val_loss) > (best, -best_val_loss):
                    self.best_validation_score = score
                    self._best_val_loss = val_loss
                    self._keep_best()
            validation_decides = early_stopping and not self._new_phase
            if validation_decides:
                improved = (
                    best is None
                    or score >= best + self.tol
                    or (score >= best and val_loss <= best_val_loss - self.tol)
                )
            else:
                improved = loss <= self.best_loss - self.tol
            self._no_improvement = 0 if improved else self._no_improvement + 1
            self.best_loss = min(self.best_loss, loss)
            for callback in self.callbacks:
                callback.on_epoch_end(self)
            self._snapshot()
            if self.stop_training:
                self.stop_reason = self.stop_reason or "stopped by a callback"
                break
            if self._no_improvement > self.n_iter_no_change:
                if self._next_phase():
                    self._no_improvement = 0
                    continue
                what = "Validation score" if validation_decides else "Training loss"
                self.stop_reason = (
                    f"{what} did not improve more than tol={self.tol:f} for "
                    f"{self.n_iter_no_change} consecutive epochs."
                )
                self.progress.message(self.stop_reason + " Stopping.")
                break
        else:
            self.stop_reason = f"Maximum iterations ({self.max_iter}) reached"
            if not self.warn_at_max_iter:
                return
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _penalty(self):
        """The callbacks' penalties, for the recorded loss."""
        return sum(float(callback.penalty(self.module)) for callback in self.callbacks)

    def _next_phase(self):
        """At the stopping rule: whether a callback starts a new phase."""
        answers = [callback.on_plateau(self) for callback in self.callbacks]
        if not any(answers):
            return False
        self._new_phase = True  # from now on the training loss decides
        self.best_loss = math.inf
        if self._best is not None:
            self._load_best()
            self.reset_best()
        return True

    def _snapshot(self):
        """Keep the current model as the last good one (end of an epoch).

        The state is cloned every epoch; the module itself is copied only
        when its shapes changed (growth, pruning), so that an interrupt in
        the middle of a shape change can go back to a whole network.
        """
        self._last_good.keep(self.module, self.n_iter)

    def _restore_snapshot(self):
        """Go back to the last good model, forgetting the epochs after it."""
        # (a module copy when stopped inside a shape change)
        self.module = self._last_good.restore(self.module)
        kept = self._last_good.epoch
        if self._best is not None and self._best.epoch > kept:
            self._best = None  # taken in an epoch this rollback undid
        del self.loss_curve[kept:]
        del self.validation_scores[kept:]
        del self._epoch_rows[kept:]
        self.n_iter = kept
        self.best_loss = min(self.loss_curve, default=math.inf)
        for callback in self.callbacks:
            callback.on_rollback(self, kept)

    def _interrupted(self):
        """Stop at a ``KeyboardInterrupt``: keep the last complete epoch's
        model (or, with early stopping, the best one) and warn. An interrupt
        before the first complete epoch leaves nothing to keep and propagates;
        a second interrupt, during this clean-up or later, aborts the fit."""
        epoch = self.n_iter + 1 if self._last_good.epoch == self.n_iter else self.n_iter
        self._restore_snapshot()
        if self._best is not None:
            kept = "the best model so far"
        elif self.n_iter:
            kept = f"the model of epoch {self.n_iter}"
        else:
            kept = "the model training started from"
        self.interrupted = True
        self.stop_reason = (
            f"Training interrupted by the user (KeyboardInterrupt) during epoch "
            f"{epoch}; {kept} is kept."
        )
        self.progress.message(self.stop_reason)
        warnings.warn(self.stop_reason, ConvergenceWarning, stacklevel=3)

    def _diverged(self, loss):
        msg = (
            f"Training diverged at epoch {self.n_iter + 1}: the loss is {loss}. "
            "Lower learning_rate_init, standardize the inputs, or increase alpha."
        )
        if self._last_good.state is None:
            raise FloatingPointError(msg + " No finite model was reached.")
        self._restore_snapshot()
        # Adam moments are poisoned by the non-finite step: start them afresh.
        self.optimizer.state.clear()
        self.stop_reason = msg
        kept = (
            f"The model of epoch {self.n_iter}"
            if self.n_iter
            else "The model training started from"
        )
        warnings.warn(
            f"{msg} {kept} is kept.",
            ConvergenceWarning,
            stacklevel=4,
        )


def loss_and_gradient_by_autograd(loss_fn, output, *args):
    """``loss_fn(output, *args)`` and its gradient with respect to ``output``."""
    output = output.detach().requires_grad_()
    with torch.enable_grad():
        loss = loss_fn(output, *args)
    (grad,) = torch.autograd.grad(loss, output)
    return loss.detach(), grad
