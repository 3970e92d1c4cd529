"""
===========================================================
A pruned network as a compact representation for a pipeline
===========================================================

``SpectralPruner.transform`` returns the activations of the pruned network's
last hidden layer. Inside a ``Pipeline`` it turns raw features into a small
learned representation for a simple downstream model. Here a spectral network
with 128 hidden nodes is pruned to 16 and a logistic regression is trained on
those 16 features, beside the same logistic regression on the 64 raw pixels.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import SpectralMLPClassifier, SpectralPruner

warnings.simplefilter("ignore", ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
net = SpectralMLPClassifier((128,), random_state=0, device="cpu")
compact = make_pipeline(
    StandardScaler(),
    SpectralPruner(net, prune_fraction=0.875, fine_tune_iter=30),
    LogisticRegression(max_iter=1000),
).fit(X_train, y_train)
raw = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
raw.fit(X_train, y_train)

pruner = compact[1]
print(
    "hidden widths:",
    pruner.original_hidden_layer_sizes_,
    "->",
    pruner.hidden_layer_sizes_,
)
print("features out:", list(pruner.get_feature_names_out()[:4]), "...")
print(f"logistic regression on 16 pruned features: {compact.score(X_test, y_test):.3f}")
print(f"logistic regression on 64 raw pixels:      {raw.score(X_test, y_test):.3f}")

fig, ax = plt.subplots()
ax.bar(
    ["64 raw pixels", "16 pruned features"],
    [raw.score(X_test, y_test), compact.score(X_test, y_test)],
)
ax.set_ylim(0.8, 1.0)
ax.set_ylabel("test accuracy of LogisticRegression")
ax.set_title("load_digits: a pruned spectral network as a feature extractor")
plt.show()
