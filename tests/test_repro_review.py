"""A review of reproducibility (2026-12-07, fourth session) and of the OSSE toolkit: each test failed before its fix.

- the same model saved twice made two different files (safetensors wrote its metadata in hash-map order);
- a fit with a physics term resumed from a checkpoint drew its collocation points from the start again;
- ``seed=None`` could not be repeated (the drawn seed was nowhere), its network came from the global generator;
- an ``epochs=`` budget that ``max_time`` ended first said nothing;
- ``synthetic_tracks`` across the dateline given as (170, -170) returned longitudes 170 to 190;
- ``osse.simulate``'s spin-up rounded each quarter (2 days integrated none, 10 days 8).
"""
import hashlib
import types
import warnings

import numpy as np
import pytest
import torch

import geoinr
from geoinr.io import read_safetensors
from geoinr.persistence import write_safetensors_atomic

SMALL = dict(width=16, depth=1, max_time=None, progress=False, patience=10**6)


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=3, seed=0)


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_a_model_saved_twice_or_saved_again_after_loading_makes_the_same_file(tracks, tmp_path):
    model = tracks.inr.fit("sla", epochs=2, seed=0, **SMALL)
    paths = [tmp_path / f"m{i}.geoinr" for i in range(5)]
    for path in paths:
        model.save(path)
    assert len({_digest(p) for p in paths}) == 1
    again = tmp_path / "again.geoinr"
    geoinr.load(paths[0]).save(again)
    assert _digest(again) == _digest(paths[0])
    loaded = geoinr.load(again)  # still an ordinary safetensors file, read by safetensors itself
    np.testing.assert_array_equal(loaded.predict(tracks).values, model.predict(tracks).values)


def _interrupted(monkeypatch, stop_at, at_check=True):
    """Make the next fit raise Ctrl-C at step ``stop_at`` or the first check after it (its checkpoint then holds
    the state there)."""
    from geoinr import training

    original = training.Trainer.train_step

    def step(self, *args):
        if self.step >= stop_at and (self.step % self.eval_every == 0 or not at_check):
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(training.Trainer, "train_step", step)
    return lambda: monkeypatch.setattr(training.Trainer, "train_step", original)


@pytest.mark.parametrize("at_check", [True, False])
def test_a_physics_fit_resumes_to_the_uninterrupted_weights(tracks, tmp_path, monkeypatch, at_check):
    """Stopped at a check (as a killed fit's last checkpoint is) or between two (Ctrl-C: the loss summed since the
    last check is saved too; without it the next check, which picks the best weights, scored other steps)."""
    kw = dict(SMALL, width=64, depth=2, epochs=16, seed=0, physics="smooth", physics_weight=0.3, physics_every=1,
              n_collocation=128, batch_size=256, validation=0.0)
    straight = tracks.inr.fit("sla", **kw)
    ckpt = tmp_path / "run.ckpt"
    restore = _interrupted(monkeypatch, stop_at=53, at_check=at_check)
    with pytest.warns(UserWarning, match="interrupted"):
        tracks.inr.fit("sla", checkpoint=ckpt, checkpoint_every=0.0, **kw)
    restore()
    tensors, _ = read_safetensors(ckpt, "geoinr-checkpoint", 1)
    assert any(k.startswith("collocation.") for k in tensors)
    resumed = tracks.inr.fit("sla", resume=ckpt, **kw)
    for (k, a), (_, b) in zip(resumed.field_.state_dict().items(), straight.field_.state_dict().items()):
        assert torch.equal(a, b), k


def test_every_physics_term_shows_its_collocation_generator_to_the_checkpoint(tracks):
    from geoinr.model.fitting import model_physics_loss

    for physics in ("qg", "smooth", ["qg", "smooth"]):
        model = tracks.inr.fit("sla", epochs=1, seed=0, physics=physics, physics_weight=0.1, n_collocation=64, **SMALL)
        loss = model_physics_loss(model, torch.device("cpu"))
        assert len(loss.generators) == (2 if isinstance(physics, list) else 1)
        before = [g.get_state() for g in loss.generators]
        loss()
        assert all(not torch.equal(a, g.get_state()) for a, g in zip(before, loss.generators))


def test_a_checkpoint_without_collocation_states_still_resumes(tracks, tmp_path, monkeypatch):
    """Checkpoints written before the states were saved resume (their points start their sequence again)."""
    kw = dict(SMALL, epochs=16, seed=0, physics="smooth", physics_weight=0.3, physics_every=1, n_collocation=128,
              batch_size=256, validation=0.0)
    ckpt = tmp_path / "old.ckpt"
    restore = _interrupted(monkeypatch, stop_at=50)
    with pytest.warns(UserWarning, match="interrupted"):
        tracks.inr.fit("sla", checkpoint=ckpt, checkpoint_every=0.0, **kw)
    restore()
    tensors, header = read_safetensors(ckpt, "geoinr-checkpoint", 1)
    write_safetensors_atomic(ckpt, {k: v for k, v in tensors.items() if not k.startswith("collocation.")},
                             {k: v for k, v in header.items() if k != "sha256"})
    assert tracks.inr.fit("sla", resume=ckpt, **kw).is_fitted


def test_a_fit_without_a_seed_records_the_seed_it_drew_and_repeats_with_it(tracks):
    a = tracks.inr.fit("sla", epochs=3, seed=None, **SMALL)
    assert isinstance(a.seed_, int) and a.seed_ >= 0
    b = tracks.inr.fit("sla", epochs=3, seed=a.seed_, **SMALL)
    np.testing.assert_array_equal(a.predict(tracks).values, b.predict(tracks).values)
    assert f"seed=None, drawn {a.seed_}" in a.predict(tracks).attrs["source"]
    assert b.seed_ == a.seed_ and "drawn" not in b.predict(tracks).attrs["source"]
    assert tracks.inr.fit("sla", epochs=3, seed=None, **SMALL).seed_ != a.seed_


def test_the_drawn_seed_is_saved_with_the_model(tracks, tmp_path):
    model = tracks.inr.fit("sla", epochs=1, seed=None, **SMALL)
    model.save(tmp_path / "m.geoinr")
    assert geoinr.load(tmp_path / "m.geoinr").seed_ == model.seed_


def test_an_epochs_budget_that_max_time_ends_first_says_so(tracks):
    with pytest.warns(UserWarning, match=r"max_time=0.3 s ended this fit before epochs=1000000 .*max_time=None"):
        model = tracks.inr.fit("sla", **{**SMALL, "epochs": 10**6, "max_time": 0.3})
    assert model.stop_reason_ == "max_time"
    assert "ended by max_time" in model.predict(tracks).attrs["source"]
    assert "max_time reached before the epochs" in repr(model)


def test_an_epochs_budget_reached_before_max_time_stays_quiet(tracks):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = tracks.inr.fit("sla", **{**SMALL, "epochs": 2, "max_time": 600.0})
    assert model.stop_reason_ == "budget" and "ended by max_time" not in model.predict(tracks).attrs["source"]


@pytest.mark.parametrize("region, lo, hi", [((170, -170, -10, 10), -180, 180), ((170, 190, -10, 10), 170, 190),
                                            ((350, 10, 30, 40), 0, 360), ((-10, 10, 30, 40), -10, 10)])
def test_synthetic_tracks_keep_the_longitude_convention_of_their_region(region, lo, hi):
    tracks = geoinr.datasets.synthetic_tracks(days=1, region=region, seed=0)
    lon = tracks.longitude.values
    assert lo <= lon.min() and lon.max() <= hi
    if region[1] < region[0] and region[1] < 0:  # across the dateline in [-180, 180): both sides, none above 180
        assert (lon < -170).any() and (lon > 170).any()


@pytest.mark.parametrize("spinup, days", [(2, 2), (6, 6), (10, 10), (20, 20)])
def test_the_spin_up_integrates_the_days_asked_for(monkeypatch, spinup, days):
    from geoinr.osse import qg

    ran = []
    model = types.SimpleNamespace(run=ran.append)  # counts the days integrated (ssh_std=None: nothing rescaled)
    qg._spin_up(model, 1e-4, spinup, None, progress=False)
    assert len(ran) == days
