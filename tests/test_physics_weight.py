"""physics_weight="auto": a data-only network and one with the residual on the same held-out points as a data-only
fit's; the residual's network joins the map where its error on those of the record's interior is no worse."""
import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import geoinr
from geoinr.model import fitting
from geoinr.model import network_choice
from geoinr.model import physics_weight as pw
from geoinr.model.field import Field
from geoinr.model.physics_weight import RESIDUAL_SHARE
from geoinr.training import TrainResult

SMALL = dict(width=32, depth=2, epochs=30, max_time=None, batch_size=512, lr=1e-3, progress=False, seed=0,
             n_collocation=64)


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=6, seed=0)


@pytest.fixture(scope="module")
def chosen(tracks):
    """A default physics fit, with every candidate run recorded (weight, budget, held-out points, final weights)."""
    runs = []
    real = fitting.train

    def spy(model, prep, cfg, device, **kw):
        init = {k: v.clone() for k, v in model.field_.state_dict().items()}
        trainer, result = real(model, prep, cfg, device, **kw)
        runs.append({"weight": model.physics_weight_, "cfg": cfg, "val_idx": trainer.val_idx.clone(),
                     "net": copy.deepcopy(model.field_),
                     "result": result, "state": {k: v.clone() for k, v in model.field_.state_dict().items()},
                     "held_out": prep.held_out, "init": init, "trainer": trainer,
                     "time": prep.x[:, 2].double().numpy().copy()})
        return trainer, result

    fitting.train = spy
    try:
        fitted = tracks.inr.fit("sla", physics="qg", **SMALL)
    finally:
        fitting.train = real
    return fitted, runs


def test_auto_fits_a_data_only_network_then_one_with_the_residual_on_the_same_held_out_points(chosen, tracks):
    fitted, runs = chosen
    assert len(runs) == 2 and [r["weight"] for r in runs] == list(pw.CANDIDATE_WEIGHTS)
    assert all(r["held_out"] == "blocks" for r in runs)  # a data-only fit's held-out space-time blocks
    assert torch.equal(runs[0]["val_idx"], runs[1]["val_idx"]) and runs[0]["val_idx"].numel() > 0
    # the data-only network holds out what the data-only default holds out: it is the default's first network,
    # so a fit with no time left for the residual maps what the data-only default maps
    plain = []
    real = fitting.train

    def spy(model, prep, cfg, device, **kw):
        trainer, result = real(model, prep, cfg, device, **kw)
        plain.append(trainer.val_idx.clone())
        return trainer, result

    fitting.train = spy
    try:
        tracks.inr.fit("sla", **{**SMALL, "epochs": 2})
    finally:
        fitting.train = real
    assert torch.equal(plain[0], runs[0]["val_idx"])
    first = max(1, round(SMALL["epochs"] * pw.FIRST_SHARE))
    assert [r["cfg"].epochs for r in runs] == [first, max(1, round(SMALL["epochs"] * (1 - pw.FIRST_SHARE)))]
    assert {r["cfg"].seed for r in runs} == {SMALL["seed"]}
    assert [r["cfg"].label for r in runs] == ["fitting, physics weight 0", "fitting, physics weight 0.1"]
    # each network is fitted as a data-only fit is: its own schedule, then the held-out passes join it
    assert all(r["cfg"].schedule == (0.0, 1.0) and r["cfg"].refit_share == fitting.REFIT_SHARE for r in runs)
    assert all(r["result"].joined_step is not None for r in runs)
    # both start from the same weights
    assert all(torch.equal(runs[0]["init"][k], runs[1]["init"][k]) for k in runs[0]["init"])
    # the residual ran in the second network only
    assert np.isnan([h["physics_loss"] for h in runs[0]["result"].history]).all()
    assert np.isfinite([h["physics_loss"] for h in runs[1]["result"].history]).all()


def test_under_a_time_budget_the_residual_gets_the_time_the_first_network_left(tracks):
    budgets = []
    real = fitting.train

    def spy(model, prep, cfg, device, **kw):
        trainer, result = real(model, prep, cfg, device, **kw)
        budgets.append((cfg.max_time, result.seconds))
        return trainer, result

    fitting.train = spy
    try:
        fitted = tracks.inr.fit("sla", physics="qg", **{**SMALL, "epochs": None, "max_time": 3.0})
    finally:
        fitting.train = real
    (first, took), *rest = budgets  # then, maybe, the residual's network and further ones in the time left
    # the data-only network: the whole budget left after reading the data (max_time bounds the whole fit), as a
    # data-only fit's first
    assert 1.5 < first <= 3.0
    if "no network with the residual" in fitted.physics_choice_["note"]:  # data-only networks may still follow
        assert first - took < RESIDUAL_SHARE * took
    else:
        assert first - took >= RESIDUAL_SHARE * took and rest[0][0] == pytest.approx(min(took, first - took))
    assert fitted.fit_seconds_ == pytest.approx(sum(b[1] for b in budgets))


@pytest.mark.parametrize("took, budgets", [
    (40.0, [60.0, 20.0]),  # a third of the budget left, half the first network's time: the residual's network
    # a quarter of the first network's time left: no residual's network (it needs half), nor a further data-only one
    (48.0, [60.0]),  # (members.FILL_SHARE, three tenths): the data-only map
])
def test_the_residual_needs_half_the_first_networks_time_left(monkeypatch, took, budgets):
    _scores(monkeypatch, {"data-only": 0.5, "mean": 0.3, "residual": 0.4})
    model, prep, _ = _choosing_model()
    seen = []

    def train(model, prep, cfg, device, **kw):
        seen.append(cfg.max_time)
        trainer = SimpleNamespace(n_val=10, xv=torch.zeros(10, 3))
        return trainer, TrainResult([{"epoch": 1.0}], 0.1, "early_stopping", took, 1)

    cfg = fitting.TrainConfig(epochs=None, max_time=60.0, seed=0)
    _, result = pw.fit_choosing_weight(model, prep, cfg, torch.device("cpu"), train)
    assert seen == pytest.approx(budgets)
    if len(budgets) == 1:
        assert model.physics_weight_ == 0.0 and model.members_ == 1 and model.physics_choice_["members"] == [0.0]
        assert "no network with the residual" in model.physics_choice_["note"]
        assert [c["physics_weight"] for c in model.physics_choice_["candidates"]] == [0.0]
    else:
        assert model.physics_choice_["members"] == [0.0, 0.1]
    assert result.seconds == took * len(budgets)


def test_on_a_large_record_the_data_only_network_leaves_time_for_the_residuals(monkeypatch):
    _scores(monkeypatch, {"data-only": 0.5, "mean": 0.3, "residual": 0.4})
    model, prep, _ = _choosing_model()
    seen = []

    def train(model, prep, cfg, device, **kw):  # every network runs to its budget
        seen.append(cfg.max_time)
        trainer = SimpleNamespace(n_val=10, xv=torch.zeros(10, 3))
        return trainer, TrainResult([{"epoch": 1.0}], 0.1, "budget", cfg.max_time, 1)

    cfg = fitting.TrainConfig(epochs=None, max_time=300.0, seed=0)
    pw.fit_choosing_weight(model, prep, cfg, torch.device("cpu"), train, first_cap=pw.FIRST_CAP)
    first = 300.0 * pw.FIRST_CAP
    assert seen == pytest.approx([first, 300.0 - first])  # capped, then the residual's network in the rest
    assert 300.0 - first >= RESIDUAL_SHARE * first and model.physics_choice_["members"] == [0.0, 0.1]
    seen.clear()
    model, prep, _ = _choosing_model()  # the first call left a mean of two networks in field_
    pw.fit_choosing_weight(model, prep, cfg, torch.device("cpu"), train)  # no cap: the whole budget, nothing after
    assert seen == pytest.approx([300.0]) and model.physics_choice_["members"] == [0.0]


def test_fit_field_caps_the_first_network_from_the_large_record_size_on(monkeypatch):
    caps = []
    monkeypatch.setattr(fitting, "fit_choosing_weight", lambda *a, first_cap=None: caps.append(first_cap))
    monkeypatch.setattr(fitting, "resolve_physics_weight", lambda *a: True)
    monkeypatch.setattr(fitting, "model_physics_loss", lambda *a: None)
    model = geoinr.INRModel(physics="qg")
    for n in (network_choice.WIDE_RECORD_POINTS - 1, network_choice.WIDE_RECORD_POINTS):
        model.n_points_ = n
        fitting.fit_field(model, None, None, torch.device("cpu"))
    assert caps == [None, pw.FIRST_CAP]


def test_the_choice_counts_the_held_out_points_of_the_record_interior_only(chosen):
    """Held-out points near either end of the record do not count in the choice: there the map extrapolates in time."""
    fitted, runs = chosen
    t = runs[0]["time"]
    held = t[runs[0]["val_idx"].numpy()]
    margin = pw.EDGE_SHARE * np.ptp(t)
    inside = (held >= t.min() + margin) & (held <= t.max() - margin)
    assert 0 < inside.sum() < held.size  # this record holds out blocks at its ends too
    assert fitted.physics_choice_["scored_points"] == inside.sum()
    assert fitted.physics_choice_["held_out_points"] == held.size
    # the data-only map's score: its network before the held-out points joined it, on the interior ones only
    trainer, net = runs[0]["trainer"], runs[0]["net"]
    net.load_state_dict(trainer.held_out_best)
    with torch.no_grad():
        err = ((net(trainer.xv).float() - trainer.yv) ** 2)[torch.from_numpy(inside)]
    assert fitted.physics_choice_["held_out_loss"]["data-only"] == pytest.approx(float(err.mean()), rel=1e-4)


def test_auto_maps_what_predicts_the_held_out_passes_best(chosen):
    fitted, runs = chosen
    record = fitted.physics_choice_
    scores = record["held_out_loss"]
    assert set(scores) == {"data-only", "mean", "residual"}
    # each network is scored with its weights from before the held-out points joined it, on those of the interior
    assert scores["data-only"] != pytest.approx(runs[0]["result"].best_val, rel=1e-4)  # (not all held-out points)
    chosen_map = min(scores, key=scores.get)
    members = {"data-only": [0.0], "mean": [0.0, 0.1], "residual": [0.1]}[chosen_map]
    assert record["members"] == members and fitted.members_ == len(members)
    assert fitted.physics_weight_ == members[-1] == record["physics_weight"]
    state = fitted.field_.state_dict()
    used = [runs[pw.CANDIDATE_WEIGHTS.index(w)] for w in members]
    if len(used) > 1:  # a mean: the networks stacked
        names = fitted.field_.network.param_names
        for i, run in enumerate(used):
            assert all(torch.equal(state[f"network.stacked.{j}"][i], run["state"][f"network.{name}"])
                       for j, name in enumerate(names))
    else:  # the network's final weights: the held-out passes joined its training
        assert all(torch.equal(state[k], used[0]["state"][k]) for k in state)
    assert record["held_out"] == "blocks" and record["held_out_points"] == runs[0]["val_idx"].numel()
    assert [c["val_loss"] for c in record["candidates"]] == pytest.approx([r["result"].best_val for r in runs])
    assert len(fitted.history) == len(used[-1]["result"].history)
    assert fitted.fit_seconds_ == pytest.approx(sum(r["result"].seconds for r in runs))
    assert "held-out blocks" in repr(fitted)


def _fake_train(vals, stopped=None):
    """A training run that only reports the held-out loss given for each weight."""
    stopped = stopped or {}
    trainer = SimpleNamespace(n_val=10, xv=torch.zeros(10, 3))

    def train(model, prep, cfg, device, **kw):
        w = model.physics_weight_
        with torch.no_grad():
            for p in model.field_.parameters():
                p.fill_(w)  # each network leaves its mark on its weights
        return trainer, TrainResult([{"epoch": 1.0}], vals[w], stopped.get(w, "budget"), 1.0, 1)

    return train


def _scores(monkeypatch, scores):
    """The held-out loss of each candidate map, as given."""
    monkeypatch.setattr(pw, "held_out_scores", lambda runs, maps, inside=None: {k: scores[k] for k in maps})


def _choosing_model(**kw):
    model = geoinr.INRModel(physics="qg", **SMALL, **kw)
    model.physics_ = "qg"  # the terms in force (the fit sets them)
    model.field_ = Field(torch.nn.Identity(), torch.nn.Linear(2, 1))
    model.validation_ = 0.1
    prep = fitting.Prepared(x=torch.zeros(100, 3), y=torch.zeros(100, 1), w=None, held_out="passes")
    return model, prep, fitting.TrainConfig(epochs=10, max_time=None, seed=None)


@pytest.mark.parametrize("scores, stopped, members", [
    ((0.5, 0.3, 0.4), None, [0.0, 0.1]),  # the mean predicts the held-out passes best
    ((0.5, 0.4, 0.3), None, [0.1]),  # the residual's network alone
    ((0.3, 0.4, 0.5), None, [0.0]),  # the data-only network alone
    ((0.4, 0.4, 0.4), None, [0.0]),  # a tie goes to the data-only network
    ((0.5, 0.1, 0.1), {0.1: "diverged"}, [0.0]),  # a diverged network is never kept
    ((0.1, 0.3, 0.5), {0.0: "diverged"}, [0.1]),  # whichever it is: the residual's network alone, no failure
])
def test_choice_rule(monkeypatch, scores, stopped, members):
    _scores(monkeypatch, dict(zip(["data-only", "mean", "residual"], scores)))
    model, prep, cfg = _choosing_model()
    vals = {0.0: 0.5, 0.1: 0.4}
    _, result = pw.fit_choosing_weight(model, prep, cfg, torch.device("cpu"), _fake_train(vals, stopped))
    assert model.physics_weight_ == members[-1] and model.physics_choice_["members"] == members
    assert model.members_ == len(members)
    weights = torch.cat([p.detach().flatten() for p in model.field_.network.parameters()])
    assert sorted(torch.unique(weights).tolist()) == pytest.approx(members)  # each network's mark
    assert result.seconds == 2.0  # both networks count
    assert [c["physics_weight"] for c in model.physics_choice_["candidates"]] == [0.0, 0.1]


@pytest.mark.parametrize("scores, calls, members", [
    # the mean is best: further networks with the residual join it
    ((0.5, 0.3, 0.4), [(0.0, 60.0, 0), (0.1, 10.0, 0), (0.1, 40.0, 200), (0.1, 30.0, 300)], [0.0, 0.1, 0.1, 0.1]),
    # the data-only network is best: the residual's is dropped, further networks are data-only
    ((0.3, 0.4, 0.5), [(0.0, 60.0, 0), (0.1, 10.0, 0), (0.0, 40.0, 100), (0.0, 30.0, 200), (0.0, 20.0, 300)],
     [0.0, 0.0, 0.0, 0.0]),
])
def test_the_time_left_goes_to_further_networks_with_the_weight_kept(tracks, monkeypatch, scores, calls, members):
    _scores(monkeypatch, dict(zip(["data-only", "mean", "residual"], scores)))
    model = tracks.inr.fit("sla", physics="qg", physics_weight=0.1, **{**SMALL, "epochs": 1, "width": 8, "depth": 1})
    model.validation_ = 0.1
    prep = fitting.Prepared(x=torch.zeros(100, 3), y=torch.zeros(100, 1), w=None, held_out="passes")
    cfg = fitting.TrainConfig(epochs=None, max_time=60.0, seed=0)
    seen = []

    def train(model, prep, cfg, device, **kw):  # every network stops early after 10 s
        seen.append((model.physics_weight_, cfg.max_time, cfg.seed))
        trainer = SimpleNamespace(n_val=10, xv=torch.zeros(10, 3))
        return trainer, TrainResult([{"epoch": 1.0}], 0.1, "early_stopping", 10.0, 1)

    _, result = pw.fit_choosing_weight(model, prep, cfg, torch.device("cpu"), train)
    # the first network: the whole budget; the residual's: as long as the first took
    assert seen == [pytest.approx(c) for c in calls]
    assert model.physics_choice_["members"] == members and model.members_ == len(members)
    assert len(model.fill_members_["fits"]) == len(members) and result.seconds == 10.0 * len(calls)


def test_where_no_mean_can_be_taken_it_is_not_a_candidate(monkeypatch):
    _scores(monkeypatch, {"data-only": 0.5, "mean": 0.1, "residual": 0.4})
    model, prep, cfg = _choosing_model(mass_constraint="streamfunction")
    pw.fit_choosing_weight(model, prep, cfg, torch.device("cpu"), _fake_train({0.0: 0.5, 0.1: 0.4}))
    assert model.physics_weight_ == 0.1 and model.members_ == 1 and model.physics_choice_["members"] == [0.1]
    assert float(model.field_.network.weight.detach().flatten()[0]) == pytest.approx(0.1)


def test_ctrl_c_in_the_first_network_keeps_it_and_fits_no_more(monkeypatch):
    _scores(monkeypatch, {"data-only": 0.5, "mean": 0.1, "residual": 0.1})
    model, prep, cfg = _choosing_model()
    cfg = fitting.TrainConfig(epochs=10, max_time=None, seed=0)
    train = _fake_train({0.0: 0.5, 0.1: 0.4}, {0.0: "interrupted"})
    _, result = pw.fit_choosing_weight(model, prep, cfg, torch.device("cpu"), train)
    assert result.stopped == "interrupted" and result.seconds == 1.0
    assert model.physics_weight_ == 0.0 and len(model.physics_choice_["candidates"]) == 1


def test_a_number_is_used_as_given_and_zero_turns_the_residual_off(tracks):
    fitted = tracks.inr.fit("sla", physics="qg", physics_weight=0.3, **{**SMALL, "epochs": 4})
    assert fitted.physics_weight_ == 0.3 and fitted.physics_choice_ is None
    assert np.isfinite(fitted.history.physics_loss).all()
    off = tracks.inr.fit("sla", physics="qg", physics_weight=0.0, **{**SMALL, "epochs": 4})
    assert off.physics_weight_ == 0.0 and off.history.physics_loss.isna().all()
    plain = tracks.inr.fit("sla", **{**SMALL, "epochs": 4})
    assert plain.physics_weight_ is None and plain.physics_choice_ is None


@pytest.mark.parametrize("how, why", [
    ({"validation": 0.0}, "nothing is held out"),
    ({"checkpoint": True}, "a checkpoint holds one training run"),
])
def test_without_held_out_data_auto_is_the_fixed_weight_and_says_why(tracks, tmp_path, how, why):
    kw = dict(how)
    if kw.pop("checkpoint", False):
        kw["checkpoint"] = tmp_path / "run.ckpt"
    fitted = tracks.inr.fit("sla", physics="qg", **{**SMALL, "epochs": 4}, **kw)
    assert fitted.physics_weight_ == pw.PHYSICS_WEIGHT
    assert fitted.physics_choice_["candidates"] == [] and why in fitted.physics_choice_["note"]
    assert np.isfinite(fitted.history.physics_loss).all()
    assert why in repr(fitted)


def test_too_few_groups_in_the_interior_give_no_choice():
    model = geoinr.INRModel(physics="qg")
    model.physics_, model.validation_ = "qg", 0.1  # as the fit sets them
    groups = torch.tensor([-1] * 50 + [0] * 20 + [1] * 20 + [2] * 10)  # three passes in the interior
    prep = fitting.Prepared(x=torch.zeros(100, 3), y=torch.zeros(100, 1), w=None, choice_groups=groups,
                            held_out="passes")
    assert not pw.resolve_physics_weight(model, prep)
    assert model.physics_weight_ == pw.PHYSICS_WEIGHT and "fewer than 5 passes" in model.physics_choice_["note"]
    prep.choice_groups = torch.arange(100) % 7  # seven: the choice is made
    assert pw.resolve_physics_weight(model, prep)


def test_with_a_calibrated_uncertainty_the_runs_hold_out_passes_that_join_after(tracks):
    """uncertainty="bayes_last_layer" holds out whole passes, which join each run for its last part as in a
    data-only fit; the calibration scores them with the kept network's weights from before they joined."""
    runs = []
    real = fitting.train

    def spy(model, prep, cfg, device, **kw):
        trainer, result = real(model, prep, cfg, device, **kw)
        runs.append((cfg, prep.held_out, trainer.val_idx.numel()))
        return trainer, result

    fitting.train = spy
    try:
        fitted = tracks.inr.fit("sla", physics="qg", uncertainty="bayes_last_layer", **SMALL)
    finally:
        fitting.train = real
    cfg, held_out, n_val = runs[-1]
    assert len(runs) == 2 and all(c.refit_share == fitting.REFIT_SHARE for c, _, _ in runs)
    assert cfg.validation == fitted.validation_ > 0 and held_out == "passes" and n_val > 0
    assert fitted.calibration_ is not None and len(fitted.physics_choice_["candidates"]) == 2
    assert fitted.calibration_["on"] == "validation passes, before they joined the training"
    assert fitted.members_ == 1  # a calibrated spread is one network's: never a mean


def test_the_choice_is_saved_and_old_files_take_the_parameter(chosen, tmp_path):
    fitted, _ = chosen
    path = tmp_path / "m.geoinr"
    fitted.save(path)
    back = geoinr.load(path)
    assert back.physics_weight_ == fitted.physics_weight_
    assert back.physics_choice_ == fitted.physics_choice_
    from geoinr.model.state import _physics_weight

    assert _physics_weight({"physics": "qg", "physics_weight": 0.1}, {}) == 0.1  # a file from before the choice
    assert _physics_weight({"physics": None, "physics_weight": 0.1}, {}) is None


def test_a_mean_with_the_residuals_network_predicts_derives_saves_and_loads(tracks, tmp_path, monkeypatch):
    """Where the mean predicts the held-out passes best, the map is a mean of two networks, like ``n_members``."""
    _scores(monkeypatch, {"data-only": 0.5, "mean": 0.1, "residual": 0.4})
    fitted = tracks.inr.fit("sla", physics="qg", **{**SMALL, "epochs": 6})
    assert fitted.members_ == 2 and fitted.physics_weight_ == pw.PHYSICS_WEIGHT
    assert "the mean of 2 networks, 1 with the residual" in repr(fitted)
    grid = fitted.target_grid(resolution=1.0, times=[tracks.time.values[len(tracks.time) // 2]])
    maps = fitted.predict(grid)
    currents = fitted.derive("geostrophic_velocity", grid)
    assert np.isfinite(maps).all() and all(np.isfinite(currents[v]).all() for v in currents.data_vars)
    fitted.save(tmp_path / "m.geoinr")
    back = geoinr.load(tmp_path / "m.geoinr")
    assert back.members_ == 2 and back.physics_choice_ == fitted.physics_choice_
    np.testing.assert_allclose(back.predict(grid), maps, rtol=1e-6, atol=1e-7)


def test_bad_weights_are_refused():
    with pytest.raises(ValueError, match="physics_weight must be a finite number >= 0 or 'auto'"):
        geoinr.INRModel(physics="qg", physics_weight="best").fit({"lon": [0.0], "lat": [0.0]}, [1.0])



def test_a_run_can_take_up_the_learning_rate_schedule_where_another_left_it():
    """TrainConfig(schedule=(0.5, 1)): no warm-up; the cosine decay from its middle to its end."""
    from geoinr.training import TrainConfig, Trainer

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(200, 3, generator=g), torch.randn(200, 1, generator=g)
    lrs = {}
    for schedule in [(0.0, 1.0), (0.5, 1.0)]:
        cfg = TrainConfig(epochs=8, max_time=None, batch_size=50, lr=1e-2, validation=0.0, progress=False,
                          min_eval_steps=1, eval_every=1, schedule=schedule)
        lrs[schedule] = [h["lr"] for h in Trainer(torch.nn.Linear(3, 1), x, y, None, cfg, torch.device("cpu")).run().history]
    whole, second_half = lrs[(0.0, 1.0)], lrs[(0.5, 1.0)]
    assert max(whole) > 0.9e-2 and 0.45e-2 < max(second_half) < 0.55e-2
    assert second_half == sorted(second_half, reverse=True)  # decays from the first step: no warm-up
    assert second_half[-1] < 0.025e-2 and whole[-1] < 0.025e-2  # both end near the schedule's end (2 % of lr)
    with pytest.raises(ValueError, match="schedule must be"):
        TrainConfig(schedule=(0.6, 0.5)).validate()


def test_without_a_held_out_point_in_the_interior_no_residual_is_weighed(monkeypatch):
    """Held-out points only at the record's ends (where the map extrapolates in time) cannot choose: data-only."""
    _scores(monkeypatch, {"data-only": 0.5, "mean": 0.3, "residual": 0.4})
    model, prep, cfg = _choosing_model()
    prep.x = torch.zeros(100, 3)
    prep.x[:, 2] = torch.linspace(0.0, 10.0, 100)  # a ten-day record
    seen = []

    def train(model, prep, cfg, device, **kw):
        seen.append(model.physics_weight_)
        held = torch.zeros(10, 3)  # every held-out point on the first day
        return SimpleNamespace(n_val=10, xv=held), TrainResult([{"epoch": 1.0}], 0.1, "early_stopping", 1.0, 1)

    pw.fit_choosing_weight(model, prep, cfg, torch.device("cpu"), train)
    assert seen == [0.0] and model.physics_choice_["members"] == [0.0]
    assert "none of the held-out points lies in the record's interior" in model.physics_choice_["note"]
