"""``derive("tendency")``: a fitted field's rate of change in time, in its own units per second (a surrogate
user's lead: only autograd through ``as_module`` gave it)."""
import warnings

import numpy as np
import pytest
import torch
import xarray as xr

from geoinr.physics.derived import derived_fields
from geoinr.physics.operators import derivatives

R = 6371e3  # m
K = 2 * np.pi / 200e3  # 1/m: a 200 km wave
C = 0.05  # m/s: its westward speed


def _wave(units="m", factor=1.0):
    """A wave moving west at C: eta = A sin(k (x + C t)), its tendency A k C cos(...) (in units/s)."""
    lon, lat, t = np.arange(0, 4, 0.1), np.arange(30, 33, 0.1), np.arange(10)
    LAT, LON = np.meshgrid(lat, lon, indexing="ij")
    x = np.radians(LON) * R * np.cos(np.radians(31.5))
    secs = t[:, None, None] * 86400.0
    eta = factor * 0.1 * np.sin(K * (x + C * secs))
    rate = factor * 0.1 * K * C * np.cos(K * (x + C * secs))
    ds = xr.Dataset({"sla": (("time", "lat", "lon"), eta, {"units": units})},
                    coords={"lon": lon, "lat": lat, "time": np.datetime64("2020-01-01") + t.astype("timedelta64[D]")})
    return ds, rate


def test_the_tendency_of_an_analytic_field_is_its_time_derivative_per_second():
    d = derivatives(lambda r: 2.0 * r[:, 2], torch.tensor([[10.0, 40.0, 3.0]]), laplacian=False)  # 2 per day
    out = derived_fields("tendency", d, torch.tensor([40.0]))
    assert float(out["deta_dt"][0]) == pytest.approx(2.0 / 86400.0)
    with pytest.raises(ValueError, match="time derivative"):
        derived_fields("tendency", derivatives(lambda r: r[:, 0], torch.tensor([[1.0, 2.0]]), laplacian=False),
                       torch.tensor([2.0]))


@pytest.fixture(scope="module")
def fitted():
    ds, rate = _wave()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ds.inr.fit("sla", max_time=None, epochs=150, width=64, depth=3, seed=0, progress=False)
    return ds, rate, m


def test_a_fitted_wave_gives_its_tendency_in_metres_per_second(fitted):
    ds, rate, m = fitted
    out = m.derive("tendency", ds)
    attrs = out.deta_dt.attrs
    assert attrs["units"] == "m s-1" and "rate of change in time of sla" in attrs["long_name"]
    assert "derive('tendency')" in attrs["history"]
    inner = (slice(2, -2), slice(3, -3), slice(3, -3))  # (the edges of the box and window are the network's least held)
    err = out.deta_dt.values[inner] - rate[inner]
    assert np.sqrt(np.mean(err**2)) < 0.2 * np.sqrt(np.mean(rate[inner] ** 2))
    assert np.isfinite(out.deta_dt.values).all()  # no equator band: no 1/f in a tendency


def test_the_tendency_of_points_and_in_other_units(fitted):
    ds, rate, m = fitted
    pts = {"lon": np.array([1.0]), "lat": np.array([31.5]), "time": np.array(["2020-01-05"], dtype="datetime64[ns]")}
    got = m.derive("tendency", pts)
    assert set(got) == {"deta_dt"} and got["deta_dt"].dtype == np.float64
    grid = m.derive("tendency", ds)
    assert got["deta_dt"][0] == pytest.approx(float(grid.deta_dt.sel(lon=1.0, lat=31.5, time="2020-01-05",
                                                                       method="nearest")), rel=0.05, abs=1e-9)


def test_a_tendency_keeps_the_variables_units_and_none_where_it_has_none():
    for units, want in (("cm", "cm s-1"), ("degC", "degC s-1"), (None, None)):
        ds, _ = _wave()
        ds = ds.isel(time=slice(0, 4), lat=slice(0, 10), lon=slice(0, 10))
        if units is None:
            del ds.sla.attrs["units"]
        else:
            ds.sla.attrs["units"] = units
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = ds.inr.fit("sla", max_time=None, epochs=2, width=8, depth=1, progress=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # neither the "no units: metres assumed" nor the equator's warning
            out = m.derive("tendency", ds)
        assert out.deta_dt.attrs.get("units") == want


def test_a_tendency_is_refused_without_time_and_with_return_std(fitted):
    ds, _, m = fitted
    with pytest.raises(ValueError, match="return_std=True is not available for 'tendency'"):
        m.derive("tendency", ds, return_std=True)
    still = ds.isel(time=0, drop=True).isel(lat=slice(0, 10), lon=slice(0, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = still.inr.fit("sla", max_time=None, epochs=2, width=8, depth=1, progress=False)
    with pytest.raises(ValueError, match="fitted with time"):
        s.derive("tendency", still)
    with pytest.raises(ValueError, match="Did you mean 'tendency'"):
        m.derive("tendancy", ds)


def test_a_tendency_beyond_the_window_is_the_held_fields_none(fitted):
    """A diff review: predict holds the field past the window, the tendency took the edge's rate."""
    ds, _, m = fitted
    later = ds.isel(time=[-1]).assign_coords(time=ds.time[-1:].values + np.timedelta64(3, "D"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert (m.derive("tendency", later).deta_dt.values == 0).all()
        assert (m.derive("tendency", later, outside="extrapolate").deta_dt.values != 0).any()


def test_a_tendency_of_one_instant_or_of_a_pair_is_refused_with_what_to_give():
    ds, _ = _wave()
    one = ds.isel(time=[0], lat=slice(0, 10), lon=slice(0, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = one.inr.fit("sla", max_time=None, epochs=2, width=8, depth=1, progress=False)
    with pytest.raises(ValueError, match="more than one instant"):  # (0 in silence before)
        m.derive("tendency", one)
    uv = ds.isel(time=slice(0, 3), lat=slice(0, 8), lon=slice(0, 8))
    uv = xr.Dataset({"u": uv.sla.assign_attrs(units="m s-1"), "v": uv.sla.assign_attrs(units="m s-1")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp = uv.inr.fit(["u", "v"], max_time=None, epochs=2, width=8, depth=1, progress=False)
    with pytest.raises(ValueError, match="give one component"):
        mp.derive("tendency", uv, variable=("u", "v"))
    assert mp.derive("tendency", uv, variable="u").deta_dt.attrs["units"] == "m s-2"
