"""Every model on the same synthetic along-track case with the same time budget.

Built-in case: 4 altimeters, 10 days, 1 cm white noise, 10x10 degree box
(``geoinr.datasets.synthetic_tracks``); daily 0.1-degree maps scored against the
known truth. Default sizes and data-derived frequencies for every model.

    python benchmarks/models.py --max-time 20
"""
import argparse
import platform
import time
import warnings

import torch

import geoinr

CASES = [
    ("siren", None),
    ("modulated_siren", None),
    ("modulated_siren", {"modulation": "shift"}),
    ("nif", None),
    ("nif", {"variant": "last_layer"}),
    ("fourier_net", None),
    ("gabor_net", None),
    ("ffn", None),
    ("ffn", {"kernel": "laplacian"}),
    ("ffn", {"kernel": "cauchy"}),
    ("ffn", {"kernel": "matern"}),
    ("mlp", None),
]


def run(max_time=20.0, seed=0, cases=CASES):
    tracks = geoinr.datasets.synthetic_tracks(days=10, noise=0.01, seed=seed)
    truth = geoinr.datasets.synthetic_grid(resolution=0.1, days=10, seed=seed)
    truth = truth.drop_vars("sla").rename(sla_true="sla").isel(time=slice(1, None))
    rows = []
    for model, options in cases:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = tracks.inr.fit("sla", model=model, model_options=options, max_time=max_time, seed=seed, progress=False)
        seconds = time.perf_counter() - t0
        s = fitted.scores(truth)
        steps = int(fitted.history.step.iloc[-1])
        rows.append((model, options or "", s["rmse"] * 100, s["mu"], seconds, steps, fitted.n_parameters_, fitted.stop_reason_))
    return rows


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-time", type=float, default=20.0, help="training budget per model, seconds")
    a = p.parse_args()
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, "
          f"geoinr {geoinr.__version__}, budget {a.max_time:.0f} s per model")
    print("| model | options | RMSE (cm) | mu | seconds | steps | parameters | stopped |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for model, opt, r, mu, sec, steps, npar, why in run(a.max_time):
        print(f"| {model} | {opt} | {r:.2f} | {mu:.3f} | {sec:.1f} | {steps} | {npar:,} | {why} |")
