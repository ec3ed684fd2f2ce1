"""A review of fields other than sea level (2026-12-07, fifth session: ERA5-style grids, sea ice, SST, chlorophyll,
precipitation, climatologies): each test failed before its fix.

- ``fill_gaps``/``regrid`` of a bounded field (sea-ice concentration, ``valid_min`` 0 and ``valid_max`` 1) gave
  values past its valid range, which netCDF4's readers and the next fit then read as missing;
- ``regrid(resolution)`` of ERA5's latitude (90 to -90) returned it ascending;
- ``derive("geostrophic_velocity")`` of a geopotential height called 4 m/s "faster than any ocean current";
- a climatology's ``month`` dimension was refused with advice to average over it.
"""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr

FIT = dict(width=32, depth=2, epochs=100, max_time=None, progress=False, seed=0)


def _ice(descending=False):
    """Sea-ice concentration saturated at 1 over a plateau, 0 beyond the edge, with holes in both."""
    lat = np.arange(60.0, 70.0, 0.5)[::-1 if descending else 1]
    lon = np.arange(0.0, 12.0, 0.5)
    rng = np.random.default_rng(0)
    ramp = np.clip(1.6 - 0.25 * np.abs(lon[None, :] - 6) - 0.1 * np.abs(lat[:, None] - 65), 0.0, 1.0)
    values = np.stack([ramp] * 3) + rng.normal(0, 0.02, (3, lat.size, lon.size))
    values = np.clip(values, 0.0, 1.0)
    values[:, 6:12, 8:16] = np.nan  # a hole on the plateau
    values[:, :, :3] = np.where(rng.random((3, lat.size, 3)) < 0.5, np.nan, values[:, :, :3])  # gaps in open water
    return xr.Dataset({"sic": (("time", "lat", "lon"), values,
                               {"units": "1", "valid_min": 0.0, "valid_max": 1.0,
                                "standard_name": "sea_ice_area_fraction"})},
                      coords={"time": np.array(["2020-01-01", "2020-01-02", "2020-01-03"], dtype="datetime64[ns]"),
                              "lat": lat, "lon": lon})


def test_fill_gaps_and_regrid_stay_within_the_valid_range(tmp_path):
    ds = _ice()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        filled = ds.inr.fill_gaps("sic", land=None, **FIT)
        regridded = ds.inr.regrid(0.25, "sic", land=None, **FIT)
    for out in (filled.sic, regridded):
        assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    assert filled.sic.attrs["valid_max"] == 1.0 and np.isfinite(filled.sic.values).all()
    filled.to_netcdf(tmp_path / "f.nc")
    import netCDF4  # its readers mask values past valid_min/valid_max
    with netCDF4.Dataset(tmp_path / "f.nc") as nc:
        assert not np.ma.getmaskarray(nc["sic"][:]).any()


def test_regrid_keeps_a_descending_latitude():
    ds = _ice(descending=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = ds.inr.regrid(1.0, "sic", width=16, depth=1, epochs=1, max_time=None, progress=False)
        ascending = _ice().inr.regrid(1.0, "sic", width=16, depth=1, epochs=1, max_time=None, progress=False)
    assert (np.diff(out.lat.values) < 0).all()
    assert (np.diff(ascending.lat.values) > 0).all()


def test_winds_of_a_geopotential_height_are_judged_as_winds():
    from geoinr.model.surrogate import _warn_derived
    lat = np.full((4, 5), 45.0)
    lon = np.zeros((4, 5))
    winds = {"ugos": np.full(lat.shape, 30.0), "vgos": np.zeros(lat.shape)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_derived("geostrophic_velocity", [lon, lat], 5.0, winds, {"standard_name": "geopotential_height"})
    with pytest.warns(UserWarning, match="faster than any wind"):
        _warn_derived("geostrophic_velocity", [lon, lat], 5.0, {"ugos": np.full(lat.shape, 400.0),
                                                               "vgos": np.zeros(lat.shape)},
                      {"standard_name": "geopotential_height"})
    with pytest.warns(UserWarning, match="faster than any ocean current"):
        _warn_derived("geostrophic_velocity", [lon, lat], 5.0, winds, {"standard_name": "sea_surface_height"})


def test_a_climatology_month_dimension_is_advised_as_a_time_of_year():
    ds = xr.Dataset({"sst": (("month", "lat", "lon"), np.random.default_rng(0).random((12, 4, 5)))},
                    coords={"month": np.arange(1, 13), "lat": np.arange(4.0), "lon": np.arange(5.0)})
    with pytest.raises(ValueError, match=r"climatology's 'month'.*pd.date_range") as err:
        ds.inr.fit("sst", epochs=1, max_time=None, progress=False)
    assert "ds.mean" not in str(err.value)
