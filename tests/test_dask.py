"""Model selection spread over a dask.distributed cluster through joblib."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import GrowingMLPClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


def test_grid_search_on_a_local_dask_cluster_matches_the_sequential_run():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    search = GridSearchCV(
        GrowingMLPClassifier(random_state=0, device="cpu", max_iter=40),
        {"growth_threshold": [1e-4, 1e-2, 1.0]},
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sequential = clone(search).fit(X, y)
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster),
            joblib.parallel_config(backend="dask"),
        ):
            parallel = search.set_params(n_jobs=2).fit(X, y)
    assert parallel.best_params_ == sequential.best_params_
    np.testing.assert_allclose(
        parallel.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )
    # The refitted estimator came back from the workers intact.
    best = parallel.best_estimator_
    assert best.hidden_layer_sizes_ == sequential.best_estimator_.hidden_layer_sizes_
    np.testing.assert_array_equal(best.predict(X), sequential.predict(X))


def test_incremental_streams_a_dask_array_through_partial_fit():
    """dask-ml's ``Incremental`` feeds the blocks of a dask array larger than
    one chunk to ``partial_fit``, one after the other, on a local cluster."""
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    from sklearn.datasets import load_digits

    from sklearn_spectral import SpectralMLPClassifier

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_train, y_train = (
        da.from_array(X[:1500], chunks=300),
        da.from_array(y[:1500], chunks=300),
    )
    assert X_train.numblocks[0] == 5
    est = SpectralMLPClassifier(
        hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0, device="cpu"
    )
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
    ):
        inc = wrappers.Incremental(est, scoring="accuracy")
        for _ in range(4):
            inc.partial_fit(X_train, y_train, classes=np.unique(y))
        score = inc.score(da.from_array(X[1500:], chunks=100), da.from_array(y[1500:]))
    fitted = inc.estimator_
    assert fitted.t_ == 4 * 1500  # every block of every pass, once
    assert len(fitted.loss_curve_) == 4 * 5
    assert score > 0.85
