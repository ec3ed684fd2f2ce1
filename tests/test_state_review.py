"""A review of global state and parallel use (2026-12-07, fifth session): each test failed before its fix.

- ``torch.set_default_dtype(torch.float64)`` built float64 networks: fits failed, and so did a loaded model's
  ``predict`` ("mat1 and mat2 must have the same dtype");
- ``fit`` and ``derive`` inside ``torch.no_grad()`` or ``torch.inference_mode()`` raised "element 0 of tensors does
  not require grad";
- a caller's ``torch.autocast`` ran a float32 fit's validation and ``derive`` in bfloat16;
- ``fill_gaps`` and ``derive(return_std=True)`` changed the process's warning filters (``catch_warnings``), so that
  another thread's warnings were lost meanwhile.
"""
import sys
import warnings

import numpy as np
import pytest
import torch

import geoinr

FIT = dict(width=16, depth=2, epochs=3, max_time=None, progress=False, seed=0)


@pytest.fixture(scope="module")
def case():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        base = geoinr.INRModel(**FIT).fit(tracks, "sla")
        grid = base.target_grid(1.0)
        return tracks, base, grid, base.predict(grid).values, base.derive("geostrophic_velocity", grid).ugos.values


def _fit(tracks):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return geoinr.INRModel(**FIT).fit(tracks, "sla")


def test_a_float64_default_dtype_neither_breaks_a_fit_nor_a_loaded_model(case, tmp_path):
    tracks, base, grid, predicted, _ = case
    base.save(tmp_path / "m.geoinr")
    torch.set_default_dtype(torch.float64)
    try:
        fitted = _fit(tracks)
        loaded = geoinr.load(tmp_path / "m.geoinr")
        assert torch.get_default_dtype() == torch.float64  # the caller's, left as it was
        np.testing.assert_array_equal(fitted.predict(grid).values, predicted)
        np.testing.assert_array_equal(loaded.predict(grid).values, predicted)
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("context", [torch.no_grad, torch.inference_mode,
                                     lambda: torch.autocast("cpu", dtype=torch.bfloat16)])
def test_fit_and_derive_ignore_the_caller_s_autograd_and_autocast(case, context):
    tracks, base, grid, predicted, derived = case
    with context():
        fitted = _fit(tracks)
        again = base.derive("geostrophic_velocity", grid).ugos.values
    np.testing.assert_array_equal(fitted.predict(grid).values, predicted)
    np.testing.assert_array_equal(again, derived)
    assert torch.is_grad_enabled() and not torch.is_autocast_enabled("cpu")


def test_fill_gaps_and_derive_leave_the_process_s_warning_filters_alone(monkeypatch):
    callers = []
    original = warnings.catch_warnings

    def spy(*args, **kwargs):
        callers.append(sys._getframe(1).f_globals.get("__name__", ""))
        return original(*args, **kwargs)

    ds = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.3)
    ds.sla.attrs.update(valid_min=-5.0, valid_max=5.0)
    sea = ds.lon < 6.0
    fitted = geoinr.INRModel(**dict(FIT, uncertainty="ensemble", n_members=2)).fit(ds, "sla")
    fitted.derive("geostrophic_velocity", fitted.target_grid(2.0), return_std=True)  # (torch's jvp import: once)
    monkeypatch.setattr(warnings, "catch_warnings", spy)
    ds.inr.fill_gaps("sla", mask=sea, **FIT)
    fitted.derive("geostrophic_velocity", fitted.target_grid(2.0), return_std=True)
    assert not [c for c in callers if c.startswith("geoinr")], callers


def test_a_streamfunction_model_loads_and_predicts_inside_inference_mode(tmp_path):
    """The session's own review: ``load`` inside ``torch.inference_mode()`` called a valid streamfunction model
    damaged (its probe differentiates), and its ``predict`` failed there."""
    rng = np.random.default_rng(0)
    n = 400
    obs = {"lon": rng.uniform(0, 10, n), "lat": rng.uniform(30, 40, n), "time": rng.uniform(0, 3, n)}
    values = np.column_stack([rng.normal(0, 0.1, n), rng.normal(0, 0.1, n)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        m = geoinr.INRModel(**dict(FIT, mass_constraint="streamfunction")).fit(obs, values, variables=["u", "v"])
    m.save(tmp_path / "m.geoinr")
    grid = {"lon": np.array([5.0]), "lat": np.array([35.0]), "time": np.array([1.0])}
    expected = m.predict(grid)
    with torch.inference_mode():
        back = geoinr.load(tmp_path / "m.geoinr")
        got = back.predict(grid)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


def test_evaluation_leaves_the_default_dtype_alone():
    """The session's second review: predict set the process-wide default dtype while it ran (another thread's
    tensors came out float32); evaluation needs only gradients and no caller's autocast."""
    from geoinr.training import own_torch_state

    torch.set_default_dtype(torch.float64)
    try:
        with own_torch_state(dtype=False):
            assert torch.get_default_dtype() == torch.float64 and torch.is_grad_enabled()
        with own_torch_state():
            assert torch.get_default_dtype() == torch.float32
    finally:
        torch.set_default_dtype(torch.float32)
