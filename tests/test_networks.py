"""Encodings are differentiable w.r.t. raw coordinates; SIREN follows Sitzmann's initialization."""
import math

import numpy as np
import pytest
import torch

from geoinr.encoding import CoordinateEncoding, SphereEncoding, sphere_xyz
from geoinr.nn import Siren, build_network


def test_siren_initialization_bounds():
    """First layer U(-1/n, 1/n); hidden and output U(-sqrt(6/n)/w0_hidden, +)."""
    torch.manual_seed(0)
    net = Siren(3, 2, width=256, depth=3, w0=30.0, w0_hidden=30.0)
    first = net.body[0].linear.weight
    assert first.abs().max() <= 1 / 3 and first.abs().max() > 0.9 / 3
    for layer in list(net.body)[1:]:
        w = layer.linear.weight
        bound = math.sqrt(6 / 256) / 30
        assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound
        assert abs(float(w.detach().std()) - bound / math.sqrt(3)) < 0.02 * bound
    assert net.head.weight.abs().max() <= math.sqrt(6 / 256) / 30
    assert len(net.body) == 3 and net.body[0].w0 == 30.0


def test_siren_activations_stay_distributed_through_depth():
    """With this init, hidden activations keep a ~arcsine distribution (std ~ 1/sqrt 2) at depth."""
    torch.manual_seed(0)
    net = Siren(2, 1, width=256, depth=6)
    h = torch.rand(4096, 2) * 2 - 1
    for layer in net.body:
        h = layer(h)
    assert 0.6 < float(h.detach().std()) < 0.8


def test_encoding_is_differentiable_wrt_raw_coordinates():
    """Autograd derivatives through the encoding match finite differences."""
    enc = CoordinateEncoding.from_points(np.array([[0.0, 40.0, 0.0], [10.0, 50.0, 10.0]]))
    torch.manual_seed(0)
    net = torch.nn.Sequential(enc, build_network("siren", enc.out_features, 1, width=16, depth=2, w0=3.0)).double()
    x = torch.tensor([[3.0, 44.0, 2.0]], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(net(x).sum(), x)
    eps = 1e-5
    for i in range(3):
        d = torch.zeros_like(x)
        d[0, i] = eps
        fd = (net(x + d) - net(x - d)).item() / (2 * eps)
        assert g[0, i].item() == pytest.approx(fd, rel=1e-5, abs=1e-9)
    assert g.abs().min() > 0  # every raw coordinate reaches the output


def test_sphere_encoding_has_no_seam_at_the_dateline():
    a = sphere_xyz(torch.tensor([179.999]), torch.tensor([10.0]))
    b = sphere_xyz(torch.tensor([-179.999]), torch.tensor([10.0]))
    assert torch.linalg.norm(a - b) < 1e-4


def test_region_fills_unit_range():
    """A 10-degree box and the globe both span [-1, 1] in the widest direction."""
    rng = np.random.default_rng(0)
    for lon_range, lat_range in (((0, 10), (30, 40)), ((-180, 180), (-90, 90))):
        lon, lat = rng.uniform(*lon_range, 5000), rng.uniform(*lat_range, 5000)
        enc = SphereEncoding(**SphereEncoding.fit_params(lon, lat))
        e = enc(torch.tensor(lon, dtype=torch.float32), torch.tensor(lat, dtype=torch.float32))
        widest = float((e.max(0).values - e.min(0).values).max())
        assert 1.9 < widest <= 2.0001


def test_min_wavelength_and_period_set_one_bandwidth():
    """A wave of min_wavelength km and one of min_period days have the same encoded frequency."""
    pts = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 30.0]])
    enc = CoordinateEncoding.from_points(pts, min_wavelength=200.0, min_period=20.0)
    km_per_unit = enc.space.scale_value * 6371.0
    assert enc.bandwidth == pytest.approx(2 * np.pi * km_per_unit / 200.0)
    days_per_unit = enc.time.t_half_value
    assert 2 * np.pi * days_per_unit / 20.0 == pytest.approx(enc.bandwidth)


def test_default_scales_come_from_the_sampling():
    """Denser data -> shorter default wavelength; explicit values win."""
    rng = np.random.default_rng(0)
    sparse = np.column_stack([rng.uniform(0, 10, 300), rng.uniform(30, 40, 300), rng.uniform(0, 10, 300)])
    dense = np.column_stack([rng.uniform(0, 10, 30000), rng.uniform(30, 40, 30000), rng.uniform(0, 10, 30000)])
    a = CoordinateEncoding.from_points(sparse)
    b = CoordinateEncoding.from_points(dense)
    assert b.min_wavelength < a.min_wavelength / 3
    assert a.min_period == pytest.approx(a.min_wavelength / 10.0)
    assert CoordinateEncoding.from_points(sparse, min_wavelength=123.0).min_wavelength == 123.0


def test_config_rebuilds_exactly():
    enc = CoordinateEncoding.from_points(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 9.0]]))
    again = CoordinateEncoding(**enc.config())
    x = torch.tensor([[2.0, 3.0, 4.0]])
    assert torch.equal(enc(x), again(x))


def test_default_wavelength_ignores_land_in_the_box():
    """A basin with coasts: the cells the data never reach (land) are not gaps of the sampling.

    The same 0.25-degree grid gives the same default wavelength whether half of its
    box is land or not; counting land as gap (``footprint=False``, the old rule)
    roughly doubles it.
    """
    from geoinr.scales import default_scales

    lon, lat = np.meshgrid(np.arange(0.0, 20.0, 0.25), np.arange(30.0, 40.0, 0.25))
    sea = default_scales(lon.ravel(), lat.ravel())[0]
    coast = (lon < 11.0 + 3.0 * np.sin(lat)) | ((lat > 36.0) & (lon > 14.0))  # land: the west and a north-east block
    basin = default_scales(lon[~coast], lat[~coast])[0]
    box_rule = default_scales(lon[~coast], lat[~coast], footprint=False)[0]
    assert 0.85 < basin / sea < 1.15, (basin, sea)
    assert box_rule > 1.3 * sea, (box_rule, sea)
    # tracks with their gaps: gaps between tracks inside the data still count
    rng = np.random.default_rng(1)
    tracks_lon = np.concatenate([np.full(200, x0) + np.linspace(0, 4, 200) for x0 in np.arange(0.0, 16.0, 2.0)])
    tracks_lat = np.tile(np.linspace(30.0, 40.0, 200), 8)
    gap = default_scales(tracks_lon + 0.001 * rng.standard_normal(tracks_lon.size), tracks_lat)[0]
    assert gap > 3 * sea
