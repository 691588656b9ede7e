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
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure

from cevns_stats.physics.fluxes.labels import CHANNEL_LABELS
from cevns_stats.plots.formats import IMAGE_FORMATS

__all__ = [
    "CHANNEL_COLOURS",
    "FAMILY_LINESTYLE",
    "IMAGE_FORMATS",
    "SAVE_DPI",
    "channel_colour",
    "channel_style",
    "model_description",
    "model_label",
    "new_figure",
    "sample_label",
    "sample_styles",
    "save_figure",
    "save_figure_formats",
    "style",
]

#: Line style per source family, so that channels of different families never look alike.
FAMILY_LINESTYLE = {
    "solar": "-",
    "atmospheric": "--",
    "dsnb": ":",
    "reactor": "-.",
    "geo": (0, (5, 1, 1, 1, 1, 1)),
}

#: A fixed colour per channel, the same in every figure. Within a family the colours differ clearly
#: (ν and ν̄ of one flavour: dark and light of one hue); the channels that overlap in a recoil spectrum
#: (hep, ⁸B, atmospheric, DSNB) never share a hue.
CHANNEL_COLOURS = {
    "pp": "tab:blue",
    "pep": "tab:cyan",
    "hep": "tab:orange",
    "7Be_384": "tab:olive",
    "7Be_862": "tab:green",
    "8B": "tab:red",
    "13N": "tab:purple",
    "15O": "tab:brown",
    "17F": "tab:pink",
    "atm_nue": "#08306b",
    "atm_nuebar": "#4f9bd9",
    "atm_numu": "#54278f",
    "atm_numubar": "#a997d6",
    "dsnb_nue": "#00692a",
    "dsnb_nuebar": "#66c2a4",
    "dsnb_nux": "#525252",
    "reactor": "#8c6d31",
    "geo_K40": "#e7ba52",
    "geo_U238": "#843c39",
    "geo_Th232": "#d6616b",
}


#: Resolution [dots per inch] of saved figures (PNG; the raster parts of a PDF).
SAVE_DPI = 150


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
    width_ratios: tuple[float, ...] | None = None,
):
    """A Figure and its axes (``Figure.subplots``), not registered with pyplot (no global state)."""
    fig = Figure(figsize=figsize, constrained_layout=constrained_layout)
    return fig, fig.subplots(nrows, ncols, width_ratios=width_ratios)


def channel_colour(index: int) -> tuple[float, float, float, float]:
    """A stable RGBA colour per index (tab20), for things without a :data:`CHANNEL_COLOURS` entry."""
    return colormaps["tab20"](index % 20)


def channel_style(channel, index: int = 0) -> dict:
    """``color`` and ``linestyle`` of a flux channel (its own colour, its family's line style)."""
    colour = CHANNEL_COLOURS.get(channel.name) or channel_colour(index)
    return {"color": colour, "linestyle": FAMILY_LINESTYLE.get(channel.family, "-")}


_FLAVOUR_TEX = {"e": r"$\nu_e$", "mu": r"$\nu_\mu$", "tau": r"$\nu_\tau$"}


def model_description(name: str, params: dict) -> str:
    """Words for a model: ``scalar NSI, minimal (ν_μ, d)``, ``S₁ leptoquark (ν_μ, m = 1000 GeV, λ = 1)``."""
    if name == "lq-s1":
        parts = [_FLAVOUR_TEX.get(params.get("flavour", ""), params.get("flavour", ""))]
        if "lq_mass_GeV" in params:
            parts.append(rf"$m_{{S_1}}$ = {params['lq_mass_GeV']:g} GeV")
        if "lq_coupling" in params:
            parts.append(rf"$\lambda$ = {params['lq_coupling']:g}")
        return "S$_1$ leptoquark (" + ", ".join(p for p in parts if p) + ")"
    kind, _, scope = name.partition("-")
    if scope == "universal":
        detail = "flavour-universal" + (f" ({params['quark']})" if params.get("quark") else "")
    elif scope == "minimal":
        flavour = _FLAVOUR_TEX.get(params.get("flavour", ""), params.get("flavour", "?"))
        detail = f"minimal ({flavour}, {params.get('quark', 'd')})"
    else:
        return name
    return f"{kind} NSI, {detail}"


def model_label(model) -> str:
    """Legend text of an NSI model at its ε: ``scalar NSI, minimal (ν_μ, d), ε = 0.05``."""
    return f"{model_description(model.name, dict(model.parameters))}, ε = {model.epsilon:.3g}"


_SAMPLE_KINDS = {"SM": "SM", "NSI": "NSI", "LIN": "NSI, linear in ε", "QUAD": "NSI, quadratic in ε"}


def sample_label(name: str) -> str:
    """Legend text of a workspace sample: ``SM_8B`` → ``⁸B (SM)``; other names (any pyhf workspace) as they are."""
    kind, _, channel = name.partition("_")
    if kind in _SAMPLE_KINDS and channel in CHANNEL_LABELS:
        return f"{CHANNEL_LABELS[channel]} ({_SAMPLE_KINDS[kind]})"
    return name


#: Colours for samples without a flux channel (backgrounds): tab20, tab20b and tab20c less the channel colours.
_SAMPLE_PALETTE = np.array(
    [
        to_rgb(colour)
        for name in ("tab20", "tab20b", "tab20c")
        for colour in colormaps[name](np.arange(20))
        if to_hex(colour) not in {to_hex(c) for c in CHANNEL_COLOURS.values()}
    ]
)


def sample_styles(names) -> dict[str, dict]:
    """Fill styles of the workspace samples of one figure, every sample distinguishable from the others.

    A flux channel's sample keeps its channel's colour (:data:`CHANNEL_COLOURS`; NSI parts lighter and
    hatched). Every other sample (a background) takes, in turn, the palette colour farthest (in RGB) from
    the white axes, the black data points and all colours already in the figure, so that it never repeats
    a channel's colour or another background's (until the palette's 47 colours run out).

    Args:
        names: the sample names of one figure, in drawing order.

    Returns:
        {name: keyword arguments for a filled artist (``color``, and ``alpha``/``hatch`` for channels)}.
    """
    styles: dict[str, dict] = {}
    for name in names:
        kind, _, channel = name.partition("_")
        if kind in _SAMPLE_KINDS and channel in CHANNEL_COLOURS:
            nsi = kind != "SM"
            alpha, hatch = (0.45, "///") if nsi else (0.9, None)
            styles[name] = {"color": CHANNEL_COLOURS[channel], "alpha": alpha, "hatch": hatch}
    used = [to_rgb("white"), to_rgb("black")] + [to_rgb(fill["color"]) for fill in styles.values()]
    for name in names:
        if name not in styles:
            distance = np.linalg.norm(_SAMPLE_PALETTE[:, None, :] - np.array(used)[None, :, :], axis=2)
            colour = to_rgb(_SAMPLE_PALETTE[int(np.argmax(distance.min(axis=1)))])
            styles[name] = {"color": colour}
            used.append(colour)
    return {name: styles[name] for name in names}


def save_figure(fig: Figure, path: str | Path, *, fmt: str | None = None, bbox_inches="tight") -> None:
    """Write ``fig`` to ``path`` in ``fmt`` (default: the suffix of ``path``, PNG when it has none).

    A temporary sibling such as ``fig.png.tmp123`` keeps the intended format: the first known image suffix
    in the name is used. ``bbox_inches``: the part of the figure written (default: its tight bounding box).
    """
    name = Path(path).name.lower().split(".")
    fmt = fmt or next((part for part in name[1:] if part in IMAGE_FORMATS), "png")
    fig.savefig(str(path), format=fmt, dpi=SAVE_DPI, bbox_inches=bbox_inches)


def save_figure_formats(fig: Figure, paths) -> None:
    """Write ``fig`` to each of ``paths`` (e.g. its PDF and PNG) as :func:`save_figure`, laid out once.

    Every ``savefig`` with a layout engine or a tight bounding box first draws the figure to lay it out;
    here the layout (constrained layout) and the tight bounding box are computed once and every file is
    written with them (the layout engine is restored afterwards).
    """
    paths = list(paths)
    if len(paths) < 2:
        for path in paths:
            save_figure(fig, path)
        return
    dpi, fig.dpi = fig.dpi, SAVE_DPI  # text extents (hinted) at the resolution of the files
    try:
        fig.draw_without_rendering()  # runs the layout engine
        bbox = fig.get_tightbbox().padded(matplotlib.rcParams["savefig.pad_inches"])
    finally:
        fig.dpi = dpi
    engine = fig.get_layout_engine()
    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)  # no engine: savefig draws only once per file
    try:
        for path in paths:
            save_figure(fig, path, bbox_inches=bbox)
    finally:
        fig.set_layout_engine(engine)


def __dir__() -> list[str]:
    return __all__
