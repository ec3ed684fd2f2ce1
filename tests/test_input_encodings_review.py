"""A review of netCDF inputs' encodings (2026-12-07, sixth session): each test failed before its fix.

- a float32 variable whose ``missing_value`` is stored as a float64 (-327.67) kept its fills (xarray compares them
  exactly): they were fitted (a mean of -16 m) and scored as data, in silence;
- a noleap calendar's missing times, decoded by xarray at the units' epoch, were fitted there in silence;
- a packed longitude's 0 E (-2.8e-14) was refused as "mixing conventions", a packed pole (90.00000000000001) as
  "outside [-90, 90]";
- overlapping files concatenated (repeated days) were fitted twice, in silence;
- a reference's land stored as 0.0 was scored as sea in silence (the fit warns of it);
- ``fill_gaps`` of a variable declaring several fill values could not be written.
"""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr
from geoinr import coords as C
from geoinr import observations as O

SMALL = dict(width=8, depth=1, epochs=2, max_time=None, progress=False, seed=0)


def _grid(days=4, n=10, offset=0.0):
    t = pd.date_range("2020-01-01", periods=days)
    lat, lon = np.linspace(30.0, 39.0, n), np.linspace(0.0, 9.0, n)
    values = 0.1 * np.sin(np.arange(days)[:, None, None] + lat[None, :, None] / 3 + lon[None, None, :] / 2) + offset
    return xr.Dataset({"sla": (("time", "lat", "lon"), values, {"units": "m"})}, coords={"time": t, "lat": lat, "lon": lon})


def test_a_declared_fill_of_another_type_is_masked(tmp_path):
    import netCDF4

    ds = _grid()
    values = ds.sla.values.astype("float32")
    values[:, :2, :2] = np.float32(-327.67)
    path = tmp_path / "mv.nc"
    with netCDF4.Dataset(path, "w") as nc:  # float32 data, its missing_value a float64 (as some products write it)
        for name, size in ds.sizes.items():
            nc.createDimension(name, size)
        nc.createVariable("time", "f8", ("time",))[:] = np.arange(ds.sizes["time"])
        nc["time"].units = "days since 2020-01-01"
        for name in ("lat", "lon"):
            nc.createVariable(name, "f8", (name,))[:] = ds[name].values
        var = nc.createVariable("sla", "f4", ("time", "lat", "lon"))
        var.set_auto_mask(False)
        var[:] = values
        var.setncattr("missing_value", np.float64(-327.67))
        var.units = "m"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (xarray's own warning about the type)
        opened = xr.open_dataset(path)
    assert bool((opened.sla < -300).any())  # xarray kept them
    table = O.read(opened, "sla").table
    assert len(table) == ds.sla.size - 16 and table.values.min() > -1.0
    model = geoinr.INRModel(**SMALL).fit(_grid(), "sla")
    assert model.scores(opened)["n"] == ds.sla.size - 16


def test_a_noleap_calendar_s_missing_times_at_the_epoch_are_warned_of(tmp_path):
    days = np.arange(6.0)
    days[2] = -9999.0
    ds = xr.Dataset({"sla": ("obs", np.linspace(0.0, 0.1, 6))},
                    coords={"time": ("obs", days, {"units": "days since 2001-01-10", "calendar": "noleap",
                                                   "_FillValue": -9999.0}),
                            "lat": ("obs", np.linspace(30.0, 35.0, 6)), "lon": ("obs", np.linspace(0.0, 5.0, 6))})
    path = tmp_path / "t.nc"
    ds.to_netcdf(path)
    opened = xr.open_dataset(path)
    if opened.time.dtype != object:  # (an xarray that decodes them as NaT: nothing to warn of)
        pytest.skip("this xarray decodes the missing times as missing")
    n_epoch = int((opened.time.values == opened.time.values[2]).sum())
    with pytest.warns(UserWarning, match=r"times of 'time' are its units' epoch"):
        O.read(opened, "sla")
    assert n_epoch >= 1


def test_packed_coordinates_rounded_past_0_e_or_a_pole_are_read():
    lon = np.array([-2.842170943040401e-14, 90.0, 180.0, 270.0, 350.0])
    lat = np.array([80.0, 85.0, 90.00000000000001])
    da = xr.DataArray(np.ones((3, 5)), dims=("lat", "lon"), coords={"lat": lat, "lon": lon}, name="h")
    table, _ = C.points_from_xarray(da, [None], C.CoordNames("lat", "lon"))
    assert table.lat.max() == 90.0 and len(table) == 15


def test_repeated_times_of_a_gridded_record_are_warned_of():
    ds = _grid()
    overlapping = xr.concat([ds.isel(time=slice(0, 3)), ds.isel(time=slice(1, 4))], dim="time")
    with pytest.warns(UserWarning, match=r"repeats 2 of its 6 times .* ds.drop_duplicates\('time'\)"):
        O.read(overlapping, "sla")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        O.read(ds, "sla")


def test_a_reference_s_land_stored_as_zero_is_warned_of():
    model = geoinr.INRModel(**SMALL).fit(_grid(), "sla")
    reference = _grid()
    reference["sla"][:, :4, :4] = 0.0
    with pytest.warns(UserWarning, match="They are scored as data"):
        model.scores(reference)


def test_fill_gaps_of_several_declared_fill_values_can_be_written(tmp_path):
    ds = _grid()
    ds["sla"][0, 0, 0] = np.nan
    ds.sla.encoding.update(dtype="int16", scale_factor=0.001, add_offset=0.0, _FillValue=np.int16(-32767),
                           missing_value=np.int16(-999))
    filled = ds.inr.fill_gaps("sla", **SMALL)
    filled.to_netcdf(tmp_path / "filled.nc")
    again = xr.open_dataset(tmp_path / "filled.nc")
    assert int(again.sla.isnull().sum()) == 0


def test_the_second_review_s_false_alarms_and_edges(tmp_path):
    """(the second review of the change) a noleap record starting at its units' epoch, written with xarray's
    float64 NaN fill, was warned of; missing stamps were counted as repeats; 0 E packed as -2.8e-14 made a 0-360
    grid's convention -180-180; a missing first date of another calendar raised."""
    import cftime

    t = xr.date_range("2000-01-01", periods=5, calendar="noleap", use_cftime=True)
    ds = xr.Dataset({"sla": ("time", np.linspace(0.0, 0.1, 5))}, coords={"time": t, "lat": ("time", np.full(5, 35.0)),
                                                                          "lon": ("time", np.linspace(0.0, 4.0, 5))})
    path = tmp_path / "t.nc"
    ds.to_netcdf(path, encoding={"time": {"units": "days since 2000-01-01", "calendar": "noleap", "dtype": "float64"}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        O.read(xr.open_dataset(path), "sla")
    grid = _grid(days=5)
    grid = grid.assign_coords(time=np.array(["2020-01-01", "NaT", "2020-01-03", "NaT", "2020-01-05"], "datetime64[ns]"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        O.read(grid, "sla")
    assert not any("repeats" in str(w.message) for w in seen)
    assert O.lon_convention(-2.842170943040401e-14, 350.0) == "360"
    axis = C.TimeAxis.from_values(pd.date_range("2000-01-01", periods=3).values, {})
    np.testing.assert_array_equal(axis.to_days(np.array([None, cftime.DatetimeNoLeap(2000, 1, 2)], object)), [np.nan, 1.0])


def test_a_noleap_record_missing_its_first_stamps_is_warned_of(tmp_path):
    """(the third review) stamps at the epoch before any later date read as 'a record that starts there': several
    of them are missing first stamps."""
    days = np.arange(100.0, 110.0)
    days[:3] = -9999.0
    ds = xr.Dataset({"sla": ("obs", np.linspace(0.0, 0.1, 10))},
                    coords={"time": ("obs", days, {"units": "days since 2000-01-01", "calendar": "noleap",
                                                   "_FillValue": -9999.0}),
                            "lat": ("obs", np.linspace(30.0, 35.0, 10)), "lon": ("obs", np.linspace(0.0, 5.0, 10))})
    ds.to_netcdf(tmp_path / "t.nc")
    opened = xr.open_dataset(tmp_path / "t.nc")
    if opened.time.dtype != object:
        pytest.skip("this xarray decodes the missing times as missing")
    with pytest.warns(UserWarning, match=r"3 times of 'time' are its units' epoch"):
        O.read(opened, "sla")


def test_one_or_two_held_out_points_set_no_scale():
    """(the third review) a scale from one or two held-out points, or below the training points', shrank the std."""
    import torch

    from geoinr.uncertainty.calibrated import FEW_HELD_OUT, _few_held_out_scales

    x = torch.zeros((12, 3))
    y = torch.ones((12, 2))
    w = torch.ones((12, 2))
    w[:, 1] = 0.0
    w[:2, 1] = 1.0  # the second variable: two held-out points of its own

    def standardized(batch):
        return torch.zeros((len(batch), 2)), torch.full((len(batch), 2), 0.01)

    scales = _few_held_out_scales(standardized, x, y, w, torch.arange(FEW_HELD_OUT + 1), "cpu")
    assert scales[0] is not None and scales[1] is None  # (a scale below the training points' is not taken either)
