"""LZ WS2022 recast (PHYSICS.md §11): WIMP spectrum facts and LZ's published median sensitivity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import load_reference_table
from scipy import integrate

from cevns_stats.detector.efficiency import LZ_WS2022_EFFICIENCY
from cevns_stats.errors import InvalidInput
from cevns_stats.experiments import lz_ws2022 as lz
from cevns_stats.experiments.wimp import (
    SHM_LZ_WS2022,
    max_wimp_recoil_energy_keV,
    mean_inverse_speed_s_km,
    wimp_differential_rate,
)
from cevns_stats.physics.nuclei import get_target, single_isotope

XENON = get_target("xenon")


@pytest.fixture(scope="module")
def lz_median(shared_data):
    table = load_reference_table(shared_data / "lz_ws2022" / "Fig5_SpinIndependentLimitandSensitivity.txt")
    return table[:, 0], table[:, 4]


@pytest.fixture(scope="module")
def recast_over_lz(lz_median):
    masses, median_cm2 = lz_median
    return masses, lz.wimp_sensitivity_cm2(masses, efficiency=LZ_WS2022_EFFICIENCY) / median_cm2


def test_recast_reproduces_lz_median_9_to_40_GeV(recast_over_lz):
    masses, ratio = recast_over_lz
    sel = (masses >= 9.0) & (masses <= 40.0)
    assert sel.sum() >= 10
    assert np.all(np.abs(ratio[sel] - 1.0) < 0.20), dict(zip(masses[sel], ratio[sel]))


def test_recast_tracks_lz_median_at_all_masses(recast_over_lz):
    # the module docstring reports ≤ 10 % up to 10 TeV with the effective 0–20 keVnr window
    masses, ratio = recast_over_lz
    assert np.all(np.abs(ratio - 1.0) < 0.20), dict(zip(masses, ratio))


def test_event_limit_is_between_background_free_poisson_and_3():
    assert pytest.approx(2.302585, rel=1e-6) == lz.POISSON_BACKGROUND_FREE_90CL
    assert lz.POISSON_BACKGROUND_FREE_90CL < lz.LZ_SIGNAL_EVENTS_90CL <= 3.0


def test_exposure_is_5p5_tonnes_for_60_live_days():
    assert pytest.approx(330.0) == lz.LZ_EXPOSURE_TONNE_YEAR * 365.25
    assert pytest.approx(0.903, abs=1e-3) == lz.LZ_EXPOSURE_TONNE_YEAR


def test_sensitivity_is_exactly_the_event_limit():
    efficiency = LZ_WS2022_EFFICIENCY
    sigma = float(lz.wimp_sensitivity_cm2(30.0, efficiency=efficiency))
    events = lz.lz_signal_events(
        lambda e: wimp_differential_rate(e, 30.0, sigma, XENON), efficiency=efficiency
    )
    assert events == pytest.approx(lz.LZ_SIGNAL_EVENTS_90CL, rel=1e-10)
    assert lz.lz_exclusion_ratio(events) == pytest.approx(1.0)


def test_signal_events_quadrature_matches_adaptive_integration():
    efficiency = LZ_WS2022_EFFICIENCY

    def integrand(e):
        return float(
            efficiency(np.array([e]))[0] * wimp_differential_rate(np.array([e]), 15.0, 1e-46, XENON)[0]
        )

    low, high = lz.LZ_ANALYSIS_WINDOW_keV
    expected, _ = integrate.quad(integrand, low, high, limit=400, points=[1.0, 2.0, 3.0, 5.0])
    events = lz.lz_signal_events(
        lambda e: wimp_differential_rate(e, 15.0, 1e-46, XENON), efficiency=efficiency
    )
    assert events == pytest.approx(lz.LZ_EXPOSURE_TONNE_YEAR * expected, rel=1e-4)


def test_flat_rate_and_unit_efficiency_give_exposure_times_width():
    events = lz.lz_signal_events(np.ones_like, efficiency=np.ones_like, window_keV=(2.0, 7.0))
    assert events == pytest.approx(5.0 * lz.LZ_EXPOSURE_TONNE_YEAR, rel=1e-12)


@pytest.mark.parametrize("mass_GeV", [9.0, 50.0, 1000.0])
def test_rate_vanishes_above_kinematic_endpoint(mass_GeV):
    target = single_isotope(132, 54)
    e_max = max_wimp_recoil_energy_keV(mass_GeV, target.isotopes[0].mass_GeV)
    rates = wimp_differential_rate(
        [e_max * (1 - 1e-4), e_max * (1 + 1e-6), 10 * e_max], mass_GeV, 1e-46, target
    )
    assert rates[0] > 0.0
    assert np.all(rates[1:] == 0.0)


def test_rate_is_linear_in_cross_section_and_density():
    energy = np.linspace(0.5, 40.0, 50)
    base = wimp_differential_rate(energy, 40.0, 1e-47, XENON)
    np.testing.assert_allclose(wimp_differential_rate(energy, 40.0, 3e-47, XENON), 3 * base, rtol=1e-12)
    dense = dataclasses.replace(SHM_LZ_WS2022, density_GeV_cm3=0.6)
    np.testing.assert_allclose(
        wimp_differential_rate(energy, 40.0, 1e-47, XENON, halo=dense), 2 * base, rtol=1e-12
    )


def test_heavy_wimp_rate_scales_as_inverse_mass():
    # m_χ ≫ m_N: μ_N → m_N, the spectrum shape freezes and only the number density ρ/m_χ changes
    energy = np.linspace(1.0, 80.0, 30)
    ratio = wimp_differential_rate(energy, 1e6, 1e-45, XENON) / wimp_differential_rate(
        energy, 2e6, 1e-45, XENON
    )
    np.testing.assert_allclose(ratio, 2.0, rtol=1e-3)


def test_natural_target_is_mass_fraction_weighted_sum_of_isotopes():
    energy = np.array([1.0, 5.0, 20.0])
    total = sum(
        i.mass_fraction * wimp_differential_rate(energy, 25.0, 1e-46, single_isotope(i.A, i.Z))
        for i in XENON.isotopes
    )
    np.testing.assert_allclose(wimp_differential_rate(energy, 25.0, 1e-46, XENON), total, rtol=1e-12)


def _eta_numerical(v_min, halo=SHM_LZ_WS2022):
    """∫_{v>v_min} f(v)/v d³v for the truncated Maxwellian, by direct 2-D quadrature in the Earth frame."""
    v0, vesc, ve = halo.v0_km_s, halo.v_esc_km_s, halo.v_earth_km_s
    norm, _ = integrate.quad(
        lambda w: 4 * np.pi * w**2 * np.exp(-((w / v0) ** 2)), 0.0, vesc, epsabs=0, epsrel=1e-12
    )

    def cos_max(v):  # |v + v_E| < v_esc
        return float(np.clip((vesc**2 - v**2 - ve**2) / (2 * v * ve), -1.0, 1.0))

    value, _ = integrate.dblquad(
        lambda c, v: 2 * np.pi * v * np.exp(-(v**2 + ve**2 + 2 * v * ve * c) / v0**2),
        max(v_min, 1e-9),
        vesc + ve,
        -1.0,
        cos_max,
        epsabs=0,
        epsrel=1e-11,
    )
    return value / norm


@pytest.mark.parametrize("v_min_km_s", [0.0, 150.0, 293.0, 295.0, 450.0, 700.0, 790.0])
def test_mean_inverse_speed_matches_numerical_integration(v_min_km_s):
    closed = float(mean_inverse_speed_s_km(v_min_km_s))
    assert closed == pytest.approx(_eta_numerical(v_min_km_s), rel=1e-6)


def test_mean_inverse_speed_is_zero_beyond_escape():
    assert np.all(mean_inverse_speed_s_km([794.0, 800.0, 2000.0]) == 0.0)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (([-1.0], 30.0, 1e-46, XENON), {}),
        (([1.0], -30.0, 1e-46, XENON), {}),
        (([1.0], 30.0, np.nan, XENON), {}),
    ],
)
def test_bad_wimp_inputs_raise(args, kwargs):
    with pytest.raises(InvalidInput):
        wimp_differential_rate(*args, **kwargs)


def test_bad_window_and_halo_raise():
    with pytest.raises(InvalidInput, match="window_keV"):
        lz.lz_signal_events(np.ones_like, efficiency=np.ones_like, window_keV=(5.0, 1.0))
    with pytest.raises(InvalidInput, match="v_earth_km_s"):
        dataclasses.replace(SHM_LZ_WS2022, v_earth_km_s=600.0)
