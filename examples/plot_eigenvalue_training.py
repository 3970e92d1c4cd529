"""
======================================================
Training eigenvalues only: accuracy per trained number
======================================================

A spectral layer writes its weights as ``W = phi diag(lambda_in) -
diag(lambda_out) phi``. With ``train="eigenvalues"`` the eigenvector block
``phi`` stays at its random initialization and only the eigenvalues (one per
node) and the biases learn (Giambagli et al., Nat. Commun. 2021). This example
compares that with full training on ``load_digits``, for several hidden
widths, and plots test accuracy against the number of trained parameters.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import SpectralMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

settings = {
    "full": dict(train="full"),
    "eigenvalues only": dict(
        train="eigenvalues", train_input_eigenvalues=True, learning_rate_init=1e-2
    ),
}
fig, ax = plt.subplots()
for label, params in settings.items():
    sizes, scores = [], []
    for width in (16, 64, 256):
        model = make_pipeline(
            StandardScaler(),
            SpectralMLPClassifier((width,), random_state=0, device="cpu", **params),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        net = model[-1].module_
        sizes.append(sum(p.numel() for p in net.parameters() if p.requires_grad))
        scores.append(model.score(X_test, y_test))
        print(
            f"{label:17s} width {width:3d}: {sizes[-1]:6d} trained, "
            f"test accuracy {scores[-1]:.3f}"
        )
    ax.plot(sizes, scores, "o-", label=label)
ax.set_xscale("log")
ax.set_xlabel("trained parameters")
ax.set_ylabel("test accuracy")
ax.set_title("load_digits: eigenvalue-only vs full training")
ax.legend()
plt.show()
