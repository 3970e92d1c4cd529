"""Does ``torch.compile`` of the training step pay on the CPU at tabular sizes?

One ``SpectralMLP`` of ``(100,)`` hidden units on ``10^5 x 50`` float32 rows,
2 classes, batch 200, one torch thread; an epoch is a pass over shuffled
batches gathered by index. Three ways to run the same training step:

- ``eager autograd``: forward, ``loss.backward()``, ``torch.optim.Adam``;
- ``torch.compile``: that step compiled (default mode, inductor); its first
  call, which compiles (with an empty inductor cache), is timed apart;
- ``the estimator``: ``SpectralMLPClassifier.fit`` with ``tol=0`` for the
  same epochs (the package's loop: hand-written backward, fused Adam), its
  whole fit over its epochs.

Seconds per epoch, median over ``--repeats`` epochs after the first.
"""

import argparse
import os
import statistics
import tempfile
import time
import warnings

import numpy as np
import torch
from _report import markdown_table, write_section
from sklearn.exceptions import ConvergenceWarning

from sklearn_spectral import SpectralMLPClassifier
from sklearn_spectral.nn import SpectralMLP

ROWS, FEATURES, HIDDEN, BATCH = 100_000, 50, 100, 200


def step(net, optimizer, xb, yb):
    optimizer.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(net(xb), yb)
    loss.backward()
    optimizer.step()
    return loss


def epochs(fn, X, y, n_epochs):
    net = SpectralMLP([FEATURES, HIDDEN, 2], generator=torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    start = time.perf_counter()
    fn(net, optimizer, X[:BATCH], y[:BATCH])  # the first call (compiles)
    first = time.perf_counter() - start
    seconds = []
    for epoch in range(n_epochs):
        order = torch.randperm(ROWS, generator=torch.Generator().manual_seed(epoch))
        start = time.perf_counter()
        for i in range(0, ROWS, BATCH):
            idx = order[i : i + BATCH]
            fn(net, optimizer, X[idx], y[idx])
        seconds.append(time.perf_counter() - start)
    return first, statistics.median(seconds)


def main():
    # A cold compile, as a user's first fit gets (not inductor's cache of an
    # earlier run).
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(ROWS, FEATURES, generator=generator)
    y = torch.randint(0, 2, (ROWS,), generator=generator)
    rows = []
    first, per_epoch = epochs(step, X, y, args.repeats)
    rows.append(["eager autograd", f"{first:.2f}", f"{per_epoch:.3f}"])
    first, per_epoch = epochs(torch.compile(step), X, y, args.repeats)
    rows.append(["torch.compile", f"{first:.2f}", f"{per_epoch:.3f}"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SpectralMLPClassifier((HIDDEN,), max_iter=1, device="cpu").fit(
            X[:500].numpy(), y[:500].numpy()
        )  # the process's one-time costs
        est = SpectralMLPClassifier(
            (HIDDEN,), max_iter=args.repeats, tol=0.0, random_state=0, device="cpu"
        )
        start = time.perf_counter()
        est.fit(X.numpy(), np.asarray(y))
        per_epoch = (time.perf_counter() - start) / est.n_iter_
    rows.append(["the estimator (whole fit / epochs)", "", f"{per_epoch:.3f}"])
    body = (
        f"`SpectralMLP` {FEATURES}-{HIDDEN}-2 on {ROWS:,} float32 rows, batch "
        f"{BATCH}, 1 torch thread, {args.repeats} epochs per way (median).\n\n"
        + markdown_table(["training step", "first call s", "s / epoch"], rows)
    )
    print(body)
    if not args.no_write:
        write_section("compile_cpu", "torch.compile of the training step (cpu)", body)


if __name__ == "__main__":
    main()
