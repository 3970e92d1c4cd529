"""Bad input gets a clear error, for every public supervised estimator."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.metrics import r2_score

from sklearn_spectral import SpectralMLPRegressor

from ._estimators import cheap_instances, supervised_instances


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


# Regression tests for what tests/test_bad_input_properties.py found.


@pytest.mark.parametrize("estimator", supervised_instances(), ids=_ids)
def test_values_beyond_float32(estimator):
    # 1e39 is finite in float64 but inf in the float32 the networks train in:
    # it was a FloatingPointError at fit and NaN probabilities at predict.
    X, y = _data(estimator)
    X_big = X.copy()
    X_big[0, 0] = 1e39
    with pytest.raises(ValueError, match="too large for float32"):
        clone(estimator).fit(X_big, y)
    est = clone(estimator).fit(X, y)
    X_big[0, 0] = 1.7e308
    with pytest.raises(ValueError, match="too large for float32"):
        est.predict(X_big)
    X_obj = X.astype(object)
    X_obj[0, 0] = 10**400  # a Python int beyond float64: was an OverflowError
    with pytest.raises(ValueError, match="too large"):
        clone(estimator).fit(X_obj, y)


def test_divergence_is_a_value_error():
    X, y = _data(SpectralMLPRegressor(), n=100)
    est = SpectralMLPRegressor(learning_rate_init=1.0, device="cpu", random_state=0)
    with pytest.raises(ValueError, match="diverged") as info:
        est.fit(X * 1e25, y)
    assert isinstance(info.value, FloatingPointError)  # as before


@pytest.mark.parametrize("estimator", cheap_instances(), ids=_ids)
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_array, sp.coo_matrix])
def test_sparse_X_as_dense(estimator, container):
    # Sparse X was a TypeError; it is densified, as MLPClassifier accepts it.
    X, y = _data(estimator)
    X[X < 0] = 0.0
    dense = clone(estimator).fit(X, y)
    sparse = clone(estimator).fit(container(X), y)
    for method in ("predict", "predict_proba", "transform"):
        if hasattr(dense, method):
            expected = getattr(dense, method)(X)
            assert_allclose(getattr(sparse, method)(container(X)), expected)
            assert_allclose(getattr(dense, method)(container(X)), expected)


@pytest.mark.parametrize("estimator", supervised_instances(), ids=_ids)
@pytest.mark.parametrize("weight", [1e-320, 1e308])
def test_extreme_uniform_sample_weight(estimator, weight):
    # Normalizing by the sum overflowed: 1e-320 weights became inf (a
    # FloatingPointError) and 1e308 weights 0 (nothing learned). Without an
    # L2 penalty a uniform weight changes nothing; with one it changes the
    # penalty's weight, divided by the raw weight sum as in MLPClassifier.
    X, y = _data(estimator)
    estimator = clone(estimator).set_params(
        **{k: 0.0 for k in estimator.get_params() if k.split("__")[-1] == "alpha"}
    )
    ones = clone(estimator).fit(X, y, sample_weight=np.ones(len(X)))
    extreme = clone(estimator).fit(X, y, sample_weight=np.full(len(X), weight))
    assert_allclose(extreme.predict(X), ones.predict(X))


@pytest.mark.parametrize(
    "estimator", [e for e in supervised_instances() if is_regressor(e)], ids=_ids
)
@pytest.mark.parametrize("scale", [1e200, 1e-300])
def test_huge_and_tiny_targets(estimator, scale):
    # y.std() squared 1e200 into inf: every prediction was inf or NaN.
    X, y = _data(estimator)
    unit = clone(estimator).fit(X, y).predict(X)
    scaled = clone(estimator).fit(X, y * scale).predict(X)
    assert np.isfinite(scaled).all()
    assert_allclose(scaled / scale, unit, rtol=1e-5)


@pytest.mark.parametrize(
    "estimator", [e for e in supervised_instances() if is_classifier(e)], ids=_ids
)
def test_labels_of_mixed_types(estimator):
    X, _ = _data(estimator)
    y = np.array(["a", 1, "b"] * 10, dtype=object)  # was: "'<' not supported"
    with pytest.raises(TypeError, match="labels in y must be of one type"):
        clone(estimator).fit(X, y)


def test_targets_near_the_float64_limit_are_standardized_without_overflow():
    # y - mean overflows for targets near +-1.7e308 split unevenly; the
    # standardization divides first.
    from sklearn_spectral import SpectralMLPRegressor

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = np.where(X[:, 0] > -0.5, 1.7e308, -1.7e308)
    reg = SpectralMLPRegressor(
        (8,), learning_rate_init=0.05, max_iter=200, random_state=0, device="cpu"
    )
    reg.fit(X, y)
    pred = reg.predict(X)
    assert np.isfinite(pred).all()
    # (r2_score itself overflows at this scale: compare in units of 1e308.)
    assert r2_score(y / 1e308, pred / 1e308) > 0.5
