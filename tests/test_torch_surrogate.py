"""The fitted field as a frozen torch module in the variables' units (2026-12-07, ninth session).

A review of a user who wants the surrogate in their own PyTorch code: the only way in was ``field_``, which gives
standardized values (one row per member where several networks were averaged) of days since an undocumented
reference, wrong in silence.
"""
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
import xarray as xr

import geoinr
from geoinr.physics import derivatives

FAST = dict(width=16, depth=1, epochs=3, max_time=None, progress=False, seed=0, precision="float32")


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return geoinr.datasets.synthetic_tracks(days=4, seed=0).inr.fit("sla", **FAST)


def _points(m, n=20):
    rng = np.random.default_rng(0)
    w, e, s, nn = m.region_
    lon, lat = rng.uniform(w + 1, e - 1, n), rng.uniform(s + 1, nn - 1, n)
    t = np.datetime64("2020-01-02T06", "ns") + (rng.uniform(0, 1, n) * 86400e9).astype("timedelta64[ns]")
    return lon, lat, t


def test_the_module_gives_what_predict_gives(fitted):
    f = fitted.as_module()
    lon, lat, t = _points(fitted)
    x = torch.tensor(np.column_stack([lon, lat, f.days(t).numpy()]), dtype=torch.float32)
    with torch.no_grad():
        ours = f(x).numpy()
    theirs = fitted.predict({"lon": lon, "lat": lat, "time": t})
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert f.units == ["m"] and f.variables == ["sla"] and f.time_origin.startswith("20")


def test_gradients_reach_the_inputs_not_the_weights(fitted):
    f = fitted.as_module(dtype=torch.float64)
    lon, lat, t = _points(fitted, 5)
    x = torch.tensor(np.column_stack([lon, lat, f.days(t).numpy()]), dtype=torch.float64, requires_grad=True)
    f(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert all(p.grad is None and not p.requires_grad for p in f.parameters())
    assert next(fitted.field_.parameters()).dtype == torch.float32  # (the fit's own weights untouched)


def test_derivatives_through_it_match_derive(fitted):
    f = fitted.as_module(dtype=torch.float64)
    lon, lat, t = _points(fitted, 6)
    d = derivatives(f, torch.tensor(np.column_stack([lon, lat, f.days(t).numpy()])), laplacian=False)
    target = xr.Dataset(coords={"lon": ("p", lon), "lat": ("p", lat), "time": ("p", t)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = fitted.derive("gradient", target)
    np.testing.assert_allclose(d["f_x"].numpy(), g["deta_dx"].values, rtol=1e-3, atol=1e-10)
    np.testing.assert_allclose(d["f_y"].numpy(), g["deta_dy"].values, rtol=1e-3, atol=1e-10)
    assert d["f_t"] is not None  # m per second: a tendency


def test_several_networks_are_averaged():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = geoinr.datasets.synthetic_tracks(days=4, seed=0).inr.fit("sla", uncertainty="ensemble", n_members=2,
                                                                      **FAST)
    f = m.as_module()
    lon, lat, t = _points(m, 4)
    x = torch.tensor(np.column_stack([lon, lat, f.days(t).numpy()]), dtype=torch.float32)
    with torch.no_grad():
        out = f(x)
    assert out.shape == (4,)
    np.testing.assert_allclose(out.numpy(), m.predict({"lon": lon, "lat": lat, "time": t}), rtol=1e-5, atol=1e-6)


def test_a_spatial_fit_takes_two_columns_and_survives_saving(tmp_path):
    lon, lat = np.arange(0.0, 3.0, 0.25), np.arange(30.0, 33.0, 0.25)
    x, y = np.meshgrid(lon, lat)
    mdt = xr.Dataset({"mdt": (("lat", "lon"), 0.1 * np.sin(x) * np.cos(y), {"units": "m"})},
                     coords={"lat": lat, "lon": lon})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = mdt.inr.fit("mdt", **FAST)
    m.save(tmp_path / "mdt.geoinr")
    back = geoinr.load(tmp_path / "mdt.geoinr")
    pts = torch.tensor([[1.0, 31.0], [2.0, 32.0]])
    with torch.no_grad():
        assert torch.equal(m.as_module()(pts), back.as_module()(pts))
    assert m.as_module().time_origin is None
    with pytest.raises(ValueError, match="fitted without time"):
        m.as_module().days(["2020-01-01"])
    with pytest.raises(ValueError, match=r"\(n, 3\) tensor"):
        m.as_module()(torch.zeros(3))


def test_a_timed_fit_refuses_two_columns(fitted):
    with pytest.raises(ValueError, match="days since"):
        fitted.as_module()(torch.tensor([[5.0, 35.0]]))
    with pytest.raises(ValueError, match="needs a fitted model"):
        geoinr.INRModel().as_module()


def test_derive_takes_a_dict_of_points_as_predict_does(fitted):
    """The review: particle tracking needed an xarray Dataset for every step of derive, where predict takes a dict."""
    lon, lat, t = _points(fitted, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fitted.derive("geostrophic_velocity", {"lon": lon, "lat": lat, "time": t})
        ds = fitted.derive("geostrophic_velocity", xr.Dataset(coords={"lon": ("p", lon), "lat": ("p", lat),
                                                                     "time": ("p", t)}))
    assert set(out) == {"ugos", "vgos"} and out["ugos"].dtype == np.float64
    np.testing.assert_allclose(out["ugos"], ds["ugos"].values, rtol=1e-6)
