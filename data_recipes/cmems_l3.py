"""Download and prepare CMEMS L3 along-track sea level anomalies (DUACS, 1 Hz).

    pip install copernicusmarine && copernicusmarine login        # once; geoinr does not install it
    python data_recipes/cmems_l3.py download data/cmems --start 2019-01-01 --end 2019-01-31
    python data_recipes/cmems_l3.py prepare data/cmems sla_gulfstream.nc --region -65 -55 33 43

Products: SEALEVEL_GLO_PHY_L3_MY_008_062 (reprocessed, "my") and
SEALEVEL_GLO_PHY_L3_NRT_008_044 (near real time, "nrt"); one dataset per
mission, ``cmems_obs-sl_glo_phy-ssh_{my|nrt}_{mission}-l3-duacs_PT1S``, one
file per day, e.g. ``dt_global_j3_phy_l3_1hz_20190101_20240205.nc``: dimension
``time`` with ``longitude`` (0..360), ``latitude``, ``sla_filtered``,
``sla_unfiltered``, ``mdt``, ``lwe`` (integers with ``scale_factor``, decoded by
xarray). ``download`` needs the Copernicus Marine toolbox and an account;
``prepare`` only reads files, and is what the tests exercise.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import warnings
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["PRODUCTS", "DATASET_ID", "MISSION_CODES", "DEFAULT_MISSIONS", "dataset_id", "download", "prepare"]

PRODUCTS = {"my": "SEALEVEL_GLO_PHY_L3_MY_008_062", "nrt": "SEALEVEL_GLO_PHY_L3_NRT_008_044"}
DATASET_ID = "cmems_obs-sl_glo_phy-ssh_{mode}_{mission}-l3-duacs_PT1S"
#: CMEMS mission codes (suffix n: interleaved / new orbit, g: geodetic / drifting phase).
MISSION_CODES = {
    "al": "SARAL/AltiKa", "alg": "SARAL/AltiKa drifting phase", "c2": "CryoSat-2", "c2n": "CryoSat-2 new orbit",
    "e1": "ERS-1", "e1g": "ERS-1 geodetic phase", "e2": "ERS-2", "en": "Envisat", "enn": "Envisat new orbit",
    "g2": "Geosat Follow-On", "h2a": "HY-2A", "h2ag": "HY-2A geodetic phase", "h2b": "HY-2B", "h2c": "HY-2C",
    "j1": "Jason-1", "j1g": "Jason-1 geodetic phase", "j1n": "Jason-1 interleaved", "j2": "Jason-2",
    "j2g": "Jason-2 geodetic phase", "j2n": "Jason-2 interleaved", "j3": "Jason-3", "j3n": "Jason-3 interleaved",
    "s3a": "Sentinel-3A", "s3b": "Sentinel-3B", "s6a-hr": "Sentinel-6A (high resolution)",
    "s6a-lr": "Sentinel-6A (low resolution)", "swon": "SWOT nadir", "tp": "TOPEX/Poseidon",
    "tpn": "TOPEX/Poseidon interleaved",
}
DEFAULT_MISSIONS = ("j3", "s3a", "s3b", "al")

_FILE_RE = re.compile(r"^(?:dt|nrt)_[a-z]+_(?P<mission>[a-z0-9-]+?)_phy_[a-z0-9]+_[a-z0-9]+_(?P<date>\d{8})_\d{8}\.nc$")
# the older DUACS layout, e.g. dt_global_alg_sla_vxxc_20170402_SARAL-Altika.nc4 (the real day in ../shared/data)
_OLD_FILE_RE = re.compile(r"^(?:dt|nrt)_[a-z]+_(?P<mission>[a-z0-9-]+?)_sla_v[a-z0-9]+_(?P<date>\d{8})_.*\.nc4?$")
# ``platform`` attributes that are not MISSION_CODES' names, squeezed (lower case, no spaces): older files
PLATFORM_ALIASES = {"altikadriftingphase": "alg", "saral/altika": "al", "altika": "al", "jason-3": "j3"}
_DIR_RE = re.compile(r"cmems_obs-sl_[a-z]+_phy-ssh_(?:my|nrt)_(?P<mission>[a-z0-9-]+)-l3-duacs")


def dataset_id(mission: str, mode: str = "my") -> str:
    """CMEMS dataset id of one mission's 1 Hz L3 along-track SLA.

    Examples
    --------
    >>> dataset_id("j3")
    'cmems_obs-sl_glo_phy-ssh_my_j3-l3-duacs_PT1S'
    """
    if mode not in PRODUCTS:
        raise ValueError(f"mode={mode!r}: choose 'my' (reprocessed, {PRODUCTS['my']}) or 'nrt' ({PRODUCTS['nrt']}).")
    return DATASET_ID.format(mode=mode, mission=mission)


def _date_regex(start, end) -> str:
    """Regex matching the daily files whose data date is in [start, end]."""
    days = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="1D")
    if len(days) == 0:
        raise ValueError(f"Empty period: start={start!r} is after end={end!r}.")
    return r"_(" + "|".join(d.strftime("%Y%m%d") for d in days) + r")_\d{8}\.nc$"


def download(
    dest: str,
    start,
    end,
    missions: Sequence[str] = DEFAULT_MISSIONS,
    mode: str = "my",
    **get_kwargs,
) -> list:
    """Download the daily L3 files of ``missions`` between ``start`` and ``end`` (needs internet).

    Uses ``copernicusmarine.get`` (the Copernicus Marine toolbox, not a geoinr
    dependency: ``pip install copernicusmarine``, then ``copernicusmarine login``).

    Parameters
    ----------
    dest : str
        Output directory (the toolbox adds product/dataset/year/month sub-directories).
    start, end : str or datetime-like
        First and last day (inclusive).
    missions : sequence of str
        CMEMS mission codes (keys of :data:`MISSION_CODES`).
    mode : {"my", "nrt"}
        Reprocessed or near-real-time product.
    **get_kwargs
        Passed on to ``copernicusmarine.get`` (e.g. ``username``, ``password``).

    Returns
    -------
    list of str
        The dataset ids requested.
    """
    try:
        import copernicusmarine
    except ImportError as exc:
        raise ImportError(
            "Downloading CMEMS data needs the Copernicus Marine toolbox, which geoinr does not install. "
            "Install it with `pip install copernicusmarine`, run `copernicusmarine login` once, and retry "
            "(or download the files by hand and call prepare() on them)."
        ) from exc
    unknown = [m for m in missions if m not in MISSION_CODES]
    if unknown:
        raise ValueError(f"Unknown mission codes {unknown}; known: {sorted(MISSION_CODES)}.")
    regex = _date_regex(start, end)
    ids = []
    for m in missions:
        ds_id = dataset_id(m, mode)
        copernicusmarine.get(dataset_id=ds_id, output_directory=dest, regex=regex, **get_kwargs)
        ids.append(ds_id)
    return ids


def _mission_of(path: str, attrs: dict) -> str:
    """Mission code from the file name, its directory (dataset id), or the ``platform`` attribute."""
    for pattern in (_FILE_RE, _OLD_FILE_RE):
        m = pattern.match(os.path.basename(path))
        if m and m.group("mission") in MISSION_CODES:
            return m.group("mission")
    m = _DIR_RE.search(os.path.abspath(path))
    if m:
        return m.group("mission")
    platform = str(attrs.get("platform", "")).lower().replace(" ", "")
    for code, name in MISSION_CODES.items():
        if platform and platform == name.lower().replace(" ", ""):
            return code
    return PLATFORM_ALIASES.get(platform, platform or "unknown")


def _in_region(lon, lat, region) -> np.ndarray:
    west, east, south, north = (float(v) for v in region)
    width = (east - west) % 360.0 or 360.0
    return ((lon - west) % 360.0 <= width) & (lat >= south) & (lat <= north)


NETCDF_EXTENSIONS = (".nc", ".nc4", ".netcdf")


def _find_files(path_or_files) -> list:
    """The netCDF files of a directory (recursively), a glob pattern or a list; raises if there are none."""
    if isinstance(path_or_files, (str, os.PathLike)):
        path = os.fspath(path_or_files)
        if os.path.isdir(path):  # CMEMS delivers .nc; older DUACS and THREDDS copies, .nc4
            # (the folder's own name escaped: "SLA [2017]" is no pattern)
            files = sorted(f for ext in NETCDF_EXTENSIONS for f in glob.glob(os.path.join(glob.escape(path), "**", f"*{ext}"), recursive=True))
        else:
            files = [path] if os.path.isfile(path) else sorted(glob.glob(path))
    else:
        files = [os.fspath(f) for f in path_or_files]
    if not files:
        raise FileNotFoundError(f"No netCDF files in {path_or_files!r}; download them first with download().")
    return files


def _period_bounds(period):
    """First and last instant (datetime64[ns]) of an inclusive ``(start, end)``; a bare end date includes its day."""
    start = end = None
    if period is not None:
        start = np.datetime64(pd.Timestamp(period[0]), "ns")
        end_ts = pd.Timestamp(period[1])
        if end_ts == end_ts.normalize() and len(str(period[1])) <= 10:
            end_ts = end_ts + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        end = np.datetime64(end_ts, "ns")
    return start, end


def _read_tables(files, variable: str, wanted, region, start, end):
    """One table (dict of arrays) per file of the wanted missions (points in region and period), variable attrs, and
    the files' own ``history`` texts (distinct, in file order)."""
    parts, attrs, histories = [], {}, []
    for f in sorted(files):
        with xr.open_dataset(f) as ds:
            name = _mission_of(f, ds.attrs)
            if wanted is not None and name not in wanted:
                continue
            if variable not in ds:
                raise KeyError(
                    f"{f} has no variable {variable!r}; it has {list(ds.data_vars)} "
                    "(pass variable='sla_filtered' or 'sla_unfiltered'; on the command line --variable)."
                )
            time = ds["time"].values.astype("datetime64[ns]")
            lon = np.asarray(ds["longitude"].values, float)
            lat = np.asarray(ds["latitude"].values, float)
            keep = np.isfinite(lon) & np.isfinite(lat)
            if region is not None:
                keep &= _in_region(lon, lat, region)
            if start is not None:
                keep &= (time >= start) & (time <= end)
            idx = np.nonzero(keep)[0]
            table = {"time": time[idx], "lon": lon[idx], "lat": lat[idx], "mission": np.full(idx.size, name)}
            for v in (variable, "mdt", "lwe", "cycle", "track"):
                if v in ds.variables:
                    table[v] = np.asarray(ds[v].values)[idx]
                    attrs.setdefault(v, dict(ds[v].attrs))
            history = str(ds.attrs.get("history", "")).strip()
            if history and history not in histories:
                histories.append(history)
        parts.append(table)
    return parts, attrs, histories


def _default_variable(files) -> str:
    """``sla_filtered`` where the first file holds it, else ``sla_unfiltered`` (older DUACS releases hold only that
    one), with a warning: the unfiltered series keeps the 1 Hz noise the filtered one removes."""
    with xr.open_dataset(sorted(files)[0]) as ds:
        if "sla_filtered" in ds or "sla_unfiltered" not in ds:
            return "sla_filtered"
    warnings.warn("The files hold no 'sla_filtered' (an older DUACS release); reading 'sla_unfiltered', which keeps "
                  "the 1 Hz measurement noise that the filtered series removes.", UserWarning,
                  stacklevel=3)
    return "sla_unfiltered"


def _missions_found(files) -> list:
    found = set()
    for f in files:
        with xr.open_dataset(f) as ds:
            found.add(_mission_of(f, ds.attrs))
    return sorted(found)


def _data_vars(cat: dict, sla, attrs: dict, variable: str, history: list, add_mdt: bool) -> dict:
    """``sla`` with CF attributes, ``mdt``/``lwe`` when present, and ``adt`` with ``add_mdt``."""
    sla_attrs = {k: v for k, v in attrs[variable].items() if k in ("units", "standard_name", "long_name", "comment")}
    sla_attrs.setdefault("units", "m")
    sla_attrs.setdefault("standard_name", "sea_surface_height_above_sea_level")
    sla_attrs["source_variable"] = " ".join(history)
    data = {"sla": ("time", sla, sla_attrs)}
    for v in ("mdt", "lwe"):
        if v in cat:
            data[v] = ("time", cat[v].astype(float), {k: a for k, a in attrs[v].items() if not k.startswith("_")})
    if add_mdt:
        if "mdt" not in cat:
            raise KeyError("add_mdt=True but the files have no 'mdt' variable.")
        data["adt"] = (
            "time",
            sla + cat["mdt"],
            {"units": sla_attrs["units"], "standard_name": "sea_surface_height_above_geoid",
             "long_name": "absolute dynamic topography (sla + mdt)"},
        )
    return data


def _coords(cat: dict, lon, attrs: dict) -> dict:
    """Time, position and mission coordinates, and ``cycle``/``track`` when the files have them."""
    coords = {
        "time": ("time", cat["time"], {"standard_name": "time", "long_name": "time"}),
        "latitude": ("time", cat["lat"], {"standard_name": "latitude", "units": "degrees_north"}),
        "longitude": ("time", lon, {"standard_name": "longitude", "units": "degrees_east"}),
        "mission": ("time", cat["mission"].astype(str), {"long_name": "CMEMS mission code"}),
    }
    for v in ("cycle", "track"):
        if v in cat:
            coords[v] = ("time", cat[v].astype(np.int32), {"long_name": attrs[v].get("long_name", v)})
    return coords


def prepare(
    path_or_files,
    variable: str | None = None,
    missions: Iterable[str] | None = None,
    region=None,
    period=None,
    subtract_lwe: bool = False,
    add_mdt: bool = False,
    wrap_longitude: bool = True,
) -> xr.Dataset:
    """Read CMEMS L3 along-track files into one Dataset in the package's along-track layout.

    Parameters
    ----------
    path_or_files : str or list
        A directory (searched recursively for ``*.nc``), a glob pattern, or files.
    variable : {"sla_filtered", "sla_unfiltered"}, optional
        SLA to read; it becomes ``sla`` in the output. Default ``sla_filtered``, or ``sla_unfiltered``
        (with a warning) where the files hold only that one, as older DUACS releases do.
    missions : iterable of str, optional
        Mission codes to keep (default: all found).
    region : (west, east, south, north), optional
        Degrees, either longitude convention; ``west > east`` crosses the dateline.
    period : (start, end), optional
        Inclusive; a bare end date includes that whole day.
    subtract_lwe : bool
        Remove the long-wavelength error correction ``lwe`` from ``sla``.
    add_mdt : bool
        Also return ``adt = sla + mdt`` (absolute dynamic topography).
    wrap_longitude : bool
        Longitudes in [-180, 180) (the files use 0..360); False keeps 0..360.

    Returns
    -------
    xarray.Dataset
        Dim ``time`` (sorted); coords ``latitude``, ``longitude``, ``mission``
        (and ``cycle``/``track`` when the files have them); data ``sla`` (m) and
        ``mdt``/``lwe`` when present, with their CF attributes.
    """
    files = _find_files(path_or_files)
    wanted = None if missions is None else set(missions)
    variable = _default_variable(files) if variable is None else variable
    start, end = _period_bounds(period)
    parts, attrs, histories = _read_tables(files, variable, wanted, region, start, end)
    if not parts:
        raise FileNotFoundError(f"None of the files in {path_or_files!r} belongs to missions {sorted(wanted)}; "
                                f"they hold {_missions_found(files)}.")
    keys = set.intersection(*(set(p) for p in parts))
    cat = {k: np.concatenate([p[k] for p in parts]) for k in keys}
    order = np.argsort(cat["time"], kind="stable")
    cat = {k: v[order] for k, v in cat.items()}
    sla = cat[variable].astype(float)
    history = [f"sla = {variable}"]
    if subtract_lwe:
        if "lwe" not in cat:
            raise KeyError("subtract_lwe=True but the files have no 'lwe' variable.")
        sla = sla - cat["lwe"]
        history.append("- lwe")
    lon = cat["lon"]
    lon = (lon + 180.0) % 360.0 - 180.0 if wrap_longitude else lon % 360.0
    before = _source_history(histories)
    return xr.Dataset(
        _data_vars(cat, sla, attrs, variable, history, add_mdt),
        coords=_coords(cat, lon, attrs),
        attrs={
            "title": "CMEMS L3 along-track sea level anomalies (DUACS, 1 Hz)",
            "Conventions": "CF-1.8",
            "source": f"Copernicus Marine Service {PRODUCTS['my']} / {PRODUCTS['nrt']}",
            "history": before + f"prepared by data_recipes/cmems_l3.py prepare(variable={variable!r}, "
            f"missions={sorted(set(cat['mission'].tolist()))}, region={region}, period={period}, "
            f"subtract_lwe={subtract_lwe}, add_mdt={add_mdt})",
        },
    )


def _source_history(seen: list) -> str:
    """The files' own ``history`` (CF: a derived file appends to it), ending in a newline: the first file's, and how
    many others differ, where there are several; "" where they hold none."""
    if not seen:
        return ""
    more = f" (and {len(seen) - 1} other files' histories)" if len(seen) > 1 else ""
    return f"{seen[0]}{more}\n"


def main(argv=None) -> None:
    """Command-line entry point (``download`` or ``prepare``)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("download", help="download daily L3 files (internet, copernicusmarine toolbox)")
    d.add_argument("dest", help="output directory")
    d.add_argument("--start", required=True, help="first day, e.g. 2019-01-01")
    d.add_argument("--end", required=True, help="last day (inclusive)")
    d.add_argument("--missions", nargs="+", default=list(DEFAULT_MISSIONS), choices=sorted(MISSION_CODES))
    d.add_argument("--mode", choices=sorted(PRODUCTS), default="my", help="my: reprocessed; nrt: near real time")
    r = sub.add_parser("prepare", help="read downloaded files into one along-track netCDF")
    r.add_argument("source", help="directory (searched recursively) or glob pattern")
    r.add_argument("output", help="output netCDF")
    r.add_argument("--variable", choices=["sla_filtered", "sla_unfiltered"],
                   help="default sla_filtered, or sla_unfiltered where the files hold only that one")
    r.add_argument("--region", type=float, nargs=4, metavar=("W", "E", "S", "N"))
    r.add_argument("--start", help="first day kept")
    r.add_argument("--end", help="last day kept (inclusive)")
    r.add_argument("--missions", nargs="+", help="mission codes kept (default all)")
    r.add_argument("--subtract-lwe", action="store_true", help="remove the long-wavelength error correction")
    a = p.parse_args(argv)
    if a.command == "download":
        ids = download(a.dest, a.start, a.end, missions=a.missions, mode=a.mode)
        print("downloaded " + ", ".join(ids))
        return
    period = (a.start or "1900-01-01", a.end or "2200-01-01") if (a.start or a.end) else None
    try:
        ds = prepare(a.source, variable=a.variable, missions=a.missions, region=a.region, period=period,
                     subtract_lwe=a.subtract_lwe)
    except (KeyError, FileNotFoundError, ValueError) as err:  # what the files hold: a usage error, not a traceback
        r.error(err.args[0] if err.args else str(err))
    ds.to_netcdf(a.output)
    print(f"wrote {a.output}: {ds.sizes['time']} observations from {sorted(set(ds.mission.values.tolist()))}")


if __name__ == "__main__":
    main()
