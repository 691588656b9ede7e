"""Spin-independent WIMP recoil spectrum in the standard halo model (PHYSICS.md §11).

The differential rate per unit target mass (Lewin & Smith, Astropart. Phys. 6 (1996) 87, Eq. 3.1;
Savage, Freese & Gondolo, PRD 74 (2006) 043531, Eq. 10) is

    dR/dE_R = Σ_isotopes N_T · ρ/m_χ · σ_N m_N / (2 μ_N²) · F²(q) · c² η(v_min),

with v_min = sqrt(m_N E_R / (2 μ_N²)) · c, the isospin-conserving nuclear cross section
σ_N = σ_n A² μ_N²/μ_n², the Helm form factor F (``cevns_stats.physics.nuclei.helm_form_factor``) and the mean
inverse speed η(v_min) = ∫_{v>v_min} f(v)/v d³v of a Maxwellian truncated at v_esc in the galactic
frame, boosted by the Earth's speed v_E (closed form: Savage et al. 2006, Eqs. B3–B4; McCabe,
PRD 82 (2010) 023530, Eq. 4). Isotopes are weighted by mass fraction through N_T (nuclei per tonne).

The halo defaults are the experiment conventions LZ used for WS2022 (Baxter et al., EPJC 81 (2021)
907; PHYSICS.md §11): v₀ = 238 km/s, v_esc = 544 km/s, v_E = 250 km/s, ρ = 0.3 GeV/cm³.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import erf

from cevns_stats.errors import InvalidInput
from cevns_stats.physics import constants as c
from cevns_stats.physics.nuclei import Target, helm_form_factor, momentum_transfer_fm_inv

__all__ = [
    "SHM_LZ_WS2022",
    "SPEED_OF_LIGHT_km_s",
    "StandardHalo",
    "max_wimp_recoil_energy_keV",
    "mean_inverse_speed_s_km",
    "minimum_speed_km_s",
    "wimp_differential_rate",
]

#: Speed of light [km/s], exact (SI definition). Not yet in constants.py — candidate to move there.
SPEED_OF_LIGHT_km_s = 299792.458


@dataclass(frozen=True)
class StandardHalo:
    """Standard halo model: a Maxwellian truncated at v_esc, seen from the Earth.

    Attributes:
        v0_km_s: most probable speed v₀ [km/s].
        v_esc_km_s: galactic escape speed [km/s].
        v_earth_km_s: Earth's speed in the galactic rest frame [km/s].
        density_GeV_cm3: local dark-matter density ρ [GeV/cm³].
    """

    v0_km_s: float = 238.0  # Baxter et al. 2021 (LZ WS2022 convention)
    v_esc_km_s: float = 544.0  # Baxter et al. 2021 (RAVE, Smith et al. 2007)
    v_earth_km_s: float = 250.0  # PHYSICS.md §11: v_E ≈ 250 km/s (Baxter et al. 2021, time-averaged)
    density_GeV_cm3: float = 0.3  # Baxter et al. 2021 (LZ WS2022 convention)

    def __post_init__(self) -> None:
        values = (self.v0_km_s, self.v_esc_km_s, self.v_earth_km_s, self.density_GeV_cm3)
        if not all(np.isfinite(v) and v > 0 for v in values):
            msg = f"halo parameters must be finite and > 0, got {self}"
            raise InvalidInput(msg)
        if self.v_earth_km_s >= self.v_esc_km_s:
            msg = f"v_earth_km_s ({self.v_earth_km_s}) must be below v_esc_km_s ({self.v_esc_km_s})"
            raise InvalidInput(msg)


#: The standard halo of LZ WS2022 (PHYSICS.md §11).
SHM_LZ_WS2022 = StandardHalo()


def mean_inverse_speed_s_km(v_min_km_s: ArrayLike, halo: StandardHalo = SHM_LZ_WS2022) -> np.ndarray:
    """Mean inverse speed η(v_min) = ∫_{v>v_min} f(v)/v d³v of the truncated, boosted Maxwellian.

    Closed form of Savage et al. 2006 (Eqs. B3–B4), with x = v_min/v₀, y = v_E/v₀, z = v_esc/v₀ and
    N_esc = erf z − 2z e^{−z²}/√π.

    Args:
        v_min_km_s: minimum WIMP speed [km/s], any shape, ≥ 0.
        halo: the halo model.

    Returns:
        η [s/km], same shape as ``v_min_km_s``; zero for v_min ≥ v_esc + v_E.

    Example:
        >>> float(mean_inverse_speed_s_km(1000.0))
        0.0
    """
    x = np.asarray(v_min_km_s, dtype=float) / halo.v0_km_s
    y = halo.v_earth_km_s / halo.v0_km_s
    z = halo.v_esc_km_s / halo.v0_km_s
    exp_z2 = np.exp(-(z**2))
    n_esc = erf(z) - 2.0 * z * exp_z2 / np.sqrt(np.pi)
    low = erf(x + y) - erf(x - y) - 4.0 * y * exp_z2 / np.sqrt(np.pi)
    mid = erf(z) - erf(x - y) - 2.0 * (z + y - x) * exp_z2 / np.sqrt(np.pi)
    bracket = np.where(x < z - y, low, np.where(x < z + y, mid, 0.0))
    return bracket / (2.0 * n_esc * halo.v0_km_s * y)


def _reduced_mass_GeV(m1_GeV: float, m2_GeV: float) -> float:
    return m1_GeV * m2_GeV / (m1_GeV + m2_GeV)


def minimum_speed_km_s(recoil_energy_keV: ArrayLike, mass_GeV: float, nucleus_mass_GeV: float) -> np.ndarray:
    """v_min = sqrt(m_N E_R / (2 μ_N²)) [km/s]: the slowest WIMP that can give recoil E_R."""
    recoil_GeV = np.asarray(recoil_energy_keV, dtype=float) / c.KEV_PER_GEV
    mu_GeV = _reduced_mass_GeV(mass_GeV, nucleus_mass_GeV)
    return np.sqrt(nucleus_mass_GeV * recoil_GeV / 2.0) / mu_GeV * SPEED_OF_LIGHT_km_s


def max_wimp_recoil_energy_keV(
    mass_GeV: float, nucleus_mass_GeV: float, halo: StandardHalo = SHM_LZ_WS2022
) -> float:
    """Kinematic endpoint E_max = 2 μ_N² (v_esc + v_E)² / m_N [keV]."""
    beta = (halo.v_esc_km_s + halo.v_earth_km_s) / SPEED_OF_LIGHT_km_s
    mu_GeV = _reduced_mass_GeV(mass_GeV, nucleus_mass_GeV)
    return 2.0 * mu_GeV**2 * beta**2 / nucleus_mass_GeV * c.KEV_PER_GEV


def _check_wimp_inputs(recoil_energy_keV: ArrayLike, mass_GeV: float, cross_section_cm2: float) -> np.ndarray:
    energy = np.asarray(recoil_energy_keV, dtype=float)
    if not np.all(np.isfinite(energy)) or np.any(energy < 0):
        msg = "recoil_energy_keV must be finite and >= 0"
        raise InvalidInput(msg)
    if not (np.isfinite(mass_GeV) and mass_GeV > 0):
        msg = f"WIMP mass_GeV must be finite and > 0, got {mass_GeV!r}"
        raise InvalidInput(msg)
    if not (np.isfinite(cross_section_cm2) and cross_section_cm2 >= 0):
        msg = f"cross_section_cm2 must be finite and >= 0, got {cross_section_cm2!r}"
        raise InvalidInput(msg)
    return energy


def wimp_differential_rate(
    recoil_energy_keV: ArrayLike,
    mass_GeV: float,
    cross_section_cm2: float,
    target: Target,
    *,
    halo: StandardHalo = SHM_LZ_WS2022,
) -> np.ndarray:
    """Spin-independent WIMP rate dR/dE_R [events / (tonne · year · keV)], summed over isotopes.

    Args:
        recoil_energy_keV: nuclear-recoil energy [keVnr], any shape, ≥ 0.
        mass_GeV: WIMP mass m_χ [GeV].
        cross_section_cm2: WIMP–nucleon SI cross section σ_n [cm²] (isospin conserving).
        target: the target (``cevns_stats.physics.nuclei.Target``); isotopes weighted by mass fraction.
        halo: the halo model (defaults to LZ's WS2022 conventions).

    Returns:
        dR/dE_R, same shape as ``recoil_energy_keV``; zero above the kinematic endpoint.

    Raises:
        InvalidInput: for negative or non-finite energies, mass or cross section.

    Example:
        >>> from cevns_stats.physics.nuclei import get_target
        >>> r = wimp_differential_rate([5.0, 500.0], 30.0, 1e-46, get_target("xenon"))
        >>> bool(r[0] > 0 and r[1] == 0)
        True
    """
    energy = _check_wimp_inputs(recoil_energy_keV, mass_GeV, cross_section_cm2)
    mu_n_GeV = _reduced_mass_GeV(mass_GeV, c.PROTON_MASS_GeV)
    total = np.zeros_like(energy)
    for isotope in target.isotopes:
        m_nucleus = isotope.mass_GeV
        mu_GeV = _reduced_mass_GeV(mass_GeV, m_nucleus)
        sigma_nucleus_cm2 = cross_section_cm2 * isotope.A**2 * (mu_GeV / mu_n_GeV) ** 2
        form2 = helm_form_factor(momentum_transfer_fm_inv(energy, m_nucleus), isotope.A) ** 2
        eta_s_km = mean_inverse_speed_s_km(minimum_speed_km_s(energy, mass_GeV, m_nucleus), halo)
        # c² η in km/s; (m_N / 2μ²) in GeV⁻¹ -> keV⁻¹; ×1e5 converts km/s to cm/s.
        per_nucleus_s_keV = (
            halo.density_GeV_cm3
            / mass_GeV
            * sigma_nucleus_cm2
            * m_nucleus
            / (2.0 * mu_GeV**2)
            / c.KEV_PER_GEV
            * SPEED_OF_LIGHT_km_s**2
            * eta_s_km
            * 1.0e5
        )
        total = total + isotope.nuclei_per_tonne * per_nucleus_s_keV * form2
    return total * c.SECONDS_PER_YEAR


def __dir__() -> list[str]:
    return __all__
