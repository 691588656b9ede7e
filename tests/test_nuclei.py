"""Targets, kinematics and the Helm form factor (PHYSICS.md §2–3)."""

import numpy as np
import pytest

from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.physics import constants as c
from cevns_stats.physics.nuclei import (
    TARGETS,
    get_target,
    helm_form_factor,
    max_recoil_energy_keV,
    min_neutrino_energy_MeV,
    momentum_transfer_fm_inv,
)

REQUIRED = [
    "xenon",
    "argon",
    "lead",
    "germanium",
    "silicon",
    "sodium",
    "iodine",
    "caesium",
    "fluorine",
    "oxygen",
]


@pytest.mark.parametrize("name", REQUIRED)
def test_natural_targets_mass_fractions_sum_to_one(name):
    target = get_target(name)
    assert sum(i.mass_fraction for i in target.isotopes) == pytest.approx(1.0, abs=1e-12)
    assert all(0 < i.Z < i.A for i in target.isotopes)


def test_natural_xenon_isotopes_and_mean_mass():
    xe = get_target("Xe")
    assert [i.A for i in xe.isotopes] == [124, 126, 128, 129, 130, 131, 132, 134, 136]
    # standard atomic weight of Xe 131.293 u (IUPAC); the abundance-weighted mass number exceeds it by the
    # binding energy per nucleon (~0.09 %), so compare at 0.15 %
    atom_mean = 1.0 / sum(i.mass_fraction / i.A for i in xe.isotopes)
    assert atom_mean == pytest.approx(131.293, rel=1.5e-3)


def test_weak_charge_xe132():
    # Q_W = N − (1 − 4 sin²θ_W) Z with sin²θ_W = 0.23857: 78 − 0.04572·54 = 75.531
    iso = get_target("Xe132").isotopes[0]
    assert iso.weak_charge == pytest.approx(78 - (1 - 4 * 0.23857) * 54, rel=1e-12)
    assert iso.weak_charge == pytest.approx(75.531, abs=1e-3)


def test_single_isotope_paper_table1():
    t = get_target("A130Z54")
    assert (t.isotopes[0].A, t.isotopes[0].Z, t.isotopes[0].mass_fraction) == (130, 54, 1.0)
    with pytest.raises(InvalidInput):
        get_target("A10Z20")


def test_unknown_target_message_lists_allowed():
    with pytest.raises(UnknownName, match=r"allowed: .*xenon"):
        get_target("unobtainium")


def test_helm_tends_to_one_at_zero_momentum():
    q = np.array([0.0, 1e-8, 1e-5, 1e-3])
    for A in (40, 132, 208):
        assert np.allclose(helm_form_factor(q, A), 1.0, atol=1e-6)
    # series and closed form agree across the switch-over
    x = np.geomspace(5e-4, 2e-3, 50)
    f = helm_form_factor(x, 132)
    assert np.all(np.abs(np.diff(f)) < 1e-6)


def test_helm_first_zero_xenon():
    # F vanishes where tan(q r_n) = q r_n, first root q r_n = 4.493409457909064 (spherical Bessel j1);
    # with the root to 16 digits F(q) is zero to rounding (was 1e-4 with a 5-digit root)
    a_val = 132
    c_fm = 1.23 * a_val ** (1 / 3) - 0.60
    rn = np.sqrt(c_fm**2 + 7 / 3 * np.pi**2 * 0.52**2 - 5 * 0.9**2)
    assert abs(helm_form_factor(4.493409457909064 / rn, a_val)) < 1e-12


def test_kinematic_endpoints_are_inverse():
    m = get_target("Xe132").isotopes[0].mass_GeV
    e_nu = np.array([0.5, 5.0, 15.0, 300.0])
    e_max = max_recoil_energy_keV(e_nu, m)
    assert np.allclose(min_neutrino_energy_MeV(e_max, m), e_nu, rtol=1e-10)
    # ⁸B endpoint ~16 MeV gives ~4 keV recoils in xenon: 2E²/m_N
    assert max_recoil_energy_keV(16.0, m) == pytest.approx(2 * 0.016**2 / (m + 0.032) * 1e6, rel=1e-12)


def test_momentum_transfer():
    m = 40 * c.ATOMIC_MASS_UNIT_GeV
    q = momentum_transfer_fm_inv(10.0, m)
    assert q == pytest.approx(np.sqrt(2 * m * 1e-5) / c.HBARC_GeV_fm)


def test_every_target_registered_by_symbol():
    assert TARGETS["xe"] is TARGETS["xenon"]
