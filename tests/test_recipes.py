"""data_recipes/: the scripts (CLI over geoinr.osse), the real-data parsers and the downloads, all offline.

The QG model, the orbits and the sampler are package code: tests/test_osse.py.
"""
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
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


# ----------------------------------------------------------------------------- simulation scripts
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


def test_simulation_scripts_call_the_package():
    """The scripts are fronts: their functions are geoinr.osse's (benchmarks load them by path)."""
    import geoinr.osse as osse

    assert at.sample_along_track is osse.sample_along_track and at.MISSIONS is osse.MISSIONS
    assert at.mission is osse.mission and at.ground_track is osse.ground_track
    assert qg.simulate is osse.simulate and qg.QGModel is osse.QGModel and qg.QUICK is osse.QUICK
    assert qg.GRAVITY == osse.G_QG_SIMULATION == 9.81


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
    assert sub.time.min() >= np.datetime64("2012-10-05") and sub.time.max() < np.datetime64("2012-10-21")
    # a bare end date includes its whole day, as prepare_ref's does (the 20th's observations after midnight were lost)
    assert (sub.time.values >= np.datetime64("2012-10-20")).any()
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


def _dc_archive(path, n_files=3, size=5000):
    """A small tar.gz in the layout of the challenge's archives: dc_obs/<file>.nc; returns its bytes."""
    import io
    import tarfile

    rng = np.random.default_rng(0)
    with tarfile.open(path, "w:gz") as tar:
        for name in list(dc.OBS_FILES.values())[:n_files]:
            data = rng.bytes(size)
            info = tarfile.TarInfo(f"dc_obs/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path.read_bytes()


class _FakePooch:
    """Stands for the pooch module: records create()/fetch() and 'downloads' a local archive."""

    def __init__(self, archive, fail_urls=()):
        self.archive, self.fail_urls, self.created, self.fetched = archive, set(fail_urls), [], []

    def create(self, **kwargs):
        self.created.append(kwargs)
        fake = self

        class Store:
            def fetch(self, name, processor=None, downloader=None):
                fake.fetched.append(dict(name=name, processor=processor, downloader=downloader))
                url = kwargs["urls"][name]
                if url in fake.fail_urls:
                    raise ConnectionError(f"unreachable: {url}")
                target = os.path.join(kwargs["path"], name)
                os.makedirs(kwargs["path"], exist_ok=True)
                with open(target, "wb") as f:
                    f.write(fake.archive.read_bytes())
                return processor(target, "download", self)

        return Store()


def test_dc2020a_download_counts_only_a_complete_unpacking_as_done(tmp_path, monkeypatch):
    """Some .nc files without the marker (a half-unpacked archive) or a truncated file: unpacked again."""
    fake = _FakePooch(tmp_path / "src.tar.gz")
    _dc_archive(fake.archive)
    monkeypatch.setattr(dc, "_pooch", lambda: fake)
    dest = tmp_path / "data"
    (dest / "dc_obs").mkdir(parents=True)
    (dest / "dc_obs" / dc.OBS_FILES["jason1"]).write_bytes(b"half")  # what the old test counted as done
    assert not dc.is_unpacked(str(dest), "obs")
    assert dc.download(str(dest), progress=False) == [str(dest / "dc_obs")]
    assert len(fake.fetched) == 1 and dc.is_unpacked(str(dest), "obs")
    assert (dest / "dc_obs" / dc.OBS_FILES["jason1"]).stat().st_size == 5000
    assert not (dest / "dc_obs.tar.gz").exists()  # removed once unpacked (keep_archive=False)
    dc.download(str(dest), progress=False)  # complete: no pooch call at all
    assert len(fake.fetched) == 1
    victim = dest / "dc_obs" / dc.OBS_FILES["envisat"]
    victim.write_bytes(victim.read_bytes()[:100])  # truncated after the marker was written
    assert not dc.is_unpacked(str(dest), "obs")
    dc.download(str(dest), progress=False)
    assert len(fake.fetched) == 2 and victim.stat().st_size == 5000 and dc.is_unpacked(str(dest), "obs")
    marker = json.loads((dest / ".dc_obs.complete.json").read_text())
    assert len(marker["files"]) == 3 and len(marker["sha256"]) == 64
    dc.download(str(dest), progress=False, overwrite=True)
    assert len(fake.fetched) == 3


def test_dc2020a_download_builds_the_pooch_call(tmp_path, monkeypatch):
    """pooch gets the cache, the URL then the mirror, the known hash (None), retries, the resuming downloader."""
    fake = _FakePooch(tmp_path / "src.tar.gz", fail_urls=[dc.URLS["obs"]])
    _dc_archive(fake.archive)
    monkeypatch.setattr(dc, "_pooch", lambda: fake)
    dc.download(str(tmp_path / "data"), cache=str(tmp_path / "cache"), retries=5, keep_archive=True, progress=False)
    assert [c["urls"] for c in fake.created] == [{"dc_obs.tar.gz": dc.URLS["obs"]}, {"dc_obs.tar.gz": dc.MIRRORS["obs"]}]
    for call in fake.created:
        assert call["path"] == str(tmp_path / "cache") and call["retry_if_failed"] == 5
        assert call["registry"] == {"dc_obs.tar.gz": dc.KNOWN_HASHES["obs"]} and dc.KNOWN_HASHES["obs"] is None
    assert isinstance(fake.fetched[-1]["downloader"], dc.ResumableDownloader)
    assert not fake.fetched[-1]["downloader"].progressbar
    assert isinstance(fake.fetched[-1]["processor"], dc.UnpackWithMarker)
    assert (tmp_path / "cache" / "dc_obs.tar.gz").exists()  # keep_archive
    assert dc.is_unpacked(str(tmp_path / "data"), "obs")
    fake.fail_urls = {dc.URLS["ref"], dc.MIRRORS["ref"]}
    with pytest.raises(OSError, match="(?s)dc_ref.tar.gz.*dc_ref.tar.gz.*resume"):
        dc.download(str(tmp_path / "data"), what=["ref"], progress=False)
    assert not dc.is_unpacked(str(tmp_path / "data"), "ref")
    with pytest.raises(ValueError, match="obs"):
        dc.download(str(tmp_path / "data"), what=["model"])


def test_dc2020a_download_without_pooch_says_how_to_install_it(tmp_path, monkeypatch):
    """pooch is an extra ('data'): without it, download() names the pip command; prepare_* never need it."""
    monkeypatch.setitem(sys.modules, "pooch", None)
    with pytest.raises(ImportError, match=r"pip install 'geoinr\[data\]'"):
        dc.download(str(tmp_path))


def test_dc2020a_download_with_pooch_offline(tmp_path):
    """The real pooch, with a downloader that copies a local archive: unpack, marker, cache, corrupt archives."""
    pytest.importorskip("pooch")
    src = tmp_path / "src.tar.gz"
    payload = _dc_archive(src)
    calls = []

    def local(url, output_file, pooch=None, check_only=False):
        calls.append(url)
        with open(output_file, "wb") as f:
            f.write(payload)

    dest, cache = tmp_path / "data", tmp_path / "cache"
    dc.download(str(dest), cache=str(cache), keep_archive=True, downloader=local, progress=False)
    assert calls == [dc.URLS["obs"]] and dc.is_unpacked(str(dest), "obs")
    assert (cache / "dc_obs.tar.gz").read_bytes() == payload
    (dest / ".dc_obs.complete.json").unlink()  # as if unpacking had been interrupted
    dc.download(str(dest), cache=str(cache), keep_archive=True, downloader=local, progress=False)
    assert len(calls) == 1 and dc.is_unpacked(str(dest), "obs")  # unpacked again from the cached archive
    payload = payload[: len(payload) // 2]  # a truncated archive: refused and removed, never reused
    shutil.rmtree(dest)
    (cache / "dc_obs.tar.gz").unlink()
    with pytest.raises(OSError, match="unreadable archive"):
        dc.download(str(dest), cache=str(cache), downloader=local, progress=False)
    assert not (cache / "dc_obs.tar.gz").exists() and not dc.is_unpacked(str(dest), "obs")


class _Server:
    """requests.get for one file, honouring Range like an HTTP server; can drop the connection or ignore Range."""

    def __init__(self, body, drop_after=None, honour_range=True):
        self.body, self.drop_after, self.honour_range, self.requests = body, drop_after, honour_range, []

    def get(self, url, headers=None, stream=False, timeout=None, allow_redirects=True):
        server = self
        headers = headers or {}
        self.requests.append(dict(headers))
        start = int(headers["Range"][6:-1]) if "Range" in headers and self.honour_range else 0
        status = 206 if "Range" in headers and self.honour_range else 200
        if start >= len(self.body):
            status = 416

        class Response:
            status_code = status
            headers = {} if status == 416 else {"Content-Length": str(len(server.body) - start)}
            if status == 206:
                headers["Content-Range"] = f"bytes {start}-{len(server.body) - 1}/{len(server.body)}"

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def raise_for_status(self):
                if self.status_code >= 400:
                    raise AssertionError("raise_for_status on a 416 that meant 'complete'")

            def iter_content(self, chunk_size=1):
                data = server.body[start:]
                if server.drop_after is not None:
                    data, server.drop_after = data[: server.drop_after], None
                for i in range(0, len(data), 7):
                    yield data[i : i + 7]

        return Response()

    def head(self, url, allow_redirects=True, timeout=None):
        class Response:
            status_code = 200
            headers = {"Content-Length": str(len(self.body))}

        return Response()


def test_resumable_downloader_resumes_restarts_and_finishes(tmp_path, monkeypatch):
    """A dropped connection leaves a .part that the next call completes with a Range request."""
    requests = pytest.importorskip("requests")
    body = bytes(range(256)) * 4
    server = _Server(body, drop_after=300)
    monkeypatch.setattr(requests, "get", server.get)
    monkeypatch.setattr(requests, "head", server.head)
    url = "https://example.invalid/x/dc_obs.tar.gz"
    out = tmp_path / "tmp_pooch_file"
    out.write_bytes(b"")
    down = dc.ResumableDownloader(progressbar=False)
    with pytest.raises(requests.ConnectionError, match="300 of 1024"):  # pooch retries this one
        down(url, str(out))
    part = tmp_path / os.path.basename(dc.ResumableDownloader.part_path(url, str(out)))
    assert part.name.startswith("dc_obs.tar.gz.") and part.name.endswith(".part")
    assert part.read_bytes() == body[:300]
    down(url, str(out))
    assert server.requests[-1] == {"Range": "bytes=300-"}
    assert out.read_bytes() == body and not part.exists()
    part.write_bytes(b"stale")  # a server that ignores Range: the whole file again, replacing the part
    server.honour_range = False
    down(url, str(out))
    assert out.read_bytes() == body
    part.write_bytes(body)  # killed between the last byte and the move: 416, nothing more to fetch
    server.honour_range = True
    down(url, str(out))
    assert out.read_bytes() == body and server.requests[-1] == {"Range": "bytes=1024-"}


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
        attrs={"platform": platform, "Conventions": "CF-1.6", "history": f"created for {day}"},
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
    # CF: the sources' history is kept, the preparation appended (a review: it was replaced)
    assert ds.attrs["history"].startswith("created for 2019-01-01 (and 1 other files' histories)\nprepared by")
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


def test_cmems_prepare_reads_an_older_release_with_only_the_unfiltered_sla(tmp_path):
    """The older DUACS layout (dt_global_alg_sla_vxxc_<day>_SARAL-Altika.nc4, no sla_filtered, platform "Altika
    Drifting Phase"): the mission from the file name, the unfiltered sla with a warning; the command line answers
    what the files do not hold with a usage error (it printed tracebacks; a review of 2026-12-06)."""
    rng = np.random.default_rng(1)
    lon, lat, sla = rng.uniform(290.0, 310.0, 50), rng.uniform(30.0, 45.0, 50), rng.normal(0, 0.1, 50).round(3)
    path = tmp_path / "dt_global_alg_sla_vxxc_20170402_SARAL-Altika.nc4"
    _write_cmems(str(path), "alg", "2017-04-02", lon, lat, sla, "Altika Drifting Phase")
    with xr.open_dataset(path) as ds:
        ds.drop_vars(["sla_filtered", "mdt", "lwe"]).load().to_netcdf(tmp_path / "older.nc")
    path.unlink()
    older = tmp_path / "older.nc"  # named otherwise: the platform attribute names the mission
    with pytest.warns(UserWarning, match="no 'sla_filtered'.*reading 'sla_unfiltered'"):
        ds = cm.prepare(tmp_path)
    assert set(ds.mission.values.tolist()) == {"alg"}
    np.testing.assert_allclose(np.sort(ds.sla.values), np.sort(sla + 0.01), atol=1e-6)
    older.rename(tmp_path / "dt_global_alg_sla_vxxc_20170402_SARAL-Altika.nc4")
    with pytest.warns(UserWarning):
        assert set(cm.prepare(tmp_path, missions=["alg"]).mission.values.tolist()) == {"alg"}
    script = os.path.join(RECIPES, "cmems_l3.py")
    for args, said in ((["--missions", "j3"], "belongs to missions ['j3']; they hold ['alg']"),
                       (["--subtract-lwe"], "no 'lwe' variable"),
                       (["--variable", "sla_filtered"], "has no variable 'sla_filtered'")):
        run = subprocess.run([sys.executable, script, "prepare", str(tmp_path), str(tmp_path / "out.nc"), *args],
                             capture_output=True, text=True)
        assert run.returncode == 2 and "Traceback" not in run.stderr and said in run.stderr, run.stderr


@pytest.mark.skipif(not (pathlib.Path(ROOT).parent / "shared" / "data" / "l3_saral_20170402").is_dir(),
                    reason="the real L3 day is in ../shared/data, absent from a user's clone")
def test_cmems_prepare_reads_the_real_saral_day():
    """The real SARAL/AltiKa day of ../shared/data: 44,533 points of mission alg, sla in m."""
    source = pathlib.Path(ROOT).parent / "shared" / "data" / "l3_saral_20170402"
    with pytest.warns(UserWarning, match="reading 'sla_unfiltered'"):
        ds = cm.prepare(source, missions=["alg"])
    assert ds.sizes["time"] == 44_533 and set(ds.mission.values.tolist()) == {"alg"}
    assert ds.sla.attrs["units"] == "m" and float(abs(ds.sla).max()) < 5.0


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


def _hostile_archive(path, member):
    """A tar.gz holding one good file, then ``member`` (a TarInfo; a file's bytes are b"x")."""
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as tar:
        good = tarfile.TarInfo("dc_obs/a.nc")
        good.size = 1
        tar.addfile(good, io.BytesIO(b"x"))
        if member.isfile():
            member.size = 1
        tar.addfile(member, io.BytesIO(b"x") if member.isfile() else None)
    return path


@pytest.mark.parametrize("filtered", [True, False])
@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink out", "device"])
def test_unpacking_refuses_members_outside_the_destination(tmp_path, monkeypatch, kind, filtered):
    """A review (2026-12-07, fifth session): on Pythons without tarfile's data filter (3.10.0-3.10.11, 3.11.0-3.11.3)
    the archive was unpacked unfiltered, and a member '../escaped.txt' was written outside the destination."""
    import tarfile

    if not filtered:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    member = {"dotdot": lambda: tarfile.TarInfo("dc_obs/../../escaped.txt"),
              "absolute": lambda: tarfile.TarInfo("/tmp/escaped.txt"),
              "symlink out": lambda: tarfile.TarInfo("dc_obs/link"),
              "device": lambda: tarfile.TarInfo("dc_obs/dev")}[kind]()
    if kind == "symlink out":
        member.type, member.linkname = tarfile.SYMTYPE, "../../.."
    if kind == "device":
        member.type = tarfile.CHRTYPE
    archive = _hostile_archive(tmp_path / "a.tar.gz", member)
    dest = tmp_path / "dest" / "inner"
    with pytest.raises(dc.UnsafeArchiveError):
        dc.UnpackWithMarker(str(dest), "obs")(str(archive), "download")
    assert not (tmp_path / "dest" / "escaped.txt").exists() and not (tmp_path / "escaped.txt").exists()
    assert not (dest / "dc_obs" / "link").exists() and not dc.is_unpacked(str(dest), "obs")


def test_an_unsafe_archive_is_refused_not_retried(tmp_path):
    pytest.importorskip("pooch")
    import tarfile

    payload = _hostile_archive(tmp_path / "a.tar.gz", tarfile.TarInfo("../escaped.txt")).read_bytes()
    calls = []

    def local(url, output_file, pooch=None, check_only=False):
        calls.append(url)
        with open(output_file, "wb") as f:
            f.write(payload)

    with pytest.raises(dc.UnsafeArchiveError, match="unsafe paths"):
        dc.download(str(tmp_path / "data"), cache=str(tmp_path / "cache"), downloader=local, progress=False)
    assert len(calls) == 1 and not (tmp_path / "cache" / "dc_obs.tar.gz").exists()


def test_the_downloader_trusts_no_planted_part(tmp_path, monkeypatch):
    """A review: a .part larger than the file was taken whole on the server's 416; a .part that was a link had the
    download appended to the file it pointed at; a 206 for another range than asked was appended."""
    requests = pytest.importorskip("requests")
    body = bytes(range(256)) * 4
    server = _Server(body)
    monkeypatch.setattr(requests, "get", server.get)
    monkeypatch.setattr(requests, "head", server.head)
    url = "https://example.invalid/x/dc_obs.tar.gz"
    out = tmp_path / "tmp_pooch_file"
    down = dc.ResumableDownloader(progressbar=False)
    part = dc.ResumableDownloader.part_path(url, str(out))
    with open(part, "wb") as f:
        f.write(b"ATTACKER" * 200)  # 1600 bytes: the server answers 416
    with pytest.raises(requests.ConnectionError, match="not the file's"):
        down(url, str(out))
    assert not os.path.exists(part)
    down(url, str(out))  # pooch's retry: downloaded anew
    assert out.read_bytes() == body
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"victim's own content\n")
    os.symlink(victim, part)
    down(url, str(out))
    assert victim.read_bytes() == b"victim's own content\n" and out.read_bytes() == body
    assert not os.path.islink(out)
    with open(part, "wb") as f:
        f.write(body[:100])
    original = server.get

    def wrong_range(*args, **kwargs):
        response = original(*args, **kwargs)
        response.headers = dict(response.headers, **{"Content-Range": "bytes 0-1023/1024"})
        return response

    monkeypatch.setattr(requests, "get", wrong_range)
    with pytest.raises(requests.ConnectionError, match="partial download is removed"):
        down(url, str(out))
    assert not os.path.exists(part)


def test_an_address_and_its_mirror_keep_separate_parts(tmp_path):
    parts = {dc.ResumableDownloader.part_path(dc.URLS["obs"], str(tmp_path / "f")),
             dc.ResumableDownloader.part_path(dc.MIRRORS["obs"], str(tmp_path / "f"))}
    assert len(parts) == 2
