"""
====================================================
Choosing how much a network may grow, by grid search
====================================================

``growth_threshold`` decides which neurons are worth adding: a neuron is
added when its first-order loss decrease is at least that fraction of the
current loss. Lower thresholds grow larger networks. Here ``GridSearchCV``
searches it inside a ``Pipeline`` on ``load_digits`` and we plot the
cross-validated accuracy against the size each threshold grew.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import GrowingMLPClassifier

X, y = load_digits(return_X_y=True)
pipe = make_pipeline(
    StandardScaler(), GrowingMLPClassifier(random_state=0, device="cpu")
)
thresholds = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4]
search = GridSearchCV(
    pipe, {"growingmlpclassifier__growth_threshold": thresholds}, cv=3
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)

scores = search.cv_results_["mean_test_score"]
widths = []
for threshold in thresholds:  # the width each threshold grows on all the rows
    model = pipe.set_params(growingmlpclassifier__growth_threshold=threshold)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        widths.append(model.fit(X, y)[-1].hidden_layer_sizes_[0])
for threshold, score, width in zip(thresholds, scores, widths, strict=True):
    print(
        f"growth_threshold={threshold:<7g} hidden width {width:3d}, "
        f"CV accuracy {score:.3f}"
    )
print("best:", search.best_params_)

fig, ax = plt.subplots()
ax.plot(widths, scores, "o-")
for threshold, width, score in zip(thresholds, widths, scores, strict=True):
    ax.annotate(
        f"{threshold:g}", (width, score), textcoords="offset points", xytext=(4, -10)
    )
ax.set_xlabel("grown hidden width")
ax.set_ylabel("cross-validated accuracy")
ax.set_title("load_digits: accuracy against the size growth_threshold allows")
plt.show()
