"""Sample a gridded (time, lat, lon) field along simulated altimeter ground tracks.

    python data_recipes/along_track.py qg_ssh.nc tracks.nc --variable ssh \\
        --missions jason3 sentinel3a sentinel3b saral --white-noise 0.01

A command-line front to :func:`geoinr.osse.sample_along_track` (missions table,
orbits, interpolation and noise live in :mod:`geoinr.osse`; in a notebook, call it
directly). The satellites fly circular repeat orbits with real missions'
inclinations, nodal periods and repeat cycles; their positions depend on absolute
time only, so a given date always gives the same tracks, repeated every cycle.
The field is interpolated linearly in time, latitude and longitude; points over
land / NaN or outside the grid are dropped. Optional white and
along-track-correlated (AR(1)) noise. With ``--swath`` a SWOT-like swath of
pixels 10-60 km either side of nadir is added.

The output follows the CMEMS L3 along-track layout: one dimension ``time``,
coordinates ``latitude``/``longitude``, data variable ``sla`` (with noise) and
``sla_true`` (without), and ``mission``, ``cycle``, ``track`` identifiers.
"""
from __future__ import annotations

import argparse

import xarray as xr

# Re-exported for the scripts and benchmarks that load this file by path.
from geoinr.geometry import EARTH_RADIUS_KM, haversine_km  # noqa: F401
from geoinr.osse import (  # noqa: F401
    ALIASES,
    MISSIONS,
    REFERENCE_EPOCH,
    Mission,
    ground_track,
    j2_nodal_period,
    j2_precession,
    mission,
    sample_along_track,
)

__all__ = ["Mission", "MISSIONS", "ALIASES", "mission", "ground_track", "sample_along_track", "haversine_km", "main"]


def main(argv=None) -> xr.Dataset:
    """Command-line entry point: read a netCDF field, sample it, write the tracks; returns the Dataset."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="netCDF file with a gridded (time, lat, lon) field")
    p.add_argument("output", help="output netCDF file (CMEMS L3 along-track layout)")
    p.add_argument("--variable", default="ssh", help="variable to sample (default ssh)")
    p.add_argument("--missions", nargs="+", default=["jason3", "sentinel3a", "sentinel3b", "saral"],
                   help=f"missions (default: jason3 sentinel3a sentinel3b saral); known: {', '.join(MISSIONS)}")
    p.add_argument("--sampling-s", type=float, default=1.0, help="seconds between samples (default 1)")
    p.add_argument("--white-noise", type=float, default=0.0, help="white noise std, metres (converted to the field's units) (default 0)")
    p.add_argument("--correlated-noise", type=float, default=0.0, help="AR(1) noise std, metres (converted to the field's units) (default 0)")
    p.add_argument("--correlation-km", type=float, default=100.0, help="AR(1) correlation length (default 100 km)")
    p.add_argument("--swath", action="store_true", help="add SWOT-like swath pixels 10-60 km from nadir")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    with xr.open_dataset(a.input) as ds:
        if a.variable not in ds:
            p.error(f"variable {a.variable!r} not in {a.input}; it has {list(ds.data_vars)} (use --variable)")
        tracks = sample_along_track(
            ds[a.variable], missions=a.missions, sampling_s=a.sampling_s, white_noise=a.white_noise,
            correlated_noise=a.correlated_noise, correlation_km=a.correlation_km, swath=a.swath, seed=a.seed,
        )
    tracks.to_netcdf(a.output)
    print(f"wrote {a.output}: {tracks.sizes['time']} observations from {', '.join(a.missions)}")
    return tracks


if __name__ == "__main__":
    main()
