"""A review of unusual prediction targets (2026-12-07, fifth session): each test failed before its fix.

- a forecast file's layout (ERA5/GRIB: ``time`` the forecast's start, ``valid_time(step)``) was predicted at the
  start for every step, the ``step`` dimension dropped, in silence;
- a single point (0-d target) failed when predicted lazily;
- ``derive`` on a stacked (MultiIndex) target warned once per output (xarray's FutureWarning);
- vorticity at exactly +-90 deg varied by a factor of 3 with longitude;
- ``sample`` of a pandas DataFrame named ``predict()`` in its error.
"""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr

FIT = dict(width=16, depth=2, epochs=5, max_time=None, progress=False, seed=0)


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return geoinr.INRModel(**FIT).fit(geoinr.datasets.synthetic_tracks(days=4, seed=0), "sla")


def test_a_forecast_layout_is_predicted_at_its_valid_times(fitted):
    t0 = np.datetime64("2020-01-02T00:00")
    steps = np.array([0, 6, 12, 18], dtype="timedelta64[h]").astype("timedelta64[ns]")
    lat, lon = np.array([32.0, 35.0]), np.array([2.0, 5.0, 8.0])
    target = xr.Dataset(coords={"time": ((), t0, {"standard_name": "forecast_reference_time"}),
                                "step": ("step", steps), "latitude": lat, "longitude": lon,
                                "valid_time": ("step", t0 + steps, {"standard_name": "time"})})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = fitted.predict(target)
        explicit = fitted.predict(target, time="valid_time")
    assert out.dims == ("step", "latitude", "longitude")
    np.testing.assert_array_equal(out.values, explicit.values)
    assert float(np.abs(out.isel(step=-1) - out.isel(step=0)).max()) > 0


def test_a_single_point_predicts_lazily(fitted):
    point = xr.Dataset(coords={"time": np.datetime64("2020-01-02T12:00"), "latitude": 36.8, "longitude": 6.1})
    eager = fitted.predict(point)
    lazy = fitted.predict(point, chunks="auto")
    assert lazy.chunks is not None or lazy.ndim == 0
    np.testing.assert_array_equal(lazy.compute().values, eager.values)
    np.testing.assert_array_equal(fitted.derive("relative_vorticity", point, chunks="auto").zeta.values,
                                  fitted.derive("relative_vorticity", point).zeta.values)


def test_derive_on_a_stacked_target_neither_warns_nor_changes(fitted):
    grid = fitted.target_grid(2.0).isel(time=[0])
    stacked = grid.stack(points=("latitude", "longitude"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        out = fitted.derive("geostrophic_velocity", stacked)
    plain = fitted.derive("geostrophic_velocity", grid)
    np.testing.assert_array_equal(out.unstack("points").ugos.transpose(*plain.ugos.dims).values, plain.ugos.values)


def test_vorticity_at_a_pole_is_one_value(fitted):
    pole = xr.Dataset(coords={"time": np.datetime64("2020-01-02"), "latitude": ("p", [90.0] * 5),
                              "longitude": ("p", [0.0, 45.0, 90.0, 180.0, 270.0])})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        zeta = fitted.derive("relative_vorticity", pole, outside="extrapolate").zeta.values
    assert np.ptp(zeta) <= 0.05 * np.abs(zeta).max()  # (points 222 m apart, float32 inputs; a factor of 3 before)


def test_sample_names_itself_in_its_error():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        m = geoinr.INRModel(**dict(FIT, uncertainty="ensemble", n_members=2)).fit(
            geoinr.datasets.synthetic_tracks(days=4, seed=0), "sla")
    with pytest.raises(TypeError, match=r"^sample\(\) takes"):
        m.sample(pd.DataFrame({"lon": [1.0], "lat": [35.0]}), n=2)


def test_a_chunk_size_of_zero_is_refused_clearly(fitted):
    grid = fitted.target_grid(1.0)
    with pytest.raises(ValueError, match=r"chunks=\{'time': 0\}: each chunk size must be a positive integer"):
        fitted.predict(grid, chunks={"time": 0})
    assert fitted.predict(grid, chunks={"time": (1,) * grid.sizes["time"], "latitude": -1}).chunks is not None


def test_forecast_steps_without_valid_times_are_refused(fitted):
    """The review of the last commits: with no valid time the attributes name (one added without them, or none), the
    forecasts' start was still used for every step, in silence."""
    t0 = np.datetime64("2020-01-02T00:00")
    steps = np.array([0, 6, 12], dtype="timedelta64[h]").astype("timedelta64[ns]")
    target = xr.Dataset(coords={"time": t0, "step": ("step", steps), "latitude": [32.0, 35.0], "longitude": [2.0, 5.0]})
    with pytest.raises(ValueError, match=r"forecast steps 'step'.*valid_time="):
        fitted.predict(target)
    added = target.assign_coords(valid_time=target.time + target.step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert fitted.predict(added, time="valid_time").dims == ("step", "latitude", "longitude")


def test_derive_on_a_target_with_a_coordinate_named_like_an_output(fitted):
    grid = fitted.target_grid(2.0).isel(time=[0]).assign_coords(ugos=0.0)
    out = fitted.derive("geostrophic_velocity", grid)
    assert set(out.data_vars) == {"ugos", "vgos"}


def test_whole_float_chunks_still_work(fitted):
    assert fitted.predict(fitted.target_grid(1.0), chunks={"time": 1.0}).chunks is not None


def test_the_std_of_vorticity_at_a_pole_is_of_the_order_of_its_neighbours():
    """The review of the last commits: the error envelope's stencil stepped across the pole, a std of 5e4 s-1."""
    rng = np.random.default_rng(0)
    n = 1500
    obs = {"lon": rng.uniform(0, 360, n), "lat": rng.uniform(80, 90, n), "time": rng.uniform(0, 3, n)}
    values = 0.1 * np.cos(np.radians(obs["lat"]) * 20) + 0.01 * rng.normal(size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        m = geoinr.INRModel(**dict(FIT, uncertainty="ensemble", n_members=2)).fit(obs, values)
        target = xr.Dataset(coords={"lat": ("p", [88.0, 89.94, 90.0]), "lon": ("p", [30.0] * 3),
                                    "time": ("p", [1.0] * 3)})
        std = m.derive("relative_vorticity", target, return_std=True, outside="extrapolate").zeta_std.values
    assert np.all(std < 100 * std[0])
