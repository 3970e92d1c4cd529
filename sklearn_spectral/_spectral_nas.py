"""SpectralNASClassifier and SpectralNASRegressor: spectral architecture search."""

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted
from torch.nn import functional as F

from ._base import BaseTorchEstimator, EigenvalueL1Mixin
from ._docs import DEVICE_DOC, SHARED_ATTRIBUTES_DOC, SHARED_PARAMETERS_DOC
from ._tasks import TorchClassifierMixin, TorchRegressorMixin
from .nn.global_spectral import (
    GlobalSpectralNetwork,
    _members,
    path_richness,
    used_nodes,
)
from .train.callback import ProximalStep
from .train.compaction import NodeCompaction

#: An eigenvalue counts as switched on when its magnitude exceeds this.
ACTIVE_TOL = 1e-6

#: The compaction phase runs at most this many times the search's epochs.
COMPACTION_BUDGET = 1.0

_PARAMETERS = (
    """
    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(32, 32)
        The search space: the maximum width of each hidden layer. Training
        switches on only the nodes (and long-range connections) the task needs.
    activation : {"relu", "tanh", "elu", "identity", "logistic"}, default="relu"
        Activation of the hidden layers. It must satisfy ``sigma(0) = 0`` for
        the perceptron start to be exact. ``"relu"`` was chosen on the
        real-data suite (``benchmarks/bench_real_data.py``): from the
        perceptron start with the small initial hidden eigenvalues it escaped
        as well as ``"tanh"`` and fitted the regression sets far better (on a
        toy 2-D target it had learned badly, its derivative at 0 being 0 in
        torch). The Fig. 6 reproduction (``examples/plot_topology_richness.py``)
        uses ``"tanh"``.
    eigenvalue_l1 : float, default=0.05
        Strength of the L1 penalty on the non-output eigenvalues, applied as a
        proximal soft-threshold after every Adam step
        (``lambda <- sign(lambda) max(|lambda| - learning_rate_init *
        eigenvalue_l1, 0)``), so that unused eigenvalues become exactly 0.
        Larger values give smaller architectures; ``GridSearchCV`` over it
        trades size for accuracy. Adam moves every coordinate by about
        ``learning_rate_init`` per step, so the penalty bites from about
        0.03; 0.3 already stopped nonlinear toy tasks from being learned.
        The default was chosen on the real-data suite
        (``benchmarks/bench_defaults.py``): against 0.1 it lowered the worst
        regret there at each of four seeds, and the topology richness still
        stays near 0 on linear tasks and grows with the nonlinearity
        (``benchmarks/bench_nas_richness.py``). On a linear task, though,
        some hidden eigenvalues may switch on at small values, so the used
        nodes need not shrink to the perceptron's; 0.1 does shrink them
        there. (Scaling the threshold by Adam's preconditioner instead pins
        the hidden eigenvalues at 0 for good: their gradient vanishes at the
        perceptron start.)
    node_l1 : float, default=1e-3
        Strength of the compaction phase, which removes the nodes the search
        switched on but does not need. Eigenvalues alone cannot remove a
        node: once a layer has one nonzero eigenvalue, every node of the next
        layer receives input, whatever its own eigenvalue. So when the search
        has converged (the stopping rule is met for the first time), training
        goes on with the group-L1 penalty ``node_l1 * sum_g ||g||`` over every
        input and hidden node's eigenvector entries ``g`` (its row of
        ``phi_{k-1}`` and its column of ``phi_k``), applied by a proximal step
        in Adam's metric, so that whole nodes and inputs become exactly 0.
        The phase runs as many epochs as the search did
        (``COMPACTION_BUDGET = 1.0`` times; ``n_iter_search_`` says where it
        started), or until ``max_iter``. (Run until its penalized loss
        stopped improving, it often ran to ``max_iter``, most of the fit
        time.) ``node_l1`` is in the loss's units; larger values give smaller
        networks (``benchmarks/bench_nas_accuracy.py`` records the accuracy,
        the weights in use and the fit time for the default and a grid of
        values). 0 skips the phase. With ``early_stopping``, the phase starts
        from the best validation model, runs on the training loss, stops when
        it stops improving or at the budget, and keeps its best validation
        model if its validation loss is at most 25 % above the searched
        network's (otherwise the searched network is kept: near convergence
        the phase can remove every node within an epoch). If ``max_iter`` is
        reached first, there is no compaction.
    hidden_eigenvalue_init : float, default=1e-3
        Hidden eigenvalues start uniform in ``[-v, v]`` (0 gives the exact
        perceptron, where their first-order gradient vanishes).
    alpha : float, default=0.1
        L2 penalty, divided by the batch size as in ``MLPRegressor``, on the
        adjacent blocks ``W_{k+1,k}`` and on every block into the output
        layer ``W_{B+1,j}`` (the readout, the perceptron's input-to-output
        map among them). Larger than ``MLPRegressor``'s 1e-4 because the
        perceptron start is a linear model: without a ridge on its map it
        overfits small or linearly separable data (``load_diabetes``,
        ``load_digits``). The ridge also lets a few hidden eigenvalues switch
        on for linear tasks, where ``alpha=1e-4`` keeps them at exactly 0.
    batch_size : int or "auto", default="auto"
        Rows per mini-batch; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-2
        Adam step size. Larger than ``MLPClassifier``'s 1e-3: the perceptron
        start is a saddle point, and with 1e-3 nonlinear tasks stopped on its
        plateau.
    max_iter : int, default=1000
        Maximum number of epochs, search and compaction together.
"""
    + SHARED_PARAMETERS_DOC
    + """    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the rows: the search stops when
        the validation score stops improving, and the best network is kept.
        On by default, unlike ``MLPClassifier``: without it the search
        stopped on a training loss that kept creeping down while the network
        overfit, and ran several times longer; on the real-data suite
        (``benchmarks/bench_real_data.py``) held-out stopping cut the fit time
        and avoided regressions far below a linear model, at the price of
        less compaction (more weights in use). The validation set needs two
        rows or more: set it to ``False`` for tiny data sets.
    validation_fraction : float, default=0.1
        Share of rows held out when ``early_stopping=True``.
    n_iter_no_change : int or np.inf, default=50
        Epochs without an improvement of ``tol`` before the search stops and
        the compaction starts (with early stopping, also before the
        compaction stops); ``np.inf``: the search runs ``max_iter`` epochs and
        no compaction follows. Larger than ``MLPClassifier``'s 10, so that
        training does not stop on the plateau of the perceptron start before
        hidden nodes switch on.
"""
    + DEVICE_DOC
)

_ATTRIBUTES = (
    """
    eigenvalues_ : list of ndarray
        ``B + 1`` arrays: the eigenvalues of the input layer, of each hidden
        layer and of the output layer, ``lambda_1 ... lambda_{B+1}``.
    eigenvectors_ : list of ndarray
        ``B`` arrays ``phi_k`` of shape ``(n_{k+1}, n_k)``.
    intercepts_ : list of ndarray
        ``B`` arrays: the biases of layers ``2 ... B+1``.
    topology_ : dict
        The learned architecture: ``"active_nodes"``, the number of nodes per
        layer whose eigenvalue magnitude exceeds ``ACTIVE_TOL = 1e-6``;
        ``"used_nodes"``, the number of nodes per layer the predictions depend
        on (see ``n_active_parameters_``); ``"layer_sizes"``, the maximum
        widths; and ``"block_norms"``, the ``(B+1, B+1)`` matrix of Frobenius
        norms ``||W_{i,j}||`` of every block from layer ``j`` to layer ``i``
        (0-based, lower triangle), long-range blocks included. A node whose
        eigenvalue is 0 still computes once the layer before it has a nonzero
        eigenvalue (it receives ``phi_{i-1}[r, :] diag(lambda_{i-1})``), so
        ``"used_nodes"`` can exceed ``"active_nodes"``; a node leaves the
        network when its eigenvector entries are zeroed (``node_l1``).
        ``"removable_layers"``: the hidden layers (indices into
        ``"layer_sizes"``) whose every node outputs a constant, because the
        block into the layer from the one before it is zero (the eigenvalues
        of both layers are 0 where ``phi`` is not): the long-range blocks let
        the other layers bypass such a layer, and
        :class:`SpectralPruner` removes it without changing a prediction
        (:meth:`~sklearn_spectral.nn.GlobalSpectralNetwork.remove_layer_`).
        A layer whose own eigenvalues are all 0 is not removable while the
        layer before it has a nonzero one.
    topology_richness_ : float
        ``||Gamma||``, SPARCS's topology richness: the norm of the weights of
        every path from an input to an output through hidden nodes,
        ``sqrt(sum_paths (product of the path's weights)^2)``
        (:func:`~sklearn_spectral.nn.path_richness`); for one hidden layer
        the authors' ``Gamma_ijk = W_32[i, j] W_21[j, k]``. It is 0 for a
        perceptron (the direct input-to-output block does not count) and grows
        as training switches hidden paths on. Computed from the weights, it
        does not depend on how they split into eigenvectors and eigenvalues.
    feature_importances_ : ndarray of shape (n_features,)
        Input relevance: the norm of each input's column over every block
        leaving the input layer (``W_{2,1}`` to ``W_{B+1,1}``), normalized to
        sum to 1.
    n_active_parameters_ : int
        Direct-space weights and biases a network needs to make the same
        predictions: the nonzero entries of every block ``W_{i,j}``,
        long-range blocks included, between used nodes, plus the biases of
        the used hidden and output nodes. A node is used when it lies on a
        path of nonzero weights from an input to an output
        (:func:`~sklearn_spectral.nn.used_nodes`); the others are constant
        or reach no output, and removing them leaves the predictions
        unchanged. A plain MLP of the same widths has
        ``sum(n_k n_{k+1}) + sum(n_{k+1})``.
    n_iter_search_ : int
        Epochs of the search phase in the last call to ``fit``; the epochs
        after it compacted the network (``node_l1``). ``partial_fit`` epochs
        are not counted (0 if the estimator was never fitted with ``fit``).
    n_layers_ : int
        ``B + 1``, input and output layers included.
    n_outputs_ : int
        Number of output units.
    loss_curve_ : list of float
        Loss of every epoch, the L2 term included, as in ``MLPClassifier``,
        and during the compaction phase the ``node_l1`` penalty too (the
        curve jumps where the phase starts).
        The L1 soft-threshold is not part of it: its threshold is measured in
        Adam's step units, so ``eigenvalue_l1 * sum |lambda|`` is not the
        penalty the steps minimize (with it, the curve rose while the model
        improved).
    module_ : torch.nn.Module
        The fitted :class:`~sklearn_spectral.nn.GlobalSpectralNetwork`,
        float64, on the CPU.
"""
    + SHARED_ATTRIBUTES_DOC
)

_NOTES = """
    Notes
    -----
    SPARCS (Peri, Chicchi, Fanelli, Giambagli, arXiv 2504.00885): the whole
    feed-forward network is one adjacency ``A = Phi Lambda Phi^-1`` whose
    strictly lower blocks are the weights ``W_{i,j}`` from layer ``j`` to every
    later layer ``i``, long-range (skip) connections included. Each node has
    one eigenvalue. Training starts from a perceptron (all eigenvalues 0 but
    the output layer's) and the L1 penalty keeps every eigenvalue the task
    does not need at exactly 0. The forward pass is an exact O(depth)
    recurrence; the O(depth^2) blocks are only materialized for
    :meth:`weight_blocks` and ``topology_``.

    ``X`` is used as given: compose with a ``StandardScaler``.
"""


def _block_dict(nested):
    """``{(i, j): W_ij}`` as NumPy arrays from the nested list of ``blocks()``."""
    return {
        (i, j): block.numpy()
        for i, row in enumerate(nested)
        for j, block in enumerate(row)
        if block is not None
    }


class _SpectralNASMixin(EigenvalueL1Mixin):
    """Network, proximal step and fitted attributes of the NAS estimators."""

    _parameter_constraints = {
        **BaseTorchEstimator._parameter_constraints,
        "eigenvalue_l1": [Interval(Real, 0, None, closed="left")],
        "hidden_eigenvalue_init": [Interval(Real, 0, None, closed="left")],
        "node_l1": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(32, 32),
        activation="relu",
        *,
        eigenvalue_l1=0.05,
        node_l1=1e-3,
        hidden_eigenvalue_init=1e-3,
        alpha=0.1,
        batch_size="auto",
        learning_rate_init=1e-2,
        max_iter=1000,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=50,
        device="auto",
        dtype="float32",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.eigenvalue_l1 = eigenvalue_l1
        self.node_l1 = node_l1
        self.hidden_eigenvalue_init = hidden_eigenvalue_init
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
        self.dtype = dtype

    def _build_module(self, n_features, n_outputs, generator):
        return GlobalSpectralNetwork(
            [n_features, *self._hidden_sizes(), n_outputs],
            activation=self.activation,
            generator=generator,
            hidden_eigenvalue_init=self.hidden_eigenvalue_init,
        )

    def _callbacks(self, data, generator, incremental=False):
        self.__dict__.pop("_compaction", None)  # of a fit that failed
        if incremental:  # compaction follows a converged search: fit only
            return ()
        self._compaction = NodeCompaction(self.node_l1, budget=COMPACTION_BUDGET)
        return (self._compaction,)

    def _l1_eigenvalues(self, module):
        return list(module.eigenvalues)[:-1]

    def _proximal_steps(self):
        # EigenvalueL1Mixin's soft-threshold, in two tensor operations per
        # layer instead of six (``softshrink`` is the same function).
        threshold = self.learning_rate_init * self.eigenvalue_l1
        if threshold == 0:
            return ()

        @torch.no_grad()
        def soft_threshold(module):
            for lam in _members(module.eigenvalues)[:-1]:
                lam.copy_(F.softshrink(lam, threshold))

        return (ProximalStep(soft_threshold),)

    def weight_blocks(self):
        """Dense weight blocks of the fitted network, for inspection.

        Returns
        -------
        blocks : dict
            ``{(i, j): W}`` for every pair of layers ``j < i`` (0-based, input
            layer 0), ``W`` a float64 array of shape ``(n_i, n_j)``: the
            weights from layer ``j`` to layer ``i``, by eq. (3) of SPARCS.
        """
        check_is_fitted(self)
        return _block_dict(self.module_.blocks(dtype=torch.float64))

    def _set_fitted_attributes(self):
        compaction = self.__dict__.pop("_compaction", None)
        if compaction is None:  # partial_fit, or a pruned copy: as it was
            self.__dict__.setdefault("n_iter_search_", 0)
        else:
            self.n_iter_search_ = (
                compaction.epochs
                if compaction.started_at is None
                else compaction.started_at
            )
        net = self.module_
        with torch.no_grad():
            self.eigenvalues_ = [lam.numpy().copy() for lam in net.eigenvalues]
            self.eigenvectors_ = [phi.numpy().copy() for phi in net.phis]
            self.intercepts_ = [b.numpy().copy() for b in net.biases]
        nested = net.blocks(dtype=torch.float64)
        used = [mask.numpy() for mask in used_nodes(nested)]
        blocks = _block_dict(nested)
        n_layers = len(self.eigenvalues_)
        norms = np.zeros((n_layers, n_layers))
        for (i, j), block in blocks.items():
            norms[i, j] = np.linalg.norm(block)
        self.topology_ = {
            "layer_sizes": [len(lam) for lam in self.eigenvalues_],
            "active_nodes": [
                int(np.count_nonzero(np.abs(lam) > ACTIVE_TOL))
                for lam in self.eigenvalues_
            ],
            "used_nodes": [int(mask.sum()) for mask in used],
            "block_norms": norms,
            "removable_layers": [k + 1 for k in net.constant_layers()],
        }
        self.topology_richness_ = path_richness(nested)
        self.n_active_parameters_ = sum(
            int(np.count_nonzero(block[used[i]][:, used[j]]))
            for (i, j), block in blocks.items()
        ) + sum(int(mask.sum()) for mask in used[1:])
        outgoing = np.vstack([blocks[(i, 0)] for i in range(1, n_layers)])
        relevance = np.linalg.norm(outgoing, axis=0)
        total = relevance.sum()
        self.feature_importances_ = relevance / total if total > 0 else relevance
        self.n_layers_ = n_layers
        self.n_outputs_ = len(self.eigenvalues_[-1])


class SpectralNASClassifier(
    TorchClassifierMixin, _SpectralNASMixin, BaseTorchEstimator
):
    __doc__ = (
        """Classifier whose network architecture is found by spectral search.

    The network is parametrized by the eigenvalues and eigenvectors of its
    whole adjacency (SPARCS). It starts as a perceptron and training switches
    on the hidden nodes and long-range connections the task needs, inside the
    maximum widths ``hidden_layer_sizes``.
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
    SpectralNASRegressor : The same search for regression.
    SpectralMLPClassifier : Layer-wise spectral layers, fixed architecture.
"""
        + _NOTES
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_spectral import SpectralNASClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     SpectralNASClassifier((8, 8), max_iter=300, learning_rate_init=1e-2,
    ...                           random_state=0, device="cpu"),
    ... ).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    >>> clf[-1].topology_["layer_sizes"]
    [4, 8, 8, 3]
"""
    )


class SpectralNASRegressor(TorchRegressorMixin, _SpectralNASMixin, BaseTorchEstimator):
    __doc__ = (
        """Regressor whose network architecture is found by spectral search.

    The network is parametrized by the eigenvalues and eigenvectors of its
    whole adjacency (SPARCS). It starts as a perceptron (a linear model) and
    training switches on the hidden nodes and long-range connections the task
    needs: on a linear task the hidden eigenvalues stay at 0. ``y`` is
    standardized internally and predictions are returned in the original
    units.
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
    SpectralNASClassifier : The same search for classification.
    SpectralMLPRegressor : Layer-wise spectral layers, fixed architecture.
"""
        + _NOTES
        + """
    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_spectral import SpectralNASRegressor
    >>> X = np.random.RandomState(0).uniform(-2, 2, size=(300, 2))
    >>> y = X[:, 0] - 2 * X[:, 1]
    >>> reg = SpectralNASRegressor((8, 8), max_iter=100, learning_rate_init=1e-2,
    ...                            random_state=0, device="cpu").fit(X, y)
    >>> bool(reg.score(X, y) > 0.99)
    True
"""
    )
