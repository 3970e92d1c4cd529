"""The trainer's Adam against torch.optim.Adam."""

import pickle

import pytest
import torch

from sklearn_spectral.train import optim
from sklearn_spectral.train.optim import Adam


def _params(dtype=torch.float64):
    g = torch.Generator().manual_seed(0)
    shapes = [(7, 5), (5,), (3, 7), (1,)]
    return [
        torch.nn.Parameter(torch.randn(s, generator=g, dtype=dtype)) for s in shapes
    ]


def _run(opt, params, n_steps=25, skip=()):
    g = torch.Generator().manual_seed(1)
    for t in range(n_steps):
        for i, p in enumerate(params):
            # a parameter in ``skip`` has no gradient on odd steps
            p.grad = (
                None
                if (i in skip and t % 2)
                else torch.randn(p.shape, generator=g, dtype=p.dtype)
            )
        opt.step()


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_adam_matches_torch_adam(monkeypatch, fused, dtype):
    if not fused:
        monkeypatch.setattr(optim, "_FUSED", None)
    ours, theirs = _params(dtype), _params(dtype)
    kw = dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)
    opts = Adam(ours, **kw), torch.optim.Adam(theirs, **kw)
    for opt, params in zip(opts, (ours, theirs), strict=True):
        _run(opt, params, skip=(1,))
        # a parameter joins later (growth): its own step count
        params.append(torch.nn.Parameter(torch.ones(4, dtype=dtype)))
        opt.param_groups[0]["params"].append(params[-1])
        _run(opt, params, n_steps=5, skip=(1,))
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a.detach(), b.detach(), rtol=tol, atol=tol)


def test_state_dict_round_trip_and_torch_format():
    params = _params()
    opt = Adam(params, lr=0.01)
    _run(opt, params, n_steps=5)
    state = pickle.loads(pickle.dumps(opt.state_dict()))
    assert set(state["state"]) == {0, 1, 2, 3}
    assert state["param_groups"][0]["params"] == [0, 1, 2, 3]
    # continuing from the saved state equals continuing the original
    copies = [torch.nn.Parameter(p.detach().clone()) for p in params]
    resumed = Adam(copies, lr=0.01)
    resumed.load_state_dict(state)
    _run(opt, params, n_steps=3)
    _run(resumed, copies, n_steps=3)
    for a, b in zip(params, copies, strict=True):
        torch.testing.assert_close(a.detach(), b.detach(), rtol=0, atol=0)
    # torch.optim.Adam takes our state, and we take its
    theirs = torch.optim.Adam([torch.nn.Parameter(p.detach().clone()) for p in params])
    theirs.load_state_dict(opt.state_dict())
    Adam(copies).load_state_dict(theirs.state_dict())


def test_load_state_dict_rejects_other_parameters():
    opt = Adam(_params())
    _run(opt, opt.param_groups[0]["params"], n_steps=1)
    with pytest.raises(ValueError, match="other parameter groups"):
        Adam(_params()[:2]).load_state_dict(opt.state_dict())


def test_zero_grad():
    params = _params()
    opt = Adam(params)
    for p in params:
        p.grad = torch.ones_like(p)
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)
