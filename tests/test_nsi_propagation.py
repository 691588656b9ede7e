"""NSI in solar propagation against a direct numerical integration of the evolution equation.

The reference integrates i dψ/dr = H(r) ψ through the tabulated B16-GS98 Sun
(../shared/data/solar/nudistr_b16_gs98.dat: n_e per zone, zone masses → density → hydrogen fraction X
→ n_n/n_e = (1 − X)/(1 + X)) with exact 2×2 exponentials on 20 000 shells, starting as ν_e at each
⁸B production zone (weighted by the table's ⁸B column) — no adiabatic formula, no fitted profile, none
of the package's code. The potential with ε^{dV}_ee is √2 G_F (n_e + ε n_d) in the ee entry, n_d =
n_p + 2n_n, n_p = n_e; in the (θ23, θ13)-rotated basis its 2×2 block is c13² times that (Gonzalez-Garcia
& Maltoni, JHEP 09 (2013) 152).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import load_reference_table

from cevns_stats.physics.oscillation import MatterNSI, MixingParameters, solar_pee

# NuFIT 5.2 (PHYSICS.md §1), typed here
THETA12, THETA13, DM21_EV2 = np.radians(33.41), np.radians(8.54), 7.41e-5
# √2 G_F N_A (ħc)³: the potential [eV] per unit n_e / (N_A cm⁻³); G_F (PDG), ħc = 1.973269804e-14 GeV cm
SQRT2_GF_NA_EV = np.sqrt(2.0) * 1.1663788e-5 * 6.02214076e23 * (1.973269804e-14) ** 3 * 1e9
HBARC_EV_KM = 1.973269804e-10  # ħc [eV km]
R_SUN_KM, M_SUN_G = 6.957e5, 1.98841e33  # IAU 2015 nominal radius; solar mass


@pytest.fixture(scope="module")
def sun(shared_data):
    table = load_reference_table(shared_data / "solar" / "nudistr_b16_gs98.dat")
    radius, ne = table[:, 0], 10.0 ** table[:, 2]
    zone_volume = 4.0 * np.pi * (radius * R_SUN_KM * 1e5) ** 2 * (0.0005 * R_SUN_KM * 1e5)  # cm³, Δr = 0.0005
    density = table[:, 3] * M_SUN_G / zone_volume  # g/cm³
    hydrogen = np.clip(2.0 * ne / density - 1.0, 0.0, 1.0)  # n_e/N_A = ρ (1 + X)/2
    inner = radius >= 0.02  # the innermost zones' masses are too coarsely rounded to give X
    hydrogen = np.where(inner, hydrogen, hydrogen[inner][0])
    return {
        "radius": radius,
        "ne": ne,
        "neutron_ratio": (1.0 - hydrogen) / (1.0 + hydrogen),
        "b8": table[:, 8],
    }


def pee_by_integration(sun, energy_MeV: float, eps_d_ee: float) -> float:
    """P_ee at Earth (day, no Earth matter) of ⁸B ν at ``energy_MeV`` by integrating the evolution."""
    grid = np.linspace(0.0005, 0.5, 20001)
    mid = 0.5 * (grid[1:] + grid[:-1])
    ne = np.exp(np.interp(mid, sun["radius"], np.log(sun["ne"])))
    nd_over_ne = 1.0 + 2.0 * np.interp(mid, sun["radius"], sun["neutron_ratio"])
    potential = np.cos(THETA13) ** 2 * SQRT2_GF_NA_EV * ne * (1.0 + eps_d_ee * nd_over_ne)  # eV
    k = DM21_EV2 / (4.0 * energy_MeV * 1e6)  # eV
    # traceless H = [[h1, h2], [h2, −h1]] per shell (the trace only adds a phase)
    h1 = -k * np.cos(2 * THETA12) + potential / 2.0
    h2 = np.full_like(h1, k * np.sin(2 * THETA12))
    omega = np.hypot(h1, h2)
    step = np.diff(grid) * R_SUN_KM / HBARC_EV_KM  # eV⁻¹
    cos, sin = np.cos(omega * step), np.sin(omega * step) / omega
    shells = np.empty((mid.size, 2, 2), dtype=complex)
    shells[:, 0, 0] = cos - 1j * sin * h1
    shells[:, 1, 1] = cos + 1j * sin * h1
    shells[:, 0, 1] = shells[:, 1, 0] = -1j * sin * h2
    # lower matter eigenstate at the last shell (adiabatic from there on: β < 0.03 at r = 0.5)
    theta_m = 0.5 * np.arctan2(h2[-1], -h1[-1])
    eig1 = np.array([np.cos(theta_m), -np.sin(theta_m)])
    # backward products: row vector eig1ᵀ S_N ⋯ S_k, one per production shell
    amplitude = np.empty(mid.size, dtype=complex)
    row = eig1.astype(complex)
    for index in range(mid.size - 1, -1, -1):
        row = row @ shells[index]
        amplitude[index] = row[0]  # ψ starts as (1, 0): ν_e in the 2×2 block
    p1 = np.abs(amplitude) ** 2
    weights = np.interp(mid, sun["radius"], sun["b8"])
    p1 = np.sum(p1 * weights) / np.sum(weights)
    c13, s13 = np.cos(THETA13), np.sin(THETA13)
    return float(c13**4 * (p1 * np.cos(THETA12) ** 2 + (1 - p1) * np.sin(THETA12) ** 2) + s13**4)


def test_reference_integration_reproduces_the_standard_pee(sun):
    """Without NSI the integration and the package's adiabatic formula agree to 2e-4 (achieved 6e-5: the
    fitted profile and production region; P_ee ≈ 0.32 at 10 MeV, PHYSICS.md §8)."""
    for energy in (5.0, 10.0, 14.0):
        assert pee_by_integration(sun, energy, 0.0) == pytest.approx(
            float(solar_pee("8B", energy)[0]), abs=2e-4
        )


def test_eps_dee_lowers_the_10_MeV_pee_as_the_integration_says(sun):
    """ε^{dV}_ee = +0.05 lowers the 10 MeV P_ee by 0.5–3 % relative (issue 11), and by what the direct
    integration gives (−1.60 %): agreement to 1 % of the change (achieved 0.1 %: fitted n_n/n_e, profile)."""
    standard = float(solar_pee("8B", 10.0)[0])
    with_nsi = float(solar_pee("8B", 10.0, nsi=MatterNSI(eps_d=(0.05, 0.0, 0.0)))[0])
    ours = with_nsi / standard - 1.0
    reference = pee_by_integration(sun, 10.0, 0.05) / pee_by_integration(sun, 10.0, 0.0) - 1.0
    assert -0.03 < reference < -0.005
    assert ours == pytest.approx(reference, rel=0.01)


def test_eps_zero_and_flavour_universal_nsi_reproduce_the_standard_pee():
    """ε = 0 gives the standard P_ee to 1e-6, also through the NSI code path; flavour-universal NSI only
    adds a multiple of the identity to the potential, so it changes nothing either."""
    energy = np.geomspace(0.1, 16.0, 40)
    for channel in ("pp", "7Be", "8B", "hep"):
        standard = solar_pee(channel, energy)
        np.testing.assert_allclose(solar_pee(channel, energy, nsi=MatterNSI()), standard, atol=1e-6)
        universal = MatterNSI(eps_u=(0.3, 0.3, 0.3), eps_d=(-0.2, -0.2, -0.2))
        np.testing.assert_allclose(solar_pee(channel, energy, nsi=universal), standard, atol=1e-6)


def test_nsi_moves_flavour_fractions_but_keeps_their_sum():
    from cevns_stats.physics.oscillation import solar_flavour_probabilities

    params = MixingParameters()
    energy = np.array([1.0, 8.0, 12.0])
    for nsi in (MatterNSI(eps_d=(0.1, 0.0, 0.0)), MatterNSI(eps_u=(0.0, -0.1, 0.05))):
        probabilities = solar_flavour_probabilities("8B", energy, params, nsi)
        np.testing.assert_allclose(probabilities.sum(axis=0), 1.0, atol=1e-12)
        assert np.max(np.abs(probabilities - solar_flavour_probabilities("8B", energy, params))) > 1e-3


def test_rates_option_switches_nsi_propagation():
    """--nsi-propagation (default) vs --no-nsi-propagation: same SM counts, different NSI change for
    minimal e-flavour NSI (⁸B flavour fractions move); flavour-universal NSI is unaffected."""
    from cevns_stats.cli import _register, cli

    _register()

    def run(model, flavour, *flag):
        args = [
            "rates",
            "--channels",
            "8B",
            "--model",
            model,
            "--flavour",
            flavour,
            "--eps",
            "0.05",
            "--json",
        ]
        return json.loads(CliRunner().invoke(cli, [*args, *flag], catch_exceptions=False).output)

    on, off = run("vector-minimal", "e"), run("vector-minimal", "e", "--no-nsi-propagation")
    assert on["channels"]["8B"]["events"] == pytest.approx(off["channels"]["8B"]["events"], rel=1e-12)
    change_on, change_off = on["channels"]["8B"]["nsi_events"], off["channels"]["8B"]["nsi_events"]
    assert abs(change_on / change_off - 1.0) > 1e-3
    assert on["model"]["nsi_propagation"] is True and off["model"]["nsi_propagation"] is False
    universal_on = run("vector-universal", "e")["channels"]["8B"]["nsi_events"]
    universal_off = run("vector-universal", "e", "--no-nsi-propagation")["channels"]["8B"]["nsi_events"]
    assert universal_on == pytest.approx(universal_off, rel=1e-9)
