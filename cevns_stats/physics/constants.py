"""Physical constants and unit conversions (PHYSICS.md §1) — the only place they live.

Natural units: energies and masses in GeV unless a name says otherwise (``_MeV``, ``_keV``).
"""

from __future__ import annotations

import math

__all__ = [
    "FINE_STRUCTURE",
    "GN_V",
    "GP_V",
    "GRAMS_PER_TONNE",
    "HELM_A_FM",
    "HELM_C_OFFSET_FM",
    "HELM_C_SLOPE_FM",
    "HELM_S_FM",
    "KEV_PER_GEV",
    "MEV_PER_GEV",
    "MSW_BETA_COEFFICIENT",
    "OSCILLATION_DEFAULTS",
    "SCALAR_FORM_FACTORS",
    "SECONDS_PER_YEAR",
    "SIN2_THETA_W",
    "ATOMIC_MASS_UNIT_GeV",
    "AVOGADRO_per_mol",
    "ELECTRON_MASS_MeV",
    "FERMI_CONSTANT_GeV2",
    "HBARC2_GeV2_cm2",
    "HBARC_GeV_fm",
    "NEUTRON_MASS_GeV",
    "PROTON_MASS_GeV",
    "QUARK_MASS_GeV",
]

FERMI_CONSTANT_GeV2 = 1.1663788e-5  # G_F [GeV^-2], PDG 2022
SIN2_THETA_W = 0.23857  # low-energy MS-bar sin^2(theta_W), PDG 2022
ATOMIC_MASS_UNIT_GeV = 0.93149410  # CODATA
HBARC_GeV_fm = 0.1973269804  # hbar c [GeV fm], CODATA
HBARC2_GeV2_cm2 = 0.3893794e-27  # (hbar c)^2 [GeV^2 cm^2], CODATA
PROTON_MASS_GeV = 0.93827209  # CODATA
NEUTRON_MASS_GeV = 0.93956542  # CODATA
ELECTRON_MASS_MeV = 0.51099895  # CODATA
FINE_STRUCTURE = 1.0 / 137.035999084  # CODATA

#: MS-bar quark masses at 2 GeV [GeV], PDG 2022.
QUARK_MASS_GeV = {"u": 2.16e-3, "d": 4.67e-3, "s": 93.4e-3}

#: Scalar nucleon form factors f_Tq (Hoferichter et al. 2015), per nucleon and quark.
SCALAR_FORM_FACTORS = {
    "p": {"u": 0.0208, "d": 0.0411, "s": 0.043},
    "n": {"u": 0.0189, "d": 0.0451, "s": 0.043},
}

AVOGADRO_per_mol = 6.02214076e23
SECONDS_PER_YEAR = 365.25 * 86400.0
GRAMS_PER_TONNE = 1.0e6
KEV_PER_GEV = 1.0e6
MEV_PER_GEV = 1.0e3

#: Helm form factor parameters (Lewin & Smith 1996) [fm].
HELM_A_FM = 0.52
HELM_S_FM = 0.9
HELM_C_SLOPE_FM = 1.23
HELM_C_OFFSET_FM = 0.60

#: SM vector couplings to nucleons (PHYSICS.md §3).
GP_V = 0.5 - 2.0 * SIN2_THETA_W
GN_V = -0.5

#: NuFIT 5.2, normal ordering, without SK-atm (PHYSICS.md §1). Angles in degrees, splittings in eV^2.
OSCILLATION_DEFAULTS = {
    "theta12_deg": 33.41,
    "theta13_deg": 8.54,
    "theta23_deg": 49.1,
    "delta_cp_deg": 197.0,
    "dm21_eV2": 7.41e-5,
    "dm31_eV2": 2.511e-3,
}

#: beta = 2 sqrt(2) G_F n_e E / dm21^2 expressed as
#: MSW_BETA_COEFFICIENT * (n_e / N_A cm^-3) * (E / MeV) / (dm21 / eV^2)  (PHYSICS.md §8).
#: Computed from G_F, (hbar c)^3 and N_A rather than typed in: 2 sqrt(2) G_F N_A (hbar c)^3 * 1e-3 GeV/MeV.
MSW_BETA_COEFFICIENT = (
    2.0 * math.sqrt(2.0) * FERMI_CONSTANT_GeV2 * AVOGADRO_per_mol * (HBARC_GeV_fm * 1e-13) ** 3 * 1e-3 / 1e-18
)


def __dir__() -> list[str]:
    return __all__
