"""A review of independent validation as the altimetry community does it (withhold a satellite, score both maps on
its tracks): the 2021a daily-mean score, the along-track groups of geoinr's own synthetic tracks, provenance of
timed fits, and the README's recipe."""
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr
from geoinr import metrics

README = Path(__file__).resolve().parents[1] / "README.md"


def test_2021a_score_is_the_mean_of_the_daily_scores():
    t = pd.date_range("2020-01-01", periods=30, freq="2h")  # day 1: 12 points, day 2: 12, day 3: 6
    rng = np.random.default_rng(0)
    ref = xr.DataArray(rng.standard_normal(30) * np.repeat([1.0, 3.0, 1.0], [12, 12, 6]), dims="time",
                       coords={"time": t})
    est = ref + 0.3 * rng.standard_normal(30)
    daily = metrics.daily_nrmse_score(est, ref, min_points=10)
    mu, sigma = metrics.nrmse_score_daily(est, ref, convention="2021a")
    assert mu == pytest.approx(float(daily.mean()))  # days under 10 points left out, each day's score weighted alike
    assert sigma == pytest.approx(float(daily.std()))
    assert mu != pytest.approx(metrics.nrmse_score_daily(est, ref)[0])  # 2020a: over all points
    with pytest.raises(ValueError, match="convention='2021'"):
        metrics.nrmse_score_daily(est, ref, convention="2021")
    with pytest.raises(ValueError, match="no day has 50 finite pairs"):
        metrics.nrmse_score_daily(est, ref, min_points=50, convention="2021a")


def test_along_track_groups_synthetic_tracks_by_satellite():
    """Two satellites' passes interleaved in time (as a day's file holds them): grouped by their label, each is a
    track; the label was read as 'mission' only."""
    n = 2000
    t = np.datetime64("2020-01-01", "ns") + (np.arange(n) * 1e9).astype("timedelta64[ns]")
    lat = 30.0 + np.arange(n) * 6.0 / 111.0
    rng = np.random.default_rng(0)
    ref = np.sin(2 * np.pi * np.arange(n) * 6.0 / 300.0)
    pair = xr.Dataset(
        {"ref": ("time", np.ravel(np.column_stack([ref, -ref]))),
         "est": ("time", np.ravel(np.column_stack([ref, -ref])) + 0.1 * rng.standard_normal(2 * n))},
        coords={"time": np.ravel(np.column_stack([t, t + np.timedelta64(500, "ms")])),
                "latitude": ("time", np.repeat(lat, 2)), "longitude": ("time", np.tile([0.0, 40.0], n)),
                "satellite": ("time", np.tile(["j3", "s3a"], n))})
    grouped = metrics.effective_resolution_along_track(pair.est, pair.ref)
    with pytest.raises(ValueError):  # one track jumping 40 deg every point: no segment
        metrics.effective_resolution_along_track(pair.est, pair.ref, by=())
    assert grouped.n_samples >= 2


def test_timed_fits_say_how_far_they_got():
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    model = geoinr.INRModel(width=8, depth=1, max_time=0.5, progress=False).fit(tracks, "sla")
    source = model.predict(model.target_grid(2.0)).attrs["source"]
    assert re.search(r"max_time=0.5, [\d,]+ epochs run; ran with precision=.*optimizer=.*members=", source)


def test_the_readme_s_validation_recipe_runs():
    block = re.search(r"```python\n(held = tracks.satellite.*?)```", README.read_text(), re.S)
    assert block is not None
    code = block.group(1).replace("max_time=60", "epochs=2, max_time=None, width=8, depth=1, progress=False")
    results = []
    scope = {"geoinr": geoinr, "tracks": geoinr.datasets.synthetic_tracks(days=6, seed=0),
             "print": lambda *args: results.append(args)}
    with pytest.warns(geoinr.GeoinrWarning):  # (a two-epoch fit has no skill: said so)
        exec(compile(code, "README", "exec"), scope)
    assert [r[0] for r in results] == ["geoinr", "OI"]
    assert all(np.isfinite(r[2][0]) for r in results)
