"""Tests of the formula-based spectrum shapes (cevns_stats/fluxes/shapes.py, PHYSICS.md §7).

Reference tables are compared as *shapes*: every table is re-normalised by its own trapezoid
integral on its own grid, and the model is normalised the same way on that grid, so that a
table that stops short of the endpoint (or starts above 0) does not bias the comparison.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load_reference_table
from scipy.integrate import quad

from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.physics.fluxes import shapes
from cevns_stats.physics.fluxes.shapes import (
    GEO_CHAINS,
    DSNB_ENERGY_RANGE_MeV,
    GEO_ENERGY_MAX_MeV,
    REACTOR_ENERGY_RANGE_MeV,
    allowed_beta_minus_spectrum,
    allowed_beta_plus_spectrum,
    dsnb_spectrum,
    geo_spectrum,
    normalise_shape,
    reactor_huber_mueller_spectrum,
)

# (table, Q [MeV], daughter Z) from PHYSICS.md §7.
SOLAR_BETA_PLUS = [
    ("pp", 0.42341, 1),
    ("hep", 18.784, 2),
    ("13N", 1.199, 6),
    ("15O", 1.732, 7),
    ("17F", 1.740, 8),
]


def _shape_on_grid(energy, values):
    """Divide by the trapezoid integral on the same grid (both table and model get this)."""
    return values / np.trapezoid(values, energy)


def _table(path):
    energy, values = load_reference_table(path).T
    return energy, _shape_on_grid(energy, values)


def _mean_energy(energy, shape):
    return np.trapezoid(energy * shape, energy) / np.trapezoid(shape, energy)


# --- normalise_shape --------------------------------------------------------------------------


def test_normalise_shape_matches_analytic_integral():
    shape = normalise_shape(lambda e: e**2, 0.0, 2.0)
    assert shape.norm == pytest.approx(8.0 / 3.0, rel=1e-12)
    assert shape(np.array([1.0, 3.0, -1.0])) == pytest.approx([3.0 / 8.0, 0.0, 0.0])


@pytest.mark.parametrize(("func", "lo", "hi"), [(np.ones_like, 2.0, 1.0), (np.zeros_like, 0.0, 1.0)])
def test_normalise_shape_rejects_empty_range_or_zero_integral(func, lo, hi):
    with pytest.raises(InvalidInput):
        normalise_shape(func, lo, hi)


# --- allowed β± spectra -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "q_value", "z_d"), SOLAR_BETA_PLUS)
def test_beta_plus_matches_bahcall_tables(shared_data, name, q_value, z_d):
    energy, table = _table(shared_data / "solar" / f"{name}.txt")
    model = _shape_on_grid(energy, allowed_beta_plus_spectrum(energy, q_value, z_d))
    big = table > 0.05 * table.max()
    deviation = np.abs(model / table - 1.0)
    bulk = big & (energy < 0.97 * q_value)
    # Achieved ≤ 0.6 % (pp), 0.1 % (hep), 0.3–0.5 % (CNO) below 0.97 Q.
    assert deviation[bulk].max() < 0.01
    # The last 3 % below Q: the tables are linear interpolations of Bahcall's coarser grid there
    # (constant slopes between knots), which alone gives up to 1.9 % (¹³N) pointwise.
    assert deviation[big & ~bulk].max(initial=0.0) < 0.02


@pytest.mark.parametrize(("name", "q_value", "z_d"), SOLAR_BETA_PLUS[2:])
def test_cno_shapes_need_the_fermi_function(shared_data, name, q_value, z_d):
    energy, table = _table(shared_data / "solar" / f"{name}.txt")
    no_coulomb = _shape_on_grid(energy, allowed_beta_plus_spectrum(energy, q_value, 0))  # F ≡ 1
    big = table > 0.05 * table.max()
    assert np.abs(no_coulomb[big] / table[big] - 1.0).max() > 0.5


@pytest.mark.parametrize(
    ("spectrum", "q_value"),
    [
        (lambda e: allowed_beta_plus_spectrum(e, 0.42341, 1), 0.42341),
        (lambda e: allowed_beta_plus_spectrum(e, 1.732, 7), 1.732),
        (lambda e: allowed_beta_minus_spectrum(e, 3.27, 84, mass_number=214), 3.27),
        (lambda e: allowed_beta_minus_spectrum(e, 1.311, 20, unique_forbidden=True), 1.311),
    ],
)
def test_beta_spectra_are_normalised_and_vanish_outside(spectrum, q_value):
    integral, _ = quad(lambda e: float(spectrum(np.array(e))), 0.0, q_value, limit=200, epsrel=1e-10)
    assert integral == pytest.approx(1.0, rel=1e-7)
    outside = np.array([-0.1, q_value, q_value + 0.5, q_value + 3.0, 50.0])  # beyond Q + 2 m_e too
    assert np.all(spectrum(outside) == 0.0)
    assert np.all(np.isfinite(spectrum(np.linspace(0.0, q_value, 2001))))


def test_relativistic_fermi_function_reduces_to_nonrelativistic_for_small_z():
    energy = np.linspace(0.01, 2.0, 50)
    rel = allowed_beta_minus_spectrum(energy, 2.0, 1, mass_number=3)
    nonrel = allowed_beta_minus_spectrum(energy, 2.0, 1)
    assert rel == pytest.approx(nonrel, rel=2e-3)  # differences are O((αZ)²)


def test_beta_spectrum_keeps_input_shape():
    energy = np.linspace(0.0, 0.4, 12).reshape(3, 4)
    assert allowed_beta_plus_spectrum(energy, 0.42341, 1).shape == (3, 4)


@pytest.mark.parametrize(("q_value", "z_d"), [(0.0, 1), (-1.0, 1), (np.nan, 1), (1.0, -2)])
def test_beta_spectrum_rejects_bad_arguments(q_value, z_d):
    with pytest.raises(InvalidInput):
        allowed_beta_plus_spectrum(0.1, q_value, z_d)


# --- DSNB -------------------------------------------------------------------------------------

DSNB_TEMPERATURES_MeV = (3.0, 5.0, 8.0)  # ν_e, ν̄_e, ν_x (PHYSICS.md §7)


def _dsnb_mix(energy, nux_species):
    """Number weights ∝ (species)/T: equal energy per species (PHYSICS.md §7)."""
    weights = np.array([1.0 / 3.0, 1.0 / 5.0, nux_species / 8.0])
    spectra = [dsnb_spectrum(energy, t) for t in DSNB_TEMPERATURES_MeV]
    return sum(w * s for w, s in zip(weights / weights.sum(), spectra))


def _dsnb_table(shared_data):
    energy, values = load_reference_table(shared_data / "dsnb" / "DSNB_normalised.txt").T
    keep = (energy >= DSNB_ENERGY_RANGE_MeV[0]) & (energy <= DSNB_ENERGY_RANGE_MeV[1])
    return energy[keep], _shape_on_grid(energy[keep], values[keep])


def test_dsnb_matches_reference_table_shape(shared_data):
    energy, table = _dsnb_table(shared_data)
    big = table > 0.05 * table.max()
    # The table's shape is the 1/T-weighted mix with ν_x counted ONCE (weights 0.51/0.30/0.19):
    # achieved 9.3 % (the SFR and cosmology details differ). See the next test.
    model = _shape_on_grid(energy, _dsnb_mix(energy, nux_species=1))
    assert np.abs(model[big] / table[big] - 1.0).max() < 0.10


def test_dsnb_reference_table_is_not_the_four_species_split(shared_data):
    # PHYSICS.md's split 27.7/16.6/41.6 (ν_x = 4 species) gives a harder shape than the table
    # (up to +83 %): the table's composition and PHYSICS.md's totals are not the same mix.
    energy, table = _dsnb_table(shared_data)
    big = table > 0.05 * table.max()
    model = _shape_on_grid(energy, _dsnb_mix(energy, nux_species=4))
    assert np.abs(model[big] / table[big] - 1.0).max() > 0.3
    assert _mean_energy(energy, model) > 1.2 * _mean_energy(energy, table)


@pytest.mark.parametrize("temperature", DSNB_TEMPERATURES_MeV)
def test_dsnb_is_normalised_and_redshifted(temperature):
    lo, hi = DSNB_ENERGY_RANGE_MeV
    integral, _ = quad(lambda e: float(dsnb_spectrum(e, temperature)), lo, hi, limit=200)
    assert integral == pytest.approx(1.0, rel=1e-6)
    grid = np.linspace(lo, hi, 20001)
    mean = _mean_energy(grid, dsnb_spectrum(grid, temperature))
    fermi_dirac_mean = 3.1514 * temperature  # 7π⁴/(180 ζ(3)) T for E²/(1 + e^{E/T})
    assert fermi_dirac_mean / 3.0 < mean < fermi_dirac_mean  # redshift (z ≤ 5) softens it
    assert np.all(dsnb_spectrum(np.array([0.05, 150.0]), temperature) == 0.0)


@pytest.mark.parametrize("temperature", [0.0, -3.0, np.inf])
def test_dsnb_rejects_bad_temperature(temperature):
    with pytest.raises(InvalidInput):
        dsnb_spectrum(1.0, temperature)


# --- reactor ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("window", "tolerance"), [((2.0, 7.0), 0.02), ((2.0, 8.0), 0.10)])
def test_reactor_matches_reference_shape(shared_data, window, tolerance):
    energy, values = load_reference_table(shared_data / "reactor" / "Reactor_normalised.txt").T
    keep = (energy >= window[0]) & (energy <= window[1])
    energy, table = energy[keep], _shape_on_grid(energy[keep], values[keep])
    model = _shape_on_grid(energy, reactor_huber_mueller_spectrum(energy))
    # Achieved 1.3 % on 2–7 MeV and 7.7 % on 2–8 MeV; above 8 MeV the table falls more slowly
    # than the exp-poly extrapolation (×2.3 at 10 MeV, where the flux is 1e-5 of its 2 MeV value).
    assert np.abs(model / table - 1.0).max() < tolerance


def test_reactor_support_and_low_energy_extension():
    lo, hi = REACTOR_ENERGY_RANGE_MeV
    integral, _ = quad(lambda e: float(reactor_huber_mueller_spectrum(e)), lo, hi, limit=200)
    assert integral == pytest.approx(1.0, rel=1e-8)
    assert np.all(reactor_huber_mueller_spectrum(np.array([1.0, 1.79, 10.5])) == 0.0)
    energy = np.linspace(2.0, 9.0, 30)
    ratio = reactor_huber_mueller_spectrum(energy, e_min_MeV=0.2) / reactor_huber_mueller_spectrum(energy)
    assert ratio == pytest.approx(np.full_like(energy, ratio[0]), rel=1e-10)  # same shape, renormalised
    assert ratio[0] < 1.0
    assert reactor_huber_mueller_spectrum(np.array([0.5]), e_min_MeV=0.2)[0] > 0.0


@pytest.mark.parametrize("e_min", [0.1, 10.0, 12.0])
def test_reactor_rejects_bad_lower_edge(e_min):
    with pytest.raises(InvalidInput):
        reactor_huber_mueller_spectrum(3.0, e_min_MeV=e_min)


# --- geo --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("chain", "table_name"), [("U238", "GeoU"), ("Th232", "GeoTh"), ("K40", "GeoK")])
def test_geo_mean_energy_matches_reference(shared_data, chain, table_name):
    energy, table = _table(shared_data / "geo" / f"{table_name}.txt")  # tables start at 0.1 MeV
    model = geo_spectrum(energy, chain)
    # Achieved −2.3 % (U), −2.4 % (Th), +5.0 % (K).
    assert _mean_energy(energy, model) == pytest.approx(_mean_energy(energy, table), rel=0.06)


@pytest.mark.parametrize("chain", GEO_CHAINS)
def test_geo_is_normalised_and_ends_at_its_maximum(chain):
    e_max = GEO_ENERGY_MAX_MeV[chain]
    kinks = sorted({b[0] for nuclide in shapes._GEO_EMITTERS[chain] for b in nuclide[-1]})
    integral, _ = quad(lambda e: float(geo_spectrum(e, chain)), 0.0, e_max, points=kinks, limit=500)
    assert integral == pytest.approx(1.0, rel=1e-6)
    assert geo_spectrum(np.array([0.999 * e_max]), chain)[0] > 0.0
    assert np.all(geo_spectrum(np.array([e_max, e_max + 0.1, 5.0]), chain) == 0.0)


def test_geo_endpoints_are_the_known_emitters():
    # ²¹²Bi (2.252) and ⁴⁰K (1.311): PHYSICS.md quotes 2.26 and 1.32 MeV. For U, PHYSICS.md's
    # 3.99 MeV has no sizeable emitter; the chain ends at the ²¹⁴Bi endpoint, 3.27 MeV (ENSDF).
    assert GEO_ENERGY_MAX_MeV["Th232"] == pytest.approx(2.26, abs=0.01)
    assert GEO_ENERGY_MAX_MeV["K40"] == pytest.approx(1.32, abs=0.01)
    assert GEO_ENERGY_MAX_MeV["U238"] == pytest.approx(3.27, abs=0.005)


def test_geo_unknown_chain():
    with pytest.raises(UnknownName, match="U238"):
        geo_spectrum(1.0, "Rb87")
