"""A review of the estimator protocol, as a scikit-learn user pokes it (2026-12-07, sixth session): each test failed
before its fix.

- a lazy ``predict``/``derive`` result held the live model: refitted before it was computed, it gave the later
  fit's maps (in the earlier fit's units);
- the baselines used parameters set after their fit without checking them (``lx=-5`` mapped), claimed ones the fit
  alone reads (``noise``) while ignoring them, and a refused refit left the old fit in place;
- misspelled network options were refused only after a pass over dask data; ``n_collocation=10**9`` after it too;
- two fits in two threads under a float64 default: the first to finish restored float64 under the second;
- a fitted model's repr showed parameters set since its fit as the fitted network.
"""
import threading

import numpy as np
import pytest
import torch

import geoinr
from geoinr.training import own_torch_state

SMALL = dict(width=8, depth=1, epochs=3, max_time=None, progress=False, seed=0)


@pytest.fixture(scope="module")
def grid():
    return geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.0)


def test_a_lazy_prediction_is_of_the_model_as_it_was_when_asked(grid):
    model = geoinr.INRModel(**SMALL)
    target = grid.drop_vars(["sla", "sla_true"])
    lazy, derived, eager = [], [], []
    for level in (0.0, 1.0):
        model.fit(grid.assign(sla=grid.sla + level), "sla")
        lazy.append(model.predict(target, chunks={"time": 1}))
        derived.append(model.derive("gradient", target, chunks={"time": 1}))
        eager.append((model.predict(target), model.derive("gradient", target)))
    for (p, d), lp, ld in zip(eager, lazy, derived):
        np.testing.assert_allclose(lp.compute().values, p.values, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(ld.deta_dx.compute().values, d.deta_dx.values, rtol=1e-5, atol=1e-12)


def test_the_baselines_check_parameters_set_after_their_fit():
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    grid = geoinr.datasets.synthetic_grid(days=2, resolution=1.0).drop_vars(["sla", "sla_true"])
    binned = geoinr.baselines.OptimalInterpolation(lx=100.0, ly=100.0, lt=10.0).fit(tracks, "sla")
    binned.set_params(lx=300.0)  # its superobservations' bins were sized by the fit's scales (a parity review)
    with pytest.raises(ValueError, match=r"which alone reads them \(lx 100.0 -> 300.0\)"):
        binned.predict(grid)
    oi = geoinr.baselines.OptimalInterpolation(lx=100.0, ly=100.0, lt=10.0, superobs=None).fit(tracks, "sla")
    oi.set_params(lx=-5.0)
    with pytest.raises(ValueError, match="lx must be a positive number"):
        oi.predict(grid)
    oi.set_params(lx=150.0)  # the scales are read at each prediction: they take effect
    oi.predict(grid)
    oi.set_params(noise=0.5)  # the error variances are the fit's: refused until a refit
    with pytest.raises(ValueError, match=r"changed since the fit, which alone reads them \(noise 0.05 -> 0.5\)"):
        oi.predict(grid)
    oi.set_params(noise=0.05)
    oi.predict(grid)
    with pytest.raises(ValueError, match="lx must be a positive"):
        oi.set_params(lx=-5.0).fit(tracks, "sla")
    assert not oi.is_fitted  # a refused refit leaves it unfitted, as INRModel
    lin = geoinr.baselines.LinearInterpolator().fit(tracks, "sla")
    lin.set_params(fill="bogus")
    with pytest.raises(ValueError, match="fill must be"):
        lin.predict(grid)


def test_bad_network_options_and_sizes_are_refused_before_the_data_is_read(grid, monkeypatch):
    from geoinr.model import fitting

    def never(*args, **kwargs):
        raise AssertionError("the data were read")

    monkeypatch.setattr(fitting, "learn_frame", never)
    for params, match in [(dict(model_options={"bogus": 1}), r"does not take option\(s\) \['bogus'\]"),
                          (dict(model="nif", model_options={"variant": "x"}), "variant must be"),
                          (dict(model="mlp", model_options={"activation": "nope"}), "Unknown activation"),
                          (dict(n_collocation=10**9), "probably a typo")]:
        with pytest.raises(ValueError, match=match):
            geoinr.INRModel(**params).fit(grid.chunk({"time": 1}), "sla")


def test_fits_in_two_threads_keep_float32_until_the_last_one_leaves():
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
        seen = {}

        def first():
            with own_torch_state():
                first_in.set()
                second_in.wait(10)
            first_out.set()

        def second():
            first_in.wait(10)
            with own_torch_state():
                second_in.set()
                first_out.wait(10)
                seen["inside"] = torch.get_default_dtype()  # the first has left: still float32 here

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert seen["inside"] == torch.float32
        assert torch.get_default_dtype() == torch.float64  # the caller's, once both have left
    finally:
        torch.set_default_dtype(before)


def test_a_fitted_model_s_repr_shows_what_was_fitted_and_what_changed(grid):
    model = geoinr.INRModel(**SMALL).fit(grid, "sla")
    model.set_params(width=64, model="nif")
    text = repr(model)
    assert "siren, width 8" in text and "nif" not in text.split("status")[0]
    assert "parameters changed since the fit (model 'siren' -> 'nif', width 8 -> 64)" in text
    assert geoinr.display.summary(model)["changed_since_fit"] == {"model": ["siren", "nif"], "width": [8, 64]}


def test_a_baseline_is_not_saved_with_an_internal_error(tmp_path):
    """geoinr.io.save(oi) failed deep inside with AttributeError 'history_' (a parity review)."""
    import geoinr.io

    oi = geoinr.baselines.OptimalInterpolation().fit(geoinr.datasets.synthetic_tracks(days=2, seed=0), "sla")
    with pytest.raises(TypeError, match="geoinr saves fitted INRModels only, not OptimalInterpolation"):
        geoinr.io.save(oi, tmp_path / "oi.geoinr")
