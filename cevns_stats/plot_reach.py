"""Reach plot in the style of the paper's Figs. 5, 7 and 8 (pure matplotlib; consumes a reach JSON dict).

Log exposure [t·yr] on x, log |ε| on y, a filled colour map of the mean toy Z (or the Asimov Z) with the
3σ and 5σ contours of that Z drawn as lines.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_reach"]


def _z_grid(result: dict) -> tuple[np.ndarray, str]:
    key = result.get("contour_source") or ("z_mean" if result.get("z_mean") is not None else "z_asimov")
    values = np.array([[np.nan if v is None else v for v in row] for row in result[key]], dtype=float)
    return values, "mean toy Z" if key == "z_mean" else "Asimov Z"


def plot_reach(result: dict, ax=None, *, z_max: float = 10.0, title: str | None = None):
    """Draw a reach grid (``ReachResult.to_json()``) on ``ax`` (a new figure if None); returns the axes.

    Args:
        result: dict with exposures (n_e,), eps (n_eps,), z_mean or z_asimov (n_e, n_eps), settings.
        z_max: upper end of the colour scale (larger Z are drawn in the top colour).
        title: axes title (default: preset, model and threshold from the settings).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 4.5), constrained_layout=True)
    exposures = np.asarray(result["exposures"], dtype=float)
    eps = np.abs(np.asarray(result["eps"], dtype=float))
    z, label = _z_grid(result)
    grid_x, grid_y = np.meshgrid(exposures, eps, indexing="ij")
    levels = np.linspace(0.0, z_max, 21)
    filled = ax.contourf(grid_x, grid_y, np.clip(z, 0.0, z_max), levels=levels, cmap="viridis", extend="neither")
    ax.figure.colorbar(filled, ax=ax, label=label)
    handles = []
    for level, style, colour in ((3.0, "--", "orange"), (5.0, "-", "red")):
        if np.nanmax(z, initial=-np.inf) >= level and np.nanmin(z, initial=np.inf) < level:
            ax.contour(grid_x, grid_y, z, levels=[level], colors=colour, linestyles=style, linewidths=1.8)
        handles.append(plt.Line2D([], [], color=colour, linestyle=style, label=f"{level:g}σ ({label})"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("exposure [t·yr]")
    sign = "" if result.get("settings", {}).get("eps_sign", 1) > 0 else " (ε < 0)"
    ax.set_ylabel(f"|ε|{sign}")
    ax.legend(handles=handles, loc="upper right", frameon=True)
    ax.set_title(title if title is not None else _default_title(result.get("settings", {})))
    return ax


def _default_title(settings: dict) -> str:
    model = settings.get("model", {}).get("model", "")
    return f"{settings.get('preset', '')}  {model}  E_th = {settings.get('threshold_keV', '?')} keV"


def __dir__() -> list[str]:
    return __all__
