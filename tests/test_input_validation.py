"""Bad input gets a clear error, for every public supervised estimator."""

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError

from ._estimators import supervised_instances


def _ids(est):
    return type(est).__name__


def _data(est, n=30):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] > 0).astype(int) if is_classifier(est) else X[:, 0]
    return X, y


@pytest.mark.parametrize("estimator", supervised_instances(), ids=_ids)
@pytest.mark.parametrize("bad, match", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_X(estimator, bad, match):
    X, y = _data(estimator)
    X[3, 1] = bad
    with pytest.raises(ValueError, match=match):
        clone(estimator).fit(X, y)


@pytest.mark.parametrize("estimator", supervised_instances(), ids=_ids)
def test_wrong_feature_count_at_predict(estimator):
    X, y = _data(estimator)
    est = clone(estimator).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :3])


@pytest.mark.parametrize("estimator", supervised_instances(), ids=_ids)
def test_empty_and_single_sample(estimator):
    X, y = _data(estimator)
    with pytest.raises(ValueError, match="0 sample"):
        clone(estimator).fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="1 sample"):
        clone(estimator).fit(X[:1], y[:1])


@pytest.mark.parametrize("estimator", supervised_instances(), ids=_ids)
def test_strings_in_X(estimator):
    X, y = _data(estimator)
    X = X.astype(object)
    X[0, 0] = "a"
    with pytest.raises(ValueError, match="convert|string"):
        clone(estimator).fit(X, y)


@pytest.mark.parametrize(
    "estimator", [e for e in supervised_instances() if is_classifier(e)], ids=_ids
)
def test_one_class(estimator):
    X, _ = _data(estimator)
    with pytest.raises(ValueError, match="one class"):
        clone(estimator).fit(X, np.zeros(len(X)))


@pytest.mark.parametrize("estimator", supervised_instances(), ids=_ids)
def test_predict_before_fit(estimator):
    X, _ = _data(estimator)
    with pytest.raises(NotFittedError):
        clone(estimator).predict(X)


@pytest.mark.parametrize("estimator", supervised_instances(), ids=_ids)
def test_mismatched_sample_weight(estimator):
    X, y = _data(estimator)
    with pytest.raises(ValueError, match="sample_weight"):
        clone(estimator).fit(X, y, sample_weight=np.ones(len(X) - 1))
