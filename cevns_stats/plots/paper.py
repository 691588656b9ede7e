"""The paper's figures from a results dict (pure matplotlib; nothing here computes physics).

* :func:`reach_figure` — Figs 5, 7, 8: |ε| against exposure, log-log, in a 3 × 2 grid: the four benchmark
  panels (scalar-universal, scalar-minimal, vector-universal, vector-minimal), each with the mean toy Z as
  a grey map (clipped to a useful Z) and its 3σ (dashed) and 5σ (solid) contours in black, and the Asimov
  (median) 3σ curves of its variants; the "atmospheric ν only carry NSI" variant on its own panel (its reach
  is ten times weaker and would squash the others); one shared key (legend and colour bar) in the last cell,
  so no legend hides data.
* :func:`lq_figure` — Figs 6 and 9: excluded λ against m_S1 per flavour (through :mod:`cevns_stats.plots.lq`).
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D

from cevns_stats.plots.common import new_figure, style
from cevns_stats.plots.lq import EXPERIMENT_LABELS, BoundCurve, plot_lq_limits
from cevns_stats.plots.reach import Z_COLOUR_MAX, as_float_array, draw_z_map

__all__ = ["PANEL_TITLES", "curve_family", "lq_figure", "pretty_label", "reach_figure"]

PANEL_TITLES = {
    "scalar-universal": "scalar, flavour-universal",
    "scalar-minimal": r"scalar, minimal ($\nu_\mu$, d)",
    "vector-universal": "vector, flavour-universal (d), ε < 0",
    "vector-minimal": r"vector, minimal ($\nu_\mu$, d), ε < 0",
}
_ATMOSPHERIC_ONLY_TITLE = r"scalar, flavour-universal: only atmospheric $\nu$ carry NSI (own scale)"
#: A light grey map: the black contours and coloured curves stay readable on it.
_Z_CMAP = ListedColormap(colormaps["Greys"](np.linspace(0.0, 0.5, 256)))
#: E_th range of the threshold colour scale: the thresholds the paper varies (PHYSICS.md §9).
_THRESHOLD_COLOUR_RANGE_keV = (1.0, 5.0)
#: Line style and colours per family of Asimov curves (thresholds are ordered: a sequential colour map).
_FAMILY_STYLE = {
    "threshold": ("-", "viridis"),
    "efficiency": ((0, (6, 2)), ("tab:red",)),
    "atmospheric uncertainty": ((0, (4, 1, 1, 1)), ("tab:orange", "tab:brown", "tab:pink")),
    "atmospheric only": ("-", ("tab:cyan", "tab:blue")),
}


def _as_array(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def pretty_label(label: str) -> str:
    """A curve label as a figure shows it: ``E_th`` → $E_\\mathrm{th}$ (no code-style underscores)."""
    return label.replace("E_th", r"$E_\mathrm{th}$")


def curve_family(curve: dict) -> str:
    """The family of an Asimov curve from its settings: threshold, efficiency, atmospheric uncertainty or
    atmospheric only (the variants of PHYSICS.md §12)."""
    settings = curve.get("settings", {})
    if settings.get("nsi_families"):
        return "atmospheric only"
    if settings.get("efficiency", "tanh") != "tanh":
        return "efficiency"
    if settings.get("atmospheric_uncertainty", 0.5) != 0.5:
        return "atmospheric uncertainty"
    return "threshold"


def _curve_styles(curves: list[dict]) -> list[dict]:
    """Colour and line style per curve: a line style per family, colours spread within the family.

    Threshold curves are coloured by E_th itself (1–5 keV on one sequential scale), so the reference
    E_th = 2 keV curve has the same colour in every panel.
    """
    low, high = _THRESHOLD_COLOUR_RANGE_keV
    families = [curve_family(c) for c in curves]
    styles = []
    for curve, family in zip(curves, families):
        linestyle, colours = _FAMILY_STYLE[family]
        colour: object
        if isinstance(colours, str):  # a colour map: thresholds
            threshold = curve.get("settings", {}).get("threshold_keV", low)
            position = float(np.clip((threshold - low) / (high - low), 0.0, 1.0))
            colour = colormaps[colours](0.1 + 0.75 * position)
        else:
            members = [c for c, f in zip(curves, families) if f == family]
            colour = colours[members.index(curve) % len(colours)]
        styles.append({"color": colour, "linestyle": linestyle, "lw": 1.6})
    return styles


def _draw_panel(ax, panel: dict, title: str, curves: list[dict]):
    """One panel: toy Z map and contours (if any), the given Asimov curves; returns (filled, handles)."""
    filled, handles = None, []
    exposures = np.asarray(panel["exposures_tonne_year"])
    toys = panel.get("toys")
    if toys:
        eps = np.abs(np.asarray(toys["eps"]))
        filled, contour_handles = draw_z_map(
            ax,
            np.asarray(toys["exposures_tonne_year"]),
            eps,
            as_float_array(toys["z_mean"]),
            cmap=_Z_CMAP,
        )
        handles += [
            Line2D(
                [],
                [],
                color="k",
                ls=h.get_linestyle(),
                lw=1.8,
                label=f"{h.get_label().split()[0]}, mean of {toys['n_toys']} toys",
            )
            for h in contour_handles
        ]
        ax.set_ylim(eps.min(), eps.max())  # the toy grid: no blank band above or below the map
    for curve, line_style in zip(curves, _curve_styles(curves)):
        (line,) = ax.plot(exposures, _as_array(curve["eps_3sigma"]), **line_style)
        line.set_label(f"3σ Asimov, {pretty_label(curve['label'])}")
        handles.append(line)
    ax.set(xscale="log", yscale="log", xlabel="Exposure [t·yr]", ylabel="|ε| (NSI coupling)")
    ax.set_xlim(exposures.min(), exposures.max())
    ax.set_title(title, fontsize=10)
    return filled, handles


def _unique(handles: list) -> list:
    seen, out = set(), []
    for handle in handles:
        if handle.get_label() not in seen:
            seen.add(handle.get_label())
            out.append(handle)
    return out


def reach_figure(target: str, panels: dict, *, figure_label: str = ""):
    """3 × 2 reach figure of one target from ``reach_panels(...)[target]`` ({panel: panel dict})."""
    with style(9.0):
        fig, axes = new_figure(2, 3, figsize=(16, 9.5), constrained_layout=True)
        cells = [axes[0, 0], axes[0, 1], axes[1, 0], axes[1, 1]]
        order = [k for k in PANEL_TITLES if k in panels] + [k for k in panels if k not in PANEL_TITLES]
        filled, handles, atmospheric_only = None, [], []
        for ax, key in zip(cells, order):
            curves = [c for c in panels[key]["asimov_curves"] if curve_family(c) != "atmospheric only"]
            atmospheric_only += [(panels[key], c) for c in panels[key]["asimov_curves"] if c not in curves]
            panel_filled, panel_handles = _draw_panel(ax, panels[key], PANEL_TITLES.get(key, key), curves)
            filled = panel_filled or filled
            handles += panel_handles
        for ax in cells[len(order) :]:
            ax.set_axis_off()
        side = axes[0, 2]
        if atmospheric_only:
            panel = atmospheric_only[0][0]
            _, side_handles = _draw_panel(
                side, {**panel, "toys": None}, _ATMOSPHERIC_ONLY_TITLE, [c for _, c in atmospheric_only]
            )
            handles += side_handles
        else:
            side.set_axis_off()
        key = axes[1, 2]
        key.set_axis_off()
        key.legend(handles=_unique(handles), loc="upper center", frameon=False, fontsize=8.5)
        if filled is not None:
            cax = key.inset_axes((0.05, 0.06, 0.9, 0.05))
            bar = fig.colorbar(filled, cax=cax, orientation="horizontal")
            bar.set_label(f"mean toy Z (the paper's estimator; ≥ {Z_COLOUR_MAX:g} in the darkest grey)")
        fig.suptitle(
            f"{figure_label.replace('Fig', 'Fig. ')} — {target}: 3σ/5σ discovery reach "
            "(tanh efficiency, fixed a, b)".strip(),
            fontsize=12,
        )
    return fig


def _bound_label(bound: dict) -> str:
    """Legend text of a bound: the experiment's name (not its code name), exposure and kind."""
    experiment = bound.get("experiment", "")
    if experiment not in EXPERIMENT_LABELS or experiment == "lz-ws2022":
        return bound["label"]
    preset = ", the preset's" if "preset" in bound["label"] else ""
    return f"{EXPERIMENT_LABELS[experiment]}, {bound['exposure_tonne_year']:g} t·yr{preset} (expected)"


def lq_figure(bounds: list[dict], *, flavour: str, title: str):
    """S1 bound figure from ``LQLimit.to_json()`` dicts (the first one shaded as excluded)."""
    curves = [
        BoundCurve(
            np.asarray(b["masses_GeV"]),
            np.asarray(b["lambda_bound"]),
            _bound_label(b),
            b.get("linestyle", "-"),
            b.get("experiment", ""),
            float(b.get("exposure_tonne_year", np.nan)),
        )
        for b in bounds
    ]
    return plot_lq_limits(curves, flavour=flavour, title=title)


def __dir__() -> list[str]:
    return __all__
