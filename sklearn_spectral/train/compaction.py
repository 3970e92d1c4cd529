"""SPARCS's compaction phase as a trainer callback: after the search, a
group-L1 proximal step removes the nodes the network does not need (Peri,
Chicchi, Fanelli and Giambagli, "Spectral Architecture Search for Neural
Networks", arXiv:2504.00885; the proximal group step follows Yuan and Lin,
"Model selection and estimation in regression with grouped variables",
JRSS-B 68, 2006)."""

import math

import torch

from .callback import Callback

#: The compacted network is kept only if its validation loss is at most this
#: share above the searched network's; otherwise the searched one is restored.
#: A guard against a compaction that wrecks the network, not a fine
#: selection: with 0.05 it also undid compactions on small sets whose
#: validation split is too small to tell (Hitters, 27 validation rows: regret
#: +3.5 -> +5.1 points on the real-data suite); 0.25 kept them.
MAX_VALIDATION_LOSS_RISE = 0.25


class NodeCompaction(Callback):
    """The compaction phase of the NAS estimators (``node_l1``).

    A trainer callback for a
    :class:`~sklearn_spectral.nn.global_spectral.GlobalSpectralNetwork`.
    While the search runs it only counts its epochs; when the trainer's
    stopping rule is met for the first time
    (:meth:`on_plateau`), it adds a proximal step on the group-L1 penalty
    ``node_l1 * sum_g ||g||`` over every input and hidden node's eigenvector
    entries (:meth:`GlobalSpectralNetwork.node_group_norms`) and adds the
    penalty to the recorded loss. The phase runs ``budget`` times the
    search's epochs; with a validation set it stops earlier when the
    penalized objective stops improving (``budget=None``: only then).

    The thresholds are taken from Adam's second moments once per epoch
    (:meth:`_group_thresholds`) and applied after every step.

    With a validation set the phase must pay its way: if the kept compacted
    model's validation loss is more than ``MAX_VALIDATION_LOSS_RISE`` (25 %)
    above the searched network's, the searched network is restored
    (:meth:`on_fit_end`; ``reverted`` says so). Near convergence the
    gradients, and so Adam's denominators, are tiny and the thresholds
    large: on a well-fit teacher-student task the phase removed every hidden
    node within an epoch (a linear model, MSE 80 times the searched one's).

    The threshold of group ``g`` after an Adam step is
    ``lr * node_l1 / mean_g(sqrt(v_hat) + eps)``: the proximal step in Adam's
    metric, with the group's mean denominator as its scale (the mean of the
    step sizes instead is dominated by entries whose gradient is nearly 0,
    and removed whole trained networks), so ``node_l1`` is in the loss's
    units, unlike ``eigenvalue_l1``.
    """

    def __init__(self, node_l1, *, budget=None):
        self.node_l1 = node_l1
        self.budget = budget
        self.started_at = None
        self.epochs = 0
        self.reverted = False
        self._thresholds = None
        self._searched = None

    def on_epoch_end(self, trainer):
        self.epochs = trainer.n_iter
        if self.started_at is None:
            return
        self._thresholds = self._group_thresholds(trainer)
        if self.budget is None:
            return
        limit = max(1, math.ceil(self.budget * self.started_at))
        if trainer.n_iter - self.started_at >= limit:
            trainer.stop_training = True
            trainer.stop_reason = (
                f"The compaction phase reached its budget of {limit} epochs "
                f"({self.budget:g} x the search's {self.started_at})."
            )
            trainer.progress.message(trainer.stop_reason)

    def on_rollback(self, trainer, epoch):
        self.epochs = min(self.epochs, epoch)

    def on_plateau(self, trainer):
        if self.started_at is not None:
            # Without a validation set the phase runs to its budget: its
            # loss rises and falls as groups reach 0, and the patience
            # stopped it while groups were still shrinking.
            return self.budget is not None and not trainer.validation_scores
        if self.node_l1 == 0:
            return False
        self.started_at = trainer.n_iter
        # (the trainer puts this best model back to start the phase)
        best = trainer.best_model()
        if best is not None:
            self._searched = (best, trainer.best_validation_loss)
        self._group_sizes = trainer.module.node_group_sums(
            torch.ones_like(phi) for phi in trainer.module.phis
        )
        self._thresholds = self._group_thresholds(trainer)
        trainer.progress.message(
            f"Search converged at epoch {trainer.n_iter}: removing the nodes it "
            f"does not need (node_l1={self.node_l1:g})."
        )
        return True

    def on_fit_end(self, trainer):
        if self._searched is None:
            return
        searched, loss = self._searched
        self._searched = None
        if trainer.best_validation_loss <= loss + MAX_VALIDATION_LOSS_RISE * abs(loss):
            return
        trainer.module = searched.restore(trainer.module)
        trainer.best_validation_score = None  # (the trainer scores it again)
        self.reverted = True
        trainer.progress.message(
            "Compaction raised the validation loss from "
            f"{loss:.4g} to {trainer.best_validation_loss:.4g}: keeping the "
            "searched network."
        )

    def penalty(self, module):
        if self.started_at is None:
            return 0.0
        with torch.no_grad():
            norms = module.node_group_norms()
            return self.node_l1 * float(sum(n.sum() for n in norms))

    def _group_thresholds(self, trainer):
        """Every node's threshold ``lr * node_l1 / mean_g(sqrt(v_hat) + eps)``
        from Adam's second moments, taken once per epoch (they change slowly;
        per step they cost more tensor operations than the step itself)."""
        net, optimizer = trainer.module, trainer.optimizer
        group = optimizer.param_groups[0]
        _, beta2 = group["betas"]
        states = [optimizer.state.get(phi) for phi in net.phis]
        if not all(states):
            return None  # no Adam step taken yet
        # Every phi has taken the same steps: one read of the counter.
        correction = 1 - beta2 ** float(states[0]["step"])
        with torch.no_grad():
            sums = net.node_group_sums(
                (state["exp_avg_sq"] / correction).sqrt_().add_(group["eps"])
                for state in states
            )
            return [
                n.div(total).mul_(group["lr"] * self.node_l1)
                for total, n in zip(sums, self._group_sizes, strict=True)
            ]

    def on_step_end(self, trainer):
        if self._thresholds is not None:  # (the compaction phase)
            trainer.module.node_group_threshold_(self._thresholds)
