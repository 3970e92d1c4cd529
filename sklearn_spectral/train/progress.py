"""Progress reporting for ``verbose``, as a callback of the training loop."""

from ..nn.hidden_nodes import HiddenNodes
from .callback import Callback


class ProgressReport(Callback):
    """Per-epoch report: a tqdm bar over the epochs when tqdm is installed
    (loss, validation score, hidden widths), else one printed line per epoch,
    as ``MLPClassifier`` does.

    The trainer puts it first among its callbacks when ``verbose`` is set, and
    other callbacks write their messages through :meth:`message` (above the
    bar). A disabled report prints nothing.

    Parameters
    ----------
    verbose : bool
        Whether to report.
    total : int
        Length of the bar (the trainer's ``max_iter``).
    """

    def __init__(self, verbose, total):
        self.enabled = bool(verbose)
        self.total = total
        self.bar = None

    def on_fit_begin(self, trainer):
        if not self.enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=self.total, unit="epoch", desc="fit")

    def on_epoch_end(self, trainer):
        if not self.enabled:
            return
        loss = trainer.loss_curve[-1]
        scores = trainer.validation_scores
        score = scores[-1] if len(scores) == len(trainer.loss_curve) else None
        if self.bar is None:
            msg = f"Iteration {trainer.n_iter}, loss = {loss:.8f}"
            if score is not None:
                msg += f", validation score = {score:.6f}"
            print(msg)
            return
        postfix = {"loss": f"{loss:.5f}"}
        if score is not None:
            postfix["val"] = f"{score:.4f}"
        if isinstance(trainer.module, HiddenNodes):
            postfix["widths"] = str(tuple(trainer.module.hidden_sizes))
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(1)

    def message(self, text):
        """Print ``text`` (above the bar, when there is one)."""
        if self.enabled:
            (print if self.bar is None else self.bar.write)(text)

    def close(self):
        """Close the bar (also when the fit ends with an exception)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
