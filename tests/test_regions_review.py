"""Fixes from an oceanographer's review of places the real-data benchmark does not cover: across the dateline and
across 0 E, land masked to NaN (2026-12-07, second session)."""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr

QUICK = dict(width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)


def _grid(lon, days=2):
    """A smooth (time, lat, lon) field on the given longitudes (any convention, any order)."""
    lat = np.arange(30.25, 34.0, 0.5)
    t = np.arange(days)
    la, lo = np.meshgrid(lat, np.radians(lon), indexing="ij")
    values = np.stack([0.1 * np.sin(3 * lo + k) * np.cos(np.radians(la) * 20) for k in t])
    return xr.DataArray(values, dims=("time", "lat", "lon"), name="sla", attrs={"units": "m"},
                        coords={"time": np.datetime64("2020-01-01") + t.astype("timedelta64[D]"), "lat": lat,
                                "lon": lon})


def test_regrid_at_a_resolution_keeps_a_0_360_source_across_0e_in_its_convention():
    """A crop of a 0..360 global file across 0 E (345..359.75 then 0..14.75, as ``np.r_`` gives): ``regrid(0.5)``
    ran 345.25..374.75, so that the output met the source, or a truth on it, on half its cells."""
    lon = np.r_[np.arange(345.0, 360.0, 0.5), np.arange(0.0, 15.0, 0.5)]
    source = _grid(lon)
    out = source.inr.regrid(1.0, **QUICK)
    got = out.lon.values
    assert got.min() >= 0.0 and got.max() < 360.0
    assert got[0] > 345.0 and got[-1] < 15.0  # west to east across the seam, as the source runs
    assert int(np.isfinite(out - source.interp(lon=out.lon, lat=out.lat)).sum()) > 0.9 * out.size


def test_regrid_at_a_resolution_keeps_a_sorted_180_source_across_the_dateline_sorted():
    """A source in [-180, 180) across the dateline, sorted (the halves at both ends): the grid ran 160..200."""
    lon = np.sort(geoinr.coords.wrap_longitude(np.arange(160.0, 200.0, 0.5)))
    source = _grid(lon)
    got = source.inr.regrid(1.0, **QUICK).lon.values
    assert got.min() >= -180.0 and got.max() < 180.0 and np.all(np.diff(got) > 0)
    assert np.isclose(got, 160.5).any() and np.isclose(got, -160.5).any()
    target = geoinr.INRModel(**QUICK).fit(source).target_grid(1.0)  # target_grid stays increasing, as documented
    assert target.lon.values.max() > 180.0


def test_land_masked_to_nan_is_filled_with_a_warning_that_names_land_missing():
    """The fill-value warning says to mask land with ``where``; the default ``land="auto"`` then filled that land as
    gaps, in silence. It still fills it (NaN at every time may be a gap), and says how to keep it NaN."""
    source = _grid(np.arange(0.0, 6.0, 0.5), days=3)
    land = source.isel(time=0).lat > 33.0
    masked = source.where(~land)
    for method in ("fill_gaps", "regrid"):
        call = (lambda **kw: masked.inr.fill_gaps(**kw)) if method == "fill_gaps" else (
            lambda **kw: masked.inr.regrid(1.0, **kw))
        with pytest.warns(UserWarning, match=rf"cells of the source hold no value at any time; {method}\(\).*"
                                             "land='missing'") as caught:
            call(**QUICK)
        assert all(w.filename == __file__ for w in caught if "no value at any time" in str(w.message))
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*no value at any time")
            kept = call(land="missing", **QUICK)
        if method == "fill_gaps":
            assert bool((kept.isnull() == masked.isnull()).all())  # the land stays NaN, nothing else
    with warnings.catch_warnings():  # one map: every gap is missing at every time, nothing to say
        warnings.filterwarnings("error", message=".*no value at any time")
        masked.isel(time=0).inr.fill_gaps(**QUICK)


def test_a_name_of_a_submodule_asked_of_the_package_says_where_it_is():
    """``geoinr.OptimalInterpolation`` raised a bare AttributeError; the class is ``geoinr.baselines``'."""
    with pytest.raises(AttributeError, match="it is geoinr.baselines.OptimalInterpolation"):
        geoinr.OptimalInterpolation  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'$"):
        geoinr.not_a_name  # noqa: B018


def test_regrid_keeps_a_source_stored_past_360_as_it_is():
    """A source on 350..370 (as ``target_grid`` makes across 0 E) came back wrapped and sorted (0..10 then 350..360),
    matching none of its longitudes (the session's review of its own change): the range is the source's own."""
    source = _grid(np.arange(350.0, 370.0, 0.5))
    got = source.inr.regrid(1.0, **QUICK).lon.values
    assert got.min() > 350.0 and got.max() < 370.0 and np.all(np.diff(got) > 0)
