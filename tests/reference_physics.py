"""Reference physics for tests, written here from the literature and NOT imported from the package.

Every constant and formula below is typed anew from its source, so a wrong constant, kernel or form
factor in ``cevns_stats`` cannot hide behind a test that reuses it. Units: E_R in keV, E_ν in MeV,
masses in GeV, cross sections in cm² / keV, rates in events / (tonne · year · keV).

Sources:
* G_F, sin²θ_W (low-energy MS-bar): PDG 2022; u, ħc, (ħc)², N_A: CODATA 2018.
* SM CEvNS: Freedman 1974; e.g. Drukier & Stodolsky 1984; PHYSICS.md §3.
* Scalar NSI: Cerdeño, Fairbairn, Jubb, Machado, Vincent & Bœhm, JHEP 05 (2016) 118:
  dσ/dE_R = G_F² Q_s² m_N² E_R / (4π E_ν²) F² for L = G_F (ν̄ν)(q̄q) (κ = 1); a normalisation κ G_F
  multiplies it by κ², so κ = 1/√2 gives the 8π of PHYSICS.md §5.
* Helm form factor: Helm, Phys. Rev. 104 (1956) 1466; parameters of Lewin & Smith, Astropart. Phys. 6
  (1996) 87, Sec. 4: c = 1.23 A^{1/3} − 0.60 fm, a = 0.52 fm, s = 0.9 fm.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

G_F = 1.1663788e-5  # GeV⁻², PDG 2022
SIN2_THETA_W = 0.23857  # PDG 2022, MS-bar at Q → 0
AMU_GEV = 0.93149410242  # CODATA 2018
HBARC_GEV_FM = 0.1973269804  # CODATA 2018
HBARC2_GEV2_CM2 = 0.389379372e-27  # CODATA 2018
AVOGADRO = 6.02214076e23
SECONDS_PER_YEAR = 365.25 * 86400.0  # Julian year (PHYSICS.md units)
#: Lewin & Smith 1996, Sec. 4 [fm].
HELM_A, HELM_S = 0.52, 0.9

# cm² per keV from GeV⁻³ (a dσ/dE_R in natural units): (ħc)² [GeV² cm²] / (1e6 keV/GeV)
_CM2_PER_KEV = HBARC2_GEV2_CM2 / 1.0e6


def nuclei_per_tonne(A: float) -> float:
    """N_T of a pure isotope: 10⁶ g · N_A / (A g/mol)."""
    return 1.0e6 * AVOGADRO / A


def q_fm(recoil_keV, A: float):
    """|q| = sqrt(2 m_N E_R) [fm⁻¹] with m_N = A u."""
    return np.sqrt(2.0 * A * AMU_GEV * np.asarray(recoil_keV, dtype=float) * 1e-6) / HBARC_GEV_FM


def helm_lewin_smith(q_fm_inv, A: float, s: float = HELM_S, a: float = HELM_A):
    """F(q) = 3 j₁(q r_n)/(q r_n) exp(−q²s²/2), r_n² = c² + (7/3)π²a² − 5s²."""
    c = 1.23 * A ** (1.0 / 3.0) - 0.60
    rn = np.sqrt(c**2 + 7.0 / 3.0 * np.pi**2 * a**2 - 5.0 * s**2)
    x = np.maximum(np.asarray(q_fm_inv, dtype=float) * rn, 1e-8)
    j1 = (np.sin(x) - x * np.cos(x)) / x**2
    return 3.0 * j1 / x * np.exp(-((q_fm_inv * s) ** 2) / 2.0)


def helm_by_fourier_transform(q_fm_inv, A: float, s: float = HELM_S, a: float = HELM_A):
    """The Helm form factor by direct numerical Fourier transform of its density.

    Helm's density is a uniform sphere of radius r_n folded with a Gaussian of width s. Its radial
    profile ρ(r) = ∫ d³r' θ(r_n − |r'|) G(r − r') is evaluated by quadrature (the analytic radial fold of
    a sphere with a Gaussian), then F(q) = ∫ ρ(r) sin(qr)/(qr) 4πr² dr / ∫ ρ 4πr² dr — no Bessel
    function, no closed form of the product theorem.
    """
    c = 1.23 * A ** (1.0 / 3.0) - 0.60
    rn = np.sqrt(c**2 + 7.0 / 3.0 * np.pi**2 * a**2 - 5.0 * s**2)
    r = np.linspace(1e-6, rn + 10.0 * s, 2001)
    # radial fold of the sphere indicator with a 3-D Gaussian: for a point at radius r, the fraction of
    # the Gaussian inside the sphere, integrated over the sphere's radius r' by quadrature
    rp = np.linspace(0.0, rn, 1201)[None, :]
    rr = r[:, None]
    kernel = (
        rp
        / (rr * s * np.sqrt(2.0 * np.pi))
        * (np.exp(-((rr - rp) ** 2) / (2 * s**2)) - np.exp(-((rr + rp) ** 2) / (2 * s**2)))
    )
    rho = np.trapezoid(kernel, rp[0], axis=1)
    q = np.atleast_1d(np.asarray(q_fm_inv, dtype=float))
    qr = np.maximum(np.outer(q, r), 1e-12)
    integrand = rho * r**2 * np.sin(qr) / qr
    return np.trapezoid(integrand, r, axis=1) / np.trapezoid(rho * r**2, r)


def sm_cross_section(recoil_keV, neutrino_MeV, A: float, Z: float, helm=helm_lewin_smith):
    """dσ/dE_R [cm²/keV] = G_F² m_N Q_W² / (4π) (1 − E_R/E_ν − m_N E_R/(2E_ν²)) F², zero where negative."""
    m = A * AMU_GEV
    er = np.asarray(recoil_keV, dtype=float) * 1e-6
    ev = np.asarray(neutrino_MeV, dtype=float) * 1e-3
    qw = (A - Z) - (1.0 - 4.0 * SIN2_THETA_W) * Z
    kin = np.clip(1.0 - er / ev - m * er / (2.0 * ev**2), 0.0, None)
    f2 = helm(q_fm(recoil_keV, A), A) ** 2
    return G_F**2 * m * qw**2 / (4.0 * np.pi) * kin * f2 * _CM2_PER_KEV


def scalar_cross_section(
    recoil_keV, neutrino_MeV, A: float, charge: float, kappa: float, helm=helm_lewin_smith
):
    """Cerdeño et al. 2016 with L = κ G_F ε (ν̄ν)(q̄q): κ² G_F² Q_s² m_N² E_R/(4π E_ν²) F² [cm²/keV].

    Zero above the kinematic endpoint E_R^max = 2E_ν²/(m_N + 2E_ν).
    """
    m = A * AMU_GEV
    er = np.asarray(recoil_keV, dtype=float) * 1e-6
    ev = np.asarray(neutrino_MeV, dtype=float) * 1e-3
    allowed = er <= 2.0 * ev**2 / (m + 2.0 * ev)
    f2 = helm(q_fm(recoil_keV, A), A) ** 2
    return (
        np.where(allowed, kappa**2 * G_F**2 * charge**2 * m**2 * er / (4.0 * np.pi * ev**2) * f2, 0.0)
        * _CM2_PER_KEV
    )


def per_tonne_year(cross_section_cm2_keV, flux_cm2_s, A: float):
    """Rate [events / (t · yr · keV)] of one isotope: N_T Φ dσ/dE_R × seconds per year."""
    return nuclei_per_tonne(A) * flux_cm2_s * cross_section_cm2_keV * SECONDS_PER_YEAR


def counts_by_quadrature(
    energy_MeV,
    flux_cm2_s_MeV,
    isotopes,
    low_keV: float,
    *,
    high_keV: float = np.inf,
    n_nu: int = 3000,
    efficiency=None,
) -> float:
    """Σ_iso w N_T ∫ dE_ν Φ(E_ν) ∫_{low}^{min(high, E_R^max)} dE_R dσ/dE_R, events / (t · yr).

    The flux table is interpolated log-log on ``n_nu`` log-spaced E_ν points (trapezoid); the inner E_R
    integral uses 200 Gauss–Legendre nodes in ln E_R per E_ν (the integrand is smooth between the
    limits). ``isotopes``: iterable of (A, Z, mass fraction). Step efficiency at ``low_keV`` times
    ``efficiency(E_R)`` if given (true energy), no smearing.
    """
    e_tab = np.asarray(energy_MeV, dtype=float)
    f_tab = np.asarray(flux_cm2_s_MeV, dtype=float)
    positive = f_tab > 0
    ev = np.geomspace(e_tab[positive][0], e_tab[positive][-1], n_nu)
    flux = np.exp(np.interp(np.log(ev), np.log(e_tab[positive]), np.log(f_tab[positive])))
    x, w = np.polynomial.legendre.leggauss(200)
    total = 0.0
    for A, Z, fraction in isotopes:
        m = A * AMU_GEV
        er_max = 2.0 * (ev * 1e-3) ** 2 / (m + 2.0 * ev * 1e-3) * 1e6
        top = np.minimum(er_max, high_keV)
        ok = top > low_keV
        lo, hi = np.log(low_keV), np.log(np.where(ok, top, low_keV * 1.0001))
        half = 0.5 * (hi - lo)
        er = np.exp(lo + half[:, None] * (x[None, :] + 1.0))  # (n_nu, 200)
        sigma = sm_cross_section(er, ev[:, None], A, Z)
        if efficiency is not None:
            sigma = sigma * efficiency(er)
        inner = np.sum(sigma * er * w[None, :], axis=1) * half
        inner = np.where(ok, inner, 0.0)
        total += fraction * nuclei_per_tonne(A) * np.trapezoid(flux * inner, ev) * SECONDS_PER_YEAR
    return float(total)


def gaussian_fold_counts(rate, efficiency, resolution: float, edges_keV, true_low: float, true_high: float):
    """Counts per reconstructed bin: ∫ dE' ε(E') dR/dE'(E') [Φ((hi − E')/σ) − Φ((lo − E')/σ)], σ = r E'.

    A direct fold by dense quadrature (trapezoid on 20 000 log-spaced true energies) of an unsmeared
    spectrum ``rate(E')`` [per keV] — independent of the package's response matrix.
    """
    e = np.geomspace(true_low, true_high, 20001)
    sigma = resolution * e
    edges = np.asarray(edges_keV, dtype=float)
    prob = np.diff(ndtr((edges[:, None] - e[None, :]) / sigma[None, :]), axis=0)
    return np.trapezoid(prob * (efficiency(e) * rate(e))[None, :], e, axis=1)
