"""The hidden-node interface of the package's networks.

Pruning (:mod:`sklearn_spectral.nn.pruning`), the pruner's ``transform``, the
progress bar and the plots need four things of a network's hidden nodes, and
nothing else: their widths, their layer outputs, the weights and eigenvalues
that score them, and a way to cut some out. :class:`HiddenNodes` names these;
:class:`~sklearn_spectral.nn.spectral_layer.SpectralMLP`,
:class:`~sklearn_spectral.nn.growing.GrowingMLP` and
:class:`~sklearn_spectral.nn.global_spectral.GlobalSpectralNetwork` implement
them, so no caller switches on the network's class. The two layer-wise
networks share :class:`LayerStack`.
"""

import torch
from torch import nn

from .activations import ACTIVATIONS

__all__ = ["HiddenNodes", "LayerStack"]


def set_parameter(owner, name, data):
    """Replace parameter ``name`` of ``owner`` by a copy of ``data``.

    The new :class:`~torch.nn.Parameter` keeps the old one's ``requires_grad``.
    """
    old = getattr(owner, name)
    setattr(owner, name, nn.Parameter(data.detach().clone(), old.requires_grad))


class HiddenNodes:
    """What a network exposes of its hidden nodes (a mixin of ``nn.Module``).

    Hidden layer ``k`` is 0-based over the hidden layers only (the input and
    output layers have no removable nodes). Every method works on the
    network's own device and dtype.
    """

    @property
    def hidden_sizes(self):
        """Widths of the hidden layers, a list of int."""
        raise NotImplementedError

    def hidden_outputs(self, x):
        """Post-activation outputs of every hidden layer for the rows ``x``.

        Parameters
        ----------
        x : torch.Tensor of shape (n_samples, n_features)

        Returns
        -------
        list of torch.Tensor
            Entry ``k`` has shape ``(n_samples, hidden_sizes[k])``.
        """
        raise NotImplementedError

    def incoming_weights(self):
        """The weight into each hidden layer, torch layout (width, fan-in).

        Row ``i`` of entry ``k`` holds what node ``i`` of hidden layer ``k``
        receives from the layer before it.
        """
        raise NotImplementedError

    def node_eigenvalues(self):
        """The eigenvalue of every hidden node, or None for a dense network.

        Returns
        -------
        list of torch.Tensor or None
            One vector per hidden layer.
        """
        return None

    def remove_nodes_(self, keep, fold_biases=True):
        """Cut every hidden node not in ``keep`` out of the network, in place.

        Parameters
        ----------
        keep : list of torch.LongTensor
            Sorted, unique, valid indices of the kept nodes of every hidden
            layer (:func:`sklearn_spectral.nn.pruning.prune` checks them).
        fold_biases : bool, default=True
            Add the removed nodes' constant activation at zero input to the
            biases of the layers they feed (see
            :func:`~sklearn_spectral.nn.pruning.prune`).
        """
        raise NotImplementedError


class LayerStack(HiddenNodes):
    """:class:`HiddenNodes` for a stack ``self.layers`` of affine layers.

    Hidden layer ``k`` is the output of ``layers[k]`` after
    ``self.activation``. Subclasses say how to read a layer's weight
    (:meth:`_layer_weight`) and how to keep some of a hidden layer's nodes
    (:meth:`_cut_layer`).
    """

    @staticmethod
    def _layer_weight(layer):
        """The weight of one layer, torch layout (out, in)."""
        raise NotImplementedError

    def _cut_layer(self, k, kept):
        """Keep the nodes ``kept`` of hidden layer ``k``: rows of ``layers[k]``,
        columns of ``layers[k + 1]``."""
        raise NotImplementedError

    @torch.no_grad()
    def _stack_loss_and_backward(
        self, x, weights, loss_and_gradient, alpha, weight_backward
    ):
        """The hand-written training step of the stack, for the subclasses'
        ``loss_and_backward``: the forward pass through the materialized
        ``weights`` (torch layout) and the layers' biases without a graph,
        the loss and its gradient ``g`` with respect to the output from
        ``loss_and_gradient``, then back through the layers. For layer ``k``
        with input ``h`` of ``n`` rows, ``weight_backward(k, dW)`` receives
        ``dW = g^T h + (alpha / n) W`` and sets the gradients of what ``W``
        is built from; ``db = sum(g)``. Returns the detached loss, with
        ``0.5 * alpha * sum ||W||^2 / n``."""
        biases = [layer.bias for layer in self.layers]
        act = ACTIVATIONS[self.activation]
        last = len(weights) - 1
        n = x.shape[0]
        inputs, h = [], x
        for k, (w, bias) in enumerate(zip(weights, biases, strict=True)):
            inputs.append(h)
            h = torch.addmm(bias, h, w.t())
            if k < last:
                h = act(h)
        loss, g = loss_and_gradient(h)
        loss = loss.detach()
        if alpha:
            l2 = sum(torch.dot(v, v) for v in (w.reshape(-1) for w in weights))
            loss = torch.add(loss, l2, alpha=0.5 * alpha / n)
        for k in range(last, -1, -1):
            w = weights[k]
            if alpha:  # g^T h + (alpha / n) W in one call
                d_weight = torch.addmm(w, g.t(), inputs[k], beta=alpha / n)
            else:
                d_weight = g.t() @ inputs[k]
            weight_backward(k, d_weight)
            if biases[k].requires_grad:
                biases[k].grad = g.sum(0)
            if k > 0:
                g = act.backward(inputs[k], g @ w)
        return loss

    @property
    def hidden_sizes(self):
        """Widths of the hidden layers."""
        return [int(layer.bias.shape[0]) for layer in self.layers[:-1]]

    def hidden_outputs(self, x):
        act = ACTIVATIONS[self.activation]
        outputs = []
        for layer in self.layers[:-1]:
            x = act(layer(x))
            outputs.append(x)
        return outputs

    def incoming_weights(self):
        return [self._layer_weight(layer) for layer in self.layers[:-1]]

    @torch.no_grad()
    def remove_nodes_(self, keep, fold_biases=True):
        act = ACTIVATIONS[self.activation]
        for k, kept in enumerate(keep):
            first, second = self.layers[k], self.layers[k + 1]
            kept = kept.to(first.bias.device)
            removed = torch.ones(
                first.bias.shape[0], dtype=torch.bool, device=kept.device
            )
            removed[kept] = False
            if fold_biases and bool(removed.any()):
                # first.bias already holds the folds from earlier layers.
                constant = act(first.bias[removed])
                second.bias.add_(self._layer_weight(second)[:, removed] @ constant)
            self._cut_layer(k, kept)
