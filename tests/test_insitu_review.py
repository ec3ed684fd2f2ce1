"""A review of in-situ data as oceanographers receive it: Argo profiles (N_PROF x N_LEVELS, char QC flags), surface
drifters' velocity pairs, tide gauges' hourly series at fixed stations."""
import warnings

import numpy as np
import pytest
import xarray as xr

import geoinr
from geoinr.observations import quality_flags, read

SMALL = dict(width=8, depth=1, epochs=1, max_time=None, progress=False)


def argo(n_prof=200, n_levels=5, bad=0.2, seed=0):
    """GDAC "prof" layout: upper-case names, JULD, char QC flags ('1' good, '4' bad), pressures per profile."""
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(30, 40, n_prof), rng.uniform(-40, -30, n_prof)
    juld = np.datetime64("2020-01-01", "ns") + (rng.uniform(0, 30, n_prof) * 86400e9).astype("timedelta64[ns]")
    pres = np.sort(rng.uniform(0, 500, (n_prof, n_levels)), axis=1)
    temp = 20.0 - pres / 50.0 + np.sin(np.radians(lon * 10))[:, None]
    flagged = rng.random((n_prof, n_levels)) < bad
    qc = np.where(flagged, b"4", b"1").astype(object)
    dims = ("N_PROF", "N_LEVELS")
    return xr.Dataset(
        {"TEMP": (dims, temp + 15.0 * flagged, {"units": "degree_Celsius"}), "TEMP_QC": (dims, qc),
         "PRES": (dims, pres, {"units": "decibar", "standard_name": "sea_water_pressure"})},
        coords={"LATITUDE": ("N_PROF", lat, {"units": "degree_north"}),
                "LONGITUDE": ("N_PROF", lon, {"units": "degree_east"}), "JULD": ("N_PROF", juld)})


def test_argo_char_qc_flags_are_warned_of():
    """TEMP_QC (upper case, b'1'/b'4' objects) was never recognised: 20 % flagged spikes fitted in silence."""
    surface = argo().isel(N_LEVELS=0)
    assert quality_flags(surface, "TEMP", surface.TEMP) == ["TEMP_QC"]
    with pytest.warns(geoinr.GeoinrWarning, match=r"carry a quality flag in 'TEMP_QC' other than its usual b'1'.*"
                                                  r"\.where\(ds\['TEMP_QC'\] == b'1'\)"):
        surface.inr.fit("TEMP", **SMALL)
    good = surface.assign(TEMP=surface.TEMP.where(surface.TEMP_QC == b"1"))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*quality flag.*")
        good.inr.fit("TEMP", **SMALL)


def test_argo_levels_left_in_get_advice_that_works():
    """'N_LEVELS' has no index (sel raised) and its pressures differ between profiles (isel mixed them)."""
    with pytest.raises(ValueError, match=r"Its levels differ between points \('PRES' along 'N_LEVELS'\): "
                                         r"interpolate each one to a level"):
        argo().inr.fit("TEMP", **SMALL)
    plain = argo().drop_vars(["PRES"])
    with pytest.raises(ValueError) as err:
        plain.inr.fit("TEMP", **SMALL)
    assert "ds.sel(N_LEVELS" not in str(err.value) and "isel(N_LEVELS=0)" in str(err.value)  # no index to sel on


def gauges(n=10, days=10, seed=0):
    rng = np.random.default_rng(seed)
    lat = np.sort(rng.uniform(30, 45, n))
    lon = -76 + (lat - 30) * 0.5 + rng.uniform(-1, 1, n)
    hours = np.arange(days * 24)
    tide = 800 * np.cos(2 * np.pi * hours[None, :] / 12.42 - np.radians(3 * lon[:, None]))
    time = np.datetime64("2021-01-01", "ns") + hours * np.timedelta64(3600, "s")
    return xr.Dataset({"sea_level": (("station", "time"), 1500 + tide, {"units": "mm"})},
                      coords={"lat": ("station", lat, {"units": "degrees_north"}),
                              "lon": ("station", lon, {"units": "degrees_east"}), "time": time})


def test_stations_take_their_own_time_steps_period():
    """Ten hourly gauges with a semidiurnal tide took the rule's period (from their 100s of km apart: weeks,
    longer than the record); their own steps show the tide."""
    ds = gauges()
    obs = read(ds, variables=["sea_level"])
    assert obs.stations and not obs.gridded
    model = ds.inr.fit("sea_level", **SMALL)
    assert model.encoding_config_["min_period"] < 1.0  # days: the tide's band, not weeks
    assert "own spacing and time steps" in str(model)
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    assert not read(tracks, variables=["sla"]).stations


def test_drifter_velocities_in_the_wrong_order_are_refused():
    """GDP's ve/vn carry a long_name only: the order check read standard_name alone."""
    rng = np.random.default_rng(0)
    n = 300
    ds = xr.Dataset(
        {"ve": ("obs", rng.standard_normal(n) * 0.1, {"units": "m/s", "long_name": "Eastward velocity"}),
         "vn": ("obs", rng.standard_normal(n) * 0.1, {"units": "m/s", "long_name": "Northward velocity"})},
        coords={"lat": ("obs", rng.uniform(30, 40, n)), "lon": ("obs", rng.uniform(-40, -30, n)),
                "time": ("obs", np.datetime64("2020-01-01", "ns") + (np.arange(n) * 3600e9).astype("timedelta64[ns]"))})
    with pytest.raises(ValueError, match=r"'vn' is long_name 'Northward velocity': give them in that order, "
                                         r"variables=\['ve', 'vn'\]"):
        ds.inr.fit(["vn", "ve"], mass_constraint="streamfunction", **SMALL)
    plain = ds.rename(ve="u", vn="v")
    for v in ("u", "v"):
        plain[v].attrs.pop("long_name")
    with pytest.raises(ValueError, match="'v' is named 'v'"):
        plain.inr.fit(["v", "u"], mass_constraint="streamfunction", **SMALL)


def test_noisy_stations_keep_the_rule_s_period():
    """White noise at the stations read as a signal of two steps (a second review: noisy gauges took a 2-hour
    period and mapped worse in their gaps); stations take no grid's own wavelength either."""
    rng = np.random.default_rng(0)
    slow = gauges()
    slow["sea_level"] = slow.sea_level * 0 + 1500 + 100 * np.sin(np.radians(slow.lat * 20)) \
        + 15 * rng.standard_normal(slow.sea_level.shape)
    model = slow.inr.fit("sea_level", **SMALL)
    assert model.encoding_config_["min_period"] > 1.0  # days: the rule's, not two hours of noise
    from geoinr.scales import gridded_period

    t = np.arange(48) / 24.0
    lon, lat, tt = (a.ravel() for a in np.meshgrid(np.arange(20.0), np.arange(20.0), t, indexing="ij"))
    assert gridded_period(lon, lat, tt, rng.standard_normal(lon.size), noise_guard=True) is None
    diurnal = np.cos(2 * np.pi * tt) + 0.2 * rng.standard_normal(lon.size)  # model output's cycle, a little noise:
    assert gridded_period(lon, lat, tt, diurnal) < 0.6  # grids are not guarded (a third review: it was lost)
    # close stations seen every 10 days: the rule's wavelength, not their own spacing's (grids' fine-grid rule)
    close = xr.Dataset({"h": (("station", "time"), rng.standard_normal((30, 12)), {"units": "m"})},
                       coords={"lat": ("station", 30.0 + rng.uniform(0, 0.2, 30)),
                               "lon": ("station", rng.uniform(0, 0.2, 30)),
                               "time": np.datetime64("2020-01-01", "ns") + np.arange(12) * np.timedelta64(10, "D")})
    assert close.inr.fit("h", **SMALL).encoding_config_["min_wavelength"] > 50.0


def test_velocity_words_naming_both_directions_say_neither():
    from geoinr.model.fitting import _direction

    assert _direction("w", {"long_name": "eastward and northward wind components"})[0] is None
    # (ERA5's u10: its long name says no direction; its name says eastward, 2026-12-07 ninth session)
    assert _direction("u10", {"long_name": "10 metre U wind component"}) == ("eastward", "named 'u10'")
    assert _direction("vo", {"standard_name": "northward_sea_water_velocity"})[0] == "northward"
    assert _direction("v", {"long_name": "meridional velocity, zonally averaged"})[0] == "northward"
