"""Couplings and models (PHYSICS.md §3–6)."""

import numpy as np
import pytest

from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.physics import constants as c
from cevns_stats.physics.interactions import (
    leptoquark_epsilon,
    make_model,
    scalar_charge_per_eps,
    vector_charge_sm,
    vector_delta_charge,
)
from cevns_stats.physics.nuclei import get_target


def test_qv_is_minus_half_qw():
    for iso in get_target("xenon").isotopes + get_target("argon").isotopes:
        assert vector_charge_sm(iso) == pytest.approx(-iso.weak_charge / 2, rel=1e-12)


@pytest.mark.parametrize(
    ("target", "quark", "lo", "hi"),
    [
        ("xenon", "d", 0.174, 0.182),
        ("Ar40", "d", 0.171, 0.171),
        ("Pb208", "d", 0.183, 0.183),
        ("xenon", "u", 0.190, 0.209),
        ("Ar40", "u", 0.183, 0.183),
        ("Pb208", "u", 0.211, 0.211),
    ],
)
def test_blind_spot_eps0_matches_physics_md(target, quark, lo, hi):
    """ε₀ = −Q_V/ΔQ where Q_V,α vanishes; PHYSICS.md §4 quotes it to 3 digits (Xe: range over isotopes
    124–136, Ar and Pb: the dominant isotope), so allow ±0.0006 rounding."""
    values = [-vector_charge_sm(i) / vector_delta_charge(i, quark) for i in get_target(target).isotopes]
    assert lo - 6e-4 <= min(values) and max(values) <= hi + 6e-4


def test_leptoquark_benchmark():
    # λ = 1, m = 1 TeV gives ε ≈ −0.0152 (PHYSICS.md §6)
    assert leptoquark_epsilon(1000.0, 1.0) == pytest.approx(-0.0152, abs=5e-5)
    assert leptoquark_epsilon(2000.0, 1.0) == pytest.approx(leptoquark_epsilon(1000.0, 1.0) / 4)
    model = make_model("lq-s1", lq_mass_GeV=1000.0, lq_coupling=1.0, flavour="tau")
    assert model.epsilon < 0 and model.flavours == ("tau",) and model.quarks == ("d",)


def test_scalar_charges():
    iso = get_target("Xe132").isotopes[0]
    assert scalar_charge_per_eps(iso, ("u", "d", "s")) == pytest.approx(14 * 132 + 1.1 * 54)
    # nucleon-ff: u + d + s ≈ 17.7 A (PHYSICS.md §5)
    ff = scalar_charge_per_eps(iso, ("u", "d", "s"), "nucleon-ff")
    assert ff / iso.A == pytest.approx(17.7, abs=0.2)
    parts = sum(scalar_charge_per_eps(iso, (q,), "nucleon-ff") for q in "uds")
    assert parts == pytest.approx(ff)


def test_minimal_models_act_on_one_flavour():
    iso = get_target("Ar40").isotopes[0]
    dq = make_model("vector-minimal", eps=0.1, flavour="mu", quark="d").delta_charge(iso)
    assert dq[0] == 0 and dq[2] == 0 and dq[1] == pytest.approx(18 + 2 * 22)
    universal = make_model("vector-universal", quark="d").delta_charge(iso)
    assert np.allclose(universal, dq[1])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": "axial"}, UnknownName),
        ({"name": "vector-minimal", "flavour": "sterile"}, UnknownName),
        ({"name": "vector-universal", "quark": "s"}, UnknownName),
        ({"name": "lq-s1", "lq_mass_GeV": 0.0}, InvalidInput),
        ({"name": "lq-s1", "lq_mass_GeV": -5.0}, InvalidInput),
        ({"name": "lq-s1", "flavour": "e"}, UnknownName),
        ({"name": "vector-universal", "eps": float("nan")}, InvalidInput),
        ({"name": "scalar-universal", "eps": float("inf")}, InvalidInput),
        ({"name": "scalar-universal", "kappa": 0.0}, InvalidInput),
    ],
)
def test_bad_models_rejected(kwargs, error):
    name = kwargs.pop("name")
    with pytest.raises(error):
        make_model(name, **kwargs)


def test_constants_live_in_one_place():
    assert pytest.approx(0.5 - 2 * c.SIN2_THETA_W) == c.GP_V
