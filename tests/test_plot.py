"""Plots (geoinr.plot) and the model's displays (geoinr.display, repr, _repr_html_)."""
import io
import math
import os
import subprocess
import sys
import warnings

os.environ.setdefault("MPLBACKEND", "Agg")  # before matplotlib is imported anywhere in this process

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr
from geoinr import display
from geoinr.plot import plot_history, plot_maps

plt = pytest.importorskip("matplotlib.pyplot")

TINY = {"width": 16, "depth": 1, "epochs": 30, "max_time": None, "batch_size": 512, "lr": 1e-3, "progress": False, "seed": 0}


@pytest.fixture(scope="module")
def tracks():
    return geoinr.datasets.synthetic_tracks(days=3, noise=0.01, seed=0)


@pytest.fixture(scope="module")
def fitted(tracks):
    return tracks.inr.fit("sla", **TINY)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _png_bytes(fig) -> int:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    return buf.tell()


def _mesh(ax):
    """The QuadMesh that xarray drew on ``ax``."""
    from matplotlib.collections import QuadMesh

    return next(c for c in ax.collections if isinstance(c, QuadMesh))


def _title_rmse(ax) -> float:
    """The RMSE written in an error panel's title ("..., RMSE 0.012 m")."""
    return float(ax.get_title().split("RMSE ")[1].split()[0])


def _colorbar_label(ax) -> str:
    return _mesh(ax).colorbar.ax.get_ylabel()


# ----------------------------------------------------------------------------- lazy import
def test_import_geoinr_does_not_import_matplotlib_even_for_repr():
    """import geoinr (and geoinr.plot, and a fitted model's repr/HTML) never imports matplotlib."""
    code = (
        "import sys, geoinr, geoinr.plot, geoinr.display\n"
        "assert 'matplotlib' not in sys.modules, 'import'\n"
        "t = geoinr.datasets.synthetic_tracks(days=2, seed=0)\n"
        "m = t.inr.fit('sla', width=8, depth=1, epochs=1, max_time=None, progress=False)\n"
        "repr(m); m._repr_html_()\n"
        "assert 'matplotlib' not in sys.modules, 'repr'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_missing_matplotlib_says_how_to_install_it():
    """Without matplotlib, plotting raises an ImportError naming the 'plot' extra."""
    code = (
        "import sys; sys.modules['matplotlib'] = None; sys.modules['matplotlib.pyplot'] = None\n"
        "import pandas as pd, geoinr.plot\n"
        "try:\n"
        "    geoinr.plot.plot_history(pd.DataFrame({'epoch': [1.0], 'loss': [1.0]}))\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert 'pip install "geoinr[plot]"' in out.stdout


# ----------------------------------------------------------------------------- history
def test_plot_history_draws_losses_and_marks_the_best_validation_check(fitted):
    ax = fitted.plot_history()
    lines = {line.get_label(): line for line in ax.get_lines()}
    hist = fitted.history
    np.testing.assert_allclose(lines["training"].get_ydata(), hist["loss"])
    np.testing.assert_allclose(lines["validation"].get_xdata(), hist["epoch"])
    best = hist["val_loss"].idxmin()
    (label,) = [k for k in lines if k.startswith("best")]
    assert lines[label].get_ydata()[0] == pytest.approx(hist["val_loss"][best])
    assert label == f"best held-out check (epoch {round(hist['epoch'][best], 1):g})"
    # the held-out points joined the training at the end: a dotted line after the last held-out check
    last = hist["epoch"][hist["val_loss"].last_valid_index()]
    assert lines[f"held-out points trained on after epoch {round(last, 1):g}"].get_xdata()[0] == pytest.approx(last)
    assert ax.get_yscale() == "log" and "epoch" in ax.get_xlabel()
    assert _png_bytes(ax.figure) > 2000


def test_plot_history_takes_a_table_and_an_axes():
    """A history DataFrame without validation; the curve with a physics residual; the given axes is used."""
    hist = pd.DataFrame(
        {"epoch": [1.0, 2.0, 3.0], "loss": [1.0, 0.5, 0.6], "val_loss": [np.nan] * 3, "physics_loss": [0.0, 0.1, 0.2]}
    )
    _, ax = plt.subplots()
    out = plot_history(hist, ax=ax)
    assert out is ax
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["training", "best (epoch 2)"]  # best training loss without validation
    right = [a for a in ax.figure.axes if a is not ax]  # the physics loss on an axis of its own
    assert [line.get_label() for line in right[0].get_lines()] == ["physics loss (weighted; right axis)"]
    assert right[0].get_yscale() == "linear"  # a zero loss cannot go on a log axis
    with pytest.raises(ValueError, match="'epoch' and 'loss'"):
        plot_history(pd.DataFrame({"step": [1]}))


# ----------------------------------------------------------------------------- maps
@pytest.fixture(scope="module")
def truth():
    return geoinr.datasets.synthetic_grid(days=3, resolution=0.5, seed=0)["sla_true"]


def test_plot_maps_shares_one_scale_and_reports_the_error(truth, tracks):
    rng = np.random.default_rng(0)
    estimate = truth + 0.02 * rng.standard_normal(truth.shape)
    estimate.attrs = dict(truth.attrs)
    fig, axes = plot_maps(truth, estimate, tracks, time="2020-01-02")
    assert list(axes) == ["truth", "estimate", "error estimate"]
    m_truth, m_est, m_err = (_mesh(axes[k]) for k in axes)
    assert m_truth.get_clim() == m_est.get_clim()
    lo, hi = m_truth.get_clim()
    assert lo == pytest.approx(-hi) and m_truth.get_cmap().name == "RdBu_r"  # sea level changes sign
    elo, ehi = m_err.get_clim()
    assert elo == pytest.approx(-ehi) and 0 < ehi < hi and m_err.get_cmap().name == "PuOr_r"
    day = truth.sel(time="2020-01-02")
    err = float(np.sqrt(((estimate.sel(time="2020-01-02") - day) ** 2).mean()))
    assert axes["error estimate"].get_title() == f"error, RMSE {err:.2g} m"
    assert _colorbar_label(axes["truth"]).endswith("[m]") and _colorbar_label(axes["error estimate"]) == "error [m]"
    assert "2020-01-02" in fig.get_suptitle()
    # the dots are the observations within +-12 h of the map's time
    t0 = np.datetime64("2020-01-02")
    n_near = int((np.abs(tracks.time.values - t0) <= np.timedelta64(12, "h")).sum())
    scatter = [c for c in axes["estimate"].collections if c is not m_est]
    assert len(scatter) == 1 and len(scatter[0].get_offsets()) == n_near > 0
    assert _png_bytes(fig) > 10000


def test_plot_maps_aligns_grids_names_and_dimension_orders():
    """Truth on a coarse (lat, lon) grid, estimate on a finer (longitude, latitude) one: linear fields agree."""
    def plane(lon, lat):
        return 0.01 * lon - 0.02 * lat

    lat, lon = np.arange(30.0, 40.1, 1.0), np.arange(0.0, 10.1, 1.0)
    truth = xr.DataArray(plane(lon[None, :], lat[:, None]), dims=("lat", "lon"), coords={"lat": lat, "lon": lon},
                         name="sla", attrs={"units": "m"})
    flat, flon = np.arange(31.0, 39.0, 0.25), np.arange(1.0, 9.0, 0.25)
    estimate = xr.DataArray(plane(flon[:, None], flat[None, :]), dims=("longitude", "latitude"),
                            coords={"longitude": flon, "latitude": flat}, name="sla", attrs={"units": "m"})
    _, axes = plot_maps(truth, estimate)
    assert _title_rmse(axes["error estimate"]) < 1e-9
    _, axes = plot_maps(truth, estimate + 0.05)  # and a shifted estimate has the shift as its error
    assert _title_rmse(axes["error estimate"]) == pytest.approx(0.05)


def test_plot_maps_curvilinear_estimate_and_several_estimates(truth):
    """A rotated 2-D lat/lon grid is drawn as is; the truth is interpolated onto it; a dict gives 2 rows."""
    j, i = np.meshgrid(np.arange(20.0), np.arange(30.0), indexing="ij")
    a = math.radians(30.0)
    lon = 5.0 + 0.1 * (i - 15) * math.cos(a) - 0.1 * (j - 10) * math.sin(a)
    lat = 35.0 + 0.1 * (i - 15) * math.sin(a) + 0.1 * (j - 10) * math.cos(a)
    grid = xr.Dataset(coords={"nav_lon": (("y", "x"), lon), "nav_lat": (("y", "x"), lat)})
    day = truth.isel(time=1)
    on_grid = day.interp(lat=grid.nav_lat, lon=grid.nav_lon).reset_coords(drop=True)
    est = xr.DataArray(on_grid.values, dims=("y", "x"), coords=grid.coords, name="sla", attrs={"units": "m"})
    fig, axes = plot_maps(day, {"A": est, "B": est + 0.01})
    assert list(axes) == ["truth", "A", "error A", "B", "error B"]
    assert axes["error A"].get_title().startswith("A - truth, RMSE") and _title_rmse(axes["error A"]) < 1e-9
    assert _title_rmse(axes["error B"]) == pytest.approx(0.01)
    grid_axes = fig.axes[:6]  # the 2 x 3 panels (colour bars come after)
    assert sum(not ax.axison for ax in grid_axes) == 1  # the cell under the truth stays empty
    # no truth: the estimates alone, on one row
    _, axes = plot_maps(None, est)
    assert list(axes) == ["estimate"]


def test_plot_maps_positive_field_gets_a_sequential_scale(truth):
    sst = (truth * 10 + 20).assign_attrs(long_name="sea surface temperature", units="degC")
    _, axes = plot_maps(sst, sst)
    assert _mesh(axes["truth"]).get_cmap().name == "viridis"
    lo, hi = _mesh(axes["truth"]).get_clim()
    assert 15 < lo < hi < 25
    assert _colorbar_label(axes["truth"]) == "sea surface temperature [degC]"


def test_plot_maps_refuses_what_is_not_one_map(truth):
    ds = xr.Dataset({"a": truth, "b": truth})
    with pytest.raises(ValueError, match="pass one of them"):
        plot_maps(None, ds)
    with pytest.raises(ValueError, match="must be one map"):
        plot_maps(None, truth.expand_dims(depth=[0.0, 10.0]))


# ----------------------------------------------------------------------------- display
def test_repr_of_an_unfitted_model_is_its_constructor_call():
    m = geoinr.INRModel("nif", width=16, model_options={"rank": 4})
    text = repr(m)
    assert text == "INRModel(model='nif', width=16, model_options={'rank': 4})"
    again = eval(text, {"INRModel": geoinr.INRModel})  # our own repr
    assert again.get_params() == m.get_params()
    page = m._repr_html_()
    assert "not fitted" in page and "nif" in page and "width=16" in page


def test_repr_of_a_fitted_model_has_the_facts(fitted):
    text = repr(fitted)
    lines = text.splitlines()
    assert lines[0].startswith("INRModel(width=16, depth=1,")
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"network", "encodings", "data", "training", "score", "device"}
    assert f"{fitted.n_parameters_:,} parameters" in rows["network"]
    assert f"{fitted.n_points_:,} points" in rows["data"] and "sla (m)" in rows["data"]
    assert "2020-01-01" in rows["data"]
    assert "30 epochs" in rows["training"] and "budget reached" in rows["training"]
    assert "best validation loss" in rows["score"] and rows["device"].split()[-1] == "cpu"
    s = display.summary(fitted)
    assert s["best_loss"] == pytest.approx(fitted.best_val_loss_)
    assert s["best_rmse"] == pytest.approx(math.sqrt(fitted.best_val_loss_) * fitted.std_[0])
    assert s["fit_seconds"] == pytest.approx(fitted.fit_seconds_)
    assert f"RMSE {s['best_rmse']:.3g} m" in rows["score"]


def test_html_display_is_an_escaped_compact_table(tracks):
    """Names come from user data: they are escaped, never interpreted as HTML."""
    ds = tracks[["sla"]].rename(sla="<i>sla</i>")
    ds["<i>sla</i>"].attrs["units"] = "<b>m</b>"
    m = ds.inr.fit("<i>sla</i>", **TINY)
    page = m._repr_html_()
    assert "&lt;i&gt;sla&lt;/i&gt;" in page and "<i>sla</i>" not in page and "<b>m</b>" not in page
    assert page.count("<tr>") == 7 and page.startswith('<div class="geoinr-model">')
    for label in ("parameters", "network", "encodings", "data", "training", "score", "device"):
        assert f"<th>{label}</th>" in page


def test_display_of_a_loaded_model_and_of_odd_states(fitted, tmp_path):
    path = tmp_path / "m.geoinr"
    fitted.save(path)
    loaded = geoinr.load(path)
    assert repr(loaded).splitlines()[1:] == repr(fitted).splitlines()[1:]  # the same facts after a round trip
    # missing training facts (e.g. a model from an older file) still display
    del loaded.fit_seconds_, loaded.best_val_loss_
    s = display.summary(loaded)
    assert s["fit_seconds"] == pytest.approx(fitted.history["seconds"].max())
    assert s["best_loss"] == pytest.approx(fitted.history["val_loss"].min())
    # a repr never raises, whatever the state
    del loaded.n_points_
    assert repr(loaded).startswith("INRModel(") and "summary failed" in repr(loaded)
    assert "summary failed" in loaded._repr_html_()


def _saved_both_ways(fig, tmp_path):
    """``fig`` as matplotlib writes it (full colour) and as ``geoinr.plot.savefig`` does (a palette), both at 60 dpi.

    A figure's first drawing moves its layout, so a throwaway drawing comes first and the two
    compared are later ones. Returns the paths, savefig's return value, the palette image's mode
    and size, the full image's size and both as RGB arrays (int).
    """
    from types import SimpleNamespace

    from PIL import Image

    from geoinr.plot import savefig

    full, small = tmp_path / "full.png", tmp_path / "small.png"
    fig.savefig(io.BytesIO(), dpi=60)
    fig.savefig(full, dpi=60)
    written = savefig(fig, small, dpi=60)
    with Image.open(small) as im, Image.open(full) as ref:
        return SimpleNamespace(full=full, small=small, written=written, mode=im.mode, size=im.size,
                               full_size=ref.size, rgb=np.asarray(im.convert("RGB"), int),
                               full_rgb=np.asarray(ref.convert("RGB"), int))


def test_savefig_writes_a_small_palette_png(truth, tmp_path):
    """geoinr.plot.savefig: a 256-colour PNG, several times smaller than matplotlib's; other formats as usual."""
    from geoinr.plot import savefig

    rng = np.random.default_rng(0)
    fig, _ = plot_maps(truth, truth + 0.02 * rng.standard_normal(truth.shape))
    saved = _saved_both_ways(fig, tmp_path)
    assert saved.written == str(saved.small)
    assert saved.mode == "P" and saved.size == saved.full_size
    diff = np.abs(saved.rgb - saved.full_rgb)
    assert diff.mean() < 3.0  # out of 255: the same picture
    assert saved.small.stat().st_size < 0.6 * saved.full.stat().st_size
    svg = tmp_path / "maps.svg"
    savefig(fig, svg)
    assert svg.read_text().lstrip().startswith("<?xml")


def test_savefig_keeps_the_colours_that_few_pixels_use(tmp_path):
    """A second colour map on a small area (an error panel's colorbar) keeps its colours: no pixel is far off.

    A median-cut palette spent its colours on the large smooth areas and drew such a colorbar in greys and
    teals (up to 83 of 765 off per pixel on the quickstart's figure); the palette now covers every colour.
    """
    y, x = np.mgrid[0:1:200j, 0:1:200j]
    fig, (big, small) = plt.subplots(1, 2, figsize=(6, 3), width_ratios=[12, 1])
    big.imshow(np.sin(6 * x) * np.cos(4 * y), cmap="RdBu_r")
    small.imshow(np.linspace(-1, 1, 256)[:, None], cmap="PuOr_r", aspect="auto")
    saved = _saved_both_ways(fig, tmp_path)
    plt.close(fig)
    off = np.abs(saved.rgb - saved.full_rgb).sum(axis=-1)
    assert off.max() <= 30, f"a pixel is {off.max()} of 765 off"


# ----------------------------------------------------------------------------- ax=, std, spectral score
def test_every_plotting_function_takes_ax():
    import inspect

    import geoinr.plot as gp

    plotting = [name for name in gp.__all__ if name.startswith("plot_")]
    assert set(plotting) == {"plot_history", "plot_maps", "plot_std", "plot_spectral_score"}
    for name in plotting:
        param = inspect.signature(getattr(gp, name)).parameters.get("ax")
        assert param is not None and param.default is None, name


def test_plot_maps_draws_on_given_axes(truth, tracks):
    fig, row = plt.subplots(1, 3)
    out_fig, axes = plot_maps(truth, truth + 0.01, tracks, time="2020-01-02", ax=row, projection=False)
    assert out_fig is fig and list(axes.values()) == list(row)
    assert not fig.get_suptitle() and "2020-01-02" in axes["truth"].get_title()  # the caller's figure keeps its title
    assert _title_rmse(axes["error estimate"]) == pytest.approx(0.01)
    _, one = plt.subplots()
    _, axes = plot_maps(None, truth, ax=one, projection=False)  # a single panel: a single Axes
    assert axes["estimate"] is one
    with pytest.raises(ValueError, match="one Axes per panel: 3 panels to draw, 2 axes given"):
        plot_maps(truth, truth, ax=plt.subplots(1, 2)[1])


def test_plot_std_from_zero_with_tracks_and_the_pair_from_predict(truth, tracks):
    from geoinr.plot import plot_std

    oi = geoinr.baselines.OptimalInterpolation(lx=100.0, ly=100.0, lt=10.0).fit(tracks, "sla")
    mean, std = oi.predict(truth.to_dataset().drop_vars("sla_true"), return_std=True)
    _, given = plt.subplots()
    ax = plot_std((mean, std), ax=given, tracks=tracks, time="2020-01-02", projection=False)
    assert ax is given
    mesh = _mesh(ax)
    lo, hi = mesh.get_clim()
    day = std.sel(time="2020-01-02").values
    assert lo == 0.0 and hi == pytest.approx(np.percentile(day, 99.5))
    assert mesh.get_cmap().name == "viridis"
    np.testing.assert_allclose(np.ma.compressed(mesh.get_array()), day.ravel())
    assert _colorbar_label(ax).startswith("formal mapping error") and _colorbar_label(ax).endswith("[m]")
    assert "2020-01-02" in ax.get_title() and "±12h" in ax.get_title()
    t0 = np.datetime64("2020-01-02")
    n_near = int((np.abs(tracks.time.values - t0) <= np.timedelta64(12, "h")).sum())
    (dots,) = [c for c in ax.collections if c is not mesh]
    assert len(dots.get_offsets()) == n_near > 0
    # a Dataset: its standard error variable is found; a new figure by default
    both = xr.Dataset({"sla": mean, "sla_std": std})
    ax2 = plot_std(both, vmax=0.5, title="std", projection=False)
    assert ax2 is not given and _mesh(ax2).get_clim() == (0.0, 0.5) and ax2.get_title() == "std"
    assert _png_bytes(ax2.figure) > 5000
    with pytest.raises(ValueError, match="pair"):
        plot_std((mean, std, std))
    # the mean, or a Dataset without a std, was drawn from 0 as if it were the error (a review of 2026-12-06)
    with pytest.raises(ValueError, match=r"holds negative values .* Is it the mean\? predict\(\.\.\., return_std"):
        plot_std(mean)
    with pytest.raises(ValueError, match=r"holds no standard deviation .* it has \['sla'\]"):
        plot_std(mean.to_dataset(name="sla"))
    with pytest.raises(ValueError, match=r"several standard deviations, \['a_std', 'b_std'\]"):
        plot_std(xr.Dataset({"a_std": std, "b_std": std}))


def test_plot_spectral_score_zonal_marks_the_half_line_and_the_resolution(truth):
    from geoinr.metrics import effective_resolution_zonal
    from geoinr.plot import plot_spectral_score

    fine = geoinr.datasets.synthetic_grid(days=3, resolution=0.1, seed=0)["sla_true"]
    smooth = fine.rolling(lon=9, center=True, min_periods=1).mean()
    res = effective_resolution_zonal(smooth, fine)
    _, given = plt.subplots()
    ax = plot_spectral_score(smooth, fine, ax=given, label="smoothed", color="C3")
    assert ax is given and ax.get_xscale() == "log" and ax.get_xlabel() == "wavelength [km]"
    curve, half, mark = ax.get_lines()
    order = np.argsort(res.wavelength)
    np.testing.assert_allclose(curve.get_xdata(), res.wavelength[order])
    np.testing.assert_allclose(curve.get_ydata(), res.score[order])
    assert curve.get_label() == "smoothed" and list(half.get_ydata()) == [0.5, 0.5]
    assert mark.get_xdata()[0] == pytest.approx(res.resolution)
    assert f"{res.resolution:.3g} km" in mark.get_label()
    # a second curve on the same axes, from a result computed already: one 0.5 line only
    sharper = effective_resolution_zonal(fine.rolling(lon=3, center=True, min_periods=1).mean(), fine)
    plot_spectral_score(sharper, ax=ax, label="3 points")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels.count("score 0.5") == 1 and "3 points" in labels
    assert sharper.resolution < res.resolution
    with pytest.raises(ValueError, match="kind must be one of"):
        plot_spectral_score(smooth, fine, kind="meridional")
    with pytest.raises(ValueError, match="needs the truth"):
        plot_spectral_score(smooth)


def test_plot_spectral_score_leaderboard_filled_contours():
    from matplotlib.contour import ContourSet

    from geoinr.metrics import leaderboard_resolution
    from geoinr.plot import plot_spectral_score

    rng = np.random.default_rng(0)
    nt, nx, nlat = 64, 64, 4
    walk = np.cumsum(np.cumsum(rng.standard_normal((nt, nlat, nx)), axis=0), axis=2)
    coords = {"time": pd.date_range("2020-01-01", periods=nt), "lat": np.arange(nlat) * 0.5, "lon": np.arange(nx) * 0.25}
    ref = xr.DataArray(walk, dims=("time", "lat", "lon"), coords=coords)
    est = ref + rng.standard_normal(ref.shape)
    res = leaderboard_resolution(est, ref)
    ax = plot_spectral_score(est, ref, kind="leaderboard")
    contours = [c for c in ax.collections if isinstance(c, ContourSet)] or [
        c for c in ax.get_children() if isinstance(c, ContourSet)
    ]
    assert len(contours) == 2  # filled score and the 0.5 line
    assert f"{res.lambda_x:.3g}°" in ax.get_title() and f"{res.lambda_t:.3g} days" in ax.get_title()
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "period [days]"
    vertical = [ln for ln in ax.get_lines() if ln.get_xdata()[0] == ln.get_xdata()[-1]]
    assert vertical and vertical[0].get_xdata()[0] == pytest.approx(res.lambda_x)
    assert _png_bytes(ax.figure) > 5000


# ----------------------------------------------------------------------------- cartopy (optional)
def test_maps_without_cartopy_are_plain_axes_and_projection_true_says_how_to_install(truth, monkeypatch):
    """cartopy hidden (as when the 'maps' extra is not installed): plain lon/lat axes; asking for it explains."""
    monkeypatch.setitem(sys.modules, "cartopy", None)
    monkeypatch.setitem(sys.modules, "cartopy.crs", None)
    from geoinr.plot import plot_std

    _, axes = plot_maps(truth, truth)
    ax = axes["truth"]
    assert not hasattr(ax, "projection") and ax.get_aspect() == pytest.approx(1 / math.cos(math.radians(35.0)), rel=0.01)
    assert not hasattr(plot_std(truth.isel(time=0) ** 2), "projection")
    with pytest.raises(ImportError, match=r'pip install "geoinr\[maps\]"'):
        plot_maps(truth, truth, projection=True)


def _fake_coastline(root):
    """A Natural Earth-like coastline shapefile (one line) where cartopy looks for pre-existing data."""
    shapefile = pytest.importorskip("shapefile")  # pyshp, a dependency of cartopy
    folder = root / "shapefiles" / "natural_earth" / "physical"
    folder.mkdir(parents=True)
    for res in ("50m", "110m"):
        w = shapefile.Writer(str(folder / f"ne_{res}_coastline"), shapeType=shapefile.POLYLINE)
        w.field("name", "C")
        w.line([[[2.0, 31.0], [4.0, 33.0], [3.0, 36.0], [5.0, 39.0]]])
        w.record("fake coast")
        w.close()


def test_maps_with_cartopy_have_a_projection_and_coastlines(truth, tracks, tmp_path, monkeypatch):
    """Runs where cartopy is installed (pip install "geoinr[maps]"); Natural Earth data faked, nothing downloaded."""
    cartopy = pytest.importorskip("cartopy")
    import cartopy.crs as ccrs
    from cartopy.mpl.feature_artist import FeatureArtist

    from geoinr.plot import plot_std

    _fake_coastline(tmp_path)
    monkeypatch.setitem(cartopy.config, "pre_existing_data_dir", str(tmp_path))
    fig, axes = plot_maps(truth, truth + 0.01, tracks, time="2020-01-02")
    ax = axes["truth"]
    assert isinstance(ax.projection, ccrs.PlateCarree)
    assert ax.projection.proj4_params.get("pm") == pytest.approx(5.0)  # centred on the 0-10 E box
    assert any(isinstance(a, FeatureArtist) for a in ax.get_children())  # the coastlines
    assert _mesh(ax).get_transform() is not None and _title_rmse(axes["error estimate"]) == pytest.approx(0.01)
    west, east, south, north = ax.get_extent(crs=ccrs.PlateCarree())
    assert (west, east, south, north) == pytest.approx((0.0, 10.0, 30.0, 40.0), abs=0.3)
    assert _png_bytes(fig) > 10000
    # a projection of the caller's choosing, and a GeoAxes given as ax
    _, axes = plot_maps(None, truth, projection=ccrs.Mercator(), coastlines=False)
    assert isinstance(axes["estimate"].projection, ccrs.Mercator)
    _, geo = plt.subplots(subplot_kw={"projection": ccrs.Robinson()})
    assert plot_std(truth ** 2, ax=geo) is geo
    # no Natural Earth data and no network: drawn without coastlines, with a warning
    def offline(**kwargs):
        raise OSError("offline")

    monkeypatch.setattr("cartopy.io.shapereader.natural_earth", offline)
    monkeypatch.setattr(geoinr.plot, "_COASTLINES", {"missing": set(), "warned": False})  # a fresh session's
    with pytest.warns(UserWarning, match="Coastlines not drawn"):
        ax = plot_std(truth ** 2)
    assert not any(isinstance(a, FeatureArtist) for a in ax.get_children())
    _png_bytes(ax.figure)
    with warnings.catch_warnings():  # once a session: later maps neither warn again nor retry the download
        warnings.simplefilter("error")
        plot_std(truth ** 2)


def test_a_long_name_on_a_colour_bar_keeps_its_units():
    """OI's std is named "formal mapping error (standard deviation) of Absolute dynamic topography": wrapped on two
    lines the units fell off the end (a user review). The name is shortened instead."""
    from geoinr.plot import _label

    long = "formal mapping error (standard deviation) of Absolute dynamic topography"
    for name, units in [(long, "m"), (long + " " + long, "m s-1"), ("sea level anomaly", "m")]:
        label = _label(xr.DataArray([1.0], dims="p", name="v", attrs={"long_name": name, "units": units}))
        assert label.endswith(f"[{units}]") and len(label.split("\n")) <= 2, label
    assert _label(xr.DataArray([1.0], dims="p", name="v", attrs={"long_name": "x"})) == "x"
