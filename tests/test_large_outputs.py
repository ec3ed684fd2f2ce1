"""A review of large outputs (2026-12-07, tenth session): OI solved in blocks (400 bytes a target point at once),
derive refused where predict is, regrid's land mask by axes, distance searches bounded."""
import warnings

import numpy as np
import pytest

import geoinr
import geoinr.baselines as baselines
from geoinr import machine
from geoinr.uncertainty.calibration import DataDistance


def test_oi_in_blocks_maps_what_it_maps_at_once(monkeypatch):
    tracks = geoinr.datasets.synthetic_tracks(days=6, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oi = baselines.OptimalInterpolation().fit(tracks, "sla")
    grid = oi.target_grid(0.25)
    whole, whole_std = oi.predict(grid, return_std=True)
    calls = []
    solve = baselines.OptimalInterpolation._predict_points
    monkeypatch.setattr(baselines, "OI_BLOCK_POINTS", 1000)
    monkeypatch.setattr(baselines.OptimalInterpolation, "_predict_points",
                        lambda self, *a, **k: calls.append(a[0].size) or solve(self, *a, **k))
    blocked, blocked_std = oi.predict(grid, return_std=True)
    assert max(calls[1:]) <= 1000 and len(calls) > 3  # (the first call splits the target)
    np.testing.assert_allclose(blocked.values, whole.values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(blocked_std.values, whole_std.values, rtol=0, atol=1e-9)


def test_an_eager_derive_too_large_is_refused_as_predict_is(monkeypatch):
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = tracks.inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, progress=False)
    grid = m.target_grid(0.5)
    monkeypatch.setattr(machine, "memory_bytes", lambda: 2**12)  # a 4 KiB machine
    with pytest.raises(MemoryError, match=r"An eager derive\('geostrophic_velocity'\).*chunks='auto'"):
        m.derive("geostrophic_velocity", grid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lazy = m.derive("geostrophic_velocity", grid, chunks="auto")
    assert lazy.ugos.chunks is not None


def test_distances_past_the_bound_are_infinite_and_within_it_exact():
    xyz = np.column_stack([np.arange(0.0, 1000.0, 7.0), np.zeros(143)])
    near = DataDistance(xyz)
    far = np.array([[497.0, 10.0], [497.0, 400.0]])
    assert near(far, 50.0)[0] == pytest.approx(10.0) and np.isinf(near(far, 50.0)[1])
    np.testing.assert_allclose(near(far), [10.0, 400.0])


def test_regrids_land_mask_of_axes_is_the_nearest_cells():
    """The mask of a source on axes, taken on the target's axes (a plane of indexers took 78 bytes a target cell)."""
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.0)
    land = (ds.lat > 36) & (ds.lon < 3)
    ds["sla"] = ds.sla.where(~land)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ds.inr.regrid(0.5, "sla", land="missing", width=8, depth=1, epochs=1, max_time=None, progress=False)
    near_land = land.sel(lat=out.lat, lon=out.lon, method="nearest")
    assert near_land.any() and not near_land.all()
    assert (out.isnull().all("time").values == near_land.values).all()


def test_sample_made_lazily_draws_what_it_draws_eagerly(monkeypatch):
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = tracks.inr.fit("sla", uncertainty="bayes_last_layer", width=16, depth=1, epochs=5, max_time=None,
                           progress=False)
    grid = m.target_grid(0.5)
    eager = m.sample(grid, n=3, seed=1)
    lazy = m.sample(grid, n=3, seed=1, chunks={"time": 1, "latitude": 7})
    assert lazy.chunks is not None and lazy.dims == eager.dims
    np.testing.assert_array_equal(lazy.values, eager.values)
    assert lazy.attrs["long_name"] == eager.attrs["long_name"]
    dask_target = grid.assign(z=(("time", "latitude", "longitude"), np.zeros([grid.sizes[d] for d in
                                                                          ("time", "latitude", "longitude")])))
    assert m.sample(dask_target.chunk({"time": 1}), n=2).chunks is not None  # (computed whole before)
    monkeypatch.setattr(machine, "memory_bytes", lambda: 2**12)
    with pytest.raises(MemoryError, match=r"An eager sample.*chunks='auto'"):
        m.sample(grid, n=3)


def test_a_grid_of_coordinates_chunked_is_predicted_lazily():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = tracks.inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, progress=False)
    grid = m.target_grid(0.5)
    lazy = m.predict(grid.chunk({"time": 1}))  # (only its bounds can be dask arrays: eager in silence before)
    assert lazy.chunks is not None
    np.testing.assert_allclose(lazy.values, m.predict(grid).values)
    assert m.predict(grid).chunks is None
