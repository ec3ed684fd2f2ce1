"""physics_weight="auto": two candidate fits (without and with the residual) on held-out passes, the better kept."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import geoinr
from geoinr.model import fitting
from geoinr.model import physics_weight as pw
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
                     "result": result, "state": {k: v.clone() for k, v in model.field_.state_dict().items()},
                     "held_out": prep.held_out, "init": init,
                     "time": prep.x[:, 2].double().numpy().copy()})
        return trainer, result

    fitting.train = spy
    try:
        fitted = tracks.inr.fit("sla", physics="qg", **SMALL)
    finally:
        fitting.train = real
    return fitted, runs


def test_auto_fits_both_candidates_on_the_same_held_out_passes(chosen):
    fitted, runs = chosen
    candidates = runs[:2]
    assert len(runs) == 3 and [r["weight"] for r in candidates] == list(pw.CANDIDATE_WEIGHTS)
    assert all(r["held_out"] == "passes" for r in candidates)  # along-track data: whole passes held out
    assert torch.equal(candidates[0]["val_idx"], candidates[1]["val_idx"]) and candidates[0]["val_idx"].numel() > 0
    trial = max(1, round(SMALL["epochs"] * pw.CANDIDATE_SHARE))
    rest = max(1, round(SMALL["epochs"] * (1 - 2 * pw.CANDIDATE_SHARE)))
    assert [r["cfg"].epochs for r in runs] == [trial, trial, rest]
    assert {r["cfg"].seed for r in runs} == {SMALL["seed"]}
    assert [r["cfg"].label for r in candidates] == ["candidate, physics weight 0", "candidate, physics weight 0.1"]
    # one learning-rate schedule over what the kept network trains for: the candidates run its first part
    assert [r["cfg"].schedule for r in runs] == [(0.0, pw.SWITCH)] * 2 + [(pw.SWITCH, 1.0)]
    # both candidates start from the same weights; the last run goes on from the kept candidate's
    assert all(torch.equal(candidates[0]["init"][k], candidates[1]["init"][k]) for k in candidates[0]["init"])
    kept = candidates[pw.CANDIDATE_WEIGHTS.index(fitted.physics_weight_)]
    assert all(torch.equal(runs[2]["init"][k], kept["state"][k]) for k in kept["state"])
    # the residual ran in the physics candidate only
    assert np.isnan([h["physics_loss"] for h in candidates[0]["result"].history]).all()
    assert np.isfinite([h["physics_loss"] for h in candidates[1]["result"].history]).all()


def test_held_out_passes_are_from_the_record_interior(chosen):
    """Passes near either end of the record are never held out: there the map extrapolates in time."""
    _, runs = chosen
    t = runs[0]["time"]
    held = t[runs[0]["val_idx"].numpy()]
    margin = pw.EDGE_SHARE * np.ptp(t)
    assert held.min() > t.min() + margin / 2 and held.max() < t.max() - margin / 2


def test_auto_keeps_the_weight_with_the_lower_held_out_error_and_fits_it_on_all_the_data(chosen):
    fitted, runs = chosen
    candidates, final = runs[:2], runs[2]
    vals = [r["result"].best_val for r in candidates]
    best = int(np.argmin(vals))
    assert fitted.physics_weight_ == pw.CANDIDATE_WEIGHTS[best] == final["weight"]
    # the last run trains on all the data: the held-out passes join the map
    assert final["cfg"].validation == 0 and final["val_idx"].numel() == 0
    state = fitted.field_.state_dict()
    assert all(torch.equal(state[k], final["state"][k]) for k in state)
    record = fitted.physics_choice_
    assert record["physics_weight"] == fitted.physics_weight_ and record["held_out"] == "passes"
    assert [c["val_loss"] for c in record["candidates"]] == pytest.approx(vals)
    assert record["held_out_points"] == candidates[0]["val_idx"].numel()
    assert len(fitted.history) == len(final["result"].history)
    assert fitted.fit_seconds_ == pytest.approx(sum(r["result"].seconds for r in runs))
    assert "held-out passes" in repr(fitted)


def _fake_train(vals, stopped=None):
    """A training run that only reports the held-out loss given for each weight."""
    stopped = stopped or {}
    trainer = SimpleNamespace(opt=SimpleNamespace(state_dict=dict), n_val=10)

    def train(model, prep, cfg, device, **kw):
        w = model.physics_weight_
        with torch.no_grad():
            for p in model.field_.parameters():
                p.fill_(w)  # each candidate leaves its mark on the weights
        return trainer, TrainResult([{"epoch": 1.0}], vals[w], stopped.get(w, "budget"), 1.0, 1)

    return train


@pytest.mark.parametrize("vals, stopped, kept", [
    ({0.0: 0.5, 0.1: 0.4}, None, 0.1),  # the residual helped
    ({0.0: 0.4, 0.1: 0.5}, None, 0.0),  # it did not: the data-only fit is kept
    ({0.0: 0.4, 0.1: 0.4}, None, 0.0),  # a tie goes to the data-only fit
    ({0.0: 0.5, 0.1: 0.1}, {0.1: "diverged"}, 0.0),  # a diverged candidate is never kept
])
def test_choice_rule(tracks, vals, stopped, kept):
    model = geoinr.INRModel(physics="qg", **SMALL)
    model.field_ = torch.nn.Linear(2, 1)
    model.validation_ = 0.1
    prep = fitting.Prepared(x=torch.zeros(100, 3), y=torch.zeros(100, 1), w=None, held_out="passes")
    cfg = fitting.TrainConfig(epochs=10, max_time=None, seed=None)
    _, result = pw.fit_choosing_weight(model, prep, cfg, torch.device("cpu"), _fake_train(vals, stopped))
    assert model.physics_weight_ == kept
    assert float(model.field_.weight.detach().flatten()[0]) == pytest.approx(kept)  # the final run's weights
    assert result.seconds == 3.0  # both candidates and the final run count
    assert [c["physics_weight"] for c in model.physics_choice_["candidates"]] == [0.0, 0.1]


def test_ctrl_c_in_a_candidate_keeps_it_and_fits_no_more():
    model = geoinr.INRModel(physics="qg", **SMALL)
    model.field_ = torch.nn.Linear(2, 1)
    model.validation_ = 0.1
    prep = fitting.Prepared(x=torch.zeros(100, 3), y=torch.zeros(100, 1), w=None, held_out="passes")
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
    model.validation_ = 0.1
    groups = torch.tensor([-1] * 50 + [0] * 20 + [1] * 20 + [2] * 10)  # three passes in the interior
    prep = fitting.Prepared(x=torch.zeros(100, 3), y=torch.zeros(100, 1), w=None, choice_groups=groups,
                            choice_held_out="passes")
    assert not pw.resolve_physics_weight(model, prep)
    assert model.physics_weight_ == pw.PHYSICS_WEIGHT and "fewer than 5 passes" in model.physics_choice_["note"]
    prep.choice_groups = torch.arange(100) % 7  # seven: the choice is made
    assert pw.resolve_physics_weight(model, prep)


def test_with_a_calibrated_uncertainty_the_last_run_keeps_its_held_out_passes(tracks):
    """uncertainty="bayes_last_layer" calibrates on the last run's held-out passes: they stay held out."""
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
    assert len(runs) == 3 and cfg.validation == fitted.validation_ > 0 and held_out == "passes" and n_val > 0
    assert fitted.calibration_ is not None and len(fitted.physics_choice_["candidates"]) == 2


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
