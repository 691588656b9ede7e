"""Physics figures: neutrino fluxes (paper Fig. 2), efficiencies (Fig. 1) and recoil spectra (Fig. 3).

Each function receives numbers (or flux channels with their spectra) and returns a Figure; it never computes
rates. :func:`cevns_stats.plots.common.save_figure` writes it.
"""

from __future__ import annotations

import numpy as np

from cevns_stats.plots.common import FAMILY_LINESTYLE, channel_colour, new_figure, style

__all__ = ["plot_efficiency", "plot_fluxes", "plot_recoil_spectra"]


def plot_recoil_spectra(energy_keV, components, channels, *, target_name: str, model=None):
    """True recoil spectra dR/dE_R per channel (the paper's Fig. 3): SM solid, SM+NSI dotted.

    Args:
        energy_keV: (n_E,) recoil energies [keV].
        components: (3, n_channels, n_E) SM, LIN and QUAD parts of dR/dE_R [events / (t·yr·keV)]
            (:func:`cevns_stats.physics.rates.rate_components`).
        channels: the n_channels flux channels (names, families).
        target_name: detector target for the title.
        model: the NSI model whose ``epsilon`` and ``name`` are drawn, or None for the SM only.
    """
    energy, comps = np.asarray(energy_keV), np.asarray(components)
    with style():
        return _draw_recoil_spectra(energy, comps, channels, target_name, model)


def _draw_recoil_spectra(energy, comps, channels, target_name, model):
    fig, ax = new_figure(figsize=(8, 6))
    for i, ch in enumerate(channels):
        sm = comps[0, i]
        if not np.any(sm > 0):
            continue
        ax.plot(energy, sm, color=channel_colour(i), ls=FAMILY_LINESTYLE.get(ch.family, "-"), label=ch.name)
        if model is not None:
            eps = model.epsilon
            ax.plot(
                energy,
                np.clip(sm + eps * comps[1, i] + eps**2 * comps[2, i], 0, None),
                color=channel_colour(i),
                ls=(0, (1, 1)),
                lw=1.2,
            )
    total = comps[0].sum(axis=0)
    ax.plot(energy, total, color="k", lw=2, label="total SM")
    if model is not None:
        eps = model.epsilon
        ax.plot(
            energy,
            total + eps * comps[1].sum(0) + eps**2 * comps[2].sum(0),
            color="k",
            lw=2,
            ls="--",
            label=f"total {model.name} (ε = {eps:.3g})",
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="Nuclear recoil energy $E_R$ [keV]",
        ylabel="$dR/dE_R$ [events / (t yr keV)]",
        title=f"CEvNS in {target_name}",
        ylim=(max(total.max() * 1e-12, 1e-12), total.max() * 5),
    )
    ax.legend(ncol=2, fontsize=8)
    return fig


def plot_fluxes(channels):
    """Neutrino fluxes dΦ/dE_ν with ±1σ bands; lines as vertical bars of height Φ (the paper's Fig. 2)."""
    with style():
        return _draw_fluxes(channels)


def _draw_fluxes(channels):
    fig, ax = new_figure(figsize=(8, 6))
    for i, ch in enumerate(channels):
        colour = channel_colour(i)
        if ch.is_line:
            for energy, branching in ch.lines:
                flux = ch.total_flux_cm2_s * branching
                ax.vlines(
                    energy, flux * (1 - ch.uncertainty) * 1e-30, flux, color=colour, lw=2, label=ch.name
                )
                ax.fill_between(
                    [energy * 0.98, energy * 1.02],
                    flux * (1 - ch.uncertainty),
                    flux * (1 + ch.uncertainty),
                    color=colour,
                    alpha=0.3,
                )
            continue
        energy = np.geomspace(max(ch.energy_min_MeV, 1e-3), ch.energy_max_MeV, 400)
        spec = ch.spectrum_cm2_s_MeV(energy)
        ax.plot(energy, spec, color=colour, ls=FAMILY_LINESTYLE.get(ch.family, "-"), label=ch.name)
        ax.fill_between(
            energy, spec * (1 - ch.uncertainty), spec * (1 + ch.uncertainty), color=colour, alpha=0.25
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel=r"Neutrino energy $E_\nu$ [MeV]",
        ylabel=r"$d\Phi/dE_\nu$ [cm$^{-2}$ s$^{-1}$ MeV$^{-1}$] (lines: cm$^{-2}$ s$^{-1}$)",
        xlim=(0.1, 1000.0),
        ylim=(1e-4, 1e13),
        title="Neutrino fluxes with ±1σ bands",
    )
    ax.legend(ncol=3, fontsize=8)
    return fig


def plot_efficiency(energy_keV, tanh_curves, lz_curve, reference_table=None):
    """Tanh efficiencies at fixed (a, b) for several thresholds and LZ's WS2022 curve (the paper's Fig. 1).

    Args:
        energy_keV: (n_E,) recoil energies [keV].
        tanh_curves: {threshold [keV]: (n_E,) tanh efficiency}.
        lz_curve: (n_E,) LZ WS2022 efficiency (our parametrisation).
        reference_table: optional (n, 2) published LZ table (energy [keV], efficiency) drawn as points.
    """
    with style():
        return _draw_efficiency(np.asarray(energy_keV), tanh_curves, np.asarray(lz_curve), reference_table)


def _draw_efficiency(energy, tanh_curves, lz_curve, reference_table):
    fig, ax = new_figure(figsize=(8, 6))
    for i, (threshold, curve) in enumerate(tanh_curves.items()):
        ax.plot(energy, curve, color=channel_colour(2 * i), label=f"tanh, $E_{{th}}$ = {threshold:g} keV")
    ax.plot(energy, lz_curve, color="k", lw=2, label="LZ WS2022 (our parametrisation)")
    if reference_table is not None:
        ax.plot(reference_table[:, 0], reference_table[:, 1], "ko", ms=3, label="LZ WS2022 table")
    ax.set(
        xlabel="Nuclear recoil energy $E_R$ [keV]",
        ylabel="Efficiency",
        xlim=(0, 40),
        ylim=(0, 1.05),
        title="Nuclear-recoil efficiency",
    )
    ax.legend(fontsize=9)
    return fig


def __dir__() -> list[str]:
    return __all__
