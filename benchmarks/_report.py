"""Shared helpers of the benchmark scripts: environment line, timing, and
writing a script's section of ``docs/benchmarks.md``."""

import datetime
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import torch

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS_MD = ROOT / "docs" / "benchmarks.md"

_HEADER = """# Benchmarks

Every number on this page is written by a script in `benchmarks/`; each section
names its script, the command, the machine, the versions and the date. Do not
edit the numbers by hand: rerun the script.
"""


def environment():
    """One line describing the machine and the versions."""
    cuda = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {cuda}; Python "
        f"{platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}; {datetime.date.today().isoformat()}"
    )


def mlp_parameters(model):
    """Weights and biases of a fitted model with ``coefs_`` and ``intercepts_``."""
    pairs = zip(model.coefs_, model.intercepts_, strict=True)
    return sum(coef.size + bias.size for coef, bias in pairs)


def timed(fn, *args, **kwargs):
    """``(result, seconds)`` of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def spread(values, fmt="{:.4f}"):
    """``median [min, max]`` of a list of numbers."""
    return (
        f"{fmt.format(statistics.median(values))} "
        f"[{fmt.format(min(values))}, {fmt.format(max(values))}]"
    )


def nondecreasing_within_error(means, errors):
    """Whether every step of ``means`` goes down by less than the standard
    error of the difference (``errors`` the standard errors of the means)."""
    steps = zip(means, means[1:], errors, errors[1:], strict=False)
    return all(b >= a - float(np.hypot(ea, eb)) for a, b, ea, eb in steps)


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(name, title, body):
    """Replace (or append) the section ``name`` of ``docs/benchmarks.md``."""
    script = Path(sys.argv[0]).name
    command = "python benchmarks/" + script + " " + " ".join(sys.argv[1:])
    text = (
        f"<!-- {name}:start -->\n## {title}\n\n"
        f"Command: `{command.strip()}`  \nEnvironment: {environment()}\n\n"
        f"{body.strip()}\n<!-- {name}:end -->"
    )
    current = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else _HEADER
    pattern = re.compile(
        rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->", re.S
    )
    if pattern.search(current):
        current = pattern.sub(lambda _: text, current)
    else:
        current = current.rstrip() + "\n\n" + text + "\n"
    BENCHMARKS_MD.parent.mkdir(exist_ok=True)
    BENCHMARKS_MD.write_text(current)
    print(text)


def save_results(path, script, **data):
    """Write ``data`` with the ``tree_version`` of ``script`` to the JSON file
    ``path`` (the runs an example or a later report reads back)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"version": tree_version(script), **data}
    path.write_text(json.dumps(record, indent=1) + "\n")


def read_results(path):
    """What :func:`save_results` wrote to ``path``, or None if nothing was
    (a rerun of some settings keeps the others' records)."""
    return json.loads(path.read_text()) if path.exists() else None


def _git(*args):
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout


def tree_version(script):
    """Short commit hash, ``+dirty(<diff hash>)`` when the package or the
    benchmark ``script`` (a path from the repository root) has uncommitted
    changes."""
    commit = _git("rev-parse", "--short", "HEAD").strip() or "unknown"
    paths = ["sklearn_spectral", script]
    diff = _git("diff", "HEAD", "--", *paths)
    untracked = _git("ls-files", "--others", "--exclude-standard", "--", *paths)
    if diff or untracked:
        digest = hashlib.sha1((diff + untracked).encode()).hexdigest()[:7]
        commit += f"+dirty({digest})"
    return commit
