"""The linear model a growing network is compared with once training has
converged: the model a user tries first, written as a network."""

from functools import partial

import numpy as np
from sklearn.base import is_classifier
from sklearn.linear_model import LogisticRegression, RidgeCV

from ..nn.growing import GrowingMLP


def linear_network(spec, X, y, w, module, models=None, n_hidden=None):
    """``LogisticRegression`` (one per label for multilabel targets) or
    ``RidgeCV`` fitted to the rows ``X, y, w`` (tensors; the internal
    targets), as a :class:`~sklearn_spectral.nn.growing.GrowingMLP` of
    ``module``'s activation, device and dtype and of the starting depth of
    the estimator ``spec`` (the layers growth added are dropped); ``None``
    if it cannot stand for the network (a class missing from the rows).

    ``models``, a list, carries the fitted scikit-learn models from one call
    to the next: an empty list receives them, and a list filled by an
    earlier call on other rows of the same task starts the logistic
    regressions from their solutions (``warm_start``; refitting on every row
    after a comparison on a subsample then takes fewer solver iterations).
    """
    X, y, w = (
        None if t is None else t.detach().cpu().double().numpy() for t in (X, y, w)
    )
    n_logits = module.layers[-1].out_features
    if is_classifier(spec) and y.ndim == 2:  # multilabel
        if any(len(np.unique(column)) != 2 for column in y.T):
            return None
        fitted = _fit(
            models,
            partial(LogisticRegression, max_iter=1000),
            [(X, column, w) for column in y.T],
        )
        coef = np.vstack([m.coef_ for m in fitted])
        intercept = np.concatenate([m.intercept_ for m in fitted])
    else:
        if is_classifier(spec):
            y = y.astype(np.int64)
            n_classes = 2 if n_logits == 1 else n_logits
            if len(np.unique(y)) != n_classes:
                return None
            new = partial(LogisticRegression, max_iter=1000)
        else:
            new = RidgeCV
        (model,) = _fit(models, new, [(X, y, w)])
        coef, intercept = model.coef_, model.intercept_
    net = GrowingMLP.from_linear(
        np.atleast_2d(coef),
        np.atleast_1d(intercept),
        X,
        n_hidden=n_hidden or min(len(module.hidden_sizes), len(spec._hidden_sizes())),
        activation=module.activation,
    )
    weight = module.layers[0].weight
    return net.to(device=weight.device, dtype=weight.dtype)


def _fit(models, new, problems):
    """Fit one model per ``(X, y, sample_weight)`` of ``problems``: the ones
    in ``models`` warm-started where it holds one per problem, new ones
    (``new()``) otherwise, which ``models`` then receives."""
    if models is not None and len(models) == len(problems):
        for model in models:
            if "warm_start" in model.get_params():
                model.set_params(warm_start=True)
        fitted = models
    else:
        fitted = [new() for _ in problems]
        if models is not None:
            models[:] = fitted
    for model, (X, y, w) in zip(fitted, problems, strict=True):
        model.fit(X, y, sample_weight=w)
    return fitted
