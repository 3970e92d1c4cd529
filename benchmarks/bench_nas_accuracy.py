"""SpectralNAS against MLPRegressor / MLPClassifier of the same maximum widths.

make_friedman1 (2,000 rows, noise 1), load_diabetes (R²) and load_digits
(accuracy); 75/25 split per seed (stratified for digits), standardized X,
3 seeds. Both models get hidden widths (32, 32) and the same setting: their
default parameters; ``early_stopping=True`` (NAS: its defaults otherwise; MLP:
``max_iter=500``); and "tuned", a 3-fold ``GridSearchCV`` on the training split
of each model's regularization: MLP over ``alpha``, refit on the best mean
score; NAS over ``alpha`` and ``node_l1``, refit on the sparsest
candidate (largest ``node_l1``) whose mean score is within one standard
deviation of the best (scikit-learn's "balance model complexity" rule).
Reports the test score, the
parameters in use (NAS: ``n_active_parameters_``, the weights and biases
between the nodes the predictions depend on; MLP: all weights and biases)
and the fit time, with one torch thread and one BLAS thread for every
model (``threadpoolctl``). A linear model without penalty
(``LogisticRegression(C=1e4)``, ``LinearRegression``) on the same splits is
the reference for a network that stays a perceptron.

Target (issue 3): at least as good as the MLP, with fewer active parameters.
"""

import argparse
import warnings
from functools import partial

import numpy as np
import torch
from _report import markdown_table, mlp_parameters, spread, timed, write_section
from sklearn.datasets import load_diabetes, load_digits, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_spectral import SpectralNASClassifier, SpectralNASRegressor

WIDTHS = (32, 32)
NAS_GRID = {"alpha": [0.1, 1.0], "node_l1": [3e-4, 1e-3, 3e-3]}
MLP_GRID = {"alpha": [1e-4, 1e-2, 1.0]}
DATA = {
    "make_friedman1": (partial(make_friedman1, 2000, noise=1.0, random_state=0), False),
    "load_diabetes": (partial(load_diabetes, return_X_y=True), False),
    "load_digits": (partial(load_digits, return_X_y=True), True),
}


def sparsest_within_one_std(cv_results):
    """Index of the largest ``node_l1`` scoring within one std of the best."""
    mean = np.asarray(cv_results["mean_test_score"])
    std = np.asarray(cv_results["std_test_score"])
    best = np.argmax(mean)
    close = np.flatnonzero(mean >= mean[best] - std[best])
    l1 = np.asarray(cv_results["param_node_l1"], dtype=float)
    return int(max(close, key=lambda i: (l1[i], mean[i])))


def fitted_model(search):
    return search.best_estimator_ if isinstance(search, GridSearchCV) else search


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    torch.set_num_threads(1)
    with threadpool_limits(1):
        run(args)


def run(args):
    rows, verdicts = [], []
    for data_name, (load, is_clf) in DATA.items():
        X, y = load()
        for setting, extra in (
            ("defaults", {}),
            ("early_stopping", {"early_stopping": True}),
            ("tuned", None),
        ):
            res = {
                "nas": [],
                "mlp": [],
                "nas_p": [],
                "mlp_p": [],
                "nas_t": [],
                "mlp_t": [],
            }
            for seed in range(args.seeds):
                X_tr, X_te, y_tr, y_te = train_test_split(
                    X,
                    y,
                    test_size=0.25,
                    random_state=seed,
                    stratify=y if is_clf else None,
                )
                scaler = StandardScaler().fit(X_tr)
                X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
                nas = (SpectralNASClassifier if is_clf else SpectralNASRegressor)(
                    WIDTHS, random_state=seed, device="cpu", **(extra or {})
                )
                mlp = (MLPClassifier if is_clf else MLPRegressor)(
                    hidden_layer_sizes=WIDTHS,
                    max_iter=500,
                    random_state=seed,
                    **(extra or {}),
                )
                if extra is None:
                    nas = GridSearchCV(
                        nas, NAS_GRID, cv=3, refit=sparsest_within_one_std
                    )
                    mlp = GridSearchCV(mlp, MLP_GRID, cv=3)
                res["nas_t"].append(timed(nas.fit, X_tr, y_tr)[1])
                res["mlp_t"].append(timed(mlp.fit, X_tr, y_tr)[1])
                res["nas"].append(nas.score(X_te, y_te))
                res["mlp"].append(mlp.score(X_te, y_te))
                res["nas_p"].append(fitted_model(nas).n_active_parameters_)
                res["mlp_p"].append(mlp_parameters(fitted_model(mlp)))
                if extra is None:
                    res.setdefault("chosen", []).append(
                        f"NAS {nas.best_params_}, MLP {mlp.best_params_}"
                    )
                if setting == "defaults":  # the linear reference, once per split
                    linear = (
                        LogisticRegression(C=1e4, max_iter=10_000)
                        if is_clf
                        else LinearRegression()
                    )
                    res.setdefault("linear", []).append(
                        linear.fit(X_tr, y_tr).score(X_te, y_te)
                    )
            for model in ("nas", "mlp"):
                name = "SpectralNAS" if model == "nas" else "MLP"
                rows.append(
                    [
                        data_name,
                        setting,
                        name,
                        spread(res[model]),
                        f"{np.mean(res[model]):.4f}",
                        f"{np.mean(res[model + '_p']):.0f}",
                        spread(res[model + "_t"], "{:.2f}"),
                    ]
                )
            if "linear" in res:
                rows.append(
                    [
                        data_name,
                        "reference",
                        "linear, unpenalized",
                        spread(res["linear"]),
                        f"{np.mean(res['linear']):.4f}",
                        X.shape[1] + 1 if not is_clf else 10 * (X.shape[1] + 1),
                        "",
                    ]
                )
            gap = np.mean(res["nas"]) - np.mean(res["mlp"])
            fewer = np.mean(res["nas_p"]) < np.mean(res["mlp_p"])
            verdicts.append(
                f"- {data_name}, {setting}: NAS − MLP {gap:+.4f} "
                f"({'at least as good' if gap >= 0 else 'WORSE'}); active parameters "
                f"{np.mean(res['nas_p']):.0f} vs {np.mean(res['mlp_p']):.0f} "
                f"({'fewer' if fewer else 'NOT fewer'})."
                + (f" Chosen: {'; '.join(res['chosen'])}." if "chosen" in res else "")
            )
    body = (
        f"Maximum widths {WIDTHS}, {args.seeds} seeds, test scores (R² for "
        "regression, accuracy for digits) median [min, max] and mean; parameters "
        "in use (mean); fit time in seconds (tuned: the whole grid search).\n\n"
        + markdown_table(
            ["data", "setting", "model", "test score", "mean", "parameters", "fit (s)"],
            rows,
        )
        + "\n\n"
        + "\n".join(verdicts)
    )
    write_section("nas_accuracy", "SpectralNAS: accuracy and size vs MLP", body)


if __name__ == "__main__":
    main()
