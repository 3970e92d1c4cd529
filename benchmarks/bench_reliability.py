"""Peak memory of a large fit, and the cost of loading a pickled model.

Memory: every public estimator (default parameters, ``device="cpu"``, a few
epochs; growing networks grow every epoch) is fitted in a fresh process on
10^6 x 50 float64 rows (400 MB). The process records its resident memory just
before ``fit`` (data loaded) and its peak resident memory (``VmHWM``) after
it; the difference is what fitting costs on top of the data. Training casts X
to float32 once (half the data's size) and slices mini-batches from it.

Persistence: each estimator is fitted on 10,000 x 50 rows, pickled, and
``pickle.loads`` + ``predict`` on 10,000 rows is timed in this process (median
of 5), as well as in a fresh Python process, imports included.

Targets (issue 7): record the peak memory per estimator and the load + predict
time; the data must not be copied more than once.
"""

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _report import markdown_table, write_section

ROOT = Path(__file__).resolve().parents[1]

#: Estimators measured, built from a short expression (run in a subprocess).
ESTIMATORS = {
    "SpectralMLPClassifier": "SpectralMLPClassifier({kw})",
    "SpectralMLPRegressor": "SpectralMLPRegressor({kw})",
    "SpectralNASClassifier": "SpectralNASClassifier({kw})",
    "SpectralNASRegressor": "SpectralNASRegressor({kw})",
    "GrowingMLPClassifier": "GrowingMLPClassifier(grow_every=1, {kw})",
    "GrowingMLPRegressor": "GrowingMLPRegressor(grow_every=1, {kw})",
    "SpectralPruner(SpectralMLPClassifier)": (
        "SpectralPruner(SpectralMLPClassifier({kw}), fine_tune_iter=1)"
    ),
}

_MEASURE = """
import json, sys, warnings
import numpy as np
import sklearn_spectral
from sklearn_spectral import *
warnings.simplefilter("ignore")
def status(field):  # VmRSS: now; VmHWM: peak of this process (ru_maxrss may
    # hold the parent's peak after fork + exec)
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith(field + ":"))
    return int(line.split()[1]) * 1024
rows, features, expr = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
X = rng.standard_normal((rows, features))
y = X[:, :5].sum(axis=1) + 0.5 * np.sin(3 * X[:, 5])
est = eval(expr)
inner = getattr(est, "estimator", est)
if type(inner).__name__.endswith("Classifier"):
    y = (y > 0).astype(int)
before = status("VmRSS")
est.fit(X, y)
print(json.dumps({"data": X.nbytes, "before": before, "peak": status("VmHWM")}))
"""

_LOAD = """
import pickle, sys, time
start = time.perf_counter()
import numpy as np
import sklearn_spectral  # noqa: F401
with open(sys.argv[1], "rb") as f:
    est, X = pickle.load(f)
est.predict(X)
print(time.perf_counter() - start)
"""


def peak_memory(name, rows, features, epochs):
    kw = f'max_iter={epochs}, device="cpu", random_state=0'
    expr = ESTIMATORS[name].format(kw=kw)
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(rows), str(features), expr],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_and_predict(name, tmp):
    import sklearn_spectral as ss

    rng = np.random.default_rng(1)
    X = rng.standard_normal((10_000, 50))
    y = X[:, :5].sum(axis=1) + 0.5 * np.sin(3 * X[:, 5])
    expr = ESTIMATORS[name].format(kw='max_iter=20, device="cpu", random_state=0')
    est = eval(expr, vars(ss))
    if type(getattr(est, "estimator", est)).__name__.endswith("Classifier"):
        y = (y > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    blob = pickle.dumps(est)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        pickle.loads(blob).predict(X)
        times.append(time.perf_counter() - start)
    path = Path(tmp) / "model.pkl"
    path.write_bytes(pickle.dumps((est, X)))
    done = subprocess.run(
        [sys.executable, "-c", _LOAD, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return len(blob), statistics.median(times), float(done.stdout.strip())


def main():
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    mib = 2**20
    memory_rows, load_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ESTIMATORS:
            m = peak_memory(name, args.rows, args.features, args.epochs)
            extra = m["peak"] - m["before"]
            memory_rows.append(
                [
                    name,
                    f"{m['data'] / mib:.0f}",
                    f"{m['before'] / mib:.0f}",
                    f"{m['peak'] / mib:.0f}",
                    f"{extra / mib:.0f}",
                    f"{extra / m['data']:.2f}",
                ]
            )
            size, warm, cold = load_and_predict(name, tmp)
            load_rows.append(
                [name, f"{size / 1024:.0f}", f"{1e3 * warm:.1f}", f"{cold:.2f}"]
            )
            print(memory_rows[-1], load_rows[-1], flush=True)
        # What grows with the data: the same fit on a quarter of the rows.
        name = next(iter(ESTIMATORS))
        full = peak_memory(name, args.rows, args.features, args.epochs)
        quarter = peak_memory(name, args.rows // 4, args.features, args.epochs)
        slope = (
            (full["peak"] - full["before"]) - (quarter["peak"] - quarter["before"])
        ) / (full["data"] - quarter["data"])
    body = (
        f"**Peak memory of a {args.rows:,} x {args.features} fit** (float64 X, "
        f"{args.epochs} epochs, default parameters, one fresh process each). "
        "'before fit': resident memory with the data loaded; 'extra': peak "
        "minus that, what fitting costs on top of the data.\n\n"
        + markdown_table(
            [
                "estimator",
                "X (MiB)",
                "before fit (MiB)",
                "peak (MiB)",
                "extra (MiB)",
                "extra / X",
            ],
            memory_rows,
        )
        + f"\n\nThe same {name} fit on {args.rows // 4:,} rows: the extra memory "
        f"grows by **{slope:.2f} x** the growth of X, the float32 copy training "
        "makes (0.5 x float64 X); the rest is a fixed cost of the torch runtime."
        + "\n\n**Loading a pickled model** (fitted on 10,000 x 50 rows, 20 "
        "epochs): pickle size, `pickle.loads` + `predict` on 10,000 rows in a "
        "running process (median of 5), and the same in a fresh Python process "
        "with its imports.\n\n"
        + markdown_table(
            [
                "estimator",
                "pickle (KiB)",
                "load + predict (ms)",
                "fresh process: import + load + predict (s)",
            ],
            load_rows,
        )
    )
    write_section("reliability", "Memory and persistence", body)


if __name__ == "__main__":
    main()
