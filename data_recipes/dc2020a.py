"""Download and prepare the 2020a SSH mapping data challenge (NATL60 OSSE, Gulf Stream).

    python data_recipes/dc2020a.py download data/dc2020a             # ~285 MB of obs (+ --ref: 11 GB)
    python data_recipes/dc2020a.py prepare data/dc2020a dc_obs.nc --ref-output dc_ref.nc --eval-only

The challenge (https://github.com/ocean-data-challenges/2020a_SSH_mapping_NATL60,
DOI 10.24400/527896/a01-2020.002) samples the NATL60-CJM165 simulation along the
tracks of four nadir altimeters (TOPEX/Poseidon interleaved, Jason-1, Envisat,
Geosat Follow-On) and SWOT, without noise, over 2012-10-01 .. 2013-09-30 in
the box 65W-55W, 33N-43N; maps are scored over 2012-10-22 .. 2012-12-02.

``download`` fetches and unpacks the two archives (network; not run by the
tests); ``prepare_obs`` and ``prepare_ref`` parse the files into the package's
layouts: along-track (dim ``time``; ``latitude``, ``longitude``, ``mission``;
``ssh`` in m) and gridded (``ssh`` on ``time, lat, lon``), longitudes in
[-180, 180), times decoded, optionally subset in space and time.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import tarfile
import urllib.request
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "URLS",
    "MIRRORS",
    "OBS_FILES",
    "NADIRS",
    "REGION",
    "PERIOD",
    "EVAL_PERIOD",
    "download",
    "prepare_obs",
    "prepare_ref",
]

#: Public archives (MEOM opendap server of IGE, Grenoble). The official copy, with the same
#: content, is on AVISO+ (free account): https://www.aviso.altimetry.fr, DOI 10.24400/527896/a01-2020.002.
URLS = {
    "obs": "https://ige-meom-opendap.univ-grenoble-alpes.fr/thredds/fileServer/meomopendap/extract/"
    "MEOM/OCEAN_DATA_CHALLENGES/2020a_SSH_mapping_NATL60/dc_obs.tar.gz",
    "ref": "https://ige-meom-opendap.univ-grenoble-alpes.fr/thredds/fileServer/meomopendap/extract/"
    "MEOM/OCEAN_DATA_CHALLENGES/2020a_SSH_mapping_NATL60/dc_ref.tar.gz",
}
#: Older location of the same archives, tried when the first fails.
MIRRORS = {
    "obs": "https://ige-meom-opendap.univ-grenoble-alpes.fr/thredds/fileServer/meomopendap/extract/"
    "ocean-data-challenges/dc_data1/dc_obs.tar.gz",
    "ref": "https://ige-meom-opendap.univ-grenoble-alpes.fr/thredds/fileServer/meomopendap/extract/"
    "ocean-data-challenges/dc_data1/dc_ref.tar.gz",
}

#: Observation files in ``dc_obs/``, by mission name (names as in data_recipes/along_track.py).
OBS_FILES = {
    "topex_interleaved": "2020a_SSH_mapping_NATL60_topex-poseidon_interleaved.nc",
    "jason1": "2020a_SSH_mapping_NATL60_jason1.nc",
    "envisat": "2020a_SSH_mapping_NATL60_envisat.nc",
    "gfo": "2020a_SSH_mapping_NATL60_geosat2.nc",
    "swot_nadir": "2020a_SSH_mapping_NATL60_nadir_swot.nc",
    "swot_karin": "2020a_SSH_mapping_NATL60_karin_swot.nc",
}
#: The four-nadir constellation of the leaderboard.
NADIRS = ("topex_interleaved", "jason1", "envisat", "gfo")
#: Reference files in ``dc_ref/`` (hourly NATL60 SSH, one file per day).
REF_PATTERN = "NATL60-CJM165_GULFSTREAM_y*.nc"
REGION = (-65.0, -55.0, 33.0, 43.0)  # west, east, south, north (degrees)
PERIOD = ("2012-10-01", "2013-09-30")  # whole simulation
EVAL_PERIOD = ("2012-10-22", "2012-12-02")  # maps are scored over these 42 days

_SSH_ATTRS = {
    "units": "m",
    "standard_name": "sea_surface_height_above_geoid",
    "long_name": "sea surface height of the NATL60-CJM165 simulation",
}


def download(dest: str = ".", what: Sequence[str] = ("obs",), progress: bool = True, overwrite: bool = False) -> list:
    """Download and unpack the challenge archives into ``dest`` (needs internet).

    Parameters
    ----------
    dest : str
        Directory; ``dc_obs/`` and ``dc_ref/`` are created in it.
    what : sequence of {"obs", "ref"}
        Archives to fetch: observations (~285 MB) and/or the reference simulation (~11 GB).
    progress : bool
        Print the progress of each download.
    overwrite : bool
        Download again even if the unpacked directory already holds netCDF files.

    Returns
    -------
    list of str
        The directories unpacked.
    """
    os.makedirs(dest, exist_ok=True)
    done = []
    for key in what:
        if key not in URLS:
            raise ValueError(f"what={key!r} is not an archive of the challenge; choose from {sorted(URLS)}.")
        target = os.path.join(dest, f"dc_{key}")
        if not overwrite and glob.glob(os.path.join(target, "*.nc")):
            done.append(target)
            continue
        archive = os.path.join(dest, f"dc_{key}.tar.gz")
        errors = []
        for url in (URLS[key], MIRRORS[key]):
            try:
                _fetch(url, archive, progress)
                break
            except OSError as exc:  # URLError, HTTPError and socket errors are OSErrors
                errors.append(f"{url}: {exc}")
        else:
            raise OSError(
                "Could not download the data-challenge archive:\n  " + "\n  ".join(errors)
                + "\nDownload it by hand (AVISO+, DOI 10.24400/527896/a01-2020.002) and unpack it in "
                f"{dest!r}; then call prepare_obs/prepare_ref on it."
            )
        with tarfile.open(archive) as tar:
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(dest, **kwargs)
        os.remove(archive)
        done.append(target)
    return done


def _fetch(url: str, path: str, progress: bool) -> None:
    """Stream ``url`` to ``path`` (through a temporary name), printing progress every ~5 %."""
    tmp = path + ".part"
    with urllib.request.urlopen(url, timeout=60) as resp, open(tmp, "wb") as out:
        total = int(resp.headers.get("Content-Length") or 0)
        got, shown = 0, -1
        while True:
            buf = resp.read(1 << 20)
            if not buf:
                break
            out.write(buf)
            got += len(buf)
            if progress and total:
                pct = int(100 * got / total) // 5 * 5
                if pct != shown:
                    print(f"{os.path.basename(path)}: {pct}% of {total / 1e6:.0f} MB", flush=True)
                    shown = pct
    os.replace(tmp, path)


def _files(path_or_files, pattern: str, subdir: str) -> list:
    """Expand a directory (searching ``subdir`` too), a glob pattern or a list into sorted file names."""
    if isinstance(path_or_files, (str, os.PathLike)):
        path = os.fspath(path_or_files)
        if os.path.isdir(path):
            files = glob.glob(os.path.join(path, pattern)) + glob.glob(os.path.join(path, subdir, pattern))
        else:
            files = glob.glob(path)
    else:
        files = [os.fspath(f) for f in path_or_files]
    if not files:
        raise FileNotFoundError(
            f"No files matching {pattern!r} in {path_or_files!r} (nor in its {subdir}/); "
            "download them first with download(dest, what=...)."
        )
    return sorted(files)


def _in_region(lon, lat, region) -> np.ndarray:
    """Mask of points inside (west, east, south, north); ``west > east`` crosses the dateline."""
    west, east, south, north = (float(v) for v in region)
    width = (east - west) % 360.0 or 360.0
    return ((np.asarray(lon) - west) % 360.0 <= width) & (np.asarray(lat) >= south) & (np.asarray(lat) <= north)


def _wrap(lon):
    return (np.asarray(lon, float) + 180.0) % 360.0 - 180.0


def _mission_of(path: str) -> str:
    """Mission name from a data-challenge observation file name."""
    base = os.path.basename(path)
    for name, fname in OBS_FILES.items():
        if base == fname:
            return name
    m = re.match(r"2020a_SSH_mapping_NATL60_(.+)\.nc$", base)
    return m.group(1) if m else os.path.splitext(base)[0]


def prepare_obs(
    path_or_files,
    missions: Iterable[str] | None = NADIRS,
    region=None,
    period=None,
    variable: str = "ssh_model",
) -> xr.Dataset:
    """Read the challenge's observation files into one along-track Dataset.

    Parameters
    ----------
    path_or_files : str or list
        The download directory (or its ``dc_obs/``), a glob pattern, or files.
    missions : iterable of str or None
        Keys of :data:`OBS_FILES` to keep (default: the four nadirs); None keeps all found.
    region : (west, east, south, north), optional
        Keep points inside this box (degrees, either longitude convention).
    period : (start, end), optional
        Keep times in ``[start, end]`` (inclusive; dates or timestamps).
    variable : str
        Variable to read (``ssh_model``: the simulation's SSH along track).

    Returns
    -------
    xarray.Dataset
        Dim ``time`` (sorted); coords ``latitude``, ``longitude`` ([-180, 180)),
        ``mission``, and ``cross_track_distance`` (km) when SWOT KaRIn is included;
        data ``ssh`` (m).
    """
    files = _files(path_or_files, "2020a_SSH_mapping_NATL60_*.nc", "dc_obs")
    wanted = None if missions is None else set(missions)
    unknown = set() if wanted is None else wanted - set(OBS_FILES)
    if unknown:
        raise ValueError(f"Unknown missions {sorted(unknown)}; the challenge has {sorted(OBS_FILES)}.")
    parts = []
    has_swath = False
    for f in files:
        name = _mission_of(f)
        if wanted is not None and name not in wanted:
            continue
        with xr.open_dataset(f) as ds:
            if variable not in ds:
                raise KeyError(f"{f} has no variable {variable!r}; it has {list(ds.data_vars)} (pass variable=).")
            ssh = ds[variable]
            lon = ds["lon"] if "lon" in ds.variables else ds["longitude"]
            lat = ds["lat"] if "lat" in ds.variables else ds["latitude"]
            time = ds["time"]
            ssh, lon, lat, time = xr.broadcast(ssh, lon, lat, time)
            lon, lat, time = (v.transpose(*ssh.dims) for v in (lon, lat, time))
            xac = None
            if ssh.ndim == 2:  # KaRIn swath: (time, nC)
                has_swath = True
                for cand in ("x_ac", "x_across", "cross_track_distance"):
                    if cand in ds.variables:
                        xac = xr.broadcast(ds[cand], ssh)[0].values.ravel()
            table = dict(
                ssh=np.asarray(ssh.values, float).ravel(),
                lon=_wrap(lon.values.ravel()),
                lat=np.asarray(lat.values, float).ravel(),
                time=np.asarray(time.values).ravel().astype("datetime64[ns]"),
                xac=np.zeros(ssh.size) if xac is None else np.asarray(xac, float),
            )
            units = ssh.attrs.get("units", "m")
        keep = np.isfinite(table["ssh"]) & np.isfinite(table["lon"]) & np.isfinite(table["lat"])
        if region is not None:
            keep &= _in_region(table["lon"], table["lat"], region)
        if period is not None:
            keep &= (table["time"] >= np.datetime64(pd.Timestamp(period[0]), "ns")) & (
                table["time"] <= np.datetime64(pd.Timestamp(period[1]), "ns")
            )
        table = {k: v[keep] for k, v in table.items()}
        table["mission"] = np.full(table["ssh"].size, name)
        table["units"] = units
        parts.append(table)
    if not parts:
        raise FileNotFoundError(f"None of the missions {sorted(wanted or [])} found among {files}.")
    cat = {k: np.concatenate([p[k] for p in parts]) for k in ("ssh", "lon", "lat", "time", "xac", "mission")}
    order = np.argsort(cat["time"], kind="stable")
    cat = {k: v[order] for k, v in cat.items()}
    coords = {
        "time": ("time", cat["time"], {"standard_name": "time", "long_name": "time"}),
        "latitude": ("time", cat["lat"], {"standard_name": "latitude", "units": "degrees_north"}),
        "longitude": ("time", cat["lon"], {"standard_name": "longitude", "units": "degrees_east"}),
        "mission": ("time", cat["mission"].astype(str), {"long_name": "satellite mission"}),
    }
    if has_swath:
        coords["cross_track_distance"] = ("time", cat["xac"], {"long_name": "cross-track distance", "units": "km"})
    return xr.Dataset(
        {"ssh": ("time", cat["ssh"], dict(_SSH_ATTRS, units=parts[0]["units"]))},
        coords=coords,
        attrs={
            "title": "2020a SSH mapping data challenge: simulated altimetry (NATL60-CJM165 OSSE)",
            "Conventions": "CF-1.8",
            "source": "https://github.com/ocean-data-challenges/2020a_SSH_mapping_NATL60 (dc_obs), "
            "DOI 10.24400/527896/a01-2020.002",
            "history": f"prepared by data_recipes/dc2020a.py prepare_obs(missions={sorted(set(cat['mission']))}, "
            f"region={region}, period={period})",
        },
    )


def prepare_ref(path_or_files, region=None, period=None, daily_mean: bool = False) -> xr.Dataset:
    """Open the reference simulation files as one lazy ``ssh (time, lat, lon)`` Dataset.

    Parameters
    ----------
    path_or_files : str or list
        The download directory (or its ``dc_ref/``), a glob pattern, or files.
    region : (west, east, south, north), optional
        Subset (degrees; longitudes of the result are in [-180, 180)).
    period : (start, end), optional
        Keep times in ``[start, end]``; a bare end date includes that whole day.
    daily_mean : bool
        Average the hourly fields into daily means (time stamped at 00:00).

    Returns
    -------
    xarray.Dataset
        ``ssh`` (m) on ``(time, lat, lon)``, backed by dask until loaded.
    """
    files = _files(path_or_files, REF_PATTERN, "dc_ref")
    ds = xr.open_mfdataset(files, combine="nested", concat_dim="time", data_vars="minimal", coords="minimal",
                           compat="override")
    var = "sossheig" if "sossheig" in ds else "ssh"
    if var not in ds:
        raise KeyError(f"No 'sossheig' in {files[0]}; variables: {list(ds.data_vars)}.")
    rename = {}
    for old, new in (("time_counter", "time"), ("nav_lon", "lon"), ("nav_lat", "lat"), ("longitude", "lon"),
                     ("latitude", "lat"), ("x", "lon"), ("y", "lat")):
        if old in ds.variables or old in ds.dims:
            if new not in ds.variables and new not in ds.dims:
                rename[old] = new
    ds = ds.rename(rename)
    ssh = ds[var]
    if ssh.dims != ("time", "lat", "lon"):
        ssh = ssh.transpose("time", "lat", "lon")
    ssh = ssh.assign_coords(lon=_wrap(ssh["lon"].values)).sortby("lon").sortby("lat").sortby("time")
    if region is not None:
        south, north = float(region[2]), float(region[3])
        keep_lon = _in_region(ssh["lon"].values, np.full(ssh["lon"].size, 0.5 * (south + north)), region)
        ssh = ssh.isel(lon=np.nonzero(keep_lon)[0]).sel(lat=slice(south, north))
    if period is not None:
        end = pd.Timestamp(period[1])
        if end == end.normalize() and len(str(period[1])) <= 10:
            end = end + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        ssh = ssh.sel(time=slice(pd.Timestamp(period[0]), end))
    if daily_mean:
        ssh = ssh.resample(time="1D").mean()
    ssh = ssh.assign_attrs(dict(_SSH_ATTRS, units=ds[var].attrs.get("units", "m")))
    ssh["lat"].attrs.update(standard_name="latitude", units="degrees_north")
    ssh["lon"].attrs.update(standard_name="longitude", units="degrees_east")
    ssh["time"].attrs.update(standard_name="time")
    return xr.Dataset(
        {"ssh": ssh},
        attrs={
            "title": "2020a SSH mapping data challenge: reference NATL60-CJM165 sea surface height",
            "Conventions": "CF-1.8",
            "source": "https://github.com/ocean-data-challenges/2020a_SSH_mapping_NATL60 (dc_ref), "
            "DOI 10.24400/527896/a01-2020.002",
            "history": f"prepared by data_recipes/dc2020a.py prepare_ref(region={region}, period={period}, "
            f"daily_mean={daily_mean})",
        },
    )


def main(argv=None) -> None:
    """Command-line entry point (``download`` or ``prepare``)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("download", help="download and unpack the archives (internet)")
    d.add_argument("dest", help="directory for dc_obs/ (and dc_ref/)")
    d.add_argument("--ref", action="store_true", help="also the 11 GB reference simulation")
    r = sub.add_parser("prepare", help="parse downloaded files into along-track and gridded netCDF")
    r.add_argument("source", help="download directory (holding dc_obs/, dc_ref/)")
    r.add_argument("output", help="output netCDF for the observations")
    r.add_argument("--ref-output", help="also write the reference SSH (daily means) to this netCDF")
    r.add_argument("--missions", nargs="+", default=list(NADIRS), choices=sorted(OBS_FILES))
    r.add_argument("--eval-only", action="store_true", help="reference restricted to the 42-day evaluation period")
    a = p.parse_args(argv)
    if a.command == "download":
        for path in download(a.dest, what=("obs", "ref") if a.ref else ("obs",)):
            print(f"ready: {path}")
        return
    obs = prepare_obs(a.source, missions=a.missions, region=REGION)
    obs.to_netcdf(a.output)
    print(f"wrote {a.output}: {obs.sizes['time']} observations")
    if a.ref_output:
        ref = prepare_ref(a.source, region=REGION, period=EVAL_PERIOD if a.eval_only else None, daily_mean=True)
        ref.load().to_netcdf(a.ref_output)
        print(f"wrote {a.ref_output}: ssh {dict(ref.ssh.sizes)}")


if __name__ == "__main__":
    main()
