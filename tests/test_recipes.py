"""data_recipes/: the QG model's physics, along-track sampling, and the real-data parsers (no download)."""
import importlib.util
import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = os.path.join(ROOT, "data_recipes")


def _load(name):
    """Import data_recipes/<name>.py (a script folder, not a package) as a module."""
    key = f"_recipe_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, os.path.join(RECIPES, f"{name}.py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[key] = mod
        spec.loader.exec_module(mod)
    return sys.modules[key]


qg = _load("qg_simulation")
at = _load("along_track")
dc = _load("dc2020a")
cm = _load("cmems_l3")

F0, BETA = qg.coriolis(35.0)


def _random_psi(model, wavelength_m=1.5e5, amplitude=2e4, seed=0):
    rng = np.random.default_rng(seed)
    shape = model.q_hat.shape
    band = (np.sqrt(model.k2) < 2 * np.pi / wavelength_m) & (model.k2 > 0)
    psi = np.fft.irfft2((rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * band, s=(model.n, model.n))
    return psi * amplitude / psi.std()


# ----------------------------------------------------------------------------- QG model
def test_qg_inviscid_unforced_conserves_energy_and_enstrophy():
    """Without forcing and dissipation, a turbulent state keeps its energy and enstrophy (RK3 error only)."""
    m = qg.QGModel(n=64, length=1e6, rossby_radius=4e4, beta=BETA)
    m.set_psi(_random_psi(m))
    e0, z0 = m.energy(), m.enstrophy()
    q0 = m.q.copy()
    for _ in range(20):
        m.step(1800.0)
    assert abs(m.energy() / e0 - 1) < 1e-6
    assert abs(m.enstrophy() / z0 - 1) < 1e-6
    assert np.abs(m.q - q0).max() > 0.05 * np.abs(q0).max()  # the flow did evolve


def test_qg_dissipation_removes_energy():
    """Linear drag and hyperviscosity only ever remove energy."""
    m = qg.QGModel(n=64, length=1e6, rossby_radius=4e4, beta=BETA, drag=1 / (10 * 86400.0), hyperviscosity=1e-5)
    m.set_psi(_random_psi(m))
    energies = [m.energy()]
    for _ in range(5):
        m.run(86400.0)
        energies.append(m.energy())
    assert all(b < a for a, b in zip(energies, energies[1:]))


@pytest.mark.parametrize("ik, il, ld_km", [(2, 1, 40.0), (1, 0, 40.0), (3, -2, 30.0)])
def test_qg_rossby_wave_phase_speed(ik, il, ld_km):
    """A single Rossby wave propagates at omega = -beta k / (k^2 + l^2 + 1/Ld^2)."""
    length, ld = 1e6, ld_km * 1e3
    m = qg.QGModel(n=32, length=length, rossby_radius=ld, beta=BETA)
    k, l = 2 * np.pi * ik / length, 2 * np.pi * il / length
    xx, yy = np.meshgrid(m.x, m.y)
    m.set_psi(1e4 * np.cos(k * xx + l * yy))
    duration = 20 * 86400.0
    m.run(duration, dt_max=3600.0)
    omega = -BETA * k / (k * k + l * l + 1 / ld**2)
    # the numerical wave is cos(k x + l y - omega_num t): compare with the analytic one's phase
    expected = 1e4 * np.cos(k * xx + l * yy - omega * duration)
    assert np.abs(m.psi - expected).max() < 1e-3 * 1e4
    assert omega < 0  # westward


def test_simulate_is_cf_sized_and_repeatable():
    """simulate(): CF (time, lat, lon) ssh in metres, realistic scales, same seed -> same field."""
    ds = qg.simulate(**qg.QUICK)
    ssh = ds.ssh
    assert ssh.dims == ("time", "lat", "lon") and ssh.shape == (10, 64, 64)
    assert ssh.attrs["units"] == "m" and ssh.attrs["standard_name"].startswith("sea_surface_height")
    assert ssh.attrs["long_name"]
    assert ds.lat.attrs["units"] == "degrees_north" and ds.lon.attrs["units"] == "degrees_east"
    assert ds.attrs["Conventions"] == "CF-1.8" and "simulate(" in ds.attrs["history"] and ds.attrs["title"]
    assert np.issubdtype(ds.time.dtype, np.datetime64)
    assert (np.diff(ds.time.values) == np.timedelta64(1, "D")).all()
    assert 0.1 <= float(ssh.std()) <= 0.3
    assert 8.0 < float(ds.lat.max() - ds.lat.min()) < 10.0  # 1000 km
    assert 10.0 < float(ds.lon.max() - ds.lon.min()) < 12.0  # 1000 km at 35N
    assert 30e3 <= ds.attrs["rossby_radius"] <= 50e3
    assert abs(ds.attrs["f0"] - F0) < 1e-12
    again = qg.simulate(**qg.QUICK)
    np.testing.assert_array_equal(again.ssh.values, ssh.values)
    other = qg.simulate(**dict(qg.QUICK, seed=1))
    assert np.abs(other.ssh.values - ssh.values).max() > 0.05


def test_simulate_eddies_persist_and_drift_west():
    """Forced-dissipative eddies keep their amplitude and drift westward at about beta * Ld^2."""
    ds = qg.simulate(n=64, spinup_days=60, days=21)
    a = ds.ssh.values
    stds = a.std(axis=(1, 2))
    assert stds.min() > 0.5 * stds.max()
    n = a.shape[2]
    cc = np.fft.ifft(np.fft.fft(a[20], axis=1) * np.conj(np.fft.fft(a[0], axis=1)), axis=1).real.sum(0)
    shift = int(np.argmax(cc))
    shift = shift - n if shift > n // 2 else shift
    speed = shift * ds.attrs["grid_spacing"] / 20.0 / 86400.0  # m/s, east positive
    long_wave = ds.attrs["beta"] * ds.attrs["rossby_radius"] ** 2
    assert -3 * long_wave < speed < -0.2 * long_wave


def test_qg_cli_quick_then_along_track_cli(tmp_path):
    """The two simulation scripts chain: QG netCDF in, CMEMS-layout tracks out."""
    field = tmp_path / "qg.nc"
    qg.main([str(field), "--quick", "--n", "32", "--days", "6", "--spinup-days", "20"])
    with xr.open_dataset(field) as ds:
        assert ds.ssh.shape == (6, 32, 32) and ds.ssh.attrs["units"] == "m"
    out = tmp_path / "tracks.nc"
    at.main([str(field), str(out), "--missions", "jason3", "s3a", "--white-noise", "0.01"])
    with xr.open_dataset(out) as tr:
        assert tr.sla.dims == ("time",) and tr.sizes["time"] > 100
        assert tr.latitude.attrs["units"] == "degrees_north" and tr.sla.attrs["units"] == "m"
        assert set(tr.mission.values.tolist()) <= {"jason3", "sentinel3a"}


# ----------------------------------------------------------------------------- along track
def _grid(fun, lat, lon, days, start="2021-03-01", freq="1D"):
    times = pd.date_range(start, periods=days, freq=freq)
    t = ((times - times[0]) / pd.Timedelta(days=1)).values
    vals = fun(t[:, None, None], lat[None, :, None], lon[None, None, :])
    return xr.DataArray(vals, dims=("time", "lat", "lon"), coords={"time": times, "lat": lat, "lon": lon},
                        name="f", attrs={"units": "m"})


def _t_days(tr):
    return ((tr.time.values - np.datetime64("2021-03-01")) / np.timedelta64(1, "D")).astype(float)


def test_along_track_returns_analytic_values():
    """Linear interpolation: exact for trilinear fields, within the textbook error bound for eddy-scale waves."""
    lat = np.arange(30.0, 40.01, 0.1)
    lon = np.arange(-45.0, -34.99, 0.1)

    def trilinear(t, y, x):
        return 0.1 + 0.01 * t + 0.02 * (y - 35) - 0.03 * (x + 40) + 0.001 * (y - 35) * (x + 40) * (1 + t)

    tr = at.sample_along_track(_grid(trilinear, lat, lon, 6), missions=["jason3", "s3a", "saral"])
    assert tr.sizes["time"] > 1000
    exact = trilinear(_t_days(tr), tr.latitude.values, tr.longitude.values)
    assert np.abs(tr.sla_true.values - exact).max() < 1e-9
    np.testing.assert_array_equal(tr.sla.values, tr.sla_true.values)  # no noise asked

    def smooth(t, y, x):  # ~500 km waves, drifting west in time
        return 0.2 * np.sin(np.radians(x) * 80 + 0.1 * t) * np.cos(np.radians(y) * 70)

    tr = at.sample_along_track(_grid(smooth, lat, lon, 6), missions=["jason3", "s3a"])
    exact = smooth(_t_days(tr), tr.latitude.values, tr.longitude.values)
    # multilinear interpolation error <= sum_i h_i^2 max|d2f/dx_i2| / 8 (h: 0.1 deg, 1 day)
    bound = 0.2 * ((np.radians(80) * 0.1) ** 2 + (np.radians(70) * 0.1) ** 2 + 0.1**2) / 8
    err = np.abs(tr.sla_true.values - exact)
    assert err.max() <= bound and err.mean() < 0.3 * bound


def test_orbit_table_is_physically_consistent():
    """Nodal periods agree with Kepler + J2; exact repeats need the J2 precession (sun-synchronous: ~0.9856 deg/day)."""
    for m in at.MISSIONS.values():
        assert abs(m.period / at.j2_nodal_period(m.altitude_km, m.inclination) - 1) < 0.004, m.name
        rate = math.degrees(m.precession) * 86400.0
        assert abs(rate - math.degrees(at.j2_precession(m.altitude_km, m.inclination)) * 86400.0) < 0.1, m.name
        if 98 < m.inclination < 100:  # the sun-synchronous ones
            assert abs(rate - 360 / 365.2422) < 0.01, m.name
    for name in ("jason3", "sentinel3a", "saral", "gfo"):  # the ground track repeats exactly
        m = at.mission(name)
        t = np.linspace(0, 86400.0, 50)
        lon1, lat1, _ = at.ground_track(m, t)
        lon2, lat2, _ = at.ground_track(m, t + m.repeat_days * 86400.0)
        assert np.abs(lat2 - lat1).max() < 1e-6 and np.abs((lon2 - lon1 + 180) % 360 - 180).max() < 1e-6


def test_tracks_have_realistic_geometry():
    """Max |lat| = inclination (prograde) or 180 - inclination; 1 Hz spacing 5.5-7.2 km; odd passes ascend."""
    lat = np.arange(-90.0, 90.01, 2.0)
    lon = np.arange(0.0, 360.0, 2.0)
    tr = at.sample_along_track(_grid(lambda t, y, x: 0 * (t + y + x), lat, lon, 2),
                               missions=["jason3", "sentinel3a", "swot"])
    for name, top in [("jason3", 66.04), ("sentinel3a", 180 - 98.65), ("swot", 77.6)]:
        s = tr.where(tr.mission == name, drop=True)
        assert abs(float(np.abs(s.latitude).max()) - top) < 0.05
        step = at.haversine_km(s.longitude.values[:-1], s.latitude.values[:-1],
                               s.longitude.values[1:], s.latitude.values[1:])
        assert 5.5 < np.median(step) < 7.2
        dlat = np.diff(s.latitude.values)
        same = np.diff(s.track.values) == 0
        odd = (s.track.values[:-1] % 2 == 1) & same
        assert (dlat[odd] > 0).all() and (dlat[~odd & same] < 0).all()
    assert float(tr.longitude.min()) >= 0 and float(tr.longitude.max()) < 360  # the field's convention


def test_along_track_noise_has_requested_std_and_correlation():
    """White noise std as asked; AR(1) noise std as asked with lag-1 correlation exp(-spacing / L)."""
    lat = np.arange(20.0, 50.01, 0.5)
    lon = np.arange(-60.0, -20.01, 0.5)
    field = _grid(lambda t, y, x: 0 * (t + y + x), lat, lon, 11)
    kw = dict(missions=["jason3", "s3a", "s3b", "saral"], seed=3)
    white = at.sample_along_track(field, white_noise=0.05, **kw)
    err = (white.sla - white.sla_true).values
    assert white.sizes["time"] > 20000
    assert abs(err.std() / 0.05 - 1) < 0.03
    red = at.sample_along_track(field, correlated_noise=0.03, correlation_km=100.0, **kw)
    s = red.where(red.mission == "jason3", drop=True)
    e = (s.sla - s.sla_true).values
    assert abs(red.sla.std() / 0.03 - 1) < 0.15
    contiguous = np.diff(s.time.values) == np.timedelta64(1, "s")
    lag1 = np.corrcoef(e[:-1][contiguous], e[1:][contiguous])[0, 1]
    expected = math.exp(-2 * math.pi * at.EARTH_RADIUS_KM / at.mission("jason3").period / 100.0)
    assert abs(lag1 - expected) < 0.02


def test_along_track_drops_land_and_handles_longitude_conventions():
    """NaN (land) is never sampled; 0..360, -180..180 and dateline-crossing grids give the same values."""
    lat = np.arange(-10.0, 10.01, 0.25)
    lon360 = np.arange(170.0, 190.01, 0.25)

    def fun(t, y, x):
        return 0.1 * np.sin(np.radians(x) * 30) * np.cos(np.radians(y) * 20) + 0.01 * t

    a = _grid(fun, lat, lon360, 4)
    b = a.assign_coords(lon=(a.lon.values + 180) % 360 - 180)  # 170..180, -180..-170: crosses the dateline
    ta = at.sample_along_track(a, missions=["jason3", "s3a"])
    tb = at.sample_along_track(b, missions=["jason3", "s3a"])
    assert ta.sizes["time"] == tb.sizes["time"] > 100
    np.testing.assert_allclose(ta.sla.values, tb.sla.values, atol=1e-12)
    assert ta.longitude.max() > 180 and tb.longitude.min() < -170  # each keeps its convention
    land = a.where(~((a.lat > -3) & (a.lat < 3) & (a.lon > 175) & (a.lon < 185)))
    tl = at.sample_along_track(land, missions=["jason3", "s3a"])
    assert np.isfinite(tl.sla.values).all() and tl.sizes["time"] < ta.sizes["time"]
    inside = (np.abs(tl.latitude) < 2.9) & (tl.longitude > 175.1) & (tl.longitude < 184.9)
    assert not bool(inside.any())


def test_swot_like_swath_geometry():
    """Swath pixels lie 10-60 km either side of nadir, at the stated cross-track distance."""
    lat = np.arange(30.0, 45.01, 0.25)
    lon = np.arange(-60.0, -40.01, 0.25)
    tr = at.sample_along_track(_grid(lambda t, y, x: 0 * (t + y + x), lat, lon, 22), missions=["swot"],
                               swath=True, sampling_s=5.0)
    xt = tr.cross_track_distance.values
    assert set(np.unique(np.abs(xt))) == {0.0} | set(np.arange(10.0, 60.01, 2.0))
    df = tr.to_dataframe()
    one_time = df[df.index == df.index[len(df) // 2]]
    nadir = one_time[one_time.cross_track_distance == 0].iloc[0]
    dist = at.haversine_km(nadir.longitude, nadir.latitude, one_time.longitude.values, one_time.latitude.values)
    np.testing.assert_allclose(dist, np.abs(one_time.cross_track_distance.values), atol=1e-6)


def test_unknown_mission_error_lists_known_names():
    """A wrong mission name says which names exist."""
    with pytest.raises(ValueError, match="jason3"):
        at.mission("jason9")
    assert at.mission("S3B").name == "sentinel3b" and at.mission("tpn").name == "topex_interleaved"


# ----------------------------------------------------------------------------- real-data recipes (no download)
def _write_dc_obs(path, lon, lat, t_days, ssh, swath=False):
    dims = ("time", "nC") if swath else ("time",)
    ds = xr.Dataset(
        {"ssh_model": (dims, ssh.astype("float32"), {"units": "m", "long_name": "SSH interpolated from model"})},
        coords={
            "time": ("time", t_days, {"units": "days since 2012-10-01 00:00:00", "calendar": "gregorian"}),
            "lon": (dims, lon, {"units": "degrees_east"}),
            "lat": (dims, lat, {"units": "degrees_north"}),
        },
    )
    if swath:
        ds["x_ac"] = ("nC", np.array([-30.0, -20.0, 20.0, 30.0]), {"units": "km"})
    ds.to_netcdf(path)


def test_dc2020a_prepare_parses_files_in_the_challenge_layout(tmp_path):
    """prepare_obs/prepare_ref read dc_obs/ and dc_ref/ files as shipped: names, dims, CF times."""
    obs_dir = tmp_path / "dc_obs"
    obs_dir.mkdir()
    n = 50
    t = np.linspace(0.0, 40.0, n)
    # Jason-1 in 0..360 longitudes, Envisat in -180..180, a SWOT KaRIn swath file (time, nC)
    _write_dc_obs(obs_dir / dc.OBS_FILES["jason1"], np.linspace(296, 304, n), np.linspace(34, 42, n), t,
                  np.linspace(0, 1, n))
    _write_dc_obs(obs_dir / dc.OBS_FILES["envisat"], np.linspace(-64, -56, n), np.linspace(42, 34, n), t + 0.5,
                  np.linspace(1, 2, n))
    _write_dc_obs(obs_dir / dc.OBS_FILES["swot_karin"], np.full((n, 4), -60.0), np.tile(np.linspace(34, 42, n), (4, 1)).T,
                  t, np.ones((n, 4)), swath=True)
    obs = dc.prepare_obs(tmp_path)  # the four nadirs by default: KaRIn left out
    assert obs.ssh.dims == ("time",) and obs.sizes["time"] == 2 * n
    assert set(obs.mission.values.tolist()) == {"jason1", "envisat"}
    assert (np.diff(obs.time.values) >= np.timedelta64(0)).all()
    assert obs.longitude.min() >= -180 and obs.longitude.max() < 0  # wrapped
    assert obs.time.values[0] == np.datetime64("2012-10-01")
    assert obs.ssh.attrs["units"] == "m" and obs.latitude.attrs["units"] == "degrees_north"
    sub = dc.prepare_obs(str(obs_dir), region=(-62, -58, 30, 45), period=("2012-10-05", "2012-10-20"))
    assert ((sub.longitude >= -62) & (sub.longitude <= -58)).all() and sub.sizes["time"] > 0
    assert sub.time.min() >= np.datetime64("2012-10-05") and sub.time.max() <= np.datetime64("2012-10-20")
    swot = dc.prepare_obs(tmp_path, missions=["swot_karin"])
    assert swot.sizes["time"] == 4 * n and set(np.unique(swot.cross_track_distance)) == {-30, -20, 20, 30}
    with pytest.raises(ValueError, match="topex_interleaved"):
        dc.prepare_obs(tmp_path, missions=["jason9"])

    ref_dir = tmp_path / "dc_ref"
    ref_dir.mkdir()
    lat = np.arange(33.0, 43.01, 1.0)
    lon = np.arange(-65.0, -54.99, 1.0)
    for day in (1, 2):
        hours = np.arange(0, 24, 6) * 3600.0
        ds = xr.Dataset(
            {"sossheig": (("time", "lat", "lon"), np.full((4, lat.size, lon.size), float(day), "float32"),
                          {"units": "m", "long_name": "sea surface height"})},
            coords={"time": ("time", hours, {"units": f"seconds since 2012-10-{day:02d} 00:00:00"}),
                    "lat": lat, "lon": lon},
        )
        ds.to_netcdf(ref_dir / f"NATL60-CJM165_GULFSTREAM_y2012m10d{day:02d}.1h_SSH.nc")
    ref = dc.prepare_ref(tmp_path)
    assert ref.ssh.dims == ("time", "lat", "lon") and ref.ssh.shape == (8, lat.size, lon.size)
    assert ref.ssh.attrs["units"] == "m" and ref.lon.attrs["units"] == "degrees_east"
    daily = dc.prepare_ref(tmp_path, region=(-60, -55, 35, 40), period=("2012-10-02", "2012-10-02"), daily_mean=True)
    assert daily.ssh.shape == (1, 6, 6) and float(daily.ssh.mean()) == 2.0


def test_dc2020a_download_skips_existing_files(tmp_path, monkeypatch):
    """download() does not touch the network when the files are already unpacked."""
    (tmp_path / "dc_obs").mkdir()
    (tmp_path / "dc_obs" / dc.OBS_FILES["jason1"]).write_bytes(b"")

    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(dc.urllib.request, "urlopen", no_network)
    assert dc.download(str(tmp_path)) == [str(tmp_path / "dc_obs")]
    assert dc.URLS["obs"].startswith("https://") and dc.URLS["obs"].endswith("dc_obs.tar.gz")


def _write_cmems(path, mission, day, lon, lat, sla, platform):
    """A daily CMEMS L3 file: packed integers with scale_factor, as distributed."""
    n = lon.size
    t = (np.datetime64(day) - np.datetime64("1950-01-01")) / np.timedelta64(1, "D") + np.arange(n) / 86400.0
    packed = {"dtype": "int16", "scale_factor": 0.001, "_FillValue": np.int16(32767)}
    coord = {"dtype": "int32", "scale_factor": 1e-6, "_FillValue": np.int32(2147483647)}
    sla_attrs = {"units": "m", "standard_name": "sea_surface_height_above_sea_level"}
    ds = xr.Dataset(
        {
            "sla_filtered": ("time", sla, dict(sla_attrs, long_name="Sea level anomaly filtered")),
            "sla_unfiltered": ("time", sla + 0.01, dict(sla_attrs, long_name="Sea level anomaly not filtered")),
            "mdt": ("time", np.full(n, 0.5), {"units": "m", "long_name": "Mean dynamic topography",
                                              "standard_name": "sea_surface_height_above_geoid"}),
            "lwe": ("time", np.full(n, 0.02), {"units": "m", "long_name": "Long wavelength error"}),
            "cycle": ("time", np.full(n, 100, "int16"), {"long_name": "Cycle the measurement belongs to"}),
            "track": ("time", np.arange(n, dtype="int16") // 10 + 1, {"long_name": "Track in cycle"}),
        },
        coords={
            "time": ("time", t, {"units": "days since 1950-01-01 00:00:00", "calendar": "gregorian",
                                 "standard_name": "time"}),
            "longitude": ("time", lon, {"units": "degrees_east", "standard_name": "longitude"}),
            "latitude": ("time", lat, {"units": "degrees_north", "standard_name": "latitude"}),
        },
        attrs={"platform": platform, "Conventions": "CF-1.6"},
    )
    enc = {v: dict(packed) for v in ("sla_filtered", "sla_unfiltered", "mdt", "lwe")}
    enc.update(longitude=dict(coord), latitude=dict(coord))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds.to_netcdf(path, encoding=enc)


def test_cmems_prepare_parses_l3_files(tmp_path):
    """prepare(): packed L3 files -> decoded sla in m, lon in [-180, 180), missions from file names, subsets."""
    rng = np.random.default_rng(0)
    n = 200
    truth = {}
    for code, platform, day in [("j3", "Jason-3", "2019-01-01"), ("s3a", "Sentinel-3A", "2019-01-02")]:
        lon = rng.uniform(290.0, 310.0, n)  # 0..360 as in the files
        lat = rng.uniform(30.0, 45.0, n)
        sla = rng.normal(0, 0.1, n).round(3)
        ds_dir = tmp_path / "SEALEVEL_GLO_PHY_L3_MY_008_062" / cm.dataset_id(code) / "2019" / "01"
        name = f"dt_global_{code}_phy_l3_1hz_{day.replace('-', '')}_20240205.nc"
        _write_cmems(str(ds_dir / name), code, day, lon, lat, sla, platform)
        truth[code] = (lon, lat, sla)
    with xr.open_dataset(next((tmp_path).rglob("*j3*.nc")), mask_and_scale=False) as raw:
        assert raw.sla_filtered.dtype == np.int16 and raw.longitude.dtype == np.int32  # really packed
    ds = cm.prepare(tmp_path)
    assert ds.sla.dims == ("time",) and ds.sizes["time"] == 2 * n
    assert ds.sla.attrs["units"] == "m" and ds.sla.attrs["standard_name"] == "sea_surface_height_above_sea_level"
    assert set(ds.mission.values.tolist()) == {"j3", "s3a"}
    assert (np.diff(ds.time.values) >= np.timedelta64(0)).all()
    assert float(ds.longitude.min()) >= -70 and float(ds.longitude.max()) <= -50
    j3 = ds.where(ds.mission == "j3", drop=True)
    np.testing.assert_allclose(j3.sla.values, truth["j3"][2], atol=1e-6)
    np.testing.assert_allclose(j3.longitude.values, truth["j3"][0] - 360.0, atol=1e-5)
    assert "mdt" in ds and "lwe" in ds and ds.cycle.dtype == np.int32
    sub = cm.prepare(tmp_path, variable="sla_unfiltered", missions=["s3a"], region=(-60, -55, 35, 40),
                     period=("2019-01-02", "2019-01-02"), subtract_lwe=True, add_mdt=True)
    assert set(sub.mission.values.tolist()) == {"s3a"} and sub.sizes["time"] > 0
    assert ((sub.longitude >= -60) & (sub.longitude <= -55) & (sub.latitude >= 35) & (sub.latitude <= 40)).all()
    np.testing.assert_allclose(sub.adt.values - sub.sla.values, 0.5, atol=1e-6)
    lon, lat, sla = truth["s3a"]
    inside = (lon >= 300) & (lon <= 305) & (lat >= 35) & (lat <= 40)
    np.testing.assert_allclose(np.sort(sub.sla.values), np.sort(sla[inside] + 0.01 - 0.02), atol=1e-6)
    assert cm.prepare(tmp_path, wrap_longitude=False).longitude.min() > 280


def test_cmems_download_needs_toolbox_and_names_the_pip_command(monkeypatch, tmp_path):
    """Without copernicusmarine, download() says how to install it; the date regex picks the right files."""
    monkeypatch.setitem(sys.modules, "copernicusmarine", None)
    with pytest.raises(ImportError, match="pip install copernicusmarine"):
        cm.download(str(tmp_path), "2019-01-01", "2019-01-02")
    import re

    regex = re.compile(cm._date_regex("2019-01-30", "2019-02-01"))
    assert regex.search("2019/01/dt_global_j3_phy_l3_1hz_20190131_20240205.nc")
    assert regex.search("2019/02/nrt_global_s3a_phy_l3_1hz_20190201_20190207.nc")
    assert not regex.search("2019/01/dt_global_j3_phy_l3_1hz_20190129_20190131.nc")
    assert cm.dataset_id("s3a", "nrt") == "cmems_obs-sl_glo_phy-ssh_nrt_s3a-l3-duacs_PT1S"


@pytest.mark.parametrize(
    "script, option",
    [("qg_simulation.py", "--quick"), ("along_track.py", "--missions"), ("dc2020a.py", "download"),
     ("cmems_l3.py", "prepare")],
)
def test_every_recipe_script_has_help(script, option):
    """Each recipe runs as a script and documents itself with --help."""
    out = subprocess.run([sys.executable, os.path.join(RECIPES, script), "--help"], capture_output=True, text=True,
                         check=True, timeout=60)
    assert option in out.stdout and "usage" in out.stdout
