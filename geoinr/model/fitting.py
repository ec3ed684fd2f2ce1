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
import time
import warnings

import numpy as np
import pandas as pd
import torch
import xarray as xr

from .. import coords as _coords
from .. import cpu_load as _cpu_load
from .. import observations as _observations
from .. import stream as _stream
from ..encoding import CoordinateEncoding
from ..nn import TUNER_TIME_PERIOD, option_defaults, size_defaults
from ..persistence import check_writable
from ..physics.losses import PhysicsFrame, physics_loss
from ..training import (TrainConfig, Trainer, TrainingDiverged, checkpoint_extra, constrained_modules,
                        distributed_world)
from ..uncertainty.calibrated import calibrate_field
from ..uncertainty.strategies import ENSEMBLE_MEMBERS
from .held_out import satellite_passes, validation_blocks
from .members import fill_budget, plain_fit
from .physics_weight import AUTO, FIRST_CAP, fit_choosing_weight, interior_groups, resolve_physics_weight
from .scale_search import SEARCH, search_scales

__all__ = ["Frame", "Prepared", "frame_in_memory", "frame_streamed", "prepare_in_memory", "prepare_streamed", "train"]

# dask-backed data of at most this many bytes are loaded and fitted in memory: streaming their blocks made steps
# about 10x slower and has no L-BFGS nor mean of networks (a 48 kB model field: RMSE 0.049 m streamed, 0.00008 m
# in memory in 15 s)
STREAM_MIN_BYTES = 64 * 2**20
STREAM_SAMPLE_POINTS = 500_000  # dask-backed fits: valid points of the contiguous sample that sets the scales
STREAM_VALIDATION_POINTS = 200_000  # held-out points kept in memory (thinned from the validation blocks)
STREAM_GROUP_POINTS = 200_000  # points read and shuffled together (blocks per group follows)
LON_BINS = 360  # 1-degree bins of wrapped longitude: where dask-backed data lie, for their span across the dateline
NO_RUN_ID = ("progress", "device", "max_time")  # parameters that may change when a fit resumes
AUTO_VALIDATION = 0.1  # held-out fraction of validation="auto" for scattered data
# the last quarter of a fit trains on the held-out points too (all of them, whole passes; earlier if their
# loss stalls): kept out to the end they cost 0.015-0.04 mu on a three-month record (benchmarks/RESULTS.md)
REFIT_SHARE = 0.25
NO_SKILL_LOSS = 1.0  # held-out standardized MSE of the data's mean: a fit above it warns ...
NO_SKILL_MIN_STEPS = 500  # ... after this many steps (a brief fit, as in tests and doctests, has had no chance)
LBFGS_SHARE = 0.9  # optimizer="lbfgs": share of the budget after Adam's warm-up (benchmarks/eddy_vorticity.py)
AUTO_MEMBERS = 4  # networks averaged on grids fitted by L-BFGS (benchmarks/real_ssh.py regrid cases)
LBFGS_MAX_POINTS = 100_000  # optimizer="auto": L-BFGS for grids up to this many points (each evaluation is a full pass)
MIN_LBFGS_EVALUATIONS = 500  # optimizer="auto" under max_time: fewer affordable evaluations keep Adam / one network
TIMING_POINTS = 4096  # points of the timed pass that estimates a full-batch evaluation's cost
# scattered data under max_time alone: SCATTERED_MEMBERS networks trained together (vmapped, one shared split),
# their mean the field, where one network affords SCATTERED_MEMBERS * MEMBER_EPOCHS epochs of the points in the
# budget (a float32 pass, timed): each of them then sees every point at least MEMBER_EPOCHS times. Measured
# against one network plus further ones in the time early stopping leaves (benchmarks/RESULTS.md, 2026-12-03,
# fifth session)
SCATTERED_MEMBERS = 3
MEMBER_EPOCHS = 1000
# width=None for the SIREN on a large scattered record: WIDE_WIDTH units from WIDE_RECORD_POINTS observations
# (256 below). At 240 s on the three-month QG basin (147,000 observations) 512 units against 256 scored 0.841 /
# 136 km and 0.838 / 138 (two truths) against 0.831 / 142 and 0.826 / 143 (OI 0.835 / 142 and 140); on the
# near-Gaussian three-month records of benchmarks/real_ssh.py (about 110,000) mu moved by -0.001 to +0.001 and
# lambda_x by -8 to +19 km (noisy there). The four-day real boxes (2,000-15,000 observations, 60 s) were measured
# once each, not enough to include them (benchmarks/RESULTS.md, 2026-12-03, sixth session)
WIDE_RECORD_POINTS = 50_000
WIDE_WIDTH = 512
# model_options without "init" for the SIREN models (TUNER_MODELS) on the same large scattered records:
# init="tuner" (TUNER's integer frequency lattice and bounded hidden weights, geoinr.nn.Siren). Against
# Sitzmann's init at 300 s on the three-month records of benchmarks/real_ssh.py (109,000-150,000 observations),
# twelve runs on eight records (the SIREN):
# ahead on both scores on ten (mu +0.002 to +0.014, lambda_x 0 to 25 km shorter), behind on both on the
# Kuroshio Extension `months` record (two seeds: -0.002 and -0.001 mu, 19 and 6 km); on the QG basin of
# osse.py --basin (240 s) 0.850 / 133 km against 0.840 / 136 (benchmarks/RESULTS.md, 2026-12-04, third session)
# The modulated SIREN too (its own width kept): 0.856 / 102 km against 0.851 / 107 (Mediterranean months), 0.953 /
# 106 against 0.942 / 125 (Gulf Stream 40 x 16 drift), 0.931 / 152 against 0.931 / 148 (Kuroshio Extension months)
# NIF's ShapeNet (a SIREN of space; the "last_layer" variant only) on the same three records: 0.852 / 103 km against
# 0.845 / 126, 0.944 / 108 against 0.928 / 169, 0.932 / 145 against 0.927 / 148 (2026-12-04, fourth session)
LARGE_RECORD_INIT = "tuner"
TUNER_MODELS = ("siren", "modulated_siren", "nif")
DEFAULT_LR = 1e-4  # peak Adam learning rate of lr=None: the SIREN models, NIF and the FFN
# lr=None for the ReLU MLP: at 1e-4 it fell behind linear interpolation on the QG OSSE (mu 0.578 against 0.670)
# and the Kuroshio box (0.772 against 0.787); at 1e-3 it scored 0.713 and 0.813, and was ahead of linear on five
# of the six real track cases. GaborNet at 1e-4 learned too slowly (QG OSSE 0.421, ACC 0.906, basin box 0.727);
# at 1e-3 it scored 0.699, 0.948 and 0.812, and gained on all seven cases (benchmarks/RESULTS.md, 2026-12-02,
# seventh session). FourierNet at 1e-3 with the batch below (2026-12-03; see BATCH_SIZES)
LEARNING_RATES = {"mlp": 1e-3, "gabor_net": 1e-3, "fourier_net": 1e-3}
DEFAULT_BATCH_SIZE = 4096  # points per step of batch_size=None: the SIREN models, NIF and the FFN
# batch_size=None for the ReLU MLP and the multiplicative filter networks: their steps are cheap and they learn
# from the number of steps more than from each step's size. At 4096 all three were behind linear interpolation on
# the 40 x 16 deg basin box (mu 0.787, 0.778, 0.815 against 0.818) and FourierNet on the QG OSSE (0.626 against
# 0.670). At 512 (FourierNet also at lr 1e-3), two runs each: basin box 0.822 and 0.814, 0.811 and 0.812, 0.823
# and 0.823; QG OSSE 0.801 and 0.797, 0.790 and 0.791, 0.766 and 0.768 (against 0.752, 0.626, 0.706); on the 10-20
# deg real boxes -0.013 to +0.025 (benchmarks/RESULTS.md, 2026-12-03). FourierNet stayed behind on the basin box
# until its bandwidth changed (geoinr.nn.MFN_BANDWIDTH_DIVISOR).
BATCH_SIZES = {"mlp": 512, "fourier_net": 512, "gabor_net": 512}


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


def frame_in_memory(table: _coords.PointTable) -> Frame:
    """Statistics and extent of an in-memory table (the sample is the table itself)."""
    if len(table) < 2:
        raise ValueError(
            f"Only {len(table)} valid observation: a field cannot be fitted to a single point. "
            f"Check the data (and its NaN mask) or its coordinates."
        )
    region, time_range = _observations.extent(table)
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


def _dask_statistics(data, var_names, names, tvar, screens: dict, scale: np.ndarray, source) -> dict:
    """Sums and extremes of the valid points of the whole data set (:func:`_valid_points`), in one dask pass.

    ``scale`` (one per variable) divides the values before the variance, so that
    values near 1e200 do not overflow it; ``screens`` are the lazily masked fills.
    ``lon_low``/``lon_high`` are the longitude extremes of each 1-degree bin
    (:func:`_lon_bins`), ``blocks`` the valid points of each block of ``source``.
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
    stats = _dask_statistics(data, var_names, names, tvar, screens, scale, source)
    _observations.warn_fills(screens, stats)
    if int(stats["n"]) < 2:
        raise ValueError(
            f"Only {int(stats['n'])} valid observation(s) in the dask-backed data: every value of "
            f"{', '.join(map(str, var_names))} is NaN or a fill value, or lies at a missing coordinate. "
            f"Check the data (and its NaN mask and fill values) or its coordinates."
        )
    occupied = np.isfinite(stats["lon_low"])
    west, east = _coords.longitude_span(np.concatenate([stats["lon_low"][occupied], stats["lon_high"][occupied]]))
    region = (west, east, float(stats["lat_min"]), float(stats["lat_max"]))
    time_range = None
    if obs.time_axis is not None:
        tt = obs.time_axis.to_days(np.stack([stats["time_min"], stats["time_max"]]))  # cftime: 0-d object arrays
        time_range = (float(np.min(tt)), float(np.max(tt)))
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
    )


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
    choosing = bool(model.physics) and model.physics_weight == AUTO
    passes = satellite_passes(raw) if calibrated else None
    groups = passes if passes is not None else validation_blocks(table, model.region_)
    choice = interior_groups(groups, table.time) if choosing else None
    run_id = {
        "params": {k: v for k, v in model.get_params().items() if k not in NO_RUN_ID},
        "encoding": model.encoding_config_,
        "variables": model.variables_,
        "mean": model.mean_,
        "std": model.std_,
        "scale_search": model.scale_search_,
        "choices": {"optimizer": model.optimizer_, "members": model.members_},  # a resume takes them (build_network)
    }
    return Prepared(
        x=torch.from_numpy(raw.astype(np.float32)),
        y=torch.from_numpy(np.where(obs, y, 0.0).astype(np.float32)),
        w=None if obs.all() else torch.from_numpy(obs.astype(np.float32)),
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
    per_group = max(1, int(STREAM_GROUP_POINTS // max(1, int(np.median(source.block_sizes)))))
    rank, n_ranks = world
    n_train = n_points // n_ranks  # valid points: the same step count on every rank
    if n_ranks > 1:  # torchrun: each rank streams its own share of the training blocks
        if len(train_ids) < n_ranks:
            raise ValueError(f"{len(train_ids)} training blocks cannot be shared by {n_ranks} ranks; use smaller chunks.")
        train_ids = train_ids[rank::n_ranks]
    stream = _stream.BatchStream(
        lambda ids: arrays(source.load(ids)), train_ids, batch_size=max(1, batch_size(model) // n_ranks),
        blocks_per_group=per_group, seed=model.seed, device=device,
    )
    return Prepared(
        x=torch.from_numpy(xv), y=torch.from_numpy(yv), w=None if wv is None else torch.from_numpy(wv),
        stream=stream, n_stream=n_train,
        run_id={"params": {k2: v for k2, v in model.get_params().items() if k2 not in NO_RUN_ID}},
        streamed={"blocks": source.n_blocks, "validation_blocks": int(n_val), "blocks_per_group": per_group},
    )


def physics_frame(model) -> PhysicsFrame:
    """What the residual losses need to know of a model's data."""
    return PhysicsFrame(
        region=model.region_, time_range=model.time_range_, min_wavelength_km=model.encoding_config_["min_wavelength"],
        variables=model.variables_, units=[model.variable_attrs_.get(v, {}).get("units") for v in model.variables_],
        mean=model.mean_, std=model.std_, rossby_radius_km=model.rossby_radius, mass_constraint=model.mass_constraint,
    )


def model_physics_loss(model, device):
    """The weighted residual loss of a model's ``physics=`` terms (a closure over fresh collocation points)."""
    return physics_loss(model.field_, model.physics, physics_frame(model), weight=model.physics_weight_,
                        n_collocation=model.n_collocation, seed=model.seed, device=device)


def train(model, prep: Prepared, cfg: TrainConfig, device, *, checkpoint=None, checkpoint_every=60.0, resume=None,
          optimizer_state=None):
    """Run the training loop on a prepared set; returns the trainer and its result.

    ``optimizer_state``: Adam's state from the run this one goes on from (same network).
    """
    if checkpoint is not None:  # a bad path fails now, not at the first check (which would lose the training)
        check_writable(checkpoint)
        if cfg.seed is None and cfg.validation > 0 and prep.stream is None:
            warnings.warn(f"checkpoint={str(checkpoint)!r} with seed=None: resuming draws other held-out points, so "
                          "this checkpoint cannot be resumed; give a seed (seed=0, the default) to resume it.",
                          UserWarning, stacklevel=4)
    extra = model_physics_loss(model, device) if model.physics and model.physics_weight_ else None
    trainer = Trainer(model.field_, prep.x, prep.y, prep.w, cfg, device, groups=prep.groups, extra_loss=extra,
                      stream=prep.stream, n_stream=prep.n_stream)
    if resume is not None:
        # a checkpoint written before run records held the fit's "choices" is compared without them
        older = "choices" not in checkpoint_extra(resume)
        trainer.load_checkpoint(resume, extra={k: v for k, v in prep.run_id.items() if not (older and k == "choices")})
    if optimizer_state is not None:
        trainer.opt.load_state_dict(optimizer_state)
    clock = _cpu_load.start(torch.get_num_threads()) if str(device).startswith("cpu") and prep.stream is None else None
    try:
        result = trainer.run(checkpoint=checkpoint, checkpoint_every=checkpoint_every, checkpoint_extra=prep.run_id)
    finally:
        if prep.stream is not None:
            prep.stream.close()
    model._cpu_tally = _cpu_load.stop(clock, getattr(model, "_cpu_tally", None))  # what other processes took
    return trainer, result


def fit_field(model, prep: Prepared, cfg: TrainConfig, device, *, checkpoint=None, checkpoint_every=60.0, resume=None):
    """Train ``field_``: one run, or (``physics_weight="auto"``) one per candidate weight, keeping the better;
    then, in the time early stopping left, further networks averaged with it (:mod:`geoinr.model.members`)."""
    model.fill_members_ = None
    model._cpu_tally = [0.0, 0.0, 0.0]  # other processes' CPU seconds, the CPUs' seconds, wall seconds (training)
    if resolve_physics_weight(model, prep, checkpoint, resume):
        model_physics_loss(model, device)  # a residual that cannot apply here fails now, not after a candidate fit
        # records of large_record's size, gridded or not (the choice itself happens only for data in memory)
        cap = FIRST_CAP if model.n_points_ >= WIDE_RECORD_POINTS else None
        return fit_choosing_weight(model, prep, cfg, device, train, first_cap=cap)
    if model.physics and model.members_ > 1 and model.n_members is None and model.uncertainty is None:
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
def read_observations(model, data, values, variables, lat, lon, time, resume, checkpoint=None):
    """Observations: an in-memory table, or a description of dask-backed data to stream.

    What dask-backed data cannot do is refused (or, for ``checkpoint``, warned about) here,
    before the dask pass over them.
    """
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
            f".load() and fit with checkpoint= again.", UserWarning, stacklevel=_coords.user_stacklevel(),
        )
    obs = _observations.read(data, variables, values=values, lat=lat, lon=lon, time=time, lazy=lazy)
    if obs.table is not None and len(obs.table) == 0:
        raise ValueError(
            f"No finite values to fit: every value of {', '.join(obs.variables)} is NaN "
            f"(or lies at a NaN coordinate), or the input is empty. Check the variable and any masking/fill values."
        )
    return obs


def learn_frame(model, obs) -> Frame:
    """Set the model's description of the data (names, normalisation, region, time span, point count)."""
    if obs.table is not None:
        frame = frame_in_memory(obs.table)
        _observations.warn_duplicates(obs.table)
        for v, s in zip(obs.variables, frame.std):
            if not s > 0:
                warnings.warn(f"Variable {v!r} is constant; predictions of it are that constant.", UserWarning, stacklevel=4)
    else:
        frame = frame_streamed(obs, model.seed)
        lo, hi = frame.lon_extremes
        obs.lon_convention = _observations.lon_convention(lo, hi)
    for v, m, s in zip(obs.variables, frame.mean, frame.std):
        if not (np.isfinite(m) and np.isfinite(s)):
            raise ValueError(
                f"Variable {v!r} has mean {m:.6g} and standard deviation {s:.6g}: its values cannot be normalised. "
                f"Check it for huge or undeclared fill values and mask them (ds[{v!r}].where(...)) before fitting."
            )
    model._set_frame(obs, frame.region, frame.time_range)
    model.mean_ = [float(m) for m in frame.mean]
    model.std_ = [float(s) if s > 0 else 0.0 for s in frame.std]  # 0: a constant, predicted exactly
    model.n_points_ = frame.n_points
    # "auto" holds nothing out of grids (blocks would be holes in the map), nor for L-BFGS (no early stopping)
    model.validation_ = validation_fraction(model.validation, obs.gridded or model.optimizer == "lbfgs",
                                            model._strategy().calibrated)
    return frame


def build_network(model, obs, streamed: bool, device, checkpointed: bool = False, share: float = 1.0,
                  resume=None) -> None:
    """Build ``field_``; choose ``optimizer_`` and ``members_`` (rebuilt as a mean of networks when chosen so).

    Under a time budget, ``"auto"`` takes L-BFGS, and then four networks, only where the budget
    affords at least :data:`MIN_LBFGS_EVALUATIONS` full-batch evaluations of them, timed here on
    a sample of the points: a few hundred evaluations leave L-BFGS short of convergence, behind
    Adam (``benchmarks/RESULTS.md``, grid sizes). On scattered points three networks are trained
    together where one affords :data:`MEMBER_EPOCHS` epochs each (:func:`shares_budget`) in the precision the
    fit trains in (``precision="auto"``: chosen first, from the same timed passes of one network), except
    for a ``checkpointed`` fit (checkpoint or resume): a resumed run would time its pass anew and
    could choose another number of networks than its checkpoint holds. ``share``: the part of ``max_time`` left
    to the fit (two thirds after ``min_wavelength="search"``), which the timed passes are weighed against.
    A resumed fit (``resume=``) takes the optimizer and number of networks its checkpoint was written with
    (``"choices"`` of its run record): timed anew on a busier or slower machine they could differ.
    """
    model.members_ = None  # until chosen: n_members as given
    encoding = CoordinateEncoding(**model.encoding_config_)
    model.network_options_ = network_options(model, obs, streamed, encoding)
    model.network_size_ = network_size(model, obs, streamed)
    model._build(encoding, len(model.variables_))
    model.optimizer_ = choose_optimizer(model, obs, streamed)
    recorded = checkpoint_extra(resume).get("choices") if resume is not None else None
    if recorded:
        model.optimizer_, model.members_ = recorded["optimizer"], int(recorded["members"])
        if model.members_ > 1:
            model._build(encoding, len(model.variables_))
        model.precision_ = choose_precision(model, obs, streamed, device)
        return
    timed = model.optimizer == "auto" and model.optimizer_ == "lbfgs" and model.max_time is not None
    if timed and _affordable_evaluations(model, obs.table, device) * share < MIN_LBFGS_EVALUATIONS:
        model.optimizer_ = "adam"
    model.members_ = choose_members(model, obs)
    passes = {}  # one network's timed pass in each precision, timed once for both choices below
    if model.members_ == 1 and not checkpointed and not _prunes(model) and shares_budget(model, obs, streamed):
        precision = choose_precision(model, obs, streamed, device, passes)  # the epochs the fit will run at
        if _affordable_epochs(model, obs.table, device, precision, passes) * share >= SCATTERED_MEMBERS * MEMBER_EPOCHS:
            model.members_ = SCATTERED_MEMBERS
    if model.members_ > 1 and model.n_members is None and model.uncertainty is None:
        model._build(encoding, len(model.variables_))
        if timed and _affordable_evaluations(model, obs.table, device) * share < MIN_LBFGS_EVALUATIONS:
            model.members_ = 1
            model._build(encoding, len(model.variables_))
    model.precision_ = choose_precision(model, obs, streamed, device, passes)


def large_record(model, obs, streamed: bool, models=("siren",)) -> bool:
    """Whether this is a fit of one of ``models`` to a large record of scattered points in memory.

    At least :data:`WIDE_RECORD_POINTS` points, not a grid, not streamed from dask: the records
    that get :data:`WIDE_WIDTH` units (:func:`network_size`, the SIREN) and TUNER
    (:func:`network_options`, :data:`TUNER_MODELS`).

    Examples
    --------
    >>> import geoinr
    >>> obs = type("Observations", (), {"gridded": False})()
    >>> model = geoinr.INRModel("modulated_siren")
    >>> model.n_points_ = 120_000
    >>> large_record(model, obs, streamed=False), large_record(model, obs, False, models=TUNER_MODELS)
    (False, True)
    """
    # a scale search's candidate (fitted on the record less its held-out groups) counts the whole record, so that it
    # is the network the fit after the search builds (``_record_points``, set by geoinr.model.scale_search)
    points = max(model.n_points_, getattr(model, "_record_points", 0))
    gridded = obs.gridded or getattr(model, "_record_gridded", False)  # its candidates are fitted from columns
    return model.model in models and points >= WIDE_RECORD_POINTS and not gridded and not streamed


def network_options(model, obs, streamed: bool, encoding: CoordinateEncoding) -> dict:
    """The network's option defaults for this record (``network_options_``; ``model_options`` win).

    :func:`geoinr.nn.option_defaults`, except for the SIREN models and NIF (:data:`TUNER_MODELS`; NIF's
    ShapeNet, a SIREN of space in its default ``variant="last_layer"``) on a
    :func:`large_record` whose encoded time span fits TUNER's time lattice (at most half of
    :data:`~geoinr.nn.TUNER_TIME_PERIOD`: months over a basin span about one unit; years over a
    small box can exceed it): ``init="tuner"`` (:data:`LARGE_RECORD_INIT`). Months of along-track
    data leave wide gaps between tracks that a SIREN's random first layer fills with structure the
    data never showed; TUNER's frequency lattice and bounded hidden weights keep what its hidden
    layers generate band-limited.

    Examples
    --------
    >>> import numpy as np, geoinr
    >>> from geoinr.encoding import CoordinateEncoding
    >>> days = np.array([0.0, 90.0])  # three months over a 40 x 16 deg box
    >>> obs = type("Observations", (), {"gridded": False, "table": type("PointTable", (), {"time": days})()})()
    >>> enc = CoordinateEncoding.from_points(np.array([[0.0, 30.0, 0.0], [40.0, 46.0, 90.0]]), min_wavelength=150.0,
    ...                                      min_period=10.0)
    >>> model = geoinr.INRModel()
    >>> model.n_points_ = 120_000
    >>> network_options(model, obs, False, enc)["init"], network_options(model, obs, True, enc)["init"]
    ('tuner', 'siren')
    """
    options = option_defaults(model.model)
    # NIF's "full" variant generates ShapeNet's weights from time: no SIREN to initialise (the others have no variant)
    variant = (model.model_options or {}).get("variant", options.get("variant", "last_layer"))
    if (large_record(model, obs, streamed, models=TUNER_MODELS) and variant == "last_layer"
            and _encoded_time_span(encoding, obs.table.time) <= TUNER_TIME_PERIOD / 2):
        options["init"] = LARGE_RECORD_INIT
    return options


def _encoded_time_span(encoding: CoordinateEncoding, days) -> float:
    """The widest change of an encoded time feature from the record's first day to its last (0 without time).

    The range over the record for the monotonic encodings (linear, tanh); the bounded periodic ones
    (sinusoidal, fourier) stay within 2, far inside TUNER's time lattice either way.
    """
    if encoding.time is None or days is None or len(days) == 0:
        return 0.0
    ends = torch.tensor([float(np.nanmin(days)), float(np.nanmax(days))], dtype=torch.float32)
    with torch.no_grad():
        encoded = encoding.time(ends).reshape(2, -1)
    return float((encoded[1] - encoded[0]).abs().max())


def network_size(model, obs, streamed: bool) -> dict:
    """The network's default ``width`` and ``depth`` for this record (``network_size_``; given ones win).

    :func:`geoinr.nn.size_defaults`, except for the SIREN on a large record of scattered points
    in memory (at least :data:`WIDE_RECORD_POINTS`): :data:`WIDE_WIDTH` units per layer. Months
    of along-track data over a basin hold more structure than 256 units resolve in the budget.

    Examples
    --------
    >>> import geoinr
    >>> obs = type("Observations", (), {"gridded": False})()
    >>> model = geoinr.INRModel()
    >>> model.n_points_ = 120_000
    >>> network_size(model, obs, streamed=False), network_size(model, obs, streamed=True)
    ({'width': 512, 'depth': 3}, {'width': 256, 'depth': 3})
    """
    size = size_defaults(model.model)
    if large_record(model, obs, streamed):
        size["width"] = max(size["width"], WIDE_WIDTH)
    return size


def _affordable_evaluations(model, table: _coords.PointTable, device) -> float:
    """Full-batch loss evaluations of ``field_`` that L-BFGS's share of ``max_time`` pays for.

    One forward and backward pass is timed on up to :data:`TIMING_POINTS` of the points (after
    a warm-up pass) and scaled to all of them; the gradients are dropped.
    """
    seconds, scale = _pass_seconds(model, table, device, TIMING_POINTS)
    return LBFGS_SHARE * model.max_time / (seconds * scale)


def _pass_seconds(model, table: _coords.PointTable, device, n: int, passes: int = 2, bf16: bool = False):
    """(seconds, all points / points timed) of one forward and backward pass of ``field_`` on up to ``n``
    of the points, spread evenly: the best of the ``passes`` after the first, which warms up allocators
    and kernels. ``bf16``: the forward pass under bfloat16 autocast. The gradients are dropped."""
    raw = table.coordinates()
    sample = raw[:: max(1, len(raw) // n)][:n]
    x = torch.from_numpy(np.ascontiguousarray(sample, dtype=np.float32)).to(device)
    field = model.field_.to(device)
    field.train()
    best = math.inf
    for i in range(passes):
        start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            out = field(x)
        out.float().square().mean().backward()
        if i:
            best = min(best, time.perf_counter() - start)
    field.zero_grad(set_to_none=True)
    field.eval()
    return max(best, 1e-9), len(raw) / len(sample)


def shares_budget(model, obs, streamed: bool) -> bool:
    """Whether a fit may train :data:`SCATTERED_MEMBERS` networks together when the budget affords them.

    Plain fits (:func:`~geoinr.model.members.plain_fit`) of scattered points by Adam under
    ``max_time`` alone, without ``physics=`` or with ``physics_weight="auto"``, whose data-only
    candidate is then the data-only default's networks (its residual's candidate the same number,
    each network with its own residual).

    Examples
    --------
    >>> import geoinr
    >>> obs = type("Observations", (), {"gridded": False})()
    >>> m = geoinr.INRModel(max_time=60.0)
    >>> m.optimizer_ = "adam"
    >>> shares_budget(m, obs, streamed=False), shares_budget(m, obs, streamed=True)
    (True, False)
    """
    return (plain_fit(model, streamed) and not obs.gridded and (not model.physics or model.physics_weight == "auto")
            and getattr(model, "optimizer_", "adam") == "adam" and model.max_time is not None and model.epochs is None)


def _affordable_epochs(model, table: _coords.PointTable, device, precision: str = "float32",
                       passes: dict | None = None) -> float:
    """Epochs of the training points one network of ``field_`` affords in ``max_time``, from a pass timed in
    ``precision`` (the one the fit trains in: bfloat16 affords more epochs where it is faster).

    A forward and backward pass over a batch of the points (:func:`_timed_pass`) is scaled
    to the points trained on (those not held out, ``validation_``).
    """
    seconds, scale = _timed_pass(model, table, device, precision, passes)
    return float(model.max_time) / (seconds * scale * max(1.0 - float(model.validation_), 1e-3))


def choose_members(model, obs) -> int:
    """Networks in the fit: ``n_members``; unset, 5 for ``uncertainty="ensemble"`` and, for plain fits,
    :data:`AUTO_MEMBERS` on grids fitted by L-BFGS (their mean beats any one of them between the points), else 1.
    """
    if model.uncertainty == "bayes_last_layer" or model.mass_constraint == "streamfunction":  # one network
        return 1
    if model.n_members is not None:
        return int(model.n_members)
    if model.uncertainty == "ensemble":
        return ENSEMBLE_MEMBERS
    return AUTO_MEMBERS if obs.gridded and model.optimizer_ == "lbfgs" and model.uncertainty is None else 1


def _prunes(model) -> bool:
    """Whether ``model_options`` asks for ``l1`` pruning, which only a network trained alone applies (``Siren``);
    asked for with networks trained together, ``params.check_params`` refuses it before any data is read."""
    return bool((model.model_options or {}).get("l1"))


def choose_optimizer(model, obs, streamed: bool) -> str:
    """``"adam"`` or ``"lbfgs"`` (Adam, then full-batch L-BFGS) for this fit; see ``INRModel(optimizer=)``.

    ``"auto"`` takes L-BFGS where its loss is deterministic and nothing is held out:
    gridded data of at most :data:`LBFGS_MAX_POINTS` points, no validation, physics,
    uncertainty, weight bound, streaming or ranks, in float32 (:func:`build_network` then
    checks that the time budget pays for enough passes). An explicit ``"lbfgs"`` that
    cannot run says why.
    """
    constrained = bool(constrained_modules(model.field_))
    obstacles = {
        "validation": model.validation_ > 0,
        "physics=": bool(model.physics),
        "uncertainty=": model._strategy().name is not None,
        "TUNER's weight bound": constrained,
        "dask-streamed data": streamed,
        "several ranks (torchrun)": distributed_world()[1] > 1,
    }
    blocking = [name for name, present in obstacles.items() if present]
    if model.optimizer == "lbfgs":
        if blocking:
            raise ValueError(
                f"optimizer='lbfgs' cannot run with {' and '.join(blocking)}: L-BFGS needs the same full-batch loss "
                f"at every evaluation and has no early stopping. Use optimizer='adam' (or 'auto'), or drop "
                f"{blocking[0]}{' (validation=0)' if blocking[0] == 'validation' else ''}."
            )
        return "lbfgs"
    if model.optimizer == "adam":
        return "adam"
    small = model.n_points_ <= LBFGS_MAX_POINTS
    return "lbfgs" if obs.gridded and small and not blocking and model.precision != "bfloat16" else "adam"


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
        model.scale_search_ = checkpoint_extra(resume).get("scale_search")
    else:
        model.scale_search_ = search_scales(model, obs.table, gridded=obs.gridded)
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
    if extent is not None:
        scales = CoordinateEncoding.from_points(coords, **options, min_wavelength=wavelength, min_period=period)
        wavelength, period = scales.min_wavelength, scales.min_period
        coords = np.concatenate([coords, extent])
    encoding = CoordinateEncoding.from_points(coords, **options, min_wavelength=wavelength, min_period=period)
    return encoding.config()


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
            UserWarning, stacklevel=_coords.user_stacklevel(),
        )
    before, every = model.field_, None
    if joined:  # the weights that scored the held-out points, and every point as data after
        before = copy.deepcopy(model.field_)
        before.load_state_dict(trainer.held_out_best)
        every = torch.cat([trainer.train_idx, trainer.val_idx])
    strategy.after_training(before, trainer.train_idx, prep.x, prep.y, prep.w)
    model.calibration_, model.data_distance_ = calibrate_field(
        lambda xb: strategy.standardized(before, xb), before, trainer, prep.x, prep.y, prep.w,
        model.encoding_config_, model.seed, prep.held_out, None if prep.groups is None else prep.groups.numpy(),
        sites=every,
    )
    if joined:
        strategy.after_training(model.field_, every, prep.x, prep.y, prep.w)


PRECISIONS = ("auto", "float32", "bfloat16")
# precision="auto": bfloat16 where a timed step is at least this much faster (AVX512-BF16/AMX CPUs, recent
# GPUs); on the three-month QG basin at 240 s its speed let the budget hold two or three networks (mu 0.826 ->
# 0.835), on the six four-day real boxes at 60 s it moved mu by -0.013 to +0.014, mean +0.001 (benchmarks/RESULTS.md)
BF16_MIN_SPEEDUP = 1.3
HISTORY_COLUMNS = ["epoch", "step", "seconds", "lr", "loss", "val_loss", "physics_loss"]


def check_precision(model) -> str:
    """The precision in force: ``precision_`` once chosen, else ``precision`` (checked against the network)."""
    if model.precision not in PRECISIONS:
        raise ValueError(f"precision={model.precision!r}: choose one of {PRECISIONS}.")
    if model.precision == "bfloat16" and model.model != "siren":
        raise ValueError(
            f"precision='bfloat16' is implemented for model='siren' only (it keeps the layers that see "
            f"positions in float32); model={model.model!r} needs precision='float32' or 'auto'."
        )
    chosen = getattr(model, "precision_", None)
    return chosen or ("float32" if model.precision == "auto" else model.precision)


def choose_precision(model, obs, streamed: bool, device, passes: dict | None = None) -> str:
    """``precision_``: the given one, or for ``"auto"`` bfloat16 where it pays (else float32).

    bfloat16 only for a SIREN fitted by Adam under ``max_time`` on scattered data, and only where
    one timed step on a sample of the points is at least :data:`BF16_MIN_SPEEDUP` times faster than
    in float32: then the budget buys more steps, at a noise of about 1 % of the field's std (grids,
    noise-free, keep float32; so does an ``epochs`` budget, where speed buys nothing). With
    ``uncertainty=`` only the training steps are in bfloat16: the calibration and every prediction of
    a mean and std run in float32. ``passes``: timed passes to reuse and fill (:func:`_timed_pass`).
    """
    if model.precision != "auto":
        return check_precision(model)
    if (model.model != "siren" or model.max_time is None or model.epochs is not None or obs.gridded or streamed
            or model.optimizer_ != "adam"):
        return "float32"
    seconds = {p: _step_seconds(model, obs.table, device, p, passes) for p in ("float32", "bfloat16")}
    return "bfloat16" if seconds["float32"] >= BF16_MIN_SPEEDUP * seconds["bfloat16"] else "float32"


def _step_seconds(model, table: _coords.PointTable, device, precision: str, passes: dict | None = None) -> float:
    """Seconds of one forward and backward pass of ``field_`` on a batch of the points (best of two after a warm-up)."""
    return _timed_pass(model, table, device, precision, passes)[0]


def _timed_pass(model, table: _coords.PointTable, device, precision: str, passes: dict | None = None):
    """:func:`_pass_seconds` of ``field_`` in ``precision`` on a batch of the points (best of two after a warm-up).

    ``passes`` (a dict by precision, or None): a pass already timed there is reused, a new one is
    stored, so that the precision and the number of networks are chosen from the same timing.
    """
    if passes is not None and precision in passes:
        return passes[precision]
    n = min(batch_size(model), TIMING_POINTS)
    timed = _pass_seconds(model, table, device, n, passes=3, bf16=precision == "bfloat16")
    if passes is not None:
        passes[precision] = timed
    return timed


def train_config(model, share: float = 1.0) -> TrainConfig:
    """The training loop's settings from the model's parameters (``share``: of ``max_time`` and ``epochs``).

    The held-out points join the training set for the last :data:`REFIT_SHARE` of the run (with
    ``uncertainty=``, the calibration scores them with the weights of before they joined: :func:`calibrate`).
    """
    return TrainConfig(
        batch_size=batch_size(model), lr=learning_rate(model), epochs=model.epochs, max_time=model.max_time,
        validation=model.validation_, patience=int(model.patience), seed=model.seed,
        progress=bool(model.progress), precision=check_precision(model), extra_every=int(model.physics_every),
        lbfgs_share=LBFGS_SHARE if getattr(model, "optimizer_", "adam") == "lbfgs" else 0.0,
        refit_share=REFIT_SHARE,
    ).part(share)


def batch_size(model) -> int:
    """Points per optimization step: ``batch_size``, or unset, :data:`BATCH_SIZES` of the model (else :data:`DEFAULT_BATCH_SIZE`).

    Examples
    --------
    >>> import geoinr
    >>> [batch_size(geoinr.INRModel(**kw)) for kw in ({}, {"model": "mlp"}, {"model": "mlp", "batch_size": 2048})]
    [4096, 512, 2048]
    """
    return int(model.batch_size) if model.batch_size is not None else BATCH_SIZES.get(model.model, DEFAULT_BATCH_SIZE)


def learning_rate(model) -> float:
    """Adam's peak learning rate: ``lr``, or unset, :data:`LEARNING_RATES` of the model (else :data:`DEFAULT_LR`).

    Examples
    --------
    >>> import geoinr
    >>> [learning_rate(geoinr.INRModel(**kw)) for kw in ({}, {"model": "mlp"}, {"model": "mlp", "lr": 3e-4})]
    [0.0001, 0.001, 0.0003]
    """
    return float(model.lr) if model.lr is not None else LEARNING_RATES.get(model.model, DEFAULT_LR)


def finish(model, result, trainer, device) -> None:
    """Record how training went; raise :class:`TrainingDiverged` (holding the model) if it diverged."""
    # the weights stay on the training device: predictions of large grids run there too
    model.device_ = str(device)
    model.history_ = pd.DataFrame(result.history, columns=HISTORY_COLUMNS)
    model.fit_seconds_ = float(result.seconds)
    model.cpu_contention_ = _cpu_load.share(getattr(model, "_cpu_tally", None))
    model.stop_reason_ = result.stopped
    model.best_val_loss_ = float(result.best_val) if math.isfinite(result.best_val) else None
    model.fitted_at_ = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    steps = int(model.history_["step"].max()) if len(model.history_) else 0
    busy = _cpu_load.busy_note(model.cpu_contention_)
    # a budget of steps (epochs) is only slower, a budget of time worse; a scale search's candidates stay quiet
    if busy and model.max_time is not None and not hasattr(model, "_record_points"):
        warnings.warn(f"This fit made {steps:,} steps in {model.fit_seconds_:.0f} s: {busy}.", UserWarning,
                      stacklevel=_coords.user_stacklevel())
    if (model.best_val_loss_ is not None and model.best_val_loss_ > NO_SKILL_LOSS and result.stopped != "diverged"
            and steps >= NO_SKILL_MIN_STEPS):
        warnings.warn(
            f"The fit's best held-out loss is {model.best_val_loss_:.3g} (standardized MSE): its map is further from "
            f"the held-out observations than the data's mean ({NO_SKILL_LOSS:g}), so it has no skill between them. "
            f"The record is probably too sparse for one map of this region and time (one satellite's day over the "
            f"globe, say): fit a smaller region or a longer record, give larger scales (min_wavelength=, "
            f"min_period=), or a longer budget (max_time=, epochs=).", UserWarning, stacklevel=_coords.user_stacklevel())
    if result.stopped == "diverged":
        raise TrainingDiverged(
            f"Training diverged: the loss was non-finite {trainer.failures} times despite roll-backs and "
            f"halving the learning rate. The model with the best weights reached before is in err.model. "
            f"Try a smaller lr= (now {learning_rate(model):g}) or check the data for extreme values.",
            model=model,
        )
