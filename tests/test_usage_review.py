"""A review by a new user making the usual mistakes, then looking at what the package shows (2026-12-07). Each
test failed on the code before its fix (a raw error from deep inside, or nonsense accepted in silence)."""
import warnings

import matplotlib
import numpy as np
import pytest

import geoinr
from geoinr.baselines import OptimalInterpolation

matplotlib.use("Agg")
QUICK = dict(width=16, depth=1, epochs=2, max_time=None, progress=False)


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=2, seed=0)


@pytest.fixture(scope="module")
def fitted(tracks):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return tracks.inr.fit("sla", **QUICK)


def test_maps_across_the_dateline_are_drawn():
    """regrid's output across the dateline in [-180, 180) runs 175.5 ... 179.5, -179.5 ...: plot_maps and plot_std
    failed with xarray's 'not sorted in increasing order'."""
    import geoinr.plot as gplot

    grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0)
    src = grid.assign_coords(lon=((grid.lon.values + 355.0) % 360) - 180)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = src.inr.regrid(1.0, "sla", **QUICK)
    assert not np.all(np.diff(out.lon.values) > 0)  # the case: not increasing
    fig, axes = gplot.plot_maps(src.sla_true, out)
    assert axes  # drawn
    gplot.plot_std(abs(out.rename("sla_std")) * 0 + 0.1)
    assert gplot._map_ratio(out) > 0.5  # a 10 x 10 deg box, not one 359 deg wide


def test_arguments_are_checked_before_the_work(tracks):
    with pytest.raises(ValueError, match="simulate\\(days=-1\\)"):
        geoinr.osse.simulate(days=-1)  # (it ran the 25 s spin-up first)
    with pytest.raises(ValueError, match="checkpoint_every"):
        tracks.inr.fit("sla", checkpoint_every="1", **QUICK)
    with pytest.raises(ValueError, match="physics=True"):
        tracks.inr.fit("sla", physics=True, **QUICK)
    with pytest.raises(ValueError, match="gap_fraction"):
        geoinr.datasets.synthetic_grid(days=1, gap_fraction=1.5)
    with pytest.raises(ValueError, match="south must be below north"):
        geoinr.datasets.synthetic_tracks(days=1, region=(0, 10, 40, 30))
    assert set(geoinr.datasets.synthetic_tracks(days=1, satellites="saral").satellite.values) == {"saral"}
    with pytest.raises(ValueError, match="max_time=60"):
        geoinr.datasets.synthetic_grid(days=2, resolution=2.0).inr.fit(60)


def test_grids_and_derivations_check_their_numbers(fitted):
    for kw in (dict(region=(0, 10, 40, 30)), dict(region=(0, 10, 80, 100)), dict(region=(0, 10, 30))):
        with pytest.raises(ValueError, match="region="):
            fitted.target_grid(1.0, **kw)
    for step in ("0D", "-1D"):
        with pytest.raises(ValueError, match="positive step"):
            fitted.target_grid(1.0, time_step=step)
    assert fitted.target_grid(1.0, times="2020-01-01").time.dtype.kind == "M"  # one date as text
    grid = fitted.target_grid(1.0)
    for kw in (dict(equator_band="5"), dict(equator_band=-5), dict(rossby_radius=-30)):
        with pytest.raises(ValueError, match=next(iter(kw))):
            fitted.derive("pv", grid, **kw)
    with pytest.raises(TypeError, match="scores\\(\\) takes the reference data"):
        fitted.score(np.zeros(3))


def test_the_optimal_interpolation_refuses_nonsense(tracks):
    for kw in (dict(tile=np.inf), dict(max_obs=np.inf), dict(max_obs=10.7), dict(superobs=np.inf)):
        with pytest.raises(ValueError):
            OptimalInterpolation(**kw).fit(tracks, "sla")
    with pytest.warns(UserWarning, match="averaged .* observations into 1"):
        OptimalInterpolation(superobs=1e6).fit(tracks, "sla")  # one superobservation: a constant map


def test_gridded_scores_of_tracks_say_what_they_need(tracks):
    with pytest.raises(ValueError, match="scattered observations"):
        geoinr.metrics.leaderboard_resolution(tracks.sla, tracks.sla_true)


def test_a_dataarrays_fill_gaps_given_a_name_says_so():
    da = geoinr.datasets.synthetic_grid(days=2, resolution=2.0).sla
    with pytest.raises(TypeError, match="takes no variable name"):
        da.inr.fill_gaps("sla", **QUICK)


def test_a_spatial_models_summary_shows_no_time_encoding():
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=2.0)
    spatial = grid.inr.fit("sla", time=False, **QUICK)
    assert "no time (a spatial field)" in repr(spatial) and "time linear" not in repr(spatial)
    assert "time linear" in repr(grid.inr.fit("sla", **QUICK))


def test_regrid_keeps_the_std_an_uncertainty_fit_calibrated():
    """regrid(..., uncertainty=...) fitted and calibrated an ensemble, then returned the map alone (a review of the
    model zoo); a DataArray's regrid, which has no room for it, refuses before the fit, as its fill_gaps does."""
    grid = geoinr.datasets.synthetic_grid(days=3, resolution=1.0)
    kw = dict(uncertainty="ensemble", n_members=2, width=16, depth=1, epochs=3, max_time=None, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = grid.inr.regrid(0.5, variables="sla", **kw)
    assert list(out.data_vars) == ["sla", "sla_std"] and out.sla.attrs["ancillary_variables"] == "sla_std"
    assert (out.sla_std > 0).all()
    with pytest.raises(ValueError, match="regrid of a DataArray returns one array"):
        grid.sla.inr.regrid(0.5, **kw)


def test_flags_and_counts_of_the_wrong_type_are_refused(tracks):
    """progress="no" is truthy (the bar showed), anomaly="yes" passed as True, min_points="10" failed in numpy,
    colors=1000 in PIL."""
    import matplotlib.pyplot as plt

    import geoinr.plot as gplot

    with pytest.raises(ValueError, match="progress must be True or False"):
        geoinr.INRModel(progress="no", width=8, depth=1, epochs=1, max_time=None).fit(tracks, "sla")
    with pytest.raises(ValueError, match="progress must be True or False"):
        OptimalInterpolation(progress="no").fit(tracks, "sla")
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=2.0)
    with pytest.raises(ValueError, match="anomaly='yes'"):
        geoinr.metrics.nrmse_score(grid.sla_true * 0.5, grid.sla_true, anomaly="yes")
    with pytest.raises(ValueError, match="min_points='10'"):
        geoinr.metrics.daily_nrmse_score(grid.sla_true * 0.5, grid.sla_true, min_points="10")
    with pytest.raises(ValueError, match="no coordinate 'tme'"):
        geoinr.metrics.daily_nrmse_score(grid.sla_true * 0.5, grid.sla_true, time="tme")
    fig = plt.figure()
    with pytest.raises(ValueError, match="2 to 256 colours"):
        gplot.savefig(fig, "/tmp/never_written.png", colors=1000)
    plt.close(fig)


def test_a_model_file_records_what_fitted_it(fitted, tmp_path):
    """A review of archiving: the file held no versions, and outputs' source no seed or budget."""
    import json

    from safetensors import safe_open

    fitted.save(tmp_path / "m.geoinr")
    with safe_open(str(tmp_path / "m.geoinr"), "pt") as f:
        config = json.loads(f.metadata()["config"])
    assert {"python", "torch", "numpy", "xarray", "safetensors", "platform"} <= set(config["environment"])
    assert "seed=" in fitted.grid(resolution=2.0).attrs["source"] and "epochs=2" in fitted._source_note()


def test_plot_arguments_and_the_suggested_variable():
    """plot_maps(time=1) failed in pandas ("Cannot compare dtypes"), tracks=<DataFrame> on its missing .coords; a
    plain fit() of the SARAL L3 file suggested variables='cycle', a counter."""
    import geoinr.plot as gplot

    grid = geoinr.datasets.synthetic_grid(days=3, resolution=1.0)
    with pytest.raises(ValueError, match="time=1 is not on the time axis"):
        gplot.plot_maps(grid.sla_true, grid.sla, time=1)
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    with pytest.raises(TypeError, match="df.to_xarray"):
        gplot.plot_maps(grid.sla_true, grid.sla, tracks=tracks.to_dataframe())
    counted = tracks[["sla"]].assign(cycle=("time", np.ones(tracks.sizes["time"], dtype="int16")))
    counted = counted[["cycle", "sla"]]  # the counter first, as in the file
    with pytest.raises(ValueError, match="pass variables='sla'"):
        counted.inr.fit(**QUICK)


def test_a_lazy_prediction_ships_its_model_once():
    """On a dask.distributed cluster of processes each task unpickled its own copy of the model (the closure held
    it): 432 tasks, 220 copies alive on one worker. The model is one key of the graph; the tasks refer to it."""
    import cloudpickle

    grid = geoinr.datasets.synthetic_grid(days=3, resolution=1.0)
    fitted = grid.inr.fit("sla", width=128, depth=2, epochs=1, max_time=None, progress=False)
    target = fitted.target_grid(0.5)
    lazy = fitted.predict(target, chunks={"time": 1, "lat": 10})
    model_bytes = len(cloudpickle.dumps(fitted))
    sizes = [len(cloudpickle.dumps(v)) for v in dict(lazy.data.__dask_graph__()).values()]
    assert lazy.data.npartitions >= 6 and sum(s > model_bytes / 2 for s in sizes) == 1
    np.testing.assert_array_equal(lazy.compute().values, fitted.predict(target).values)


def test_a_device_this_machine_lacks_is_refused_before_the_data_is_read(tracks):
    """fit(device="mps") on a machine without it failed inside the trainer with torch's own error, after reading
    and preparing the data (163 dask tasks of a streamed input)."""
    from geoinr.training import resolve_device

    for device in ("meta", "xpu"):
        with pytest.raises(ValueError, match=f"device='{device}' does not work on this machine"):
            resolve_device(device)
    with pytest.raises(ValueError, match="device='meta'"):
        tracks.chunk({"time": 100}).inr.fit("sla", device="meta", **QUICK)
    assert resolve_device("cpu").type == "cpu"


def test_under_torchrun_rank_zero_alone_warns(monkeypatch):
    """Every rank printed every warning of the fit (the same data, the same choices)."""
    from geoinr.model.estimator import _rank_zero_warns

    @_rank_zero_warns
    def fit(self):
        warnings.warn("a fill value", UserWarning)
        return "fitted"

    monkeypatch.setenv("WORLD_SIZE", "2")
    for rank, expected in (("0", 1), ("1", 0)):
        monkeypatch.setenv("RANK", rank)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert fit(None) == "fitted"
        assert len(caught) == expected
    monkeypatch.delenv("RANK")
    monkeypatch.delenv("WORLD_SIZE")
    with pytest.warns(UserWarning, match="a fill value"):
        fit(None)  # no torchrun: warns
