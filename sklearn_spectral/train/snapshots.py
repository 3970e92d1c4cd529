"""The models the trainer keeps: the best and the last finite one, whole
when growth or pruning changed their shapes."""

import copy

import torch


def _clone_state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _shapes(state):
    return [(k, v.shape) for k, v in state.items()]


class KeptModel:
    """A model kept at the end of an epoch: its state, and a copy of the
    module whenever its shapes changed since the last one kept (a state alone
    cannot rebuild a network of other widths, after growth or pruning)."""

    def __init__(self):
        self.state = self.shapes = self.module = None
        self.epoch = 0

    def keep(self, module, epoch):
        state = _clone_state(module)
        shapes = _shapes(state)
        if shapes != self.shapes:
            self.module = copy.deepcopy(module)
            self.shapes = shapes
        self.state, self.epoch = state, epoch

    def restore(self, module):
        """``module`` with the kept state, or the kept copy when the shapes
        differ (then the caller needs a new optimizer)."""
        if _shapes(module.state_dict()) != self.shapes:
            module = self.module
        module.load_state_dict(self.state)
        return module


def copy_module(module, device, dtype=torch.float32):
    """A copy of ``module`` on ``device`` with floating tensors cast to ``dtype``."""
    return copy.deepcopy(module).to(device=device, dtype=dtype)
