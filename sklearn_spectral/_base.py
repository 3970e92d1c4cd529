"""Shared scikit-learn plumbing of every torch estimator in the package.

Validation, seeding, device resolution, the validation split, calling the
shared :class:`~sklearn_spectral._training.Trainer`, and float64 prediction on
the CPU. Subclasses provide the network (``_build_module``) and, through the
classifier and regressor bases below, the task: loss, output link and scoring.
"""

import math
import types
from abc import abstractmethod
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from torch.nn import functional as F

from ._losses import binary_logistic, half_squared_error, softmax_cross_entropy
from ._training import Trainer, copy_module
from .nn.activations import ACTIVATIONS
from .nn.spectral_layer import soft_threshold_
from .train.callback import ProximalStep

#: Rows per chunk when predicting, so that hidden activations stay bounded.
PREDICT_CHUNK = 65536

#: Largest magnitude of a float32: the networks train in float32, where a
#: larger (finite float64) input would become infinite.
FLOAT32_MAX = float(np.finfo(np.float32).max)

#: Below this many multiply-adds per batch (batch size x parameters), CPU
#: training runs on one thread: on 2 cores, one thread fitted load_digits
#: 1.2x and load_breast_cancer 1.5x faster, while a 1024 x 79k-parameter
#: batch ran 1.4x faster on two (benchmarks/bench_spectral_mlp.py and
#: bench_throughput.py with OMP_NUM_THREADS=1 and 2).
SINGLE_THREAD_WORK = 10_000_000


@contextmanager
def training_threads(module, batch_size, device):
    """Use one torch thread while training a small network on the CPU.

    The thread setting is process-wide in torch; it is restored on exit.
    """
    n_params = sum(p.numel() for p in module.parameters())
    previous = torch.get_num_threads()
    small = device.type == "cpu" and batch_size * n_params < SINGLE_THREAD_WORK
    if small and previous > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


#: numpydoc of the parameters every estimator shares, between ``max_iter``
#: and ``early_stopping`` in their signatures.
SHARED_PARAMETERS_DOC = """    shuffle : bool, default=True
        Whether to shuffle the rows every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds every random choice of the fit (initialization, shuffling, the
        validation split, growth subsamples). The global NumPy and torch
        random states are never used.
    tol : float, default=1e-4
        Minimum improvement of the loss (or validation score) that counts.
    verbose : bool or int, default=False
        Report every epoch: a tqdm progress bar (loss, validation score and,
        for growing networks, the current widths) when tqdm is installed
        (``pip install tqdm``), else one printed line per epoch.
    warm_start : bool, default=False
        Continue from the previously fitted network instead of a new one.
"""

#: numpydoc of ``device``, the last parameter of every estimator.
DEVICE_DOC = """    device : str or torch.device, default="auto"
        Training device: ``"auto"`` (CUDA when available), ``"cpu"``,
        ``"cuda"`` or ``"cuda:N"``. The fitted network is kept on the CPU in
        float64, so a model fitted on a GPU unpickles and predicts anywhere.
"""

#: numpydoc of the fitted attributes every estimator shares.
SHARED_ATTRIBUTES_DOC = """    n_iter_ : int
        Epochs run by the last call to ``fit`` (as ``MLPClassifier``: a
        ``warm_start`` fit counts its own).
    t_ : int
        Training rows the optimizer has seen, over every ``warm_start`` fit
        (``n_iter_`` times the rows per epoch, as ``MLPClassifier``).
    loss_ : float
        Training loss of the last epoch.
    best_loss_ : float or None
        Lowest training loss (``None`` with early stopping).
    validation_scores_ : list of float or None
        Validation score of every epoch (``None`` without early stopping).
    best_validation_score_ : float or None
        Validation score of the kept model (``None`` without early
        stopping): the best of every epoch, as ``MLPClassifier``, also
        across growth steps; after a decision that replaced the network
        (growth's restored or linear network, SpectralNAS's compaction
        phase), the best since then.
    device_ : str
        Device the network was trained on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when ``X`` has string column
        names.
"""


def as_tensor(array):
    """A torch view of a NumPy array, copied only when torch cannot share it
    (read-only or non-contiguous memory)."""
    array = np.ascontiguousarray(array)
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(array)


class DivergenceError(FloatingPointError, ValueError):
    """Training diverged before reaching any finite model.

    A ``ValueError`` (the data or the parameters are at fault: inputs too
    large for float32 training, a too large ``learning_rate_init``) that is
    also the ``FloatingPointError`` the trainer raises. Raised by ``fit``
    when no epoch ended with a finite loss; a fit that diverges later keeps
    its last finite model with a ``ConvergenceWarning`` instead.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_spectral import DivergenceError, SpectralMLPRegressor
    >>> X = np.random.RandomState(0).normal(size=(50, 3))
    >>> reg = SpectralMLPRegressor(learning_rate_init=1e30, random_state=0)
    >>> try:
    ...     reg.fit(X * 1e30, X[:, 0])
    ... except DivergenceError as exc:
    ...     print(str(exc)[:32])
    Training diverged at epoch 1: th
    """


def validate_input(estimator, X, y="no_validation", **kwargs):
    """``validate_data`` plus what the float32 networks need.

    Sparse ``X`` is accepted as CSR or CSC (as ``MLPClassifier`` does; other
    formats are converted to CSR) and left to the caller to densify. Numbers
    beyond the float32 range, and Python integers too large for float64,
    raise a ``ValueError``.

    Parameters
    ----------
    estimator : estimator
        The estimator validating its input.
    X : array-like or sparse matrix of shape (n_samples, n_features)
        Input data.
    y : array-like, default="no_validation"
        Targets, validated with ``X`` unless ``"no_validation"``.
    **kwargs : dict
        Passed to :func:`sklearn.utils.validation.validate_data`.

    Returns
    -------
    X or (X, y)
        As ``validate_data`` returns them.
    """
    kwargs.setdefault("accept_sparse", ["csr", "csc"])
    try:
        out = validate_data(estimator, X, y, **kwargs)
    except OverflowError as exc:  # Python ints beyond float64
        raise ValueError(
            f"Input contains a number too large to convert to float64 ({exc})."
        ) from exc
    no_y = y is None or (isinstance(y, str) and y == "no_validation")
    X_checked = out if no_y else out[0]
    values = X_checked.data if sp.issparse(X_checked) else X_checked
    if values.dtype == np.float64 and values.size:
        largest = max(values.max(), -values.min())
        if largest > FLOAT32_MAX:
            raise ValueError(
                f"Input X contains values too large for float32, the precision "
                f"the network computes in: max |x| = {largest:.3g} > "
                f"{FLOAT32_MAX:.3g}. Scale the features, e.g. with StandardScaler."
            )
    return out


def dense_row_chunks(X):
    """``X`` by chunks of ``PREDICT_CHUNK`` rows, as dense arrays."""
    for start in range(0, X.shape[0], PREDICT_CHUNK):
        chunk = X[start : start + PREDICT_CHUNK]
        yield chunk.toarray() if sp.issparse(chunk) else chunk


def resolve_device(device):
    """Turn the ``device`` parameter into a :class:`torch.device`.

    ``"auto"`` picks ``"cuda"`` when available, else ``"cpu"``. Asking for
    CUDA on a machine without it is a ``ValueError``.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}"
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available.")
    return dev


def make_rng(random_state):
    """A NumPy ``RandomState`` for one fit, never the global one.

    ``None`` draws fresh OS entropy instead of consuming the global NumPy
    stream, so fitting leaves the global NumPy and torch RNG states untouched.
    """
    if random_state is None:
        return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.RandomState):
        return random_state
    return np.random.RandomState(random_state)


def torch_generator(rng):
    """A CPU ``torch.Generator`` seeded from ``rng``."""
    return torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))


class BaseTorchEstimator(BaseEstimator):
    """Base of the package's estimators: fit through the shared trainer.

    Subclasses implement ``_build_module(n_features, n_outputs, generator)``
    and the task hooks defined by :class:`TorchClassifierMixin` and
    :class:`TorchRegressorMixin`.
    """

    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
    }

    def __init_subclass__(cls, **kwargs):
        # A public estimator inheriting ``__init__`` from a private mixin gets
        # its own copy named after it, so that an unknown keyword raises
        # "SpectralMLPClassifier.__init__() got an unexpected keyword
        # argument", not "_SpectralMLPMixin.__init__() ...". Same code,
        # defaults and signature (``get_params`` reads it).
        super().__init_subclass__(**kwargs)
        init = cls.__init__
        owner = init.__qualname__.rpartition(".")[0]
        if (
            cls.__name__.startswith("_")
            or "__init__" in cls.__dict__
            or not isinstance(init, types.FunctionType)
            or not owner.startswith("_")
        ):
            return
        qualname = f"{cls.__qualname__}.__init__"
        code = init.__code__
        if hasattr(code, "co_qualname"):  # Python >= 3.11
            code = code.replace(co_qualname=qualname)
        copy = types.FunctionType(
            code, init.__globals__, init.__name__, init.__defaults__, init.__closure__
        )
        copy.__kwdefaults__ = init.__kwdefaults__
        copy.__doc__ = init.__doc__
        copy.__annotations__ = dict(init.__annotations__)
        copy.__dict__.update(init.__dict__)
        copy.__module__ = cls.__module__
        copy.__qualname__ = qualname
        cls.__init__ = copy

    @abstractmethod
    def _build_module(self, n_features, n_outputs, generator):
        """Return a new float32 torch module for this estimator."""

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(not isinstance(s, Integral) or s < 1 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must contain positive integers, got {sizes}."
            )
        return sizes

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data ``X`` and targets ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: class labels for classifiers, real values for regressors.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "module_")
        X, y = validate_input(
            self,
            X,
            y,
            reset=not warm,
            dtype=(np.float64, np.float32),
            ensure_min_samples=2,
            **self._validate_y_kwargs(),
        )
        if sp.issparse(X):
            X = X.toarray()  # the network is dense
        self._hidden_sizes()
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, ensure_non_negative=True
            )
            if not sample_weight.any():
                raise ValueError("sample_weight must contain a non-zero weight.")
        y = self._encode_targets(y, warm, sample_weight)
        if sample_weight is not None:
            # Mean 1; dividing by the largest first keeps the sum finite and
            # the ratio of tiny weights (1e-320) representable.
            sample_weight = sample_weight / sample_weight.max()
            sample_weight = sample_weight * (len(sample_weight) / sample_weight.sum())
        rng = make_rng(self.random_state)
        device = resolve_device(self.device)

        init_generator = torch_generator(rng)
        if warm:
            module = self._configure_warm_module(copy_module(self.module_, device))
        else:
            module = self._build_module(X.shape[1], self._n_logits, init_generator).to(
                device
            )

        X_val = y_val = sw_val = None
        X_all, y_all, sw_all = X, y, sample_weight
        if self.early_stopping:
            (X, y, sample_weight), (X_val, y_val, sw_val) = self._split(
                X, y, sample_weight, self.validation_fraction, rng
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
        held_out = None
        holdout = 0.0 if self.early_stopping else self._callback_holdout()
        if holdout:
            # Rows the callbacks decide on and training does not see until
            # they give them back.
            (X, y, sample_weight), held_out = self._split(
                X, y, sample_weight, holdout, rng
            )

        def tensor(a, dtype=torch.float32):
            return None if a is None else torch.tensor(a, dtype=dtype, device=device)

        target_dtype = self._target_dtype()

        def tensors(X, y, w):
            return tensor(X), tensor(y, target_dtype), tensor(w)

        X, y, sample_weight = tensors(X, y, sample_weight)
        X_val, y_val, sw_val = tensors(X_val, y_val, sw_val)
        data = types.SimpleNamespace(
            train=(X, y, sample_weight),
            validation=None if X_val is None else (X_val, y_val, sw_val),
            held_out=None if held_out is None else tensors(*held_out),
            all=None if held_out is None else tensors(X_all, y_all, sw_all),
        )
        batch_size = (
            min(200, X.shape[0]) if self.batch_size == "auto" else self.batch_size
        )
        trainer = Trainer(
            module,
            self._loss,
            loss_gradient_fn=self._closed_form_loss_gradient(),
            score_fn=self._score_tensor,
            alpha=self.alpha,
            learning_rate_init=self.learning_rate_init,
            batch_size=batch_size,
            max_iter=self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            shuffle=self.shuffle,
            generator=torch_generator(rng),
            callbacks=(
                *self._proximal_steps(),
                *self._callbacks(data, torch_generator(rng)),
            ),
            verbose=bool(self.verbose),
            keep_initial_state=warm,
        )
        with training_threads(module, batch_size, device):
            try:
                trainer.fit(X, y, sample_weight, X_val, y_val, sw_val)
            except FloatingPointError as exc:
                raise DivergenceError(str(exc)) from exc
            if self.early_stopping and trainer.best_validation_score is None:
                # a callback replaced the network after the last epoch (growth's
                # linear model): the score of what is kept
                score, _ = trainer._validation_score(X_val, y_val, sw_val)
                trainer.best_validation_score = score
        self.module_ = copy_module(trainer.module, "cpu", torch.float64).eval()
        # As MLPClassifier: n_iter_ counts this fit's epochs, t_ and
        # loss_curve_ go on across warm-start fits.
        self.n_iter_ = trainer.n_iter
        self.t_ = trainer.n_samples_seen + (getattr(self, "t_", 0) if warm else 0)
        self.loss_curve_ = (self.loss_curve_ if warm else []) + trainer.loss_curve
        # (A warm fit stopped in its first epoch keeps the previous model.)
        self.loss_ = self.loss_curve_[-1]
        if self.early_stopping:
            self.validation_scores_ = (
                self.validation_scores_ if warm and self.validation_scores_ else []
            ) + trainer.validation_scores
            if trainer.n_iter or not warm:
                self.best_validation_score_ = trainer.best_validation_score
            # (else a warm fit stopped in its first epoch: the previous one stays)
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = min(self.loss_curve_)
        self.device_ = str(device)
        self._set_fitted_attributes()
        return self

    def _closed_form_loss_gradient(self):
        """The closed-form ``_loss_and_gradient``, unless a subclass changed
        ``_loss`` (then autograd differentiates the new loss)."""
        own = (TorchClassifierMixin._loss, TorchRegressorMixin._loss)
        return self._loss_and_gradient if type(self)._loss in own else None

    def _configure_warm_module(self, module):
        """Apply the current parameters to a module continued by ``warm_start``."""
        return module

    def _split(self, X, y, sample_weight, fraction, rng):
        """``(X, y, sample_weight)`` of the kept and of the held-out rows,
        stratified for classifiers where every class has two rows."""
        arrays = [X, y] if sample_weight is None else [X, y, sample_weight]
        stratify = None
        if isinstance(self, ClassifierMixin):
            counts = np.unique(y, return_counts=True)[1]
            n_held = math.ceil(fraction * len(y))
            if counts.min() >= 2 and len(counts) <= min(n_held, len(y) - n_held):
                stratify = y
        split = train_test_split(
            *arrays, test_size=fraction, random_state=rng, stratify=stratify
        )
        kept, held = split[0::2], split[1::2]
        if sample_weight is None:
            kept, held = kept + [None], held + [None]
        return tuple(kept), tuple(held)

    def _callback_holdout(self):
        """Share of the rows to hold out for the callbacks' decisions when
        there is no validation set (0: none)."""
        return 0.0

    def _callbacks(self, data, generator):
        """The training policies given to the trainer
        (:class:`~sklearn_spectral.train.Callback`: growth, compaction).

        ``data`` holds the tensors on the training device: ``train``,
        ``validation`` (or ``None``), ``held_out`` (rows held out for the
        callbacks, see :meth:`_callback_holdout`, or ``None``) and ``all``
        (every row, when some are held out), each ``(X, y, sample_weight)``;
        ``generator`` is a seeded CPU ``torch.Generator`` for their
        randomness.
        """
        return ()

    def _proximal_steps(self):
        """:class:`~sklearn_spectral.train.ProximalStep` callbacks (L1
        penalties applied after every optimizer step)."""
        return ()

    def _set_fitted_attributes(self):
        """Export what the network learned as NumPy attributes."""

    def _forward(self, X):
        """Network output for ``X`` in float64 on the CPU, chunked by rows.

        Float64 makes the result independent of how the rows are batched.
        """
        check_is_fitted(self)
        X = validate_input(self, X, reset=False, dtype=np.float64, accept_sparse="csr")
        out = []
        with torch.no_grad():
            for chunk in dense_row_chunks(X):
                out.append(self.module_(as_tensor(chunk)).numpy())
        return np.concatenate(out) if len(out) > 1 else out[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR / CSC, densified; as MLPClassifier
        return tags


class EigenvalueL1Mixin:
    """L1 penalty on eigenvalues by a proximal soft-threshold after each step.

    For estimators with an ``eigenvalue_l1`` parameter; subclasses say which
    eigenvalues the penalty acts on with ``_l1_eigenvalues(module)``.

    The threshold ``learning_rate_init * eigenvalue_l1`` is measured in Adam's
    step units, not in units of the loss: an eigenvalue stays switched on
    while Adam's normalized step on it, ``m / sqrt(v)``, outweighs
    ``eigenvalue_l1``. The steps therefore do not minimize ``loss +
    eigenvalue_l1 * sum |lambda|``, and that sum is left out of the loss curve
    and the stopping rule (with it, the recorded objective rose while the
    loss fell, and training stopped ``n_iter_no_change`` epochs after its
    first few).
    """

    def _l1_eigenvalues(self, module):
        raise NotImplementedError

    def _proximal_steps(self):
        threshold = self.learning_rate_init * self.eigenvalue_l1
        if threshold == 0:
            return ()

        def soft_threshold(module):
            soft_threshold_(self._l1_eigenvalues(module), threshold)

        return (ProximalStep(soft_threshold),)


class TorchClassifierMixin(ClassifierMixin):
    """Classification task: labels, cross-entropy, probabilities.

    Binary problems use one logit and the logistic loss, multi-class problems
    one logit per class and the softmax cross-entropy (as ``MLPClassifier``).
    """

    def _validate_y_kwargs(self):
        return {}

    def _target_dtype(self):
        return torch.float32 if len(self.classes_) == 2 else torch.int64

    def _encode_targets(self, y, warm, sample_weight=None):
        try:
            check_classification_targets(y)
            encoder = LabelEncoder().fit(y)
        except TypeError as exc:  # e.g. str and int labels: they cannot be sorted
            raise TypeError(
                f"The class labels in y must be of one type to be sorted ({exc})."
            ) from exc
        if warm and not np.array_equal(encoder.classes_, self.classes_):
            raise ValueError(
                f"warm_start=True expects the classes seen before, {self.classes_}, "
                f"got {encoder.classes_}."
            )
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in y; "
                f"got only one class: {encoder.classes_[0]!r}."
            )
        self.classes_ = encoder.classes_
        return encoder.transform(y)

    @property
    def _n_logits(self):
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def _loss(self, logits, target, sample_weight):
        if logits.shape[1] == 1:
            # squeeze, not logits[:, 0]: a view is cheaper to differentiate.
            return F.binary_cross_entropy_with_logits(
                logits.squeeze(1), target, weight=sample_weight
            )
        if sample_weight is None:
            return F.cross_entropy(logits, target)
        return (
            F.cross_entropy(logits, target, reduction="none") * sample_weight
        ).mean()

    def _loss_and_gradient(self, logits, target, sample_weight):
        """``_loss`` and its gradient with respect to ``logits``, in closed form."""
        if logits.shape[1] == 1:
            return binary_logistic(logits, target, sample_weight)
        return softmax_cross_entropy(logits, target, sample_weight)

    def _row_scores(self, logits, target):
        """Per row: 1.0 if the prediction is right, else 0.0 (float64)."""
        if logits.shape[1] == 1:
            pred = (logits[:, 0] > 0).to(target.dtype)
        else:
            pred = logits.argmax(dim=1)
        return (pred == target).to(torch.float64)

    def _score_tensor(self, logits, target, sample_weight):
        correct = self._row_scores(logits, target)
        if sample_weight is None:
            return correct.mean().item()
        return ((correct * sample_weight).sum() / sample_weight.sum()).item()

    def decision_function(self, X):
        """Logits of the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            One logit per sample for binary problems (positive means
            ``classes_[1]``), else one per class.
        """
        logits = self._forward(X)
        return logits[:, 0] if logits.shape[1] == 1 else logits

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probability of each class, columns ordered as ``classes_``.
        """
        logits = torch.from_numpy(self._forward(X))
        if logits.shape[1] == 1:
            p = torch.sigmoid(logits)
            return torch.cat([1 - p, p], dim=1).numpy()
        return torch.softmax(logits, dim=1).numpy()

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        logits = torch.from_numpy(self._forward(X))
        if logits.shape[1] == 1:
            return torch.cat(
                [F.logsigmoid(-logits), F.logsigmoid(logits)], dim=1
            ).numpy()
        return torch.log_softmax(logits, dim=1).numpy()

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        logits = self._forward(X)
        if logits.shape[1] == 1:
            return self.classes_[(logits[:, 0] > 0).astype(int)]
        return self.classes_[logits.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.multi_label = False
        return tags


class TorchRegressorMixin(RegressorMixin):
    """Regression task: squared error on internally standardized targets.

    ``y`` is standardized column by column before training (so the default
    learning rate suits any scale of ``y``) and predictions are mapped back to
    the original units. ``loss_curve_`` is therefore on the standardized scale.
    """

    def _validate_y_kwargs(self):
        return {"multi_output": True, "y_numeric": True}

    def _target_dtype(self):
        return torch.float32

    def _encode_targets(self, y, warm, sample_weight=None):
        y = np.asarray(y, dtype=np.float64)
        ndim = y.ndim
        y = y.reshape(len(y), -1)
        if warm:
            if y.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"warm_start=True expects {self.n_outputs_} target columns, "
                    f"got {y.shape[1]}."
                )
        else:
            self._y_ndim = ndim
            self.n_outputs_ = y.shape[1]
            # Weighted mean and std of y / max|y| over the rows that count
            # (weight > 0): a row of weight 0 changes nothing, and huge
            # targets (1e200) do not overflow their squares, nor tiny ones
            # (1e-300) underflow.
            w = np.ones(len(y)) if sample_weight is None else sample_weight
            counted = y[w > 0]
            unit = np.abs(counted).max(axis=0)
            unit = np.where(unit > 0, unit, 1.0)
            w = w[w > 0] / w.max()
            mean = np.average(counted / unit, axis=0, weights=w)
            var = np.average((counted / unit - mean) ** 2, axis=0, weights=w)
            self._y_mean = mean * unit
            scale = np.sqrt(var) * unit
            self._y_scale = np.where(scale > 0, scale, 1.0)
        # Divided first: y - mean may overflow where y / scale does not.
        return y / self._y_scale - self._y_mean / self._y_scale

    @property
    def _n_logits(self):
        return self.n_outputs_

    def _loss(self, output, target, sample_weight):
        if sample_weight is None:
            return 0.5 * F.mse_loss(output, target)
        per_sample = (output - target).square().mean(dim=1)
        return 0.5 * (per_sample * sample_weight).mean()

    def _loss_and_gradient(self, output, target, sample_weight):
        """``_loss`` and its gradient with respect to ``output``, in closed form."""
        return half_squared_error(output, target, sample_weight)

    def _row_scores(self, output, target):
        """Per row: minus the squared error, averaged over the outputs
        (float64); a sum of these ranks models as R^2 does."""
        diff = output.to(torch.float64) - target.to(torch.float64)
        return -diff.square().mean(dim=1)

    def _score_tensor(self, output, target, sample_weight):
        w = (
            torch.ones(len(target), device=target.device)
            if sample_weight is None
            else sample_weight
        )
        w = w.to(torch.float64).unsqueeze(1)
        output, target = output.to(torch.float64), target.to(torch.float64)
        mean = (w * target).sum(0) / w.sum()
        ss_res = (w * (target - output).square()).sum(0)
        ss_tot = (w * (target - mean).square()).sum(0)
        r2 = torch.where(ss_tot > 0, 1 - ss_res / ss_tot.clamp_min(1e-300), 0.0)
        return r2.mean().item()

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Same number of dimensions as the ``y`` given to :meth:`fit`.
        """
        y = (self._forward(X) + self._y_mean / self._y_scale) * self._y_scale
        # Targets near the float64 limit: a prediction a little beyond it is
        # given as the largest float, not infinity.
        big = np.finfo(np.float64).max
        y = np.clip(y, -big, big)
        return y[:, 0] if self._y_ndim == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
