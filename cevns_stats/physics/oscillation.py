"""Flavour composition at the detector: solar MSW, vacuum-averaged mixing (PHYSICS.md §8).

Solar neutrinos are born ν_e and leave the Sun adiabatically as an incoherent mixture of mass states,
P_e1 = cos²θ13 cos²θ12^m, P_e2 = cos²θ13 sin²θ12^m, P_e3 = sin²θ13, with the matter angle θ12^m at
the production point averaged over each channel's production region. The solar model enters through a
compact fit (coefficients below, made by ``scripts/fit_solar_profiles.py``) of the B16-GS98 profiles
(Vinyoles et al. 2017, arXiv:1611.09867): log10(n_e/N_A) as a polynomial in the radius and each
channel's production density as generalised-gamma components ``w r^a exp(-(r/b)^c)``. The fit gives
P_ee within 1.5e-3 of the tabulated profiles for every channel at 0.1–15 MeV (worst: hep, ¹³N).

Other sources (atmospheric, DSNB, reactor, geo) use averaged vacuum mixing,
P_αβ = Σ_i |U_αi|² |U_βi|², or no mixing. For sub-GeV atmospheric neutrinos the averaged form is
right for up-going directions only: down-going baselines (15–500 km) are not averaged, so the
flavour share is off by 10–30 %. This matters only for minimal μ/τ NSI (SM CEvNS is flavour blind).

NSI in solar propagation (beyond arXiv:2307.15736, whose App. C neglects it; as SNuDD does): flavour-
diagonal vector NSI with quarks add √2 G_F Σ_q n_q ε^{qV}_{αα} to the flavour-basis matter potential
(:class:`MatterNSI`, docs/physics.md). The 3×3 potential is rotated into the (θ23, θ13) propagation
basis and its upper 2×2 block drives the ν_e–ν_x mixing (Gonzalez-Garcia & Maltoni, JHEP 09 (2013)
152, Sec. 2; Amaral et al., JHEP 07 (2023) 071); with ε = 0 this is exactly the standard formula. The
quark densities use n_p = n_e and n_n/n_e of the B16-GS98 Sun (fit below). The Earth is not included,
with or without NSI: solar results are daytime (no regeneration, a few-per-cent night-time effect).
Atmospheric and other non-solar sources keep vacuum-averaged mixing (no NSI in their propagation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from functools import cache

import numpy as np
from scipy.special import gammaln

from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.physics.constants import MSW_BETA_COEFFICIENT, OSCILLATION_DEFAULTS
from cevns_stats.physics.fluxes.channel import FLAVOURS, SPECIES, FluxChannel

__all__ = [
    "MIXING_OPTIONS",
    "SOLAR_CHANNELS",
    "MatterNSI",
    "MixingParameters",
    "flavour_fractions",
    "pmns_matrix",
    "solar_electron_density_NA_cm3",
    "solar_flavour_probabilities",
    "solar_mass_state_probabilities",
    "solar_neutron_ratio",
    "solar_pee",
    "solar_production_density",
    "vacuum_averaged_matrix",
]

#: Ways of propagating non-solar species to the detector.
MIXING_OPTIONS = ("averaged", "none")

# --- B16-GS98 fit (scripts/fit_solar_profiles.py; Vinyoles et al. 2017, arXiv:1611.09867) ---------
#: log10(n_e / N_A cm^-3) as a polynomial in r / R_sun on 0 ≤ r ≤ 0.5, highest power first.
_LOG10_NE_POLY = (
    -3.748405e02,
    5.807600e02,
    -3.462471e02,
    1.098327e02,
    -2.504962e01,
    -1.311698e-01,
    2.006619e00,
)
#: Production density dP/dr per channel: components (w, a, b, c) of w·GG(r; a, b, c), ∫GG dr = 1.
_PRODUCTION_PROFILES: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    "pp": ((0.994531, 2.35202, 0.0782199, 1.61362),),
    "pep": ((0.996417, 2.22398, 0.072904, 1.67447),),
    "hep": ((1.00625, 2.49521, 0.0987122, 1.68905),),
    "7Be": ((0.994935, 2.25973, 0.0478376, 1.60548),),
    "8B": ((0.997194, 2.07438, 0.041646, 1.85401),),
    "13N": (
        (0.734226, 2.05352, 0.0428711, 1.76103),
        (0.256764, 177.911, 0.0001, 0.739823),
    ),
    "15O": ((0.997736, 2.12083, 0.0408172, 1.69388),),
    "17F": ((0.997137, 2.1147, 0.0404091, 1.73729),),
}
#: n_n/n_e = (1 − X)/(1 + X) as a polynomial in r / R_sun on 0.02 ≤ r ≤ 0.5 (held below 0.02), highest
#: power first; X = 2 n_e/(N_A ρ) − 1 from the B16-GS98 electron density and zone masses
#: (scripts/fit_solar_profiles.py; max deviation 0.018, RMS 0.006 — the table's rounding noise).
_NEUTRON_RATIO_POLY = (7.509779e01, -8.126557e01, 1.834608e01, 7.507648e00, -3.714472e00, 5.973420e-01)
_NEUTRON_RATIO_MIN_RADIUS = 0.02
#: Outer radius of the quadrature grid [R_sun]; the B16 production table itself ends there.
_RADIUS_MAX = 0.5
_N_RADIUS = 400

#: Channel name → profile name (the two ⁷Be lines share the ⁷Be profile).
_SOLAR_ALIASES = {"7Be_384": "7Be", "7Be_862": "7Be"}
#: Accepted solar channel names.
SOLAR_CHANNELS = ("pp", "pep", "hep", "7Be", "7Be_384", "7Be_862", "8B", "13N", "15O", "17F")


def _default(key: str) -> float:
    return OSCILLATION_DEFAULTS[key]


@dataclass(frozen=True)
class MixingParameters:
    """Three-flavour mixing parameters (defaults: NuFIT 5.2 NO, ``constants.OSCILLATION_DEFAULTS``).

    Attributes:
        theta12_deg, theta13_deg, theta23_deg: mixing angles [degrees], each in [0, 90].
        delta_cp_deg: Dirac CP phase [degrees], in [0, 360).
        dm21_eV2: Δm²21 [eV²], > 0.
        dm31_eV2: Δm²31 [eV²], non-zero (negative for inverted ordering); unused by averaged mixing.

    Raises:
        InvalidInput: if a value is outside its allowed range.

    Example:
        >>> MixingParameters(theta23_deg=41.0).theta23_deg
        41.0
    """

    theta12_deg: float = field(default_factory=lambda: _default("theta12_deg"))
    theta13_deg: float = field(default_factory=lambda: _default("theta13_deg"))
    theta23_deg: float = field(default_factory=lambda: _default("theta23_deg"))
    delta_cp_deg: float = field(default_factory=lambda: _default("delta_cp_deg"))
    dm21_eV2: float = field(default_factory=lambda: _default("dm21_eV2"))
    dm31_eV2: float = field(default_factory=lambda: _default("dm31_eV2"))

    def __post_init__(self) -> None:
        for name in ("theta12_deg", "theta13_deg", "theta23_deg"):
            value = getattr(self, name)
            if not 0.0 <= value <= 90.0:
                msg = f"{name} = {value!r} is outside the allowed range [0, 90] degrees"
                raise InvalidInput(msg)
        if not 0.0 <= self.delta_cp_deg < 360.0:
            msg = f"delta_cp_deg = {self.delta_cp_deg!r} is outside the allowed range [0, 360) degrees"
            raise InvalidInput(msg)
        if not self.dm21_eV2 > 0.0 or not math.isfinite(self.dm21_eV2):
            msg = f"dm21_eV2 = {self.dm21_eV2!r} must be a finite positive number [eV^2]"
            raise InvalidInput(msg)
        if self.dm31_eV2 == 0.0 or not math.isfinite(self.dm31_eV2):
            msg = f"dm31_eV2 = {self.dm31_eV2!r} must be finite and non-zero [eV^2]"
            raise InvalidInput(msg)


@dataclass(frozen=True)
class MatterNSI:
    """Flavour-diagonal vector NSI with quarks in the matter potential (docs/physics.md, NSI in propagation).

    The flavour-basis potential is √2 G_F [n_e diag(1, 0, 0) + n_u diag(ε^u) + n_d diag(ε^d)], with
    n_u = 2n_p + n_n, n_d = n_p + 2n_n and n_p = n_e. ε^{qV} = ε^{qL} + ε^{qR} in the normalisation of
    PHYSICS.md §4 (the coupling that enters CEvNS).

    Attributes:
        eps_u: (ε^{uV}_ee, ε^{uV}_μμ, ε^{uV}_ττ).
        eps_d: (ε^{dV}_ee, ε^{dV}_μμ, ε^{dV}_ττ).

    Example:
        >>> MatterNSI(eps_d=(0.05, 0.0, 0.0)).is_zero
        False
    """

    eps_u: tuple[float, float, float] = (0.0, 0.0, 0.0)
    eps_d: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        for name in ("eps_u", "eps_d"):
            values = tuple(float(x) for x in getattr(self, name))
            if len(values) != 3 or not all(math.isfinite(x) for x in values):
                msg = f"{name} must be three finite couplings (e, mu, tau), got {getattr(self, name)!r}"
                raise InvalidInput(msg)
            object.__setattr__(self, name, values)

    @property
    def is_zero(self) -> bool:
        """Whether every coupling vanishes (the standard MSW result applies exactly)."""
        return not any(self.eps_u) and not any(self.eps_d)

    def potential_diagonal(self, neutron_ratio: np.ndarray) -> np.ndarray:
        """diag of the flavour-basis potential in units of √2 G_F n_e, shape (3, n) for n radii."""
        ratio = np.asarray(neutron_ratio, dtype=float)
        up = 2.0 + ratio  # n_u / n_e
        down = 1.0 + 2.0 * ratio  # n_d / n_e
        electron = np.array([1.0, 0.0, 0.0])
        return (
            electron[:, None]
            + np.multiply.outer(np.array(self.eps_u), up)
            + np.multiply.outer(np.array(self.eps_d), down)
        )


def _params(params: MixingParameters | None) -> MixingParameters:
    return MixingParameters() if params is None else params


def pmns_matrix(params: MixingParameters | None = None) -> np.ndarray:
    """PMNS matrix U_αi in the standard (PDG) parametrisation, without Majorana phases.

    Args:
        params: mixing parameters; defaults to ``MixingParameters()``.

    Returns:
        complex array, shape (3, 3): rows α = e, μ, τ; columns i = 1, 2, 3.

    Example:
        >>> u = pmns_matrix()
        >>> bool(np.allclose(u @ u.conj().T, np.eye(3)))
        True
    """
    p = _params(params)
    s12, s13, s23 = (math.sin(math.radians(x)) for x in (p.theta12_deg, p.theta13_deg, p.theta23_deg))
    c12, c13, c23 = (math.cos(math.radians(x)) for x in (p.theta12_deg, p.theta13_deg, p.theta23_deg))
    phase = np.exp(1j * math.radians(p.delta_cp_deg))
    return np.array(
        [
            [c12 * c13, s12 * c13, s13 / phase],
            [-s12 * c23 - c12 * s23 * s13 * phase, c12 * c23 - s12 * s23 * s13 * phase, s23 * c13],
            [s12 * s23 - c12 * c23 * s13 * phase, -c12 * s23 - s12 * c23 * s13 * phase, c23 * c13],
        ]
    )


def vacuum_averaged_matrix(params: MixingParameters | None = None) -> np.ndarray:
    """Oscillation-averaged vacuum probabilities P_αβ = Σ_i |U_αi|² |U_βi|².

    Args:
        params: mixing parameters; defaults to ``MixingParameters()``.

    Returns:
        array, shape (3, 3): P[α, β] for α → β, flavours ordered e, μ, τ (symmetric, rows sum to 1).

    Example:
        >>> bool(np.allclose(vacuum_averaged_matrix().sum(axis=1), 1.0))
        True
    """
    weights = np.abs(pmns_matrix(params)) ** 2
    return weights @ weights.T


def solar_electron_density_NA_cm3(radius_Rsun) -> np.ndarray:
    """Electron density n_e / N_A [cm⁻³] of the B16-GS98 Sun (fit; valid for r ≤ 0.5 R_sun).

    Args:
        radius_Rsun: radius in units of the solar radius, any shape.

    Returns:
        array of the same shape: n_e / N_A [cm⁻³] (≈ 100 at the centre).
    """
    return 10.0 ** np.polyval(_LOG10_NE_POLY, np.asarray(radius_Rsun, dtype=float))


def solar_neutron_ratio(radius_Rsun) -> np.ndarray:
    """n_n / n_e of the B16-GS98 Sun (fit; valid for r ≤ 0.5 R_sun, held constant below 0.02 R_sun).

    Example:
        >>> 0.4 < float(solar_neutron_ratio(0.05)) < 0.5
        True
    """
    radius = np.maximum(np.asarray(radius_Rsun, dtype=float), _NEUTRON_RATIO_MIN_RADIUS)
    return np.polyval(_NEUTRON_RATIO_POLY, radius)


def _generalised_gamma(radius, weight, a, b, c):
    """w · c r^a exp(-(r/b)^c) / (b^(a+1) Γ((a+1)/c)): a density in r with ∫₀^∞ = w."""
    log_norm = math.log(c) - (a + 1.0) * math.log(b) - gammaln((a + 1.0) / c)
    r = np.asarray(radius, dtype=float)
    with np.errstate(divide="ignore"):
        log_shape = a * np.log(r) - (r / b) ** c
    return weight * np.exp(log_norm + log_shape)


def _profile_name(channel: str) -> str:
    name = _SOLAR_ALIASES.get(channel, channel)
    if name not in _PRODUCTION_PROFILES:
        msg = f"unknown solar channel {channel!r}; allowed: {', '.join(SOLAR_CHANNELS)}"
        raise UnknownName(msg)
    return name


def solar_production_density(channel: str, radius_Rsun) -> np.ndarray:
    """Fraction of a channel's neutrinos produced per unit radius, dP/dr [1/R_sun] (B16-GS98 fit).

    Args:
        channel: solar channel name (one of ``SOLAR_CHANNELS``).
        radius_Rsun: radius in units of the solar radius, any shape.

    Returns:
        array of the same shape; ∫₀^∞ dP/dr dr = 1.

    Raises:
        UnknownName: if the channel is not a solar channel.
    """
    components = _PRODUCTION_PROFILES[_profile_name(channel)]
    return sum(_generalised_gamma(radius_Rsun, *row) for row in components)


@cache
def _radial_quadrature(profile: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Midpoint grid on [0, _RADIUS_MAX]: (n_e/N_A, n_n/n_e at the nodes, normalised weights), shapes (n,)."""
    edges = np.linspace(0.0, _RADIUS_MAX, _N_RADIUS + 1)
    radius = 0.5 * (edges[1:] + edges[:-1])
    weights = solar_production_density(profile, radius)
    weights.setflags(write=False)
    density = solar_electron_density_NA_cm3(radius)
    density.setflags(write=False)
    ratio = solar_neutron_ratio(radius)
    ratio.setflags(write=False)
    return density, ratio, weights / weights.sum()


def _propagation_block(
    nsi: MatterNSI, neutron_ratio: np.ndarray, params: MixingParameters
) -> tuple[np.ndarray, np.ndarray]:
    """(a − d, b) of the potential's upper 2×2 block in the (θ23, θ13) basis, in units of √2 G_F n_e.

    W = U23 U13 (the PMNS matrix with θ12 = 0); V' = W† diag(v) W; a, d, b = V'_11, V'_22, V'_12.
    Shapes (n,), b complex. With ε = 0: a − d = cos²θ13, b = 0 (the standard case).
    """
    rotation = pmns_matrix(dataclass_replace(params, theta12_deg=0.0))
    diagonal = nsi.potential_diagonal(neutron_ratio)  # (3, n)
    block = np.einsum("ak,an,al->kln", rotation.conj(), diagonal, rotation)
    return (block[0, 0] - block[1, 1]).real, block[0, 1]


def _energy_array(energy_MeV) -> np.ndarray:
    energy = np.atleast_1d(np.asarray(energy_MeV, dtype=float))
    if not np.all(np.isfinite(energy)) or np.any(energy < 0.0):
        msg = "energy_MeV must be finite and non-negative [MeV]"
        raise InvalidInput(msg)
    return energy


def solar_mass_state_probabilities(
    channel: str, energy_MeV, params: MixingParameters | None = None, nsi: MatterNSI | None = None
) -> np.ndarray:
    """Production-averaged probabilities P_e1, P_e2, P_e3 of a solar ν_e reaching Earth as ν_i.

    β = MSW_BETA_COEFFICIENT · cos²θ13 · (n_e/N_A) · E / Δm²21 at each production radius;
    cos2θ12^m = (cos2θ12 − β) / sqrt((cos2θ12 − β)² + sin²2θ12)  (PHYSICS.md §8).
    With vector NSI in the matter potential (``nsi``), β₀ = β / cos²θ13 and the block (a − d, b) of
    :func:`_propagation_block`: cos2θ12^m = (cos2θ12 − β₀(a − d)) / sqrt((…)² + |sin2θ12 + 2β₀ b|²).

    Args:
        channel: solar channel (``pp``, ``pep``, ``hep``, ``7Be``/``7Be_384``/``7Be_862``, ``8B``,
            ``13N``, ``15O``, ``17F``).
        energy_MeV: neutrino energy [MeV], scalar or array of shape (n,).
        params: mixing parameters; defaults to ``MixingParameters()``.
        nsi: vector NSI in the solar matter potential, or ``None`` (standard MSW).

    Returns:
        array, shape (3, n): P_ei for i = 1, 2, 3; the columns sum to 1.

    Raises:
        UnknownName: if the channel is not a solar channel.
        InvalidInput: if an energy is negative or not finite.

    Example:
        >>> p = solar_mass_state_probabilities("8B", [0.1, 10.0])
        >>> bool(np.allclose(p.sum(axis=0), 1.0))
        True
    """
    p = _params(params)
    density, neutron_ratio, weights = _radial_quadrature(_profile_name(channel))
    energy = _energy_array(energy_MeV)
    cos2_13 = math.cos(math.radians(p.theta13_deg)) ** 2
    two_theta12 = math.radians(2.0 * p.theta12_deg)
    if nsi is None or nsi.is_zero:
        beta = MSW_BETA_COEFFICIENT * cos2_13 / p.dm21_eV2 * np.multiply.outer(energy, density)
        numerator = math.cos(two_theta12) - beta
        cos_2theta_m = numerator / np.hypot(numerator, math.sin(two_theta12))
    else:
        diagonal, off_diagonal = _propagation_block(nsi, neutron_ratio, p)
        beta0 = MSW_BETA_COEFFICIENT / p.dm21_eV2 * np.multiply.outer(energy, density)
        numerator = math.cos(two_theta12) - beta0 * diagonal
        cos_2theta_m = numerator / np.hypot(
            numerator, np.abs(math.sin(two_theta12) + 2.0 * beta0 * off_diagonal)
        )
    cos2_12m = 0.5 * (1.0 + cos_2theta_m) @ weights
    return np.stack([cos2_13 * cos2_12m, cos2_13 * (1.0 - cos2_12m), np.full_like(cos2_12m, 1.0 - cos2_13)])


def solar_flavour_probabilities(
    channel: str, energy_MeV, params: MixingParameters | None = None, nsi: MatterNSI | None = None
) -> np.ndarray:
    """Probabilities P_eα (α = e, μ, τ) of a solar ν_e arriving as flavour α: Σ_i P_ei |U_αi|².

    Args:
        channel: solar channel name (see ``solar_mass_state_probabilities``).
        energy_MeV: neutrino energy [MeV], scalar or array of shape (n,).
        params: mixing parameters; defaults to ``MixingParameters()``.

    Returns:
        array, shape (3, n): rows e, μ, τ; the columns sum to 1.

    Example:
        >>> bool(np.allclose(solar_flavour_probabilities("pp", 0.3).sum(axis=0), 1.0))
        True
    """
    mass_states = solar_mass_state_probabilities(channel, energy_MeV, params, nsi)
    return np.abs(pmns_matrix(params)) ** 2 @ mass_states


def solar_pee(
    channel: str, energy_MeV, params: MixingParameters | None = None, nsi: MatterNSI | None = None
) -> np.ndarray:
    """Solar ν_e survival probability P_ee, shape (n,) (row e of ``solar_flavour_probabilities``).

    Example:
        >>> float(solar_pee("8B", 0.1)[0]) > 0.5
        True
    """
    return solar_flavour_probabilities(channel, energy_MeV, params, nsi)[0]


def _source_flavours(species: tuple[str, ...]) -> np.ndarray:
    """Equal-weight flavour vector (e, μ, τ) of the species produced at the source, shape (3,)."""
    source = np.zeros(len(FLAVOURS))
    for name in species:
        if name not in SPECIES:
            msg = f"unknown neutrino species {name!r}; allowed: {', '.join(SPECIES)}"
            raise UnknownName(msg)
        flavour = name[2:].removesuffix("bar")
        source[FLAVOURS.index(flavour)] += 1.0
    if not source.any():
        msg = "a flux channel must list at least one species"
        raise InvalidInput(msg)
    return source / source.sum()


def flavour_fractions(
    channel: FluxChannel,
    energy_MeV,
    *,
    params: MixingParameters | None = None,
    mixing: str = "averaged",
    nsi: MatterNSI | None = None,
) -> np.ndarray:
    """Flavour composition (e, μ, τ; ν and ν̄ together) of a flux channel at the detector.

    Solar channels (born ν_e) use ``solar_flavour_probabilities`` (MSW, energy dependent). Other
    families mix their species (equally weighted) with ``vacuum_averaged_matrix`` when
    ``mixing="averaged"``, or keep them when ``mixing="none"``; those results do not depend on
    energy. Atmospheric caveat: the averaged form holds for up-going neutrinos only (down-going
    baselines of 15–500 km are not averaged), a 10–30 % effect on the flavour share (PHYSICS.md §8).

    Args:
        channel: the flux channel.
        energy_MeV: neutrino energy [MeV], scalar or shape (n,); for line channels the line energy.
        params: mixing parameters; defaults to ``MixingParameters()``.
        mixing: ``"averaged"`` or ``"none"`` (ignored for solar channels, which always oscillate).
        nsi: vector NSI in the solar matter potential (solar channels only), or ``None``.

    Returns:
        array, shape (3, n): fractions of flavours e, μ, τ; each column sums to 1.

    Raises:
        InvalidInput: if ``mixing`` is not one of ``MIXING_OPTIONS`` or an energy is invalid.
        UnknownName: if a solar channel name or a species is not known.
    """
    if mixing not in MIXING_OPTIONS:
        msg = f"mixing = {mixing!r} is not allowed; use one of {', '.join(MIXING_OPTIONS)}"
        raise InvalidInput(msg)
    if channel.family == "solar":
        return solar_flavour_probabilities(channel.name, energy_MeV, params, nsi)
    energy = _energy_array(energy_MeV)
    source = _source_flavours(channel.species)
    detected = source @ vacuum_averaged_matrix(params) if mixing == "averaged" else source
    return np.repeat(detected[:, np.newaxis], energy.size, axis=1).reshape((3, *energy.shape))


def __dir__() -> list[str]:
    return __all__
