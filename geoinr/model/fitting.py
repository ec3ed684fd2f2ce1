"""Fitting, in memory or streamed, through one shared preparation.

Both paths answer the same questions -- the normalisation, the region and time
span, a sample that sets the encoding's scales and frame, the points (or stream
of blocks) to train on and the held-out points -- and hand the result, a
:class:`Prepared`, to one :func:`train`.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import math
import numbers
import re
import time as _time
import warnings

import numpy as np
import pandas as pd
import torch
import xarray as xr

from .. import coords as _coords
from .. import cpu_load as _cpu_load
from .. import observations as _observations
from .. import scales as _scales
from .. import stream as _stream
from ..encoding import CoordinateEncoding
from ..frames import GeoinrWarning, user_stacklevel
from ..geometry import SPEED_UNITS, metres_per_length_unit, metres_per_second
from ..scales import GAP_TO_WAVELENGTH, sampling_gap_km, unresolved_share
from ..machine import check_memory
from ..persistence import check_writable
from ..physics.losses import PhysicsFrame, physics_loss, physics_terms
from ..training import (TrainConfig, Trainer, TrainingDiverged, agree, checkpoint_extra, distributed_world,
                        resolve_device, shared_seed)
from ..uncertainty.calibrated import calibrate_field
from . import network_choice as _choice
from .held_out import satellite_passes, validation_blocks
from .members import fill_budget
from .params import physics_in_force, seed_in_force, terms_in_force
from .physics_weight import (AUTO, FIRST_CAP, SMOOTH_WEIGHT, fit_choosing_weight, interior_groups,
                             resolve_physics_weight, weight_is_chosen)
from .scale_search import SEARCH, search_scales
from .state import check_scale_search

__all__ = ["Frame", "Prepared", "frame_in_memory", "frame_streamed", "prepare_in_memory", "prepare_streamed", "train"]

# dask-backed data of at most this many bytes are loaded and fitted in memory: streaming their blocks made steps
# about 10x slower and has no L-BFGS nor mean of networks (a 48 kB model field: RMSE 0.049 m streamed, 0.00008 m
# in memory in 15 s)
STREAM_MIN_BYTES = 64 * 2**20
# peak memory of an in-memory fit per observation, beyond the data (61-143 bytes measured at 1.46 and 4.67 million
# points of a daily grid, 2026-12-07): a fit that would pass the memory check's share is refused before training
FIT_BYTES_PER_POINT = 150
STREAM_SAMPLE_POINTS = 500_000  # dask-backed fits: valid points of the contiguous sample that sets the scales
STREAM_VALIDATION_POINTS = 200_000  # held-out points kept in memory (thinned from the validation blocks)
# points read and shuffled together (blocks per group follows), and the most a group gives one pass over the blocks:
# of larger blocks a fresh random share each pass, so that a budget shorter than an epoch still trains on every block
# (a review's 45 s fit of 12 global days in 12 latitude bands saw 4-5 of them, 0.86 m from the truth elsewhere)
STREAM_GROUP_POINTS = 200_000
# a group mixes at least this many blocks where at most STREAM_GROUP_CELLS cells (missing ones included) are read at
# once: trained one large block after another, the network forgot the bands it had fitted (the same review's case,
# one block a group: 0.10-1.1 m by band, 0.45 m overall)
STREAM_GROUP_BLOCKS = 4
STREAM_GROUP_CELLS = 4_000_000
LON_BINS = 360  # 1-degree bins of wrapped longitude: where dask-backed data lie, for their span across the dateline
NO_RUN_ID = ("progress", "device", "max_time")  # parameters that may change when a fit resumes
AUTO_VALIDATION = 0.1  # held-out fraction of validation="auto" for scattered data
# the last quarter of a fit trains on the held-out points too (all of them, whole passes; earlier if their
# loss stalls): kept out to the end they cost 0.015-0.04 mu on a three-month record (benchmarks/RESULTS.md)
REFIT_SHARE = 0.25
NO_SKILL_LOSS = 1.0  # held-out standardized MSE of the data's mean: a fit above it warns ...
NO_SKILL_MIN_STEPS = 500  # ... after this many steps, or at any step count when its time budget ended the fit
BRIEF_FIT_STEPS = 200  # a time budget that ended a fit before this many steps is warned of (far from converged)
# the share of the observations' variance across a typical gap (geoinr.scales.unresolved_share) from which a fit warns
# that the record is too sparse to map, and physics="auto" adds the smooth prior outside the tropics: half. Four-day,
# six-altimeter tracks of real DUACS maps give 0.02-0.17 and their three-month records 0.02-0.14; one satellite's
# records 0.07-1.33 (the prior helped on those from 0.48 on, and cost 0.01 at 0.32); one real SARAL day's SLA over
# 60-100 deg wide boxes 0.78-1.04, and real L3 SLA (noise, small scales) 0.10-0.42 at a dense record's gap: kept
# at half so that a dense real record stays below it (benchmarks/RESULTS.md, 2026-12-06 third to fifth sessions)
UNRESOLVED_WARN = 0.5
FEW_TO_JUDGE = 200  # observations: fewer, whose pairs are too few to judge the field, warn as too sparse


@dataclasses.dataclass
class Frame:
    """What the data say before any training: normalisation, extent, and a sample for the encoding."""

    mean: np.ndarray
    std: np.ndarray
    region: tuple
    time_range: tuple | None
    n_points: int
    sample: _coords.PointTable
    lon_extremes: tuple | None = None  # streamed: (min, max) of the longitudes as given
    source: _stream.BlockSource | None = None
    rng: np.random.Generator | None = None
    # streamed: points on the edges of the region at the first and last times (the encoding's frame, no data)
    extent: np.ndarray | None = None
    block_points: np.ndarray | None = None  # streamed: valid points of each block of ``source``
    time_gaps: list | None = None  # streamed: the record's gaps (in memory: read from ``sample``, the whole table)


@dataclasses.dataclass
class Prepared:
    """The training set: in-memory points, or held-out points plus a stream of training blocks."""

    x: torch.Tensor
    y: torch.Tensor
    w: torch.Tensor | None
    groups: torch.Tensor | None = None
    held_out: str = "blocks"
    stream: _stream.BatchStream | None = None
    n_stream: int = 0
    run_id: dict = dataclasses.field(default_factory=dict)
    streamed: dict | None = None
    # physics_weight="auto": ``groups`` with -1 on those outside the record's interior (the choice needs enough inside)
    choice_groups: torch.Tensor | None = None


def _train_std(std: np.ndarray) -> np.ndarray:
    return np.where(std > 0, std, 1.0)


def _magnitude(values: np.ndarray) -> float:
    """The largest finite |value| (1 when none or zero): divides the values before a variance."""
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    return top if top > 0 else 1.0


def frame_in_memory(table: _coords.PointTable, gridded: bool = False) -> Frame:
    """Statistics and extent of an in-memory table (the sample is the table itself; a grid's region ends where the
    grid does, :func:`geoinr.observations.extent`)."""
    if len(table) < 2:
        raise ValueError(
            f"Only {len(table)} valid observation: a field cannot be fitted to a single point. "
            f"Check the data (and its NaN mask) or its coordinates."
        )
    region, time_range = _observations.extent(table, gridded=gridded)
    scale = np.array([_magnitude(table.values[:, j]) for j in range(table.values.shape[1])])
    return Frame(
        mean=np.nanmean(table.values, axis=0),
        std=np.nanstd(table.values / scale, axis=0) * scale,  # scaled: values near 1e200 do not overflow
        region=region,
        time_range=time_range,
        n_points=int(len(table)),
        sample=table,
    )


def _decode_packed(data: xr.Dataset, var_names) -> xr.Dataset:
    """``data`` with its variables to fit decoded lazily (:func:`~geoinr.coords.decode`: packed integers opened with
    ``mask_and_scale=False``, values outside a CF ``valid_range``), once for the whole data, not block by block."""
    return data.assign({v: _coords.decode(data[v]) for v in var_names})


def _valid_points(data, var_names, lat, lon, tvar) -> xr.DataArray:
    """Lazily, the points a block load keeps (:func:`~geoinr.coords.points_from_xarray`): a finite value of
    some variable at a finite latitude and longitude, and a time."""
    valid = np.isfinite(data[var_names[0]])
    for v in var_names[1:]:
        valid = valid | np.isfinite(data[v])
    valid = valid & np.isfinite(lat) & np.isfinite(lon)
    return valid if tvar is None else valid & tvar.notnull()


def _where_valid(coord: xr.DataArray, valid: xr.DataArray) -> xr.DataArray:
    """``coord`` where a valid point lies, else missing (``valid`` reduced over the dimensions ``coord`` lacks)."""
    other = [d for d in valid.dims if d not in coord.dims]
    return coord.where(valid.any(other) if other else valid)


def _lon_bins(lon: np.ndarray) -> np.ndarray:
    """The least and greatest finite longitude in each of the :data:`LON_BINS` 1-degree bins of [-180, 180)
    (inf and -inf where none lies), shaped ``(1, ..., 1, 2, LON_BINS)``: one dask block's part of the span."""
    shape = (1,) * lon.ndim + (2, LON_BINS)
    lon = _coords.wrap_longitude(lon[np.isfinite(lon)])
    bins = np.clip(np.floor(lon + 180.0).astype(np.int64), 0, LON_BINS - 1)
    out = np.stack([np.full(LON_BINS, np.inf), np.full(LON_BINS, -np.inf)])
    np.minimum.at(out[0], bins, lon)
    np.maximum.at(out[1], bins, lon)
    return out.reshape(shape)


def _observed_block(times: np.ndarray, time_axis) -> np.ndarray:
    """The distinct observed days of one block of valid times (missing where no valid point lies)."""
    times = np.asarray(times).ravel()
    times = times[~pd.isnull(times)]
    return _observations.observed_days(time_axis.to_days(times)) if times.size else np.zeros(0)


def _dask_statistics(data, var_names, names, tvar, screens: dict, scale: np.ndarray, source, time_axis=None) -> dict:
    """Sums and extremes of the valid points of the whole data set (:func:`_valid_points`), in one dask pass.

    ``scale`` (one per variable) divides the values before the variance, so that
    values near 1e200 do not overflow it; ``screens`` are the lazily masked fills.
    ``lon_low``/``lon_high`` are the longitude extremes of each 1-degree bin
    (:func:`_lon_bins`), ``blocks`` the valid points of each block of ``source``, ``observed`` the distinct observed
    days of each block (:func:`geoinr.observations.observed_days`, on ``time_axis``), for the record's gaps.
    """
    import dask
    import dask.array as da

    lat, lon = _coords.decode(data[names.lat]), _coords.decode(data[names.lon], longitude=True)
    valid = _valid_points(data, var_names, lat, lon, tvar)
    stats = {"n": valid.sum().data, "blocks": source.counts(valid)}
    for v, s in zip(var_names, scale):
        finite = data[v].where(valid & np.isfinite(data[v]))  # inf is missing, as in memory
        stats[f"mean:{v}"] = finite.mean(skipna=True).data
        stats[f"std:{v}"] = (finite / s).std(skipna=True).data
        stats[f"n:{v}"] = finite.count().data
        if v in screens:  # how many fills were masked, and their extremes, for the warning
            _, fills, raw = screens[v]
            stats[f"fills:{v}"] = fills.sum().data
            stats[f"fill_min:{v}"], stats[f"fill_max:{v}"] = raw.where(fills).min().data, raw.where(fills).max().data
    for key, var in (("lat", lat), ("lon", lon), ("time", tvar)):
        if var is not None:
            var = _where_valid(var, valid)  # NaT where not valid: skipped (not by default for dates)
            stats[f"{key}_min"], stats[f"{key}_max"] = var.min(skipna=True).data, var.max(skipna=True).data
            if key == "time" and time_axis is not None:
                stats["observed"] = da.concatenate([  # (one array: a list of delayed beside them came back
                    # in the wrong places with dask 2026.8)
                    da.from_delayed(dask.delayed(_observed_block)(b, time_axis), (np.nan,), np.float64)
                    for b in da.asarray(var.data).to_delayed().ravel()])
    lons = da.asarray(_where_valid(lon, valid).data)
    per_block = lons.map_blocks(_lon_bins, new_axis=[lons.ndim, lons.ndim + 1], dtype=np.float64,
                                chunks=tuple((1,) * len(c) for c in lons.chunks) + ((2,), (LON_BINS,)))
    axes = tuple(range(lons.ndim))
    stats["lon_low"], stats["lon_high"] = per_block[..., 0, :].min(axis=axes), per_block[..., 1, :].max(axis=axes)
    (stats,) = dask.compute(stats)
    for v, s in zip(var_names, scale):
        stats[f"std:{v}"] = float(stats[f"std:{v}"]) * s
    return stats


def _sample_blocks(source, start: int, has_time: bool) -> tuple[list, _coords.PointTable]:
    """A contiguous run of blocks from ``start`` (wrapping round) that holds :data:`STREAM_SAMPLE_POINTS` valid
    points, or all the blocks: those with nothing valid (a missing day, land) add none. Returns its ids and points."""
    ids, parts, total = [], [], 0
    for i in np.roll(np.arange(source.n_blocks), -start):
        ids.append(int(i))
        parts.append(source.load([i]))
        total += len(parts[-1])
        if total >= STREAM_SAMPLE_POINTS:
            break
    return ids, _stream.concat_tables(parts, has_time)


def _extent_points(region: tuple, time_range: tuple | None) -> np.ndarray:
    """Coordinates ``(n, 2 or 3)`` on the edges of ``region`` at the first and last times, not data: with a sample
    of the data they give the encoding the frame of the whole data. The edges are sampled every 5 degrees of
    longitude or less, and at the multiples of 90 and the equator they cross (where the sphere's x, y and z reach
    their extremes over the region)."""
    west, east, south, north = region
    lons = np.union1d(np.linspace(west, east, int(np.ceil((east - west) / 5.0)) + 1),
                      np.arange(np.ceil(west / 90.0) * 90.0, east, 90.0))
    lats = np.union1d([south, north], [0.0] if south < 0.0 < north else [])
    grids = np.meshgrid(lons, lats, *([] if time_range is None else [list(time_range)]), indexing="ij")
    points = np.stack([g.ravel() for g in grids], axis=1)
    points[:, 0] = _coords.wrap_longitude(points[:, 0])
    return points


def frame_streamed(obs, seed) -> Frame:
    """Statistics of dask-backed data by one dask pass; a contiguous run of blocks as the sample.

    The statistics, region and time span are those of the valid points (:func:`_valid_points`), as
    in memory; packed variables are decoded lazily first. ``extent`` holds the region's edges at
    the first and last times, for the encoding's frame (the sample alone may cover a part of them).
    """
    data, names, var_names = _decode_packed(obs.dataset, obs.variables), obs.names, obs.variables
    obs.dataset = data
    tvar = _coords.decode(data[names.time]) if names.time is not None else None
    source = _stream.BlockSource(data, var_names, names, obs.time_axis)
    rng = np.random.default_rng(seed)
    run_ids, sample = _sample_blocks(source, int(rng.integers(source.n_blocks)), tvar is not None)
    # undeclared fills: the rule comes from the sample, and masks the whole data set lazily
    data, screens = _observations.mask_fills_lazy(data, var_names, sample)
    if screens:
        obs.dataset = data
        source = _stream.BlockSource(data, var_names, names, obs.time_axis)
        sample = source.load(run_ids)
    scale = np.array([_magnitude(sample.values[:, j]) for j in range(len(var_names))])
    stats = _dask_statistics(data, var_names, names, tvar, screens, scale, source, obs.time_axis)
    _observations.warn_fills(screens, stats)
    if int(stats["n"]) < 2:
        raise ValueError(
            f"Only {int(stats['n'])} valid observation(s) in the dask-backed data: every value of "
            f"{', '.join(map(str, var_names))} is NaN or a fill value, or lies at a missing coordinate. "
            f"Check the data (and its NaN mask and fill values) or its coordinates."
        )
    occupied = np.isfinite(stats["lon_low"])
    span = _coords.longitude_span(np.concatenate([stats["lon_low"][occupied], stats["lon_high"][occupied]]))
    region = _observations.fitted_region(span, None, float(stats["lat_min"]), float(stats["lat_max"]),
                                         caps=not obs.gridded)  # (None: the sample may miss the equatorward edge)
    time_range, gaps = None, []
    if obs.time_axis is not None:
        tt = obs.time_axis.to_days(np.stack([stats["time_min"], stats["time_max"]]))  # cftime: 0-d object arrays
        time_range = (float(np.min(tt)), float(np.max(tt)))
        gaps = _observations.time_gaps(np.unique(stats["observed"]), time_range)
    return Frame(
        mean=np.array([float(stats[f"mean:{v}"]) for v in var_names]),
        std=np.array([float(stats[f"std:{v}"]) for v in var_names]),
        region=region,
        time_range=time_range,
        n_points=int(stats["n"]),
        sample=sample,
        lon_extremes=(float(stats["lon_min"]), float(stats["lon_max"])),
        source=source,
        rng=rng,
        extent=_extent_points(region, time_range),
        block_points=np.asarray(stats["blocks"]),
        time_gaps=gaps,
    )


def _loss_weights(observed: np.ndarray, weights: np.ndarray | None):
    """The loss weights (n, k): the observed mask, times each point's weight (``fit(weights=)``) scaled to a mean of
    1 over the points; None where every entry is observed and weighs alike."""
    if weights is None:
        return None if observed.all() else torch.from_numpy(observed.astype(np.float32))
    w = np.asarray(weights, dtype=np.float64)
    w = w / max(float(np.mean(w)), 1e-300)
    return torch.from_numpy((observed * w[:, None]).astype(np.float32))


def prepare_in_memory(model, table: _coords.PointTable, frame: Frame) -> Prepared:
    """Standardized points, their observed mask and held-out groups (passes for along-track data)."""
    y = (table.values - frame.mean) / _train_std(frame.std)
    obs = np.isfinite(y)
    raw = table.coordinates()
    # calibration needs held-out points as far from the training data as a map's gaps are: whole satellite
    # passes when the data are along-track (small boxes stay near other passes); other fits hold out space-time
    # blocks. The choice of the physics weight holds out the same points (its data-only network is the
    # data-only default's first) and is scored on those of the record's interior
    calibrated = model._strategy().calibrated
    choosing = weight_is_chosen(model)
    passes = satellite_passes(raw) if calibrated else None
    groups = passes if passes is not None else validation_blocks(table, model.region_)
    choice = interior_groups(groups, table.time) if choosing else None
    run_id = {
        "params": {k: v for k, v in model.get_params().items() if k not in NO_RUN_ID},
        "terms": model.physics_,  # physics="auto" decides on the data
        "encoding": model.encoding_config_,
        "variables": model.variables_,
        "mean": model.mean_,
        "std": model.std_,
        "scale_search": model.scale_search_,
        # a resume takes them (network_choice.build_network)
        "choices": {"optimizer": model.optimizer_, "members": model.members_, "precision": model.precision_},
    }
    return Prepared(
        x=torch.from_numpy(raw.astype(np.float32)),
        y=torch.from_numpy(np.where(obs, y, 0.0).astype(np.float32)),
        w=_loss_weights(obs, table.weights),
        groups=torch.from_numpy(groups),
        held_out="passes" if passes is not None else "blocks",
        run_id=run_id,
        choice_groups=None if choice is None else torch.from_numpy(choice),
    )


def _held_out_blocks(source, val_ids, rng, has_time: bool):
    """The validation blocks, read one at a time and thinned: memory does not grow with the data."""
    keep = max(1, STREAM_VALIDATION_POINTS // len(val_ids))
    parts = []
    for i in val_ids:
        part = source.load([i])
        if len(part) > keep:
            pick = np.sort(rng.choice(len(part), keep, replace=False))
            part = _coords.PointTable(
                part.lon[pick], part.lat[pick], None if part.time is None else part.time[pick], part.values[pick]
            )
        parts.append(part)
    return _stream.concat_tables(parts, has_time)


def prepare_streamed(model, frame: Frame, device, world: tuple) -> Prepared:
    """Whole blocks held out (a bounded number of points, in memory) and a stream of the training blocks."""
    source, rng = frame.source, frame.rng
    k = len(model.variables_)
    mean, train_std = frame.mean, _train_std(frame.std)
    has_time = frame.time_range is not None

    def arrays(table):
        y = (table.values - mean) / train_std
        obs = np.isfinite(y)
        w = None if k == 1 else obs.astype(np.float32)
        return table.coordinates().astype(np.float32), np.where(obs, y, 0.0).astype(np.float32), w

    order = rng.permutation(source.n_blocks)
    n_val = 0
    if model.validation_ > 0 and source.n_blocks >= 2:  # at least one block held out, and one left to train on
        n_val = min(max(1, int(round(model.validation_ * source.n_blocks))), source.n_blocks - 1)
    val_ids, train_ids = order[:n_val], order[n_val:]
    train_ids = train_ids[frame.block_points[train_ids] > 0]  # blocks without a valid point: nothing to read for
    n_points = int(frame.block_points[train_ids].sum())
    if n_points == 0:
        raise _stream.EmptyStream(
            f"The {len(train_ids)} training block(s) hold no valid observation (all missing); the data sit only in "
            f"the {n_val} held-out validation block(s). Use smaller chunks, validation=0, or check the data's mask."
        )
    if n_val:
        xv, yv, wv = arrays(_held_out_blocks(source, val_ids, rng, has_time))
    else:
        xv, yv, wv = np.zeros((0, 3 if has_time else 2), np.float32), np.zeros((0, k), np.float32), None
    block = max(1, int(np.median(source.block_sizes)))  # cells of a block, missing ones included (what a read costs)
    per_group = max(1, int(STREAM_GROUP_POINTS // block), min(STREAM_GROUP_BLOCKS, int(STREAM_GROUP_CELLS // block)))
    # under a time budget a pass trains on a share of every block (of its valid points); an epochs budget reads and
    # trains on all of them each pass, an epoch being a pass over the points
    valid = max(1.0, float(np.median(frame.block_points[train_ids]))) if len(train_ids) else 1.0
    share = 1.0 if model.max_time is None else min(1.0, STREAM_GROUP_POINTS / (per_group * valid))
    rank, n_ranks = world
    n_train = n_points // n_ranks  # valid points: the same step count on every rank
    if n_ranks > 1:  # torchrun: each rank streams its own share of the training blocks
        if len(train_ids) < n_ranks:
            raise ValueError(f"{len(train_ids)} training blocks cannot be shared by {n_ranks} ranks; use smaller chunks.")
        train_ids = train_ids[rank::n_ranks]
    stream = _stream.BatchStream(
        lambda ids: arrays(source.load(ids)), train_ids, batch_size=max(1, _choice.batch_size(model) // n_ranks),
        blocks_per_group=per_group, share=share, seed=seed_in_force(model), device=device,
    )
    return Prepared(
        x=torch.from_numpy(xv), y=torch.from_numpy(yv), w=None if wv is None else torch.from_numpy(wv),
        stream=stream, n_stream=n_train,
        run_id={"params": {k2: v for k2, v in model.get_params().items() if k2 not in NO_RUN_ID},
                "terms": model.physics_},
        streamed={"blocks": source.n_blocks, "validation_blocks": int(n_val), "blocks_per_group": per_group,
                  "share_per_pass": share},
    )


def physics_frame(model) -> PhysicsFrame:
    """What the residual losses need to know of a model's data."""
    return PhysicsFrame(
        region=model.region_, time_range=model.time_range_, min_wavelength_km=model.encoding_config_["min_wavelength"],
        variables=model.variables_, units=[model.variable_attrs_.get(v, {}).get("units") for v in model.variables_],
        mean=model.mean_, std=model.std_, rossby_radius_km=model.rossby_radius, mass_constraint=model.mass_constraint,
        standard_names=[model.variable_attrs_.get(v, {}).get("standard_name") for v in model.variables_],
    )


def model_physics_loss(model, device):
    """The weighted residual loss of a model's ``physics=`` terms (a closure over fresh collocation points)."""
    return physics_loss(model.field_, terms_in_force(model), physics_frame(model), weight=model.physics_weight_,
                        n_collocation=model.n_collocation, seed=seed_in_force(model), device=device)


def _comparable_run_id(run_id: dict, saved: dict) -> dict:
    """The parts of this run's record that a checkpoint's (``saved``) can be compared with: checkpoints written before
    run records held the fit's ``"choices"``, or before those held its precision, are compared without them.

    Examples
    --------
    >>> mine = {"params": {}, "choices": {"optimizer": "adam", "members": 1, "precision": "float32"}}
    >>> _comparable_run_id(mine, {"params": {}, "choices": {"optimizer": "adam", "members": 1}})["choices"]
    {'optimizer': 'adam', 'members': 1}
    >>> "choices" in _comparable_run_id(mine, {"params": {}})
    False

    Checkpoints from before ``physics="auto"`` (no ``"terms"``) stored ``physics=None``: a run of the default that
    adds no term is the same run.

    >>> _comparable_run_id({"params": {"physics": "auto"}, "terms": None}, {"params": {"physics": None}})
    {'params': {'physics': None}}
    """
    out = dict(run_id)
    if "choices" not in saved:
        out.pop("choices", None)
    elif "choices" in out and "precision" not in saved["choices"]:
        out["choices"] = {k: v for k, v in out["choices"].items() if k != "precision"}
    if "terms" not in saved and "terms" in out:
        terms, params = out.pop("terms"), out.get("params", {})
        if params.get("physics") == AUTO and terms is None and saved.get("params", {}).get("physics") is None:
            out["params"] = {**params, "physics": None}
    return out


def train(model, prep: Prepared, cfg: TrainConfig, device, *, checkpoint=None, checkpoint_every=60.0, resume=None,
          optimizer_state=None):
    """Run the training loop on a prepared set; returns the trainer and its result.

    ``optimizer_state``: Adam's state from the run this one goes on from (same network).
    """
    if checkpoint is not None:  # a bad path fails now, not at the first check (which would lose the training)
        check_writable(checkpoint)
        if model.seed is None and cfg.validation > 0 and prep.stream is None:
            warnings.warn(f"checkpoint={str(checkpoint)!r} with seed=None: resuming draws other held-out points, so "
                          "this checkpoint cannot be resumed; give a seed (seed=0, the default) to resume it.",
                          GeoinrWarning, stacklevel=user_stacklevel())
    extra = model_physics_loss(model, device) if terms_in_force(model) and model.physics_weight_ else None
    building = _time.perf_counter()
    trainer = Trainer(model.field_, prep.x, prep.y, prep.w, cfg, device, groups=prep.groups, extra_loss=extra,
                      stream=prep.stream, n_stream=prep.n_stream)
    if cfg.max_time is not None and getattr(model, "_fit_started", None) is not None:  # its time counts (1.5 s, the
        # optimizer's first import), as the rest of the fit does
        took = agree(_time.perf_counter() - building)
        trainer.cfg = dataclasses.replace(cfg, max_time=max(cfg.max_time - took, MIN_TRAIN_SHARE * cfg.max_time))
    if resume is not None:
        trainer.load_checkpoint(resume, extra=_comparable_run_id(prep.run_id, checkpoint_extra(resume)))
    if optimizer_state is not None:
        trainer.opt.load_state_dict(optimizer_state)
    clock = _cpu_load.start(torch.get_num_threads()) if str(device).startswith("cpu") and prep.stream is None else None
    model._stream_coverage = None  # a streamed run's (blocks trained on, training blocks), set below
    try:
        result = trainer.run(checkpoint=checkpoint, checkpoint_every=checkpoint_every, checkpoint_extra=prep.run_id)
    finally:
        if prep.stream is not None:
            prep.stream.close()
            model._stream_coverage = (len(prep.stream.seen), int(prep.stream.blocks.size))  # (trained on, training)
    model._cpu_tally = _cpu_load.stop(clock, getattr(model, "_cpu_tally", None))  # what other processes took
    return trainer, result


def fit_field(model, prep: Prepared, cfg: TrainConfig, device, *, checkpoint=None, checkpoint_every=60.0, resume=None):
    """Train ``field_``: one run, or (``physics_weight="auto"``) one per candidate weight, keeping the better;
    then, in the time early stopping left, further networks averaged with it (:mod:`geoinr.model.members`)."""
    model.fill_members_ = None
    model._cpu_tally = [0.0, 0.0, 0.0]  # other processes' CPU seconds, the CPUs' seconds, wall seconds (training)
    if resolve_physics_weight(model, prep, checkpoint, resume):
        model_physics_loss(model, device)  # a residual that cannot apply here fails now, not after a candidate fit
        # records of network_choice.large_record's size, gridded or not (the choice itself is made for data in
        # memory only)
        cap = FIRST_CAP if model.n_points_ >= _choice.WIDE_RECORD_POINTS else None
        return fit_choosing_weight(model, prep, cfg, device, train, first_cap=cap)
    if terms_in_force(model) and model.members_ > 1 and model.n_members is None and model.uncertainty is None:
        # "auto" that could not choose (physics_choice_ says why) fits once at the fixed weight: one network, as
        # physics= at a given weight does (the networks trained together were for the choice's data-only candidate)
        model.members_ = 1
        model._build(CoordinateEncoding(**model.encoding_config_), len(model.variables_))
    trainer, result = train(model, prep, cfg, device, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                            resume=resume)
    if checkpoint is not None or resume is not None:  # a checkpoint holds one network's training
        return trainer, result
    return fill_budget(model, prep, cfg, device, trainer, result, train)


# ---------------------------------------------------------------------- the steps of INRModel.fit
def read_observations(model, data, values, variables, lat, lon, time, resume, checkpoint=None, checkpoint_every=60.0,
                      weights=None):
    """Observations: an in-memory table, or a description of dask-backed data to stream.

    What dask-backed data cannot do is refused (or, for ``checkpoint``, warned about) here,
    before the dask pass over them; so is a ``checkpoint_every`` that is no number of seconds (it failed inside
    the training loop). The fit's clock starts here (:func:`train_config`).
    """
    resolve_device(model.device)  # a device this machine lacks: refused before any data is read (checked again later)
    model._fit_started = _time.perf_counter()  # max_time bounds the whole fit: reading, choices, training, calibration
    if not _is_seconds(checkpoint_every):
        raise ValueError(f"fit(checkpoint_every={checkpoint_every!r}): give the seconds between checkpoints, a finite "
                         f"number >= 0 (0: at every validation check).")
    if isinstance(data, (xr.Dataset, xr.DataArray)):
        values, variables = _observations.names_as_values(values, variables)
    lazy = isinstance(data, (xr.Dataset, xr.DataArray)) and values is None and _stream.is_lazy(
        data, None if variables is None or isinstance(data, xr.DataArray) else np.atleast_1d(variables)
    )
    if lazy and data.nbytes <= STREAM_MIN_BYTES:  # small: in memory, the fast path with all its options
        data, lazy = data.compute(), False
    if lazy and resume is not None:
        raise ValueError(
            "resume= is not available for dask-backed data (the stream of blocks cannot be replayed exactly); "
            "load the data with .load() to resume, or start anew."
        )
    if lazy and model.uncertainty is not None:
        raise ValueError(
            f"uncertainty={model.uncertainty!r} is not available for dask-backed data yet; fit with "
            f"uncertainty=None, or load the data into memory with .load()."
        )
    if lazy and model.min_wavelength == SEARCH:
        raise ValueError(
            "min_wavelength='search' needs the observations in memory (it refits them several times), not "
            "dask-backed data; load the data with .load(), or give min_wavelength in km (or None, the sampling rule)."
        )
    if lazy and model.optimizer == "lbfgs":
        raise ValueError(
            "optimizer='lbfgs' cannot run on dask-backed data: L-BFGS needs the same full-batch loss at every "
            "evaluation, and the data are streamed in mini-batches. Use optimizer='adam' (or 'auto'), or load the "
            "data with .load()."
        )
    if lazy and checkpoint is not None:
        check_writable(checkpoint)  # a bad path fails now, not after the pass over the data
        warnings.warn(
            f"checkpoint={str(checkpoint)!r} with dask-backed data: this checkpoint cannot be resumed (resume= needs "
            f"the data in memory; the stream of blocks cannot be replayed). To be able to resume, load the data with "
            f".load() and fit with checkpoint= again.", GeoinrWarning, stacklevel=user_stacklevel(),
        )
    obs = _observations.read(data, variables, values=values, lat=lat, lon=lon, time=time, lazy=lazy, weights=weights)
    if obs.table is not None:  # (a fit that the machine cannot hold: refused with the way out, not killed by the OS)
        check_memory(len(obs.table) * FIT_BYTES_PER_POINT, f"An in-memory fit of {len(obs.table):,} observations",
                     "Stream them instead: give the data as dask arrays (e.g. ds.chunk({'time': 10}); records over "
                     "64 MiB are then read chunk by chunk), or fit a smaller region or window.", made="the fit")
    if obs.table is not None and len(obs.table) == 0:
        raise ValueError(
            f"No finite values to fit: every value of {', '.join(obs.variables)} is NaN "
            f"(or lies at a NaN coordinate), or the input is empty. Check the variable and any masking/fill values."
        )
    return obs


def _is_seconds(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and 0.0 <= value < float("inf")


def learn_frame(model, obs) -> Frame:
    """Set the model's description of the data (names, normalisation, region, time span, point count)."""
    # a seed=None fit draws one seed (the same on every rank under torchrun: their samples and held-out points must
    # agree) and uses it everywhere, as if it had been given: seed_ records it, so the fit can be repeated
    model._seed_in_force = shared_seed(model.seed)
    model._gridded_source = bool(obs.gridded)  # finish() judges a grid's misfit at its own cells
    # a grid's or stations' own time steps may show faster signals (tides) than the rule's period (a review: 14
    # hourly gauges over 30 days took a 109-day period, longer than the record)
    model._regular_times = bool(obs.gridded or getattr(obs, "stations", False))
    if obs.table is not None:
        empty = [v for v, n in zip(obs.variables, np.isfinite(obs.table.values).sum(axis=0)) if not n]
        if empty:
            raise ValueError(f"Variable {empty[0]!r} has no valid value (every value is NaN or a fill value): leave it "
                             f"out of variables= (fitting {[v for v in obs.variables if v not in empty]}).")
        frame = frame_in_memory(obs.table, gridded=bool(obs.gridded))
        _observations.warn_short_variables(obs.table, obs.variables, frame.region, frame.time_range, bool(obs.gridded))
        _observations.warn_skewed(obs.table, obs.variables, obs.attrs)
        _observations.warn_duplicates(obs.table)
        for v, s in zip(obs.variables, frame.std):
            if not s > 0:
                warnings.warn(f"Variable {v!r} is constant; predictions of it are that constant.", GeoinrWarning, stacklevel=user_stacklevel())
    else:
        frame = frame_streamed(obs, seed_in_force(model))
        lo, hi = frame.lon_extremes
        obs.lon_convention = _observations.lon_convention(lo, hi)
    for v, m, s in zip(obs.variables, frame.mean, frame.std):
        if not (np.isfinite(m) and np.isfinite(s)):
            raise ValueError(
                f"Variable {v!r} has mean {m:.6g} and standard deviation {s:.6g}: its values cannot be normalised. "
                f"Check it for huge or undeclared fill values and mask them (ds[{v!r}].where(...)) before fitting."
            )
    sparse = None  # a scale search's candidates stay quiet; on a grid the data are the map
    if not hasattr(model, "_record_points") and not obs.gridded:
        sparse = too_sparse(frame.sample, obs.variables)
    # L-BFGS takes no physics term: an explicit optimizer="lbfgs" fits the data alone, as asked
    model.physics_ = physics_in_force(model.physics, sparse is not None and model.optimizer != "lbfgs",
                                      frame.sample.lat)
    if sparse is not None:
        warn_unresolved(*sparse, model.physics, model.physics_, frame.sample.lat, model.optimizer == "lbfgs",
                        n_points=len(frame.sample))
    model._set_frame(obs, frame.region, frame.time_range, frame.time_gaps)
    _warn_grid_aligned(model)
    model.mean_ = [float(m) for m in frame.mean]
    model.std_ = [float(s) if s > 0 else 0.0 for s in frame.std]  # 0: a constant, predicted exactly
    model.n_points_ = frame.n_points
    # "auto" holds nothing out of grids (blocks would be holes in the map), nor for L-BFGS (no early stopping)
    model.validation_ = validation_fraction(model.validation, obs.gridded or model.optimizer == "lbfgs",
                                            model._strategy().calibrated)
    return frame


def too_sparse(sample: _coords.PointTable, variables) -> tuple | None:
    """(typical gap km, {variable: share}) of the variables of a scattered record too sparse to map (share of their
    variance between observations about half :data:`~geoinr.scales.GAP_TO_WAVELENGTH` gaps apart (0.4-0.6 of the
    wavelength the sampling rule gives, :func:`~geoinr.scales.unresolved_share`) at least
    :data:`UNRESOLVED_WARN`), or None where every variable is resolved or cannot be judged.

    Parameters
    ----------
    sample : geoinr.coords.PointTable
        The observations (or the sample of them that sets the scales).
    variables : list of str
        The names of ``sample``'s value columns.

    Returns
    -------
    tuple or None

    Examples
    --------
    >>> import numpy as np, geoinr
    >>> from geoinr.coords import find_coords, points_from_xarray
    >>> tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    >>> table, _ = points_from_xarray(tracks, ["sla"], find_coords(tracks))
    >>> too_sparse(table, ["sla"]) is None  # a smooth field its tracks resolve
    True
    >>> table.values[:] = np.random.default_rng(0).standard_normal(table.values.shape)  # noise: nothing resolved
    >>> gap, shares = too_sparse(table, ["sla"])
    >>> list(shares)
    ['sla']
    """
    if len(sample) < 2:
        return None
    t = sample.time
    # the gap between the passes as it is: the scales' rule measures a sparse record's gap near its tracks
    gap = sampling_gap_km(sample.lon, sample.lat, t, across_passes=True)
    shares = dict(zip(variables, unresolved_share(sample.lon, sample.lat, t, sample.values, GAP_TO_WAVELENGTH * gap,
                                                  seed=0, per_column=True)))  # one set of pairs for every variable
    sparse = {v: x for v, x in shares.items() if x is not None and x >= UNRESOLVED_WARN}
    if not sparse and len(sample) < FEW_TO_JUDGE and all(x is None for x in shares.values()):
        sparse = dict.fromkeys(variables)  # too few pairs to judge: an outage's handful, mapped in silence (a review)
    return (gap, sparse) if sparse else None


def warn_unresolved(gap: float, sparse: dict, physics, terms, lat, lbfgs: bool = False, n_points=None) -> None:
    """Warn that a record is too sparse to map (:func:`too_sparse`'s ``gap`` and ``sparse``), and what the fit did
    about it: the prior ``physics="auto"`` added (``terms``, the terms in force), or the prior suggested where it
    was measured to help and the fit has none (``physics`` given, ``lat`` outside the tropics; with ``lbfgs``, an
    explicit ``optimizer="lbfgs"``, which takes no physics term, the suggestion names the optimizer to change).
    Shares of None: too few observations (``n_points``) to judge them.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     warn_unresolved(150.0, {"sla": 0.8}, "auto", None, [40.0, 41.0], lbfgs=True)
    >>> "optimizer='adam'" in str(seen[0].message)
    True
    """
    which = ", ".join(f"{v!r} by {min(x, 1.0):.0%}" for v, x in sparse.items() if x is not None)
    if physics == AUTO and terms:
        remedy = (" Outside the tropics the fit adds a prior that keeps the gaps flat (physics='smooth': it mapped "
                  "such records better than fits without it; README: Records too sparse to map); physics=None fits "
                  "without it.")
    elif "smooth" in physics_terms(terms) or not physics_in_force(AUTO, True, lat):  # has it, or the tropics
        remedy = ""
    else:
        remedy = (f" Outside the tropics, physics='smooth', physics_weight={SMOOTH_WEIGHT:g} (a prior that keeps the "
                  "gaps flat instead) mapped such records better than fits without it (README: Records too sparse "
                  "to map)" + (", with optimizer='adam' (L-BFGS takes no physics term)." if lbfgs else "."))
    if all(x is None for x in sparse.values()):
        start = (f"This record holds only {n_points or 'a few'} observations, too few to tell how much of its field "
                 f"they resolve (a typical gap between them is {gap:.0f} km). Between them the map can only hold its "
                 f"broadest part, or structure the network invents.")
    else:
        start = (f"This record is too sparse to map most of its field: a typical gap between its passes is {gap:.0f} km "
                 f"(the median distance to the nearest observation, counted between passes; the scales' rule measures "
                 f"the gap near the tracks), and observations {0.5 * GAP_TO_WAVELENGTH * gap:.0f} km apart already "
                 f"differ, as a share of their variance: {which}. Where the observations are, they see that structure; "
                 f"between them the map can only hold its broadest part, or structure the network invents.")
    warnings.warn(
        start + " Add observations (satellites, days), or map a smaller region around them; uncertainty='ensemble' "
        "shows where the map is unsupported." + remedy,
        GeoinrWarning,
        stacklevel=user_stacklevel())


def validation_fraction(validation, gridded: bool, calibrated: bool) -> float:
    """The held-out fraction of ``validation=``: ``"auto"`` is 0 for gridded data without uncertainty, else 0.1.

    Examples
    --------
    >>> validation_fraction("auto", True, False), validation_fraction("auto", False, False), validation_fraction(0.2, True, False)
    (0.0, 0.1, 0.2)
    """
    if isinstance(validation, str):
        if validation != "auto":
            raise ValueError(f"validation={validation!r}: give a fraction in [0, 1) or 'auto'.")
        return 0.0 if gridded and not calibrated else AUTO_VALIDATION
    if isinstance(validation, bool) or not isinstance(validation, numbers.Real) or not 0 <= validation < 1:
        raise ValueError(f"validation={validation!r}: validation must be a fraction in [0, 1), the held-out share "
                         f"(0: none, 0.1: a tenth), or 'auto'.")
    return float(validation)


def choose_scales(model, obs, resume) -> float:
    """``min_wavelength="search"``: run the scale search (``model.scale_search_``); returns the budget share left.

    Any other ``min_wavelength`` leaves ``scale_search_`` None and the whole budget
    to the fit. A resumed fit takes the search its checkpoint recorded.
    """
    model.scale_search_ = None
    if model.min_wavelength != SEARCH:
        return 1.0
    if obs.table is None:
        raise ValueError(
            "min_wavelength='search' needs the observations in memory (it refits them several times); "
            "load the data with .load(), or give min_wavelength in km (or None, the sampling rule)."
        )
    if resume is not None:
        model.scale_search_ = checkpoint_extra(
            resume, check=lambda extra, _: check_scale_search(extra.get("scale_search"), "extra.scale_search")
        ).get("scale_search")
    else:
        model.scale_search_ = agree(search_scales(model, obs.table, gridded=obs.gridded))  # timed fits: rank 0's
    return 1.0 if model.scale_search_ is None else 1.0 - model.scale_search_["budget_share"]


def encoding_config(model, sample: _coords.PointTable, extent: np.ndarray | None = None) -> dict:
    """Encoding scales and frame from the data (or the model's ``min_wavelength`` / ``min_period``, or the search's).

    ``extent`` (streamed fits, :attr:`Frame.extent`): coordinates of the whole data's edges, which
    join the sample for the frame; the scales come from the sample alone.
    """
    wavelength, period = model.min_wavelength, model.min_period
    if wavelength == SEARCH:  # its choice, or the rule when the data were too few to search
        record = model.scale_search_
        wavelength = None if record is None else record["min_wavelength"]
        period = period if record is None else record["min_period"]
    coords = sample.coordinates()
    options = {"space": model.space_encoding, "time": model.time_encoding}
    # one day's map: a spatial network (a constant time input only changed its start; 2026-12-07), but for the QG
    # residual, whose tendency needs a time input
    if model._one_instant() and "qg" not in physics_terms(getattr(model, "physics_", None)) \
            and not _needs_time(model.model):  # (NIF and a modulated SIREN condition on time: they keep it)
        options["time"] = None
        given = [f"{k}={v!r}" for k, v in (("time_encoding", model.time_encoding), ("min_period", model.min_period))
                 if v is not None and not (k == "time_encoding" and v == "linear")]
        if given and not hasattr(model, "_record_points"):  # (a review: ignored in silence)
            warnings.warn(f"The record has one instant: it is fitted as a spatial field, and {', '.join(given)} "
                          f"(time settings) change nothing. Leave them out, or fit several times.", GeoinrWarning,
                          stacklevel=user_stacklevel())
    if period is None and getattr(model, "_regular_times", False) and sample.time is not None:
        # (a streamed grid's sample is a run of whole blocks: cells over consecutive times; hourly weather read
        # with dask kept the rule's 38 days where in memory it took 0.53, a diff review's lead)
        wavelength, period = _gridded_scales(sample, wavelength, grid=getattr(model, "_gridded_source", False))
    if extent is not None:
        scales = CoordinateEncoding.from_points(coords, **options, min_wavelength=wavelength, min_period=period)
        wavelength, period = scales.min_wavelength, scales.min_period
        coords = np.concatenate([coords, extent])
    encoding = CoordinateEncoding.from_points(coords, **options, min_wavelength=wavelength, min_period=period)
    return encoding.config()


def _needs_time(name) -> bool:
    """Whether the network ``name`` conditions on time (NIF, a modulated SIREN: :data:`geoinr.nn.NETWORKS`)."""
    from ..nn import NETWORKS

    return bool(NETWORKS[name][3]) if name in NETWORKS else False


def _gridded_scales(sample: _coords.PointTable, wavelength, grid: bool = True):
    """(min_wavelength, min_period) of a gridded record, where the rule of :func:`geoinr.scales.default_scales`
    misreads it (else ``(wavelength, None)``: the rule as before):

    - a grid much finer than its time step (:data:`geoinr.scales.FINE_GRID_SHARE`): counted in space and time,
      a daily grid's gap is the day's (10 km), so a 1 km daily grid was fitted at 13 km (no skill, in silence); its
      wavelength is then the grid's own, its period the rule's;
    - time steps that show a signal much faster than the rule's period (:func:`geoinr.scales.gridded_period`
      below :data:`geoinr.scales.GRIDDED_PERIOD_SHARE` of it: hourly output's tides and diurnal cycle).

    ``grid`` False (stations: gauges, moorings): the period's part only.
    """
    rule, period = None, None  # the rule's (wavelength, period), computed where needed
    if wavelength is None and grid:
        rule = _scales.default_scales(sample.lon, sample.lat, sample.time)
        cells = pd.DataFrame({"lon": sample.lon, "lat": sample.lat}).drop_duplicates()  # each cell once, not per time
        space = _scales.default_scales(cells["lon"].to_numpy(), cells["lat"].to_numpy())[0]  # the grid's spacing alone
        if space < _scales.FINE_GRID_SHARE * rule[0]:
            wavelength, period = space, rule[1]
    fastest = _scales.gridded_period(sample.lon, sample.lat, sample.time, sample.values, noise_guard=not grid)
    if fastest is None and grid:  # no cycle: a sub-daily field carried faster than the rule's drift (weather), at
        fastest = _scales.carried_period(sample.lon, sample.lat, sample.time, sample.values,  # the wavelength fitted
                                         float(wavelength if wavelength is not None else rule[0]))
    if fastest is None:  # the rule's scales where it was computed (not again by the encoding: a review's 10 years)
        return rule if wavelength is None and rule is not None else (wavelength, period)
    rule_wavelength, rule_period = rule or _scales.default_scales(sample.lon, sample.lat, sample.time)
    if period is None:
        wavelength = rule_wavelength if wavelength is None else float(wavelength)
        period_at = wavelength * rule_period / rule_wavelength  # the rule's speed, at this wavelength
    else:
        period_at = period
    return wavelength, (fastest if fastest < _scales.GRIDDED_PERIOD_SHARE * period_at else period_at)


def calibrate(model, trainer, prep: Prepared) -> None:
    """After training: the strategy's posterior, then the variance calibration on held-out points.

    Held-out points that joined the training for its last part (``refit_share``) are scored with the
    weights that scored best on them before they joined (``Trainer.held_out_best``): the calibration
    is measured on points those weights never saw, and applied to the final weights, trained on every
    point (a Bayesian last layer's posterior is fitted anew at them). The distance term then counts
    every point as data.
    """
    model.calibration_ = None
    model.data_distance_ = None
    strategy = model._strategy()
    if not strategy.calibrated:
        return
    joined = trainer.joined_step is not None and getattr(trainer, "held_out_best", None) is not None
    if trainer.joined_step is not None and not joined:
        warnings.warn(
            "The fit resumed from a checkpoint written after the held-out points joined the training, without the "
            "weights from before they did (no held.* tensors in it): the std is calibrated on points the network "
            "was trained on, and comes out too small. Refit without resume= for a calibrated std.",
            GeoinrWarning, stacklevel=user_stacklevel(),
        )
    before, every = model.field_, None
    if joined:  # the weights that scored the held-out points, and every point as data after
        before = copy.deepcopy(model.field_)
        before.load_state_dict(trainer.held_out_best)
        every = torch.cat([trainer.all_train_idx, trainer.all_val_idx])
    strategy.after_training(before, trainer.all_train_idx, prep.x, prep.y, prep.w)
    model.calibration_, model.data_distance_ = calibrate_field(
        lambda xb: strategy.standardized(before, xb), before, trainer, prep.x, prep.y, prep.w,
        model.encoding_config_, seed_in_force(model), prep.held_out, None if prep.groups is None else prep.groups.numpy(),
        sites=every, deadline=calibration_deadline(model), names=model.variables_,
    )
    if joined:
        strategy.after_training(model.field_, every, prep.x, prep.y, prep.w)


HISTORY_COLUMNS = ["epoch", "step", "seconds", "lr", "loss", "val_loss", "physics_loss"]
# of max_time, kept after the training for the std's calibration (uncertainty=): about 1-4 s of likelihood
# evaluations on 2 cores (benchmarks/calibration_speed.py), which stop at the end of max_time
CALIBRATION_SHARE = 0.15
# the training's share of the time is never cut below this much of it by the time spent before it
MIN_TRAIN_SHARE = 0.5


def train_config(model, share: float = 1.0) -> TrainConfig:
    """The training loop's settings from the model's parameters (``share``: of ``max_time`` and ``epochs``).

    The held-out points join the training set for the last :data:`REFIT_SHARE` of the run (with
    ``uncertainty=``, the calibration scores them with the weights of before they joined: :func:`calibrate`).
    ``max_time`` bounds the whole fit: the training gets what is left of it after the time spent since the fit
    began (reading the data, the scale search, the timed pass) and, with ``uncertainty=``, after
    :data:`CALIBRATION_SHARE` kept for the calibration (at least :data:`MIN_TRAIN_SHARE` of its share).
    """
    cfg = TrainConfig(
        batch_size=_choice.batch_size(model), lr=_choice.learning_rate(model), epochs=model.epochs,
        max_time=model.max_time, validation=model.validation_, patience=int(model.patience), seed=seed_in_force(model),
        progress=bool(model.progress), precision=_choice.check_precision(model), extra_every=int(model.physics_every),
        lbfgs_share=_choice.LBFGS_SHARE if getattr(model, "optimizer_", "adam") == "lbfgs" else 0.0,
        refit_share=REFIT_SHARE,
    ).part(share)
    started = getattr(model, "_fit_started", None)
    if cfg.max_time is None or started is None:
        return cfg
    kept = CALIBRATION_SHARE * model.max_time if model._strategy().calibrated else 0.0
    left = agree(model.max_time - (_time.perf_counter() - started) - kept)  # every rank trains to one clock
    return dataclasses.replace(cfg, max_time=max(min(cfg.max_time, left), MIN_TRAIN_SHARE * cfg.max_time))


def calibration_deadline(model) -> float | None:
    """Where the std's calibration stops (``time.perf_counter()``): the end of ``max_time`` from the fit's start, or
    None without a time budget."""
    started = getattr(model, "_fit_started", None)
    return None if model.max_time is None or started is None else started + float(model.max_time)


GRID_MISFIT_WARN = 0.05  # a grid fitted on every cell whose time budget ended it this far from its cells (RMS, share
# of the field's std) is warned of: a 30 s Adam fit of four DUACS days missed its own cells by 2 cm (20 %), the same
# fit at 60 s (L-BFGS) by 0.12 cm, one day at 30 s by at most 0.16 cm (a review)


def _grid_misfit(model, result, timed: bool) -> bool:
    """Whether a gridded source fitted on every cell ended its time budget more than :data:`GRID_MISFIT_WARN` of its
    std from those cells (then :func:`_warn_grid_misfit` warns, and the brief fit's warning is not given too)."""
    return bool(timed and getattr(model, "_gridded_source", False) and not model.validation_
                and model.best_val_loss_ is not None and result.stopped != "diverged"
                and math.sqrt(max(model.best_val_loss_, 0.0)) > GRID_MISFIT_WARN)


def _warn_grid_misfit(model, result, timed: bool) -> None:
    """Warn where a gridded source fitted on every cell (no validation) ended its time budget far from those cells
    (with nothing held out, ``best_val_loss_`` is the best training loss)."""
    if _grid_misfit(model, result, timed):
        misfit = math.sqrt(max(model.best_val_loss_, 0.0))
        lbfgs = (f" (a grid of at most {_choice.LBFGS_MAX_POINTS:,} points is fitted by full-batch L-BFGS where the "
                 f"budget pays for {_choice.MIN_LBFGS_EVALUATIONS} passes over it: optimizer_ is "
                 f"{getattr(model, 'optimizer_', 'adam')!r} here)." if model.n_points_ <= _choice.LBFGS_MAX_POINTS
                 else f", or fit a smaller region or period: {model.n_points_:,} points are too many for full-batch "
                      f"L-BFGS, which fits grids of at most {_choice.LBFGS_MAX_POINTS:,}.")
        warnings.warn(
            f"The time budget ended this fit {misfit:.0%} of the field's standard deviation (RMS) from the grid's own "
            f"values: a map that misses its source cells is rough between them too. Give a longer max_time={lbfgs}",
            GeoinrWarning, stacklevel=user_stacklevel())


def _warn_unread_blocks(model) -> None:
    """Warn where a dask-streamed fit ended before it trained on every training block: its map there follows no data."""
    seen, blocks = getattr(model, "_stream_coverage", None) or (0, 0)
    if blocks and seen < blocks:
        warnings.warn(
            f"This dask-streamed fit ended before it trained on every block of the data: {blocks - seen:,} of "
            f"{blocks:,} training blocks (chunks) were never read, and its map there follows no data. Give a longer "
            f"max_time= (or epochs=), or fit a smaller region or period.", GeoinrWarning, stacklevel=user_stacklevel())


def _warn_grid_aligned(model) -> None:
    """Warn where ``physics="mass"`` or a streamfunction takes velocities whose ``standard_name`` says they are
    along a model grid's axes (``sea_water_x_velocity``): both read them as eastward and northward."""
    if not ("mass" in physics_terms(model.physics_) or model.mass_constraint == "streamfunction"):
        return
    _check_velocity_pair(model)
    names = {v: str((model.variable_attrs_.get(v) or {}).get("standard_name", "")) for v in model.variables_}
    aligned = {v: s for v, s in names.items() if s.endswith(("_x_velocity", "_y_velocity"))}
    if aligned:
        warnings.warn(
            f"{', '.join(f'{v!r} ({s})' for v, s in aligned.items())}: velocity along a model grid's axes, which "
            f"physics='mass' and mass_constraint='streamfunction' read as eastward and northward. On a rotated or "
            f"curvilinear grid rotate them first (u_east = u cos(angle) - v sin(angle), v_north = u sin(angle) + "
            f"v cos(angle), with the grid's angle), or the divergence they constrain is not the flow's.",
            GeoinrWarning, stacklevel=user_stacklevel())


# metres per second of a velocity's units (CF's and common spellings)


# names that say northward (eastward) velocity: CMEMS's, DUACS's, GDP drifters', MITgcm's (vvel), HYCOM's (water_v),
# CMEMS HF radar's (nsct), ERA5's winds (v10, v100) and CMIP's (va, vas)
NORTHWARD_NAMES = ("v", "vn", "vo", "vgos", "vgosa", "v_current", "vel_north", "vvel", "water_v", "nsct", "v10", "v100",
                   "va", "vas", "vwnd")
EASTWARD_NAMES = ("u", "ve", "uo", "ugos", "ugosa", "u_current", "vel_east", "uvel", "water_u", "ewct", "u10", "u100",
                  "ua", "uas", "uwnd")
# words of a standard_name, long_name or name that say a direction (CMEMS HF radar: "West-east current component")
DIRECTION_WORDS = (("northward", ("northward", "meridional", "south-north", "north-south")),
                   ("eastward", ("eastward", "zonal", "west-east", "east-west")))


def _direction(name, attrs: dict) -> tuple:
    """("eastward" | "northward" | None, what said so) of a velocity component: its standard_name, else its
    long_name (GDP drifters' ``ve``: "Eastward velocity" only), else its name."""
    # a name's words only for a speed (sst_zonal_gradient, zonal_mean_sst, meridional_heat_transport: no velocity)
    keys = ("standard_name", "long_name") + (("name",) if metres_per_second(attrs.get("units")) is not None else ())
    for key in keys:
        text = str(attrs.get(key) or "" if key != "name" else name).lower()
        said = [way for way, words in DIRECTION_WORDS
                if any(re.search(rf"(?<![a-z]){w}(?![a-z])", text) for w in words)]  # (not "zonally"; "_" joins)
        if len(said) == 1:  # (both: "eastward and northward components", no direction)
            return said[0], f"{key} {attrs[key]!r}" if key != "name" else f"named {name!r}"
    low = str(name).lower()
    way = "northward" if low in NORTHWARD_NAMES else "eastward" if low in EASTWARD_NAMES else None
    return way, f"named {name!r}"


def _check_velocity_pair(model) -> None:
    """Refuse a pair ``physics="mass"`` or a streamfunction would misread: they take the first two fitted variables
    as eastward then northward velocity, in one unit. Swapped (northward first), a height among them, or cm s-1
    beside m s-1, were fitted without a word (a review: 3x and 6x the errors)."""
    pair = model.variables_[:2]
    if len(pair) < 2:  # (physics="mass" then says it needs two)
        return
    attrs = [model.variable_attrs_.get(v) or {} for v in pair]
    units = [str(a.get("units") or "").strip() for a in attrs]
    how = "mass_constraint='streamfunction'" if model.mass_constraint == "streamfunction" else "physics='mass'"
    ways = [_direction(v, a) for v, a in zip(pair, attrs)]
    if ways[0][0] == "northward" and ways[1][0] in ("eastward", None):  # (DUACS's vgos too)
        raise ValueError(f"{how} reads the first fitted variable as eastward velocity and the second as northward, "
                         f"but {pair[0]!r} is {ways[0][1]}: give them in that order, variables={pair[::-1]!r}.")
    lengths = [v for v, u in zip(pair, units) if u and metres_per_length_unit(u) is not None]
    if lengths:
        raise ValueError(f"{how} constrains a velocity pair (eastward, northward), but {lengths[0]!r} is in "
                         f"{units[pair.index(lengths[0])]!r}, a length: fit the velocities' components alone.")
    speeds = [SPEED_UNITS.get(" ".join(u.lower().split())) for u in units]
    if None not in speeds and speeds[0] != speeds[1]:
        raise ValueError(f"{how} takes the velocity pair in one unit, but {pair[0]!r} is in {units[0]!r} and "
                         f"{pair[1]!r} in {units[1]!r}: convert one first (e.g. ds[{pair[1]!r}] * "
                         f"{speeds[1] / speeds[0]:g}, with its units attribute).")


def _warn_epochs_unreached(model) -> None:
    """Warn where a fit given ``epochs=`` was ended by ``max_time`` first: its result then depends on the machine."""
    if model.stop_reason_ != "max_time" or hasattr(model, "_record_points"):  # (a scale search's candidates: quiet)
        return
    done = float(model.history_["epoch"].max()) if len(model.history_) else 0.0
    warnings.warn(
        f"max_time={model.max_time:g} s ended this fit before epochs={model.epochs} (after {done:.0f} epochs): how far "
        f"it got depends on this machine's speed and load, so it will not repeat exactly. Give max_time=None for a "
        f"fit of exactly {model.epochs} epochs (repeatable with its seed), or leave epochs out for a fit of the time.",
        GeoinrWarning, stacklevel=user_stacklevel())


def finish(model, result, trainer, device) -> None:
    """Record how training went; raise :class:`TrainingDiverged` (holding the model) if it diverged."""
    model._remember_params()  # what was fitted: parameters set after it are refused until the next fit
    # the weights stay on the training device: predictions of large grids run there too
    model.device_ = str(device)
    model.history_ = pd.DataFrame(result.history, columns=HISTORY_COLUMNS)
    model.fit_seconds_ = float(result.seconds)
    model.cpu_contention_ = _cpu_load.share(getattr(model, "_cpu_tally", None))
    # the user's max_time ended an epochs budget (not a budget the fit set itself: physics_weight="auto"'s second
    # network gets the first one's time): the training took at least half of it
    by_clock = getattr(trainer, "time_ended", False) and model.max_time is not None and result.seconds >= 0.5 * model.max_time
    model.stop_reason_ = "max_time" if result.stopped == "budget" and by_clock else result.stopped
    model.seed_ = seed_in_force(model)
    model.best_val_loss_ = float(result.best_val) if math.isfinite(result.best_val) else None
    model.fitted_at_ = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    steps = int(model.history_["step"].max()) if len(model.history_) else 0
    busy = _cpu_load.busy_note(model.cpu_contention_)
    # a budget of steps (epochs) is only slower, a budget of time worse; a scale search's candidates stay quiet
    if busy and _cpu_load.timed_budget(model.max_time, model.epochs, model.stop_reason_) \
            and not hasattr(model, "_record_points"):
        warnings.warn(f"This fit made {steps:,} steps in {model.fit_seconds_:.0f} s: {busy}.", GeoinrWarning,
                      stacklevel=user_stacklevel())
    # a time budget that ended the fit is the user's (a brief one, or a busy machine, is theirs to know of); a brief
    # epochs budget is a test's or a doctest's
    trained_for = None if model.max_time is None else model.max_time * (
        1.0 - (getattr(model, "scale_search_", None) or {}).get("budget_share", 0.0))  # a scale search took the rest
    if trained_for is not None and getattr(getattr(trainer, "cfg", None), "max_time", None) is not None:
        trained_for = min(trained_for, trainer.cfg.max_time)  # what the rest of the fit left it (train_config)
    timed = (trained_for is not None and result.stopped == "budget" and model.fit_seconds_ >= 0.5 * trained_for
             and not hasattr(model, "_record_points"))
    if (model.best_val_loss_ is not None and model.best_val_loss_ > NO_SKILL_LOSS and result.stopped != "diverged"
            and (steps >= NO_SKILL_MIN_STEPS or timed)):
        brief = (f" It made only {steps:,} steps in {model.fit_seconds_:.0f} s: a longer budget (max_time=) may "
                 f"be all it needs; otherwise the" if steps < NO_SKILL_MIN_STEPS else " The")
        warnings.warn(
            f"The fit's best held-out loss is {model.best_val_loss_:.3g} (standardized MSE): its map is further from "
            f"the held-out observations than the data's mean ({NO_SKILL_LOSS:g}), so it has no skill between them."
            f"{brief} record is probably too sparse for one map of this region and time (one "
            f"satellite's day over the globe, say): fit a smaller region or a longer record, give larger scales "
            f"(min_wavelength=, min_period=), or a longer budget (max_time=, epochs=).", GeoinrWarning,
            stacklevel=user_stacklevel())
    elif (timed and steps < BRIEF_FIT_STEPS and getattr(model, "optimizer_", "adam") != "lbfgs"  # full-batch steps
          and not (model.epochs is not None and len(model.history_) and int(model.history_["epoch"].max()) >= model.epochs)
          and not _grid_misfit(model, result, timed)):  # (that warning says it, with its own advice)
        warnings.warn(
            f"The time budget ended this fit after {steps:,} steps ({model.fit_seconds_:.1f} s of training): a network "
            f"takes thousands to converge, so its map is rough or barely fitted. Give a longer max_time= (at "
            f"{model.fit_seconds_ / max(steps, 1):.2g} s a step here).", GeoinrWarning, stacklevel=user_stacklevel())
    _warn_grid_misfit(model, result, timed)
    _warn_unread_blocks(model)
    _warn_epochs_unreached(model)
    if result.stopped == "diverged":
        raise TrainingDiverged(
            f"Training diverged: the loss was non-finite {trainer.failures} times despite roll-backs and "
            f"halving the learning rate. The model with the best weights reached before is in err.model. "
            f"Try a smaller lr= (now {_choice.learning_rate(model):g}) or check the data for extreme values.",
            model=model,
        )
