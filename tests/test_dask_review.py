"""Dask-backed (streamed) fits, from a read-only review: packed variables, the valid points' extent and count, the
encoding's frame, a NaN-only sample, thread-safe ensembles, block loads, epoch steps, early refusals, validation."""
import threading
import warnings

import dask
import numpy as np
import pytest
import torch
from dask.callbacks import Callback

import geoinr
from geoinr import observations
from geoinr.coords import CoordNames, wrap_longitude
from geoinr.model import fitting
from geoinr.nn.ensemble import Ensemble
from geoinr.stream import BatchStream, BlockSource

KW = dict(width=16, depth=1, epochs=5, max_time=None, progress=False, seed=0)


@pytest.fixture(autouse=True)
def _light():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with dask.config.set(scheduler="synchronous"):
            yield
    finally:  # the tests after these ran on one thread, and a fit in a subprocess on two differed from them in its bits
        torch.set_num_threads(threads)


def _grid():
    return geoinr.datasets.synthetic_grid(resolution=1.0, days=4)[["sla"]]


def _frame_of(model):
    return {"mean": np.asarray(model.mean_), "std": np.asarray(model.std_), "region": np.asarray(model.region_),
            "time_range": np.asarray(model.time_range_), "n": model.n_points_}


def _same_frame(data, variables, chunks, **kw):
    """The frames of an in-memory fit and a fit of the same data chunked with dask agree."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eager = data.inr.fit(variables, **{**KW, **kw})
        lazy = data.chunk(chunks).inr.fit(variables, **{**KW, **kw})
    a, b = _frame_of(eager), _frame_of(lazy)
    for key in a:
        np.testing.assert_allclose(b[key], a[key], rtol=1e-6, err_msg=key)
    return eager, lazy


class _Computes(Callback):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _start(self, dsk):
        self.n += 1


def test_1_a_packed_dask_variable_is_decoded_before_its_statistics():
    ds = _grid()
    packed = (ds.sla / 0.001).round().astype("int16")
    packed[0, 0, :3] = -32767
    packed.attrs = {"scale_factor": 0.001, "add_offset": 0.0, "_FillValue": -32767, "units": "m"}
    eager, lazy = _same_frame(ds.assign(sla=packed), "sla", {"time": 1})
    assert abs(lazy.mean_[0]) < 1.0 and lazy.n_points_ == 397  # decoded metres, the three fills left out


def test_2_the_region_and_time_span_are_those_of_the_valid_points():
    ds = _grid()
    land = (ds.lon > ds.lon[2]) & (ds.lat > ds.lat[1])
    ds["sla"] = ds.sla.where(land & (ds.time < ds.time[-1]))  # land, and a last day all missing
    eager, lazy = _same_frame(ds, "sla", {"time": 1})
    assert lazy.region_ == (3.5, 9.5, 32.5, 39.5) and lazy.time_range_ == (0.0, 2.0)


def test_3_the_point_count_is_of_rows_with_any_valid_value_at_valid_coordinates():
    ds = geoinr.datasets.synthetic_grid(resolution=1.0, days=4)
    ds = ds.assign(a=ds.sla.where(ds.lon < 5), b=ds.sla_true.where(ds.lon >= 5))[["a", "b"]]
    eager, lazy = _same_frame(ds, ["a", "b"], {"time": 1})  # disjoint masks: every cell has one value
    assert lazy.n_points_ == 400
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0).drop_vars("satellite")
    lat = tracks.latitude.values.copy()
    lat[5:400] = np.nan  # a stretch of missing positions: their values are not points
    _same_frame(tracks.assign_coords(latitude=("time", lat)), "sla", {"time": 500})


def test_4_the_frame_covers_the_whole_extent_not_the_sample(monkeypatch):
    ds = _grid()
    ds = ds.assign_coords(lon=wrap_longitude(ds.lon.values + 175.0))  # 175.5 ... 179.5, -179.5 ... -175.5
    monkeypatch.setattr(fitting, "STREAM_SAMPLE_POINTS", 100)  # the sample: one chunk of 5 longitudes
    eager, lazy = _same_frame(ds, "sla", {"lon": 5})
    assert lazy.region_ == (175.5, 184.5, 30.5, 39.5)
    obs = observations.read(ds.chunk({"lon": 5}), "sla", lazy=True)
    frame = fitting.frame_streamed(obs, 0)
    assert np.ptp(frame.sample.lon % 360) < 5  # the sample covers half of the span
    config = fitting.encoding_config(geoinr.INRModel(**KW), frame.sample, frame.extent)
    want = eager.encoding_config_
    # the frame of the region's edges: up to the dateline, 0.5 degree beyond the grid's last points
    np.testing.assert_allclose(config["space_params"]["center"], want["space_params"]["center"], rtol=1e-4)
    assert np.isclose(config["space_params"]["scale"], want["space_params"]["scale"], rtol=1e-3)
    assert config["time_params"]["t_mid"] == want["time_params"]["t_mid"] == 1.5
    alone = fitting.encoding_config(geoinr.INRModel(**KW), frame.sample)
    assert config["min_wavelength"] == alone["min_wavelength"]  # the scales come from the data, not the edges


def test_5_a_missing_first_sample_block_does_not_stop_the_fit(monkeypatch):
    monkeypatch.setattr(fitting, "STREAM_SAMPLE_POINTS", 100)  # one day is the sample
    ds = _grid()
    first = int(np.random.default_rng(0).integers(4))  # the block the sample starts at (seed=0)
    ds["sla"] = ds.sla.where(ds.time != ds.time[first])
    _same_frame(ds, "sla", {"time": 1})
    with warnings.catch_warnings(), pytest.raises(ValueError, match="Only 0 valid observation"):
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of no value
        ds.assign(sla=ds.sla * np.nan).chunk({"time": 1}).inr.fit("sla", **KW)


def test_6_an_ensemble_runs_in_several_threads_at_once():
    """Two threads in the ensemble's forward pass at once (dask's threaded scheduler); the first leaves it first."""
    seen, threads = {}, {}
    inside, left = threading.Event(), threading.Event()

    def gate():  # the first thread waits for the second to be inside; the second, for the first to be out
        if threading.current_thread().name == "first":
            threads["second"] = threading.Thread(target=run, args=("second",), name="second")
            threads["second"].start()
            inside.wait(10)
        elif threading.current_thread().name == "second":
            inside.set()
            left.wait(10)

    class Gated(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 1)

        def forward(self, x):
            gate()
            return self.lin(x)

    ens = Ensemble([Gated() for _ in range(3)])
    x = torch.rand(5, 3)

    def run(name):
        try:
            with torch.no_grad():
                seen[name] = ens(x)
        except RuntimeError as err:  # before: "Tensor on device meta is not on the expected device cpu!"
            seen[name] = err
        left.set()

    with torch.no_grad():
        want = ens(x)
    threads["first"] = threading.Thread(target=run, args=("first",), name="first")
    threads["first"].start()
    threads["first"].join(10)
    threads["second"].join(10)
    assert isinstance(seen["first"], torch.Tensor) and torch.equal(seen["first"], want)
    assert isinstance(seen["second"], torch.Tensor) and torch.equal(seen["second"], want), seen["second"]


def test_7_a_block_load_computes_only_the_fitted_variables():
    ds = geoinr.datasets.synthetic_grid(resolution=1.0, days=2).chunk({"time": 1})
    reads = []

    def tag(block):
        reads.append(block.shape)
        return block

    ds["other"] = ds.sla_true.copy(data=ds.sla_true.data.map_blocks(tag, meta=np.array((), float)))
    source = BlockSource(ds, ["sla"], CoordNames("lat", "lon", "time"), None)
    assert len(source.load(range(source.n_blocks))) == int(np.isfinite(ds.sla.values).sum())
    assert reads == []


def test_8_streamed_epochs_count_valid_points_not_cells():
    ds = geoinr.datasets.synthetic_grid(resolution=0.5, days=4)[["sla"]]
    ds["sla"] = ds.sla.where(ds.lon > 5)  # half the grid is land
    kw = {**KW, "batch_size": 256, "epochs": 3, "optimizer": "adam", "n_members": 1}
    eager = ds.inr.fit("sla", **kw)
    lazy = ds.chunk({"time": 1}).inr.fit("sla", **kw)
    assert lazy.n_points_ == eager.n_points_ == 800
    assert int(lazy.history_.step.max()) == int(eager.history_.step.max()) == 3 * 4


def test_9a_a_failed_streamed_fit_leaves_no_reading_thread():
    def live():
        return [t for t in threading.enumerate() if t.name == "geoinr-batch-stream" and t.is_alive()]

    before = len(live())
    stream = BatchStream(lambda ids: (np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32), None), range(2), 2)
    assert len(live()) == before  # nothing is read until a batch is asked for
    stream.close()
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0).chunk({"time": 500})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(FileNotFoundError, match="does not exist"):
            tracks.inr.fit("sla", checkpoint="/nonexistent/dir/ck.geoinr", **KW)
    assert len(live()) == before


def test_9b_what_dask_data_cannot_do_is_refused_before_reading_them():
    lazy = _grid().chunk({"time": 1})
    for kw, match in (({"min_wavelength": "search"}, "min_wavelength='search'"), ({"optimizer": "lbfgs"}, "lbfgs")):
        with _Computes() as computes, pytest.raises(ValueError, match=match):
            lazy.inr.fit("sla", **{**KW, **kw})
        assert computes.n == 0
    with _Computes() as computes, pytest.raises(FileNotFoundError, match="does not exist"):
        fitting.read_observations(geoinr.INRModel(**KW), lazy, None, "sla", None, None, None, None,
                                  checkpoint="/nonexistent/dir/ck.geoinr")
    assert computes.n == 0


def test_9c_a_checkpoint_of_dask_data_warns_that_it_cannot_be_resumed(tmp_path):
    lazy = _grid().chunk({"time": 1})
    with pytest.warns(UserWarning, match=r"cannot be resumed.*\.load\(\)"):
        fitting.read_observations(geoinr.INRModel(**KW), lazy, None, "sla", None, None, None, None,
                                  checkpoint=tmp_path / "ck.geoinr")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # data in memory: resumable, no warning
        fitting.read_observations(geoinr.INRModel(**KW), lazy.load(), None, "sla", None, None, None, None,
                                  checkpoint=tmp_path / "ck.geoinr")


def test_10_validation_leaves_a_block_to_train_on():
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    model = tracks.chunk({"time": 1004}).inr.fit("sla", validation=0.8, **KW)  # two blocks
    assert model.streamed_["blocks"] == 2 and model.streamed_["validation_blocks"] == 1


def test_a_cf_valid_range_masks_dask_data_as_it_masks_data_in_memory():
    """The values outside valid_min leave the statistics too (the blocks dropped them, the dask pass counted them)."""
    import warnings

    ds = geoinr.datasets.synthetic_grid(resolution=1.0, days=4)[["sla"]]
    ds["sla"] = ds.sla.where(ds.lon > 2, -5.0)
    ds.sla.attrs["valid_min"] = -2.0
    kw = dict(width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        eager = ds.inr.fit("sla", **kw)
        lazy = ds.chunk({"time": 1}).inr.fit("sla", **kw)
    assert lazy.n_points_ == eager.n_points_ and lazy.region_ == eager.region_
    assert lazy.mean_ == pytest.approx(eager.mean_)
    assert sum("valid range" in str(w.message) for w in caught) == 2  # once each, not once per block
