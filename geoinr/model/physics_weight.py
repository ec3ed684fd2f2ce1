"""``physics_weight="auto"``: the weight of the physics residual chosen on held-out data.

A residual helps where the ocean obeys it and the data leave room for it: on
the QG OSSE, whose truth obeys the 1.5-layer equation exactly, ``physics="qg"``
beats the data-only fit. On real four-day cases it did not: -0.013 to +0.014 in
mu against the data-only fit (``benchmarks/real_ssh.py``, ``benchmarks/RESULTS.md``).
Whether it helps is a property of the data, so it is decided on them. Two
networks start from the same weights and hold out the same validation points, those
the data-only default holds out (space-time blocks; whole satellite passes with a
calibrated ``uncertainty=``): the first network is the data-only default's first, so
that a fit with no time left to weigh the residual maps what the data-only default
maps. The choice is scored on the held-out points of the record's interior
(:data:`EDGE_SHARE`; with fewer than :data:`MIN_GROUPS` groups there, no choice). Each is
fitted as a data-only fit is (early stopping, then the held-out points join it):
the first without the residual, under a time budget on all of it, as the data-only
default's first network (on a record of 50,000 points or more, gridded or not, on :data:`FIRST_CAP`
of it, so that the time left affords a second network; under an epoch budget on
:data:`FIRST_SHARE` of it); the
second with :data:`PHYSICS_WEIGHT`, for as long as the first took (or the time
left). Where early stopping leaves less than half the first network's time
(:data:`RESIDUAL_SHARE`: briefer fits rank the residual wrongly; a data-only fit adds
a network from three tenths on), there is no second network: the map is the data-only fit's, and
``physics_choice_["note"]`` says so. Three maps are then scored on the held-out points of the
interior, each network with its weights from before the points joined it: the data-only network, the residual's
network, and their mean. The best one is kept (the data-only network on a tie),
and in the time left further networks with its weight join it, as a data-only fit
fills its budget (:mod:`geoinr.model.members`). The mean is a candidate because
two networks' errors between the tracks are partly independent: a residual's
network a little worse than the data-only one can still improve their mean.
Measurements behind this design (``benchmarks/RESULTS.md``, 2026-12-02):

- fits much briefer than a third of the budget rank the residual wrongly:
  it slows the first epochs and pays later (on the QG OSSE, at a sixth of 60 s the
  data-only candidate won, 0.054 against 0.091, while the residual is worth +0.03
  in mu at 60 s; at a third the residual won);
- the held-out passes must join the map at the end: without a tenth of the passes
  the Gulf Stream 10 deg map scored mu 0.84, with them 0.89;
- capping the data-only network at two thirds of a time budget lost 0.006-0.010 in
  mu to the data-only default on the 40 x 16 deg basin box, where that network never
  stops early: a third of the budget went to a residual's network too brief to be kept
  (sixth session of 2026-12-02; uncapped since the seventh);
- the previous design (two candidates on a third of the budget each, the better
  one continued on all the data for the last third) spent a third of the budget
  on the candidate it dropped and lost 0.016-0.017 in mu to the data-only default
  on two real 10 deg boxes (fifth session of 2026-12-02); one network where the
  data-only fit averages two or three also loses lambda_x (Kuroshio 20 deg: 320 km
  against 134-155, sixth session).

The choice needs held-out points in memory. Without them (``validation=0``, the
default for gridded data, or fewer than :data:`MIN_GROUPS` groups in the record's
interior; or no held-out point there, once the first network has held them out), for
dask-streamed data, and with ``checkpoint=`` or ``resume=`` (a checkpoint holds one
training run), ``"auto"`` uses
:data:`PHYSICS_WEIGHT` without a choice and says so in ``physics_choice_``.
"""
from __future__ import annotations

import copy
import dataclasses
import warnings

import numpy as np
import torch

from ..frames import GeoinrWarning, user_stacklevel
from ..physics.losses import physics_terms
from ..training import agree, sum_over_ranks
from .members import can_average, fill_more, record, time_for_another
from .params import terms_in_force


__all__ = ["AUTO", "PHYSICS_WEIGHT", "CANDIDATE_WEIGHTS", "SMOOTH_WEIGHT", "auto_weight",
           "weight_is_chosen", "FIRST_SHARE", "RESIDUAL_SHARE", "FIRST_CAP", "interior_groups",
           "resolve_physics_weight", "fit_choosing_weight"]

AUTO = "auto"  # the value of physics_weight that asks for the choice (and of physics: params.physics_in_force)
# the weight of the dimensionless residual against the standardized data MSE: best of the weights tried
# on the QG OSSE (benchmarks/osse.py, with the residual every 8th step)
PHYSICS_WEIGHT = 0.1
CANDIDATE_WEIGHTS = (0.0, PHYSICS_WEIGHT)  # data only, then with the residual
# the weight of physics="smooth" alone (the prior for sparse records), for "auto" as PHYSICS_WEIGHT is for the
# residuals: on one satellite's records 0.03 was no worse than 0.1 anywhere and better on several
# (benchmarks/sparse_records.py; RESULTS.md, 2026-12-06 fourth session)
SMOOTH_WEIGHT = 0.03
# of an epoch budget, the data-only network's share; the residual's network gets the rest (a third or more:
# briefer fits rank the residual wrongly, see the module's description). A time budget is not split in
# advance: the first network takes what it needs, the residual's the time it leaves
FIRST_SHARE = 2.0 / 3.0
# of a time budget, the residual's network is fitted where the time left is at least this share of the time
# the data-only network took (half: with much less its held-out loss ranks the residual wrongly, as above)
RESIDUAL_SHARE = 0.5
# of a time budget on a large record (network_choice.WIDE_RECORD_POINTS points or more, gridded or not), the most the
# data-only network may take, so that its time left always affords a second network: on the three-month
# Mediterranean record of benchmarks/real_ssh.py that network ran 242 s of 300 on two seeds before its held-out
# passes stalled, no other network fitted, and the one-network map was 0.006-0.007 behind the data-only default's
# mean of two or three (benchmarks/RESULTS.md, 2026-12-04, fifth session). Small records keep the whole budget: a
# cap at two thirds lost 0.006-0.010 on a four-day 40 x 16 deg box at 60 s (2026-12-02, sixth session)
FIRST_CAP = 0.6
# held-out points in the first or last EDGE_SHARE of the record do not count in the choice: there the map
# extrapolates in time, its error grows as the fit sharpens, and it would rule the choice against the interior,
# where maps are made and scored (benchmarks/real_ssh.py, 2026-12-02; until 2026-12-05 such passes were never
# held out, so the data-only candidate was not the data-only default's first network)
EDGE_SHARE = 1.0 / 6.0
CHUNK = 65536  # held-out points predicted at once
MIN_GROUPS = 5  # held-out groups of the interior below which no choice is made (training._split's own floor)


def auto_weight(physics) -> float:
    """The weight ``"auto"`` tries against the data-only network (and uses where it cannot choose).

    Parameters
    ----------
    physics : str or list of str
        The model's ``physics=`` terms.

    Returns
    -------
    float
        :data:`SMOOTH_WEIGHT` for ``"smooth"`` alone (the prior for sparse records), else
        :data:`PHYSICS_WEIGHT` (a residual, alone or with the prior).

    Examples
    --------
    >>> auto_weight("qg"), auto_weight(["qg", "smooth"]), auto_weight("smooth")
    (0.1, 0.1, 0.03)
    """
    return SMOOTH_WEIGHT if physics_terms(physics) == ["smooth"] else PHYSICS_WEIGHT


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
    return np.where(_inside(mean_time, float(time.min()), float(time.max()))[index], groups, -1)


def _inside(t, lo: float, hi: float):
    """Whether times ``t`` (numpy or torch) lie in the interior of the record [lo, hi]: not in its first or last
    :data:`EDGE_SHARE`."""
    margin = EDGE_SHARE * (hi - lo)
    return (t >= lo + margin) & (t <= hi - margin)


def weight_is_chosen(model) -> bool:
    """Whether ``physics_weight="auto"`` chooses the weight on held-out data: for terms the user asked for (the
    prior that ``physics="auto"`` adds has the measured weight, :data:`SMOOTH_WEIGHT`, as it was measured).

    Parameters
    ----------
    model : geoinr.INRModel
        With ``physics_`` set by the fit (or, before it, the terms its ``physics`` names).

    Returns
    -------
    bool

    Examples
    --------
    >>> import geoinr
    >>> from geoinr.model.params import physics_in_force
    >>> added = geoinr.INRModel()  # physics="auto"
    >>> added.physics_ = physics_in_force(added.physics, True, [40.0])  # a sparse record outside the tropics
    >>> weight_is_chosen(geoinr.INRModel(physics="smooth")), weight_is_chosen(added), added.physics_
    (True, False, 'smooth')
    """
    return bool(terms_in_force(model)) and model.physics_weight == AUTO and model.physics != AUTO


def resolve_physics_weight(model, prep, checkpoint=None, resume=None) -> bool:
    """Set ``physics_weight_`` and ``physics_choice_``; True when the candidates are to be fitted.

    ``physics_weight_`` is the weight in force: None without ``physics=``, the
    number given, or (for ``"auto"``) :func:`auto_weight` until the choice,
    or when no choice can be made (``physics_choice_["note"]`` says why).

    Examples
    --------
    >>> import geoinr
    >>> from geoinr.model.params import physics_in_force
    >>> m = geoinr.INRModel(physics="qg", physics_weight=0.3)
    >>> m.physics_ = physics_in_force(m.physics, False, [40.0])  # the terms in force (the fit sets them)
    >>> resolve_physics_weight(m, prep=None), m.physics_weight_, m.physics_choice_
    (False, 0.3, None)
    """
    model.physics_choice_ = None
    if not terms_in_force(model):
        model.physics_weight_ = None
        return False
    if model.physics_weight != AUTO:
        model.physics_weight_ = float(model.physics_weight)
        return False
    model.physics_weight_ = auto_weight(terms_in_force(model))
    if not weight_is_chosen(model):  # the prior physics="auto" added to a sparse record: its measured weight
        return False
    why = None
    if prep.stream is not None:
        why = "the data are streamed from dask (each candidate would read them again)"
    elif checkpoint is not None or resume is not None:
        why = "a checkpoint holds one training run, not two candidates"
    elif model.validation_ <= 0 or len(prep.y) < 20:
        why = "nothing is held out (validation=0, the default for gridded data)"
    elif prep.choice_groups is None or int((np.unique(prep.choice_groups.numpy()) >= 0).sum()) < MIN_GROUPS:
        why = f"fewer than {MIN_GROUPS} {prep.held_out} in the record's interior to hold out"
    if why is not None:
        model.physics_choice_ = {"physics_weight": model.physics_weight_, "candidates": [],
                                 "note": f"not chosen, the fixed weight: {why}"}
        return False
    return True


def fit_choosing_weight(model, prep, cfg, device, train, first_cap: float | None = None):
    """Fit a data-only network, then one with the residual; map what predicts the held-out points best.

    Both networks start from the same weights and hold out the same points as the data-only
    default (``prep.groups``), each in a run of its own as a data-only
    fit has (warm-up and cosine decay over its budget, early stopping, then the held-out
    points join it for the last part, ``cfg.refit_share``). Under a time budget alone the
    data-only network gets all of it, and the residual's the time the first one took, or
    what is left if that is less, where that is at least
    :data:`RESIDUAL_SHARE` of it (else there is no second network and the
    map is the data-only one); under an epoch budget they get :data:`FIRST_SHARE` of it and
    the rest. Of the data-only network, the residual's and
    their mean, the one with the lowest loss on the held-out points of the record's interior
    (:func:`held_out_scores`; the data-only network on a tie) is the field; then, while the time left allows
    (:func:`~geoinr.model.members.fill_more`), further networks with its weight join it.
    Where a mean cannot be taken (``uncertainty=``, the exact mass constraint, several
    processes) it is not a candidate. ``train(model, prep, cfg, device)`` is the fitting
    module's training run (it reads ``model.physics_weight_``). ``first_cap`` (a share, the fitting
    module gives :data:`FIRST_CAP` on large records): under a time budget the data-only network
    takes at most that share of it. Returns the last network
    of the map's ``(trainer, result)``, its ``seconds`` those of every run;
    ``model.physics_choice_`` holds the record (``"held_out_loss"`` of each candidate map,
    ``"members"``: the weight of each network in the field).

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
    if seed is None:  # both networks must hold out the same points and see the same batches
        seed = int(np.random.default_rng().integers(2**31))
    cfg = dataclasses.replace(cfg, seed=seed)
    start = copy.deepcopy(model.field_.state_dict())
    timed = cfg.max_time is not None and cfg.epochs is None  # a time budget alone: the first network may take it all
    runs, skipped = [], None
    for weight in (0.0, auto_weight(terms_in_force(model))):  # CANDIDATE_WEIGHTS for the residuals
        if timed:  # the data-only network: the whole budget, or at most first_cap of it (large records)
            budget = cfg if first_cap is None else cfg.part(first_cap)
        else:
            budget = cfg.part(FIRST_SHARE)
        if runs:  # the residual's network: the first one's start, for as long as it took (or the time left)
            # under torchrun each rank holds its share of the held-out points and its own clock: rank 0's decisions
            took = agree(runs[0]["result"].seconds)
            budget = cfg.part(1.0 - FIRST_SHARE)
            inside = interior_points(runs[0]["trainer"].xv, prep.x)  # this rank's share: counted over every rank
            if inside is not None and not sum_over_ranks([int(inside.sum())])[0]:
                skipped = ("no network with the residual: none of the held-out points lies in the record's interior, "
                           "where the choice is scored")
            elif timed and not time_for_another(took, cfg.max_time - took, RESIDUAL_SHARE):  # no time to weigh it
                skipped = (f"no network with the residual: the data-only network took {took:.0f} s of "
                           f"{cfg.max_time:.0f}, leaving less than {RESIDUAL_SHARE:g} of its time")
            skipped = _warn_skipped(model, agree(skipped))
            if skipped:
                break
            if cfg.max_time is not None:
                budget = dataclasses.replace(budget, max_time=max(min(took, cfg.max_time - took), 1e-3))
            model.field_ = copy.deepcopy(runs[0]["field"])
            model.field_.load_state_dict(start)
        model.physics_weight_ = weight
        trainer, result = train(model, prep, dataclasses.replace(budget, label=f"fitting, physics weight "
                                                                                   f"{weight:g}"), device)
        val = result.best_val if result.stopped != "diverged" and np.isfinite(result.best_val) else np.inf
        runs.append({"weight": weight, "trainer": trainer, "result": result, "val": float(val), "field": model.field_})
        if result.stopped == "interrupted":  # Ctrl-C: keep what was fitted, fit no more
            break
    # the map that predicts the held-out points best, each network with its weights from before they joined:
    # the data-only network, the mean of the two, or the residual's network
    maps = {"data-only": [0]}
    if len(runs) == 2 and np.isfinite(runs[1]["val"]):
        if not np.isfinite(runs[0]["val"]):  # the data-only network diverged: the residual's, alone (not a failure)
            maps = {"residual": [1]}
        else:
            maps.update({"mean": [0, 1], "residual": [1]} if can_average(model, prep) else {"residual": [1]})
    inside = interior_points(runs[0]["trainer"].xv, prep.x)
    n_val = runs[0]["trainer"].n_val  # this rank's share of the held-out points, pooled over the ranks for the record
    held, scored = sum_over_ranks([n_val, int(inside.sum()) if inside is not None else n_val])
    scores = held_out_scores(runs, maps, inside)
    # the scores pool every rank's held-out points: the same on every rank, and so is the choice
    chosen = min(maps, key=lambda name: scores[name])  # a tie goes to the first: the data-only network
    mapped = [runs[i] for i in maps[chosen]]
    kept = mapped[-1]
    model.physics_weight_ = kept["weight"]
    spent = float(sum(r["result"].seconds for r in runs))
    fields, records = [r["field"] for r in mapped], [record(r["result"]) for r in mapped]
    weights = [r["weight"] for r in mapped for _ in range(getattr(r["field"].network, "n_members", 1))]
    initial = len(mapped)
    # further networks, with the weight kept, in the time left (as a data-only fit fills its budget; not after
    # networks trained together, as the data-only default does not add any to them either)
    more = (can_average(model, prep) and cfg.max_time is not None and cfg.epochs is None
            and kept["result"].stopped != "interrupted" and len(weights) == len(mapped))
    records = fill_more(model, prep, dataclasses.replace(cfg, label=f"fitting, physics weight {kept['weight']:g}"),
                        device, train, fields, records, first=runs[0]["result"].seconds,
                        left=cfg.max_time - spent if more else 0.0)
    weights += [kept["weight"]] * (len(records) - initial)
    model.fill_members_ = {"fits": records} if len(records) > initial else None
    model.physics_choice_ = agree({  # rank 0's record (its clock's seconds) on every rank
        "physics_weight": kept["weight"],
        "held_out": prep.held_out,
        "held_out_points": int(held),
        "scored_points": int(scored),
        "candidates": [
            {"physics_weight": r["weight"], "val_loss": r["val"] if np.isfinite(r["val"]) else None,
             "epochs": float(r["result"].history[-1]["epoch"]) if r["result"].history else 0.0,
             "seconds": float(r["result"].seconds), "stopped": r["result"].stopped}
            for r in runs
        ],
        "held_out_loss": {name: scores[name] for name in maps},
        "members": weights,
        "note": (skipped if skipped else
                 f"a data-only network, then one with the residual, on the same held-out {prep.held_out}; "
                 f"the {chosen if chosen != 'mean' else 'mean of the two'} predicted them best")
                + (f"; {len(records) - initial} more network(s) in the time left" if len(records) > initial else ""),
    })
    seconds = spent + sum(r["seconds"] for r in records[initial:])
    return kept["trainer"], dataclasses.replace(kept["result"], seconds=seconds)


def _warn_skipped(model, skipped: str | None) -> str | None:
    """``skipped`` (why no network with the residual is trained, or None), after a warning where it is a reason: asked
    for and not trained, the map is data only (the summary had said the residual "did not help")."""
    if skipped:
        warnings.warn(f"physics={model.physics!r}: {skipped}; the map is the data-only network's. A longer max_time, "
                      f"or a fixed physics_weight (e.g. 0.1), trains one with the residual.", GeoinrWarning,
                      stacklevel=user_stacklevel())
    return skipped


def interior_points(held_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor | None:
    """Which ``held_out`` points (raw coordinates, time in the third column) lie in the interior of the record ``x``.

    None where nothing is to drop (no time coordinate). Where no held-out point lies in the interior
    (counted over every rank under torchrun) no choice is made: :func:`fit_choosing_weight` keeps
    the data-only network.

    Examples
    --------
    >>> x = torch.tensor([[0.0, 0.0, t] for t in range(7)])
    >>> interior_points(x[[0, 3, 6]], x).tolist()
    [False, True, False]
    """
    if x.shape[1] < 3:
        return None
    return _inside(held_out[:, 2], float(x[:, 2].min()), float(x[:, 2].max()))


def held_out_scores(runs, maps, inside: torch.Tensor | None = None) -> dict:
    """Held-out loss of each candidate map of ``maps`` (name -> indices of the runs averaged), on the points held out.

    Each network predicts them with its weights from before they joined its training
    (``Trainer.held_out_best``; the final weights where they never joined), so a mean of
    networks is scored as fairly as each network alone.

    Parameters
    ----------
    runs : list of dict
        The fitted networks (``"field"``, ``"trainer"``), all holding out the first's points.
    maps : dict
        Candidate map name -> indices into ``runs`` of the networks it averages.
    inside : Tensor of bool, optional
        The held-out points that count (:func:`interior_points`); all of them when None.

    Returns
    -------
    dict
        Name -> weighted mean squared error on the held-out points (standardized units).

    Examples
    --------
    ``fit_choosing_weight`` calls it on its two networks (``tests/test_physics_weight.py``
    checks that a single network scores its own best held-out loss).
    """
    trainer = runs[0]["trainer"]
    sums = {name: [0.0, 0.0] for name in maps}  # squared error and weight of each map over this rank's points
    if trainer.n_val:
        w = trainer.wv if trainer.wv is not None else torch.ones_like(trainer.yv)
        if inside is not None:
            w = w * inside.to(w.device, w.dtype)[:, None]
        predictions = []
        for run in runs:
            field = run["field"]
            state = getattr(run["trainer"], "held_out_best", None)
            if state is not None:
                field = copy.deepcopy(field)
                field.load_state_dict(state)
            field.eval()
            with torch.no_grad():
                out = torch.cat([field(trainer.xv[i:i + CHUNK]).float() for i in range(0, trainer.n_val, CHUNK)], -2)
            predictions.append(out.mean(0) if out.dim() == 3 else out)  # a mean of networks: (members, points, out)
        for name, members in maps.items():
            mean = sum(predictions[i] for i in members) / len(members)
            sums[name] = [float((((mean - trainer.yv) ** 2) * w).sum()), float(w.sum())]
    # under torchrun each rank holds out its share of the points: the scores pool every rank's (one call, the
    # same on every rank, whatever each holds), so the choice weighs all of them and every rank scores alike
    flat = sum_over_ranks([v for name in maps for v in sums[name]])
    weight = sum(flat[1::2])
    if not weight:  # nothing held out (cannot happen after resolve_physics_weight): the data-only network
        return {name: (0.0 if name == "data-only" else np.inf) for name in maps}
    return {name: flat[2 * k] / max(flat[2 * k + 1], 1.0) for k, name in enumerate(maps)}
