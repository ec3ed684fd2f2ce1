"""safetensors + JSON header, atomic write (write a temporary file, then rename it over the target).

Reading is defensive, a file being data from anywhere: :func:`read_header` reads
the header and the tensor shapes without reading any tensor; :func:`parse_json`
parses a header field and refuses non-finite numbers and deep nesting; the
checkers (:func:`number`, :func:`integer`, :func:`text`, :func:`mapping`,
:func:`array`) raise :class:`BadField`, naming the field; :func:`reading` turns
that, and any raw error left (the backstop), into one :class:`DamagedFileError`
naming the file.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import socket
import tempfile
import time
import warnings

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load, save

from .._version import __version__
from ..frames import GeoinrWarning, user_stacklevel

__all__ = [
    "BadField",
    "DamagedFileError",
    "array",
    "check_writable",
    "checksum",
    "integer",
    "mapping",
    "number",
    "parse_json",
    "plain",
    "read_header",
    "read_safetensors",
    "reading",
    "text",
    "write_safetensors_atomic",
]

MAX_NESTING = 16  # a geoinr header nests 5 levels; deeper is damage (and a recursion hazard)
STALE_AFTER_S = 15 * 60  # a temporary file this old whose writer process is gone is a killed save's
FOREIGN_STALE_AFTER_S = 24 * 3600  # the same for another machine's (shared folder), whose processes are not visible
REPLACE_TRIES = 5  # Windows: a rename over a file another process holds open for a moment is tried again (1.5 s)
# longer target names are shortened in temporary names (which add about 35 bytes; a name has at most 255)
TEMP_STEM_BYTES = 200
HOST_TAG = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]  # this machine, in temporary file names
CHECKSUM_FIELD = "sha256"  # the header field holding the checksum of the tensors and the rest of the header


def checksum(tensors: dict, metadata: dict) -> str:
    """SHA-256 of the tensors (names, dtypes, shapes, bytes) and of the header's other fields, as hex.

    Written into the header by :func:`write_safetensors_atomic` and checked by
    :func:`read_safetensors`: a file changed in storage or transfer (a flipped bit,
    an edited header) no longer matches it, where safetensors alone checks only
    that the file's length fits its header.

    Examples
    --------
    >>> import torch
    >>> a = checksum({"w": torch.ones(2)}, {"format": "demo"})
    >>> a == checksum({"w": torch.ones(2)}, {"format": "demo"}), a == checksum({"w": torch.zeros(2)}, {"format": "demo"})
    (True, False)
    """
    digest = hashlib.sha256()
    header = {k: v for k, v in metadata.items() if k != CHECKSUM_FIELD}
    digest.update(json.dumps(header, sort_keys=True).encode())
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class DamagedFileError(ValueError):
    """A file that cannot be read as what it claims to be; the message names the file, the field and a fix."""


class BadField(Exception):
    """A header field of the wrong type, range or size; :func:`reading` adds the file's name.

    Parameters
    ----------
    field : str
        Dotted path of the field, e.g. ``"learned.std_[0]"``.
    problem : str
        What is wrong, as the rest of a sentence starting with the field ("is inf, not a finite number").
    hint : str, optional
        How to fix it, where it differs from the file's general hint.
    """

    def __init__(self, field: str, problem: str, hint: str = ""):
        super().__init__(f"{field} {problem}")
        self.field, self.problem, self.hint = field, problem, hint


@contextlib.contextmanager
def reading(path, what: str, hint: str):
    """Context in which any failure to read ``path`` becomes one :class:`DamagedFileError` naming it.

    A :class:`BadField` gives "``path`` is damaged or was edited: ``field``
    ``problem``. ``hint``"; a raw error that escaped the checks (the backstop)
    gives its type and text. ``DamagedFileError``, ``OSError`` (FileNotFoundError
    included) and out-of-memory errors pass unchanged.

    Parameters
    ----------
    path : str or path-like
    what : str
        What the file should be, e.g. ``"geoinr model file"``.
    hint : str
        What to do about a damaged file.

    Examples
    --------
    >>> with reading("m.geoinr", "geoinr model file", "Save it again."):
    ...     number("x", "learned.std_[0]")
    Traceback (most recent call last):
    ...
    geoinr.persistence.format.DamagedFileError: 'm.geoinr' is damaged or was edited: learned.std_[0] is 'x', not a number. Save it again.
    """
    where = repr(os.fspath(path))
    try:
        yield
    except (DamagedFileError, OSError, torch.cuda.OutOfMemoryError):  # torch.OutOfMemoryError (>= 2.5) is the same class
        raise
    except BadField as bad:
        problem = bad.problem.rstrip(".")
        raise DamagedFileError(f"{where} is damaged or was edited: {bad.field} {problem}. {bad.hint or hint}") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError, RuntimeError,
            SafetensorError) as err:
        raise DamagedFileError(
            f"{where} could not be read as a {what} ({type(err).__name__}: {str(err)[:300]}); "
            f"it is damaged or was edited. {hint}"
        ) from err


# ------------------------------------------------------------------ checkers of parsed JSON
def _shown(value) -> str:
    s = repr(value)
    return s if len(s) <= 60 else s[:57] + "..."


def plain(value):
    """``value`` with numpy scalars as Python numbers and devices as text, in dicts and lists: JSON can write it.

    A fit takes ``width=np.int64(16)`` or ``device=torch.device("cpu")``; its saved model and its
    checkpoints must too (both headers are written through this).

    Examples
    --------
    >>> plain({"width": np.int64(16), "lr": np.float32(0.5), "device": torch.device("cpu"), "m": [np.int8(1)]})
    {'width': 16, 'lr': 0.5, 'device': 'cpu', 'm': [1]}
    """
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.device):
        return str(value)
    return value


def parse_json(source, field: str, *, finite: bool = True):
    """Parse the JSON text of header ``field``; refuse bad JSON, deep nesting and (``finite``) NaN or inf.

    JSON writes ``1e999`` for a number too large for a float: it parses to inf.
    Every number is checked, and the error names it by its place in the
    document (``learned.std_[0]``: the names the schema checks use).

    Examples
    --------
    >>> parse_json('{"std_": [0.1]}', "config")
    {'std_': [0.1]}
    >>> parse_json('{"std_": [1e999]}', "config")
    Traceback (most recent call last):
    ...
    geoinr.persistence.format.BadField: std_[0] is inf, not a finite number
    """
    if not isinstance(source, str):
        raise BadField(field, "is missing")
    try:
        value = json.loads(source)
    except RecursionError:
        raise BadField(field, f"nests deeper than Python parses (a geoinr header nests at most {MAX_NESTING} levels)") from None
    except ValueError as err:  # JSONDecodeError, or an integer of more digits than Python converts
        raise BadField(field, f"is not valid JSON ({str(err)[:200]})") from None
    stack = [(value, "", 0)]
    while stack:  # iterative: no recursion on hostile input
        v, name, depth = stack.pop()
        if depth > MAX_NESTING:
            raise BadField(name, f"nests more than {MAX_NESTING} levels deep")
        if isinstance(v, dict):
            stack += [(x, f"{name}.{k}" if name else str(k), depth + 1) for k, x in v.items()]
        elif isinstance(v, list):
            stack += [(x, f"{name}[{i}]" if name else f"{field}[{i}]", depth + 1) for i, x in enumerate(v)]
        elif finite and isinstance(v, float) and not math.isfinite(v):
            raise BadField(name or field, f"is {v}, not a finite number")
    return value


def number(value, field: str, *, low: float | None = None, above: float | None = None, optional: bool = False):
    """``value`` as a float: a finite JSON number (not a bool), ``>= low`` and ``> above``; None if ``optional``.

    Examples
    --------
    >>> number(2, "std_[0]", above=0.0)
    2.0
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadField(field, f"is {_shown(value)}, not a number")
    try:
        out = float(value)
    except OverflowError:
        raise BadField(field, f"is {_shown(value)}, too large a number") from None
    if not math.isfinite(out):
        raise BadField(field, f"is {out}, not a finite number")
    if low is not None and out < low:
        raise BadField(field, f"is {out:g}; it must be >= {low:g}")
    if above is not None and out <= above:
        raise BadField(field, f"is {out:g}; it must be > {above:g}")
    return out


def integer(value, field: str, *, low: int = 0, high: int | None = None, optional: bool = False):
    """``value`` as an int in ``[low, high]`` (a JSON integer, not a bool); None if ``optional``.

    Examples
    --------
    >>> integer(3, "params.depth", low=1)
    3
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadField(field, f"is {_shown(value)}, not an integer")
    if value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise BadField(field, f"is {_shown(value)}; it must be {bound}")
    return value


def text(value, field: str, *, choices=None, optional: bool = False):
    """``value`` as a str, one of ``choices`` if given; None if ``optional``.

    Examples
    --------
    >>> text("sphere", "space", choices=("sphere", "lonlat"))
    'sphere'
    """
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise BadField(field, f"is {_shown(value)}, not a string")
    if choices is not None and value not in choices:
        raise BadField(field, f"is {_shown(value)}; expected one of {sorted(choices)}")
    return value


def mapping(value, field: str, *, allowed=None, required=(), optional: bool = False):
    """``value`` as a JSON object, its keys all in ``allowed`` (if given), none of ``required`` missing.

    Examples
    --------
    >>> mapping({"a": 1}, "extra", allowed=("a", "b"))
    {'a': 1}
    """
    if value is None and optional:
        return None
    if not isinstance(value, dict):
        raise BadField(field, f"is {_shown(value)}, not a JSON object")
    missing = [k for k in required if k not in value]
    if missing:
        raise BadField(f"{field}.{missing[0]}", "is missing")
    if allowed is not None:
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise BadField(f"{field}.{unknown[0]}", f"is not a known entry (known: {sorted(allowed)})")
    return value


def array(value, field: str, *, length: int | None = None, optional: bool = False):
    """``value`` as a list, of ``length`` items if given; None if ``optional``.

    Examples
    --------
    >>> array([1, 2], "region_", length=2)
    [1, 2]
    """
    if value is None and optional:
        return None
    if not isinstance(value, list):
        raise BadField(field, f"is {_shown(value)}, not a list")
    if length is not None and len(value) != length:
        raise BadField(field, f"has {len(value)} values; {length} expected")
    return value


# ------------------------------------------------------------------ writing
def _umask() -> int:
    """The process's umask: read from ``/proc/self/status`` where Linux gives it (setting it to 0 and back, the
    only other way, left other threads' files world-writable for that moment), else set and set back."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(path) -> str:
    """The folder to write ``path`` in; a clear error, naming ``path``, when it cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_writable(os.path.join(folder, "run.geoinr")) == folder
    True
    """
    path = os.path.expanduser(os.fspath(path))  # "~/models/sla.geoinr", as xarray reads it
    if not path:
        raise ValueError("The file name is empty; give a path such as 'run.geoinr'.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a directory; give a file name inside it, e.g. {os.path.join(path, 'run.geoinr')!r}.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write {path!r}: the folder {folder!r} does not exist. Create it first.")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"Cannot write {path!r}: the folder {folder!r} is not writable.")
    if os.path.exists(path) and not (os.access(path, os.W_OK) and os.stat(path).st_mode & 0o222):  # root: mode bits
        raise PermissionError(f"{path!r} exists and is read-only; it is not replaced. Remove it or choose another name.")
    return folder


def _alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine runs (True where that cannot be told)."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) would end the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's process, alive
        return True
    return True


def _temp_stem(name: str) -> str:
    """The part of a temporary file's name that names its target: ``name``, shortened with a hash when long.

    The temporary name adds about 30 characters to it, and a file name has at most 255 bytes.

    Examples
    --------
    >>> _temp_stem("run.geoinr"), len(_temp_stem("a" * 240 + ".geoinr"))
    ('run.geoinr', 113)
    """
    if len(name.encode()) <= TEMP_STEM_BYTES:
        return name
    head = name.encode()[:TEMP_STEM_BYTES // 2].decode("utf-8", "ignore")
    return head + "~" + hashlib.sha1(name.encode()).hexdigest()[:12]


def _remove_stale_temps(folder: str, name: str) -> None:
    """Remove the temporary files killed saves of ``name`` left in ``folder`` (``.tmp-<name>-<pid>-<host>-*``).

    One is stale when it is older than :data:`STALE_AFTER_S` and its writer
    process is gone or, written on another machine (a shared folder) or where a
    process cannot be asked after (Windows), when it is older than
    :data:`FOREIGN_STALE_AFTER_S`. Other files are never touched.
    """
    pattern = re.compile(r"\.tmp-" + re.escape(_temp_stem(name)) + r"-(\d+)-([0-9a-f]{8})-[A-Za-z0-9_]+")
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    now = time.time()
    for entry in entries:
        found = pattern.fullmatch(entry)
        if not found:
            continue
        tmp = os.path.join(folder, entry)
        try:
            age = now - os.stat(tmp).st_mtime
            if found[2] == HOST_TAG and os.name == "posix":
                stale = age > STALE_AFTER_S and not _alive(int(found[1]))
            else:  # another machine's, or this one's where its processes cannot be asked after (Windows)
                stale = age > FOREIGN_STALE_AFTER_S
            if stale:
                os.remove(tmp)
        except OSError:  # removed meanwhile by another save, or not ours to remove
            continue


def _replace(tmp: str, path: str, tries: int = REPLACE_TRIES) -> None:
    """``os.replace(tmp, path)``; on Windows, where an antivirus or the search indexer may hold either file open for
    a moment (WinError 5 or 32), tried again a few times, 0.1 s apart and doubling."""
    for attempt in range(tries):
        try:
            os.replace(tmp, path)
            return
        except PermissionError:
            if os.name != "nt" or attempt == tries - 1:
                raise
            time.sleep(0.1 * 2**attempt)


def canonical_bytes(tensors: dict, metadata: dict) -> bytes:
    """A safetensors file's bytes, the same for the same tensors and metadata at every save.

    safetensors writes the metadata in the order of a hash map, which changes from one save to the next:
    the same model saved twice made files that differed (``sha256sum``, content-addressed stores and build
    tools saw a change). The header is written again here with its metadata keys sorted and the tensors'
    entries in the order of their data, padded to 8 bytes as safetensors pads it; the data are untouched,
    so any safetensors reader reads the file.

    Examples
    --------
    >>> import torch
    >>> meta = {f"key{i}": str(i) for i in range(20)}
    >>> canonical_bytes({"w": torch.ones(2)}, meta) == canonical_bytes({"w": torch.ones(2)}, dict(reversed(meta.items())))
    True
    """
    head, data, start = canonical_parts(tensors, metadata)
    return head + data[start:]


def canonical_parts(tensors: dict, metadata: dict) -> tuple[bytes, bytes, int]:
    """(header, safetensors' bytes, where its data start): :func:`canonical_bytes` is ``header + bytes[start:]``,
    written in two parts so that the data are not copied again (a large file took three times its size)."""
    data = save(tensors, metadata=metadata)
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", None)  # ({} where metadata is empty: no tensor entry)
    ordered = {"__metadata__": dict(sorted(meta.items()))} if meta else {}
    ordered.update(sorted(header.items(), key=lambda item: (*item[1]["data_offsets"], item[0])))
    text = json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text, data, 8 + n


def write_safetensors_atomic(path, tensors: dict, metadata: dict) -> None:
    """Write a safetensors file next to ``path``, then rename it over ``path``.

    A crash or kill during the write leaves the previous file intact. The file gets
    the permissions a newly created file would (the umask is honoured), a read-only
    target is never replaced, and errors name ``path``, not the temporary file.
    The temporary file, ``.tmp-<name>-<pid>-<host>-<random>``, is removed by any
    Python exception or Ctrl-C during the write; those that killed processes
    left behind are removed by the next save of the same ``path``. The header
    gets a ``sha256`` field (:func:`checksum`), which reading checks.

    Examples
    --------
    >>> import os, tempfile, torch
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> write_safetensors_atomic(path, {"w": torch.ones(2)}, {"format": "demo", "format_version": "1"})
    >>> read_safetensors(path, "demo", 1)[0]["w"].tolist()
    [1.0, 1.0]
    """
    path = os.path.expanduser(os.fspath(path))
    folder = check_writable(path)
    name = os.path.basename(path)
    _remove_stale_temps(folder, name)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".tmp-{_temp_stem(name)}-{os.getpid()}-{HOST_TAG}-", dir=folder)
        os.close(fd)
        tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
        head, data, start = canonical_parts(tensors, {**metadata, CHECKSUM_FIELD: checksum(tensors, metadata)})
        with open(tmp, "wb") as out:
            out.write(head)
            out.write(memoryview(data)[start:])
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a saved model is shared like any new file
        _replace(tmp, path)
    except OSError as err:
        raise OSError(f"Could not write {path!r}: {err.strerror or err}") from err
    except SafetensorError as err:  # safetensors' own I/O errors (a full disk, a file-size limit)
        raise OSError(f"Could not write {path!r}: {err}") from err
    finally:  # any exception, KeyboardInterrupt included
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


# ------------------------------------------------------------------ reading
def read_header(path, fmt: str, version: int, oldest: int | None = None):
    """Header and tensor shapes of a file written by :func:`write_safetensors_atomic`, reading no tensor.

    Parameters
    ----------
    path : str or path-like
    fmt : str
        The ``format`` the header must name.
    version : int
        The ``format_version`` this geoinr writes (and reads).
    oldest : int, optional
        The oldest ``format_version`` it still reads (default: ``version`` alone).

    Returns
    -------
    meta : dict of str to str
        The header, its ``format`` and ``format_version`` checked.
    shapes : dict of str to tuple of int
        The shape of every stored tensor, from the header only.

    Raises
    ------
    FileNotFoundError
        No such file.
    DamagedFileError
        Not a safetensors file, truncated, not a ``fmt`` file, or another format version.
    """
    path = os.path.expanduser(os.fspath(path))
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a directory, not a {fmt} file; give the path of the file inside it.")
    try:
        with safe_open(path, framework="pt") as f:  # checks that the header's offsets cover the file exactly
            meta = f.metadata() or {}
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as err:
        raise DamagedFileError(f"{path!r} is not a readable {fmt} file (safetensors with a {fmt} header): {err}") from err
    if meta.get("format") != fmt:
        raise DamagedFileError(f"{path!r} is a safetensors file but not a {fmt} file (no 'format: {fmt}' in its header).")
    found = meta.get("format_version")
    if not (isinstance(found, str) and found.isdigit() and len(found) < 10):
        raise DamagedFileError(
            f"{path!r} is damaged or was edited: format_version is {_shown(found)}, not a version number "
            f"(this geoinr {__version__} reads {fmt} format {version})."
        )
    if not (version if oldest is None else oldest) <= int(found) <= version:
        raise DamagedFileError(
            f"{path!r} uses {fmt} format {found}; this geoinr {__version__} reads format {version}"
            f"{'' if oldest is None else f' back to {oldest}'}. Install the geoinr version that wrote it."
        )
    return meta, shapes


def read_safetensors(path, fmt: str, version: int, oldest: int | None = None, checksum_since: int | None = None):
    """Read tensors and header of a file written by :func:`write_safetensors_atomic`; check format and version.

    ``oldest`` as for :func:`read_header`. From format ``checksum_since`` on, a file must carry its checksum: an edited
    file whose checksum line was deleted as well loaded in silence (a review); older files are read with a warning
    that they cannot be checked.

    Returns
    -------
    tensors : dict of str to torch.Tensor
    meta : dict of str to str

    Raises
    ------
    FileNotFoundError, DamagedFileError
        As :func:`read_header`; also when the tensors or the header no longer match the
        checksum written with them, or a file of a checksummed format has none.
    """
    meta, _ = read_header(path, fmt, version, oldest)
    try:  # read whole, not memory-mapped: a mapped file cannot be replaced on Windows (a save over a loaded model)
        with open(os.path.expanduser(os.fspath(path)), "rb") as handle:
            tensors = load(handle.read())
    except (SafetensorError, OSError, ValueError) as err:
        raise DamagedFileError(
            f"{os.fspath(path)!r} is not a readable {fmt} file (safetensors with a {fmt} header): {err}"
        ) from err
    written = meta.get(CHECKSUM_FIELD)
    if written is None and checksum_since is not None:
        if int(meta["format_version"]) >= checksum_since:
            raise DamagedFileError(
                f"{os.fspath(path)!r} was edited: {fmt} format {meta['format_version']} files carry a "
                f"{CHECKSUM_FIELD} checksum and this one has none. Copy it again from its source, or save the model "
                f"again.")
        warnings.warn(f"{os.fspath(path)!r} was written before {fmt} files carried a checksum (format "
                      f"{meta['format_version']}): whether it changed since cannot be checked. Save it again to add "
                      f"one.", GeoinrWarning, stacklevel=user_stacklevel())
    if written is not None and written != checksum(tensors, meta):
        raise DamagedFileError(
            f"{os.fspath(path)!r} changed after it was written: its contents no longer match the {CHECKSUM_FIELD} "
            "checksum in its header (damaged in storage or in a copy, or edited). Copy it again from its source, or "
            "save the model again."
        )
    return tensors, meta
