"""PandaX-4T solar ⁸B CEvNS recast as a two-channel counting likelihood (PRL 133, 191001 (2024), arXiv:2407.10892).

PandaX-4T published no binned release, only counts (the paper's abstract and Table I):

=====================  ===========  ========  =====================  ==========================
channel                exposure     observed  background             best-fit ⁸B (8.4e6 cm⁻²s⁻¹)
=====================  ===========  ========  =====================  ==========================
paired S1+S2           1.20 t·yr    3         2.8 ± 0.5              3.5 events
ionisation-only (US2)  1.04 t·yr    332       251 ± 32               75 events
=====================  ===========  ========  =====================  ==========================

Each is one pyhf bin (``pandax4t_paired``, ``pandax4t_us2``) with its background ``pandax4t_background``
(normsys ``pandax4t_bkg_<channel>`` = the quoted relative uncertainty, 17.9 % and 12.7 %). The SM ⁸B signal is
*anchored* to the published best fit: s_SM = N_pub · Φ_B16 / Φ_pub (2.28 and 48.8 events at 5.46×10⁶ cm⁻² s⁻¹),
so PandaX's own efficiency and quenching enter through its quoted numbers. Every other flux channel k and the
NSI parts enter as ratios of our rates with a step efficiency at the published thresholds (≈ 1.1 keVnr paired,
≈ 0.33 keVnr US2): X_k = s_SM · ∫_{E_th} dR_X,k/dE dE / ∫_{E_th} dR_SM,⁸B/dE dE, for X = SM, LIN, QUAD.

Approximation (docs/recasts.md): the published analysis fits the energy spectra and PandaX's background
components (micro-discharge, cathode, surface, …) separately; counting throws this shape information away
(the ⁸B recoils pile up at the lowest energies), so the counting significance is lower than PandaX's 2.64σ
and the best fit is pulled by the paired channel, whose 3 events sit at its background. The step efficiency
ignores the true efficiency turn-on: it is used for ratios only, in which it largely cancels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cevns_stats.errors import InvalidInput
from cevns_stats.experiments.recast_channel import RecastChannel
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import NSIModel
from cevns_stats.physics.nuclei import get_target
from cevns_stats.physics.rates import rate_components, unit_rates

__all__ = [
    "PANDAX_CHANNELS",
    "PANDAX_SIGNIFICANCE",
    "PANDAX_B8_FLUX_cm2_s",
    "PandaxCount",
    "pandax4t_channels",
    "step_rate_integrals",
]

#: PandaX-4T best-fit ⁸B flux [cm⁻² s⁻¹] and its 1σ (PRL 133, 191001).
PANDAX_B8_FLUX_cm2_s = (8.4e6, 3.1e6)
PANDAX_SIGNIFICANCE = 2.64


class PandaxCount(NamedTuple):
    """One published PandaX-4T counting channel (PRL 133, 191001, Table I / abstract)."""

    name: str
    exposure_tonne_year: float
    observed: int
    background: float
    background_uncertainty: float
    b8_events_at_best_fit: float
    threshold_keV: float


PANDAX_CHANNELS = (
    PandaxCount("paired", 1.20, 3, 2.8, 0.5, 3.5, 1.1),
    PandaxCount("us2", 1.04, 332, 251.0, 32.0, 75.0, 0.33),
)
_E_MAX_keV = 20.0
_N_NODES = 400


def step_rate_integrals(threshold_keV: float, flux_channels, model: NSIModel | None = None) -> np.ndarray:
    """∫_{E_th}^{20 keV} dR/dE dE per component and flux channel, (3, K) [events/(t·yr)] (natural xenon).

    Gauss–Legendre in ln E; ⁸B and hep recoils in xenon end below 6 keV, so 20 keV closes the integral.
    """
    x, w = np.polynomial.legendre.leggauss(_N_NODES)
    lo, hi = np.log(threshold_keV), np.log(_E_MAX_keV)
    log_e = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
    energy = np.exp(log_e)
    comps = rate_components(unit_rates(get_target("xenon"), flux_channels, energy), model)
    return np.einsum("ckn,n->ck", comps, 0.5 * (hi - lo) * w * energy)


def pandax4t_channels(
    *, model: NSIModel | None = None, flux_channels=("8B", "hep"), channel_objects=None
) -> list[RecastChannel]:
    """The two counting channels as :class:`RecastChannel` (see the module docstring).

    Args:
        model: NSI model (LIN/QUAD), ``None`` for SM only.
        flux_channels: flux channel names; must include ⁸B (the anchor).
        channel_objects: ``FluxChannel`` objects instead of names.
    """
    chans = tuple(channel_objects) if channel_objects is not None else get_channels(list(flux_channels))
    names = [ch.name for ch in chans]
    if "8B" not in names:
        msg = f"the PandaX-4T recast is anchored on the 8B channel; got flux channels {names}"
        raise InvalidInput(msg)
    b8 = chans[names.index("8B")]
    out = []
    for count in PANDAX_CHANNELS:
        integrals = step_rate_integrals(count.threshold_keV, chans, model)  # (3, K)
        anchor = count.b8_events_at_best_fit * b8.total_flux_cm2_s / PANDAX_B8_FLUX_cm2_s[0]
        signal = (anchor * integrals / integrals[0, names.index("8B")])[None, :, :, None]  # (1, 3, K, 1)
        sigma = count.background_uncertainty / count.background
        out.append(
            RecastChannel(
                name=f"pandax4t_{count.name}",
                observed=np.array([float(count.observed)]),
                backgrounds=(
                    {
                        "name": "pandax4t_background",
                        "data": [count.background],
                        "modifiers": [
                            {
                                "name": f"pandax4t_bkg_{count.name}",
                                "type": "normsys",
                                "data": {"hi": 1 + sigma, "lo": 1 - sigma},
                            }
                        ],
                    },
                ),
                flux_channels=tuple(names),
                flux_uncertainties=tuple(float(ch.uncertainty) for ch in chans),
                flux_nuisances=tuple(ch.nuisance for ch in chans),
                signal=signal,
                metadata={
                    "experiment": "PandaX-4T",
                    "channel": count.name,
                    "exposure_tonne_year": count.exposure_tonne_year,
                    "threshold_keV": count.threshold_keV,
                    "sm_8b_events_at_ssm": anchor,
                },
            )
        )
    return out


def __dir__() -> list[str]:
    return __all__
