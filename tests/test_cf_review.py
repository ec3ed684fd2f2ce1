"""A review of CF cell semantics (2026-12-07, fifth session: what a value covers in time and space): each test
failed before its fix.

- outputs said nothing of being point values at instants, while the grids' cell bounds suggested cell means;
- coordinates and their bounds were written with ``_FillValue = NaN``;
- a map regridded from tracks took the tracks' time ``long_name`` ("Time of measurement");
- a field mostly flat (68 % of a sea within 1e-6 m of zero) had its eddies masked as undeclared fill values (27 %
  of the values: a continuous tail, not fills apart), and was fitted at 1e-4 of its amplitude.
"""
import warnings

import netCDF4
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr

FIT = dict(width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)


def test_outputs_say_they_are_point_values(tmp_path):
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        m = geoinr.INRModel(**FIT).fit(tracks, "sla")
        oi = geoinr.baselines.OptimalInterpolation(progress=False).fit(tracks, "sla")
    grid = m.target_grid(1.0)
    for out in (m.predict(grid), m.grid(1.0).sla, m.derive("geostrophic_velocity", grid).ugos, oi.predict(grid)):
        assert out.attrs["cell_methods"] == "area: point time: point"
    spatial = geoinr.INRModel(**FIT).fit(tracks, "sla", time=False)
    assert spatial.predict(spatial.target_grid(1.0)).attrs["cell_methods"] == "area: point"
    m.grid(1.0).to_netcdf(tmp_path / "g.nc")
    with netCDF4.Dataset(tmp_path / "g.nc") as nc:
        for name in ("latitude", "longitude", "latitude_bnds", "longitude_bnds"):
            assert not hasattr(nc[name], "_FillValue"), name


def test_a_map_from_tracks_does_not_take_the_tracks_time_long_name():
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    tracks.time.attrs.update(long_name="Time of measurement", standard_name="time")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = tracks.inr.regrid(1.0, "sla", **FIT)
    assert "long_name" not in out.time.attrs and out.time.attrs["standard_name"] == "time"


def test_a_mostly_flat_field_keeps_its_eddies():
    rng = np.random.default_rng(1)
    lat, lon = np.arange(30.125, 40, 0.25), np.arange(-61.875, -50, 0.25)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    field = np.zeros((6,) + la.shape)
    for day in range(6):
        for x0, y0, a in zip(rng.uniform(-59, -53, 8), rng.uniform(32, 38, 8), rng.uniform(-0.2, 0.2, 8)):
            dx, dy = (lo - x0) * 111.2 * np.cos(np.radians(la)) + 10.0 * day, (la - y0) * 111.2
            field[day] += a * np.exp(-(dx**2 + dy**2) / 45.0**2)
    assert np.mean(np.abs(field) < 1e-6) > 0.5
    ds = xr.Dataset({"sla": (("time", "lat", "lon"), field, {"units": "m"})},
                    coords={"time": pd.date_range("2019-01-01", periods=6), "lat": lat, "lon": lon})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        m = ds.inr.fit("sla", **FIT)
    assert not [w for w in seen if "undeclared fill" in str(w.message)]
    np.testing.assert_allclose(m.std_[0], field.std(), rtol=1e-6)
    assert m.n_points_ == field.size


def test_land_far_beyond_a_flat_sea_s_eddies_is_still_masked():
    """The session's second review of its diff: dropping the outlier bound over a continuous tail kept land at
    -214,748 m (and, in cm, at -21,474,836) as data, in silence; the bound is now pushed past the tail instead."""
    from geoinr import sentinels

    x = np.linspace(-10.0, 10.0, 4000)
    sea = np.concatenate([np.zeros(20000), 0.2 * np.exp(-x**2), -0.1 * np.exp(-(x - 5.0) ** 2)])
    for land in (-214748.3648, -21474836.48):
        values = np.append(sea, [land] * 20)
        mask = sentinels.screen(values, "sla").mask(values)
        assert mask[-20:].all() and not mask[:-20].any()
    gaussian = np.random.default_rng(0).normal(0, 0.1, 100_000)
    values = np.append(gaussian, [30.0, 500.0, 1e4, 1e6])
    assert sentinels.screen(values, "x").mask(values)[-3:].all()


def test_a_regrid_across_greenwich_writes_its_longitudes_without_a_fill_value(tmp_path):
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.0)
    ds = ds.assign_coords(lon=(ds.lon - 5.0) % 360.0).sortby("lon")  # 355..359, 0..4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = ds.inr.regrid(1.0, "sla", **FIT)
    out.to_dataset().to_netcdf(tmp_path / "r.nc")
    with netCDF4.Dataset(tmp_path / "r.nc") as nc:
        assert not hasattr(nc["lon"], "_FillValue")


def test_regrid_area_mean_averages_each_cell_over_points_inside_it():
    """regrid(resolution, area="mean"): each coarse cell holds the area-weighted mean of the fitted field over 4 x 4
    points inside it (the CF review: a coarsening regrid sampled the cells' centres, 3.95 cm RMS from the cell
    means of a real DUACS day)."""
    from geoinr.accessor import AREA_SUBCELLS

    ds = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, gap_fraction=0.0)
    kw = dict(width=16, depth=2, epochs=3, max_time=None, progress=False, seed=0, optimizer="adam", n_members=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        mean = ds.inr.regrid(2.0, "sla", area="mean", **kw)
        fitted = geoinr.INRModel(**kw).fit(ds, "sla")
    grid = fitted.target_grid(2.0, times=ds.time.values)
    n = AREA_SUBCELLS
    lat = (grid.lat_bnds.values[:, :1] + (np.arange(n) + 0.5) / n * 2.0).ravel()
    lon = (grid.lon_bnds.values[:, :1] + (np.arange(n) + 0.5) / n * 2.0).ravel()
    fine = fitted.predict(xr.Dataset(coords={"time": ds.time.values, "lat": lat, "lon": lon}))
    w = np.cos(np.radians(lat))
    values = fine.transpose("time", "lat", "lon").values.reshape(2, -1, n, lon.size // n, n)
    weights = w.reshape(-1, n)[None, :, :, None, None]
    expected = (values * weights).sum(axis=(2, 4)) / (w.reshape(-1, n).sum(axis=1)[None, :, None] * n)
    np.testing.assert_allclose(mean.transpose("time", "lat", "lon").values, expected, rtol=1e-5, atol=1e-7)
    assert mean.attrs["cell_methods"] == "area: mean time: point" and mean.dtype == np.float32
    assert mean.lat.values.tolist() == grid.lat.values.tolist()


def test_regrid_area_is_checked_before_the_fit():
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.0)
    for kwargs, match in ((dict(area="cells"), "give 'point'"), (dict(area="mean", uncertainty="ensemble"),
                                                                  "no standard error")):
        with pytest.raises(ValueError, match=match):
            ds.inr.regrid(2.0, "sla", **kwargs, **FIT)
    with pytest.raises(ValueError, match="give a resolution"):
        ds.inr.regrid(ds, "sla", area="mean", **FIT)


def test_regrid_area_mean_with_a_resolution_pair_chunks_and_clean_attributes():
    """The review of the area="mean" commit: a (dlon, dlat) pair failed the memory check on any in-memory source,
    the latitude's attributes leaked into the variables' and the Dataset's, and chunks= applied to the sub-points."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=0.5, gap_fraction=0.0)
    ds.attrs = {"title": "t"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = ds.inr.regrid((2.0, 1.0), "sla", area="mean", **FIT)
        lazy = ds.chunk({"time": 1}).inr.regrid(1.0, "sla", area="mean", chunks={"lat": 3}, **FIT)
    assert (out.lon[1] - out.lon[0]) == 2.0 and (out.lat[1] - out.lat[0]) == 1.0
    assert "axis" not in out.attrs and set(out.attrs) == set(ds.sla.attrs) | {"source", "history", "cell_methods"}
    assert lazy.chunks[lazy.dims.index("lat")][0] == 3
