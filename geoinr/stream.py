"""Out-of-core training data: blocks of a dask-backed Dataset -> shuffled mini-batches.

:class:`BlockSource` cuts a dask-backed xarray object (``xr.open_mfdataset`` of many
along-track files, ``xr.open_zarr`` of a model run) along its dask chunks and loads
any subset of blocks as a :class:`~geoinr.coords.PointTable`. :class:`BatchStream`
draws random groups of blocks in a background thread, concatenates and shuffles
their points, and hands out mini-batches as torch tensors. At most
``prefetch + 1`` groups are in memory at any time, so memory is bounded by
``blocks_per_group x chunk size``, not by the data set.

Shuffling is two-level (random blocks, then random points within a group of
blocks), as in streaming loaders for large tabular data; with several blocks per
group, consecutive batches mix points from distant times and tracks.
"""
from __future__ import annotations

import itertools
import math
import queue
import threading
from typing import Callable, Hashable, Sequence

import numpy as np
import torch
import xarray as xr

from . import coords as _coords
from .observations import is_lazy  # noqa: F401  (what decides streaming; torch-free)

__all__ = ["BlockSource", "BatchStream", "EmptyStream", "is_lazy"]


class BlockSource:
    """The blocks (dask chunks) of the variables to fit, loadable one group at a time.

    Parameters
    ----------
    obj : xarray.Dataset or xarray.DataArray
        Dask-backed data. Of a Dataset, only the variables to fit and the coordinates
        (lat, lon and time among them, data variables or not) are read.
    variables : list
        Data variables to fit (``[None]`` for a DataArray).
    names : geoinr.coords.CoordNames
    time_axis : geoinr.coords.TimeAxis or None
        Fixed for all blocks, so every block's times are in the same units.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from geoinr.coords import CoordNames
    >>> ds = xr.Dataset({"sla": ("obs", np.arange(10.0))},
    ...                 coords={"lat": ("obs", np.linspace(40, 41, 10)), "lon": ("obs", np.linspace(0, 1, 10))})
    >>> src = BlockSource(ds.chunk({"obs": 4}), ["sla"], CoordNames("lat", "lon"), None)
    >>> src.n_blocks, len(src.load([0, 2]))
    (3, 6)
    >>> src.counts(src.obj.sla > 2).compute().tolist()  # points of each block where the mask holds
    [1, 4, 2]
    """

    def __init__(self, obj, variables, names, time_axis):
        self.variables = list(variables)
        if isinstance(obj, xr.Dataset):  # a block load computes the fitted variables and coordinates, nothing else
            given = [n for n in (names.lat, names.lon, names.time) if n is not None and n in obj.data_vars]
            obj = obj[list(dict.fromkeys(self.variables + given))]
        self.obj = obj
        self.names = names
        self.time_axis = time_axis
        first = obj if isinstance(obj, xr.DataArray) else obj[self.variables[0]]
        if first.chunks is None:
            first = first.chunk()
        self.dims = first.dims
        self.chunks = first.chunks
        edges = []
        for dim, sizes in zip(first.dims, first.chunks):
            bounds = np.concatenate([[0], np.cumsum(sizes)])
            edges.append([slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])])
        self.blocks = [dict(zip(first.dims, combo)) for combo in itertools.product(*edges)]
        self.block_sizes = np.array([int(np.prod([s.stop - s.start for s in b.values()])) for b in self.blocks])

    @property
    def n_blocks(self) -> int:
        return len(self.blocks)

    def counts(self, mask: xr.DataArray):
        """Lazily, the ``True`` points of ``mask`` in each block: a dask array, one count per block in block order.

        ``mask`` spans the blocks' dimensions (any others are summed over); it is
        rechunked to the blocks first.
        """
        extra = [d for d in mask.dims if d not in self.dims]
        mask = mask.transpose(*self.dims, *extra).chunk({**dict(zip(self.dims, self.chunks)), **{d: -1 for d in extra}})
        data = mask.data
        per_block = data.map_blocks(lambda b: np.full((1,) * b.ndim, np.count_nonzero(b)),
                                    chunks=tuple((1,) * len(c) for c in data.chunks), dtype=np.int64)
        return per_block.ravel()

    def load(self, ids: Sequence[int]) -> _coords.PointTable:
        """Compute the blocks ``ids`` and flatten them into one table (NaN rows dropped)."""
        tables = []
        for i in ids:
            part = self.obj.isel(self.blocks[int(i)]).compute()
            table, _ = _coords.points_from_xarray(part, self.variables, self.names, self.time_axis)
            tables.append(table)
        return concat_tables(tables, self.time_axis is not None)


def concat_tables(tables, has_time: bool) -> _coords.PointTable:
    """One :class:`~geoinr.coords.PointTable` from several (same variables)."""
    return _coords.PointTable(
        lon=np.concatenate([t.lon for t in tables]),
        lat=np.concatenate([t.lat for t in tables]),
        time=np.concatenate([t.time for t in tables]) if has_time else None,
        values=np.concatenate([t.values for t in tables]),
    )


class EmptyStream(ValueError):
    """A whole pass over the training blocks gave no observation to train on."""


class BatchStream:
    """Endless shuffled mini-batches from groups of blocks, prepared in a background thread.

    The thread starts when the first batch is asked for, and :meth:`close` stops it.

    Parameters
    ----------
    load : callable
        ``load(block_ids) -> (x, y, w)`` numpy arrays: raw coordinates ``(n, d)``,
        standardized values ``(n, k)`` and observation weights ``(n, k)`` or None.
    blocks : sequence of int
        The block ids to draw from (the training blocks).
    batch_size : int
    blocks_per_group : int
        Blocks read, concatenated and shuffled together.
    share : float
        Of each group's points, the random share trained on in one pass over the blocks (a fresh draw each
        pass): with blocks larger than a group should be, a pass still visits every block, so that a time
        budget shorter than an epoch trains on the whole region, not on the few blocks it reached.
    prefetch : int
        Groups prepared ahead (the queue's size): memory holds at most
        ``prefetch + 1`` groups.
    seed : int or None
    device : torch.device

    Examples
    --------
    >>> import numpy as np, torch
    >>> data = {i: (np.full((5, 2), i, np.float32), np.full((5, 1), i, np.float32), None) for i in range(4)}
    >>> def load(ids):
    ...     return tuple(np.concatenate([data[i][j] for i in ids]) if j < 2 else None for j in range(3))
    >>> stream = BatchStream(load, range(4), batch_size=4, blocks_per_group=2, seed=0)
    >>> x, y, w = next(iter(stream))
    >>> x.shape, y.shape, w is None
    (torch.Size([4, 2]), torch.Size([4, 1]), True)
    >>> stream.close()
    """

    def __init__(
        self,
        load: Callable,
        blocks: Sequence[int],
        batch_size: int,
        blocks_per_group: int = 4,
        share: float = 1.0,
        prefetch: int = 2,
        seed: int | None = 0,
        device: torch.device | str = "cpu",
    ):
        self.load = load
        self.blocks = np.asarray(list(blocks), dtype=np.int64)
        if self.blocks.size == 0:
            raise ValueError("BatchStream needs at least one block to draw from.")
        self.batch_size = int(batch_size)
        self.per_group = max(1, int(blocks_per_group))
        if not 0.0 < float(share) <= 1.0:
            raise ValueError(f"share must be in (0, 1], got {share}.")
        self.share = float(share)
        #: training blocks whose points reached a batch (the training's coverage, read after it)
        self.seen: set = set()
        self.rng = np.random.default_rng(seed)
        self.device = torch.device(device)
        self.queue: queue.Queue = queue.Queue(maxsize=max(1, int(prefetch)))
        self.stop = threading.Event()
        self.error: BaseException | None = None
        # started by the first batch asked for: a stream dropped before training leaves no thread behind
        self.thread = threading.Thread(target=self._produce, name="geoinr-batch-stream", daemon=True)

    def _groups(self):
        while True:  # one pass over the blocks in random order = one epoch of the data
            order = self.rng.permutation(self.blocks)
            for s in range(0, order.size, self.per_group):
                yield order[s : s + self.per_group], s + self.per_group >= order.size

    def _produce(self):
        try:
            points = 0  # in this pass over the blocks
            for ids, last in self._groups():
                if self.stop.is_set():
                    return
                x, y, w = self.load(ids)
                points += x.shape[0]
                if last and points == 0:  # a whole pass gave nothing: it never will (no silent endless loop)
                    raise EmptyStream(
                        f"The {self.blocks.size} training block(s) hold no valid observation (all missing); the data "
                        f"may sit only in the held-out validation blocks. Use smaller chunks, validation=0, or check "
                        f"the data's mask."
                    )
                points = 0 if last else points
                perm = self.rng.permutation(x.shape[0])
                if self.share < 1.0:  # this pass's share of the group (at least one point of a non-empty one)
                    perm = perm[: max(1, math.ceil(self.share * x.shape[0]))] if x.shape[0] else perm
                group = (x[perm], y[perm], None if w is None else w[perm], ids)
                while not self.stop.is_set():
                    try:
                        self.queue.put(group, timeout=0.1)
                        break
                    except queue.Full:
                        continue
        except BaseException as err:  # surfaced in the training thread by __iter__
            self.error = err
            self.queue.put(None)

    def __iter__(self):
        """Batches ``(x, y, w)`` as float32 tensors on ``device``; a short last batch ends each group."""
        if self.thread.ident is None:
            self.thread.start()
        while True:
            group = self.queue.get()
            if group is None:
                if isinstance(self.error, (EmptyStream, OSError, MemoryError)):  # the reader's own, for callers
                    raise self.error  # that catch them (a review: all came as RuntimeError)
                raise RuntimeError(f"reading the training data failed: {self.error!r}") from self.error
            x, y, w, ids = group
            for s in range(0, x.shape[0], self.batch_size):
                sl = slice(s, s + self.batch_size)
                yield (
                    torch.from_numpy(np.ascontiguousarray(x[sl], dtype=np.float32)).to(self.device),
                    torch.from_numpy(np.ascontiguousarray(y[sl], dtype=np.float32)).to(self.device),
                    None if w is None else torch.from_numpy(np.ascontiguousarray(w[sl], dtype=np.float32)).to(self.device),
                )
                if s == 0:  # the group's first batch was trained on (the next one is asked for)
                    self.seen.update(int(i) for i in ids)

    def close(self) -> None:
        """Stop the background thread, if started (it finishes the block it is reading)."""
        self.stop.set()
        try:
            while True:
                self.queue.get_nowait()
        except queue.Empty:
            pass
        if self.thread.ident is not None:
            self.thread.join(timeout=10.0)
