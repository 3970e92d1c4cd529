"""Test settings for the whole tree: tests/ and the package's doctests."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # no display on CI machines

import torch  # noqa: E402

# Tiny matmuls are much slower with two threads than one on small CI machines.
torch.set_num_threads(1)
