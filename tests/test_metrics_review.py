"""Fixes from a review of the scores, the baselines and the plots as a DUACS user uses them (2026-12-05, seventh
session). Each test failed on the code before."""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr
from geoinr import metrics, plot

LAND = -214748.3647  # the DUACS L4 file's land once decoded (int32 packing, no _FillValue)


def _map(lat_name="lat", lon_name="lon", lon0=290.0, n=40, seed=0):
    rng = np.random.default_rng(seed)
    lat, lon = 30.0 + 0.25 * np.arange(n), lon0 + 0.25 * np.arange(n)
    values = np.cumsum(rng.standard_normal((n, n)), axis=1) * 0.02
    return xr.DataArray(values, dims=(lat_name, lon_name), coords={lat_name: lat, lon_name: lon}, name="adt",
                        attrs={"units": "m"})


def test_maps_whose_dimensions_are_named_otherwise_pair_by_coordinates():
    """An estimate on (lat, lon) against a DUACS reference on (latitude, longitude) was paired by position: a map
    flipped in latitude or transposed scored -0.38 instead of 0.90, with no error."""
    ref = _map("latitude", "longitude")
    est = (ref + 0.1 * np.random.default_rng(1).standard_normal(ref.shape)).rename(latitude="lat", longitude="lon")
    expected = metrics.nrmse_score(est.rename(lat="latitude", lon="longitude"), ref)
    for variant in (est, est.sortby("lat", ascending=False), est.transpose("lon", "lat")):
        assert metrics.nrmse_score(variant, ref) == pytest.approx(expected)
        assert metrics.rmse(variant, ref) == pytest.approx(metrics.rmse(est.rename(lat="latitude", lon="longitude"),
                                                                       ref))
    other = xr.DataArray(est.values, dims=("y", "x"), coords={"y": np.arange(40), "x": np.arange(40)})
    with pytest.raises(ValueError, match="cannot be paired by coordinate values"):
        metrics.nrmse_score(other, ref)
    assert metrics.rmse(xr.DataArray(ref.values), ref) == 0.0  # a bare array of the same shape: point by point


def test_longitudes_in_the_other_convention_are_matched():
    """0-360 against -180..180 was refused, and the fix the message gave (interp_like) made an all-NaN estimate."""
    ref = _map(lon0=350.0)  # 350 to 359.75 deg
    est = (ref + 0.05).assign_coords(lon=ref.lon.values - 360.0)
    assert metrics.rmse(est, ref) == pytest.approx(0.05)
    assert metrics.effective_resolution_zonal(est, ref).resolution == pytest.approx(
        metrics.effective_resolution_zonal(ref + 0.05, ref).resolution)


def test_undeclared_land_values_are_not_scored_or_plotted_as_data():
    """The DUACS land value gave mu = 0, lambda_x 'nothing resolved', a colour scale of +-214748 and an error
    panel 'RMSE 1e+05 m', without a word."""
    ref = _map()
    est = ref + 0.01
    raw = ref.copy()
    raw[:6, :] = LAND  # six southern rows of land
    with pytest.warns(UserWarning, match=r"undeclared fill values .* nrmse_score leaves them out of the reference"):
        mu = metrics.nrmse_score(est, raw)
    assert mu == pytest.approx(metrics.nrmse_score(est, ref.where(raw != LAND)), abs=1e-12)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res = metrics.effective_resolution_zonal(est, raw)
    assert any("undeclared fill values" in str(w.message) for w in seen)
    assert res.n_samples == 34 and res.resolution == metrics.effective_resolution_zonal(est, ref.where(raw != LAND)
                                                                                         ).resolution
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    with pytest.warns(UserWarning, match="undeclared fill values"):
        fig, axes = plot.plot_maps(raw, est, projection=False)
    assert "RMSE 0.01 m" in axes["error estimate"].get_title()
    assert max(abs(v) for v in axes["truth"].collections[0].get_clim()) < 10.0


def test_a_score_on_part_of_the_reference_says_so():
    """LinearInterpolator leaves NaN outside the tracks' hull and 'beat' OI on 57 % of the points, with no word."""
    ref = _map()
    est = (ref + 0.01).where(ref.lon > 293.0)
    with pytest.warns(UserWarning, match=r"no value at 520 of the reference's 1,600 finite points \(32.5 %\)"):
        metrics.nrmse_score(est, ref)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # land in both: nothing to say
        metrics.nrmse_score(est, ref.where(ref.lon > 293.0))


def test_a_duacs_grid_converted_to_minus_180_keeps_its_western_half():
    """DUACS declares valid_min 0.125 / valid_max 359.875 on its longitude; the usual conversion to -180..180
    keeps them, and predict masked every point west of Greenwich (half a map of NaN, a warning only)."""
    lon = np.arange(340.125, 380.0, 1.0) % 360.0  # DUACS's cell centres
    lat = np.arange(-45.0, -35.0, 1.0)
    field = xr.DataArray(np.sin(np.radians(lon))[None, :] * np.ones((lat.size, 1)), dims=("latitude", "longitude"),
                         coords={"latitude": lat, "longitude": lon}, name="adt", attrs={"units": "m"})
    ds = field.to_dataset()
    ds["longitude"].attrs.update(valid_min=0.125, valid_max=359.875, units="degrees_east")
    ds180 = ds.assign_coords(longitude=((ds.longitude + 180.0) % 360.0) - 180.0)
    ds180["longitude"].attrs.update(ds["longitude"].attrs)
    # (scales of the grid's own: 100 km is under its spacing, which OI warns of since 2026-12-07's ninth session)
    oi = geoinr.baselines.OptimalInterpolation(lt=None, lx=300.0, ly=300.0).fit(ds.isel(latitude=slice(0, None, 2)), "adt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = oi.predict(ds180)
    assert not bool(out.isnull().any())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fitting the converted grid keeps its western points too
        assert geoinr.baselines.OptimalInterpolation(lt=None, lx=300.0, ly=300.0).fit(ds180, "adt").n_obs_ == ds.adt.size


def test_a_float32_axis_at_one_sixtieth_of_a_degree_is_regular():
    rng = np.random.default_rng(0)
    lon = (295.0 + np.arange(240) / 60).astype("float32")
    lat = (35.0 + np.arange(20) / 60).astype("float32")
    ref = xr.DataArray(np.cumsum(rng.standard_normal((20, 240)), axis=1), dims=("lat", "lon"),
                       coords={"lat": lat, "lon": lon})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an upper bound, perhaps: the point is that it runs
        assert metrics.effective_resolution_zonal(ref + rng.standard_normal(ref.shape), ref).resolution > 0
    irregular = ref.assign_coords(lon=lon + np.where(np.arange(240) == 100, 0.005, 0.0).astype("float32"))
    with pytest.raises(ValueError, match="not regularly spaced"):
        metrics.effective_resolution_zonal(irregular, irregular)


def test_errors_say_what_was_wrong():
    ref = _map()
    with pytest.raises(TypeError, match=r"nrmse_score: estimate is a Dataset; pick a variable"):
        metrics.nrmse_score(ref.to_dataset(), ref)
    with pytest.raises(TypeError, match=r"rmse: reference is a Dataset"):
        metrics.rmse(ref, ref.to_dataset())
    with pytest.raises(TypeError, match=r"lx must be a number; got '100'"):
        geoinr.baselines.OptimalInterpolation(lx="100").fit(ref, "adt")
    with pytest.raises(Exception, match=r"call fit\(\.\.\.\) first, e\.g\.") as err:
        geoinr.baselines.OptimalInterpolation().predict(ref)
    assert "inr.fit" not in str(err.value)


def test_mu_about_the_reference_s_mean_for_absolute_dynamic_topography():
    ref = _map() + 0.5  # a mean dynamic topography of 50 cm under the eddies
    mean_only = xr.full_like(ref, float(ref.mean()))
    assert metrics.nrmse_score(mean_only, ref) > 0.8  # the mean alone "scores"
    assert metrics.nrmse_score(mean_only, ref, anomaly=True) == pytest.approx(0.0, abs=1e-12)


def test_a_long_resolution_is_written_out_in_the_legend():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    t = pd.date_range("2020-01-01", periods=4)
    rng = np.random.default_rng(3)
    ref = xr.DataArray(np.cumsum(rng.standard_normal((4, 10, 64)), axis=2), dims=("time", "lat", "lon"),
                       coords={"time": t, "lat": np.arange(10.0), "lon": np.arange(64) * 0.5})
    est = ref + 3.0 * rng.standard_normal(ref.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert metrics.effective_resolution_zonal(est, ref).resolution > 1000.0
        ax = plot.plot_spectral_score(est, ref)
    labels = [line.get_label() for line in ax.get_lines() if line.get_label().startswith("effective resolution")]
    assert labels and "e+" not in labels[0] and labels[0].endswith(" km")


# ------------------------------------------------------------- from a second read of the change (same session)
def _eddy():
    lat, lon = np.arange(30, 40, 0.1), np.arange(-75, -55, 0.1)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    maps = np.array([0.3 * np.exp(-((la - 35) ** 2 + (lo + 65 + 0.1 * k) ** 2) / 0.5**2) for k in range(3)])
    return xr.DataArray(maps, dims=("time", "lat", "lon"), name="ssh", attrs={"units": "m"},
                        coords={"time": pd.date_range("2020-01-01", periods=3), "lat": lat, "lon": lon})


def test_a_noise_free_eddy_on_a_flat_sea_is_data():
    """The outlier rule (1000 robust spreads; this field's quartiles are 1e-29) took the eddy for fill values:
    rmse(zeros, truth) 2e-27 instead of 0.0133, lambda_x 'never resolved', the truth panel blank."""
    truth = _eddy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert metrics.rmse(truth * 0.0, truth) == pytest.approx(float(np.sqrt((truth**2).mean())))
    est = truth + 0.005 * np.random.default_rng(0).standard_normal(truth.shape)
    assert np.isfinite(metrics.effective_resolution_zonal(est, truth).resolution)
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    fig, axes = plot.plot_maps(truth.isel(time=0), (truth + 0.01).isel(time=0), projection=False)
    assert not np.ma.getmaskarray(np.ma.masked_invalid(axes["truth"].collections[0].get_array())).any()


def test_an_estimate_s_wild_values_count_against_it():
    ref = _map()
    est = ref.copy()
    est[:1, :5] = 500.0
    assert metrics.rmse(est, ref) > 20.0 and metrics.nrmse_score(est, ref) < -100.0
    est[:4, :] = 500.0  # a constant patch over 10 % of the map: the map's error, not a fill value
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics.rmse(est, ref) > 100.0


def _global(lon):
    return xr.DataArray(np.cos(np.radians(lon))[None, :] * np.ones((3, 1)), dims=("lat", "lon"),
                        coords={"lat": [0.0, 10.0, 20.0], "lon": lon})


def test_a_grid_repeating_its_end_longitude_is_scored():
    """Wrapped into the reference's convention, 0 and 360 (or -180 and 180) became one longitude twice."""
    closed = np.arange(0.0, 360.1, 10.0)  # 0 and 360 both
    assert metrics.rmse(_global(closed), _global(closed)) == 0.0  # the same grid: as it is
    reference = _global(np.arange(0.0, 351.0, 10.0))  # an open 0-360 grid
    assert metrics.rmse(_global(closed), reference) == pytest.approx(0.0, abs=1e-12)
    assert metrics.rmse(_global(closed - 180.0), reference) == pytest.approx(0.0, abs=1e-12)  # -180 and 180 both


def test_scores_leave_fill_values_out_of_every_number_and_name_the_variable():
    """rmse and mu left the DUACS land out but bias kept it (2140 m), n counted it, and the warning named the
    variable 'reference' (its fix: ds['reference'].where(...))."""
    tracks = geoinr.datasets.synthetic_tracks(days=4, seed=0)
    fitted = geoinr.INRModel(width=16, depth=1, epochs=2, max_time=None, progress=False).fit(tracks, variables="sla")
    clean = fitted.scores(tracks)
    raw = tracks.copy()
    raw["sla"] = tracks.sla.where(np.arange(tracks.sizes["time"]) % 50 != 0, LAND)
    raw["sla"].encoding.update(dtype=np.dtype("int32"), scale_factor=1e-4)  # as the DUACS file is packed
    with pytest.warns(UserWarning, match=r"Variable 'sla': .* The scores leave them out") as seen:
        got = fitted.scores(raw)
    assert not any("'reference'" in str(w.message) for w in seen)
    n_land = int((raw.sla == LAND).sum())
    assert got["n"] == clean["n"] - n_land and abs(got["bias"]) < 0.1 and got["rmse"] < 0.5
    # a map that covers part of the test points says so; a zero test set is a clear error
    lin = geoinr.baselines.LinearInterpolator(window=1.0).fit(tracks.isel(time=slice(0, 200)), "sla")
    with pytest.warns(UserWarning, match=r"scores of 'sla': the estimate has no value at"):
        lin.scores(tracks)
    with pytest.raises(ValueError, match="identically zero"):
        fitted.scores(tracks.assign(sla=tracks.sla * 0.0))


def test_the_daily_score_of_a_zero_reference_is_a_clear_error():
    t = pd.date_range("2020-01-01", periods=2)
    ref = xr.DataArray(np.zeros((2, 3)), dims=("time", "x"), coords={"time": t})
    with pytest.raises(ValueError, match="nrmse_score_daily: the reference is identically zero"):
        metrics.nrmse_score_daily(ref + 1.0, ref)


def test_the_isotropic_score_says_which_box_it_kept():
    """With land it trimmed to a NaN-free rectangle without saying which, so two methods could be scored on
    different boxes unknowingly."""
    ref = _map(n=40)
    est = ref + 0.01 * np.random.default_rng(4).standard_normal(ref.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = metrics.effective_resolution_isotropic(est, ref)
    assert whole.region == (290.0, 299.75, 30.0, 39.75)
    coast = ref.where(ref.lon < 297.0)  # land east of 297 E
    with pytest.warns(UserWarning, match=r"NaN-free box 290 to 296.75 E, 30 to 39.75 N \(40 x 28 points, of 40 x 40\)"):
        part = metrics.effective_resolution_isotropic(est, coast)
    assert part.region == (290.0, 296.75, 30.0, 39.75)
    assert part.to_dataset().attrs["region"] == [290.0, 296.75, 30.0, 39.75]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flipped = metrics.effective_resolution_isotropic(est.sortby("lon", ascending=False), ref)
    assert flipped.region == whole.region  # west before east, whatever the axis' order


def test_an_estimate_without_units_a_hundred_times_the_reference_is_warned_of():
    """A map in cm without units (or with the truth's "m" kept through ``truth * 100``) scored as metres against a truth
    in m: mu was -98 without a word (a user review). Where the two are taken in one length unit and one's values are
    about 100 or 1000 times the other's, a warning says how to convert; one scale, or converted units, stay quiet."""
    import warnings

    rng = np.random.default_rng(0)
    truth = xr.DataArray(rng.normal(0.0, 0.1, 500), dims="p", attrs={"units": "m"})
    in_cm = xr.DataArray(truth.values * 100.0, dims="p")
    with pytest.warns(UserWarning, match="about 100 times as widely.*estimate None, reference 'm'"):
        geoinr.metrics.rmse(in_cm, truth)
    with pytest.warns(UserWarning, match="about 100 times"):
        geoinr.metrics.rmse(in_cm.assign_attrs(units="m"), truth)
    with pytest.warns(UserWarning, match="about 0.01 times"):
        geoinr.metrics.rmse(truth, in_cm.assign_attrs(units="m"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        geoinr.metrics.rmse(xr.DataArray(truth.values * 1.1, dims="p"), truth)  # no units, same scale
        geoinr.metrics.rmse(in_cm.assign_attrs(units="cm"), truth)  # converted
        geoinr.metrics.rmse(in_cm, xr.DataArray(truth.values, dims="p"))  # neither says a unit
