"""Interruption, persistence, determinism and divergence, for every estimator."""

import io
import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import make_friedman1, make_regression
from sklearn.exceptions import ConvergenceWarning

from sklearn_spectral import GrowingMLPRegressor
from sklearn_spectral.train import growth as growing_module
from sklearn_spectral.train.trainer import Trainer

from ._estimators import cheap_instances, supervised_instances

ROOT = Path(__file__).resolve().parent.parent


def _ids(est):
    inner = getattr(est, "estimator", None)
    return type(est).__name__ + (f"[{type(inner).__name__}]" if inner else "")


def _is_classifier(est):
    return is_classifier(getattr(est, "estimator", est))


def _data(est, n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    if _is_classifier(est):
        y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    else:
        y = X[:, 0] - 2 * X[:, 1] + np.sin(3 * X[:, 2])
    return X, y


def _outputs(est, X):
    """Everything a fitted estimator computes from X."""
    out = {"predict": est.predict(X)}
    for method in ("predict_proba", "decision_function", "transform"):
        if hasattr(est, method):
            out[method] = getattr(est, method)(X)
    return out


def _assert_identical(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clone(est).fit(X, y)


ESTIMATORS = cheap_instances()


# -- interruption --------------------------------------------------------------


def _interrupt_at(monkeypatch, epoch):
    """Raise KeyboardInterrupt in epoch ``epoch`` (1-based), right after its
    first optimizer step: the weights have moved when training stops."""
    run_epoch = Trainer._run_epoch

    def interrupted(self, *data):
        if self.n_iter + 1 != epoch:
            return run_epoch(self, *data)
        step = self.optimizer.step

        def step_then_interrupt(*args, **kwargs):
            step(*args, **kwargs)
            raise KeyboardInterrupt

        self.optimizer.step = step_then_interrupt
        try:
            return run_epoch(self, *data)
        finally:
            del self.optimizer.step

    monkeypatch.setattr(Trainer, "_run_epoch", interrupted)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_ids)
def test_interrupt_keeps_the_last_complete_epoch(estimator, monkeypatch):
    X, y = _data(estimator)
    _interrupt_at(monkeypatch, 4)
    with pytest.warns(ConvergenceWarning, match="interrupted.*epoch 3 is kept"):
        est = clone(estimator).fit(X, y)
    outputs = _outputs(est, X)
    assert all(np.isfinite(v).all() for v in outputs.values() if v.dtype.kind == "f")
    fitted = getattr(est, "unpruned_estimator_", est)
    assert fitted.n_iter_ == 3
    if not hasattr(estimator, "estimator"):
        # The kept model is exactly the one a 3-epoch fit gives (without the
        # end-of-fit decisions of growth, which an interrupt skips).
        monkeypatch.undo()
        monkeypatch.setattr(
            growing_module.Growth, "on_fit_end", lambda self, trainer: None
        )
        three = _fit(clone(estimator).set_params(max_iter=3), X, y)
        _assert_identical(outputs, _outputs(three, X))


@pytest.mark.parametrize("where", ["choose_growth", "apply_growth"])
def test_interrupt_during_a_growth_step_goes_back_to_the_last_epoch(where, monkeypatch):
    # An interrupt in the growth callback (before or after the network
    # changed shape) keeps epoch 4's network, forgets epoch 5's loss and
    # growth record, and equals a 4-epoch fit.
    est = GrowingMLPRegressor(max_iter=20, grow_every=5, random_state=0, device="cpu")
    X, y = _data(est, n=200)
    original = getattr(growing_module, where)

    def interrupted(*args, **kwargs):
        original(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(growing_module, where, interrupted)
    with pytest.warns(ConvergenceWarning, match="during epoch 5; the model of epoch 4"):
        est.fit(X, y)
    assert est.n_iter_ == len(est.loss_curve_) == 4
    assert est.growth_history_ == [] and est.growth_stop_reason_ == ""
    assert est.hidden_layer_sizes_ == est.initial_hidden_layer_sizes
    monkeypatch.undo()
    # (the 4-epoch fit without the end-of-fit decisions an interrupt skips)
    monkeypatch.setattr(growing_module.Growth, "on_fit_end", lambda self, trainer: None)
    four = _fit(clone(est).set_params(max_iter=4), X, y)
    np.testing.assert_array_equal(est.predict(X), four.predict(X))


def test_interrupt_after_a_growth_with_early_stopping(monkeypatch):
    # With early stopping, an interrupt right after a growth step rolls the
    # growth back; the kept model (the best of the complete epochs) has the
    # start widths.
    est = GrowingMLPRegressor(
        max_iter=20, grow_every=5, early_stopping=True, random_state=0, device="cpu"
    )
    X, y = _data(est, n=200)
    original = growing_module.apply_growth

    def interrupted(*args, **kwargs):
        original(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(growing_module, "apply_growth", interrupted)
    with pytest.warns(ConvergenceWarning, match="during epoch 5; the"):
        est.fit(X, y)
    assert est.n_iter_ == 4
    assert est.hidden_layer_sizes_ == est.initial_hidden_layer_sizes
    assert np.isfinite(est.predict(X)).all()


def test_early_stopping_keeps_the_best_network_across_growth():
    # As MLPClassifier: the kept model is the best of all epochs, even when
    # the network grew after it, and best_validation_score_ is its score
    # (before: the best since the last growth step, below the maximum for 2
    # of 5 seeds). A linear model (or mixture) that replaced the network is
    # scored too.
    kept_networks = 0
    for seed in range(5):
        est = GrowingMLPRegressor(
            max_iter=60, early_stopping=True, random_state=seed, device="cpu"
        )
        X, y = make_friedman1(800, noise=0.3, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
        assert np.isfinite(est.best_validation_score_)
        if "linear model" not in est.growth_stop_reason_:  # (nor mixed with one)
            kept_networks += 1
            assert est.best_validation_score_ == max(est.validation_scores_)
    assert kept_networks >= 2


def test_interrupt_with_early_stopping_keeps_the_best_model(monkeypatch):
    est = GrowingMLPRegressor(
        max_iter=30, early_stopping=True, random_state=0, device="cpu"
    )
    X, y = _data(est, n=200)
    _interrupt_at(monkeypatch, 12)
    with pytest.warns(ConvergenceWarning, match="best model so far"):
        est.fit(X, y)
    assert est.n_iter_ == 11
    assert np.isfinite(est.predict(X)).all()


def test_interrupt_before_the_first_epoch_propagates(monkeypatch):
    est = ESTIMATORS[0]
    X, y = _data(est)
    _interrupt_at(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        clone(est).fit(X, y)


def test_second_interrupt_aborts(monkeypatch):
    # The first interrupt stops training; a second one, while the kept model
    # is being restored, goes through to the caller.
    est = ESTIMATORS[0]
    X, y = _data(est)
    _interrupt_at(monkeypatch, 4)

    def second_interrupt(self, state, strict=True, assign=False):
        raise KeyboardInterrupt

    monkeypatch.setattr(torch.nn.Module, "load_state_dict", second_interrupt)
    with pytest.raises(KeyboardInterrupt):
        clone(est).fit(X, y)


# -- persistence ---------------------------------------------------------------


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_ids)
@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_round_trip_gives_identical_predictions(estimator, dump):
    X, y = _data(estimator)

    def round_trip(obj):
        if dump == "pickle":
            return pickle.loads(pickle.dumps(obj))
        buffer = io.BytesIO()
        joblib.dump(obj, buffer)
        buffer.seek(0)
        return joblib.load(buffer)

    unfitted = round_trip(clone(estimator))
    assert repr(unfitted.get_params()) == repr(estimator.get_params())
    est = _fit(estimator, X, y)
    _assert_identical(_outputs(round_trip(est), X), _outputs(est, X))
    # A loaded unfitted estimator fits exactly like the original.
    _assert_identical(_outputs(_fit(unfitted, X, y), X), _outputs(est, X))


def _tensors(obj, seen=None):
    """Every torch tensor reachable from ``obj`` (attributes, containers)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, torch.nn.Module):
        yield from obj.state_dict().values()
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _tensors(value, seen)
    elif isinstance(obj, list | tuple | set):
        for value in obj:
            yield from _tensors(value, seen)
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith(
        "sklearn_spectral"
    ):
        for value in vars(obj).values():
            yield from _tensors(value, seen)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_ids)
def test_fitted_state_holds_only_cpu_tensors(estimator):
    # What makes a model fitted on a GPU load on a CPU-only machine: nothing
    # that pickling keeps refers to a CUDA device.
    est = _fit(estimator, *_data(estimator))
    tensors = list(_tensors(est))
    assert tensors, "expected the fitted network's tensors"
    assert {t.device.type for t in tensors} == {"cpu"}


_LOAD_WITHOUT_CUDA = """
import pickle, sys
import numpy as np
import torch
assert not torch.cuda.is_available()
with open(sys.argv[1], "rb") as f:
    est, X = pickle.load(f)
np.save(sys.argv[2], est.predict(X))
"""


def _predict_in_a_process_without_cuda(est, X, tmp_path):
    model = tmp_path / "model.pkl"
    with open(model, "wb") as f:
        pickle.dump((est, X), f)
    result = tmp_path / "pred.npy"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run(
        [sys.executable, "-c", _LOAD_WITHOUT_CUDA, str(model), str(result)],
        check=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    return np.load(result)


def test_model_fitted_for_cuda_predicts_in_a_process_without_cuda(tmp_path):
    # Simulated for CPU-only machines: a model whose parameters and fitted
    # device say CUDA loads and predicts where torch sees no GPU.
    est = ESTIMATORS[0]
    X, y = _data(est)
    est = _fit(est, X, y)
    est.set_params(device="cuda")
    est.device_ = "cuda:0"
    np.testing.assert_array_equal(
        _predict_in_a_process_without_cuda(est, X, tmp_path), est.predict(X)
    )


@pytest.mark.cuda
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_ids)
def test_cuda_fit_loads_and_predicts_on_cpu(estimator, cuda, tmp_path):
    X, y = _data(estimator)
    est = clone(estimator)
    inner = getattr(est, "estimator", None)
    (inner or est).set_params(device=cuda)
    est = _fit(est, X, y)
    np.testing.assert_array_equal(
        _predict_in_a_process_without_cuda(est, X, tmp_path), est.predict(X)
    )


# -- determinism ---------------------------------------------------------------

_FIT_ALL = """
import json, sys, warnings
import numpy as np
from sklearn.base import clone
from tests.test_reliability import ESTIMATORS, _data, _ids
warnings.simplefilter("ignore")
out = {}
for est in ESTIMATORS:
    X, y = _data(est)
    out[_ids(est)] = clone(est).fit(X, y).predict(X).astype(float).tobytes().hex()
print(json.dumps(out))
"""


def _json_from_a_process(script, *args):
    """Run ``script`` in a fresh Python; the JSON of its last output line."""
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_predictions_are_bit_identical_across_processes():
    first, second = _json_from_a_process(_FIT_ALL), _json_from_a_process(_FIT_ALL)
    assert first.keys() == {_ids(e) for e in ESTIMATORS}
    assert first == second
    # And the same bits as a fit in this process.
    est = ESTIMATORS[0]
    X, y = _data(est)
    here = _fit(est, X, y).predict(X).astype(float).tobytes().hex()
    assert first[_ids(est)] == here


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_ids)
def test_fit_leaves_the_global_random_states_alone(estimator):
    X, y = _data(estimator)
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()  # noqa: NPY002
    _fit(estimator, X, y)
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()  # noqa: NPY002
    assert after[1].tolist() == np_state[1].tolist() and after[2] == np_state[2]


# -- warm start ----------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator", [e for e in ESTIMATORS if "warm_start" in e.get_params()], ids=_ids
)
def test_warm_start_continues_from_the_previous_state(estimator):
    X, y = _data(estimator)
    est = clone(estimator).set_params(warm_start=True, max_iter=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        first_curve, first_t = list(est.loss_curve_), est.t_
        est.fit(X, y)
    n_first = len(first_curve)
    # As MLPClassifier: n_iter_ counts the second fit's epochs, loss_curve_
    # and t_ (training rows seen) go on.
    assert est.n_iter_ == len(est.loss_curve_) - n_first > 0
    assert first_t > 0 and est.t_ > first_t
    assert est.loss_curve_[:n_first] == first_curve
    # The second fit starts where the first one ended, not from scratch.
    assert est.loss_curve_[n_first] < 0.5 * (first_curve[0] + first_curve[-1])


# -- divergence ----------------------------------------------------------------


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_ids)
def test_divergence_warns_or_raises_never_nan(estimator):
    X, y = _data(estimator)
    est = clone(estimator)
    inner = getattr(est, "estimator", None)
    (inner or est).set_params(learning_rate_init=1e12)
    if inner is not None:
        est.set_params(estimator=inner)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            est.fit(X * 1e3, y)
        except ValueError as exc:  # no finite model was ever reached
            assert "diverged" in str(exc)
            return
    # Diverged with a warning, or saturated but finite: never NaN outputs.
    outputs = _outputs(est, X)
    assert all(np.isfinite(v).all() for v in outputs.values() if v.dtype.kind == "f")


# -- growth steps that meet singular statistics --------------------------------


def test_singular_growth_step_is_skipped_and_recorded(monkeypatch):
    choose = growing_module.choose_growth
    calls = []

    def failing_first(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise torch.linalg.LinAlgError("eigh failed to converge")
        return choose(*args, **kwargs)

    monkeypatch.setattr(growing_module, "choose_growth", failing_first)
    est = GrowingMLPRegressor(max_iter=40, grow_every=3, random_state=0, device="cpu")
    X, y = _data(est, n=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    statuses = [h["status"] for h in est.growth_history_]
    assert statuses[0].startswith("skipped: the growth statistics are singular")
    assert est.growth_history_[0]["layer"] is None
    assert "grown" in statuses[1:]  # growth went on at the next step
    assert np.isfinite(est.predict(X)).all()


def test_growth_with_collinear_and_constant_inputs():
    # Duplicated and constant columns make the input statistics singular: the
    # pseudo-inverse must keep growth finite and useful.
    est = GrowingMLPRegressor(max_iter=60, grow_every=3, random_state=0, device="cpu")
    X, y = _data(est, n=200)
    X = np.hstack([X, X[:, :2], np.ones((len(X), 2))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert any(h["status"] == "grown" for h in est.growth_history_)
    assert est.score(X, y) > 0.8


# -- memory --------------------------------------------------------------------

_PEAK_MEMORY = """
import json, sys, warnings
import numpy as np
from sklearn_spectral import SpectralMLPRegressor
warnings.simplefilter("ignore")
def status(field):  # VmRSS: now; VmHWM: peak of this process (ru_maxrss may
    # hold the parent's peak after fork + exec)
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith(field + ":"))
    return int(line.split()[1]) * 1024
X = np.random.default_rng(0).standard_normal((int(sys.argv[1]), 50))
y = X[:, 0].copy()
SpectralMLPRegressor((8,), max_iter=1, device="cpu").fit(X[:1000], y[:1000])
before = status("VmRSS")
SpectralMLPRegressor((8,), max_iter=1, batch_size=1000, device="cpu").fit(X, y)
print(json.dumps({"data": X.nbytes, "extra": status("VmHWM") - before}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_fit_copies_the_data_at_most_once():
    # The fit's memory beyond the data grows by half the data's size (one
    # float32 copy of float64 X) when the data doubles, not by a whole copy.
    small = _json_from_a_process(_PEAK_MEMORY, 250_000)
    large = _json_from_a_process(_PEAK_MEMORY, 750_000)
    slope = (large["extra"] - small["extra"]) / (large["data"] - small["data"])
    assert 0.3 < slope < 0.75, (slope, small, large)


_STATISTICS_MEMORY = """
import json, sys
import torch
from sklearn_spectral.nn import GrowingMLP, growth_statistics
def half_mse(output, target):
    return 0.5 * (output - target).square().mean()
def status(field):
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith(field + ":"))
    return int(line.split()[1]) * 1024
n = int(sys.argv[1])
g = torch.Generator().manual_seed(0)
net = GrowingMLP([20, 64, 64, 1], generator=g).double()
X = torch.randn(n, 20, generator=g, dtype=torch.float64)
y = torch.randn(n, 1, generator=g, dtype=torch.float64)
growth_statistics(net, 1, X[:4096], y[:4096], half_mse)  # warm-up
before = status("VmRSS")
growth_statistics(net, 1, X, y, half_mse)
print(json.dumps({"extra": status("VmHWM") - before}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_growth_statistics_memory_does_not_grow_with_the_rows():
    # O(chunk x width + width^2): 8x the rows (x 64 hidden units, float64,
    # would be +100 MB if any (rows x width) tensor were kept) costs nothing.
    small = _json_from_a_process(_STATISTICS_MEMORY, 25_000)
    large = _json_from_a_process(_STATISTICS_MEMORY, 200_000)
    assert large["extra"] - small["extra"] < 10 * 2**20, (small, large)


@pytest.mark.parametrize(
    "estimator",
    [e for e in supervised_instances() if is_regressor(e)],
    ids=lambda e: type(e).__name__,
)
def test_a_zero_weight_outlier_leaves_the_regressor_fit_unchanged(estimator):
    # One row of weight 0 whose y is 0 or 1e6: y's standardization, the loss,
    # the growth statistics and the held-out decisions must all ignore its
    # value (before, y = 1e6 took the training R^2 from 0.99 to -1e7).
    X, y = make_regression(200, 5, noise=1.0, random_state=0)
    X_out = np.vstack([X, np.zeros((1, 5))])
    weight = np.append(np.ones(200), 0.0)
    est = clone(estimator)
    if "max_iter" in est.get_params():
        est.set_params(max_iter=200)
    fits = [
        clone(est).fit(X_out, np.append(y, extra), sample_weight=weight)
        for extra in (0.0, 1e6)
    ]
    assert fits[0].score(X, y) > 0.9
    np.testing.assert_allclose(
        fits[1].predict(X), fits[0].predict(X), atol=1e-6 * y.std()
    )
