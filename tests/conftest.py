"""Shared fixtures: small analytic fields, so every fit test runs in seconds on CPU."""
import numpy as np
import pytest
import torch
import xarray as xr

import geoinr  # noqa: F401  (registers .inr)

# One torch thread for the whole suite (fits in subprocesses keep torch's default unless their test passes its count
# on, as the killed-fit test does). The tests' networks are small, and
# on the shared 2-core machines two threads wait on each other whenever a core is taken: the suite ran in 445 s on one
# thread against 552 s on two, back to back on 2026-12-06, its epoch-budgeted fits 2-3 times slower on two (README's
# test command; dev-notes: the suite's time). A user's fit keeps torch's default.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _same_random_start():
    """Every test starts from the same global random state, whatever ran before it or was skipped.

    Network weights drawn without a seed come from torch's global generator; without this, a
    test's starting weights depended on the test order (a CI run with other skips failed on it).
    """
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture(autouse=True)
def _dask_data_streamed(monkeypatch):
    """Dask-backed data are streamed, however small: the tests of the streamed path use small data. A fit loads
    dask data under ``fitting.STREAM_MIN_BYTES`` into memory (tested with the constant restored)."""
    from geoinr.model import fitting

    monkeypatch.setattr(fitting, "STREAM_MIN_BYTES", 0)


#: Small, fast settings used by the fit tests (CPU, a few seconds each).
FAST = dict(width=64, depth=2, epochs=400, max_time=None, batch_size=1024, lr=1e-3, progress=False, seed=0)


def smooth_field(lon, lat, t=0.0):
    """An analytic field with known values everywhere: two waves, one of them travelling."""
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    t = np.asarray(t, float)
    return np.sin(np.radians(lon) * 30.0 - 0.1 * t) * np.cos(np.radians(lat) * 20.0) + 0.5 * np.sin(
        np.radians(lon + lat) * 15.0 + 0.05 * t
    )


@pytest.fixture
def scattered():
    """Along-track-like scattered Dataset: dim 'time', 1-D latitude/longitude along it."""
    rng = np.random.default_rng(1)
    n = 3000
    lon = rng.uniform(-5, 5, n)
    lat = rng.uniform(40, 50, n)
    tdays = np.sort(rng.uniform(0, 10, n))
    time = np.datetime64("2021-03-01") + (tdays * 86400e9).astype("timedelta64[ns]")
    ds = xr.Dataset(
        {"sla": ("time", smooth_field(lon, lat, tdays), {"units": "m", "long_name": "sea level anomaly"})},
        coords={"time": time, "latitude": ("time", lat), "longitude": ("time", lon)},
    )
    return ds


def grid_truth(lon, lat, days, start="2021-03-01"):
    """Gridded truth (time, lat, lon) of smooth_field."""
    times = np.datetime64(start, "ns") + (np.asarray(days, float) * 86400e9).astype("timedelta64[ns]")
    da = xr.DataArray(
        smooth_field(lon[None, None, :], lat[None, :, None], np.asarray(days, float)[:, None, None]),
        dims=("time", "lat", "lon"),
        coords={"time": times, "lat": lat, "lon": lon},
        name="sla",
        attrs={"units": "m"},
    )
    return da


class Composed(torch.nn.Module):
    """network(encoding(raw)), with the attributes of a fitted model's ``field_`` (what the physics jets unwrap)."""

    def __init__(self, encoding, network):
        super().__init__()
        self.encoding, self.network = encoding, network

    def forward(self, raw):
        return self.network(self.encoding(raw))
