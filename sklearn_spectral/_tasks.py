"""The task of an estimator: labels or targets, loss, output link, scoring."""

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
)
from sklearn.utils.validation import column_or_1d
from torch.nn import functional as F

from ._losses import (
    binary_logistic,
    half_squared_error,
    multilabel_logistic,
    softmax_cross_entropy,
)


class TorchClassifierMixin(ClassifierMixin):
    """Classification task: labels, cross-entropy, probabilities.

    As ``MLPClassifier``: binary problems use one logit and the logistic
    loss, multi-class problems one logit per class and the softmax
    cross-entropy, and multilabel problems (``y`` a 2-D 0/1 indicator
    matrix) one logit per label and the logistic loss of every label, summed
    over the labels (``out_activation_`` is ``"logistic"`` or
    ``"softmax"``).
    """

    def _validate_y_kwargs(self):
        return {"multi_output": True}

    @property
    def _multilabel(self):
        return self.out_activation_ == "logistic" and self._n_labels > 1

    def _float_targets(self):
        """Whether the targets are floats (logistic outputs) or class indices."""
        return self.out_activation_ == "logistic"

    def _label_matrix(self, y):
        """``y`` as 1-D labels (a column vector is raveled with a warning, as
        scikit-learn does) or as a multilabel indicator matrix; ValueError
        for other 2-D targets."""
        y = y.toarray() if sp.issparse(y) else np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 2 and (
            type_of_target(y) != "multilabel-indicator" or not np.isin(y, (0, 1)).all()
        ):
            raise ValueError(
                f"{type(self).__name__} takes 1-D class labels or a multilabel "
                "indicator matrix (2-D, values 0 and 1); got a 2-D target with "
                f"values {np.unique(y)[:10].tolist()}."
            )
        return y

    def _set_output_kind(self, y):
        """``out_activation_`` and the number of logits, from the encoded ``y``
        (before training, as ``MLPClassifier`` sets them in ``fit``)."""
        if y.ndim == 2:
            self._n_labels = y.shape[1]
            self.out_activation_ = "logistic"
        else:
            self._n_labels = 1 if len(self.classes_) == 2 else len(self.classes_)
            self.out_activation_ = "logistic" if len(self.classes_) == 2 else "softmax"

    def _check_same_labels(self, y, what):
        n_labels = y.shape[1] if y.ndim == 2 else 0
        seen = self._n_labels if self._multilabel else 0
        if n_labels != seen:
            raise ValueError(
                f"{what} expects the targets seen before ("
                f"{f'{seen} labels' if seen else '1-D class labels'}), got "
                f"{f'{n_labels} labels' if n_labels else '1-D class labels'}."
            )

    def _check_two_classes(self, classes):
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in y; "
                f"got only one class: {classes[0]!r}."
            )

    def _encode_targets(self, y, warm, sample_weight=None):
        y = self._label_matrix(y)
        if warm:
            self._check_same_labels(y, "warm_start=True")
        if y.ndim == 2:  # multilabel: classes_ are the label indices
            self.classes_ = np.arange(y.shape[1])
            self._set_output_kind(y)
            return y.astype(np.float64)
        try:
            check_classification_targets(y)
            encoder = LabelEncoder().fit(y)
        except TypeError as exc:  # e.g. str and int labels: they cannot be sorted
            raise TypeError(
                f"The class labels in y must be of one type to be sorted ({exc})."
            ) from exc
        if warm and not np.array_equal(encoder.classes_, self.classes_):
            raise ValueError(  # MLPClassifier's words
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {self.classes_}, `y` "
                f"has {encoder.classes_}"
            )
        self._check_two_classes(encoder.classes_)
        self.classes_ = encoder.classes_
        self._set_output_kind(y)
        return encoder.transform(y)

    def _encode_targets_incremental(self, y, warm, classes, sample_weight=None):
        """Labels of one ``partial_fit`` call as indices into ``classes_``,
        fixed by ``classes`` on the first call (or by an earlier ``fit``);
        for multilabel ``y``, ``classes`` are the label indices."""
        y = self._label_matrix(y)
        if warm:
            self._check_same_labels(y, "partial_fit")
        else:
            self.__dict__.pop("classes_", None)  # of a call that failed
        _check_partial_fit_first_call(self, classes)  # sets or checks classes_
        if y.ndim == 2:
            if len(self.classes_) != y.shape[1]:
                raise ValueError(
                    f"classes has {len(self.classes_)} entries for a multilabel "
                    f"y of {y.shape[1]} labels."
                )
            if not warm:
                self._set_output_kind(y)
            return y.astype(np.float64)
        check_classification_targets(y)
        if not warm:
            self._check_two_classes(self.classes_)
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(
                f"y has labels {unseen.tolist()} that are not in classes_ "
                f"{self.classes_.tolist()} (the classes of the first partial_fit "
                "call)."
            )
        if not warm:
            self._set_output_kind(y)
        return np.searchsorted(self.classes_, y)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the network with one epoch over the given data.

        As ``MLPClassifier.partial_fit``: the network (and Adam's state) goes
        on from the previous call or ``fit``; each call runs one epoch of
        mini-batches over ``X``, so data larger than memory can be streamed
        in chunks. A growing estimator started with ``partial_fit`` grows
        every ``grow_every`` calls, deciding on the ``validation_fraction`` of
        the first call's rows it holds out (never trained on), until growth
        stops by its own rules; after ``fit`` the architecture stays. The
        NAS compaction phase runs in ``fit`` only; the eigenvalue L1 steps
        apply. As with ``MLPClassifier``, ``early_stopping=True`` (the NAS
        estimators' default) raises: set it to False to stream.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows of this chunk.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Their class labels, or a multilabel indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the loss.
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole data set (for a multilabel ``y``, the
            label indices ``0 .. n_labels - 1``): required on the first call
            (unless the estimator is fitted), optional afterwards, where it
            must be the same. ``y`` need not contain every class.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    @property
    def _n_logits(self):
        return self._n_labels

    def _loss(self, logits, target, sample_weight):
        if target.ndim == 2:  # multilabel
            return multilabel_logistic(logits, target, sample_weight)[0]
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
        if target.ndim == 2:
            return multilabel_logistic(logits, target, sample_weight)
        if logits.shape[1] == 1:
            return binary_logistic(logits, target, sample_weight)
        return softmax_cross_entropy(logits, target, sample_weight)

    def _row_scores(self, logits, target):
        """Per row: 1.0 if the prediction is right (every label of it, for
        multilabel targets), else 0.0 (float64)."""
        if target.ndim == 2:
            return ((logits > 0).to(target.dtype) == target).all(dim=1).double()
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
            ``classes_[1]``), else one per class (per label for multilabel
            problems).
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
            Probability of each class, columns ordered as ``classes_`` (for
            multilabel problems, of each label, independently).
        """
        logits = torch.from_numpy(self._forward(X))
        if self._multilabel:
            return torch.sigmoid(logits).numpy()
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
        if self._multilabel:
            return F.logsigmoid(logits).numpy()
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
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels, or for multilabel problems the 0/1 indicator matrix.
        """
        logits = self._forward(X)
        if self._multilabel:
            return (logits > 0).astype(int)
        if logits.shape[1] == 1:
            return self.classes_[(logits[:, 0] > 0).astype(int)]
        return self.classes_[logits.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.multi_label = True
        return tags


class TorchRegressorMixin(RegressorMixin):
    """Regression task: squared error on internally standardized targets.

    ``y`` is standardized column by column before training (so the default
    learning rate suits any scale of ``y``) and predictions are mapped back to
    the original units. ``loss_curve_`` is therefore on the standardized scale.
    """

    def _validate_y_kwargs(self):
        return {"multi_output": True, "y_numeric": True}

    def _float_targets(self):
        return True

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

    def _encode_targets_incremental(self, y, warm, classes=None, sample_weight=None):
        """Targets of one ``partial_fit`` call: the first call fixes the
        standardization of ``y`` (from its rows), later calls reuse it."""
        return self._encode_targets(y, warm, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the network with one epoch over the given data.

        As ``MLPRegressor.partial_fit``: the network (and Adam's state) goes
        on from the previous call or ``fit``; each call runs one epoch of
        mini-batches over ``X``, so data larger than memory can be streamed
        in chunks. The first call (on an unfitted estimator) fixes the
        standardization of ``y`` from its rows. A growing estimator started
        with ``partial_fit`` grows every ``grow_every`` calls, deciding on
        the ``validation_fraction`` of the first call's rows it holds out
        (never trained on), until growth stops by its own rules; after
        ``fit`` the architecture stays. The NAS compaction phase runs in ``fit``
        only; the eigenvalue L1 steps apply. As with ``MLPRegressor``,
        ``early_stopping=True`` (the NAS estimators' default) raises: set it
        to False to stream.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows of this chunk.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

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
