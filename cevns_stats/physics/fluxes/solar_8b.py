"""The solar ⁸B neutrino spectrum: the project's own fit to Winter et al. 2006 (PHYSICS.md §7).

⁸B decays (β⁺) to the broad 2⁺ state of ⁸Be at ≈ 3 MeV (width ≈ 1.5 MeV), so the neutrino spectrum
is *not* an allowed β shape: its endpoint is smeared over the ⁸Be final-state energy. The shape used
here is a compact allowed-like form with a softened edge,

    dN/dE_ν ∝ E_ν^s · [w ln(1 + exp((E_e − E_ν)/w))]^p · exp(k E_ν),   0 ≤ E_ν < E_end,

i.e. the phase-space factor (E_e − E_ν)^p of an allowed decay with its edge E_e smoothed over a width
w by a softplus, a power s at low energy and an exponential tilt k: five coefficients, fitted by
``scripts/fit_flux_parametrisations.py`` to the Winter et al., PRC 73 (2006) 025503 table, and
normalised numerically (∫ = 1 over ``B8_ENERGY_RANGE_MeV``) once at import.

Fit objective: log residuals weighted by the CEvNS yield of each table point, y(E)·E²/(1 + (E/50 MeV)²)
≈ y(E)·E² here (the coherent cross section grows as E_ν² below the nuclear form-factor scale), so the
high-energy part that makes recoils above a few keV drives the fit.

Accuracy (checked in ``tests/test_flux_parametrisations.py``): pointwise within ≈ 1 % of the table
over 0.5–13.5 MeV (−5 % at 0.3 MeV, −15 % at 0.1 MeV, irrelevant for recoils). The CEvNS rate above
threshold agrees with the table's to 0.07 % or better for natural Xe, Ar and Pb at every
E_th = 0.5, 1, …, 5 keV where that rate is ≥ 1 % of its value at 0.5 keV (Xe to 2 keV, Pb to 1 keV,
Ar everywhere; max deviation 0.068 %, Xe at 2 keV). The older Bahcall et al. 1996 shape differs from
Winter's by 2–7 % on the same grid, so the check can tell the two apart.

Near the endpoint: the table is truncated to zero above 15.2 MeV (its last non-zero entry,
4.7e-5 MeV⁻¹, is where its 3-digit rounding runs out), whereas the true spectrum has a tail up to the
kinematic limit. The fit continues the tail smoothly: it is 1.5–3 % above the table at 14–14.5 MeV,
9–14 % below it at 15.0–15.2 MeV, carries 1e-5 of the spectrum above 15.2 MeV (where the table has
nothing), and is cut to exactly zero at ``B8_ENDPOINT_MeV``, the ⁸B → ⁸Be(g.s.) β⁺ endpoint, where it
has fallen to 1.2e-7 of its peak. Only recoils that need E_ν ≳ 14 MeV feel this: the rate deviation
grows beyond the tested grid (Xe: +0.4 % at 2.5 keV, +4 % at 3 keV, +70 % at 3.5 keV; Pb: +9 % at
2 keV), where the ⁸B rate is ≤ 2e-3 of its 0.5 keV value and the table's truncation, not the
physics, sets the reference.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate

from cevns_stats.physics.constants import ELECTRON_MASS_MeV

__all__ = [
    "B8_EDGE_POWER",
    "B8_LOW_ENERGY_POWER",
    "B8_EDGE_MeV",
    "B8_EDGE_WIDTH_MeV",
    "B8_ENDPOINT_MeV",
    "B8_ENERGY_RANGE_MeV",
    "B8_SLOPE_per_MeV",
    "b8_shape_per_MeV",
    "b8_unnormalised_shape",
]

#: Q_EC(⁸B → ⁸Be g.s.) [MeV], AME2020 (Wang et al., Chin. Phys. C 45 (2021) 030003). Not in constants.py:
#: used only to place the hard end of the ⁸B support.
_B8_Q_EC_MeV = 17.9798
#: Largest possible ⁸B neutrino energy, β⁺ to the ⁸Be ground state: Q_EC − 2 m_e [MeV].
B8_ENDPOINT_MeV = _B8_Q_EC_MeV - 2.0 * ELECTRON_MASS_MeV
#: Support of ``b8_shape_per_MeV`` [MeV]: (min, max).
B8_ENERGY_RANGE_MeV = (0.0, B8_ENDPOINT_MeV)

# Fitted coefficients (scripts/fit_flux_parametrisations.py, Winter et al. 2006 table).
#: Position of the smoothed allowed-β edge E_e [MeV].
B8_EDGE_MeV = 14.5797
#: Softplus width w of the edge [MeV] (the ⁸Be final-state smearing).
B8_EDGE_WIDTH_MeV = 0.472388
#: Phase-space power p of (E_e − E_ν).
B8_EDGE_POWER = 2.22844
#: Low-energy power s of E_ν.
B8_LOW_ENERGY_POWER = 1.92381
#: Exponential tilt k [MeV⁻¹].
B8_SLOPE_per_MeV = -0.0224658


def b8_unnormalised_shape(
    energy_MeV,
    edge_MeV: float,
    edge_width_MeV: float,
    edge_power: float,
    low_energy_power: float,
    slope_per_MeV: float,
) -> np.ndarray:
    """The ⁸B functional form with explicit coefficients, unnormalised (the fit script uses it).

    Args:
        energy_MeV: neutrino energy [MeV], any shape; must be ≥ 0.
        edge_MeV, edge_width_MeV, edge_power, low_energy_power, slope_per_MeV: see the module docstring.

    Returns:
        E^s · [w ln(1 + e^{(E_e − E)/w})]^p · e^{kE}, same shape as ``energy_MeV`` (no support cut).
    """
    e = np.asarray(energy_MeV, dtype=float)
    softened = edge_width_MeV * np.logaddexp(0.0, (edge_MeV - e) / edge_width_MeV)
    return e**low_energy_power * softened**edge_power * np.exp(slope_per_MeV * e)


def _fitted_shape(energy_MeV) -> np.ndarray:
    return b8_unnormalised_shape(
        energy_MeV, B8_EDGE_MeV, B8_EDGE_WIDTH_MeV, B8_EDGE_POWER, B8_LOW_ENERGY_POWER, B8_SLOPE_per_MeV
    )


_NORMALISATION = integrate.quad(
    _fitted_shape, *B8_ENERGY_RANGE_MeV, points=[B8_EDGE_MeV], limit=200, epsabs=0.0, epsrel=1e-10
)[0]


def b8_shape_per_MeV(energy_MeV) -> np.ndarray:
    """Normalised ⁸B neutrino spectrum dN/dE_ν [MeV⁻¹] (∫ = 1; PHYSICS.md §7).

    Args:
        energy_MeV: neutrino energy [MeV], any shape.

    Returns:
        dN/dE_ν [MeV⁻¹], same shape as ``energy_MeV``; zero outside ``B8_ENERGY_RANGE_MeV``.

    Example:
        >>> round(float(b8_shape_per_MeV(6.5)), 2)  # near the peak [MeV⁻¹]
        0.13
    """
    e = np.asarray(energy_MeV, dtype=float)
    low, high = B8_ENERGY_RANGE_MeV
    inside = (e >= low) & (e < high)
    return np.where(inside, _fitted_shape(np.clip(e, low, high)), 0.0) / _NORMALISATION


def __dir__() -> list[str]:
    return __all__
