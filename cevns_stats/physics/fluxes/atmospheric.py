"""Low-energy atmospheric neutrino spectra: the project's own fits to FLUKA (PHYSICS.md §7).

Each species' all-sky spectrum (FLUKA, Battistoni et al., Astropart. Phys. 23 (2005) 526; the
reference table's site is a high-geomagnetic-latitude one, PHYSICS.md §7) is parametrised as the
exponential of a quartic in x = ln(E_ν / 100 MeV),

    dN/dE_ν ∝ exp(c₁ x + c₂ x² + c₃ x³ + c₄ x⁴),   13 MeV ≤ E_ν ≤ 982 MeV,

four coefficients per species, fitted by ``scripts/fit_flux_parametrisations.py`` and normalised
numerically (∫ = 1 over ``ATMOSPHERIC_ENERGY_RANGE_MeV``) once at import. The totals
(1.841, 1.653, 3.522, 3.530 cm⁻² s⁻¹) belong to the flux catalogue, not here.

Fit objective: log residuals at every table point weighted by that point's CEvNS yield,
y(E)·E²/(1 + (E/50 MeV)²) — the coherent cross section grows as E_ν² until the nuclear form factor
saturates it (≈ 50 MeV for xenon) — so the fit targets the recoil rate rather than the far tail.

Accuracy (``tests/test_flux_parametrisations.py``): the CEvNS rate above threshold agrees with the
table's (log-log interpolated) to ≤ 0.2 % for natural Xe, Ar and Pb and every E_th = 0.5, 1, …, 5 keV,
for every species (max 0.18 %, ν_e on Pb). Pointwise the smooth form cannot follow the table's
features between 13 and 60 MeV — a bump near 30 MeV and the shoulder at the muon-decay-at-rest
endpoint (52.8 MeV) — and deviates there by up to 14 %. Over its last ≈ 25 MeV the table drops by a
factor 2–3 towards 982 MeV (an edge of the tabulation, not physics); the fit continues smoothly (+150 % at
the last point; 1.4e-3 of the spectrum above 955 MeV against the table's 0.9e-3). Below 13.18 MeV,
the first table energy, the fit extrapolates over 0.18 MeV.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate

from cevns_stats.errors import UnknownName

__all__ = [
    "ATMOSPHERIC_LOG_POLYNOMIALS",
    "ATMOSPHERIC_SPECIES",
    "ATMOSPHERIC_ENERGY_RANGE_MeV",
    "ATMOSPHERIC_PIVOT_MeV",
    "atmospheric_shape_per_MeV",
    "atmospheric_unnormalised_shape",
]

#: Species with a low-energy atmospheric spectrum (ν_τ are negligible at production).
ATMOSPHERIC_SPECIES = ("nue", "nuebar", "numu", "numubar")
#: Support [MeV]: the FLUKA tables' first and last energies (13.18, 981.75 MeV), rounded outwards.
ATMOSPHERIC_ENERGY_RANGE_MeV = (13.0, 982.0)
#: Pivot of the logarithmic variable x = ln(E / pivot) [MeV].
ATMOSPHERIC_PIVOT_MeV = 100.0

#: Fitted (c₁, c₂, c₃, c₄) of exp(Σ c_k x^k) per species (scripts/fit_flux_parametrisations.py).
ATMOSPHERIC_LOG_POLYNOMIALS = {
    "nue": (-1.12958, -0.235774, 0.0340925, -0.0301232),
    "nuebar": (-1.18505, -0.238137, 0.0418124, -0.0323766),
    "numu": (-1.11719, -0.342267, 0.0474714, -0.018483),
    "numubar": (-1.13308, -0.317415, 0.0484686, -0.0236008),
}


def atmospheric_unnormalised_shape(energy_MeV, coefficients) -> np.ndarray:
    """exp(Σ_k c_k x^k), x = ln(E / ``ATMOSPHERIC_PIVOT_MeV``), k = 1, 2, … (no support cut).

    Args:
        energy_MeV: neutrino energy [MeV], any shape, > 0.
        coefficients: (c₁, c₂, …), dimensionless.

    Returns:
        Unnormalised spectrum, same shape as ``energy_MeV``.
    """
    x = np.log(np.asarray(energy_MeV, dtype=float) / ATMOSPHERIC_PIVOT_MeV)
    return np.exp(np.polynomial.polynomial.polyval(x, (0.0, *coefficients)))


def _normalisation(coefficients) -> float:
    return integrate.quad(
        atmospheric_unnormalised_shape,
        *ATMOSPHERIC_ENERGY_RANGE_MeV,
        args=(coefficients,),
        limit=200,
        epsabs=0.0,
        epsrel=1e-10,
    )[0]


_NORMALISATIONS = {s: _normalisation(c) for s, c in ATMOSPHERIC_LOG_POLYNOMIALS.items()}


def atmospheric_shape_per_MeV(species: str, energy_MeV) -> np.ndarray:
    """Normalised atmospheric spectrum dN/dE_ν [MeV⁻¹] of one species (∫ = 1; PHYSICS.md §7).

    Args:
        species: one of ``ATMOSPHERIC_SPECIES`` ("nue", "nuebar", "numu", "numubar").
        energy_MeV: neutrino energy [MeV], any shape.

    Returns:
        dN/dE_ν [MeV⁻¹], same shape as ``energy_MeV``; zero outside ``ATMOSPHERIC_ENERGY_RANGE_MeV``.

    Raises:
        UnknownName: if ``species`` is not an atmospheric species.

    Example:
        >>> 0.004 < float(atmospheric_shape_per_MeV("numu", 50.0)) < 0.01
        True
    """
    if species not in _NORMALISATIONS:
        msg = f"unknown atmospheric species {species!r}; allowed: {', '.join(ATMOSPHERIC_SPECIES)}"
        raise UnknownName(msg)
    e = np.asarray(energy_MeV, dtype=float)
    low, high = ATMOSPHERIC_ENERGY_RANGE_MeV
    inside = (e >= low) & (e <= high)
    values = atmospheric_unnormalised_shape(np.clip(e, low, high), ATMOSPHERIC_LOG_POLYNOMIALS[species])
    return np.where(inside, values, 0.0) / _NORMALISATIONS[species]


def __dir__() -> list[str]:
    return __all__
