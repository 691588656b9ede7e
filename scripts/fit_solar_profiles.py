"""Fit the compact solar-profile parametrisation used by ``cevns_stats.physics.oscillation`` (PHYSICS.md §8).

Reads the B16-GS98 profile table (Vinyoles et al. 2017, arXiv:1611.09867; the copy in
``../shared/data/solar/nudistr_b16_gs98.dat``) and fits

* ``log10(n_e / N_A cm^-3)`` with a polynomial in the radius r (units of R_sun) on 0 ≤ r ≤ 0.5;
* each channel's production density dP/dr with one or two generalised-gamma components
  ``w r^a exp(-(r/b)^c)`` (two for ¹³N, which also burns in a shell near r ≈ 0.16);
* n_n/n_e = (1 − X)/(1 + X) (for NSI in propagation), with the hydrogen fraction X = 2 n_e/(N_A ρ) − 1
  and the density ρ from the zone masses (column 4; zones of width 0.0005 R_sun), as a polynomial on
  0.02 ≤ r < 0.5 (the innermost zones' masses are too coarsely rounded to give X).

It prints the coefficients as Python literals to paste into ``cevns_stats/oscillation.py``, and the
largest P_ee difference between the fit and the table (0.1–10 MeV). Usage::

    python scripts/fit_solar_profiles.py [path/to/nudistr_b16_gs98.dat]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cevns_stats.physics import oscillation
from cevns_stats.physics.constants import MSW_BETA_COEFFICIENT

TABLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "solar" / "nudistr_b16_gs98.dat"
DENSITY_DEGREE = 6
#: (components, initial guess per component: a, b, c) per channel, in the table's column order.
STARTS = {
    "pp": [(2.0, 0.12, 2.0)],
    "pep": [(2.0, 0.10, 2.0)],
    "hep": [(2.0, 0.14, 2.0)],
    "7Be": [(2.0, 0.07, 2.0)],
    "8B": [(2.0, 0.05, 2.0)],
    # 13N: core like 15O plus the shell; the shell's sharp inner edge drives it to large a and b at
    # its lower bound (a, b, c are degenerate there) — harmless, the shape is what matters.
    "13N": [(2.1, 0.041, 1.7), (60.0, 0.0027, 1.0)],
    "15O": [(2.0, 0.055, 2.0)],
    "17F": [(2.0, 0.055, 2.0)],
}


NEUTRON_RATIO_DEGREE = 5
#: IAU 2015 nominal solar radius [cm] and the solar mass [g].
SOLAR_RADIUS_CM, SOLAR_MASS_G = 6.957e10, 1.98841e33


def fit_neutron_ratio(radius, log10_ne, zone_mass):
    """Polynomial for n_n/n_e on 0.02 ≤ r < 0.5; coefficients highest power first, and the max deviation."""
    density = (
        zone_mass * SOLAR_MASS_G / (4.0 * np.pi * (radius * SOLAR_RADIUS_CM) ** 2 * 0.0005 * SOLAR_RADIUS_CM)
    )
    hydrogen = 2.0 * 10.0**log10_ne / density - 1.0
    ratio = (1.0 - hydrogen) / (1.0 + hydrogen)
    use = (radius >= 0.02) & (radius < 0.4999)
    coefficients = np.polyfit(radius[use], ratio[use], NEUTRON_RATIO_DEGREE)
    return coefficients, float(np.max(np.abs(np.polyval(coefficients, radius[use]) - ratio[use])))


def fit_density(radius, log10_ne):
    """Least-squares polynomial for log10(n_e/N_A); coefficients highest power first."""
    return np.polyfit(radius, log10_ne, DENSITY_DEGREE)


def _model(params, radius, n_components):
    params = np.asarray(params).reshape(n_components, 4)
    return sum(oscillation._generalised_gamma(radius, *row) for row in params)


def fit_channel(radius, density, starts):
    """Fit weight, a, b, c of each component to the table's dP/dr (absolute least squares)."""
    guess = []
    for a, b, c in starts:
        guess += [1.0 / len(starts), a, b, c]
    n = len(starts)

    def residual(p):
        return (_model(p, radius, n) - density) / density.max()

    lower = [0.0, 0.0, 1e-4, 0.5] * n
    upper = [2.0, 300.0, 0.5, 10.0] * n
    result = least_squares(residual, guess, bounds=(lower, upper), x_scale="jac", max_nfev=20000)
    return result.x.reshape(n, 4)


def _pee(radius_weights, density_NA_cm3, energy_MeV, params):
    """P_ee averaged with the given radial weights (PHYSICS.md §8), shape like energy_MeV."""
    cos2_13 = np.cos(np.radians(params.theta13_deg)) ** 2
    two_12 = np.radians(2.0 * params.theta12_deg)
    beta = MSW_BETA_COEFFICIENT * cos2_13 * np.outer(energy_MeV, density_NA_cm3) / params.dm21_eV2
    cos_2m = (np.cos(two_12) - beta) / np.hypot(np.cos(two_12) - beta, np.sin(two_12))
    weights = radius_weights / radius_weights.sum()
    return cos2_13**2 * (0.5 + 0.5 * np.cos(two_12) * (cos_2m @ weights)) + (1.0 - cos2_13) ** 2


def pee_difference(table, column, density_poly, coefficients):
    """Largest |P_ee| difference (0.1–15 MeV) between the fitted and tabulated profiles."""
    radius, energy = table[:, 0], np.geomspace(0.1, 15.0, 40)
    params = oscillation.MixingParameters()
    fitted_density = 10.0 ** np.polyval(density_poly, np.minimum(radius, 0.5))
    fitted = _pee(_model(coefficients.ravel(), radius, len(coefficients)), fitted_density, energy, params)
    tabulated = _pee(table[:, column], 10.0 ** table[:, 2], energy, params)
    return float(np.max(np.abs(fitted - tabulated)))


def main(path=TABLE):
    table = np.loadtxt(path, comments="#")
    radius = table[:, 0]
    inner = radius <= 0.5
    density = fit_density(radius[inner], table[inner, 2])
    print("_LOG10_NE_POLY = (" + ", ".join(f"{x:.6e}" for x in density) + ")")
    print("_PRODUCTION_PROFILES = {")
    worst = 0.0
    for column, (name, starts) in enumerate(STARTS.items(), start=4):
        coefficients = fit_channel(radius, table[:, column], starts)
        rows = ", ".join("(" + ", ".join(f"{x:.6g}" for x in row) + ")" for row in coefficients)
        print(f'    "{name}": ({rows},),')
        worst = max(worst, pee_difference(table, column, density, coefficients))
    print("}")
    print(f"# largest |P_ee(fit) - P_ee(table)| at 0.1-15 MeV, all channels: {worst:.1e}")
    ratio, deviation = fit_neutron_ratio(radius, table[:, 2], table[:, 3])
    print("_NEUTRON_RATIO_POLY = (" + ", ".join(f"{x:.6e}" for x in ratio) + ")")
    print(f"# largest |n_n/n_e fit - table| on 0.02-0.5 R_sun: {deviation:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
