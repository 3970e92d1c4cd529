"""Defaults chosen by measurement: one contender of the real-data suite under
several settings of a parameter, side by side.

Every setting runs the whole suite of ``bench_real_data.py`` (the same data
sets, preprocessing, 5-fold CV, one thread per job, ``--n-jobs`` jobs at
once) with only that parameter changed from the defaults. Recorded per
setting: the median, mean and worst regret (best of the three baselines'
cached scores minus ours, in points; the baselines are deterministic and read
from ``benchmarks/results/real_data.json``), the median over the data sets of
the fit-time ratio to ``MLPClassifier()`` / ``MLPRegressor()`` (refitted in
this run, so that both times come from the same machine and load), and the
folds that ended with a ``ConvergenceWarning`` (stopped at ``max_iter``).

The settings measured (``SETTINGS``):

- ``GrowingMLP`` ``max_iter`` (300, the default, 200 and 500 at four
  seeds each): growth spends part of the epoch budget, and the network it
  ends with is shrunk and perturbed and trains on;
- ``GrowingMLP`` ``shrink_perturb`` (``None``: the grown weights kept, and
  ``(0.5, 0.1)``, more shrinking and a larger fresh initialization,
  against the default ``(0.6, 0.01)``; four seeds each). The settings measured before
  ``shrink_perturb`` existed (a wider start, ``validation_fraction=0.2``)
  are in the history of ``benchmarks/results/defaults.json``;
- ``SpectralMLP`` ``batch_size``: larger batches cost less per epoch
  (``bench_scale.py``); what do they cost in accuracy?
- ``SpectralMLP`` ``max_iter``: ``MLPClassifier``'s 200, or more?
- ``SpectralNAS`` ``eigenvalue_l1`` (0.1, 0.05, 0.03 at four seeds each):
  the worst regret (Bikeshare) above 5 points with 0.1;
- ``random_state`` of ``GrowingMLP``, ``SpectralNAS`` and ``SpectralMLP``
  (the suite's splits stay fixed): how much of a regret is the draw of one
  seed? The suite itself reports ``random_state=0`` only.

Regrets at one seed move by several points on the small sets; a second
table averages every data set's regret over the four seeds of each setting
measured at all of them, and reports the median, mean and worst of those
averages.

``--contenders`` reruns the settings of some contenders only; the others keep
the summary of their last run (the JSON's records), and the table says when
each row was measured.
"""

import argparse
import datetime
import json
import statistics
import time
import warnings
from pathlib import Path

import bench_real_data as suite_module
import numpy as np
from _report import (
    markdown_table,
    read_results,
    save_results,
    tree_version,
    write_section,
)
from joblib import Parallel, delayed

RESULTS = Path(__file__).resolve().parent / "results" / "defaults.json"
SEEDS = range(4)
SETTINGS = [  # (contender, the parameters of every setting)
    *[
        ("GrowingMLP", {"max_iter": m, "random_state": s})
        for m in (300, 200, 500)
        for s in SEEDS
    ],
    *[
        ("GrowingMLP", {"shrink_perturb": sp, "random_state": s})
        for sp in (None, (0.5, 0.1))
        for s in SEEDS
    ],
    *[("SpectralMLP", {"batch_size": b}) for b in (512, 1024)],
    ("SpectralMLP", {"max_iter": 500}),
    *[
        ("SpectralNAS", {"eigenvalue_l1": e, "random_state": s})
        for e in (0.1, 0.05, 0.03)
        for s in SEEDS
    ],
    *[("SpectralMLP", {"random_state": s}) for s in SEEDS],
]


def run_suite(contender, params, names, n_jobs, stamp):
    jobs = [
        delayed(suite_module.run_job)(name, source, fold, contender, 1, params)
        for name, (source, _) in names.items()
        for fold in range(suite_module.N_FOLDS)
    ]
    return [{**record, **stamp} for record in Parallel(n_jobs=n_jobs)(jobs)]


def setting_key(params):
    """A setting's parameters as a key that is the same before and after a
    trip through the JSON (where a tuple comes back as a list)."""
    return json.dumps(params, sort_keys=True)


def cells(contender, records, cache, names, mlp_records=()):
    """The suite's ``aggregate`` cell of every data set for one setting
    (the cached baselines, the MLP records and the setting's records), in
    the order of ``names``; ``None`` if a fold crashed."""
    results = dict(cache)
    for record in [*mlp_records, *records]:
        key = suite_module.key(record["dataset"], record["contender"], record["fold"])
        # (records of the first measurements were kept without a date)
        results[key] = {"date": "", "version": "", **record}
    table = suite_module.aggregate(results, names, None)
    found = [table[name, contender] for name in names]
    return None if any("regret" not in cell for cell in found) else found


def summarize(contender, records, mlp_records, cache, names):
    """Median, mean and worst regret and the median time ratio of one
    setting (the refitted MLP's times for the ratio); ``None`` if a fold
    crashed."""
    setting = cells(contender, records, cache, names, mlp_records)
    if setting is None:
        return None
    regrets = [cell["regret"] for cell in setting]
    worst = max(zip(regrets, list(names), strict=True))
    capped = sum(
        any(k.startswith("ConvergenceWarning") for k in r["warnings"]) for r in records
    )
    return dict(
        median_regret=statistics.median(regrets),
        mean_regret=float(np.mean(regrets)),
        worst_regret=worst[0],
        worst_set=worst[1],
        time_ratio=statistics.median(cell["ratio"] for cell in setting),
        capped=capped,
        folds=len(records),
    )


def seed_averaged(runs, cache, names):
    """Rows of the seed-averaged table: for every setting measured at each
    of ``SEEDS``, every data set's regret averaged over the seeds, and the
    median, mean and worst (data set) of those averages."""
    groups = {}
    for run in runs:
        params = dict(run["params"])
        seed = params.pop("random_state", None)
        group = (run["contender"], setting_key(params))
        _, by_seed = groups.setdefault(group, (params, {}))
        by_seed[seed] = run
    rows = []
    for (contender, _), (params, by_seed) in groups.items():
        if set(by_seed) != set(SEEDS):
            continue
        per_seed = [
            cells(contender, by_seed[s]["records"], cache, names) for s in SEEDS
        ]
        if any(c is None for c in per_seed):
            continue
        averages = [
            float(np.mean([c[i]["regret"] for c in per_seed]))
            for i in range(len(names))
        ]
        worst = max(zip(averages, list(names), strict=True))
        setting = ", ".join(f"{k}={v!r}" for k, v in params.items())
        rows.append(
            [
                contender,
                f"`{setting}`" if setting else "defaults",
                f"{statistics.median(averages):+.2f}",
                f"{np.mean(averages):+.2f}",
                f"{worst[0]:+.1f} ({worst[1]})",
            ]
        )
    return rows


def earlier_runs():
    """The runs of the last recorded measurement, by ``(contender,
    setting_key(params))`` (empty without one)."""
    data = read_results(RESULTS)
    if data is None:
        return {}
    for run in data["runs"]:  # (records before dates were kept: the tree)
        dated = run["records"][0].get("date") if run["records"] else None
        run.setdefault("measured", dated or f"at {data['version']}")
    return {(run["contender"], setting_key(run["params"])): run for run in data["runs"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--contenders", nargs="+", default=list(dict.fromkeys(c for c, _ in SETTINGS))
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    names = suite_module.suite()
    cache = suite_module.read_cache()["results"]
    start = time.perf_counter()
    stamp = {  # (when and at which tree, as the suite records it)
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "version": tree_version("benchmarks/bench_defaults.py"),
    }
    earlier = earlier_runs()
    mlp_records = run_suite("MLP", None, names, args.n_jobs, stamp)
    rows, runs = [], []
    for contender, params in SETTINGS:
        label = ", ".join(f"{k}={v!r}" for k, v in params.items())
        if contender in args.contenders:
            records = run_suite(contender, params, names, args.n_jobs, stamp)
            summary = summarize(contender, records, mlp_records, cache, names)
            run = dict(
                contender=contender,
                params=params,
                summary=summary,
                records=records,
                measured=stamp["date"],
            )
            print(contender, label, summary, flush=True)
        else:
            run = earlier.get((contender, setting_key(params)))
            if run is None:
                continue
            summary = run["summary"]
        runs.append(run)
        measured = run["measured"]
        if summary is None:
            rows.append([contender, f"`{label}`", "crashed", "", "", "", "", measured])
            continue
        rows.append(
            [
                contender,
                f"`{label}`",
                f"{summary['median_regret']:+.2f}",
                f"{summary['mean_regret']:+.2f}",
                f"{summary['worst_regret']:+.1f} ({summary['worst_set']})",
                f"{summary['time_ratio']:.2f}×",
                f"{summary['capped']} / {summary['folds']}",
                measured,
            ]
        )
    body = (
        f"The real-data suite ({len(names)} data sets, 5-fold CV, "
        f"{args.n_jobs} jobs at once, one thread each) for each setting, every "
        "other parameter at its default (`random_state=0` where not given). "
        "Regret in points against the best "
        "baseline (cached scores); time: median over the data sets of the "
        "fit-time ratio to the MLP refitted in this run; capped: folds that "
        "stopped at `max_iter` (ConvergenceWarning).\n\n"
        + markdown_table(
            [
                "contender",
                "setting",
                "median regret",
                "mean regret",
                "worst regret",
                "time / MLP",
                "capped folds",
                "measured",
            ],
            rows,
        )
        + "\n\nEvery data set's regret averaged over the seeds "
        + f"{SEEDS.start}-{SEEDS.stop - 1} of a setting measured at each of them "
        + "(the other parameters as above), then the median, mean and worst "
        + "of those averages over the suite.\n\n"
        + markdown_table(
            ["contender", "setting", "median regret", "mean regret", "worst regret"],
            seed_averaged(runs, cache, names),
        )
    )
    print(body)
    print(f"measured in {time.perf_counter() - start:.0f} s")
    if args.no_write:
        return
    for run in runs:  # the per-fold records stay in the JSON, without tracebacks
        for record in run["records"]:
            record.pop("traceback", None)
    save_results(RESULTS, "benchmarks/bench_defaults.py", runs=runs)
    write_section("defaults", "Defaults chosen on the real-data suite", body)


if __name__ == "__main__":
    main()
