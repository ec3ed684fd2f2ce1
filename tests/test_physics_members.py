"""Physics residuals on a mean of networks (``n_members``, ``uncertainty="ensemble"``): each network's own residual."""
import numpy as np
import pytest
import torch

import geoinr
from geoinr.encoding import CoordinateEncoding
from geoinr.model import physics_weight as pw
from geoinr.model.field import Field
from geoinr.nn import Siren
from geoinr.nn.ensemble import Ensemble
from geoinr.physics import losses

QUICK = dict(width=32, depth=2, epochs=8, max_time=None, progress=False, n_collocation=64, seed=0)


def _frame(variables=("sla",), std=(0.1,), mean=(0.0,)):
    return losses.PhysicsFrame(region=(-20.0, 0.0, 30.0, 45.0), time_range=(0.0, 10.0), min_wavelength_km=200.0,
                               variables=list(variables), units=["m"] * len(variables), mean=list(mean),
                               std=list(std))


def _fields(n_out=1, n=3):
    corners = np.array([[-20.0, 30.0, 0.0], [0.0, 45.0, 10.0]])
    enc = CoordinateEncoding.from_points(corners, space="sphere", time="linear", min_wavelength=400.0)
    torch.manual_seed(1)
    nets = [Siren(enc.out_features, n_out, width=16, depth=2, w0=5.0) for _ in range(n)]
    return Field(enc, Ensemble(nets)), [Field(enc, net) for net in nets]


@pytest.mark.parametrize("physics, n_out", [("qg", 1), ("mass", 2), ("smooth", 1), ("smooth", 2)])
def test_the_loss_of_a_mean_of_networks_is_the_mean_of_each_networks_own_loss(physics, n_out):
    """Same points, each member's residual: the value and every member's gradient are those of its own network,
    divided by the number of networks (as the data loss of a mean of networks is the mean of the members')."""
    ensemble, singles = _fields(n_out)
    frame = _frame(("u", "v"), (0.3, 0.3), (0.0, 0.0)) if n_out == 2 else _frame()
    kw = dict(weight=2.0, n_collocation=48, seed=5, device="cpu")
    together = losses.physics_loss(ensemble, physics, frame, **kw)()
    alone = [losses.physics_loss(f, physics, frame, **kw)() for f in singles]
    assert float(together.detach()) > 0
    assert float(together.detach()) == pytest.approx(float(sum(alone).detach() / len(alone)), rel=1e-5)
    together.backward()
    for a in alone:
        a.backward()
    stacked = dict(zip(ensemble.network.param_names, ensemble.network.stacked))
    for i, single in enumerate(singles):
        for name, p in single.network.named_parameters():
            if p.grad is None:  # the residual does not depend on it (the output bias, with the temporal mean out)
                assert stacked[name].grad is None or not stacked[name].grad[i].any(), name
                continue
            assert torch.allclose(stacked[name].grad[i] * len(singles), p.grad, rtol=1e-4, atol=1e-9), name


def test_the_members_are_not_the_mean():
    """The residual of each network is not the residual of the mean: two networks whose mean is zero each
    have a residual, and the ensemble's loss is theirs, not zero."""
    ensemble, singles = _fields(n=2)
    with torch.no_grad():
        for name, p in zip(ensemble.network.param_names, ensemble.network.stacked):
            p[1] = -p[0] if name.startswith("head.") else p[0]  # member 1: member 0's output negated
    raw = losses._collocation(_frame(), 32, 0, "cpu", times_per_site=4)()
    assert torch.allclose(ensemble(raw).mean(0)[:, 0], torch.zeros(len(raw)), atol=1e-6)
    value = losses.physics_loss(ensemble, "qg", _frame(), weight=1.0, n_collocation=32, seed=0, device="cpu")()
    assert float(value) > 0


def test_apply_member_reaches_each_members_weights():
    """``Ensemble.apply_member`` runs a whole function of one member's network; out-of-range members are refused."""
    ensemble, singles = _fields()
    x = torch.randn(7, ensemble.encoding.out_features)
    for i, single in enumerate(singles):
        got = ensemble.network.apply_member(i, lambda net, inp: net.head(net.body(inp)), x)
        assert torch.allclose(got, single.network(x), atol=1e-6)
    with pytest.raises(IndexError, match="member 3 of an ensemble of 3"):
        ensemble.network.apply_member(3, lambda net: net)


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=6, seed=0)


def test_fits_of_several_networks_take_the_residual(tracks):
    """``n_members`` and ``uncertainty="ensemble"`` with ``physics="qg"`` fit (both were refused) and log the
    residual; the ensemble's spread is still predicted."""
    fixed = tracks.inr.fit("sla", physics="qg", physics_weight=1.0, n_members=3, **QUICK)
    assert fixed.members_ == 3 and isinstance(fixed.field_.network, Ensemble)
    logged = fixed.history.physics_loss.dropna()
    assert len(logged) and (logged > 0).all()
    spread = tracks.inr.fit("sla", physics="qg", physics_weight=1.0, uncertainty="ensemble", n_members=2, **QUICK)
    mean, std = spread.predict(tracks.isel(time=slice(0, 40)), return_std=True)
    assert np.isfinite(mean).all() and (std > 0).all()


def test_the_weight_choice_keeps_the_networks_given(tracks):
    """``physics_weight="auto"`` with ``n_members=2``: both candidates are means of two networks, scored as means,
    and the map keeps its two networks (the further-networks step no longer resets them to one)."""
    fitted = tracks.inr.fit("sla", physics="qg", n_members=2, **QUICK)
    assert fitted.members_ == 2 and isinstance(fitted.field_.network, Ensemble)
    assert set(fitted.physics_choice_["held_out_loss"]) == {"data-only", "residual"}  # no mean of two means
    assert all(np.isfinite(v) for v in fitted.physics_choice_["held_out_loss"].values())


def test_held_out_scores_take_the_mean_of_a_mean_of_networks():
    """A candidate that is a mean of networks is scored on its mean, not on its members' stacked outputs."""
    ensemble, _ = _fields()
    x = losses._collocation(_frame(), 30, 0, "cpu", times_per_site=1)()
    y = ensemble(x).mean(0).detach()
    trainer = type("T", (), {"n_val": len(x), "xv": x, "yv": y, "wv": None, "held_out_best": None})()
    scores = pw.held_out_scores([{"field": ensemble, "trainer": trainer}], {"data-only": [0]})
    assert scores["data-only"] == pytest.approx(0.0, abs=1e-10)


def _choice_of_groups(monkeypatch, scores, took):
    """``fit_choosing_weight`` with two candidates that are each three networks trained together (mocked training)."""
    from types import SimpleNamespace

    from geoinr.model import fitting
    from geoinr.training import TrainConfig, TrainResult

    monkeypatch.setattr(pw, "held_out_scores", lambda runs, maps, inside=None: {k: scores[k] for k in maps})
    model = geoinr.INRModel(physics="qg", progress=False, seed=0)
    torch.manual_seed(0)
    model.field_ = Field(torch.nn.Identity(), Ensemble([torch.nn.Linear(3, 1) for _ in range(3)]))
    model.validation_, model.members_, model.physics_ = 0.1, 3, "qg"  # as the fit sets them
    prep = fitting.Prepared(x=torch.zeros(100, 3), y=torch.zeros(100, 1), w=None, held_out="blocks")

    def train(model, prep, cfg, device, **kw):
        trainer = SimpleNamespace(n_val=10, xv=torch.zeros(10, 3))
        return trainer, TrainResult([{"epoch": 1.0}], 0.1, "early_stopping", took, 1)

    pw.fit_choosing_weight(model, prep, TrainConfig(epochs=None, max_time=60.0, seed=0), torch.device("cpu"), train)
    return model


def test_a_mean_of_two_groups_of_networks_counts_each_network_once(monkeypatch):
    """The mean of the data-only and the residual's three networks is six networks, each weighed once."""
    model = _choice_of_groups(monkeypatch, {"data-only": 0.5, "mean": 0.3, "residual": 0.4}, took=30.0)
    assert model.members_ == 6 and model.field_.network.n_members == 6
    assert model.physics_choice_["members"] == [0.0] * 3 + [0.1] * 3
    assert "more network" not in model.physics_choice_["note"]  # none added to networks trained together


def test_a_group_with_no_time_for_the_residual_stays_the_default_networks(monkeypatch):
    """No time to weigh the residual: the map is the data-only default's three networks, and the note says that no
    network followed (it counted the three as two more)."""
    model = _choice_of_groups(monkeypatch, {"data-only": 0.5}, took=60.0)
    assert model.members_ == 3 and model.physics_choice_["members"] == [0.0] * 3
    assert "no network with the residual" in model.physics_choice_["note"]
    assert "more network" not in model.physics_choice_["note"]


def test_average_unstacks_fields_that_are_means_of_networks():
    """``members.average`` of a field of three networks and one of a single network: a mean of four, equal weights."""
    from geoinr.model.members import average

    group, singles = _fields(n=3)
    lone = Field(group.encoding, Siren(group.encoding.out_features, 1, width=16, depth=2, w0=5.0))
    model = geoinr.INRModel()
    average(model, [group, lone])
    raw = losses._collocation(_frame(), 20, 0, "cpu")()
    expected = (sum(f(raw) for f in singles) + lone(raw)) / 4
    assert model.members_ == 4 and torch.allclose(model.field_(raw).mean(0), expected, atol=1e-6)


def test_auto_that_cannot_choose_fits_one_network_as_a_fixed_weight_does(tracks):
    """``physics_weight="auto"`` with nothing held out falls back to the fixed weight: one network, as
    ``physics_weight=0.1`` fits (it kept the three networks trained together that it built for the choice)."""
    fitted = tracks.inr.fit("sla", physics="qg", validation=0.0, max_time=3.0, epochs=None, width=8, depth=1,
                            progress=False, n_collocation=32, seed=0)
    assert "not chosen" in fitted.physics_choice_["note"]
    assert fitted.members_ == 1 and not isinstance(fitted.field_.network, Ensemble)
