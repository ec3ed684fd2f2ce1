"""The SIREN and modulated SIREN ensembles' batched forward (forward_stacked) against the members run one by one."""
from __future__ import annotations

import pytest
import torch

from geoinr.nn import ModulatedSiren, Siren
from geoinr.nn.ensemble import Ensemble


def _members(init):
    torch.manual_seed(0)
    return [Siren(4, 2, width=16, depth=3, w0=20.0, init=init, time_features=1) for _ in range(3)]


@pytest.mark.parametrize("init", ["siren", "tuner"])
@pytest.mark.parametrize("low", [False, True])
def test_stacked_forward_and_gradients_match_each_member(init, low):
    members = _members(init)
    ens = Ensemble(members)
    with torch.no_grad():  # push some hidden weights past TUNER's bound: the clamp must act as in the members
        for p in ens.stacked:
            p.mul_(3.0)
    x = torch.randn(64, 4)
    nets = ens.unstack()
    calls, batched = [], ens._base.forward_stacked
    ens._base.forward_stacked = lambda params, inp: calls.append(1) or batched(params, inp)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=low):
        got = ens(x)
    assert calls, "the batched path was not taken"  # TUNER's first-layer weight is a buffer: it must be passed too
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=low):
        want = torch.stack([net(x) for net in nets])
    assert got.shape == (3, 64, 2) and got.dtype == torch.float32
    if low:  # bfloat16 products round differently in a batched product: as far from float32 as the members are
        exact = torch.stack([net(x) for net in nets])

        def rms(a):
            return float(a.square().mean().sqrt())

        assert rms(got - exact) <= 1.5 * rms(want - exact) + 1e-4
        return
    _assert_same_outputs_and_gradients(ens, nets, got, want)


def _assert_same_outputs_and_gradients(ens, nets, got, want):
    """The ensemble's outputs ``got`` and its stacked weights' gradients equal those of the members run alone."""
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    got.square().sum().backward()
    want.square().sum().backward()
    for name, stacked in zip(ens.param_names, ens.stacked):
        per_member = torch.stack([dict(net.named_parameters())[name].grad for net in nets])
        torch.testing.assert_close(stacked.grad, per_member, rtol=1e-4, atol=1e-5)


def test_an_ensemble_pickled_before_use_stacked_existed_still_runs():
    import pickle

    ens = Ensemble(_members("siren"))
    ens.__dict__.pop("use_stacked", None)  # as an object pickled before the attribute: only the class has it
    again = pickle.loads(pickle.dumps(ens))
    assert again.use_stacked and again(torch.zeros(3, 4)).shape == (3, 3, 2)


def test_stacked_forward_is_differentiable_in_its_inputs_by_forward_mode():
    """derive(..., return_std=True) differentiates the members by torch.func.jvp through this path."""
    from torch.func import jvp

    ens = Ensemble(_members("siren"))
    nets = ens.unstack()
    x, e = torch.randn(8, 4), torch.zeros(8, 4)
    e[:, 0] = 1.0
    _, got = jvp(ens, (x,), (e,))
    for i, net in enumerate(nets):
        _, want = jvp(net, (x,), (e,))
        torch.testing.assert_close(got[i], want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("options", [{}, {"modulation": "shift"}, {"init": "tuner", "period": 2.0},
                                     {"depth": 4, "mod_depth": 1}])
def test_modulated_siren_members_take_the_batched_path_with_their_own_function(options):
    torch.manual_seed(0)
    members = [ModulatedSiren(5, 2, time_features=2, width=16, **options) for _ in range(3)]
    ens = Ensemble(members)
    with torch.no_grad():  # a modulation that is not zero (it starts at zero), hidden weights past TUNER's bound
        for name, p in zip(ens.param_names, ens.stacked):
            p.add_(0.3 * torch.randn_like(p)) if name.startswith("mod.") else p.mul_(3.0)
    nets = ens.unstack()
    calls, batched = [], ens._base.forward_stacked
    ens._base.forward_stacked = lambda params, inp: calls.append(1) or batched(params, inp)
    x = torch.rand(40, 5)
    got = ens(x)
    assert calls, "the batched path was not taken"
    _assert_same_outputs_and_gradients(ens, nets, got, torch.stack([net(x) for net in nets]))


def test_a_subclass_of_a_stacked_network_runs_by_vmap():
    """A subclass may change forward: forward_stacked would no longer be its function."""

    class Doubled(Siren):
        def forward(self, x):
            return 2.0 * super().forward(x)

    torch.manual_seed(0)
    ens = Ensemble([Doubled(3, 1, width=8, depth=2) for _ in range(2)])
    x = torch.rand(6, 3)
    torch.testing.assert_close(ens(x), torch.stack([net(x) for net in ens.unstack()]))
