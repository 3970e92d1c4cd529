"""The base of every torch estimator in the package: ``fit`` and prediction.

``fit`` validates, seeds, splits the validation rows, and calls the shared
:class:`~sklearn_spectral.train.Trainer` with the estimator's callbacks;
prediction runs in float64 on the CPU. Subclasses provide the network
(``_build_module``) and, through the classifier and regressor bases of
``_tasks.py``, the task: loss, output link and scoring. Validation, devices,
threads and seeding are in ``_utils.py``; shared docstrings in ``_docs.py``.
"""

import copy
import functools
import math
import types
from abc import abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
)

from ._tasks import TorchClassifierMixin, TorchRegressorMixin
from ._utils import (
    DivergenceError,
    as_tensor,
    dense_row_chunks,
    make_rng,
    resolve_device,
    to_tensor,
    torch_generator,
    training_threads,
    validate_input,
)
from .nn.activations import ACTIVATIONS
from .nn.spectral_layer import soft_threshold_
from .train.callback import ProximalStep
from .train.snapshots import copy_module
from .train.trainer import Trainer, make_adam

#: Smallest mean raw sample weight the L2 penalty is divided by (per row):
#: below it, the penalty of weights like 1e-320 overflows float64.
MIN_WEIGHT_SCALE = 1e-8


def _cpu_state(state):
    """An optimizer's ``state_dict`` with its tensors copied to the CPU."""
    return {
        "state": {
            key: {
                k: v.detach().cpu().clone() if torch.is_tensor(v) else v
                for k, v in values.items()
            }
            for key, values in state["state"].items()
        },
        "param_groups": copy.deepcopy(state["param_groups"]),
    }


class _FitData:
    """The rows of a fit for the callbacks, on the training device.

    ``train``, ``validation`` (or ``None``), ``held_out`` (rows held out for
    the callbacks, or ``None``) and ``all`` (every row, when some are held
    out), each ``(X, y, sample_weight)``; ``rows`` indexes the training rows
    in the full tensors (``None``: all of them). The training rows are
    gathered on first use: the trainer reads them by index from the full
    tensors, and a fit whose callbacks never ask holds no copy of them.
    """

    def __init__(self, full, rows, validation_rows, held_rows):
        self.full = full
        device = full[0].device

        def index(idx):
            return None if idx is None else torch.as_tensor(idx, device=device)

        self.rows = index(rows)
        self.validation = self._gather(index(validation_rows))
        self.held_out = self._gather(index(held_rows))
        self.all = None if held_rows is None else full

    def _gather(self, idx):
        if idx is None:
            return None
        return tuple(None if t is None else t.index_select(0, idx) for t in self.full)

    @functools.cached_property
    def train(self):
        return self.full if self.rows is None else self._gather(self.rows)

    @property
    def n_train(self):
        """The number of training rows."""
        return len(self.full[0]) if self.rows is None else len(self.rows)

    def sample_train(self, n, generator):
        """At most ``n`` training rows drawn at random (``generator``),
        leaving out rows of weight 0, gathered (no copy of the other
        training rows is made)."""
        idx = torch.randperm(self.n_train, generator=generator)
        idx = idx.to(self.full[0].device)
        if self.rows is not None:
            idx = self.rows[idx]
        w = self.full[2]
        if w is not None:  # rows of weight 0 say nothing
            idx = idx[w[idx] > 0]
        return self._gather(idx[:n])


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
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "device": [str, torch.device],
        "dtype": [StrOptions({"float32", "float64"})],
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
        """Return a new torch module for this estimator (cast to ``dtype``
        by ``fit``)."""

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
        return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        """``fit``, or with ``incremental`` one epoch of ``partial_fit``."""
        warm = (self.warm_start or incremental) and hasattr(self, "module_")
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True (one epoch "
                "per call leaves nothing to stop); set early_stopping=False to "
                "stream, as with MLPClassifier."
            )
        X, y = validate_input(
            self,
            X,
            y,
            reset=not warm,
            dtype=(np.float64, np.float32),
            ensure_min_samples=1 if incremental else 2,
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
        if incremental:
            y = self._encode_targets_incremental(y, warm, classes, sample_weight)
        else:
            y = self._encode_targets(y, warm, sample_weight)
        weight_scale = 1.0  # the mean raw weight
        if sample_weight is not None:
            # Mean 1; dividing by the largest first keeps the sum finite and
            # the ratio of tiny weights (1e-320) representable.
            top = sample_weight.max()
            sample_weight = sample_weight / top
            # (at least MIN_WEIGHT_SCALE: tiny weights, 1e-320, would make
            # the penalty overflow)
            weight_scale = max(float(sample_weight.mean() * top), MIN_WEIGHT_SCALE)
            sample_weight = sample_weight * (len(sample_weight) / sample_weight.sum())
        rng = make_rng(self.random_state)
        device = resolve_device(self.device)

        dtype = torch.float64 if self.dtype == "float64" else torch.float32
        init_generator = torch_generator(rng)
        if warm:
            module = copy_module(self.module_, device, dtype)
            module = self._configure_warm_module(module)
        else:
            module = self._build_module(X.shape[1], self._n_logits, init_generator)
            module = module.to(device=device, dtype=dtype)

        # Every row on the training device once, sharing X's memory where
        # torch can; the training, validation and held-out rows are index
        # sets into it, gathered only where a copy is needed (the validation
        # rows, and the rows a callback reads).
        target_dtype = dtype if self._float_targets() else torch.int64
        full = (
            to_tensor(X, dtype, device),
            to_tensor(y, target_dtype, device),
            None if sample_weight is None else to_tensor(sample_weight, dtype, device),
        )
        rows = val_rows = held_rows = None
        if self.early_stopping:
            rows, val_rows = self._split_rows(y, self.validation_fraction, rng)
            if len(val_rows) < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
        holdout = 0.0 if self.early_stopping else self._callback_holdout(incremental)
        if holdout and X.shape[0] > 1:  # (a partial_fit chunk may be one row)
            # Rows the callbacks decide on and training does not see until
            # they give them back.
            rows, held_rows = self._split_rows(y, holdout, rng)
        data = _FitData(full, rows, val_rows, held_rows)
        n_train = X.shape[0] if rows is None else len(rows)
        batch_size = min(200, n_train) if self.batch_size == "auto" else self.batch_size
        shuffle_generator = torch_generator(rng)  # drawn before the callbacks'
        callbacks = self._callbacks(data, torch_generator(rng), incremental)
        trainer = Trainer(
            module,
            self._loss,
            loss_gradient_fn=self._closed_form_loss_gradient(),
            score_fn=self._score_tensor,
            alpha=self.alpha,
            weight_scale=weight_scale,
            learning_rate_init=self.learning_rate_init,
            batch_size=batch_size,
            max_iter=1 if incremental else self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            shuffle=self.shuffle,
            generator=shuffle_generator,
            callbacks=(*self._proximal_steps(), *callbacks),
            verbose=bool(self.verbose),
            optimizer=self._resumed_optimizer(module) if incremental else None,
            keep_initial_state=warm,
            warn_at_max_iter=not incremental,
        )
        with training_threads(module, batch_size, device):
            try:
                trainer.fit(*full, *(data.validation or (None,) * 3), rows=data.rows)
            except FloatingPointError as exc:
                raise DivergenceError(str(exc)) from exc
        self.module_ = copy_module(trainer.module, "cpu", torch.float64).eval()
        # Adam's moments go on across partial_fit calls, as MLPClassifier's
        # optimizer does (on the CPU, so that the estimator pickles anywhere).
        self._optimizer_state = (
            _cpu_state(trainer.optimizer.state_dict()) if incremental else None
        )
        # As MLPClassifier: n_iter_ counts this fit's epochs (every call's,
        # under partial_fit), t_ and loss_curve_ go on across warm-start fits.
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

    def _resumed_optimizer(self, module):
        """Adam over ``module``, with the moments of the last ``partial_fit``
        call when the parameters kept their shapes (else fresh ones)."""
        optimizer = make_adam(module.parameters(), self.learning_rate_init)
        state = getattr(self, "_optimizer_state", None)
        if state is not None:
            try:
                optimizer.load_state_dict(state)
            except ValueError:  # another number or shape of parameters
                pass
            else:
                shapes_kept = all(
                    v.shape == p.shape
                    for p in module.parameters()
                    for k, v in optimizer.state.get(p, {}).items()
                    if k != "step"
                )
                if not shapes_kept:
                    optimizer = make_adam(module.parameters(), self.learning_rate_init)
        return optimizer

    def _closed_form_loss_gradient(self):
        """The closed-form ``_loss_and_gradient``, unless a subclass changed
        ``_loss`` (then autograd differentiates the new loss)."""
        own = (TorchClassifierMixin._loss, TorchRegressorMixin._loss)
        return self._loss_and_gradient if type(self)._loss in own else None

    def _configure_warm_module(self, module):
        """Apply the current parameters to a module continued by ``warm_start``."""
        return module

    def _split_rows(self, y, fraction, rng):
        """Indices of the kept and of the held-out rows, stratified for
        single-label classifiers where every class has two rows (the rows
        ``train_test_split`` would give)."""
        rows = np.arange(len(y))
        stratify = None
        if isinstance(self, ClassifierMixin) and y.ndim == 1:  # not multilabel
            counts = np.unique(y, return_counts=True)[1]
            n_held = math.ceil(fraction * len(y))
            if counts.min() >= 2 and len(counts) <= min(n_held, len(y) - n_held):
                stratify = y
        kept, held = train_test_split(
            rows, test_size=fraction, random_state=rng, stratify=stratify
        )
        return kept, held

    def _callback_holdout(self, incremental=False):
        """Share of the rows to hold out for the callbacks' decisions when
        there is no validation set (0: none); ``incremental`` for a
        ``partial_fit`` call."""
        return 0.0

    def _callbacks(self, data, generator, incremental=False):
        """The training policies given to the trainer
        (:class:`~sklearn_spectral.train.Callback`: growth, compaction),
        besides the proximal steps; ``incremental`` for the one epoch of a
        ``partial_fit`` call.

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
