"""The task of an estimator: labels or targets, loss, output link, scoring."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from torch.nn import functional as F

from ._losses import binary_logistic, half_squared_error, softmax_cross_entropy


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
