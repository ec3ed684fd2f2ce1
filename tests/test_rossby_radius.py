"""The QG residual with the deformation radius of each latitude, and on the anomaly about the temporal mean."""
import math

import numpy as np
import pytest
import torch

from geoinr.nn import Siren
from geoinr.physics import GRAVITY, rossby_radius_km
from geoinr.physics import losses, rossby
from geoinr.physics.derived import derived_fields
from geoinr.physics.jets import FieldOutput
from geoinr.physics.qg import BetaPlane, LocalPlanes, qg_residual, rossby_wave_frequency

OMEGA, R = 7.2921159e-5, 6371000.0


def _rel(a, b):
    return float((a - b).detach().abs().max() / b.detach().abs().max())


# ---------------------------------------------------------------- the radius itself
def test_radius_is_finite_even_and_decreases_poleward():
    lat = np.linspace(0.0, 89.5, 180)
    ld = rossby_radius_km(lat)
    assert np.isfinite(ld).all() and (ld > 0).all()
    np.testing.assert_allclose(rossby_radius_km(-lat), ld, rtol=1e-12)
    assert (np.diff(ld) < 0).all()  # everywhere, so certainly outside the tropics
    assert (np.diff(rossby.baroclinic_wave_speed(lat)) <= 0).all()
    # torch in, torch out, the same numbers
    t = rossby_radius_km(torch.tensor(lat, dtype=torch.float64))
    assert isinstance(t, torch.Tensor) and np.allclose(t.numpy(), ld, rtol=1e-12)


def test_radius_within_the_published_ranges():
    """Chelton et al. (1998): > 200 km near the equator, ~30-45 km at 30 degrees, <~ 10 km at 60; c1 ~3 -> ~1 m/s."""
    ld0, ld30, ld60 = rossby_radius_km([0.0, 30.0, 60.0])
    assert 200.0 <= ld0 <= 300.0
    assert 25.0 <= ld30 <= 50.0
    assert 5.0 <= ld60 <= 15.0
    c0, c30, c50, c70 = rossby.baroclinic_wave_speed([0.0, 30.0, 50.0, 70.0])
    assert 2.5 <= c0 <= 3.1 and 2.0 <= c30 <= 2.8 and 0.8 <= c50 <= 1.8 and c70 < 1.0
    # the two limits: the equatorial radius sqrt(c / (2 beta)) at 0, c / |f| at high latitude
    assert math.isclose(ld0 * 1e3, math.sqrt(c0 / (2 * 2 * OMEGA / R)), rel_tol=1e-9)
    c60 = float(rossby.baroclinic_wave_speed(60.0))
    assert math.isclose(ld60 * 1e3, c60 / (2 * OMEGA * math.sin(math.radians(60))), rel_tol=0.01)


def test_inverse_square_radius_derivative_is_exact():
    lat = torch.linspace(-80, 80, 41, dtype=torch.float64, requires_grad=True)
    inv, d_inv = rossby.inverse_square_radius(lat, derivative=True)
    (g,) = torch.autograd.grad(inv.sum(), lat)
    assert _rel(d_inv, g) < 1e-12
    assert np.allclose(inv.detach().numpy(), rossby.inverse_square_radius(lat.detach().numpy()), rtol=1e-12)


# ---------------------------------------------------------------- the residual uses it, point by point
def _wave(plane, k, l, omega, amp=0.1):
    mx, my = plane.metres_per_degree

    def eta(raw):
        x = (raw[:, 0] - plane.lon0) * mx
        y = (raw[:, 1] - plane.lat0) * my
        return amp * torch.cos(k * x + l * y - omega * raw[:, 2] * 86400.0)

    return eta


def _box(n=256, lat=(25.0, 45.0), days=20.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(n, 3, generator=g, dtype=torch.float64)
    return torch.stack([u[:, 0] * 6 - 3, lat[0] + u[:, 1] * (lat[1] - lat[0]), u[:, 2] * days], 1)


@pytest.mark.parametrize("method", ["autograd", "jvp"])
def test_residual_takes_the_radius_at_each_latitude(method):
    """The wave exact for Ld(lat0) leaves, with Ld(lat), exactly -(F - F0) psi_t (F = 1/Ld^2 at each point).

    F is held constant at each point, as f is: q = -(K^2 + F) psi, so q_t = -(K^2 + F) psi_t and
    J(psi, q) = 0; the wave cancels -(K^2 + F0) psi_t + beta psi_x. A constant radius gives ~0.
    """
    plane = BetaPlane(0.0, 35.0)  # pointwise radius
    const = BetaPlane(0.0, 35.0, rossby_radius=plane.radius0)
    k, l = 2 * math.pi / 300e3, 2 * math.pi / 500e3
    omega = rossby_wave_frequency(k, l, plane)
    amp = 0.1
    raw = _box()
    got, terms = qg_residual(_wave(plane, k, l, omega, amp), raw, plane, return_terms=True, method=method)
    mx, my = plane.metres_per_degree
    theta = k * (raw[:, 0] - plane.lon0) * mx + l * (raw[:, 1] - plane.lat0) * my - omega * raw[:, 2] * 86400.0
    c = GRAVITY / plane.f0
    psi, psi_t, psi_x = c * amp * torch.cos(theta), c * amp * omega * torch.sin(theta), -c * amp * k * torch.sin(theta)
    inv = rossby.inverse_square_radius(raw[:, 1])
    expected = -(inv - plane.radius0**-2) * psi_t
    assert _rel(got, expected) < 1e-6
    assert expected.abs().max() > 0.3 * terms["beta"].abs().max()  # a large effect over 25-45 N
    del psi, psi_x, my
    flat = qg_residual(_wave(plane, k, l, omega, amp), raw, const, method=method)
    assert flat.abs().max() < 1e-8 * terms["beta"].abs().max()


@pytest.fixture
def siren():
    torch.manual_seed(0)
    return FieldOutput(Siren(3, 1, width=24, depth=2, w0=1.0), scale=0.2, offset=0.3)


def _lattice(sites=24, k=4, lat=(25.0, 45.0), days=20.0, seed=1, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    s = torch.rand(sites, 2, generator=g, dtype=dtype)
    s = torch.stack([s[:, 0] * 6 - 3, lat[0] + s[:, 1] * (lat[1] - lat[0])], 1)
    t = (torch.rand(sites, generator=g, dtype=dtype) + torch.arange(k, dtype=dtype)[:, None]) * days / k
    return torch.cat([s.expand(k, sites, 2), t[..., None]], -1).reshape(-1, 3)


@pytest.mark.parametrize("temporal_mean", [None, 4])
def test_every_method_agrees_with_a_pointwise_radius(siren, temporal_mean):
    """hybrid (per-point value weight), taylor, jvp: autograd's residual and gradient."""
    plane = BetaPlane(0.0, 35.0)
    raw = _lattice()
    params = list(siren.parameters())

    def run(method):
        r = qg_residual(siren, raw, plane, method=method, temporal_mean=temporal_mean)
        grads = torch.autograd.grad(torch.mean((r * 1e10) ** 2), params, allow_unused=True)
        flat = [(g if g is not None else torch.zeros_like(p)).flatten() for g, p in zip(grads, params)]
        return r.detach(), torch.cat(flat)

    r_ref, g_ref = run("autograd")
    for method in ("hybrid", "taylor", "jvp"):
        r, g = run(method)
        assert _rel(r, r_ref) < 1e-4, method
        assert _rel(g, g_ref) < 1e-4, method
    # and the pointwise radius matters for a SIREN too
    const = qg_residual(siren, raw, BetaPlane(0.0, 35.0, rossby_radius=plane.radius0), method="hybrid",
                        temporal_mean=temporal_mean)
    assert _rel(const.detach(), r_ref) > 1e-2


def test_a_given_radius_overrides_everywhere(siren):
    """rossby_radius= (m) on the plane, rossby_radius_km= in the loss frame and in derive('pv'): a constant."""
    plane = BetaPlane(0.0, 35.0, rossby_radius=40e3)
    lat = torch.tensor([10.0, 35.0, 60.0])
    inv, d_inv = plane.inverse_square_radius(lat, derivative=True)
    assert torch.allclose(inv, torch.full((3,), 40e3**-2)) and not d_inv.any()
    assert plane.radius0 == 40e3 and BetaPlane(0.0, 35.0).radius0 == pytest.approx(rossby_radius_km(35.0) * 1e3)
    with pytest.raises(ValueError, match="positive"):
        BetaPlane(0.0, 35.0, rossby_radius=0.0)
    # derive("pv"): the default is the radius of each latitude; a given one is used as is
    d = {"f": torch.full((3,), 0.2, dtype=torch.float64), "f_x": torch.zeros(3, dtype=torch.float64),
         "f_y": torch.zeros(3, dtype=torch.float64), "lap": torch.zeros(3, dtype=torch.float64)}
    lat = lat.double()
    q = derived_fields("pv", d, lat)["q"]
    for i in range(3):
        qi = derived_fields("pv", {k: v[i:i + 1] for k, v in d.items()}, lat[i:i + 1], float(rossby_radius_km(lat[i])))
        assert torch.allclose(q[i:i + 1], qi["q"], rtol=1e-9)
    assert not torch.allclose(q, derived_fields("pv", d, lat, 40.0)["q"], rtol=1e-2)
    # the loss: the frame's radius reaches the residual (same points, same numbers as by hand), on each
    # point's own plane
    for radius_km in (None, 40.0):
        frame = _frame(rossby_radius_km=radius_km)
        p = LocalPlanes(None if radius_km is None else radius_km * 1e3)
        assert float(_loss(siren, frame).detach()) == pytest.approx(float(_by_hand(siren, frame, p).detach()), rel=1e-5)


def _frame(**kw):
    return losses.PhysicsFrame(region=(-3.0, 3.0, 25.0, 45.0), time_range=(0.0, 20.0), min_wavelength_km=100.0,
                               variables=["sla"], units=["m"], mean=[0.3], std=[0.2], **kw)


def _loss(siren, frame, n=64, seed=0):
    field = siren.field  # the loss wraps the raw field in its own FieldOutput (std, mean of the frame)
    return losses.physics_loss(field, "qg", frame, weight=1.0, n_collocation=n, seed=seed, device=torch.device("cpu"))()


def _by_hand(siren, frame, plane, n=64, seed=0):
    k = frame.anomaly_times
    raw = losses._collocation(frame, n, seed, torch.device("cpu"), times_per_site=k, stream=1)()
    eta = FieldOutput(siren.field, 0, frame.std[0], frame.mean[0])
    r, parts = qg_residual(eta, raw, plane, return_terms=True, temporal_mean=k if k > 1 else None,
                           anomaly=frame.anomaly)
    length = frame.min_wavelength_km * 1e3 / (2 * math.pi)
    typical = BetaPlane(0.0, 35.0)  # f and beta of the floor: at the box's mean latitude (25-45 N)
    floor = (GRAVITY * frame.std[0] / abs(typical.f0) * typical.beta0 / length) ** 2
    loss = torch.mean(r**2) / (sum(torch.mean(t.detach() ** 2) for t in parts.values()) + floor)
    if k > 1:  # weighted by the field's variance over the times of each site (data-variance units)
        loss = loss * siren.field(raw)[:, 0].detach().view(k, -1).var(0, unbiased=False).mean().clamp(max=1.0)
    return loss


# ---------------------------------------------------------------- the residual on the anomaly
def _mdt_plus_wave(plane, k, l, omega, amp=0.05, mdt=0.8):
    """A steady 0.8 m Gaussian dome (no QG balance: beta and J terms never cancel) + an exact Rossby wave."""
    mx, my = plane.metres_per_degree
    wave = _wave(plane, k, l, omega, amp)

    def eta(raw):
        x = (raw[:, 0] - plane.lon0) * mx
        y = (raw[:, 1] - plane.lat0) * my
        return mdt * torch.exp(-(x**2 + y**2) / (2 * 250e3**2)) + wave(raw)

    return eta


@pytest.mark.parametrize("method", ["autograd", "jvp"])
def test_residual_on_the_anomaly_ignores_a_steady_mean(method):
    """MDT + exact wave: ~0 residual on the anomaly about the temporal mean, a large one on the full height."""
    plane = BetaPlane(0.0, 35.0, rossby_radius=40e3)
    k, l = 2 * math.pi / 300e3, 2 * math.pi / 500e3
    omega = rossby_wave_frequency(k, l, plane)
    period = 2 * math.pi / abs(omega) / 86400.0  # days
    # 8 times per site over two periods (a shifted lattice: the wave averages to zero exactly)
    raw = _lattice(sites=40, k=8, lat=(32.0, 38.0), days=2 * period, dtype=torch.float64)
    wave_only, terms = qg_residual(_wave(plane, k, l, omega, 0.05), raw, plane, return_terms=True, method=method)
    scale = terms["beta"].abs().max()
    assert wave_only.abs().max() < 1e-8 * scale
    eta = _mdt_plus_wave(plane, k, l, omega)
    full = qg_residual(eta, raw, plane, method=method)
    anomaly = qg_residual(eta, raw, plane, method=method, temporal_mean=8)
    assert full.abs().max() > 1.0 * scale
    assert anomaly.abs().max() < 1e-6 * scale
    # the same wave with no lattice structure cannot be averaged: refused, not silently wrong
    with pytest.raises(ValueError, match="same \\(lon, lat\\)"):
        qg_residual(eta, _box(n=40 * 8, lat=(32.0, 38.0)), plane, method=method, temporal_mean=8)
    with pytest.raises(ValueError, match="K blocks"):
        qg_residual(eta, raw[:-1], plane, method=method, temporal_mean=8)


@pytest.mark.parametrize("method", ["autograd", "jvp"])
def test_removing_the_steady_part_of_the_residual(method):
    """anomaly="residual": r(eta) minus its temporal mean. A steady non-QG mean alone and an exact wave alone give ~0;
    together, unlike anomaly="field", the mean flow's advection of the wave (and the wave's of the mean PV) stays."""
    plane = BetaPlane(0.0, 35.0, rossby_radius=40e3)
    k, l = 2 * math.pi / 300e3, 2 * math.pi / 500e3
    omega = rossby_wave_frequency(k, l, plane)
    period = 2 * math.pi / abs(omega) / 86400.0
    raw = _lattice(sites=40, k=8, lat=(32.0, 38.0), days=2 * period, dtype=torch.float64)
    _, terms = qg_residual(_wave(plane, k, l, omega, 0.05), raw, plane, return_terms=True, method=method)
    scale = terms["beta"].abs().max()
    mdt_only = _mdt_plus_wave(plane, k, l, omega, amp=0.0)
    assert qg_residual(mdt_only, raw, plane, method=method).abs().max() > 1.0 * scale
    r, parts = qg_residual(mdt_only, raw, plane, method=method, temporal_mean=8, anomaly="residual", return_terms=True)
    assert r.abs().max() < 1e-6 * scale and all(t.abs().max() < 1e-6 * scale for t in parts.values())
    wave = qg_residual(_wave(plane, k, l, omega, 0.05), raw, plane, method=method, temporal_mean=8, anomaly="residual")
    assert wave.abs().max() < 1e-8 * scale
    both = _mdt_plus_wave(plane, k, l, omega)
    kept = qg_residual(both, raw, plane, method=method, temporal_mean=8, anomaly="residual")
    assert kept.abs().max() > 0.1 * scale
    with pytest.raises(ValueError, match="choose one of"):
        qg_residual(both, raw, plane, method=method, temporal_mean=8, anomaly="mean")


def test_collocation_lattice_for_the_temporal_mean():
    frame = _frame()
    assert frame.anomaly_times == 8 and frame.anomaly == "residual"  # the defaults: the steady part dropped
    raw = losses._collocation(frame, 100, 0, torch.device("cpu"), times_per_site=8)()
    assert raw.shape == (8 * 13, 3)  # rounded up to whole sites
    blocks = raw.view(8, 13, 3)
    assert torch.equal(blocks[:, :, :2], blocks[:1, :, :2].expand(8, 13, 2))
    frac = (blocks[:, :, 2] - 0.0) / 20.0 * 8  # stratum j holds times in [j, j + 1) / 8 of the range
    assert ((frac >= torch.arange(8)[:, None]) & (frac < torch.arange(1, 9)[:, None])).all()
    west, east, south, north = frame.region
    assert ((raw[:, 0] >= west) & (raw[:, 0] <= east) & (raw[:, 1] >= south) & (raw[:, 1] <= north)).all()
    # off: plain uniform points, as before
    assert losses._collocation(_frame(anomaly_times=0), 100, 0, torch.device("cpu"))().shape == (100, 3)


def test_anomaly_option_in_the_loss(siren):
    """anomaly_times=0: the full height; the default drops the steady part of the residual; "field": the anomaly."""
    on, off = _loss(siren, _frame()).detach(), _loss(siren, _frame(anomaly_times=0)).detach()
    assert torch.isfinite(on) and torch.isfinite(off) and float(on) != float(off)
    plane = LocalPlanes()  # the loss's: each point's own tangent plane
    for frame in (_frame(anomaly_times=0), _frame(anomaly="residual"), _frame(anomaly="field")):
        by_hand = float(_by_hand(siren, frame, plane).detach())
        assert float(_loss(siren, frame).detach()) == pytest.approx(by_hand, rel=1e-5)


def test_the_term_is_weighted_by_the_time_varying_fraction():
    """A steady field weighs nothing, a field all in its time variation weighs its variance (<= 1)."""
    raw = _lattice(sites=50, k=8, days=10.0)

    def steady(r):
        return (2.0 * torch.sin(r[:, :1]) + 1.0).expand(-1, 1)

    def varying(r):
        return (0.5 * torch.sin(2 * math.pi * r[:, 2:3] / 10.0) + steady(r))

    assert float(losses._varying_fraction(steady, raw, 8)) == pytest.approx(0.0, abs=1e-6)
    assert float(losses._varying_fraction(varying, raw, 8)) == pytest.approx(0.125, rel=1e-3)  # 0.5^2 / 2
    assert float(losses._varying_fraction(lambda r: 3 * varying(r), raw, 8)) == 1.0  # clamped


@pytest.mark.parametrize("method", ["autograd", "jvp", "taylor", "hybrid"])
@pytest.mark.parametrize("temporal_mean", [None, 4])
def test_the_residual_ignores_the_level_of_the_height(siren, method, temporal_mean):
    """QG leaves the level of eta free: adding 1 m (an absolute dynamic topography's mean) changes nothing.

    With d(1/Ld^2)/dy inside grad q, the Jacobian held -psi_x psi dF/dy: 1 m acted as a spurious beta of
    8-40 times the true one between 35 and 50 N (a review of 2026-12-05).
    """
    plane = LocalPlanes()
    raw = _lattice()
    shifted = FieldOutput(siren.field, scale=siren.scale, offset=siren.offset + 1.0)
    a = qg_residual(siren, raw, plane, method=method, temporal_mean=temporal_mean, anomaly="residual")
    b = qg_residual(shifted, raw, plane, method=method, temporal_mean=temporal_mean, anomaly="residual")
    assert _rel(b.detach(), a.detach()) < 1e-5
