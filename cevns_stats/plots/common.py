"""What every figure shares: a new Figure without pyplot's global state, the style context, colours, saving.

Library code never sets the matplotlib backend or a global style: figures are ``matplotlib.figure.Figure``
objects (no pyplot figure manager), drawn inside :func:`style` (a ``matplotlib.style.context``), and written by
:func:`save_figure` with the format taken from the file suffix.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import matplotlib.style
from matplotlib import colormaps
from matplotlib.figure import Figure

from cevns_stats.plots.formats import IMAGE_FORMATS

__all__ = ["FAMILY_LINESTYLE", "IMAGE_FORMATS", "channel_colour", "new_figure", "save_figure", "style"]

FAMILY_LINESTYLE = {"solar": "-", "atmospheric": "--", "dsnb": ":", "reactor": "-.", "geo": "-."}


@contextlib.contextmanager
def style(font_size: float = 10.0) -> Iterator[None]:
    """Draw inside matplotlib's default style with ``font_size`` (restored afterwards)."""
    with matplotlib.style.context("default"), matplotlib.rc_context({"font.size": font_size}):
        yield


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    figsize: tuple[float, float] = (8.0, 6.0),
    constrained_layout: bool = False,
):
    """A Figure and its axes (``Figure.subplots``), not registered with pyplot (no global state)."""
    fig = Figure(figsize=figsize, constrained_layout=constrained_layout)
    return fig, fig.subplots(nrows, ncols)


def channel_colour(index: int) -> tuple[float, float, float, float]:
    """A stable RGBA colour per channel index (tab20)."""
    return colormaps["tab20"](index % 20)


def save_figure(fig: Figure, path: str | Path, *, fmt: str | None = None) -> None:
    """Write ``fig`` to ``path`` in ``fmt`` (default: the suffix of ``path``, PNG when it has none).

    A temporary sibling such as ``fig.png.tmp123`` keeps the intended format: the first known image suffix
    in the name is used.
    """
    name = Path(path).name.lower().split(".")
    fmt = fmt or next((part for part in name[1:] if part in IMAGE_FORMATS), "png")
    fig.savefig(str(path), format=fmt, dpi=150, bbox_inches="tight")


def __dir__() -> list[str]:
    return __all__
