"""Outputs on a target with CF cell bounds keep them where a Dataset has room (2026-12-07, eighth session).

``grid()`` and ``regrid`` kept them; ``derive`` and a Dataset from ``predict`` (several variables) dropped them, and
the ``bounds`` attribute with them, so a derived field written to netCDF lost its cells (conservative regridders,
cf_xarray's area weights need them).
"""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr


@pytest.fixture(scope="module")
def fitted():
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    tracks["sla2"] = 2.0 * tracks.sla
    tracks.sla2.attrs = dict(tracks.sla.attrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tracks.inr.fit(["sla", "sla2"], width=8, depth=1, epochs=1, max_time=None, seed=0, progress=False)


def _check_bounds(out, grid):
    for name in ("latitude", "longitude"):
        bounds = grid[name].attrs["bounds"]
        assert out[name].attrs["bounds"] == bounds
        np.testing.assert_array_equal(out[bounds].values, grid[bounds].values)


def test_derive_keeps_the_targets_cell_bounds(fitted, tmp_path):
    grid = fitted.target_grid(resolution=1.0)
    out = fitted.derive("geostrophic_velocity", grid, variable="sla")
    _check_bounds(out, grid)
    out.to_netcdf(tmp_path / "currents.nc")
    with xr.open_dataset(tmp_path / "currents.nc") as back:
        _check_bounds(back, grid)
        assert set(back.data_vars) == {"ugos", "vgos"}


def test_a_dataset_from_predict_keeps_them_and_a_dataarray_has_no_room(fitted):
    grid = fitted.target_grid(resolution=1.0)
    both = fitted.predict(grid)
    assert isinstance(both, xr.Dataset)
    _check_bounds(both, grid)
    one = fitted.predict(grid, variable="sla")
    assert isinstance(one, xr.DataArray) and "bounds" not in one.latitude.attrs  # no dangling reference


def test_a_target_without_bounds_gets_none(fitted):
    grid = fitted.target_grid(resolution=1.0).drop_vars(["latitude_bnds", "longitude_bnds"])
    out = fitted.derive("geostrophic_velocity", grid, variable="sla")
    assert "bnds" not in out.dims and "bounds" not in out.latitude.attrs
