import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.datasets import load_iris, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import (
    GrowingMLPClassifier,
    SpectralMLPClassifier,
    SpectralMLPRegressor,
    SpectralNASRegressor,
    SpectralPruner,
)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _net(**kw):
    params = dict(
        hidden_layer_sizes=(32,),
        max_iter=200,
        learning_rate_init=0.01,
        random_state=0,
        device="cpu",
    )
    return SpectralMLPClassifier(**{**params, **kw})


def test_fraction_zero_changes_no_prediction(iris):
    X, y = iris
    pruner = SpectralPruner(_net(), prune_fraction=0.0).fit(X, y)
    np.testing.assert_array_equal(
        pruner.predict_proba(X), pruner.unpruned_estimator_.predict_proba(X)
    )
    assert pruner.hidden_layer_sizes_ == pruner.original_hidden_layer_sizes_ == (32,)


def test_pruned_network_is_smaller_and_still_accurate(iris):
    X, y = iris
    pruner = SpectralPruner(_net(), prune_fraction=0.75).fit(X, y)
    assert pruner.hidden_layer_sizes_ == (8,)
    assert pruner.estimator_.module_.layers[0].phi.shape == (8, 4)
    before, after = pruner.n_parameters_
    assert after < before / 2
    assert [len(k) for k in pruner.kept_nodes_] == [8]
    # The kept nodes are the ones with the largest |lambda_out|.
    scores = pruner.node_scores_[0]
    assert set(pruner.kept_nodes_[0]) == set(np.argsort(scores)[-8:])
    assert pruner.score(X, y) > 0.9
    assert is_classifier(pruner)
    np.testing.assert_array_equal(pruner.classes_, [0, 1, 2])


def test_transform_feature_names_and_pandas_output(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    pruner = SpectralPruner(_net(), prune_fraction=0.5).fit(X, y)
    Z = pruner.transform(X)
    assert Z.shape == (150, 16) and Z.dtype == np.float64
    names = pruner.get_feature_names_out()
    assert list(names) == [f"spectralpruner{i}" for i in range(16)]
    frame = pruner.set_output(transform="pandas").transform(X)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(names)


def test_pipeline_with_logistic_regression_on_the_pruned_representation(iris):
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(),
        SpectralPruner(_net(), prune_fraction=0.75),
        LogisticRegression(),
    ).fit(X, y)
    assert pipe.score(X, y) > 0.9
    assert pipe[-1].coef_.shape == (3, 8)


def test_regressor_inside_makes_a_regressor():
    X, y = make_friedman1(300, random_state=0)
    X = StandardScaler().fit_transform(X)
    reg = SpectralMLPRegressor(
        (32,), max_iter=200, learning_rate_init=0.01, random_state=0, device="cpu"
    )
    pruner = SpectralPruner(reg, prune_fraction=0.5, fine_tune_iter=20).fit(X, y)
    assert is_regressor(pruner) and not is_classifier(pruner)
    assert not hasattr(pruner, "predict_proba")
    assert pruner.score(X, y) > 0.7


def test_prefit_prunes_a_copy(iris):
    X, y = iris
    net = _net().fit(X, y)
    before = net.predict_proba(X)
    pruner = SpectralPruner(net, prune_fraction=0.5, prefit=True).fit(X, y)
    np.testing.assert_array_equal(net.predict_proba(X), before)
    assert net.module_.layers[0].phi.shape == (32, 4)
    assert pruner.hidden_layer_sizes_ == (16,)


def test_pre_strategy_trains_eigenvalues_then_the_small_network(iris):
    X, y = iris
    pruner = SpectralPruner(
        _net(), prune_fraction=0.75, strategy="pre", fine_tune_iter=100
    ).fit(X, y)
    assert pruner.unpruned_estimator_.train == "eigenvalues"
    assert pruner.estimator_.train == "full"
    assert pruner.hidden_layer_sizes_ == (8,)
    assert pruner.score(X, y) > 0.9
    with pytest.raises(ValueError, match="strategy='pre'"):
        SpectralPruner(SpectralNASRegressor((8,), device="cpu"), strategy="pre").fit(
            X, y
        )


def test_pruning_curve_starts_at_the_unpruned_score(iris):
    X, y = iris
    pruner = SpectralPruner(_net(), prune_fraction=0.5).fit(X, y)
    curve = pruner.pruning_curve(X, y, fractions=[0.0, 0.5, 0.9])
    assert curve["scores"][0] == pruner.unpruned_estimator_.score(X, y)
    assert curve["scores"][1] == pytest.approx(pruner.score(X, y))
    assert list(curve["n_parameters"]) == sorted(curve["n_parameters"], reverse=True)


def test_random_criterion_is_reproducible(iris):
    X, y = iris
    a = SpectralPruner(_net(), criterion="random", random_state=1).fit(X, y)
    b = SpectralPruner(_net(), criterion="random", random_state=1).fit(X, y)
    c = SpectralPruner(_net(), criterion="random", random_state=2).fit(X, y)
    np.testing.assert_array_equal(a.kept_nodes_[0], b.kept_nodes_[0])
    assert not np.array_equal(a.kept_nodes_[0], c.kept_nodes_[0])


def test_nas_and_growing_networks_can_be_pruned(iris):
    X, y = iris
    nas = SpectralNASRegressor(
        (16, 16), eigenvalue_l1=0.0, device="cpu", random_state=0, max_iter=50
    )
    pruner = SpectralPruner(nas, prune_fraction=0.5).fit(X, X[:, 0] * X[:, 1])
    assert pruner.hidden_layer_sizes_ == (8, 8)
    assert np.isfinite(pruner.predict(X)).all()
    assert len(pruner.eigenvalues_) == 4
    grow = GrowingMLPClassifier(random_state=0, device="cpu", max_iter=60)
    pruned = SpectralPruner(grow, criterion="rescaled", prune_fraction=0.5).fit(X, y)
    assert pruned.hidden_layer_sizes_[0] <= pruned.original_hidden_layer_sizes_[0]
    with pytest.raises(ValueError, match="eigenvalue"):
        SpectralPruner(grow, criterion="eigenvalue").fit(X, y)


def test_pickle_round_trip(iris):
    X, y = iris
    pruner = SpectralPruner(_net(), prune_fraction=0.5).fit(X, y)
    clone = pickle.loads(pickle.dumps(pruner))
    np.testing.assert_array_equal(clone.transform(X), pruner.transform(X))


def _noise_features(n=400, seed=0):
    # 4 informative features and 16 of noise: many hidden nodes are not needed.
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 20))
    y = (X[:, 0] + X[:, 1] * X[:, 2] - X[:, 3] > 0).astype(int)
    return X, y


def test_default_pruner_stays_within_its_tolerance_of_the_unpruned_net():
    X, y = _noise_features()
    X_test, y_test = _noise_features(2000, seed=1)
    pruner = SpectralPruner(random_state=0).fit(X, y)
    inner = pruner.unpruned_estimator_
    assert inner.get_params()["eigenvalue_l1"] > 0  # eigenvalues rank the nodes
    assert pruner.score_drop_ <= pruner.max_score_drop
    assert pruner.prune_fraction_ > 0  # it did remove nodes
    assert sum(pruner.hidden_layer_sizes_) < sum(pruner.original_hidden_layer_sizes_)
    assert pruner.score(X_test, y_test) >= inner.score(X_test, y_test) - 0.01
    # The default network is seeded by random_state.
    again = SpectralPruner(random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.predict(X_test), pruner.predict(X_test))


def test_a_forced_fraction_that_costs_more_than_the_tolerance_warns(iris):
    X, y = iris
    with pytest.warns(UserWarning, match="max_score_drop"):
        pruner = SpectralPruner(_net(), prune_fraction=0.95).fit(X, y)
    assert pruner.score_drop_ > pruner.max_score_drop
    assert pruner.prune_fraction_ == 0.95
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        auto = SpectralPruner(_net()).fit(X, y)
    assert auto.prune_fraction_ < 0.95
    assert auto.score_drop_ <= auto.max_score_drop


def test_an_estimator_it_cannot_prune_fails_before_training():
    class Refuses(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("must not be trained")

    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match="SpectralMLPClassifier.*got Refuses"):
        SpectralPruner(Refuses()).fit(X, y)


@pytest.mark.parametrize(
    "check",
    [
        "check_fit_idempotent",
        "check_pipeline_consistency",
        "check_transformer_general",
        "check_methods_subset_invariance",
    ],
)
def test_the_default_pruner_passes_the_checks_that_need_a_seeded_network(check):
    # (these failed when random_state did not reach the default inner network;
    # the whole check_estimator(SpectralPruner()) takes a minute)
    from sklearn.utils import estimator_checks

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        getattr(estimator_checks, check)("SpectralPruner", SpectralPruner())


def test_nas_layers_of_constant_nodes_are_removed_without_changing_predictions():
    X = np.random.RandomState(0).uniform(-2, 2, size=(300, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    # Linear, with a strong eigenvalue L1: every eigenvalue but the outputs' ends
    # at 0, so both hidden layers are constant.
    nas = SpectralNASRegressor(
        (8, 8), eigenvalue_l1=1.0, max_iter=60, random_state=0, device="cpu"
    )
    nas.fit(X, y)
    assert nas.topology_["removable_layers"] == [1, 2]
    pruner = SpectralPruner(nas, prefit=True, max_score_drop=0.0).fit(X, y)
    assert len(pruner.removed_layers_) == 1  # one hidden layer is kept
    assert len(pruner.hidden_layer_sizes_) == 1
    assert pruner.estimator_.topology_["layer_sizes"][0] == 3
    assert len(pruner.estimator_.topology_["layer_sizes"]) == 3
    np.testing.assert_allclose(pruner.predict(X), nas.predict(X), rtol=0, atol=1e-4)
    curve = pruner.pruning_curve(X, y, [0.0])
    np.testing.assert_allclose(curve["scores"], [nas.score(X, y)], atol=1e-6)


def test_a_layer_that_computes_is_kept_when_its_removal_costs_too_much():
    X, y = make_friedman1(n_samples=300, random_state=0)
    nas = SpectralNASRegressor(
        (8, 8), eigenvalue_l1=0.0, max_iter=80, random_state=0, device="cpu"
    ).fit(X, y)
    assert nas.topology_["removable_layers"] == []
    pruner = SpectralPruner(nas, prefit=True, prune_fraction=0.0, max_score_drop=0.0)
    assert pruner.fit(X, y).removed_layers_ == []
    assert pruner.hidden_layer_sizes_ == (8, 8)
    # Without the tolerance the cheapest layer goes, and the predictions move.
    loose = SpectralPruner(nas, prefit=True, prune_fraction=0.0, max_score_drop=1.0)
    loose.fit(X, y)
    assert len(loose.removed_layers_) == 1 and 0 < loose.score_drop_ <= 1
    off = SpectralPruner(nas, prefit=True, max_score_drop=1.0, remove_layers=False)
    assert off.fit(X, y).removed_layers_ == []


def test_layer_wise_networks_lose_no_layer(iris):
    X, y = iris
    pruner = SpectralPruner(_net(hidden_layer_sizes=(8, 8)), max_score_drop=1.0)
    assert pruner.fit(X, y).removed_layers_ == []
    assert len(pruner.hidden_layer_sizes_) == 2


def _checkerboard(n, seed=0):
    # 4 x 4 cells: a boundary the default estimator's eigenvalue L1 leaves
    # underfitted (it stops at a loss the penalty holds up)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    return X, ((np.floor(X[:, 0] * 2) + np.floor(X[:, 1] * 2)) % 2).astype(int)


def test_relax_recovers_what_the_eigenvalue_penalty_shrinks():
    X, y = _checkerboard(2000)
    X_test, y_test = _checkerboard(2000, seed=1)
    relaxed = SpectralPruner(random_state=0).fit(X, y)
    penalized = SpectralPruner(random_state=0, relax=False).fit(X, y)
    assert relaxed.relaxed_ and not penalized.relaxed_
    # the same nodes removed; the training after pruning only changes weights
    assert relaxed.hidden_layer_sizes_ == penalized.hidden_layer_sizes_
    assert relaxed.estimator_.get_params()["eigenvalue_l1"] == 0
    assert relaxed.score(X_test, y_test) > penalized.score(X_test, y_test) + 0.1


def test_relax_needs_an_eigenvalue_penalty(iris):
    X, y = iris
    net = SpectralMLPClassifier((16,), max_iter=30, random_state=0, device="cpu")
    pruners = [
        SpectralPruner(net, relax=r, random_state=0).fit(X, y) for r in (True, False)
    ]
    assert not pruners[0].relaxed_
    np.testing.assert_array_equal(
        pruners[0].predict_proba(X), pruners[1].predict_proba(X)
    )


def test_relax_ignores_rows_of_weight_0():
    # a row of weight 0 neither trains the relaxed network nor decides
    # whether it is kept, whatever its features and label
    X, y = _checkerboard(1500)
    fits = []
    for row, label in (([0.5, 0.5], 0), ([1e3, -1e3], 1)):
        X_out, y_out = np.vstack([X, [row]]), np.append(y, label)
        weight = np.append(np.ones(len(y)), 0.0)
        fits.append(SpectralPruner(random_state=0).fit(X_out, y_out, weight))
    assert fits[0].relaxed_ == fits[1].relaxed_
    np.testing.assert_allclose(fits[0].predict_proba(X), fits[1].predict_proba(X))


def test_relax_regressor_recovers_the_shrunk_fit():
    # the regressors' decision: squared errors over y's variance, paired
    X, y = make_friedman1(2000, noise=0.3, random_state=0)
    X_test, y_test = make_friedman1(2000, noise=0.3, random_state=1)
    net = SpectralMLPRegressor(eigenvalue_l1=1.5, random_state=0, device="cpu")
    relaxed, penalized = (
        SpectralPruner(net, relax=r, random_state=0).fit(X, y) for r in (True, False)
    )
    assert relaxed.relaxed_ and not penalized.relaxed_
    assert relaxed.score(X_test, y_test) > penalized.score(X_test, y_test) + 0.02
