"""Coordinate discovery, longitude handling, time conversion and flattening (no torch needed)."""
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from geoinr.coords import (
    CoordNames,
    TimeAxis,
    find_coords,
    longitude_span,
    points_from_xarray,
    regular_grid,
    wrap_longitude,
)


@pytest.mark.parametrize(
    "lat,lon,time",
    [("lat", "lon", "time"), ("latitude", "longitude", "date"), ("nav_lat", "nav_lon", "time_counter"), ("LAT", "Lon", "Time")],
)
def test_common_names(lat, lon, time):
    ds = xr.Dataset(coords={lat: ("n", [0.0]), lon: ("n", [0.0]), time: ("n", np.array(["2020-01-01"], "datetime64[ns]"))})
    assert find_coords(ds) == CoordNames(lat, lon, time)


def test_explicit_names_win_over_cf():
    ds = xr.Dataset(
        coords={
            "lat": ("n", [0.0], {"units": "degrees_north"}),
            "lat2": ("n", [1.0]),
            "lon": ("n", [0.0]),
        }
    )
    assert find_coords(ds, lat="lat2").lat == "lat2"


def test_axis_attribute_and_datetime_fallback():
    ds = xr.Dataset(
        coords={
            "Y": ("n", [0.0], {"axis": "Y"}),
            "X": ("n", [0.0], {"axis": "X"}),
            "when": ("n", np.array(["2020-01-01"], "datetime64[ns]")),
        }
    )
    assert find_coords(ds) == CoordNames("Y", "X", "when")


def test_projected_axis_is_not_taken_for_degrees():
    """axis='Y' in metres is a projection coordinate, not latitude."""
    ds = xr.Dataset(coords={"y": ("y", [0.0], {"axis": "Y", "units": "m"}), "x": ("x", [0.0], {"axis": "X", "units": "m"})})
    with pytest.raises(ValueError, match="Could not find"):
        find_coords(ds)


def test_lat_lon_as_data_variables():
    """Along-track files sometimes store lat/lon as data variables."""
    ds = xr.Dataset({"sla": ("n", [1.0]), "latitude": ("n", [1.0]), "longitude": ("n", [2.0])})
    assert find_coords(ds) == CoordNames("latitude", "longitude", None)


def test_wrap_and_span():
    np.testing.assert_array_equal(wrap_longitude([0, 180, 359.5, -190]), [0, -180, -0.5, 170])
    assert longitude_span([175.0, -175.0, 179.0]) == (175.0, 185.0)
    assert longitude_span([10.0, 20.0]) == (10.0, 20.0)
    assert longitude_span([350.0, 10.0]) == (-10.0, 10.0)
    assert longitude_span(np.arange(-180, 180, 2.0)) == (-180.0, 180.0)


def test_time_axis_datetime_round_trip():
    t = np.array(["2020-01-02T06:00", "2020-01-05"], dtype="datetime64[ns]")
    ax = TimeAxis.from_values(t)
    assert ax.reference == "2020-01-02"
    days = ax.to_days(t)
    np.testing.assert_allclose(days, [0.25, 3.0])
    np.testing.assert_array_equal(ax.from_days(days), t)


def test_time_axis_cftime_360_day():
    import cftime

    t = np.array([cftime.Datetime360Day(2000, 2, 30), cftime.Datetime360Day(2000, 3, 1)])
    ax = TimeAxis.from_values(t)
    assert ax.kind == "cftime" and ax.calendar == "360_day"
    np.testing.assert_allclose(ax.to_days(t), [0.0, 1.0])
    assert ax.from_days([1.0])[0] == cftime.Datetime360Day(2000, 3, 1)


def test_time_strings_are_refused_with_a_fix():
    with pytest.raises(TypeError, match="pd.to_datetime"):
        TimeAxis.from_values(np.array(["2020-01-01"]))


def test_gridded_points_drop_nan_and_wrap():
    da = xr.DataArray(
        [[[1.0, np.nan], [3.0, 4.0]]],
        dims=("time", "lat", "lon"),
        coords={"time": np.array(["2020-01-01"], "datetime64[ns]"), "lat": [0.0, 1.0], "lon": [350.0, 355.0]},
    )
    table, ax = points_from_xarray(da, [None], CoordNames("lat", "lon", "time"))
    assert len(table) == 3
    np.testing.assert_array_equal(table.lon, [-10.0, -10.0, -5.0])
    np.testing.assert_array_equal(table.lat, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(table.time, [0.0, 0.0, 0.0])
    assert table.coordinates().shape == (3, 3)


def test_curvilinear_points():
    y, x = np.meshgrid([10.0, 11.0], [0.0, 1.0, 2.0], indexing="ij")
    ds = xr.Dataset({"v": (("y", "x"), np.arange(6.0).reshape(2, 3))}, coords={"nav_lat": (("y", "x"), y), "nav_lon": (("y", "x"), x)})
    table, _ = points_from_xarray(ds, ["v"], find_coords(ds))
    np.testing.assert_array_equal(table.lat, y.ravel())
    np.testing.assert_array_equal(table.values[:, 0], np.arange(6.0))


def test_regular_grid_cf_attributes():
    g = regular_grid((170, 190, -1, 1), 5.0, times=np.array(["2020-01-01"], "datetime64[ns]"))
    assert g.lon.values.tolist() == [172.5, 177.5, 182.5, 187.5]
    assert g.lat.attrs["units"] == "degrees_north" and g.lon.attrs["standard_name"] == "longitude"
    assert g.time.attrs["standard_name"] == "time"


def test_coords_module_never_imports_torch():
    """coords.py works without torch: importing it (with what it imports: frames, geometry) does not pull torch in."""
    code = (
        "import sys\n"
        "import geoinr.coords\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_nn_never_imports_xarray():
    """geoinr.nn holds torch modules only."""
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (
        "import sys, types, importlib\n"
        "pkg = types.ModuleType('geoinr'); pkg.__path__ = ['geoinr']; sys.modules['geoinr'] = pkg\n"
        "importlib.import_module('geoinr.nn')\n"
        "assert 'xarray' not in sys.modules, 'xarray imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
