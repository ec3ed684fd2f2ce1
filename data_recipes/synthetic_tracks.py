"""Write synthetic along-track sea level (CMEMS L3 layout) to a netCDF file; no download.

    python data_recipes/synthetic_tracks.py tracks.nc --days 10 --noise 0.01

The field is the analytic eddy field of ``geoinr.datasets.analytic_ssh``; the
tracks come from circular orbits with real missions' inclinations and periods.
"""
import argparse

from geoinr.datasets import DEFAULT_REGION, ORBITS, synthetic_tracks


def make(path, region=DEFAULT_REGION, days=10.0, satellites=tuple(ORBITS), noise=0.0, seed=0):
    """Simulate the tracks and write them to ``path``; returns the Dataset."""
    ds = synthetic_tracks(region=region, days=days, satellites=satellites, noise=noise, seed=seed)
    ds.to_netcdf(path)
    return ds


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", help="output netCDF file")
    p.add_argument("--region", type=float, nargs=4, default=DEFAULT_REGION, metavar=("W", "E", "S", "N"))
    p.add_argument("--days", type=float, default=10.0, help="length of the period (default 10)")
    p.add_argument("--satellites", nargs="+", default=list(ORBITS), choices=sorted(ORBITS))
    p.add_argument("--noise", type=float, default=0.0, help="white noise std in metres (default 0)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    ds = make(a.path, tuple(a.region), a.days, tuple(a.satellites), a.noise, a.seed)
    print(f"wrote {a.path}: {ds.sizes['time']} observations")
