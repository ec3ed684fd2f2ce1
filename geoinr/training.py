"""The training loop: mini-batches on the device, warm-up + cosine schedule, early stopping (and
a last part on every point), roll-back on divergence, atomic checkpoints and exact resume.

Everything here works on torch tensors; xarray stays in :mod:`geoinr.model`.
Mini-batches are drawn by a random permutation of indices of tensors that
already live on the device -- no ``DataLoader`` over single points, which is
about two orders of magnitude slower for coordinate data.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import math
import threading
import time
import warnings

import torch
from torch import nn

from .frames import GeoinrRuntimeWarning, GeoinrWarning, progress_bar, user_stacklevel
from .persistence import (BadField, array, integer, mapping, number, parse_json, plain, read_header,
                          read_safetensors, reading, write_safetensors_atomic)

__all__ = [
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "Trainer",
    "resolve_device",
    "own_torch_state",
    "train",
    "distributed_world",
    "setup_distributed",
    "shared_seed",
    "agree",
    "sum_over_ranks",
    "constrained_modules",
    "weights_finite",
]

CHECKPOINT_FORMAT = "geoinr-checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_HINT = "Delete it and fit anew without resume=."
CHECKPOINT_STATE = ("step", "epoch", "next_batch", "best_val", "since_best", "failures", "lr_scale", "history",
                    "elapsed", "param_groups", "fingerprint")


class TrainingDiverged(RuntimeError):
    """Training kept producing non-finite losses; ``.model`` holds the best model reached before."""

    def __init__(self, message, model=None):
        super().__init__(message)
        self.model = model


def distributed_world() -> tuple[int, int]:
    """``(rank, world_size)`` of an initialized ``torch.distributed`` process group, else ``(0, 1)``.

    Examples
    --------
    >>> distributed_world()
    (0, 1)
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def setup_distributed(device: torch.device) -> torch.device:
    """Join the ``torchrun`` process group if this process was launched by it; returns the rank's device.

    Under ``torchrun`` (environment ``WORLD_SIZE`` > 1) the group is initialized here if the
    script has not done it (NCCL on GPUs, gloo on CPUs), and a CUDA device becomes
    ``cuda:LOCAL_RANK``. Outside torchrun nothing happens.

    Examples
    --------
    >>> setup_distributed(torch.device("cpu"))  # not launched by torchrun: unchanged
    device(type='cpu')
    """
    import os

    import torch.distributed as dist

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 and not (dist.is_available() and dist.is_initialized()):
        return device
    if device.type == "cuda":  # the rank's GPU is the current one: NCCL's collectives run on it
        if device.index is None:
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def _all_reduce(values, op="sum"):
    """All-reduce a list of floats across the process group (float64 on the CPU or the rank's GPU)."""
    import torch.distributed as dist

    backend = dist.get_backend()
    dev = torch.device("cuda", torch.cuda.current_device()) if backend == "nccl" else torch.device("cpu")
    t = torch.tensor(values, dtype=torch.float64, device=dev)
    dist.all_reduce(t, op=dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.SUM)
    return t.tolist()


def shared_seed(seed: int | None) -> int:
    """``seed``, or for None a random seed that every rank shares.

    Under torchrun every rank must hold out the same points and read the same sample; a seed drawn
    on each rank would differ, so the ranks take the largest of their draws (below 2**52: exact
    through a float64 all-reduce).

    Examples
    --------
    >>> shared_seed(3), shared_seed(None) != shared_seed(None)
    (3, True)
    """
    if seed is not None:
        return int(seed)
    drawn = float(torch.Generator().seed() % 2**52)
    if distributed_world()[1] > 1:
        (drawn,) = _all_reduce([drawn], op="max")
    return int(drawn)


def agree(value):
    """Rank 0's ``value`` on every rank under torchrun (``value`` itself in one process).

    Choices a fit makes from timings (the precision) or from a random draw must be the same on every
    rank, or the ranks would train different networks under one ``DistributedDataParallel``. ``value``:
    a small picklable object (a string, a dict of numbers), sent by ``torch.distributed`` between the
    ranks of one job only (nothing is written to disk).

    Examples
    --------
    >>> agree({"precision": "float32"})
    {'precision': 'float32'}
    """
    if distributed_world()[1] == 1:
        return value
    import torch.distributed as dist

    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def sum_over_ranks(values: list) -> list:
    """``values`` (floats) summed over the ranks under torchrun; themselves in one process.

    Each rank scores its own share of the held-out points: counts and sums pooled this way give every
    rank the scores of all of them. Every rank must call it, with lists of one length.

    Examples
    --------
    >>> sum_over_ranks([2.0, 3.0])
    [2.0, 3.0]
    """
    return _all_reduce(list(values)) if distributed_world()[1] > 1 else list(values)


def _generator(seed: int | None) -> torch.Generator:
    """The generator of the held-out split and the batch order: ``seed``, or a random seed every rank shares
    (:func:`shared_seed`).

    Examples
    --------
    >>> _generator(3).initial_seed(), _generator(None).initial_seed() != _generator(None).initial_seed()
    (3, True)
    """
    return torch.Generator().manual_seed(shared_seed(seed))


@contextlib.contextmanager
def own_torch_state(dtype: bool = True):
    """geoinr's torch state for a fit, a derivation or a model's build, whatever its caller's: tensors float32 by
    default (``dtype``; process-wide, so not for evaluation, which needs it not), gradients on, outside inference
    mode, and no autocast but geoinr's own (``precision``), which its forward passes set inside. Restored on
    leaving, however it is left.

    A review: ``torch.set_default_dtype(torch.float64)`` built float64 networks that float32 inputs could not pass
    (fits failed, and loaded models' predictions); ``fit`` and ``derive`` inside ``torch.no_grad()`` raised "element 0
    of tensors does not require grad"; a caller's ``torch.autocast`` ran a float32 fit's validation and L-BFGS steps,
    and ``derive``, in bfloat16.

    Parameters
    ----------
    dtype : bool
        Set the default dtype to float32 inside (fits and builds); False leaves it alone (evaluation).

    Examples
    --------
    >>> import torch
    >>> torch.set_default_dtype(torch.float64)
    >>> with torch.no_grad(), own_torch_state():
    ...     torch.get_default_dtype(), torch.is_grad_enabled()
    (torch.float32, True)
    >>> torch.get_default_dtype(), torch.is_grad_enabled()
    (torch.float64, True)
    >>> torch.set_default_dtype(torch.float32)
    """
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch.inference_mode(False))
        stack.enter_context(torch.enable_grad())
        stack.enter_context(torch.autocast("cpu", enabled=False))
        if torch.cuda.is_available():
            stack.enter_context(torch.autocast("cuda", enabled=False))
        if dtype:
            _float32_enter()
            stack.callback(_float32_leave)
        yield


# The default dtype is process-wide: fits in several threads share one float32 default, set by the first to enter
# and the caller's restored by the last to leave (each restoring its own gave a fit still running float64 weights:
# "mat1 and mat2 must have the same dtype", a review)
_FLOAT32_LOCK = threading.Lock()
_FLOAT32_USERS = {"count": 0, "before": None}


def _float32_enter() -> None:
    with _FLOAT32_LOCK:
        if _FLOAT32_USERS["count"] == 0:
            _FLOAT32_USERS["before"] = torch.get_default_dtype()
        _FLOAT32_USERS["count"] += 1
        torch.set_default_dtype(torch.float32)


def _float32_leave() -> None:
    with _FLOAT32_LOCK:
        _FLOAT32_USERS["count"] -= 1
        if _FLOAT32_USERS["count"] == 0 and _FLOAT32_USERS["before"] is not None:
            torch.set_default_dtype(_FLOAT32_USERS["before"])


def resolve_device(device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else is passed to ``torch.device``.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device={device!r} is not a device torch knows; pass 'auto', 'cpu' or 'cuda'.") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for but no CUDA GPU is available here; pass device='auto' or "
                         f"'cpu'.")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"device={device!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s), numbered from "
                         f"0; pass device='cuda' (the current one) or an index below that.")
    if dev.type != "cpu":  # mps, xpu, xla, meta...: torch parses them; a machine without them fails deep in training
        try:
            torch.empty(1, device=dev).sum().item()
        except Exception as err:  # (RuntimeError, AssertionError, ModuleNotFoundError, NotImplementedError...)
            raise ValueError(f"device={device!r} does not work on this machine ({type(err).__name__}: {err}); pass "
                             f"device='auto', 'cpu' or 'cuda'.") from None
    return dev


LBFGS_ITERATIONS = 10  # L-BFGS iterations per optimizer.step call (the budget is checked at each loss evaluation)
LBFGS_HISTORY = 50  # curvature pairs L-BFGS keeps
FULL_BATCH_CHUNK = 65536  # points per forward/backward pass of a full-batch loss
# held-out points a validation check scores (a fixed random sample of them beyond this; the mean square of 65,536
# points is known to about 1 %). Two million points' 200,000 held out took 5-13 s a check, which a time
# budget cannot stop: a 15 s fit ran 17-19 s (2026-12-07, ninth session)
VALIDATION_CHECK_MAX = 65536


def constrained_modules(net: nn.Module) -> list:
    """Modules of ``net`` whose ``constrain_()`` changes weights after a step (TUNER's bound, ``l1``).

    The training loop applies them after every Adam step, and full-batch L-BFGS cannot run with them.

    Examples
    --------
    >>> from geoinr.nn import Siren
    >>> plain, bounded = Siren(3, 1, width=8, depth=2), Siren(3, 1, width=8, depth=2, bound=1.0)
    >>> len(constrained_modules(plain)), len(constrained_modules(bounded))
    (0, 1)
    """
    return [m for m in net.modules() if getattr(m, "constrains_weights", hasattr(m, "constrain_"))]


class _BudgetSpent(Exception):
    """Raised inside the L-BFGS closure when the training budget is spent."""


@dataclasses.dataclass
class TrainConfig:
    """Settings of one training run (see :class:`geoinr.INRModel` for their meaning)."""

    batch_size: int = 4096
    lr: float = 1e-4
    epochs: int | None = None
    max_time: float | None = 60.0
    validation: float = 0.1
    patience: int = 20
    warmup: float = 0.02  # fraction of the budget spent ramping the learning rate up
    final_lr_ratio: float = 0.02  # cosine decay ends at lr * final_lr_ratio
    eval_every: int = 250  # at most this many steps between validation checks
    min_eval_steps: int = 50  # at least this many steps between checks (tiny epochs)
    seed: int | None = 0
    progress: bool = True
    max_failures: int = 5
    precision: str = "float32"  # "bfloat16": autocast the data-loss forward pass (see INRModel)
    extra_every: int = 1  # add extra_loss (physics) every this many steps
    lbfgs_share: float = 0.0  # fraction of the budget for full-batch L-BFGS after Adam (0: Adam only)
    # the part (start, end) of the learning-rate schedule (warm-up, cosine decay) this run's budget spans:
    # a run that goes on from another (physics_weight="auto") takes up the schedule where that one stopped
    schedule: tuple = (0.0, 1.0)
    label: str = "fitting"  # the progress bar's description
    # the last share of the run trains on every point: the held-out points join the training set
    # (0: they stay held out to the end; a calibration or a choice between runs scores them with the weights
    # from before they joined, Trainer.held_out_best). A plateau of the held-out loss before then starts this
    # last part at once (see Trainer)
    refit_share: float = 0.0

    def part(self, share: float) -> "TrainConfig":
        """These settings with ``share`` of the time and epoch budgets (at least one epoch).

        Examples
        --------
        >>> cfg = TrainConfig(epochs=30, max_time=60.0).part(1 / 3)
        >>> cfg.epochs, cfg.max_time
        (10, 20.0)
        """
        return dataclasses.replace(
            self,
            max_time=None if self.max_time is None else self.max_time * share,
            epochs=None if self.epochs is None else max(1, int(round(self.epochs * share))),
        )

    def validate(self) -> None:
        if self.epochs is None and self.max_time is None:
            raise ValueError("Give a training budget: epochs=..., max_time=... (seconds), or both.")
        if self.epochs is not None and self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.max_time is not None and self.max_time <= 0:
            raise ValueError(f"max_time must be > 0 seconds, got {self.max_time}")
        if not 0.0 <= self.validation < 1.0:
            raise ValueError(f"validation must be a fraction in [0, 1), got {self.validation}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not 0.0 <= self.lbfgs_share < 1.0:
            raise ValueError(f"lbfgs_share must be a fraction in [0, 1), got {self.lbfgs_share}")
        if not 0.0 <= self.refit_share < 1.0:
            raise ValueError(f"refit_share must be a fraction in [0, 1), got {self.refit_share}")
        start, end = self.schedule
        if not 0.0 <= start < end <= 1.0:
            raise ValueError(f"schedule must be (start, end) with 0 <= start < end <= 1, got {self.schedule}")


@dataclasses.dataclass
class TrainResult:
    history: list  # one dict per evaluation
    best_val: float
    stopped: str  # why training ended: budget, early_stopping, interrupted, diverged
    seconds: float
    steps: int
    joined_step: int | None = None  # the step from which the held-out points were trained on (refit_share)


def _lr_factor(progress: float, cfg: TrainConfig) -> float:
    if progress < cfg.warmup:
        return max(progress / cfg.warmup, 1e-3)
    p = min(1.0, (progress - cfg.warmup) / max(1e-12, 1.0 - cfg.warmup))
    return cfg.final_lr_ratio + (1.0 - cfg.final_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * p))


def _early_last_part(progress: float, cfg: TrainConfig) -> tuple | None:
    """(progress, length, lr factor) of a last part started by a plateau at ``progress``.

    Its length is in the same proportion to the run so far as ``refit_share`` is to a whole
    run (a third of it for a quarter); the learning rate anneals from its present value to
    the schedule's final one over it (:func:`_lr_at`). None when less than a thousandth of
    the budget would remain (then training stops).

    Examples
    --------
    >>> [round(v, 6) for v in _early_last_part(0.3, TrainConfig(refit_share=0.25))[:2]]
    [0.3, 0.1]
    """
    length = min(progress * cfg.refit_share / (1.0 - cfg.refit_share), 1.0 - progress)
    if length < 1e-3:
        return None
    start, end = cfg.schedule
    return (progress, length, _lr_factor(start + (end - start) * progress, cfg))


def _lr_at(progress: float, cfg: TrainConfig, refit: tuple | None) -> float:
    """Learning-rate factor at ``progress``: the schedule, or a last part's own cosine anneal (:func:`_early_last_part`)."""
    if refit is None:
        start, end = cfg.schedule
        return _lr_factor(start + (end - start) * progress, cfg)
    p0, length, f0 = refit
    q = min(1.0, (progress - p0) / length)
    return cfg.final_lr_ratio + (f0 - cfg.final_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * q))


def weights_finite(net: nn.Module) -> bool:
    """Whether every floating-point parameter of ``net`` is finite (a step can blow weights up behind a finite loss).

    Parameters
    ----------
    net : torch.nn.Module
        Any network (a vmapped ensemble's stacked weights included); buffers are not checked.

    Returns
    -------
    bool
        False if any parameter holds a NaN or an infinity (one device synchronisation).

    Examples
    --------
    >>> net = nn.Linear(2, 1)
    >>> weights_finite(net)
    True
    >>> with torch.no_grad():
    ...     _ = net.bias.fill_(float("nan"))
    >>> weights_finite(net)
    False
    """
    checks = [torch.isfinite(p).all() for p in net.parameters() if p.is_floating_point()]
    return bool(torch.stack(checks).all()) if checks else True  # one device sync


def _check_sample(n_val: int, device) -> torch.Tensor | None:
    """Indices of the held-out points a validation check scores where there are more than
    :data:`VALIDATION_CHECK_MAX`: a fixed random sample, sorted (every k-th fell on the same longitudes of a held-out
    block's rows: a review); None below it."""
    if n_val <= VALIDATION_CHECK_MAX:
        return None
    pick = torch.randperm(n_val, generator=torch.Generator().manual_seed(0))[:VALIDATION_CHECK_MAX]
    return pick.sort().values.to(device)


def per_variable_weights(w: torch.Tensor) -> torch.Tensor:
    """The observed mask ``w`` (n, k) of several variables with each column scaled so that every variable weighs
    alike in the loss, whatever its count (the mean weight of an observed entry stays 1). Pooled by count, a
    variable observed at 5 % of the cells beside one at 60 % had 8 % of the loss and fitted 25-40 % worse jointly
    than alone (a review; 2026-12-07, ninth session). One variable, or variables seen alike: unchanged.

    Parameters
    ----------
    w : torch.Tensor (n, k)
        The observed mask (1 where a variable is observed, 0 where not).

    Returns
    -------
    torch.Tensor (n, k)

    Examples
    --------
    >>> per_variable_weights(torch.tensor([[1.0, 1.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])).tolist()
    [[0.625, 2.5], [0.625, 0.0], [0.625, 0.0], [0.625, 0.0]]
    """
    if w.dim() != 2 or w.shape[1] < 2:
        return w
    counts = w.sum(dim=0)
    seen = counts > 0
    if not bool(seen.any()) or bool((counts[seen] == counts[seen][0]).all()):
        return w
    scale = torch.where(seen, counts.sum() / (seen.sum() * counts.clamp(min=1.0)), torch.zeros_like(counts))
    return w * scale


def _masked_mse(pred: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
    """Mean squared error over observed entries; ``pred`` may carry a leading ensemble axis."""
    d = (pred - y) ** 2
    if d.dim() == 3:  # (members, batch, out): average the members' losses
        d = d.mean(0)
    if w is None:
        return torch.mean(d)
    return torch.sum(w * d) / torch.clamp(torch.sum(w), min=1.0)


def _squared_error_sum(pred: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
    """Sum of (weighted) squared errors of a chunk; an ensemble's ``(members, batch, out)`` is averaged over members."""
    d = (pred - y) ** 2
    d = d.mean(0) if d.dim() == 3 else d
    return torch.sum(w * d) if w is not None else torch.sum(d)


def _split(n: int, cfg: TrainConfig, gen: torch.Generator, groups):
    """Indices of training and validation points (whole blocks if ``groups`` is given; negative labels never held out)."""
    n_val = int(round(cfg.validation * n)) if n >= 20 else 0
    if n_val and groups is not None:
        labels, inverse, counts = torch.unique(groups, return_inverse=True, return_counts=True)
        eligible = int((labels >= 0).sum())
        if eligible >= 5:
            pick = torch.randperm(labels.numel(), generator=gen)
            pick = pick[labels[pick] >= 0]
            chosen = pick[: int(torch.searchsorted(torch.cumsum(counts[pick], 0), n_val)) + 1]
            held = torch.zeros(labels.numel(), dtype=torch.bool)
            held[chosen] = True
            is_val = held[inverse]
            if int(is_val.sum()) < n - 1:
                return torch.nonzero(~is_val).ravel(), torch.nonzero(is_val).ravel()
    order = torch.randperm(n, generator=gen)
    return order[n_val:], order[:n_val]


def _check_param_groups(groups, opt) -> None:
    """The optimizer's settings in a checkpoint: as many groups as ``opt``, over the same parameters, numbers >= 0."""
    mine = opt.state_dict()["param_groups"]
    array(groups, "param_groups", length=len(mine))
    for i, (group, own) in enumerate(zip(groups, mine)):
        name = f"param_groups[{i}]"
        mapping(group, name, required=("params", "lr", "betas", "eps", "weight_decay"))
        if group["params"] != own["params"]:
            raise BadField(f"{name}.params", f"is {str(group['params'])[:60]}, not this optimizer's {own['params']}")
        for key, value in group.items():
            if isinstance(value, list) and key != "params":
                for j, v in enumerate(value):
                    number(v, f"{name}.{key}[{j}]", low=0.0)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                number(value, f"{name}.{key}", low=0.0)
            elif not (value is None or isinstance(value, (bool, str, list))):
                raise BadField(f"{name}.{key}", f"is {repr(value)[:60]}, not an optimizer setting")


def _check_checkpoint_tensors(shapes: dict, net, opt, gen, collocation=()) -> None:
    """Every tensor a resume needs is stored with the shape this run's network, optimizer and generators have
    (``collocation``: the physics terms' point generators, absent from checkpoints written before 2026-12-07)."""
    want = {"gen_state": tuple(gen.get_state().shape)}
    if any(name.startswith("collocation.") for name in shapes):
        want.update({f"collocation.{i}": tuple(g.get_state().shape) for i, g in enumerate(collocation)})
    # "held.": the weights that scored best on the held-out points before they joined (saved once they have)
    prefixes = ("model.", "best.") + (("held.",) if any(name.startswith("held.") for name in shapes) else ())
    for prefix in prefixes:
        want.update({prefix + k: tuple(v.shape) for k, v in net.state_dict().items()})
    params = [p for group in opt.param_groups for p in group["params"]]
    for name, shape in shapes.items():
        if name.startswith("opt."):
            _, idx, key = (name.split(".", 2) + ["", ""])[:3]
            if not (idx.isdigit() and int(idx) < len(params) and key):
                raise BadField(f"tensor {name}", f"is not the state of one of the optimizer's {len(params)} parameters")
            want[name] = () if key == "step" else tuple(params[int(idx)].shape)
    for name in sorted(set(want) | set(shapes)):
        if name not in shapes:
            raise BadField(f"tensor {name}", "is missing")
        if name not in want:
            raise BadField(f"tensor {name}", "is not part of a geoinr checkpoint")
        if shapes[name] != want[name]:
            raise BadField(f"tensor {name}", f"has shape {list(shapes[name])}; this run's is {list(want[name])}")


def _read_checkpoint_header(path) -> tuple[object, dict]:
    """A checkpoint's JSON ``state`` (parsed, not yet checked) and its tensor shapes; no tensor is read."""
    header, shapes = read_header(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION)
    # json.dumps wrote NaN for missing losses: the checks refuse non-finite values where they matter
    return parse_json(header.get("state"), "state", finite=False), shapes


def checkpoint_extra(path, check=None) -> dict:
    """What the fit stored beside the training state in a checkpoint (its run description), unchecked against any run.

    A fit that chose something before training (``min_wavelength="search"``)
    reads its choice back from here to resume; :meth:`Trainer.load_checkpoint`
    then checks the whole run against the checkpoint.

    Parameters
    ----------
    path : str or path-like
        A checkpoint written by ``fit(checkpoint=...)``.
    check : callable, optional
        ``check(extra, shapes)`` (the tensors' shapes by name): the reader's checks of the entries it uses, raising
        :class:`geoinr.persistence.BadField`, reported as the file's damage (a review: an edited number of networks
        allocated them before any check).

    Returns
    -------
    dict
        The ``checkpoint_extra`` the fit passed to :meth:`Trainer.run` (``{}`` if none).

    Raises
    ------
    FileNotFoundError, geoinr.persistence.DamagedFileError
        No such file, or not a geoinr checkpoint.

    Examples
    --------
    >>> import os, tempfile, geoinr
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.ckpt")
    >>> tracks = geoinr.datasets.synthetic_tracks(days=12, seed=0)
    >>> m = geoinr.INRModel(width=8, depth=1, epochs=12, batch_size=256, max_time=None, progress=False)
    >>> m = m.fit(tracks, "sla", checkpoint=path, checkpoint_every=0.0)
    >>> sorted(checkpoint_extra(path))[:4]
    ['choices', 'encoding', 'mean', 'params']
    """
    with reading(path, "geoinr training checkpoint", CHECKPOINT_HINT):
        meta, shapes = _read_checkpoint_header(path)
        extra = mapping(mapping(meta, "state").get("extra", {}), "extra")
        if check is not None:
            check(extra, shapes)
        return extra


def _check_checkpoint_state(state, opt) -> dict:
    """The JSON ``state`` of a checkpoint: types, ranges, and the optimizer's settings against ``opt``."""
    mapping(state, "state", required=CHECKPOINT_STATE)
    for name in ("step", "epoch", "next_batch", "since_best", "failures"):
        integer(state[name], name)
    number(state["best_val"], "best_val", optional=True)  # None: no finite validation loss yet
    number(state["lr_scale"], "lr_scale", above=0.0)
    number(state["elapsed"], "elapsed", low=0.0)
    for i, record in enumerate(array(state["history"], "history")):
        for key, value in mapping(record, f"history[{i}]").items():
            if not (value is None or isinstance(value, (int, float)) and not isinstance(value, bool)):
                raise BadField(f"history[{i}].{key}", f"is {repr(value)[:60]}, not a number")  # NaN: no value
    mapping(state["fingerprint"], "fingerprint")
    mapping(state.get("extra", {}), "extra")
    if state.get("refit") is not None:  # (progress, length, lr factor) of a last part started early
        refit = array(state["refit"], "refit")
        if len(refit) != 3:
            raise BadField("refit", f"has {len(refit)} values; it holds (progress, length, lr factor)")
        for i, value in enumerate(refit):
            number(value, f"refit[{i}]", low=0.0)
    if not isinstance(state.get("join_pending", False), bool):
        raise BadField("join_pending", f"is {repr(state['join_pending'])[:60]}, not true or false")
    if state.get("joined_step") is not None:
        integer(state["joined_step"], "joined_step")
    integer(state.get("lbfgs_evals"), "lbfgs_evals", optional=True)
    if state.get("running") is not None:  # the loss summed since the last check, and its steps (Ctrl-C)
        running = array(state["running"], "running")
        if len(running) != 2:
            raise BadField("running", f"has {len(running)} values; it holds (loss sum, steps)")
        if not (isinstance(running[0], float) and math.isnan(running[0])):  # NaN: a step since the check was
            number(running[0], "running[0]", low=0.0)  # non-finite (the next check rolls back, as uninterrupted)
        integer(running[1], "running[1]")
    _check_param_groups(state["param_groups"], opt)
    return state


def _lbfgs_phase(trainer: "Trainer") -> None:
    """Full-batch L-BFGS (strong Wolfe line search) from Adam's weights until the budget ends.

    For a few thousand noise-free grid points Adam's mini-batch steps keep moving
    the weights once the points are matched (its steps are normalised, however
    small the gradient), which roughens the field between them; a second-order
    full-batch method converges instead (``benchmarks/eddy_vorticity.py``,
    ``benchmarks/real_ssh.py``). Each loss evaluation is one pass over the training
    points and counts as one epoch of an ``epochs`` budget. The weights of the evaluation
    with the lowest full-batch training loss are kept (``LBFGS.step`` returns the loss at its
    starting weights, and a line search may leave NaN weights behind); a non-finite loss ends the phase.

    The first evaluation scores Adam's last weights on the full batch: Adam's own best score
    is a mean of mini-batch losses taken along its steps, not comparable with a full-batch loss.
    The evaluations are counted in ``trainer.lbfgs_evals`` (kept in checkpoints): a resumed
    phase starts from the best weights it had reached, with the evaluations it has left
    (a new L-BFGS history, so not bit-identical to an uninterrupted phase).
    """
    t, net = trainer, trainer.net
    epochs0 = t.epoch + t.next_batch / t.steps_per_epoch  # where Adam's schedule ended
    if not t.lbfgs_evals:  # a new phase (or one stopped before its first evaluation ended): its own scores
        t.lbfgs_evals, best = 0, math.inf
    else:  # resumed: from the best weights the phase had reached, with the evaluations it has left
        net.load_state_dict(t.best_state)
        best = t.best_val if math.isfinite(t.best_val) else math.inf
    opt = torch.optim.LBFGS(net.parameters(), lr=1.0, max_iter=LBFGS_ITERATIONS, history_size=LBFGS_HISTORY,
                            line_search_fn="strong_wolfe", tolerance_grad=0.0, tolerance_change=0.0)
    denom = (torch.clamp(t.wt.sum(), min=1.0) if t.wt is not None
             else torch.tensor(float(t.yt.numel()), device=t.device))

    def closure():
        nonlocal best
        if t._progress(epochs0 + t.lbfgs_evals) >= 1.0:
            raise _BudgetSpent
        opt.zero_grad(set_to_none=True)
        total = torch.zeros((), device=t.device)
        for s in range(0, t.n_train, FULL_BATCH_CHUNK):
            sl = slice(s, s + FULL_BATCH_CHUNK)
            w = t.wt[sl] if t.wt is not None else None
            part = _squared_error_sum(net(t.xt[sl]).float(), t.yt[sl], w) / denom
            part.backward()
            total += part.detach()
        t.lbfgs_evals += 1  # completed evaluations only: an interrupted one is done again on resume
        if (value := float(total)) < best:  # the weights that scored it: the current ones, not the step's end
            best = t.best_val = value
            t.best_state = copy.deepcopy(net.state_dict())
        return total

    last_log = time.perf_counter()
    while True:
        try:
            loss = float(opt.step(closure))
        except _BudgetSpent:
            t._log_lbfgs(epochs0 + t.lbfgs_evals, best)
            break
        t.step += 1
        if not math.isfinite(loss):
            warnings.warn(f"non-finite loss in the L-BFGS phase after {t.lbfgs_evals} evaluations; keeping the best "
                          "weights reached before it.", GeoinrRuntimeWarning, stacklevel=user_stacklevel())
            break
        progress = t._progress(epochs0 + t.lbfgs_evals)
        if time.perf_counter() - last_log > 1.0 or progress >= 1.0:
            last_log = time.perf_counter()
            t._log_lbfgs(epochs0 + t.lbfgs_evals, loss)
            if t.bar is not None:
                t.bar.n = min(100.0, 100.0 * progress)
                t.bar.set_postfix(refresh=False, loss=f"{loss:.4g}", optimizer="L-BFGS")
                t.bar.refresh()
        if progress >= 1.0:
            break


class Trainer:
    """One training run of ``net`` on ``(x, y)``; holds every piece of state a resume needs.

    Parameters
    ----------
    net : torch.nn.Module
        Maps ``x`` rows to ``y`` rows; moved to ``device``.
    x : Tensor (n, d)
        Inputs (raw coordinates; the encoding is part of ``net``).
    y : Tensor (n, k)
        Standardized targets, 0 where missing.
    w : Tensor (n, k) or None
        1 where ``y`` is observed, 0 where missing; None if all observed.
    cfg : TrainConfig
    device : torch.device
    groups : Tensor (n,) of int, optional
        Block label of every point. Validation then holds out whole blocks (e.g.
        space-time boxes) instead of random points: neighbours on one satellite
        track are nearly equal, so a random split would only test the fit of the
        tracks, not the filling of the gaps between them.
    """

    def __init__(self, net, x, y, w, cfg: TrainConfig, device, groups=None, extra_loss=None, stream=None, n_stream=0):
        cfg.validate()
        #: optional BatchStream (geoinr.stream): training batches come from it and (x, y, w) is
        #: the held-out validation set only; ``n_stream`` is its number of training points
        self.stream = stream
        #: optional callable () -> scalar tensor added to every step's loss (physics residuals)
        self.extra_loss = extra_loss
        self.collocation_generators = list(getattr(extra_loss, "generators", ()))
        self.net, self.cfg, self.device = net, cfg, device
        self.gen = _generator(cfg.seed)
        self.n = x.shape[0]
        if stream is not None:
            train_idx, val_idx = torch.zeros(0, dtype=torch.long), torch.arange(self.n)
        else:
            train_idx, val_idx = _split(self.n, cfg, self.gen, groups)
        # data-parallel (torchrun): the same split on every rank, then each rank takes its shard of
        # the training and validation points (equal shard sizes, so all ranks take the same steps)
        self.rank, self.world = distributed_world()
        self.has_val = val_idx.numel() > 0  # the same on every rank (decisions must agree)
        #: the whole split, the same on every rank: what comes after training (a posterior, the calibration) is fitted
        #: on it, so that under torchrun every rank fits it on every point, not on its own share
        self.all_train_idx, self.all_val_idx = train_idx, val_idx
        if self.world > 1 and stream is None:
            per_rank = train_idx.numel() // self.world
            if per_rank < 1:
                raise ValueError(f"{train_idx.numel()} training points cannot be shared by {self.world} ranks.")
            train_idx = train_idx[self.rank :: self.world][:per_rank]
            val_idx = val_idx[self.rank :: self.world]
        self.train_idx, self.val_idx = train_idx, val_idx
        net.to(device)
        self.step_net = net
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            ids = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else None
            self.step_net = DistributedDataParallel(net, device_ids=ids)
        x, y = x.to(device), y.to(device)
        w = per_variable_weights(w).to(device) if w is not None else None
        ti, vi = train_idx.to(device), val_idx.to(device)
        self.xt, self.yt, self.wt = x[ti], y[ti], (w[ti] if w is not None else None)
        self.xv, self.yv, self.wv = x[vi], y[vi], (w[vi] if w is not None else None)
        self.n_val = int(vi.numel())
        self.check_pick = _check_sample(self.n_val, device)  # (None: every held-out point is scored)
        self.n_train = int(ti.numel()) if stream is None else int(n_stream)
        self.n_train_split = self.n_train  # before the held-out points join (refit_share)
        # batch_size is the global batch: under torchrun each rank takes its share of it, so a
        # data-parallel fit takes the same steps with the same hyperparameters as a single process
        self.bs = min(max(1, cfg.batch_size // self.world), self.n_train)
        self.steps_per_epoch = max(1, math.ceil(self.n_train / self.bs))
        # check every epoch, but at least `min_eval_steps` and at most `eval_every` steps apart
        self.eval_every = max(1, min(max(self.steps_per_epoch, cfg.min_eval_steps), cfg.eval_every))
        self.opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        self.constrained = constrained_modules(net)
        self.best_state = copy.deepcopy(net.state_dict())
        self.best_val = math.inf
        self.since_best = 0
        self.failures = 0
        self.lr_scale = 1.0
        self.history: list[dict] = []
        self.stopped = "budget"
        self.time_ended = False  # the time budget ended a run that had an epochs budget too (before it)
        self.step = 0
        self.epoch = 0
        self.next_batch = 0
        self.epoch_gen_state = self.gen.get_state()
        self.elapsed_before = 0.0  # seconds spent in earlier (interrupted) runs
        self.running_before = (0.0, 0)  # the loss summed since the last check when the checkpoint was written
        self.lr = cfg.lr
        self._extra_sum = torch.zeros((), device=device)
        self._extra_n = 0
        # refit_share: (progress, length, lr factor) of a last part a plateau started early; the join's step
        self.refit: tuple | None = None
        self.join_pending = False
        self.joined_step: int | None = None
        self.lbfgs_evals: int | None = None  # full-batch evaluations of the L-BFGS phase; None: not started

    # -------------------------------------------------------------- the last part on every point
    def _can_refit(self) -> bool:
        """Whether held-out points can still join (not streamed batches; not torchrun, whose shards differ in size)."""
        return (self.cfg.refit_share > 0.0 and self.has_val and not self.join_pending and self.stream is None
                and self.world == 1)

    def _start_refit(self, progress: float) -> bool:
        """A plateau at ``progress``: the last part starts now (:func:`_early_last_part`); the points join next epoch."""
        self.refit = _early_last_part(progress, self.cfg)
        self.join_pending = self.refit is not None
        return self.join_pending

    def _join(self) -> None:
        """The held-out points join the training set (at an epoch boundary); nothing is held out after."""
        self.xt = torch.cat([self.xt, self.xv])
        self.yt = torch.cat([self.yt, self.yv])
        self.wt = torch.cat([self.wt, self.wv]) if self.wt is not None else None
        self.n_train = int(self.xt.shape[0])
        self.bs = min(max(1, self.cfg.batch_size // self.world), self.n_train)
        self.steps_per_epoch = max(1, math.ceil(self.n_train / self.bs))
        self.has_val = self.join_pending = False
        self.joined_step = self.step
        self.held_out_best = self.best_state  # the weights that scored best_val, for a comparison after the run

    # -------------------------------------------------------------- checkpoints
    def fingerprint(self) -> dict:
        """What must match between a checkpoint and the run that resumes it."""
        shapes = {k: list(v.shape) for k, v in self.net.state_dict().items()}
        # not max_time: a resumed fit may have another time budget, and a fit's training time is what is left of
        # max_time after the rest of the fit (geoinr.model.fitting.train_config), a little different every run
        keep = ("batch_size", "lr", "epochs", "validation", "patience")
        return {"n": self.n, "n_train": self.n_train_split, "shapes": shapes, **{k: getattr(self.cfg, k) for k in keep},
                "seed": self.cfg.seed if self.cfg.seed is not None else f"None (drawn {self.gen.initial_seed()})"}

    def save_checkpoint(self, path, extra: dict | None = None, running: tuple = (0.0, 0)) -> None:
        """Write the full training state atomically (safetensors + JSON; no pickle).

        ``running``: the training loss summed over the steps since the last check, and their number (Ctrl-C
        between checks; zero at a check and at the end).
        """
        tensors = {f"model.{k}": v for k, v in self.net.state_dict().items()}
        tensors.update({f"best.{k}": v for k, v in self.best_state.items()})
        if self.joined_step is not None and getattr(self, "held_out_best", None) is not None:
            # a calibration scores with them; copies: right after the join they are the best weights' tensors
            tensors.update({f"held.{k}": v.clone() for k, v in self.held_out_best.items()})
        opt = self.opt.state_dict()
        for idx, st in opt["state"].items():
            for key, val in st.items():
                tensors[f"opt.{idx}.{key}"] = val if torch.is_tensor(val) else torch.tensor(val)
        tensors["gen_state"] = self.epoch_gen_state
        # the physics terms' collocation points: a resume draws on from here (they advance at every physics step)
        tensors.update({f"collocation.{i}": g.get_state() for i, g in enumerate(self.collocation_generators)})
        meta = {
            "step": self.step,
            "epoch": self.epoch,
            "next_batch": self.next_batch,
            "best_val": self.best_val if math.isfinite(self.best_val) else None,
            "since_best": self.since_best,
            "failures": self.failures,
            "lr_scale": self.lr_scale,
            "history": self.history,
            "elapsed": self.elapsed_before + (time.perf_counter() - self.t0 if hasattr(self, "t0") else 0.0),
            "param_groups": opt["param_groups"],
            "fingerprint": self.fingerprint(),
            "refit": list(self.refit) if self.refit is not None else None,
            "join_pending": self.join_pending,
            "joined_step": self.joined_step,
            "lbfgs_evals": self.lbfgs_evals,
            "running": list(running),
            "extra": plain(extra or {}),
        }
        write_safetensors_atomic(
            path, tensors, {"format": CHECKPOINT_FORMAT, "format_version": str(CHECKPOINT_VERSION), "state": json.dumps(meta)}
        )

    def load_checkpoint(self, path, extra: dict | None = None) -> None:
        """Restore the state written by :meth:`save_checkpoint`; refuse one from another run.

        The header, then (once the checkpoint is known to be of this fit) the tensor shapes are checked
        against this run before any tensor is read; a damaged or edited checkpoint raises one ValueError
        naming the file and the field.
        """
        with reading(path, "geoinr training checkpoint", CHECKPOINT_HINT):
            meta, shapes = _read_checkpoint_header(path)
            meta = _check_checkpoint_state(meta, self.opt)
        mine = json.loads(json.dumps(self.fingerprint()))
        theirs = {k: v for k, v in meta["fingerprint"].items() if k != "max_time"}  # older checkpoints hold it
        if mine != theirs or (extra is not None and meta.get("extra") != json.loads(json.dumps(plain(extra)))):
            words = {"n": "points", "n_train": "training points", "shapes": "the network's shapes (model, width, "
                     "depth, encodings)"}  # (a review: internal keys without values)
            diff = [f"{words.get(k, k)}: {theirs.get(k)!r} in it, {mine.get(k)!r} now"
                    if max(len(repr(mine.get(k))), len(repr(theirs.get(k)))) < 40 else words.get(k, k)
                    for k in sorted(set(mine) | set(theirs)) if mine.get(k) != theirs.get(k)]
            hint = " (a fit with seed=None holds out other points each time: give a seed)" \
                if any(d.split(":")[0] == "seed" for d in diff) else ""
            raise ValueError(
                f"The checkpoint {str(path)!r} comes from a different fit (differs in: {diff or ['data/model']}). "
                f"Resume with the same data and parameters{hint}, or start anew without resume=."
            )
        with reading(path, "geoinr training checkpoint", CHECKPOINT_HINT):
            _check_checkpoint_tensors(shapes, self.net, self.opt, self.gen, self.collocation_generators)
            tensors, _ = read_safetensors(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION)
            if tensors["gen_state"].dtype != torch.uint8:
                raise BadField("tensor gen_state", f"has dtype {tensors['gen_state'].dtype}; a generator state is uint8")
            self._restore(tensors, meta)

    def _restore(self, tensors: dict, meta: dict) -> None:
        """Set the state of a checked checkpoint (:meth:`load_checkpoint`)."""
        dev = self.device
        self.net.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        self.best_state = {k[5:]: v.to(dev) for k, v in tensors.items() if k.startswith("best.")}
        state: dict = {}
        for k, v in tensors.items():
            if k.startswith("opt."):
                _, idx, key = k.split(".", 2)
                state.setdefault(int(idx), {})[key] = v.to(dev) if key != "step" else v
        self.opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
        self.epoch_gen_state = tensors["gen_state"]
        for i, g in enumerate(self.collocation_generators):
            if f"collocation.{i}" in tensors:
                g.set_state(tensors[f"collocation.{i}"].cpu())
        self.step, self.epoch, self.next_batch = meta["step"], meta["epoch"], meta["next_batch"]
        self.best_val = math.inf if meta["best_val"] is None else meta["best_val"]
        self.since_best, self.failures, self.lr_scale = meta["since_best"], meta["failures"], meta["lr_scale"]
        self.history = meta["history"]
        self.elapsed_before = meta["elapsed"]
        self.running_before = tuple(meta.get("running") or (0.0, 0))  # (checkpoints before 2026-12-07: none)
        # checkpoints from before refit_share have none of these: nothing had joined
        self.refit = tuple(meta["refit"]) if meta.get("refit") is not None else None
        self.join_pending = bool(meta.get("join_pending", False))
        if meta.get("joined_step") is not None:
            self._join()
            self.joined_step = meta["joined_step"]
            # checkpoints written before they were saved: unknown (the restored best weights are the latest ones)
            held = {k[5:]: v.to(dev) for k, v in tensors.items() if k.startswith("held.")}
            self.held_out_best = held or None
        self.lbfgs_evals = meta.get("lbfgs_evals")  # older checkpoints: the phase starts anew

    # -------------------------------------------------------------- loop
    def _evaluate(self) -> float:
        if not self.has_val:
            return math.nan
        net = self.net
        net.eval()
        xv, yv, wv, pick = self.xv, self.yv, self.wv, self.check_pick
        if pick is not None:  # a large held-out set: the same sample at every check (_check_sample)
            xv, yv, wv = xv[pick], yv[pick], wv[pick] if wv is not None else None
        with torch.no_grad():
            total = torch.zeros((), device=self.device)
            for s in range(0, xv.shape[0], FULL_BATCH_CHUNK):
                sl = slice(s, s + FULL_BATCH_CHUNK)
                total += _squared_error_sum(net(xv[sl]), yv[sl], wv[sl] if wv is not None else None)
            denom = float(wv.sum()) if wv is not None else float(yv.numel())
        net.train()
        total = float(total)
        if self.world > 1:  # every rank scores its shard; all decide on the same pooled loss
            total, denom = _all_reduce([total, denom])
        return total / max(denom, 1.0)

    def _check(self, train_loss: float, progress: float) -> str:
        """Validation check: log, keep the best weights, roll back on a non-finite loss. ``progress``: the share of the
        whole budget run (the progress bar's; Adam's own schedule ends earlier where an L-BFGS phase follows)."""
        if not (math.isfinite(train_loss) and weights_finite(self.net)):  # the loss is taken before its step
            self.failures += 1
            self.net.load_state_dict(self.best_state)
            self.opt = torch.optim.Adam(self.net.parameters(), lr=self.lr)
            self.lr_scale *= 0.5
            warnings.warn(
                f"non-finite training loss or weights at step {self.step}; rolled back to the best weights "
                f"and halved the learning rate (failure {self.failures}/{self.cfg.max_failures}).",
                GeoinrRuntimeWarning, stacklevel=user_stacklevel(),
            )
            if self.failures >= self.cfg.max_failures:
                self.stopped = "diverged"
                return "stop"
            return "go"
        val = self._evaluate()
        score = val if self.has_val else train_loss
        self.history.append(
            {
                "epoch": self.epoch + self.next_batch / self.steps_per_epoch,
                "step": self.step,
                "seconds": self._elapsed(),
                "lr": self.lr,
                "loss": train_loss,
                "val_loss": val,
                "physics_loss": self._take_extra(),
            }
        )
        if self.joined_step is not None:  # nothing held out any more: the latest weights are the ones kept
            self.best_state = copy.deepcopy(self.net.state_dict())
        elif score < self.best_val:
            self.best_val = score
            self.best_state = copy.deepcopy(self.net.state_dict())
            self.since_best = 0
        else:
            self.since_best += 1
        if self.bar is not None:
            self.bar.n = min(100.0, 100.0 * progress)
            shown = {"loss": f"{train_loss:.4g}"}
            if math.isfinite(val):  # no validation set (validation=0): no val column
                shown["val"] = f"{val:.4g}"
            self.bar.set_postfix(refresh=False, **shown)
            self.bar.refresh()
        if self.has_val and self.since_best >= self.cfg.patience:
            self.stopped = "early_stopping"
            return "stop"
        return "go"

    def _lbfgs_applies(self) -> bool:
        """Whether this run ends with full-batch L-BFGS: asked for, and nothing stochastic or held out to respect.

        L-BFGS needs the same loss at every evaluation, so not with streamed batches, physics
        residuals at random collocation points, data-parallel ranks, weight constraints
        (TUNER's bound); and it has no early stopping, so not with validation.
        """
        return (self.cfg.lbfgs_share > 0.0 and self.stream is None and self.world == 1 and self.extra_loss is None
                and not self.has_val and not self.constrained and self.n_train > 0)

    def _progress(self, epochs_done: float) -> float:
        cfg = self.cfg
        by_epoch = epochs_done / cfg.epochs if cfg.epochs else 0.0
        by_time = self._elapsed() / cfg.max_time if cfg.max_time else 0.0
        return max(by_epoch, by_time)

    def _log_lbfgs(self, epochs: float, loss: float) -> None:
        """A history row of the L-BFGS phase: no learning rate, no validation."""
        self.history.append({"epoch": epochs, "step": self.step, "seconds": self._elapsed(), "lr": math.nan,
                             "loss": loss, "val_loss": math.nan, "physics_loss": math.nan})

    def _pooled(self, running: torch.Tensor, n: int) -> float:
        """Mean training loss since the last check, averaged over the ranks under torchrun."""
        loss = float(running) / n
        if self.world > 1:
            (loss,) = _all_reduce([loss / self.world])
        return loss

    def _take_extra(self) -> float:
        """Mean physics loss since the last check (NaN without physics)."""
        if self.extra_loss is None or not self._extra_n:
            return math.nan
        value = float(self._extra_sum) / self._extra_n
        self._extra_sum.zero_()
        self._extra_n = 0
        return value

    def _elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self.t0

    def train_step(self, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None) -> torch.Tensor:
        """One optimizer step on a batch; returns the (detached) data loss.

        The data-loss forward pass runs under bfloat16 autocast when
        ``cfg.precision == "bfloat16"``; the physics residual (``extra_loss``) never does.
        """
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.cfg.precision == "bfloat16"):
            pred = self.step_net(x)  # the DistributedDataParallel wrapper under torchrun: gradients all-reduced
        loss = _masked_mse(pred.float(), y, w)
        total = loss
        if self.extra_loss is not None and self.step % max(1, int(self.cfg.extra_every)) == 0:
            extra = self.extra_loss()
            total = loss + extra
            self._extra_sum += extra.detach()
            self._extra_n += 1
        self.opt.zero_grad(set_to_none=True)
        total.backward()
        self.opt.step()
        for module in self.constrained:  # networks with weight constraints (TUNER's bound): applied after each step
            module.constrain_(self.opt.param_groups[0]["lr"])
        return loss.detach()

    def run(self, checkpoint=None, checkpoint_every: float = 60.0, checkpoint_extra: dict | None = None) -> TrainResult:
        """Train until a budget, early stopping, divergence or Ctrl-C; leave the best weights in ``net``."""
        cfg, net = self.cfg, self.net
        self.bar = None
        if cfg.progress and self.rank == 0:
            tqdm = progress_bar()

            self.bar = tqdm(
                total=100, desc=cfg.label, unit="%", bar_format="{l_bar}{bar}| {n:.0f}/100% [{elapsed}<{remaining}{postfix}]"
            )
        self.t0 = time.perf_counter()
        last_ckpt = time.perf_counter()
        # the training loss summed since the last check (a checkpoint written between checks holds it: resumed
        # exactly, the next check scores the same pooled loss)
        running = torch.full((), float(self.running_before[0]), device=self.device)
        running_n = int(self.running_before[1])
        self._extra_sum = torch.zeros((), device=self.device)
        self._extra_n = 0
        net.train()
        polish = self._lbfgs_applies()
        adam_end = 1.0 - cfg.lbfgs_share if polish else 1.0
        try:
            done = False
            self.gen.set_state(self.epoch_gen_state)
            streamed = iter(self.stream) if self.stream is not None else None
            perm = torch.randperm(self.n_train, generator=self.gen).to(self.device) if streamed is None else None
            progress = 0.0
            while not done:
                if self.next_batch >= self.steps_per_epoch:  # start a new epoch
                    if self.join_pending:
                        if running_n:  # the held-out points' last check, then they join
                            self._check(self._pooled(running, running_n), progress * adam_end)
                            running.zero_()
                            running_n = 0
                            if self.stopped == "diverged":
                                break
                            self.stopped = "budget"  # a plateau now changes nothing: the points join
                        self._join()
                    self.epoch += 1
                    self.next_batch = 0
                    self.epoch_gen_state = self.gen.get_state()
                    if streamed is None:
                        perm = torch.randperm(self.n_train, generator=self.gen).to(self.device)
                b = self.next_batch
                prog_epoch = (self.epoch + b / self.steps_per_epoch) / cfg.epochs if cfg.epochs else 0.0
                elapsed = self._elapsed()
                if self.world > 1 and cfg.max_time:  # the slowest rank's clock: same schedule and stop everywhere
                    (elapsed,) = _all_reduce([elapsed], op="max")
                prog_time = elapsed / cfg.max_time if cfg.max_time else 0.0
                progress = max(prog_epoch, prog_time) / adam_end  # Adam's schedule ends where L-BFGS starts
                if progress >= 1.0:
                    self.time_ended = bool(cfg.epochs and cfg.max_time and prog_time > prog_epoch)
                    break
                if self.refit is not None and progress >= self.refit[0] + self.refit[1]:
                    self.stopped = "early_stopping"  # the held-out loss stalled; the last part is done
                    break
                if progress >= 1.0 - cfg.refit_share and self._can_refit():
                    self.join_pending = True  # the scheduled last part: the held-out points join next epoch
                self.lr = cfg.lr * self.lr_scale * _lr_at(progress, cfg, self.refit)
                for g in self.opt.param_groups:
                    g["lr"] = self.lr
                if streamed is not None:
                    loss = self.train_step(*next(streamed))
                else:
                    idx = perm[b * self.bs : (b + 1) * self.bs]
                    loss = self.train_step(self.xt[idx], self.yt[idx], self.wt[idx] if self.wt is not None else None)
                running += loss
                running_n += 1
                self.step += 1
                self.next_batch += 1
                if self.step % self.eval_every == 0:
                    action = self._check(self._pooled(running, running_n), progress * adam_end)
                    running.zero_()
                    running_n = 0
                    if action == "stop" and self.stopped == "early_stopping" and (
                            self.refit is not None or self._can_refit() and self._start_refit(progress)):
                        self.stopped, action = "budget", "go"  # a plateau: the last part on every point, now
                    done = action == "stop"
                    if checkpoint is not None and not done and self.rank == 0 and time.perf_counter() - last_ckpt >= checkpoint_every:
                        self.save_checkpoint(checkpoint, checkpoint_extra)  # (at a check: nothing summed since)
                        last_ckpt = time.perf_counter()
            if running_n and (self.stopped == "budget" or self.joined_step is not None):  # steps since the last check
                self._check(self._pooled(running, running_n), adam_end)  # (a last part that ended between checks: kept)
            if polish and self.stopped == "budget":
                _lbfgs_phase(self)
            if checkpoint is not None and self.rank == 0 and self.stopped != "diverged":
                self.save_checkpoint(checkpoint, checkpoint_extra)  # the state it ended in: a file, however brief the run
        except KeyboardInterrupt:
            self.stopped = "interrupted"
            if self.bar is not None:  # closed first: the warning was printed inside the text bar (a review)
                self.bar.close()
            warnings.warn(
                "training interrupted; keeping the best weights so far"
                + (f" (checkpoint written to {checkpoint!r})" if checkpoint is not None else "")
                + ".",
                GeoinrWarning,
                stacklevel=user_stacklevel(),
            )
            if checkpoint is not None and self.rank == 0:  # one writer under torchrun, as at the other two saves
                self.save_checkpoint(checkpoint, checkpoint_extra, running=(float(running), running_n))
        finally:
            if self.bar is not None:
                self.bar.n = 100 if self.stopped == "budget" else self.bar.n
                self.bar.close()
        if math.isfinite(self.best_val) and not (self.joined_step is not None and weights_finite(net)):
            net.load_state_dict(self.best_state)  # after the held-out points joined, the last weights are kept
        net.eval()
        return TrainResult(self.history, self.best_val, self.stopped, self._elapsed(), self.step, self.joined_step)


def train(net: nn.Module, x, y, w, cfg: TrainConfig, device: torch.device, groups=None) -> TrainResult:
    """Fit ``net`` to ``(x, y)`` in place and leave it holding the best weights (see :class:`Trainer`).

    Returns
    -------
    TrainResult
        ``history`` holds one record per validation check: epoch, step, seconds,
        lr, loss (training MSE since the last check) and val_loss.
    """
    return Trainer(net, x, y, w, cfg, device, groups).run()
