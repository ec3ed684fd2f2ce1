"""safetensors + JSON header, atomic write (write a temporary file, then rename it over the target)."""
from __future__ import annotations

import os
import tempfile

from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from .._version import __version__

__all__ = ["check_writable", "read_safetensors", "write_safetensors_atomic"]


def _umask() -> int:
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
    path = os.fspath(path)
    if not path:
        raise ValueError("The file name is empty; give a path such as 'run.geoinr'.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a directory; give a file name inside it, e.g. {os.path.join(path, 'run.geoinr')!r}.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write {path!r}: the folder {folder!r} does not exist. Create it first.")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"Cannot write {path!r}: the folder {folder!r} is not writable.")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise PermissionError(f"{path!r} exists and is read-only; it is not replaced. Remove it or choose another name.")
    return folder


def write_safetensors_atomic(path, tensors: dict, metadata: dict) -> None:
    """Write a safetensors file next to ``path``, then rename it over ``path``.

    A crash or kill during the write leaves the previous file intact. The file gets
    the permissions a newly created file would (the umask is honoured), a read-only
    target is never replaced, and errors name ``path``, not the temporary file.

    Examples
    --------
    >>> import os, tempfile, torch
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> write_safetensors_atomic(path, {"w": torch.ones(2)}, {"format": "demo", "format_version": "1"})
    >>> read_safetensors(path, "demo", 1)[0]["w"].tolist()
    [1.0, 1.0]
    """
    path = os.fspath(path)
    folder = check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.basename(path), dir=folder)
    os.close(fd)
    try:
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp, metadata=metadata)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a saved model is shared like any new file
        os.replace(tmp, path)
    except OSError as err:
        raise OSError(f"Could not write {path!r}: {err.strerror or err}") from err
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_safetensors(path, fmt: str, version: int):
    """Read tensors and header of a file written by :func:`write_safetensors_atomic`; check format and version."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}")
    try:
        with safe_open(path, framework="pt") as f:
            meta = f.metadata() or {}
        tensors = load_file(path)
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"{path!r} is not a readable {fmt} file (safetensors with a {fmt} header): {err}") from err
    if meta.get("format") != fmt:
        raise ValueError(f"{path!r} is a safetensors file but not a {fmt} file (no 'format: {fmt}' in its header).")
    found = int(meta.get("format_version", "-1"))
    if found != version:
        raise ValueError(
            f"{path!r} uses {fmt} format {found}; this geoinr {__version__} reads format {version}. "
            f"Install the geoinr version that wrote it."
        )
    return tensors, meta
