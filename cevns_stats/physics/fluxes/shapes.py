"""Formula-based neutrino spectrum shapes (PHYSICS.md §7): β decays, DSNB, reactor, geo.

Every public ``*_spectrum`` function returns a **normalised** dN/dE_ν [MeV⁻¹] (∫ = 1 over its
support, zero outside it), vectorised over ``energy_MeV`` (any shape; the output has the same
shape). Normalisation constants are computed once per parameter set with :func:`normalise_shape`
(panelled Gauss–Legendre quadrature, relative accuracy ≲ 1e-8 for these smooth shapes) and cached.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol, cast

import numpy as np
from scipy.special import expit, exprel, gammaln, loggamma, zeta

from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.physics.constants import FINE_STRUCTURE, MEV_PER_GEV, ELECTRON_MASS_MeV, HBARC_GeV_fm

__all__ = [
    "GEO_CHAINS",
    "REACTOR_FISSION_FRACTIONS",
    "DSNB_ENERGY_RANGE_MeV",
    "GEO_ENERGY_MAX_MeV",
    "REACTOR_ENERGY_RANGE_MeV",
    "REACTOR_FIT_RANGE_MeV",
    "allowed_beta_minus_spectrum",
    "allowed_beta_plus_spectrum",
    "dsnb_spectrum",
    "geo_spectrum",
    "normalise_shape",
    "reactor_huber_mueller_spectrum",
]

Shape = Callable[[np.ndarray], np.ndarray]


class NormalisedShape(Protocol):
    """A normalised dN/dE_ν [MeV⁻¹] callable; ``norm`` is the integral of the function it normalised."""

    norm: float

    def __call__(self, energy_MeV: np.ndarray, /) -> np.ndarray: ...


# Numerical normalisation

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(16)


def _panel_edges(e_min: float, e_max: float, points: Sequence[float]) -> np.ndarray:
    """Panel edges: 128 linear + 128 logarithmic (dense near e_min) + the user's break points."""
    edges = [np.linspace(e_min, e_max, 129), np.asarray(points, dtype=float)]
    low = e_min if e_min > 0 else e_max * 1e-6
    edges.append(np.geomspace(low, e_max, 129))
    merged = np.unique(np.concatenate(edges))
    return merged[(merged >= e_min) & (merged <= e_max)]


def _integrate(func: Shape, e_min: float, e_max: float, points: Sequence[float] = ()) -> float:
    """∫ func dE over [e_min, e_max] with 16-point Gauss–Legendre on ≈ 250 panels."""
    edges = _panel_edges(e_min, e_max, points)
    half, mid = np.diff(edges) / 2, (edges[1:] + edges[:-1]) / 2
    nodes = mid[:, None] + half[:, None] * _GL_NODES[None, :]
    return float(np.sum(func(nodes) * (half[:, None] * _GL_WEIGHTS[None, :])))


def normalise_shape(
    func: Shape, e_min_MeV: float, e_max_MeV: float, *, points: Sequence[float] = ()
) -> NormalisedShape:
    """Return ``func`` divided by its integral over [e_min_MeV, e_max_MeV], zero outside.

    Args:
        func: vectorised dN/dE_ν (any normalisation) of energy [MeV]; must be finite on the range.
        e_min_MeV, e_max_MeV: support [MeV], e_min_MeV < e_max_MeV.
        points: optional interior energies [MeV] where ``func`` has kinks or steps (panel edges).

    Returns:
        Vectorised callable: normalised dN/dE_ν [MeV⁻¹]; its ``norm`` attribute is the integral.

    Raises:
        InvalidInput: if the range is empty or the integral is not finite and positive.
    """
    if not (math.isfinite(e_min_MeV) and math.isfinite(e_max_MeV) and e_min_MeV < e_max_MeV):
        msg = f"need finite e_min_MeV < e_max_MeV, got [{e_min_MeV}, {e_max_MeV}]"
        raise InvalidInput(msg)
    norm = _integrate(func, e_min_MeV, e_max_MeV, points)
    if not (math.isfinite(norm) and norm > 0):
        msg = f"spectrum integral over [{e_min_MeV}, {e_max_MeV}] MeV is {norm}; it must be finite and > 0"
        raise InvalidInput(msg)

    def normalised(energy_MeV):
        e = np.asarray(energy_MeV, dtype=float)
        inside = (e >= e_min_MeV) & (e <= e_max_MeV)
        return np.where(inside, func(np.clip(e, e_min_MeV, e_max_MeV)), 0.0) / norm

    shape = cast("NormalisedShape", normalised)
    shape.norm = norm
    return shape


# Allowed β spectra (PHYSICS.md §7)

_NUCLEAR_RADIUS_FM = 1.2  # R = r0 A^{1/3}, r0 = 1.2 fm (e.g. Krane, Introductory Nuclear Physics)


def _fermi_function(charge: float, total_MeV: np.ndarray, p_MeV: np.ndarray, mass_number: int = 0):
    """Fermi function F(charge, W); ``charge`` = +Z_d (β⁻) or −Z_d (β⁺); p > 0.

    mass_number 0: non-relativistic F = 2πη/(1 − e^{−2πη}), η = charge·α·W/p (PHYSICS.md §7), as
    1/exprel(−2πη) so that a slow positron (η → −∞) underflows cleanly to 0. mass_number A > 0:
    relativistic point-charge form evaluated at the nuclear radius R (e.g. Wilkinson, NIM A 275
    (1989) 378): F = 2(1+γ)(2pR)^{2γ−2} e^{πη} |Γ(γ+iη)|² / Γ(2γ+1)², γ = sqrt(1 − (αZ)²).
    """
    eta = charge * FINE_STRUCTURE * total_MeV / p_MeV
    if not mass_number:
        return 1.0 / exprel(-np.maximum(2 * np.pi * eta, -700.0))
    gamma = math.sqrt(1.0 - (charge * FINE_STRUCTURE) ** 2)
    radius_fm = _NUCLEAR_RADIUS_FM * mass_number ** (1 / 3)
    two_p_r = 2 * p_MeV * radius_fm / (HBARC_GeV_fm * MEV_PER_GEV)
    log_f = (2 * gamma - 2) * np.log(two_p_r) + np.pi * eta + 2 * loggamma(gamma + 1j * eta).real
    return 2 * (1 + gamma) * np.exp(log_f - 2 * gammaln(2 * gamma + 1))


def _beta_kernel(energy_MeV, endpoint_MeV: float, charge: float, forbidden=False, mass_number=0):
    """Unnormalised E_ν² p_e W F(charge, W) [× (p_e² + E_ν²) if ``forbidden``], 0 outside [0, Q)."""
    e = np.asarray(energy_MeV, dtype=float)
    total = endpoint_MeV - e + ELECTRON_MASS_MeV
    ok = (e >= 0) & (total > ELECTRON_MASS_MeV)  # i.e. 0 ≤ E_ν < Q
    p = np.sqrt(np.where(ok, total**2 - ELECTRON_MASS_MeV**2, 1.0))
    w = np.where(ok, total, 2.0)
    value = e**2 * p * w * _fermi_function(charge, w, p, mass_number)
    if forbidden:  # unique first-forbidden shape factor (Konopinski & Uhlenbeck 1941)
        value = value * (p**2 + e**2)
    return np.where(ok, value, 0.0)


@lru_cache(maxsize=256)
def _beta_norm(endpoint_MeV: float, charge: float, forbidden: bool, mass_number: int) -> float:
    kernel = lambda e: _beta_kernel(e, endpoint_MeV, charge, forbidden, mass_number)  # noqa: E731
    return normalise_shape(kernel, 0.0, endpoint_MeV).norm


def _check_beta_args(endpoint_MeV: float, daughter_Z: int, mass_number: int = 0) -> None:
    if not (math.isfinite(endpoint_MeV) and endpoint_MeV > 0):
        msg = f"β endpoint (Q value) must be finite and > 0 MeV, got {endpoint_MeV}"
        raise InvalidInput(msg)
    if not 0 <= daughter_Z < 1 / FINE_STRUCTURE or mass_number < 0:
        msg = f"need 0 <= daughter_Z < 137 and mass_number >= 0, got {daughter_Z}, {mass_number}"
        raise InvalidInput(msg)


def allowed_beta_plus_spectrum(energy_MeV, q_value_MeV: float, daughter_Z: int) -> np.ndarray:
    """Normalised allowed β⁺ (or ν_e-emitting fusion) spectrum dN/dE_ν [MeV⁻¹] (PHYSICS.md §7).

    dN/dE_ν ∝ E_ν² p_e W F(−Z_d, W), W = Q − E_ν + m_e, p_e = sqrt(W² − m_e²), on [0, Q].

    Args:
        energy_MeV: neutrino energies [MeV], any shape.
        q_value_MeV: neutrino endpoint Q [MeV] (e.g. pp 0.42341, hep 18.784).
        daughter_Z: charge of the daughter nucleus (pp: 1, hep: 2, ¹³N: 6, ¹⁵O: 7, ¹⁷F: 8).

    Returns:
        dN/dE_ν [MeV⁻¹], same shape as ``energy_MeV``; 0 for E_ν ≤ 0 or E_ν ≥ Q.

    Raises:
        InvalidInput: if Q ≤ 0 or daughter_Z < 0.
    """
    _check_beta_args(q_value_MeV, daughter_Z)
    charge = -float(daughter_Z)
    kernel = _beta_kernel(energy_MeV, float(q_value_MeV), charge)
    return kernel / _beta_norm(float(q_value_MeV), charge, False, 0)


def allowed_beta_minus_spectrum(
    energy_MeV, endpoint_MeV: float, daughter_Z: int, *, mass_number: int = 0, unique_forbidden=False
) -> np.ndarray:
    """Normalised β⁻ antineutrino spectrum dN/dE_ν̄ [MeV⁻¹]: as β⁺ but with F(+Z_d, W).

    Args:
        energy_MeV: antineutrino energies [MeV], any shape.
        endpoint_MeV: β endpoint of the branch [MeV] (Q minus the daughter level energy).
        daughter_Z: charge of the daughter nucleus.
        mass_number: A > 0 selects the relativistic Fermi function at R = 1.2 A^{1/3} fm (needed
            for heavy daughters: it raises geo-ν̄ mean energies by ~5 %); 0 (default) the
            non-relativistic one of PHYSICS.md §7.
        unique_forbidden: multiply by the unique first-forbidden shape factor p_e² + E_ν²
            (used for ⁴⁰K), defaults to False (allowed).

    Returns:
        dN/dE_ν̄ [MeV⁻¹], same shape as ``energy_MeV``; 0 outside [0, endpoint).

    Raises:
        InvalidInput: if the endpoint ≤ 0, daughter_Z ∉ [0, 137) or mass_number < 0.
    """
    _check_beta_args(endpoint_MeV, daughter_Z, mass_number)
    args = (float(endpoint_MeV), float(daughter_Z), bool(unique_forbidden), int(mass_number))
    return _beta_kernel(energy_MeV, *args) / _beta_norm(*args)


# Diffuse supernova neutrino background (PHYSICS.md §7; Horiuchi, Beacom & Dwek 2009)

#: Support of the DSNB shapes [MeV]: below 0.1 MeV the flux is negligible (∝ E²), above 100 MeV
#: it is < 1e-6 of the peak for T ≤ 8 MeV.
DSNB_ENERGY_RANGE_MeV = (0.1, 100.0)
# Hopkins & Beacom 2006 star-formation rate in the Yüksel et al. 2008 (ApJ 683 L5) form:
# slopes a, b, c, smoothing η, breaks at z = 1 and 4; B, C follow from continuity (Yüksel Eq. 2).
_SFR_A, _SFR_B_SLOPE, _SFR_C_SLOPE, _SFR_ETA = 3.4, -0.3, -3.5, -10.0
_SFR_Z1, _SFR_Z2, _DSNB_Z_MAX = 1.0, 4.0, 5.0  # z_max = 5 (Horiuchi, Beacom & Dwek 2009)
_SFR_B = (1 + _SFR_Z1) ** (1 - _SFR_A / _SFR_B_SLOPE)  # ≈ 5160
_SFR_C = (1 + _SFR_Z1) ** ((_SFR_B_SLOPE - _SFR_A) / _SFR_C_SLOPE)  # ≈ 9.1 with the next line
_SFR_C *= (1 + _SFR_Z2) ** (1 - _SFR_B_SLOPE / _SFR_C_SLOPE)
_OMEGA_M, _OMEGA_LAMBDA = 0.3, 0.7  # flat ΛCDM as in Horiuchi, Beacom & Dwek 2009


def _star_formation_rate(z: np.ndarray) -> np.ndarray:
    """Relative comoving SFR ρ̇(z) (Yüksel et al. 2008 Eq. 1), = 1 at z = 0."""
    zp = 1.0 + z
    terms = zp ** (_SFR_A * _SFR_ETA) + (zp / _SFR_B) ** (_SFR_B_SLOPE * _SFR_ETA)
    return (terms + (zp / _SFR_C) ** (_SFR_C_SLOPE * _SFR_ETA)) ** (1.0 / _SFR_ETA)


def _redshift_quadrature() -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights in z on [0, z_max], split at the SFR breaks (z = 1, 4)."""
    edges = np.array([0.0, _SFR_Z1, _SFR_Z2, _DSNB_Z_MAX])
    half, mid = np.diff(edges) / 2, (edges[1:] + edges[:-1]) / 2
    z = (mid[:, None] + half[:, None] * _GL_NODES[None, :]).ravel()
    w = (half[:, None] * _GL_WEIGHTS[None, :]).ravel()
    hubble = np.sqrt(_OMEGA_M * (1 + z) ** 3 + _OMEGA_LAMBDA)
    return z, w * _star_formation_rate(z) / hubble


_Z_NODES, _Z_WEIGHTS = _redshift_quadrature()


def _dsnb_kernel(energy_MeV, temperature_MeV: float) -> np.ndarray:
    """Unnormalised ∫ dz R_SN(z) φ(E(1+z)) / sqrt(Ω_m(1+z)³ + Ω_Λ), φ a unit-normalised FD."""
    e = np.asarray(energy_MeV, dtype=float)
    fd_norm = 1.5 * zeta(3) * temperature_MeV**3  # ∫ E²/(1 + e^{E/T}) dE
    total = np.zeros_like(e)
    for z, weight in zip(_Z_NODES, _Z_WEIGHTS):  # loop, not broadcast: memory O(len(e))
        emitted = e * (1.0 + z)
        total = total + weight * emitted**2 * expit(-emitted / temperature_MeV)
    return total / fd_norm


@lru_cache(maxsize=64)
def _dsnb_normalised(temperature_MeV: float) -> Shape:
    return normalise_shape(lambda e: _dsnb_kernel(e, temperature_MeV), *DSNB_ENERGY_RANGE_MeV)


def dsnb_spectrum(energy_MeV, temperature_MeV: float) -> np.ndarray:
    """Normalised DSNB spectrum of one species, dN/dE_ν [MeV⁻¹] on ``DSNB_ENERGY_RANGE_MeV``.

    Redshift-integrated Fermi–Dirac emission (zero chemical potential) with the Hopkins–Beacom
    star-formation history (Yüksel et al. 2008 form), z ≤ 5, Ω_m = 0.3, Ω_Λ = 0.7
    (Horiuchi, Beacom & Dwek 2009; PHYSICS.md §7). 48-node Gauss–Legendre in z.

    Args:
        energy_MeV: neutrino energies at Earth [MeV], any shape.
        temperature_MeV: Fermi–Dirac temperature T [MeV] (ν_e 3, ν̄_e 5, ν_x 8 by default).

    Returns:
        dN/dE_ν [MeV⁻¹], same shape as ``energy_MeV``; 0 outside ``DSNB_ENERGY_RANGE_MeV``.

    Raises:
        InvalidInput: if the temperature is not finite and positive.
    """
    if not (math.isfinite(temperature_MeV) and temperature_MeV > 0):
        msg = f"DSNB temperature must be finite and > 0 MeV, got {temperature_MeV}"
        raise InvalidInput(msg)
    return _dsnb_normalised(float(temperature_MeV))(energy_MeV)


# Reactor ν̄_e (PHYSICS.md §7): Huber–Mueller exp(polynomial) per fission isotope

#: Range on which the exp-poly fits were made (Huber 2011 and Mueller 2011 tabulate 2–8 MeV) [MeV].
REACTOR_FIT_RANGE_MeV = (2.0, 8.0)
#: Default support of :func:`reactor_huber_mueller_spectrum` [MeV]: 1.8 MeV (the inverse-β-decay
#: threshold, below which the fits are not constrained) to 10 MeV (PHYSICS.md §7, "E ≲ 10 MeV").
#: 8–10 MeV is an extrapolation of the fits; so is a lower ``e_min_MeV`` (down to 0.2 MeV).
REACTOR_ENERGY_RANGE_MeV = (1.8, 10.0)
_REACTOR_LOWEST_MeV = 0.2  # lowest allowed e_min_MeV: the exp-poly is meaningless further down
#: Typical mid-cycle PWR fission fractions (²³⁵U, ²³⁹Pu, ²⁴¹Pu, ²³⁸U), cf. Baldoncini et al.,
#: PRD 91 (2015) 065002 (0.56, 0.30, 0.06, 0.08) and Daya Bay (PRL 118 (2017) 251801).
REACTOR_FISSION_FRACTIONS = {"U235": 0.58, "Pu239": 0.29, "Pu241": 0.05, "U238": 0.08}
# exp(Σ_k a_k E^k), E in MeV, ν̄_e / (MeV fission): Huber, PRC 84 (2011) 024617 (²³⁵U,
# ²³⁹Pu, ²⁴¹Pu); Mueller et al., PRC 83 (2011) 054615, Table VI (²³⁸U).
_HUBER_MUELLER_COEFFS = {
    "U235": (4.367, -4.577, 2.100, -5.294e-1, 6.185e-2, -2.777e-3),
    "Pu239": (4.757, -5.392, 2.563, -6.596e-1, 7.820e-2, -3.536e-3),
    "Pu241": (2.990, -2.882, 1.278, -3.343e-1, 3.905e-2, -1.754e-3),
    "U238": (4.833e-1, 1.927e-1, -1.283e-1, -6.762e-3, 2.233e-3, -1.536e-4),
}


def _reactor_per_fission(energy_MeV) -> np.ndarray:
    """Fission-fraction-weighted ν̄_e yield [MeV⁻¹ fission⁻¹] (unnormalised, any energy)."""
    e = np.asarray(energy_MeV, dtype=float)
    total = np.zeros_like(e)
    for isotope, fraction in REACTOR_FISSION_FRACTIONS.items():
        coeffs = _HUBER_MUELLER_COEFFS[isotope]
        total = total + fraction * np.exp(np.polynomial.polynomial.polyval(e, coeffs))
    return total


@lru_cache(maxsize=16)
def _reactor_normalised(e_min_MeV: float) -> Shape:
    return normalise_shape(_reactor_per_fission, e_min_MeV, REACTOR_ENERGY_RANGE_MeV[1])


def reactor_huber_mueller_spectrum(
    energy_MeV, *, e_min_MeV: float = REACTOR_ENERGY_RANGE_MeV[0]
) -> np.ndarray:
    """Normalised reactor ν̄_e spectrum dN/dE_ν̄ [MeV⁻¹] on [e_min_MeV, 10 MeV].

    Σ_i f_i exp(Σ_k a_ik E^k) over ²³⁵U, ²³⁹Pu, ²⁴¹Pu (Huber 2011) and ²³⁸U (Mueller 2011) with
    ``REACTOR_FISSION_FRACTIONS``. The fits hold on 2–8 MeV; 1.8–2 and 8–10 MeV are mild
    extrapolations. Below 1.8 MeV the spectrum is zero unless ``e_min_MeV`` is lowered, which
    extrapolates the fits (no ²³⁹U/²³⁹Np or low-Q fission-product tail: a rough guess only).

    Args:
        energy_MeV: antineutrino energies [MeV], any shape.
        e_min_MeV: lower end of the support [MeV], 0.2 ≤ e_min_MeV < 10, defaults to 1.8.

    Returns:
        dN/dE_ν̄ [MeV⁻¹] (∫ = 1 on the support), same shape as ``energy_MeV``; 0 outside.

    Raises:
        InvalidInput: if e_min_MeV is outside [0.2, 10).
    """
    e_max = REACTOR_ENERGY_RANGE_MeV[1]
    if not (_REACTOR_LOWEST_MeV <= e_min_MeV < e_max):
        msg = f"e_min_MeV must lie in [{_REACTOR_LOWEST_MeV}, {e_max}) MeV, got {e_min_MeV}"
        raise InvalidInput(msg)
    return _reactor_normalised(float(e_min_MeV))(energy_MeV)


# Geo ν̄_e (PHYSICS.md §7): sums of β⁻ branches of the chains' β emitters

# Per chain: (decays per parent decay in secular equilibrium, daughter Z, daughter A,
# ((endpoint MeV, branch), ...)). Dominant β⁻ branches (≳ 1 %) from ENSDF/NuDat 3, rounded, as
# in the geo-ν̄ spectra of Enomoto (2006) and Fiorentini et al., Phys. Rep. 453 (2007) 117;
# branches are renormalised per nuclide. ²¹⁰Tl (2e-4 of ²¹⁴Bi decays; the only ν̄ above
# 3.27 MeV, < 1e-5 of the U spectrum) is neglected, so the U chain ends at the ²¹⁴Bi endpoint.
_GEO_EMITTERS = {
    "U238": (
        (1.0, 91, 234, ((0.199, 0.78), (0.106, 0.22))),  # ²³⁴Th
        (1.0, 92, 234, ((2.269, 0.98), (1.224, 0.02))),  # ²³⁴Pa^m
        (1.0, 83, 214, ((1.019, 0.09), (0.729, 0.41), (0.672, 0.47), (0.184, 0.03))),  # ²¹⁴Pb
        (
            1.0,
            84,
            214,
            (
                (3.270, 0.19),
                (1.894, 0.07),
                (1.540, 0.18),
                (1.505, 0.17),  # ²¹⁴Bi
                (1.423, 0.08),
                (1.151, 0.04),
                (1.068, 0.06),
                (0.788, 0.03),
            ),
        ),
        (1.0, 83, 210, ((0.0635, 0.16), (0.017, 0.84))),  # ²¹⁰Pb
        (1.0, 84, 210, ((1.162, 1.0),)),  # ²¹⁰Bi
    ),
    "Th232": (
        (1.0, 89, 228, ((0.0392, 0.5), (0.0257, 0.2), (0.0128, 0.3))),  # ²²⁸Ra
        (
            1.0,
            90,
            228,
            (
                (2.069, 0.08),
                (1.731, 0.12),
                (1.158, 0.30),
                (1.004, 0.06),  # ²²⁸Ac
                (0.974, 0.06),
                (0.606, 0.08),
                (0.489, 0.10),
                (0.439, 0.13),
            ),
        ),
        (1.0, 83, 212, ((0.569, 0.12), (0.331, 0.83), (0.159, 0.05))),  # ²¹²Pb
        (0.6406, 84, 212, ((2.252, 0.87), (1.527, 0.07), (0.741, 0.03), (0.633, 0.03))),  # ²¹²Bi β⁻
        (0.3594, 82, 208, ((1.803, 0.49), (1.526, 0.22), (1.286, 0.25), (1.038, 0.04))),  # ²⁰⁸Tl
    ),
    "K40": ((1.0, 20, 40, ((1.311, 1.0),)),),  # ⁴⁰K β⁻ (89.3 %), unique first forbidden
}
#: Geo chains that :func:`geo_spectrum` knows.
GEO_CHAINS = tuple(_GEO_EMITTERS)
#: Highest ν̄_e energy of each chain [MeV]: ²¹⁴Bi, ²¹²Bi and ⁴⁰K endpoints.
GEO_ENERGY_MAX_MeV = {
    chain: max(e0 for *_, branches in nuclides for e0, _ in branches)
    for chain, nuclides in _GEO_EMITTERS.items()
}


def geo_spectrum(energy_MeV, chain: str) -> np.ndarray:
    """Normalised geo-ν̄_e spectrum of one decay chain, dN/dE_ν̄ [MeV⁻¹] on [0, E_max].

    Branch-weighted sum of β⁻ shapes (:func:`allowed_beta_minus_spectrum` with the relativistic
    Fermi function of the daughter; ⁴⁰K with its unique first-forbidden shape factor).

    Args:
        energy_MeV: antineutrino energies [MeV], any shape.
        chain: one of ``GEO_CHAINS`` (``"U238"``, ``"Th232"``, ``"K40"``).

    Returns:
        dN/dE_ν̄ [MeV⁻¹] (∫ = 1), same shape as ``energy_MeV``; 0 outside [0, GEO_ENERGY_MAX_MeV].

    Raises:
        UnknownName: if ``chain`` is not one of ``GEO_CHAINS``.
    """
    if chain not in _GEO_EMITTERS:
        msg = f"unknown geo-neutrino chain {chain!r}; known chains: {', '.join(GEO_CHAINS)}"
        raise UnknownName(msg)
    forbidden = chain == "K40"
    total = np.zeros(np.shape(energy_MeV))
    for multiplicity, z_d, a_d, branches in _GEO_EMITTERS[chain]:
        branch_sum = sum(b for _, b in branches)
        for endpoint, branch in branches:
            shape = allowed_beta_minus_spectrum(
                energy_MeV, endpoint, z_d, mass_number=a_d, unique_forbidden=forbidden
            )
            total = total + multiplicity * branch / branch_sum * shape
    decays = sum(nuclide[0] for nuclide in _GEO_EMITTERS[chain])
    return total / decays


def __dir__() -> list[str]:
    return __all__
