"""SpectralNASClassifier and SpectralNASRegressor: spectral architecture search."""

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._base import (
    DEVICE_DOC,
    SHARED_ATTRIBUTES_DOC,
    SHARED_PARAMETERS_DOC,
    BaseTorchEstimator,
    EigenvalueL1Mixin,
    TorchClassifierMixin,
    TorchRegressorMixin,
)
from .nn.global_spectral import GlobalSpectralNetwork

#: An eigenvalue counts as switched on when its magnitude exceeds this.
ACTIVE_TOL = 1e-6

_PARAMETERS = (
    """
    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(32, 32)
        The search space: the maximum width of each hidden layer. Training
        switches on only the nodes (and long-range connections) the task needs.
    activation : {"tanh", "elu", "identity", "logistic", "relu"}, default="tanh"
        Activation of the hidden layers. It must satisfy ``sigma(0) = 0`` for
        the perceptron start to be exact and escapable: ``"tanh"`` and
        ``"elu"`` work, ``"relu"`` learns nonlinear targets badly from the
        perceptron start (its derivative at 0 is 0 in torch).
    eigenvalue_l1 : float, default=0.1
        Strength of the L1 penalty on the non-output eigenvalues, applied as a
        proximal soft-threshold after every Adam step
        (``lambda <- sign(lambda) max(|lambda| - learning_rate_init *
        eigenvalue_l1, 0)``), so that unused eigenvalues become exactly 0.
        Larger values give smaller architectures; ``GridSearchCV`` over it
        trades size for accuracy. Adam moves every coordinate by about
        ``learning_rate_init`` per step, so the penalty bites from about 0.1:
        the default keeps every hidden eigenvalue at 0 on linear tasks
        (standardized ``X``; ``y`` is standardized internally for
        regression), 0.3 already stopped nonlinear toy tasks from being
        learned, 0.03 let hidden eigenvalues grow on linear ones. (Scaling the
        threshold by Adam's preconditioner instead pins the hidden eigenvalues
        at 0 for good: their gradient vanishes at the perceptron start.)
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
    max_iter : int, default=500
        Maximum number of epochs.
"""
    + SHARED_PARAMETERS_DOC
    + """    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and keep the best network.
    validation_fraction : float, default=0.1
        Share of rows held out when ``early_stopping=True``.
    n_iter_no_change : int, default=50
        Epochs without an improvement of ``tol`` before stopping. Larger than
        ``MLPClassifier``'s 10, so that training does not stop on the plateau
        of the perceptron start before hidden nodes switch on.
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
        layer whose eigenvalue magnitude exceeds ``ACTIVE_TOL = 1e-6`` (input
        and output layers are reported the same way), ``"layer_sizes"``, the
        maximum widths, and ``"block_norms"``, the ``(B+1, B+1)`` matrix of
        Frobenius norms ``||W_{i,j}||`` of every block from layer ``j`` to
        layer ``i`` (0-based, lower triangle), long-range blocks included.
    topology_richness_ : float
        ``||Gamma||``: the L2 norm of all hidden-layer eigenvalues
        ``(lambda_2, ..., lambda_B)``. It is exactly 0 for the perceptron start
        and grows as training switches hidden nodes on. The input eigenvalues
        are excluded (they act as input relevance).
    feature_importances_ : ndarray of shape (n_features,)
        Input relevance: the norm of each input's column over every block
        leaving the input layer (``W_{2,1}`` to ``W_{B+1,1}``), normalized to
        sum to 1.
    n_active_parameters_ : int
        Direct-space weights the learned architecture uses: the nonzero entries
        of every block ``W_{i,j}`` between active nodes (input and output nodes
        always count as active, hidden nodes when their eigenvalue is switched
        on), plus the biases of active nodes. A plain MLP of the same widths
        has ``sum(n_k n_{k+1}) + sum(n_{k+1})``.
    n_layers_ : int
        ``B + 1``, input and output layers included.
    n_outputs_ : int
        Number of output units.
    loss_curve_ : list of float
        Loss of every epoch, the L2 term included, as in ``MLPClassifier``.
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


class _SpectralNASMixin(EigenvalueL1Mixin):
    """Network, proximal step and fitted attributes of the NAS estimators."""

    _parameter_constraints = {
        **BaseTorchEstimator._parameter_constraints,
        "eigenvalue_l1": [Interval(Real, 0, None, closed="left")],
        "hidden_eigenvalue_init": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(32, 32),
        activation="tanh",
        *,
        eigenvalue_l1=0.1,
        hidden_eigenvalue_init=1e-3,
        alpha=0.1,
        batch_size="auto",
        learning_rate_init=1e-2,
        max_iter=500,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=50,
        device="auto",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.eigenvalue_l1 = eigenvalue_l1
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

    def _build_module(self, n_features, n_outputs, generator):
        return GlobalSpectralNetwork(
            [n_features, *self._hidden_sizes(), n_outputs],
            activation=self.activation,
            generator=generator,
            hidden_eigenvalue_init=self.hidden_eigenvalue_init,
        )

    def _l1_eigenvalues(self, module):
        return list(module.eigenvalues)[:-1]

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
        blocks = self.module_.blocks(dtype=torch.float64)
        return {
            (i, j): block.numpy()
            for i, row in enumerate(blocks)
            for j, block in enumerate(row)
            if block is not None
        }

    def _set_fitted_attributes(self):
        net = self.module_
        with torch.no_grad():
            self.eigenvalues_ = [lam.numpy().copy() for lam in net.eigenvalues]
            self.eigenvectors_ = [phi.numpy().copy() for phi in net.phis]
            self.intercepts_ = [b.numpy().copy() for b in net.biases]
        blocks = self.weight_blocks()
        n_layers = len(self.eigenvalues_)
        norms = np.zeros((n_layers, n_layers))
        for (i, j), block in blocks.items():
            norms[i, j] = np.linalg.norm(block)
        active = [np.abs(lam) > ACTIVE_TOL for lam in self.eigenvalues_]
        counts_as_active = [np.ones_like(a) for a in active]
        for k in range(1, n_layers - 1):
            counts_as_active[k] = active[k]
        self.topology_ = {
            "layer_sizes": [len(lam) for lam in self.eigenvalues_],
            "active_nodes": [int(a.sum()) for a in active],
            "block_norms": norms,
        }
        hidden = self.eigenvalues_[1:-1]
        self.topology_richness_ = float(
            np.sqrt(sum(np.sum(lam**2) for lam in hidden)) if hidden else 0.0
        )
        n_active = 0
        for (i, j), block in blocks.items():
            used = block[counts_as_active[i]][:, counts_as_active[j]]
            n_active += int(np.count_nonzero(np.abs(used) > 0))
        n_active += sum(int(m.sum()) for m in counts_as_active[1:])
        self.n_active_parameters_ = n_active
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
