"""How input data is read, from a read-only review: time taken by name, CF evidence, DUACS land, extra dimensions,
pandas dtypes, dict longitudes, timedelta times, CF valid ranges, lazy NaT times, ancillary variables."""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from geoinr import observations, sentinels
from geoinr.coords import CoordNames, TimeAxis, dict_columns, find_coords


def _grid(values=None, **coords):
    """A small (lat, lon) grid, 4 x 5."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(4, 5)) if values is None else values
    return xr.Dataset({"sla": (("lat", "lon"), values)}, coords={"lat": np.arange(4.0) + 30, "lon": np.arange(5.0),
                                                                 **coords})


def _track(n=6, **coords):
    """Points along one dimension 'obs'."""
    base = {"lat": ("obs", np.linspace(10, 20, n)), "lon": ("obs", np.linspace(0, 5, n))}
    return xr.Dataset({"sla": ("obs", np.arange(n, dtype=float))}, coords={**base, **coords})


def test_a_data_variable_named_t_is_a_temperature_not_the_time():
    rng = np.random.default_rng(0)
    ds = xr.Dataset({"T": (("lat", "lon"), 15 + rng.normal(size=(4, 5))),
                     "S": (("lat", "lon"), 35 + rng.normal(size=(4, 5)))},
                    coords={"lat": np.arange(4.0) + 30, "lon": np.arange(5.0)})
    assert find_coords(ds).time is None
    for name in ("T", "S"):
        obs = observations.read(ds, name)
        assert obs.time_axis is None and obs.table.time is None and len(obs.table) == 20
    dated = ds.assign(date=("n", np.array(["2020-01-01"], "M8[ns]")))  # a data variable of dates still is a time
    assert find_coords(dated).time == "date"
    assert find_coords(dated, variables=["date"]).time is None  # but never one the user asked to fit


def test_standard_name_latitude_outranks_an_axis_attribute_on_an_index():
    lat2 = np.linspace(30, 40, 4)[:, None] + np.zeros(5)
    lon2 = np.linspace(100, 110, 5)[None, :] + np.zeros((4, 1))
    ds = xr.Dataset({"eta": (("j", "i"), np.zeros((4, 5)))},
                    coords={"j": ("j", np.arange(4), {"axis": "Y"}), "i": ("i", np.arange(5), {"axis": "X"}),
                            "YC": (("j", "i"), lat2, {"standard_name": "latitude"}),
                            "XC": (("j", "i"), lon2, {"units": "degrees_east"})})  # units alone beat axis too
    assert find_coords(ds) == CoordNames("YC", "XC", None)


def test_duacs_land_at_the_int32_minimum_is_masked_beside_a_declared_fill_value():
    """DUACS declares _FillValue -2147483647 but stores land at -2147483648: 40 % of this grid."""
    rng = np.random.default_rng(0)
    raw = np.round(rng.normal(0.0, 0.1, (10, 10)) / 1e-4).astype("int32")
    raw[:, :4] = np.iinfo("int32").min
    ds = _grid(raw * 1e-4, lat=np.arange(10.0), lon=np.arange(10.0))
    ds["sla"].encoding.update(dtype=np.dtype("int32"), scale_factor=1e-4, add_offset=0.0,
                              _FillValue=np.int32(-2147483647))
    with pytest.warns(UserWarning, match=r"40 of 100 .*-214748.3648 \(the decoded minimum of its int32 packing, "
                                         r"whose declared fill value is -2147483647\)"):
        obs = observations.read(ds, "sla")
    assert len(obs.table) == 60 and np.abs(obs.table.values).max() < 1.0
    assert sentinels.packed_extremes(ds["sla"]) == {  # the extreme next to the fill; the other may be data
        -2147483648 * 1e-4: "the decoded minimum of its int32 packing, whose declared fill value is -2147483647"}


def test_a_depth_dimension_is_refused_and_a_length_one_depth_kept():
    rng = np.random.default_rng(0)
    ds = xr.Dataset({"temp": (("depth", "lat", "lon"), rng.normal(size=(3, 4, 5)))},
                    coords={"depth": [0.0, 100.0, 1000.0], "lat": np.arange(4.0) + 30, "lon": np.arange(5.0)})
    with pytest.raises(ValueError, match=r"'depth' \(length 3\).*repeated observations.*ds\.isel\(depth=0\).*"
                                         r"ds\.mean\('depth'\)"):
        observations.read(ds, "temp")
    assert len(observations.read(ds.isel(depth=[0]), "temp").table) == 20


def test_pandas_extension_dtypes_are_read_as_numpy():
    """Times with a time zone (as UTC), nullable floats and integers (missing as NaN), e.g. from df.to_xarray()."""
    times = pd.date_range("2020-01-01 01:00", periods=4, freq="D", tz="Europe/Paris")  # 00:00 UTC
    ds = xr.Dataset({"sla": ("obs", np.arange(4.0))}, coords={"time": ("obs", times), "lat": ("obs", np.arange(4.0)),
                                                             "lon": ("obs", np.arange(4.0))})
    for data in (ds, ds.swap_dims(obs="time")):  # an extra coordinate, and the index
        obs = observations.read(data, "sla")
        assert obs.time_axis.reference == "2020-01-01"
        np.testing.assert_allclose(obs.table.time, [0.0, 1.0, 2.0, 3.0])
    df = pd.DataFrame({"lat": pd.array([10, 11, 12, 13], dtype="Int64"), "lon": [0.0, 1.0, 2.0, 3.0],
                       "sla": pd.array([0.1, None, 0.3, 0.4], dtype="Float64")})
    obs = observations.read(df.to_xarray(), "sla")
    np.testing.assert_allclose(obs.table.values[:, 0], [0.1, 0.3, 0.4])
    np.testing.assert_allclose(obs.table.lat, [10.0, 12.0, 13.0])
    assert observations.read(df.to_xarray()).variables == ["sla"]  # chosen without being named


def test_dict_input_refuses_longitudes_that_are_not_degrees_east():
    lat = np.linspace(10, 20, 4)
    with pytest.raises(ValueError, match="not degrees east"):
        observations.read({"lon": np.linspace(1e5, 5e5, 4), "lat": lat}, values=np.arange(4.0))
    with pytest.raises(ValueError, match="mixes conventions"):
        observations.read({"lon": np.array([-170.0, 0.0, 200.0, 350.0]), "lat": lat}, values=np.arange(4.0))
    # a prediction target's longitudes are wrapped, whatever multiple of 360 away (predictions are periodic)
    assert dict_columns({"lon": np.array([-720.0, 10.0]), "lat": [1.0, 2.0]}, None)[0].tolist() == [0.0, 10.0]


def test_timedelta_times_are_counted_in_days():
    obs = observations.read(_track(time=("obs", np.arange(6) * np.timedelta64(12, "h"))), "sla")
    assert obs.time_axis.units == "days"
    np.testing.assert_allclose(obs.table.time, np.arange(6) * 0.5)
    np.testing.assert_allclose(TimeAxis.from_values(np.array([36], "m8[h]")).to_days(np.array([36], "m8[h]")), [1.5])


def test_cf_valid_range_masks_the_values_outside_it_with_a_warning():
    values = np.full((4, 5), 15.0)
    values[0] = -50.0
    ds = _grid(values)
    ds["sla"].attrs["valid_range"] = np.array([-5.0, 40.0])
    with pytest.warns(UserWarning, match=r"'sla': 5 of 20 values lie outside its valid range \[-5, 40\]") as seen:
        obs = observations.read(ds, "sla")
    assert len(obs.table) == 15 and seen[0].filename == __file__  # the warning points at the caller
    raw = np.round(values / 0.01).astype("int16")  # packed, not decoded: the bounds are in packed units
    raw[1, 0] = 4000  # 40.0, on the bound: kept
    packed = _grid(raw)
    packed["sla"].attrs.update(scale_factor=0.01, valid_min=np.int16(-500), valid_max=np.int16(4000))
    with pytest.warns(UserWarning, match="5 of 20 values lie outside"):
        obs = observations.read(packed, "sla")
    assert len(obs.table) == 15 and obs.table.values.max() == pytest.approx(40.0)


def test_a_lazy_read_takes_the_time_reference_from_the_first_time_present():
    pytest.importorskip("dask")
    t = np.array(["NaT", "2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05", "2020-01-06"], "M8[ns]")
    obs = observations.read(_track(time=("obs", t)).chunk(obs=3), "sla", lazy=True)
    assert obs.time_axis.reference == "2020-01-02"


def test_bounds_and_grid_mapping_variables_do_not_block_the_choice_of_the_variable():
    ds = _grid()
    ds["crs"] = xr.DataArray(np.int32(0), attrs={"grid_mapping_name": "latitude_longitude"})
    ds["lat_bnds"] = (("lat", "nv"), np.stack([ds.lat.values - 0.5, ds.lat.values + 0.5], 1))
    ds["lon_bnds"] = (("lon", "nv"), np.stack([ds.lon.values - 0.5, ds.lon.values + 0.5], 1))
    ds["mapping"] = xr.DataArray(np.zeros(2), dims="nv")  # on no dimension of the points
    ds.lat.attrs["bounds"], ds.lon.attrs["bounds"] = "lat_bnds", "lon_bnds"
    assert observations.read(ds).variables == ["sla"]
    ds["sla"].attrs["grid_mapping"] = "proj: lat lon"  # the extended form names the mapping before a colon
    ds["proj"] = ds.sla * 0
    assert observations.read(ds).variables == ["sla"]


def test_a_fill_value_in_a_coordinate_is_named_as_a_possible_cause():
    for role in ("lat", "lon"):
        ds = _track(**{role: ("obs", np.array([10, 11, 12, -999.0, 14, 15]))})
        with pytest.raises(ValueError, match=r"fill value \(e\.g\. -999\)\? Declare it as the coordinate's "
                                             r"_FillValue, or drop those points"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                observations.read(ds, "sla")


def test_a_time_data_variable_of_plain_numbers_is_still_the_time():
    """Only the ambiguous names (t, date) need dates; a data variable named 'time' in days is a time."""
    ds = xr.Dataset({"sla": ("obs", np.arange(6.0)), "lat": ("obs", np.linspace(30, 31, 6)),
                     "lon": ("obs", np.linspace(0, 1, 6)), "time": ("obs", np.linspace(0, 2, 6))})
    assert find_coords(ds, variables=["sla"]).time == "time"


def test_time_false_pools_a_numeric_time_dimension():
    ds = xr.Dataset({"sla": (("time", "lat", "lon"), np.random.default_rng(0).normal(size=(3, 4, 5)))},
                    coords={"time": [0.0, 1.0, 2.0], "lat": np.arange(4.0) + 30, "lon": np.arange(5.0)})
    import geoinr  # noqa: F401  (the .inr accessor)

    fitted = ds.inr.fit("sla", time=False, width=8, depth=1, epochs=1, max_time=None, progress=False)
    assert fitted.time_range_ is None and fitted.n_points_ == 60  # the three times pooled: repeats of 20 points


def test_the_packing_extreme_away_from_a_declared_fill_is_data():
    """grib_to_netcdf declares -32767 and stores a record's maximum as 32767: that value is kept."""
    v = xr.DataArray(np.zeros(3), dims="x")
    v.encoding.update(dtype=np.dtype("int16"), scale_factor=0.01, _FillValue=np.int16(-32767))
    assert [round(k, 2) for k in sentinels.packed_extremes(v)] == [-327.68]
