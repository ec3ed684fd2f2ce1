"""A sub-daily grid without a cycle of its own takes the period its field is carried at (2026-12-07, ninth session).

An atmospheric review: hourly sea-level pressure whose lows travel 700 km a day took the rule's period (the
wavelength over a mesoscale drift of 10 km/day): 19 days over a two-day record, at 2 deg 38 days, on a 5 deg
global grid 102 days, so the map hardly changed in time (184 Pa at the half hours, 40 Pa with min_period=0.5).
"""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from geoinr.scales import DEFAULT_SPEED, carried_period, default_scales


def _lows(res=1.0, days=2, step_h=1.0, speed_deg=10.0):
    """Sea-level pressure (Pa) of two lows travelling east at ``speed_deg`` degrees a day over Europe."""
    lat, lon = np.arange(70.0, 30.0 - 1e-9, -res), np.arange(-20.0, 40.0 + 1e-9, res)
    t = pd.date_range("2024-01-10", periods=int(days * 24 / step_h), freq=f"{step_h}h")
    d = np.asarray((t - t[0]) / pd.Timedelta("1D"))[:, None, None]
    la, lo = lat[None, :, None], lon[None, None, :]
    msl = 101325.0 + 0.0 * d * la * lo
    for c_lat, c_lon in ((55.0, -15.0), (45.0, 5.0)):
        dx = (lo - (c_lon + speed_deg * d)) * np.cos(np.radians(c_lat))
        msl = msl - 3000.0 * np.exp(-(dx ** 2 + (la - c_lat) ** 2) / (2 * 6.0 ** 2))
    return xr.Dataset({"msl": (("time", "latitude", "longitude"), msl.astype("float32"),
                               {"units": "Pa", "standard_name": "air_pressure_at_mean_sea_level"})},
                      coords={"time": t, "latitude": lat, "longitude": lon})


def _columns(ds):
    t = np.asarray((ds.time - ds.time[0]) / np.timedelta64(1, "D"))
    tt, la, lo = np.meshgrid(t, ds.latitude.values, ds.longitude.values, indexing="ij")
    return lo.ravel(), la.ravel(), tt.ravel(), ds.msl.values.ravel()


def test_the_speed_of_travelling_lows_is_read():
    lon, lat, t, y = _columns(_lows())
    period = carried_period(lon, lat, t, y, 200.0)
    speed = 200.0 / period  # km/day
    assert 500.0 < speed < 900.0  # 10 deg/day at 45-55 N: 640-790 km/day
    slow = carried_period(*_columns(_lows(speed_deg=1.0)), 200.0)
    assert slow > 5 * period  # ten times slower lows: a period about ten times longer


def test_daily_records_and_short_ones_are_left_to_the_rule():
    ds = _lows(days=20, step_h=24.0)
    assert carried_period(*_columns(ds), 200.0) is None
    assert carried_period(*_columns(_lows(days=2 / 24)), 200.0) is None  # two times only


def test_the_floor_is_two_steps():
    lon, lat, t, _ = _columns(_lows())
    in_place = np.cos(2 * np.pi * t) + 1e-3 * (lat + lon)  # a cycle everywhere at once: carried very fast
    assert carried_period(lon, lat, t, in_place, 200.0) == pytest.approx(2 / 24)


def test_an_hourly_weather_fit_takes_a_period_of_hours():
    ds = _lows(res=2.0, days=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ds.inr.fit("msl", width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    enc = m.encoding_config_
    rule_period = enc["min_wavelength"] / DEFAULT_SPEED
    assert enc["min_period"] < 1.0 < rule_period  # (the rule: 38 days over one day's record)
    assert enc["min_period"] == pytest.approx(enc["min_wavelength"] / 715.0, rel=0.25)


def test_grid_of_an_hourly_record_is_hourly(tmp_path):
    import geoinr

    ds = _lows(res=4.0, days=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ds.inr.fit("msl", width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)
        assert m.time_step_ * 24 == pytest.approx(1.0)
        assert m.grid(4.0).sizes["time"] == 24  # (one midnight map before)
        assert m.target_grid(4.0, time_step="6h").sizes["time"] == 4  # a step given wins
        path = tmp_path / "msl.geoinr"
        m.save(path)
        assert geoinr.load(path).time_step_ == m.time_step_
        # numbers in hours: steps of one hour in the data's own units
        hours = ds.assign_coords(time=("time", np.arange(24.0), {"units": "hours since 2024-01-10"}))
        mh = hours.inr.fit("msl", width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)
        assert mh.grid(4.0).sizes["time"] == 24
        tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)  # scattered: daily maps, as before
        mt = tracks.inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, progress=False)
        assert mt.time_step_ is None and mt.grid(1.0).sizes["time"] == 2


def test_noise_does_not_pass_for_speed():
    """A diff review: 1 cm of white noise on a 5 cm field drifting 10 km/day read 0.2 days for 5 (noise raises the
    one-step and the across-cell semivariances alike); its nugget is now taken out, and a field whose change is lost
    in the noise gives no estimate (the rule's period then)."""
    rng = np.random.default_rng(0)
    lon, lat, t = (a.ravel() for a in np.meshgrid(np.arange(40) * 0.25, 30 + np.arange(40) * 0.25, np.arange(48) / 24,
                                                  indexing="ij"))
    slow = np.sin(2 * np.pi * (lon - 0.1 * t) / 4) * np.cos(2 * np.pi * lat / 4)
    clean = carried_period(lon, lat, t, slow, 51.9)
    assert 4.0 < clean < 7.0
    noisy = carried_period(lon, lat, t, slow + 0.01 * rng.standard_normal(slow.size), 51.9)
    assert noisy is None or abs(noisy / clean - 1) < 0.2
    for sigma in (0.05, 0.2):
        assert carried_period(lon, lat, t, slow + sigma * rng.standard_normal(slow.size), 51.9) is None
    fast = np.sin(2 * np.pi * (lon - 5.0 * t) / 4) * np.cos(2 * np.pi * lat / 4)
    assert carried_period(lon, lat, t, fast + 0.2 * rng.standard_normal(fast.size), 51.9) == pytest.approx(
        carried_period(lon, lat, t, fast, 51.9), rel=0.1)


def test_a_streamed_hourly_grid_keeps_its_step(monkeypatch):
    """A diff review: a dask-backed hourly record (streamed) took daily maps (its step was read from the table)."""
    import geoinr.model.fitting as fitting

    monkeypatch.setattr(fitting, "STREAM_MIN_BYTES", 0)
    ds = _lows(res=4.0, days=1).chunk({"time": 6})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ds.inr.fit("msl", width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    assert m.streamed_ is not None and m.time_step_ * 24 == pytest.approx(1.0)
    assert m.grid(4.0).sizes["time"] == 24


def test_grid_times_are_the_records_own():
    """A diff review: an HH:30 product was mapped at whole hours, between its times."""
    ds = _lows(res=4.0, days=1)
    ds = ds.assign_coords(time=ds.time + pd.Timedelta("30min"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ds.inr.fit("msl", width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    np.testing.assert_array_equal(m.grid(4.0).time.values, ds.time.values)


def test_oi_says_when_its_scales_cannot_suit_a_grid():
    """An atmospheric review: OI's sea-level defaults (100 km, 10 days) on hourly pressure at 2 deg over two days
    gave 186 Pa in silence (600 km and half a day: 5.8)."""
    import geoinr

    def said(ds, var, **kw):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            geoinr.baselines.OptimalInterpolation(progress=False, **kw).fit(ds, var)
        return [str(w.message) for w in seen if "OptimalInterpolation's scales" in str(w.message)]

    weather = _lows(res=2.0, days=2)
    found = said(weather, "msl")
    assert len(found) == 1 and "under the grid's spacing" in found[0] and "lt=10 days" in found[0]
    assert said(weather, "msl", lx=600.0, ly=600.0, lt=0.5) == []
    assert said(geoinr.datasets.synthetic_grid(days=3, resolution=0.25), "sla") == []  # a daily sea level grid
    assert said(geoinr.datasets.synthetic_tracks(days=3), "sla") == []


def test_a_streamed_hourly_grid_takes_the_period_it_takes_in_memory(monkeypatch):
    """A diff review's lead: read with dask, hourly weather kept the rule's 38 days (0.53 in memory)."""
    import geoinr.model.fitting as fitting

    ds = _lows(res=2.0, days=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eager = ds.inr.fit("msl", width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)
        monkeypatch.setattr(fitting, "STREAM_MIN_BYTES", 0)
        for chunks in ({"time": 6}, {"latitude": 10, "longitude": 10}):
            lazy = ds.chunk(chunks).inr.fit("msl", width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)
            assert lazy.streamed_ is not None
            assert lazy.encoding_config_["min_period"] == pytest.approx(eager.encoding_config_["min_period"])
    assert eager.encoding_config_["min_period"] < 1.0
