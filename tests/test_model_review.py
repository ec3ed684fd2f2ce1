"""Fixes from a review of a modeller's first hour with model-like output (2026-12-05, sixth session)."""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr
from geoinr.osse import sample_along_track


def _field(lon, units="m", days=12, extra=None):
    lat = 30.0 + 0.1 * np.arange(60)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    maps = np.stack([0.1 * np.sin(np.radians(lo) * 40 + k / 3) * np.cos(np.radians(la) * 30) for k in range(days)])
    da = xr.DataArray(maps, dims=("time", "lat", "lon"), attrs={"units": units},
                      coords={"time": pd.date_range("2021-01-01", periods=days), "lat": lat, "lon": lon})
    return da if extra is None else da.expand_dims({extra: [2.5]}, axis=1)


@pytest.mark.parametrize("start", [-39.95, 175.1, 10.05, -40.0])
def test_a_regional_grid_is_not_read_as_global(start):
    """The western edge found on wrapped longitudes sat a rounding above the first column, which went 360 deg east:
    the grid read as periodic and the tracks sampled the whole latitude band (35,639 samples from -180 to 180 for a
    3.5 deg box starting at -39.95; 928 of 2,400 start longitudes)."""
    lon = start + 0.1 * np.arange(35)
    tracks = sample_along_track(_field(lon), missions=["jason3", "sentinel3a", "saral"])
    assert tracks.sizes["time"] > 0
    east = (tracks.longitude.values - start) % 360.0
    assert east.max() <= 3.4 + 1e-6  # every sample inside the grid


def test_the_noise_is_in_metres_whatever_the_field_s_units():
    """white_noise=0.01 (documented in metres) added 0.01 cm to a field in cm."""
    lon = -40.0 + 0.1 * np.arange(35)
    in_m = sample_along_track(_field(lon), missions=["jason3", "sentinel3a"], white_noise=0.01, seed=0)
    field_cm = (_field(lon) * 100.0).assign_attrs(units="cm")
    in_cm = sample_along_track(field_cm, missions=["jason3", "sentinel3a"], white_noise=0.01, seed=0)
    noise_m = in_m.sla.values - in_m.sla_true.values
    noise_cm = in_cm.sla.values - in_cm.sla_true.values
    np.testing.assert_allclose(noise_cm, 100.0 * noise_m, rtol=1e-9, atol=1e-12)
    assert "white noise std 0.01 m" in in_cm.sla.attrs["comment"]


def test_a_length_one_depth_is_dropped_as_fit_drops_it():
    """A MOM field with st_ocean of length 1 failed in xarray's transpose with its own message."""
    lon = -40.0 + 0.1 * np.arange(35)
    with_depth = sample_along_track(_field(lon, extra="st_ocean"), missions=["jason3"], seed=0)
    plain = sample_along_track(_field(lon), missions=["jason3"], seed=0)
    np.testing.assert_array_equal(with_depth.sla.values, plain.sla.values)
    two = xr.concat([_field(lon, extra="st_ocean")] * 2, dim="st_ocean")
    with pytest.raises(ValueError, match=r"Select other dims first \(e\.g\. field\.isel\(st_ocean=0\)\)"):
        sample_along_track(two, missions=["jason3"])


def test_numeric_times_are_refused_with_a_fix_that_works():
    lon = -40.0 + 0.1 * np.arange(35)
    field = _field(lon)
    seconds = field.assign_coords(time=("time", np.arange(12) * 86400.0, {"units": "seconds"}))
    with pytest.raises(ValueError, match="start date") as err:
        sample_along_track(seconds, missions=["jason3"])
    fix = str(err.value).split("e.g. ")[1].split(" for seconds")[0]
    exec(fix, {"np": np, "field": seconds})  # the suggested line runs
    dated = seconds.assign_coords(time=np.datetime64("2020-01-01") + seconds["time"].values.astype("timedelta64[s]"))
    assert sample_along_track(dated, missions=["jason3"]).sizes["time"] > 0


def test_small_dask_data_are_fitted_in_memory(monkeypatch):
    """A 48 kB model field opened with dask was streamed block by block: about 10x slower steps, no L-BFGS, no mean
    of networks (RMSE 0.049 m against 0.00008 m in memory in 15 s)."""
    from geoinr.model import fitting

    monkeypatch.setattr(fitting, "STREAM_MIN_BYTES", 64 * 2**20)  # the package's value (tests stream by default)
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0)[["sla"]]
    kw = dict(width=16, depth=1, epochs=3, max_time=None, progress=False, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lazy = geoinr.INRModel(**kw).fit(grid.chunk({"time": 1}), variables="sla")
        eager = geoinr.INRModel(**kw).fit(grid, variables="sla")
    assert not lazy.streamed_
    target = eager.target_grid(resolution=2.0)
    np.testing.assert_array_equal(lazy.predict(target).values, eager.predict(target).values)
    monkeypatch.setattr(fitting, "STREAM_MIN_BYTES", grid.nbytes - 1)  # one byte more than the limit: streamed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert geoinr.INRModel(**kw).fit(grid.chunk({"time": 1}), variables="sla").streamed_


def test_fill_gaps_keeps_land_where_a_mask_says_so():
    """A model field's land (NaN) came back filled with sea level, and there was no way to keep it."""
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.3)
    tmask = (grid.lon < 6.0).expand_dims(depth=[0.5])  # a 3-D tmask with its single depth
    kw = dict(width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        filled = grid.sla.inr.fill_gaps(mask=tmask.isel(depth=0), **kw)
        ds_filled = grid.inr.fill_gaps("sla", mask=tmask.isel(depth=0), **kw)
    sea = (grid.lon < 6.0).broadcast_like(grid.sla)
    observed = np.isfinite(grid.sla)
    assert bool((~observed & ~sea).any()) and bool((~observed & sea).any())  # gaps on both sides
    for out in (filled, ds_filled.sla):
        assert bool(np.isfinite(out).where(sea, True).all())  # every gap at sea filled
        np.testing.assert_array_equal(np.isfinite(out).values[~sea.values], observed.values[~sea.values])  # land: kept
        np.testing.assert_array_equal(out.where(observed).values, grid.sla.where(observed).values)
    with pytest.raises(ValueError, match=r"not among the data's .*tmask.isel\(depth=0\)"):
        grid.sla.inr.fill_gaps(mask=tmask, **kw)
    with pytest.raises(TypeError, match="DataArray of booleans"):
        grid.sla.inr.fill_gaps(mask=np.ones(3, bool), **kw)


def test_land_stored_as_zero_is_named_in_a_warning():
    """A model field whose land is 0.0 (no _FillValue) was fitted as sea level without a word: 0.0 lies inside
    the data's range, so no fill rule can see it; its cells never change in time, and that is what gives it away."""
    lon = -40.0 + 0.1 * np.arange(35)
    field = _field(lon, days=4)
    land = field.where(field.lon > -38.0, 0.0).rename("ssh")  # 21 western columns of land stored as zero
    kw = dict(width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    with pytest.warns(UserWarning, match=r"1,260 of 2,100 grid cells .* hold exactly 0 at all 4 times") as seen:
        geoinr.INRModel(**kw).fit(land.to_dataset())
    message = next(str(w.message) for w in seen if "grid cells" in str(w.message))
    assert ".where(ds['ssh'] != 0)" in message
    assert "test_model_review.py" in next(w.filename for w in seen if "grid cells" in str(w.message))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same land as NaN, one map repeated, a short record: no warning
        geoinr.INRModel(**kw).fit(field.where(field.lon > -38.0).rename("ssh").to_dataset())
        geoinr.INRModel(**kw).fit(xr.concat([land.isel(time=[0])] * 4, "time").assign_coords(time=land.time))
        geoinr.INRModel(**kw).fit(land.isel(time=[0, 1]))


def test_land_stored_as_zero_in_dask_data_is_named_from_a_few_maps(monkeypatch):
    """Model output opened with open_mfdataset is dask-backed and streamed: the same check, on ten maps."""
    from geoinr.model import fitting

    monkeypatch.setattr(fitting, "STREAM_MIN_BYTES", 0)  # streamed, as a large record is
    lon = -40.0 + 0.1 * np.arange(35)
    field = _field(lon, days=12)
    land = field.where(field.lon > -38.0, 0.0).rename("ssh").chunk({"time": 3})
    kw = dict(width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    with pytest.warns(UserWarning, match=r"1,260 of 2,100 grid cells .* at all 10 times read \(of 12\)"):
        geoinr.INRModel(**kw).fit(land.to_dataset())
    packed = (land.where(land != 0.0, -214748.3647)).rename("ssh")  # a fill rule's value is not named twice
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        geoinr.INRModel(**kw).fit(packed.to_dataset())
    assert not [w for w in seen if "grid cells" in str(w.message)]


def test_the_land_check_does_not_read_a_record_chunked_by_space_only(monkeypatch):
    """Chunks spanning every time made the check of ten maps read the whole record (14.6 M values for 0.4 M)."""
    from geoinr import sentinels

    lon = -40.0 + 0.1 * np.arange(35)
    field = _field(lon, days=120)
    land = field.where(field.lon > -38.0, 0.0).rename("ssh")
    with pytest.warns(UserWarning, match="at all 10 times read"):
        sentinels.warn_constant_cells(land.chunk({"time": 4}), "time")  # ten small chunks: read
    with pytest.warns(UserWarning, match="at all 10 times read"):
        sentinels.warn_constant_cells(land.chunk({"time": -1}), "time")  # small: read all the same
    monkeypatch.setattr(sentinels, "LAND_READ_BYTES", 1)  # as if it were large
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sentinels.warn_constant_cells(land.chunk({"time": -1, "lat": 20}), "time")  # whole record: not read
    with pytest.warns(UserWarning, match="at all 10 times read"):
        sentinels.warn_constant_cells(land.chunk({"time": 1}), "time")  # one map a chunk: ten maps read


def test_regrid_checks_its_target_before_the_fit_and_takes_a_resolution(monkeypatch):
    """A user's review: ds.inr.regrid(0.125) fitted for a minute, then failed in predict."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.0)
    fits = []
    fit = geoinr.INRModel.fit
    monkeypatch.setattr(geoinr.INRModel, "fit", lambda self, *a, **k: fits.append(1) or fit(self, *a, **k))
    for bad in ("0.125", -0.5, (0.25, 0.0), [1, 2, 3]):
        with pytest.raises((TypeError, ValueError), match="regrid"):
            ds.inr.regrid(bad, "sla", epochs=1, max_time=None, progress=False)
    assert not fits  # refused before any fit
    kw = dict(width=8, depth=1, epochs=1, max_time=None, progress=False)
    out = ds.inr.regrid(0.5, "sla", **kw)
    np.testing.assert_array_equal(out.time.values, ds.time.values)  # the source's own times
    assert float(out.lat.diff("lat")[0]) == 0.5 == float(out.lon.diff("lon")[0])  # named as the source
    pair = ds.sla.inr.regrid((0.5, 0.25), **kw)
    assert float(pair.lon.diff("lon")[0]) == 0.5 and float(pair.lat.diff("lat")[0]) == 0.25


def test_regrid_keeps_the_sources_land_nan():
    """A user's review: regridding a DUACS file put sea level on the land geoinr had just detected (fill values)."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, gap_fraction=0.0)
    land = (ds.lon > 7.0) & (ds.lat > 36.0)  # a corner of land: an undeclared fill value at every time
    packed = ds.assign(sla=ds.sla.where(~land, -214748.3647))
    kw = dict(width=8, depth=1, epochs=1, max_time=None, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the fill values' warning
        out = packed.inr.regrid(0.25, "sla", **kw)
        everywhere = packed.inr.regrid(0.25, "sla", land=None, **kw)
    on_land = (out.lon > 7.2) & (out.lat > 36.2)
    at_sea = (out.lon < 6.8) | (out.lat < 35.8)
    assert bool(out.where(on_land).isnull().all()) and bool(out.where(at_sea).notnull().sum() == at_sea.sum() * 2)
    assert bool(np.isfinite(everywhere).all())
    # land stored as NaN: "missing" masks it; "auto" fills it as a gap, as it fills a gappy source's gaps
    nan_land = ds.assign(sla=ds.sla.where(~land))
    assert bool(nan_land.inr.regrid(0.25, "sla", land="missing", **kw).where(on_land).isnull().all())
    assert bool(np.isfinite(nan_land.inr.regrid(0.25, "sla", **kw)).all())
    gappy = geoinr.datasets.synthetic_grid(days=1, resolution=0.5, gap_fraction=0.3)
    assert bool(np.isfinite(gappy.inr.regrid(0.25, "sla", **kw)).all())  # gaps are not land
    # a source across the dateline in -180..180: the target keeps that convention (it ran past 180 until
    # 2026-12-07), the land east of the dateline is masked too
    shifted = ds.sla.assign_coords(lon=(ds.lon.values + 175.0 + 180.0) % 360.0 - 180.0).sortby("lon")  # 175 E-175 W
    field = shifted.where(~((shifted.lon > -178.5) & (shifted.lon < -176.5)), -214748.3647)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        across = field.inr.regrid(0.25, **kw)
    assert float(across.lon.max()) < 180.0 and float(across.lon.min()) >= -180.0
    east = (across.lon > -178.25) & (across.lon < -176.75)
    assert bool(across.where(east).isnull().all()) and bool(across.where(across.lon > 176.0).notnull().any())
    with pytest.raises(ValueError, match="land"):
        packed.sla.inr.regrid(0.25, land="yes", **kw)


def test_regrid_of_tracks_to_a_resolution_maps_days_and_a_dict_target_is_refused_before_the_fit():
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    kw = dict(width=8, depth=1, epochs=1, max_time=None, progress=False)
    out = tracks.inr.regrid(1.0, "sla", **kw)
    assert out.sizes["time"] <= 2  # the model's daily axis, not one map per observation's time
    grid = geoinr.datasets.synthetic_grid(days=1, resolution=1.0, gap_fraction=0.0)
    with pytest.raises(TypeError, match="not a dict of arrays.*Nothing was fitted"):  # was a bare array, land kept
        grid.inr.regrid({"lon": np.array([1.0, 2.0]), "lat": np.array([31.0, 32.0]),
                         "time": grid.time.values[[0, 0]]}, "sla", **{**kw, "epochs": 10 ** 6})
    with pytest.raises(ValueError):  # no latitude or longitude: refused before the fit
        grid.inr.regrid(xr.Dataset(coords={"x": [1.0, 2.0]}), "sla", **kw)


def test_regrid_keeps_the_land_of_a_curvilinear_source_and_on_targets_named_otherwise():
    """The land mask needed a source on 1-D lat/lon axes and a target on axes of the same names: a model's
    curvilinear grid (2-D nav_lat/nav_lon) or a target named latitude/longitude got sea level on land."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, gap_fraction=0.0)
    lat2, lon2 = xr.broadcast(ds.lat, ds.lon)
    curvi = xr.Dataset(
        {"ssh": (("time", "y", "x"), ds.sla.transpose("time", "lat", "lon").values)},
        coords={"time": ds.time, "nav_lat": (("y", "x"), lat2.values + 0.02 * lon2.values),  # slightly rotated
                "nav_lon": (("y", "x"), lon2.values)})
    land = (curvi.nav_lon > 7.0) & (curvi.nav_lat > 36.2)
    curvi = curvi.assign(ssh=curvi.ssh.where(~land, -214748.3647))
    kw = dict(width=8, depth=1, epochs=1, max_time=None, progress=False)
    target = xr.Dataset(coords={"latitude": ("latitude", np.arange(31.0, 39.0, 0.25), {"units": "degrees_north"}),
                                "longitude": ("longitude", np.arange(1.0, 9.0, 0.25), {"units": "degrees_east"}),
                                "time": ds.time})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the fill values' warning
        out = curvi.inr.regrid(target, "ssh", **kw)
        everywhere = curvi.inr.regrid(target, "ssh", land=None, **kw)
    deep = (out.longitude > 7.6) & (out.latitude > 37.2)  # well inside the land corner
    sea = (out.longitude < 6.4) | (out.latitude < 35.6)
    assert bool(out.where(deep).isnull().all()) and bool(out.where(sea).notnull().sum() == sea.sum() * 2)
    assert bool(np.isfinite(everywhere).all())
    # a target beyond the source's cells is not land
    far = xr.Dataset(coords={"lat": ("lat", [35.0]), "lon": ("lon", [12.0]), "time": ds.time})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # outside the fitted region
        assert bool(np.isfinite(curvi.inr.regrid(far, "ssh", **kw)).all())


def test_regrid_land_at_high_latitude_with_coordinates_missing_and_for_swaths():
    """A review of the mask by nearest cell: above ~69 deg a point between two rows was farther than 1.5 x the
    cells' median spacing (their short side) and lost its land; NaN coordinates in the source or the target
    crashed after the fit; a swath (time along its lines) was masked as a grid."""
    from types import SimpleNamespace

    from geoinr.accessor import _without_land

    fitted = SimpleNamespace(coord_names_={"lat": "lat", "lon": "lon", "time": "time"}, variables_=["sla"])
    lat, lon = np.arange(70.125, 80.0, 0.25), np.arange(0.125, 20.0, 0.25)
    values = 0.1 * np.random.default_rng(0).standard_normal((2, lat.size, lon.size))
    values[:, :, lon > 10.0] = -214748.3647  # land: an undeclared fill value at every time
    source = xr.Dataset({"sla": (("time", "lat", "lon"), values)}, coords={"time": [0, 1], "lat": lat, "lon": lon})
    tlat, tlon = np.arange(70.0, 80.0, 0.25), np.arange(0.0, 20.0, 0.25)  # between the source's rows
    pred = xr.DataArray(np.ones((2, tlat.size, tlon.size)), dims=("time", "lat", "lon"),
                        coords={"time": [0, 1], "lat": tlat, "lon": tlon}, name="sla")
    out = _without_land(pred, source, fitted).isel(lat=slice(1, None))  # 70.0: south of the source, not land
    assert bool(out.sel(lon=slice(10.5, None)).isnull().all()) and bool(out.sel(lon=slice(None, 9.5)).notnull().all())
    # curvilinear, the same at 70 N, with land cells' coordinates missing and a target point without coordinates
    lat2, lon2 = xr.broadcast(source.lat, source.lon)
    fitted.coord_names_ = {"lat": "nav_lat", "lon": "nav_lon", "time": "time"}
    gone = (lon2 > 15.0).values
    curvi = xr.Dataset({"sla": (("time", "y", "x"), values)},
                       coords={"time": [0, 1], "nav_lat": (("y", "x"), np.where(gone, np.nan, lat2.values)),
                               "nav_lon": (("y", "x"), np.where(gone, np.nan, lon2.values))})
    holed = pred.copy()
    holed = holed.assign_coords(lat=("lat", np.r_[np.nan, tlat[1:]]))
    out = _without_land(holed, curvi, fitted)
    land_kept = out.sel(lon=slice(10.5, 14.5)).isel(lat=slice(1, None))
    assert bool(land_kept.isnull().all()) and bool(out.sel(lon=slice(None, 9.5)).isel(lat=slice(1, None)).notnull().all())
    assert bool(out.isel(lat=0).notnull().all())  # no coordinates: not land
    # a swath: time along its lines, so not a grid
    fitted.coord_names_ = {"lat": "lat", "lon": "lon", "time": "time"}
    swath = xr.Dataset({"sla": (("num_lines", "num_pixels"), np.full((4, 3), np.nan))},
                       coords={"lat": (("num_lines", "num_pixels"), np.full((4, 3), 72.0)),
                               "lon": (("num_lines", "num_pixels"), np.full((4, 3), 12.0)),
                               "time": ("num_lines", np.arange(4.0))})
    assert _without_land(pred, swath, fitted) is pred


def test_regrid_of_a_curvilinear_source_to_a_resolution_keeps_its_times():
    """``regrid(resolution)`` took a gridded source's own times only on 1-D lat/lon axes: a curvilinear model field
    of two daily maps at 12:00 came back on the model's daily axis instead."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, gap_fraction=0.0)
    lat2, lon2 = xr.broadcast(ds.lat, ds.lon)
    times = ds.time.values + np.timedelta64(12, "h")
    curvi = xr.Dataset({"ssh": (("time", "y", "x"), ds.sla.transpose("time", "lat", "lon").values)},
                       coords={"time": times, "nav_lat": (("y", "x"), lat2.values),
                               "nav_lon": (("y", "x"), lon2.values)})
    out = curvi.inr.regrid(0.5, "ssh", width=8, depth=1, epochs=1, max_time=None, progress=False)
    np.testing.assert_array_equal(out.time.values, times)
