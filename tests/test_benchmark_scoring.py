"""benchmarks/real_ssh.py's scoring: lambda_x on the band of longitudes with the most water when no row crosses a box.

The benchmark scripts are not a package; the module is loaded by path, as tests/test_recipes.py loads the recipes.
"""
import importlib.util
import itertools
import os
import sys

import numpy as np
import pytest
import xarray as xr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHMARKS = os.path.join(ROOT, "benchmarks")


@pytest.fixture(scope="module")
def real_ssh():
    saved_path, saved_osse = list(sys.path), sys.modules.get("osse")
    spec = importlib.util.spec_from_file_location("_benchmark_real_ssh", os.path.join(BENCHMARKS, "real_ssh.py"))
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)  # it puts benchmarks/ on sys.path to import benchmarks/osse.py
    finally:
        sys.path[:] = saved_path
        if saved_osse is None:
            sys.modules.pop("osse", None)
        else:
            sys.modules["osse"] = saved_osse
    return mod


def _maps(water, nt=2, step=0.25, seed=0):
    """Random maps (time, latitude, longitude), NaN where ``water`` is False."""
    rng = np.random.default_rng(seed)
    ny, nx = water.shape
    data = rng.standard_normal((nt, ny, nx))
    data[:, ~water] = np.nan
    return xr.DataArray(data, dims=("time", "latitude", "longitude"),
                        coords={"time": np.arange(nt), "latitude": 30.0 + step * np.arange(ny),
                                "longitude": step * np.arange(nx)})


def _best_area(water, width):
    """Brute force: the largest (land-free rows) x (columns) over every band of at least ``width`` columns."""
    nx = water.shape[1]
    best = 0
    for j0, j1 in itertools.combinations(range(nx + 1), 2):
        if j1 - j0 >= width:
            rows = int(water[:, j0:j1].all(axis=1).sum())
            if rows >= 2:
                best = max(best, rows * (j1 - j0))
    return best


def _coastal_sea(ny=14, nx=56):
    """No row is water all the way across: a peninsula on the west, islands and a southern coast."""
    water = np.ones((ny, nx), bool)
    water[:, 5] = False  # a land bridge from south to north near the western edge
    water[:3, :] = False  # the southern coast
    water[3:6, 20:23] = False  # an island, inside the best band's columns but below its rows
    water[10:, 30:] = False  # a northern coast over the eastern half
    return water


def test_zonal_band_keeps_every_longitude_when_enough_rows_cross_the_box(real_ssh):
    water = np.ones((12, 40), bool)
    water[:3, 10] = False  # three rows cut by land; nine still cross the box
    assert real_ssh.zonal_band(_maps(water)) == slice(None)


def test_zonal_band_finds_the_largest_band_of_land_free_rows(real_ssh):
    water = _coastal_sea()
    assert not water.all(axis=1).any()
    full = _maps(water)
    band = real_ssh.zonal_band(full)
    width = int(round(real_ssh.MIN_ZONAL_DEGREES / 0.25))
    cols = water[:, band]
    assert cols.shape[1] >= width
    rows = int(cols.all(axis=1).sum())
    assert rows >= 2 and rows * cols.shape[1] == _best_area(water, width)
    # The band lies east of the land bridge; it cannot straddle it.
    assert band.start > 5


def test_score_gives_a_finite_lambda_x_where_no_row_is_all_water(real_ssh):
    water = _coastal_sea()
    rng = np.random.default_rng(1)
    red = _maps(np.ones_like(water), nt=3)
    red.values[:] = np.cumsum(rng.standard_normal(red.shape), axis=-1)  # a red zonal spectrum, k^-2
    full = red.where(water)
    pred = red + 0.5 * rng.standard_normal(red.shape)  # white error: the spectral score falls at high k
    with pytest.raises(ValueError, match="every zonal row"):
        real_ssh.metrics.effective_resolution_zonal(pred.where(water), full)  # all longitudes: no row left
    out = real_ssh.score(pred, full, full)
    dx_km = 6371.0 * np.radians(0.25) * np.cos(np.radians(32.0))
    assert 2 * dx_km < out["lambda_x"] < 20 * dx_km  # above the Nyquist wavelength, below the band's width
    assert 0.5 < out["mu"] < 1.0


def test_a_method_spec_outside_the_table_becomes_a_fit_with_its_options(real_ssh):
    spec = 'geoinr modulated_siren, model_options={"init": "tuner", "bound": 1.5}, min_wavelength=99.0'
    assert real_ssh.parse_method(spec) == {"model": "modulated_siren", "min_wavelength": 99.0,
                                           "model_options": {"init": "tuner", "bound": 1.5}}
    table = real_ssh.methods(10.0, 0, ["OI", spec])
    assert spec in table and "OI" in table  # a name of the table stays the table's method
    with pytest.raises(SystemExit, match="unknown method"):
        real_ssh.methods(10.0, 0, ["kriging"])


def test_the_osse_benchmark_reads_the_same_method_specs_and_refuses_a_filter_that_names_nothing(real_ssh):
    osse_bench = real_ssh.osse_bench  # benchmarks/osse.py, which real_ssh.py imports
    assert real_ssh.parse_method is osse_bench.parse_method
    spec = 'geoinr nif, model_options={"init": "siren"}'
    table = osse_bench.methods(10.0, 0, [spec, "OI", 'geoinr siren, precision="bfloat16"', "physics_weight=0.1"])
    assert spec in table and "OI" not in table  # filters ("OI", a piece of a name) stay filters
    assert sum('precision="bfloat16"' in name for name in table) == 1  # a name of the table stays the table's
    with pytest.raises(SystemExit, match="names no method"):  # before the case is built
        osse_bench.run(max_time=1.0, only=["kriging"])


def test_the_summary_over_seeds_pairs_each_run_with_oi_on_its_own_seed(real_ssh):
    runs = [("OI", 0, 0.84, 120.0), ("geoinr siren", 0, 0.86, 100.0),   # ahead on both
            ("OI", 1, 0.85, 110.0), ("geoinr siren", 1, 0.86, 115.0),   # ahead on mu only
            ("OI", 2, 0.80, 130.0), ("geoinr siren", 2, 0.79, 120.0),   # ahead on lambda_x only
            ("linear", 0, 0.70, 200.0), ("geoinr siren", 3, float("nan"), float("nan"))]  # seed 3 failed, no OI
    rows = [dict(case="c", method=m, seed=s, mu=mu, lambda_x=lam) for m, s, mu, lam in runs]
    lines = real_ssh.summarize(rows)
    cells = {line.split(" | ")[1]: [c.strip() for c in line.strip("| ").split(" | ")] for line in lines[2:]}
    assert cells["OI"] == ["c", "OI", "3", "0.830 (0.800-0.850)", "120 (110-130)", "-"]
    # the failed seed counts in no mean (said beside it), and without its OI the count of wins cannot be made
    assert cells["geoinr siren"] == ["c", "geoinr siren", "4", "0.837 (0.790-0.860; 3 of 4 finite)",
                                     "112 (100-120; 3 of 4 finite)", "no OI"]
    assert cells["linear"][-1] == "0 of 1"  # behind OI's 0.84 / 120 on seed 0
    rows = [r for r in rows if r["seed"] != 3]
    assert real_ssh.summarize(rows)[3].endswith("| 1 of 3 |")
