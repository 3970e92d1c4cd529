"""Sparse training in reciprocal space (Chicchi, Giambagli, Buffoni,
Carletti, Ciavarella and Fanelli, "Training of sparse and dense deep neural
networks: Fewer parameters, same performance", Phys. Rev. E 104, 054312,
2021).

A :class:`~sklearn_spectral.nn.spectral_layer.SpectralLinear` with a
``mask`` uses ``W * mask``: the masked entries are 0 in the forward pass and
their eigenvector entries get no gradient. The eigenvalues are shared by
whole rows (``lambda_out``) and columns (``lambda_in``) of
``W = phi diag(lambda_in) - diag(lambda_out) phi``, so they keep training on
the unmasked entries and rescale the masked ones too. A *dynamic* mask,
recomputed as the ``density`` largest ``|W|`` of the unmasked weight, can
therefore move: an entry whose row or column eigenvalue grew can enter the
support. A *static* mask stays as it was drawn at the start. In direct space,
a masked weight gets no gradient and never changes, so the support can only
move by unmasked weights shrinking below masked ones (the paper's point:
"masked weights can still be modified" in reciprocal space only).

Where this follows the authors' code (``Example/Layers.py`` of
``github.com/Jamba15/Spectral_parameters_reduction``) and where not: they
zero the entries of ``(lambda_in - lambda_out) * phi`` whose magnitude is
below a percentile of ``|phi|`` taken once at the start (``"static"``: a
fixed *threshold*, so the density drifts) or of the current weight at every
call (``"dynamic"``). Here a mask holds exactly ``density`` of the entries
(the largest magnitudes, ties broken by position), fixed for ``"static"``,
recomputed for ``"dynamic"`` on a schedule the trainer callback sets
(:class:`~sklearn_spectral.train.sparsity.DynamicMasks`).
"""

import math

import torch

__all__ = ["layer_densities", "n_kept", "set_masks_", "top_magnitude_mask"]


def n_kept(numel, density):
    """Entries a mask of ``density`` keeps out of ``numel``: at least one."""
    return max(1, min(numel, math.floor(density * numel + 0.5)))


def top_magnitude_mask(weight, density):
    """Boolean mask of the ``n_kept(weight.numel(), density)`` entries of
    largest magnitude.

    Parameters
    ----------
    weight : torch.Tensor
    density : float in (0, 1]

    Returns
    -------
    torch.Tensor of bool, of ``weight``'s shape

    Examples
    --------
    >>> import torch
    >>> top_magnitude_mask(torch.tensor([[0.1, -3.0], [2.0, 0.5]]), 0.5)
    tensor([[False,  True],
            [ True, False]])
    """
    if not 0 < density <= 1:
        raise ValueError(f"density must be in (0, 1], got {density!r}")
    flat = weight.detach().abs().reshape(-1)
    mask = torch.zeros(flat.shape, dtype=torch.bool, device=flat.device)
    mask[torch.topk(flat, n_kept(flat.numel(), density), sorted=False).indices] = True
    return mask.reshape(weight.shape)


@torch.no_grad()
def set_masks_(module, density):
    """(Re)compute the mask of every spectral layer of ``module`` from its
    unmasked weight: the ``density`` largest ``|W|`` of each layer.

    Parameters
    ----------
    module : SpectralMLP
        Any module whose ``layers`` are
        :class:`~sklearn_spectral.nn.spectral_layer.SpectralLinear`.
    density : float in (0, 1]
        Share of the entries of every layer's ``W`` kept; 1 removes the
        masks (a dense network).

    Returns
    -------
    int
        How many entries entered a support (0 the first time).

    Examples
    --------
    >>> import torch
    >>> from sklearn_spectral.nn import SpectralMLP
    >>> net = SpectralMLP([10, 20, 3], generator=torch.Generator().manual_seed(0))
    >>> set_masks_(net, 0.1)
    0
    >>> layer_densities(net)
    [0.1, 0.1]
    >>> bool((net.layers[0].weight()[~net.layers[0].mask] == 0).all())
    True
    """
    moved = 0
    for layer in module.layers:
        if density >= 1:
            layer.mask = None
            continue
        unmasked = layer.phi * (
            layer.lambda_in.unsqueeze(0) - layer.lambda_out.unsqueeze(1)
        )
        mask = top_magnitude_mask(unmasked, density)
        if layer.mask is not None:
            moved += int((mask & ~layer.mask).sum())
        layer.mask = mask
    return moved


def layer_densities(module):
    """Share of nonzero-allowed entries of every layer's ``W`` (1.0 without a
    mask)."""
    return [
        1.0 if layer.mask is None else int(layer.mask.sum()) / layer.mask.numel()
        for layer in module.layers
    ]
