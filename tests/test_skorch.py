"""skorch integration: modules in a NeuralNet, growth and pruning callbacks."""

import numpy as np
import pytest
import torch

skorch = pytest.importorskip("skorch")

from skorch import NeuralNetClassifier  # noqa: E402

from sklearn_spectral.integrations.skorch import (  # noqa: E402
    GrowthCallback,
    PruningCallback,
)
from sklearn_spectral.nn import GrowingMLP, SpectralMLP  # noqa: E402


def _task(n=600, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6)).astype("float32")
    y = ((X[:, 0] > 0.3) ^ (X[:, 1] + X[:, 2] > 0)).astype("int64") + (X[:, 3] > 1)
    return X, y.astype("int64")


def _net(module, callbacks=(), **kwargs):
    torch.manual_seed(0)  # skorch initializes modules from the global RNG
    return NeuralNetClassifier(
        module,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.01,
        max_epochs=30,
        batch_size=64,
        train_split=None,
        iterator_train__shuffle=True,
        callbacks=list(callbacks),
        verbose=0,
        **kwargs,
    )


def test_growth_callback_widens_the_net_and_scores_at_least_as_well():
    X, y = _task()
    X_test, y_test = _task(400, seed=1)
    fixed = _net(GrowingMLP, module__layer_sizes=[6, 2, 3]).fit(X, y)
    growth = GrowthCallback(grow_every=3)
    grown = _net(GrowingMLP, [growth], module__layer_sizes=[6, 2, 3]).fit(X, y)
    assert grown.module_.hidden_sizes[0] > 2
    assert sum(h["neurons_added"] for h in growth.history_) == (
        grown.module_.hidden_sizes[0] - 2
    )
    assert grown.score(X_test, y_test) >= fixed.score(X_test, y_test)
    # The optimizer trains the grown parameters: no stale tensors in it.
    in_optimizer = {id(p) for g in grown.optimizer_.param_groups for p in g["params"]}
    assert {id(p) for p in grown.module_.parameters()} <= in_optimizer


def test_pruning_callback_shrinks_the_module_and_training_goes_on():
    X, y = _task()
    pruning = PruningCallback(at_epoch=15, prune_fraction=0.5)
    net = _net(SpectralMLP, [pruning], module__layer_sizes=[6, 32, 3]).fit(X, y)
    assert net.module_.layers[0].phi.shape == (16, 6)
    assert len(net.history) == 30
    in_optimizer = {id(p) for g in net.optimizer_.param_groups for p in g["params"]}
    assert {id(p) for p in net.module_.parameters()} <= in_optimizer
    assert np.isfinite(net.predict_proba(X)).all()
    assert net.score(X, y) > 0.6


def test_spectral_module_in_a_plain_skorch_net():
    X, y = _task()
    net = _net(SpectralMLP, module__layer_sizes=[6, 16, 3]).fit(X, y)
    assert net.predict(X).shape == (600,)
    assert net.score(X, y) > 0.6


def test_growth_callback_records_what_the_estimators_record():
    # One growth implementation: the callback's records and stop reason are
    # those of GrowingMLPClassifier.growth_history_ / growth_stop_reason_.
    from sklearn_spectral import GrowingMLPClassifier

    X, y = _task()
    growth = GrowthCallback(grow_every=3)
    _net(GrowingMLP, [growth], module__layer_sizes=[6, 1, 3]).fit(X, y)
    clf = GrowingMLPClassifier(max_iter=5, device="cpu", random_state=0).fit(X, y)
    assert set(growth.history_[0]) == set(clf.growth_history_[0])
    statuses = [h["status"] for h in growth.history_]
    assert statuses[0] == "grown"
    assert growth.stop_reason_ in statuses + ["max_iter reached while growing"]
    epochs = [h["epoch"] for h in growth.history_]
    assert epochs == sorted(epochs) and all(e % 3 == 0 for e in epochs)
