"""Output destinations of the commands, checked before any computation starts.

Takes the ``--output``/``--plot`` values; gives nothing when they can be written, or an ``Error:`` line that
names the option and the problem (an image suffix matplotlib cannot write, a folder where a file must go, an
unwritable or missing place). The writing itself is :mod:`cevns_stats.likelihood.files` (all or nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from cevns_stats.likelihood.files import check_destination
from cevns_stats.plots.formats import IMAGE_FORMATS

__all__ = ["check_file_output", "check_folder_output", "check_image_output"]


def check_image_output(path, option: str) -> None:
    """``path`` must end in an image format matplotlib writes (``.png``, ``.pdf``, …) and be writable."""
    if path is None:
        return
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in IMAGE_FORMATS:
        allowed = ", ".join(f".{fmt}" for fmt in IMAGE_FORMATS)
        got = f"'.{suffix}'" if suffix else "no suffix"
        msg = f"{path!s} has {got}; the figure format is taken from the suffix: one of {allowed}"
        raise click.BadParameter(msg, param_hint=option)
    check_destination(path, what=f"{option} {path}")


def check_file_output(path, option: str) -> None:
    """``path`` (a file, e.g. JSON) must be writable and not a folder."""
    if path is not None:
        check_destination(path, what=f"{option} {path}")


def check_folder_output(path, option: str, files: Iterable[str] = ()) -> None:
    """``path`` must be a folder (existing or creatable) in which ``files`` can be written."""
    check_destination(path, what=f"{option} {path}", folder=True, files=files)


def __dir__() -> list[str]:
    return __all__
