import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import SpectralMLPClassifier, SpectralMLPRegressor
from sklearn_spectral._utils import make_rng, torch_generator
from sklearn_spectral.train import Callback


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


_SMALL = dict(
    hidden_layer_sizes=(16,),
    max_iter=100,
    learning_rate_init=0.01,
    random_state=0,
    device="cpu",
)


def _clf(**kw):
    return SpectralMLPClassifier(**{**_SMALL, **kw})


def _reg(**kw):
    return SpectralMLPRegressor(**{**_SMALL, **kw})


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def test_classifier_learns_iris_and_exposes_spectral_attributes(iris):
    X, y = iris
    clf = _clf().fit(X, y)
    assert clf.score(X, y) > 0.95
    assert [e.shape for e in clf.eigenvalues_] == [(4 + 16,), (16 + 3,)]
    assert [v.shape for v in clf.eigenvectors_] == [(16, 4), (3, 16)]
    assert [c.shape for c in clf.coefs_] == [(4, 16), (16, 3)]
    assert [b.shape for b in clf.intercepts_] == [(16,), (3,)]
    # coefs_ is the materialized W = phi diag(lambda_in) - diag(lambda_out) phi.
    for coef, phi, lam in zip(
        clf.coefs_, clf.eigenvectors_, clf.eigenvalues_, strict=True
    ):
        lam_in, lam_out = lam[: phi.shape[1]], lam[phi.shape[1] :]
        np.testing.assert_allclose(coef.T, phi * (lam_in[None, :] - lam_out[:, None]))
    assert clf.n_layers_ == 3 and clf.n_outputs_ == 3
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(clf.predict_proba(X)), clf.predict_log_proba(X))
    assert len(clf.loss_curve_) == clf.n_iter_


def test_binary_classifier_has_one_logit():
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    clf = _clf().fit(X, np.where(y == 1, "yes", "no"))
    assert clf.n_outputs_ == 1
    assert clf.decision_function(X).shape == (120,)
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 2)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    assert clf.score(X, np.where(y == 1, "yes", "no")) > 0.85


def test_eigenvalue_only_training_freezes_phi():
    X, y = load_iris(return_X_y=True)
    clf = _clf(train="eigenvalues", train_input_eigenvalues=True).fit(X, y)
    initial = clf._build_module(4, 3, torch_generator(make_rng(0)))
    for layer, start in zip(clf.module_.layers, initial.layers, strict=True):
        assert torch.equal(layer.phi.float(), start.phi)  # bit-identical
        assert not torch.equal(layer.lambda_in.float(), start.lambda_in)
        assert not torch.equal(layer.lambda_out.float(), start.lambda_out)
        assert not torch.equal(layer.bias.float(), start.bias)
    trainable = {n for n, p in clf.module_.named_parameters() if p.requires_grad}
    assert {n.split(".")[-1] for n in trainable} == {"lambda_in", "lambda_out", "bias"}


def test_lambda_in_stays_zero_unless_trainable(iris):
    X, y = iris
    clf = _clf().fit(X, y)
    for phi, lam in zip(clf.eigenvectors_, clf.eigenvalues_, strict=True):
        assert np.count_nonzero(lam[: phi.shape[1]]) == 0


@pytest.mark.parametrize("make", [_clf, _reg])
def test_same_seed_same_model_and_global_rng_untouched(make):
    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    if make is _clf:
        y = y > 0
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()  # noqa: NPY002
    a = make().fit(X, y).predict(X)
    b = make().fit(X, y).predict(X)
    make(random_state=None).fit(X, y)
    np.testing.assert_array_equal(a, b)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == np_state[1].tolist()  # noqa: NPY002


@pytest.mark.parametrize("make", [_clf, _reg])
def test_pickle_round_trip_predicts_identically(make):
    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    if make is _clf:
        y = y > 0
    est = make().fit(X, y)
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(est.predict(X), clone.predict(X))


def test_pipeline_in_grid_search(iris):
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), _clf(max_iter=50))
    search = GridSearchCV(
        pipe, {"spectralmlpclassifier__hidden_layer_sizes": [(4,), (16,)]}, cv=3
    ).fit(X, y)
    assert search.best_score_ > 0.85
    assert search.best_estimator_[-1].n_features_in_ == 4


def test_regressor_multi_output_and_target_scale():
    X, y = make_regression(
        n_samples=200, n_features=5, n_targets=3, noise=0.1, random_state=0
    )
    y = y * 1000 + 5e4  # far from unit scale: standardized internally
    reg = _reg(max_iter=200).fit(X, y)
    assert reg.predict(X).shape == (200, 3)
    assert reg.n_outputs_ == 3
    assert reg.score(X, y) > 0.9
    column = _reg().fit(X, y[:, :1])
    assert column.predict(X).shape == (200, 1)
    assert _reg().fit(X, y[:, 0]).predict(X).shape == (200,)


def test_early_stopping_records_validation_scores(iris):
    X, y = iris
    clf = _clf(early_stopping=True, max_iter=300).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    assert _clf().fit(X, y).validation_scores_ is None


def test_too_small_validation_set_is_an_error():
    X, y = make_regression(n_samples=10, random_state=0)
    with pytest.raises(ValueError, match="validation set is too small"):
        _reg(early_stopping=True, validation_fraction=0.1).fit(X, y)


def test_warm_start_continues_training(iris):
    X, y = iris
    clf = _clf(max_iter=5, warm_start=True).fit(X, y)
    first = clf.loss_curve_[:]
    clf.fit(X, y)
    assert clf.n_iter_ == 5  # this fit's epochs, as MLPClassifier
    assert len(clf.loss_curve_) == 10 and clf.t_ == 10 * len(X)
    assert clf.loss_curve_[:5] == first
    assert clf.loss_curve_[5] < first[0]
    with pytest.raises(ValueError, match="same classes as in the previous call to fit"):
        clf.fit(X[y < 2], y[y < 2])


def test_sample_weight_changes_the_fit():
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    w = np.where(y == 1, 5.0, 1.0)
    plain = _clf().fit(X, y).predict_proba(X)[:, 1].mean()
    weighted = _clf().fit(X, y, sample_weight=w).predict_proba(X)[:, 1].mean()
    assert weighted > plain
    with pytest.raises(ValueError, match="non-zero"):
        _clf().fit(X, y, sample_weight=np.zeros(100))


def test_feature_importances_find_planted_features():
    X, y = make_classification(
        n_samples=400,
        n_features=10,
        n_informative=3,
        n_redundant=0,
        shuffle=False,
        random_state=0,
    )
    clf = _clf(alpha=1.0, max_iter=200).fit(X, y)
    importances = clf.feature_importances_
    assert importances.sum() == pytest.approx(1.0)
    assert set(np.argsort(importances)[-3:]) == {0, 1, 2}
    selector = SelectFromModel(
        _clf(alpha=1.0, max_iter=200), max_features=3, threshold=-np.inf
    ).fit(X, y)
    assert set(np.flatnonzero(selector.get_support())) == {0, 1, 2}


def test_verbose_shows_a_progress_bar_and_quiet_prints_nothing(iris, capsys):
    pytest.importorskip("tqdm")
    X, y = iris
    _clf(max_iter=3, verbose=1, early_stopping=True).fit(X, y)
    err = capsys.readouterr().err
    assert "3/3" in err and "loss=" in err and "val=" in err
    _clf(max_iter=3).fit(X, y)
    assert capsys.readouterr() == ("", "")


def test_verbose_without_tqdm_prints_a_line_per_epoch(iris, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    X, y = iris
    _clf(max_iter=3, verbose=1).fit(X, y)
    assert capsys.readouterr().out.count("Iteration") == 3


def test_diverging_fit_never_predicts_nan():
    X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    X = X * 1e25  # the float32 loss overflows in the first epoch: nothing to keep
    with pytest.raises(FloatingPointError, match="diverged"):
        _reg(learning_rate_init=1.0).fit(X, y)


def test_invalid_parameters_are_reported_at_fit(iris):
    X, y = iris
    with pytest.raises(ValueError, match="train"):
        _clf(train="everything").fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        _clf(hidden_layer_sizes=(4, 0)).fit(X, y)
    with pytest.raises(ValueError, match="device must be"):
        _clf(device="nonsense").fit(X, y)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            _clf(device="cuda").fit(X, y)


@pytest.mark.cuda
def test_cuda_fit_predicts_on_cpu_and_matches_cpu_closely(cuda, iris):
    X, y = iris
    gpu = _clf(device=cuda).fit(X, y)
    assert gpu.device_.startswith("cuda")
    assert next(gpu.module_.parameters()).device.type == "cpu"
    clone = pickle.loads(pickle.dumps(gpu))
    np.testing.assert_array_equal(gpu.predict(X), clone.predict(X))
    cpu = _clf().fit(X, y)
    assert (gpu.predict(X) == cpu.predict(X)).mean() > 0.95


def test_auto_device_resolves_to_what_is_available(iris):
    X, y = iris
    clf = _clf(device="auto", max_iter=2).fit(X, y)
    assert clf.device_ == ("cuda" if torch.cuda.is_available() else "cpu")


def test_small_cpu_fit_uses_one_thread_and_restores_the_setting(iris):
    X, y = iris
    seen = []
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        clf = _clf(max_iter=2)

        class Threads(Callback):
            def on_epoch_end(self, trainer):
                seen.append(torch.get_num_threads())

        clf._callbacks = lambda data, g, incremental: (Threads(),)
        clf.fit(X, y)
        assert seen == [1, 1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_warm_start_applies_a_changed_train_setting(iris):
    X, y = iris
    clf = _clf(train="eigenvalues", max_iter=5, warm_start=True).fit(X, y)
    frozen = clf.module_.layers[0].phi.detach().clone()
    clf.set_params(train="full").fit(X, y)
    assert not torch.equal(clf.module_.layers[0].phi.detach(), frozen)
    assert clf.module_.layers[0].phi.requires_grad


def test_eigenvalue_l1_switches_hidden_nodes_off_and_pruning_them_is_lossless(iris):
    from sklearn_spectral import SpectralPruner

    X, y = iris
    clf = _clf(hidden_layer_sizes=(32,), eigenvalue_l1=2.0, max_iter=300).fit(X, y)
    hidden = clf.eigenvalues_[0][4:]
    zero = np.flatnonzero(hidden == 0)
    assert 0 < len(zero) < 32
    assert clf.eigenvalues_[1][32:].min() != 0  # output eigenvalues are free
    assert clf.score(X, y) > 0.9
    fraction = len(zero) / 32
    pruner = SpectralPruner(clf, prefit=True, prune_fraction=fraction).fit(X, y)
    assert set(np.setdiff1d(np.arange(32), pruner.kept_nodes_[0])) == set(zero)
    np.testing.assert_allclose(
        pruner.predict_proba(X), clf.predict_proba(X), atol=1e-12
    )
