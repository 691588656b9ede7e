"""An independent, slow reference route: dR/dE_R by ``scipy.integrate.quad`` over E_ν (PHYSICS.md §3, §9).

It evaluates the cross section of PHYSICS.md §3 directly (no moments, no splines) and exists to check the
vectorised engine in :mod:`cevns_stats.rates` (tests, ``scripts/bench_rates.py``).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad

from . import constants as c
from .fluxes.channel import FluxChannel
from .nuclei import Isotope, Target, helm_form_factor, min_neutrino_energy_MeV, momentum_transfer_fm_inv

__all__ = ["sm_cross_section_cm2_keV", "sm_differential_rate_quad", "binned_sm_counts_quad"]


def sm_cross_section_cm2_keV(recoil_energy_keV: float, neutrino_energy_MeV: float, isotope: Isotope) -> float:
    """SM dσ/dE_R [cm² / keV] (PHYSICS.md §3), zero where the kinematic factor is negative."""
    m = isotope.mass_GeV
    e_r = recoil_energy_keV / c.KEV_PER_GEV
    e_nu = neutrino_energy_MeV / c.MEV_PER_GEV
    kin = 1.0 - e_r / e_nu - m * e_r / (2.0 * e_nu**2)
    if kin <= 0:
        return 0.0
    f = float(helm_form_factor(momentum_transfer_fm_inv(recoil_energy_keV, m), isotope.A))
    sigma = c.FERMI_CONSTANT_GeV2**2 * m / (4 * np.pi) * isotope.weak_charge**2 * kin * f**2
    return sigma * c.HBARC2_GeV2_cm2 / c.KEV_PER_GEV


def sm_differential_rate_quad(recoil_energy_keV: float, target: Target, channel: FluxChannel) -> float:
    """SM dR/dE_R [events / (t · yr · keV)] of one channel by adaptive quadrature over E_ν."""
    total = 0.0
    for iso in target.isotopes:
        e_min = float(min_neutrino_energy_MeV(recoil_energy_keV, iso.mass_GeV))
        if channel.is_line:
            value = sum(channel.total_flux_cm2_s * br * sm_cross_section_cm2_keV(recoil_energy_keV, e, iso)
                        for e, br in channel.lines)
        else:
            lo = max(e_min, channel.energy_min_MeV)
            if lo >= channel.energy_max_MeV:
                continue

            def integrand(e_nu):
                flux = float(channel.spectrum_cm2_s_MeV(e_nu))
                return flux * sm_cross_section_cm2_keV(recoil_energy_keV, e_nu, iso)

            value = quad(integrand, lo, channel.energy_max_MeV, epsrel=1e-8, epsabs=0.0, limit=200)[0]
        total += iso.nuclei_per_tonne * value
    return total * c.SECONDS_PER_YEAR


def binned_sm_counts_quad(edges_keV, target: Target, channel: FluxChannel, efficiency=None) -> np.ndarray:
    """Counts per t·yr in each bin (no smearing) by nested quadrature: ∫_bin dE_R ε(E_R) dR/dE_R."""
    eff = efficiency or (lambda e: 1.0)
    out = []
    for lo, hi in zip(edges_keV[:-1], edges_keV[1:]):
        value = quad(lambda e: float(eff(e)) * sm_differential_rate_quad(e, target, channel), lo, hi,
                     epsrel=1e-6, limit=100)[0]
        out.append(value)
    return np.array(out)
