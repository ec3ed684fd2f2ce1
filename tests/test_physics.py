"""Operators on the sphere against analytic fields; derived currents; the QG residual and its fast derivatives."""
import copy
import math

import numpy as np
import pytest
import torch

import geoinr
from geoinr.physics import GRAVITY, OMEGA, coriolis, derivatives
from geoinr.physics.constants import EARTH_RADIUS_M as R
from geoinr.physics import jets
from geoinr.physics.qg import METHODS, BetaPlane, qg_residual, rossby_wave_frequency
from conftest import FAST, Composed, smooth_field

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
    m.region_, m.time_range_ = (-180.0, 180.0, -90.0, 90.0), (-1e6, 1e6)  # the analytic field holds everywhere
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
    assert uv.ugos.attrs["units"] == "m s-1"
    assert "standard_name" not in uv.ugos.attrs  # a height with no standard name: which currents is not known
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
    """physics="qg" adds a finite, logged residual loss; spatial data and unknown terms are refused clearly."""
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
    phys = geoinr.INRModel(physics="mass", physics_weight=100.0, physics_every=1, n_collocation=256, **kw).fit(
        data, np.column_stack([u, v]), variables=["u", "v"]
    )

    def divergence(m):
        raw = torch.tensor(np.column_stack([rng.uniform(0.5, 3.5, 400), rng.uniform(40.5, 43.5, 400)]), dtype=torch.float32)
        du = derivatives(lambda r: m.field_(r)[:, 0] * m.std_[0] + m.mean_[0], raw, laplacian=False)
        dv = derivatives(lambda r: m.field_(r)[:, 1] * m.std_[1] + m.mean_[1], raw, laplacian=False)
        return float(torch.sqrt(torch.mean((du["f_x"] + dv["f_y"]) ** 2)))

    assert divergence(phys) < 0.5 * divergence(plain)


def test_physics_every_adds_the_residual_on_a_schedule():
    """physics_every=k evaluates the residual loss on every k-th step only."""
    from geoinr.training import TrainConfig, Trainer

    calls = []

    def extra():
        calls.append(1)
        return torch.zeros((), requires_grad=True)

    net = torch.nn.Linear(2, 1)
    x, y = torch.randn(64, 2), torch.randn(64, 1)
    cfg = TrainConfig(batch_size=8, epochs=3, max_time=None, validation=0.0, progress=False, extra_every=4)
    Trainer(net, x, y, None, cfg, torch.device("cpu"), extra_loss=extra).run()
    assert len(calls) == 24 // 4  # 3 epochs x 8 steps, every 4th
    assert geoinr.INRModel().physics_every == 8 and geoinr.INRModel().physics_weight == "auto"


def test_streamfunction_constraint_is_divergence_free_and_fits(tmp_path):
    """mass_constraint="streamfunction": (u, v) from a streamfunction, zero divergence on the sphere."""
    rng = np.random.default_rng(1)
    n = 1500
    lon, lat = rng.uniform(0, 4, n), rng.uniform(40, 44, n)
    x = (lon - 2) * 85.0e3
    y = (lat - 42) * 111.0e3
    psi = np.exp(-(x**2 + y**2) / (2 * 80e3**2))
    u = y / 80e3**2 * psi * 3e4 + 0.02 * rng.standard_normal(n)
    v = -x / 80e3**2 * psi * 3e4 + 0.02 * rng.standard_normal(n)
    data = {"lon": lon, "lat": lat}
    kw = {**FAST, "epochs": 300, "validation": 0.0}
    m = geoinr.INRModel(mass_constraint="streamfunction", **kw).fit(data, np.column_stack([u, v]), variables=["u", "v"])
    raw = torch.tensor(np.column_stack([rng.uniform(0.5, 3.5, 400), rng.uniform(40.5, 43.5, 400)]), dtype=torch.float64)
    field = copy.deepcopy(m.field_).double()
    field.mean, field.inv_std = field.mean.double(), field.inv_std.double()
    du = derivatives(lambda r: field(r)[:, 0] / field.inv_std[0] + field.mean[0], raw, laplacian=False)
    dv = derivatives(lambda r: field(r)[:, 1] / field.inv_std[1] + field.mean[1], raw, laplacian=False)
    lat_r = raw[:, 1] * math.pi / 180
    div = du["f_x"] + dv["f_y"] - dv["f"] * torch.tan(lat_r) / R  # spherical divergence
    scale = float(torch.sqrt(torch.mean(du["f_x"] ** 2 + dv["f_y"] ** 2)))  # size of its two terms
    assert scale > 0 and float(torch.sqrt(torch.mean(div**2))) < 1e-6 * scale
    # it fits the currents (noise 2 cm/s, speeds up to ~20 cm/s)
    pred = m.predict({"lon": lon, "lat": lat})
    assert np.sqrt(np.mean((pred[:, 0] - u) ** 2)) < 0.05
    # saved and loaded, it predicts the same
    m.save(tmp_path / "uv.geoinr")
    back = geoinr.load(tmp_path / "uv.geoinr")
    np.testing.assert_array_equal(back.predict({"lon": lon, "lat": lat}), pred)
    with pytest.raises(ValueError, match="two fitted variables"):
        geoinr.INRModel(mass_constraint="streamfunction", **kw).fit(data, u, variables=["u"])


# ---------------------------------------------------------------- fast derivatives (physics/jets.py)


def _nested_autograd_jets(fn, raw, lat_weight):
    """Reference: every derivative the jets carry, by nested reverse mode."""
    raw = raw.detach().clone().requires_grad_(True)

    def grad(out):
        return torch.autograd.grad(out.sum(), raw, create_graph=True)[0]

    f = fn(raw)
    g1 = grad(f)
    g_lon, g_lat = grad(g1[:, 0]), grad(g1[:, 1])
    lap = g_lon[:, 0] + lat_weight * g_lat[:, 1]
    g_lap = grad(lap)
    out = dict(
        f=f, f_lon=g1[:, 0], f_lat=g1[:, 1], f_time=g1[:, 2],
        f_lon_lon=g_lon[:, 0], f_lon_lat=g_lon[:, 1], f_lat_lat=g_lat[:, 1], f_lon_time=g_lon[:, 2], f_lat_time=g_lat[:, 2],
        lap=lap, lap_lon=g_lap[:, 0], lap_lat=g_lap[:, 1], lap_time=g_lap[:, 2],
    )  # fmt: skip
    return {k: v.detach() for k, v in out.items()}


def _rel(a, b):
    return float((a.detach() - b).abs().max() / b.abs().max())


@pytest.fixture(scope="module")
def siren_field():
    """The real encoding (sphere + linear time) and a small SIREN from a 3-epoch INRModel fit."""
    rng = np.random.default_rng(1)
    n = 2000
    lon, lat, t = rng.uniform(-5, 5, n), rng.uniform(40, 50, n), rng.uniform(0, 10, n)
    m = geoinr.INRModel(**{**FAST, "epochs": 3, "width": 32, "depth": 3}).fit(
        {"lon": lon, "lat": lat, "time": np.datetime64("2021-03-01") + (t * 86400e9).astype("timedelta64[ns]")},
        smooth_field(lon, lat, t), variables=["sla"],
    )
    assert type(m.field_.network) is geoinr.nn.Siren and m.field_.encoding.time_name == "linear"
    g = torch.Generator().manual_seed(0)
    raw = torch.stack([torch.rand(64, generator=g) * 10 - 5, 40 + torch.rand(64, generator=g) * 10,
                       torch.rand(64, generator=g) * 10], 1)
    return m, raw


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_taylor_jets_equal_nested_autograd(siren_field, dtype):
    """Value, 3 first, 5 second and the 6 third derivatives carried by the 12 streams, against nested autograd."""
    m, raw = siren_field
    field = jets.FieldOutput(copy.deepcopy(m.field_), 0, 0.3, 0.1).to(dtype)
    raw = raw.to(dtype)
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    r = math.cos(math.radians(45.0)) ** 2
    ref = _nested_autograd_jets(field, raw, r)
    got = jets.field_jets(field, raw, r, all_streams=True)
    for k in ref:
        assert _rel(got[k], ref[k]) < tol, k
    # the separate third derivatives: lat weight 0 isolates f_{lon lon c}, the difference f_{lat lat c}
    ref0, got0 = _nested_autograd_jets(field, raw, 0.0), jets.field_jets(field, raw, 0.0)
    ref1, got1 = _nested_autograd_jets(field, raw, 1.0), jets.field_jets(field, raw, 1.0)
    for c in ("lon", "lat", "time"):
        assert _rel(got0[f"lap_{c}"], ref0[f"lap_{c}"]) < tol, f"f_lon_lon_{c}"
        assert _rel(got1[f"lap_{c}"] - got0[f"lap_{c}"], ref1[f"lap_{c}"] - ref0[f"lap_{c}"]) < 3 * tol, f"f_lat_lat_{c}"
    # the default (8-stream) output of the last layer is the same
    short = jets.field_jets(field, raw, r)
    assert set(short) == set(jets.OUTPUT_STREAMS)
    for k in short:
        assert _rel(short[k], ref[k]) < tol, k
    # hybrid: forward Laplacian, reverse gradient of lap + v f
    hyb = jets.field_jets_hybrid(field, raw, r, value_weight=-2.0)
    for k in ("f", "f_lon", "f_lat", "lap"):
        assert _rel(hyb[k], ref[k]) < tol, k
    for c in ("lon", "lat", "time"):
        assert _rel(hyb[f"phi_{c}"], ref[f"lap_{c}"] - 2.0 * ref[f"f_{c}"]) < tol, c


@pytest.mark.parametrize("space", ["sphere", "lonlat", "spherical_harmonics"])
@pytest.mark.parametrize("time", ["linear", "tanh", "sinusoidal", "fourier"])
def test_encoding_jets_for_every_encoding(space, time):
    """Analytic (sphere, lonlat, every time encoding) and forward-mode (spherical harmonics) encoding jets."""
    from geoinr.encoding import CoordinateEncoding

    pts = np.array([[0.0, 30.0, 0.0], [10.0, 40.0, 5.0]])
    # spherical harmonics of degree 2 (9 features): their generic forward-mode jets are slow at high degree
    enc = CoordinateEncoding.from_points(pts, space=space, time=time, min_wavelength=300.0 if space != "spherical_harmonics" else 2e4)
    torch.manual_seed(0)
    net = geoinr.nn.Siren(enc.out_features, 1, width=16, depth=2, w0=5.0)
    field = jets.FieldOutput(Composed(enc, net)).double()
    raw = torch.tensor([[1.0, 31.0, 0.5], [4.0, 35.0, 2.0], [9.0, 39.0, 4.5]], dtype=torch.float64)
    assert jets.supports_taylor(field)
    assert jets.preferred_method(field) == ("autograd" if space == "spherical_harmonics" else "hybrid")
    ref = _nested_autograd_jets(field, raw, 0.7)
    got = jets.field_jets(field, raw, 0.7, all_streams=True)
    for k in ref:
        assert _rel(got[k], ref[k]) < 1e-9, k


def test_fast_residuals_and_parameter_gradients_equal_autograd(siren_field):
    """Every method gives the nested-autograd QG residual and the same parameter gradient of a residual loss."""
    m, raw = siren_field
    field = jets.FieldOutput(m.field_, 0, 0.2, 0.0)
    plane = BetaPlane(0.0, 45.0, rossby_radius=40e3)
    params = [p for p in field.parameters()]

    def run(method):
        r = qg_residual(field, raw, plane, method=method)
        grads = torch.autograd.grad(torch.mean((r * 1e10) ** 2), params, allow_unused=True)
        return r.detach(), torch.cat([(g if g is not None else torch.zeros_like(p)).flatten() for g, p in zip(grads, params)])

    r_ref, g_ref = run("autograd")
    assert r_ref.abs().max() > 0 and g_ref.abs().max() > 0
    for method in ("auto", "hybrid", "taylor", "jvp"):
        r, g = run(method)
        assert _rel(r, r_ref) < 1e-4, method
        assert _rel(g, g_ref) < 1e-4, method
    _, terms = qg_residual(field, raw, plane, return_terms=True, method="hybrid")
    _, ref_terms = qg_residual(field, raw, plane, return_terms=True, method="autograd")
    for k in ref_terms:
        assert _rel(terms[k], ref_terms[k].detach()) < 1e-4, k
    # derivative math stays float32 under bfloat16 autocast
    with torch.autocast("cpu", dtype=torch.bfloat16):
        r = qg_residual(field, raw, plane)
    assert r.dtype == torch.float32 and _rel(r, r_ref) < 1e-4


def test_method_choice_and_fallback(siren_field):
    """auto uses the jets for a SIREN field; other networks and plain functions fall back to nested autograd."""
    m, raw = siren_field
    plane = BetaPlane(0.0, 45.0)
    assert jets.supports_taylor(m.field_) and jets.preferred_method(jets.FieldOutput(m.field_)) == "hybrid"
    assert "hybrid" in METHODS and "autograd" in METHODS
    enc = m.field_.encoding
    other = jets.FieldOutput(Composed(enc, geoinr.nn.build_network("fourier_net", enc.out_features, 1, width=16, depth=2)), 0, 0.1)
    assert not jets.supports_taylor(other) and jets.preferred_method(other) == "autograd"
    auto, ref = qg_residual(other, raw, plane), qg_residual(other, raw, plane, method="autograd")
    assert torch.equal(auto, ref)
    assert _rel(qg_residual(other, raw, plane, method="jvp"), ref.detach()) < 1e-4
    with pytest.raises(ValueError, match="needs a SIREN field"):
        qg_residual(lambda r: r[:, 0], raw, plane, method="taylor")
    with pytest.raises(ValueError, match="choose one of"):
        qg_residual(other, raw, plane, method="finite_differences")


def test_rossby_wave_solves_the_qg_equation_in_forward_mode():
    """The exact wave has ~0 residual with nested forward mode too (a plain function: no SIREN needed)."""
    plane = BetaPlane(0.0, 35.0, rossby_radius=40e3)
    k, l = 2 * math.pi / 300e3, 2 * math.pi / 500e3
    omega = rossby_wave_frequency(k, l, plane)
    raw = torch.stack(
        [torch.linspace(-3, 3, 64, dtype=torch.float64), torch.linspace(32, 38, 64, dtype=torch.float64),
         torch.linspace(0, 20, 64, dtype=torch.float64)], 1)
    res, terms = qg_residual(_wave(plane, k, l, omega), raw, plane, return_terms=True, method="jvp")
    scale = terms["beta"].abs().max()
    assert res.abs().max() < 1e-8 * scale
    assert qg_residual(_wave(plane, k, l, 1.5 * omega), raw, plane, method="jvp").abs().max() > 0.2 * scale


def test_jets_use_the_weight_the_forward_pass_uses():
    """A maintainer's review: the jets read the stored hidden weights while ``SineLayer.forward`` clamps them to
    TUNER's bound; with a weight past the bound (a loaded or edited model, a loop without ``constrain_``) the QG
    residual was that of another function than the one ``predict`` evaluates."""
    from geoinr.encoding import CoordinateEncoding

    pts = np.array([[0.0, 30.0, 0.0], [10.0, 40.0, 5.0]])
    enc = CoordinateEncoding.from_points(pts, space="sphere", time="linear", min_wavelength=300.0)
    torch.manual_seed(0)
    net = geoinr.nn.Siren(enc.out_features, 1, width=16, depth=2, w0=5.0, init="tuner", bandlimit=20.0)
    hidden = [layer for layer in net.body if layer.bound is not None]
    assert hidden, "a TUNER network bounds its hidden weights"
    with torch.no_grad():
        for layer in hidden:
            layer.linear.weight.mul_(50.0)  # far past the bound, as an edited file could hold
    field = jets.FieldOutput(Composed(enc, net)).double()
    raw = torch.tensor([[1.0, 31.0, 0.5], [4.0, 35.0, 2.0], [9.0, 39.0, 4.5]], dtype=torch.float64)
    ref = _nested_autograd_jets(field, raw, 0.7)  # differentiates the forward pass itself
    for got in (jets.field_jets(field, raw, 0.7), jets.field_jets_hybrid(field, raw, 0.7)):
        for k in ("f", "f_lon", "f_lat", "lap"):
            assert _rel(got[k], ref[k]) < 1e-9, k
