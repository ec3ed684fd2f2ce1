"""Dask-backed (streamed) fits, from a read-only review: packed variables, the valid points' extent and count, the
encoding's frame, a NaN-only sample, thread-safe ensembles, block loads, epoch steps, early refusals, validation."""
import itertools
import sys
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


def test_10_a_pass_over_large_blocks_visits_every_block():
    """A second review: blocks larger than a group were trained on whole, one after the other, so a time budget
    shorter than an epoch saw a few of them (a 45 s fit of 12 global days in 12 latitude bands trained on 4-5, and its
    map was 0.86 m from the truth elsewhere). A pass now takes a fresh share of every block."""
    data = {i: (np.full((100, 2), i, np.float32), np.full((100, 1), i, np.float32), None) for i in range(8)}

    def load(ids):
        return tuple(np.concatenate([data[i][j] for i in ids]) if j < 2 else None for j in range(3))

    def first_batches(share, n):
        stream = BatchStream(load, range(8), batch_size=10, blocks_per_group=1, share=share, seed=0)
        try:
            got = [int(x[0, 0]) for x, _, _ in itertools.islice(iter(stream), n)]
            return set(got), stream.seen
        finally:
            stream.close()

    whole, seen_whole = first_batches(1.0, 20)  # 20 batches: two whole blocks
    shared, seen_shared = first_batches(0.1, 9)  # 9 batches: one share of each of the 8 blocks, then a second pass
    assert len(whole) == 2 and seen_whole == whole
    assert shared == set(range(8)) and seen_shared == set(range(8))  # (a block counts once its batch was trained)
    with pytest.raises(ValueError, match="share"):
        BatchStream(load, range(8), batch_size=10, share=0.0)


def test_10b_a_streamed_fit_records_its_coverage_and_warns_where_blocks_went_unread(monkeypatch):
    monkeypatch.setattr(fitting, "STREAM_GROUP_POINTS", 20)  # blocks of 80 cells, four a group
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = _grid().chunk({"lat": 2}).inr.fit("sla", **{**KW, "epochs": 2, "batch_size": 16})
        timed = _grid().chunk({"lat": 2}).inr.fit("sla", **{**KW, "epochs": None, "max_time": 2.0, "batch_size": 16})
    assert fitted.streamed_["blocks_per_group"] == fitting.STREAM_GROUP_BLOCKS == 4
    assert fitted.streamed_["share_per_pass"] == 1.0  # an epochs budget: an epoch is a pass over every point
    assert 0.0 < timed.streamed_["share_per_pass"] < 0.25  # a time budget: a share of every block each pass
    assert fitted._stream_coverage[0] == fitted._stream_coverage[1] > 0  # every training block
    fitted._stream_coverage = (4, 12)  # as a budget ended before the first pass ended
    with pytest.warns(UserWarning, match="8 of 12 training blocks .* were never read"):
        fitting._warn_unread_blocks(fitted)


@pytest.mark.skipif(sys.platform == "win32", reason="the resource module (peak memory) is POSIX only")
def test_10c_a_lazy_prediction_on_a_fine_grid_is_built_in_bounded_memory_and_chunks():
    """A review: ``predict(global 0.005 deg grid, chunks="auto")`` took 7 GB and 25 s before the lazy result came
    back (the outside-region warning made the whole (lat, lon) plane), and ``chunks={"time": 1}`` made 9.3 GB chunks.
    The warning counts on the axes; dims the chunks dict does not name get chunks of at most 32 MiB."""
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    fitted = tracks.inr.fit("sla", **KW)
    fine = fitted.target_grid(0.002, region=(-20.0, 30.0, 0.0, 50.0))  # 25,000 x 25,000 points a time
    before = _peak_mib()
    with pytest.warns(UserWarning, match=r"[0-9,]+ target coordinate\(s\) lie outside the fitted region"):
        lazy = fitted.predict(fine, chunks={"time": 1})
    assert _peak_mib() - before < 500  # the plane alone is 625 million points
    sizes = [int(np.prod(c)) for c in itertools.product(*lazy.chunks)]
    assert max(sizes) * 4 <= 32 * 2**20 and lazy.chunks[0] == (1,) * fine.sizes["time"]
    whole = fitted.predict(fitted.target_grid(1.0), chunks={"time": 1, "latitude": -1, "longitude": -1})
    assert whole.chunks[1:] == ((whole.sizes["latitude"],), (whole.sizes["longitude"],))


def _peak_mib():
    from geoinr.machine import peak_rss_mib

    return peak_rss_mib()


def test_10d_regrid_of_a_lazy_source_is_lazy_and_takes_chunks():
    """``fill_gaps`` of a dask source was lazy, ``regrid`` of the same source eager, and ``regrid(..., chunks=)`` a
    TypeError (a review)."""
    lazy = _grid().chunk({"time": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = lazy.inr.regrid(0.5, "sla", **KW)
        given = lazy.sla.inr.regrid(0.5, chunks={"time": 2}, **KW)
        eager = _grid().inr.regrid(0.5, "sla", **KW)
    assert out.chunks is not None and given.chunks[0] == (2, 2) and eager.chunks is None
    assert out.shape == eager.shape and bool(np.isfinite(out.compute()).all())  # (streamed: another fit than eager's)


def test_10e_regrid_chunks_are_checked_before_the_fit_and_a_lazy_regrid_is_not_refused_for_memory(monkeypatch):
    """``regrid(chunks="bogus")`` failed after the whole fit; ``regrid(resolution, chunks=...)`` was refused by the
    eager output's memory check although its output is made chunk by chunk (the session's review of its change)."""
    from geoinr import machine

    fits = []
    monkeypatch.setattr(geoinr.INRModel, "fit", lambda self, *a, **k: fits.append(1) or self)
    with pytest.raises(ValueError, match="regrid\\(chunks='bogus'\\).*Nothing was fitted"):
        _grid().inr.regrid(0.5, "sla", chunks="bogus", **KW)
    assert fits == []
    monkeypatch.undo()
    monkeypatch.setattr(machine, "memory_bytes", lambda: 2**10)  # a 1 KiB machine
    monkeypatch.setattr(geoinr.model.fitting, "FIT_BYTES_PER_POINT", 0)  # (the fit itself is not what is checked)
    with pytest.raises(MemoryError, match="regrid\\(..., chunks='auto'\\)"):
        _grid().inr.regrid(0.5, "sla", **KW)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lazy = _grid().inr.regrid(0.5, "sla", chunks="auto", **KW)
    assert lazy.chunks is not None


def test_10f_lazy_chunks_hold_every_value_of_a_point_within_the_limit():
    """Chunks were sized for one float32 value a point, so a lazy ``return_std=True`` of two variables in float64
    made tasks of four times the 32 MiB limit (the session's review of its change)."""
    from geoinr.model import evaluation

    shape = (4, 4000, 4000)
    for chunks in ("auto", {"time": 1}):
        for width, dtype in ((1, np.float32), (4, np.float64)):
            spec = evaluation.output_chunks(None, ("time", "lat", "lon"), shape, chunks, width, dtype)
            biggest = max(int(np.prod(c)) for c in itertools.product(*spec))
            assert biggest * width * np.dtype(dtype).itemsize <= evaluation.CHUNK_BYTES, (chunks, width)
