"""Fixes from a review of a first hour with the real files of ../shared/data (2026-12-05, sixth session)."""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr
from geoinr import sentinels
from geoinr.osse import sample_along_track

LAND = -214748.3647  # DUACS L4's land once decoded: int32 minimum + 1, times 1e-4


def _coastal_field(days=3, packed=True):
    """A smooth field on a 10 x 10 deg box whose western third is land stored as a number, as in DUACS L4."""
    lat = np.arange(30.0, 40.01, 0.25)
    lon = np.arange(280.0, 290.01, 0.25)
    t = pd.date_range("2019-01-01", periods=days)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    base = 0.3 * np.sin(np.radians(lo) * 20) * np.cos(np.radians(la) * 15)
    values = np.repeat(base[None], days, axis=0)
    values[:, :, lon < 283.5] = LAND
    da = xr.DataArray(values, coords={"time": t, "latitude": lat, "longitude": lon},
                      dims=("time", "latitude", "longitude"), name="adt", attrs={"units": "m"})
    if packed:
        da.encoding.update(dtype=np.dtype("int32"), scale_factor=1e-4)
    return da


def test_the_sampler_masks_undeclared_land_instead_of_mixing_it_into_the_samples():
    """The bilinear interpolation mixed -214,748 m into the samples next to the coast (2,691 of 16,661 on a
    Gulf Stream box of the real file; six of them within the range a fit keeps, which wrecked OI's map)."""
    field = _coastal_field()
    with pytest.warns(UserWarning, match="never interpolated across"):
        tracks = sample_along_track(field, missions=["jason3", "sentinel3a", "saral"], white_noise=0.0)
    assert tracks.sizes["time"] > 0
    assert float(tracks.sla_true.min()) > -0.31 and float(tracks.sla_true.max()) < 0.31
    assert float(tracks.longitude.min()) >= 283.5 - 0.25  # no sample over the land, beyond the last sea cell's edge


def test_the_sampler_masks_fills_of_a_dask_backed_field_lazily():
    field = _coastal_field().chunk({"time": 1})  # the packing (kept in .encoding) says which value is land
    assert field.encoding.get("scale_factor") == 1e-4
    with pytest.warns(UserWarning, match="look like undeclared fill values"):
        tracks = sample_along_track(field, missions=["jason3"], white_noise=0.0)
    assert float(tracks.sla_true.min()) > -0.31


def test_fill_gaps_replaces_the_fill_values_it_says_it_ignores():
    """The fit warned that the land values were treated as missing, yet the filled map kept -214748.3647."""
    day = _coastal_field(days=2)
    day[0, 10:14, 30:34] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = day.inr.fill_gaps(width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)
        everywhere = day.inr.fill_gaps(land=None, width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)
    sea = day > -100.0
    land = (day < -100.0).all("time")  # the fill value at every time
    assert float(out.min()) > -100.0 and bool(np.isfinite(out.where(~land, 0.0)).all())  # the gap at sea filled
    assert bool(out.where(land).isnull().all())  # land NaN, not the fill value (since 2026-12-06: land="auto")
    assert float(everywhere.min()) > -100.0 and np.isfinite(everywhere).all()  # land=None: filled, not kept
    np.testing.assert_array_equal(out.where(sea).values, day.where(sea).values)  # observations kept as they are


def test_the_warning_names_the_value_found():
    """The file stores -214748.3647; the warning named the packing's minimum, -214748.3648, as if it were found."""
    var = _coastal_field(days=2)
    found = sentinels.screen(var.values, "adt", sentinels.packed_extremes(var))
    text = found.describe(10, 100, [LAND])
    assert "-214748.3647 (matching -214748.3648" in text


def test_the_sampler_keeps_what_the_field_is():
    """Absolute dynamic topography came out labelled sea level anomaly "with simulated noise", and the maps
    predicted from it carried that long_name."""
    field = _coastal_field(days=3).where(lambda f: f > -100.0)
    field.encoding.clear()
    field.attrs.update(long_name="absolute dynamic topography", standard_name="sea_surface_height_above_geoid")
    tracks = sample_along_track(field, missions=["jason3", "sentinel3a"], white_noise=0.01)
    for name in ("sla", "sla_true"):
        assert tracks[name].attrs["standard_name"] == "sea_surface_height_above_geoid"
        assert tracks[name].attrs["long_name"] == "absolute dynamic topography"
    assert "with simulated noise" in tracks.sla.attrs["comment"] and "0.01 m" in tracks.sla.attrs["comment"]
    assert "without noise" in tracks.sla_true.attrs["comment"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = tracks.inr.fit("sla", width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)
    pred = fitted.predict(fitted.target_grid(resolution=1.0))
    assert pred.attrs["long_name"] == "absolute dynamic topography" and "noise" not in pred.attrs["long_name"]
    bare = field.copy()
    bare.attrs = {"units": "m"}  # a field that says nothing of what it is: taken as sea level anomaly
    assert sample_along_track(bare, missions=["jason3"]).sla.attrs["standard_name"] == "sea_surface_height_above_sea_level"


def _bf16_fit():
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tracks.inr.fit("sla", width=32, depth=2, epochs=20, max_time=None, progress=False, seed=0,
                              precision="bfloat16")


def test_predict_in_float32_removes_the_bfloat16_noise_of_fine_maps():
    """A bfloat16 fit predicted fine maps with bfloat16 noise (0.28 mm RMS second differences at 100 m, finite-
    difference vorticity of a 0.02 deg map three times the signal); predict(precision="float32") is smooth."""
    fitted = _bf16_fit()
    lon = np.linspace(4.0, 4.02, 201)  # 100 m
    target = {"lon": lon, "lat": np.full_like(lon, 35.0), "time": np.full(lon.size, np.datetime64("2020-01-02"))}
    low = np.asarray(fitted.predict(target)).ravel()
    full = np.asarray(fitted.predict(target, precision="float32")).ravel()
    with torch_float32(fitted):
        exact = np.asarray(fitted.predict(target)).ravel()
    np.testing.assert_array_equal(full, exact)
    assert np.abs(np.diff(full, 2)).max() < 0.1 * np.abs(np.diff(low, 2)).max()
    grid = fitted.target_grid(resolution=2.0)
    lazy = fitted.predict(grid, precision="float32", chunks={"time": 1}).compute()
    np.testing.assert_allclose(lazy.values, fitted.predict(grid, precision="float32").values, rtol=0, atol=0)
    with pytest.raises(ValueError, match="precision='bfloat16x'.*float32"):
        fitted.predict(target, precision="bfloat16x")
    training = next(line for line in str(fitted).splitlines() if line.strip().startswith("training"))
    assert "bfloat16" in [part.strip() for part in training.split(",")]


class torch_float32:
    """The model evaluated as if fitted in float32 (its precision_ set for the block)."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.old, self.model.precision_ = self.model.precision_, "float32"

    def __exit__(self, *exc):
        self.model.precision_ = self.old


def test_a_fit_without_skill_says_so():
    """A fit whose held-out loss is worse than the data's mean printed its loss (1.1) and said nothing."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    noise = tracks.assign(sla=tracks.sla.copy(data=np.random.default_rng(0).standard_normal(tracks.sla.size)))
    with pytest.warns(UserWarning, match="no skill between them"):
        fitted = noise.inr.fit("sla", width=32, depth=2, epochs=600, max_time=None, progress=False, seed=0,
                               min_wavelength=20.0, physics=None)
    assert fitted.best_val_loss_ > 1.0 and fitted.history_["step"].max() >= 500
    with warnings.catch_warnings():
        # a brief epochs budget (tests, doctests) has had no chance: no such warning (noise is too sparse to map:
        # that warning is another's)
        warnings.filterwarnings("error", message=".*no skill", category=UserWarning)
        brief = noise.inr.fit("sla", width=32, depth=2, epochs=5, max_time=None, progress=False, seed=0,
                              min_wavelength=20.0, physics=None)
    assert brief.best_val_loss_ > 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a field with skill: no such warning
        fitted = tracks.inr.fit("sla", width=32, depth=2, epochs=30, max_time=None, progress=False, seed=0)
    assert fitted.best_val_loss_ < 1.0


def test_savefig_takes_what_the_plotting_functions_return(tmp_path):
    """``fig = plot_maps(...); savefig(fig, ...)`` failed: plot_maps returns (fig, axes), the others an Axes."""
    import matplotlib

    matplotlib.use("Agg")
    from geoinr import plot

    truth = geoinr.datasets.synthetic_grid(days=2, resolution=0.5).sla_true
    smooth = truth.rolling(lon=5, center=True, min_periods=1).mean()
    maps = plot.plot_maps(truth, {"smooth": smooth}, time=truth.time.values[0])
    assert isinstance(maps, tuple)
    one_axes = next(iter(maps[1].values()))  # plot_maps's axes by panel name
    for i, what in enumerate((maps, one_axes, maps[0])):
        assert plot.savefig(what, tmp_path / f"f{i}.png") == str(tmp_path / f"f{i}.png")
    with pytest.raises(TypeError, match="matplotlib Figure"):
        plot.savefig("not a figure", tmp_path / "x.png")


def test_plot_spectral_score_takes_a_dict_of_maps_as_plot_maps_does():
    import matplotlib

    matplotlib.use("Agg")
    from geoinr import plot

    truth = geoinr.datasets.synthetic_grid(days=3, resolution=0.1).sla_true
    maps = {"running mean 9": truth.rolling(lon=9, center=True, min_periods=1).mean(),
            "running mean 3": truth.rolling(lon=3, center=True, min_periods=1).mean()}
    ax = plot.plot_spectral_score(maps, truth, color={"running mean 3": "red"})
    labels = [line.get_label() for line in ax.get_lines()]
    assert "running mean 9" in labels and "running mean 3" in labels
    assert [line.get_color() for line in ax.get_lines() if line.get_label() == "running mean 3"] == ["red"]
    with pytest.raises(ValueError, match="leaderboard"):
        plot.plot_spectral_score(maps, truth, kind="leaderboard")


def test_the_no_units_warning_of_derive_points_at_the_user_s_line():
    """It pointed at ``sys:1`` (a fixed stacklevel counted from another call chain)."""
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    tracks["sla"].attrs.pop("units")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = tracks.inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, progress=False, seed=0)
    with pytest.warns(UserWarning, match="has no units") as record:
        fitted.derive("geostrophic_velocity", fitted.target_grid(resolution=2.0))
    assert {w.filename for w in record if "has no units" in str(w.message)} == {__file__}


def test_a_resolution_found_after_a_poor_largest_scale_warns():
    """On a coastal box the crossing rule skipped the leading bins below 0.5: OI (0.487 at the largest
    wavelength) got 529 km and no word, the network (0.74, then -0.17) 3,233 km."""
    from geoinr import metrics

    wl = np.array([1000.0, 500.0, 250.0, 125.0])
    with pytest.warns(UserWarning, match="below 0.5 at the largest wavelengths"):
        res, status = metrics._crossing(wl, np.array([0.45, 0.8, 0.3, 0.1]), "km")
    assert status == "crossed" and 250.0 < res < 500.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics._crossing(wl, np.array([0.9, 0.8, 0.3, 0.1]), "km")[1] == "crossed"


def test_the_sampler_keeps_an_eddy_on_a_flat_sea():
    """A noise-free eddy on a flat background lies thousands of robust spreads from the median: the outlier rule
    took it for fill values (the samples' maximum went from 0.496 to 0.003). The sampler applies the exact rules
    only."""
    lat = np.arange(30.0, 40.01, 0.1)
    lon = np.arange(280.0, 290.01, 0.1)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    eddy = 0.5 * np.exp(-(((la - 35.0) * 111.0) ** 2 + ((lo - 285.0) * 91.0) ** 2) / (2 * 60.0**2))
    eddy = eddy + 1e-6 * (la - 35.0)  # an almost flat sea around it
    field = xr.DataArray(np.repeat(eddy[None], 3, axis=0), dims=("time", "latitude", "longitude"), name="ssh",
                         coords={"time": pd.date_range("2019-01-01", periods=3), "latitude": lat, "longitude": lon},
                         attrs={"units": "m"})
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        tracks = sample_along_track(field, missions=["jason3", "sentinel3a", "saral", "cryosat2"], white_noise=0.0)
    assert float(tracks.sla_true.max()) > 0.3


def test_without_fills_stays_lazy_without_a_warning():
    field = _coastal_field().chunk({"time": 1})
    out = sentinels.without_fills(field, warn=False)
    assert out.chunks is not None
    assert float(out.min()) > -1.0


def test_fill_gaps_replaces_values_outside_the_valid_range():
    """The fit warned that a value below valid_min was treated as missing; the filled map kept it."""
    day = geoinr.datasets.synthetic_grid(days=2, resolution=1.0, gap_fraction=0.2).sla
    day = day.assign_attrs(valid_min=-5.0)
    day[0, 3, 3] = -50.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = day.inr.fill_gaps(width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)
    assert float(out[0, 3, 3]) > -5.0 and np.isfinite(out).all()
    assert out.attrs["valid_min"] == -5.0  # the attributes are the variable's


@pytest.mark.parametrize("calendar", ["noleap", "360_day"])
def test_the_sampler_dates_a_model_s_tracks_in_its_calendar(calendar):
    """A noleap field was converted to the standard calendar (with a FutureWarning and a RuntimeWarning) and its
    tracks dated in it; a 360_day field was refused. The tracks are now dated in the field's calendar, the same
    samples as the standard calendar's where the dates agree, and a fit and a prediction on the model's grid work."""
    lat = np.arange(30.0, 40.01, 0.25)
    lon = np.arange(280.0, 290.01, 0.25)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    maps = np.stack([0.2 * np.sin(np.radians(lo) * 30 + k) * np.cos(np.radians(la) * 20) for k in range(3)])

    def field(times):
        return xr.DataArray(maps, coords={"time": times, "lat": lat, "lon": lon}, dims=("time", "lat", "lon"),
                            attrs={"units": "m"})

    cf = xr.date_range("2021-01-01", periods=3, calendar=calendar, use_cftime=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tracks = sample_along_track(field(cf), missions=["jason3", "sentinel3a"], seed=0)
    assert tracks.time.values[0].calendar == calendar
    assert tracks.time.values[0] >= cf[0] and tracks.time.values[-1] <= cf[-1]
    standard = sample_along_track(field(pd.date_range("2021-01-01", periods=3)), missions=["jason3", "sentinel3a"],
                                  seed=0)
    np.testing.assert_array_equal(tracks.sla.values, standard.sla.values)  # January: the calendars agree
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = tracks.inr.fit("sla", width=16, depth=1, epochs=2, max_time=None, progress=False, seed=0)
    pred = fitted.predict(field(cf).to_dataset(name="truth"))
    assert pred.time.values[0].calendar == calendar and np.isfinite(pred.values).all()


def test_land_over_half_the_box_is_found_without_its_packing():
    """The real DUACS map converted to cm loses its packing; over the Mediterranean box (54 % land) the quartiles
    were land values, so 5,446 of 9,577 samples were -21,474,836 cm with no warning."""
    field = _coastal_field(days=3, packed=False) * 100.0
    field.attrs["units"] = "cm"
    field[:, :, : int(0.6 * field.sizes["longitude"])] = LAND * 100.0  # 60 % land
    with pytest.warns(UserWarning, match="% of the values"):
        tracks = sample_along_track(field, missions=["jason3", "sentinel3a", "saral"], white_noise=0.0)
    assert tracks.sizes["time"] > 0 and float(tracks.sla_true.min()) > -31.0
    land = np.arange(tracks.sizes["time"]) % 3 != 0  # two samples in three on land: the fit's screen finds it too
    mixed = tracks.assign(sla=tracks.sla.where(~land, LAND * 100.0))
    with pytest.warns(UserWarning, match="% of the values"):
        fitted = mixed.inr.fit("sla", width=8, depth=1, epochs=1, max_time=None, progress=False)
    assert fitted.n_points_ == int((~land).sum())
