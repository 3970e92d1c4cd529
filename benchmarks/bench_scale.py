"""Time per epoch and peak memory at scale, every estimator beside MLPClassifier.

``make_classification`` (50 float32 features, 20 informative, 2 classes) with
10^4, 10^5 and 10^6 rows; ``hidden_layer_sizes=(100,)`` where the estimator
has it (``GrowingMLPClassifier`` grows from its defaults), 5 fixed epochs
(``max_iter=5, tol=0``), everything else at its default. Every contender runs
in a fresh process with one torch thread and one BLAS thread (``OMP``,
``OPENBLAS``, ``MKL``), so no contender's threads fight another's; the
contenders take turns (interleaved) for ``--repeats`` rounds.

In its process each contender first fits one epoch on 500 rows: that first
fit pays the process's one-time costs (libtorch's code pages and allocator
pools, lazy initializations), recorded apart as "first fit". Then the
measured fit: its wall time divided by its epochs, the ratio to
``MLPClassifier``'s in the same round (the range over rounds), and its extra
peak memory: the process's peak resident set during ``fit`` minus its
resident set before (after loading ``X`` from an ``.npy`` file; the peak is
reset there, Linux only), as a multiple of ``X.nbytes``. With ``--device
cuda`` the torch estimators train on the GPU.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ESTIMATORS = {
    "MLPClassifier": ("sklearn.neural_network", {"hidden_layer_sizes": (100,)}),
    "SpectralMLPClassifier": ("sklearn_spectral", {"hidden_layer_sizes": (100,)}),
    "GrowingMLPClassifier": ("sklearn_spectral", {}),
    "SpectralNASClassifier": ("sklearn_spectral", {"hidden_layer_sizes": (100,)}),
}
EPOCHS = 5
WARMUP_ROWS = 500
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def child(name, data, device):
    """One fit in this (fresh) process; prints a JSON record."""
    import importlib
    import time
    import warnings

    import torch
    from sklearn.exceptions import ConvergenceWarning

    torch.set_num_threads(1)
    warnings.simplefilter("ignore", ConvergenceWarning)
    module, params = ESTIMATORS[name]
    cls = getattr(importlib.import_module(module), name)
    params = {**params, "max_iter": EPOCHS, "tol": 0.0, "random_state": 0}
    if module == "sklearn_spectral":
        params["device"] = device
    X = np.load(data / "X.npy")
    y = np.load(data / "y.npy")

    # A first fit on WARMUP_ROWS rows pays the process's one-time costs
    # (libtorch's code pages and allocator pools, lazy initializations);
    # they are recorded apart from the measured fit.
    _reset_peak()
    before = _status_kib("VmRSS")
    start = time.perf_counter()
    cls(**{**params, "max_iter": 1}).fit(X[:WARMUP_ROWS], y[:WARMUP_ROWS])
    warmup_seconds = time.perf_counter() - start
    warmup_extra = (_status_kib("VmHWM") - before) * 1024

    estimator = cls(**params)
    _reset_peak()
    before = _status_kib("VmRSS")
    start = time.perf_counter()
    estimator.fit(X, y)
    seconds = time.perf_counter() - start
    extra = (_status_kib("VmHWM") - before) * 1024
    print(
        json.dumps(
            {
                "estimator": name,
                "rows": len(X),
                "epochs": int(estimator.n_iter_),
                "fit_s": seconds,
                "per_epoch_s": seconds / estimator.n_iter_,
                "extra_peak_bytes": max(extra, 0),
                "x_bytes": X.nbytes,
                "first_fit_s": warmup_seconds,
                "first_fit_extra_peak_bytes": max(warmup_extra, 0),
            }
        )
    )


def _reset_peak():
    # Linux resets the peak resident set (VmHWM) when "5" is written here.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def run_one(name, data, device):
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, "1")}
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, str(data), device],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]), sys.argv[4])
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from _report import ROOT, markdown_table, save_results, write_section
    from sklearn.datasets import make_classification

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10**4, 10**5, 10**6])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    records = []
    for n in args.rows:
        X, y = make_classification(
            n, 50, n_informative=20, n_redundant=10, random_state=0
        )
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            np.save(data / "X.npy", X.astype(np.float32))
            np.save(data / "y.npy", y)
            del X, y
            for repeat in range(args.repeats):
                for name in args.estimators:
                    record = run_one(name, data, args.device)
                    record["repeat"] = repeat
                    records.append(record)
                    print(
                        f"{n:>8} {name:<22} {record['per_epoch_s']:.3f} s/epoch "
                        f"({record['epochs']} epochs), extra peak "
                        f"{record['extra_peak_bytes'] / record['x_bytes']:.2f}x X",
                        flush=True,
                    )
    rows = []
    for n in args.rows:
        mine = [r for r in records if r["rows"] == n]
        base = {r["repeat"]: r for r in mine if r["estimator"] == "MLPClassifier"}
        for name in args.estimators:
            runs = [r for r in mine if r["estimator"] == name]
            per_epoch = [r["per_epoch_s"] for r in runs]
            ratios = [r["per_epoch_s"] / base[r["repeat"]]["per_epoch_s"] for r in runs]
            memory = [r["extra_peak_bytes"] / r["x_bytes"] for r in runs]
            first_mb = [r["first_fit_extra_peak_bytes"] / 2**20 for r in runs]
            first_s = [r["first_fit_s"] for r in runs]
            rows.append(
                [
                    f"{n:,}",
                    name,
                    f"{np.median(per_epoch):.3f}",
                    f"{n / np.median(per_epoch):,.0f}",
                    f"{min(ratios):.2f}-{max(ratios):.2f}x",
                    f"{min(memory):.2f}-{max(memory):.2f}x",
                    f"{np.median(first_s):.2f} s, {np.median(first_mb):.0f} MB",
                ]
            )
    table = markdown_table(
        [
            "rows",
            "estimator",
            "s / epoch (median)",
            "rows / s",
            "time / MLPClassifier's",
            "extra peak memory / X",
            "first fit (500 rows): time, extra peak",
        ],
        rows,
    )
    print(table)
    if args.no_write:
        return
    save_results(
        ROOT / "benchmarks" / "results" / f"scale_{args.device}.json",
        "benchmarks/bench_scale.py",
        device=args.device,
        records=records,
    )
    body = (
        f"`make_classification` x 50 float32 features, `hidden_layer_sizes=(100,)` "
        f"(GrowingMLPClassifier: its defaults), {EPOCHS} fixed epochs, device "
        f"`{args.device}`; every fit in a fresh process with one torch and one BLAS "
        f"thread, the contenders interleaved, {args.repeats} rounds. Each process "
        f"first fits one epoch on {WARMUP_ROWS} rows (the process's one-time costs, "
        "reported in the last column as medians) and then the measured fit. Time "
        "per epoch is that fit's wall time over its epochs; the ratio is to "
        "MLPClassifier's in the same round (range over rounds); extra peak memory "
        "is the process's peak resident set during the fit minus "
        "its resident set before, over `X.nbytes` (range over rounds).\n\n" + table
    )
    write_section(
        f"scale_{args.device}", f"Time and memory at scale ({args.device})", body
    )


if __name__ == "__main__":
    main()
