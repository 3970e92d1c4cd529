"""SpectralMLPClassifier and SpectralMLPRegressor: MLPs of spectral layers."""

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseTorchEstimator, EigenvalueL1Mixin
from ._docs import DEVICE_DOC, SHARED_ATTRIBUTES_DOC, SHARED_PARAMETERS_DOC
from ._tasks import TorchClassifierMixin, TorchRegressorMixin
from .nn import SpectralMLP
from .nn.sparse import layer_densities, set_masks_
from .nn.spectral_layer import PHI_LAYERS
from .train.sparsity import SparseMasks

#: Optimizer steps between two draws of a dynamic mask (``mask="dynamic"``):
#: on digits at 5 % density, every 4 steps scored as every step (0.961 vs
#: 0.958, 3 seeds) in two thirds of the fit time; every 50, 0.953
#: (``benchmarks/bench_sparse.py``, schedule table).
MASK_EVERY = 4

_PARAMETERS = (
    """
    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Width of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu", "elu"}, default="relu"
        Activation of the hidden layers.
    train : {"full", "eigenvalues"}, default="full"
        What is learned. ``"full"``: eigenvectors ``phi``, eigenvalues and
        biases. ``"eigenvalues"``: ``phi`` stays at its random initialization
        and only the eigenvalues and biases learn (Giambagli et al. 2021), far
        fewer trainable numbers.
    train_input_eigenvalues : bool or "auto", default="auto"
        Whether the input-side eigenvalues ``lambda_in`` of every layer are
        trainable. When ``False`` they stay at 0, so
        ``W[i, :] = -lambda_out[i] * phi[i, :]`` and a node's eigenvalue scales
        all its incoming weights. ``"auto"``: ``True`` with ``phi="svd"``
        (see ``phi``), ``False`` otherwise.
    density : float in (0, 1], default=1.0
        Share of every layer's weights kept: below 1 the network trains
        sparse (Chicchi et al., Phys. Rev. E 2021). Each layer's mask holds
        the ``density`` largest ``|W|`` of its weight; masked weights are 0
        and their ``phi`` entries get no gradient, but the eigenvalues, shared
        by whole rows (and columns with ``train_input_eigenvalues``), keep
        training on the kept ones and rescale the masked ones too. The
        masks are drawn from the initial weights; see ``mask``.
    mask : {"dynamic", "static"}, default="dynamic"
        With ``density < 1``: ``"dynamic"`` draws every mask again from the
        unmasked weights every ``MASK_EVERY = 4`` optimizer steps, so the
        support follows the eigenvalues (in direct space a masked weight
        never changes and cannot come back); ``"static"`` keeps the
        initial masks. After ``fit``, hidden nodes left without kept
        incoming or outgoing weights are cut out (exactly: their constant
        output folds into the next bias), so the fitted network is smaller
        than ``hidden_layer_sizes`` and predicts faster.
    phi : {"dense", "svd", "qr"}, default="dense"
        Structure of every layer's eigenvector block ``phi`` (Chicchi et
        al., Phys. Rev. E 2021). ``"dense"``: every entry trains.
        ``"svd"``: ``phi = u diag(s) vh`` with ``u`` and ``vh`` fixed (the
        singular vectors of the initial ``phi``) and only the
        ``min(n_in, n_out)`` singular values ``s`` trained, so a layer trains
        a number of parameters linear in its widths. ``"qr"``: ``phi = r q``
        with ``q`` fixed (orthonormal rows) and ``r``, of shape
        ``(n_out, min(n_in, n_out))``, trained: fewer parameters where a
        layer narrows. Every structure starts from the same ``phi``.
        ``"svd"`` trains the input eigenvalues too by default (as the
        authors do; ``train_input_eigenvalues="auto"``): without them a
        layer into few nodes, such as the output layer, keeps the direction
        of its weights fixed.
        ``benchmarks/bench_structured_phi.py`` records accuracy against
        trainable parameters for every structure.
    eigenvalue_l1 : float, default=0.0
        L1 penalty on the eigenvalues of the hidden nodes (``lambda_out`` of
        every layer but the last), applied as a proximal soft-threshold after
        every Adam step (``lambda <- sign(lambda) max(|lambda| -
        learning_rate_init * eigenvalue_l1, 0)``). Nodes the task does not
        need end at exactly ``lambda = 0`` (no incoming weights), so ranking
        by eigenvalue becomes meaningful and removing them is lossless: use it
        before :class:`SpectralPruner`. On load_digits (256 hidden nodes, 200
        epochs) 1.0 zeroed a quarter of the nodes and kept 0.93 accuracy with
        80 % of them pruned, against 0.84 without it.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the materialized weights ``W`` (biases
        excluded), divided by the batch size as in ``MLPClassifier``.
    batch_size : int or "auto", default="auto"
        Rows per mini-batch; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam step size.
    max_iter : int, default=200
        Maximum number of epochs.
"""
    + SHARED_PARAMETERS_DOC
    + """    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when the validation
        score stops improving and keep the best network.
    validation_fraction : float, default=0.1
        Share of rows held out when ``early_stopping=True``.
    n_iter_no_change : int or np.inf, default=10
        Epochs without an improvement of ``tol`` before stopping
        (``np.inf``: never, as ``MLPClassifier``).
"""
    + DEVICE_DOC
)

_ATTRIBUTES = (
    """
    eigenvalues_ : list of ndarray
        Element ``k`` is the diagonal of ``Lambda`` of layer pair ``k``,
        ``np.concatenate([lambda_in, lambda_out])`` of shape
        ``(n_k + n_{k+1},)``; ``eigenvalues_[k][n_k:]`` are the eigenvalues of
        the nodes of layer ``k + 1``.
    eigenvectors_ : list of ndarray
        The eigenvector blocks ``phi``, element ``k`` of shape
        ``(n_{k+1}, n_k)`` (torch layout; built from the factors when ``phi``
        is ``"svd"`` or ``"qr"``).
    coefs_ : list of ndarray
        The materialized weights ``W = phi diag(lambda_in) - diag(lambda_out)
        phi``, transposed to shape ``(n_k, n_{k+1})`` as in ``MLPClassifier``
        (masked entries 0 when ``density < 1``).
    masks_ : list of ndarray of bool
        The weights each layer may use, in the layout of ``coefs_`` (all
        ``True`` when ``density=1``).
    densities_ : list of float
        The share of ``True`` in every mask of the fitted network (after the
        empty nodes were cut out, so at least ``density``).
    n_support_changes_ : int
        Weights that entered a mask during the last fit (dynamic masks; 0
        otherwise).
    intercepts_ : list of ndarray
        Bias of every layer after the input.
    feature_importances_ : ndarray of shape (n_features,)
        Input relevance: the column norms of the first weight matrix,
        normalized to sum to 1. Makes ``SelectFromModel`` usable.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    loss_curve_ : list of float
        Training loss of every epoch.
    module_ : torch.nn.Module
        The fitted :class:`~sklearn_spectral.nn.SpectralMLP`, float64, on the
        CPU.
"""
    + SHARED_ATTRIBUTES_DOC
)

_NOTES = """
    Notes
    -----
    Each layer is the off-diagonal block of the adjacency ``Phi Lambda Phi^-1``
    of a bipartite graph with self-loops (Giambagli et al., Nat. Commun. 2021;
    Buffoni et al., Sci. Rep. 2022): ``W[i, j] = phi[i, j] * (lambda_in[j] -
    lambda_out[i])``. At initialization ``lambda_in = 0`` and ``lambda_out = 1``,
    so the network starts as an ordinary Glorot-initialized MLP.

    ``X`` is used as given: compose with
    :class:`~sklearn.preprocessing.StandardScaler` in a pipeline, as with
    ``MLPClassifier``.
"""


class _SpectralMLPMixin(EigenvalueL1Mixin):
    """Network and fitted attributes shared by the two spectral MLPs."""

    _parameter_constraints = {
        **BaseTorchEstimator._parameter_constraints,
        "train": [StrOptions({"full", "eigenvalues"})],
        "train_input_eigenvalues": ["boolean", StrOptions({"auto"})],
        "eigenvalue_l1": [Interval(Real, 0, None, closed="left")],
        "density": [Interval(Real, 0, 1, closed="right")],
        "mask": [StrOptions({"dynamic", "static"})],
        "phi": [StrOptions(set(PHI_LAYERS))],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        train="full",
        train_input_eigenvalues="auto",
        density=1.0,
        mask="dynamic",
        phi="dense",
        eigenvalue_l1=0.0,
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
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
        dtype="float32",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.train = train
        self.train_input_eigenvalues = train_input_eigenvalues
        self.density = density
        self.mask = mask
        self.phi = phi
        self.eigenvalue_l1 = eigenvalue_l1
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
        module = SpectralMLP(
            [n_features, *self._hidden_sizes(), n_outputs],
            activation=self.activation,
            train_phi=self.train == "full",
            train_lambda_in=self._train_input_eigenvalues(),
            generator=generator,
            phi=self.phi,
        )
        set_masks_(module, self.density)
        self._mask_density = self.density
        return module

    def _train_input_eigenvalues(self):
        if self.train_input_eigenvalues == "auto":
            return self.phi == "svd"
        return bool(self.train_input_eigenvalues)

    def _callbacks(self, data, generator, incremental=False):
        if self.density == 1:
            return ()
        # (partial_fit keeps every node: a later chunk may need it)
        self._sparse_masks = SparseMasks(
            self.density,
            self.mask == "dynamic",
            every=MASK_EVERY,
            compact=not incremental,
        )
        return (self._sparse_masks,)

    def _l1_eigenvalues(self, module):
        return [layer.lambda_out for layer in module.layers[:-1]]

    def _configure_warm_module(self, module):
        # ``train`` and ``train_input_eigenvalues`` may have changed since the
        # module was built (e.g. eigenvalue-only training, then full training).
        for layer in module.layers:
            if type(layer) is not PHI_LAYERS[self.phi]:
                raise ValueError(
                    f"warm_start cannot change the structure of phi to "
                    f"{self.phi!r}: the fitted network has {type(layer).__name__} "
                    "layers. Fit a new estimator (warm_start=False)."
                )
            layer.train_phi_(self.train == "full")
            layer.lambda_in.requires_grad_(self._train_input_eigenvalues())
        if self.density != getattr(self, "_mask_density", 1.0):  # changed
            set_masks_(module, self.density)
            self._mask_density = self.density
        return module

    def _set_fitted_attributes(self):
        layers = self.module_.layers
        with torch.no_grad():
            weights = [layer.weight().numpy() for layer in layers]
            self.eigenvalues_ = [
                torch.cat([layer.lambda_in, layer.lambda_out]).numpy()
                for layer in layers
            ]
            self.eigenvectors_ = [layer.phi.numpy().copy() for layer in layers]
            self.intercepts_ = [layer.bias.numpy().copy() for layer in layers]
        self.coefs_ = [w.T.copy() for w in weights]
        self.masks_ = [
            np.ones(w.T.shape, dtype=bool)
            if layer.mask is None
            else layer.mask.numpy().T.copy()
            for w, layer in zip(weights, layers, strict=True)
        ]
        self.densities_ = layer_densities(self.module_)
        sparse = self.__dict__.pop("_sparse_masks", None)
        self.n_support_changes_ = 0 if sparse is None else sparse.n_moved
        relevance = np.linalg.norm(weights[0], axis=0)
        total = relevance.sum()
        self.feature_importances_ = relevance / total if total > 0 else relevance
        self.n_layers_ = len(layers) + 1
        self.n_outputs_ = layers[-1].out_features


class SpectralMLPClassifier(
    TorchClassifierMixin, _SpectralMLPMixin, BaseTorchEstimator
):
    __doc__ = (
        """Multi-layer perceptron classifier trained in the spectral domain.

    Every layer's weights are parametrized by eigenvectors and eigenvalues,
    ``W = phi diag(lambda_in) - diag(lambda_out) phi``, so eigenvalues can be
    trained alone and rank the nodes by relevance.
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
    SpectralMLPRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : The dense counterpart.
"""
        + _NOTES
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_spectral import SpectralMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     SpectralMLPClassifier((16,), max_iter=300, random_state=0, device="cpu"),
    ... ).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    >>> [e.shape for e in clf[-1].eigenvalues_]
    [(20,), (19,)]
"""
    )


class SpectralMLPRegressor(TorchRegressorMixin, _SpectralMLPMixin, BaseTorchEstimator):
    __doc__ = (
        """Multi-layer perceptron regressor trained in the spectral domain.

    Every layer's weights are parametrized by eigenvectors and eigenvalues,
    ``W = phi diag(lambda_in) - diag(lambda_out) phi``. Supports several
    outputs. ``y`` is standardized internally and predictions are returned in
    the original units.
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
    SpectralMLPClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : The dense counterpart.
"""
        + _NOTES
        + """
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_spectral import SpectralMLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> reg = SpectralMLPRegressor((32,), max_iter=300, random_state=0, device="cpu")
    >>> bool(reg.fit(X, y).score(X, y) > 0.9)
    True
"""
    )
