"""Targets as isotope mixtures and the Helm form factor (PHYSICS.md §2–3).

Natural abundances (atom fractions) are from the IUPAC 2013 table of isotopic compositions
(Meija et al., Pure Appl. Chem. 88 (2016) 293); they are converted to **mass fractions**, which weight
the rates (PHYSICS.md §2). Isotopes below 0.01 % abundance are dropped and the rest renormalised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.physics import constants as c

__all__ = [
    "TARGETS",
    "Isotope",
    "Target",
    "get_target",
    "helm_form_factor",
    "helm_radius_fm",
    "helm_zero_recoil_keV",
    "max_recoil_energy_keV",
    "min_neutrino_energy_MeV",
    "momentum_transfer_fm_inv",
    "single_isotope",
]


@dataclass(frozen=True)
class Isotope:
    """One nuclide in a target.

    Attributes:
        A: mass number.
        Z: proton number.
        mass_fraction: fraction of the target mass in this isotope (sums to 1 over a target).
    """

    A: int
    Z: int
    mass_fraction: float

    @property
    def N(self) -> int:
        """Neutron number."""
        return self.A - self.Z

    @property
    def mass_GeV(self) -> float:
        """Nuclear mass m_N = A·u [GeV] (PHYSICS.md §2)."""
        return self.A * c.ATOMIC_MASS_UNIT_GeV

    @property
    def nuclei_per_tonne(self) -> float:
        """N_T = w · 10⁶ g · N_A / (A g/mol): nuclei of this isotope per tonne of target."""
        return self.mass_fraction * c.GRAMS_PER_TONNE * c.AVOGADRO_per_mol / self.A

    @property
    def weak_charge(self) -> float:
        """SM weak charge Q_W = N − (1 − 4 sin²θ_W) Z (PHYSICS.md §3)."""
        return self.N - (1.0 - 4.0 * c.SIN2_THETA_W) * self.Z


@dataclass(frozen=True)
class Target:
    """A detector material: a name and its isotopes (mass fractions summing to 1)."""

    name: str
    symbol: str
    isotopes: tuple[Isotope, ...]

    @property
    def Z(self) -> int:
        return self.isotopes[0].Z

    @property
    def mean_A(self) -> float:
        """Mass-fraction-weighted mean mass number."""
        return float(sum(i.mass_fraction * i.A for i in self.isotopes))


# Natural isotopic compositions: symbol -> (Z, {A: atom fraction}) (IUPAC 2013).
_NATURAL_ABUNDANCE = {
    "Xe": (
        54,
        {
            124: 0.000952,
            126: 0.000890,
            128: 0.019102,
            129: 0.264006,
            130: 0.040710,
            131: 0.212324,
            132: 0.269086,
            134: 0.104357,
            136: 0.088573,
        },
    ),
    "Ar": (18, {36: 0.003336, 38: 0.000629, 40: 0.996035}),
    "Pb": (82, {204: 0.014, 206: 0.241, 207: 0.221, 208: 0.524}),
    "Ge": (32, {70: 0.2057, 72: 0.2745, 73: 0.0775, 74: 0.3650, 76: 0.0773}),
    "Si": (14, {28: 0.92223, 29: 0.04685, 30: 0.03092}),
    "Na": (11, {23: 1.0}),
    "I": (53, {127: 1.0}),
    "Cs": (55, {133: 1.0}),
    "F": (9, {19: 1.0}),
    "O": (8, {16: 0.99757, 17: 0.00038, 18: 0.00205}),
}
_NAMES = {
    "Xe": "xenon",
    "Ar": "argon",
    "Pb": "lead",
    "Ge": "germanium",
    "Si": "silicon",
    "Na": "sodium",
    "I": "iodine",
    "Cs": "caesium",
    "F": "fluorine",
    "O": "oxygen",
}


def _natural_target(symbol: str) -> Target:
    Z, atom_fractions = _NATURAL_ABUNDANCE[symbol]
    kept = {A: f for A, f in atom_fractions.items() if f >= 1e-4}
    mass_weight = {A: f * A for A, f in kept.items()}
    total = sum(mass_weight.values())
    isotopes = tuple(Isotope(A, Z, w / total) for A, w in sorted(mass_weight.items()))
    return Target(_NAMES[symbol], symbol, isotopes)


#: Natural targets by lower-case name (``xenon``) and by symbol (``Xe``).
TARGETS: dict[str, Target] = {}
for _symbol in _NATURAL_ABUNDANCE:
    _t = _natural_target(_symbol)
    TARGETS[_t.name] = _t
    TARGETS[_symbol.lower()] = _t


def single_isotope(A: int, Z: int, *, name: str | None = None) -> Target:
    """A target made of one isotope (e.g. the paper's Table 1: A=130, Z=54 for Xe)."""
    if not (isinstance(A, int) and isinstance(Z, int) and 0 < Z < A):
        msg = f"single isotope needs integers 0 < Z < A, got A={A!r}, Z={Z!r}"
        raise InvalidInput(msg)
    return Target(name or f"A{A}Z{Z}", f"A{A}", (Isotope(A, Z, 1.0),))


def get_target(name: str) -> Target:
    """Look up a target by name (``xenon``), symbol (``Xe``) or single isotope (``Xe130``, ``A130Z54``).

    Raises:
        UnknownName: if the name is not a known target.
    """
    key = name.strip().lower()
    if key in TARGETS:
        return TARGETS[key]
    for symbol, (Z, abundances) in _NATURAL_ABUNDANCE.items():
        prefix = symbol.lower()
        if key.startswith(prefix) and key[len(prefix) :].isdigit() and int(key[len(prefix) :]) in abundances:
            return single_isotope(int(key[len(prefix) :]), Z, name=f"{symbol}{key[len(prefix) :]}")
    if key.startswith("a") and "z" in key:
        a_text, _, z_text = key[1:].partition("z")
        if a_text.isdigit() and z_text.isdigit():
            return single_isotope(int(a_text), int(z_text))
    allowed = sorted({t.name for t in TARGETS.values()})
    msg = f"unknown target {name!r}; allowed: {', '.join(allowed)}, a symbol such as 'Xe', or an isotope such as 'Xe130'"
    raise UnknownName(msg)


def momentum_transfer_fm_inv(recoil_energy_keV, mass_GeV: float) -> np.ndarray:
    """q = sqrt(2 m_N E_R) in fm⁻¹ (PHYSICS.md §2). Shape follows ``recoil_energy_keV``."""
    recoil_GeV = np.asarray(recoil_energy_keV, dtype=float) / c.KEV_PER_GEV
    return np.sqrt(2.0 * mass_GeV * recoil_GeV) / c.HBARC_GeV_fm


def helm_radius_fm(A: int) -> float:
    """Helm radius r_n = sqrt(c² + (7/3)π²a² − 5s²) [fm], c = 1.23 A^{1/3} − 0.60 fm (PHYSICS.md §3).

    Example:
        >>> round(helm_radius_fm(132), 2)
        5.85
    """
    c_fm = c.HELM_C_SLOPE_FM * A ** (1.0 / 3.0) - c.HELM_C_OFFSET_FM
    return float(np.sqrt(c_fm**2 + (7.0 / 3.0) * np.pi**2 * c.HELM_A_FM**2 - 5.0 * c.HELM_S_FM**2))


#: The first roots of tan x = x (x > 0): the zeros of the spherical Bessel j₁ and of the Helm form factor.
_J1_ZEROS = (4.493409457909064, 7.725251836937707, 10.904121659428899)


def helm_zero_recoil_keV(isotope: Isotope, order: int = 1) -> float:
    """Recoil energy [keV] of the ``order``-th zero of the Helm form factor (q r_n = order-th root of tan x = x).

    Example:
        >>> 90 < helm_zero_recoil_keV(Isotope(132, 54, 1.0)) < 100
        True
    """
    q_GeV = _J1_ZEROS[order - 1] / helm_radius_fm(isotope.A) * c.HBARC_GeV_fm
    return float(q_GeV**2 / (2.0 * isotope.mass_GeV) * c.KEV_PER_GEV)


def helm_form_factor(q_fm_inv, A: int) -> np.ndarray:
    """Helm form factor F(q) (Lewin & Smith 1996; PHYSICS.md §3), normalised to F(0) = 1.

    Args:
        q_fm_inv: momentum transfer [fm⁻¹], any shape.
        A: mass number.

    Returns:
        F(q), same shape as ``q_fm_inv``. A series expansion is used for q r_n < 1e-3.

    Example:
        >>> float(helm_form_factor(0.0, 132))
        1.0
    """
    q = np.asarray(q_fm_inv, dtype=float)
    x = q * helm_radius_fm(A)
    small = np.abs(x) < 1e-3
    xs = np.where(small, 1.0, x)
    j1_term = 3.0 * (np.sin(xs) - xs * np.cos(xs)) / xs**3
    series = 1.0 - x**2 / 10.0 + x**4 / 280.0
    return np.where(small, series, j1_term) * np.exp(-(q**2) * c.HELM_S_FM**2 / 2.0)


def max_recoil_energy_keV(neutrino_energy_MeV, mass_GeV: float) -> np.ndarray:
    """E_R^max = 2E_ν² / (m_N + 2E_ν) [keV] (PHYSICS.md §2)."""
    e_GeV = np.asarray(neutrino_energy_MeV, dtype=float) / c.MEV_PER_GEV
    return 2.0 * e_GeV**2 / (mass_GeV + 2.0 * e_GeV) * c.KEV_PER_GEV


def min_neutrino_energy_MeV(recoil_energy_keV, mass_GeV: float) -> np.ndarray:
    """E_ν^min = [E_R + sqrt(E_R² + 2 m_N E_R)] / 2 [MeV] (PHYSICS.md §2)."""
    er_GeV = np.asarray(recoil_energy_keV, dtype=float) / c.KEV_PER_GEV
    return 0.5 * (er_GeV + np.sqrt(er_GeV**2 + 2.0 * mass_GeV * er_GeV)) * c.MEV_PER_GEV


def __dir__() -> list[str]:
    return __all__
