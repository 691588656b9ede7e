"""The fitted ⁸B and atmospheric spectra against their reference tables (PHYSICS.md §2–3, §7).

The key check is physical: the CEvNS rate above threshold, ∫_{E_th} dE_R Σ_i N_T,i ∫ dE_ν Φ dσ/dE_R,
computed with the fitted shape must match the one computed from the reference table (both normalised
to 1, so the total flux cancels) within 1 % for natural Xe, Ar and Pb at E_th = 0.5, 1, …, 5 keV
wherever that rate is ≥ 1 % of its value at 0.5 keV. The rate integral is implemented here, on fine
grids, independently of ``cevns_stats.physics.rates``.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from conftest import load_reference_table
from scipy import integrate

from cevns_stats.errors import UnknownName
from cevns_stats.physics import nuclei
from cevns_stats.physics.fluxes.atmospheric import (
    ATMOSPHERIC_LOG_POLYNOMIALS,
    ATMOSPHERIC_SPECIES,
    ATMOSPHERIC_ENERGY_RANGE_MeV,
    atmospheric_shape_per_MeV,
)
from cevns_stats.physics.fluxes.solar_8b import (
    B8_EDGE_MeV,
    B8_ENDPOINT_MeV,
    B8_ENERGY_RANGE_MeV,
    b8_shape_per_MeV,
    b8_unnormalised_shape,
)

THRESHOLDS_keV = np.linspace(0.5, 5.0, 10)
TARGETS = ("xenon", "argon", "lead")
ATMOSPHERIC_FILES = {
    "nue": "AtmNu_e.txt",
    "nuebar": "AtmNu_ebar.txt",
    "numu": "AtmNu_mu.txt",
    "numubar": "AtmNu_mubar.txt",
}
B8_TABLE = ("solar", "8B_winter2006.csv")
#: Neutrino-energy grids [MeV] of the rate integral (0.01 MeV steps for ⁸B; 0.28 % log steps for atm).
B8_GRID_MeV = np.linspace(0.05, 17.0, 1696)
ATMOSPHERIC_GRID_MeV = np.geomspace(*ATMOSPHERIC_ENERGY_RANGE_MeV, 1500)
#: Recoil grid [keV]: 0.01 keV steps through the thresholds, then 400 log steps to 3 MeV.
RECOIL_GRID_keV = np.concatenate([np.linspace(0.5, 5.0, 451), np.geomspace(5.0, 3000.0, 400)[1:]])
THRESHOLD_ROWS = np.searchsorted(RECOIL_GRID_keV, THRESHOLDS_keV - 1e-9)


# --- the rate above threshold ------------------------------------------------------------------


def _isotope_kernel(isotope: nuclei.Isotope, neutrino_MeV: np.ndarray) -> np.ndarray:
    """N_T m_N Q_W² ∫_{E_th}^∞ dE_R (1 − E_R/E_ν − m_N E_R/2E_ν²)₊ F², shape (thresholds, E_ν grid)."""
    mass = isotope.mass_GeV
    recoil_GeV = RECOIL_GRID_keV[:, None] * 1e-6
    neutrino_GeV = neutrino_MeV[None, :] * 1e-3
    kinematic = np.clip(
        1.0 - recoil_GeV / neutrino_GeV - mass * recoil_GeV / (2.0 * neutrino_GeV**2), 0.0, None
    )
    form2 = nuclei.helm_form_factor(nuclei.momentum_transfer_fm_inv(RECOIL_GRID_keV, mass), isotope.A) ** 2
    integrand = kinematic * form2[:, None]
    segments = 0.5 * (integrand[1:] + integrand[:-1]) * np.diff(RECOIL_GRID_keV)[:, None]
    above = np.concatenate([np.cumsum(segments[::-1], axis=0)[::-1], np.zeros((1, neutrino_MeV.size))])
    return isotope.nuclei_per_tonne * mass * isotope.weak_charge**2 * above[THRESHOLD_ROWS]


@cache
def _rate_kernel(target_name: str, family: str) -> np.ndarray:
    """Σ_isotopes kernel × trapezoid weights of the E_ν grid (family "8B" or "atmospheric")."""
    grid = B8_GRID_MeV if family == "8B" else ATMOSPHERIC_GRID_MeV
    kernel = sum(_isotope_kernel(iso, grid) for iso in nuclei.get_target(target_name).isotopes)
    weights = np.gradient(grid)  # trapezoid weights on a non-uniform grid, up to the end points
    weights[[0, -1]] = 0.5 * np.diff(grid)[[0, -1]]
    return kernel * weights[None, :]


def rate_above_threshold(target_name: str, family: str, shape) -> np.ndarray:
    """Rate above each of ``THRESHOLDS_keV`` (arbitrary units) for a normalised spectrum ``shape``."""
    grid = B8_GRID_MeV if family == "8B" else ATMOSPHERIC_GRID_MeV
    return _rate_kernel(target_name, "8B" if family == "8B" else "atmospheric") @ shape(grid)


# --- the reference tables as normalised shapes -------------------------------------------------


def b8_table(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    table = load_reference_table(shared_data.joinpath(*B8_TABLE))
    energy, value = table[:, 0], table[:, 1]
    return energy, value / np.trapezoid(value, energy)


def atmospheric_table(shared_data: Path, species: str) -> tuple[np.ndarray, np.ndarray]:
    table = load_reference_table(shared_data / "atmospheric" / ATMOSPHERIC_FILES[species])
    energy, value = table[:, 0], table[:, 1]
    return energy, value / np.trapezoid(value, energy)


def table_shape(shared_data: Path, family: str):
    """Normalised table as a function: linear (⁸B) or log-log (atmospheric) interpolation, 0 outside."""
    if family == "8B":
        energy, value = b8_table(shared_data)
        return lambda e: np.interp(e, energy, value, left=0.0, right=0.0)
    energy, value = atmospheric_table(shared_data, family)

    def shape(e):
        inside = (e >= energy[0]) & (e <= energy[-1])
        logs = np.interp(np.log(np.clip(e, energy[0], energy[-1])), np.log(energy), np.log(value))
        return np.where(inside, np.exp(logs), 0.0)

    return shape


def fitted_shape(family: str):
    return b8_shape_per_MeV if family == "8B" else (lambda e: atmospheric_shape_per_MeV(family, e))


# --- tests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("family", ["8B", *ATMOSPHERIC_SPECIES])
def test_rate_above_threshold_matches_table(shared_data, family, target):
    reference = rate_above_threshold(target, family, table_shape(shared_data, family))
    fitted = rate_above_threshold(target, family, fitted_shape(family))
    tested = reference >= 0.01 * reference[0]
    assert tested[:2].all()  # every channel is tested at 0.5 and 1 keV at least
    deviation = fitted[tested] / reference[tested] - 1.0
    assert np.abs(deviation).max() < 0.01, (
        f"{family} on {target}: deviations {deviation} at {THRESHOLDS_keV[tested]} keV"
    )


def test_rate_criterion_tells_b8_measurements_apart(shared_data):
    """The 1 % criterion has power: Bahcall et al. 1996's ⁸B shape fails it against Winter et al. 2006."""
    table = load_reference_table(shared_data / "solar" / "8B_bahcall1996.txt")
    energy, value = table[:, 0], table[:, 1] / np.trapezoid(table[:, 1], table[:, 0])
    bahcall = rate_above_threshold("xenon", "8B", lambda e: np.interp(e, energy, value, left=0.0, right=0.0))
    winter = rate_above_threshold("xenon", "8B", table_shape(shared_data, "8B"))
    assert abs(bahcall[THRESHOLDS_keV == 2.0][0] / winter[THRESHOLDS_keV == 2.0][0] - 1.0) > 0.03


def test_rate_kernel_sees_the_b8_kinematic_edge():
    """Sanity check of the test's own integral: Xe's ⁸B rate dies where E_R^max(17 MeV) is reached."""
    rate = rate_above_threshold("xenon", "8B", b8_shape_per_MeV)
    edge_keV = nuclei.max_recoil_energy_keV(17.0, nuclei.get_target("Xe124").isotopes[0].mass_GeV)
    assert np.all(rate[THRESHOLDS_keV > edge_keV] == 0.0)
    assert np.all(np.diff(rate[THRESHOLDS_keV < edge_keV]) < 0.0)


def test_b8_shape_is_normalised_and_non_negative():
    total, _ = integrate.quad(b8_shape_per_MeV, *B8_ENERGY_RANGE_MeV, points=[B8_EDGE_MeV], limit=200)
    assert total == pytest.approx(1.0, abs=1e-6)
    energy = np.linspace(-1.0, 25.0, 5001)
    assert np.all(b8_shape_per_MeV(energy) >= 0.0)
    assert np.all(b8_shape_per_MeV(energy[(energy < 0) | (energy >= B8_ENDPOINT_MeV)]) == 0.0)


def test_b8_shape_vanishes_at_the_endpoint(shared_data):
    peak = b8_shape_per_MeV(np.linspace(0.0, 16.0, 1601)).max()
    assert b8_shape_per_MeV(B8_ENDPOINT_MeV - 1e-6) < 1e-6 * peak
    energy, value = b8_table(shared_data)
    last_nonzero = energy[value > 0].max()
    assert last_nonzero < B8_ENDPOINT_MeV  # the support covers the whole table
    beyond_table, _ = integrate.quad(b8_shape_per_MeV, last_nonzero, B8_ENDPOINT_MeV)
    assert 0.0 < beyond_table < 1e-4  # the smooth tail past the table's truncation is tiny


def test_b8_shape_follows_the_table_pointwise(shared_data):
    energy, value = b8_table(shared_data)
    bulk = (energy >= 0.5) & (energy <= 13.5)
    assert np.abs(b8_shape_per_MeV(energy[bulk]) / value[bulk] - 1.0).max() < 0.015
    peak_table, peak_fit = energy[np.argmax(value)], B8_GRID_MeV[np.argmax(b8_shape_per_MeV(B8_GRID_MeV))]
    assert peak_fit == pytest.approx(peak_table, abs=0.2)


@pytest.mark.parametrize("species", ATMOSPHERIC_SPECIES)
def test_atmospheric_shape_is_normalised_and_non_negative(species):
    total, _ = integrate.quad(
        lambda e: atmospheric_shape_per_MeV(species, e), *ATMOSPHERIC_ENERGY_RANGE_MeV, limit=200
    )
    assert total == pytest.approx(1.0, abs=1e-6)
    energy = np.linspace(0.0, 1200.0, 2401)
    values = atmospheric_shape_per_MeV(species, energy)
    low, high = ATMOSPHERIC_ENERGY_RANGE_MeV
    assert np.all(values >= 0.0)
    assert np.all(values[(energy < low) | (energy > high)] == 0.0)


@pytest.mark.parametrize("species", ATMOSPHERIC_SPECIES)
def test_atmospheric_range_and_pointwise_shape_match_the_table(shared_data, species):
    energy, value = atmospheric_table(shared_data, species)
    low, high = ATMOSPHERIC_ENERGY_RANGE_MeV
    assert low <= energy[0] < low + 0.5 and high - 0.5 < energy[-1] <= high
    body = energy < 955.0  # the table's last ≈ 25 MeV drop is an edge of its tabulation
    ratio = atmospheric_shape_per_MeV(species, energy[body]) / value[body]
    assert np.abs(ratio - 1.0).max() < 0.15


def test_unknown_atmospheric_species_lists_the_allowed_ones():
    with pytest.raises(UnknownName, match="nue, nuebar, numu, numubar"):
        atmospheric_shape_per_MeV("nutau", 100.0)


def test_fit_script_reproduces_the_module_constants(shared_data):
    """The constants in the modules are what scripts/fit_flux_parametrisations.py finds today."""
    path = Path(__file__).resolve().parents[1] / "scripts" / "fit_flux_parametrisations.py"
    spec = importlib.util.spec_from_file_location("fit_flux_parametrisations", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    results = script.fit_all(shared_data)
    energy = np.linspace(0.5, 15.0, 300)
    refit = b8_unnormalised_shape(energy, *results["8B"])
    refit /= integrate.quad(
        lambda e: b8_unnormalised_shape(e, *results["8B"]),
        *B8_ENERGY_RANGE_MeV,
        points=[results["8B"][0]],
        limit=200,
    )[0]
    np.testing.assert_allclose(refit, b8_shape_per_MeV(energy), rtol=1e-3)
    for species in ATMOSPHERIC_SPECIES:
        np.testing.assert_allclose(
            results[species], ATMOSPHERIC_LOG_POLYNOMIALS[species], rtol=1e-3, atol=1e-4
        )
