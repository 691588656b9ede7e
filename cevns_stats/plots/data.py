"""Numbers for the physics figures (the preparation half of cabinetry's ``visualize`` split).

These functions compute; the drawing functions in :mod:`cevns_stats.plots.spectra` only draw what they get.
"""

from __future__ import annotations

import numpy as np

from cevns_stats.detector.efficiency import LZ_WS2022_EFFICIENCY, tanh_efficiency
from cevns_stats.physics.rates import rate_components, unit_rates

__all__ = ["EFFICIENCY_ENERGY_keV", "SPECTRUM_ENERGY_keV", "efficiency_data", "recoil_spectrum_data"]

SPECTRUM_ENERGY_keV = np.geomspace(0.1, 1000.0, 400)  # Fig. 3 abscissa [keV]
EFFICIENCY_ENERGY_keV = np.linspace(0.0, 40.0, 801)  # Fig. 1 abscissa [keV]


def recoil_spectrum_data(detector, channels, model=None, energy_keV=SPECTRUM_ENERGY_keV) -> dict:
    """Keyword arguments of :func:`~cevns_stats.plots.spectra.plot_recoil_spectra` for one detector.

    Returns:
        dict with energy_keV (n_E,), components (3, n_channels, n_E) [events / (t·yr·keV)], channels,
        target_name and model.
    """
    energy = np.asarray(energy_keV, dtype=float)
    components = rate_components(unit_rates(detector.target, channels, energy), model)
    return {
        "energy_keV": energy,
        "components": components,
        "channels": channels,
        "target_name": detector.target.name,
        "model": model,
    }


def efficiency_data(thresholds_keV, energy_keV=EFFICIENCY_ENERGY_keV) -> dict:
    """Keyword arguments of :func:`~cevns_stats.plots.spectra.plot_efficiency`: tanh curves and LZ's."""
    energy = np.asarray(energy_keV, dtype=float)
    return {
        "energy_keV": energy,
        "tanh_curves": {t: tanh_efficiency(t)(energy) for t in thresholds_keV},
        "lz_curve": LZ_WS2022_EFFICIENCY(energy),
    }


def __dir__() -> list[str]:
    return __all__
