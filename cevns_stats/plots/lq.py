"""S1 leptoquark exclusion figure in the (m_S1, λ) plane, in the style of the paper's Figs. 6 and 9.

Pure matplotlib over results (:class:`~cevns_stats.experiments.leptoquark.LQLimit`-like curves): log-log
m_S1 [GeV] against λ, the first bound's excluded region (λ above the curve) shaded, the cited overlays of
:mod:`cevns_stats.experiments.lq_overlays` (collider mass bounds as vertical bands, the region above the
perturbativity proxy λ = √(4π) hatched), every region named in the legend, which sits beside the axes.

Bounds of one experiment at several exposures lie within a few per cent of each other (λ ∝ m_S1 in the
contact limit, and λ ∝ ε^½ moves slowly with exposure), so a second panel shows what separates them: the
excluded λ at m_S1 = 1 TeV against exposure, one colour per experiment.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from matplotlib import colormaps
from matplotlib.patches import Patch
from matplotlib.ticker import ScalarFormatter

from cevns_stats.experiments.leptoquark import lambda_from_epsilon
from cevns_stats.experiments.lq_overlays import PERTURBATIVITY_PROXY, collider_bounds
from cevns_stats.plots.common import new_figure, style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from cevns_stats.experiments.leptoquark import LQLimit

__all__ = ["EXPERIMENT_LABELS", "BoundCurve", "plot_lq_limit", "plot_lq_limits"]

_LAMBDA_RANGE = (1.0e-2, 20.0)
_REFERENCE_MASS_GeV = 1000.0

#: Legend names of the experiments (``cevns_stats.experiments.leptoquark.EXPERIMENTS`` keys).
EXPERIMENT_LABELS = {
    "lz-ws2022": "LZ WS2022",
    "darwin": "DARWIN-like Xe",
    "argo": "ARGO-like Ar",
    "lead": "Pb detector",
}
#: One colour map per future experiment: darker = larger exposure.
_EXPERIMENT_CMAPS = {"darwin": "Blues", "argo": "Greens", "lead": "Purples"}
_FLAVOUR_TEX = {"mu": r"\mu", "tau": r"\tau", "e": "e"}


class BoundCurve(NamedTuple):
    """One bound: masses (n,) [GeV], excluded λ (n,), legend label, line style, experiment, exposure [t·yr]."""

    masses_GeV: np.ndarray
    lambda_bound: np.ndarray
    label: str
    linestyle: str = "-"
    experiment: str = ""
    exposure_tonne_year: float = math.nan


def _lambda_at(curve: BoundCurve, mass_GeV: float) -> float:
    """λ of the curve at ``mass_GeV`` (log-log interpolation)."""
    masses, lam = np.asarray(curve.masses_GeV, float), np.asarray(curve.lambda_bound, float)
    return float(np.exp(np.interp(np.log(mass_GeV), np.log(masses), np.log(lam))))


def _styles(curves: list[BoundCurve]) -> list[dict]:
    """Black for the first (observed) bound and its variants; a colour map per future experiment."""
    styles = []
    for i, curve in enumerate(curves):
        cmap = _EXPERIMENT_CMAPS.get(curve.experiment)
        if cmap is None:
            colour = (
                "black" if i == 0 or curve.experiment == curves[0].experiment else colormaps["tab10"](i % 10)
            )
            styles.append({"color": colour, "linestyle": curve.linestyle, "lw": 2.0})
            continue
        same = sorted(
            (c.exposure_tonne_year for c in curves if c.experiment == curve.experiment), key=lambda e: (e, 0)
        )
        rank = same.index(curve.exposure_tonne_year) / max(len(same) - 1, 1)
        styles.append({"color": colormaps[cmap](0.45 + 0.5 * rank), "linestyle": "-", "lw": 1.6})
    return styles


def _overlays(ax, flavour: str, mass_range) -> None:
    for bound in collider_bounds(flavour):
        ax.axvspan(
            mass_range[0],
            bound.mass_GeV,
            color="tab:orange",
            alpha=0.15,
            lw=0,
            label=f"excluded by {bound.label}: m < {bound.mass_GeV:g} GeV",
        )
    ax.axhspan(
        PERTURBATIVITY_PROXY,
        _LAMBDA_RANGE[1],
        facecolor="none",
        edgecolor="0.55",
        hatch="//",
        lw=0,
        label=r"$\lambda > \sqrt{4\pi}$: beyond the perturbativity proxy",
    )
    ax.axhline(PERTURBATIVITY_PROXY, color="0.45", linestyle="--", lw=1.0)


def plot_lq_limits(curves, *, flavour: str = "mu", title: str | None = None, overlays: bool = True):
    """Figure of 90 % CL S1 bounds: λ [dimensionless] against m_S1 [GeV], log-log.

    Args:
        curves: sequence of :class:`BoundCurve` (the first is shaded as the excluded region; dashed
            curves, e.g. variants, are drawn as lines only).
        flavour: ``mu`` or ``tau`` (selects the collider overlays and the axis label).
        title: optional title.
        overlays: draw the cited overlays.

    Returns:
        matplotlib Figure: the (m_S1, λ) plane, and beside it λ(1 TeV) against exposure when the curves
        have exposures.
    """
    curves = list(curves)
    order = list(dict.fromkeys(c.experiment for c in curves))
    rest = sorted(
        curves[1:], key=lambda c: (order.index(c.experiment), c.linestyle == "--", c.exposure_tonne_year)
    )
    with style(10.0):
        return _draw([curves[0], *rest], flavour, title, overlays)


def plot_lq_limit(limit: LQLimit) -> Figure:
    """The figure of one bound (``cevns-stats lq-limit --plot``), its other ⁸B normalisations dashed.

    Args:
        limit: the bound; ``details["epsilon_90_by_normalisation"]`` (LZ WS2022) adds the variants.

    Returns:
        matplotlib Figure of :func:`plot_lq_limits`, titled by the neutrino flavour.
    """
    kind = "observed" if limit.experiment == "lz-ws2022" else "expected"
    name = EXPERIMENT_LABELS.get(limit.experiment, limit.experiment)
    rate = {"direct": "our ⁸B rate", "lz-quoted": "⁸B rescaled to LZ's 0.14 events"}
    label = f"{name}, {limit.exposure_tonne_year:.4g} t·yr, {kind} 90 % CL ({rate[limit.normalisation]})"
    curves = [BoundCurve(limit.masses_GeV, limit.lambda_bound, label, "-", limit.experiment)]
    variants = limit.details.get("epsilon_90_by_normalisation", {})
    for variant, eps in variants.items():
        if variant != limit.normalisation:
            curves.append(
                BoundCurve(
                    limit.masses_GeV,
                    lambda_from_epsilon(limit.masses_GeV, eps),
                    f"{name}, {rate[variant]} (variant)",
                    "--",
                    limit.experiment,
                )
            )
    flavour = {"mu": r"$\nu_\mu$", "tau": r"$\nu_\tau$"}.get(limit.flavour, limit.flavour)
    return plot_lq_limits(
        curves, flavour=limit.flavour, title=f"minimal S$_1$ leptoquark coupling to {flavour}"
    )


def _draw_plane(ax, curves, styles, flavour, overlays) -> None:
    masses = np.concatenate([np.asarray(c.masses_GeV, dtype=float) for c in curves])
    mass_range = (float(masses.min()), float(masses.max()))
    if overlays:
        _overlays(ax, flavour, mass_range)
    first = curves[0]
    ax.fill_between(
        np.asarray(first.masses_GeV, float),
        np.asarray(first.lambda_bound, float),
        _LAMBDA_RANGE[1],
        color="0.3",
        alpha=0.18,
        lw=0,
    )
    for curve, line_style in zip(curves, styles):
        ax.plot(curve.masses_GeV, curve.lambda_bound, label=curve.label, **line_style)
    symbol = _FLAVOUR_TEX.get(flavour, flavour)
    ax.set(
        xscale="log",
        yscale="log",
        xlim=mass_range,
        ylim=_LAMBDA_RANGE,
        xlabel=r"$m_{S_1}$ [GeV]",
        ylabel=rf"$\lambda_{{d{symbol}}}$ (coupling, dimensionless)",
    )


def _draw_exposure_panel(ax, curves, styles) -> None:
    for experiment in dict.fromkeys(c.experiment for c in curves):
        group = [(c, s) for c, s in zip(curves, styles) if c.experiment == experiment]
        group = [(c, s) for c, s in group if math.isfinite(c.exposure_tonne_year) and c.linestyle != "--"]
        if not group:
            continue
        group.sort(key=lambda item: item[0].exposure_tonne_year)
        exposures = [c.exposure_tonne_year for c, _ in group]
        lam = [_lambda_at(c, _REFERENCE_MASS_GeV) for c, _ in group]
        colour = group[-1][1]["color"]
        marker = "*" if len(group) == 1 else "o"
        ax.plot(exposures, lam, marker=marker, ms=9 if marker == "*" else 5, color=colour, lw=1.2)
        name = EXPERIMENT_LABELS.get(experiment, experiment)
        ax.annotate(
            name, (exposures[0], lam[0]), xytext=(6, 4), textcoords="offset points", fontsize=8, color=colour
        )
        for (_, line_style), e, value in zip(group, exposures, lam):
            ax.plot(
                [e],
                [value],
                marker=marker,
                ms=9 if marker == "*" else 5,
                color=line_style["color"],
                ls="none",
            )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="Exposure [t·yr]",
        ylabel=r"excluded $\lambda$ at $m_{S_1}$ = 1 TeV",
        title=r"the bounds at $m_{S_1}$ = 1 TeV",
    )
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(ScalarFormatter())
    ax.tick_params(axis="y", which="minor", labelsize=7)
    ax.grid(True, which="both", alpha=0.3)


def _draw(curves, flavour, title, overlays):
    with_exposures = sum(math.isfinite(c.exposure_tonne_year) for c in curves) >= 2
    styles = _styles(curves)
    if with_exposures:
        fig, (ax, side) = new_figure(
            1, 2, figsize=(13.0, 6.5), constrained_layout=True, width_ratios=(2.2, 1.0)
        )
    else:
        fig, ax = new_figure(figsize=(9.0, 6.5), constrained_layout=True)
    _draw_plane(ax, curves, styles, flavour, overlays)
    handles, labels = ax.get_legend_handles_labels()
    excluded = Patch(color="0.3", alpha=0.18, label=f"excluded at 90 % CL: above {curves[0].label}")
    fig.legend(
        [*handles, excluded],
        [*labels, excluded.get_label()],
        loc="outside lower center",
        ncol=2,
        fontsize="small",
        frameon=False,
    )
    if with_exposures:
        _draw_exposure_panel(side, curves, styles)
    if title:
        fig.suptitle(title)
    return fig


def __dir__() -> list[str]:
    return __all__
