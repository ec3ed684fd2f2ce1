"""The examples run end to end (quick mode) and write what they promise."""
import inspect
import os
import runpy
import subprocess
import sys

os.environ.setdefault("MPLBACKEND", "Agg")  # before matplotlib is imported anywhere in this process

import numpy as np
import pytest
import xarray as xr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = ("quickstart", "regrid", "gap_filling", "physics_currents", "surrogate", "save_load")


def _run(name, tmp_path):
    """main(out=tmp_path, quick=True) of examples/<name>.py."""
    mod = runpy.run_path(os.path.join(ROOT, "examples", f"{name}.py"))
    return mod["main"](out=str(tmp_path), quick=True)


def _assert_picture(path):
    """A PNG that shows something: a real file, and not one flat colour."""
    import matplotlib.image

    assert os.path.getsize(path) > 5_000, path
    img = matplotlib.image.imread(path)
    assert img.ndim == 3 and min(img.shape[:2]) > 200, (path, img.shape)
    assert float(img[..., :3].std()) > 0.05, f"{path} is nearly blank"


def test_quickstart_example_writes_maps_png_and_model(tmp_path):
    """examples/quickstart.py --quick writes the netCDF maps, the PNG and the model file."""
    mod = runpy.run_path(os.path.join(ROOT, "examples", "quickstart.py"))
    scores = mod["main"](out=str(tmp_path), quick=True)
    for name in ("sla_maps.nc", "sla_map.png", "sla.geoinr"):
        assert (tmp_path / name).stat().st_size > 1000
    maps = xr.open_dataset(tmp_path / "sla_maps.nc")
    assert maps.sla.attrs["units"] == "m" and "geoinr" in maps.sla.attrs["source"]
    assert set(maps.sla.dims) == {"time", "latitude", "longitude"}
    # CF: each bounds attribute names a variable of the file (the truth's coordinates named lat_bnds, not there)
    assert all(maps[c].attrs["bounds"] in maps.variables for c in ("latitude", "longitude"))
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


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_is_a_script_to_copy_cell_by_cell(name):
    """Each example says what it shows and how to run it, has cells and main(out, quick)."""
    path = os.path.join(ROOT, "examples", f"{name}.py")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    doc = runpy.run_path(path)["__doc__"]
    assert f"python examples/{name}.py --out" in doc and "--quick" in doc
    assert text.count("# %%") >= 3
    params = inspect.signature(runpy.run_path(path)["main"]).parameters
    assert list(params)[:2] == ["out", "quick"] and params["quick"].default is False


def test_regrid_example_beats_interpolation_of_the_coarse_grid(tmp_path):
    """examples/regrid.py: the SIREN's 0.1 degree maps are much closer to the truth than linear interpolation."""
    result = _run("regrid", tmp_path)
    scores = result["scores"]
    siren, linear = scores["SIREN"]["rmse"], scores["linear interpolation"]["rmse"]
    assert np.isfinite(siren) and siren < 0.75 * linear, scores
    assert scores["SIREN"]["mu"] > 0.85
    for key in ("maps", "history"):
        _assert_picture(result["paths"][key])
    fine = xr.open_dataarray(result["paths"]["netcdf"])
    assert dict(fine.sizes) == {"time": 4, "lat": 100, "lon": 100} and fine.attrs["units"] == "m"


def test_gap_filling_example_scores_siren_and_oi(tmp_path):
    """examples/gap_filling.py: both maps explain most of the QG ocean; the scores are the data challenge's."""
    result = _run("gap_filling", tmp_path)
    scores = result["scores"]
    assert set(scores) == {"SIREN", "OI"}
    for name, s in scores.items():
        assert s["mu"] > 0.75, (name, s)  # a map of zeros scores 0
        assert 0.0 < s["sigma_t"] < 0.1, (name, s)  # the score varies from day to day
        assert 30.0 < s["lambda_x"] < 400.0, (name, s)  # km: between the grid's 2 dx and the box
        assert 0.0 < s["rmse"] < 0.05  # m
    for key in ("maps", "daily_score", "history"):
        _assert_picture(result["paths"][key])


def test_physics_example_derives_currents_close_to_the_truth(tmp_path):
    """examples/physics_currents.py: geostrophic currents of both fits (data only, + QG) explain most of the flow."""
    result = _run("physics_currents", tmp_path)
    assert 0.1 < result["rms_true_uv"] < 1.0  # m/s: the simulated ocean's currents are oceanic
    for name in ("SIREN", "SIREN + QG"):
        s = result["scores"][name]
        assert s["uv_mu"] > 0.5, (name, s)  # a zero-current map scores 0
        assert s["ssh_mu"] > 0.75, (name, s)
    for key in ("maps", "ssh", "history"):
        _assert_picture(result["paths"][key])


def test_surrogate_example_is_as_good_between_snapshots_as_on_them(tmp_path):
    """examples/surrogate.py: at the unseen days the surrogate beats the nearest snapshot and linear interpolation between
    snapshots, with no error spike."""
    result = _run("surrogate", tmp_path)
    scores = result["scores"]
    s = scores[result["model"]]
    assert result["model"] == "modulated_siren"
    assert s["mu_unseen"] > 0.9, scores
    assert s["rmse_unseen"] < scores["nearest snapshot"]["rmse_unseen"], scores
    assert s["rmse_unseen"] < scores["linear interpolation"]["rmse_unseen"], scores  # 0.49 against 0.56 cm
    assert s["rmse_unseen"] < 1.5 * s["rmse_seen"], scores
    for key in ("maps", "rmse", "history"):
        _assert_picture(result["paths"][key])


def test_save_load_example_predicts_identically_on_a_curvilinear_grid(tmp_path):
    """examples/save_load.py: the loaded model predicts bit-identical values on a NEMO-style grid."""
    result = _run("save_load", tmp_path)
    assert result["identical"] is True
    assert result["scores"]["mu"] > 0.4, result["scores"]
    sla = xr.open_dataarray(result["paths"]["netcdf"])
    assert sla.dims == ("time_counter", "y", "x") and {"nav_lat", "nav_lon"} <= set(sla.coords)
    assert np.isfinite(sla).all() and sla.attrs["units"] == "m"
    for key in ("maps", "history"):
        _assert_picture(result["paths"][key])
