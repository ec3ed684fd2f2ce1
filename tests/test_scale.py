"""Speed and scale: mixed precision, lazy (dask) prediction, pickling to dask workers."""
import pickle
import warnings

import dask
import numpy as np
import pytest
import torch
import xarray as xr

import geoinr
from geoinr.model import network_choice
from geoinr.training import TrainConfig, Trainer


@pytest.fixture(scope="module")
def fitted():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return geoinr.INRModel(width=32, depth=2, epochs=3, max_time=None, progress=False).fit(tracks, variables="sla")


def test_lazy_predict_matches_eager_and_keeps_metadata(fitted):
    grid = fitted.target_grid(resolution=0.5)
    eager = fitted.predict(grid)
    lazy = fitted.predict(grid, chunks={"time": 1, "latitude": 7})
    assert isinstance(lazy.data, dask.array.Array)
    assert lazy.chunks[0] == (1,) * grid.sizes["time"] and lazy.chunks[1][0] == 7
    assert lazy.attrs["units"] == "m" and "geoinr" in lazy.attrs["source"]
    assert lazy.dims == eager.dims
    np.testing.assert_array_equal(lazy.compute().values, eager.values)


def test_lazy_predict_follows_a_chunked_template(fitted):
    grid = fitted.target_grid(resolution=0.5)
    shape = [grid.sizes[d] for d in ("time", "latitude", "longitude")]
    template = grid.assign(mask=(("time", "latitude", "longitude"), np.zeros(shape))).chunk({"time": 2})
    out = fitted.predict(template)
    assert isinstance(out.data, dask.array.Array) and out.chunks[0][0] == 2
    np.testing.assert_array_equal(out.values, fitted.predict(grid).values)


def test_lazy_predict_with_std(fitted, tmp_path):
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = geoinr.INRModel(width=32, depth=2, epochs=3, max_time=None, progress=False, uncertainty="bayes_last_layer").fit(
            tracks, variables="sla"
        )
    grid = m.target_grid(resolution=1.0)
    mean, std = m.predict(grid, return_std=True, chunks={"time": 1})
    em, es = m.predict(grid, return_std=True)
    assert std.name == "sla_std" and isinstance(std.data, dask.array.Array)
    np.testing.assert_allclose(std.values, es.values, rtol=1e-6)
    np.testing.assert_allclose(mean.values, em.values, rtol=1e-6)


def test_lazy_predict_writes_zarr_chunk_by_chunk(fitted, tmp_path):
    zarr = pytest.importorskip("zarr")  # noqa: F841
    grid = fitted.target_grid(resolution=0.5)
    path = tmp_path / "maps.zarr"
    fitted.predict(grid, chunks={"time": 1}).to_dataset().to_zarr(path, consolidated=False)
    back = xr.open_zarr(path, consolidated=False)
    assert back.sla.encoding["chunks"][0] == 1
    np.testing.assert_allclose(back.sla.values, fitted.predict(grid).values)


def test_bad_chunks_say_what_to_do(fitted):
    grid = fitted.target_grid(resolution=1.0)
    with pytest.raises(ValueError, match="does not have"):
        fitted.predict(grid, chunks={"depth": 1})
    with pytest.raises(ValueError, match="auto"):
        fitted.predict(grid, chunks="lots")


def test_model_pickles_and_predicts_identically(fitted):
    grid = fitted.target_grid(resolution=1.0)
    back = pickle.loads(pickle.dumps(fitted))
    assert all(p.device.type == "cpu" for p in back.field_.parameters())
    np.testing.assert_array_equal(back.predict(grid).values, fitted.predict(grid).values)


def test_prediction_on_a_distributed_cluster(fitted):
    """Workers are separate processes: the model travels to them by pickle."""
    distributed = pytest.importorskip("distributed")
    grid = fitted.target_grid(resolution=0.5)
    expected = fitted.predict(grid).values
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster):
            out = fitted.predict(grid, chunks={"time": 1}).compute()
    np.testing.assert_array_equal(out.values, expected)


def test_bfloat16_precision_fits_close_to_float32():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    kw = dict(width=64, depth=3, epochs=20, max_time=None, progress=False, batch_size=1024, lr=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = geoinr.INRModel(**kw).fit(tracks, variables="sla")
        low = geoinr.INRModel(precision="bfloat16", **kw).fit(tracks, variables="sla")
    # it trained: the validation loss went well below the variance of the standardized data
    assert low.best_val_loss_ < 0.5 and full.best_val_loss_ < 0.5
    assert low.best_val_loss_ < 2.0 * full.best_val_loss_ + 0.02
    # same weights, both precisions: predictions differ by ~1 % of the field's std, not more
    grid = full.target_grid(resolution=0.5)
    low.field_.load_state_dict(full.field_.state_dict())
    a, b = full.predict(grid).values, low.predict(grid).values
    rel = np.sqrt(np.mean((a - b) ** 2)) / np.std(a)
    assert 0.0 < rel < 0.03


def test_bfloat16_keeps_first_layer_and_head_in_float32():
    """Under autocast only the hidden width x width products run in bfloat16."""
    net = geoinr.nn.Siren(3, 1, width=16, depth=3, w0=3.0)
    seen = {}
    for name, mod in (("first", net.body[0]), ("hidden", net.body[1]), ("head", net.head)):
        mod.register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, o.dtype))
    x = torch.rand(8, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = net(x)
    assert seen == {"first": torch.float32, "hidden": torch.bfloat16, "head": torch.float32}
    assert out.dtype == torch.float32


def test_bfloat16_only_for_siren():
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    with pytest.raises(ValueError, match="model='siren' only"):
        geoinr.INRModel(model="ffn", precision="bfloat16", epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")
    with pytest.raises(ValueError, match="choose one of"):
        geoinr.INRModel(precision="float16", epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")


def test_train_step_is_one_adam_step():
    torch.manual_seed(0)
    net = torch.nn.Linear(2, 1)
    x, y = torch.randn(64, 2), torch.randn(64, 1)
    cfg = TrainConfig(batch_size=64, epochs=1, max_time=None, validation=0.0, progress=False)
    tr = Trainer(net, x, y, None, cfg, torch.device("cpu"))
    before = net.weight.detach().clone()
    with torch.no_grad():
        expected = float(torch.mean((net(x) - y) ** 2))
    loss = tr.train_step(x, y)
    assert float(loss) == pytest.approx(expected)
    assert not loss.requires_grad
    assert not torch.equal(before, net.weight.detach())


# ---------------------------------------------------------------------------- out of core
def _fit_kw():
    return dict(width=32, depth=2, epochs=40, max_time=None, progress=False, batch_size=512, lr=1e-3, seed=0)


def test_dask_backed_fit_streams_and_matches_in_memory_quality(tmp_path):
    tracks = geoinr.datasets.synthetic_tracks(days=6, seed=0)
    path = tmp_path / "tracks.nc"
    tracks.to_netcdf(path)
    with xr.open_dataset(path, chunks={"time": 400}) as lazy_tracks:
        assert lazy_tracks.sla.chunks is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            streamed = geoinr.INRModel(**_fit_kw()).fit(lazy_tracks, variables="sla")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = geoinr.INRModel(**_fit_kw()).fit(tracks, variables="sla")
    assert streamed.streamed_["blocks"] == int(np.ceil(tracks.sizes["time"] / 400))
    assert streamed.streamed_["validation_blocks"] >= 1
    # statistics from the dask pass equal the in-memory ones
    np.testing.assert_allclose(streamed.mean_, loaded.mean_, rtol=1e-6)
    np.testing.assert_allclose(streamed.std_, loaded.std_, rtol=1e-6)
    assert streamed.n_points_ == loaded.n_points_
    np.testing.assert_allclose(streamed.region_, loaded.region_, atol=1e-9)
    np.testing.assert_allclose(streamed.time_range_, loaded.time_range_, atol=1e-9)
    # same number of steps; the fit is about as good on the truth
    # the same epochs budget (the in-memory fit trains on its held-out points in the last quarter:
    # longer epochs there, so more steps; a streamed fit keeps them held out)
    assert streamed.history_.epoch.iloc[-1] == pytest.approx(loaded.history_.epoch.iloc[-1])
    assert streamed.history_.step.iloc[-1] <= loaded.history_.step.iloc[-1]
    assert np.isfinite(streamed.history_.val_loss).all()
    grid = loaded.target_grid(resolution=0.25)
    truth = geoinr.datasets.analytic_ssh
    lon, lat = np.meshgrid(grid.longitude.values, grid.latitude.values)
    errs = []
    for m in (streamed, loaded):
        maps = m.predict(grid)
        t_days = (maps.time.values - np.datetime64("2020-01-01", "ns")) / np.timedelta64(1, "D")
        ref = np.stack([truth(lon, lat, t) for t in t_days])
        errs.append(np.sqrt(np.mean((maps.values - ref) ** 2)) / np.std(ref))
    assert errs[0] < 0.8, errs  # it learned the field (a map of zeros scores 1.0)
    assert errs[0] < errs[1] + 0.15, errs


def test_dask_backed_fit_refuses_what_it_cannot_do():
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0).chunk({"time": 300})
    with pytest.raises(ValueError, match="resume= is not available"):
        geoinr.INRModel(epochs=1, max_time=None, progress=False).fit(tracks, variables="sla", resume="x.ckpt")
    with pytest.raises(ValueError, match="not available for dask-backed"):
        geoinr.INRModel(uncertainty="bayes_last_layer", epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")


def test_batch_stream_bounds_memory_and_surfaces_errors():
    from geoinr.stream import BatchStream

    loaded = []

    def load(ids):
        loaded.append(list(ids))
        n = 10 * len(ids)
        return np.zeros((n, 3), np.float32), np.arange(n, dtype=np.float32)[:, None], None

    stream = BatchStream(load, range(50), batch_size=7, blocks_per_group=2, prefetch=2, seed=0)
    it = iter(stream)
    batches = [next(it) for _ in range(3)]
    assert all(b[0].shape[1] == 3 for b in batches)
    import time as _time

    _time.sleep(0.3)
    # the producer stops when the queue is full: the group being consumed + 2 queued (+1 blocked in put)
    assert len(loaded) <= 4
    stream.close()

    def broken(ids):
        raise OSError("disk gone")

    bad = BatchStream(broken, range(3), batch_size=4)
    with pytest.raises(OSError, match="disk gone"):
        next(iter(bad))
    bad.close()


def test_block_source_covers_every_value_once():
    from geoinr.coords import CoordNames
    from geoinr.stream import BlockSource

    grid = geoinr.datasets.synthetic_grid(resolution=1.0, days=3, seed=0).chunk({"time": 1, "lat": 4})
    src = BlockSource(grid, ["sla"], CoordNames("lat", "lon", "time"), None)
    assert src.n_blocks == 3 * int(np.ceil(grid.sizes["lat"] / 4))
    table = src.load(range(src.n_blocks))
    assert len(table) == int(np.isfinite(grid.sla.values).sum())
    assert np.isclose(np.sort(table.values[:, 0]).sum(), np.nansum(grid.sla.values))


def test_auto_precision_takes_bfloat16_only_where_a_timed_step_is_faster(monkeypatch, tmp_path):
    """precision="auto": bfloat16 for a SIREN on scattered data under max_time when a timed step says so."""

    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    kw = dict(width=16, depth=2, max_time=1.0, progress=False)  # the precision is chosen before training
    fast = {"float32": 1.0, "bfloat16": 0.5}
    monkeypatch.setattr(network_choice, "_precision_seconds", lambda model, table, device, timings=None: fast)
    low = geoinr.INRModel(**kw).fit(tracks, variables="sla")
    assert low.precision == "auto" and low.precision_ == "bfloat16"
    low.save(tmp_path / "m.geoinr")
    assert geoinr.load(tmp_path / "m.geoinr").precision_ == "bfloat16"
    # not faster enough, an epochs budget, another model, or a grid: float32
    monkeypatch.setattr(network_choice, "_precision_seconds", lambda *a, **k: {"float32": 1.0, "bfloat16": 0.9})
    assert geoinr.INRModel(**kw).fit(tracks, variables="sla").precision_ == "float32"
    monkeypatch.setattr(network_choice, "_precision_seconds", lambda model, table, device, timings=None: fast)
    assert geoinr.INRModel(**{**kw, "max_time": None, "epochs": 2}).fit(tracks, variables="sla").precision_ == "float32"
    assert geoinr.INRModel(model="mlp", **kw).fit(tracks, variables="sla").precision_ == "float32"
    grid = geoinr.datasets.synthetic_grid(days=1, resolution=2.0)
    assert geoinr.INRModel(**kw).fit(grid, variables="sla").precision_ == "float32"


def test_the_timed_step_runs_in_both_precisions():
    from geoinr.model import fitting

    tracks = geoinr.datasets.synthetic_tracks(days=1, seed=0)
    model = geoinr.INRModel(width=8, depth=1, epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")
    table = fitting.read_observations(model, tracks, None, "sla", None, None, None, None).table
    timings = {}
    seconds = network_choice._precision_seconds(model, table, torch.device("cpu"), timings)
    assert set(seconds) == {"float32", "bfloat16"} and all(0.0 < s < 10.0 for s in seconds.values())
    assert {p: t[0] for p, t in timings.items()} == seconds  # kept for the choice of networks
    assert all(param.grad is None for param in model.field_.parameters())


def test_the_two_precisions_are_timed_in_turns(monkeypatch):
    """A burst of load from other processes slows both precisions alike: their passes alternate after a warm-up
    each, and each precision keeps its best pass after its first."""
    from geoinr.model import fitting

    tracks = geoinr.datasets.synthetic_tracks(days=1, seed=0)
    model = geoinr.INRModel(width=8, depth=1, epochs=1, max_time=None, progress=False).fit(tracks, variables="sla")
    table = fitting.read_observations(model, tracks, None, "sla", None, None, None, None).table
    order = []
    forward = model.field_.forward

    def recorded(x):
        order.append("bfloat16" if torch.is_autocast_enabled("cpu") else "float32")
        return forward(x)

    monkeypatch.setattr(model.field_, "forward", recorded)
    durations = {"float32": [9.0, 5.0, 3.0, 4.0], "bfloat16": [9.0, 1.0, 2.0, 0.5]}
    ticks = {"float32": iter(durations["float32"]), "bfloat16": iter(durations["bfloat16"])}
    state = {"t": 0.0, "start": True}

    def fake_clock():  # start and end of each pass: the end is the start plus that pass's duration
        if state["start"]:
            state["start"] = False
            return state["t"]
        state["start"] = True
        state["t"] += next(ticks[order[-1]])
        return state["t"]

    monkeypatch.setattr(network_choice, "time", type("Clock", (), {"perf_counter": staticmethod(fake_clock)}))
    timed = network_choice._interleaved_passes(model, table, torch.device("cpu"), 64, 4, ("float32", "bfloat16"))
    assert order == ["float32", "bfloat16"] * 4
    assert {p: t[0] for p, t in timed.items()} == {"float32": 3.0, "bfloat16": 0.5}  # the warm-ups' 9 s left out
