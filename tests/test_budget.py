"""``max_time`` bounds the whole fit: the training gets what is left, the calibration stops at the end of it.

No test here times a fit against a clock (the machines are shared): they check the arithmetic and the stops.
"""
import time
import warnings

import numpy as np
import pytest

import geoinr
from geoinr.model import fitting
from geoinr.uncertainty import calibrate_gap
from geoinr.uncertainty import calibration as cal_mod


def _model(**kw):
    return geoinr.INRModel(**{"width": 16, "depth": 1, "progress": False, **kw})


def test_the_training_gets_what_the_rest_of_the_fit_left():
    plain, calibrated = _model(max_time=20.0), _model(max_time=20.0, uncertainty="bayes_last_layer")
    for m in (plain, calibrated):
        m.validation_ = 0.1
        m._fit_started = time.perf_counter() - 2.0  # two seconds of reading and choosing
    assert fitting.train_config(plain).max_time == pytest.approx(18.0, abs=0.2)
    kept = fitting.CALIBRATION_SHARE * 20.0
    assert fitting.train_config(calibrated).max_time == pytest.approx(18.0 - kept, abs=0.2)
    assert fitting.train_config(plain, share=0.5).max_time == pytest.approx(10.0, abs=0.01)  # its share is less
    slow = _model(max_time=20.0)
    slow.validation_, slow._fit_started = 0.1, time.perf_counter() - 30.0  # the data took longer than the budget
    assert fitting.train_config(slow).max_time == pytest.approx(fitting.MIN_TRAIN_SHARE * 20.0)
    assert fitting.calibration_deadline(calibrated) == pytest.approx(calibrated._fit_started + 20.0)
    epochs = _model(max_time=None, epochs=3)
    epochs.validation_, epochs._fit_started = 0.1, time.perf_counter() - 2.0
    assert fitting.train_config(epochs).max_time is None and fitting.calibration_deadline(epochs) is None


def _passes(seed=0):
    rng = np.random.default_rng(seed)
    lab = np.repeat(np.arange(8), 60)
    xyz = np.column_stack([np.tile(np.arange(60) * 7.0, 8), lab * 1000.0])
    d = rng.uniform(0.0, 60.0, lab.size)
    v = rng.uniform(0.001, 0.01, lab.size)
    r = rng.standard_normal(lab.size) * 0.1
    return (v, r, d), dict(noise=0.005, signal=1.0, length=80.0, coords_km=xyz, groups=lab)


def test_the_calibration_stops_at_its_deadline_with_the_best_it_found(monkeypatch):
    args, kw = _passes()
    calls = []
    real = cal_mod._block_nll

    def counted(*a, **k):
        nll = real(*a, **k)

        def f(*p):
            calls.append(1)
            return nll(*p)
        return f

    monkeypatch.setattr(cal_mod, "_block_nll", counted)
    full = calibrate_gap(*args, **kw)
    n_full = len(calls)
    calls.clear()
    with pytest.warns(UserWarning, match="stopped at the fit's time budget"):
        cut = calibrate_gap(*args, **kw, deadline=time.perf_counter() - 1.0)  # already past
    assert len(calls) == cal_mod.MIN_EVALUATIONS < n_full
    assert all(np.isfinite(cut[k]) and cut[k] > 0 for k in ("variance_scale", "error_length_km"))
    calls.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = calibrate_gap(*args, **kw, deadline=time.perf_counter() + 600.0)  # far: the same as no deadline
    assert again == full and len(calls) == n_full


def test_a_time_budget_that_ends_a_fit_in_a_few_steps_is_warned_of(monkeypatch):
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    with pytest.warns(UserWarning, match=r"ended this fit after \d+ steps|made only \d+ steps"):  # or no skill
        tracks.inr.fit("sla", width=16, depth=1, max_time=0.05, progress=False)
    monkeypatch.setattr(fitting, "NO_SKILL_LOSS", float("inf"))  # the brief-fit warning alone, at any step count
    monkeypatch.setattr(fitting, "BRIEF_FIT_STEPS", 10**9)
    with pytest.warns(UserWarning, match=r"ended this fit after \d+ steps .* s a step here"):
        tracks.inr.fit("sla", width=16, depth=1, max_time=0.3, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tracks.inr.fit("sla", width=16, depth=1, epochs=2, max_time=None, progress=False)  # an epochs budget: quiet


def test_a_checkpoint_resumes_under_another_time_budget(tmp_path):
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    path = tmp_path / "run.ckpt"
    kw = dict(width=8, depth=1, epochs=4, batch_size=256, progress=False, seed=0)
    geoinr.INRModel(**kw, max_time=30.0).fit(tracks, "sla", checkpoint=path, checkpoint_every=0.0)
    resumed = geoinr.INRModel(**kw, max_time=45.0).fit(tracks, "sla", resume=path)
    assert resumed.is_fitted


def test_a_grid_whose_budget_ended_far_from_its_own_cells_is_warned_of():
    """A 30 s Adam fit of four DUACS days missed its own cells by 2 cm in silence (a review): a grid fitted on every
    cell whose time budget ends more than GRID_MISFIT_WARN of its std from them says so; an epochs budget, or
    scattered data (noisy, their misfit is the noise's), does not."""
    grid = geoinr.datasets.synthetic_grid(days=4, resolution=0.25, seed=0)
    with pytest.warns(UserWarning, match=r"standard deviation \(RMS\) from the grid's own values.*optimizer_ is"):
        grid.inr.fit("sla", max_time=1.0, progress=False)
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0, noise=0.01)
    for data, kw in ((grid, dict(epochs=3, max_time=None)), (tracks, dict(max_time=1.0, validation=0))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data.inr.fit("sla", width=16, depth=1, progress=False, **kw)
        assert not [w for w in caught if "grid's own values" in str(w.message)]
    # past L-BFGS's size the advice is the budget or a smaller region (a review of a 7-million-point dask fit was
    # told of L-BFGS, which cannot fit it)
    model = type("Fitted", (), {"_gridded_source": True, "validation_": 0.0, "best_val_loss_": 0.04,
                                "n_points_": 7_000_000, "optimizer_": "adam"})()
    with pytest.warns(UserWarning, match="7,000,000 points are too many for full-batch L-BFGS") as caught:
        fitting._warn_grid_misfit(model, type("Result", (), {"stopped": "budget"})(), timed=True)
    assert "optimizer_ is" not in str(caught[0].message)
