"""
===========================================================
Spectral architecture search: richness follows nonlinearity
===========================================================

A reproduction of Fig. 6 of the SPARCS poster. ``SpectralNASRegressor``
starts every fit as a perceptron: all eigenvalues are zero except the output
layer's. Training switches hidden nodes on where the task needs them, and the
L1 penalty (``eigenvalue_l1``, left at its default here) keeps the others at
exactly zero. The default ridge (``alpha=0.1``) lets a few switch on even for
the linear task, a small fraction of the richness of the nonlinear end.

We look at the search alone (``node_l1=0``), as the poster does (the
compaction phase that follows it by default then removes nodes it does not
need).

We fit a family of regression tasks from purely linear (``alpha = 0``) to
clearly nonlinear (``alpha = 1``), for a gentle and an abrupt transition
(``beta``), and plot the topology richness ``||Gamma||`` against ``alpha``: as
the authors define it, the norm of the weights of every path from an input to
the output through hidden nodes (for one hidden layer,
``Gamma_ijk = W_32[i, j] W_21[j, k]``).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_spectral import SpectralNASRegressor
from sklearn_spectral.datasets import make_nonlinearity_regression

alphas = np.linspace(0, 1, 5)
fig, ax = plt.subplots()
for beta in (2, 10):
    richness = []
    for alpha in alphas:
        values = []
        for seed in range(6):  # the spread between seeds is about 0.4
            X, y = make_nonlinearity_regression(
                1000, alpha=alpha, beta=beta, random_state=seed
            )
            model = SpectralNASRegressor(
                (16, 16),
                activation="tanh",
                node_l1=0.0,
                early_stopping=False,  # the search on all rows, as in the poster
                random_state=seed,
                device="cpu",
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X, y)
            values.append(model.topology_richness_)
        richness.append(np.mean(values))
        print(f"beta={beta:2d} alpha={alpha:.2f}: ||Gamma|| = {richness[-1]:.3f}")
    ax.plot(alphas, richness, "o-", label=f"beta = {beta}")
ax.set_xlabel("nonlinearity of the task (alpha)")
ax.set_ylabel("topology richness ||Gamma||")
ax.set_title("Hidden eigenvalues switch on as the task turns nonlinear")
ax.legend()
plt.show()
