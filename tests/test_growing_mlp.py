import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_blobs, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import GrowingMLPClassifier, GrowingMLPRegressor


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _wave(n=600, seed=0):
    # make_friedman1: its residuals correlate linearly with the inputs, which is
    # what TINY's first-order neurons can see (a target such as
    # sin(2 x1) x2 has no linear correlation and gives no bottleneck at all).
    X, y = make_friedman1(n, noise=0.0, random_state=seed)
    return StandardScaler().fit_transform(X), y


def _reg(**kw):
    return GrowingMLPRegressor(**{"random_state": 0, "device": "cpu", **kw})


@pytest.fixture(scope="module")
def grown():
    X, y = _wave()
    return X, y, _reg().fit(X, y)


def test_grows_from_width_one_and_keeps_the_constructor_parameter(grown):
    X, y, reg = grown
    assert reg.initial_hidden_layer_sizes == (1,)
    assert reg.hidden_layer_sizes_[0] > 4
    assert reg.score(X, y) > 0.9
    assert [c.shape for c in reg.coefs_] == [
        (10, reg.hidden_layer_sizes_[0]),
        (reg.hidden_layer_sizes_[0], 1),
    ]


def test_growth_history_records_every_step(grown):
    _, _, reg = grown
    history = reg.growth_history_
    assert history, "no growth step recorded"
    grown_steps = [h for h in history if h["status"] == "grown"]
    assert (
        sum(h["neurons_added"] for h in grown_steps) == reg.hidden_layer_sizes_[0] - 1
    )
    for h in grown_steps:
        assert h["gamma"] > 0
        assert h["loss_after"] < h["loss_before"]
        assert h["neurons_added"] <= reg.max_neurons_per_step
        assert np.all(np.diff(h["singular_values"]) <= 0)
    epochs = [h["epoch"] for h in history]
    assert epochs == sorted(epochs) and all(e % reg.grow_every == 0 for e in epochs)
    assert reg.growth_stop_reason_ in ("", history[-1]["status"]) or (
        reg.growth_stop_reason_ == "max_hidden_units reached"
    )


def test_no_growth_on_a_task_the_start_network_fits():
    X, y = make_blobs(n_samples=2000, centers=[[-4, -4], [4, 4]], random_state=0)
    # The first growth step comes after the start network has converged.
    clf = GrowingMLPClassifier(
        random_state=0,
        device="cpu",
        learning_rate_init=1e-2,
        grow_every=10,
        max_iter=100,
    ).fit(X, y)
    assert clf.score(X, y) == 1.0
    assert clf.hidden_layer_sizes_ == (1,)
    assert "growth_threshold" in clf.growth_stop_reason_


def test_higher_threshold_never_gives_a_larger_network():
    X, y = _wave(400)
    sizes = [
        _reg(growth_threshold=t, max_iter=100).fit(X, y).hidden_layer_sizes_[0]
        for t in (0.001, 0.01, 0.1, 1.0)
    ]
    assert sizes == sorted(sizes, reverse=True), sizes
    assert sizes[0] > sizes[-1]


def test_max_hidden_units_caps_growth():
    X, y = _wave(400)
    reg = _reg(max_hidden_units=3, max_iter=100).fit(X, y)
    assert sum(reg.hidden_layer_sizes_) == 3
    assert reg.growth_stop_reason_ == "max_hidden_units reached"


@pytest.mark.parametrize("selection", ["first_order", "round_robin"])
def test_two_hidden_layers_grow(selection):
    X, y = _wave(400)
    reg = _reg(
        initial_hidden_layer_sizes=(1, 1), layer_selection=selection, max_iter=100
    ).fit(X, y)
    assert len(reg.hidden_layer_sizes_) == 2
    assert sum(reg.hidden_layer_sizes_) > 2
    if selection == "round_robin":
        layers = [h["layer"] for h in reg.growth_history_]
        # Each layer in turn; a layer with nothing to add passes its turn.
        assert {0, 1} <= set(layers[:4])
        assert all(a != b for a, b in zip(layers[1:4], layers[2:5], strict=False))


def test_growth_from_width_zero():
    X, y = _wave(400)
    reg = _reg(initial_hidden_layer_sizes=(0,), max_iter=100).fit(X, y)
    assert reg.hidden_layer_sizes_[0] > 0


def test_grid_search_over_growth_threshold_in_a_pipeline():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(),
        GrowingMLPClassifier(
            random_state=0, device="cpu", max_iter=80, learning_rate_init=1e-2
        ),
    )
    search = GridSearchCV(
        pipe, {"growingmlpclassifier__growth_threshold": [0.01, 1.0]}, cv=3
    ).fit(X, y)
    assert search.best_score_ > 0.85
    assert search.best_estimator_[-1].hidden_layer_sizes_[0] >= 1


def test_early_stopping_stops_growth_on_the_validation_score():
    X, y = _wave(600)
    reg = _reg(early_stopping=True, max_iter=150).fit(X, y)
    assert reg.validation_scores_ and reg.best_validation_score_ > 0.5
    assert reg.growth_stop_reason_


def test_warm_start_keeps_the_grown_network():
    X, y = _wave(400)
    reg = _reg(max_iter=30, warm_start=True).fit(X, y)
    sizes, n_records = reg.hidden_layer_sizes_, len(reg.growth_history_)
    reg.fit(X, y)
    assert reg.hidden_layer_sizes_[0] >= sizes[0]
    assert len(reg.growth_history_) >= n_records


def test_verbose_progress_shows_the_growing_widths(capsys):
    pytest.importorskip("tqdm")
    X, y = _wave(300)
    _reg(max_iter=10, verbose=1).fit(X, y)
    out, err = capsys.readouterr()
    assert "widths=" in err  # the bar
    assert "Growth at epoch 3" in out  # tqdm.write, above the bar
