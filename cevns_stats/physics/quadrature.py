"""An independent, slow reference route: SM rates by ``scipy.integrate.quad`` (PHYSICS.md §2, §3, §9).

It evaluates the cross section of PHYSICS.md §3 directly, point by point in plain Python (its own scalar
Helm form factor, no moments, no splines, no vectorisation) and exists to check the vectorised engine in
:mod:`cevns_stats.physics.rates` (tests, ``scripts/bench_rates.py``).

Two routes:

* :func:`sm_differential_rate_quad` — dR/dE_R at one recoil energy, ``quad`` over E_ν.
* :func:`binned_sm_counts_quad` — counts per bin, ∫_bin dE_R ∫ dE_ν Φ dσ/dE_R, integrated in the order
  that is cheap for ``quad``: E_ν outside, the E_R bin inside. For fixed E_ν the inner integrand is a
  polynomial in E_R times F²(q) (smooth; one Gauss–Kronrod pass usually suffices), and the flux is
  evaluated only on the outer nodes. The outer integrand has a kink where the bin's upper edge becomes
  reachable (E_ν = E_ν^min(E_R,hi)); it is passed to ``quad`` as a breakpoint.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.integrate import quad

from cevns_stats.physics import constants as c
from cevns_stats.physics.fluxes.channel import FluxChannel
from cevns_stats.physics.nuclei import Isotope, Target

__all__ = [
    "binned_sm_counts_quad",
    "helm_form_factor_scalar",
    "sm_cross_section_cm2_keV",
    "sm_differential_rate_quad",
]


def helm_form_factor_scalar(q_fm_inv: float, A: int) -> float:
    """Helm F(q) for one q [fm⁻¹] with :mod:`math` (PHYSICS.md §3); series below q r_n = 1e-3."""
    c_fm = c.HELM_C_SLOPE_FM * A ** (1.0 / 3.0) - c.HELM_C_OFFSET_FM
    rn = math.sqrt(c_fm**2 + (7.0 / 3.0) * math.pi**2 * c.HELM_A_FM**2 - 5.0 * c.HELM_S_FM**2)
    x = q_fm_inv * rn
    j1 = 1.0 - x * x / 10.0 + x**4 / 280.0 if x < 1e-3 else 3.0 * (math.sin(x) - x * math.cos(x)) / x**3
    return j1 * math.exp(-(q_fm_inv**2) * c.HELM_S_FM**2 / 2.0)


def _min_neutrino_energy_MeV(recoil_energy_keV: float, mass_GeV: float) -> float:
    e_r = recoil_energy_keV / c.KEV_PER_GEV
    return 0.5 * (e_r + math.sqrt(e_r * e_r + 2.0 * mass_GeV * e_r)) * c.MEV_PER_GEV


def _max_recoil_energy_keV(neutrino_energy_MeV: float, mass_GeV: float) -> float:
    e = neutrino_energy_MeV / c.MEV_PER_GEV
    return 2.0 * e * e / (mass_GeV + 2.0 * e) * c.KEV_PER_GEV


def sm_cross_section_cm2_keV(recoil_energy_keV: float, neutrino_energy_MeV: float, isotope: Isotope) -> float:
    """SM dσ/dE_R [cm² / keV] (PHYSICS.md §3), zero where the kinematic factor is negative."""
    m = isotope.mass_GeV
    e_r = recoil_energy_keV / c.KEV_PER_GEV
    e_nu = neutrino_energy_MeV / c.MEV_PER_GEV
    kin = 1.0 - e_r / e_nu - m * e_r / (2.0 * e_nu**2)
    if kin <= 0:
        return 0.0
    f = helm_form_factor_scalar(math.sqrt(2.0 * m * e_r) / c.HBARC_GeV_fm, isotope.A)
    sigma = c.FERMI_CONSTANT_GeV2**2 * m / (4 * math.pi) * isotope.weak_charge**2 * kin * f * f
    return sigma * c.HBARC2_GeV2_cm2 / c.KEV_PER_GEV


def sm_differential_rate_quad(recoil_energy_keV: float, target: Target, channel: FluxChannel) -> float:
    """SM dR/dE_R [events / (t · yr · keV)] of one channel by adaptive quadrature over E_ν."""
    total = 0.0
    for iso in target.isotopes:
        e_min = _min_neutrino_energy_MeV(recoil_energy_keV, iso.mass_GeV)
        if channel.is_line:
            value = sum(
                channel.total_flux_cm2_s * br * sm_cross_section_cm2_keV(recoil_energy_keV, e, iso)
                for e, br in channel.lines
            )
        else:
            lo = max(e_min, channel.energy_min_MeV)
            if lo >= channel.energy_max_MeV:
                continue

            def integrand(e_nu, channel=channel, iso=iso):
                flux = float(channel.spectrum_cm2_s_MeV(e_nu))
                return flux * sm_cross_section_cm2_keV(recoil_energy_keV, e_nu, iso)

            value = quad(integrand, lo, channel.energy_max_MeV, epsrel=1e-8, epsabs=0.0, limit=200)[0]
        total += iso.nuclei_per_tonne * value
    return total * c.SECONDS_PER_YEAR


def _bin_cross_section_function(low_keV: float, high_keV: float, isotope: Isotope, efficiency, epsrel: float):
    """E_ν [MeV] -> ∫_low^min(high, E_R^max) dE_R ε(E_R) dσ/dE_R [cm²] (inner quad; constants hoisted)."""
    m = isotope.mass_GeV
    prefactor = (
        c.FERMI_CONSTANT_GeV2**2
        * m
        / (4 * math.pi)
        * isotope.weak_charge**2
        * c.HBARC2_GeV2_cm2
        / c.KEV_PER_GEV
    )
    q_per_sqrt_keV = math.sqrt(2.0 * m / c.KEV_PER_GEV) / c.HBARC_GeV_fm
    A = isotope.A

    def inner(neutrino_energy_MeV: float) -> float:
        top = min(high_keV, _max_recoil_energy_keV(neutrino_energy_MeV, m))
        if top <= low_keV:
            return 0.0
        e_nu = neutrino_energy_MeV / c.MEV_PER_GEV
        slope = (1.0 / e_nu + m / (2.0 * e_nu**2)) / c.KEV_PER_GEV  # kinematic factor = 1 − slope·E_R[keV]

        def integrand(e_r: float) -> float:
            f = helm_form_factor_scalar(q_per_sqrt_keV * math.sqrt(e_r), A)
            return efficiency(e_r) * prefactor * max(1.0 - slope * e_r, 0.0) * f * f

        return quad(integrand, low_keV, top, epsrel=epsrel, epsabs=0.0, limit=100)[0]

    return inner


def _bin_counts(low_keV, high_keV, isotope, channel, efficiency, epsrel) -> float:
    """Events per (nucleus · s) in one bin for one isotope: outer quad over E_ν, inner over E_R."""
    inner = _bin_cross_section_function(low_keV, high_keV, isotope, efficiency, epsrel * 1e-2)
    if channel.is_line:
        return sum(channel.total_flux_cm2_s * br * inner(e) for e, br in channel.lines)
    lo = max(_min_neutrino_energy_MeV(low_keV, isotope.mass_GeV), channel.energy_min_MeV)
    hi = channel.energy_max_MeV
    if lo >= hi:
        return 0.0
    kink = _min_neutrino_energy_MeV(high_keV, isotope.mass_GeV)
    points = [kink] if lo < kink < hi else None

    def integrand(e_nu: float) -> float:
        return channel.total_flux_cm2_s * float(channel.shape(e_nu)) * inner(e_nu)

    return quad(integrand, lo, hi, points=points, epsrel=epsrel, epsabs=0.0, limit=200)[0]


def binned_sm_counts_quad(
    edges_keV, target: Target, channel: FluxChannel, efficiency=None, *, epsrel: float = 1e-6
) -> np.ndarray:
    """SM counts per t·yr in each bin (no smearing): Σ_iso N_T ∫_bin dE_R ε(E_R) ∫ dE_ν Φ dσ/dE_R.

    Args:
        edges_keV: bin edges in true recoil energy [keV], shape (n + 1,), increasing.
        target: the target (isotopes summed with their nuclei per tonne).
        channel: one flux channel (continuous or lines).
        efficiency: optional ε(E_R [keV]) for one float; default 1.
        epsrel: relative tolerance of the outer (E_ν) quad; the inner one uses ``epsrel / 100``.

    Returns:
        counts, shape (n,) [events / (t · yr)].
    """
    eff = efficiency or (lambda e: 1.0)
    edges = [float(e) for e in edges_keV]
    out = np.zeros(len(edges) - 1)
    for b, (low, high) in enumerate(itertools.pairwise(edges)):
        out[b] = sum(
            iso.nuclei_per_tonne * _bin_counts(low, high, iso, channel, eff, epsrel)
            for iso in target.isotopes
        )
    return out * c.SECONDS_PER_YEAR


def __dir__() -> list[str]:
    return __all__
