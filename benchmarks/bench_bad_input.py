"""Bad input at every public estimator: hypothesis cases run and failed.

The two properties of ``tests/test_bad_input_properties.py`` (bad ``fit``
input; clean fit, bad ``predict`` / ``transform`` input) with a larger budget
and at random (the seed is printed and written; ``--seed`` replays a run).
Every case must end in a valid result (finite output of the right shape,
labels among ``classes_``) or a ``ValueError`` / ``TypeError`` naming the
problem (``tests/_bad_input.py``). Failures are counted, not stopped at; the
first few are printed with their case.

Target: 0 failed cases.
"""

import argparse
import random
import sys
import time
import warnings
from pathlib import Path

# Run as ``python benchmarks/bench_bad_input.py``: sys.path[0] is benchmarks/.
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import hypothesis  # noqa: E402
import torch  # noqa: E402
from _report import markdown_table, write_section  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from tests._bad_input import (  # noqa: E402
    check_case,
    fit_cases,
    predict_cases,
    task_of,
)
from tests._estimators import cheap_instances  # noqa: E402

PROPERTIES = {"fit": fit_cases, "predict": predict_cases}


def estimator_name(est):
    inner = getattr(est, "estimator", None)
    return type(est).__name__ + (f"({type(inner).__name__})" if inner else "")


def run_property(estimator, strategy, examples, seed_value):
    """Run ``examples`` random cases; count outcomes instead of stopping."""
    record = dict(cases=0, valid=0, error=0, failed=0, slowest=0.0, failures=[])

    @seed(seed_value)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy(task_of(estimator)))
    def prop(case):
        record["cases"] += 1
        start = time.perf_counter()
        try:
            record[check_case(estimator, case)] += 1
        except Exception as exc:  # a broken contract, whatever its type
            record["failed"] += 1
            record["failures"].append((case, exc))
        record["slowest"] = max(record["slowest"], time.perf_counter() - start)

    prop()
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=150)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--show", type=int, default=5, help="failures to print")
    args = parser.parse_args()
    seed_value = random.randrange(2**32) if args.seed is None else args.seed
    print(f"hypothesis {hypothesis.__version__}, seed {seed_value}")
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")

    rows, failures, total = [], [], {"cases": 0, "failed": 0}
    start = time.perf_counter()
    runs = [(e, p, s) for e in cheap_instances() for p, s in PROPERTIES.items()]
    for i, (est, prop, strategy) in enumerate(runs):
        # A seed of its own per run: different cases for every estimator.
        r = run_property(est, strategy, args.examples, seed_value + i)
        name = estimator_name(est)
        rows.append(
            [
                name,
                prop,
                r["cases"],
                r["valid"],
                r["error"],
                r["failed"],
                f"{r['slowest']:.2f}",
            ]
        )
        print(" | ".join(str(c) for c in rows[-1]), flush=True)
        failures += [(name, prop, case, exc) for case, exc in r["failures"]]
        total["cases"] += r["cases"]
        total["failed"] += r["failed"]
    seconds = time.perf_counter() - start

    for name, prop, case, exc in failures[: args.show]:
        print(f"\nFAILED {name} [{prop}] {case.kind}: {type(exc).__name__}: {exc}")
        print(f"  case: {case!r:.2000}")

    body = (
        f"hypothesis {hypothesis.__version__}, seed {seed_value} (random; run i "
        f"uses seed + i; replay with `--seed {seed_value}`), {args.examples} "
        "examples per estimator and property. `fit` spoils the fit input: "
        "dtypes (int, bool, float16/32, object, strings), NaN/inf, huge and tiny "
        "magnitudes, constant columns, duplicated rows, one sample, one class, "
        "labels of every type and unseen at score time, sparse matrices, pandas "
        "frames with mixed columns, bad `sample_weight`. `predict` fits clean "
        "data and spoils the input of `predict`, `predict_proba`, "
        "`predict_log_proba`, `decision_function` and `transform` "
        "(`tests/_bad_input.py`). A case passes with a valid result (finite, "
        "right shape, labels in `classes_`) or a `ValueError`/`TypeError` naming "
        "the problem; anything else fails. "
        f"{args.threads} torch thread(s); {seconds:.0f} s in all.\n\n"
        + markdown_table(
            [
                "estimator",
                "property",
                "cases run",
                "valid results",
                "clear errors",
                "failed",
                "slowest case (s)",
            ],
            rows,
        )
        + f"\n\n- cases run: {total['cases']}; failed: {total['failed']} "
        "(target 0)"
    )
    write_section("bad_input", "Bad input (hypothesis)", body)


if __name__ == "__main__":
    main()
