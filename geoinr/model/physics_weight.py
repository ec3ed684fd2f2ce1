"""``physics_weight="auto"``: the weight of the physics residual chosen on held-out passes.

A residual helps where the ocean obeys it and the data leave room for it: on
the QG OSSE, whose truth obeys the 1.5-layer equation exactly, ``physics="qg"``
beats the data-only fit. On real four-day cases it did not: -0.013 to +0.014 in
mu against the data-only fit (``benchmarks/real_ssh.py``, ``benchmarks/RESULTS.md``).
Whether it helps is a property of the data, so it is decided on them. Two
candidate fits, each on :data:`CANDIDATE_SHARE` of the training budget, one
without the residual (weight 0) and one with :data:`PHYSICS_WEIGHT`, start from
the same weights and hold out the same validation points: whole satellite passes
for along-track data, as far from the training data as a map's gaps are, taken
from the record's interior (:func:`interior_groups`). The candidate with the
lower held-out error (the data-only one when they tie) then goes on training on
all the data for the rest of the budget. Two measurements set this design
(``benchmarks/RESULTS.md``, 2026-12-02):

- candidates much briefer than a third of the budget rank the residual wrongly:
  it slows the first epochs and pays later (on the QG OSSE, at a sixth of 60 s the
  data-only candidate won, 0.054 against 0.091, while the residual is worth +0.03
  in mu at 60 s; at a third the residual won);
- the held-out passes must join the map at the end: without a tenth of the passes
  the Gulf Stream 10 deg map scored mu 0.84, with them 0.89.

The choice needs held-out points in memory. Without them (``validation=0``, the
default for gridded data, or fewer than :data:`MIN_GROUPS` passes in the record's
interior), for dask-streamed data, and with ``checkpoint=`` or
``resume=`` (a checkpoint holds one training run), ``"auto"`` uses
:data:`PHYSICS_WEIGHT` without a choice and says so in ``physics_choice_``.
"""
from __future__ import annotations

import copy
import dataclasses

import numpy as np


__all__ = ["AUTO", "PHYSICS_WEIGHT", "CANDIDATE_WEIGHTS", "CANDIDATE_SHARE", "interior_groups", "resolve_physics_weight",
           "fit_choosing_weight"]

AUTO = "auto"  # the value of physics_weight that asks for the choice
# the weight of the dimensionless residual against the standardized data MSE: best of the weights tried
# on the QG OSSE (benchmarks/osse.py, with the residual every 8th step)
PHYSICS_WEIGHT = 0.1
CANDIDATE_WEIGHTS = (0.0, PHYSICS_WEIGHT)  # data only, then with the residual
CANDIDATE_SHARE = 1.0 / 3.0  # of the budget, each; the kept candidate goes on training on all the data
SWITCH = CANDIDATE_SHARE / (1.0 - CANDIDATE_SHARE)  # where, in the kept network's schedule, the candidates stop
# passes (or boxes) in the first or last EDGE_SHARE of the record are never held out: there the map
# extrapolates in time, its error grows as the fit sharpens, and it would rule the choice (and the early
# stopping) against the interior, where maps are made and scored (benchmarks/real_ssh.py, 2026-12-02)
EDGE_SHARE = 1.0 / 6.0
MIN_GROUPS = 5  # passes (or boxes) of the interior below which no choice is made (training._split's own floor)


def interior_groups(groups: np.ndarray, time: np.ndarray | None) -> np.ndarray:
    """``groups`` with the label -1 (never held out) on the groups whose mean time lies near either end of the record.

    Examples
    --------
    >>> interior_groups(np.array([0, 0, 1, 1, 2, 2]), np.array([0.0, 0.1, 2.9, 3.1, 5.9, 6.0])).tolist()
    [-1, -1, 1, 1, -1, -1]
    """
    if time is None:
        return groups
    _, index = np.unique(groups, return_inverse=True)
    mean_time = np.bincount(index, time) / np.bincount(index)
    lo, hi = float(time.min()), float(time.max())
    margin = EDGE_SHARE * (hi - lo)
    inside = (mean_time >= lo + margin) & (mean_time <= hi - margin)
    return np.where(inside[index], groups, -1)


def resolve_physics_weight(model, prep, checkpoint=None, resume=None) -> bool:
    """Set ``physics_weight_`` and ``physics_choice_``; True when the candidates are to be fitted.

    ``physics_weight_`` is the weight in force: None without ``physics=``, the
    number given, or (for ``"auto"``) :data:`PHYSICS_WEIGHT` until the choice,
    or when no choice can be made (``physics_choice_["note"]`` says why).

    Examples
    --------
    >>> import geoinr
    >>> m = geoinr.INRModel(physics="qg", physics_weight=0.3)
    >>> resolve_physics_weight(m, prep=None), m.physics_weight_, m.physics_choice_
    (False, 0.3, None)
    """
    model.physics_choice_ = None
    if not model.physics:
        model.physics_weight_ = None
        return False
    if model.physics_weight != AUTO:
        model.physics_weight_ = float(model.physics_weight)
        return False
    model.physics_weight_ = PHYSICS_WEIGHT
    why = None
    if prep.stream is not None:
        why = "the data are streamed from dask (each candidate would read them again)"
    elif checkpoint is not None or resume is not None:
        why = "a checkpoint holds one training run, not two candidates"
    elif model.validation_ <= 0 or len(prep.y) < 20:
        why = "nothing is held out (validation=0, the default for gridded data)"
    elif prep.choice_groups is None or int((np.unique(prep.choice_groups.numpy()) >= 0).sum()) < MIN_GROUPS:
        why = f"fewer than {MIN_GROUPS} {prep.choice_held_out} in the record's interior to hold out"
    if why is not None:
        model.physics_choice_ = {"physics_weight": PHYSICS_WEIGHT, "candidates": [],
                                 "note": f"not chosen, the fixed weight: {why}"}
        return False
    return True


def fit_choosing_weight(model, prep, cfg, device, train):
    """Fit a candidate per weight of :data:`CANDIDATE_WEIGHTS` on held-out passes; the better goes on with all the data.

    Each candidate gets :data:`CANDIDATE_SHARE` of ``cfg``'s budget, from the same
    start, holding out the same passes of the record's interior (``prep.choice_groups``).
    The one with the lower held-out error then goes on training on all the data, nothing
    held out, for the rest of the budget, with its Adam state. One learning-rate schedule
    (warm-up, cosine decay) spans the kept network's training: the candidates run its
    first part (up to :data:`SWITCH`), the last run the rest. ``train(model, prep, cfg,
    device)`` is the fitting module's training run (it reads ``model.physics_weight_``).
    Returns the last run's ``(trainer, result)``, its ``seconds`` those of every run;
    ``model.physics_choice_`` holds the record.

    Examples
    --------
    >>> import geoinr
    >>> tracks = geoinr.datasets.synthetic_tracks(days=6, seed=0)
    >>> m = tracks.inr.fit("sla", physics="qg", width=16, depth=1, epochs=6, max_time=None, progress=False,
    ...                    n_collocation=32, seed=0)
    >>> [c["physics_weight"] for c in m.physics_choice_["candidates"]], m.physics_weight_ in CANDIDATE_WEIGHTS
    ([0.0, 0.1], True)
    """
    seed = cfg.seed
    if seed is None:  # both candidates must hold out the same points and see the same batches
        seed = int(np.random.default_rng().integers(2**31))
    cfg = dataclasses.replace(cfg, seed=seed)
    held_out = dataclasses.replace(prep, groups=prep.choice_groups, held_out=prep.choice_held_out)
    start = copy.deepcopy(model.field_.state_dict())
    runs = []
    for weight in CANDIDATE_WEIGHTS:
        model.field_.load_state_dict(start)
        model.physics_weight_ = weight
        trial = dataclasses.replace(cfg.part(CANDIDATE_SHARE), schedule=(0.0, SWITCH), refit_share=0.0,
                                    label=f"candidate, physics weight {weight:g}")
        trainer, result = train(model, held_out, trial, device)
        val = result.best_val if result.stopped != "diverged" and np.isfinite(result.best_val) else np.inf
        runs.append({"weight": weight, "trainer": trainer, "result": result, "val": float(val),
                     "state": copy.deepcopy(model.field_.state_dict())})
        if result.stopped == "interrupted":  # Ctrl-C: keep what was fitted, fit no more
            break
    best = min(runs, key=lambda r: (r["val"], r["weight"]))  # a tie goes to the data-only fit
    model.physics_weight_ = best["weight"]
    model.physics_choice_ = {
        "physics_weight": best["weight"],
        "held_out": prep.choice_held_out,
        "held_out_points": int(best["trainer"].n_val),
        "candidates": [
            {"physics_weight": r["weight"], "val_loss": r["val"] if np.isfinite(r["val"]) else None,
             "epochs": float(r["result"].history[-1]["epoch"]) if r["result"].history else 0.0,
             "seconds": float(r["result"].seconds), "stopped": r["result"].stopped}
            for r in runs
        ],
        "note": f"the lower held-out error of {len(runs)} candidate fits on held-out {prep.choice_held_out}, "
                f"then fitted on all the data",
    }
    seconds = float(sum(r["result"].seconds for r in runs))
    model.field_.load_state_dict(best["state"])
    if best["result"].stopped == "interrupted":
        return best["trainer"], dataclasses.replace(best["result"], seconds=seconds)
    # the kept candidate goes on with all the data, its Adam state and the rest of its learning-rate
    # schedule; nothing is held out (the held-out passes are too much of the data to leave out of the
    # map), but for uncertainty=, whose calibration needs the held-out passes of the model's validation
    validation = cfg.validation if model._strategy().calibrated else 0.0
    go_on = dataclasses.replace(cfg.part(1.0 - CANDIDATE_SHARE * len(runs)), validation=validation,
                                schedule=(SWITCH, 1.0), label=f"fitting, physics weight {best['weight']:g}")
    trainer, result = train(model, prep, go_on, device, optimizer_state=best["trainer"].opt.state_dict())
    return trainer, dataclasses.replace(result, seconds=seconds + result.seconds)
