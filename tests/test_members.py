"""Further networks in the time early stopping leaves (geoinr.model.members): the field becomes their mean."""
import dataclasses

import numpy as np
import pytest
import torch

import geoinr
from geoinr.encoding import CoordinateEncoding
from geoinr.model import members as fill
from geoinr.model import network_choice
from geoinr.training import TrainResult


def _noisy_tracks(days=3, noise=0.05):
    tracks = geoinr.datasets.synthetic_tracks(days=days, seed=0)
    return tracks.assign(sla=tracks.sla + noise * np.random.default_rng(0).standard_normal(tracks.sla.size))


def _result(seconds, stopped="early_stopping"):
    return TrainResult(history=[], best_val=0.1, stopped=stopped, seconds=seconds, steps=10)


@pytest.fixture(scope="module")
def fitted():
    """A tiny fitted model to call fill_budget on, with a fake training function."""
    return geoinr.INRModel(width=8, depth=1, epochs=1, max_time=None, progress=False).fit(_noisy_tracks(), variables="sla")


def _fake_train(times, seeds):
    """Training that takes the given seconds in turn and marks each network by a constant weight."""
    calls = iter(times)

    def train(model, prep, cfg, device):
        seeds.append(cfg.seed)
        with torch.no_grad():
            for p in model.field_.network.parameters():
                p.fill_(float(len(seeds)))
        return None, _result(next(calls))

    return train


def _fill(model, first_seconds, times, budget=60.0):
    prep = type("Prep", (), {"stream": None})()
    cfg = dataclasses.replace(geoinr.training.TrainConfig(), max_time=budget, epochs=None, seed=0)
    seeds = []
    model.members_ = 1
    _, result = fill.fill_budget(model, prep, cfg, torch.device("cpu"), "trainer", _result(first_seconds),
                                 _fake_train(times, seeds))
    return result, seeds


def test_a_network_is_added_only_while_the_time_left_is_a_share_of_the_first_ones(fitted, monkeypatch):
    monkeypatch.setattr(fill, "FILL_SHARE", 1.0)
    model = fitted
    result, seeds = _fill(model, 20.0, [15.0, 10.0, 30.0])
    # 40 s left >= 20: a second network (15 s); 25 s left >= 20: a third (10 s); 15 s left < 20: stop
    assert seeds == [100, 200] and model.members_ == 3
    assert [f["seconds"] for f in model.fill_members_["fits"]] == [20.0, 15.0, 10.0]
    assert result.seconds == pytest.approx(45.0)
    net = model.field_.network
    assert type(net).__name__ == "Ensemble" and net.n_members == 3
    first = dict(zip(net.param_names, net.stacked))
    for name, stacked in first.items():  # the first network's weights kept, the later ones after it
        assert torch.all(stacked[1] == 1.0) and torch.all(stacked[2] == 2.0)


def _one_network(model):
    """``model`` with a single freshly built network again (the tests above leave a mean of networks)."""
    model.members_ = 1
    model._build(CoordinateEncoding(**model.encoding_config_), len(model.variables_))
    return model


def test_the_share_sets_how_short_a_further_network_may_be(fitted, monkeypatch):
    # 40 s left: a second network (25 s); 15 s left: less than the first's 20 s, at least half of it
    monkeypatch.setattr(fill, "FILL_SHARE", 1.0)
    assert _fill(_one_network(fitted), 20.0, [25.0, 8.0])[1] == [100]
    monkeypatch.setattr(fill, "FILL_SHARE", 0.5)
    result, seeds = _fill(_one_network(fitted), 20.0, [25.0, 8.0])
    assert seeds == [100, 200] and fitted.members_ == 3 and result.seconds == pytest.approx(53.0)


def test_by_default_three_tenths_of_the_first_networks_time_afford_another(fitted):
    # the first network took 44 s of 60: 16 s left, 0.36 of it (half would have left one network); then 6 s left
    # of the next (10 s), less than 0.3 x 44 = 13.2: stop
    assert fill.FILL_SHARE == pytest.approx(0.3)
    result, seeds = _fill(_one_network(fitted), 44.0, [10.0, 5.0])
    assert seeds == [100] and fitted.members_ == 2 and result.seconds == pytest.approx(54.0)
    assert not fill.time_for_another(44.0, 16.0, share=0.5)


def test_no_network_is_added_after_a_fit_that_used_its_budget(fitted):
    result, seeds = _fill(fitted, 20.0, [], budget=20.5)
    assert seeds == [] and fitted.members_ == 1 and fitted.fill_members_ is None
    model = fitted
    model.members_ = 1
    prep = type("Prep", (), {"stream": None})()
    cfg = dataclasses.replace(geoinr.training.TrainConfig(), max_time=60.0, epochs=None, seed=0)
    _, _ = fill.fill_budget(model, prep, cfg, torch.device("cpu"), None, _result(20.0, "budget"), _fake_train([], []))
    assert model.fill_members_ is None and model.members_ == 1


def test_only_plain_time_budgeted_fits_add_networks():
    prep = type("Prep", (), {"stream": None})()
    cfg = dataclasses.replace(geoinr.training.TrainConfig(), max_time=60.0, epochs=None)
    assert fill.fills_budget(geoinr.INRModel(), prep, cfg)
    for kw in ({"n_members": 2}, {"uncertainty": "ensemble"}, {"physics": "qg"}, {"mass_constraint": "streamfunction"}):
        assert not fill.fills_budget(geoinr.INRModel(**kw), prep, cfg), kw
    assert not fill.fills_budget(geoinr.INRModel(), prep, dataclasses.replace(cfg, epochs=100))
    assert not fill.fills_budget(geoinr.INRModel(), type("Prep", (), {"stream": object()})(), cfg)


@pytest.fixture
def one_network_at_first(monkeypatch):
    """No networks trained together (a tiny network affords them), so that the first one stops early alone."""

    monkeypatch.setattr(network_choice, "MEMBER_EPOCHS", float("inf"))


def test_a_fit_that_stops_early_averages_networks_and_round_trips(tmp_path, one_network_at_first):
    """End to end: noisy tracks and patience 1 stop a tiny network after a few seconds of its 60 s (a high learning
    rate brings the plateau within a few hundred steps on any machine; at the default rate and a 20 s budget a review
    saw it run to the budget on this machine's slow small steps)."""
    tracks = _noisy_tracks()
    model = tracks.inr.fit("sla", width=8, depth=1, max_time=60.0, patience=1, lr=1e-2, progress=False)
    assert model.stop_reason_ == "early_stopping"
    fits = model.fill_members_["fits"]
    assert model.members_ == len(fits) > 1 and len(fits) <= fill.MAX_FILL_MEMBERS
    assert "mean of" in repr(model) and "time early stopping left" in repr(model)
    x = tracks.isel(time=slice(0, 40))
    pred = model.predict(x)
    net = model.field_.network
    a, b = (dict(zip(net.param_names, net.stacked))[net.param_names[0]][i] for i in (0, 1))
    assert not torch.equal(a, b)  # other starts, other held-out passes
    path = tmp_path / "filled.geoinr"
    model.save(path)
    again = geoinr.load(path)
    assert again.members_ == model.members_ and again.fill_members_ == model.fill_members_
    np.testing.assert_array_equal(again.predict(x).values, pred.values)


def test_a_checkpointed_fit_keeps_one_network(tmp_path):
    # neither networks trained together (a resumed run would time anew) nor further ones
    model = _noisy_tracks().inr.fit("sla", width=16, depth=1, max_time=30.0, patience=1, lr=1e-2, progress=False,
                                    checkpoint=tmp_path / "ckpt.pt")
    assert model.members_ == 1 and model.fill_members_ is None


# ------------------------------------------------------------------ networks trained together where the budget affords them
def test_only_plain_time_budgeted_fits_of_scattered_points_share_the_budget():
    scattered, grid = type("Obs", (), {"gridded": False})(), type("Obs", (), {"gridded": True})()

    def shares(obs=scattered, streamed=False, **kw):
        model = geoinr.INRModel(**{"max_time": 60.0, **kw})
        model.optimizer_ = kw.get("optimizer", "adam")
        return network_choice.shares_budget(model, obs, streamed)

    assert shares() and shares(physics="qg")  # physics_weight="auto": its data-only candidate is the default's
    assert not shares(grid) and not shares(streamed=True) and not shares(optimizer="lbfgs")
    for kw in ({"n_members": 1}, {"uncertainty": "ensemble"}, {"physics": "qg", "physics_weight": 0.1},
               {"mass_constraint": "streamfunction"},
               {"epochs": 100}, {"max_time": None, "epochs": 100}):
        assert not shares(**kw), kw


def test_scattered_points_are_fitted_by_networks_trained_together_where_the_budget_affords_them(monkeypatch, tmp_path):
    tracks = _noisy_tracks(days=2)
    timed, afforded = network_choice._affordable_epochs, []
    fixed = 2.0 * network_choice.SCATTERED_MEMBERS * network_choice.MEMBER_EPOCHS

    def affords(*args):
        # the pass is timed as the fit times it (finite and positive), but the choice is made on a fixed count: a
        # tiny network on a few thousand points affords about 3 x 1000 epochs in 5 s, and a busy CI machine had it
        # at 2,945 (the timing's scaling is tested below, on a fixed pass time)
        assert 0 < timed(*args) < float("inf")
        afforded.append(fixed)
        return afforded[-1]

    monkeypatch.setattr(network_choice, "_affordable_epochs", affords)
    model = tracks.inr.fit("sla", width=8, depth=1, max_time=3.0, progress=False, seed=0)
    assert afforded, "the number of networks was not weighed against the budget"
    assert model.members_ == network_choice.SCATTERED_MEMBERS and model.field_.network.n_members == model.members_
    assert model.fill_members_ is None and f"mean of {model.members_} networks" in repr(model)
    path = tmp_path / "shared.geoinr"
    model.save(path)
    x = tracks.isel(time=slice(0, 30))
    np.testing.assert_array_equal(geoinr.load(path).predict(x).values, model.predict(x).values)
    # where one network affords fewer epochs it is one network (patience: no early stop, no further network)
    monkeypatch.setattr(network_choice, "MEMBER_EPOCHS", afforded[-1])
    assert tracks.inr.fit("sla", width=8, depth=1, max_time=3.0, progress=False, seed=0,
                          patience=10**6).members_ == 1
    # an epoch budget, or n_members given, is obeyed as it is
    assert tracks.inr.fit("sla", width=8, depth=1, epochs=2, max_time=None, progress=False).members_ == 1
    assert tracks.inr.fit("sla", width=8, depth=1, max_time=2.0, n_members=2, progress=False).members_ == 2


def test_the_affordable_epochs_come_from_a_timed_pass_scaled_to_the_points_trained_on(monkeypatch):
    # a pass over the timed batch takes 0.01 s, the points are twice the batch, a tenth is held out
    monkeypatch.setattr(network_choice, "_pass_seconds", lambda model, table, device, n, passes, bf16=False: (0.01, 2.0))
    model = geoinr.INRModel(max_time=60.0)
    model.validation_ = 0.1
    assert network_choice._affordable_epochs(model, None, torch.device("cpu")) == pytest.approx(60.0 / (0.01 * 2.0 * 0.9))


def test_the_number_of_networks_is_timed_in_the_precision_the_fit_trains_in(monkeypatch):
    """bfloat16 affords more epochs where it is faster: the member rule counts them, from the passes the precision
    choice timed (each precision timed once)."""

    tracks = _noisy_tracks(days=2)
    timed, budget = [], 1.0

    def interleaved_passes(model, table, device, n, passes, precisions):
        out = {}
        for precision in precisions:
            bf16 = precision == "bfloat16"
            timed.append((bf16, getattr(model.field_.network, "n_members", 1)))
            # float32 affords 2,000 epochs of the budget, bfloat16 twice as many
            out[precision] = budget / (2000 * (2 if bf16 else 1)) / (1.0 - model.validation_), 1.0
        return out

    monkeypatch.setattr(network_choice, "_interleaved_passes", interleaved_passes)
    kw = dict(width=8, depth=1, max_time=budget, progress=False, seed=0, patience=10**6)
    model = tracks.inr.fit("sla", **kw)
    assert model.precision_ == "bfloat16" and model.members_ == network_choice.SCATTERED_MEMBERS
    assert sorted(timed) == [(False, 1), (True, 1)]  # one network, each precision once
    timed.clear()
    model = tracks.inr.fit("sla", precision="float32", **kw)
    assert model.precision_ == "float32" and model.members_ == 1 and timed == [(False, 1)]
    timed.clear()
    model = tracks.inr.fit("sla", precision="bfloat16", **kw)
    assert model.precision_ == "bfloat16" and model.members_ == network_choice.SCATTERED_MEMBERS and timed == [(True, 1)]


def test_a_further_network_with_non_finite_weights_is_dropped(fitted, monkeypatch):
    """A network that ended by its budget with NaN weights would make the mean of networks NaN."""
    monkeypatch.setattr(fill, "FILL_SHARE", 1.0)
    model = _one_network(fitted)
    seeds = []
    ok = _fake_train([15.0, 10.0], seeds)

    def train(model, prep, cfg, device):
        out = ok(model, prep, cfg, device)
        if len(seeds) == 2:  # the third network's weights blew up behind a finite loss
            with torch.no_grad():
                next(model.field_.network.parameters()).fill_(float("nan"))
        return out

    prep = type("Prep", (), {"stream": None})()
    cfg = dataclasses.replace(geoinr.training.TrainConfig(), max_time=60.0, epochs=None, seed=0)
    fill.fill_budget(model, prep, cfg, torch.device("cpu"), "trainer", _result(20.0), train)
    assert seeds == [100, 200] and model.members_ == 2  # the first and second networks, not the NaN one
    assert all(torch.isfinite(p).all() for p in model.field_.network.parameters())


def test_l1_pruning_keeps_one_network(monkeypatch):
    """Networks trained together skip a single network's l1 shrinkage: never chosen with it, refused if asked."""

    tracks = _noisy_tracks(days=2)
    monkeypatch.setattr(network_choice, "MEMBER_EPOCHS", 1.0)  # any budget affords networks trained together
    pruned = dict(width=8, depth=1, max_time=2.0, progress=False, seed=0, patience=10**6, model_options={"l1": 1e-3})
    assert tracks.inr.fit("sla", **{**pruned, "model_options": None}).members_ == network_choice.SCATTERED_MEMBERS
    assert tracks.inr.fit("sla", **pruned).members_ == 1
    for asked in ({"n_members": 2}, {"uncertainty": "ensemble"}):
        with pytest.raises(ValueError, match="l1=0.001 prunes the first layer of one network"):
            tracks.inr.fit("sla", **pruned, **asked)
