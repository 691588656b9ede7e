"""Exposure–ε discovery reach for the paper's Figs 5, 7 and 8 (PHYSICS.md §10, §12).

Per target, four panels (scalar-universal, scalar-minimal, vector-universal, vector-minimal; ``MODELS``):

* **toy contours** — the paper's estimator: the 3σ and 5σ contours of the *mean* Z over toys on an
  exposure × |ε| grid at the reference threshold (2 keV), with the toy mode of the config;
* **Asimov curves** — the median (Asimov) 3σ and 5σ |ε| per exposure, found by root finding; in the
  scalar-universal panel also for every threshold 1–5 keV, LZ's own efficiency (xenon), atmospheric
  uncertainties 20 % and 5 %, and the "atmospheric-only" variant in which only the atmospheric channels
  carry NSI (the paper uses it for couplings to antineutrinos).

Vector NSI and the leptoquark have a signed ε: the figures show ε < 0 (constructive interference, rate
monotonic in |ε|); ε > 0 has the blind spot at 2ε₀ (PHYSICS.md §4) and needs the signed scans of
``cevns-stats reach``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from cevns_stats.detector.presets import make_detector
from cevns_stats.errors import InvalidInput
from cevns_stats.experiments.projections import reach_setup
from cevns_stats.inference.distributed import map_tasks
from cevns_stats.inference.reach import contours, eps_reach_curve, reach_grid
from cevns_stats.inference.reach_points import ReachSetup
from cevns_stats.paper.config import (
    ATMOSPHERIC_UNCERTAINTIES,
    MODELS,
    PaperConfig,
    REFERENCE_THRESHOLD_keV,
    THRESHOLDS_keV,
)
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import make_model

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

__all__ = [
    "Variant",
    "asimov_curve",
    "panel_reach",
    "reach_panels",
    "setup_for",
    "sign_of",
    "toy_contours",
    "variants_for",
]

_LEVELS = (3.0, 5.0)


def sign_of(model_name: str) -> int:
    """The sign of ε drawn for a model: −1 for vector NSI (constructive), +1 for scalar (μ = ε²)."""
    return -1 if model_name.startswith("vector") else 1


class Variant(dict):
    """One curve's settings: label, threshold [keV], efficiency, atmospheric uncertainty, NSI families."""


def variants_for(target: str, panel: str) -> list[Variant]:
    """The Asimov curves drawn in one panel (the scalar-universal panel has the threshold/flux variants)."""
    base = Variant(
        label=f"E_th = {REFERENCE_THRESHOLD_keV:g} keV",
        threshold_keV=REFERENCE_THRESHOLD_keV,
        efficiency="tanh",
        atmospheric_uncertainty=ATMOSPHERIC_UNCERTAINTIES[0],
        nsi_families=None,
    )
    if panel != "scalar-universal":
        return [base]
    out = [Variant(base, label=f"E_th = {t:g} keV", threshold_keV=t) for t in THRESHOLDS_keV]
    if target == "xenon":
        out.append(Variant(base, label="LZ WS2022 efficiency", efficiency="lz-ws2022", threshold_keV=None))
    out += [
        Variant(base, label=f"atm. uncertainty {u:.0%}", atmospheric_uncertainty=u)
        for u in ATMOSPHERIC_UNCERTAINTIES[1:]
    ]
    out.append(Variant(base, label="atmospheric ν only carry NSI", nsi_families=("atmospheric",)))
    return out


def setup_for(target: str, model_name: str, options: dict, variant: Variant) -> ReachSetup:
    """The unit-exposure reach likelihood of one target, model and curve variant."""
    detector = make_detector(target, threshold_keV=variant["threshold_keV"], efficiency=variant["efficiency"])
    channels = get_channels(atmospheric_uncertainty=variant["atmospheric_uncertainty"])
    model = make_model(model_name, **options)
    return reach_setup(detector, channels, model, preset=target, nsi_families=variant["nsi_families"])


def asimov_curve(
    setup: ReachSetup, exposures_tonne_year: ArrayLike, *, sign: int, levels: Sequence[float] = _LEVELS
) -> dict[float, np.ndarray]:
    """{level: (n,) |ε| at which the Asimov Z reaches each level at each exposure (NaN where |ε| > 10)}."""
    exposures = np.asarray(exposures_tonne_year, dtype=float).ravel()
    roots = eps_reach_curve(
        setup,
        np.tile(exposures, len(levels)),
        z=np.repeat(np.asarray(levels, dtype=float), exposures.size),
        sign=sign,
    )
    return dict(zip(levels, roots.reshape(len(levels), exposures.size)))


def _is_reference(variant: Variant) -> bool:
    return (
        variant["threshold_keV"] == REFERENCE_THRESHOLD_keV
        and variant["efficiency"] == "tanh"
        and variant["nsi_families"] is None
        and variant["atmospheric_uncertainty"] == ATMOSPHERIC_UNCERTAINTIES[0]
    )


def _grid_eps(curve: dict, n_eps: int, sign: int) -> np.ndarray | None:
    values = np.concatenate([curve[level] for level in _LEVELS])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    return sign * np.geomspace(0.4 * values.min(), min(2.5 * values.max(), 10.0), n_eps)


def toy_contours(
    setup: ReachSetup, config: PaperConfig, curve_on_grid: dict, *, sign: int, client: Client | None = None
) -> dict | None:
    """Mean-Z toy grid on the config's exposures and its 3σ/5σ contours (None if no |ε| ≤ 10 reaches 3σ)."""
    eps = _grid_eps(curve_on_grid, config.n_eps, sign)
    if eps is None:
        log.info("no |eps| <= 10 reaches 3 sigma on the Asimov curve: toy contours skipped")
        return None
    log.debug("toy grid: %d |eps| from %.3g to %.3g", eps.size, abs(eps[0]), abs(eps[-1]))
    result = reach_grid(
        setup,
        config.grid_exposures_tonne_year,
        eps,
        n_toys=config.n_toys,
        seed=config.seed,
        mode=config.mode,
        toy_aux=config.toy_aux,
        client=client,
    )
    if result.z_mean is None or result.z_median is None:
        msg = f"the toy contours need n_toys > 0, got {config.n_toys}"
        raise InvalidInput(msg)
    lines = contours(eps, result.z_mean, levels=_LEVELS)
    return {
        "exposures_tonne_year": result.exposures.tolist(),
        "eps": eps.tolist(),
        "z_mean": result.z_mean.tolist(),
        "z_median": result.z_median.tolist(),
        "n_failed_fits": int(result.n_failed.sum()),
        "n_toys": config.n_toys,
        "contours": {f"{level:g}": np.abs(v).tolist() for level, v in lines.items()},
    }


def panel_reach(
    target: str,
    panel: str,
    model_name: str,
    options: dict,
    config: PaperConfig,
    *,
    client: Client | None = None,
) -> dict:
    """Asimov curves of every variant and the toy contours (reference variant) of one panel."""
    sign = sign_of(model_name)
    curves, reference_setup, reference_curve = [], None, None
    for variant in variants_for(target, panel):
        setup = setup_for(target, model_name, options, variant)
        reference = _is_reference(variant)
        curve = asimov_curve(
            setup, config.curve_exposures_tonne_year, sign=sign, levels=_LEVELS if reference else _LEVELS[:1]
        )
        if reference:
            reference_setup, reference_curve = setup, curve
        curves.append(
            {
                "label": variant["label"],
                "settings": dict(variant),
                "b8_events_per_tonne_year": setup.settings["b8_events_per_tonne_year"],
                **{f"eps_{level:g}sigma": _finite_list(v) for level, v in curve.items()},
            }
        )
    assert reference_setup is not None and reference_curve is not None, (
        "every panel has the reference variant"
    )
    same_grid = np.array_equal(config.grid_exposures_tonne_year, config.curve_exposures_tonne_year)
    if not same_grid:
        log.debug("%s %s: Asimov curve recomputed on the toy grid's exposures", target, panel)
    on_grid = (
        reference_curve
        if same_grid
        else asimov_curve(reference_setup, config.grid_exposures_tonne_year, sign=sign)
    )
    toys = toy_contours(reference_setup, config, on_grid, sign=sign, client=client)
    return {
        "model": model_name,
        "options": options,
        "eps_sign": sign,
        "exposures_tonne_year": config.curve_exposures_tonne_year.tolist(),
        "asimov_curves": curves,
        "toys": toys,
        "settings": reference_setup.settings,
    }


def reach_panels(
    targets: Sequence[str],
    config: PaperConfig,
    *,
    client: Client | None = None,
    on_target: Callable[[str, dict], object] | None = None,
    on_panel: Callable[[], object] | None = None,
) -> dict:
    """{target: {panel: panel_reach(...)}} for every target and the four panels of ``MODELS``.

    With a Dask ``client`` each panel is one task on a worker (templates, Asimov curves and its toy grid);
    the results equal the in-process ones up to rounding (every toy grid has the config's seed; a different
    number of BLAS threads changes sums in the last digits: ≤ 3e-12 relative in a quick run).
    ``on_target(target, panels)`` is called as soon as all panels of a target are done (e.g. to draw its
    figure while the others run), ``on_panel()`` after every panel (e.g. a progress bar's ``update``).
    """
    tasks = [(t, panel) for t in targets for panel in MODELS]
    out: dict[str, dict] = {t: {} for t in targets}

    def finished(index: int, result: dict) -> None:
        target, (panel, _, _) = tasks[index]
        out[target][panel] = result
        if on_panel is not None:
            on_panel()
        if on_target is not None and len(out[target]) == len(MODELS):
            on_target(target, {name: out[target][name] for name, _, _ in MODELS})

    map_tasks(_panel_task, config, tasks, client=client, on_result=finished, desc="reach panels")
    return {t: {name: out[t][name] for name, _, _ in MODELS} for t in targets}


def _panel_task(config: PaperConfig, task: tuple[str, tuple[str, str, dict[str, str]]]) -> dict:
    """One panel (target, MODELS entry), computed where it runs: the unit of :func:`reach_panels`."""
    target, (panel, model_name, options) = task
    return panel_reach(target, panel, model_name, options, config)


def _finite_list(values: ArrayLike) -> list[float | None]:
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(values, dtype=float)]


def __dir__() -> list[str]:
    return __all__
