"""The events of the training loop, and the base class of its callbacks."""


class Callback:
    """A training policy plugged into :class:`~sklearn_spectral.train.Trainer`.

    The trainer calls every callback at each named event; a subclass
    overrides the events it acts on (the others do nothing). A callback may
    change ``trainer.module`` and ``trainer.optimizer`` (growth, pruning),
    set ``trainer.stop_training`` (and ``trainer.stop_reason``), replace the
    network by its own decision (``trainer.replace_module``) or the rows
    trained on (``trainer.set_training_data``).

    Events, in the order they happen:

    - ``on_fit_begin(trainer)``: before the first epoch.
    - ``on_step_end(trainer)``: after every optimizer step (proximal steps).
    - ``on_epoch_end(trainer)``: after each epoch, once its loss and
      validation score are recorded.
    - ``on_plateau(trainer)``: the stopping rule is met; return ``True`` to
      go on in a new phase after changing what is optimized. The new phase
      starts from the best model (with a validation set) or the current one
      and stops on the training loss, whose best value starts afresh.
    - ``on_rollback(trainer, epoch)``: training went back to the model of
      ``epoch`` (an interrupt or a divergence during a later one): forget
      what was recorded since.
    - ``on_fit_end(trainer)``: training has stopped and the kept model is in
      place (``trainer.interrupted`` says whether the user interrupted it).

    ``penalty(module)`` is added to every epoch's recorded loss (a penalty
    applied by a proximal step, in the loss's units).
    """

    def on_fit_begin(self, trainer):
        pass

    def on_step_end(self, trainer):
        pass

    def on_epoch_end(self, trainer):
        pass

    def on_plateau(self, trainer):
        return False

    def on_rollback(self, trainer, epoch):
        pass

    def on_fit_end(self, trainer):
        pass

    def penalty(self, module):
        return 0.0


class ProximalStep(Callback):
    """After every optimizer step, ``step(module)``: the proximal step of an
    L1 penalty (a soft-threshold), which a gradient step never makes exact."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, trainer):
        self.step(trainer.module)
