"""Digests of the predictions of fixed, epochs-budgeted fits: run it on two versions to see whether a change moved
any of these inputs onto another path (same digests: bit for bit the same maps).

Usage (the real samples of ``../shared/data``, when present, and built-in synthetic tracks)::

    python tools/same_predictions.py > new.txt
    git worktree add /tmp/old <commit> && PYTHONPATH=/tmp/old python tools/same_predictions.py > old.txt
    diff old.txt new.txt

Each line: the case, the prediction's shape, the first 16 hex digits of its SHA-256, and its standard deviation.
An epochs budget with ``max_time=None``, a seed and ``precision="float32"`` make the fits repeatable on one machine.
"""
import glob
import hashlib
import os
import warnings

import numpy as np
import torch
import xarray as xr

import geoinr

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
FIXED = dict(width=16, depth=2, epochs=3, max_time=None, seed=0, precision="float32", progress=False)


def cases() -> dict:
    """{name: predicted array} of every case whose data are at hand."""
    out = {}
    l3 = glob.glob(os.path.join(DATA, "l3_saral_20170402", "*.nc4"))
    if l3:
        day = xr.open_dataset(l3[0])
        box = day.where((day.latitude > 20) & (day.latitude < 50) & (day.longitude > 280) & (day.longitude < 320),
                        drop=True)
        model = geoinr.INRModel(**FIXED).fit(box, "sla_unfiltered")
        out["saral_l3_box"] = model.predict(model.target_grid(1.0)).values
    maps = sorted(glob.glob(os.path.join(DATA, "duacs_global_l4_2019", "*.nc")))
    if maps:
        duacs = xr.open_mfdataset(maps, combine="by_coords").load()
        adt = duacs.adt.where(duacs.adt > -100).sel(latitude=slice(30, 40), longitude=slice(290, 300))
        out["duacs_regrid"] = adt.inr.regrid(0.5, **FIXED).values
    tracks = geoinr.datasets.synthetic_tracks(days=10, seed=0)
    model = geoinr.INRModel(**FIXED).fit(tracks, "sla")
    out["tracks"] = model.predict(model.target_grid(1.0)).values
    model = geoinr.INRModel(**{**FIXED, "physics": "qg"}).fit(tracks, "sla")
    out["tracks_qg_ugos"] = model.derive("geostrophic_velocity", model.target_grid(1.0)).ugos.values
    return out


if __name__ == "__main__":
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    for name, values in cases().items():
        digest = hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()[:16]
        print(name, values.shape, digest, float(np.nanstd(values)))
