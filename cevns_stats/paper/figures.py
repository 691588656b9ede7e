"""The paper's figures from a results dict (pure matplotlib; nothing here computes physics).

* :func:`reach_figure` — Figs 5, 7, 8: 2 × 2 panels (scalar-universal, scalar-minimal, vector-universal,
  vector-minimal) of |ε| against exposure, log-log; the mean toy Z as a colour map with its 3σ (dashed) and
  5σ (solid) contours in black, and the Asimov (median) 3σ curve of every variant in colour.
* :func:`lq_figure` — Figs 6 and 9: excluded λ against m_S1 per flavour (through :mod:`cevns_stats.plot_lq`).
"""

from __future__ import annotations

import numpy as np

from ..plot_lq import BoundCurve, plot_lq_limits

__all__ = ["reach_figure", "lq_figure", "PANEL_TITLES"]

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
    exposures, eps = np.asarray(toys["exposures_tonne_year"]), np.abs(np.asarray(toys["eps"]))
    z = np.array([_as_array(row) for row in toys["z_mean"]])
    grid_x, grid_y = np.meshgrid(exposures, eps, indexing="ij")
    filled = ax.contourf(grid_x, grid_y, np.clip(z, 0.0, _Z_MAX), levels=np.linspace(0, _Z_MAX, 21),
                         cmap="Greys", alpha=0.45)
    for level, style in ((3.0, "--"), (5.0, "-")):
        if np.nanmin(z) < level <= np.nanmax(z):
            ax.contour(grid_x, grid_y, z, levels=[level], colors="k", linestyles=style, linewidths=2.0)
        ax.plot([], [], "k", ls=style, lw=2.0, label=f"{level:g}σ, mean of {toys['n_toys']} toys")
    return filled


def _draw_panel(ax, panel: dict, title: str):
    import matplotlib.pyplot as plt

    filled = _draw_toys(ax, panel["toys"]) if panel.get("toys") else None
    exposures = np.asarray(panel["exposures_tonne_year"])
    colours = plt.get_cmap("plasma")
    for i, curve in enumerate(panel["asimov_curves"]):
        colour = colours(i / max(len(panel["asimov_curves"]), 1))
        ax.plot(exposures, _as_array(curve["eps_3sigma"]), color=colour, lw=1.4, label=f"3σ Asimov, {curve['label']}")
    ax.set(xscale="log", yscale="log", xlabel="Exposure [t·yr]", ylabel="|ε| (NSI coupling)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower left", frameon=True, framealpha=0.85)
    return filled


def reach_figure(target: str, panels: dict, *, figure_label: str = ""):
    """2 × 2 reach figure of one target from ``target_reach`` results ({panel: panel dict})."""
    import matplotlib.pyplot as plt

    with plt.style.context("default"), plt.rc_context({"font.size": 9}):
        fig, axes = plt.subplots(2, 2, figsize=(12, 9.5), constrained_layout=True)
        filled = None
        order = [k for k in PANEL_TITLES if k in panels] + [k for k in panels if k not in PANEL_TITLES]
        for ax, key in zip(axes.flat, order):
            filled = _draw_panel(ax, panels[key], PANEL_TITLES.get(key, key)) or filled
        if filled is not None:
            fig.colorbar(filled, ax=axes, shrink=0.6, label="mean toy Z (paper's estimator)")
        fig.suptitle(f"{figure_label.replace('Fig', 'Fig. ')} — {target}: 3σ/5σ discovery reach "
                     "(tanh efficiency, fixed a, b)".strip(), fontsize=12)
    return fig


def lq_figure(bounds: list[dict], *, flavour: str, title: str):
    """S1 bound figure from ``LQLimit.to_json()`` dicts (the first one shaded as excluded)."""
    curves = [BoundCurve(np.asarray(b["masses_GeV"]), np.asarray(b["lambda_bound"]), b["label"],
                         b.get("linestyle", "-")) for b in bounds]
    return plot_lq_limits(curves, flavour=flavour, title=title)


def __dir__() -> list[str]:
    return __all__
