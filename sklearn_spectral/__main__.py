"""Demo: ``python -m sklearn_spectral``.

Fits the library's estimators on ``load_digits`` beside scikit-learn's
``MLPClassifier`` and prints what each learned.
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import (
    GrowingMLPClassifier,
    SpectralMLPClassifier,
    SpectralNASClassifier,
    SpectralPruner,
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


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print(f"load_digits: {len(X_train)} training rows, {len(X_test)} test rows\n")
    # torch imports part of its optimizer machinery on the first step (~1 s once
    # per process): pay it before timing.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SpectralMLPClassifier((4,), max_iter=1, device="cpu").fit(X_train, y_train)
    models = {
        "MLPClassifier((100,))": MLPClassifier((100,), random_state=0),
        "SpectralMLPClassifier((100,))": SpectralMLPClassifier(
            (100,), random_state=0, device="cpu"
        ),
        "SpectralMLPClassifier((100,), train='eigenvalues')": SpectralMLPClassifier(
            (100,),
            train="eigenvalues",
            train_input_eigenvalues=True,
            learning_rate_init=1e-2,
            random_state=0,
            device="cpu",
        ),
        "SpectralNASClassifier(max widths (32, 32))": SpectralNASClassifier(
            (32, 32), random_state=0, device="cpu"
        ),
        "GrowingMLPClassifier(start (1,))": GrowingMLPClassifier(
            random_state=0, device="cpu"
        ),
        "SpectralPruner(80 % of 256 nodes, eigenvalue_l1=1.5)": SpectralPruner(
            SpectralMLPClassifier(
                (256,), eigenvalue_l1=1.5, max_iter=200, random_state=0, device="cpu"
            ),
            prune_fraction=0.8,
        ),
    }
    for name, estimator in models.items():
        model = make_pipeline(StandardScaler(), estimator)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        fitted = model[-1]
        if isinstance(fitted, SpectralPruner):
            before = fitted.unpruned_estimator_.score(scaler(model, X_test), y_test)
            widths = (fitted.original_hidden_layer_sizes_, fitted.hidden_layer_sizes_)
            print(name)
            print(
                f"  test accuracy {model.score(X_test, y_test):.4f} pruned, "
                f"{before:.4f} before; {seconds:.2f} s; hidden widths "
                f"{widths[0]} -> {widths[1]}, parameters "
                f"{fitted.n_parameters_[0]} -> {fitted.n_parameters_[1]}\n"
            )
            continue
        n_trainable = _n_trainable(fitted)
        print(name)
        print(
            f"  test accuracy {model.score(X_test, y_test):.4f}, "
            f"{fitted.n_iter_} epochs, {seconds:.2f} s, "
            f"{n_trainable} trainable numbers"
        )
        if hasattr(fitted, "growth_history_"):
            print(
                f"  grew {fitted.initial_hidden_layer_sizes} -> "
                f"{fitted.hidden_layer_sizes_} in {len(fitted.growth_history_)} "
                f"growth steps (stopped: {fitted.growth_stop_reason_ or 'max_iter'})"
            )
        elif hasattr(fitted, "topology_"):
            topology = fitted.topology_
            print(
                f"  widths {topology['layer_sizes']}, nodes switched on "
                f"{topology['active_nodes']}, nodes used {topology['used_nodes']}, "
                f"richness ||Gamma|| {fitted.topology_richness_:.2f}, "
                f"{fitted.n_active_parameters_} weights and biases in use"
            )
        else:
            widths = [c.shape[0] for c in fitted.coefs_] + [fitted.coefs_[-1].shape[1]]
            print(f"  widths {widths}")
        if hasattr(fitted, "coefs_") and hasattr(fitted, "eigenvalues_"):
            for k, lam in enumerate(fitted.eigenvalues_):
                n_in = fitted.eigenvectors_[k].shape[1]
                print(f"  layer {k + 1} node eigenvalues: {_summary(lam[n_in:])}")
            top = np.argsort(fitted.feature_importances_)[::-1][:5]
            print(f"  most relevant input pixels: {top.tolist()}")
        print()


if __name__ == "__main__":
    main()
