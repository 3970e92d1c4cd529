"""Synthetic data sets used to study the architecture search."""

import numpy as np
from sklearn.utils import check_random_state


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def make_nonlinearity_regression(
    n_samples=1000, *, alpha=0.5, beta=10.0, alpha0=0.5, noise=0.0, random_state=None
):
    """Regression tasks from purely linear to clearly nonlinear.

    Inputs ``x`` are uniform on ``[-2, 2]^2``. The target mixes a linear map
    and a nonlinear one, each scaled to unit variance,

        y = (1 - s) * linear(x) + s * nonlinear(x) + noise,
        linear(x) = x_1 - x_2 / 2,    nonlinear(x) = sin(2 x_1) cos(1.5 x_2),

    with the nonlinear share ``s`` a sigmoid of the nonlinearity ``alpha``
    rescaled so that ``alpha = 0`` is exactly linear and ``alpha = 1`` exactly
    nonlinear:

        s(alpha) = (g(alpha) - g(0)) / (g(1) - g(0)),
        g(a) = sigmoid(beta * (a - alpha0)).

    ``beta`` sets how abruptly the task turns nonlinear around ``alpha0``
    (small ``beta``: ``s`` close to ``alpha``; large: a step). This is the
    family of the SPARCS poster's Fig. 6, whose exact tasks are not published.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    alpha : float in [0, 1], default=0.5
        Nonlinearity of the task.
    beta : float > 0, default=10.0
        Abruptness of the transition.
    alpha0 : float, default=0.5
        Centre of the transition.
    noise : float, default=0.0
        Standard deviation of Gaussian noise added to ``y``.
    random_state : int, RandomState instance or None, default=None
        Seeds the inputs and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from sklearn_spectral.datasets import make_nonlinearity_regression
    >>> X, y = make_nonlinearity_regression(200, alpha=0.0, random_state=0)
    >>> from sklearn.linear_model import LinearRegression
    >>> round(LinearRegression().fit(X, y).score(X, y), 6)
    1.0
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if not beta > 0:
        raise ValueError(f"beta must be positive, got {beta}")
    rng = check_random_state(random_state)
    X = rng.uniform(-2.0, 2.0, size=(n_samples, 2))
    linear = X[:, 0] - 0.5 * X[:, 1]
    nonlinear = np.sin(2.0 * X[:, 0]) * np.cos(1.5 * X[:, 1])
    g0, g1 = _sigmoid(-beta * alpha0), _sigmoid(beta * (1.0 - alpha0))
    share = (_sigmoid(beta * (alpha - alpha0)) - g0) / (g1 - g0)
    y = (1.0 - share) * linear / linear.std() + share * nonlinear / nonlinear.std()
    if noise:
        y = y + rng.normal(scale=noise, size=n_samples)
    return X, y
