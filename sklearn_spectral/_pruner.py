"""SpectralPruner: remove the hidden nodes whose eigenvalues say they do not matter."""

import copy
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    MetaEstimatorMixin,
    TransformerMixin,
    _fit_context,
    clone,
    is_classifier,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._growing_mlp import GrowingMLPClassifier, GrowingMLPRegressor
from ._spectral_mlp import SpectralMLPClassifier, SpectralMLPRegressor
from ._spectral_nas import SpectralNASClassifier, SpectralNASRegressor
from ._utils import (
    as_tensor,
    dense_row_chunks,
    make_rng,
    torch_generator,
    validate_input,
)
from .nn.global_spectral import GlobalSpectralNetwork
from .nn.pruning import (
    CRITERIA,
    count_parameters,
    node_scores,
    prune,
    remove_layers,
    select_nodes,
)

#: The default estimator's eigenvalue L1 (see the ``estimator`` parameter):
#: on load_digits it kept the unpruned accuracy and made 80 % of the nodes
#: removable (benchmarks/bench_pruning.py).
DEFAULT_EIGENVALUE_L1 = 1.5

#: The fractions ``prune_fraction="auto"`` tries, in order.
AUTO_FRACTIONS = np.round(np.arange(0, 0.96, 0.05), 2)

_PRUNABLE = (
    SpectralMLPClassifier,
    SpectralMLPRegressor,
    SpectralNASClassifier,
    SpectralNASRegressor,
    GrowingMLPClassifier,
    GrowingMLPRegressor,
)


class _PredictionChange:
    """How far a pruned copy of ``estimator`` moves its predictions on
    ``X``, in score units (see ``SpectralPruner``'s ``max_score_drop``)."""

    def __init__(self, estimator, X, y, sample_weight):
        self.X = X
        if sample_weight is not None:  # (by its largest: 1e308 weights sum)
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            sample_weight = sample_weight / sample_weight.max()
        self.weight = sample_weight
        self.classifier = is_classifier(estimator)
        if self.classifier:
            self.reference = estimator.predict(X)
        else:
            # In units of max|y|: squares of huge targets (1e200) stay finite.
            y = np.asarray(y, dtype=np.float64)
            self.unit = np.abs(y).max() or 1.0
            y = (y / self.unit).reshape(len(y), -1)
            self.reference = self._predict(estimator)
            w = self.weight
            self.variance = np.average(
                (y - np.average(y, axis=0, weights=w)) ** 2, axis=0, weights=w
            )
            self.variance = np.where(self.variance > 0, self.variance, 1.0)

    def _predict(self, estimator):
        pred = np.asarray(estimator.predict(self.X), dtype=np.float64) / self.unit
        return pred.reshape(len(pred), -1)

    def __call__(self, estimator):
        if self.classifier:
            changed = estimator.predict(self.X) != self.reference
            if changed.ndim > 1:
                changed = changed.any(axis=1)
            return float(np.average(changed, weights=self.weight))
        diff = (self._predict(estimator) - self.reference) ** 2
        return float(
            np.mean(np.average(diff, axis=0, weights=self.weight) / self.variance)
        )


def _without_state(est):
    """A copy of a fitted estimator for its pruned network: without the
    ``partial_fit`` state of the unpruned one (Adam's moments, growth
    checkpoints)."""
    pruned = copy.deepcopy(est)
    for name in ("_optimizer_state", "_partial_growth"):
        pruned.__dict__.pop(name, None)
    return pruned


def _row_scores(model, X, y):
    """Per row: whether ``model`` predicts it right (classifiers; every
    label right for multilabel targets), or minus its squared error over
    each output's variance in ``y`` (regressors)."""
    pred = model.predict(X)
    if is_classifier(model):
        right = (pred == y).reshape(len(y), -1)
        return right.all(axis=1).astype(float)
    errors = ((pred - y) ** 2).reshape(len(y), -1)
    scale = np.var(y.reshape(len(y), -1), axis=0)
    return -(errors / np.where(scale > 0, scale, 1.0)).sum(axis=1)


def _estimator_has(attr):
    def check(self):
        est = self.estimator_ if hasattr(self, "estimator_") else self._template()
        return hasattr(est, attr)

    return check


class SpectralPruner(
    MetaEstimatorMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Prune the least relevant hidden nodes of a spectral network.

    Trains the wrapped estimator (unless ``prefit``), scores every hidden node,
    removes the lowest-scoring ``prune_fraction`` of them physically (a
    smaller, faster network, not a mask) and optionally fine-tunes what is
    left. ``predict``, ``predict_proba`` and ``score`` use the pruned network;
    ``transform`` returns its last hidden layer, a compact learned
    representation for a downstream step.

    Parameters
    ----------
    estimator : estimator, default=None
        A :class:`SpectralMLPClassifier`, :class:`SpectralMLPRegressor`,
        :class:`SpectralNASClassifier` / ``Regressor`` or
        :class:`GrowingMLPClassifier` / ``Regressor``; any other estimator
        raises a ``TypeError`` before training. ``None`` uses
        ``SpectralMLPClassifier(eigenvalue_l1=1.5)`` seeded with
        ``random_state``: trained with an eigenvalue L1 penalty, the nodes
        the task does not need end at ``lambda = 0`` and the eigenvalues rank
        the nodes (without it they rank them little better than chance).
        The pruner is a classifier or a regressor as the estimator is.
    prune_fraction : float in [0, 1] or "auto", default="auto"
        Share of the hidden nodes to remove. ``"auto"``: the largest of 0,
        5 %, ..., 95 % (each smaller one passing too) whose predictions on
        the training rows stay within ``max_score_drop`` of the unpruned
        network's (see ``max_score_drop``). A fixed fraction that costs more
        than ``max_score_drop`` warns.
    max_score_drop : float, default=0.005
        How far pruning may move the predictions on the training rows, in
        units of the score (accuracy or R²): for classifiers the (weighted)
        share of rows whose predicted class changes, for regressors the
        (weighted) mean squared change of the predictions over the variance
        of ``y``, i.e. the loss of R² if the change is unrelated to the
        residuals. Measured before fine-tuning. The default keeps a margin
        under one point: on unseen rows the change can be somewhat larger.
    criterion : {"eigenvalue", "rescaled", "connectivity", "random"}, \
default="eigenvalue"
        Node relevance. ``"eigenvalue"``: ``|lambda|`` of the node (Buffoni
        et al. 2022; spectral networks only). ``"rescaled"``: the norm of the
        node's incoming weights, ``|lambda_out| ||phi_i||`` for a spectral
        layer (invariant to rescaling ``phi`` against ``lambda``).
        ``"connectivity"``: the sum of absolute incoming weights (the usual
        baseline for dense networks). ``"random"``: a random ranking.
    scope : {"layer", "global"}, default="layer"
        Remove ``prune_fraction`` of every hidden layer, or rank all hidden
        nodes together.
    min_width : int, default=1
        No hidden layer is pruned below this width.
    strategy : {"post", "pre"}, default="post"
        ``"post"``: train the network fully, then prune. ``"pre"``: train the
        eigenvalues only (``train="eigenvalues"``, spectral MLPs only), rank
        the nodes by them, keep the smaller network and train it fully for
        ``fine_tune_iter`` epochs (the estimator's ``max_iter`` if 0).
    fine_tune_iter : int, default=0
        Epochs of training after pruning (0: none, for ``"post"``). A pruned
        growing network is fine-tuned without growing back.
    relax : bool, default=True
        With ``strategy="post"``, ``fine_tune_iter=0`` and an estimator
        trained with an eigenvalue L1 penalty (``eigenvalue_l1 > 0``, as the
        default estimator is): train the pruned network on without the
        penalty, for the epochs its training left of ``max_iter``, on all but
        a ``validation_fraction`` of the rows (the estimator's, stratified
        for classifiers), and keep it if it predicts those rows better than
        the pruned network by more than one standard error of the paired
        per-row differences (right or wrong for classifiers, squared errors
        over each output's variance for regressors). The penalty chooses the
        nodes and also shrinks the weights of those it keeps: on large tables
        the penalized network underfits, on small noisy ones the shrinkage
        is what keeps it from overfitting, and the held-out rows decide
        (a relaxed lasso: Meinshausen, "Relaxed Lasso", Computational
        Statistics & Data Analysis 52, 2007). The held-out rows were seen
        by the first training, which favours the pruned network.
    remove_layers : bool, default=True
        Before pruning nodes, remove whole hidden layers where the network
        lets the others bypass them: the SpectralNAS estimators' global
        parametrization, whose long-range blocks join every layer to every
        later one. Greedily, the layer whose removal moves the predictions
        least goes while the move stays within ``max_score_drop`` and one
        hidden layer is left; a layer whose nodes are all constant
        (``topology_["removable_layers"]`` of the estimator) goes without
        changing a prediction. Layer-wise networks (SpectralMLP, GrowingMLP)
        have no path around a layer: nothing is removed.
    prefit : bool, default=False
        Whether ``estimator`` is already fitted; it is then pruned as is (a
        copy; the given estimator is not modified).
    random_state : int, RandomState instance or None, default=None
        Seeds the ``"random"`` criterion and the default estimator.

    Attributes
    ----------
    estimator_ : estimator
        The fitted estimator with the pruned network.
    unpruned_estimator_ : estimator
        The fitted estimator before pruning (used by :meth:`pruning_curve`).
    removed_layers_ : list of int
        The hidden layers removed whole (0-based indices over the unpruned
        network's hidden layers; see ``remove_layers``).
    node_scores_ : list of ndarray
        The score of every hidden node, per layer, of the unpruned network
        without its ``removed_layers_``.
    kept_nodes_ : list of ndarray
        Indices of the kept nodes in each hidden layer of that network.
    original_hidden_layer_sizes_ : tuple of int
        Hidden widths before pruning.
    hidden_layer_sizes_ : tuple of int
        Hidden widths after pruning.
    eigenvalues_ : list of ndarray
        The pruned network's eigenvalues (the wrapped estimator's
        ``eigenvalues_``), when it has them.
    n_parameters_ : tuple of int
        Parameters of the network before and after pruning.
    prune_fraction_ : float
        The share of hidden nodes asked to be removed (``prune_fraction`` or
        the one ``"auto"`` chose).
    score_drop_ : float
        How far pruning moved the predictions on the training rows, in the
        units of ``max_score_drop`` (before fine-tuning).
    relaxed_ : bool
        Whether the network trained on without the eigenvalue L1 penalty
        replaced the pruned one (see ``relax``).
    classes_ : ndarray
        Class labels, for classifiers.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when ``X`` has string column
        names.

    See Also
    --------
    SpectralMLPClassifier : The default network to prune.

    Notes
    -----
    Removing a node removes its bias; the constant part of its activation,
    ``sigma(b_i)`` times its outgoing weights, is folded into the next bias
    where that is exact (see :func:`sklearn_spectral.nn.pruning.prune`). Rank
    only converged networks: early in training the eigenvalues say little.

    Trained without a penalty, the hidden eigenvalues of a spectral MLP stay
    close to their initial 1 and rank the nodes little better than chance.
    Train the network with ``eigenvalue_l1`` (as the default estimator is,
    without early stopping): unneeded nodes then end at exactly
    ``lambda = 0`` and pruning them is lossless
    (``benchmarks/bench_pruning.py``). With a network trained without it,
    ``prune_fraction="auto"`` keeps the predictions but may remove little.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_spectral import SpectralMLPClassifier, SpectralPruner
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> net = SpectralMLPClassifier(
    ...     (32,), eigenvalue_l1=0.5, max_iter=300, random_state=0, device="cpu"
    ... )
    >>> pruner = SpectralPruner(net).fit(X, y)
    >>> pruner.original_hidden_layer_sizes_, pruner.hidden_layer_sizes_
    ((32,), (26,))
    >>> bool(pruner.score_drop_ <= pruner.max_score_drop)
    True
    >>> bool(pruner.score(X, y) > 0.9)
    True
    >>> pruner.transform(X).shape
    (150, 26)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "prune_fraction": [Interval(Real, 0, 1, closed="both"), StrOptions({"auto"})],
        "max_score_drop": [Interval(Real, 0, 1, closed="both")],
        "criterion": [StrOptions(set(CRITERIA))],
        "scope": [StrOptions({"layer", "global"})],
        "min_width": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"post", "pre"})],
        "fine_tune_iter": [Interval(Integral, 0, None, closed="left")],
        "remove_layers": ["boolean"],
        "relax": ["boolean"],
        "prefit": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        prune_fraction="auto",
        max_score_drop=0.005,
        criterion="eigenvalue",
        scope="layer",
        min_width=1,
        strategy="post",
        fine_tune_iter=0,
        remove_layers=True,
        relax=True,
        prefit=False,
        random_state=None,
    ):
        self.estimator = estimator
        self.prune_fraction = prune_fraction
        self.max_score_drop = max_score_drop
        self.criterion = criterion
        self.scope = scope
        self.min_width = min_width
        self.strategy = strategy
        self.fine_tune_iter = fine_tune_iter
        self.remove_layers = remove_layers
        self.relax = relax
        self.prefit = prefit
        self.random_state = random_state

    def _template(self):
        if self.estimator is None:
            return SpectralMLPClassifier(
                eigenvalue_l1=DEFAULT_EIGENVALUE_L1, random_state=self.random_state
            )
        return self.estimator

    def _check_estimator(self):
        if not isinstance(self._template(), _PRUNABLE):
            names = ", ".join(c.__name__ for c in _PRUNABLE)
            raise TypeError(
                "SpectralPruner prunes the networks of this package's estimators "
                f"({names}); got {type(self._template()).__name__}, whose hidden "
                "nodes it cannot score or remove."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._template())
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.target_tags = inner.target_tags
        tags.input_tags = inner.input_tags
        return tags

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Train (unless ``prefit``), score, prune and optionally fine-tune.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : object
            The fitted pruner.
        """
        self._check_estimator()
        fit_kw = {} if sample_weight is None else {"sample_weight": sample_weight}
        if self.prefit:
            check_is_fitted(self._template())
            est = copy.deepcopy(self._template())
        else:
            est = clone(self._template())
            if self.strategy == "pre":
                if "train" not in est.get_params():
                    raise ValueError(
                        "strategy='pre' trains the eigenvalues alone: it needs a "
                        f"SpectralMLP estimator, got {type(est).__name__}."
                    )
                est.set_params(train="eigenvalues")
            est.fit(X, y, **fit_kw)
        # What the estimator validated, for our own feature checks.
        validate_data(self, X, skip_check_array=True)
        self.unpruned_estimator_ = est
        drop = _PredictionChange(est, X, y, sample_weight)
        self.removed_layers_ = self._layers_to_remove(est, drop)
        module = self._without_removed_layers(est.module_)
        generator = torch_generator(make_rng(self.random_state))
        scores = node_scores(module, self.criterion, generator=generator)
        fractions = (
            AUTO_FRACTIONS if self.prune_fraction == "auto" else [self.prune_fraction]
        )
        auto = self.prune_fraction == "auto"
        for fraction in fractions:  # the largest passing prefix for "auto"
            pruned_f = _without_state(est)
            keep_f, pruned_f.module_ = self._prune(
                module, scores, fraction, copy.deepcopy(generator)
            )
            drop_f = drop(pruned_f)
            if auto and fraction and not drop_f <= self.max_score_drop:  # or NaN
                break
            keep, pruned, self.prune_fraction_, self.score_drop_ = (
                keep_f,
                pruned_f,
                float(fraction),
                drop_f,
            )
        if not self.score_drop_ <= self.max_score_drop:
            warnings.warn(
                f"Removing {self.prune_fraction_:.0%} of the hidden nodes moves the "
                f"predictions on the training rows by {self.score_drop_:.4f} "
                f"(more than max_score_drop={self.max_score_drop}): the pruned "
                "network is worse than the unpruned one. Use "
                "prune_fraction='auto' or a smaller fraction.",
                UserWarning,
                stacklevel=2,
            )
        pruned._set_fitted_attributes()
        if self.strategy == "pre" or self.fine_tune_iter:
            epochs = self.fine_tune_iter or est.max_iter
            extra = {"train": "full"} if self.strategy == "pre" else {}
            if "max_hidden_units" in pruned.get_params():  # no growing back
                extra["max_hidden_units"] = sum(pruned.module_.hidden_sizes)
            pruned.set_params(warm_start=True, max_iter=epochs, **extra)
            pruned.fit(X, y, **fit_kw)
        self.relaxed_ = False
        if self.relax and self.strategy == "post" and not self.fine_tune_iter:
            relaxed = self._relaxed(pruned, est, X, y, sample_weight)
            if relaxed is not None:
                pruned, self.relaxed_ = relaxed, True
        self.estimator_ = pruned
        self.node_scores_ = [s.numpy() for s in scores]
        self.kept_nodes_ = [k.numpy() for k in keep]
        self.original_hidden_layer_sizes_ = tuple(est.module_.hidden_sizes)
        self.hidden_layer_sizes_ = tuple(pruned.module_.hidden_sizes)
        self.n_parameters_ = (
            count_parameters(est.module_),
            count_parameters(pruned.module_),
        )
        if hasattr(pruned, "eigenvalues_"):
            self.eigenvalues_ = pruned.eigenvalues_
        if hasattr(pruned, "classes_"):
            self.classes_ = pruned.classes_
        self._n_features_out = self.hidden_layer_sizes_[-1]
        return self

    def _relaxed(self, pruned, est, X, y, sample_weight):
        """``pruned`` trained on without its eigenvalue L1 penalty if that
        predicts held-out rows significantly better, else ``None`` (see
        ``relax``)."""
        params = pruned.get_params()
        epochs = params["max_iter"] - est.n_iter_ if "max_iter" in params else 0
        if not params.get("eigenvalue_l1") or epochs < 1:
            return None
        y = np.asarray(y)
        w = None if sample_weight is None else np.asarray(sample_weight, float)
        # Rows of weight 0 neither train nor decide: the split is drawn among
        # the others, so adding such rows changes nothing.
        rows = np.arange(len(y)) if w is None else np.flatnonzero(w > 0)
        try:  # (the estimator's own split: stratified where it can be)
            kept, held = pruned._split_rows(
                y[rows],
                params.get("validation_fraction", 0.1),
                make_rng(self.random_state),
            )
        except ValueError:  # too few rows to hold any out
            return None
        kept, held = rows[kept], rows[held]
        if len(held) < 2:
            return None
        if w is not None:  # back in row order, with the zero-weight rows
            kept = np.sort(np.concatenate([kept, np.flatnonzero(w <= 0)]))
        candidate = copy.deepcopy(pruned)
        candidate.set_params(warm_start=True, eigenvalue_l1=0.0, max_iter=epochs)
        fit_kw = {} if w is None else {"sample_weight": w[kept]}
        with warnings.catch_warnings():
            # (a budget of the epochs left: stopping at it is the plan)
            warnings.simplefilter("ignore", ConvergenceWarning)
            candidate.fit(_safe_indexing(X, kept), y[kept], **fit_kw)
        X_held, y_held = _safe_indexing(X, held), y[held]
        diff = _row_scores(candidate, X_held, y_held) - _row_scores(
            pruned, X_held, y_held
        )
        weight = np.ones(len(held)) if w is None else w[held]
        mean = np.average(diff, weights=weight)
        variance = np.average((diff - mean) ** 2, weights=weight)
        n_effective = weight.sum() ** 2 / (weight**2).sum()
        if mean > np.sqrt(variance / n_effective):
            return candidate
        return None

    def _layers_to_remove(self, est, drop):
        """Greedy layer removal (see ``remove_layers``): the hidden layers of
        ``est.module_`` to remove, in the order they were chosen. Constant
        layers go first, unmeasured (their removal is exact; float rounding
        would fail ``max_score_drop=0``)."""
        module = est.module_
        removed = []
        if not (self.remove_layers and isinstance(module, GlobalSpectralNetwork)):
            return removed
        trial = _without_state(est)
        while len(module.hidden_sizes) - len(removed) > 1:
            remaining = [k for k in range(len(module.hidden_sizes)) if k not in removed]
            constant = remove_layers(module, removed).constant_layers()
            if constant:
                removed.append(remaining[constant[0]])
                continue
            moves = {}
            for k in remaining:
                trial.module_ = remove_layers(module, removed + [k])
                moves[k] = drop(trial)
            best = min(moves, key=lambda k: (np.nan_to_num(moves[k], nan=np.inf), k))
            if not moves[best] <= self.max_score_drop:
                break
            removed.append(best)
        return removed

    def _without_removed_layers(self, module):
        if not self.removed_layers_:
            return module
        return remove_layers(module, self.removed_layers_)

    def _prune(self, module, scores, fraction, generator):
        """The kept nodes at ``fraction`` and ``module`` without the others."""
        keep = select_nodes(
            scores,
            float(fraction),
            scope=self.scope,
            min_width=self.min_width,
            generator=generator,
        )
        return keep, prune(module, keep)

    def transform(self, X):
        """Last hidden layer of the pruned network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples, hidden_layer_sizes_[-1])
            Activations, computed in float64.
        """
        check_is_fitted(self)
        X = validate_input(self, X, reset=False, dtype=np.float64, accept_sparse="csr")
        module = self.estimator_.module_
        out = []
        with torch.no_grad():
            for chunk in dense_row_chunks(X):
                out.append(module.hidden_outputs(as_tensor(chunk))[-1].numpy())
        return np.concatenate(out) if len(out) > 1 else out[0]

    def fit_transform(self, X, y=None, **fit_params):
        """Fit, then return the last hidden layer of the pruned network."""
        return self.fit(X, y, **fit_params).transform(X)

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predictions of the pruned network."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the pruned network."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the pruned network."""
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Logits of the pruned network."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    def score(self, X, y, sample_weight=None):
        """The pruned estimator's score (accuracy or R²) on ``X``, ``y``."""
        check_is_fitted(self)
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    def pruning_curve(self, X, y, fractions=None):
        """Score of the network pruned at several fractions, without refitting.

        Each fraction prunes the unpruned fitted network (without the
        ``removed_layers_``) with this pruner's criterion and scope, without
        fine-tuning.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Evaluation data.
        y : array-like of shape (n_samples,)
            Evaluation targets.
        fractions : array-like of float, default=None
            Fractions of hidden nodes to remove; ``None`` is
            ``np.linspace(0, 0.95, 20)``.

        Returns
        -------
        curve : dict
            ``"fractions"``, ``"scores"`` (the estimator's ``score``) and
            ``"n_parameters"``, one entry per fraction.
        """
        check_is_fitted(self)
        fractions = np.linspace(0, 0.95, 20) if fractions is None else fractions
        base = self.unpruned_estimator_
        module = self._without_removed_layers(base.module_)
        generator = torch_generator(make_rng(self.random_state))
        scores = node_scores(module, self.criterion, generator=generator)
        curve = {"fractions": [], "scores": [], "n_parameters": []}
        for fraction in fractions:
            est = copy.copy(base)
            _, est.module_ = self._prune(module, scores, fraction, generator)
            curve["fractions"].append(float(fraction))
            curve["scores"].append(est.score(X, y))
            curve["n_parameters"].append(count_parameters(est.module_))
        return {k: np.asarray(v) for k, v in curve.items()}
