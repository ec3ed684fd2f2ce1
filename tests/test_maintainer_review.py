"""Fixes from a maintainer's reading of the whole package (2026-12-07, second session): each test fails on the code
before the fix."""
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
import xarray as xr

import geoinr
from geoinr.physics import losses

QUICK = dict(width=16, depth=1, epochs=3, max_time=None, progress=False, seed=0)


@pytest.mark.parametrize("key", ["width", "depth", "seed", "time_features", "bandwidth"])
def test_model_options_the_estimator_sets_are_refused_before_the_data_are_read(key):
    """``model_options={"width": 16}`` failed after reading the data with "dict() got multiple values for keyword
    argument 'width'"; now the parameter check refuses it first (an empty Dataset is never read) and names the
    parameter to use."""
    with pytest.raises(ValueError, match=f"model_options=.*'{key}' is not a network option here"):
        geoinr.INRModel(model_options={key: 16}).fit(xr.Dataset())


@pytest.mark.parametrize("validation", [1.5, -0.2, 1.0, True, "0.1"])
def test_validation_out_of_range_is_refused_before_the_data_are_read(validation):
    """``validation=1.5``, ``-0.2`` and ``True`` passed the parameter check and failed after the data pass, the scale
    search and the timed passes."""
    with pytest.raises(ValueError, match="validation="):
        geoinr.INRModel(validation=validation).fit(xr.Dataset())


def test_sample_keeps_values_past_float32_as_predict_does():
    """``predict`` switches to float64 where values would overflow float32; ``sample`` wrote float32 draws, all inf."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    tracks["sla"] = tracks.sla * 1e40
    fitted = tracks.inr.fit("sla", uncertainty="ensemble", n_members=2, **QUICK)
    grid = fitted.target_grid(2.0)
    mean = fitted.predict(grid)
    draws = fitted.sample(grid, n=2, seed=0)
    assert mean.dtype == np.float64 and draws.dtype == np.float64
    assert np.isfinite(draws.values).all() and float(np.abs(draws).max()) > 1e38


def test_a_fit_warning_points_at_the_users_line():
    """Warnings raised deep in a fit used fixed stacklevels that pointed into geoinr (the missing-coordinate warning
    at geoinr/observations.py); every one now counts the frames to the caller, and that one says what to do."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    lat = tracks.latitude.values.copy()
    lat[:20] = np.nan
    tracks = tracks.assign_coords(latitude=(tracks.latitude.dims, lat))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tracks.inr.fit("sla", **QUICK)
    missing = [w for w in caught if "missing (NaN/inf) coordinates" in str(w.message)]
    assert missing and missing[0].filename == __file__
    assert "drop them" in str(missing[0].message)
    inside = [f"{w.filename}:{w.lineno} {str(w.message)[:60]}" for w in caught if "/geoinr/" in w.filename.replace("\\", "/")
              and "/tests/" not in w.filename.replace("\\", "/")]
    assert inside == []


def test_collocation_points_of_a_seedless_fit_are_drawn():
    """``seed=None`` drew the same collocation points in every fit (the generator was seeded with 0); a seed still
    gives the same points every time."""
    frame = losses.PhysicsFrame(region=(-20.0, 0.0, 30.0, 45.0), time_range=(0.0, 10.0), min_wavelength_km=200.0,
                                variables=["sla"], units=["m"], mean=[0.0], std=[0.1])
    seedless = [losses._collocation(frame, 64, None, "cpu")() for _ in range(2)]
    assert not torch.equal(seedless[0], seedless[1])
    seeded = [losses._collocation(frame, 64, 3, "cpu")() for _ in range(2)]
    assert torch.equal(seeded[0], seeded[1])


def test_the_calibration_imports_without_torch():
    """``geoinr.uncertainty.calibration`` (numpy) was listed torch-free, but its package's ``__init__`` imported the
    Bayesian last layer (torch); the Bayesian names still come from the package on first use."""
    code = ("import sys, geoinr.uncertainty.calibration as c\n"
            "assert 'torch' not in sys.modules\n"
            "from geoinr.uncertainty import BayesianLastLayer, DataDistance\n"
            "assert 'torch' in sys.modules and DataDistance is c.DataDistance\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_osse_beta_plane_is_not_named_as_physics_coriolis():
    """``geoinr.osse.coriolis`` returned (f0, beta) under the name of ``geoinr.physics.coriolis`` (f, point by point)."""
    from geoinr import osse
    from geoinr.physics import OMEGA

    f0, beta = osse.beta_plane(30.0)
    assert f0 == pytest.approx(OMEGA) and beta > 0 and not hasattr(osse, "coriolis")


def test_the_memory_check_takes_a_containers_limit(tmp_path, monkeypatch):
    """A Jupyter pod or batch job limited to a few GiB on a large host: its control group's limit is the memory
    an output may use, not the host's (the check compared with physical memory alone)."""
    from geoinr import machine

    assert machine._cgroup_limit(tmp_path) is None  # no cgroup files: no limit
    (tmp_path / "memory.max").write_text("max\n")  # cgroup v2 without a limit
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # v1 without one
    assert machine._cgroup_limit(tmp_path) is None
    (tmp_path / "memory.max").write_text("2147483648\n")
    assert machine._cgroup_limit(tmp_path) == 2**31
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("1073741824\n")
    assert machine._cgroup_limit(tmp_path) == 2**30  # the smallest limit holds
    monkeypatch.setattr(machine, "CGROUP_ROOT", tmp_path)
    assert machine.memory_bytes() == 2**30
    with pytest.raises(MemoryError, match="half the memory this process may use"):
        machine.check_memory(2**30, "predict(...)", "Predict lazily.")
