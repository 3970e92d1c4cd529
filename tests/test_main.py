"""The demo, ``python -m sklearn_spectral``: options, labels, threads, progress."""

import doctest
import runpy
import sys

import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info

import sklearn_spectral.__main__ as demo
from sklearn_spectral import SpectralMLPClassifier, SpectralPruner


def _no_fit(*args, **kwargs):
    raise AssertionError("--help must not load data or fit anything")


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_usage_and_fits_nothing(flag, monkeypatch, capsys):
    monkeypatch.setattr(demo, "load_digits", _no_fit)
    monkeypatch.setattr(demo, "run", _no_fit)
    with pytest.raises(SystemExit) as info:
        demo.main([flag])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m sklearn_spectral")
    assert "--threads" in out


def test_help_from_the_command_line(monkeypatch, capsys):
    """``python -m sklearn_spectral --help``, run as the interpreter runs it."""
    monkeypatch.setattr(sys, "argv", ["sklearn_spectral", "--help"])
    with pytest.raises(SystemExit) as info:
        runpy.run_path(demo.__file__, run_name="__main__")
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m sklearn_spectral")
    assert "load_digits:" not in out  # the demo did not start


def test_bad_threads_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        demo.parse_args(["--threads", "0"])
    assert info.value.code == 2
    assert demo.parse_args(["--threads", "3"]).threads == 3
    assert demo.parse_args([]).threads == 1


def test_label_names_exactly_the_non_default_parameters():
    est = SpectralMLPClassifier(
        (100,),  # the default: not in the label
        train="eigenvalues",
        learning_rate_init=1e-2,
        max_iter=200,  # the default
        random_state=0,
    )
    assert demo.changed_params(est) == {
        "train": "eigenvalues",
        "learning_rate_init": 1e-2,
        "random_state": 0,
    }
    assert demo.describe(est) == (
        "SpectralMLPClassifier(train='eigenvalues', learning_rate_init=0.01, "
        "random_state=0)"
    )
    assert demo.describe(SpectralMLPClassifier()) == "SpectralMLPClassifier()"
    label = "MLPClassifier(hidden_layer_sizes=(50,))"
    assert demo.describe(MLPClassifier((50,))) == label
    pruner = SpectralPruner(SpectralMLPClassifier((8,)), prune_fraction=0.8)
    assert demo.describe(pruner) == (
        "SpectralPruner(estimator=SpectralMLPClassifier(hidden_layer_sizes=(8,)), "
        "prune_fraction=0.8)"
    )


@pytest.mark.parametrize("estimator", demo.contenders(), ids=demo.describe)
def test_every_contender_is_its_label(estimator):
    """Rebuilt from its label's parameters alone, a contender is the same."""
    changed = demo.changed_params(estimator)
    default = type(estimator)().get_params(deep=False)
    params = estimator.get_params(deep=False)
    for name, value in params.items():
        assert (name in changed) != demo._same(value, default[name]), name
    rebuilt = type(estimator)(**changed)
    assert demo.describe(rebuilt) == demo.describe(estimator)
    assert rebuilt.get_params(deep=False).keys() == params.keys()
    for name, value in rebuilt.get_params(deep=False).items():
        assert demo._same(value, params[name]), name


def test_threads_are_pinned_for_every_fit_and_restored():
    before = torch.get_num_threads()
    with demo.pinned_threads(1):
        assert torch.get_num_threads() == 1
        assert all(info["num_threads"] == 1 for info in threadpool_info())
    assert torch.get_num_threads() == before
    line = demo.thread_settings(1)
    assert "torch.set_num_threads(1)" in line
    assert "threadpool_limits(1)" in line


def test_run_prints_progress_and_reports(capsys, monkeypatch):
    seen = []
    fit = MLPClassifier.fit

    def spy(self, X, y, *args, **kwargs):
        seen.append(torch.get_num_threads())
        seen.extend(info["num_threads"] for info in threadpool_info())
        return fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(MLPClassifier, "fit", spy)
    X, y = load_digits(return_X_y=True)
    estimators = [
        MLPClassifier((4,), max_iter=3, random_state=0),
        SpectralMLPClassifier((4,), max_iter=3, random_state=0, device="cpu"),
    ]
    demo.run(estimators, X[:200], X[200:300], y[:200], y[200:300], n_threads=1)
    out = capsys.readouterr().out
    assert "threads: every contender fits with torch.set_num_threads(1)" in out
    assert "[1/2] MLPClassifier(hidden_layer_sizes=(4,), max_iter=3" in out
    assert "[2/2] SpectralMLPClassifier(hidden_layer_sizes=(4,), max_iter=3" in out
    assert out.count("test accuracy") == 2
    assert seen and set(seen) == {1}


def test_doctests():
    assert doctest.testmod(demo).failed == 0
