"""Teacher-student: does SpectralNAS find a network of the teacher's size,
and which of its layers and nodes can go? (the SPARCS authors'
``extra_experiment.ipynb``; Peri, Chicchi, Fanelli and Giambagli, "Spectral
Architecture Search for Neural Networks", arXiv:2504.00885).

The teacher, as in the authors' notebook: one random rotation ``R`` of
``R^20`` (``scipy.stats.special_ortho_group``) used twice,
``y = R relu(R x)``, ``x ~ U(-1, 1)^20``: 20 inputs, one hidden layer of 20
ReLU units, 20 outputs. 20,000 training rows, 20,000 test rows (the
notebook: 100,000 each).

Contenders (test MSE, fit time, sizes):

- ``MLP (teacher size)``: ``MLPRegressor(hidden_layer_sizes=(20,))``, its
  other parameters the defaults;
- ``SpectralNAS (200, 200)``: ``SpectralNASRegressor((200, 200))`` with its
  defaults, a student of two wide hidden layers (the notebook's has two of
  2,000);
- ``+ SpectralPruner``: that fitted student pruned by
  ``SpectralPruner(prefit=True)`` with its defaults: whole hidden layers
  first (``remove_layers``), then nodes, both within ``max_score_drop``
  of the student's predictions on the training rows. Reported: the layers
  removed, the hidden widths left, the share of hidden nodes removed and
  the change of the test MSE.

One thread for torch and for NumPy's BLAS. Also the student's
``topology_``: the used hidden nodes and the layers whose nodes are all
constant (``removable_layers``). ``--seeds`` (default
3) sets the teacher's rotation, the data and the students' initialization.
Target (issue 15): the student's MSE with defaults at most the teacher-size
MLP's; the layers and nodes it does not need reported and removable, with
the share removed and the MSE change recorded.
"""

import argparse
import warnings
from pathlib import Path

import numpy as np
import torch
from _report import markdown_table, save_results, spread, timed, write_section
from scipy.stats import special_ortho_group
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

from sklearn_spectral import SpectralNASRegressor, SpectralPruner

RESULTS = Path(__file__).resolve().parent / "results" / "teacher_student.json"
DIM = 20
STUDENT = (200, 200)


def teacher_data(n_train, n_test, seed):
    """``X, Y, X_test, Y_test`` of the teacher ``y = R relu(R x)``."""
    rng = np.random.RandomState(seed)
    rotation = special_ortho_group.rvs(DIM, random_state=rng)
    X = rng.uniform(-1.0, 1.0, size=(n_train + n_test, DIM))
    Y = np.maximum(X @ rotation.T, 0.0) @ rotation.T
    return X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]


def mse(model, X, Y):
    return float(np.mean((model.predict(X) - Y) ** 2))


def run(seed, n_train):
    X, Y, X_test, Y_test = teacher_data(n_train, 20_000, seed)
    mlp = MLPRegressor(hidden_layer_sizes=(DIM,), random_state=seed)
    _, mlp_s = timed(mlp.fit, X, Y)
    nas = SpectralNASRegressor(STUDENT, random_state=seed, device="cpu")
    _, nas_s = timed(nas.fit, X, Y)
    pruner = SpectralPruner(nas, prefit=True)
    _, prune_s = timed(pruner.fit, X, Y)
    before = sum(pruner.original_hidden_layer_sizes_)
    after = sum(pruner.hidden_layer_sizes_)
    return dict(
        seed=seed,
        mlp_mse=mse(mlp, X_test, Y_test),
        mlp_seconds=mlp_s,
        nas_mse=mse(nas, X_test, Y_test),
        nas_seconds=nas_s,
        nas_epochs=int(nas.n_iter_),
        used_hidden=nas.topology_["used_nodes"][1:-1],
        active_hidden=nas.topology_["active_nodes"][1:-1],
        removable_layers=nas.topology_["removable_layers"],
        pruned_mse=mse(pruner, X_test, Y_test),
        prune_seconds=prune_s,
        removed_layers=[int(k) for k in pruner.removed_layers_],
        pruned_widths=list(pruner.hidden_layer_sizes_),
        removed_share=1.0 - after / before,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    torch.set_num_threads(1)  # one thread for torch and BLAS alike
    records = []
    with threadpool_limits(1):
        for seed in range(args.seeds):
            records.append(run(seed, args.rows))
            print(records[-1], flush=True)
    rows = [
        [
            r["seed"],
            f"{r['mlp_mse']:.2e}",
            f"{r['nas_mse']:.2e}",
            f"{r['pruned_mse']:.2e}",
            f"{r['pruned_mse'] - r['nas_mse']:+.1e}",
            str(r["used_hidden"]),
            str(r["removable_layers"]),
            str(r["removed_layers"]),
            str(r["pruned_widths"]),
            f"{r['removed_share']:.0%}",
            f"{r['mlp_seconds']:.1f}",
            f"{r['nas_seconds']:.1f} ({r['nas_epochs']})",
            f"{r['prune_seconds']:.1f}",
        ]
        for r in records
    ]
    wins = sum(r["nas_mse"] <= r["mlp_mse"] for r in records)
    body = (
        f"{args.seeds} seed(s) (rotation, data, initialization), {args.rows:,} "
        "training rows, test MSE on 20,000 fresh rows, in the targets' units. "
        "Layer indices: 0-based over the student's hidden layers "
        "(`removed_layers_`), 1-based into `layer_sizes` (`removable_layers`).\n\n"
        + markdown_table(
            [
                "seed",
                "MLP (20,) MSE",
                "NAS (200, 200) MSE",
                "pruned MSE",
                "change",
                "used hidden",
                "removable layers",
                "layers removed",
                "widths left",
                "nodes removed",
                "MLP s",
                "NAS s (epochs)",
                "prune s",
            ],
            rows,
        )
        + "\n\n"
        + f"- Student with defaults at or below the teacher-size MLP's MSE: "
        f"{wins} of {len(records)} seeds; MSE ratio student / MLP "
        + spread([r["nas_mse"] / r["mlp_mse"] for r in records], "{:.3f}")
        + " (median [min, max]).\n"
        + "- Hidden nodes removed by the pruner: "
        + spread([100 * r["removed_share"] for r in records], "{:.0f} %")
        + "; MSE change "
        + spread([r["pruned_mse"] - r["nas_mse"] for r in records], "{:+.1e}")
        + "."
    )
    print(body)
    if args.no_write:
        return
    save_results(RESULTS, "benchmarks/bench_teacher_student.py", runs=records)
    write_section("teacher_student", "SpectralNAS: teacher-student", body)


if __name__ == "__main__":
    main()
