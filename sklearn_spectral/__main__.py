"""Demo: ``python -m sklearn_spectral``.

Fits the library's estimators on ``load_digits`` beside scikit-learn's
``MLPClassifier`` and prints what each learned. ``--help`` lists the options.
"""

import argparse
import inspect
import os
import time
import warnings
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_spectral import (
    GrowingMLPClassifier,
    SpectralMLPClassifier,
    SpectralNASClassifier,
    SpectralPruner,
)


def _same(a, b):
    """Whether two parameter values are equal (estimators by their params)."""
    if isinstance(a, BaseEstimator) or isinstance(b, BaseEstimator):
        return type(a) is type(b) and describe(a) == describe(b)
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    try:
        return bool(np.array_equal(a, b)) if hasattr(a, "__len__") else bool(a == b)
    except (TypeError, ValueError):
        return a is b


def changed_params(estimator):
    """The parameters of ``estimator`` that differ from its class's defaults.

    A dict in the order of the constructor's signature, read with
    ``get_params(deep=False)`` and compared with a default instance, so that
    a label built from it cannot drift from the setting that runs.

    >>> changed_params(MLPClassifier((100,), alpha=0.1, random_state=0))
    {'alpha': 0.1, 'random_state': 0}
    """
    params = estimator.get_params(deep=False)
    defaults = type(estimator)().get_params(deep=False)
    order = list(inspect.signature(type(estimator).__init__).parameters)
    return {
        name: params[name]
        for name in sorted(params, key=order.index)
        if not _same(params[name], defaults[name])
    }


def _describe_value(value):
    return describe(value) if isinstance(value, BaseEstimator) else repr(value)


def describe(estimator):
    """``Class(name=value, ...)`` with exactly the non-default parameters.

    Nested estimators are described the same way.

    >>> describe(SpectralMLPClassifier(train="eigenvalues", max_iter=200))
    "SpectralMLPClassifier(train='eigenvalues')"
    """
    parts = [
        f"{name}={_describe_value(value)}"
        for name, value in changed_params(estimator).items()
    ]
    return f"{type(estimator).__name__}({', '.join(parts)})"


def contenders():
    """The estimators the demo fits, in order."""
    return [
        MLPClassifier((100,), random_state=0),
        SpectralMLPClassifier((100,), random_state=0, device="cpu"),
        # Eigenvalue-only training needs the input eigenvalues and a larger
        # step to learn digits (with train="eigenvalues" alone: about 0.48).
        SpectralMLPClassifier(
            (100,),
            train="eigenvalues",
            train_input_eigenvalues=True,
            learning_rate_init=1e-2,
            random_state=0,
            device="cpu",
        ),
        SpectralNASClassifier((32, 32), random_state=0, device="cpu"),
        GrowingMLPClassifier(random_state=0, device="cpu"),
        SpectralPruner(random_state=0),
    ]


@contextmanager
def pinned_threads(n_threads):
    """BLAS/OpenMP pools (threadpoolctl) and torch limited to ``n_threads``."""
    torch_threads = torch.get_num_threads()
    with threadpool_limits(limits=n_threads):
        torch.set_num_threads(n_threads)
        try:
            yield
        finally:
            torch.set_num_threads(torch_threads)


def thread_settings(n_threads):
    """One line saying which thread pools the contenders run with."""
    with pinned_threads(n_threads):
        pools = sorted(
            {
                f"{info['internal_api']} {info['num_threads']}"
                for info in threadpool_info()
            }
        )
        torch_threads = torch.get_num_threads()
    return (
        f"threads: every contender fits with torch.set_num_threads({torch_threads})"
        f" and threadpoolctl.threadpool_limits({n_threads}) (pools: "
        f"{', '.join(pools) or 'none found'}); {os.cpu_count()} CPUs seen"
    )


def _summary(values):
    values = np.abs(values)
    return (
        f"|lambda| mean {values.mean():.3f}, max {values.max():.3f}, "
        f"share < 0.1: {np.mean(values < 0.1):.0%}"
    )


def _n_trainable(estimator):
    """Trainable numbers of a fitted torch estimator or of an MLPClassifier."""
    if hasattr(estimator, "module_"):
        params = estimator.module_.parameters()
        return sum(p.numel() for p in params if p.requires_grad)
    layers = zip(estimator.coefs_, estimator.intercepts_, strict=True)
    return sum(coef.size + bias.size for coef, bias in layers)


def scaler(model, X):
    """``X`` through every step of ``model`` but the last."""
    return model[:-1].transform(X)


def _report(model, X_test, y_test, seconds):
    """Lines on what the fitted pipeline ``model`` learned."""
    fitted = model[-1]
    accuracy = model.score(X_test, y_test)
    if isinstance(fitted, SpectralPruner):
        before = fitted.unpruned_estimator_.score(scaler(model, X_test), y_test)
        widths = (fitted.original_hidden_layer_sizes_, fitted.hidden_layer_sizes_)
        return [
            f"  test accuracy {accuracy:.4f} pruned, {before:.4f} before; "
            f"{seconds:.2f} s; prune_fraction_ {fitted.prune_fraction_:.2f}, "
            f"hidden widths {widths[0]} -> {widths[1]}, "
            f"parameters {fitted.n_parameters_[0]} -> {fitted.n_parameters_[1]}"
        ]
    lines = [
        f"  test accuracy {accuracy:.4f}, {fitted.n_iter_} epochs, {seconds:.2f} s, "
        f"{_n_trainable(fitted)} trainable numbers"
    ]
    if hasattr(fitted, "growth_history_"):
        lines.append(
            f"  grew {fitted.initial_hidden_layer_sizes} -> "
            f"{fitted.hidden_layer_sizes_} in {len(fitted.growth_history_)} "
            f"growth steps (stopped: {fitted.growth_stop_reason_ or 'max_iter'})"
        )
    elif hasattr(fitted, "topology_"):
        topology = fitted.topology_
        lines.append(
            f"  widths {topology['layer_sizes']}, nodes switched on "
            f"{topology['active_nodes']}, nodes used {topology['used_nodes']}, "
            f"richness ||Gamma|| {fitted.topology_richness_:.2f}, "
            f"{fitted.n_active_parameters_} weights and biases in use"
        )
    else:
        widths = [c.shape[0] for c in fitted.coefs_] + [fitted.coefs_[-1].shape[1]]
        lines.append(f"  widths {widths}")
    if hasattr(fitted, "coefs_") and hasattr(fitted, "eigenvalues_"):
        for k, lam in enumerate(fitted.eigenvalues_):
            n_in = fitted.eigenvectors_[k].shape[1]
            lines.append(f"  layer {k + 1} node eigenvalues: {_summary(lam[n_in:])}")
        top = np.argsort(fitted.feature_importances_)[::-1][:5]
        lines.append(f"  most relevant input pixels: {top.tolist()}")
    return lines


def run(estimators, X_train, X_test, y_train, y_test, n_threads=1):
    """Fit each estimator behind a ``StandardScaler`` and print a report.

    Every fit runs with the same pinned thread pools; a line announces each
    contender as it starts, and its report follows when it is done.
    """
    print(thread_settings(n_threads), flush=True)
    with pinned_threads(n_threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # torch imports part of its optimizer machinery on the first step
        # (~1 s once per process): pay it before timing.
        SpectralMLPClassifier((4,), max_iter=1, device="cpu").fit(X_train, y_train)
        for k, estimator in enumerate(estimators, start=1):
            print(f"\n[{k}/{len(estimators)}] {describe(estimator)}", flush=True)
            model = make_pipeline(StandardScaler(), estimator)
            start = time.perf_counter()
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            for line in _report(model, X_test, y_test, seconds):
                print(line, flush=True)


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_spectral",
        description=(
            "Demo: fit the sklearn-spectral estimators (SpectralMLPClassifier, "
            "SpectralNASClassifier, GrowingMLPClassifier, SpectralPruner) on "
            "load_digits beside scikit-learn's MLPClassifier, and print each "
            "one's test accuracy, fit time and what it learned. Every contender "
            "runs on the CPU with the same thread limits. Takes under a "
            "minute with one thread."
        ),
    )
    parser.add_argument(
        "--threads",
        type=_positive_int,
        default=1,
        metavar="N",
        help=(
            "threads for every contender: torch.set_num_threads(N) and "
            "threadpoolctl's BLAS/OpenMP limit N (default: 1; small networks "
            "train fastest on one)"
        ),
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print(f"load_digits: {len(X_train)} training rows, {len(X_test)} test rows")
    run(contenders(), X_train, X_test, y_train, y_test, n_threads=args.threads)


if __name__ == "__main__":
    main()
