"""The estimators' losses, with their gradients in closed form.

Each function returns the mean loss of a batch and its gradient with respect
to the network's output, for modules that back-propagate by hand
(:meth:`~sklearn_spectral.nn.SpectralMLP.loss_and_backward`): on small
batches, differentiating the loss with autograd cost about as much as the
loss itself. ``sample_weight`` (or ``None``) weights each row's loss, the
batch loss being ``mean(sample_weight * loss_i)``.
"""

import torch
from torch.nn import functional as F


def binary_logistic(logits, target, sample_weight=None):
    """Logistic loss of one logit per row; ``target`` in {0, 1} (float).

    Gradient: ``w (sigmoid(z) - t) / n``.
    """
    z = logits.squeeze(1)
    loss = F.binary_cross_entropy_with_logits(z, target, weight=sample_weight)
    grad = torch.sigmoid(z).sub_(target)
    if sample_weight is not None:
        grad.mul_(sample_weight)
    return loss, grad.div_(z.shape[0]).unsqueeze(1)


def multilabel_logistic(logits, target, sample_weight=None):
    """Logistic loss of every label, summed over the labels of a row (as
    ``MLPClassifier``'s multilabel loss); ``target`` a 0/1 float matrix.

    Gradient: ``w (sigmoid(z) - t) / n``.
    """
    per_row = F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(
        dim=1
    )
    grad = torch.sigmoid(logits).sub_(target)
    if sample_weight is None:
        loss = per_row.mean()
    else:
        loss = (per_row * sample_weight).mean()
        grad.mul_(sample_weight.unsqueeze(1))
    return loss, grad.div_(logits.shape[0])


def softmax_cross_entropy(logits, target, sample_weight=None):
    """Softmax cross-entropy; ``target`` holds class indices (int64).

    Gradient: ``w (softmax(z) - onehot(t)) / n``.
    """
    n = logits.shape[0]
    log_proba = torch.log_softmax(logits, dim=1)
    per_row = F.nll_loss(log_proba, target, reduction="none")
    grad = log_proba.exp_()
    grad[torch.arange(n, device=logits.device), target] -= 1
    if sample_weight is None:
        loss = per_row.mean()
    else:
        loss = (per_row * sample_weight).mean()
        grad.mul_(sample_weight.unsqueeze(1))
    return loss, grad.div_(n)


def half_squared_error(output, target, sample_weight=None):
    """Half the squared error, averaged over rows and outputs.

    Gradient: ``w (y_hat - y) / (n * n_outputs)``.
    """
    diff = output - target
    if sample_weight is None:
        loss = 0.5 * diff.square().mean()
    else:
        loss = 0.5 * (diff.square().mean(dim=1) * sample_weight).mean()
        diff = diff * sample_weight.unsqueeze(1)
    return loss, diff.div_(diff.numel())
