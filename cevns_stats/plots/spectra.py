"""Physics figures: neutrino fluxes (paper Fig. 2), efficiencies (Fig. 1) and recoil spectra (Fig. 3).

Each function receives numbers (or flux channels with their spectra) and returns a Figure; it never computes
rates. :func:`cevns_stats.plots.common.save_figure` writes it.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from cevns_stats.plots.common import channel_style, model_label, new_figure, style

__all__ = ["plot_efficiency", "plot_fluxes", "plot_recoil_spectra"]


def plot_recoil_spectra(
    energy_keV,
    components,
    channels,
    *,
    target_name: str,
    model=None,
    window_keV: tuple[float, float] | None = None,
    resolution: float = 0.0,
):
    """True recoil spectra dR/dE_R per channel (the paper's Fig. 3): SM solid, SM + NSI dashed, same colour.

    Args:
        energy_keV: (n_E,) recoil energies [keV].
        components: (3, n_channels, n_E) SM, LIN and QUAD parts of dR/dE_R [events / (t·yr·keV)]
            (:func:`cevns_stats.physics.rates.rate_components`).
        channels: the n_channels flux channels (names, families).
        target_name: detector target for the title.
        model: the NSI model whose ``epsilon`` and ``name`` are drawn, or None for the SM only.
        window_keV: (low, high) analysis window in *reconstructed* energy [keV], shaded and labelled as
            such (the abscissa is the true energy), or None (default) for no window.
        resolution: relative resolution r (σ = r·E) named in the window's legend entry; defaults to 0.
    """
    energy, comps = np.asarray(energy_keV), np.asarray(components)
    with style():
        fig = _draw_recoil_spectra(energy, comps, channels, target_name, model, window_keV, resolution)
        fig.tight_layout()
        return fig


def _window_label(window_keV: tuple[float, float], resolution: float) -> str:
    """Legend text of the shaded window: it is in reconstructed energy, the abscissa is not."""
    low, high = window_keV
    text = f"analysis window {low:.3g}–{high:.4g} keV\nin reconstructed energy"
    if resolution > 0:
        return f"{text};\nsmearing (σ = {resolution:g}·E) moves\nevents across its edges"
    return f"{text}\n(no smearing: equal to true energy)"


def _visible(sm: np.ndarray, floor: float) -> bool:
    return bool(np.any(sm > floor))


def _draw_recoil_spectra(energy, comps, channels, target_name, model, window_keV, resolution):
    fig, ax = new_figure(figsize=(10, 6))
    total = comps[0].sum(axis=0)
    floor = max(total.max() * 1e-10, 1e-12)
    eps = model.epsilon if model is not None else 0.0
    hidden = []
    for i, ch in enumerate(channels):
        sm = comps[0, i]
        if not _visible(sm, floor):
            hidden.append(ch.label)
            continue
        colour = channel_style(ch, i)["color"]
        ax.plot(energy, sm, color=colour, lw=1.5, label=ch.label)
        if model is not None:
            nsi = np.clip(sm + eps * comps[1, i] + eps**2 * comps[2, i], 0, None)
            ax.plot(energy, nsi, color=colour, ls="--", lw=1.2)
    ax.plot(energy, total, color="k", lw=2.5, label="total, SM")
    if model is not None:
        with_nsi = total + eps * comps[1].sum(0) + eps**2 * comps[2].sum(0)
        ax.plot(energy, with_nsi, color="k", lw=2.5, ls="--", label=f"total, {model_label(model)}")
        ax.plot([], [], color="grey", ls="--", lw=1.2, label="dashed: each channel with NSI")
    if window_keV is not None:
        shade = {"color": "0.5", "alpha": 0.15, "lw": 0, "zorder": 0}
        ax.axvspan(*window_keV, label=_window_label(window_keV, resolution), **shade)
    if hidden:  # said in the legend, where it hides no curve
        names = ", ".join(dict.fromkeys(label.split(" ")[0] for label in hidden))
        ax.plot([], [], ls="none", label=f"no recoils above {energy[0]:g} keV:\n{names}")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel=r"Nuclear recoil energy $E_R$ [keV]",
        ylabel=r"$dR/dE_R$ [t$^{-1}$ yr$^{-1}$ keV$^{-1}$]",
        title=f"CEvNS recoil spectra in {target_name} (true energy, before efficiency)",
        ylim=(floor, total.max() * 5),
        xlim=(energy[0], energy[-1]),
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


def plot_fluxes(channels):
    """Neutrino fluxes dΦ/dE_ν with ±1σ bands; lines as vertical bars of height Φ (the paper's Fig. 2).

    Colour per channel, line style per family (solar solid, atmospheric dashed, DSNB dotted, reactor
    dash-dotted, geo dash-dot-dotted); the legend sits beside the axes, grouped by family.
    """
    with style():
        return _draw_fluxes(channels)


def _draw_fluxes(channels):
    fig, ax = new_figure(figsize=(10, 6))
    for i, ch in enumerate(channels):
        line_style = channel_style(ch, i)
        colour = line_style["color"]
        if ch.is_line:
            for energy, branching in ch.lines:
                flux = ch.total_flux_cm2_s * branching
                ax.vlines(energy, 1e-30, flux, color=colour, lw=2, label=f"{ch.label} (line)")
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
        ax.plot(energy, spec, lw=1.6, label=ch.label, **line_style)
        ax.fill_between(
            energy, spec * (1 - ch.uncertainty), spec * (1 + ch.uncertainty), color=colour, alpha=0.2, lw=0
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel=r"Neutrino energy $E_\nu$ [MeV]",
        ylabel=r"$d\Phi/dE_\nu$ [cm$^{-2}$ s$^{-1}$ MeV$^{-1}$]; lines: $\Phi$ [cm$^{-2}$ s$^{-1}$]",
        xlim=(0.1, 1000.0),
        ylim=(1e-4, 1e13),
        title=r"Neutrino fluxes at the detector with $\pm 1\sigma$ bands",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
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
        colour = colormaps["viridis"](i / max(len(tanh_curves) - 1, 1) * 0.9)
        ax.plot(energy, curve, color=colour, label=rf"tanh, $E_\mathrm{{th}}$ = {threshold:g} keV")
    ax.plot(energy, lz_curve, color="k", lw=2, label="LZ WS2022 (our parametrisation)")
    if reference_table is not None:
        ax.plot(reference_table[:, 0], reference_table[:, 1], "ko", ms=3, label="LZ WS2022 table")
    ax.set(
        xlabel=r"Nuclear recoil energy $E_R$ [keV]",
        ylabel="Nuclear-recoil detection efficiency",
        xlim=(0, 40),
        ylim=(0, 1.05),
        title="Nuclear-recoil efficiency",
    )
    ax.legend(fontsize=9)
    return fig


def __dir__() -> list[str]:
    return __all__
