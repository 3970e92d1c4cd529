"""scikit-learn's own MLP test module, run against our MLP-like estimators.

What it does
------------
scikit-learn ships its tests for ``MLPClassifier`` / ``MLPRegressor`` in the
wheel (``sklearn/neural_network/tests/test_mlp.py``). For every family of our
MLP-like estimators (SpectralMLP, GrowingMLP, SpectralNAS), and for
scikit-learn's own classes as a control (family ``sklearn``), this script

1. copies that module into a temporary directory and rewrites it as text:
   every whole word ``MLPClassifier`` / ``MLPRegressor`` becomes the family's
   classifier / regressor (``SpectralMLPClassifier``, ...), and the import
   ``from sklearn.neural_network import MLPClassifier, MLPRegressor`` becomes
   ``from sklearn_spectral import <classifier>, <regressor>``. Every other
   import (scikit-learn's private test helpers included) is left as it is.
   For GrowingMLP only, the keyword argument ``hidden_layer_sizes=`` (in a
   call, not an attribute such as ``mlp.hidden_layer_sizes`` and not ``==``)
   becomes ``initial_hidden_layer_sizes=``: GrowingMLP grows its widths from
   ``initial_hidden_layer_sizes`` and has no ``hidden_layer_sizes``. A
   regex on the source, not a subclass: a subclass whose ``__init__`` renames
   the keyword would break ``get_params`` / ``clone``.

   That is the ``shipped`` variant. Most tests there stop at the constructor,
   on ``solver="lbfgs"`` / ``"sgd"``, which hides what they test (multilabel,
   sparse input, early stopping, warm start, ...). The ``adam`` variant
   also deletes, as text, the keyword arguments that only scikit-learn's
   solvers have (``ADAM_DROPPED``: ``solver``, ``momentum``,
   ``learning_rate``, ``power_t``, ``max_fun``, ...; only in the form
   ``name=value`` without spaces, a keyword argument in this black-formatted
   module, never an assignment ``name = value``), so every test trains with
   Adam, our only optimizer. Tests about the lbfgs / sgd solvers themselves
   (``test_gradient``, ``test_fit``, ``*_maxfun``, ``test_verbose_sgd``,
   ...) still fail there, for reasons of their own, and
   ``test_partial_fit_errors`` then asserts that an estimator *without* a
   solver argument has no ``partial_fit``. The control family tells which
   failures of the ``adam`` variant are the variant's: scikit-learn's own
   classes should pass every ``shipped`` test (a check of this script) and
   fail some ``adam`` ones (thresholds tuned for lbfgs, sgd internals).
2. writes a small ``conftest.py`` beside it: ``torch.set_num_threads(1)``, the
   ``global_random_seed`` fixture that scikit-learn's own conftest provides
   (seed 42, its default), a per-test time limit (``SIGALRM``, the test fails
   with ``TimeoutError``) and a progress log (one JSON line per test phase),
   which is read instead of the JUnit XML when the whole run is killed;
3. runs ``python -m pytest <module> -p no:cacheprovider -q -rA
   --junitxml=<file>`` in a subprocess (``OMP_NUM_THREADS=1``), with a time
   limit for the whole run, and reads every test's outcome (parametrized ids
   included) from the JUnit XML, keeping each failure's message: the ``E``
   lines of its report (exception type and message; an assert's values; for
   a chained exception also the first line of the one it was raised while
   handling), on one line, cut to 240 characters.

Results
-------
Per family, variant and test function: ``passed`` only when all its
parametrizations passed, ``failed`` when one failed, ``error`` when one
errored (fixture / setup) and none failed, ``skipped`` when all were skipped;
the parametrized counts as well. Every non-passing case gets a short reason
from pattern tables (``TEST_REASONS``: what a plain ``assert`` of a given
test means, e.g. ``test_alpha``'s; then ``REASONS``: unsupported ``solver`` /
``momentum`` / other ``MLPClassifier`` parameters, no ``partial_fit``, a
missing attribute, an assertion, ...), with the raw message kept beside it.
In the ``adam`` table, ``‡`` marks a test that scikit-learn's own class fails
too in that variant. The reasons are
meant to separate missing features (lbfgs / sgd, scikit-learn's private
internals) from failures that may be genuine bugs of our estimators.

Written to ``benchmarks/results/sklearn_mlp_tests.json`` (families not run
this time are kept from the previous file) with a Markdown summary beside it
(``sklearn_mlp_tests.md``), and the same report as the section
``sklearn-mlp-tests`` of ``docs/benchmarks.md``; a table is printed.

Usage::

    python benchmarks/bench_sklearn_mlp_tests.py
    python benchmarks/bench_sklearn_mlp_tests.py --families GrowingMLP --no-write
    python benchmarks/bench_sklearn_mlp_tests.py --variants shipped
    python benchmarks/bench_sklearn_mlp_tests.py --keep  # keep the generated files
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import sklearn
from _report import (
    environment,
    markdown_table,
    read_results,
    tree_version,
    write_section,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "sklearn_mlp_tests.json"
SUMMARY = RESULTS.with_suffix(".md")
TEST_MODULE = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"

FAMILIES = {
    # the control: scikit-learn's own classes, the module unchanged in the
    # ``shipped`` variant (every test should pass: a check of this script) and
    # trained with Adam in the ``adam`` variant (which failures there are
    # the variant's, not our estimators')
    "sklearn": ("MLPClassifier", "MLPRegressor"),
    "SpectralMLP": ("SpectralMLPClassifier", "SpectralMLPRegressor"),
    "GrowingMLP": ("GrowingMLPClassifier", "GrowingMLPRegressor"),
    "SpectralNAS": ("SpectralNASClassifier", "SpectralNASRegressor"),
}
# families whose width parameter is ``initial_hidden_layer_sizes``
RENAME_HIDDEN = {"GrowingMLP"}

VARIANTS = ("shipped", "adam")
# keyword arguments of scikit-learn's solvers that the ``adam`` variant deletes
ADAM_DROPPED = (
    "solver",
    "momentum",
    "nesterovs_momentum",
    "learning_rate",
    "power_t",
    "max_fun",
    "beta_1",
    "beta_2",
    "epsilon",
)

MESSAGE_CHARS = 240

CONFTEST = '''\
"""Written by benchmarks/bench_sklearn_mlp_tests.py."""

import json
import os
import signal

import pytest
import torch

torch.set_num_threads(1)

_LIMIT = int(os.environ.get("BENCH_TEST_TIMEOUT", "0"))
_PROGRESS = os.environ.get("BENCH_PROGRESS")


def pytest_generate_tests(metafunc):
    # scikit-learn's conftest parametrizes this fixture; 42 is its default
    if "global_random_seed" in metafunc.fixturenames:
        metafunc.parametrize("global_random_seed", [42])


def _log(record):
    if _PROGRESS:
        with open(_PROGRESS, "a") as f:
            f.write(json.dumps(record) + "\\n")


def pytest_runtest_logstart(nodeid, location):
    _log({"nodeid": nodeid, "when": "start"})


def pytest_runtest_logreport(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        message = crash.message
    elif report.skipped and isinstance(report.longrepr, tuple):
        message = report.longrepr[2]
    else:
        message = str(report.longrepr or "")
    _log(
        {
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "message": message,
            "duration": report.duration,
        }
    )


def _timeout(signum, frame):
    raise TimeoutError(f"test ran past the per-test limit of {_LIMIT} s")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if _LIMIT <= 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
'''

# (reason, pattern on the message); the first match wins. ``{0}`` in a reason
# is the pattern's first group.
REASONS = [
    (
        'solver="lbfgs"/"sgd" not supported',
        r"unexpected keyword argument 'solver'|Invalid parameter 'solver'",
    ),
    (
        "parameter '{0}' not supported",
        r"unexpected keyword argument '(\w+)'|Invalid parameter '(\w+)'",
    ),
    ("no partial_fit", r"has no attribute 'partial_fit'"),
    (
        "partial_fit refuses early_stopping=True",
        r"partial_fit does not support early_stopping",
    ),
    ("single-class y rejected", r"at least 2 classes"),
    ("rejects a 1-sample fit", r"Found array with 1 sample"),
    (
        "scikit-learn private internal '{0}' missing",
        r"has no attribute '(_\w+)'",
    ),
    ("attribute '{0}' missing", r"has no attribute '(\w+)'"),
    ("timed out", r"TimeoutError|per-test limit"),
    (
        "multilabel (2-D y) not supported",
        r"(?i)multi-?label|y should be a 1d array",
    ),
    ("sparse input not supported", r"(?i)sparse"),
    ("parameter value rejected: {0}", r"InvalidParameterError: The '(\w+)'"),
    (
        "ConvergenceWarning raised (the test turns warnings into errors)",
        r"^\S*ConvergenceWarning:",
    ),
    ("expected exception not raised", r"DID NOT RAISE"),
    ("expected warning not raised", r"DID NOT WARN"),
    ("different error message", r"Regex pattern did not match|does not match"),
    (
        "validation set too small (early_stopping on tiny data)",
        r"validation set is too small",
    ),
    (
        "numbers differ (assert_allclose / almost_equal)",
        r"Not equal to tolerance|Arrays are not (almost )?equal|Mismatched elements",
    ),
    ("accuracy/assertion", r"AssertionError|^assert |\bassert\b"),
    ("setup/fixture error", r"^failed on setup|fixture '\w+' not found"),
]

# (test function, reason, pattern): what a plain assertion of one test means;
# tried before ``REASONS``.
TEST_REASONS = [
    ("test_alpha", "alpha did not shrink coefs_", r"^assert "),
    ("test_shuffle", "shuffle did not change coefs_", r"array_equal"),
    (
        "test_mlp_param_dtypes",
        "float32 input: coefs_ / intercepts_ / predictions not float32",
        r"where False = all\(",
    ),
    (
        "test_early_stopping",
        "best_validation_score_ != max(validation_scores_)",
        r"= max\(",
    ),
    (
        "test_mlp_diverging_loss",
        "no NaN validation score (training did not diverge)",
        r"== 'nan'",
    ),
    (
        "test_lbfgs_",
        "score under a threshold set for lbfgs",
        r"^(AssertionError: )?assert [-\d.e]+ > ",
    ),
    ("test_lbfgs_", "n_iter_ over max_fun (an lbfgs parameter)", r"assert 10 >= "),
    (
        "test_multioutput_regression",
        "score under a threshold set for lbfgs",
        r"^(AssertionError: )?assert [-\d.e]+ > ",
    ),
    (
        "test_partial_fit_errors",
        "has partial_fit (the test expects lbfgs's estimator without)",
        r"hasattr\(",
    ),
    (
        "test_verbose_sgd",
        "verbose: no 'Iteration ...' lines on stdout",
        r"'Iteration' in",
    ),
]


def classify(message, test=""):
    for prefix, reason, pattern in TEST_REASONS:
        if test.startswith(prefix) and re.search(pattern, message, re.M):
            return reason
    for reason, pattern in REASONS:
        match = re.search(pattern, message, re.M)
        if match:
            groups = [g for g in match.groups() if g]
            return reason.format(*groups) if groups else reason
    head = message.split(":", 1)[0].strip().rsplit(".", 1)[-1]
    return head if re.fullmatch(r"\w+(Error|Exception|Warning)", head) else "other"


def short(message):
    """A message on one line (its lines joined by `` | ``), cut to
    ``MESSAGE_CHARS``: pytest's "Regex pattern did not match" keeps the
    actual message on its last line, an assert its values on the next."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    text = " | ".join(lines)
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."


# ---------------------------------------------------------------- generate
def rewrite(source, family, variant):
    """The test module's source with the family's classes swapped in."""
    classifier, regressor = FAMILIES[family]
    old_import = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
    if old_import not in source:
        raise SystemExit(f"{TEST_MODULE}: the import line {old_import!r} changed")
    if classifier != "MLPClassifier":
        source = source.replace(
            old_import, f"from sklearn_spectral import {classifier}, {regressor}"
        )
    source = re.sub(r"\bMLPClassifier\b", classifier, source)
    source = re.sub(r"\bMLPRegressor\b", regressor, source)
    header = (
        f"# Generated by benchmarks/bench_sklearn_mlp_tests.py from\n"
        f"# {TEST_MODULE} (scikit-learn {sklearn.__version__}):\n"
        f"# MLPClassifier -> {classifier}, MLPRegressor -> {regressor}"
    )
    if family in RENAME_HIDDEN:
        # a keyword argument: not after "." or a word character, "=" not "=="
        source, n = re.subn(
            r"(?<![\w.])hidden_layer_sizes(?=\s*=(?!=))",
            "initial_hidden_layer_sizes",
            source,
        )
        header += f",\n# hidden_layer_sizes= -> initial_hidden_layer_sizes= ({n}x)"
    if variant == "adam":
        names = "|".join(ADAM_DROPPED)
        value = r"(?:\"[^\"]*\"|'[^']*'|[\w.]+)"
        source, n = re.subn(
            rf"(?<![\w.])(?:{names})={value},?[ \t]*(?:\n[ \t]*(?=[\w)*]))?",
            "",
            source,
        )
        header += f",\n# {n} keyword arguments of lbfgs / sgd deleted (adam only)"
    return header + "\n" + source


# --------------------------------------------------------------------- run
def run_family(family, variant, workdir, args):
    slug = f"{family.lower()}_{variant}"
    folder = workdir / slug
    folder.mkdir()
    (folder / "conftest.py").write_text(CONFTEST)
    module = folder / f"test_mlp_{slug}.py"
    module.write_text(rewrite(TEST_MODULE.read_text(), family, variant))
    junit = folder / "junit.xml"
    progress = folder / "progress.jsonl"
    log = folder / "pytest.log"
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(module),
        "-p",
        "no:cacheprovider",
        "-q",
        "-rA",
        f"--junitxml={junit}",
        f"--rootdir={folder}",
    ]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "BENCH_TEST_TIMEOUT": str(args.test_timeout),
        "BENCH_PROGRESS": str(progress),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", None)
    tag = f"{family}, {variant}"
    print(f"\n[{tag}] {shlex.join(command)}", flush=True)
    start = time.perf_counter()
    timed_out = False
    with open(log, "w") as out:
        try:
            returncode = subprocess.run(
                command,
                cwd=folder,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=args.timeout,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            timed_out, returncode = True, None
    seconds = time.perf_counter() - start
    if junit.exists() and not timed_out:
        cases, source = read_junit(junit), "junit"
    else:
        cases, source = read_progress(progress, timed_out), "progress log"
    tail = log.read_text().splitlines()[-3:]
    print(f"[{tag}] {seconds:.0f} s, exit code {returncode}: {' | '.join(tail)}")
    record = {
        "command": shlex.join(command),
        "returncode": returncode,
        "timed_out": timed_out,
        "outcomes_from": source,
        "seconds": round(seconds, 1),
        "pytest_tail": tail,
    }
    record.update(aggregate(cases))
    return record


def error_text(body):
    """The failure's message from the long report (the ``E`` lines): the
    last exception, and the first line of the one it was raised while
    handling, if any (``pytest.warns`` hides a constructor's error that way)."""
    blocks, current = [], []
    for line in body.splitlines():
        if line.startswith("E "):
            current.append(line[1:].strip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    if not blocks:
        return ""
    text = "\n".join(blocks[-1])
    if len(blocks) > 1 and "During handling of the above exception" in body:
        text += f"\n(while handling {blocks[-2][0]})"
    return text


def read_junit(path):
    """``{case id: {outcome, message, seconds}}`` from pytest's JUnit XML."""
    cases = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name")
        outcome, message = "passed", ""
        for tag, status in (
            ("failure", "failed"),
            ("error", "error"),
            ("skipped", "skipped"),
        ):
            element = case.find(tag)
            if element is not None:
                outcome = status
                message = element.get("message") or ""
                if status != "skipped":
                    message = error_text(element.text or "") or message
                break
        if name in cases and cases[name]["outcome"] != "passed":
            continue  # a teardown error reported as a second testcase
        cases[name] = {
            "outcome": outcome,
            "message": message,
            "seconds": round(float(case.get("time") or 0.0), 2),
        }
    return cases


def read_progress(path, timed_out):
    """The same from the conftest's progress log, for a run that was killed."""
    cases, started = {}, None
    lines = path.read_text().splitlines() if path.exists() else []
    for line in lines:
        rec = json.loads(line)
        name = rec["nodeid"].split("::", 1)[-1]
        if rec["when"] == "start":
            started = name
            cases.setdefault(name, {"outcome": "passed", "message": "", "seconds": 0})
            continue
        case = cases[name]
        case["seconds"] = round(case["seconds"] + rec["duration"], 2)
        if rec["outcome"] == "failed" and case["outcome"] == "passed":
            case["outcome"] = "failed" if rec["when"] == "call" else "error"
            case["message"] = rec["message"]
        elif rec["outcome"] == "skipped":
            case["outcome"], case["message"] = "skipped", rec["message"]
        if rec["when"] == "teardown":
            started = None
    if timed_out and started is not None:
        cases[started] = {
            "outcome": "error",
            "message": "TimeoutError: the whole pytest run was killed in this test",
            "seconds": cases[started]["seconds"],
        }
    return cases


def aggregate(cases):
    """Per test function: status, counts over its parametrizations, reasons."""
    tests = {}
    for name, case in cases.items():
        function = name.split("[", 1)[0]
        entry = tests.setdefault(function, {"cases": {}})
        if case["outcome"] in ("failed", "error"):
            case["reason"] = classify(case["message"], function)
        elif case["outcome"] == "skipped":
            case["reason"] = "skipped"
        case["message"] = short(case["message"])
        entry["cases"][name] = case
    param_totals = Counter()
    function_totals = Counter()
    for entry in tests.values():
        counts = Counter(c["outcome"] for c in entry["cases"].values())
        param_totals.update(counts)
        if counts["failed"]:
            status = "failed"
        elif counts["error"]:
            status = "error"
        elif counts["passed"]:
            status = "passed"
        else:
            status = "skipped"
        function_totals[status] += 1
        entry["status"] = status
        entry["counts"] = {
            k: counts[k] for k in ("passed", "failed", "error", "skipped") if counts[k]
        }
        bad = [c for c in entry["cases"].values() if c["outcome"] != "passed"]
        entry["reasons"] = sorted({c["reason"] for c in bad})
        # one message per reason, the first case's
        entry["messages"] = {}
        for c in bad:
            entry["messages"].setdefault(c["reason"], c["message"])
    keys = ("passed", "failed", "error", "skipped")
    return {
        "totals": {
            "functions": {**{k: function_totals[k] for k in keys}, "total": len(tests)},
            "parametrized": {**{k: param_totals[k] for k in keys}, "total": len(cases)},
        },
        "tests": tests,
    }


# ------------------------------------------------------------------ report
def _totals_line(totals):
    return (
        f"{totals['passed']}/{totals['total']} passed, {totals['failed']} failed, "
        f"{totals['error']} error, {totals['skipped']} skipped"
    )


def test_order():
    """The test functions in the module's order."""
    return re.findall(r"^def (test_\w+)", TEST_MODULE.read_text(), re.M)


def _cell(entry):
    if entry is None:
        return "—"
    counts = entry["counts"]
    n = sum(counts.values())
    cell = entry["status"]
    if n > 1:
        cell += f" ({counts.get('passed', 0)}/{n})"
    if entry["reasons"]:
        cell += ": " + "; ".join(entry["reasons"])
    return cell


def report(results):
    families = results["families"]
    lines = [
        f"scikit-learn {results['sklearn_version']} `{results['test_module']}`, "
        f"per-test limit {results['per_test_timeout_s']} s. Variants: `shipped` "
        "swaps the class names only (and `hidden_layer_sizes=` -> "
        "`initial_hidden_layer_sizes=` for GrowingMLP); `adam` also deletes the "
        "lbfgs / sgd keyword arguments (`solver`, `momentum`, `learning_rate`, "
        "...), so that every test trains with Adam.",
        "",
    ]
    rows = []
    for family, fam in families.items():
        for variant, rec in fam["variants"].items():
            t = rec["totals"]
            flag = " (timed out)" if rec["timed_out"] else ""
            rows.append(
                [
                    family,
                    variant + flag,
                    _totals_line(t["functions"]),
                    _totals_line(t["parametrized"]),
                    f"{rec['seconds']:.0f}",
                    f"{rec['date']}, tree {rec['version']}",
                ]
            )
    header = ["family", "variant", "test functions", "parametrized cases", "s"]
    lines += [markdown_table([*header, "measured"], rows)]
    order = test_order()
    for variant in VARIANTS:
        runs = {
            f: fam["variants"][variant]
            for f, fam in families.items()
            if variant in fam["variants"]
        }
        if not runs:
            continue
        names = {n for rec in runs.values() for n in rec["tests"]}
        names = sorted(names, key=lambda n: order.index(n) if n in order else 999)
        control = runs.get("sklearn", {}).get("tests", {})
        rows = []
        for name in names:
            row = [f"`{name}`"]
            for family, rec in runs.items():
                cell = _cell(rec["tests"].get(name))
                fails = control.get(name, {}).get("status", "passed") != "passed"
                if family != "sklearn" and fails and not cell.startswith("passed"):
                    cell += " ‡"
                row.append(cell)
            rows.append(row)
        lines += [
            "",
            f"Variant `{variant}`, per test function (passed parametrizations / "
            "all, when parametrized; the reasons of the cases that did not pass; "
            "‡: scikit-learn's own class fails this test too in this variant):",
            "",
            markdown_table(["test", *runs], rows),
        ]
    return "\n".join(lines)


def merge_previous(results):
    """Keep the families and variants of the previous file not run this time."""
    earlier = read_results(RESULTS)
    if earlier is None:
        return
    previous = earlier.get("families", {})
    for family, fam in previous.items():
        current = results["families"].setdefault(family, fam)
        for variant, rec in fam.get("variants", {}).items():
            current["variants"].setdefault(variant, rec)
    results["families"] = {
        f: results["families"][f] for f in FAMILIES if f in results["families"]
    }
    for fam in results["families"].values():
        fam["variants"] = {
            v: fam["variants"][v] for v in VARIANTS if v in fam["variants"]
        }


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--families", nargs="+", choices=list(FAMILIES), default=list(FAMILIES)
    )
    parser.add_argument(
        "--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS)
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory"
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=900,
        help="seconds for one family's whole pytest run (default 900)",
    )
    parser.add_argument(
        "--test-timeout",
        type=int,
        default=180,
        help="seconds for one test, 0 for no limit (default 180)",
    )
    args = parser.parse_args()
    command = "python benchmarks/bench_sklearn_mlp_tests.py " + shlex.join(sys.argv[1:])
    print(f"Command: {command.strip()}")
    print(f"Environment: {environment()}")
    print(f"Test module: {TEST_MODULE}")
    workdir = Path(tempfile.mkdtemp(prefix="sklearn_mlp_tests_"))
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    version = tree_version("benchmarks/bench_sklearn_mlp_tests.py")
    results = {
        "command": command.strip(),
        "environment": environment(),
        "date": date,
        "version": version,
        "sklearn_version": sklearn.__version__,
        "test_module": "sklearn/neural_network/tests/test_mlp.py",
        "test_module_sha1": hashlib.sha1(TEST_MODULE.read_bytes()).hexdigest(),
        "per_test_timeout_s": args.test_timeout,
        "per_family_timeout_s": args.timeout,
        "families": {},
    }
    try:
        for family in args.families:
            classifier, regressor = FAMILIES[family]
            fam = results["families"][family] = {
                "classifier": classifier,
                "regressor": regressor,
                "renamed_hidden_layer_sizes": family in RENAME_HIDDEN,
                "variants": {},
            }
            for variant in args.variants:
                rec = run_family(family, variant, workdir, args)
                fam["variants"][variant] = {
                    "date": date,
                    "version": version,
                    "bench_command": command.strip(),
                    **rec,
                }
    finally:
        if args.keep:
            print(f"\nGenerated modules, logs and JUnit XML kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if not args.no_write:
        merge_previous(results)
    text = report(results)
    print("\n" + text)
    print(f"\nCommand: {command.strip()}")
    if args.no_write:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    SUMMARY.write_text(
        "# scikit-learn's MLP tests against our estimators\n\n"
        "Written by `benchmarks/bench_sklearn_mlp_tests.py`; do not edit.  \n"
        f"Command: `{command.strip()}`  \nEnvironment: {environment()}\n\n"
        + text
        + "\n"
    )
    write_section(
        "sklearn-mlp-tests",
        "scikit-learn's own MLP tests against the MLP-like estimators",
        text + f"\n\nPer-case messages: `{RESULTS.relative_to(ROOT)}`.",
    )
    print(f"\nwrote {RESULTS.relative_to(ROOT)} and {SUMMARY.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
