"""TINY growth loop written against gromo 0.1.0 (the TINY authors' library).

gromo (``pip install gromo==0.1.0``, BSD-3) is a torch toolkit: it provides
growing layers, the statistics, the optimal updates and the new neurons, but no
estimator, no training loop of its own for growth and no stopping rule.  This
module writes the growth loop the way the authors' tutorials do
(``examples/plot_growing_container_tutorial.py`` in the gromo repository),
with this protocol (measured with gromo 0.1.0 on load_digits):

* network: ``GrowingMLP(in, C, hidden_size=w, number_hidden_layers=2,
  activation=nn.ReLU())``; start widths ``[1, 1]``; cross-entropy loss;
* 40 growth steps, each followed by 2 epochs of Adam (lr 1e-3, batch 64), then
  30 final epochs;
* TINY neurons with the library defaults of ``compute_optimal_updates`` (best
  move of the existing weights dW* computed *and* applied, new neurons from the
  SVD of S^{-1/2} N, every singular value above ``statistical_threshold=1e-3``
  kept, no cap per step);
* the layer to grow is the one with the best first-order gain
  (``select_best_update``);
* amplitude: a grid line search on the training loss of the extended network.
  gromo's own ``gromo.utils.utils.line_search`` tests the scaling factor on
  ``[0] + logspace(1e-6, 1, n_points)`` with ``n_points=100`` hard-coded (and
  extends the grid by decades while the minimum improves); here the same grid
  is used with ``line_search_points - 1`` log-spaced points, i.e. 17 points by
  default, without the extension.  ``set_scaling_factor(s)`` scales the
  existing-weight update by ``s**2`` and both sides of the new neurons by ``s``
  (so the loss changes by ``-s**2 * first_order_improvement`` to first order).
  As in the authors' tutorial, the best grid value is applied even when it is
  0 (gromo then adds neurons whose weights are all zero, which a ReLU never
  revives); the number of such steps is reported.

gromo API calls of one growth step, in order::

    model.set_growing_layers(scheduling_method="all")   # both hidden layers
    gromo.utils.training_utils.compute_statistics(       # init_computation(),
        model, stats_loader, CrossEntropyLoss(reduction="sum"))
                                                         # forward / backward /
                                                         # update_computation()
    model.compute_optimal_updates()                      # dW*, alpha, omega, lambda
    model.reset_computation()
    model.select_best_update()                           # argmax first-order gain
    for s in grid:                                       # line search
        model.set_scaling_factor(s)
        evaluate_model(model, loader, CrossEntropyLoss(), use_extended_model=True)
    model.set_scaling_factor(best_s)
    model.apply_change()                                 # grow, delete the update

Training uses ``gromo.utils.training_utils.gradient_descent`` (one epoch per
call) and the test accuracy ``evaluate_model`` with torchmetrics'
``MulticlassAccuracy``.  gromo replaces parameter tensors when a layer grows,
so a fresh Adam is built after every growth step (the tutorials build their
optimizer inside the training function); it is kept across the final epochs.

Statistics and the line search use the whole training set (1,347 rows on
digits), which is below the subsample of at most 4096 rows that
GrowingMLPClassifier uses (``growth_samples``).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import torch
from gromo.containers.growing_mlp import GrowingMLP
from gromo.utils.training_utils import (
    compute_statistics,
    evaluate_model,
    gradient_descent,
)
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics.classification import MulticlassAccuracy

__all__ = ["fit_gromo"]


def _line_search_grid(n_points: int) -> np.ndarray:
    """gromo's ``line_search`` grid, ``[0] + logspace(1e-6, 1)``, with ``n_points``."""
    if n_points < 2:
        raise ValueError(f"line_search_points must be >= 2, got {n_points}")
    return np.concatenate([np.zeros(1), np.logspace(-6.0, 0.0, n_points - 1)])


def fit_gromo(
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    seed,
    n_growth_steps=40,
    epochs_per_step=2,
    final_epochs=30,
    lr=1e-3,
    batch_size=64,
    line_search_points=17,
    start_widths=(1, 1),
) -> dict:
    """Grow a gromo ``GrowingMLP`` with TINY (best-gain layer) and train it.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : array-like
        Standardized features and integer labels ``0..C-1``.
    seed : int
        Seeds torch's global RNG (gromo draws from it) and the batch shuffling.
    n_growth_steps, epochs_per_step, final_epochs : int
        Growth schedule: ``n_growth_steps`` x (growth, ``epochs_per_step``
        epochs), then ``final_epochs`` epochs.
    lr, batch_size : float, int
        Adam learning rate and mini-batch size.
    line_search_points : int
        Number of scaling factors tried per growth step (0 included).
    start_widths : tuple of int
        Initial hidden widths; gromo's ``GrowingMLP`` takes a single
        ``hidden_size``, so all widths must be equal.

    Returns
    -------
    dict
        ``accuracy`` (test), ``n_params`` (trainable, final net), ``widths``
        (hidden), ``seconds`` (growth + training), ``growth_seconds``, and
        ``zero_amplitude_steps`` (growth steps whose best scaling factor was 0).
    """
    widths = [int(w) for w in start_widths]
    if len(widths) < 1 or len(set(widths)) != 1:
        raise ValueError(
            "gromo's GrowingMLP builds equal hidden widths; got "
            f"start_widths={tuple(start_widths)}"
        )

    X_tr = torch.as_tensor(np.asarray(X_train), dtype=torch.float32)
    y_tr = torch.as_tensor(np.asarray(y_train), dtype=torch.long)
    X_te = torch.as_tensor(np.asarray(X_test), dtype=torch.float32)
    y_te = torch.as_tensor(np.asarray(y_test), dtype=torch.long)
    n_classes = int(max(y_tr.max().item(), y_te.max().item())) + 1

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    train_set = TensorDataset(X_tr, y_tr)
    train_loader = DataLoader(
        train_set, batch_size=batch_size, shuffle=True, generator=generator
    )
    # Full-training-set passes (statistics, line search): order is irrelevant.
    full_loader = DataLoader(train_set, batch_size=1024, shuffle=False)
    test_loader = DataLoader(TensorDataset(X_te, y_te), batch_size=1024)

    loss_mean = nn.CrossEntropyLoss(reduction="mean")
    loss_sum = nn.CrossEntropyLoss(reduction="sum")  # statistics: per-sample grads
    grid = _line_search_grid(line_search_points)

    start = time.perf_counter()
    model = GrowingMLP(
        in_features=X_tr.shape[1],
        out_features=n_classes,
        hidden_size=widths[0],
        number_hidden_layers=len(widths),
        activation=nn.ReLU(),
    )

    growth_seconds = 0.0
    zero_amplitude_steps = 0
    optimizer = None
    for _ in range(n_growth_steps):
        t0 = time.perf_counter()
        model.set_growing_layers(scheduling_method="all")
        compute_statistics(model, full_loader, loss_function=loss_sum)
        with warnings.catch_warnings():
            # Constant pixels make S singular on digits: gromo falls back to the
            # pseudo-inverse and says so at every step.
            warnings.filterwarnings("ignore", message="Using the pseudo-inverse")
            model.compute_optimal_updates()
        model.reset_computation()
        model.select_best_update()

        best_loss, best_factor = float("inf"), 0.0
        for factor in grid:
            model.set_scaling_factor(float(factor))
            loss, _ = evaluate_model(
                model, full_loader, loss_mean, use_extended_model=True
            )
            if loss < best_loss:
                best_loss, best_factor = loss, float(factor)
        if best_factor == 0.0:
            zero_amplitude_steps += 1
        model.set_scaling_factor(best_factor)
        with warnings.catch_warnings():
            # gromo warns when a zero scaling factor is applied.
            warnings.filterwarnings("ignore", message="input_extension_scaling is null")
            model.apply_change()
        growth_seconds += time.perf_counter() - t0

        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        for _ in range(epochs_per_step):
            gradient_descent(model, train_loader, optimizer, None, loss_mean)

    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(final_epochs):
        gradient_descent(model, train_loader, optimizer, None, loss_mean)
    seconds = time.perf_counter() - start

    _, accuracy = evaluate_model(
        model,
        test_loader,
        loss_mean,
        metrics=MulticlassAccuracy(num_classes=n_classes, average="micro"),
    )
    return {
        "accuracy": float(accuracy),
        "n_params": int(sum(p.numel() for p in model.parameters() if p.requires_grad)),
        "widths": [int(layer.out_features) for layer in model.layers[:-1]],
        "seconds": float(seconds),
        "growth_seconds": float(growth_seconds),
        "zero_amplitude_steps": int(zero_amplitude_steps),
    }


if __name__ == "__main__":
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    print(
        fit_gromo(
            scaler.transform(X_train),
            y_train,
            scaler.transform(X_test),
            y_test,
            seed=0,
        )
    )
