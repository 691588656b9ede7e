"""90 % CL bounds on the minimal S1 leptoquark in the (m_S1, λ) plane (PHYSICS.md §6, §10, §11).

Contact (EFT) limit. Integrating out S1 gives ε^{dV}_αα = −λ²/(4√2 G_F m_S1²) (``leptoquark_epsilon``;
λ in the down-quark mass basis). CEvNS transfers q = √(2 m_N E_R) ≲ 0.1 GeV (xenon, E_R ≲ 50 keV), so the
propagator correction q²/m_S1² is < 10⁻⁶ for m_S1 ≥ 100 GeV: the contact limit is exact here and every bound
is one number, the excluded ε_90 < 0, mapped to λ_excluded(m) = m · √(4√2 G_F |ε_90|) — **λ ∝ m_S1**
(:func:`lambda_from_epsilon`). Only one flavour α (μ or τ) couples ("minimal LQ"), so a bound depends on the
flavour only through the solar ν_μ / ν_τ shares at the detector (PHYSICS.md §8).

Two methods:

* **LZ WS2022** (``lz-ws2022``, observed): the counting recast of :mod:`.lz_ws2022`. The NSI-induced excess
  s(ε) = ε·L + ε²·Q (L, Q: LIN and QUAD events summed over flux channels, LZ's efficiency, the recast window
  0–20 keVnr, LZ's 0.903 t·yr) is excluded where s ≥ ``LZ_SIGNAL_EVENTS_90CL`` = 2.55; ε < 0 gives an excess,
  so ν_90 = −ε_90 solves Q ν² − L ν = N_90 (closed form). Normalisation (PHYSICS.md §11): ``direct``
  (default) uses our computed rates — the same efficiency and window that calibrate N_90 on LZ's WIMP
  sensitivity, so the recast is self-consistent; ``lz-quoted`` rescales the excess by 0.14 / (our ⁸B count),
  LZ's own background-table ⁸B expectation (PRL 131 (2023) 041002), a weaker variant. Both are reported.
* **Future detectors** (``darwin``, ``argo``, ``lead`` = preset ``lead-future``): expected (Asimov, median)
  exclusion with the profile likelihood of PHYSICS.md §10 — SM/LIN/QUAD templates per flux channel, a
  linear-form workspace (one ``normsys`` per flux channel), compiled by the fast engine with ε tied
  (``CompiledModel.tied``). The test statistic is pyhf's q̃_μ in the signal strength ν = −ε ≥ 0 (rate
  monotonic in ν): on the background-only Asimov data ν̂ = 0, so q̃(ν) = 2[−ln L(ν, φ̂̂) + ln L(0, φ̂)].
  Asymptotic **CLs** (pyhf's ``calctype="asymptotics"``): the median expected CLs under the background is
  2[1 − Φ(√q̃_A)], so CLs = 0.10 at √q̃_A = Φ⁻¹(0.95) = 1.645 (q̃_A = 2.706; CLs+b would use 1.2816²). Any
  point can be cross-checked with ``pyhf.infer.hypotest`` on the (m, λ) patch of :mod:`cevns_stats.likelihood.publish`.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats

from cevns_stats.detector.efficiency import LZ_WS2022_EFFICIENCY
from cevns_stats.detector.presets import make_detector
from cevns_stats.errors import FitError, InvalidInput, UnknownName
from cevns_stats.experiments.lz_ws2022 import (
    LZ_EXPOSURE_TONNE_YEAR,
    LZ_SIGNAL_EVENTS_90CL,
    LZ_ANALYSIS_WINDOW_keV,
    lz_signal_events,
)
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.fit import fit_batch
from cevns_stats.likelihood.templates import TemplateSet, at_exposure, build_templates
from cevns_stats.likelihood.workspace import build_workspace
from cevns_stats.physics import constants as c
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import leptoquark_epsilon, make_model  # noqa: F401  (used by the doctest)
from cevns_stats.physics.nuclei import get_target
from cevns_stats.physics.rates import rate_components, unit_rates

if TYPE_CHECKING:
    from cevns_stats.physics.fluxes.channel import FluxChannel
    from cevns_stats.physics.oscillation import MixingParameters

log = logging.getLogger(__name__)

__all__ = [
    "ASIMOV_Q_CLS90",
    "CONFIDENCE_LEVEL",
    "EXPERIMENTS",
    "LQ_FLAVOURS",
    "LZ_QUOTED_B8_EVENTS",
    "NORMALISATIONS",
    "DEFAULT_MASSES_GeV",
    "LQLimit",
    "LZExcess",
    "asimov_epsilon_90",
    "asimov_exclusion_q",
    "future_lq_limit",
    "future_model",
    "future_templates",
    "lambda_from_epsilon",
    "lq_limit",
    "lz_excess_events",
    "lz_lq_limit",
    "solve_excess",
]

LQ_FLAVOURS = ("mu", "tau")
#: CLI experiment name → detector preset.
EXPERIMENTS = {"lz-ws2022": "lz-ws2022", "darwin": "darwin", "argo": "argo", "lead": "lead-future"}
NORMALISATIONS = ("direct", "lz-quoted")
#: LZ's background-table ⁸B CEvNS expectation in WS2022 [events] (PRL 131 (2023) 041002; PHYSICS.md §11).
LZ_QUOTED_B8_EVENTS = 0.14
CONFIDENCE_LEVEL = 0.90
#: q̃_A at which the median expected asymptotic CLs equals 1 − CL: √q̃_A = Φ⁻¹(1 − (1 − CL)/2).
ASIMOV_Q_CLS90 = float(stats.norm.ppf(1.0 - 0.5 * (1.0 - CONFIDENCE_LEVEL)) ** 2)
#: Default mass grid [GeV] of the bound curves (10 points per decade, 100 GeV – 100 TeV).
DEFAULT_MASSES_GeV = np.geomspace(1.0e2, 1.0e5, 31)
_B8 = "8B"
_NU_RANGE = (1.0e-7, 5.0)  # search range of ν = −ε for the Asimov bound


class LZExcess(NamedTuple):
    """Expected LZ WS2022 events in the recast (LZ efficiency, 0–20 keVnr, 0.903 t·yr), summed over channels.

    Attributes:
        lin_events: events per unit ε (negative: ε < 0 interferes constructively).
        quad_events: events per unit ε² (> 0).
        sm_events: SM CEvNS events.
        sm_8b_events: SM ⁸B CEvNS events (compare LZ's quoted 0.14).
    """

    lin_events: float
    quad_events: float
    sm_events: float
    sm_8b_events: float

    def excess(self, eps: ArrayLike) -> np.ndarray:
        """NSI-induced change of the event count at ε: ε·L + ε²·Q."""
        eps = np.asarray(eps, dtype=float)
        return eps * self.lin_events + eps**2 * self.quad_events


class LQLimit(NamedTuple):
    """A 90 % CL S1 bound: the excluded ε_90 and λ_excluded(m) = m·√(4√2 G_F |ε_90|).

    Attributes:
        experiment: ``lz-ws2022``, ``darwin``, ``argo`` or ``lead``.
        flavour: ``mu`` or ``tau``.
        exposure_tonne_year: exposure [t·yr].
        method: how the bound was obtained (one line).
        normalisation: ``direct`` or ``lz-quoted`` (LZ) / ``direct`` (future).
        epsilon_90: excluded ε^{dV} (< 0): couplings with ε ≤ ε_90 are excluded.
        sm_8b_events: SM ⁸B CEvNS events the bound is based on.
        masses_GeV: (n,) S1 masses [GeV].
        lambda_bound: (n,) excluded coupling λ at each mass (λ above it is excluded).
        details: extra JSON-ready numbers (event counts, variants, settings), always with the energy window
            the bound was computed in (``window_keV`` [keV], ``n_bins``, ``window_energy``: true recoil
            energy for the LZ counting recast, one count; reconstructed energy, log bins, for the future
            detectors, whose ``detector`` settings say ``null`` where the preset's default window applies).
    """

    experiment: str
    flavour: str
    exposure_tonne_year: float
    method: str
    normalisation: str
    epsilon_90: float
    sm_8b_events: float
    masses_GeV: np.ndarray
    lambda_bound: np.ndarray
    details: dict

    @classmethod
    def from_epsilon(
        cls, experiment: str, flavour: str, exposure_tonne_year: float, method: str, **kw: Any
    ) -> LQLimit:
        """The bound with ``lambda_bound`` computed from ``epsilon_90`` and ``masses_GeV`` (keywords: the
        other fields; ``normalisation`` defaults to ``direct``)."""
        kw.setdefault("normalisation", "direct")
        kw["lambda_bound"] = lambda_from_epsilon(kw["masses_GeV"], kw["epsilon_90"])
        return cls(experiment, flavour, exposure_tonne_year, method, **kw)

    @property
    def lambda_at_1TeV(self) -> float:
        """Excluded λ at m_S1 = 1 TeV."""
        return float(lambda_from_epsilon(1000.0, self.epsilon_90))

    def to_json(self) -> dict:
        """JSON-ready dict (the ``cevns-stats lq-limit --json`` contract)."""
        return {
            "experiment": self.experiment,
            "flavour": self.flavour,
            "exposure_tonne_year": self.exposure_tonne_year,
            "method": self.method,
            "normalisation": self.normalisation,
            "epsilon_90": self.epsilon_90,
            "sm_8b_events": self.sm_8b_events,
            "lambda_at_1TeV": self.lambda_at_1TeV,
            "masses_GeV": self.masses_GeV.tolist(),
            "lambda_bound": self.lambda_bound.tolist(),
            "confidence_level": CONFIDENCE_LEVEL,
            "details": self.details,
        }


def lambda_from_epsilon(mass_GeV: ArrayLike, epsilon: ArrayLike) -> np.ndarray:
    """λ = m_S1 · √(4√2 G_F |ε|), the inverse of ``leptoquark_epsilon`` (PHYSICS.md §6).

    Args:
        mass_GeV: S1 mass(es) [GeV].
        epsilon: ε^{dV} (sign ignored; the S1 gives ε < 0).

    Returns:
        λ (dimensionless), broadcast shape of the inputs.

    Example:
        >>> round(float(lambda_from_epsilon(1000.0, leptoquark_epsilon(1000.0, 0.7))), 12)
        0.7
    """
    scale = math.sqrt(4.0 * math.sqrt(2.0) * c.FERMI_CONSTANT_GeV2)
    return np.asarray(mass_GeV, dtype=float) * scale * np.sqrt(np.abs(np.asarray(epsilon, dtype=float)))


def _check_flavour(flavour: str) -> str:
    if flavour not in LQ_FLAVOURS:
        msg = f"unknown leptoquark flavour {flavour!r}; allowed: {', '.join(LQ_FLAVOURS)}"
        raise UnknownName(msg)
    return flavour


def _check_masses(masses_GeV: ArrayLike | None) -> np.ndarray:
    masses = np.atleast_1d(np.asarray(DEFAULT_MASSES_GeV if masses_GeV is None else masses_GeV, dtype=float))
    if masses.ndim != 1 or masses.size == 0 or not np.all(np.isfinite(masses) & (masses > 0)):
        msg = f"masses_GeV must be a non-empty 1-D array of finite masses > 0 GeV, got {masses_GeV!r}"
        raise InvalidInput(msg)
    return masses


def lz_excess_events(
    flavour: str, *, channels: Sequence[FluxChannel] | None = None, mixing: MixingParameters | None = None
) -> LZExcess:
    """LIN, QUAD, SM and SM-⁸B event counts of the minimal S1 (``flavour``) in the LZ WS2022 recast.

    Rates are integrated in true recoil energy with ``LZ_WS2022_EFFICIENCY`` over the recast window by
    :func:`~cevns_stats.experiments.lz_ws2022.lz_signal_events` (natural xenon, default flux channels).
    """
    model = make_model("lq-s1", flavour=_check_flavour(flavour))
    channels = get_channels() if channels is None else tuple(channels)
    xenon = get_target("xenon")

    def component(index: int, only: tuple[int, ...] | None = None) -> float:
        def rate(energy_keV: np.ndarray) -> np.ndarray:
            comps = rate_components(unit_rates(xenon, channels, energy_keV, mixing=mixing), model)[index]
            return comps.sum(axis=0) if only is None else comps[list(only)].sum(axis=0)

        return lz_signal_events(rate, efficiency=LZ_WS2022_EFFICIENCY)

    b8 = tuple(i for i, ch in enumerate(channels) if ch.name == _B8)
    return LZExcess(component(1), component(2), component(0), component(0, b8) if b8 else 0.0)


def solve_excess(lin_events: float, quad_events: float, n_events: float) -> float:
    """ν = −ε > 0 at which the excess −ν·L + ν²·Q equals ``n_events`` (> 0); L < 0 or Q > 0 required."""
    if not (n_events > 0 and (quad_events > 0 or lin_events < 0)):
        msg = f"no positive excess: L = {lin_events:g}, Q = {quad_events:g} events, N = {n_events:g}"
        raise InvalidInput(msg)
    if quad_events <= 0:
        log.debug("no quadratic excess (Q = %g events): the linear solution", quad_events)
        return -n_events / lin_events
    return (lin_events + math.sqrt(lin_events**2 + 4.0 * quad_events * n_events)) / (2.0 * quad_events)


def lz_lq_limit(
    flavour: str,
    *,
    normalisation: str = "direct",
    masses_GeV: ArrayLike | None = None,
    channels: Sequence[FluxChannel] | None = None,
) -> LQLimit:
    """Observed 90 % CL S1 bound from the LZ WS2022 counting recast (see the module docstring).

    Args:
        flavour: ``mu`` or ``tau``.
        normalisation: ``direct`` (our rates; default) or ``lz-quoted`` (excess × 0.14 / our ⁸B count).
        masses_GeV: masses of the curve [GeV]; default ``DEFAULT_MASSES_GeV``.
        channels: flux channels (default set).

    Returns:
        LQLimit; ``details`` holds L, Q, N_90 and λ(1 TeV) for both normalisations.
    """
    if normalisation not in NORMALISATIONS:
        msg = f"unknown normalisation {normalisation!r}; allowed: {', '.join(NORMALISATIONS)}"
        raise UnknownName(msg)
    masses = _check_masses(masses_GeV)
    counts = lz_excess_events(flavour, channels=channels)
    scales = {"direct": 1.0, "lz-quoted": LZ_QUOTED_B8_EVENTS / counts.sm_8b_events}
    eps = {
        k: -solve_excess(s * counts.lin_events, s * counts.quad_events, LZ_SIGNAL_EVENTS_90CL)
        for k, s in scales.items()
    }
    b8 = counts.sm_8b_events if normalisation == "direct" else LZ_QUOTED_B8_EVENTS
    method = (
        "LZ WS2022 counting recast: NSI excess (LIN+QUAD, LZ efficiency, 0-20 keVnr) = "
        f"{LZ_SIGNAL_EVENTS_90CL} events (90% CL, calibrated on LZ's WIMP median sensitivity)"
    )
    return LQLimit.from_epsilon(
        "lz-ws2022",
        flavour,
        LZ_EXPOSURE_TONNE_YEAR,
        method,
        normalisation=normalisation,
        epsilon_90=eps[normalisation],
        sm_8b_events=b8,
        masses_GeV=masses,
        details={
            "signal_events_90cl": LZ_SIGNAL_EVENTS_90CL,
            "lin_events_per_eps": counts.lin_events,
            "quad_events_per_eps2": counts.quad_events,
            "sm_events": counts.sm_events,
            "sm_8b_events_direct": counts.sm_8b_events,
            "sm_8b_events_lz_quoted": LZ_QUOTED_B8_EVENTS,
            "excess_scale": scales[normalisation],
            "window_keV": [float(x) for x in LZ_ANALYSIS_WINDOW_keV],
            "n_bins": 1,  # one count over the window (lz_signal_events)
            "window_energy": "true recoil (keVnr)",
            "efficiency": "lz-ws2022",
            "epsilon_90_by_normalisation": eps,
            "lambda_at_1TeV_by_normalisation": {
                k: float(lambda_from_epsilon(1000.0, e)) for k, e in eps.items()
            },
        },
    )


def future_templates(
    experiment: str,
    flavour: str,
    *,
    exposure_tonne_year: float | None = None,
    channels: Sequence[FluxChannel] | None = None,
) -> TemplateSet:
    """SM/LIN/QUAD templates (per unit ε) of the minimal S1 for a future-detector preset."""
    preset = EXPERIMENTS.get(experiment)
    if preset is None or experiment == "lz-ws2022":
        msg = f"unknown future experiment {experiment!r}; allowed: darwin, argo, lead"
        raise UnknownName(msg)
    detector = make_detector(preset, exposure_tonne_year=exposure_tonne_year)
    if channels is None:  # every channel: the preset's templates, built once, scaled to the exposure
        return at_exposure(_preset_templates(experiment, _check_flavour(flavour)), detector)
    model = make_model("lq-s1", flavour=_check_flavour(flavour))
    return build_templates(detector, channels, model, preset=preset)


@functools.cache
def _preset_templates(experiment: str, flavour: str) -> TemplateSet:
    """The S1 templates of a future-detector preset at its own exposure with every flux channel (cached:
    Figs 6 and 9 need four exposures of each)."""
    preset = EXPERIMENTS[experiment]
    model = make_model("lq-s1", flavour=flavour)
    return build_templates(make_detector(preset), get_channels(), model, preset=preset)


def future_model(templates: TemplateSet) -> CompiledModel:
    """The linear-form workspace of ``templates`` compiled with ε tied (POI ``eps``), data = SM Asimov."""
    spec = build_workspace(templates, form="linear", validate=False)  # compiled at once, never written
    return CompiledModel.from_workspace(spec, validate=False).tied()


def asimov_exclusion_q(model: CompiledModel, nu: ArrayLike) -> np.ndarray:
    """q̃(ν) = 2[−ln L(ε = −ν, φ̂̂) + ln L(0, φ̂)] on the model's (background-only Asimov) data; shape (n,)."""
    if model.observed_main is None or model.observed_aux is None:
        msg = "the model carries no data: compile it with CompiledModel.from_workspace"
        raise InvalidInput(msg)
    nu = np.atleast_1d(np.asarray(nu, dtype=float))
    n = nu.size
    data = (np.tile(model.observed_main, (n, 1)), np.tile(model.observed_aux, (n, 1)))
    null = fit_batch(model, data[0][:1], data[1][:1], fixed={"eps": 0.0})
    alt = fit_batch(model, *data, fixed={"eps": -nu})
    if not (null.converged.all() and alt.converged.all()):
        msg = f"profile fits did not converge for nu = {nu[~alt.converged].tolist()}"
        raise FitError(msg)
    return np.clip(2.0 * (alt.nll - null.nll[0]), 0.0, None)


def asimov_epsilon_90(model: CompiledModel, *, q_crit: float = ASIMOV_Q_CLS90) -> float:
    """Median expected 90 % CL exclusion ε_90 < 0: the ν = −ε where q̃_A(ν) = ``q_crit`` (asymptotic CLs)."""
    grid = np.geomspace(*_NU_RANGE, 36)
    q = asimov_exclusion_q(model, grid)
    above = np.flatnonzero(q >= q_crit)
    if above.size == 0 or above[0] == 0:
        msg = f"the 90% CL crossing lies outside nu in {_NU_RANGE} (q at the ends: {q[0]:g}, {q[-1]:g})"
        raise FitError(msg)
    lo, hi = np.log(grid[above[0] - 1]), np.log(grid[above[0]])
    root = optimize.brentq(lambda x: asimov_exclusion_q(model, math.exp(x))[0] - q_crit, lo, hi, xtol=1e-10)
    log.debug("Asimov q~ = %g at nu = %.6g (bracket %.3g to %.3g)", q_crit, math.exp(root), *np.exp([lo, hi]))
    return -math.exp(root)


def future_lq_limit(
    experiment: str,
    flavour: str,
    *,
    exposure_tonne_year: float | None = None,
    masses_GeV: ArrayLike | None = None,
    channels: Sequence[FluxChannel] | None = None,
) -> LQLimit:
    """Expected (Asimov median) 90 % CL S1 bound of a future detector (profile likelihood, asymptotic CLs)."""
    masses = _check_masses(masses_GeV)
    if exposure_tonne_year is None:
        log.debug("%s: the preset's own exposure", experiment)
    templates = future_templates(
        experiment, flavour, exposure_tonne_year=exposure_tonne_year, channels=channels
    )
    eps90 = asimov_epsilon_90(future_model(templates))
    names = list(templates.channels)
    b8 = float(templates.values["SM"][names.index(_B8)].sum()) if _B8 in names else 0.0
    exposure = float(templates.metadata["exposure_tonne_year"])
    method = (
        "expected (Asimov, median) asymptotic CLs with q~_mu in nu = -eps >= 0, binned profile "
        "likelihood with one normsys per flux channel (fast engine)"
    )
    return LQLimit.from_epsilon(
        experiment,
        flavour,
        exposure,
        method,
        epsilon_90=eps90,
        sm_8b_events=b8,
        masses_GeV=masses,
        details={
            "preset": EXPERIMENTS[experiment],
            "q_tilde_asimov_90": ASIMOV_Q_CLS90,
            "sm_events": float(templates.values["SM"].sum()),
            "sm_8b_events_per_tonne_year": b8 / exposure,
            "window_keV": [float(x) for x in templates.metadata["window_keV"]],
            "n_bins": int(templates.edges_keV.size - 1),
            "window_energy": "reconstructed",
            "detector": templates.metadata["settings"]["detector"],
        },
    )


def lq_limit(
    experiment: str,
    flavour: str,
    *,
    exposure_tonne_year: float | None = None,
    normalisation: str = "direct",
    masses_GeV: ArrayLike | None = None,
) -> LQLimit:
    """The 90 % CL S1 bound for ``experiment`` (``EXPERIMENTS``) and ``flavour`` (validated entry point).

    Raises:
        UnknownName: unknown experiment, flavour or normalisation.
        InvalidInput: exposure not finite and > 0, an exposure or ``lz-quoted`` where they do not apply,
            bad masses.
    """
    if experiment not in EXPERIMENTS:
        msg = f"unknown experiment {experiment!r}; allowed: {', '.join(EXPERIMENTS)}"
        raise UnknownName(msg)
    _check_flavour(flavour)
    if exposure_tonne_year is not None and not (
        math.isfinite(exposure_tonne_year) and exposure_tonne_year > 0
    ):
        msg = f"exposure must be a finite number > 0 t·yr, got {exposure_tonne_year!r}"
        raise InvalidInput(msg)
    if experiment == "lz-ws2022":
        if exposure_tonne_year is not None:
            msg = "the LZ WS2022 recast is fixed to LZ's 0.903 t·yr; --exposure applies to darwin, argo, lead"
            raise InvalidInput(msg)
        return lz_lq_limit(flavour, normalisation=normalisation, masses_GeV=masses_GeV)
    if normalisation != "direct":
        msg = f"normalisation {normalisation!r} applies to lz-ws2022 only; future detectors use 'direct'"
        raise InvalidInput(msg)
    return future_lq_limit(
        experiment, flavour, exposure_tonne_year=exposure_tonne_year, masses_GeV=masses_GeV
    )


def __dir__() -> list[str]:
    return __all__
