"""Synthetic data sets used to study the architecture search."""

import numpy as np
from sklearn.utils import check_random_state


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def make_nonlinearity_regression(
    n_samples=1000,
    *,
    alpha=0.5,
    beta=10.0,
    alpha0=0.5,
    max_frequency=1.5,
    noise=0.0,
    random_state=None,
):
    """Regression tasks from purely linear to clearly nonlinear.

    Inputs ``x`` are uniform on ``[-2, 2]^2`` and ``u`` is the standardized
    linear projection ``x_1 - x_2 / 2``. The target bends ``u`` by a sine
    whose frequency grows with the nonlinearity ``alpha``,

        y = sin(w u) / w,    w = max_frequency * s(alpha)    (y = u when w = 0),

    so ``alpha = 0`` is exactly linear and the curvature (the number of bends)
    keeps growing up to ``alpha = 1``. The share ``s`` is a sigmoid of
    ``alpha`` rescaled to run exactly from 0 to 1:

        s(alpha) = (g(alpha) - g(0)) / (g(1) - g(0)),
        g(a) = sigmoid(beta * (a - alpha0)),

    ``beta`` setting how abruptly the task turns nonlinear around ``alpha0``
    (small ``beta``: ``s`` close to ``alpha``; large: a step). This stands in
    for the family of the SPARCS poster's Fig. 6, whose exact tasks are not
    published. (A mixture ``(1 - s) linear + s nonlinear`` was tried first:
    after standardizing ``y`` its tasks at ``alpha >= 0.75`` are nearly the
    same, so it cannot rank the top levels.)

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
    max_frequency : float > 0, default=1.5
        Frequency ``w`` at ``alpha = 1``.
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
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_spectral.datasets import make_nonlinearity_regression
    >>> X, y = make_nonlinearity_regression(200, alpha=0.0, random_state=0)
    >>> round(LinearRegression().fit(X, y).score(X, y), 6)
    1.0
    >>> X, y = make_nonlinearity_regression(200, alpha=1.0, random_state=0)
    >>> round(LinearRegression().fit(X, y).score(X, y), 2)  # a line misses 28 %
    0.72
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if not beta > 0 or not max_frequency > 0:
        raise ValueError(
            f"beta and max_frequency must be positive, got {beta}, {max_frequency}"
        )
    rng = check_random_state(random_state)
    X = rng.uniform(-2.0, 2.0, size=(n_samples, 2))
    u = X[:, 0] - 0.5 * X[:, 1]
    u = u / u.std()
    g0, g1 = _sigmoid(-beta * alpha0), _sigmoid(beta * (1.0 - alpha0))
    share = (_sigmoid(beta * (alpha - alpha0)) - g0) / (g1 - g0)
    frequency = max_frequency * share
    y = u if frequency == 0 else np.sin(frequency * u) / frequency
    if noise:
        y = y + rng.normal(scale=noise, size=n_samples)
    return X, y
