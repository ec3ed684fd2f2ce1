"""The QG residual on each point's own tangent plane (LocalPlanes), and the fitting loss over any region."""
import numpy as np
import pytest
import torch

import geoinr
from geoinr.encoding import CoordinateEncoding
from geoinr.physics import losses
from geoinr.physics.jets import FieldOutput
from geoinr.physics.qg import EQUATOR_BAND, BetaPlane, LocalPlanes, qg_residual
from conftest import Composed


def _rel(a, b):
    return float((a - b).detach().abs().max() / b.detach().abs().max())


@pytest.fixture(scope="module")
def field():
    """A SIREN on the sphere encoding over a tall region (10-60 N): f changes by a factor of five across it."""
    corners = np.array([[-20.0, 10.0, 0.0], [20.0, 60.0, 30.0]])
    enc = CoordinateEncoding.from_points(corners, space="sphere", time="linear", min_wavelength=400.0)
    torch.manual_seed(0)
    net = geoinr.nn.Siren(enc.out_features, 1, width=24, depth=2, w0=5.0)
    return FieldOutput(Composed(enc, net), 0, 0.2, 0.1)


def _sites(n=40, k=4, lat=(10.0, 60.0), seed=3):
    g = torch.Generator().manual_seed(seed)
    s = torch.rand(n, 2, generator=g)
    s = torch.stack([-20 + 40 * s[:, 0], lat[0] + (lat[1] - lat[0]) * s[:, 1]], 1)
    t = (torch.rand(n, generator=g) + torch.arange(k, dtype=torch.float32)[:, None]) * 30.0 / k
    return torch.cat([s.expand(k, n, 2), t[..., None]], -1).reshape(-1, 3)


@pytest.mark.parametrize("radius", [None, 30e3])
@pytest.mark.parametrize("method", ["hybrid", "taylor", "jvp", "autograd"])
def test_each_point_gets_the_residual_of_the_plane_centred_on_it(field, method, radius):
    """LocalPlanes at every point = BetaPlane(lon_i, lat_i) evaluated at that point alone, for every method.

    Points in both hemispheres (f changes sign), given as float32 and as float64 to a float32 network.
    """
    raw = torch.cat([_sites(n=8, k=1), _sites(n=6, k=1, lat=(-60.0, -10.0), seed=4)])
    planes = LocalPlanes(rossby_radius=radius)
    local = qg_residual(field, raw, planes, method=method)
    one_by_one = torch.cat([
        qg_residual(field, raw[i:i + 1], BetaPlane(float(raw[i, 0]), float(raw[i, 1]), rossby_radius=radius),
                    method=method)
        for i in range(raw.shape[0])
    ])
    assert _rel(local, one_by_one) < 1e-4
    assert _rel(local[8:], one_by_one[8:]) < 1e-4  # the southern points alone (smaller residuals there)
    if method in ("hybrid", "taylor"):  # the jets run in the network's dtype whatever the points' dtype
        wide = qg_residual(field, raw.double(), planes, method=method)
        assert wide.dtype == torch.float32 and _rel(wide, one_by_one) < 1e-4
    # one plane at the northern sites' centre (35 N) is a different residual away from it
    centre = qg_residual(field, raw[:8], BetaPlane(0.0, 35.0, rossby_radius=radius), method=method)
    assert _rel(centre, one_by_one[:8]) > 0.1


@pytest.mark.parametrize("anomaly", ["field", "residual"])
def test_fast_methods_equal_autograd_on_local_planes_with_a_temporal_mean(field, anomaly):
    """hybrid, taylor and jvp: autograd's residual and parameter gradient with per-point f, beta and metric."""
    raw = _sites()
    planes = LocalPlanes()
    params = list(field.parameters())

    def run(method):
        r = qg_residual(field, raw, planes, method=method, temporal_mean=4, anomaly=anomaly)
        grads = torch.autograd.grad(torch.mean((r * 1e10) ** 2), params, allow_unused=True)
        flat = [(g if g is not None else torch.zeros_like(p)).flatten() for g, p in zip(grads, params)]
        return r.detach(), torch.cat(flat)

    r_ref, g_ref = run("autograd")
    assert r_ref.dtype == torch.float32
    for method in ("hybrid", "taylor", "jvp"):
        r, g = run(method)
        assert r.dtype == torch.float32, method
        assert _rel(r, r_ref) < 1e-4, method
        assert _rel(g, g_ref) < 1e-4, method


def test_local_planes_f_beta_and_the_equatorial_band():
    planes = LocalPlanes()
    lat = torch.tensor([-40.0, -2.0, 0.0, 3.0, 40.0], dtype=torch.float64)
    f, beta, mx = planes.at(lat)
    edge = BetaPlane(0.0, EQUATOR_BAND)
    assert torch.isfinite(f).all() and (f.abs() >= edge.f0 * (1 - 1e-12)).all()  # no division by zero inside
    assert float(f[0]) == pytest.approx(-BetaPlane(0.0, 40.0).f0) and float(f[4]) == pytest.approx(BetaPlane(0.0, 40.0).f0)
    assert float(f[1]) == pytest.approx(-edge.f0) and float(f[3]) == pytest.approx(edge.f0)
    assert float(beta[4]) == pytest.approx(BetaPlane(0.0, 40.0).beta0)
    assert float(mx[4]) == pytest.approx(BetaPlane(0.0, 40.0).metres_per_degree[0])
    with pytest.raises(ValueError, match="positive length"):
        LocalPlanes(rossby_radius=-1.0)
    with pytest.raises(ValueError, match="equator_band"):
        LocalPlanes(equator_band=0.0)
    with pytest.raises(ValueError, match="LocalPlanes"):
        BetaPlane(0.0, 2.0)


def _frame(region, time_range=(0.0, 10.0)):
    return losses.PhysicsFrame(region=region, time_range=time_range, min_wavelength_km=200.0, variables=["sla"],
                               units=["m"], mean=[0.0], std=[0.1])


def test_collocation_skips_the_equatorial_band_and_keeps_the_lattice():
    """Points of the QG term lie poleward of the band, uniform over what is left, K times per site."""
    frame = _frame((150.0, 250.0, -30.0, 60.0))
    raw = losses._collocation(frame, 4000, 0, "cpu", times_per_site=4, skip_band=EQUATOR_BAND)()
    lat = raw[:, 1]
    assert raw.shape == (4000, 3) and float(lat.abs().min()) >= EQUATOR_BAND
    assert float(lat.min()) < -25.0 and float(lat.max()) > 55.0
    blocks = raw.view(4, -1, 3)
    assert torch.equal(blocks[:, :, :2], blocks[:1, :, :2].expand_as(blocks[:, :, :2]))


@pytest.mark.parametrize("south, north", [(-30.0, 60.0), (-3.0, 40.0), (-40.0, 3.0), (-5.0, 20.0)])
@pytest.mark.parametrize("k", [1, 4])
def test_band_skipping_moves_the_same_draws_past_the_band(south, north, k):
    """Exactly the draws of the box shortened by the band's part in it, those north of the band's start moved past it.

    Uniform over the box less the band (whether the box starts, ends or straddles in it), the same random stream.
    """
    gap_lo, gap_hi = max(south, -EQUATOR_BAND), min(north, EQUATOR_BAND)
    got = losses._collocation(_frame((0.0, 10.0, south, north)), 400, 3, "cpu", k, skip_band=EQUATOR_BAND)()
    short = losses._collocation(_frame((0.0, 10.0, south, north - (gap_hi - gap_lo))), 400, 3, "cpu", k)()
    moved = short.clone()
    moved[:, 1] = torch.where(short[:, 1] >= gap_lo, short[:, 1] + (gap_hi - gap_lo), short[:, 1])
    assert torch.allclose(got, moved, atol=1e-5, rtol=0)
    assert ((got[:, 1] <= -EQUATOR_BAND) | (got[:, 1] >= EQUATOR_BAND)).all()


def test_no_band_in_the_box_leaves_the_draws_unchanged():
    """A box poleward of the band draws bit for bit what it drew before the band existed."""
    frame = _frame((0.0, 10.0, 10.0, 60.0))
    for k in (1, 8):
        assert torch.equal(losses._collocation(frame, 256, 1, "cpu", k, skip_band=EQUATOR_BAND)(),
                           losses._collocation(frame, 256, 1, "cpu", k)())


def test_the_qg_term_runs_on_a_region_across_the_equator_and_refuses_one_inside_it(field):
    """A tall region across the equator has a finite QG loss; a region inside the band says what to do."""
    draw, term = losses._qg_term(_frame((-20.0, 20.0, -30.0, 60.0)), 256, 0, "cpu", 30e3)
    value = term(field.field, draw()).detach()
    assert torch.isfinite(value) and float(value) > 0
    for south, north in ((-4.0, 4.5), (-5.0, 5.0), (2.0, 2.0)):  # inside the band, to its edges, one latitude
        with pytest.raises(ValueError, match="poleward"):
            losses._qg_term(_frame((-20.0, 20.0, south, north)), 256, 0, "cpu", 30e3)


def test_fit_with_qg_across_the_equator():
    """physics='qg' on tracks that cross the equator fits (it refused before: one plane at 0 N has no f)."""
    tracks = geoinr.datasets.synthetic_tracks(region=(-160.0, -140.0, -20.0, 25.0), days=6, seed=0)
    fitted = tracks.inr.fit("sla", physics="qg", physics_weight=0.1, width=32, depth=2, epochs=3, max_time=None,
                            progress=False, seed=0)
    assert np.isfinite(fitted.history["physics_loss"].dropna()).all() and fitted.history["physics_loss"].notna().any()
