"""
===========================================================
Mixed-type tabular data: a ColumnTransformer feeding growth
===========================================================

A growing network in an ordinary scikit-learn pipeline on a pandas DataFrame
with categorical and numeric columns: the Palmer penguins (``palmerpenguins``
ships the data). The categorical ``island`` and ``sex`` columns are one-hot
encoded, the four measurements standardized, and a ``GrowingMLPClassifier``
grows from one hidden neuron to what the species prediction needs. With
``set_output(transform="pandas")`` the column names reach the network
(``feature_names_in_``).
"""

import warnings

import matplotlib.pyplot as plt
from palmerpenguins import load_penguins
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_spectral import GrowingMLPClassifier

penguins = load_penguins().dropna()
X = penguins.drop(columns=["species", "year"])
y = penguins["species"]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
categorical = ["island", "sex"]
model = make_pipeline(
    ColumnTransformer(
        [
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                categorical,
            ),
            ("measurements", StandardScaler(), numeric),
        ]
    ).set_output(transform="pandas"),
    GrowingMLPClassifier(random_state=0, device="cpu"),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X_train, y_train)

net = model[-1]
print("network inputs:", list(net.feature_names_in_))
print("grown hidden widths:", net.hidden_layer_sizes_)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

history = net.growth_history_
fig, ax = plt.subplots()
ax.step(
    [0] + [h["epoch"] for h in history],
    [1] + [h["hidden_layer_sizes"][0] for h in history],
    where="post",
)
ax.set_xlabel("epoch")
ax.set_ylabel("hidden width")
ax.set_title("Palmer penguins: the network grows, then stops")
plt.show()
