"""Figures (matplotlib, mplhep style when installed). Each function returns a Figure; ``save_figure`` writes it.

Plotting only consumes results: it never changes physics settings (DESIGN.md).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .efficiency import LZ_WS2022_EFFICIENCY, tanh_efficiency  # noqa: E402
from .rates import rate_components, unit_rates  # noqa: E402

__all__ = ["plot_recoil_spectra", "plot_fluxes", "plot_efficiency", "save_figure", "channel_colour"]

_FAMILY_STYLE = {"solar": "-", "atmospheric": "--", "dsnb": ":", "reactor": "-.", "geo": "-."}


def _style():
    try:
        import mplhep

        plt.style.use(mplhep.style.ROOT)
    except Exception:  # mplhep is optional
        plt.style.use("default")


def channel_colour(index: int):
    """A stable colour per channel index (tab20)."""
    return plt.get_cmap("tab20")(index % 20)


def save_figure(fig, path) -> None:
    """Save ``fig`` to ``path`` (format from the suffix, or PNG for temporary names) and close it."""
    path = str(path)
    fmt = "pdf" if ".pdf" in path.rsplit("/", 1)[-1] else "png"
    fig.savefig(path, format=fmt, dpi=150, bbox_inches="tight")
    plt.close(fig)


def plot_recoil_spectra(detector, channels, model=None, *, energy_keV=None):
    """True recoil spectra dR/dE_R per channel (the paper's Fig. 3): SM solid, SM+NSI dashed."""
    _style()
    energy = np.geomspace(0.1, 1000.0, 400) if energy_keV is None else np.asarray(energy_keV)
    comps = rate_components(unit_rates(detector.target, channels, energy), model)
    fig, ax = plt.subplots(figsize=(8, 6))
    for i, ch in enumerate(channels):
        sm = comps[0, i]
        if not np.any(sm > 0):
            continue
        ax.plot(energy, sm, color=channel_colour(i), ls=_FAMILY_STYLE.get(ch.family, "-"), label=ch.name)
        if model is not None:
            eps = model.epsilon
            ax.plot(energy, np.clip(sm + eps * comps[1, i] + eps**2 * comps[2, i], 0, None),
                    color=channel_colour(i), ls=(0, (1, 1)), lw=1.2)
    total = comps[0].sum(axis=0)
    ax.plot(energy, total, color="k", lw=2, label="total SM")
    if model is not None:
        eps = model.epsilon
        ax.plot(energy, total + eps * comps[1].sum(0) + eps**2 * comps[2].sum(0), color="k", lw=2, ls="--",
                label=f"total {model.name} (ε = {eps:.3g})")
    ax.set(xscale="log", yscale="log", xlabel="Nuclear recoil energy $E_R$ [keV]",
           ylabel="$dR/dE_R$ [events / (t yr keV)]",
           title=f"CEvNS in {detector.target.name}", ylim=(max(total.max() * 1e-12, 1e-12), total.max() * 5))
    ax.legend(ncol=2, fontsize=8)
    return fig


def plot_fluxes(channels):
    """Neutrino fluxes dΦ/dE_ν with ±1σ bands; lines as vertical bars of height Φ (the paper's Fig. 2)."""
    _style()
    fig, ax = plt.subplots(figsize=(8, 6))
    for i, ch in enumerate(channels):
        colour = channel_colour(i)
        if ch.is_line:
            for energy, branching in ch.lines:
                flux = ch.total_flux_cm2_s * branching
                ax.vlines(energy, flux * (1 - ch.uncertainty) * 1e-30, flux, color=colour, lw=2, label=ch.name)
                ax.fill_between([energy * 0.98, energy * 1.02], flux * (1 - ch.uncertainty),
                                flux * (1 + ch.uncertainty), color=colour, alpha=0.3)
            continue
        energy = np.geomspace(max(ch.energy_min_MeV, 1e-3), ch.energy_max_MeV, 400)
        spec = ch.spectrum_cm2_s_MeV(energy)
        ax.plot(energy, spec, color=colour, ls=_FAMILY_STYLE.get(ch.family, "-"), label=ch.name)
        ax.fill_between(energy, spec * (1 - ch.uncertainty), spec * (1 + ch.uncertainty), color=colour, alpha=0.25)
    ax.set(xscale="log", yscale="log", xlabel=r"Neutrino energy $E_\nu$ [MeV]",
           ylabel=r"$d\Phi/dE_\nu$ [cm$^{-2}$ s$^{-1}$ MeV$^{-1}$] (lines: cm$^{-2}$ s$^{-1}$)",
           xlim=(0.1, 1000.0), ylim=(1e-4, 1e13), title="Neutrino fluxes with ±1σ bands")
    ax.legend(ncol=3, fontsize=8)
    return fig


def plot_efficiency(thresholds_keV=(1.0, 2.0, 3.0, 4.0, 5.0), reference_table=None):
    """Tanh efficiencies at fixed (a, b) for several thresholds and LZ's WS2022 curve (the paper's Fig. 1)."""
    _style()
    energy = np.linspace(0.0, 40.0, 801)
    fig, ax = plt.subplots(figsize=(8, 6))
    for i, threshold in enumerate(thresholds_keV):
        ax.plot(energy, tanh_efficiency(threshold)(energy), color=channel_colour(2 * i),
                label=f"tanh, $E_{{th}}$ = {threshold:g} keV")
    ax.plot(energy, LZ_WS2022_EFFICIENCY(energy), color="k", lw=2, label="LZ WS2022 (our parametrisation)")
    if reference_table is not None:
        ax.plot(reference_table[:, 0], reference_table[:, 1], "ko", ms=3, label="LZ WS2022 table")
    ax.set(xlabel="Nuclear recoil energy $E_R$ [keV]", ylabel="Efficiency", xlim=(0, 40), ylim=(0, 1.05),
           title="Nuclear-recoil efficiency")
    ax.legend(fontsize=9)
    return fig
