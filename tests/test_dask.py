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
