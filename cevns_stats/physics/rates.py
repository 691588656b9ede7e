"""Vectorised CEvNS differential rates per (flux channel, detector flavour, isotope) (PHYSICS.md §2–5, §9).

The E_ν integral is done once per channel and flavour as cumulative *moments*
M_k(E) = ∫_E^∞ dE_ν dΦ/dE_ν f_α(E_ν) E_ν^{−k}, k = 0, 1, 2 (f_α: flavour fraction at the detector),
tabulated on a log grid and interpolated with cubic Hermite splines whose derivatives are known exactly
(dM_k/dE = −Φ f_α E^{−k}). Then for every recoil energy and isotope

* vector kernel:  (G_F² m_N/π) F² [M_0 − E_R M_1 − (m_N E_R/2) M_2](E_ν^min)
* scalar kernel:  (G_F² m_N² E_R/(8π)) F² M_2(E_ν^min)   (κ = 1/√2; models rescale by 2κ²)

which are exact rewritings of ∫ dE_ν Φ dσ/dE_R (the cross sections vanish at E_ν^min, so no
integrand is cut). Rates are in events / (tonne · year · keV) per unit nuclear charge squared.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.integrate import cumulative_simpson
from scipy.interpolate import CubicHermiteSpline

from cevns_stats.physics import constants as c
from cevns_stats.physics.fluxes.channel import FluxChannel
from cevns_stats.physics.interactions import NSIModel, vector_charge_sm
from cevns_stats.physics.nuclei import (
    Target,
    helm_form_factor,
    min_neutrino_energy_MeV,
    momentum_transfer_fm_inv,
)
from cevns_stats.physics.oscillation import MatterNSI, MixingParameters, flavour_fractions

__all__ = [
    "COMPONENTS",
    "MomentTable",
    "UnitRates",
    "moment_table",
    "rate_components",
    "sm_differential_rate",
    "unit_rates",
]

COMPONENTS = ("SM", "LIN", "QUAD")
_N_GRID = 2049  # E_ν grid points per channel (log spaced); Hermite interpolation error ≪ 1e-6
_KERNEL_UNITS = c.HBARC2_GeV2_cm2 * c.SECONDS_PER_YEAR / c.KEV_PER_GEV  # cm²·s/yr per keV, from GeV⁻³


@dataclass(frozen=True)
class MomentTable:
    """Cumulative moments of one channel per detector flavour, as interpolants of E_ν^min [MeV].

    ``lines`` holds (energy_MeV, flux_cm2_s, fractions (3,)) for monochromatic channels instead.
    """

    channel: FluxChannel
    splines: tuple | None
    energy_range_MeV: tuple[float, float]
    lines: tuple = ()

    def __call__(self, e_min_MeV: np.ndarray) -> np.ndarray:
        """M_k in GeV units (cm⁻² s⁻¹ GeV^{−k}), shape (3 flavours, 3 moments, *e_min.shape)."""
        e = np.asarray(e_min_MeV, dtype=float)
        if self.lines:
            return self._line_moments(e)
        assert self.splines is not None, "a continuous channel has splines"
        lo, hi = self.energy_range_MeV
        x = np.log(np.clip(e, lo, hi))
        out = np.stack([np.stack([s(x) for s in per_flavour]) for per_flavour in self.splines])
        out = np.where(e >= hi, 0.0, out)
        return out * (c.MEV_PER_GEV ** np.arange(3.0)).reshape((1, 3) + (1,) * e.ndim)

    def _line_moments(self, e: np.ndarray) -> np.ndarray:
        total = np.zeros((3, 3, *e.shape))
        for energy_MeV, flux, fractions in self.lines:
            e_GeV = energy_MeV / c.MEV_PER_GEV
            k = np.array([1.0, 1.0 / e_GeV, 1.0 / e_GeV**2])
            above = (e < energy_MeV).astype(float)
            total = total + flux * np.multiply.outer(np.multiply.outer(fractions, k), above)
        return total


def _continuous_table(
    channel: FluxChannel, mixing: MixingParameters | None, mode: str, nsi: MatterNSI | None
) -> MomentTable:
    lo = max(channel.energy_min_MeV, 1e-3)
    hi = channel.energy_max_MeV
    # log grid, densified towards the endpoint where β spectra vanish non-analytically (Fermi function)
    energy = np.unique(
        np.concatenate([np.geomspace(lo, hi, _N_GRID), hi * (1.0 - np.geomspace(1e-7, 0.5, _N_GRID // 4))])
    )
    energy = energy[(energy >= lo) & (energy <= hi)]
    x = np.log(energy)
    flux = channel.spectrum_cm2_s_MeV(energy)
    fractions = flavour_fractions(channel, energy, params=mixing, mixing=mode, nsi=nsi)  # (3, n)
    splines = []
    for f_alpha in fractions:
        per_k = []
        for k in range(3):
            density = flux * f_alpha * energy ** (-k)  # dM/dE, per MeV^k
            integrand = density * energy  # d/dx with x = ln E
            # integrate from the top down (no cancellation near the spectral endpoint)
            cumulative = cumulative_simpson(integrand[::-1], x=-x[::-1], initial=0.0)[::-1]
            per_k.append(CubicHermiteSpline(x, cumulative, -integrand))
        splines.append(tuple(per_k))
    return MomentTable(channel, tuple(splines), (lo, hi))


@lru_cache(maxsize=256)
def moment_table(
    channel: FluxChannel,
    mixing: MixingParameters | None = None,
    mode: str = "averaged",
    nsi: MatterNSI | None = None,
) -> MomentTable:
    """The cumulative-moment table of ``channel`` (cached per channel, mixing and NSI in propagation)."""
    if channel.is_line:
        lines = []
        for energy, branching in channel.lines:
            fractions = flavour_fractions(channel, np.array([energy]), params=mixing, mixing=mode, nsi=nsi)[
                :, 0
            ]
            lines.append((energy, channel.total_flux_cm2_s * branching, fractions))
        return MomentTable(channel, None, (channel.energy_min_MeV, channel.energy_max_MeV), tuple(lines))
    return _continuous_table(channel, mixing, mode, nsi)


@dataclass(frozen=True)
class UnitRates:
    """Differential rates per unit charge², events / (t · yr · keV).

    Attributes:
        recoil_energy_keV: (n_E,) recoil energies.
        vector: (n_channels, 3 flavours, n_isotopes, n_E) vector-kernel rates.
        scalar: same shape, scalar-kernel rates (κ = 1/√2).
        channels: the channels, in axis order.
        target: the target (isotope axis order).
    """

    recoil_energy_keV: np.ndarray
    vector: np.ndarray
    scalar: np.ndarray
    channels: tuple[FluxChannel, ...]
    target: Target


def unit_rates(
    target: Target,
    channels,
    recoil_energy_keV,
    *,
    mixing: MixingParameters | None = None,
    mode: str = "averaged",
    nsi: MatterNSI | None = None,
) -> UnitRates:
    """Vector- and scalar-kernel rates for every (channel, flavour, isotope) at ``recoil_energy_keV``.

    ``nsi`` puts vector NSI into the solar matter potential (flavour fractions of solar channels at
    that ε; the SM rate, flavour blind, does not change).
    """
    e_keV = np.asarray(recoil_energy_keV, dtype=float)
    e_GeV = e_keV / c.KEV_PER_GEV
    channels = tuple(channels)
    vec = np.empty((len(channels), 3, len(target.isotopes), e_keV.size))
    sca = np.empty_like(vec)
    for i, iso in enumerate(target.isotopes):
        m = iso.mass_GeV
        f2 = helm_form_factor(momentum_transfer_fm_inv(e_keV, m), iso.A) ** 2
        e_min = min_neutrino_energy_MeV(e_keV, m)
        pre_v = iso.nuclei_per_tonne * c.FERMI_CONSTANT_GeV2**2 * m / np.pi * f2 * _KERNEL_UNITS
        pre_s = (
            iso.nuclei_per_tonne * c.FERMI_CONSTANT_GeV2**2 * m**2 * e_GeV / (8 * np.pi) * f2 * _KERNEL_UNITS
        )
        for j, ch in enumerate(channels):
            mom = moment_table(ch, mixing, mode, None if nsi is None or nsi.is_zero else nsi)(e_min)
            vec[j, :, i] = pre_v * (mom[:, 0] - e_GeV * mom[:, 1] - 0.5 * m * e_GeV * mom[:, 2])
            sca[j, :, i] = pre_s * mom[:, 2]
    return UnitRates(e_keV, np.clip(vec, 0.0, None), np.clip(sca, 0.0, None), channels, target)


def _charges(target: Target, model: NSIModel | None) -> tuple[np.ndarray, np.ndarray]:
    """SM vector charge per isotope (n_iso,) and the model's per-unit-ε charge (n_iso, 3)."""
    q_sm = np.array([vector_charge_sm(i) for i in target.isotopes])
    if model is None:
        return q_sm, np.zeros((len(q_sm), 3))
    return q_sm, np.array([model.delta_charge(i) for i in target.isotopes])


def rate_components(unit: UnitRates, model: NSIModel | None = None) -> np.ndarray:
    """SM, LIN (per unit ε) and QUAD (per unit ε²) rates, shape (3, n_channels, n_E).

    The rate at ε is ``SM + ε·LIN + ε²·QUAD`` exactly (PHYSICS.md §4–5).
    """
    q_sm, dq = _charges(unit.target, model)
    sm = np.einsum("i,cfie->ce", q_sm**2, unit.vector)
    if model is None:
        return np.stack([sm, np.zeros_like(sm), np.zeros_like(sm)])
    if model.kernel == "vector":
        lin = np.einsum("i,if,cfie->ce", 2.0 * q_sm, dq, unit.vector)
        quad = np.einsum("if,cfie->ce", dq**2, unit.vector)
    else:
        lin = np.zeros_like(sm)
        quad = model.scalar_rate_factor * np.einsum("if,cfie->ce", dq**2, unit.scalar)
    return np.stack([sm, lin, quad])


def sm_differential_rate(target: Target, channels, recoil_energy_keV, **kwargs) -> np.ndarray:
    """SM dR/dE_R per channel, shape (n_channels, n_E), events / (t · yr · keV)."""
    unit = unit_rates(target, channels, recoil_energy_keV, **kwargs)
    return rate_components(unit)[0]


def __dir__() -> list[str]:
    return __all__
