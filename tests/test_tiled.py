"""Local networks per tile, blended by a smooth partition of unity (``model_options={"tiles": n}``)."""
import numpy as np
import pytest
import torch
import xarray as xr

import geoinr
from geoinr.nn import Siren
from geoinr.nn.tiled import Tiled, partition_weights, smooth_step


def _tiled(tiles=(3, 2), seed=0, n_in=4):
    torch.manual_seed(seed)
    members = [Siren(n_in, 1, width=16, depth=2, w0=3.0) for _ in range(tiles[0] * tiles[1])]
    return Tiled(members, tiles=tiles, space_features=3)


def _points(n=400, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 4, generator=g) * 2 - 1
    x[:, 2] *= 0.05  # a thin third space axis, like the sphere encoding of a regional box
    return x


def _by_hand(net, x):
    """sum_k w_k(x) f_k(x), every member evaluated on every point."""
    w = net.weights(x)
    out = torch.zeros(len(x), 1)
    for k in range(net.n_members):
        params = {name: p[k] for name, p in zip(net.param_names, net.stacked)}
        out = out + w[:, k:k + 1] * torch.func.functional_call(net._base, params, (x,))
    return out


def test_partition_of_unity_is_smooth_non_negative_and_local():
    u = torch.linspace(-1.0, 4.0, 2001, dtype=torch.float64)
    w = partition_weights(u, 3, overlap=0.5)
    assert torch.allclose(w.sum(1), torch.ones_like(u))
    assert (w >= 0).all() and ((w > 0).sum(1) <= 2).all()
    assert (w[u < 0.75, 0] == 1).all() and (w[u > 2.25, 2] == 1).all()  # outside the blends one tile alone
    inner = (u > 0.8) & (u < 2.2)  # tile 1 reaches a quarter tile past each edge, no further
    assert (w[inner, 1] > 0).all() and (w[(u < 0.75) | (u > 2.25), 1] == 0).all()
    # every derivative is continuous: the second derivative has no jump (compare neighbouring samples)
    t = torch.linspace(-0.5, 1.5, 4001, dtype=torch.float64, requires_grad=True)
    (d1,) = torch.autograd.grad(smooth_step(t).sum(), t, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), t)
    assert torch.isfinite(d2).all() and d2.diff().abs().max() < 0.2  # steep (|d3| ~ 100), but no jump (|d2| reaches ~10)


def test_blend_equals_the_sum_of_weighted_members():
    net = _tiled()
    x = _points()
    net.set_frame(x)
    assert torch.allclose(net(x), _by_hand(net, x), atol=1e-6)
    counts = (net.weights(x) > 0).sum(1)
    assert counts.max() <= 4 and (counts == 1).any() and (counts > 1).any()


def test_gradients_go_through_the_weights_and_the_members():
    net = _tiled()
    x = _points(50)
    net.set_frame(_points())
    a = x.clone().requires_grad_(True)
    b = x.clone().requires_grad_(True)
    (ga,) = torch.autograd.grad(net(a).sum(), a, create_graph=True)
    (gb,) = torch.autograd.grad(_by_hand(net, b).sum(), b, create_graph=True)
    assert torch.allclose(ga, gb, atol=1e-5)
    (ha,) = torch.autograd.grad(ga[:, 0].sum(), a)
    (hb,) = torch.autograd.grad(gb[:, 0].sum(), b)
    assert torch.allclose(ha, hb, atol=1e-4)
    # and the parameters: one backward pass reaches every member that has points
    net(x).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.stacked)


def test_frame_follows_the_data():
    net = _tiled()
    x = _points()
    x[:, :2] = x[:, :2] @ torch.tensor([[0.6, 0.8], [-0.8, 0.6]]) * torch.tensor([3.0, 1.0])  # long axis rotated
    net.set_frame(x)
    axes = net.axes
    assert torch.allclose(axes.T @ axes, torch.eye(2), atol=1e-5)
    p = x[:, :3] @ axes
    assert (p.min(0).values >= net.lower - 1e-5).all() and (p.max(0).values <= net.upper + 1e-5).all()
    assert (net.upper - net.lower)[0] > 2 * (net.upper - net.lower)[1]  # longest axis first


def test_bad_tiles_say_what_is_accepted():
    with pytest.raises(ValueError, match="product"):
        Tiled([Siren(4, 1, width=8, depth=1) for _ in range(3)], tiles=(2, 2), space_features=3)
    with pytest.raises(ValueError, match="overlap"):
        Tiled([Siren(4, 1, width=8, depth=1) for _ in range(4)], tiles=(2, 2), space_features=3, overlap=0.0)
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    with pytest.raises(ValueError, match="tiles"):
        geoinr.INRModel(model_options={"tiles": 0}, epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")
    with pytest.raises(ValueError, match="n_members"):
        geoinr.INRModel(model_options={"tiles": 2}, n_members=2, epochs=1, max_time=None,
                        progress=False).fit(tracks, variables="sla")


def test_a_tiled_fit_predicts_derives_and_round_trips(tmp_path):
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    model = geoinr.INRModel(model_options={"tiles": [2, 2]}, width=32, depth=2, epochs=30, max_time=None,
                            batch_size=256, progress=False).fit(tracks, variables="sla")
    assert type(model.field_.network).__name__ == "Tiled" and model.members_ == 1
    grid = xr.Dataset(coords={"lat": np.linspace(31.0, 39.0, 9), "lon": np.linspace(1.0, 9.0, 11),
                              "time": tracks.time.values[[len(tracks.time) // 2]]})
    pred = model.predict(grid)
    assert np.isfinite(pred).all() and float(pred.std()) > 0
    vort = model.derive("relative_vorticity", grid)
    assert np.isfinite(vort).all()
    path = tmp_path / "tiled.geoinr"
    model.save(path)
    again = geoinr.load(path)
    np.testing.assert_array_equal(again.predict(grid).values, pred.values)
    assert torch.equal(again.field_.network.axes, model.field_.network.axes)
