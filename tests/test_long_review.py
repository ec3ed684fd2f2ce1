"""A review of long records (2026-12-07, fifth session: one to ten years): each test failed before its fix.

- setup before training grew with the record: the repeats' check sorted every point (6.6 s of a 20 s fit of ten
  years of daily maps) and a grid's scales were measured three times over every point (the rule, the grid's
  spacing over every cell at every time, and the rule again in the encoding);
- a target up to 1 % of the window past its end was held in silence: 36 days after a ten-year record.
"""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr
import geoinr.scales as scales
from geoinr.coords import PointTable
from geoinr.observations import warn_duplicates


def _grid(days):
    lat, lon = np.arange(30.5, 40, 1.0), np.arange(0.5, 10, 1.0)
    t = np.arange(days, dtype=float)
    values = 0.1 * np.sin(t[:, None, None] / 20.0 + np.radians(lon)[None, None, :] * 30) * np.cos(
        np.radians(lat)[None, :, None] * 20)
    return xr.Dataset({"sla": (("time", "lat", "lon"), values, {"units": "m"})},
                      coords={"time": pd.date_range("2010-01-01", periods=days), "lat": lat, "lon": lon})


def test_a_grid_s_scales_are_measured_once_over_its_points(monkeypatch):
    sizes, original = [], scales.default_scales

    def counted(lon, lat, t=None, *args, **kwargs):
        sizes.append(np.size(lon))
        return original(lon, lat, t, *args, **kwargs)

    monkeypatch.setattr(scales, "default_scales", counted)
    ds = _grid(30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        m = ds.inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, progress=False)
    points = ds.sla.size
    assert sorted(sizes) == [100, points]  # the rule over every point once; the spacing over each cell once
    monkeypatch.setattr(scales, "default_scales", original)
    wavelength, period = original(*(np.broadcast_to(a, ds.sla.shape).ravel() for a in (
        ds.lon.values[None, None, :], ds.lat.values[None, :, None],
        (np.arange(30.0))[:, None, None])))
    assert m.encoding_config_["min_wavelength"] == pytest.approx(wavelength, rel=1e-12)
    assert m.encoding_config_["min_period"] == pytest.approx(period, rel=1e-12)


def test_repeats_that_differ_are_still_found_among_many_points():
    rng = np.random.default_rng(0)
    n = 50_000
    lon, lat, t = rng.uniform(0, 10, n), rng.uniform(30, 40, n), rng.uniform(0, 10, n)
    values = rng.normal(size=(n, 1))
    lon[-3:], lat[-3:], t[-3:] = lon[0], lat[0], t[0]  # three repeats of the first point, with other values
    table = PointTable(lon=lon, lat=lat, time=t, values=values)
    with pytest.warns(UserWarning, match="1 coordinate"):
        warn_duplicates(table)
    same = PointTable(lon=lon[:-3], lat=lat[:-3], time=t[:-3], values=values[:-3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_duplicates(same)


def test_a_target_a_week_after_a_ten_year_record_is_far():
    from geoinr.observations import far_outside, margins

    region, window = (0.0, 10.0, 30.0, 40.0), (0.0, 3652.0)
    assert margins(region, window)[2] == 5.0
    assert far_outside(region, window, np.array([5.0]), np.array([35.0]), np.array([3652.0 + 7.0]))[0]
    assert not far_outside(region, window, np.array([5.0]), np.array([35.0]), np.array([3652.0 + 4.0]))[0]


def test_an_in_memory_fit_the_machine_cannot_hold_is_refused_with_the_way_out(monkeypatch):
    """A review: an in-memory fit took about 150 bytes per observation beyond the data with no check (23 million
    points: some 3.5 GiB), where an eager prediction is checked."""
    import geoinr.machine as machine

    monkeypatch.setattr(machine, "memory_bytes", lambda: 40 * 2**20)  # a 40 MiB machine
    ds = _grid(2000)  # 200,000 points: 29 MiB of fit
    with pytest.raises(MemoryError, match=r"An in-memory fit of 200,000 observations: the fit would take .*ds.chunk"):
        ds.inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, progress=False)
    monkeypatch.setattr(machine, "memory_bytes", lambda: 4 * 2**30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ds.inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, progress=False)
