"""GrowingMLPClassifier and GrowingMLPRegressor: networks that grow with TINY."""

import math
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseTorchEstimator
from ._docs import DEVICE_DOC, SHARED_ATTRIBUTES_DOC, SHARED_PARAMETERS_DOC
from ._tasks import TorchClassifierMixin, TorchRegressorMixin
from .nn.growing import GrowingMLP
from .train.growth import Growth

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
    shrink_perturb : tuple of (float, float) or None, default=(0.6, 0.01)
        ``(shrink, noise)``: when growth stops for good within the first
        half of ``max_iter``, every weight and bias becomes ``shrink * theta + noise *
        theta_0``, ``theta_0`` a fresh draw of the initialization, and
        training goes on from there (see Notes). ``None`` keeps the grown
        weights. Chosen over the real-data suite and four seeds
        (``benchmarks/bench_defaults.py``).
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
    max_iter : int, default=300
        Maximum number of epochs, growth phase included. Higher than
        ``MLPClassifier``'s 200: when growth stops, the network is shrunk and
        perturbed and trains on (see Notes), which needs epochs of its own.
        Chosen over the real-data suite and four seeds
        (``benchmarks/bench_defaults.py``) against 200 and 500: 200 leaves
        too few epochs after growth on the largest set, 500 overfits the
        smallest regression sets and costs more time.
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
    n_iter_no_change : int or np.inf, default=10
        Epochs without an improvement of ``tol`` before training stops
        (``np.inf``: never, as ``MLPClassifier``; then the rows held out for
        growth never rejoin training).
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
        (the step's wall time, on the first record of a step; 0 on a record
        that follows it in the same step, such as an added hidden layer).
        ``status`` is ``"grown"``, the reason growth stopped,
        ``"hidden layer added (reason)"`` when growth inserted a
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
    differences; else that shallower network is put back.

    A grown network is a chain of warm starts, and warm-started networks
    generalize worse than networks trained from scratch (Ash and Adams, "On
    Warm-Starting Neural Network Training", NeurIPS 2020). When growth stops
    for good within the first half of ``max_iter`` (so that at least as many
    epochs are left to retrain it), the network's weights are therefore
    shrunk and a fraction of a fresh initialization is added
    (``shrink_perturb``), and training goes on from there: the same widths,
    part of what growth learned kept (not under ``partial_fit``, whose
    growth goes on across calls; ``shrink_perturb=None`` keeps the grown
    weights).

    When training has converged, the network is compared on the held-out
    rows with a linear model fitted to the same rows (``LogisticRegression`` or
    ``RidgeCV``); unless the network scores better there, it is replaced by
    that linear model, held by one hidden unit per output in the linear
    range of its activation (the logistic activation has none, and keeps
    the network), and ``growth_stop_reason_`` says so. Rows are compared
    paired, a regressor's squared errors with the largest and smallest
    tenth of the differences trimmed: one outlying row among a few dozen
    must not decide. A network that wins is replaced by its mixture with
    the linear model, ``w * network + (1 - w) * linear`` (their hidden
    units side by side), if a weight ``w`` of 0.1, ..., 0.9 does better on
    the held-out rows than the network alone. A kept network then trains on
    with the held-out rows (without ``early_stopping``) until its stopping
    rule.

    New neurons start with a small amplitude, where they act linearly on the
    layer's input: a bottleneck is seen only when what the network misses
    correlates (linearly) with that input. A target with no such correlation,
    such as ``sin(2 x_1) x_2`` on a symmetric domain, gives no growth from a
    tiny start; start wider or use a fixed-size network for it. With a
    single output, a step can add at most one neuron to the last hidden
    layer (the bottleneck's rank is at most the next layer's width).

    ``X`` is used as given: compose with a ``StandardScaler``.
"""


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
        "shrink_perturb": [tuple, None],
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
        shrink_perturb=(0.6, 0.01),
        activation="relu",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=3e-3,
        max_iter=300,
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
        self.initial_hidden_layer_sizes = initial_hidden_layer_sizes
        self.growth_threshold = growth_threshold
        self.max_hidden_units = max_hidden_units
        self.max_hidden_layers = max_hidden_layers
        self.grow_every = grow_every
        self.max_neurons_per_step = max_neurons_per_step
        self.layer_selection = layer_selection
        self.growth_samples = growth_samples
        self.shrink_perturb = shrink_perturb
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
        self.dtype = dtype

    def _hidden_sizes(self):
        sizes = self.initial_hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not sizes or any(not isinstance(s, Integral) or s < 0 for s in sizes):
            raise ValueError(
                "initial_hidden_layer_sizes must hold one or more non-negative "
                f"integers, got {sizes}."
            )
        return sizes

    def _shrink_perturb(self):
        """``shrink_perturb`` checked: ``(shrink, noise)`` or ``None``."""
        value = self.shrink_perturb
        if value is None:
            return None
        if len(value) != 2 or not all(
            isinstance(v, Real) and not isinstance(v, bool) and 0 <= v < math.inf
            for v in value
        ):
            raise ValueError(
                "shrink_perturb must be None or a tuple of two non-negative "
                f"finite numbers (shrink, noise), got {value!r}."
            )
        return float(value[0]), float(value[1])

    def _build_module(self, n_features, n_outputs, generator):
        return GrowingMLP(
            [n_features, *self._hidden_sizes(), n_outputs],
            activation=self.activation,
            generator=generator,
        )

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        # The growth state partial_fit goes on from: a fresh one for a first
        # call, none after fit (its growth sized the network and ended); a
        # call that fails leaves the previous one.
        previous = self.__dict__.get("_partial_growth")
        if not incremental:
            self._partial_growth = None
        elif not hasattr(self, "module_"):
            self._partial_growth = {}
        try:
            return super()._fit(X, y, sample_weight, incremental, classes)
        except BaseException:
            self._partial_growth = previous
            raise

    def _grows_incrementally(self):
        state = self.__dict__.get("_partial_growth")
        return state is not None and not state.get("stopped")

    def _callback_holdout(self, incremental=False):
        if incremental and (
            not self._grows_incrementally() or "held_out" in self._partial_growth
        ):
            return 0.0  # (the first call's held-out rows decide)
        return self.validation_fraction

    def _callbacks(self, data, generator, incremental=False):
        self.__dict__.pop("_growth", None)  # of a fit that failed
        self._shrink_perturb()
        if incremental and not self._grows_incrementally():
            return ()
        warm = (self.warm_start or incremental) and hasattr(self, "growth_history_")
        history = list(self.growth_history_) if warm else []
        offset = len(self.loss_curve_) if warm else 0
        state = self._partial_growth if incremental else None
        self._growth = Growth(self, data, generator, history, offset, state)
        return (self._growth,)

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
            if growth.incremental:
                self._partial_growth = growth.export_state()
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
