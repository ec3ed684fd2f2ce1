"""Gaps inside a record (the long-records review of 2026-12-07: a months-long outage was mapped in silence).

A fitted model learns the far parts of its record's gaps (``time_gaps_``), warns when a target's times fall there,
and ``outside="nan"`` masks them (in ``predict``, ``derive``, ``regrid`` and ``fill_gaps``), as it does past the
window's ends. Each test failed before the change.
"""
import json
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import geoinr
from geoinr.observations import GAP_MIN_DAYS, gap_times, time_gaps
from geoinr.persistence import DamagedFileError
from geoinr.persistence.format import CHECKSUM_FIELD, checksum

SMALL = dict(width=8, depth=1, epochs=2, max_time=None, progress=False, seed=0, batch_size=512)
OUTAGE = slice(100, 160)  # days of the year without data: a two-month outage


def _record(days=365, outage=OUTAGE):
    """A daily 1-degree record of a year, with NaN over ``outage``."""
    t = pd.date_range("2010-01-01", periods=days, freq="D")
    lat, lon = np.arange(30.0, 34.0), np.arange(0.0, 4.0)
    tt, yy, xx = np.meshgrid(np.arange(days), lat, lon, indexing="ij")
    da = xr.DataArray(np.sin(xx / 2) + np.cos(yy / 3) + np.sin(tt / 50), dims=("time", "lat", "lon"),
                      coords={"time": t, "lat": lat, "lon": lon}, name="sst", attrs={"units": "K"})
    if outage is not None:
        da[outage] = np.nan
    return da


@pytest.fixture(scope="module")
def gappy():
    return _record().inr.fit(**SMALL)


def _gap_days(model, times) -> np.ndarray:
    days = model.time_axis_.to_days(np.asarray(times))
    return gap_times(model.time_gaps_, days)


def test_the_far_part_of_an_outage_is_a_gap_and_regular_sampling_is_not():
    days = np.r_[np.arange(100), np.arange(160, 365)]
    (start, end), = time_gaps(days, (0.0, 364.0))
    assert 99 < start < 99 + GAP_MIN_DAYS and 160 - GAP_MIN_DAYS < end < 160  # the middle of the outage
    assert time_gaps(np.arange(0, 3650, 30.0), (0.0, 3630.0)) == []  # monthly means: their step is no gap
    assert time_gaps(np.arange(0, 60, 3.0), (0.0, 57.0)) == []  # passes every three days
    assert time_gaps(np.repeat(np.arange(0, 365.0), 1000), (0.0, 364.0)) == []  # a grid's repeats
    assert time_gaps([0.0, 100.0], None) == [] and time_gaps([5.0], (5.0, 5.0)) == []
    # a monthly record missing half a year has one
    months = np.r_[np.arange(0, 1800, 30.0), np.arange(1980, 3600, 30.0)]
    assert len(time_gaps(months, (0.0, 3570.0))) == 1


def test_a_fit_learns_its_record_s_gaps_and_warns_of_targets_inside_them(gappy):
    assert len(gappy.time_gaps_) == 1
    start, end = gappy.time_gaps_[0]
    assert 99 < start < end < 160
    assert "no data near 2010-04" in repr(gappy)
    assert geoinr.display.summary(gappy)["time_gaps"][0][0].startswith("2010-04")
    grid = _record(outage=None)
    with pytest.warns(UserWarning, match=r"target time\(s\) fall inside a gap of the fitted record"):
        gappy.predict(grid)
    observed = grid.isel(time=slice(0, 90))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # times near data: no warning
        gappy.predict(observed)


def test_outside_nan_masks_the_far_part_of_a_gap_only(gappy):
    grid = _record(outage=None)
    with pytest.warns(UserWarning, match="inside a gap"):
        held = gappy.predict(grid)
        masked = gappy.predict(grid, outside="nan")
        derived = gappy.derive("gradient", grid, outside="nan")
    inside = _gap_days(gappy, grid.time.values)
    assert 0 < inside.sum() < 60
    assert bool(masked.isel(time=inside).isnull().all()) and not bool(masked.isel(time=~inside).isnull().any())
    assert bool(held.notnull().all())  # "hold" keeps the network's values inside the record
    assert bool(derived.isel(time=inside).to_array().isnull().all())
    assert not bool(derived.isel(time=~inside).to_array().isnull().any())


def test_the_gaps_survive_save_and_load_and_a_file_without_them_loads(gappy, tmp_path):
    path = tmp_path / "m.geoinr"
    gappy.save(path)
    again = geoinr.load(path)
    assert again.time_gaps_ == gappy.time_gaps_
    old = _edited(path, tmp_path / "old.geoinr", lambda c: c["learned"].pop("time_gaps_"))
    assert geoinr.load(old).time_gaps_ == []  # a file from before gaps were learned: none known


@pytest.mark.parametrize("gaps", [[[200.0, 150.0]], [[-50.0, 10.0]], [[150.0, 160.0], [100.0, 120.0]], [["a", 1]]])
def test_edited_gaps_are_refused(gappy, tmp_path, gaps):
    path = tmp_path / "m.geoinr"
    gappy.save(path)
    bad = _edited(path, tmp_path / "bad.geoinr", lambda c: c["learned"].__setitem__("time_gaps_", gaps))
    with pytest.raises(DamagedFileError, match="time_gaps_"):
        geoinr.load(bad)


def test_a_dask_backed_fit_finds_the_same_gaps(gappy):
    lazy = _record().chunk({"time": 50}).inr.fit(**SMALL)
    assert lazy.time_gaps_ == gappy.time_gaps_


def test_fill_gaps_and_regrid_take_outside():
    da = _record()
    with pytest.warns(UserWarning, match="inside a gap"):
        filled = da.inr.fill_gaps(**SMALL)
    assert int(filled.isnull().sum()) == 0  # "hold": every gap filled, with the warning
    with pytest.warns(UserWarning, match="inside a gap"):
        kept = da.inr.fill_gaps(outside="nan", **SMALL)
    empty = kept.isnull().all(["lat", "lon"]).values
    assert 0 < empty.sum() < 60 and not empty[:100].any() and not empty[160:].any()
    with pytest.warns(UserWarning, match="inside a gap"):
        regridded = da.inr.regrid(2.0, outside="nan", **SMALL)
    assert np.array_equal(regridded.isnull().all(["lat", "lon"]).values, empty)
    for call in (lambda: da.inr.fill_gaps(outside="none", **SMALL), lambda: da.inr.regrid(2.0, outside=None, **SMALL),
                 lambda: da.to_dataset().inr.regrid(2.0, outside="masked", **SMALL)):
        with pytest.raises(ValueError, match="outside=.*give 'hold'"):
            call()


def test_a_track_record_with_an_outage_and_the_baselines():
    tracks = geoinr.datasets.synthetic_tracks(days=60, seed=0)
    t = tracks.time.values
    keep = (t < t[0] + np.timedelta64(20, "D")) | (t > t[0] + np.timedelta64(50, "D"))
    tracks = tracks.isel({tracks.time.dims[0]: keep})
    fitted = geoinr.INRModel(**SMALL).fit(tracks, "sla")
    oi = geoinr.baselines.OptimalInterpolation().fit(tracks, "sla")
    assert len(fitted.time_gaps_) == 1 and oi.time_gaps_ == fitted.time_gaps_
    whole = geoinr.INRModel(**SMALL).fit(geoinr.datasets.synthetic_tracks(days=60, seed=0), "sla")
    assert whole.time_gaps_ == []  # passes a day or so apart: no gap


def _edited(src, dst, edit):
    """``src`` with its JSON config edited by ``edit`` and its checksum made anew."""
    with safe_open(str(src), "pt") as f:
        meta = dict(f.metadata())
    tensors = load_file(str(src))
    record = json.loads(meta["config"])
    edit(record)
    meta = {k: v for k, v in meta.items() if k != CHECKSUM_FIELD}
    meta["config"] = json.dumps(record)
    meta[CHECKSUM_FIELD] = checksum(tensors, meta)
    save_file(tensors, str(dst), metadata=meta)
    return dst


def test_a_satellite_crossing_a_box_twice_a_cycle_has_no_gap_and_two_cruises_have_one():
    """(the second review of the change: the median step took a revisit hours later for the record's step)"""
    cycle = 20.86
    twice = np.sort(np.r_[np.arange(0, 365, cycle), np.arange(0, 365, cycle) + 0.5])
    assert time_gaps(twice, (0.0, float(twice.max()))) == []
    cruises = np.r_[np.arange(0.0, 21.0), np.arange(110.0, 131.0)]
    assert len(time_gaps(cruises, (0.0, 130.0))) == 1


def test_the_gap_warning_says_what_outside_nan_does(gappy):
    with pytest.warns(UserWarning, match=r"outside='nan' masks them \(the default, 'hold', gives the network's own"):
        gappy.predict(_record(outage=None), outside="nan")
