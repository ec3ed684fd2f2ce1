"""The network a fit builds for its record and budget: size, options, optimizer, number of networks, precision.

:func:`build_network` makes every choice that depends on the record (how many points, scattered
or gridded, streamed) and on the time budget (passes timed here on a sample of the points):
the width of a large record's SIREN and TUNER's lattice (:func:`network_size`,
:func:`network_options`), Adam or L-BFGS (:func:`choose_optimizer`), one network or several
trained together (:func:`choose_members`, :func:`shares_budget`), float32 or bfloat16
(:func:`choose_precision`), and the batch size and learning rate of each model. The constants
say what each default was measured against (``benchmarks/RESULTS.md``). The training run
itself is :mod:`geoinr.model.fitting`'s.
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch

from .. import coords as _coords
from ..encoding import CoordinateEncoding
from ..nn import TUNER_TIME_PERIOD, option_defaults, size_defaults
from ..persistence import integer, mapping, text
from ..training import agree, checkpoint_extra, constrained_modules, distributed_world
from ..uncertainty.strategies import ENSEMBLE_MEMBERS
from .members import plain_fit
from .params import terms_in_force
from .physics_weight import weight_is_chosen

__all__ = ["batch_size", "build_network", "check_precision", "choose_members", "choose_optimizer",
           "choose_precision", "large_record", "learning_rate", "network_options", "network_size", "shares_budget"]

LBFGS_SHARE = 0.9  # optimizer="lbfgs": share of the budget after Adam's warm-up (benchmarks/eddy_vorticity.py)
AUTO_MEMBERS = 4  # networks averaged on grids fitted by L-BFGS (benchmarks/real_ssh.py regrid cases)
LBFGS_MAX_POINTS = 100_000  # optimizer="auto": L-BFGS for grids up to this many points (each evaluation is a full pass)
MIN_LBFGS_EVALUATIONS = 500  # optimizer="auto" under max_time: fewer affordable evaluations keep Adam / one network
TIMING_POINTS = 4096  # points of the timed pass that estimates a full-batch evaluation's cost
TIMED_PASSES = 4  # passes timed for a choice of precision or of networks: the best of those after a warm-up
# scattered data under max_time alone: SCATTERED_MEMBERS networks trained together (one shared split), their
# mean the field, where one network affords SCATTERED_MEMBERS * MEMBER_EPOCHS epochs of the points in the budget
# (a pass timed in the precision the fit trains in): each of them then sees every point at least MEMBER_EPOCHS times. Measured
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


def _check_choices(extra: dict, shapes: dict) -> None:
    """A checkpoint's recorded choices, before a network is built from them: the optimizer's name, and a number of
    networks that its tensors hold (a review: an edited 20,000 built that many before the shapes were compared)."""
    choices = mapping(extra.get("choices"), "extra.choices", optional=True)
    if not choices:
        return
    mapping(choices, "extra.choices", required=("optimizer", "members"))
    text(choices["optimizer"], "extra.choices.optimizer", choices=("adam", "lbfgs"))
    stacked = {s[0] for name, s in shapes.items() if ".stacked." in name and len(s)}
    integer(choices["members"], "extra.choices.members", low=1, high=max(stacked, default=1))
    text(choices.get("precision"), "extra.choices.precision", optional=True)


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
    A resumed fit (``resume=``) takes the optimizer, number of networks and precision its checkpoint was written
    with (``"choices"`` of its run record): timed anew on a busier or slower machine they could differ.
    """
    model.members_ = None  # until chosen: n_members as given
    encoding = CoordinateEncoding(**model.encoding_config_)
    model.network_options_ = network_options(model, obs, streamed, encoding)
    model.network_size_ = network_size(model, obs, streamed)
    model._build(encoding, len(model.variables_))
    model.optimizer_ = choose_optimizer(model, obs, streamed)
    recorded = checkpoint_extra(resume, check=_check_choices).get("choices") if resume is not None else None
    if recorded:
        model.optimizer_, model.members_ = recorded["optimizer"], int(recorded["members"])
        if model.members_ > 1:
            model._build(encoding, len(model.variables_))
        # the precision too (checkpoints from before 2026-12-06 did not record it: chosen anew)
        recorded_precision = recorded.get("precision")
        model.precision_ = (recorded_precision if recorded_precision in PRECISIONS[1:]
                            else choose_precision(model, obs, streamed, device))
        return
    timed = model.optimizer == "auto" and model.optimizer_ == "lbfgs" and model.max_time is not None
    if timed and _affordable_evaluations(model, obs.table, device) * share < MIN_LBFGS_EVALUATIONS:
        model.optimizer_ = "adam"
    model.members_ = choose_members(model, obs)
    timings = {}  # one network's timed pass in each precision, timed once for both choices below
    if model.members_ == 1 and not checkpointed and not _prunes(model) and shares_budget(model, obs, streamed):
        precision = choose_precision(model, obs, streamed, device, timings)  # the epochs the fit will run at
        if _affordable_epochs(model, obs.table, device, precision, timings) * share >= SCATTERED_MEMBERS * MEMBER_EPOCHS:
            model.members_ = SCATTERED_MEMBERS
    if model.members_ > 1 and model.n_members is None and model.uncertainty is None:
        model._build(encoding, len(model.variables_))
        if timed and _affordable_evaluations(model, obs.table, device) * share < MIN_LBFGS_EVALUATIONS:
            model.members_ = 1
            model._build(encoding, len(model.variables_))
    model.precision_ = choose_precision(model, obs, streamed, device, timings)


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
    of the points (:func:`_interleaved_passes` in one precision; ``bf16``: under bfloat16 autocast)."""
    precision = "bfloat16" if bf16 else "float32"
    return _interleaved_passes(model, table, device, n, passes, (precision,))[precision]


def _interleaved_passes(model, table: _coords.PointTable, device, n: int, passes: int, precisions) -> dict:
    """{precision: (seconds, all points / points timed)} of one forward and backward pass of ``field_``
    on up to ``n`` of the points, spread evenly, in each of ``precisions`` (``"bfloat16"``: the forward
    pass under bfloat16 autocast): each one's best of the ``passes`` after its first, which warms up
    allocators and kernels. The precisions take turns, pass by pass, so that a burst of load from
    other processes slows each of them alike and the comparison holds (timed one after the other, a
    bfloat16 that trains 1.75 times the steps on this 2-core CPU was once timed slower on a busy
    machine). The gradients are dropped.
    """
    raw = table.coordinates()
    sample = raw[:: max(1, len(raw) // n)][:n]
    x = torch.from_numpy(np.ascontiguousarray(sample, dtype=np.float32)).to(device)
    field = model.field_.to(device)
    field.train()
    best = dict.fromkeys(precisions, math.inf)
    for i in range(passes):
        for precision in precisions:
            start = time.perf_counter()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16"):
                out = field(x)
            out.float().square().mean().backward()
            if device.type == "cuda":  # kernels run asynchronously: time them, not their launch
                torch.cuda.synchronize(device)
            seconds = time.perf_counter() - start
            if i:
                best[precision] = min(best[precision], seconds)
    field.zero_grad(set_to_none=True)
    field.eval()
    return {p: (max(seconds, 1e-9), len(raw) / len(sample)) for p, seconds in best.items()}


def shares_budget(model, obs, streamed: bool) -> bool:
    """Whether a fit may train :data:`SCATTERED_MEMBERS` networks together when the budget affords them.

    Plain fits (:func:`~geoinr.model.members.plain_fit`) of scattered points by Adam under
    ``max_time`` alone, without physics terms or with ``physics_weight="auto"`` choosing, whose data-only
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
    physics = terms_in_force(model)  # (a prior of physics="auto" has a fixed weight)
    return (plain_fit(model, streamed) and not obs.gridded and (not physics or weight_is_chosen(model))
            and getattr(model, "optimizer_", "adam") == "adam" and model.max_time is not None and model.epochs is None)


def _affordable_epochs(model, table: _coords.PointTable, device, precision: str = "float32",
                       timings: dict | None = None) -> float:
    """Epochs of the training points one network of ``field_`` affords in ``max_time``, from a pass timed in
    ``precision`` (the one the fit trains in: bfloat16 affords more epochs where it is faster).

    A forward and backward pass over a batch of the points (:func:`_timed_pass`) is scaled
    to the points trained on (those not held out, ``validation_``).
    """
    seconds, scale = _timed_pass(model, table, device, precision, timings)
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
        "physics=": bool(terms_in_force(model)),
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


PRECISIONS = ("auto", "float32", "bfloat16")
# precision="auto": bfloat16 where a timed step is at least this much faster (AVX512-BF16/AMX CPUs, recent
# GPUs); on the three-month QG basin at 240 s its speed let the budget hold two or three networks (mu 0.826 ->
# 0.835), on the six four-day real boxes at 60 s it moved mu by -0.013 to +0.014, mean +0.001 (benchmarks/RESULTS.md)
BF16_MIN_SPEEDUP = 1.3


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


def choose_precision(model, obs, streamed: bool, device, timings: dict | None = None) -> str:
    """``precision_``: the given one, or for ``"auto"`` bfloat16 where it pays (else float32).

    bfloat16 only for a SIREN fitted by Adam under ``max_time`` on scattered data, and only where
    one timed step on a sample of the points is at least :data:`BF16_MIN_SPEEDUP` times faster than
    in float32: then the budget buys more steps, at a noise of about 1 % of the field's std (grids,
    noise-free, keep float32; so does an ``epochs`` budget, where speed buys nothing). With
    ``uncertainty=`` only the training steps are in bfloat16: the calibration and every prediction of
    a mean and std run in float32. ``timings``: timed passes to reuse and fill (:func:`_timed_pass`).
    """
    if model.precision != "auto":
        return check_precision(model)
    if (model.model != "siren" or model.max_time is None or model.epochs is not None or obs.gridded or streamed
            or model.optimizer_ != "adam"):
        return "float32"
    seconds = _precision_seconds(model, obs.table, device, timings)
    # timed on each rank under torchrun: rank 0's choice, so that every rank trains in one precision
    return agree("bfloat16" if seconds["float32"] >= BF16_MIN_SPEEDUP * seconds["bfloat16"] else "float32")


def _precision_seconds(model, table: _coords.PointTable, device, timings: dict | None = None) -> dict:
    """{precision: seconds} of one forward and backward pass of ``field_`` on a batch of the points in
    float32 and in bfloat16, timed in turns (:func:`_interleaved_passes`); ``timings`` as for
    :func:`_timed_pass` (reused, and filled)."""
    timings = {} if timings is None else timings
    missing = tuple(p for p in PRECISIONS[1:] if p not in timings)
    if missing:
        n = min(batch_size(model), TIMING_POINTS)
        timings.update(_interleaved_passes(model, table, device, n, TIMED_PASSES, missing))
    return {p: timings[p][0] for p in PRECISIONS[1:]}


def _timed_pass(model, table: _coords.PointTable, device, precision: str, timings: dict | None = None):
    """:func:`_pass_seconds` of ``field_`` in ``precision`` on a batch of the points (best of
    :data:`TIMED_PASSES` - 1 after a warm-up).

    ``timings`` (a dict by precision, or None): a pass already timed there is reused, a new one is
    stored, so that the precision and the number of networks are chosen from the same timing.
    """
    if timings is not None and precision in timings:
        return timings[precision]
    n = min(batch_size(model), TIMING_POINTS)
    timed = _pass_seconds(model, table, device, n, passes=TIMED_PASSES, bf16=precision == "bfloat16")
    if timings is not None:
        timings[precision] = timed
    return timed


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
