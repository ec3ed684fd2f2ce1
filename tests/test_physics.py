"""Operators on the sphere against analytic fields; derived currents; the QG residual."""
import math

import numpy as np
import pytest
import torch

import geoinr
from geoinr.physics import GRAVITY, OMEGA, coriolis, derivatives
from geoinr.physics.constants import EARTH_RADIUS_M as R
from geoinr.physics.qg import BetaPlane, qg_residual, rossby_wave_frequency
from conftest import FAST

D = math.pi / 180


def _pts(n=200, seed=0, lat=(-80, 80), t=True):
    g = torch.Generator().manual_seed(seed)
    lon = torch.rand(n, generator=g, dtype=torch.float64) * 360 - 180
    la = torch.rand(n, generator=g, dtype=torch.float64) * (lat[1] - lat[0]) + lat[0]
    cols = [lon, la] + ([torch.rand(n, generator=g, dtype=torch.float64) * 10] if t else [])
    return torch.stack(cols, 1)


def test_gradient_and_laplacian_of_a_degree_one_harmonic():
    """f = cos(lat) cos(lon): f_x = -sin(lon)/R, f_y = -sin(lat) cos(lon)/R, lap f = -2 f / R^2."""
    raw = _pts()
    fn = lambda r: torch.cos(r[:, 1] * D) * torch.cos(r[:, 0] * D)  # noqa: E731
    d = derivatives(fn, raw)
    lon, lat = raw[:, 0] * D, raw[:, 1] * D
    assert torch.allclose(d["f_x"], -torch.sin(lon) / R, rtol=1e-9, atol=1e-18)
    assert torch.allclose(d["f_y"], -torch.sin(lat) * torch.cos(lon) / R, rtol=1e-9, atol=1e-18)
    assert torch.allclose(d["lap"], -2 * d["f"] / R**2, rtol=1e-6, atol=1e-20)


def test_laplacian_of_a_degree_two_zonal_harmonic_and_time_derivative():
    """f = (3 sin^2 lat - 1) * t: lap f = -6 f / R^2 and df/dt = f / t / 86400 s."""
    raw = _pts()
    fn = lambda r: (3 * torch.sin(r[:, 1] * D) ** 2 - 1) * r[:, 2]  # noqa: E731
    d = derivatives(fn, raw)
    assert torch.allclose(d["lap"], -6 * d["f"] / R**2, rtol=1e-6, atol=1e-18)
    assert torch.allclose(d["f_t"], (3 * torch.sin(raw[:, 1] * D) ** 2 - 1) / 86400.0, rtol=1e-12)
    assert torch.allclose(d["f_x"], torch.zeros_like(d["f_x"]), atol=1e-20)


class _Analytic(torch.nn.Module):
    """Stands in for a fitted network: eta = A cos(lat) cos(lon) metres (standardized: mean 0, std 1)."""

    def __init__(self, amp):
        super().__init__()
        self.amp = amp
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, raw):
        return (self.amp * torch.cos(raw[:, 1] * D) * torch.cos(raw[:, 0] * D))[:, None] + 0 * self.w


@pytest.fixture
def analytic_model(scattered):
    m = scattered.inr.fit("sla", **{**FAST, "epochs": 1})
    m.field_ = _Analytic(0.5)
    m.mean_, m.std_ = [0.0], [1.0]
    return m


def test_geostrophic_velocity_and_vorticity_of_an_analytic_height(analytic_model):
    """u = g A cos(lon) / (2 Omega R), v = -g A sin(lon) / (2 Omega R sin lat), zeta from the spherical Laplacian."""
    grid = geoinr.coords.regular_grid((-30, 30, 20, 60), 5.0, times=[np.datetime64("2021-03-02")])
    uv = analytic_model.derive("geostrophic_velocity", grid)
    lon, lat = np.meshgrid(np.radians(grid.lon.values), np.radians(grid.lat.values))
    A = 0.5
    u = GRAVITY * A * np.cos(lon) / (2 * OMEGA * R)
    v = -GRAVITY * A * np.sin(lon) / (2 * OMEGA * R * np.sin(lat))
    np.testing.assert_allclose(uv.ugos.isel(time=0).values, u, rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(uv.vgos.isel(time=0).values, v, rtol=2e-4, atol=1e-6)
    assert uv.ugos.attrs["units"] == "m s-1" and uv.ugos.attrs["standard_name"].startswith("surface_geostrophic")
    zeta = analytic_model.derive("relative_vorticity", grid).zeta.isel(time=0).values
    f = 2 * OMEGA * np.sin(lat)
    beta = 2 * OMEGA * np.cos(lat) / R
    eta = A * np.cos(lat) * np.cos(lon)
    eta_y = -A * np.sin(lat) * np.cos(lon) / R
    expected = GRAVITY / f * (-2 * eta / R**2) - GRAVITY * beta / f**2 * eta_y
    np.testing.assert_allclose(zeta, expected, rtol=2e-3, atol=1e-10)
    grad = analytic_model.derive("gradient", grid)
    np.testing.assert_allclose(grad.deta_dy.isel(time=0).values, eta_y, rtol=2e-4, atol=1e-12)


def test_pv_matches_the_product_rule(analytic_model):
    """q = lap(g eta / f) - g eta / (f Ld^2), checked against a double-precision autograd of psi itself."""
    grid = geoinr.coords.regular_grid((-20, 20, 25, 55), 10.0, times=[np.datetime64("2021-03-02")])
    q = analytic_model.derive("pv", grid, rossby_radius=40.0).q.isel(time=0).values
    raw = torch.tensor(np.stack(np.meshgrid(grid.lon.values, grid.lat.values), -1).reshape(-1, 2), dtype=torch.float64)
    psi = lambda r: GRAVITY * 0.5 * torch.cos(r[:, 1] * D) * torch.cos(r[:, 0] * D) / coriolis(r[:, 1])  # noqa: E731
    d = derivatives(psi, raw)
    expected = (d["lap"] - d["f"] / 40e3**2).numpy().reshape(q.shape)
    np.testing.assert_allclose(q, expected, rtol=3e-3)


def test_equator_is_masked_with_a_warning(analytic_model):
    grid = geoinr.coords.regular_grid((-10, 10, -10, 10), 2.0, times=[np.datetime64("2021-03-02")])
    with pytest.warns(UserWarning, match="equator"):
        uv = analytic_model.derive("geostrophic_velocity", grid)
    lat = grid.lat.values
    assert np.isnan(uv.ugos.values[0][np.abs(lat) < 5]).all()
    assert np.isfinite(uv.ugos.values[0][np.abs(lat) >= 5]).all()
    with pytest.raises(ValueError, match="Unknown quantity"):
        analytic_model.derive("vorticity", grid)


def _wave(plane, k, l, omega, amp=0.1):
    mx, my = plane.metres_per_degree

    def eta(raw):
        x = (raw[:, 0] - plane.lon0) * mx
        y = (raw[:, 1] - plane.lat0) * my
        t = raw[:, 2] * 86400.0
        return amp * torch.cos(k * x + l * y - omega * t)

    return eta


def test_rossby_wave_solves_the_qg_equation():
    """An exact 1.5-layer Rossby wave has ~0 residual; the same wave at the wrong speed does not."""
    plane = BetaPlane(0.0, 35.0, rossby_radius=40e3)
    k, l = 2 * math.pi / 300e3, 2 * math.pi / 500e3
    omega = rossby_wave_frequency(k, l, plane)
    raw = torch.stack(
        [torch.linspace(-3, 3, 64, dtype=torch.float64), torch.linspace(32, 38, 64, dtype=torch.float64),
         torch.linspace(0, 20, 64, dtype=torch.float64)], 1)
    res, terms = qg_residual(_wave(plane, k, l, omega), raw, plane, return_terms=True)
    scale = terms["beta"].abs().max()
    assert scale > 0
    assert res.abs().max() < 1e-8 * scale
    wrong = qg_residual(_wave(plane, k, l, 1.5 * omega), raw, plane)
    assert wrong.abs().max() > 0.2 * scale


def test_qg_residual_is_differentiable_for_training():
    """The residual keeps its graph: a loss on it has gradients w.r.t. network weights."""
    net = geoinr.nn.build_network("siren", 3, 1, bandwidth=20.0, width=16, depth=2)
    plane = BetaPlane(5.0, 40.0)
    raw = torch.tensor([[5.0, 40.0, 1.0], [6.0, 41.0, 2.0]])
    res = qg_residual(lambda r: 0.1 * net(torch.stack([(r[:, 0] - 5) / 5, (r[:, 1] - 40) / 5, r[:, 2] / 10], 1))[:, 0], raw, plane)
    (res**2).mean().backward()
    # every parameter but the output bias (a constant height leaves the QG dynamics unchanged)
    params = [p for name, p in net.named_parameters() if name != "head.bias"]
    assert all(p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0 for p in params)


def test_fit_with_qg_residual_runs_and_logs_it(scattered):
    """physics='qg' adds a finite, logged residual loss; spatial data or ensembles are refused clearly."""
    fitted = scattered.inr.fit("sla", physics="qg", physics_weight=1.0, n_collocation=64, **{**FAST, "epochs": 60})
    h = fitted.history
    assert np.isfinite(h.physics_loss).all() and (h.physics_loss > 0).all()
    with pytest.raises(ValueError, match="needs a time coordinate"):
        scattered.inr.fit("sla", physics="qg", time=False, **{**FAST, "epochs": 1})
    with pytest.raises(ValueError, match="unknown term"):
        scattered.inr.fit("sla", physics="navier_stokes", **{**FAST, "epochs": 1})
    with pytest.raises(ValueError, match="two fitted variables"):
        scattered.inr.fit("sla", physics="mass", **{**FAST, "epochs": 1})


def test_mass_penalty_makes_fitted_currents_less_divergent():
    """Noisy (u, v) of a non-divergent eddy: the divergence penalty lowers the fitted field's divergence."""
    rng = np.random.default_rng(0)
    n = 1500
    lon, lat = rng.uniform(0, 4, n), rng.uniform(40, 44, n)
    x = (lon - 2) * 85.0e3
    y = (lat - 42) * 111.0e3
    psi = np.exp(-(x**2 + y**2) / (2 * 80e3**2))  # streamfunction
    u = y / 80e3**2 * psi * 3e4 + 0.05 * rng.standard_normal(n)  # u = -dpsi/dy (scaled)
    v = -x / 80e3**2 * psi * 3e4 + 0.05 * rng.standard_normal(n)
    data = {"lon": lon, "lat": lat}
    kw = {**FAST, "epochs": 300, "validation": 0.0}
    plain = geoinr.INRModel(**kw).fit(data, np.column_stack([u, v]), variables=["u", "v"])
    phys = geoinr.INRModel(physics="mass", physics_weight=100.0, n_collocation=256, **kw).fit(
        data, np.column_stack([u, v]), variables=["u", "v"]
    )

    def divergence(m):
        raw = torch.tensor(np.column_stack([rng.uniform(0.5, 3.5, 400), rng.uniform(40.5, 43.5, 400)]), dtype=torch.float32)
        du = derivatives(lambda r: m.field_(r)[:, 0] * m.std_[0] + m.mean_[0], raw, laplacian=False)
        dv = derivatives(lambda r: m.field_(r)[:, 1] * m.std_[1] + m.mean_[1], raw, laplacian=False)
        return float(torch.sqrt(torch.mean((du["f_x"] + dv["f_y"]) ** 2)))

    assert divergence(phys) < 0.5 * divergence(plain)
