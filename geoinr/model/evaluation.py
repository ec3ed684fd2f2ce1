"""Batched evaluation of a fitted model: one batch loop for predict, sample, derive and score; lazy dask blocks."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Sequence

import numpy as np
import torch
import xarray as xr

from .. import coords as _coords
from .. import observations as _observations
from ..base import fit_param
from ..frames import progress_bar
from ..machine import check_memory
from ..observations import OUTSIDE, check_outside  # noqa: F401 (predict's and derive's, by their old names here)
from ..training import own_torch_state

__all__ = ["OUTSIDE", "batches", "eval_batch_size", "evaluate", "evaluate_lazy", "held", "lazy_blocks",
           "output_chunks", "source_note"]


PREDICT_BATCH_CPU = 4096  # points per forward pass on CPU: activations stay in cache
PROGRESS_MIN_POINTS = 1_000_000  # an eager prediction this large may show a progress bar (progress=True)
PROGRESS_DELAY = 2.0  # seconds: the bar appears only for predictions that last longer
FLOAT32_HEADROOM = 1e3  # outputs are float64 when mean + this many std come within this factor of float32 max
# ... or when the mean is more than this many std from zero: float32's rounding of the mean (6e-8 of it) is then
# over 6e-4 of the std (bottom pressure, a height above the ellipsoid, a temperature in kelvin at 1e-4 K)
FLOAT32_OFFSET_RATIO = 1e4
PREDICT_BATCH_GPU = 262144  # points per forward pass on a GPU
CHUNK_BYTES = 32 * 2**20  # predict(chunks="auto"), and dims a chunks dict does not name: a task's block at most


def batches(columns: Sequence[np.ndarray], batch_size: int):
    """Yield ``(start, end, chunk, ok)`` over flat or broadcast coordinate columns (lon, lat[, time]).

    ``chunk`` is (b, d) float32 with non-finite rows set to 0 (evaluated, then
    masked); ``ok`` marks the rows whose coordinates were all finite.

    Examples
    --------
    >>> [(s, e, ok.tolist()) for s, e, _, ok in batches([np.array([0.0, np.nan, 2.0]), np.zeros(3)], 2)]
    [(0, 2, [True, False]), (2, 3, [True])]
    """
    n = int(np.prod(np.shape(columns[0])))
    for s in range(0, n, batch_size):
        e = min(n, s + batch_size)
        chunk = np.stack([np.asarray(c).flat[s:e] for c in columns], axis=1)
        ok = np.isfinite(chunk).all(axis=1)
        yield s, e, np.where(ok[:, None], chunk, 0.0).astype(np.float32), ok


def held(model, chunk: np.ndarray, outside: str = "hold") -> np.ndarray:
    """The network's input for a batch ``chunk`` (b, d) of target coordinates: with ``outside="hold"`` (or
    ``"nan"``) the points outside the fitted region and time window moved to its nearest point
    (:func:`geoinr.observations.nearest_inside`; the rows inside unchanged), with ``"extrapolate"`` as given."""
    if outside == "extrapolate":
        return chunk
    cols = _observations.nearest_inside(model.region_, model.time_range_, *chunk.T)
    return np.stack(cols, axis=1).astype(chunk.dtype, copy=False)


def output_dtype(model) -> type:
    """float32, the precision of the network, unless the data's values would overflow it, or their mean is so
    far from zero against their spread that float32 would round the signal away (:data:`FLOAT32_OFFSET_RATIO`:
    ocean-bottom pressure, 4e7 Pa with a 3 Pa signal, came out in steps of 4 Pa); then float64."""
    mean, std = np.abs(np.asarray(model.mean_)), np.asarray(model.std_)
    reach = mean + FLOAT32_HEADROOM * std
    offset = (std > 0) & (mean > FLOAT32_OFFSET_RATIO * std)
    return np.float64 if np.any(reach > np.finfo(np.float32).max / FLOAT32_HEADROOM) or np.any(offset) else np.float32


def eval_batch_size(field: torch.nn.Module, batch_size: int | None) -> int:
    """Points per forward pass: the given one, or a default for the field's device."""
    if batch_size is None:
        on_gpu = next(field.parameters()).device.type != "cpu"
        return PREDICT_BATCH_GPU if on_gpu else PREDICT_BATCH_CPU
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return int(batch_size)


def source_note(model, version: str) -> str:
    """The ``source`` attribute of a fitted model's outputs: the package, the network, its scales and its data."""
    enc = model.encoding_config_
    period = f", min_period={enc['min_period']:.3g} days" if enc.get("min_period") else ""
    budget = ", ".join(f"{k}={fit_param(model, k)!r}" for k in ("seed", "epochs", "max_time"))  # to fit it again
    if fit_param(model, "seed") is None and getattr(model, "seed_", None) is not None:
        budget = budget.replace("seed=None", f"seed=None, drawn {model.seed_}", 1)  # seed=that repeats it
    stop = getattr(model, "stop_reason_", None)
    if stop in ("max_time", "interrupted"):  # before its epochs the machine's speed decided how far it got
        budget += ", ended by max_time" if stop == "max_time" else ", interrupted (Ctrl-C): the best weights so far"
    history = getattr(model, "history_", None)
    if fit_param(model, "epochs") is None and history is not None and len(history):  # the machine's speed chose
        run = "epochs run" if getattr(model, "optimizer_", "adam") == "adam" else "epochs and L-BFGS evaluations run"
        budget += f", {int(history['epoch'].iloc[-1]):,} {run}"  # them (a review: two timed fits, one note)
    chosen = [f"{k}={getattr(model, k + '_')!r}" for k in ("precision", "optimizer", "members")
              if getattr(model, k + "_", None) is not None]  # what it chose (or was given), by time (a review)
    budget += f"; ran with {', '.join(chosen)}" if chosen else ""
    return (
        f"geoinr {version}: {model.model} implicit neural representation "
        f"(min_wavelength={enc['min_wavelength']:.4g} km{period}, {model.n_parameters_} parameters) "
        f"fitted to {', '.join(model.variables_)} on {model.n_points_} points ({budget})"
    )


def evaluate(model, columns: Sequence[np.ndarray], batch_size: int, with_std: bool = False, full: bool = False,
             outside: str = "hold", whole: bool = True):
    """Evaluate a fitted INRModel at coordinate columns; returns (..., k) in the data's units, float32 unless
    the data's magnitude needs float64 (:func:`output_dtype`) (and the calibrated standard deviation of the field
    if ``with_std``). ``outside``: what the points outside the fitted region and window get (:data:`OUTSIDE`,
    :func:`held`; ``"nan"`` masks those :func:`geoinr.observations.far_outside` calls far). The standard deviation
    is the error model's at the points themselves, so it keeps growing away from the data where the map is held."""
    shape = np.shape(columns[0])
    n = int(np.prod(shape))
    k = len(model.variables_)
    dtype = output_dtype(model)
    if whole:  # (a lazy prediction's chunk is sized by its chunks)
        check_memory((2 if with_std else 1) * n * k * np.dtype(dtype).itemsize,
                     f"An eager prediction on {n:,} points", "Predict lazily, chunk by chunk: predict(target, "
                     "chunks='auto') (then .to_zarr(...) or .compute() on a part), or on a smaller target.")
    out = np.empty((n, k), dtype=dtype)
    sd_out = np.empty((n, k), dtype=dtype) if with_std else None
    mean, std = np.asarray(model.mean_), np.asarray(model.std_)
    dev = next(model.field_.parameters()).device
    error = model._calibrated_error() if with_std else None
    bar = None
    if getattr(model, "progress", False) and n >= PROGRESS_MIN_POINTS:
        tqdm = progress_bar()

        bar = tqdm(total=n, desc="predict", unit="pt", unit_scale=True, leave=False, delay=PROGRESS_DELAY)
    try:  # (geoinr's torch state: a streamfunction model differentiates inside, under a caller's inference_mode too)
        with own_torch_state(dtype=False), torch.no_grad():
            for s, e, chunk, ok in batches(columns, batch_size):
                if bar is not None:
                    bar.update(e - s)
                with model._autocast(dev, full):  # full: float32 whatever the fit's precision
                    m, v = model._standardized(torch.from_numpy(held(model, chunk, outside)).to(dev))
                pred = m.float().cpu().numpy().astype(np.float64) * std + mean
                if outside == "nan":
                    ok = ok & ~_observations.far_outside(model.region_, model.time_range_, *chunk.T,
                                                            gaps=getattr(model, "time_gaps_", ()))
                pred[~ok] = np.nan
                out[s:e] = pred
                if with_std:
                    sd = error.std(v.float().cpu().numpy().astype(np.float64), chunk) * std
                    sd[~ok] = np.nan
                    sd_out[s:e] = sd
    finally:  # Ctrl-C or an error: the bar closed (left open, the next fit's bar was drawn below it)
        if bar is not None:
            bar.close()
    if with_std:
        return out.reshape(shape + (k,)), sd_out.reshape(shape + (k,))
    return out.reshape(shape + (k,))


def evaluate_lazy(model, columns, chunks, batch_size: int, with_std: bool = False, full: bool = False,
                  outside: str = "hold"):
    """Like :func:`evaluate`, as dask arrays evaluated block by block (one task per output chunk), of the model as it
    is now (:func:`snapshot`)."""
    k, model = len(model.variables_), snapshot(model)

    def block(cols):
        res = evaluate(model, cols, batch_size, with_std, full, outside, whole=False)
        return np.concatenate(res, axis=-1) if with_std else res

    out = lazy_blocks(block, columns, chunks, 2 * k if with_std else k, output_dtype(model))
    if with_std:
        return out[..., :k], out[..., k:]
    return out


def snapshot(model):
    """A shallow copy of ``model`` for a lazy result: what it holds now (weights, normalisation, units), whatever
    it is fitted to by the time the result is computed (a refit before computing gave the later fit's maps, in the
    earlier fit's units: a review). Not ``copy.copy``, which pickles: a GPU model's weights would move to the CPU."""
    frozen = object.__new__(type(model))
    frozen.__dict__.update(model.__dict__)
    return frozen


def lazy_blocks(block, columns, chunks, width: int, dtype):
    """A dask array ``(..., width)`` of ``block(cols)`` over the output chunks, ``cols`` the chunk's coordinate
    columns (broadcast views of the chunk's shape). One task per output chunk; the graph carries the compact
    (1-D where broadcast) coordinates, not the full grid, so it ships light to distributed workers, and ``block``
    (with the model it holds) as one key of its own: a worker unpickles it once, not once per task (on a
    ``dask.distributed`` cluster of processes, 432 tasks made 220 copies of the model on one worker, 880 MB)."""
    import dask
    import dask.array as da

    nd = len(chunks)
    compact = [np.ascontiguousarray(c).reshape(np.shape(c)) for c in map(_coords.compact, columns)]  # (0-d stays 0-d)

    def task(dummy, shipped, block_info=None):
        loc = block_info[0]["array-location"]
        shape = tuple(e - s for s, e in loc)
        cols = [
            np.broadcast_to(c[tuple(slice(None) if c.shape[i] == 1 else slice(s, e) for i, (s, e) in enumerate(loc))], shape)
            for c in compact
        ]
        return shipped(cols)

    dummy = da.zeros(tuple(sum(c) for c in chunks), chunks=chunks, dtype=np.int8)
    return dummy.map_blocks(task, dask.delayed(block, traverse=False), new_axis=nd, chunks=chunks + ((width,),),
                            dtype=dtype, meta=np.empty((0,) * (nd + 1), dtype))


def output_chunks(target, dims, shape, chunks, width: int = 1, dtype=np.float32):
    """Dask chunks of the output, or None for an eager result (see ``predict(chunks=)``). ``width`` values of
    ``dtype`` a point (variables, their std, derived outputs): a task's block of every one stays within 32 MiB."""
    import dask.array as da

    if chunks is None:
        data_vars = target.data_vars.values() if isinstance(target, xr.Dataset) else [target]
        # the dask variable sharing most output dims (it may have more: depth=1; a lat_bnds shares only one)
        lazy = [v for v in data_vars if v.chunks is not None and set(v.dims) & set(dims)]
        if not lazy and isinstance(target, xr.Dataset) and not target.data_vars and any(
                c.chunks is not None for c in target.coords.values()):
            chunks = "auto"  # a grid of coordinates alone asked to be lazy (target_grid().chunk(...): its index
        elif not lazy:  # coordinates cannot be dask arrays, so only its bounds were: eager in silence, a review)
            return None
        else:
            sizes = max(lazy, key=lambda v: len(set(v.dims) & set(dims))).chunksizes
            chunks = {d: sizes[d] for d in dims if d in sizes}
    limit = CHUNK_BYTES // max(1, int(width))  # bytes of one value's block
    if isinstance(chunks, str):
        if chunks != "auto":
            raise ValueError(f"chunks={chunks!r}: give a dict like {{'time': 1}}, 'auto' or None.")
        return da.core.normalize_chunks("auto", shape, limit=limit, dtype=dtype)
    if not isinstance(chunks, Mapping):
        raise TypeError(f"chunks must be a dict of output dims to chunk sizes, 'auto' or None; got {type(chunks).__name__}.")
    unknown = [d for d in chunks if d not in dims]
    if unknown:
        raise ValueError(f"chunks names dims {unknown} that the output does not have; its dims are {list(dims)}.")
    def size(c, low=1):  # (a whole float too: 1.0 worked)
        return isinstance(c, (int, np.integer, float, np.floating)) and not isinstance(c, bool) and c >= low \
            and float(c).is_integer()

    bad = {d: c for d, c in chunks.items() if not (isinstance(c, (str, type(None))) and c in ("auto", None) or c == -1
                                                   or size(c) or isinstance(c, (tuple, list))
                                                   and all(size(s, low=0) for s in c))}
    if bad:  # (0 gave dask's bare ZeroDivisionError: a review)
        raise ValueError(f"chunks={bad}: each chunk size must be a positive integer, -1 (the whole dim) or 'auto'.")
    # dims the dict does not name: chunks of at most 32 MiB ({"time": 1} on a global 0.005 deg grid made 9.3 GB chunks,
    # a review); -1 names a whole dim
    spec = tuple(chunks.get(d, "auto") for d in dims)
    return da.core.normalize_chunks(spec, shape, limit=limit, dtype=dtype)
