"""Download and prepare the 2020a SSH mapping data challenge (NATL60 OSSE, Gulf Stream).

    python data_recipes/dc2020a.py download data/dc2020a             # ~285 MB of obs (+ --ref: 11 GB)
    python data_recipes/dc2020a.py prepare data/dc2020a dc_obs.nc --ref-output dc_ref.nc --eval-only

The challenge (https://github.com/ocean-data-challenges/2020a_SSH_mapping_NATL60,
DOI 10.24400/527896/a01-2020.002) samples the NATL60-CJM165 simulation along the
tracks of four nadir altimeters (TOPEX/Poseidon interleaved, Jason-1, Envisat,
Geosat Follow-On) and SWOT, without noise, over 2012-10-01 .. 2013-09-30 in
the box 65W-55W, 33N-43N; maps are scored over 2012-10-22 .. 2012-12-02.

``download`` fetches and unpacks the two archives with pooch (network; needs
``pip install 'geoinr[data]'``; the tests run it offline on a small archive);
``prepare_obs`` and ``prepare_ref`` parse the files into the package's
layouts: along-track (dim ``time``; ``latitude``, ``longitude``, ``mission``;
``ssh`` in m) and gridded (``ssh`` on ``time, lat, lon``), longitudes in
[-180, 180), times decoded, optionally subset in space and time.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import json
import os
import posixpath
import re
import tarfile
import urllib.parse
import zlib
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
    "KNOWN_HASHES",
    "download",
    "is_unpacked",
    "ResumableDownloader",
    "UnpackWithMarker",
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

#: Archive file names, as pooch stores them in the cache.
ARCHIVES = {"obs": "dc_obs.tar.gz", "ref": "dc_ref.tar.gz"}
#: pooch known hashes of the archives ("sha256:<hex>"). None: not published, and not computed here (no download
#: in this project's tests), so no hash is checked; the completion marker decides what is done (see download()).
#: Each download records the archive's sha256 in its marker: put it here to check every later download.
KNOWN_HASHES = {"obs": None, "ref": None}

#: Observation files in ``dc_obs/``, by mission name (as in geoinr.osse.MISSIONS, plus SWOT nadir / KaRIn).
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


def _pooch():
    """The pooch module, or an ImportError that says how to install it."""
    try:
        import pooch
    except ImportError as exc:
        raise ImportError(
            "download() needs pooch (downloads with retries, a cache and resume): "
            "pip install 'geoinr[data]' (or pip install pooch)."
        ) from exc
    return pooch


def marker_path(dest: str, key: str) -> str:
    """The completion marker of archive ``key`` unpacked in ``dest``: written last, after every file."""
    return os.path.join(dest, f".dc_{key}.complete.json")


def is_unpacked(dest: str, key: str) -> bool:
    """Whether archive ``key`` was unpacked in ``dest`` to the end: its marker lists every file and its size.

    A directory holding some of the files (an interrupted unpacking, a disk that
    filled up) has no marker, or a file of the wrong size, and does not count.

    Examples
    --------
    >>> import tempfile
    >>> is_unpacked(tempfile.mkdtemp(), "obs")
    False
    """
    try:
        with open(marker_path(dest, key)) as f:
            files = json.load(f)["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not files:
        return False
    for rel, size in files.items():
        path = os.path.join(dest, *rel.replace("\\", "/").split("/"))  # (markers written on Windows held "\\")
        if not os.path.isfile(path) or os.path.getsize(path) != size:
            return False
    return True


class ResumableDownloader:
    """A pooch downloader that resumes an interrupted HTTP download instead of starting it over.

    The bytes go to ``<archive name>.part`` in the cache directory; a later call
    asks the server for the rest (an HTTP ``Range`` request) and appends them. A
    server that ignores ``Range`` sends the whole file again, which then replaces
    the part. A connection closed before ``Content-Length`` bytes raises
    ``requests.ConnectionError``, which pooch retries (``retry_if_failed``), from
    where it stopped. Progress is shown with ``tqdm.auto``.

    Parameters
    ----------
    progressbar : bool
        Show a progress bar.
    timeout : float
        Seconds to wait for the server (connection and each read).
    chunk_size : int
        Bytes written at a time.
    """

    def __init__(self, progressbar: bool = True, timeout: float = 60.0, chunk_size: int = 1 << 20):
        self.progressbar = progressbar
        self.timeout = timeout
        self.chunk_size = chunk_size

    @staticmethod
    def part_path(url: str, output_file: str) -> str:
        """Where the bytes of ``url`` accumulate: beside pooch's temporary ``output_file``, named after the URL and
        tagged by it (the address and its mirror end in the same name: a part of one was resumed from the other)."""
        name = os.path.basename(urllib.parse.urlparse(url).path) or "download"
        tag = hashlib.sha256(url.encode()).hexdigest()[:8]
        return os.path.join(os.path.dirname(os.path.abspath(output_file)), f"{name}.{tag}.part")

    def __call__(self, url: str, output_file: str, pooch=None, check_only: bool = False):
        import requests

        if check_only:
            return requests.head(url, allow_redirects=True, timeout=self.timeout).status_code == 200
        part = self.part_path(url, output_file)
        name = os.path.basename(urllib.parse.urlparse(url).path) or "download"
        if os.path.islink(part) or (os.path.lexists(part) and not os.path.isfile(part)):
            os.remove(part)  # a link (or anything but a file) is never written through: the download starts anew
        have = os.path.getsize(part) if os.path.exists(part) else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout, allow_redirects=True) as resp:
            if have and resp.status_code == 416:  # nothing left to send: whole if it is the file's size
                size = requests.head(url, allow_redirects=True, timeout=self.timeout).headers.get("Content-Length")
                if size is None or int(size) != have:
                    os.remove(part)
                    raise requests.ConnectionError(f"{name}: the partial download holds {have} bytes, not the file's "
                                                   f"{size}; removed, to be downloaded anew")
            else:
                resp.raise_for_status()
                if resp.status_code == 206 and not str(resp.headers.get("Content-Range", "")).startswith(
                        f"bytes {have}-"):  # another range than asked: nothing of it is appended
                    os.remove(part)
                    raise requests.ConnectionError(f"{name}: the server sent {resp.headers.get('Content-Range')!r} "
                                                   f"for bytes {have}-; the partial download is removed")
                if resp.status_code != 206:  # the whole file (no Range asked, or Range ignored)
                    have = 0
                self._stream(resp, part, have, name)
        os.replace(part, output_file)  # pooch's output file exists: shutil.move copied the archive on Windows

    def _stream(self, resp, part: str, have: int, name: str) -> None:
        """Append the response body to ``part`` (from ``have`` bytes), checking its length; never through a link."""
        import requests
        from tqdm.auto import tqdm

        length = resp.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        got = have
        flags = (os.O_WRONLY | os.O_CREAT | (os.O_APPEND if have else os.O_TRUNC) | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_BINARY", 0))
        with os.fdopen(os.open(part, flags, 0o644), "ab" if have else "wb") as out, tqdm(
            total=total, initial=have, unit="B", unit_scale=True, desc=name, disable=not self.progressbar
        ) as bar:
            for chunk in resp.iter_content(chunk_size=self.chunk_size):
                out.write(chunk)
                got += len(chunk)
                bar.update(len(chunk))
        if total is not None and got < total:
            raise requests.ConnectionError(f"{name}: connection closed after {got} of {total} bytes; resumable")


class UnsafeArchiveError(OSError):
    """An archive member that would land outside the destination (an absolute path, ``..``, a link leading out) or
    is a device: the archive is refused, not unpacked."""


def _check_member(member: tarfile.TarInfo, dest: str) -> None:
    """Refuse a member that the ``data`` filter refuses (Python 3.10.0-3.10.11 and 3.11.0-3.11.3 lack the filter)."""
    root = os.path.realpath(dest)

    def inside(path: str) -> bool:
        return os.path.commonpath([root, os.path.realpath(path)]) == root

    name = member.name
    if os.path.isabs(name) or name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name):
        raise UnsafeArchiveError(f"archive member {name!r} would be written outside {dest!r}")
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        raise UnsafeArchiveError(f"archive member {name!r} is a device or pipe")
    if not inside(os.path.join(root, name)):
        raise UnsafeArchiveError(f"archive member {name!r} would be written outside {dest!r}")
    if member.issym() or member.islnk():
        target = (os.path.join(root, os.path.dirname(name), member.linkname) if member.issym()
                  else os.path.join(root, member.linkname))
        if os.path.isabs(member.linkname) or not inside(target):
            raise UnsafeArchiveError(f"archive member {name!r} links to {member.linkname!r}, outside {dest!r}")


class UnpackWithMarker:
    """A pooch processor: unpack a tar archive into ``dest``, then write the completion marker.

    One pass over the archive, each member checked as tarfile's ``data`` filter
    checks (no absolute paths, nothing outside ``dest``, no links leading out, no
    devices: :class:`UnsafeArchiveError`) on every Python, the filter applied too
    where Python has it; the marker, written atomically
    after the last file, lists every regular file with its size from the
    archive's own headers, and the archive's sha256 (to pin as a known hash).
    pooch's own ``Untar`` is not used: it lists the members of the archive
    before unpacking (a second decompression of the 11 GB reference), unpacks
    without the data filter before Python 3.12, and counts an archive as
    unpacked when its members merely exist (a truncated file passes).

    Parameters
    ----------
    dest : str
        Directory to unpack into.
    key : str
        ``"obs"`` or ``"ref"``: names the marker.
    """

    def __init__(self, dest: str, key: str):
        self.dest = os.path.abspath(dest)
        self.key = key

    def __call__(self, fname: str, action: str, pooch=None) -> list:
        files = {}
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}

        def members(tar):
            for member in tar:
                _check_member(member, self.dest)  # (the data filter's checks, on the Pythons without it too)
                if member.isfile():
                    files[posixpath.normpath(member.name.lstrip("/"))] = member.size  # "/" on every system
                yield member

        os.makedirs(self.dest, exist_ok=True)
        with tarfile.open(fname, "r:*") as tar:
            tar.extractall(self.dest, members=members(tar), **kwargs)
        if not files:
            raise OSError(f"{fname} holds no file; it is not the data-challenge archive (delete it and retry).")
        marker = {
            "archive": os.path.basename(fname),
            "sha256": _sha256(fname),
            "unpacked": pd.Timestamp.now("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
            "files": files,
        }
        path = marker_path(self.dest, self.key)
        with open(path + ".tmp", "w") as f:
            json.dump(marker, f, indent=1)
        os.replace(path + ".tmp", path)
        return [os.path.join(self.dest, *rel.split("/")) for rel in files]


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    dest: str = ".",
    what: Sequence[str] = ("obs",),
    progress: bool = True,
    overwrite: bool = False,
    cache: str | None = None,
    keep_archive: bool = False,
    retries: int = 3,
    downloader=None,
) -> list:
    """Download and unpack the challenge archives into ``dest`` (needs internet and pooch).

    Each archive is fetched with pooch into ``cache``: from :data:`URLS`, then
    :data:`MIRRORS`, retried ``retries`` times on network errors, resumed where
    it stopped (:class:`ResumableDownloader`), checked against
    :data:`KNOWN_HASHES`. Their checksums are not published, so these are None
    and no hash is checked; instead an archive counts as done only when its
    completion marker (written after the last file is unpacked, see
    :class:`UnpackWithMarker`) lists files that are all there at their sizes
    (:func:`is_unpacked`). A half-unpacked directory is unpacked again. The
    marker records the archive's sha256, to pin in :data:`KNOWN_HASHES`.

    Parameters
    ----------
    dest : str
        Directory; ``dc_obs/`` and ``dc_ref/`` are created in it.
    what : sequence of {"obs", "ref"}
        Archives to fetch: observations (~285 MB) and/or the reference simulation (~11 GB).
    progress : bool
        Show a progress bar for each download.
    overwrite : bool
        Unpack again even if the marker says the archive is unpacked (the cached
        archive is reused if it is there).
    cache : str, optional
        Where the archives (and ``.part`` files of interrupted downloads) are kept;
        ``dest`` by default.
    keep_archive : bool
        Keep the archive in ``cache`` after unpacking (by default it is removed
        once the marker is written, to save the space).
    retries : int
        Further attempts after a network error (each resumes the download).
    downloader : callable, optional
        A pooch downloader, ``downloader(url, output_file, pooch)``; default
        :class:`ResumableDownloader`.

    Returns
    -------
    list of str
        The directories unpacked (``dest/dc_obs``, ``dest/dc_ref``).
    """
    pooch = _pooch()
    cache = dest if cache is None else cache
    os.makedirs(dest, exist_ok=True)
    done = []
    for key in what:
        if key not in URLS:
            raise ValueError(f"what={key!r} is not an archive of the challenge; choose from {sorted(URLS)}.")
        if overwrite or not is_unpacked(dest, key):
            _fetch_unpack(pooch, key, dest, cache, retries, downloader or ResumableDownloader(progressbar=progress))
            if not keep_archive:
                archive = os.path.join(cache, ARCHIVES[key])
                if os.path.exists(archive):
                    os.remove(archive)
        done.append(os.path.join(dest, f"dc_{key}"))
    return done


def _fetch_unpack(pooch, key: str, dest: str, cache: str, retries: int, downloader) -> list:
    """Fetch archive ``key`` (URL, then mirror) into ``cache`` with pooch and unpack it into ``dest``."""
    name = ARCHIVES[key]
    errors = []
    for url in (URLS[key], MIRRORS[key]):
        store = pooch.create(path=cache, base_url="", registry={name: KNOWN_HASHES[key]}, urls={name: url},
                             retry_if_failed=retries)
        try:
            return store.fetch(name, processor=UnpackWithMarker(dest, key), downloader=downloader)
        except (UnsafeArchiveError, getattr(tarfile, "FilterError", UnsafeArchiveError)) as exc:  # never retried
            if os.path.exists(os.path.join(cache, name)):
                os.remove(os.path.join(cache, name))
            raise UnsafeArchiveError(
                f"{url}: the archive holds unsafe paths ({exc}); refused and removed. The members before it may be "
                f"in {dest!r}: remove its dc_{key}/ folder. This is not the data challenge's archive.") from None
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:  # corrupt: never reuse it
            if os.path.exists(os.path.join(cache, name)):
                os.remove(os.path.join(cache, name))
            errors.append(f"{url}: unreadable archive, removed ({exc})")
        except (OSError, ValueError) as exc:  # network errors (requests' are OSErrors), hash mismatch
            errors.append(f"{url}: {exc}")
    raise OSError(
        "Could not download the data-challenge archive:\n  " + "\n  ".join(errors)
        + "\nRun again to resume, or download it by hand (AVISO+, DOI 10.24400/527896/a01-2020.002), unpack it in "
        f"{dest!r} and call prepare_obs/prepare_ref on it."
    )


def _files(path_or_files, pattern: str, subdir: str) -> list:
    """Expand a directory (searching ``subdir`` too), a glob pattern or a list into sorted file names."""
    if isinstance(path_or_files, (str, os.PathLike)):
        path = os.fspath(path_or_files)
        if os.path.isdir(path):
            folder = glob.escape(path)  # (the folder's own name is no pattern: "SLA [2017]")
            files = glob.glob(os.path.join(folder, pattern)) + glob.glob(os.path.join(folder, subdir, pattern))
        else:
            files = [path] if os.path.isfile(path) else glob.glob(path)
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


def _inclusive_end(value) -> pd.Timestamp:
    """The last instant of a period ending at ``value``: a bare date (``"2012-12-02"``) includes its whole day."""
    end = pd.Timestamp(value)
    if end == end.normalize() and len(str(value)) <= 10:
        end = end + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return end


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
        Keep times in ``[start, end]`` (inclusive; dates or timestamps; a bare end date includes its whole day).
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
        if period is not None:  # inclusive, as prepare_ref's: a bare end date includes its whole day
            keep &= (table["time"] >= np.datetime64(pd.Timestamp(period[0]), "ns")) & (
                table["time"] <= np.datetime64(_inclusive_end(period[1]), "ns")
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
        ssh = ssh.sel(time=slice(pd.Timestamp(period[0]), _inclusive_end(period[1])))
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
    d.add_argument("--cache", help="where the archives and partial downloads are kept (default: dest)")
    d.add_argument("--keep-archive", action="store_true", help="keep the archives after unpacking")
    d.add_argument("--retries", type=int, default=3, help="attempts after a network error, each resuming (default 3)")
    d.add_argument("--overwrite", action="store_true", help="unpack again even if complete")
    r = sub.add_parser("prepare", help="parse downloaded files into along-track and gridded netCDF")
    r.add_argument("source", help="download directory (holding dc_obs/, dc_ref/)")
    r.add_argument("output", help="output netCDF for the observations")
    r.add_argument("--ref-output", help="also write the reference SSH (daily means) to this netCDF")
    r.add_argument("--missions", nargs="+", default=list(NADIRS), choices=sorted(OBS_FILES))
    r.add_argument("--eval-only", action="store_true", help="reference restricted to the 42-day evaluation period")
    a = p.parse_args(argv)
    if a.command == "download":
        what = ("obs", "ref") if a.ref else ("obs",)
        for path in download(a.dest, what=what, cache=a.cache, keep_archive=a.keep_archive, retries=a.retries,
                             overwrite=a.overwrite):
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
