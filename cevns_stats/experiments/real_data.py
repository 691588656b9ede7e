"""Results from observed data: XENONnT + PandaX-4T + LZ WS2022 — ⁸B flux, NSI intervals, S1 bounds.

Experiments (``EXPERIMENTS``): ``xenonnt`` (:mod:`.xenonnt`, binned release), ``pandax4t`` (:mod:`.pandax4t`,
counting), ``lz-ws2022`` (one counting bin, below) and ``combined`` (all channels in one pyhf workspace; the
flux nuisances ``nu_flux_<k>`` — and, for the flux measurement, the POI ``mu_8B`` — are shared by name, every
detector nuisance stays its experiment's own).

LZ WS2022 as a likelihood. LZ saw no NR excess; :mod:`.lz_ws2022` calls a signal excluded at 90 % CL when it
gives ``LZ_SIGNAL_EVENTS_90CL`` = 2.55 events (LZ efficiency, 0–20 keVnr, 0.903 t·yr; calibrated on LZ's WIMP
median sensitivity). Its pyhf form here is one Poisson bin with observed = expected = b (LZ's median, no
excess), where b is chosen so that the profile-likelihood 90 % CL interval used for every result below
(t = 2[s − b ln(1 + s/b)] = χ²₁(0.90) = 2.706) ends at s = 2.55: b = 0.880 events, made of our SM CEvNS
events (sample per flux channel, with the flux nuisance) and a fixed remainder ``lz_ws2022_other``. The
LZ-only intervals are therefore the counting recast's, and the same channel enters the combination.

Results (profile likelihood; the fast engine ``CompiledModel``, cross-checked against pyhf in the tests):

* ⁸B flux: μ̂ = Φ̂/Φ_B16 with the 68 % interval (t ≤ 1) and the discovery significance Z = √q0 of μ_8B = 0
  (form ``"flux"`` of :func:`~cevns_stats.experiments.recast_channel.build_recast_workspace`);
* NSI: allowed ε at 90 % CL, t_ε ≤ 2.706 with the flux and detector nuisances profiled, ε tied in SM + ε·LIN
  + ε²·QUAD (:func:`cevns_stats.inference.limits.eps_intervals`);
* S1 leptoquark: ε^{dV}_αα = −λ²/(4√2 G_F m²) < 0; the bound is the most negative allowed ε (ε_90), mapped to
  λ_excluded(m) = m·√(4√2 G_F |ε_90|) (:func:`cevns_stats.experiments.leptoquark.lambda_from_epsilon`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import NamedTuple

import numpy as np
from scipy import optimize, stats

from cevns_stats.detector.efficiency import LZ_WS2022_EFFICIENCY
from cevns_stats.errors import FitError, InvalidInput, UnknownName
from cevns_stats.experiments.leptoquark import CONFIDENCE_LEVEL, LQLimit
from cevns_stats.experiments.lz_ws2022 import LZ_EXPOSURE_TONNE_YEAR, LZ_SIGNAL_EVENTS_90CL, lz_signal_events
from cevns_stats.experiments.pandax4t import PANDAX_SIGNIFICANCE, PANDAX_B8_FLUX_cm2_s, pandax4t_channels
from cevns_stats.experiments.recast_channel import B8_POI, RecastChannel, build_recast_workspace
from cevns_stats.experiments.xenonnt import DEFAULT_FLUX_CHANNELS, RUNS, xenonnt_channels
from cevns_stats.inference.discovery import q0
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.fit import fit_batch
from cevns_stats.inference.limits import eps_intervals
from cevns_stats.physics.fluxes.catalogue import DEFAULT_CHANNELS, get_channels
from cevns_stats.physics.interactions import NSIModel, make_model
from cevns_stats.physics.nuclei import get_target
from cevns_stats.physics.rates import rate_components, unit_rates

__all__ = [
    "CONFIDENCE_LEVEL",
    "EXPERIMENTS",
    "LZ_FLUX_CHANNELS",
    "NSI_BENCHMARKS",
    "PUBLISHED_FLUX",
    "FluxMeasurement",
    "NSIInterval",
    "b8_reference_flux",
    "benchmark_model",
    "experiment_channels",
    "flux_measurement",
    "lq_bound",
    "lz_effective_background",
    "lz_ws2022_channel",
    "nsi_interval",
]

log = logging.getLogger(__name__)

EXPERIMENTS = ("xenonnt", "pandax4t", "lz-ws2022", "combined")
#: Flux channels of the LZ bin: every default channel with SM recoils in its 0–20 keVnr window.
LZ_FLUX_CHANNELS = ("8B", "hep", *(n for n in DEFAULT_CHANNELS if n.startswith(("atm_", "dsnb_"))))
#: Published ⁸B fluxes [cm⁻² s⁻¹] as (best fit, −1σ, +1σ) and significances [σ]: XENONnT SR0+SR1 (PRL 133,
#: 191002) and PandaX-4T (PRL 133, 191001).
PUBLISHED_FLUX = {
    "xenonnt (SR0+SR1)": ((4.7e6, 2.3e6, 3.6e6), 2.73),
    "pandax4t": (
        (PANDAX_B8_FLUX_cm2_s[0], PANDAX_B8_FLUX_cm2_s[1], PANDAX_B8_FLUX_cm2_s[1]),
        PANDAX_SIGNIFICANCE,
    ),
}


def b8_reference_flux() -> tuple[float, float]:
    """The unit of ``mu_8B``: the catalogue's ⁸B total flux [cm⁻² s⁻¹] (B16-GS98) and its relative 1σ."""
    (b8,) = get_channels(["8B"])
    return float(b8.total_flux_cm2_s), float(b8.uncertainty)


#: The NSI benchmarks of the results: (label, make_model name, options, |ε| scan range).
NSI_BENCHMARKS: tuple[tuple[str, str, dict, float], ...] = (
    ("scalar-universal", "scalar-universal", {}, 2.0),
    ("scalar-minimal (mu, d)", "scalar-minimal", {"flavour": "mu", "quark": "d"}, 2.0),
    ("vector-universal (d)", "vector-universal", {"quark": "d"}, 2.0),
    ("vector-minimal (mu, d)", "vector-minimal", {"flavour": "mu", "quark": "d"}, 4.0),
)


class FluxMeasurement(NamedTuple):
    """⁸B flux from the data of one experiment or their combination.

    Attributes:
        experiment: a name of ``EXPERIMENTS``.
        mu_hat: best-fit Φ/Φ_B16 (Φ_B16 = 5.46×10⁶ cm⁻² s⁻¹).
        mu_interval: (low, high) 68 % CL (t ≤ 1) interval of μ.
        significance: Z = √q0 against no ⁸B (μ = 0).
        observed, background: total observed counts and nominal background [events].
    """

    experiment: str
    mu_hat: float
    mu_interval: tuple[float, float]
    significance: float
    observed: float
    background: float

    @property
    def flux_cm2_s(self) -> float:
        """Best-fit ⁸B flux [cm⁻² s⁻¹]."""
        return self.mu_hat * b8_reference_flux()[0]

    def to_json(self) -> dict:
        return {
            "experiment": self.experiment,
            "mu_8B_hat": self.mu_hat,
            "mu_8B_interval_68": list(self.mu_interval),
            "flux_8B_cm2_s": self.flux_cm2_s,
            "flux_8B_interval_68_cm2_s": [v * b8_reference_flux()[0] for v in self.mu_interval],
            "significance_sigma": self.significance,
            "observed_events": self.observed,
            "background_events": self.background,
        }


class NSIInterval(NamedTuple):
    """90 % CL allowed ε of one NSI model from one experiment (profile likelihood, t_ε ≤ 2.706).

    Attributes:
        experiment, model: names; eps_hat: best-fit ε; intervals: allowed [(low, high), …] (increasing).
        eps_max: |ε| range scanned (an interval ending at ±eps_max is open).
    """

    experiment: str
    model: str
    eps_hat: float
    intervals: list
    eps_max: float

    @property
    def epsilon_90_negative(self) -> float:
        """The most negative allowed ε (the S1 leptoquark bound ε_90 for models with ε < 0)."""
        return float(self.intervals[0][0])

    def to_json(self) -> dict:
        return {
            "experiment": self.experiment,
            "model": self.model,
            "eps_hat": self.eps_hat,
            "allowed_intervals_90": [list(iv) for iv in self.intervals],
            "eps_scan_range": [-self.eps_max, self.eps_max],
        }


def lz_effective_background(signal_events_90cl: float = LZ_SIGNAL_EVENTS_90CL) -> float:
    """b with 2[s − b ln(1 + s/b)] = χ²₁(0.90) at s = ``signal_events_90cl`` (module docstring).

    Example:
        >>> round(lz_effective_background(), 3)
        0.88
    """
    target = float(stats.chi2.ppf(CONFIDENCE_LEVEL, 1))
    s = float(signal_events_90cl)
    return float(optimize.brentq(lambda b: 2.0 * (s - b * math.log1p(s / b)) - target, 1e-6, 1e6, xtol=1e-14))


def _lz_events(chans, model: NSIModel | None) -> np.ndarray:
    """(3, K) LZ WS2022 recast events per component and flux channel."""
    xenon = get_target("xenon")
    cache: dict = {}

    def components(energy_keV):
        key = energy_keV.tobytes()
        if key not in cache:
            cache[key] = rate_components(unit_rates(xenon, chans, energy_keV), model)
        return cache[key]

    return np.array(
        [
            [
                lz_signal_events(lambda e, c=c, k=k: components(e)[c, k], efficiency=LZ_WS2022_EFFICIENCY)
                for k in range(len(chans))
            ]
            for c in range(3)
        ]
    )


def lz_ws2022_channel(*, model: NSIModel | None = None, flux_channels=LZ_FLUX_CHANNELS) -> RecastChannel:
    """The LZ WS2022 counting bin as a :class:`RecastChannel` (module docstring; default ``LZ_FLUX_CHANNELS``)."""
    chans = get_channels(list(flux_channels))
    events = _lz_events(chans, model)
    b_total = lz_effective_background()
    other = b_total - float(events[0].sum())
    if other < 0:
        msg = f"SM CEvNS events in the LZ recast ({events[0].sum():g}) exceed its effective background {b_total:g}"
        raise InvalidInput(msg)
    return RecastChannel(
        name="lz_ws2022",
        observed=np.array([b_total]),
        backgrounds=({"name": "lz_ws2022_other", "data": [other], "modifiers": []},),
        flux_channels=tuple(ch.name for ch in chans),
        flux_uncertainties=tuple(float(ch.uncertainty) for ch in chans),
        flux_nuisances=tuple(ch.nuisance for ch in chans),
        signal=events[None, :, :, None],
        metadata={
            "experiment": "LZ WS2022",
            "exposure_tonne_year": LZ_EXPOSURE_TONNE_YEAR,
            "effective_background": b_total,
            "sm_events": float(events[0].sum()),
        },
    )


def experiment_channels(
    experiment: str, *, model: NSIModel | None = None, runs=RUNS, flux_channels=None
) -> list[RecastChannel]:
    """The recast channels of ``experiment`` (``EXPERIMENTS``); ``runs`` selects XENONnT science runs.

    Vector NSI is applied at detection only (flavour fractions of standard oscillations, as the paper and
    PHYSICS.md §8): the ε scans need ε-independent SM/LIN/QUAD, so ``model.nsi_propagation`` is switched off
    (exact for universal models; for μ-minimal ones ≤ 1 % of the NSI signal at the combined S1 bound, 6 % at
    the upper vector-minimal edge — docs/recasts.md).

    ``flux_channels`` (names) replaces each experiment's default: ⁸B and hep for XENONnT (0.5–5 keVnr) and
    PandaX-4T, ``LZ_FLUX_CHANNELS`` for LZ (its 0–20 keVnr window also holds atmospheric and DSNB recoils, 11 %
    of its SM CEvNS events).

    Raises:
        UnknownName: unknown experiment or run.
    """
    if experiment not in EXPERIMENTS:
        msg = f"unknown experiment {experiment!r}; allowed: {', '.join(EXPERIMENTS)}"
        raise UnknownName(msg)
    if model is not None and model.kernel == "vector" and model.nsi_propagation:
        log.info(
            "recast %s: %s without NSI in solar propagation (flavour fractions at eps = 0)",
            experiment,
            model.name,
        )
        model = dataclasses.replace(model, nsi_propagation=False)
    out: list[RecastChannel] = []
    if experiment in ("xenonnt", "combined"):
        out += xenonnt_channels(runs, model=model, flux_channels=flux_channels or DEFAULT_FLUX_CHANNELS)
    if experiment in ("pandax4t", "combined"):
        out += pandax4t_channels(model=model, flux_channels=flux_channels or DEFAULT_FLUX_CHANNELS)
    if experiment in ("lz-ws2022", "combined"):
        out.append(lz_ws2022_channel(model=model, flux_channels=flux_channels or LZ_FLUX_CHANNELS))
    return out


def _profile_t(model: CompiledModel, name: str, values, nll_min: float, init) -> np.ndarray:
    values = np.atleast_1d(np.asarray(values, dtype=float))
    main = np.repeat(np.asarray(model.observed_main)[None, :], values.size, axis=0)
    fits = fit_batch(model, main, np.asarray(model.observed_aux)[None, :], fixed={name: values}, init=init)
    return 2.0 * (fits.nll - nll_min)


def flux_measurement(experiment: str, channels) -> FluxMeasurement:
    """⁸B flux (μ̂, 68 % interval) and discovery significance from recast channels (form ``"flux"``).

    Raises:
        FitError: a fit did not converge.
    """
    items = list(channels)
    model = CompiledModel.from_workspace(build_recast_workspace(items, form="flux"))
    main, aux = np.asarray(model.observed_main)[None, :], np.asarray(model.observed_aux)[None, :]
    test = q0(model, main, aux, poi=B8_POI)
    if not bool(test.converged[0]):
        msg = f"{experiment}: the mu_8B fits did not converge"
        raise FitError(msg)
    mu_hat, nll_min = float(test.poi_hat[0]), float(test.free.nll[0])
    init = test.free.pars[0]
    upper_bound = float(model.bounds[model.par_index(B8_POI)][1])

    def t_minus_1(mu: float) -> float:
        return float(_profile_t(model, B8_POI, mu, nll_min, init)[0]) - 1.0

    low = 0.0 if mu_hat <= 0 or t_minus_1(0.0) <= 0 else optimize.brentq(t_minus_1, 0.0, mu_hat, xtol=1e-8)
    high = optimize.brentq(t_minus_1, mu_hat, upper_bound, xtol=1e-8)
    observed = float(sum(ch.observed.sum() for ch in items))
    background = float(sum(ch.background_events().sum() for ch in items))
    log.debug("%s: mu_8B = %.4f [%.4f, %.4f], Z = %.3f", experiment, mu_hat, low, high, float(test.z[0]))
    return FluxMeasurement(
        experiment, mu_hat, (float(low), float(high)), float(test.z[0]), observed, background
    )


def nsi_interval(experiment: str, label: str, channels, *, eps_max: float = 2.0) -> NSIInterval:
    """90 % CL allowed ε (profile likelihood, ε tied in SM + ε·LIN + ε²·QUAD) from recast channels."""
    spec = build_recast_workspace(list(channels), form="linear")
    tied = CompiledModel.from_workspace(spec).tied(bound=eps_max)
    intervals, scan = eps_intervals(
        tied, tied.observed_main, tied.observed_aux, cl=CONFIDENCE_LEVEL, eps_max=eps_max
    )
    if not intervals:
        msg = f"{experiment}, {label}: no allowed epsilon in |eps| <= {eps_max} (check the scan range)"
        raise FitError(msg)
    return NSIInterval(experiment, label, float(scan.eps_hat), intervals, eps_max)


def benchmark_model(name: str, options: dict | None = None) -> NSIModel:
    """``make_model(name, **options)`` (a thin alias kept for the CLI and the results)."""
    return make_model(name, **(options or {}))


def _exposure(channels) -> float:
    """Total exposure [t·yr] of recast channels (XENONnT livetimes, PandaX-4T and LZ exposures)."""
    total = 0.0
    for ch in channels:
        meta = ch.metadata or {}
        total += float(meta.get("livetime_tonne_year", meta.get("exposure_tonne_year", 0.0)))
    return total


def lq_bound(
    experiment: str, flavour: str = "mu", *, runs=RUNS, masses_GeV=None, eps_max: float = 4.0
) -> LQLimit:
    """90 % CL S1 leptoquark bound from data: ε_90 (most negative allowed ε) and λ_excluded(m).

    Raises:
        FitError: the bound lies beyond |ε| = ``eps_max``.
    """
    model = make_model("lq-s1", flavour=flavour)
    channels = experiment_channels(experiment, model=model, runs=runs)
    interval = nsi_interval(experiment, f"lq-s1 ({flavour})", channels, eps_max=eps_max)
    eps90 = interval.epsilon_90_negative
    if eps90 <= -eps_max * (1 - 1e-9):
        msg = f"{experiment}: the S1 bound lies beyond |eps| = {eps_max}"
        raise FitError(msg)
    masses = np.geomspace(1.0e2, 1.0e5, 31) if masses_GeV is None else np.asarray(masses_GeV, dtype=float)
    b8 = sum(float(ch.events((1, 0, 0))[0, ch.flux_channels.index("8B")].sum()) for ch in channels)
    method = (
        "observed data, profile likelihood (flux and detector nuisances profiled), 90% CL two-sided interval "
        "t <= 2.706 in eps (tied SM + eps*LIN + eps^2*QUAD); eps_90 = its most negative end"
    )
    return LQLimit.from_epsilon(
        experiment,
        flavour,
        _exposure(channels),
        method,
        epsilon_90=eps90,
        sm_8b_events=b8,
        masses_GeV=masses,
        details={"interval": interval.to_json(), "channels": [ch.name for ch in channels]},
    )


def __dir__() -> list[str]:
    return __all__
