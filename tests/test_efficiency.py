"""Efficiencies (PHYSICS.md §9, §11): tanh properties, the LZ fits, tables and names.

The ⁸B-weighted checks use two weights at LZ's table points: (i) the xenon ⁸B CEvNS recoil spectrum
computed here from the Winter et al. 2006 shape with the PHYSICS.md §3 kinematics and the Helm form
factor (A = 131; the weak charge cancels in the ratio), and (ii) the simple stand-in
exp(−E/1.3 keV) on 1–10 keV. Comparing sums over the table's own points avoids choosing an
interpolation of LZ's steep rise.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from conftest import load_reference_table

from cevns_stats.detector import efficiency as eff
from cevns_stats.errors import InvalidInput, TableError
from cevns_stats.physics.nuclei import helm_form_factor, momentum_transfer_fm_inv, single_isotope

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fit_efficiency.py"


@pytest.fixture(scope="module")
def lz_table(shared_data):
    table = load_reference_table(shared_data / "lz_ws2022" / "Fig2_NRefficiency.txt")
    return table[:, 0], table[:, 1]


@pytest.fixture(scope="module")
def b8_xenon_weight(shared_data, lz_table):
    """dR/dE_R of ⁸B CEvNS on xenon (arbitrary units) at LZ's table energies."""
    rows = load_reference_table(shared_data / "solar" / "8B_winter2006.csv")
    rows = rows[rows[:, 0] > 0]  # E_ν = 0 carries no flux
    neutrino_MeV, shape = rows[:, 0], rows[:, 1]
    recoil_keV = lz_table[0]
    mass_MeV = single_isotope(131, 54).isotopes[0].mass_GeV * 1e3
    recoil_MeV = recoil_keV[:, None] * 1e-3
    kinematic = 1 - recoil_MeV / neutrino_MeV - mass_MeV * recoil_MeV / (2 * neutrino_MeV**2)
    integrand = np.where(kinematic > 0, shape * kinematic, 0.0)
    form2 = helm_form_factor(momentum_transfer_fm_inv(recoil_keV, mass_MeV * 1e-3), 131) ** 2
    return np.trapezoid(integrand, neutrino_MeV, axis=1) * form2


def exponential_weight(energy_keV):
    return np.where((energy_keV >= 1) & (energy_keV <= 10), np.exp(-energy_keV / 1.3), 0.0)


def weighted_ratio(model, energy, table, weight):
    return np.sum(model(energy) * weight) / np.sum(table * weight)


# --- tanh -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("threshold", [0.0, 1.0, 3.0, 5.0])
def test_tanh_zero_at_zero_plateau_at_infinity_and_monotonic(threshold):
    efficiency = eff.tanh_efficiency(threshold)
    assert efficiency(0.0) == 0.0
    assert efficiency(-2.0) == 0.0
    assert np.isclose(efficiency(1e4), eff.TANH_PLATEAU_A, rtol=1e-12)
    energy = np.linspace(0, 100, 2001)
    values = efficiency(energy)
    assert np.all(np.diff(values) >= 0)
    assert np.all((values >= 0) & (values <= 1))


def test_tanh_threshold_is_the_inflection_and_half_rise_for_large_b_eth():
    efficiency = eff.TanhEfficiency(0.9, 2.0, 5.0)  # tanh(b E_th) ≈ 1: ε(E_th) ≈ a/2
    assert np.isclose(efficiency(5.0), 0.45, rtol=1e-4)


def test_tanh_constants_fixed_when_threshold_varies():
    for threshold in (1.0, 2.0, 5.0):
        efficiency = eff.tanh_efficiency(threshold)
        assert efficiency.plateau_a == eff.TANH_PLATEAU_A
        assert efficiency.steepness_b_per_keV == eff.TANH_STEEPNESS_B_PER_KEV
        assert efficiency.threshold_keV == threshold
    assert eff.tanh_efficiency(1.0)(3.0) > eff.tanh_efficiency(5.0)(3.0)


def test_tanh_fit_describes_lz_below_40_kev(lz_table):
    """RMS 0.021 over 0–40 keV (max 0.053); above 40 keV LZ's S1 window rolls off, a tanh cannot."""
    energy, table = lz_table
    fit = eff.TanhEfficiency(eff.TANH_PLATEAU_A, eff.TANH_STEEPNESS_B_PER_KEV, eff.TANH_LZ_FIT_THRESHOLD_KEV)
    below = energy <= 40
    residual = fit(energy[below]) - table[below]
    assert np.sqrt(np.mean(residual**2)) < 0.025
    assert np.abs(residual).max() < 0.06
    assert 4.0 < eff.TANH_LZ_FIT_THRESHOLD_KEV < 6.0  # PHYSICS.md §9: tanh(E_th ≈ 5 keV) ~ LZ


def test_tanh_tail_overstates_lz_b8_yield(lz_table, b8_xenon_weight):
    """PHYSICS.md §9 warning: the tanh tail below 2 keV dominates the ⁸B yield (here ~29× LZ's)."""
    energy, table = lz_table
    fit = eff.TanhEfficiency(eff.TANH_PLATEAU_A, eff.TANH_STEEPNESS_B_PER_KEV, eff.TANH_LZ_FIT_THRESHOLD_KEV)
    assert weighted_ratio(fit, energy, table, b8_xenon_weight) > 5


def test_script_reproduces_constants(shared_data):
    spec = importlib.util.spec_from_file_location("fit_efficiency", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    table = load_reference_table(shared_data / "lz_ws2022" / "Fig2_NRefficiency.txt")
    (a, b, threshold), _ = script.fit_tanh(table[:, 0], table[:, 1])
    shipped_tanh = [eff.TANH_PLATEAU_A, eff.TANH_STEEPNESS_B_PER_KEV, eff.TANH_LZ_FIT_THRESHOLD_KEV]
    assert np.allclose([a, b, threshold], shipped_tanh, rtol=1e-3)
    params, _ = script.fit_lz_parametrisation(table[:, 0], table[:, 1])
    lz = eff.LZ_WS2022_EFFICIENCY
    shipped = [lz.plateau, lz.onset_keV, lz.centre_keV, lz.log_width, lz.asymmetry]
    shipped += [lz.rolloff_keV, lz.rolloff_width_keV]
    assert np.allclose(params, shipped, rtol=2e-3)


# --- LZ parametrisation ---------------------------------------------------------------------------


def test_lz_parametrisation_matches_table_pointwise(lz_table):
    energy, table = lz_table
    residual = eff.LZ_WS2022_EFFICIENCY(energy) - table
    assert np.abs(residual).max() < 0.02
    assert np.sqrt(np.mean(residual**2)) < 0.006


def test_lz_parametrisation_zero_where_lz_is_zero(lz_table):
    energy, table = lz_table
    model = eff.LZ_WS2022_EFFICIENCY
    assert np.all(model(np.linspace(0, 1.0, 11)) == 0)
    assert np.all(model(energy[(table == 0) & (energy < 2)]) == 0)
    assert model(100.0) < 1e-3  # beyond LZ's S1 region of interest
    values = model(np.linspace(0, 100, 1001))
    assert np.all((values >= 0) & (values <= 1))


def test_lz_parametrisation_b8_weighted_integrals(lz_table, b8_xenon_weight):
    energy, table = lz_table
    model = eff.LZ_WS2022_EFFICIENCY
    assert weighted_ratio(model, energy, table, b8_xenon_weight) == pytest.approx(1, abs=0.02)
    assert weighted_ratio(model, energy, table, exponential_weight(energy)) == pytest.approx(1, abs=0.02)


# --- step, table, names ---------------------------------------------------------------------------


def test_step_efficiency():
    step = eff.StepEfficiency(2.0, plateau=0.8)
    assert step([1.999, 2.0, 50.0]).tolist() == [0.0, 0.8, 0.8]
    with pytest.raises(InvalidInput, match="plateau"):
        eff.StepEfficiency(2.0, plateau=1.5)
    with pytest.raises(InvalidInput, match="threshold"):
        eff.StepEfficiency(-1.0)


def test_table_efficiency_interpolates_and_is_zero_above_the_table(tmp_path):
    """Linear interpolation inside; the first value below; zero above the last point unless held."""
    path = tmp_path / "eff.csv"
    path.write_text("E [keV], efficiency\n1, 0\n3, 0.6\n5, 0.9\n")
    table = eff.TableEfficiency.from_file(path)
    assert table.beyond == "zero"
    assert np.allclose(table([0.0, 1.0, 2.0, 4.0, 5.0, 100.0]), [0, 0, 0.3, 0.75, 0.9, 0.0])
    held = eff.TableEfficiency.from_file(path, hold=True)
    assert held.beyond == "hold"
    assert np.allclose(held([5.0, 100.0]), [0.9, 0.9])
    first_held = eff.TableEfficiency([2.0, 4.0], [0.5, 0.7])
    assert np.allclose(first_held([0.0, 3.0, 10.0]), [0.5, 0.6, 0.0])


def test_table_efficiency_arrays_are_read_only():
    table = eff.TableEfficiency([1.0, 2.0], [0.1, 0.2])
    with pytest.raises(ValueError, match="read-only"):
        table.efficiency[0] = 0.5


@pytest.mark.parametrize("text", ["1 0\n2 1.2\n", "1 0\n2 -0.1\n", "2 0.5\n1 0.6\n"])
def test_table_efficiency_rejects_bad_tables(tmp_path, text):
    path = tmp_path / "bad_eff.txt"
    path.write_text(text)
    with pytest.raises(TableError, match=r"bad_eff\.txt"):
        eff.TableEfficiency.from_file(path)


def test_table_efficiency_rejects_values_above_one_from_arrays():
    with pytest.raises(TableError, match=r"exceeds 1"):
        eff.TableEfficiency([1.0, 2.0], [0.5, 1.01])


BAD_TANH = [(0.0, 0.5, 1.0), (1.2, 0.5, 1.0), (0.9, 0.0, 1.0), (0.9, 0.5, -1.0), (0.9, np.nan, 1.0)]


@pytest.mark.parametrize("bad", BAD_TANH)
def test_tanh_rejects_bad_parameters(bad):
    with pytest.raises(InvalidInput):
        eff.TanhEfficiency(*bad)


def test_efficiency_from_name(tmp_path):
    assert eff.efficiency_from_name("tanh", 3.0) == eff.tanh_efficiency(3.0)
    assert eff.efficiency_from_name("step", 3.0) == eff.StepEfficiency(3.0)
    assert eff.efficiency_from_name("lz-ws2022") is eff.LZ_WS2022_EFFICIENCY
    path = tmp_path / "my_eff.txt"
    path.write_text("0 0\n10 1\n")
    assert np.isclose(eff.efficiency_from_name(str(path), 3.0)(5.0), 0.5)
    custom = eff.StepEfficiency(1.0)
    assert eff.efficiency_from_name(custom) is custom


@pytest.mark.parametrize("name", ["lz", "TANH", "", "gauss"])
def test_efficiency_from_name_unknown_lists_allowed(name):
    with pytest.raises(InvalidInput, match="tanh, step, lz-ws2022"):
        eff.efficiency_from_name(name, 2.0)


def test_efficiency_from_name_missing_table(tmp_path):
    with pytest.raises(TableError, match="not found"):
        eff.efficiency_from_name(str(tmp_path / "missing.csv"), 2.0)


def test_efficiency_from_name_bad_threshold():
    with pytest.raises(InvalidInput, match="threshold"):
        eff.efficiency_from_name("tanh", -1.0)
