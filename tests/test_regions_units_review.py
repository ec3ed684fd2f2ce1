"""Reviews of polar records, static fields and radar currents (2026-12-07, eighth session): the small fixes.

- a polar cap ringed by tracks is inside the fitted region (one value at the pole, on ``target_grid``);
- ``regrid(resolution)`` of a curvilinear source whose longitudes reach +180 gives an ascending axis;
- heights in km are lengths (derive, scores);
- scores convert speed units (a radar map in cm/s against a truth in m/s);
- a NaT time's message says how to fit a field without time.
"""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr
from geoinr.observations import with_polar_caps


def _arctic_tracks(n=4000, north=81.45, seed=0):
    """Scattered points over every longitude between 66 N and ``north`` of a field smooth through the pole."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-180, 180, n)
    lat = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(66.0)), np.sin(np.radians(north)), n)))
    z = np.sin(np.radians(lat))
    x = np.cos(np.radians(lat)) * np.cos(np.radians(lon))
    sla = 0.1 * z + 0.05 * x
    t = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.uniform(0, 2, n), unit="D")
    return xr.Dataset({"sla": ("obs", sla, {"units": "m"})},
                      coords={"lon": ("obs", lon), "lat": ("obs", lat), "time": ("obs", t.values)})


def test_a_cap_ringed_by_tracks_is_inside_the_region():
    assert with_polar_caps((-180.0, 180.0, 66.0, 81.45)) == (-180.0, 180.0, 66.0, 90.0)
    assert with_polar_caps((-180.0, 180.0, -85.0, -60.0)) == (-180.0, 180.0, -90.0, -60.0)
    assert with_polar_caps((-180.0, 180.0, -70.0, -50.0)) == (-180.0, 180.0, -70.0, -50.0)  # Antarctica: no hole
    assert with_polar_caps((-180.0, 180.0, 40.0, 66.0)) == (-180.0, 180.0, 40.0, 66.0)  # Jason's 24 deg: too wide
    assert with_polar_caps((-180.0, 180.0, 30.0, 50.0)) == (-180.0, 180.0, 30.0, 50.0)  # a band far from the pole
    assert with_polar_caps((10.0, 200.0, 66.0, 81.45)) == (10.0, 200.0, 66.0, 81.45)  # not every longitude
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = _arctic_tracks().inr.fit("sla", width=16, depth=1, epochs=3, max_time=None, seed=0, progress=False)
    assert m.region_[3] == 90.0
    pole = {"lon": np.arange(-180.0, 180.0, 45.0), "lat": np.full(8, 90.0), "time": np.full(8, np.datetime64("2020-01-02"))}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "outside the fitted region" warning
        held = m.predict(pole)
    assert np.ptp(held) < 1e-5  # one value at the pole (eight before: each longitude held at 81.45 N)
    np.testing.assert_allclose(held, m.predict(pole, outside="extrapolate"), atol=1e-6)
    assert float(m.target_grid(1.0).lat.max()) > 89.0


def test_a_global_grid_ends_where_it_ends():
    """A diff review: a global grid from 80 S to 80 N was widened to both poles (Antarctica included); a grid's edge
    is a product's choice, not a hole between tracks."""
    lat, lon = np.arange(-79.5, 80.0, 1.0), np.arange(-177.5, 180.0, 5.0)
    ds = xr.Dataset({"sla": (("lat", "lon"), np.cos(np.radians(lat))[:, None] * np.ones(lon.size), {"units": "m"})},
                    coords={"lat": lat, "lon": lon})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ds.inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, seed=0, progress=False)
    assert m.region_[2:] == (-79.5, 79.5)


def test_a_circumpolar_band_with_a_narrow_sector_gap_covers_every_longitude():
    """A review's Southern Ocean day of SARAL: a 15.7 deg sector without tracks at 60-70 S (600-870 km, less than
    the gaps between passes at the equator) made the region stop at its edges, and predictions there step."""
    from geoinr.coords import PointTable
    from geoinr.observations import extent

    rng = np.random.default_rng(0)
    lon = rng.uniform(130.0, 130.0 + 344.3, 5000) % 360.0  # every longitude but 114-130 E
    lat = rng.uniform(-70.0, -60.0, 5000)
    region, _ = extent(PointTable(lon, lat, None, np.zeros((5000, 1))))
    assert region[:2] == (-180.0, 180.0)
    tropics = PointTable(lon, rng.uniform(-10.0, 10.0, 5000), None, np.zeros((5000, 1)))
    assert extent(tropics)[0][1] - extent(tropics)[0][0] < 360.0  # 15.7 deg at the equator is a real gap
    # a second diff review: an Arctic record dense near the pole, 60 deg of longitude missing, read as global (the
    # gap measured at its median latitude, 84 N, not at its 66 N edge, where it is 2,700 km)
    arctic_lon = rng.uniform(-150.0, 150.0, 5000)
    arctic_lat = 90.0 - 24.0 * np.sqrt(rng.uniform(0.0, 1.0, 5000)) ** 3
    region, _ = extent(PointTable(arctic_lon, arctic_lat, None, np.zeros((5000, 1))))
    assert region[1] - region[0] < 360.0 and region[3] < 90.0


def test_the_regridded_axis_of_a_curvilinear_source_reaching_180_ascends():
    """A polar grid's 2-D longitudes from atan2 reach +180.0: its regrid's axis had 181, 183, -175."""
    x = np.linspace(-1.0, 1.0, 25)
    X, Y = np.meshgrid(x, x)
    lon = np.degrees(np.arctan2(Y, X))
    lon[np.isclose(lon, -180.0)] = 180.0
    lat = 90.0 - 20.0 * np.hypot(X, Y)
    field = 0.1 * np.cos(np.radians(lat)) * np.cos(np.radians(lon))
    ds = xr.Dataset({"sla": (("y", "x"), field, {"units": "m"})},
                    coords={"lon": (("y", "x"), lon), "lat": (("y", "x"), lat)})
    assert float(lon.max()) == 180.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ds.inr.regrid(2.0, width=8, depth=1, epochs=2, max_time=None, seed=0, progress=False)
    values = out.lon.values
    assert (np.diff(values) > 0).all() and values.min() >= -180.0 and values.max() < 180.0


def test_heights_in_km_are_lengths():
    from geoinr.geometry import metres_per_length_unit

    assert metres_per_length_unit("km") == 1000.0 and metres_per_length_unit("Kilometres") == 1000.0
    ref = xr.DataArray([1.0, 2.0, 3.0], dims="x", attrs={"units": "m"})
    est = xr.DataArray([0.001, 0.002, 0.003], dims="x", attrs={"units": "km"})
    assert geoinr.metrics.rmse(est, ref) == pytest.approx(0.0, abs=1e-12)
    lon, lat = np.meshgrid(np.arange(0.0, 2.0, 0.2), np.arange(40.0, 42.0, 0.2))
    ds = xr.Dataset({"h": (("lat", "lon"), 1e-4 * lat, {"units": "km"})},
                    coords={"lat": lat[:, 0], "lon": lon[0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ds.inr.fit("h", width=8, depth=1, epochs=2, max_time=None, seed=0, progress=False)
        grid = m.target_grid(0.5)
        assert m.derive("gradient", grid).deta_dx.attrs["units"] == "1"  # km m-1 before
        assert m.derive("geostrophic_velocity", grid).ugos.attrs["units"] == "m s-1"  # refused before


def test_scores_convert_speed_units():
    ref = xr.DataArray([0.1, 0.2, 0.3], dims="x", attrs={"units": "m s-1"})
    est = xr.DataArray([10.0, 20.0, 30.0], dims="x", attrs={"units": "cm/s"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert geoinr.metrics.rmse(est, ref) == pytest.approx(0.0, abs=1e-12)
        assert geoinr.metrics.rmse(est.assign_attrs(units="cm s-1"), ref.assign_attrs(units="m/s")) == pytest.approx(0.0, abs=1e-12)
    knots = xr.DataArray([0.1, 0.2, 0.3], dims="x", attrs={"units": "knots"})
    assert geoinr.metrics.rmse(knots, ref) == pytest.approx(np.sqrt(np.mean((np.array([0.1, 0.2, 0.3]) * (0.514444 - 1)) ** 2)))


def test_a_nat_time_says_how_to_fit_without_time():
    lon, lat = np.meshgrid(np.arange(0.0, 2.0, 0.2), np.arange(40.0, 42.0, 0.2))
    ds = xr.Dataset({"mdt": (("lat", "lon"), 0.1 * lat, {"units": "m"})},
                    coords={"lat": lat[:, 0], "lon": lon[0], "time": np.datetime64("NaT", "ns")})
    with pytest.raises(ValueError, match=r"time=False"):
        ds.inr.fit("mdt", width=8, depth=1, epochs=1, max_time=None, progress=False)
