"""A validation check scores a fixed, even sample of a large held-out set (2026-12-07, ninth session).

Two million scattered points held out 400,000; each check scored them all (5-13 s on 2 cores), which the time
budget cannot interrupt, so a 15 s fit ran 17-19 s. A check now scores a fixed random sample of that many held-out points beyond
``training.VALIDATION_CHECK_MAX``.
"""
import warnings

import numpy as np
import torch
import xarray as xr

import geoinr
from geoinr import training


def _scattered(n, seed=0):
    rng = np.random.default_rng(seed)
    lon, lat, days = rng.uniform(0, 4, n), rng.uniform(30, 34, n), rng.uniform(0, 4, n)
    t = np.datetime64("2020-01-01", "ns") + (days * 86400e9).astype("timedelta64[ns]")
    sla = geoinr.datasets.analytic_ssh(lon, lat, days)
    return xr.Dataset({"sla": ("obs", sla, {"units": "m"})},
                      coords={"lon": ("obs", lon), "lat": ("obs", lat), "time": ("obs", t)})


def _sizes_scored(monkeypatch, cap):
    """The number of points each validation check scored, with ``VALIDATION_CHECK_MAX = cap``."""
    monkeypatch.setattr(training, "VALIDATION_CHECK_MAX", cap)
    seen, original = [], training._squared_error_sum

    def counting(pred, y, w):
        if not torch.is_grad_enabled():  # (the checks run without gradients)
            seen.append(int(y.shape[0]))
        return original(pred, y, w)

    monkeypatch.setattr(training, "_squared_error_sum", counting)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = _scattered(3000).inr.fit("sla", width=16, depth=1, epochs=3, max_time=None, validation=0.3, seed=0,
                                     progress=False)
    return seen, m


def test_a_check_scores_at_most_the_cap(monkeypatch):
    seen, m = _sizes_scored(monkeypatch, 100)
    assert seen and max(seen) == 100  # the cap
    assert np.isfinite(m.history_["val_loss"]).any()


def test_below_the_cap_every_held_out_point_is_scored(monkeypatch):
    seen, _ = _sizes_scored(monkeypatch, 10 ** 9)
    assert seen and max(seen) > 500  # (about 900 held out: 30 % of 3000, in chunks)
