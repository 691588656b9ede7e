"""Reproduce the fitted ⁸B and atmospheric spectrum coefficients (PHYSICS.md §7).

Usage::

    python scripts/fit_flux_parametrisations.py [path/to/shared/data]

The default data folder is ``../shared/data`` beside the project root. Reads
``solar/8B_winter2006.csv`` (Winter et al., PRC 73 (2006) 025503; column 2 in 10⁻³ MeV⁻¹) and
``atmospheric/AtmNu_{e,ebar,mu,mubar}.txt`` (FLUKA, Battistoni et al. 2005; dΦ/dE in cm⁻² s⁻¹ MeV⁻¹),
fits the functional forms of ``cevns_stats/fluxes/solar_8b.py`` and ``atmospheric.py`` with
``scipy.optimize.least_squares`` and prints the coefficients to paste into those modules.

Objective (both fits): residuals ln(model/table) at every table point with a non-zero value, the
model normalised to 1 on its support and the table by its own trapezoid integral, weighted in χ² by
the point's CEvNS yield y(E)·E²/(1 + (E/E_FF)²): the coherent cross section grows as E_ν² until the
nuclear form factor saturates it (E_FF = 50 MeV, ≈ xenon's scale), so the energies that make recoils
above threshold drive the fit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cevns_stats.physics.fluxes import atmospheric, solar_8b

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ATMOSPHERIC_FILES = {
    "nue": "AtmNu_e.txt",
    "nuebar": "AtmNu_ebar.txt",
    "numu": "AtmNu_mu.txt",
    "numubar": "AtmNu_mubar.txt",
}
#: Energy where the CEvNS yield per neutrino stops growing as E² (form-factor saturation) [MeV].
FORM_FACTOR_SCALE_MeV = 50.0
#: Quadrature grids for the normalisation inside the objectives (points).
_GRID_POINTS = 4001
#: ⁸B starting values (E_e, w, p, s, k) for the fit.
B8_START = (15.0, 0.5, 2.0, 2.0, 0.0)


def read_table(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(energy [MeV], value) columns 1 and 2 of a comma-separated table; '#' comments skipped."""
    data = np.loadtxt(path, delimiter=",", comments="#", usecols=(0, 1))
    return data[:, 0], data[:, 1]


def yield_weight(energy_MeV: np.ndarray, table: np.ndarray) -> np.ndarray:
    """sqrt of the χ² weight y·E²/(1 + (E/E_FF)²), scaled to mean 1."""
    weight = np.sqrt(table * energy_MeV**2 / (1.0 + (energy_MeV / FORM_FACTOR_SCALE_MeV) ** 2))
    return weight / weight.mean()


def log_residuals(shape, params, energy_MeV, table, grid_MeV, weight) -> np.ndarray:
    """weight · [ln(shape/∫shape) − ln(table)] at the table energies."""
    norm = np.trapezoid(shape(grid_MeV, params), grid_MeV)
    return weight * (np.log(shape(energy_MeV, params) / norm) - np.log(table))


def fit_b8(path: Path) -> np.ndarray:
    """Fit (E_e, w, p, s, k) of ``solar_8b.b8_unnormalised_shape`` to the Winter et al. table."""
    energy, value = read_table(path)
    table = value / np.trapezoid(value, energy)
    keep = table > 0
    grid = np.linspace(0.0, solar_8b.B8_ENDPOINT_MeV, _GRID_POINTS)

    def shape(e, q):
        return solar_8b.b8_unnormalised_shape(e, q[0], q[1], q[2], q[3], q[4])

    energy, table = energy[keep], table[keep]
    weight = yield_weight(energy, table)
    return least_squares(lambda q: log_residuals(shape, q, energy, table, grid, weight), B8_START).x


def fit_atmospheric(path: Path) -> np.ndarray:
    """Fit (c₁, …, c₄) of ``atmospheric.atmospheric_unnormalised_shape`` to one FLUKA table."""
    energy, value = read_table(path)
    table = value / np.trapezoid(value, energy)
    grid = np.geomspace(*atmospheric.ATMOSPHERIC_ENERGY_RANGE_MeV, _GRID_POINTS)
    x = np.log(energy / atmospheric.ATMOSPHERIC_PIVOT_MeV)
    start = np.polynomial.polynomial.polyfit(x, np.log(table), 4)[1:]
    weight = yield_weight(energy, table)
    shape = atmospheric.atmospheric_unnormalised_shape
    return least_squares(lambda c: log_residuals(shape, c, energy, table, grid, weight), start).x


def fit_all(data_dir: Path) -> dict[str, np.ndarray]:
    """All fits: {'8B': (E_e, w, p, s, k), 'nue': (c₁..c₄), …}."""
    results = {"8B": fit_b8(data_dir / "solar" / "8B_winter2006.csv")}
    for species, name in ATMOSPHERIC_FILES.items():
        results[species] = fit_atmospheric(data_dir / "atmospheric" / name)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "data_dir",
        nargs="?",
        type=Path,
        default=DEFAULT_DATA,
        help="reference data folder (default: ../shared/data beside the project root)",
    )
    results = fit_all(parser.parse_args(argv).data_dir)
    b8 = results.pop("8B")
    names = ("B8_EDGE_MeV", "B8_EDGE_WIDTH_MeV", "B8_EDGE_POWER", "B8_LOW_ENERGY_POWER", "B8_SLOPE_per_MeV")
    print("# solar_8b.py")
    for name, value in zip(names, b8):
        print(f"{name} = {value:.6g}")
    print("# atmospheric.py: ATMOSPHERIC_LOG_POLYNOMIALS")
    for species, coefficients in results.items():
        print(f'    "{species}": ({", ".join(f"{c:.6g}" for c in coefficients)}),')


if __name__ == "__main__":
    main()
