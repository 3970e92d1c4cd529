"""skorch integration: spectral and growable modules, growth and pruning callbacks.

The torch modules of :mod:`sklearn_spectral.nn` are ordinary ``nn.Module``
classes, usable as a skorch ``NeuralNet`` module (``module=SpectralMLP,
module__layer_sizes=[...]``; they output logits, so use
``criterion=torch.nn.CrossEntropyLoss`` with ``NeuralNetClassifier``). The
callbacks below bring TINY growth and spectral pruning to such a net
(``pip install skorch``).

Examples
--------
>>> import numpy as np, torch
>>> from skorch import NeuralNetClassifier
>>> from sklearn_spectral.nn import GrowingMLP
>>> from sklearn_spectral.integrations.skorch import GrowthCallback
>>> X = np.random.RandomState(0).normal(size=(200, 4)).astype("float32")
>>> y = (X[:, 0] * X[:, 1] > 0).astype("int64")
>>> net = NeuralNetClassifier(
...     GrowingMLP, module__layer_sizes=[4, 1, 2], criterion=torch.nn.CrossEntropyLoss,
...     optimizer=torch.optim.Adam, lr=0.01, max_epochs=12, train_split=None,
...     callbacks=[GrowthCallback(grow_every=3)], verbose=0,
... ).fit(X, y)
>>> net.module_.hidden_sizes[0] > 1
True
"""

import numpy as np
import torch
from skorch.callbacks import Callback

from .._base import _FitData
from ..nn.pruning import node_scores, prune, select_nodes
from ..train.growth import Growth


class _SkorchTrainer:
    """What :class:`~sklearn_spectral.train.Growth` uses of a trainer, on a
    skorch net."""

    def __init__(self, net):
        self.net = net
        self.stop_training = False
        self.interrupted = False

    @property
    def module(self):
        return self.net.module_

    @property
    def optimizer(self):
        return self.net.optimizer_

    @property
    def epoch(self):
        return len(self.net.history)

    @property
    def loss_curve(self):
        return self.net.history[:, "train_loss"]

    @property
    def progress(self):
        return self

    def message(self, text):
        if self.net.verbose:
            print(text)

    def replace_module(self, module):
        self.net.module_ = module
        self.net.initialize_optimizer()

    def reset_best(self):
        """(skorch's own checkpoints are the user's callbacks)"""


class GrowthCallback(Callback):
    """Grow a skorch net's :class:`~sklearn_spectral.nn.GrowingMLP` with TINY.

    The growth of :class:`~sklearn_spectral.GrowingMLPClassifier` (the same
    :class:`~sklearn_spectral.train.Growth` callback), deciding on the
    training rows: every ``grow_every`` epochs, the hidden layer whose best
    new neurons promise the largest first-order loss decrease gets them
    (those with ``lambda_k^2 >= growth_threshold * loss``), with a
    line-searched amplitude, until no neuron passes. The net's optimizer
    keeps its state for the old weights (Adam moments padded with zeros for
    the new ones). The held-out decisions of the estimators (line search,
    rollback to the best network, added hidden layers, the linear model) need
    rows the net does not train on and are not made here. The net's
    criterion must average over the rows (skorch's default).

    Parameters
    ----------
    grow_every : int, default=3
        Epochs between growth steps.
    growth_threshold : float, default=3e-4
        See :class:`~sklearn_spectral.GrowingMLPClassifier`.
    max_neurons_per_step : int, default=16
        Most neurons added by one step.
    max_hidden_units : int or None, default=None
        Cap on the total number of hidden neurons.
    layer_selection : {"first_order", "round_robin"}, default="first_order"
        Which hidden layer a step widens.
    growth_samples : int, default=4096
        Training rows used for the statistics and the line search.
    seed : int, default=0
        Seeds the choice of those rows.

    Attributes
    ----------
    history_ : list of dict
        One record per growth step, as ``growth_history_`` of the estimators.
    stop_reason_ : str
        Why growth stopped (empty while it goes on).
    """

    #: Settings :class:`~sklearn_spectral.train.Growth` reads that only its
    #: held-out decisions use.
    tol = 1e-4
    max_hidden_layers = 1
    shrink_perturb = None

    def __init__(
        self,
        grow_every=3,
        growth_threshold=3e-4,
        max_neurons_per_step=16,
        max_hidden_units=None,
        layer_selection="first_order",
        growth_samples=4096,
        seed=0,
    ):
        self.grow_every = grow_every
        self.growth_threshold = growth_threshold
        self.max_neurons_per_step = max_neurons_per_step
        self.max_hidden_units = max_hidden_units
        self.layer_selection = layer_selection
        self.growth_samples = growth_samples
        self.seed = seed

    def initialize(self):
        self.history_ = []
        self.stop_reason_ = ""
        self._growth = self._trainer = None
        return self

    def _loss(self, output, target, sample_weight=None):
        return self._trainer.net.criterion_(output, target)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        device = net.device
        X = torch.as_tensor(np.asarray(X), dtype=torch.float32, device=device)
        y = torch.as_tensor(np.asarray(y), device=device)
        data = _FitData((X, y, None), None, None, None)
        self._trainer = _SkorchTrainer(net)
        generator = torch.Generator().manual_seed(self.seed)
        self._growth = Growth(self, data, generator, self.history_)

    def on_epoch_end(self, net, **kwargs):
        self._growth.on_epoch_end(self._trainer)

    def on_train_end(self, net, **kwargs):
        self._growth.on_fit_end(self._trainer)
        self.stop_reason_ = self._growth.stopped


class PruningCallback(Callback):
    """Prune the hidden nodes of a skorch net's module at a given epoch.

    Works with :class:`~sklearn_spectral.nn.SpectralMLP`,
    :class:`~sklearn_spectral.nn.GrowingMLP` and
    :class:`~sklearn_spectral.nn.GlobalSpectralNetwork`. After pruning, the
    module is physically smaller and the optimizer is re-initialized on its
    parameters (the moments of removed nodes no longer exist; training then
    continues as a fine-tuning).

    Parameters
    ----------
    at_epoch : int
        Epoch at whose end the net is pruned.
    prune_fraction : float, default=0.5
        Share of the hidden nodes to remove.
    criterion : {"eigenvalue", "rescaled", "connectivity", "random"}, \
default="eigenvalue"
        Node relevance, see :class:`~sklearn_spectral.SpectralPruner`.
    scope : {"layer", "global"}, default="layer"
    min_width : int, default=1
    seed : int, default=0
        Seeds the ``"random"`` criterion.
    """

    def __init__(
        self,
        at_epoch,
        prune_fraction=0.5,
        criterion="eigenvalue",
        scope="layer",
        min_width=1,
        seed=0,
    ):
        self.at_epoch = at_epoch
        self.prune_fraction = prune_fraction
        self.criterion = criterion
        self.scope = scope
        self.min_width = min_width
        self.seed = seed

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) != self.at_epoch:
            return
        generator = torch.Generator().manual_seed(self.seed)
        scores = node_scores(net.module_, self.criterion, generator=generator)
        keep = select_nodes(
            scores,
            self.prune_fraction,
            scope=self.scope,
            min_width=self.min_width,
            generator=generator,
        )
        net.module_ = prune(net.module_, keep)
        net.initialize_optimizer()
