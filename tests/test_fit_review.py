"""What a review of how a fit chooses its scales, held-out points and networks found (2026-12-05, fourth session)."""
import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr.coords import find_coords, points_from_xarray
from geoinr.model import network_choice
from geoinr.model.held_out import satellite_passes

TINY = dict(width=8, depth=1, epochs=2, max_time=None, progress=False, seed=0)


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=4, seed=0)


def test_a_refit_chooses_anew(tracks):
    """A refit with other settings starts from nothing learned: the first fit's members_ and precision_ go."""
    model = geoinr.INRModel(**TINY).fit(tracks, "sla")
    assert model.members_ == 1
    model.set_params(uncertainty="ensemble", n_members=None).fit(tracks, "sla")  # refused before: "n_members >= 2"
    assert model.members_ == 5
    model = geoinr.INRModel(precision="bfloat16", **TINY).fit(tracks, "sla")
    model.set_params(precision="float32").fit(tracks, "sla")
    assert model.precision_ == "float32"


def test_a_resume_takes_the_optimizer_and_networks_its_checkpoint_was_written_with(monkeypatch, tmp_path):
    grid = geoinr.datasets.synthetic_grid(resolution=1.0, days=3)
    path = tmp_path / "ck.geoinr"
    kw = dict(width=8, depth=1, max_time=1.5, progress=False)
    monkeypatch.setattr(network_choice, "_affordable_evaluations", lambda model, table, device: 1e6)  # a fast machine
    first = geoinr.INRModel(**kw).fit(grid, "sla", checkpoint=path, checkpoint_every=0.0)
    assert (first.optimizer_, first.members_) == ("lbfgs", 4)
    monkeypatch.setattr(network_choice, "_affordable_evaluations", lambda model, table, device: 100.0)  # busier now
    assert (geoinr.INRModel(**kw).fit(grid, "sla").optimizer_) == "adam"  # a new fit would choose otherwise
    resumed = geoinr.INRModel(**kw).fit(grid, "sla", resume=path)  # refused before: "differs in: ['shapes']"
    assert (resumed.optimizer_, resumed.members_) == ("lbfgs", 4)


def test_a_resume_takes_the_precision_its_checkpoint_was_written_with(monkeypatch, tmp_path):
    """precision="auto" is timed: a resume on a machine where bfloat16 is no longer faster keeps the first run's."""
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    path = tmp_path / "ck.geoinr"
    kw = dict(width=8, depth=1, max_time=1.5, progress=False, n_members=1)
    monkeypatch.setattr(network_choice, "_precision_seconds", lambda *a: {"float32": 1.0, "bfloat16": 0.5})
    first = geoinr.INRModel(**kw).fit(tracks, "sla", checkpoint=path, checkpoint_every=0.0)
    assert first.precision_ == "bfloat16"
    monkeypatch.setattr(network_choice, "_precision_seconds", lambda *a: {"float32": 1.0, "bfloat16": 0.9})
    assert geoinr.INRModel(**kw).fit(tracks, "sla").precision_ == "float32"  # a new fit would choose otherwise
    assert geoinr.INRModel(**kw).fit(tracks, "sla", resume=path).precision_ == "bfloat16"


def test_a_checkpoint_without_a_recorded_precision_still_resumes(monkeypatch, tmp_path):
    """Checkpoints written before the run record held the precision: compared without it, the precision chosen anew."""
    from geoinr.model import fitting

    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    path = tmp_path / "ck.geoinr"
    kw = dict(width=8, depth=1, max_time=1.5, progress=False, n_members=1, precision="float32")
    written = fitting.prepare_in_memory

    def older(*a, **k):  # the run record of a checkpoint from before: no precision among the choices
        prep = written(*a, **k)
        prep.run_id["choices"].pop("precision")
        return prep

    monkeypatch.setattr(fitting, "prepare_in_memory", older)
    geoinr.INRModel(**kw).fit(tracks, "sla", checkpoint=path, checkpoint_every=0.0)
    monkeypatch.setattr(fitting, "prepare_in_memory", written)
    assert geoinr.INRModel(**kw).fit(tracks, "sla", resume=path).precision_ == "float32"


def test_missions_sampled_at_other_rates_keep_their_passes_whole():
    """1 Hz missions beside a 5 Hz one: each pass is linked at its own satellite's interval, not the record's."""
    a = geoinr.datasets.synthetic_tracks(days=6, seed=0, satellites=("jason3", "sentinel3a"))
    b = geoinr.datasets.synthetic_tracks(days=6, seed=1, satellites=("saral",), sampling=0.2)
    ds = xr.concat([a, b], dim="time").sortby("time")
    table, _ = points_from_xarray(ds, ["sla"], find_coords(ds))
    passes = satellite_passes(table.coordinates())
    sat = ds.satellite.values
    for name in ("jason3", "sentinel3a", "saral"):
        sizes = np.unique(passes[sat == name], return_counts=True)[1]
        # before: every 1 Hz point was a pass of its own (767 and 711 "passes" of one point)
        assert sizes.size <= 10 and sizes.min() >= 20


def test_a_search_with_a_given_w0_is_refused(tracks):
    with pytest.raises(ValueError, match="w0 fixes the first layer's frequency"):
        geoinr.INRModel(min_wavelength="search", w0=10.0, **TINY).fit(tracks, "sla")


def test_the_fit_after_a_search_gets_the_time_the_search_left(tracks, monkeypatch):
    from geoinr.model import scale_search

    model = geoinr.INRModel(min_wavelength="search", **{**TINY, "epochs": None, "max_time": 6.0})
    real = scale_search._held_out_errors

    def slow(*args, **kw):  # each brief fit overruns its share of the budget (set-up, a slow machine)
        import time

        time.sleep(0.8)
        return real(*args, **kw)

    monkeypatch.setattr(scale_search, "_held_out_errors", slow)
    model.fit(tracks, "sla")
    record = model.scale_search_
    assert record["budget_share"] == pytest.approx(min(record["seconds"] / 6.0, scale_search.MAX_SHARE), rel=0.05)
    assert record["budget_share"] > scale_search.SEARCH_SHARE


def test_a_checkpoint_from_before_the_choices_were_recorded_resumes(tmp_path):
    """Checkpoints written before run records held "choices" (2026-12-05) still resume."""
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    tracks = geoinr.datasets.synthetic_tracks(days=12, seed=0)
    path = str(tmp_path / "fit.ckpt")
    kw = dict(width=8, depth=1, epochs=12, batch_size=256, max_time=None, progress=False, seed=0)
    geoinr.INRModel(**kw).fit(tracks, "sla", checkpoint=path, checkpoint_every=0.0)
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    state = json.loads(meta["state"])
    assert state["extra"].pop("choices")  # as an earlier version wrote it
    meta.pop("sha256")  # nor a checksum
    save_file(load_file(path), path, {**meta, "state": json.dumps(state)})
    resumed = geoinr.INRModel(**kw).fit(tracks, "sla", resume=path)  # refused before: differs in the run record
    assert resumed.history_["epoch"].max() == 12


def test_a_fit_too_brief_for_a_check_still_leaves_its_checkpoint(tmp_path):
    """Checkpoints were written only at validation checks, so a brief (or busy) fit could end with no file at its
    ``checkpoint=`` path; the state it ended in is written too, and resuming it maps what the fit mapped."""
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    path = tmp_path / "ck.geoinr"
    kw = dict(width=8, depth=1, epochs=2, max_time=None, progress=False, n_members=1)
    first = geoinr.INRModel(**kw).fit(tracks, "sla", checkpoint=path, checkpoint_every=1e9)  # no check writes one
    assert path.exists()
    resumed = geoinr.INRModel(**kw).fit(tracks, "sla", resume=path)
    grid = first.target_grid(1.0)
    np.testing.assert_allclose(resumed.predict(grid).values, first.predict(grid).values, rtol=1e-6, atol=1e-7)
