"""S1 leptoquark exclusion figure in the (m_S1, λ) plane, in the style of the paper's Figs. 6 and 9.

Pure matplotlib over results (:class:`~cevns_stats.experiments.leptoquark.LQLimit`-like curves): log-log
m_S1 [GeV] against λ, each bound's excluded region (λ above the curve) shaded, the cited overlays of
:mod:`cevns_stats.experiments.lq_overlays` (collider mass bounds as vertical bands, the perturbativity proxy
λ = √(4π) as a line).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from matplotlib import colormaps

from cevns_stats.experiments.lq_overlays import PERTURBATIVITY_PROXY, collider_bounds
from cevns_stats.plots.common import new_figure, style

__all__ = ["BoundCurve", "plot_lq_limits"]

_LAMBDA_RANGE = (1.0e-2, 20.0)


class BoundCurve(NamedTuple):
    """One bound: masses (n,) [GeV], excluded λ (n,), legend label, line style."""

    masses_GeV: np.ndarray
    lambda_bound: np.ndarray
    label: str
    linestyle: str = "-"


def _shade_bound(ax, curve: BoundCurve, colour, shade: bool) -> None:
    masses, lam = np.asarray(curve.masses_GeV), np.asarray(curve.lambda_bound)
    ax.plot(masses, lam, color=colour, linestyle=curve.linestyle, linewidth=2, label=curve.label)
    if shade:
        ax.fill_between(masses, lam, _LAMBDA_RANGE[1], color=colour, alpha=0.18, linewidth=0)


def _overlays(ax, flavour: str, mass_range) -> None:
    for bound in collider_bounds(flavour):
        ax.axvspan(
            mass_range[0],
            bound.mass_GeV,
            color="tab:orange",
            alpha=0.15,
            label=f"{bound.label}, m < {bound.mass_GeV:g} GeV",
        )
    ax.axhline(PERTURBATIVITY_PROXY, color="grey", linestyle="--", label="perturbativity proxy λ = √(4π)")


def plot_lq_limits(curves, *, flavour: str = "mu", title: str | None = None, overlays: bool = True):
    """Figure of 90 % CL S1 bounds: λ [dimensionless] against m_S1 [GeV], log-log.

    Args:
        curves: sequence of :class:`BoundCurve` (the first is shaded as the excluded region; dashed
            curves, e.g. variants, are drawn as lines only).
        flavour: ``mu`` or ``tau`` (selects the collider overlays and the axis label).
        title: optional title.
        overlays: draw the cited overlays.

    Returns:
        matplotlib Figure.
    """
    with style(10.0):
        return _draw(list(curves), flavour, title, overlays)


def _draw(curves, flavour, title, overlays):
    fig, ax = new_figure(figsize=(8.0, 5.0))
    masses = np.concatenate([np.asarray(c.masses_GeV, dtype=float) for c in curves])
    mass_range = (float(masses.min()), float(masses.max()))
    if overlays:
        _overlays(ax, flavour, mass_range)
    colours = colormaps["tab10"]
    for i, curve in enumerate(curves):
        _shade_bound(ax, curve, "black" if i == 0 else colours((i + 1) % 10), shade=curve.linestyle == "-")
    symbol = {"mu": r"\mu", "tau": r"\tau"}.get(flavour, flavour)
    ax.set(
        xscale="log",
        yscale="log",
        xlim=mass_range,
        ylim=_LAMBDA_RANGE,
        xlabel=r"$m_{S_1}$ [GeV]",
        ylabel=rf"$\lambda_{{d{symbol}}}$ (coupling, dimensionless)",
    )
    if title:
        ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small", frameon=True, framealpha=0.9)
    fig.tight_layout()
    return fig


def __dir__() -> list[str]:
    return __all__
