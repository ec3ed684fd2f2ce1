"""The examples run end to end (quick mode) and write what they promise."""
import os
import runpy
import subprocess
import sys

import xarray as xr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_quickstart_example_writes_maps_png_and_model(tmp_path):
    """examples/quickstart.py --quick writes the netCDF maps, the PNG and the model file."""
    mod = runpy.run_path(os.path.join(ROOT, "examples", "quickstart.py"))
    scores = mod["main"](out=str(tmp_path), quick=True)
    for name in ("sla_maps.nc", "sla_map.png", "sla.geoinr"):
        assert (tmp_path / name).stat().st_size > 1000
    maps = xr.open_dataset(tmp_path / "sla_maps.nc")
    assert maps.sla.attrs["units"] == "m" and "geoinr" in maps.sla.attrs["source"]
    assert set(maps.sla.dims) == {"time", "latitude", "longitude"}
    assert scores["mu"] > 0.3  # a tiny 5-second model already maps the eddies


def test_recipe_has_help_and_writes_netcdf(tmp_path):
    """data_recipes/synthetic_tracks.py: --help works and it writes a CF along-track file."""
    script = os.path.join(ROOT, "data_recipes", "synthetic_tracks.py")
    out = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True, check=True)
    assert "--days" in out.stdout
    path = tmp_path / "tracks.nc"
    subprocess.run([sys.executable, script, str(path), "--days", "2"], check=True, capture_output=True)
    ds = xr.open_dataset(path)
    assert ds.sla.dims == ("time",) and ds.latitude.attrs["units"] == "degrees_north"
