"""Reach figures in the style of the paper's Figs. 5, 7 and 8 (pure matplotlib; consumes reach JSON dicts).

Log exposure [t·yr] on x, log |ε| on y, a filled colour map of the mean toy Z (or the Asimov Z) with the
3σ and 5σ contours of that Z drawn as lines. :func:`draw_z_map` is shared with the paper's 2 × 2 figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D

from cevns_stats.plots.common import model_description, new_figure, style

__all__ = ["Z_COLOUR_MAX", "Z_LEVELS", "as_float_array", "draw_z_map", "plot_reach"]

if TYPE_CHECKING:
    from matplotlib.typing import LineStyleType

Z_LEVELS: tuple[tuple[float, LineStyleType], ...] = ((3.0, "--"), (5.0, "-"))  # levels and line styles


def as_float_array(values) -> np.ndarray:
    """Nested lists with None (JSON null) as a float array with NaN."""
    return np.array(
        [
            [np.nan if v is None else v for v in row]
            if isinstance(row, list)
            else (np.nan if row is None else row)
            for row in values
        ],
        dtype=float,
    )


#: Upper end of the Z colour scale: the useful range is around the 3σ and 5σ contours; larger Z share the
#: top colour (the colour bar's arrow), so a corner at Z = 40 does not wash out the contours.
Z_COLOUR_MAX = 7.0


def draw_z_map(
    ax,
    exposures,
    eps,
    z,
    *,
    z_max: float = Z_COLOUR_MAX,
    cmap="viridis",
    colours=("k", "k"),
    alpha: float = 1.0,
    label: str = "Z",
):
    """Filled Z map over [0, z_max] (larger Z in the top colour) with its 3σ/5σ contours.

    Args:
        exposures: (n_e,) [t·yr]; eps: (n_eps,) |ε|; z: (n_e, n_eps) significance (NaN allowed).
        z_max: upper end of the colour scale (the colour bar shows an arrow for larger Z).
        cmap: colour map name or object.
        colours: line colours of the 3σ and 5σ contours.

    Returns:
        (filled, handles): the ``contourf`` set and legend handles of the contours that exist in ``z`` (none
        for a level that ``z`` never crosses).
    """
    grid_x, grid_y = np.meshgrid(exposures, eps, indexing="ij")
    filled = ax.contourf(
        grid_x,
        grid_y,
        np.clip(z, 0.0, None),
        levels=np.linspace(0.0, z_max, 15),
        cmap=cmap,
        alpha=alpha,
        extend="max",
        antialiased=False,
    )
    handles = []
    for (level, linestyle), colour in zip(Z_LEVELS, colours):
        if np.nanmin(z, initial=np.inf) < level <= np.nanmax(z, initial=-np.inf):
            ax.contour(grid_x, grid_y, z, levels=[level], colors=colour, linestyles=linestyle, linewidths=1.8)
            handles.append(Line2D([], [], color=colour, linestyle=linestyle, label=f"{level:g}σ ({label})"))
    return filled, handles


def _z_grid(result: dict) -> tuple[np.ndarray, str]:
    key = result.get("contour_source") or ("z_mean" if result.get("z_mean") is not None else "z_asimov")
    return as_float_array(result[key]), "mean toy Z" if key == "z_mean" else "Asimov Z"


def plot_reach(result: dict, ax=None, *, z_max: float = Z_COLOUR_MAX, title: str | None = None):
    """Draw a reach grid (``ReachResult.to_json()``) on ``ax`` (a new figure if None); returns the axes.

    Args:
        result: dict with exposures (n_e,), eps (n_eps,), z_mean or z_asimov (n_e, n_eps), settings.
        z_max: upper end of the colour scale (larger Z are drawn in the top colour).
        title: axes title (default: preset, model and threshold from the settings).
    """
    with style():
        if ax is None:
            _, ax = new_figure(figsize=(6.0, 4.5), constrained_layout=True)
        z, label = _z_grid(result)
        filled, handles = draw_z_map(
            ax,
            np.asarray(result["exposures"], dtype=float),
            np.abs(np.asarray(result["eps"], dtype=float)),
            z,
            z_max=z_max,
            cmap="viridis",
            colours=("orange", "red"),
            label=label,
        )
        ax.figure.colorbar(filled, ax=ax, label=f"{label} (discovery significance)")
        ax.set(xscale="log", yscale="log", xlabel="Exposure [t·yr]")
        sign = "" if result.get("settings", {}).get("eps_sign", 1) > 0 else ", ε < 0"
        ax.set_ylabel(f"|ε| (NSI coupling{sign})")
        if handles:  # lower left: Z ≈ 0 there (small exposure and coupling), no contour to hide
            ax.legend(handles=handles, loc="lower left", frameon=True, framealpha=0.9)
        ax.set_title(title if title is not None else _default_title(result.get("settings", {})))
    return ax


def _default_title(settings: dict) -> str:
    model = dict(settings.get("model", {}))
    name = model.pop("model", "")
    threshold = settings.get("threshold_keV")
    parts = [settings.get("preset", ""), model_description(name, model) if name else ""]
    if threshold is not None:
        parts.append(rf"$E_\mathrm{{th}}$ = {threshold:g} keV")
    return ", ".join(p for p in parts if p)


def __dir__() -> list[str]:
    return __all__
