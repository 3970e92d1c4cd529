"""The linear model a growing network is compared with once training has
converged: the model a user tries first, written as a network."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.linear_model import LogisticRegression, RidgeCV

from ..nn.growing import GrowingMLP


def linear_network(spec, X, y, w, module):
    """``LogisticRegression`` (one per label for multilabel targets) or
    ``RidgeCV`` fitted to the rows ``X, y, w`` (tensors; the internal
    targets), as a :class:`~sklearn_spectral.nn.growing.GrowingMLP` of
    ``module``'s activation, device and dtype and of the starting depth of
    the estimator ``spec`` (the layers growth added are dropped); ``None``
    if it cannot stand for the network (a class missing from the rows)."""
    X, y, w = (
        None if t is None else t.detach().cpu().double().numpy() for t in (X, y, w)
    )
    n_logits = module.layers[-1].out_features
    if is_classifier(spec) and y.ndim == 2:  # multilabel
        if any(len(np.unique(column)) != 2 for column in y.T):
            return None
        models = [
            LogisticRegression(max_iter=1000).fit(X, column, sample_weight=w)
            for column in y.T
        ]
        coef = np.vstack([m.coef_ for m in models])
        intercept = np.concatenate([m.intercept_ for m in models])
    else:
        if is_classifier(spec):
            y = y.astype(np.int64)
            n_classes = 2 if n_logits == 1 else n_logits
            if len(np.unique(y)) != n_classes:
                return None
            model = LogisticRegression(max_iter=1000)
        else:
            model = RidgeCV()
        model.fit(X, y, sample_weight=w)
        coef, intercept = model.coef_, model.intercept_
    net = GrowingMLP.from_linear(
        np.atleast_2d(coef),
        np.atleast_1d(intercept),
        X,
        n_hidden=min(len(module.hidden_sizes), len(spec._hidden_sizes())),
        activation=module.activation,
    )
    weight = module.layers[0].weight
    return net.to(device=weight.device, dtype=weight.dtype)
