"""Safe outputs: check a destination before computing, then write all or nothing.

Takes a destination path (a file, or a folder with the names of the files that will go into it) and a
writer; gives the file or folder in place, written through a temporary sibling that is renamed at the end, so
an error or an interrupt (SIGINT) leaves nothing behind — no partial file, no empty folder, no parent folder
created on the way. Files get mode 0666 and folders 0777, both minus the umask (0644 and 0755 under the
default umask 022), as ``open`` and ``mkdir`` would give them; ``tempfile`` alone would give 0600 and 0700.

This module sits in the lowest stage that writes files (templates, workspaces), so the paper runner and the
command line share it.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_directory(root / "out") as tmp:
...     _ = (tmp / "a.txt").write_text("a")
>>> sorted(p.name for p in (root / "out").iterdir())
['a.txt']
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from cevns_stats.errors import InvalidInput

__all__ = ["atomic_directory", "check_destination", "default_mode", "write_file_atomic"]


def default_mode(*, directory: bool = False) -> int:
    """Mode of a new file (0o666) or folder (0o777) minus the process umask: 0o644 / 0o755 under umask 022."""
    umask = os.umask(0o022)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest existing ancestor."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _probe_writable(folder: Path, what: str) -> None:
    """Create and remove a temporary file in ``folder`` (``os.access`` is no use for root or /proc)."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".cevns-stats-probe-")
    except OSError as err:
        msg = f"cannot write {what}: cannot create files in {folder} ({err.strerror or err})"
        raise InvalidInput(msg) from None
    os.close(fd)
    os.unlink(probe)


def check_destination(path, *, what: str, folder: bool = False, files: Iterable[str] = ()) -> Path:
    """Raise ``InvalidInput`` unless ``path`` can be written; creates nothing. Call it before computing.

    Args:
        path: the output file, or with ``folder=True`` the output folder.
        what: how the message names the destination, e.g. ``"--output fig.png"``.
        folder: ``path`` is a folder that will receive ``files``.
        files: names of the files that will be written into the folder (none may be a folder already).

    Returns:
        ``path`` as a Path.
    """
    path = Path(path).expanduser()
    if str(path) in ("", "."):
        path = Path.cwd()
    if path.exists():
        if folder and not path.is_dir():
            msg = f"cannot write {what}: {path} exists and is not a folder"
            raise InvalidInput(msg)
        if not folder and path.is_dir():
            msg = f"cannot write {what}: {path} is a folder; give a file name"
            raise InvalidInput(msg)
    for name in files:
        inside = path / name
        if inside.is_dir():
            msg = f"cannot write {what}: {inside} is a folder, so the file {name} cannot be written there"
            raise InvalidInput(msg)
    anchor = _nearest_existing(path.parent)
    if not anchor.is_dir():
        msg = f"cannot write {what}: {anchor} is a file, not a folder"
        raise InvalidInput(msg)
    _probe_writable(anchor, what)
    if folder and path.is_dir():
        _probe_writable(path, what)
    return path


def _make_parents(folder: Path) -> list[Path]:
    """``mkdir -p folder`` with default modes; returns the folders it created, outermost first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    created = []
    try:
        for path in reversed(missing):
            path.mkdir(mode=0o777)
            created.append(path)
    except BaseException:
        _remove_folders(created)
        raise
    return created


def _remove_folders(created: list[Path]) -> None:
    """Remove folders made by :func:`_make_parents` (innermost first) if they are still empty."""
    for path in reversed(created):
        with contextlib.suppress(OSError):
            path.rmdir()


def write_file_atomic(path, writer: Callable[[str], object]) -> Path:
    """Call ``writer(tmp_path)`` on a temporary sibling with the same suffix, then rename it onto ``path``.

    On any error or interrupt the temporary file and any parent folders created for it are removed.
    """
    path = Path(path)
    created = _make_parents(path.parent)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
        os.close(fd)
        writer(tmp)
        os.chmod(tmp, default_mode())
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        _remove_folders(created)
        raise
    return path


def _move_into(tmp: Path, path: Path) -> None:
    """Move the content of the finished temporary folder ``tmp`` into the existing folder ``path``."""
    for item in sorted(tmp.iterdir()):
        target = path / item.name
        if item.is_dir() and target.is_dir():
            _move_into(item, target)
        else:
            os.replace(item, target)


def _set_modes(folder: Path) -> None:
    os.chmod(folder, default_mode(directory=True))
    for item in folder.rglob("*"):
        os.chmod(item, default_mode(directory=item.is_dir()))


@contextlib.contextmanager
def atomic_directory(path) -> Iterator[Path]:
    """Yield a temporary sibling folder of ``path``; on success its files end up in ``path``.

    A new ``path`` is created by renaming the finished folder in one step; an existing one receives each file
    by an atomic rename (other files in it are kept). On any error or interrupt (``KeyboardInterrupt``
    included) the temporary folder and any parent folders created for it are removed, and ``path`` is
    untouched.
    """
    path = Path(path)
    created = _make_parents(path.parent)
    tmp = None
    try:
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp-"))
        yield tmp
        _set_modes(tmp)
        if path.exists():
            _move_into(tmp, path)
        else:
            os.rename(tmp, path)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        _remove_folders(created)
        raise
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def __dir__() -> list[str]:
    return __all__
