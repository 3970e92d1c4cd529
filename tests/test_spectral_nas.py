import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import SpectralNASClassifier, SpectralNASRegressor
from sklearn_spectral.datasets import make_nonlinearity_regression
from sklearn_spectral.nn import ACTIVATIONS


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _reg(**kw):
    # The mechanism tests below were built on tanh (smooth at 0, so the
    # zero-eigenvalue nodes compute; the default activation is relu) and on
    # eigenvalue_l1=0.1, which leaves some of these toy networks' nodes
    # switched off (the default, 0.05, was chosen on real data sets).
    params = dict(
        hidden_layer_sizes=(8, 8),
        activation="tanh",
        eigenvalue_l1=0.1,
        random_state=0,
        device="cpu",
    )
    params.update(kw)
    return SpectralNASRegressor(**params)


@pytest.fixture(scope="module")
def linear_fit():
    # A small ridge (alpha=1e-4) leaves no norm to trade for hidden paths, and
    # eigenvalue_l1=0.2 outweighs the tiny consistent gradients Adam
    # normalizes near convergence (with 0.1, one eigenvalue crept to 0.05).
    X, y = make_nonlinearity_regression(400, alpha=0.0, random_state=0)
    return X, y, _reg(alpha=1e-4, eigenvalue_l1=0.2).fit(X, y)


@pytest.fixture(scope="module")
def nonlinear_fit():
    X, y = make_nonlinearity_regression(
        400, alpha=1.0, max_frequency=2.0, random_state=0
    )
    # (the compaction's own schedule, not cut short by a validation set)
    return X, y, _reg(early_stopping=False).fit(X, y)


def test_linear_task_keeps_every_hidden_eigenvalue_at_zero(linear_fit):
    X, y, reg = linear_fit
    assert reg.score(X, y) > 0.999
    for lam in reg.eigenvalues_[1:-1]:
        assert np.count_nonzero(lam) == 0
    assert reg.topology_richness_ == 0.0
    assert reg.topology_["active_nodes"][1:-1] == [0, 0]
    # Only the perceptron's weights are in use: W_{out,in} and the biases.
    assert reg.n_active_parameters_ == 2 * 1 + 1


@pytest.mark.parametrize("eigenvalue_l1", [0.1, "default"])
def test_linear_task_stays_near_the_perceptron_with_the_default_ridge(
    nonlinear_fit, eigenvalue_l1
):
    # The default alpha's ridge on the readout trades some of the perceptron's
    # norm for hidden paths on a linear task (0.18 here, against 1.18 for the
    # nonlinear task); it must stay a small fraction of a nonlinear task's,
    # also with the default (weaker) eigenvalue L1.
    if eigenvalue_l1 == "default":
        eigenvalue_l1 = SpectralNASRegressor().eigenvalue_l1
    X, y = make_nonlinearity_regression(400, alpha=0.0, random_state=0)
    reg = _reg(eigenvalue_l1=eigenvalue_l1).fit(X, y)
    assert reg.score(X, y) > 0.999
    assert reg.topology_richness_ <= 0.25 * nonlinear_fit[2].topology_richness_


def test_nonlinear_task_switches_hidden_nodes_on(nonlinear_fit):
    X, y, reg = nonlinear_fit
    assert reg.score(X, y) > 0.95
    assert reg.topology_richness_ > 0.5
    assert sum(reg.topology_["active_nodes"][1:-1]) > 0


def test_fitted_attribute_layouts(nonlinear_fit):
    X, _, reg = nonlinear_fit
    sizes = [2, 8, 8, 1]
    assert [len(lam) for lam in reg.eigenvalues_] == sizes
    assert [phi.shape for phi in reg.eigenvectors_] == [(8, 2), (8, 8), (1, 8)]
    assert [len(b) for b in reg.intercepts_] == [8, 8, 1]
    assert reg.topology_["layer_sizes"] == sizes
    norms = reg.topology_["block_norms"]
    assert norms.shape == (4, 4)
    assert np.all(np.triu(norms) == 0)
    blocks = reg.weight_blocks()
    assert sorted(blocks) == [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]
    for (i, j), block in blocks.items():
        assert block.shape == (sizes[i], sizes[j])
        assert block.dtype == np.float64
        assert norms[i, j] == pytest.approx(np.linalg.norm(block))
    assert reg.n_layers_ == 4 and reg.n_outputs_ == 1
    assert reg.feature_importances_.shape == (2,)
    assert reg.feature_importances_.sum() == pytest.approx(1.0)


def _dense_predict(reg, X, keep=None):
    """Predictions of the dense pass over every block ``W_{i,j}`` of a fitted
    (8, 8) regressor; ``keep`` (one mask per layer) silences the other nodes."""
    blocks = reg.weight_blocks()
    act = ACTIVATIONS[reg.activation]
    hs = [X]
    for i in range(1, 4):
        a = reg.intercepts_[i - 1] + sum(
            (hs[j] if keep is None else hs[j] * keep[j]) @ blocks[(i, j)].T
            for j in range(i)
        )
        hs.append(a if i == 3 else act(torch.from_numpy(a)).numpy())
    return hs[-1][:, 0] * reg._y_scale[0] + reg._y_mean[0]


def _switched_on(reg):
    """Nodes whose eigenvalue is switched on; inputs and outputs always."""
    on = [np.abs(lam) > 1e-6 for lam in reg.eigenvalues_]
    on[0][:] = on[-1][:] = True
    return on


def test_predictions_are_the_dense_pass_over_every_block(nonlinear_fit):
    # Every layer reads every earlier layer's activations through W_{i,j}.
    X, _, reg = nonlinear_fit
    np.testing.assert_allclose(reg.predict(X), _dense_predict(reg, X), rtol=1e-10)


def test_feature_importances_find_the_used_inputs():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    y = 2 * X[:, 3] - X[:, 1]
    reg = _reg().fit(X, y)
    assert set(np.argsort(reg.feature_importances_)[-2:]) == {1, 3}


def test_zero_l1_leaves_eigenvalues_free():
    X, y = make_nonlinearity_regression(200, alpha=0.0, random_state=0)
    reg = _reg(eigenvalue_l1=0.0, max_iter=30).fit(X, y)
    assert all(np.count_nonzero(lam) == len(lam) for lam in reg.eigenvalues_[1:-1])


def test_classifier_and_grid_search_over_eigenvalue_l1():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    search = GridSearchCV(
        SpectralNASClassifier(
            (8,), activation="tanh", random_state=0, device="cpu", max_iter=100
        ),
        {"eigenvalue_l1": [0.01, 1.0]},
        cv=3,
    ).fit(X, y)
    assert search.best_score_ > 0.85
    assert search.best_estimator_.topology_["layer_sizes"] == [4, 8, 3]
    proba = search.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.fixture(scope="module")
def uncompacted_fit():
    X, y = make_nonlinearity_regression(
        400, alpha=1.0, max_frequency=2.0, random_state=0
    )
    return X, y, _reg(node_l1=0.0, early_stopping=False).fit(X, y)


def _eigenvalue_count(reg):
    """The count by eigenvalues alone: weights between switched-on nodes."""
    on = _switched_on(reg)
    blocks = reg.weight_blocks().items()
    weights = sum(np.count_nonzero(w[on[i]][:, on[j]]) for (i, j), w in blocks)
    return weights + sum(int(m.sum()) for m in on[1:])


def test_nodes_with_zero_eigenvalues_still_count_when_they_compute(uncompacted_fit):
    # Without compaction, hidden nodes whose eigenvalue is 0 still receive
    # input through the switched-on nodes before them: they are used, and
    # their weights count.
    X, _, reg = uncompacted_fit
    used, active = reg.topology_["used_nodes"], reg.topology_["active_nodes"]
    assert used[1:-1] == [8, 8]
    assert sum(active[1:-1]) < sum(used[1:-1])
    assert reg.n_active_parameters_ > _eigenvalue_count(reg)
    # Dropping the zero-eigenvalue nodes' weights changes the predictions.
    pruned = _dense_predict(reg, X, keep=_switched_on(reg))
    assert np.abs(pruned - reg.predict(X)).max() > 1e-3


def test_compaction_removes_nodes_the_search_switched_on(
    nonlinear_fit, uncompacted_fit
):
    X, y, compact = nonlinear_fit
    _, _, full = uncompacted_fit
    assert compact.score(X, y) > 0.95
    assert compact.score(X, y) > full.score(X, y) - 0.01
    assert sum(compact.topology_["used_nodes"][1:-1]) < 8 + 8
    assert compact.n_active_parameters_ < 0.5 * full.n_active_parameters_
    # The compaction phase's penalty enters the loss curve: it jumps where
    # the phase starts, after the search's converged epochs.
    jumps = np.diff(compact.loss_curve_)
    assert jumps.max() > 10 * np.abs(np.diff(full.loss_curve_[-20:])).max()


def test_node_l1_does_nothing_before_the_search_converges():
    X, y = make_nonlinearity_regression(200, alpha=1.0, random_state=0)
    preds = [
        _reg(node_l1=node_l1, max_iter=30).fit(X, y).predict(X)
        for node_l1 in (0.0, 1e-2)
    ]
    np.testing.assert_array_equal(preds[0], preds[1])


def test_early_stopping_compacts_and_keeps_a_validated_model():
    X, y = make_nonlinearity_regression(
        1000, alpha=1.0, max_frequency=2.0, random_state=1
    )
    reg = _reg(early_stopping=True, n_iter_no_change=20).fit(X, y)
    full = _reg(early_stopping=True, n_iter_no_change=20, node_l1=0.0).fit(X, y)
    assert reg.n_iter_ > full.n_iter_
    assert reg.n_active_parameters_ < full.n_active_parameters_
    assert reg.best_validation_score_ in reg.validation_scores_[full.n_iter_ :]
    assert reg.best_validation_score_ > 0.9


def test_a_compaction_that_costs_validation_loss_is_reverted():
    X, y = make_nonlinearity_regression(
        1000, alpha=1.0, max_frequency=2.0, random_state=1
    )
    kw = dict(early_stopping=True, n_iter_no_change=20)
    # node_l1=10 removes every node within the first compaction epochs.
    harsh = _reg(node_l1=10.0, **kw).fit(X, y)
    searched = _reg(node_l1=0.0, **kw).fit(X, y)
    assert harsh.n_iter_ > searched.n_iter_  # the phase ran ...
    # ... and the searched network was put back, whole.
    np.testing.assert_allclose(harsh.predict(X), searched.predict(X), rtol=1e-6)
    assert harsh.topology_["used_nodes"] == searched.topology_["used_nodes"]
    assert harsh.best_validation_score_ == pytest.approx(
        searched.best_validation_score_
    )


def test_compaction_runs_within_its_budget(nonlinear_fit, monkeypatch):
    from sklearn_spectral import _spectral_nas

    X, y, reg = nonlinear_fit
    search = reg.n_iter_search_
    budget = math.ceil(_spectral_nas.COMPACTION_BUDGET * search)
    # Without early stopping the phase runs exactly its budget.
    assert 0 < search and reg.n_iter_ == min(search + budget, reg.max_iter)
    # A tighter budget binds: the compaction stops after exactly its share
    # of the search's epochs, the search itself unchanged.
    monkeypatch.setattr(_spectral_nas, "COMPACTION_BUDGET", 0.05)
    short = _reg(early_stopping=False).fit(X, y)
    assert short.n_iter_search_ == search
    assert short.n_iter_ == search + math.ceil(0.05 * search)
    np.testing.assert_array_equal(short.loss_curve_[:search], reg.loss_curve_[:search])


def test_search_epochs_without_compaction(uncompacted_fit):
    _, _, reg = uncompacted_fit
    assert reg.n_iter_search_ == reg.n_iter_
