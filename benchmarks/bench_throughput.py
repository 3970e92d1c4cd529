"""Training throughput on large synthetic data, CPU and (when present) CUDA.

10^6 x 50 rows (default), binary classification, SpectralMLPClassifier with
two hidden layers of 256, batch 1024. Rows per second per epoch, from the fit
time of a few epochs after a one-epoch warm-up on each device.
"""

import argparse
import warnings

import numpy as np
import torch
from _report import markdown_table, timed, write_section
from sklearn.exceptions import ConvergenceWarning

from sklearn_spectral import SpectralMLPClassifier


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1024)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.rows, args.features), dtype=np.float32)
    y = (X[:, :5].sum(axis=1) + 0.5 * np.sin(3 * X[:, 5]) > 0).astype(int)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:

        def fit(epochs, device=device):
            return SpectralMLPClassifier(
                (256, 256),
                batch_size=args.batch_size,
                max_iter=epochs,
                n_iter_no_change=epochs + 1,
                tol=0.0,
                random_state=0,
                device=device,
            ).fit(X, y)

        fit(1)
        model, seconds = timed(fit, args.epochs)
        per_epoch = seconds / args.epochs
        rows.append(
            [
                device,
                f"{per_epoch:.2f}",
                f"{args.rows / per_epoch:,.0f}",
                f"{model.score(X[:100_000], y[:100_000]):.4f}",
            ]
        )
    note = (
        ""
        if torch.cuda.is_available()
        else (
            "\n\nNo CUDA device on this machine: the GPU row is missing; rerun the "
            "script on a GPU machine to add it."
        )
    )
    body = (
        f"{args.rows:,} x {args.features} float32 rows, SpectralMLPClassifier "
        f"(256, 256), batch {args.batch_size}, {args.epochs} timed epochs per "
        "device (whole fit, transfers included).\n\n"
        + markdown_table(["device", "s / epoch", "rows / s", "train accuracy"], rows)
        + note
    )
    write_section("throughput", "Training throughput (CPU and GPU)", body)


if __name__ == "__main__":
    main()
