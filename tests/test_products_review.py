"""A review of gridded products of other providers (ERA5's CDS layouts, GHRSST L4, GLORYS-like reanalyses): a
surface-type mask is no quality flag, ERA5's expver gets advice that keeps its latest times, a pressure at sea level
is no height, regrid keeps a selected depth."""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr.geometry import is_height
from geoinr.observations import quality_flags

SMALL = dict(width=8, depth=1, epochs=1, max_time=None, progress=False)


def ghrsst(n=20):
    lat, lon = np.linspace(30, 31, n), np.linspace(-60, -59, n)
    mask = np.ones((1, n, n), dtype=np.int8)
    mask[:, :3, :] = 1 | 8  # open sea under ice: a valid SST
    sst = 290.0 + 0.1 * np.random.default_rng(0).standard_normal((1, n, n))
    return xr.Dataset(
        {"analysed_sst": (("time", "lat", "lon"), sst, {"units": "kelvin", "ancillary_variables": "analysis_error mask"}),
         "analysis_error": (("time", "lat", "lon"), np.full((1, n, n), 0.4), {"units": "kelvin"}),
         "mask": (("time", "lat", "lon"), mask, {"flag_masks": np.array([1, 2, 4, 8, 16], np.int8),
                                                 "flag_meanings": "water land optional_lake_surface sea_ice "
                                                                  "optional_river_surface"})},
        coords={"time": [np.datetime64("2020-01-01", "ns")], "lat": lat, "lon": lon})


def test_a_surface_type_mask_is_no_quality_flag():
    """GHRSST's mask (water, land, ice) listed in ancillary_variables: its ice-covered sea was called flagged, and
    the advice (mask == 1) would have dropped it."""
    ds = ghrsst()
    assert quality_flags(ds, "analysed_sst", ds.analysed_sst) == []
    cloudy = ds.rename(mask="cloud_mask").assign(analysed_sst=ds.analysed_sst.assign_attrs(
        ancillary_variables="cloud_mask"))
    cloudy["cloud_mask"].attrs["flag_meanings"] = "clear cloudy"  # a quality mask: still a flag
    assert quality_flags(cloudy, "analysed_sst", cloudy.analysed_sst) == ["cloud_mask"]
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*quality flag.*")
        ds.inr.fit("analysed_sst", time=False, **SMALL)


def test_era5_expver_advice_keeps_the_latest_times():
    t = np.array(["2024-01-01T00", "2024-01-01T01", "2024-01-01T02"], dtype="datetime64[ns]")
    final = np.ones((3, 2, 4, 4))
    final[:2, 1] = np.nan  # expver 1 (final) holds the first times, expver 5 (ERA5T) the latest
    final[2:, 0] = np.nan
    ds = xr.Dataset({"t2m": (("time", "expver", "latitude", "longitude"), 280.0 * final, {"units": "K"})},
                    coords={"time": t, "expver": [1, 5], "latitude": [41.0, 40.0, 39.0, 38.0],
                            "longitude": [0.0, 1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"join them, e.g. ds.sel\(expver=ds\['expver'\]\[0\]\)"
                                         r".combine_first\(ds.sel\(expver=ds\['expver'\]\[1\]\)\)"):
        ds.inr.fit("t2m", **SMALL)
    joined = ds.sel(expver=ds["expver"][0]).combine_first(ds.sel(expver=ds["expver"][1]))  # the advice runs
    assert joined.t2m.notnull().all()
    assert ds.isel(expver=0).t2m.isel(time=-1).isnull().all()  # what isel(expver=0) would have lost


def test_pressure_at_sea_level_is_no_height():
    assert not is_height("air_pressure_at_mean_sea_level")
    assert is_height("sea_surface_height_correction_due_to_air_pressure_at_low_frequency")  # a height, in m
    assert is_height("sea_surface_height_above_sea_level")


def test_regrid_keeps_a_selected_depth():
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0).assign_coords(depth=0.494)
    assert float(grid.inr.regrid(2.0, "sla", **SMALL).depth) == pytest.approx(0.494)
