"""A review of this session's own diff (2026-12-07, fourth session): each test failed on the diff before its fix.

- ``fill_gaps(mask=)`` masked packed ``_Unsigned`` counts as floats (read signed: the gaps filled at -0.16 for
  0.46), and read and widened every other variable of a lazy file;
- a Ctrl-C checkpoint after a non-finite step (its loss sum NaN) was refused on resume;
- ``physics_weight="auto"``'s second network, given the first one's time, reported the user's ``max_time``;
- a diverging scale-search candidate left the estimator half-fitted;
- ``seed=seed_`` did not repeat a ``seed=None`` fit that searched its scales;
- ``canonical_bytes`` of empty metadata failed.
"""
import math
import warnings

import numpy as np
import pytest
import torch
import xarray as xr

import geoinr
from geoinr.accessor import _inside
from geoinr.model import fitting
from geoinr.persistence.format import canonical_bytes
from geoinr.training import TrainingDiverged

FIT = dict(width=16, depth=1, epochs=3, max_time=None, progress=False, seed=0)
TIMES = np.arange("2020-01-01", "2020-01-04", dtype="datetime64[D]")


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=3, seed=0)


def _coast():
    lat, lon = np.linspace(30, 34, 12), np.linspace(-10, -6, 14)
    field = 0.5 + 0.1 * np.sin(lat[:, None] / 2)[None] + 0.05 * np.cos(lon[None, :])[None] + np.zeros((3, 1, 1))
    sea = xr.DataArray(np.ones((12, 14), bool), dims=("lat", "lon"), coords={"lat": lat, "lon": lon})
    sea[:, :4] = False
    field[:, ~sea.values] = 0.0
    field[1, 5:8, 6:9] = np.nan
    coords = {"time": TIMES, "lat": ("lat", lat, {"units": "degrees_north"}), "lon": ("lon", lon, {"units": "degrees_east"})}
    return field, sea, coords


def test_a_mask_keeps_packed_unsigned_counts_unsigned():
    field, sea, coords = _coast()
    counts = np.round(np.nan_to_num(field, nan=0.0) / 1e-5).astype("int32")
    counts[np.isnan(field)] = 65535
    raw = counts.astype("uint16").view("int16")  # netCDF-3 unsigned shorts, opened with mask_and_scale=False
    packed = xr.Dataset({"sla": (("time", "lat", "lon"), raw, {"scale_factor": 1e-5, "add_offset": 0.0,
                                                               "_FillValue": np.int16(-1), "_Unsigned": "true",
                                                               "units": "m"})}, coords=coords)
    filled = packed.inr.fill_gaps("sla", mask=sea, **FIT)
    gap = float(filled.sla.isel(time=1, lat=slice(5, 8), lon=slice(6, 9)).mean())
    assert 0.3 < gap < 0.7  # the sea level there is 0.46 (read signed, the fit saw negative counts: -0.16)


def test_a_mask_leaves_the_other_variables_of_a_lazy_file_unread(tmp_path):
    field, sea, coords = _coast()
    ds = xr.Dataset({"sla": (("time", "lat", "lon"), field.astype("float32")),
                     "flags": (("time", "depth", "lat", "lon"), np.zeros((3, 20, 12, 14), "int8"))},
                    coords={**coords, "depth": np.arange(20.0)})
    ds.to_netcdf(tmp_path / "f.nc")
    with xr.open_dataset(tmp_path / "f.nc") as lazy:
        fitted_input = _inside(lazy, sea, "sla")
        assert fitted_input.flags.dtype == np.int8 and not fitted_input.flags.variable._in_memory
        assert np.isnan(fitted_input.sla.values[:, ~sea.values]).all()


def test_a_ctrl_c_checkpoint_after_a_non_finite_step_resumes(tracks, tmp_path, monkeypatch):
    from geoinr import training

    original = training.Trainer.train_step

    def step(self, *args):
        if self.step == 51:  # just after a check: a NaN loss enters the sum
            loss = original(self, *args)
            return loss * math.nan
        if self.step >= 53:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(training.Trainer, "train_step", step)
    kw = dict(FIT, epochs=40, batch_size=256, patience=10**6)
    with pytest.warns(UserWarning, match="interrupted"):
        tracks.inr.fit("sla", checkpoint=tmp_path / "run.ckpt", checkpoint_every=0.0, **kw)
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the roll-back's warning)
        assert tracks.inr.fit("sla", resume=tmp_path / "run.ckpt", **kw).is_fitted


def test_the_residual_networks_own_budget_is_not_the_users_max_time():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)  # (the review's case: its second network timed out)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model = tracks.inr.fit("sla", **{**FIT, "epochs": 30, "max_time": 600.0}, physics="qg", n_collocation=4096,
                               physics_every=1)
    assert model.stop_reason_ != "max_time"
    assert not any("ended this fit before epochs" in str(w.message) for w in seen)


def test_a_diverging_search_candidate_leaves_the_estimator_unfitted(tracks, monkeypatch):
    original = fitting.finish

    def finish(model, result, trainer, device):
        original(model, result, trainer, device)
        if hasattr(model, "_record_points"):  # a scale-search candidate diverges
            raise TrainingDiverged("diverged (a candidate)", model=model)

    monkeypatch.setattr(fitting, "finish", finish)
    model = geoinr.INRModel(**FIT, min_wavelength="search")
    with pytest.raises(TrainingDiverged):
        model.fit(tracks, variables="sla")
    assert not model.is_fitted and not [k for k in vars(model) if k.endswith("_") and not k.startswith("_")]


def test_the_drawn_seed_repeats_a_fit_that_searched_its_scales(tracks):
    kw = dict(FIT, epochs=6, min_wavelength="search")
    drawn = tracks.inr.fit("sla", **{**kw, "seed": None})
    again = tracks.inr.fit("sla", **{**kw, "seed": drawn.seed_})
    assert drawn.encoding_config_["min_wavelength"] == again.encoding_config_["min_wavelength"]
    np.testing.assert_array_equal(drawn.predict(tracks).values, again.predict(tracks).values)


def test_canonical_bytes_of_empty_metadata():
    one = canonical_bytes({"w": torch.ones(2)}, {})
    assert one == canonical_bytes({"w": torch.ones(2)}, {}) and len(one) % 8 == 0
