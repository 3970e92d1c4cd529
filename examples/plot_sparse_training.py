"""
==========================================
Sparse training: accuracy against density
==========================================

``SpectralMLPClassifier(density=d)`` trains with only ``d`` of every layer's
weights (Chicchi et al., Phys. Rev. E 104, 054312, 2021). In the spectral
parametrization ``W = phi diag(lambda_in) - diag(lambda_out) phi`` the
eigenvalues are shared by whole rows and columns: trained on the kept
weights, they rescale the masked ones too, and a *dynamic* mask (the ``d``
largest ``|W|``, drawn again during training) follows them. In direct space
a masked weight gets no gradient and never comes back.

``benchmarks/bench_sparse.py`` compares, for one hidden layer of 256 units
and several densities, the dynamic and static spectral masks with the
paper's homologue (the same network in direct space under a fixed mask of
the same budget) and with magnitude pruning of a dense network followed by
fine-tuning, over several seeds. This example draws what it recorded
(``benchmarks/results/sparse.json``); rerun the script to refresh it.
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

try:
    root = Path(__file__).resolve().parents[1]
except NameError:  # run line by line from the examples folder
    root = Path.cwd().parent
runs = json.loads((root / "benchmarks" / "results" / "sparse.json").read_text())
runs = runs["runs"]

names = list(dict.fromkeys(r["data"] for r in runs))
contenders = [
    "spectral dynamic",
    "spectral static",
    "direct masked",
    "magnitude pruning",
]
fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
for ax, name in zip(axes[0], names, strict=True):
    mine = [r for r in runs if r["data"] == name]
    dense = np.mean([r["accuracy"] for r in mine if r["contender"] == "dense"])
    ax.axhline(dense, color="gray", linestyle="--", label="dense")
    for contender in contenders:
        densities = sorted({r["density"] for r in mine if r["contender"] == contender})
        means = [
            np.mean(
                [
                    r["accuracy"]
                    for r in mine
                    if r["contender"] == contender and r["density"] == d
                ]
            )
            for d in densities
        ]
        ax.plot(densities, means, "o-", label=contender)
        pairs = zip(densities, means, strict=True)
        print(f"{name}, {contender}: " + ", ".join(f"{d:g}: {m:.3f}" for d, m in pairs))
    ax.set_xscale("log")
    ax.set_xlabel("density (share of the weights kept)")
    ax.set_ylabel("test accuracy")
    ax.set_title(name)
axes[0][0].legend()
fig.tight_layout()
plt.show()
