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

from ..nn.growing import apply_growth, choose_growth, line_search
from ..nn.pruning import node_scores, prune, select_nodes


def _training_tensors(net, dataset, max_rows, generator):
    """Up to ``max_rows`` random rows of the training set, on the net's device."""
    X, y = dataset.X, dataset.y
    n = len(y)
    idx = torch.randperm(n, generator=generator)[:max_rows].numpy()
    X = torch.as_tensor(np.asarray(X)[idx], dtype=torch.float32, device=net.device)
    y = torch.as_tensor(np.asarray(y)[idx], device=net.device)
    return X, y


class GrowthCallback(Callback):
    """Grow a skorch net's :class:`~sklearn_spectral.nn.GrowingMLP` with TINY.

    Every ``grow_every`` epochs, the hidden layer whose best new neurons
    promise the largest first-order loss decrease gets them (those with
    ``lambda_k^2 >= growth_threshold * loss``), with a line-searched
    amplitude. The net's optimizer keeps its state for the old weights (Adam
    moments padded with zeros for the new ones); no optimizer is rebuilt.

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
    growth_samples : int, default=4096
        Training rows used for the statistics and the line search.
    seed : int, default=0
        Seeds the choice of those rows.

    Attributes
    ----------
    history_ : list of dict
        One record per growth step: epoch, layer, neurons added, gamma, loss
        before and after.
    """

    def __init__(
        self,
        grow_every=3,
        growth_threshold=3e-4,
        max_neurons_per_step=16,
        max_hidden_units=None,
        growth_samples=4096,
        seed=0,
    ):
        self.grow_every = grow_every
        self.growth_threshold = growth_threshold
        self.max_neurons_per_step = max_neurons_per_step
        self.max_hidden_units = max_hidden_units
        self.growth_samples = growth_samples
        self.seed = seed

    def initialize(self):
        self.history_ = []
        self._generator = torch.Generator().manual_seed(self.seed)
        return self

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        epoch = len(net.history)
        if epoch % self.grow_every or dataset_train is None:
            return
        module = net.module_
        capacity = (  # neurons the network may still take; None: no cap
            None
            if self.max_hidden_units is None
            else self.max_hidden_units - sum(module.hidden_sizes)
        )
        if capacity is not None and capacity <= 0:
            return
        X, y = _training_tensors(
            net, dataset_train, self.growth_samples, self._generator
        )

        def loss_fn(output, target):
            return net.criterion_(output, target)

        choice = choose_growth(
            module,
            range(len(module.hidden_sizes)),
            X,
            y,
            loss_fn,
            growth_threshold=self.growth_threshold,
            max_neurons=self.max_neurons_per_step,
            capacity=capacity,
        )
        if choice is None or not choice.n_neurons:
            return
        layer, proposal, n_new = choice.layer, choice.proposal, choice.n_neurons
        gamma, loss_after, loss_before = line_search(
            module, layer, proposal, n_new, X, y, loss_fn, gamma_max=1.0
        )
        if gamma <= 0:
            return
        apply_growth(module, layer, proposal, gamma, n_new, optimizer=net.optimizer_)
        self.history_.append(
            dict(
                epoch=epoch,
                layer=layer,
                neurons_added=n_new,
                gamma=float(gamma),
                loss_before=float(loss_before),
                loss_after=float(loss_after),
            )
        )


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
