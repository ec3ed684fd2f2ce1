"""The shared mapper base, the one reader of observations and the model's state round trip."""
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFitted
from sklearn.utils.validation import check_is_fitted

import geoinr
from geoinr import observations
from geoinr.base import BaseMapper, NotFittedError

FAST = dict(width=16, depth=1, epochs=2, max_time=None, progress=False)


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=4, seed=0)


@pytest.mark.parametrize(
    "mapper", [geoinr.baselines.OptimalInterpolation(), geoinr.baselines.LinearInterpolator(window=None, fill="nearest")]
)
def test_baselines_gain_grid_and_score(tracks, mapper):
    fitted = mapper.fit(tracks, "sla")
    grid = fitted.grid(resolution=1.0)
    assert list(grid.data_vars) == ["sla"]
    assert grid.attrs["Conventions"] == "CF-1.8" and type(mapper).__name__ in grid.attrs["history"]
    assert grid.sla.attrs["units"] == "m" and np.isfinite(grid.sla.values).mean() > 0.9
    # the grid spans the observed region (snapped outward to the resolution)
    west, east, south, north = fitted.region_
    assert float(grid.longitude.min()) <= west + 1.0 and float(grid.longitude.max()) >= east - 1.0
    assert float(grid.latitude.min()) <= south + 1.0 and float(grid.latitude.max()) >= north - 1.0
    s = fitted.scores(tracks)
    assert set(s) == {"rmse", "mu", "bias", "n"} and s["n"] == int(np.isfinite(tracks.sla).sum())
    assert s["mu"] > 0.5 and fitted.score(tracks) == pytest.approx(s["mu"])


def test_score_is_one_float_as_in_scikit_learn(tracks):
    """score() follows scikit-learn and verde: one float, higher is better; scores() keeps the details."""
    oi = geoinr.baselines.OptimalInterpolation()
    fitted = oi.fit(tracks.isel(time=slice(0, None, 2)), "sla")
    held_out = tracks.isel(time=slice(1, None, 2))
    mu = fitted.score(held_out)
    assert mu == fitted.scores(held_out)["mu"]
    assert isinstance(mu, float) and 0.0 < mu < 1.0


def test_scores_of_two_variables_keep_the_one_with_test_values(tracks):
    """A variable with no test value left scores NaN with a warning; the other is scored, and score() is its mu."""
    both = tracks.assign(b=2.0 * tracks.sla)
    fitted = both.inr.fit(["sla", "b"], seed=0, **FAST)
    test = both.assign(b=both.b * np.nan)
    with pytest.warns(UserWarning, match=r"No point of \['b'\].*the other variables are scored"):
        found = fitted.scores(test)
    assert found["b"]["n"] == 0 and np.isnan(found["b"]["mu"]) and found["sla"]["n"] == int(np.isfinite(tracks.sla).sum())
    with pytest.warns(UserWarning, match="No point of") as seen:
        assert fitted.score(test) == pytest.approx(found["sla"]["mu"])
    assert [w.filename for w in seen if "No point of" in str(w.message)] == [__file__]  # the user's call, not score()'s
    with pytest.raises(ValueError, match="No point of"):
        fitted.scores(test.assign(sla=test.sla * np.nan))
    with pytest.raises(ValueError, match="No point of 'b'"):
        fitted.scores(test, "b")


@pytest.mark.parametrize(
    "mapper", [geoinr.INRModel(**FAST), geoinr.baselines.OptimalInterpolation(), geoinr.baselines.LinearInterpolator()]
)
def test_every_mapper_follows_scikit_learn(tracks, mapper):
    assert isinstance(mapper, BaseMapper)
    copy = clone(mapper)
    assert copy.get_params() == mapper.get_params() and copy is not mapper
    with pytest.raises(NotFittedError, match="not fitted yet"):
        mapper.predict(tracks)
    with pytest.raises(SklearnNotFitted):
        check_is_fitted(mapper)
    with pytest.raises(RuntimeError):  # as before the base class: a RuntimeError too
        mapper.score(tracks)
    fitted = mapper.fit(tracks, "sla") if not isinstance(mapper, geoinr.INRModel) else mapper.fit(tracks, variables="sla")
    check_is_fitted(fitted)
    assert not clone(fitted).is_fitted


def test_a_failed_fit_leaves_the_model_unfitted(tracks):
    m = geoinr.INRModel(physics="qg", **FAST)
    with pytest.raises(ValueError, match="needs a time coordinate"):
        m.fit({"lon": np.r_[0.0, 1.0, 2.0], "lat": np.r_[40.0, 41.0, 42.0]}, np.r_[1.0, 2.0, 3.0])
    assert not m.is_fitted and not [k for k in vars(m) if k.endswith("_")]
    # a fitted model whose refit fails is unfitted, not a mix of the two fits
    m = geoinr.INRModel(**FAST).fit(tracks, variables="sla")
    m.set_params(physics="qg")
    with pytest.raises(ValueError, match="needs a time coordinate"):
        m.fit({"lon": np.r_[0.0, 1.0, 2.0], "lat": np.r_[40.0, 41.0, 42.0]}, np.r_[1.0, 2.0, 3.0])
    assert not m.is_fitted
    with pytest.raises(NotFittedError):
        m.save("never-written.geoinr")


def test_set_params_names_the_unknown_parameter():
    with pytest.raises(ValueError, match="Unknown parameter 'lxx' for OptimalInterpolation"):
        geoinr.baselines.OptimalInterpolation().set_params(lxx=3)


def test_the_reader_gives_the_same_table_for_both_dict_forms():
    lon, lat, h = np.r_[0.0, 1.0, 2.0], np.r_[40.0, 41.0, 42.0], np.r_[0.1, np.nan, 0.3]
    a = observations.read({"lon": lon, "lat": lat}, "h", values=h)
    b = observations.read({"lon": lon, "lat": lat, "h": h}, "h", single=True)
    assert a.variables == b.variables == ["h"]
    np.testing.assert_array_equal(a.table.values, b.table.values)
    np.testing.assert_array_equal(a.table.lon, b.table.lon)
    assert len(a.table) == 2 and a.time_axis is None


def test_streamed_state_is_saved_and_loaded(tmp_path):
    grid = geoinr.datasets.synthetic_grid(days=3, resolution=1.0).chunk({"time": 1})
    m = geoinr.INRModel(**FAST).fit(grid, variables="sla")
    assert m.streamed_["blocks"] == 3
    path = tmp_path / "streamed.geoinr"
    m.save(path)
    again = geoinr.load(path)
    assert again.streamed_ == m.streamed_
    target = m.target_grid(1.0)
    np.testing.assert_array_equal(again.predict(target).values, m.predict(target).values)


def test_validation_auto_holds_out_scattered_data_but_not_grids(tracks):
    """Held-out blocks of a grid are holes in the map: "auto" keeps every grid point, unless uncertainty needs them."""
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0)
    assert geoinr.INRModel(**FAST).fit(grid, variables="sla").validation_ == 0.0
    assert geoinr.INRModel(**FAST).fit(tracks, variables="sla").validation_ == pytest.approx(0.1)
    calibrated = geoinr.INRModel(uncertainty="bayes_last_layer", **FAST).fit(grid, variables="sla")
    assert calibrated.validation_ == pytest.approx(0.1)
    assert geoinr.INRModel(validation=0.2, **FAST).fit(grid, variables="sla").validation_ == pytest.approx(0.2)
    with pytest.raises(ValueError, match="validation='some'"):
        geoinr.INRModel(validation="some", **FAST).fit(grid, variables="sla")


def test_inf_is_missing_on_every_path():
    """inf values are dropped like NaN: in memory, in a joint fit (for that variable only) and streamed."""
    import warnings

    grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0)[["sla"]]
    bad = grid.copy(deep=True)
    bad["sla"][0, 0, 0] = np.inf
    bad["sla"][1, 2, 3] = -np.inf
    bad["other"] = grid.sla * 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "variable is constant" and no numpy RuntimeWarning
        joint = geoinr.INRModel(**FAST).fit(bad, variables=["sla", "other"])
        streamed = geoinr.INRModel(**FAST).fit(bad[["sla"]].chunk({"time": 1}), variables="sla")
    finite = grid.sla.values[np.isfinite(bad.sla.values)]
    assert joint.mean_[0] == pytest.approx(float(finite.mean())) and joint.std_[0] == pytest.approx(float(finite.std()))
    assert streamed.mean_[0] == pytest.approx(float(finite.mean())) and np.isfinite(streamed.std_[0])
    assert np.isfinite(streamed.predict(streamed.target_grid(1.0)).values).all()


def test_prediction_far_outside_the_region_warns(tracks):
    """Thousands of km away from the data, the model says so, naming the region; nearby targets stay quiet."""
    import warnings

    m = geoinr.INRModel(**FAST).fit(tracks, variables="sla")
    t = np.array([tracks.time.values[len(tracks.time) // 2]] * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.predict({"lon": [5.0, 0.2], "lat": [35.0, 39.9], "time": t})
        m.predict(m.target_grid(1.0))
    with pytest.warns(UserWarning, match=r"1 target coordinate\(s\) lie outside the fitted region \(west"):
        m.predict({"lon": [5.0, 120.0], "lat": [35.0, 35.0], "time": t})
    with pytest.warns(UserWarning, match="outside the fitted region"):
        m.predict({"lon": [5.0, 5.0], "lat": [35.0, -20.0], "time": t})


def test_cf_details_std_modifier_ancillary_history_and_bounds(tracks):
    """Issue 17, gap 7: standard_error modifier and ancillary_variables, history appended, grid cell bounds."""
    tracks = tracks.copy()
    tracks["sla"].attrs["standard_name"] = "sea_surface_height_above_sea_level"
    oi = geoinr.baselines.OptimalInterpolation().fit(tracks, "sla")
    target = oi.target_grid(resolution=1.0)
    target.attrs["history"] = "2020-01-01T00:00:00Z: grid made by the user"
    mean, std = oi.predict(target, return_std=True)
    assert std.attrs["standard_name"] == "sea_surface_height_above_sea_level standard_error"
    assert mean.attrs["ancillary_variables"] == "sla_std" and std.name == "sla_std"
    lines = mean.attrs["history"].splitlines()
    assert lines[0] == "2020-01-01T00:00:00Z: grid made by the user" and "OptimalInterpolation.predict" in lines[1]
    # cell bounds: contiguous, enclosing each centre, carried by grid()
    lat, bnds = target.latitude.values, target.latitude_bnds.values
    assert target.latitude.attrs["bounds"] == "latitude_bnds" and target.longitude.attrs["bounds"] == "longitude_bnds"
    assert np.all(bnds[:, 0] < lat) and np.all(lat < bnds[:, 1]) and np.allclose(bnds[1:, 0], bnds[:-1, 1])
    grid = oi.grid(resolution=1.0, return_std=True)
    assert {"sla", "sla_std"} <= set(grid.data_vars) and "latitude_bnds" in grid.coords
    assert grid.sla.attrs["ancillary_variables"] == "sla_std"


def test_long_work_shows_a_progress_bar(tracks, monkeypatch):
    """Issue 17, gap 8: OI tiles and large eager predictions report progress (tqdm), unless progress=False."""
    import tqdm.auto
    import tqdm.std

    import geoinr.model.evaluation as evaluation

    bars = []

    class Recorder:
        def __init__(self, iterable=None, total=None, **kwargs):
            self.iterable, self.total, self.kwargs, self.n = iterable, total, kwargs, 0
            bars.append(self)

        def __iter__(self):
            yield from self.iterable

        def update(self, k):
            self.n += k

        def close(self):
            pass

        def __getattr__(self, name):  # the training bar's other methods (set_postfix, refresh, ...)
            return lambda *args, **kwargs: None

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorder)
    monkeypatch.setattr(tqdm.std, "tqdm", Recorder)  # (the bar without ipywidgets)
    geoinr.baselines.OptimalInterpolation(lx=30.0, ly=30.0).fit(tracks, "sla").grid(resolution=0.5)
    assert bars and bars[-1].kwargs["desc"] == "optimal interpolation" and bars[-1].kwargs["delay"] > 0
    n_bars = len(bars)
    geoinr.baselines.OptimalInterpolation(lx=30.0, ly=30.0, progress=False).fit(tracks, "sla").grid(resolution=0.5)
    assert len(bars) == n_bars
    monkeypatch.setattr(evaluation, "PROGRESS_MIN_POINTS", 100)
    model = geoinr.INRModel(**{**FAST, "epochs": 1, "progress": True}).fit(tracks, variables="sla")
    target = model.target_grid(resolution=0.5)
    model.predict(target)
    assert bars[-1].kwargs["desc"] == "predict" and bars[-1].n == bars[-1].total == target.latitude.size * target.longitude.size * target.time.size


def test_importing_geoinr_defers_torch_until_a_model_is_asked_for():
    """``import geoinr`` registers the accessor and loads the baselines, metrics and datasets without torch; the
    first use of ``geoinr.INRModel`` or of a submodule imports them; a misspelled name is still an AttributeError."""
    code = (
        "import sys\n"
        "import xarray as xr\n"
        "import geoinr\n"
        "assert 'torch' not in sys.modules, 'torch imported by import geoinr'\n"
        "assert hasattr(xr.Dataset, 'inr') and hasattr(xr.DataArray, 'inr')\n"
        "assert 'INRModel' in dir(geoinr) and 'load' in dir(geoinr)\n"
        "geoinr.baselines.OptimalInterpolation(lt=None)\n"
        "assert 'torch' not in sys.modules, 'torch imported by the baselines'\n"
        "from geoinr import INRModel\n"
        "assert 'torch' in sys.modules and INRModel is geoinr.model.INRModel\n"
        "assert geoinr.physics.__name__ == 'geoinr.physics' and callable(geoinr.load)\n"
        "try:\n"
        "    geoinr.INRModle\n"
        "except AttributeError as e:\n"
        "    assert \"has no attribute 'INRModle'\" in str(e)\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
