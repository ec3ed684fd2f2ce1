"""The OSSE mapping benchmark: QG truth -> 4 nadir altimeters -> daily maps, scored like the data challenges.

1. Truth: ``geoinr.osse.simulate`` (1.5-layer QG, 1000 km doubly periodic box
   at 35N, Rossby radius 40 km, SSH std 0.15 m, daily, 128 x 128).
2. Observations: ``geoinr.osse.sample_along_track`` samples it along Jason-3, Sentinel-3A/B
   and SARAL ground tracks at 1 Hz, with 1 cm white noise.
3. Each method maps the tracks of the whole run onto the daily truth grid; the
   evaluation window drops ``--margin`` days at each end (no method is scored
   where it extrapolates in time).
4. Scores (:mod:`geoinr.metrics`): RMSE; mu = 1 - RMSE/RMS(truth) and the standard
   deviation of the daily mu (2020a data challenge); lambda_x (km), the wavelength where the
   zonal spectral score 1 - PSD(err)/PSD(truth) crosses 0.5 (rows' spectra), lambda_t, the same along time
   (each point's series): geoinr's marginal scores; and the 2020a leaderboard's lambda_x (degrees) and lambda_t
   (days), the smallest wavelength and period on the 0.5 contour of the joint (time, longitude) score
   (``metrics.leaderboard_resolution``), the numbers comparable with the challenge's ("<=": resolved everywhere,
   the smallest analysed). Seconds: fit + prediction, wall clock, on this machine.

    python benchmarks/osse.py                      # ~10 minutes on 2 cores
    python benchmarks/osse.py --max-time 30 --only linear OI "geoinr siren"
    python benchmarks/osse.py --truth-rossby-radius 20 --only OI physics   # misspecified: the prior is not the truth
    python benchmarks/osse.py --basin --only OI "geoinr siren"   # a three-month basin (~147k observations)
    python benchmarks/osse.py --only 'geoinr nif, model_options={"init": "siren"}'   # a fit with other options

``--basin`` is the long-record, basin-scale case: a 3000 km box (256 x 256, about 27 x 33 degrees
at 35N), 90 days, deformation radius 30 km, every third observation kept (~147,000), days 5-84
scored. A fit is budget-bound there (a minute is about 70 epochs on 2 cores). Its truth's radius is 30 km, so the
table's rows with ``rossby_radius=40`` are misspecified there; the truth is also one f and beta plane at 35N painted
over 21.5-48.5N, where the residual takes each point's own. The truth of either case is forced and dissipative:
``physics="qg"`` with the truth's radius imposes nearly, not exactly, its equation (README, Benchmarks).

An ``--only`` entry that is not a method of the table but reads ``geoinr MODEL, key=value, ...``
(values as Python literals) is run as a fit of ``MODEL`` with those options (:func:`parse_method`,
also read by ``benchmarks/real_ssh.py``'s ``--methods``).
"""
import argparse
import ast
import os
import platform
import re
import time
import warnings

import torch

from geoinr import baselines, metrics, osse

MISSIONS = ("jason3", "sentinel3a", "sentinel3b", "saral")


def make_case(days=40, noise=0.01, seed=0, rossby_radius_km=40.0, forcing_days=5.0, length_km=1000.0, n=128,
              thin=1):
    truth = osse.simulate(days=days, n=n, length_km=length_km, seed=seed, rossby_radius_km=rossby_radius_km,
                          forcing_days=forcing_days)
    obs = osse.sample_along_track(truth.ssh, missions=MISSIONS, white_noise=noise, seed=seed)
    return truth, obs.isel(time=slice(0, None, thin))


LAST_SEARCH = {}  # the scale search of the last geoinr fit, printed under its row


def scale_note(record) -> str:
    """One line: the rule's scales, each candidate's held-out RMSE and the choice."""
    period = lambda p: "" if p is None else f"/{p:.1f} d"  # noqa: E731
    tried = ", ".join(f"{c['min_wavelength']:.0f} km{period(c['min_period'])}: {c['rmse']:.3f}" for c in record["candidates"])
    return (f"rule {record['rule_min_wavelength']:.0f} km{period(record['rule_min_period'])}; held-out "
            f"{record['held_out']} ({record['held_out_points']} points) RMSE/std: {tried}; chose "
            f"{record['min_wavelength']:.0f} km{period(record['min_period'])} in {record['seconds']:.0f} s")


def members_note(record: dict) -> str:
    """One line on a ``fill_members_`` record: each network's training time and why it stopped."""
    return ", ".join(f"{f['seconds']:.0f} s ({f['stopped']})" for f in record["fits"])


def physics_note(choice: dict) -> str:
    """One line on a ``physics_choice_`` record: the weight kept and each candidate's held-out loss."""
    if not choice.get("candidates"):
        return f"{choice['physics_weight']:g} ({choice.get('note', '')})"
    tried = ", ".join(f"{c['physics_weight']:g}: val {c['val_loss']:.4g} ({c['epochs']:.0f} epochs, "
                      f"{c['seconds']:.0f} s)" if c["val_loss"] is not None else f"{c['physics_weight']:g}: -"
                      for c in choice["candidates"])
    members, maps = choice.get("members"), choice.get("held_out_loss") or {}
    scored = "; maps held out: " + ", ".join(f"{k} {v:.4g}" for k, v in maps.items()) if maps else ""
    mapped = f"{scored}; the map: {' + '.join(f'{w:g}' for w in members)}" if members else ""
    return f"kept {choice['physics_weight']:g} of {tried}{mapped}"


def parse_method(spec: str) -> dict:
    """``geoinr MODEL, key=value, ...`` -> the fit's options, ``{"model": MODEL, key: value}`` (values: Python literals).

    >>> parse_method('geoinr siren, model_options={"bound": 1.5}, max_time=60')
    {'model': 'siren', 'model_options': {'bound': 1.5}, 'max_time': 60}
    """
    head, *options = [part.strip() for part in re.split(r",\s*(?=\w+=)", spec)]
    if not head.startswith("geoinr ") or len(head.split()) != 2:
        raise SystemExit(f"unknown method {spec!r}: a name of the table or 'geoinr MODEL, key=value, ...'")
    kw = {"model": head.split()[1]}
    for option in options:
        key, value = option.split("=", 1)
        kw[key.strip()] = ast.literal_eval(value.strip())
    return kw


def methods(max_time, seed=0, specs=()):
    """The methods by name; each of ``specs`` not among them that sets options (``geoinr MODEL, key=value, ...``)
    is read by :func:`parse_method` (the others filter the names)."""
    fit = dict(max_time=max_time, progress=False, seed=seed)

    def inr(**kw):
        def run(obs, grid):
            fitted = obs.inr.fit("sla", **{**fit, **kw})
            LAST_SEARCH["record"] = getattr(fitted, "scale_search_", None)
            LAST_SEARCH["physics"] = getattr(fitted, "physics_choice_", None)
            LAST_SEARCH["members"] = getattr(fitted, "fill_members_", None)
            return fitted.predict(grid)

        return run

    table = {
        "linear (+-5 days)": lambda obs, grid: baselines.LinearInterpolator(window=10.0, fill="nearest").fit(obs, "sla").predict(grid),
        "OI (100 km, 10 days; defaults)": lambda obs, grid: baselines.OptimalInterpolation().fit(obs, "sla").predict(grid),
        'OI (defaults but mean="global", the default until 2026-12-05)': lambda obs, grid: baselines.OptimalInterpolation(
            mean="global").fit(obs, "sla").predict(grid),
        "OI (80 km, 7 days)": lambda obs, grid: baselines.OptimalInterpolation(lx=80.0, ly=80.0, lt=7.0).fit(obs, "sla").predict(grid),
        "geoinr siren": inr(),
        'geoinr siren, model_options={"init": "tuner"}': inr(model_options={"init": "tuner"}),
        'geoinr siren, min_wavelength="search" (held-out passes)': inr(min_wavelength="search"),
        'geoinr siren, precision="bfloat16"': inr(precision="bfloat16"),
        'geoinr siren, bfloat16, validation=0, 800 epochs': inr(precision="bfloat16", validation=0.0, epochs=800),
        'geoinr siren, bfloat16, validation=0, 800 epochs, 4-member ensemble': inr(
            precision="bfloat16", validation=0.0, epochs=800, max_time=None, uncertainty="ensemble", n_members=4
        ),
        "geoinr modulated_siren": inr(model="modulated_siren"),
        "geoinr nif": inr(model="nif"),
        "geoinr ffn": inr(model="ffn"),
        "geoinr fourier_net": inr(model="fourier_net"),
        "geoinr gabor_net": inr(model="gabor_net"),
        "geoinr mlp": inr(model="mlp"),
        'geoinr siren, physics="qg", rossby_radius=40 (weight chosen on held-out passes: default)': inr(
            physics="qg", rossby_radius=40.0),
        'geoinr siren, physics="qg", rossby_radius=40, physics_weight=0.1': inr(
            physics="qg", rossby_radius=40.0, physics_weight=0.1),
        'geoinr siren, physics="qg" (defaults: deformation radius from latitude, weight chosen)': inr(physics="qg"),
        'geoinr siren, physics="qg", physics_weight=0.1 (deformation radius from latitude)': inr(
            physics="qg", physics_weight=0.1),
        'geoinr siren, bfloat16, physics="qg" (defaults)': inr(precision="bfloat16", physics="qg", rossby_radius=40.0),
        'geoinr siren, bfloat16, physics="qg" every step (weight 0.1)': inr(
            precision="bfloat16", physics="qg", rossby_radius=40.0, physics_weight=0.1, physics_every=1
        ),
    }
    table.update({spec: inr(**parse_method(spec)) for spec in specs
                  if spec not in table and spec.startswith("geoinr ") and "=" in spec})
    return table


def score(maps, truth):
    maps = maps.transpose(*truth.dims)
    mu, sigma = metrics.nrmse_score_daily(maps, truth)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "never crosses 0.5" is reported as NaN in the table
        lx = metrics.effective_resolution_zonal(maps, truth).resolution
        lt = metrics.effective_resolution_time(maps, truth).resolution
        board = metrics.leaderboard_resolution(maps, truth)
    return {"rmse_cm": 100 * metrics.rmse(maps, truth), "mu": mu, "sigma_t": sigma, "lambda_x_km": lx, "lambda_t_days": lt,
            "lambda_x_2020a_deg": board.lambda_x, "lambda_t_2020a_days": board.lambda_t, "status_2020a": board.status}


def run(max_time=60.0, days=40, margin=5, seed=0, only=None, rossby_radius_km=40.0, forcing_days=5.0, exact=False,
        length_km=1000.0, n=128, thin=1):
    table = methods(max_time, seed, only or ())
    chosen = [name for name in table if not only
              or any(o.lower() == name.lower() if exact else o.lower() in name.lower() for o in only)]
    if not chosen:
        raise SystemExit(f"--only {only} names no method; the table's: {list(table)}, or 'geoinr MODEL, key=value'")
    t0 = time.perf_counter()
    truth, obs = make_case(days=days, seed=seed, rossby_radius_km=rossby_radius_km, forcing_days=forcing_days,
                           length_km=length_km, n=n, thin=thin)
    print(f"truth {dict(truth.ssh.sizes)}, {obs.sizes['time']:,} observations; case built in {time.perf_counter() - t0:.0f} s", flush=True)
    ref = truth.ssh.isel(time=slice(margin, days - margin))
    grid = ref.to_dataset(name="ssh").drop_vars("ssh")
    rows = []
    for name in chosen:
        method = table[name]
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            maps = method(obs, grid)
        seconds = time.perf_counter() - t0
        row = {"method": name, **score(maps, ref), "seconds": seconds}
        rows.append(row)
        print(row, flush=True)
        search = LAST_SEARCH.pop("record", None)
        if search:
            print("  scale search:", scale_note(search), flush=True)
        choice = LAST_SEARCH.pop("physics", None)
        if choice:
            print("  physics weight:", physics_note(choice), flush=True)
        members = LAST_SEARCH.pop("members", None)
        if members:
            print("  networks averaged (time early stopping left):", members_note(members), flush=True)
    print(f"\n{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}; {days}-day QG run "
          f"({length_km:g} km box, {n} x {n}, 1 in {thin} observations kept) "
          f"(truth: deformation radius {rossby_radius_km:g} km, forcing renewed every {forcing_days:g} days), "
          f"days {margin}-{days - margin - 1} scored; geoinr budget {max_time:.0f} s per fit\n")
    print("| method | RMSE (cm) | mu | sigma_t | lambda_x (km) | lambda_t (days) | 2020a lambda_x (deg) | "
          "2020a lambda_t (days) | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        bound = "<=" if r["status_2020a"] == "resolved_everywhere" else ""
        print(f"| {r['method']} | {r['rmse_cm']:.2f} | {r['mu']:.3f} | {r['sigma_t']:.3f} | {r['lambda_x_km']:.0f} | "
              f"{r['lambda_t_days']:.1f} | {bound}{r['lambda_x_2020a_deg']:.2f} | {bound}{r['lambda_t_2020a_days']:.1f} | "
              f"{r['seconds']:.0f} |")
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-time", type=float, default=60.0, help="seconds of training per geoinr fit")
    p.add_argument("--days", type=int, default=40)
    p.add_argument("--margin", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", nargs="*", help="run only methods whose name contains one of these")
    p.add_argument("--exact", action="store_true", help="--only names whole method names")
    p.add_argument("--truth-rossby-radius", type=float, default=40.0,
                   help="deformation radius of the QG truth (km); rows with rossby_radius=40 are then misspecified")
    p.add_argument("--forcing-days", type=float, default=5.0, help="renewal time of the truth's random forcing (days)")
    p.add_argument("--basin", action="store_true",
                   help="the three-month basin: 3000 km, 256 x 256, 90 days, deformation radius 30 km (the rows with "
                        "rossby_radius=40 are then misspecified; 'geoinr siren, physics=\"qg\", rossby_radius=30.0' is "
                        "not), every third observation")
    args = p.parse_args()
    size = dict(length_km=1000.0, n=128, thin=1)
    if args.basin:
        args.days, args.truth_rossby_radius = 90, 30.0
        size = dict(length_km=3000.0, n=256, thin=3)
    run(args.max_time, args.days, args.margin, args.seed, args.only, args.truth_rossby_radius, args.forcing_days, args.exact,
        **size)


if __name__ == "__main__":
    main()
