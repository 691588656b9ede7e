"""The paper's Sec. 5 claims (issue 6), checked with the Asimov 3σ reach in ε at a fixed exposure.

Setting: generic presets ``xenon``, ``argon``, ``lead`` (tanh efficiency, a and b fixed, E_th varied), the
default channels (solar + DSNB + atmospheric), exposure 100 t·yr, ``eps_reach(..., z=3)`` = the |ε| where
the Asimov (median) discovery Z = 3. What the physics gives (docs/reach.md):

* xenon, scalar-universal: lowering E_th 5 → 1 keV improves the 3σ reach by ≈ 1.7 at 100 t·yr, not by
  the factor ≥ 2 the paper states (≥ 2 only below ~0.3 t·yr); asserted as what is true: 1.5–2.0.
* argon gains less from the same change than xenon and lead (≈ 1.2 against ≈ 1.7–1.8): holds.
* minimal (μ flavour, d quark) reach is weaker than flavour-universal, for vector (both signs) and scalar: holds.
"""

import pytest

from cevns_stats.detector.presets import make_detector
from cevns_stats.experiments.projections import reach_setup
from cevns_stats.inference.reach import eps_reach
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import make_model

EXPOSURE = 100.0  # t·yr


def _reach(target, threshold, model, sign=1):
    setup = reach_setup(
        make_detector(target, threshold_keV=threshold), get_channels(None), model, preset=target
    )
    return eps_reach(setup, EXPOSURE, z=3.0, sign=sign, eps_min=3e-4, xtol=1e-5)


@pytest.fixture(scope="module")
def threshold_gain():
    """{target: 3σ |ε| reach at 5 keV / at 1 keV} for scalar-universal."""
    model = make_model("scalar-universal")
    return {t: _reach(t, 5.0, model) / _reach(t, 1.0, model) for t in ("xenon", "argon", "lead")}


def test_xenon_threshold_gain_is_about_1p7_not_2(threshold_gain):
    # paper: "factor ≥ 2"; the physics here gives ≈ 1.74 at 100 t·yr (documented in docs/reach.md)
    assert 1.5 < threshold_gain["xenon"] < 2.0


def test_argon_gains_less_than_xenon_and_lead(threshold_gain):
    assert threshold_gain["argon"] < threshold_gain["xenon"]
    assert threshold_gain["argon"] < threshold_gain["lead"]
    assert threshold_gain["argon"] < 1.4


@pytest.mark.parametrize("sign", [1, -1])
def test_minimal_vector_reach_weaker_than_universal(sign):
    universal = _reach("xenon", 1.0, make_model("vector-universal"), sign)
    minimal = _reach("xenon", 1.0, make_model("vector-minimal", flavour="mu", quark="d"), sign)
    assert minimal > 2.0 * universal


def test_minimal_scalar_reach_weaker_than_universal():
    universal = _reach("xenon", 1.0, make_model("scalar-universal"))
    minimal = _reach("xenon", 1.0, make_model("scalar-minimal", flavour="mu", quark="d"))
    assert minimal > 2.0 * universal
