"""A variable fitted with others but observed over part of their region or window is warned of (2026-12-07, ninth
session).

A review of multi-variable fits: SST observed for 3 of 8 days beside SLA was extrapolated to the eighth day (2.3-3.3
K errors, a std of 0.13 K) with no warning, no hold and no mask: the fitted region and window are every variable's
together. The fit now says so and advises fitting it alone.
"""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr


def _pair():
    lat, lon, t = np.arange(30, 40, 0.5), np.arange(-70, -60, 0.5), pd.date_range("2019-01-01", periods=8)
    tt, y, x = np.meshgrid(np.arange(8), lat, lon, indexing="ij")
    rng = np.random.default_rng(0)
    truth = xr.Dataset({"sla": (("time", "lat", "lon"), 0.1 * np.sin(2 * np.pi * x / 4) * np.cos(y), {"units": "m"}),
                        "sst": (("time", "lat", "lon"), 290 + 0.5 * (40 - y) + 0.5 * tt, {"units": "K"})},
                       coords={"time": t, "lat": lat, "lon": lon})
    return truth.where(rng.random(tt.shape) < 0.3)


def _said(obs):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        obs.inr.fit(["sla", "sst"], width=8, depth=1, epochs=1, max_time=None, progress=False)
    return [str(w.message) for w in seen if "is observed only" in str(w.message)]


@pytest.mark.parametrize("cut, words", [
    (lambda o: o.sst.where(o.time < o.time[3]), "over days 0 to 2 of the record's 0 to 7"),
    (lambda o: o.sst.where(o.lat < 33), "over 30 to 32.5 N"),
    (lambda o: o.sst.where(o.lon < -66), "-70 to -66.5 E of the region's"),
    (lambda o: o.sst.where(o.lon > -64), "-63.5 to -60.5 E of the region's"),
])
def test_a_variable_short_of_the_others_is_warned_of(cut, words):
    obs = _pair()
    said = _said(obs.assign(sst=cut(obs)))
    assert len(said) == 1 and said[0].startswith("'sst'") and words in said[0] and "Fit 'sst' alone" in said[0]


def test_variables_over_one_extent_are_not():
    assert _said(_pair()) == []
