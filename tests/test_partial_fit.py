"""``partial_fit`` of the MLP-like estimators, and training in float64."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_iris, make_friedman1, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
)

from sklearn_spectral import (
    GrowingMLPClassifier,
    GrowingMLPRegressor,
    SpectralMLPClassifier,
    SpectralMLPRegressor,
    SpectralNASClassifier,
    SpectralNASRegressor,
)

_COMMON = dict(learning_rate_init=0.01, random_state=0, device="cpu")
_NET = dict(hidden_layer_sizes=(16,), **_COMMON)
CLASSIFIERS = [
    SpectralMLPClassifier(**_NET),
    GrowingMLPClassifier(initial_hidden_layer_sizes=(8,), **_COMMON),
    SpectralNASClassifier(**_NET, early_stopping=False),
]
REGRESSORS = [
    SpectralMLPRegressor(**_NET),
    GrowingMLPRegressor(initial_hidden_layer_sizes=(8,), **_COMMON),
    SpectralNASRegressor(**_NET, early_stopping=False),
]


def _ids(est):
    return type(est).__name__


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    order = np.random.default_rng(0).permutation(len(y))
    return X[order], y[order]


def _chunks(n, k):
    return np.array_split(np.arange(n), k)


def _stream(est, X, y, passes, n_chunks=5, **kwargs):
    for _ in range(passes):
        for chunk in _chunks(len(y), n_chunks):
            est.partial_fit(X[chunk], y[chunk], **kwargs)
    return est


@pytest.mark.parametrize("est", CLASSIFIERS, ids=_ids)
def test_streaming_chunks_learns_and_counts_as_mlpclassifier(est, iris):
    X, y = iris
    est = clone(est)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one epoch per call: no max_iter warning
        _stream(est, X, y, passes=1, classes=np.unique(y))
        first_pass = est.score(X, y)
        _stream(est, X, y, passes=15, classes=np.unique(y))
    assert est.n_iter_ == 1  # as MLPClassifier: this call's epochs
    assert len(est.loss_curve_) == 16 * 5
    assert est.score(X, y) > max(first_pass, 0.85)
    if isinstance(est, GrowingMLPClassifier):  # rows held out while growing
        assert 0.85 * 16 * len(y) <= est.t_ < 16 * len(y)
    else:
        assert est.t_ == 16 * len(y)
        assert est.n_layers_ == 3  # the architecture stays


@pytest.mark.parametrize("est", REGRESSORS, ids=_ids)
def test_streaming_regression_keeps_the_first_chunks_target_scale(est):
    X, y = make_regression(400, 5, noise=1.0, random_state=0)
    y = 1000.0 + 50.0 * y  # far from standardized: the scale must hold
    est = clone(est)
    _stream(est, X, y, passes=30, n_chunks=4)
    assert est.score(X, y) > 0.9
    assert abs(est.predict(X).mean() - y.mean()) < 0.2 * y.std()


def test_classes_are_required_first_and_fixed_after(iris):
    X, y = iris
    clf = SpectralMLPClassifier(**_NET)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    # A chunk may lack classes.
    clf.partial_fit(X[y == 0], y[y == 0], classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (len(y), 3)
    clf.partial_fit(X, y)  # classes optional later
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes_"):
        clf.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="at least 2 classes"):
        SpectralMLPClassifier(**_NET).partial_fit(X, np.zeros(len(y)), classes=[0])


@pytest.mark.parametrize("est", CLASSIFIERS[:1] + REGRESSORS[:1], ids=_ids)
def test_early_stopping_is_refused_by_partial_fit(est, iris):
    """As MLPClassifier; the message says how to stream (the NAS default)."""
    X, y = iris
    est = clone(est).set_params(early_stopping=True)
    kwargs = {"classes": np.unique(y)} if is_classifier(est) else {}
    with pytest.raises(ValueError, match="set early_stopping=False to stream"):
        est.partial_fit(X, y, **kwargs)
    assert not hasattr(est, "module_")


def test_partial_fit_after_fit_goes_on_with_the_grown_network(iris):
    X, y = iris
    clf = GrowingMLPClassifier(**_COMMON, max_iter=60, grow_every=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    sizes, history = clf.hidden_layer_sizes_, list(clf.growth_history_)
    before = clf.predict_proba(X)
    clf.partial_fit(X, y)  # classes known from fit
    assert clf.hidden_layer_sizes_ == sizes
    assert len(clf.growth_history_) == len(history)  # no growth
    assert not np.allclose(clf.predict_proba(X), before)  # it trained


def _friedman(n=2000, seed=0):
    X, y = make_friedman1(n, noise=0.0, random_state=seed)
    return StandardScaler().fit_transform(X), y


def test_a_growing_estimator_grows_as_it_streams():
    X, y = _friedman()
    X_test, y_test = _friedman(1000, seed=1)
    reg = GrowingMLPRegressor(random_state=0, device="cpu")
    calls = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no max_iter warning, no rows lost
        for _ in range(40):
            for chunk in _chunks(len(y), 4):
                reg.partial_fit(X[chunk], y[chunk])
                calls += 1
    history = reg.growth_history_
    grown = [h for h in history if h["status"] == "grown"]
    assert grown and reg.hidden_layer_sizes_[0] > 4
    # one step every grow_every calls, counted along loss_curve_
    assert all(h["epoch"] % reg.grow_every == 0 for h in history)
    assert len(reg.loss_curve_) == calls and history[-1]["epoch"] <= calls
    assert reg.growth_stop_reason_  # growth stopped by its own rules ...
    last_records = [h for h in history if h["epoch"] > calls - 4 * 5]
    assert not last_records  # ... and the last passes trained on every row
    assert reg.t_ > 0.9 * 40 * len(y)
    assert reg.score(X_test, y_test) > 0.9


def test_growth_state_pickles_between_calls():
    """A stream with a pickle round trip between two calls grows and predicts
    as the straight stream (the checkpoints travel as CPU copies)."""
    X, y = _friedman(800)
    chunks = _chunks(len(y), 4)

    def stream(reg, passes):
        for _ in range(passes):
            for chunk in chunks:
                reg.partial_fit(X[chunk], y[chunk])
        return reg

    params = dict(random_state=0, device="cpu", dtype="float64", grow_every=2)
    straight = stream(GrowingMLPRegressor(**params), 6)
    restored = stream(
        pickle.loads(pickle.dumps(stream(GrowingMLPRegressor(**params), 3))), 3
    )
    assert any(h["status"] == "grown" for h in straight.growth_history_)
    assert restored.hidden_layer_sizes_ == straight.hidden_layer_sizes_
    assert [h["epoch"] for h in restored.growth_history_] == [
        h["epoch"] for h in straight.growth_history_
    ]
    np.testing.assert_allclose(restored.predict(X), straight.predict(X), rtol=1e-10)


def test_adams_state_goes_on_across_calls_and_pickles(iris):
    """Two calls equal two calls with a pickle round trip between them, and
    differ from two calls whose second starts Adam afresh."""
    X, y = iris
    a, b = _chunks(len(y), 2)
    kwargs = dict(classes=np.unique(y))

    def first():
        return SpectralMLPClassifier(**_NET, dtype="float64").partial_fit(
            X[a], y[a], **kwargs
        )

    straight = first().partial_fit(X[b], y[b])
    restored = pickle.loads(pickle.dumps(first())).partial_fit(X[b], y[b])
    np.testing.assert_allclose(
        restored.predict_proba(X), straight.predict_proba(X), rtol=1e-12
    )
    fresh = first()
    fresh._optimizer_state = None
    fresh.partial_fit(X[b], y[b])
    assert not np.allclose(fresh.predict_proba(X), straight.predict_proba(X))


def test_rows_of_weight_zero_change_nothing_in_partial_fit(iris):
    X, y = iris
    w = np.ones(len(y))
    w[::3] = 0.0
    params = dict(_NET, dtype="float64", batch_size=1000, shuffle=False, alpha=0.5)
    weighted = SpectralMLPClassifier(**params)
    kept = SpectralMLPClassifier(**params)
    for _ in range(3):
        weighted.partial_fit(X, y, sample_weight=w, classes=[0, 1, 2])
        kept.partial_fit(X[w > 0], y[w > 0], classes=[0, 1, 2])
    np.testing.assert_allclose(
        weighted.predict_proba(X), kept.predict_proba(X), rtol=1e-9
    )


_EQUIVALENCE = dict(
    max_iter=60,
    learning_rate_init=0.02,
    early_stopping=False,
    dtype="float64",
    device="cpu",
    random_state=0,
)


@pytest.mark.parametrize("alpha", [1e-4, 1.0])
@pytest.mark.parametrize(
    "est",
    [
        SpectralMLPClassifier(hidden_layer_sizes=(8,), **_EQUIVALENCE),
        SpectralMLPRegressor(hidden_layer_sizes=(8,), **_EQUIVALENCE),
        SpectralNASClassifier(hidden_layer_sizes=(8,), **_EQUIVALENCE),
        SpectralNASRegressor(hidden_layer_sizes=(8,), **_EQUIVALENCE),
        GrowingMLPClassifier(grow_every=5, validation_fraction=0.0, **_EQUIVALENCE),
        GrowingMLPRegressor(grow_every=5, validation_fraction=0.0, **_EQUIVALENCE),
    ],
    ids=_ids,
)
def test_float64_fits_weight_k_as_k_copies(est, alpha):
    """scikit-learn's sample-weight check, which float32 training fails (see
    test_estimator_checks), passes in float64 without a split of the rows,
    with a strong L2 penalty too (divided by the raw weight sum)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_sample_weight_equivalence_on_dense_data(
            type(est).__name__, clone(est).set_params(alpha=alpha)
        )


@pytest.mark.parametrize("est", CLASSIFIERS + REGRESSORS, ids=_ids)
def test_float64_training_is_float64(est, iris):
    X, y = iris
    est = clone(est).set_params(dtype="float64", max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert all(p.dtype.is_floating_point for p in est.module_.parameters())
    assert np.isfinite(est.loss_)
    with pytest.raises(ValueError, match="dtype"):
        clone(est).set_params(dtype="float16").fit(X, y)


def test_a_growing_stream_may_start_with_a_single_row():
    """One row cannot be split: the first call trains on it and the next call
    holds out the rows growth decides on."""
    clf = GrowingMLPClassifier(random_state=0, device="cpu")
    clf.partial_fit([[3.0, 2.0]], [0], classes=[0, 1])
    assert "held_out" not in clf._partial_growth
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    clf.partial_fit(X, (X[:, 0] > 0).astype(int))
    assert len(clf._partial_growth["held_out"][0]) == 4  # validation_fraction
    assert clf.t_ == 1 + 36


def _stream_start(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def test_a_growing_stream_goes_on_in_float64():
    """The held-out rows kept for growth follow a change of dtype."""
    X, y = _stream_start()
    clf = GrowingMLPClassifier(random_state=0, device="cpu", grow_every=1)
    clf.partial_fit(X[:100], y[:100], classes=[0, 1])
    clf.set_params(dtype="float64").partial_fit(X[100:], y[100:])
    assert clf._grows_incrementally() or clf.growth_stop_reason_


def test_failed_fits_leave_the_growth_records_and_the_stream_state():
    X, y = _stream_start()
    reg = GrowingMLPRegressor(random_state=0, device="cpu", grow_every=1, max_iter=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y.astype(float))
    history = list(reg.growth_history_)
    with pytest.raises(ValueError):
        reg.set_params(learning_rate_init=1e30).fit(X * 1e30, y.astype(float))
    reg.set_params(learning_rate_init=1e-3).partial_fit(X, y.astype(float))
    assert [h["epoch"] for h in reg.growth_history_] == [h["epoch"] for h in history]

    stream = GrowingMLPClassifier(random_state=0, device="cpu")
    stream.partial_fit(X[:100], y[:100], classes=[0, 1])
    X_bad = X[:10].copy()
    X_bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        stream.fit(X_bad, y[:10])
    assert stream._grows_incrementally()  # the stream still grows


def test_growth_state_is_dropped_once_growth_stops():
    X, y = _stream_start(400)
    clf = GrowingMLPClassifier(
        random_state=0, device="cpu", grow_every=1, max_hidden_units=3
    )
    for chunk in _chunks(len(y), 8):
        clf.partial_fit(X[chunk], y[chunk], classes=[0, 1])
    assert clf.growth_stop_reason_
    state = clf._partial_growth
    assert state["stopped"] and state["checkpoints"] == [] and "held_out" not in state


def test_a_pruned_streaming_network_does_not_grow_back():
    from sklearn_spectral import SpectralPruner

    X, y = _stream_start(400)
    clf = GrowingMLPClassifier(random_state=0, device="cpu", grow_every=1)
    for chunk in _chunks(len(y), 4):
        clf.partial_fit(X[chunk], y[chunk], classes=[0, 1])
    pruner = SpectralPruner(
        clf, prefit=True, criterion="rescaled", prune_fraction=0.5, fine_tune_iter=0
    ).fit(X, y)
    pruned = pruner.estimator_
    sizes = pruned.hidden_layer_sizes_
    for chunk in _chunks(len(y), 4):
        pruned.partial_fit(X[chunk], y[chunk])
    assert pruned.hidden_layer_sizes_ == sizes
