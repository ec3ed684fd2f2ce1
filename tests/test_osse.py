"""geoinr.osse: the missions table, the along-track sampler and the QG model, installed with the package.

The OSSE truths and tracks the benchmarks recorded must not change when this code
moves or is tidied: the outputs are compared bit for bit with the code as it stood
in ``data_recipes/`` before the move (read from git), and with stored sums.
"""
import importlib.util
import math
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import geoinr.datasets as gd
import geoinr.osse as osse
from geoinr.geometry import EARTH_RADIUS_KM, haversine_km

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: The last commit with the OSSE code in data_recipes/ (and the orbit code twice): the frozen copy.
BEFORE_MOVE = "e779b3bd675ae391547cc8a2c7fda878d8446db5"
F0, BETA = osse.beta_plane(35.0)


# ----------------------------------------------------------------------------- results unchanged by the move
def _tracks_arrays(tr: xr.Dataset, ident="mission") -> dict:
    out = {k: tr[k].values for k in ("sla", "sla_true", "latitude", "longitude", ident)}
    out["time"] = tr.time.values.astype("int64")
    for k in ("cycle", "track", "cross_track_distance"):
        if k in tr.coords:
            out[k] = tr[k].values
    return out


def _osse_outputs(simulate, sample_along_track, ground_track, mission, synthetic_tracks) -> dict:
    """Small runs on fixed seeds of every path the recorded OSSEs took."""
    out = {}
    truth = simulate(n=32, spinup_days=8, days=3, seed=1)
    out["qg"] = truth.ssh.values
    out["qg_lat"], out["qg_lon"] = truth.lat.values, truth.lon.values
    out["qg_attrs"] = np.array([truth.attrs[k] for k in ("f0", "beta", "rossby_radius", "gravity", "grid_spacing")])
    out["qg_raw"] = simulate(n=32, spinup_days=4, days=2, seed=2, ssh_std=None, lat0=-20.0, lon0=170.0).ssh.values
    tr = sample_along_track(truth.ssh, missions=["jason3", "s3a", "s3b", "saral", "swot", "cryosat2", "gfo", "tpn"],
                            white_noise=0.01, correlated_noise=0.02, correlation_km=80.0, seed=5)
    out.update({f"nadir_{k}": v for k, v in _tracks_arrays(tr).items()})
    sw = sample_along_track(truth.ssh, missions=["swot"], swath=True, sampling_s=3.0, white_noise=0.005, seed=1)
    out.update({f"swath_{k}": v for k, v in _tracks_arrays(sw).items()})
    lat, lon = np.arange(-10.0, 10.01, 0.5), np.arange(170.0, 190.01, 0.5)
    values = np.sin(np.radians(lon))[None, None, :] * np.cos(np.radians(lat))[None, :, None] + 0.01 * np.arange(4)[
        :, None, None]
    da = xr.DataArray(values, dims=("time", "lat", "lon"), attrs={"units": "m"},
                      coords={"time": pd.date_range("2021-03-01", periods=4), "lat": lat, "lon": (lon + 180) % 360 - 180})
    dl = sample_along_track(da, missions=["j3", "s3a"], correlated_noise=0.01, seed=2)
    out.update({f"dateline_{k}": v for k, v in _tracks_arrays(dl).items()})
    out["ground_track"] = np.stack(ground_track(mission("sentinel3b"), np.linspace(0, 86400.0 * 40, 5001)))
    st = synthetic_tracks(days=2, noise=0.01, seed=3)
    out.update({f"synthetic_{k}": v for k, v in _tracks_arrays(st, "satellite").items()})
    st2 = synthetic_tracks(region=(170.0, -170.0, -10.0, 10.0), days=1.5, satellites=("jason3", "cryosat2"),
                           sampling=2.0, seed=7, field=lambda lo, la, td: 0.01 * lo + la * td)
    out.update({f"synthetic_dateline_{k}": v for k, v in _tracks_arrays(st2, "satellite").items()})
    # the region's convention since 2026-12-07 ([-180, 180) as given; it was 170 to 190): compared in [-180, 180)
    out["synthetic_dateline_longitude"] = (out["synthetic_dateline_longitude"] + 180.0) % 360.0 - 180.0
    return out


def _git_show(path: str):
    """The text of ``path`` at :data:`BEFORE_MOVE`, or None without git or that commit (a shallow clone)."""
    try:
        res = subprocess.run(["git", "show", f"{BEFORE_MOVE}:{path}"], cwd=ROOT, capture_output=True, text=True,
                             timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout if res.returncode == 0 else None


def _module_from_source(name: str, source: str, package: str | None = None):
    spec = importlib.util.spec_from_loader(name, loader=None)
    mod = importlib.util.module_from_spec(spec)
    if package:
        mod.__package__ = package  # so that ``from .geometry import ...`` resolves inside geoinr
    sys.modules[name] = mod  # dataclasses look their module up
    try:
        exec(compile(source, f"<{BEFORE_MOVE}:{name}>", "exec"), mod.__dict__)
    finally:
        sys.modules.pop(name, None)
    return mod


def test_osse_is_bit_for_bit_the_code_before_the_move():
    """QG truth, along-track samples (noise, swath, dateline), ground tracks and synthetic_tracks: identical bits."""
    sources = {p: _git_show(p) for p in ("data_recipes/qg_simulation.py", "data_recipes/along_track.py",
                                         "geoinr/datasets.py")}
    if any(s is None for s in sources.values()):
        pytest.skip(f"git history with commit {BEFORE_MOVE} not available (the stored sums below still run)")
    old_qg = _module_from_source("_frozen_qg_simulation", sources["data_recipes/qg_simulation.py"])
    old_at = _module_from_source("_frozen_along_track", sources["data_recipes/along_track.py"])
    old_ds = _module_from_source("geoinr._frozen_datasets", sources["geoinr/datasets.py"], package="geoinr")
    before = _osse_outputs(old_qg.simulate, old_at.sample_along_track, old_at.ground_track, old_at.mission,
                           old_ds.synthetic_tracks)
    after = _osse_outputs(osse.simulate, osse.sample_along_track, osse.ground_track, osse.mission,
                          gd.synthetic_tracks)
    assert sorted(before) == sorted(after)
    assert before["nadir_sla"].size > 1000 and before["swath_sla"].size > 1000 and before["synthetic_sla"].size > 500
    for key in before:
        assert before[key].dtype == after[key].dtype, key
        if key == "synthetic_dateline_longitude":  # wrapped from 170..190 before (the last bit of a modulo)
            np.testing.assert_allclose(after[key], before[key], rtol=0, atol=1e-12, err_msg=key)
            continue
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def test_osse_outputs_match_the_stored_sums():
    """The same runs against sums stored when the code moved (tolerant to last-bit differences between CPUs)."""
    truth = osse.simulate(n=32, spinup_days=8, days=3, seed=1)
    ssh = truth.ssh.values
    np.testing.assert_allclose([(ssh**2).sum(), np.abs(ssh).sum(), ssh[-1, 5, 7]],
                               [65.00729446174456, 360.02305395434587, 0.015851719499967495], rtol=1e-8)
    assert truth.attrs["gravity"] == osse.G_QG_SIMULATION == 9.81
    tr = osse.sample_along_track(truth.ssh, missions=["jason3", "s3a", "swot"], white_noise=0.01,
                                 correlated_noise=0.02, seed=5)
    assert tr.sizes["time"] == 1143
    assert (int(tr.track.values.sum()), int(tr.cycle.values.sum())) == (346334, 379761)
    np.testing.assert_allclose([(tr.sla_true.values**2).sum(), (tr.sla.values**2).sum(), tr.latitude.values.sum()],
                               [21.759101539216758, 22.752714232487357, 39873.13661184917], rtol=1e-8)
    st = gd.synthetic_tracks(days=2, noise=0.01, seed=3)
    assert st.sizes["time"] == 1036
    np.testing.assert_allclose([(st.sla.values**2).sum(), st.longitude.values.sum()],
                               [6.5902308183456455, 2627.2405952034856], rtol=1e-10)


# ----------------------------------------------------------------------------- installed, layered
def test_a_fresh_process_runs_the_osse_without_data_recipes(tmp_path):
    """import geoinr.osse, sample tracks and run a tiny QG model with data_recipes/ unreachable."""
    code = textwrap.dedent(
        """
        import importlib.abc, sys

        class NoRecipes(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("data_recipes", "along_track", "qg_simulation"):
                    raise ImportError(f"{name} must not be needed")
                return None

        sys.meta_path.insert(0, NoRecipes())
        sys.path = [p for p in sys.path if not p or "data_recipes" not in p]
        import geoinr.osse as osse

        truth = osse.simulate(n=16, spinup_days=4, days=2, seed=0)
        tracks = osse.sample_along_track(truth.ssh, missions=["jason3", "s3a"], white_noise=0.01)
        assert truth.ssh.shape == (2, 16, 16) and tracks.sizes["time"] > 0
        assert not [m for m in sys.modules if "data_recipes" in m or m in ("along_track", "qg_simulation")]
        print("ok", tracks.sizes["time"], osse.__file__)
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("ok ")
    assert str(ROOT / "data_recipes") not in res.stdout


def test_only_datasets_builds_on_osse():
    """geoinr.osse sits above coords/geometry/sentinels (data-layer leaves: numpy and xarray) and below nothing but
    geoinr.datasets."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from test_architecture import PACKAGE, import_graph
    finally:
        sys.path.remove(str(ROOT / "tests"))
    graph, third = import_graph(PACKAGE, "geoinr")
    users = {name for name, targets in graph.items() if any(t.startswith("geoinr.osse") for t in targets)}
    assert {u for u in users if not u.startswith("geoinr.osse")} == {"geoinr.datasets"}
    for name in (n for n in graph if n.startswith("geoinr.osse")):
        assert "torch" not in third[name], name
        assert {t for t in graph[name] if not t.startswith("geoinr.osse")} <= {"geoinr.coords", "geoinr.geometry",
                                                                               "geoinr.sentinels"}


def test_constants_are_named_for_what_they_are():
    """Earth's rotation agrees with geoinr.physics; the QG truth keeps its own g = 9.81, not 9.80665."""
    from geoinr.physics.constants import GRAVITY, OMEGA

    assert osse.EARTH_ROTATION == OMEGA
    assert osse.G_QG_SIMULATION == 9.81 and GRAVITY == 9.80665
    ds = osse.simulate(n=16, spinup_days=4, days=1)
    f0 = ds.attrs["f0"]
    model_psi_to_ssh = f0 / ds.attrs["gravity"]
    assert model_psi_to_ssh == f0 / 9.81


# ----------------------------------------------------------------------------- QG model
def _random_psi(model, wavelength_m=1.5e5, amplitude=2e4, seed=0):
    rng = np.random.default_rng(seed)
    shape = model.q_hat.shape
    band = (np.sqrt(model.k2) < 2 * np.pi / wavelength_m) & (model.k2 > 0)
    psi = np.fft.irfft2((rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * band, s=(model.n, model.n))
    return psi * amplitude / psi.std()


def test_qg_inviscid_unforced_conserves_energy_and_enstrophy():
    """Without forcing and dissipation, a turbulent state keeps its energy and enstrophy (RK3 error only)."""
    m = osse.QGModel(n=64, length=1e6, rossby_radius=4e4, beta=BETA)
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
    m = osse.QGModel(n=64, length=1e6, rossby_radius=4e4, beta=BETA, drag=1 / (10 * 86400.0), hyperviscosity=1e-5)
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
    m = osse.QGModel(n=32, length=length, rossby_radius=ld, beta=BETA)
    k, l = 2 * np.pi * ik / length, 2 * np.pi * il / length
    xx, yy = np.meshgrid(m.x, m.y)
    m.set_psi(1e4 * np.cos(k * xx + l * yy))
    duration = 20 * 86400.0
    m.run(duration, dt_max=3600.0)
    omega = -BETA * k / (k * k + l * l + 1 / ld**2)
    expected = 1e4 * np.cos(k * xx + l * yy - omega * duration)
    assert np.abs(m.psi - expected).max() < 1e-3 * 1e4
    assert omega < 0  # westward


def test_simulate_is_cf_sized_and_repeatable():
    """simulate(): CF (time, lat, lon) ssh in metres, realistic scales, same seed -> same field."""
    ds = osse.simulate(**osse.QUICK)
    ssh = ds.ssh
    assert ssh.dims == ("time", "lat", "lon") and ssh.shape == (10, 64, 64)
    assert ssh.attrs["units"] == "m" and ssh.attrs["standard_name"].startswith("sea_surface_height")
    assert ssh.attrs["long_name"]
    assert ds.lat.attrs["units"] == "degrees_north" and ds.lon.attrs["units"] == "degrees_east"
    assert ds.attrs["Conventions"] == "CF-1.8" and "simulate(" in ds.attrs["history"] and ds.attrs["title"]
    assert ds.attrs["source"].startswith("geoinr.osse.simulate")
    assert np.issubdtype(ds.time.dtype, np.datetime64)
    assert (np.diff(ds.time.values) == np.timedelta64(1, "D")).all()
    assert 0.1 <= float(ssh.std()) <= 0.3
    assert 8.0 < float(ds.lat.max() - ds.lat.min()) < 10.0  # 1000 km
    assert 10.0 < float(ds.lon.max() - ds.lon.min()) < 12.0  # 1000 km at 35N
    assert 30e3 <= ds.attrs["rossby_radius"] <= 50e3
    assert abs(ds.attrs["f0"] - F0) < 1e-12
    again = osse.simulate(**osse.QUICK)
    np.testing.assert_array_equal(again.ssh.values, ssh.values)
    other = osse.simulate(**dict(osse.QUICK, seed=1))
    assert np.abs(other.ssh.values - ssh.values).max() > 0.05


def test_simulate_eddies_persist_and_drift_west():
    """Forced-dissipative eddies keep their amplitude and drift westward at about beta * Ld^2."""
    ds = osse.simulate(n=64, spinup_days=60, days=21)
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


# ----------------------------------------------------------------------------- orbits and along-track sampling
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

    tr = osse.sample_along_track(_grid(trilinear, lat, lon, 6), missions=["jason3", "s3a", "saral"])
    assert tr.sizes["time"] > 1000
    exact = trilinear(_t_days(tr), tr.latitude.values, tr.longitude.values)
    assert np.abs(tr.sla_true.values - exact).max() < 1e-9
    np.testing.assert_array_equal(tr.sla.values, tr.sla_true.values)  # no noise asked
    assert tr.attrs["source"].startswith("geoinr.osse.sample_along_track")

    def smooth(t, y, x):  # ~500 km waves, drifting west in time
        return 0.2 * np.sin(np.radians(x) * 80 + 0.1 * t) * np.cos(np.radians(y) * 70)

    tr = osse.sample_along_track(_grid(smooth, lat, lon, 6), missions=["jason3", "s3a"])
    exact = smooth(_t_days(tr), tr.latitude.values, tr.longitude.values)
    # multilinear interpolation error <= sum_i h_i^2 max|d2f/dx_i2| / 8 (h: 0.1 deg, 1 day)
    bound = 0.2 * ((np.radians(80) * 0.1) ** 2 + (np.radians(70) * 0.1) ** 2 + 0.1**2) / 8
    err = np.abs(tr.sla_true.values - exact)
    assert err.max() <= bound and err.mean() < 0.3 * bound


def test_orbit_table_is_physically_consistent():
    """Nodal periods agree with Kepler + J2; exact repeats need the J2 precession (sun-synchronous: ~0.9856 deg/day)."""
    for m in osse.MISSIONS.values():
        assert abs(m.period / osse.j2_nodal_period(m.altitude_km, m.inclination) - 1) < 0.004, m.name
        rate = math.degrees(m.precession) * 86400.0
        assert abs(rate - math.degrees(osse.j2_precession(m.altitude_km, m.inclination)) * 86400.0) < 0.1, m.name
        if 98 < m.inclination < 100:  # the sun-synchronous ones
            assert abs(rate - 360 / 365.2422) < 0.01, m.name
    for name in ("jason3", "sentinel3a", "saral", "gfo"):  # the ground track repeats exactly
        m = osse.mission(name)
        t = np.linspace(0, 86400.0, 50)
        lon1, lat1, _ = osse.ground_track(m, t)
        lon2, lat2, _ = osse.ground_track(m, t + m.repeat_days * 86400.0)
        assert np.abs(lat2 - lat1).max() < 1e-6 and np.abs((lon2 - lon1 + 180) % 360 - 180).max() < 1e-6


def test_both_orbit_models_share_one_ground_track_geometry():
    """ground_track (missions) and synthetic_tracks (simplified orbits) both go through subsatellite_point."""
    m = osse.mission("jason3")
    t = np.linspace(0.0, 3 * 86400.0, 200)
    lon, lat, u = osse.ground_track(m, t)
    node = math.radians(m.node_deg) + (m.precession - osse.EARTH_ROTATION) * t
    np.testing.assert_array_equal(np.stack(osse.subsatellite_point(m.inclination, u, node)), np.stack([lon, lat]))
    lon_s, lat_s = gd._ground_track(66.04, 6745.72, -2.0, t, 0.3, 1.2)
    u_s = 2 * np.pi * t / 6745.72 + 1.2
    node_s = 0.3 + np.radians(-2.0) * t / 86400.0 - osse.EARTH_ROTATION * t
    np.testing.assert_array_equal(np.stack([lon_s, lat_s]), np.stack(osse.subsatellite_point(66.04, u_s, node_s)))
    assert abs(np.abs(lat_s).max() - 66.04) < 0.01


def test_tracks_have_realistic_geometry():
    """Max |lat| = inclination (prograde) or 180 - inclination; 1 Hz spacing 5.5-7.2 km; odd passes ascend."""
    lat = np.arange(-90.0, 90.01, 2.0)
    lon = np.arange(0.0, 360.0, 2.0)
    tr = osse.sample_along_track(_grid(lambda t, y, x: 0 * (t + y + x), lat, lon, 2),
                                 missions=["jason3", "sentinel3a", "swot"])
    for name, top in [("jason3", 66.04), ("sentinel3a", 180 - 98.65), ("swot", 77.6)]:
        s = tr.where(tr.mission == name, drop=True)
        assert abs(float(np.abs(s.latitude).max()) - top) < 0.05
        step = haversine_km(s.longitude.values[:-1], s.latitude.values[:-1],
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
    white = osse.sample_along_track(field, white_noise=0.05, **kw)
    err = (white.sla - white.sla_true).values
    assert white.sizes["time"] > 20000
    assert abs(err.std() / 0.05 - 1) < 0.03
    red = osse.sample_along_track(field, correlated_noise=0.03, correlation_km=100.0, **kw)
    s = red.where(red.mission == "jason3", drop=True)
    e = (s.sla - s.sla_true).values
    assert abs(red.sla.std() / 0.03 - 1) < 0.15
    contiguous = np.diff(s.time.values) == np.timedelta64(1, "s")
    lag1 = np.corrcoef(e[:-1][contiguous], e[1:][contiguous])[0, 1]
    expected = math.exp(-2 * math.pi * EARTH_RADIUS_KM / osse.mission("jason3").period / 100.0)
    assert abs(lag1 - expected) < 0.02


def test_along_track_drops_land_and_handles_longitude_conventions():
    """NaN (land) is never sampled; 0..360, -180..180 and dateline-crossing grids give the same values."""
    lat = np.arange(-10.0, 10.01, 0.25)
    lon360 = np.arange(170.0, 190.01, 0.25)

    def fun(t, y, x):
        return 0.1 * np.sin(np.radians(x) * 30) * np.cos(np.radians(y) * 20) + 0.01 * t

    a = _grid(fun, lat, lon360, 4)
    b = a.assign_coords(lon=(a.lon.values + 180) % 360 - 180)  # 170..180, -180..-170: crosses the dateline
    ta = osse.sample_along_track(a, missions=["jason3", "s3a"])
    tb = osse.sample_along_track(b, missions=["jason3", "s3a"])
    assert ta.sizes["time"] == tb.sizes["time"] > 100
    np.testing.assert_allclose(ta.sla.values, tb.sla.values, atol=1e-12)
    assert ta.longitude.max() > 180 and tb.longitude.min() < -170  # each keeps its convention
    land = a.where(~((a.lat > -3) & (a.lat < 3) & (a.lon > 175) & (a.lon < 185)))
    tl = osse.sample_along_track(land, missions=["jason3", "s3a"])
    assert np.isfinite(tl.sla.values).all() and tl.sizes["time"] < ta.sizes["time"]
    inside = (np.abs(tl.latitude) < 2.9) & (tl.longitude > 175.1) & (tl.longitude < 184.9)
    assert not bool(inside.any())


def test_swot_like_swath_geometry():
    """Swath pixels lie 10-60 km either side of nadir, at the stated cross-track distance."""
    lat = np.arange(30.0, 45.01, 0.25)
    lon = np.arange(-60.0, -40.01, 0.25)
    tr = osse.sample_along_track(_grid(lambda t, y, x: 0 * (t + y + x), lat, lon, 22), missions=["swot"],
                                 swath=True, sampling_s=5.0)
    xt = tr.cross_track_distance.values
    assert set(np.unique(np.abs(xt))) == {0.0} | set(np.arange(10.0, 60.01, 2.0))
    df = tr.to_dataframe()
    one_time = df[df.index == df.index[len(df) // 2]]
    nadir = one_time[one_time.cross_track_distance == 0].iloc[0]
    dist = haversine_km(nadir.longitude, nadir.latitude, one_time.longitude.values, one_time.latitude.values)
    np.testing.assert_allclose(dist, np.abs(one_time.cross_track_distance.values), atol=1e-6)


def test_unknown_mission_error_lists_known_names():
    """A wrong mission name says which names exist; a field that is not a DataArray says how to pick one."""
    with pytest.raises(ValueError, match="jason3"):
        osse.mission("jason9")
    assert osse.mission("S3B").name == "sentinel3b" and osse.mission("tpn").name == "topex_interleaved"
    with pytest.raises(TypeError, match=r"ds\['ssh'\]"):
        osse.sample_along_track(xr.Dataset())


def test_along_track_names_its_variables_after_name():
    """name="adt": the samples of an absolute dynamic topography are adt / adt_true, the same values as sla's."""
    lat = np.arange(30.0, 40.01, 0.25)
    lon = np.arange(-45.0, -34.99, 0.25)

    def field(t, y, x):
        return 0.5 + 0.1 * np.sin(np.radians(x) * 60 + 0.1 * t) + 0.0 * y

    grid = _grid(field, lat, lon, 4)
    plain = osse.sample_along_track(grid, missions=["jason3"], white_noise=0.01, seed=3)
    adt = osse.sample_along_track(grid, missions=["jason3"], white_noise=0.01, seed=3, name="adt")
    assert list(adt.data_vars) == ["adt", "adt_true"]
    np.testing.assert_array_equal(adt.adt.values, plain.sla.values)
    np.testing.assert_array_equal(adt.adt_true.values, plain.sla_true.values)
    assert adt.adt.attrs == plain.sla.attrs
    for bad in ("", "adt_true", 3):
        with pytest.raises(ValueError, match="name must be"):
            osse.sample_along_track(grid, missions=["jason3"], name=bad)
