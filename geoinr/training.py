"""The training loop: mini-batches on the device, warm-up + cosine schedule, early stopping.

Everything here works on torch tensors; xarray stays in :mod:`geoinr.model`.
Mini-batches are drawn by a random permutation of indices of tensors that
already live on the device -- no ``DataLoader`` over single points, which is
about two orders of magnitude slower for coordinate data.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import time
import warnings

import torch
from torch import nn

__all__ = ["TrainConfig", "TrainResult", "resolve_device", "train"]


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
        raise ValueError("device='cuda' was asked for but no CUDA GPU is available here; pass device='auto' or 'cpu'.")
    return dev


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


@dataclasses.dataclass
class TrainResult:
    history: list  # one dict per evaluation
    best_val: float
    stopped: str  # why training ended
    seconds: float
    steps: int


def _lr_factor(progress: float, cfg: TrainConfig) -> float:
    if progress < cfg.warmup:
        return max(progress / cfg.warmup, 1e-3)
    p = min(1.0, (progress - cfg.warmup) / max(1e-12, 1.0 - cfg.warmup))
    return cfg.final_lr_ratio + (1.0 - cfg.final_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * p))


def _masked_mse(pred: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
    if w is None:
        return torch.mean((pred - y) ** 2)
    return torch.sum(w * (pred - y) ** 2) / torch.clamp(torch.sum(w), min=1.0)


def train(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    w: torch.Tensor | None,
    cfg: TrainConfig,
    device: torch.device,
    groups: torch.Tensor | None = None,
) -> TrainResult:
    """Fit ``net`` to ``(x, y)`` in place and leave it holding the best weights.

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

    Returns
    -------
    TrainResult
        ``history`` holds one record per validation check: epoch, step, seconds,
        lr, loss (training MSE since the last check) and val_loss.
    """
    if cfg.epochs is None and cfg.max_time is None:
        raise ValueError("Give a training budget: epochs=..., max_time=... (seconds), or both.")
    if cfg.epochs is not None and cfg.epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {cfg.epochs}")
    if cfg.max_time is not None and cfg.max_time <= 0:
        raise ValueError(f"max_time must be > 0 seconds, got {cfg.max_time}")
    if not 0.0 <= cfg.validation < 1.0:
        raise ValueError(f"validation must be a fraction in [0, 1), got {cfg.validation}")
    if not cfg.lr > 0:
        raise ValueError(f"lr must be > 0, got {cfg.lr}")
    if cfg.batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {cfg.batch_size}")

    gen = torch.Generator()
    if cfg.seed is not None:
        gen.manual_seed(int(cfg.seed))
    else:
        gen.seed()
    n = x.shape[0]
    n_val = int(round(cfg.validation * n)) if n >= 20 else 0
    if n_val and groups is not None:
        labels, inverse, counts = torch.unique(groups, return_inverse=True, return_counts=True)
        if labels.numel() >= 5:
            pick = torch.randperm(labels.numel(), generator=gen)
            chosen = pick[: int(torch.searchsorted(torch.cumsum(counts[pick], 0), n_val)) + 1]
            held = torch.zeros(labels.numel(), dtype=torch.bool)
            held[chosen] = True
            is_val = held[inverse]
            if int(is_val.sum()) < n - 1:
                val_idx, train_idx = torch.nonzero(is_val).ravel(), torch.nonzero(~is_val).ravel()
                n_val = int(val_idx.numel())
                groups = "used"
    if not isinstance(groups, str):
        order = torch.randperm(n, generator=gen)
        val_idx, train_idx = order[:n_val], order[n_val:]

    net.to(device)
    x, y = x.to(device), y.to(device)
    w = w.to(device) if w is not None else None
    xt, yt = x[train_idx.to(device)], y[train_idx.to(device)]
    wt = w[train_idx.to(device)] if w is not None else None
    xv, yv = x[val_idx.to(device)], y[val_idx.to(device)]
    wv = w[val_idx.to(device)] if w is not None else None
    n_train = xt.shape[0]
    bs = min(cfg.batch_size, n_train)
    steps_per_epoch = max(1, math.ceil(n_train / bs))
    # check every epoch, but at least `min_eval_steps` and at most `eval_every` steps apart
    eval_every = max(1, min(max(steps_per_epoch, cfg.min_eval_steps), cfg.eval_every))

    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    best_state = copy.deepcopy(net.state_dict())
    best_val = math.inf
    since_best = 0
    failures = 0
    lr_scale = 1.0
    history: list[dict] = []
    stopped = "budget"

    bar = None
    if cfg.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=100, desc="fitting", unit="%", bar_format="{l_bar}{bar}| {n:.0f}/100% [{elapsed}<{remaining}{postfix}]")

    def evaluate() -> float:
        if n_val == 0:
            return math.nan
        net.eval()
        with torch.no_grad():
            total = torch.zeros((), device=device)
            for s in range(0, n_val, 65536):
                sl = slice(s, s + 65536)
                pv = net(xv[sl])
                d = (pv - yv[sl]) ** 2
                total += torch.sum(d * wv[sl]) if wv is not None else torch.sum(d)
            denom = float(wv.sum()) if wv is not None else float(yv.numel())
        net.train()
        return float(total) / max(denom, 1.0)


    def check(progress: float, lr: float) -> str:
        """Validation check: log, keep the best weights, roll back on non-finite loss."""
        nonlocal running_n, failures, lr_scale, opt, best_val, best_state, since_best, stopped
        train_loss = float(running) / max(running_n, 1)
        running.zero_()
        running_n = 0
        if not math.isfinite(train_loss):
            failures += 1
            net.load_state_dict(best_state)
            opt = torch.optim.Adam(net.parameters(), lr=lr)
            lr_scale *= 0.5
            warnings.warn(
                f"non-finite training loss at step {step}; rolled back to the best weights "
                f"and halved the learning rate (failure {failures}/{cfg.max_failures}).",
                RuntimeWarning,
                stacklevel=3,
            )
            if failures >= cfg.max_failures:
                stopped = "diverged"
                return "stop"
            return "go"
        val = evaluate()
        score = val if n_val else train_loss
        history.append(
            {
                "epoch": step / steps_per_epoch,
                "step": step,
                "seconds": time.perf_counter() - t0,
                "lr": lr,
                "loss": train_loss,
                "val_loss": val,
            }
        )
        if score < best_val:
            best_val = score
            best_state = copy.deepcopy(net.state_dict())
            since_best = 0
        else:
            since_best += 1
        if bar is not None:
            bar.n = min(100.0, 100.0 * progress)
            bar.set_postfix(loss=f"{train_loss:.4g}", val=f"{val:.4g}", refresh=False)
            bar.refresh()
        if n_val and since_best >= cfg.patience:
            stopped = "early_stopping"
            return "stop"
        return "go"

    t0 = time.perf_counter()
    step = 0
    epoch = 0
    running = torch.zeros((), device=device)
    running_n = 0
    lr = cfg.lr
    net.train()
    try:
        done = False
        while not done:
            perm = torch.randperm(n_train, generator=gen).to(device)
            for b in range(steps_per_epoch):
                elapsed = time.perf_counter() - t0
                prog_epoch = (epoch + b / steps_per_epoch) / cfg.epochs if cfg.epochs else 0.0
                prog_time = elapsed / cfg.max_time if cfg.max_time else 0.0
                progress = max(prog_epoch, prog_time)
                if progress >= 1.0:
                    done = True
                    break
                lr = cfg.lr * lr_scale * _lr_factor(progress, cfg)
                for g in opt.param_groups:
                    g["lr"] = lr
                idx = perm[b * bs : (b + 1) * bs]
                pred = net(xt[idx])
                loss = _masked_mse(pred, yt[idx], wt[idx] if wt is not None else None)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                running += loss.detach()
                running_n += 1
                step += 1
                if step % eval_every == 0:
                    action = check(progress, lr)
                    if action == "stop":
                        done = True
                        break
            epoch += 1
        if running_n:  # steps since the last check: check once more at the end
            check(1.0, lr)
    except KeyboardInterrupt:
        stopped = "interrupted"
        warnings.warn("training interrupted; keeping the best weights so far.", UserWarning, stacklevel=2)
    finally:
        if bar is not None:
            bar.n = 100 if stopped == "budget" else bar.n
            bar.close()
    if math.isfinite(best_val):
        net.load_state_dict(best_state)
    net.eval()
    return TrainResult(history, best_val, stopped, time.perf_counter() - t0, step)
