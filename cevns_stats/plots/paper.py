"""The paper's figures from a results dict (pure matplotlib; nothing here computes physics).

* :func:`reach_figure` — Figs 5, 7, 8: 2 × 2 panels (scalar-universal, scalar-minimal, vector-universal,
  vector-minimal) of |ε| against exposure, log-log; the mean toy Z as a colour map with its 3σ (dashed) and
  5σ (solid) contours in black, and the Asimov (median) 3σ curve of every variant in colour.
* :func:`lq_figure` — Figs 6 and 9: excluded λ against m_S1 per flavour (through :mod:`cevns_stats.plots.lq`).
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from cevns_stats.plots.common import new_figure, style
from cevns_stats.plots.lq import BoundCurve, plot_lq_limits
from cevns_stats.plots.reach import Z_LEVELS, as_float_array, draw_z_map

__all__ = ["PANEL_TITLES", "lq_figure", "reach_figure"]

PANEL_TITLES = {
    "scalar-universal": "scalar, flavour-universal",
    "scalar-minimal": r"scalar, minimal ($\nu_\mu$, d)",
    "vector-universal": "vector, flavour-universal (d), ε < 0",
    "vector-minimal": r"vector, minimal ($\nu_\mu$, d), ε < 0",
}
_Z_MAX = 10.0


def _as_array(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _draw_toys(ax, toys: dict):
    z = as_float_array(toys["z_mean"])
    filled, _ = draw_z_map(
        ax,
        np.asarray(toys["exposures_tonne_year"]),
        np.abs(np.asarray(toys["eps"])),
        z,
        z_max=_Z_MAX,
        cmap="Greys",
        alpha=0.45,
    )
    for level, linestyle in Z_LEVELS:
        ax.plot([], [], "k", ls=linestyle, lw=2.0, label=f"{level:g}σ, mean of {toys['n_toys']} toys")
    return filled


def _draw_panel(ax, panel: dict, title: str):
    filled = _draw_toys(ax, panel["toys"]) if panel.get("toys") else None
    exposures = np.asarray(panel["exposures_tonne_year"])
    colours = colormaps["plasma"]
    for i, curve in enumerate(panel["asimov_curves"]):
        colour = colours(i / max(len(panel["asimov_curves"]), 1))
        ax.plot(
            exposures,
            _as_array(curve["eps_3sigma"]),
            color=colour,
            lw=1.4,
            label=f"3σ Asimov, {curve['label']}",
        )
    ax.set(xscale="log", yscale="log", xlabel="Exposure [t·yr]", ylabel="|ε| (NSI coupling)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower left", frameon=True, framealpha=0.85)
    return filled


def reach_figure(target: str, panels: dict, *, figure_label: str = ""):
    """2 × 2 reach figure of one target from ``target_reach`` results ({panel: panel dict})."""
    with style(9.0):
        fig, axes = new_figure(2, 2, figsize=(12, 9.5), constrained_layout=True)
        filled = None
        order = [k for k in PANEL_TITLES if k in panels] + [k for k in panels if k not in PANEL_TITLES]
        for ax, key in zip(axes.flat, order):
            filled = _draw_panel(ax, panels[key], PANEL_TITLES.get(key, key)) or filled
        if filled is not None:
            fig.colorbar(filled, ax=axes, shrink=0.6, label="mean toy Z (paper's estimator)")
        fig.suptitle(
            f"{figure_label.replace('Fig', 'Fig. ')} — {target}: 3σ/5σ discovery reach "
            "(tanh efficiency, fixed a, b)".strip(),
            fontsize=12,
        )
    return fig


def lq_figure(bounds: list[dict], *, flavour: str, title: str):
    """S1 bound figure from ``LQLimit.to_json()`` dicts (the first one shaded as excluded)."""
    curves = [
        BoundCurve(
            np.asarray(b["masses_GeV"]), np.asarray(b["lambda_bound"]), b["label"], b.get("linestyle", "-")
        )
        for b in bounds
    ]
    return plot_lq_limits(curves, flavour=flavour, title=title)


def __dir__() -> list[str]:
    return __all__
