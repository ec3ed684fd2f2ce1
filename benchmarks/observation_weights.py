"""Observations of unequal error: a fit weighted by 1/sigma^2 (``fit(..., weights=)``) against one that weighs all alike.

Four altimeters over the built-in analytic eddy field (``geoinr.datasets.synthetic_tracks``, no noise of its own);
two of them get ``--noisy`` cm of white noise, the others ``--precise`` cm (as a swath's or an old altimeter's
errors beside a modern nadir's). Each fit runs the same ``--epochs`` (not seconds: a comparison of losses, not of
speed), and its daily maps are scored against the analytic truth on a 0.1 degree grid (``analytic_ssh``);
``OptimalInterpolation()`` with the same weights too:

    python benchmarks/observation_weights.py                       # ~2 minutes on 2 cores
    python benchmarks/observation_weights.py --seeds 0 1 --noisy 8 --precise 1
"""
import argparse
import platform
import warnings

import numpy as np
import torch

import geoinr
from geoinr.datasets import analytic_ssh

NOISY = ("cryosat2", "saral")  # the two altimeters given the larger error
FLOOR_CM = 3.0  # cm: an error every observation shares (what the map cannot resolve between tracks), added to sigma


def records(seed: int, noisy_cm: float, precise_cm: float, days: int):
    tracks = geoinr.datasets.synthetic_tracks(days=days, seed=seed)
    sigma = np.where(np.isin(tracks.satellite.values, NOISY), noisy_cm, precise_cm) / 100.0  # m
    rng = np.random.default_rng(seed + 100)
    tracks["sla"] = tracks.sla_true + sigma * rng.standard_normal(sigma.size)
    tracks["sla"].attrs = dict(tracks.sla_true.attrs)
    tracks["weight"] = ("time", 1.0 / sigma**2)
    tracks["weight_floor"] = ("time", 1.0 / (sigma**2 + (FLOOR_CM / 100.0) ** 2))
    return tracks.drop_vars("sla_true")


def score(fitted, seed: int):
    grid = fitted.target_grid(0.1)
    pred = fitted.predict(grid)
    lat, lon = grid[fitted.coord_names_["lat"]].values, grid[fitted.coord_names_["lon"]].values
    days = (grid.time.values - np.datetime64("2020-01-01")) / np.timedelta64(1, "D")
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    truth = np.stack([analytic_ssh(lo, la, np.full(lo.shape, d), seed=seed) for d in days])
    err = pred.values - truth
    return float(np.sqrt(np.nanmean(err**2)) * 100.0), float(1.0 - np.sqrt(np.nanmean(err**2)) / np.sqrt(np.mean(truth**2)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--noisy", type=float, default=8.0, help="cm of noise on two altimeters")
    parser.add_argument("--precise", type=float, default=1.0, help="cm of noise on the other two")
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=400)
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(f"{platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads; noise {args.noisy} cm on "
          f"{', '.join(NOISY)}, {args.precise} cm on the others; {args.days} days; {args.epochs} epochs")
    print("| seed | fit | RMSE (cm) | mu |")
    print("|---:|---|---:|---:|")
    for seed in args.seeds:
        data = records(seed, args.noisy, args.precise, args.days)
        for label, weights in (("alike", None), ("1/sigma^2", "weight"),
                               (f"1/(sigma^2 + ({FLOOR_CM:g} cm)^2)", "weight_floor")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = data.inr.fit("sla", weights=weights, epochs=args.epochs, max_time=None, progress=False,
                                      seed=seed)
            rmse, mu = score(fitted, seed)
            print(f"| {seed} | {label} | {rmse:.3f} | {mu:.3f} |", flush=True)
        for label, weights in (("OI, alike", None), ("OI, 1/sigma^2", "weight"),
                               (f"OI, 1/(sigma^2 + ({FLOOR_CM:g} cm)^2)", "weight_floor")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                oi = geoinr.baselines.OptimalInterpolation(progress=False).fit(data, "sla", weights=weights)
            rmse, mu = score(oi, seed)
            print(f"| {seed} | {label} | {rmse:.3f} | {mu:.3f} |", flush=True)


if __name__ == "__main__":
    main()
