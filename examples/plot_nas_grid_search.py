"""
======================================================
Choosing the sparsity of the architecture search by CV
======================================================

``eigenvalue_l1`` sets how strongly ``SpectralNASRegressor`` keeps
eigenvalues at zero: larger values give smaller architectures. As with any
hyper-parameter, cross-validation picks it. Here ``GridSearchCV`` searches it
inside a ``Pipeline`` on ``make_friedman1`` and we plot the cross-validated
R² and the number of parameters in use against ``eigenvalue_l1``.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import SpectralNASRegressor

X, y = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
pipe = make_pipeline(
    StandardScaler(), SpectralNASRegressor((16, 16), random_state=0, device="cpu")
)
grid = {"spectralnasregressor__eigenvalue_l1": [0.01, 0.03, 0.1, 0.3]}
search = GridSearchCV(pipe, grid, cv=3, return_train_score=False)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)

l1 = grid["spectralnasregressor__eigenvalue_l1"]
scores = search.cv_results_["mean_test_score"]
sizes = []
for value in l1:  # refit each setting once on all rows to read its size
    model = pipe.set_params(spectralnasregressor__eigenvalue_l1=value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sizes.append(model.fit(X, y)[-1].n_active_parameters_)
for value, score, size in zip(l1, scores, sizes, strict=True):
    print(f"eigenvalue_l1={value:<5} CV R² {score:.3f}, {size} parameters in use")
print("best:", search.best_params_)

fig, ax = plt.subplots()
ax.semilogx(l1, scores, "o-", color="C0")
ax.set_xlabel("eigenvalue_l1")
ax.set_ylabel("cross-validated R²", color="C0")
ax2 = ax.twinx()
ax2.semilogx(l1, sizes, "s--", color="C1")
ax2.set_ylabel("parameters in use", color="C1")
ax.set_title("Sparser search, smaller network")
plt.show()
