"""Encodings provide their own derivative jets: ``space.jets(lon, lat)`` and ``time.jets(t)``, against autograd."""
import inspect

import numpy as np
import pytest
import torch

import geoinr
from geoinr.encoding import (
    CoordinateEncoding,
    SinusoidalTimeEncoding,
    SpaceEncoding,
    SphereEncoding,
    TanhTimeEncoding,
    TimeEncoding,
)
from geoinr.physics import jets

PTS = np.array([[-20.0, 25.0, 0.0], [15.0, 60.0, 30.0]])
TOL = {torch.float64: 1e-10, torch.float32: 2e-4}


def _encoding(space="sphere", time="linear"):
    options = {"degree": 3} if space == "spherical_harmonics" else None
    return CoordinateEncoding.from_points(PTS, space=space, time=time, min_wavelength=600.0, space_options=options)


def _points(dtype, n=6, seed=0):
    """Inside and a little outside the fitted region (not across the lon/lat wrap at lon0 + 180)."""
    g = torch.Generator().manual_seed(seed)
    lon = (torch.rand(n, generator=g, dtype=torch.float64) * 60 - 30).to(dtype)
    lat = (torch.rand(n, generator=g, dtype=torch.float64) * 70 + 5).to(dtype)
    t = (torch.rand(n, generator=g, dtype=torch.float64) * 60 - 15).to(dtype)
    return lon, lat, t


def _grad(y, x):
    """d y / d x per point (points are independent), zeros where y does not depend on x."""
    if not y.requires_grad:
        return torch.zeros_like(x)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True, allow_unused=True)
    return torch.zeros_like(x) if g is None else g


def _space_reference(space, lon, lat):
    """The 10 space jets by nested reverse mode, feature by feature: (10, n, features)."""
    lon, lat = lon.detach().clone().requires_grad_(True), lat.detach().clone().requires_grad_(True)
    f = space(lon, lat)
    cols = []
    for k in range(f.shape[-1]):
        v = f[:, k]
        vl, vp = _grad(v, lon), _grad(v, lat)
        vll, vlp, vpp = _grad(vl, lon), _grad(vl, lat), _grad(vp, lat)
        third = (_grad(vll, lon), _grad(vll, lat), _grad(vlp, lat), _grad(vpp, lat))
        cols.append(torch.stack((v, vl, vp, vll, vlp, vpp) + third))
    return torch.stack(cols, -1).detach()


def _time_reference(time, t):
    t = t.detach().clone().requires_grad_(True)
    v = time(t)
    return torch.stack((v, torch.stack([_grad(v[:, k], t) for k in range(v.shape[-1])], -1))).detach()


def _assert_close(got, ref, tol):
    """Each derivative order to ``tol`` relative to the largest reference value of that stream."""
    assert got.shape == ref.shape and got.dtype == ref.dtype
    for i, (g, r) in enumerate(zip(got, ref)):
        err = float((g - r).abs().max())
        assert err <= tol * float(r.abs().max()) + 1e-30, (i, err, float(r.abs().max()))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("space", ["sphere", "lonlat", "spherical_harmonics"])
def test_space_jets_equal_nested_autograd(space, dtype):
    enc = _encoding(space).to(dtype).space
    assert isinstance(enc, SpaceEncoding)
    assert enc.analytic_jets == (space != "spherical_harmonics")
    lon, lat, _ = _points(dtype)
    got = enc.jets(lon, lat)
    assert got.shape == (10, lon.shape[0], enc.out_features)
    _assert_close(got, _space_reference(enc, lon, lat), TOL[dtype])
    # the physics entry point is the same call
    assert torch.equal(jets.space_jets(enc, lon, lat), got)


@pytest.mark.parametrize("space", ["sphere", "lonlat", "spherical_harmonics"])
def test_space_jets_first_derivatives_equal_finite_differences(space):
    enc = _encoding(space).double().space
    lon, lat, _ = _points(torch.float64, seed=1)
    got, h = enc.jets(lon, lat), 1e-5
    d_lon = (enc(lon + h, lat) - enc(lon - h, lat)) / (2 * h)
    d_lat = (enc(lon, lat + h) - enc(lon, lat - h)) / (2 * h)
    torch.testing.assert_close(got[0], enc(lon, lat), rtol=0, atol=1e-14)
    torch.testing.assert_close(got[1], d_lon, rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(got[2], d_lat, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("time", ["linear", "tanh", "sinusoidal", "fourier"])
def test_time_jets_equal_autograd_and_finite_differences(time, dtype):
    enc = _encoding(time=time).to(dtype).time
    assert isinstance(enc, TimeEncoding) and enc.analytic_jets
    _, _, t = _points(dtype)
    got = enc.jets(t)
    assert got.shape == (2, t.shape[0], enc.out_features)
    _assert_close(got, _time_reference(enc, t), TOL[dtype])
    assert torch.equal(jets.time_jets(enc, t), got)
    if dtype == torch.float64:
        h = 1e-4
        fd = (enc(t + h) - enc(t - h)) / (2 * h)
        torch.testing.assert_close(got[1], fd, rtol=1e-6, atol=1e-9)


class _SquaredSphere(SphereEncoding):
    """Overrides forward only: the inherited analytic jets would describe the parent's map."""

    def forward(self, lon_deg, lat_deg):
        return super().forward(lon_deg, lat_deg) ** 2


class _DoubledSinusoidal(SinusoidalTimeEncoding):
    def forward(self, t_days):
        return 2.0 * super().forward(t_days)


class _ShiftedTanh(TanhTimeEncoding):
    def forward(self, t_days):
        return super().forward(t_days) + t_days.unsqueeze(-1) ** 2


def test_subclass_overriding_forward_falls_back_to_its_own_generic_jets():
    sphere = _encoding("sphere").double().space
    sq = _SquaredSphere(**sphere.config()).double()
    assert not sq.analytic_jets and SphereEncoding.analytic_jets
    lon, lat, t = _points(torch.float64)
    got = sq.jets(lon, lat)
    _assert_close(got, _space_reference(sq, lon, lat), 1e-10)
    assert not torch.allclose(got, sphere.jets(lon, lat))

    for parent, sub in ((_encoding(time="sinusoidal").time, _DoubledSinusoidal), (_encoding(time="tanh").time, _ShiftedTanh)):
        enc = sub(**parent.config()).double()
        parent = parent.double()
        assert not enc.analytic_jets and parent.analytic_jets
        got = enc.jets(t)
        _assert_close(got, _time_reference(enc, t), 1e-10)
        assert not torch.allclose(got, parent.jets(t))


def test_subclass_with_its_own_jets_keeps_them():
    class Scaled(SphereEncoding):
        def forward(self, lon_deg, lat_deg):
            return 3.0 * super().forward(lon_deg, lat_deg)

        def jets(self, lon, lat):
            return 3.0 * super().jets(lon, lat)

    enc = Scaled(**_encoding("sphere").space.config()).double()
    assert enc.analytic_jets
    lon, lat, _ = _points(torch.float64)
    _assert_close(enc.jets(lon, lat), _space_reference(enc, lon, lat), 1e-10)


class _Field(torch.nn.Module):
    def __init__(self, encoding):
        super().__init__()
        self.encoding = encoding
        self.network = geoinr.nn.Siren(encoding.out_features, 1, width=8, depth=1)

    def forward(self, raw):
        return self.network(self.encoding(raw))


def test_preferred_method_reads_the_encodings_own_flag():
    enc = _encoding("sphere")
    assert jets.preferred_method(_Field(enc)) == "hybrid"
    enc.space = _SquaredSphere(**enc.space.config())
    assert jets.preferred_method(_Field(enc)) == "autograd"
    assert jets.preferred_method(_Field(_encoding("spherical_harmonics"))) == "autograd"


def test_physics_does_not_import_encoding_classes():
    source = inspect.getsource(jets)
    assert "from ..encoding import" not in source and "geoinr.encoding import" not in source


def test_a_tanh_time_axis_stays_near_linear_over_a_long_window():
    """A year over a 10 deg box: the encoded window spans many t_half; tanh(u) had flattened the outer months into
    the last percent of its range (slope 0.006 of the linear one at the edges); a tanh(u / a) keeps > 0.5."""
    from geoinr.encoding import CoordinateEncoding

    rng = np.random.default_rng(0)
    pts = np.column_stack([rng.uniform(0, 10, 2000), rng.uniform(30, 40, 2000), rng.uniform(0, 365, 2000)])
    enc = CoordinateEncoding.from_points(pts, time="tanh", min_wavelength=100.0, min_period=10.0).time
    edge = torch.tensor([0.0, 365.0], dtype=torch.float64)
    slope = enc.double().jets(edge)[1].abs().squeeze() * enc.t_half_value  # relative to the linear encoding's
    assert enc.config()["reach"] > 1.0 and (slope > 0.5).all()
    beyond = enc.double()(torch.tensor([1e5], dtype=torch.float64))
    assert float(beyond) == pytest.approx(enc.config()["reach"])  # still bounded outside the window
    old = type(enc)(t_mid=enc.t_mid_value, t_half=enc.t_half_value).double()  # a saved model from before: a = 1
    assert float(old.jets(edge)[1].abs().max()) * enc.t_half_value < 0.05
