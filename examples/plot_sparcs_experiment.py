"""
======================================================
The SPARCS authors' experiment: richness against alpha
======================================================

The main experiment of the SPARCS paper (Peri, Chicchi, Fanelli and
Giambagli, arXiv:2504.00885): a 2-input regression task that turns from linear
(``alpha = 0``, ``y = mean(x)``) to quadratic (``alpha = 1``,
``y = mean(x^2)``), gently (``beta = 5``) or abruptly (``beta = 1000``), fitted
by a spectral network that starts as a perceptron. The topology richness
``||Gamma||`` (``topology_richness_``), the norm of the weights of every
input -> hidden -> output path, should stay near 0 for the linear task and grow
with ``alpha``.

A fit with the authors' schedule (300 hidden units, 300 epochs of 10,000 rows)
takes minutes on a CPU, too long for this page: ``benchmarks/bench_sparcs.py``
runs the experiment, in the authors' setting and with the estimator's
defaults, and records every fit in ``benchmarks/results/sparcs.json``. This
example draws what it recorded; rerun the script for more seeds or all 21
levels of ``alpha``.
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

try:
    root = Path(__file__).resolve().parents[1]
except NameError:  # run line by line from the examples folder
    root = Path.cwd().parent
runs = json.loads((root / "benchmarks" / "results" / "sparcs.json").read_text())
runs = runs["runs"]

settings = sorted({r["setting"] for r in runs})
fig, axes = plt.subplots(1, len(settings), figsize=(5 * len(settings), 4))
for ax, setting in zip(np.atleast_1d(axes), settings, strict=True):
    for beta in sorted({r["beta"] for r in runs}):
        mine = [r for r in runs if (r["setting"], r["beta"]) == (setting, beta)]
        alphas = sorted({r["alpha"] for r in mine})
        gamma = [np.mean([r["gamma"] for r in mine if r["alpha"] == a]) for a in alphas]
        r2 = [np.mean([r["test_r2"] for r in mine if r["alpha"] == a]) for a in alphas]
        ax.plot(alphas, gamma, "o-", label=f"beta = {beta:g}")
        print(
            f"{setting}, beta={beta:g}: ||Gamma|| "
            + ", ".join(f"{g:.3f}" for g in gamma)
            + f"; test R2 {min(r2):.4f} to {max(r2):.4f}"
        )
    ax.set_title(f"SpectralNASRegressor, {setting} setting")
    ax.set_xlabel("nonlinearity of the task (alpha)")
    ax.set_ylabel("topology richness ||Gamma||")
    ax.legend()
fig.tight_layout()
plt.show()
