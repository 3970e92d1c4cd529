"""Sparse training in reciprocal space as a trainer callback (Chicchi et
al., "Training of sparse and dense deep neural networks: Fewer parameters,
same performance", Phys. Rev. E 104, 054312, 2021)."""

import torch

from ..nn.pruning import prune
from ..nn.sparse import set_masks_
from .callback import Callback


class SparseMasks(Callback):
    """Dynamic masks during training, and the empty nodes cut out after it.

    The estimator draws the first masks when it builds the network. With
    ``dynamic``, every ``every`` optimizer steps each layer's mask becomes
    the ``density`` largest ``|W|`` of its unmasked weight
    (:func:`~sklearn_spectral.nn.sparse.set_masks_`): the eigenvalues, trained
    on the kept entries, rescale whole rows and columns, and the support
    follows them (a static mask is never drawn again).

    At the end of the fit (unless ``compact=False``), the hidden nodes left
    without any kept incoming or outgoing weight are removed physically
    (:func:`~sklearn_spectral.nn.pruning.prune`): without incoming weights a
    node outputs the constant ``sigma(b)``, folded into the next bias;
    without outgoing ones it changes nothing. The predictions are unchanged
    and the network smaller, which is what makes a sparse network predict
    faster here (on a CPU, torch's sparse kernels were slower than dense
    ones at 5 % density: ``benchmarks/bench_sparse.py``).

    Parameters
    ----------
    density : float in (0, 1)
    dynamic : bool
    every : int, default=1
        Optimizer steps between two draws of a dynamic mask.
    compact : bool, default=True

    Attributes
    ----------
    n_moved : int
        Entries that entered a support during the fit.
    n_removed : int
        Hidden nodes removed at the end.
    """

    def __init__(self, density, dynamic, *, every=1, compact=True):
        self.density = density
        self.dynamic = dynamic
        self.every = every
        self.compact = compact
        self.n_moved = 0
        self.n_removed = 0
        self._steps = 0

    def on_step_end(self, trainer):
        if not self.dynamic:
            return
        self._steps += 1
        if self._steps % self.every == 0:
            self.n_moved += set_masks_(trainer.module, self.density)

    def on_fit_end(self, trainer):
        if not self.compact:
            return
        module = trainer.module
        layers = module.layers
        keep = []
        for first, second in zip(layers[:-1], layers[1:], strict=False):
            used = first.mask.any(dim=1) & second.mask.any(dim=0)
            if not bool(used.any()):  # (keep one node: a layer cannot be empty)
                used[0] = True
            keep.append(torch.nonzero(used).flatten())
        self.n_removed = sum(
            n - len(k) for n, k in zip(module.hidden_sizes, keep, strict=True)
        )
        if self.n_removed:
            trainer.module = prune(module, keep)
