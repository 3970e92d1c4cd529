"""Sparse or dense kernels to predict with a sparse layer, on the CPU?

For the layer shapes of ``bench_sparse.py`` (inputs of digits, splice and
MNIST into 256 hidden units), 10^5 rows in float64 (the dtype the fitted
estimators predict in), one thread: the time of ``x @ W.T`` with ``W``
dense (zeros included), as a torch sparse CSR tensor, and as a SciPy CSR
matrix, at 10 %, 5 % and 1 % density; median of 5 repeats. The estimators
predict with dense products on the network left after the hidden nodes
without weights are cut out; this table is why.
"""

import argparse

import numpy as np
import scipy.sparse
import torch
from _report import markdown_table, timed, write_section

ROWS = 100_000
SHAPES = [(64, 256), (287, 256), (784, 256)]
DENSITIES = [0.1, 0.05, 0.01]


def median_seconds(fn, repeats=5):
    fn()  # warm-up
    return float(np.median([timed(fn)[1] for _ in range(repeats)]))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    rows = []
    for n_in, n_out in SHAPES:
        x = torch.randn(ROWS, n_in, generator=gen, dtype=torch.float64)
        xt = x.T.contiguous()
        x_np = x.numpy()
        for density in DENSITIES:
            w = torch.randn(n_out, n_in, generator=gen, dtype=torch.float64)
            w = w * (torch.rand(n_out, n_in, generator=gen) < density)
            csr = w.to_sparse_csr()
            w_sp = scipy.sparse.csr_matrix(w.numpy())
            dense = median_seconds(lambda x=x, w=w: x @ w.T)
            torch_csr = median_seconds(lambda csr=csr, xt=xt: (csr @ xt).T)
            scipy_csr = median_seconds(lambda w_sp=w_sp, x_np=x_np: (w_sp @ x_np.T).T)
            rows.append(
                [
                    f"{n_in} -> {n_out}",
                    f"{density:.0%}",
                    f"{dense:.3f}",
                    f"{torch_csr:.3f} ({dense / torch_csr:.2f}x)",
                    f"{scipy_csr:.3f} ({dense / scipy_csr:.2f}x)",
                ]
            )
            print(rows[-1], flush=True)
    body = (
        f"{ROWS:,} rows, float64, 1 thread; seconds per product (speed-up over "
        "dense in parentheses), median of 5.\n\n"
        + markdown_table(["layer", "density", "dense", "torch CSR", "SciPy CSR"], rows)
    )
    print(body)
    if not args.no_write:
        write_section("sparse_kernels", "Sparse layers: which kernel predicts", body)


if __name__ == "__main__":
    main()
