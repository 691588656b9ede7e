"""Tests of cevns_stats.physics.oscillation (PHYSICS.md §8)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import load_reference_table

from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.physics import oscillation
from cevns_stats.physics.constants import MSW_BETA_COEFFICIENT
from cevns_stats.physics.fluxes.channel import FluxChannel
from cevns_stats.physics.oscillation import (
    MixingParameters,
    flavour_fractions,
    pmns_matrix,
    solar_flavour_probabilities,
    solar_mass_state_probabilities,
    solar_pee,
    vacuum_averaged_matrix,
)

#: Column of each channel in nudistr_b16_gs98.dat (header of the file).
B16_COLUMNS = {"pp": 4, "pep": 5, "hep": 6, "7Be": 7, "8B": 8, "13N": 9, "15O": 10, "17F": 11}
ENERGIES_MeV = np.array([0.1, 1.0, 5.0, 10.0])


def _flat(e):
    return e * 0 + 1


@pytest.fixture(scope="module")
def b16_table(shared_data):
    return load_reference_table(shared_data / "solar" / "nudistr_b16_gs98.dat")


def _pee_from_table(table, column, energy_MeV, params):
    """P_ee = cos⁴θ13 (½ + ½ cos2θ12 ⟨cos2θ12^m⟩) + sin⁴θ13 with the tabulated B16 profiles."""
    t12, t13 = math.radians(params.theta12_deg), math.radians(params.theta13_deg)
    density = 10.0 ** table[:, 2]
    weights = table[:, column] / table[:, column].sum()
    beta = MSW_BETA_COEFFICIENT * math.cos(t13) ** 2 * np.outer(energy_MeV, density) / params.dm21_eV2
    cos_2m = (math.cos(2 * t12) - beta) / np.sqrt((math.cos(2 * t12) - beta) ** 2 + math.sin(2 * t12) ** 2)
    return math.cos(t13) ** 4 * (0.5 + 0.5 * math.cos(2 * t12) * (cos_2m @ weights)) + math.sin(t13) ** 4


def test_pmns_is_unitary_for_several_parameter_sets():
    for params in (MixingParameters(), MixingParameters(theta23_deg=41.0, delta_cp_deg=270.0)):
        u = pmns_matrix(params)
        assert u.shape == (3, 3)
        np.testing.assert_allclose(u @ u.conj().T, np.eye(3), atol=1e-14)
        np.testing.assert_allclose(u.conj().T @ u, np.eye(3), atol=1e-14)


def test_pmns_elements_match_the_angles():
    p = MixingParameters()
    u = pmns_matrix(p)
    assert abs(u[0, 2]) == pytest.approx(math.sin(math.radians(p.theta13_deg)))
    assert abs(u[1, 2]) / abs(u[2, 2]) == pytest.approx(math.tan(math.radians(p.theta23_deg)))
    assert abs(u[0, 1]) / abs(u[0, 0]) == pytest.approx(math.tan(math.radians(p.theta12_deg)))


def test_vacuum_averaged_matrix_is_symmetric_stochastic():
    matrix = vacuum_averaged_matrix()
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-15)
    np.testing.assert_allclose(matrix.sum(axis=0), 1.0, atol=1e-14)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-14)


def test_b8_pee_matches_physics_expectations():
    pee = solar_pee("8B", [0.1, 10.0])
    assert pee[0] == pytest.approx(0.55, abs=0.01)
    assert pee[1] == pytest.approx(0.32, abs=0.01)


def test_pee_limits_are_vacuum_and_full_msw():
    p = MixingParameters()
    t12, t13 = math.radians(p.theta12_deg), math.radians(p.theta13_deg)
    vacuum = math.cos(t13) ** 4 * (1 - 0.5 * math.sin(2 * t12) ** 2) + math.sin(t13) ** 4
    assert solar_pee("pp", 1e-4)[0] == pytest.approx(vacuum, abs=1e-4)
    assert solar_pee("pp", 1e-4)[0] == pytest.approx(vacuum_averaged_matrix()[0, 0], abs=1e-4)
    adiabatic = math.cos(t13) ** 4 * math.sin(t12) ** 2 + math.sin(t13) ** 4
    assert solar_pee("8B", 1e5)[0] == pytest.approx(adiabatic, abs=1e-3)


@pytest.mark.parametrize("channel", sorted(B16_COLUMNS))
def test_fitted_profiles_reproduce_b16_pee(b16_table, channel):
    params = MixingParameters()
    expected = _pee_from_table(b16_table, B16_COLUMNS[channel], ENERGIES_MeV, params)
    # the fitted profiles give P_ee within 1.3e-3 of the tabulated ones (scripts/fit_solar_profiles.py)
    np.testing.assert_allclose(solar_pee(channel, ENERGIES_MeV, params), expected, atol=2e-3)


def test_fitted_electron_density_tracks_b16(b16_table):
    inner = b16_table[:, 0] <= 0.5
    fitted = oscillation.solar_electron_density_NA_cm3(b16_table[inner, 0])
    np.testing.assert_allclose(fitted, 10.0 ** b16_table[inner, 2], rtol=0.01)


@pytest.mark.parametrize("channel", oscillation.SOLAR_CHANNELS)
def test_solar_probabilities_are_normalised_and_consistent(channel):
    energy = np.geomspace(0.05, 20.0, 7)
    mass_states = solar_mass_state_probabilities(channel, energy)
    flavours = solar_flavour_probabilities(channel, energy)
    assert mass_states.shape == flavours.shape == (3, energy.size)
    np.testing.assert_allclose(mass_states.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(flavours.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_array_equal(flavours[0], solar_pee(channel, energy))
    assert np.all(np.diff(flavours[0]) < 0)  # MSW: P_ee falls with energy


def test_shortcut_pemu_misses_the_theta13_delta_term():
    params = MixingParameters()
    pee, pemu, petau = solar_flavour_probabilities("8B", 10.0, params)[:, 0]
    cos2_23 = math.cos(math.radians(params.theta23_deg)) ** 2
    shortcut_mu, shortcut_tau = (1 - pee) * cos2_23, (1 - pee) * (1 - cos2_23)
    assert (pemu - shortcut_mu) / shortcut_mu > 0.05  # PHYSICS.md §8: +20 % for ν_μ
    assert petau < shortcut_tau  # and −15 % for ν_τ


def test_theta23_octant_moves_the_tau_share():
    upper = solar_flavour_probabilities("8B", 10.0, MixingParameters(theta23_deg=49.1))[:, 0]
    lower = solar_flavour_probabilities("8B", 10.0, MixingParameters(theta23_deg=41.0))[:, 0]
    assert upper[0] == pytest.approx(lower[0], abs=1e-12)  # P_ee does not depend on θ23
    assert (upper[2] - lower[2]) / upper[2] > 0.1
    assert lower[1] > upper[1]


def _channels():
    return [
        FluxChannel("8B", "solar", ("nue",), 5.46e6, 0.12, 0.1, 16.0, shape=_flat),
        FluxChannel("7Be_862", "solar", ("nue",), 4.4e9, 0.06, 0.86, 0.87, lines=((0.8613, 1.0),)),
        FluxChannel("atm_numu", "atmospheric", ("numu",), 3.5, 0.5, 13.0, 982.0, shape=_flat),
        FluxChannel("atm_nuebar", "atmospheric", ("nuebar",), 1.65, 0.5, 13.0, 982.0, shape=_flat),
        FluxChannel(
            "dsnb_nux", "dsnb", ("numu", "numubar", "nutau", "nutaubar"), 41.6, 0.5, 0.1, 90.0, shape=_flat
        ),
        FluxChannel("reactor", "reactor", ("nuebar",), 6.6e6, 0.08, 0.1, 10.0, shape=_flat),
        FluxChannel("geo_U", "geo", ("nuebar",), 4.34e6, 0.2, 0.1, 3.99, shape=_flat),
    ]


@pytest.mark.parametrize("mixing", oscillation.MIXING_OPTIONS)
@pytest.mark.parametrize("channel", _channels(), ids=lambda c: c.name)
def test_flavour_fractions_sum_to_one(channel, mixing):
    energy = np.linspace(channel.energy_min_MeV, channel.energy_max_MeV, 9)
    fractions = flavour_fractions(channel, energy, mixing=mixing)
    assert fractions.shape == (3, energy.size)
    assert np.all(fractions >= 0.0)
    np.testing.assert_allclose(fractions.sum(axis=0), 1.0, atol=1e-12)


def test_flavour_fractions_of_non_solar_species():
    dsnb = _channels()[4]
    np.testing.assert_allclose(flavour_fractions(dsnb, 10.0, mixing="none")[:, 0], [0.0, 0.5, 0.5])
    reactor = _channels()[5]
    mixed = flavour_fractions(reactor, [1.0, 5.0])
    np.testing.assert_allclose(mixed, np.repeat(vacuum_averaged_matrix()[0][:, None], 2, axis=1))
    solar = _channels()[0]
    np.testing.assert_allclose(flavour_fractions(solar, 10.0)[0], solar_pee("8B", 10.0))


def test_bad_inputs_raise():
    with pytest.raises(InvalidInput, match="theta23_deg"):
        MixingParameters(theta23_deg=95.0)
    with pytest.raises(InvalidInput, match="delta_cp_deg"):
        MixingParameters(delta_cp_deg=360.0)
    with pytest.raises(InvalidInput, match="dm21_eV2"):
        MixingParameters(dm21_eV2=0.0)
    with pytest.raises(UnknownName, match="allowed"):
        solar_pee("7Li", 1.0)
    with pytest.raises(InvalidInput, match="mixing"):
        flavour_fractions(_channels()[2], 100.0, mixing="full")
    with pytest.raises(InvalidInput, match="energy_MeV"):
        solar_pee("8B", -1.0)
