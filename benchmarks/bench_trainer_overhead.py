"""The shared trainer against a bare torch loop and skorch, same module and data.

10,000 x 20 synthetic rows (3 classes), a SpectralMLP 20-100-3, batch 128,
Adam 1e-3, fixed epochs, no L2 penalty. Time per epoch: the estimator's whole
``fit`` (validation, tensors, bookkeeping) divided by the epochs, against a
bare loop that only shuffles, slices and steps with the same hand-written
backward pass (``SpectralMLP.loss_and_backward``, closed-form loss
gradient), and against skorch's
``NeuralNetClassifier`` on the same module (skorch calls ``backward()``; the
bare loop with ``backward()`` is shown too). Repeated; medians reported.

Target (issue 2): within 1.1x of the bare loop, at least 2x faster than skorch.
"""

import argparse
import statistics
import warnings
from functools import partial

import torch
from _report import markdown_table, spread, timed, write_section
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from torch.nn import functional as F

from sklearn_spectral import SpectralMLPClassifier
from sklearn_spectral._losses import softmax_cross_entropy
from sklearn_spectral.nn import SpectralMLP
from sklearn_spectral.train.trainer import make_adam

HIDDEN, BATCH = 100, 128


def bare_loop(X, y, epochs, seed, hand_written=True):
    """Shuffle, slice, step: the backward pass is the hand-written one the
    trainer uses (``SpectralMLP.loss_and_backward``) or autograd's."""
    g = torch.Generator().manual_seed(seed)
    net = SpectralMLP([X.shape[1], HIDDEN, 3], generator=g)
    opt = make_adam(net.parameters(), 1e-3)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    n = len(Xt)
    for _ in range(epochs):
        order = torch.randperm(n, generator=g)
        for start in range(0, n, BATCH):
            idx = order[start : start + BATCH]
            xb, yb = Xt[idx], yt[idx]
            if hand_written:
                net.loss_and_backward(xb, partial(softmax_cross_entropy, target=yb))
            else:
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(net(xb), yb).backward()
            opt.step()


def estimator(X, y, epochs, seed):
    SpectralMLPClassifier(
        (HIDDEN,),
        alpha=0.0,
        batch_size=BATCH,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        tol=0.0,
        random_state=seed,
        device="cpu",
    ).fit(X, y)


def skorch_net(X, y, epochs, seed):
    from skorch import NeuralNetClassifier

    NeuralNetClassifier(
        SpectralMLP,
        module__layer_sizes=[X.shape[1], HIDDEN, 3],
        module__generator=torch.Generator().manual_seed(seed),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=BATCH,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    ).fit(X.astype("float32"), y)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = make_classification(
        n_samples=10_000, n_features=20, n_informative=10, n_classes=3, random_state=0
    )
    runners = {
        "bare torch loop": bare_loop,
        "bare torch loop, autograd backward": partial(bare_loop, hand_written=False),
        "sklearn-spectral trainer": estimator,
        "skorch NeuralNetClassifier": skorch_net,
    }
    for run in runners.values():  # warm-up: one-time imports and allocations
        run(X, y, 1, 0)
    per_epoch = {name: [] for name in runners}
    for repeat in range(args.repeats):
        for name, run in runners.items():  # interleaved against machine noise
            _, seconds = timed(run, X, y, args.epochs, repeat)
            per_epoch[name].append(seconds / args.epochs)
    bare = statistics.median(per_epoch["bare torch loop"])
    ours = statistics.median(per_epoch["sklearn-spectral trainer"])
    skorch = statistics.median(per_epoch["skorch NeuralNetClassifier"])
    autograd = statistics.median(per_epoch["bare torch loop, autograd backward"])
    rows = [
        [name, spread(t, "{:.4f}"), f"{statistics.median(t) / bare:.2f}"]
        for name, t in per_epoch.items()
    ]
    body = (
        f"10,000 x 20 rows, 3 classes, SpectralMLP 20-{HIDDEN}-3, batch {BATCH}, "
        f"{args.epochs} epochs x {args.repeats} repeats, {args.threads} torch "
        "thread(s). Seconds per epoch, median [min, max].\n\n"
        + markdown_table(["loop", "s / epoch", "ratio to bare loop"], rows)
        + f"\n\n- trainer / bare loop: {ours / bare:.2f} (target ≤ 1.10)"
        + f"\n- skorch / trainer: {skorch / ours:.2f} (target ≥ 2.00)"
        + f"\n- skorch / bare loop with autograd: {skorch / autograd:.2f} (skorch's "
        "own overhead, same backward pass)"
    )
    write_section("trainer_overhead", "Trainer overhead", body)


if __name__ == "__main__":
    main()
