"""Discovery statistics and fits computed by pyhf alone — the route for any workspace, and the reference.

Used where the fast engine cannot evaluate a workspace (any modifier pyhf supports) or where the user asks
for ``engine="pyhf"``; nothing here touches the fast engine. The statistics are those of
:mod:`cevns_stats.inference.discovery` (Cowan et al. 2011, Eq. 12): q0 = −2 ln[L(0, φ̂̂)/L(μ̂, φ̂)] with μ̂
on the signal's side of 0, and the paper mode's t = −2 ln[L(0, φ̂̂)/L(μ_alt, φ̂)]; fits by pyhf's SLSQP
(``pyhf.infer.mle``) with a tight tolerance.
"""

from __future__ import annotations

import logging

import numpy as np
import pyhf

from cevns_stats.inference.limits import pyhf_tight_backend

__all__ = ["asimov", "free_nll", "multistart_note", "sample_toys", "z_values"]

log = logging.getLogger(__name__)


def _settings(analysis):
    cfg = analysis.pyhf_model.config
    return cfg.poi_index, list(cfg.suggested_init()), [list(b) for b in cfg.suggested_bounds()], cfg


def _fit(data, model, init, bounds, fixed, poi_value=None) -> tuple[np.ndarray, float] | None:
    """pyhf's best fit (P,) and −log L, or None if the minimisation fails."""
    try:
        if poi_value is None:
            pars, twice_nll = pyhf.infer.mle.fit(data, model, init, bounds, fixed, return_fitted_val=True)
        else:
            pars, twice_nll = pyhf.infer.mle.fixed_poi_fit(
                poi_value, data, model, init, bounds, fixed, return_fitted_val=True
            )
    except pyhf.exceptions.FailedMinimization as err:
        log.debug("pyhf fit failed: %s", err)
        return None
    value = float(twice_nll) / 2.0
    return (np.asarray(pars, dtype=float), value) if np.isfinite(value) else None


def _side_bounds(bounds, index, signal):
    side = [list(b) for b in bounds]
    side[index] = [0.0, bounds[index][1]] if signal > 0 else [bounds[index][0], 0.0]
    return side


def z_values(analysis, mode: str, datasets) -> tuple[np.ndarray, np.ndarray]:
    """Z (n,) and convergence (n,) for each pyhf dataset (n, B + A), in ``mode`` standard or paper."""
    index, init, bounds, cfg = _settings(analysis)
    model, signal, fixed = analysis.pyhf_model, analysis.signal, cfg.suggested_fixed()
    z = np.zeros(len(datasets))
    ok = np.zeros(len(datasets), dtype=bool)
    with pyhf_tight_backend():
        for k, data in enumerate(np.asarray(datasets, dtype=float)):
            null = _fit(data, model, init, bounds, fixed, poi_value=0.0)
            if mode == "paper":
                alt = _fit(data, model, init, bounds, fixed, poi_value=signal)
            else:
                alt = _fit(data, model, init, _side_bounds(bounds, index, signal), fixed)
            if null is None or alt is None:
                continue
            stat = 2.0 * (null[1] - alt[1])
            if mode == "standard" and signal * alt[0][index] <= 0:
                stat = 0.0
            z[k], ok[k] = np.sqrt(max(stat, 0.0)), True
    return z, ok


def truth(analysis) -> np.ndarray:
    """Parameters of the signal hypothesis (P,): the inits with the POI at the signal value."""
    index, init, _, _ = _settings(analysis)
    pars = np.asarray(init, dtype=float)
    pars[index] = analysis.signal
    return pars


def asimov(analysis) -> np.ndarray:
    """pyhf's expected data (main + aux) at the signal hypothesis (B + A,)."""
    return np.asarray(analysis.pyhf_model.expected_data(truth(analysis)), dtype=float)


def sample_toys(analysis, n: int, rng: np.random.Generator, aux: str) -> np.ndarray:
    """n pseudo-datasets (n, B + A) at the signal hypothesis from pyhf's own pdf (its constraint terms).

    ``aux="fixed"`` keeps the nominal auxiliary data (the paper's toys). pyhf samples with numpy's global
    generator, so it is seeded from ``rng`` for the call and restored afterwards.
    """
    model = analysis.pyhf_model
    state = np.random.get_state()  # noqa: NPY002 - pyhf samples from numpy's global generator
    np.random.seed(int(rng.integers(2**32)))  # noqa: NPY002
    try:
        toys = np.asarray(
            model.make_pdf(pyhf.tensorlib.astensor(truth(analysis))).sample((int(n),)), dtype=float
        )
    finally:
        np.random.set_state(state)  # noqa: NPY002
    if aux == "fixed":
        toys[:, model.config.nmaindata :] = np.asarray(model.config.auxdata, dtype=float)
    return toys


def free_nll(analysis, *, signal_side: bool = True) -> float | None:
    """−log L of pyhf's free fit to the observed data from its default start (POI on the signal's side)."""
    index, init, bounds, cfg = _settings(analysis)
    if signal_side:
        bounds = _side_bounds(bounds, index, analysis.signal)
    with pyhf_tight_backend():
        fit = _fit(analysis.data, analysis.pyhf_model, init, bounds, cfg.suggested_fixed())
    return None if fit is None else fit[1]


def multistart_note(analysis, n_starts: int = 4) -> str | None:
    """A note if pyhf's fit from another POI start reaches a deeper minimum than from its default start.

    The POI starts at its init and at ``n_starts`` log-spaced values up to its upper bound (models that are
    not monotonic in the POI can have several minima).
    """
    index, init, bounds, cfg = _settings(analysis)
    low, high = bounds[index]
    starts = np.geomspace(max(low, 1e-3 * high, 1e-12), high, n_starts) if high > 0 else np.array([])
    with pyhf_tight_backend():
        default = _fit(analysis.data, analysis.pyhf_model, init, bounds, cfg.suggested_fixed())
        if default is None:
            return "pyhf's fit from its default start failed on the observed data"
        for value in starts:
            start = list(init)
            start[index] = float(value)
            other = _fit(analysis.data, analysis.pyhf_model, start, bounds, cfg.suggested_fixed())
            if other is not None and other[1] < default[1] - 1e-4:
                note = (
                    f"pyhf's fit from {cfg.poi_name} = {value:.4g} reaches a deeper minimum of -log L "
                    f"({other[1]:.6g}) than from its default start ({default[1]:.6g})"
                )
                log.info("%s", note)
                return note
    return None


def __dir__() -> list[str]:
    return __all__
