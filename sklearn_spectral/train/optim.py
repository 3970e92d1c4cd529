"""Adam for the trainer, as ``torch.optim.Adam`` computes it, at a lower cost.

Two costs of ``torch.optim.Adam`` are not arithmetic, and on the small
networks and batches of tabular data they are a large share of a training
step (``benchmarks/bench_scale.py`` measures them):

- constructing the first ``torch.optim`` optimizer of a process imports
  ``torch._dynamo`` (its methods are wrapped to disable the compiler), which
  every fresh process pays in its first ``fit``;
- each ``step()`` runs hooks, a profiler record and the grouping of the
  state around the update, even with ``fused=True``.

:class:`Adam` keeps ``torch.optim``'s state layout (``param_groups`` with
``lr``, ``betas``, ``eps``; ``state[param]`` with ``step``, ``exp_avg``,
``exp_avg_sq``) and ``state_dict`` format, so the code that moves a grown
parameter's moments or reads the second moments works with either.
"""

import math

import torch

_FUSED = getattr(torch.ops.aten, "_fused_adam_", None)


class Adam:
    """Adam (Kingma and Ba, 2015) without weight decay or AMSGrad.

    The update of ``torch.optim.Adam`` with its default options: for every
    parameter with a gradient ``g`` at step ``t``,
    ``m <- beta1 m + (1 - beta1) g``, ``v <- beta2 v + (1 - beta2) g^2`` and
    ``p <- p - lr / (1 - beta1^t) * m / (sqrt(v / (1 - beta2^t)) + eps)``.
    It runs torch's fused kernel where torch has one for the parameters'
    device and dtype, else the same update with ``torch._foreach`` operations.

    Parameters
    ----------
    params : iterable of torch.Tensor
        The parameters to train.
    lr : float, default=1e-3
        Step size.
    betas : tuple of float, default=(0.9, 0.999)
        Decay rates of the first and second moments.
    eps : float, default=1e-8
        Added to the denominator.

    Attributes
    ----------
    param_groups : list of dict
        One group: ``params``, ``lr``, ``betas``, ``eps``.
    state : dict
        Per parameter (after its first step): ``step`` (a float32 tensor),
        ``exp_avg`` and ``exp_avg_sq``.

    Examples
    --------
    >>> import torch
    >>> p = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    >>> opt = Adam([p], lr=0.1)
    >>> p.grad = torch.tensor([0.5, -0.5])
    >>> opt.step()
    >>> p.detach()
    tensor([ 0.9000, -1.9000])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.defaults = {"lr": lr, "betas": tuple(betas), "eps": eps}
        self.param_groups = [{"params": list(params), **self.defaults}]
        self.state = {}

    def zero_grad(self, set_to_none=True):
        """Forget the gradients (set them to None; else to zero)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    @torch.no_grad()
    def step(self):
        """One Adam step on every parameter that has a gradient."""
        for group in self.param_groups:
            params, grads, avgs, avg_sqs, steps = [], [], [], [], []
            new = []
            for p in group["params"]:
                state = self.state.get(p)
                if p.grad is None:
                    if state:  # its count stays: a counter of its own
                        state["step"] = state["step"].clone()
                    continue
                if not state:
                    new.append(p)
                    continue
                params.append(p)
                grads.append(p.grad)
                avgs.append(state["exp_avg"])
                avg_sqs.append(state["exp_avg_sq"])
                steps.append(state["step"])
            if new:
                # Parameters that start together share one step counter (one
                # increment per step for all of them, not one per tensor).
                step = torch.zeros((), dtype=torch.float32, device=new[0].device)
                for p in new:
                    state = self.state[p] = {
                        "step": step,
                        "exp_avg": torch.zeros_like(p),
                        "exp_avg_sq": torch.zeros_like(p),
                    }
                    params.append(p)
                    grads.append(p.grad)
                    avgs.append(state["exp_avg"])
                    avg_sqs.append(state["exp_avg_sq"])
                    steps.append(step)
            if params:
                _adam_update(params, grads, avgs, avg_sqs, steps, group)

    def state_dict(self):
        """The state in ``torch.optim``'s format (parameters by index; every
        parameter with a step counter of its own)."""
        index = {}
        groups = []
        for group in self.param_groups:
            ids = [index.setdefault(id(p), len(index)) for p in group["params"]]
            hyper = {k: v for k, v in group.items() if k != "params"}
            groups.append({**hyper, "params": ids})
        state = {
            index[id(p)]: {**values, "step": values["step"].clone()}
            for p, values in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Take the state of :meth:`state_dict` (or of ``torch.optim.Adam``)
        for the same parameters, in the same order.

        Raises
        ------
        ValueError
            If the groups or their numbers of parameters differ.
        """
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
            len(g["params"]) != len(own["params"])
            for g, own in zip(groups, self.param_groups, strict=True)
        ):
            raise ValueError(
                "The loaded state dict has other parameter groups than the optimizer."
            )
        by_index = {}
        for saved, own in zip(groups, self.param_groups, strict=True):
            for i, p in zip(saved["params"], own["params"], strict=True):
                by_index[i] = p
            for key in ("lr", "betas", "eps"):
                if key in saved:
                    own[key] = saved[key]
        self.state = {}
        counters = {}  # equal step counts share one counter again
        for i, values in state_dict["state"].items():
            p = by_index[i]
            state = {
                key: value.to(device=p.device, dtype=p.dtype)
                for key, value in values.items()
                if key != "step"
            }
            count = float(values["step"])
            key = (count, p.device)
            if key not in counters:
                counters[key] = torch.tensor(
                    count, dtype=torch.float32, device=p.device
                )
            state["step"] = counters[key]
            self.state[p] = state


def _adam_update(params, grads, avgs, avg_sqs, steps, group):
    lr, eps = group["lr"], group["eps"]
    beta1, beta2 = group["betas"]
    unique = {id(s): s for s in steps}
    if len(unique) == 1:
        steps[0].add_(1.0)
    else:
        torch._foreach_add_(list(unique.values()), 1.0)
    first = params[0]
    if (
        _FUSED is not None
        and first.device.type in ("cpu", "cuda")
        and first.is_floating_point()
    ):
        try:
            _FUSED(
                params,
                grads,
                avgs,
                avg_sqs,
                [],
                steps,
                lr=lr,
                beta1=beta1,
                beta2=beta2,
                weight_decay=0.0,
                eps=eps,
                amsgrad=False,
                maximize=False,
            )
            return
        except RuntimeError:  # mixed devices or dtypes: checked before any update
            pass
    # The same update in foreach operations (a bias correction per
    # parameter: their step counts may differ after growth).
    torch._foreach_lerp_(avgs, grads, 1 - beta1)
    torch._foreach_mul_(avg_sqs, beta2)
    torch._foreach_addcmul_(avg_sqs, grads, grads, 1 - beta2)
    counts = [float(s) for s in steps]
    denoms = torch._foreach_sqrt(avg_sqs)
    torch._foreach_div_(denoms, [math.sqrt(1 - beta2**t) for t in counts])
    torch._foreach_add_(denoms, eps)
    torch._foreach_addcdiv_(
        params, avgs, denoms, [-lr / (1 - beta1**t) for t in counts]
    )
