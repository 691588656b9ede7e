"""Upper limits: asymptotic CLs with q̃μ (pyhf conventions) and profile-likelihood intervals on signed ε.

Linear POIs (scalar μ = ε²/ε_ref², a patchset's μ): CLs with the q̃μ test statistic under the Wald
approximation exactly as ``pyhf.infer.calculators.AsymptoticCalculator`` (Cowan et al. 2011, Eqs. 62–66;
``calc_base_dist="normal"``): q̃μ from a free fit with the POI in its bounds (lower bound 0) and a fit at μ,
q̃μ = 0 where μ̂ > μ; the Asimov data are the expected data at the μ = 0 fit to the observed data;
with t = √q̃μ − √q̃μ,A (or (q̃μ − q̃μ,A)/(2√q̃μ,A) beyond), CLs+b = Φ(−(t + √q̃μ,A)), CLb = Φ(−t).
Expected CLs take t = +2, +1, 0, −1, −2 (the band of the limit from −2σ to +2σ, pyhf's order).
:func:`cls_asymptotic` evaluates this with the fast engine; :func:`upper_limit_asymptotic` finds the
limits on it, :func:`pyhf_upper_limit` on pyhf's own ``hypotest`` (the reference; no fast engine). Both scan
adaptively: from the POI's init, ×4 up until every CLs curve is below 1 − CL and ÷4 down until every one is
above it, then Brent's method in each bracket. A non-finite CLs (pyhf's 0/0 near μ = 0) counts as 1, so no
NaN reaches the root finder; a limit above the POI's upper bound is returned as None with the bound.

Signed ε (linear-basis vector/LQ workspaces, ``CompiledModel.tied``): the rate is quadratic in ε, so no
CLs on a linear POI exists; :func:`eps_intervals` scans t_ε = −2 ln[L(ε, φ̂̂)/L(ε̂, φ̂)] (two-sided, ε̂
free of either sign) and returns the set t_ε ≤ χ²₁ quantile at the CL (Wilks) as one or more intervals.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from typing import NamedTuple

import numpy as np
import pyhf
from scipy.optimize import brentq
from scipy.stats import chi2, norm

from cevns_stats.errors import FitError, InvalidInput
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.fit import fit_batch, fit_multistart

__all__ = [
    "LIMIT_NAMES",
    "N_SIGMA",
    "CLsResult",
    "EpsScan",
    "UpperLimit",
    "allowed_intervals",
    "background_asimov",
    "cls_asymptotic",
    "cls_function",
    "eps_intervals",
    "eps_scan",
    "pyhf_tight_backend",
    "pyhf_upper_limit",
    "upper_limit_asymptotic",
]

N_SIGMA = (2.0, 1.0, 0.0, -1.0, -2.0)  # test-statistic shifts of pyhf's expected set (limits −2σ … +2σ)
#: Names of the six limits, in the order of :class:`UpperLimit` (observed, then expected −2σ … +2σ).
LIMIT_NAMES = ("observed", "-2sigma", "-1sigma", "median", "+1sigma", "+2sigma")
log = logging.getLogger(__name__)


class CLsResult(NamedTuple):
    """Asymptotic CLs at POI values (m,): observed (m,), expected (m, 5) in pyhf's order, fits converged (m,)."""

    poi_values: np.ndarray
    cls_observed: np.ndarray
    cls_expected: np.ndarray
    converged: np.ndarray


class UpperLimit(NamedTuple):
    """Upper limits on a linear POI at one CL.

    Attributes:
        observed: the observed limit; None if it lies above ``poi_bound``.
        expected: the expected limits ordered −2σ, −1σ, median, +1σ, +2σ (None: above ``poi_bound``).
        poi_bound: the POI's upper bound in the model (the scan never goes beyond it).
    """

    observed: float | None
    expected: tuple[float | None, float | None, float | None, float | None, float | None]
    poi_bound: float = math.inf


class EpsScan(NamedTuple):
    """Profile-likelihood scan on signed ε: grid (m,), t_ε (m,), ε̂, the fits' convergence (m,)."""

    eps: np.ndarray
    t: np.ndarray
    eps_hat: float
    converged: np.ndarray


def _poi_index(model: CompiledModel, poi: str | None) -> tuple[str, int]:
    name = poi or model.poi_name
    if name is None:
        msg = "the model has no POI; pass poi='<parameter name>'"
        raise InvalidInput(msg)
    return name, model.par_index(name)


def _qtilde(model, data_main, data_aux, name, index, free, mu) -> tuple[np.ndarray, np.ndarray]:
    """q̃μ at each μ (m,) for one dataset given its free fit, and whether the fits converged (m,)."""
    repeat = np.repeat(np.atleast_2d(data_main), mu.size, axis=0)
    fixed = fit_batch(model, repeat, np.atleast_2d(data_aux), fixed={name: mu}, init=free.pars[0])
    q = np.clip(2.0 * (fixed.nll - free.nll[0]), 0.0, None)
    q = np.where(free.pars[0, index] > mu, 0.0, q)
    return q, fixed.converged & free.converged[0]


def cls_function(model: CompiledModel, data_main, data_aux, *, poi: str | None = None):
    """``f(poi_values) -> CLsResult``: asymptotic CLs with the free fits and the Asimov data computed once."""
    name, index = _poi_index(model, poi)
    asimov = background_asimov(model, data_main, data_aux, poi=name)
    datasets = [(np.asarray(data_main, dtype=float), np.asarray(data_aux, dtype=float)), asimov]
    free = [fit_batch(model, *d) for d in datasets]

    def evaluate(poi_values) -> CLsResult:
        mu = np.atleast_1d(np.asarray(poi_values, dtype=float))
        (q, ok), (q_asimov, ok_asimov) = (
            _qtilde(model, d[0], d[1], name, index, f, mu) for d, f in zip(datasets, free)
        )
        observed, expected = _cls_from_statistics(q, q_asimov)
        return CLsResult(mu, observed, expected, ok & ok_asimov)

    return evaluate


def background_asimov(model: CompiledModel, data_main, data_aux, *, poi: str | None = None):
    """pyhf's Asimov data for q̃μ: expected main (B,) and aux (A,) data at the μ = 0 fit to the data."""
    name, _ = _poi_index(model, poi)
    fit = fit_batch(model, data_main, data_aux, fixed={name: 0.0})
    if not fit.converged[0]:
        msg = "the background-only fit to the observed data did not converge"
        raise FitError(msg)
    return model.expected_actualdata(fit.pars)[0], model.expected_auxdata(fit.pars)[0]


def _cls_from_statistics(q, q_asimov):
    """pyhf's asymptotic CLs (observed (m,), expected (m, 5)) from q̃μ and q̃μ,A."""
    sqrt_q, sqrt_qa = np.sqrt(q), np.sqrt(q_asimov)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(sqrt_q <= sqrt_qa, sqrt_q - sqrt_qa, (q - q_asimov) / (2.0 * sqrt_qa))
    observed = norm.cdf(-(t + sqrt_qa)) / norm.cdf(-t)
    shifts = np.asarray(N_SIGMA)[None, :]
    expected = norm.cdf(-(shifts + sqrt_qa[:, None])) / norm.cdf(-shifts)
    return observed, expected


def cls_asymptotic(
    model: CompiledModel, data_main, data_aux, poi_values, *, poi: str | None = None
) -> CLsResult:
    """Asymptotic CLs with q̃μ at each POI value (pyhf ``hypotest(..., test_stat="qtilde")`` conventions).

    Args:
        model: compiled model; the POI's lower bound should be 0 (q̃μ; otherwise this is qμ, as in pyhf).
        data_main: observed main counts (B,).
        data_aux: observed auxiliary data (A,).
        poi_values: POI values μ to test, shape (m,).
        poi: POI name (default the measurement's).

    Returns:
        CLsResult with observed (m,) and expected (m, 5) CLs.
    """
    return cls_function(model, data_main, data_aux, poi=poi)(poi_values)


def _limit_brackets(cls_at, low: float, high: float, start: float, level: float):
    """Brackets (a, b) of the six CLs curves' first fall below ``level`` in (low, high]; None above ``high``.

    The scan adapts to the model: from ``start`` it steps ×4 upwards until every curve is below ``level``
    (or ``high`` is reached) and ÷4 downwards until every curve is above it (CLs → 1 as μ → 0). A point
    where CLs is not finite (0/0 where q̃μ = q̃μ,A = 0 near μ = 0) counts as "not excluded" (CLs = 1), so
    no NaN ever reaches the root finder.
    """
    floor = max(low, 1e-12 * high) if high > 0 else low
    points = {}

    def value(x: float) -> np.ndarray:
        if x not in points:
            raw = np.asarray(cls_at(x), dtype=float)
            if not np.all(np.isfinite(raw)):
                log.debug("CLs not finite at POI = %g (%s); taken as 1 (not excluded)", x, raw)
            points[x] = np.where(np.isfinite(raw), raw, 1.0)
        return points[x]

    x = min(max(start, floor), high)
    while np.any(value(x) >= level) and x < high:
        x = min(4.0 * x, high)
    x = min(max(start, floor), high)
    while np.any(value(x) < level) and x > floor:
        x = max(x / 4.0, floor)
    grid = np.array(sorted(points))
    table = np.array([points[g] for g in grid])
    out: list[tuple[float, float] | None] = []
    for column in table.T:
        below = np.flatnonzero(column < level)
        if below.size == 0:
            out.append(None)
        elif below[0] == 0:
            out.append((float(grid[0]), float(grid[0])))  # excluded already at the smallest POI tried
        else:
            out.append((float(grid[below[0] - 1]), float(grid[below[0]])))
    log.debug("CLs bracket scan over %d POI values in [%g, %g]", grid.size, grid[0], grid[-1])
    return out, value


def _solve_limits(cls_at, low, high, start, level, rtol) -> list[float | None]:
    """The six limits (observed, expected −2σ … +2σ) by Brent's method inside adaptive brackets."""
    brackets, value = _limit_brackets(cls_at, low, high, start, level)
    limits = []
    for j, bracket in enumerate(brackets):
        if bracket is None or bracket[0] == bracket[1]:
            limits.append(None if bracket is None else bracket[0])
            continue
        limits.append(
            float(
                brentq(lambda x, j=j: value(x)[j] - level, *bracket, rtol=rtol, xtol=1e-14 * max(high, 1.0))
            )
        )
    return limits


def _as_upper_limit(limits: list[float | None], high: float) -> UpperLimit:
    above = [name for name, v in zip(LIMIT_NAMES, limits) if v is None]
    if above:
        log.info("limits %s lie above the POI's upper bound %g", ", ".join(above), high)
    expected = (limits[1], limits[2], limits[3], limits[4], limits[5])
    return UpperLimit(limits[0], expected, float(high))


def _start(init: float, low: float, high: float) -> float:
    """First POI value of the scan: the POI's init when positive (μ = 1 is the signal), else 1."""
    x = init if init > 0 else 1.0
    return float(min(max(x, low if low > 0 else 0.0), high))


def upper_limit_asymptotic(
    model: CompiledModel, data_main, data_aux, *, cl: float = 0.95, poi: str | None = None, rtol: float = 1e-8
) -> UpperLimit:
    """CLs upper limits (observed and expected band) with the fast engine: an adaptive scan, then Brent.

    Args:
        model: compiled model (POI lower bound 0 for q̃μ).
        data_main: observed main counts (B,); data_aux: auxiliary data (A,).
        cl: confidence level (CLs = 1 − cl at the limit).
        poi: POI name (default the measurement's).
        rtol: relative tolerance of the root finding.

    Returns:
        UpperLimit (observed, expected −2σ … +2σ; None for a limit above the POI's upper bound, which is
        given as ``poi_bound``).
    """
    level = 1.0 - _check_cl(cl)
    name, index = _poi_index(model, poi)
    low, high = (float(b) for b in model.bounds[index])
    curve = cls_function(model, data_main, data_aux, poi=name)

    def cls_at(x: float) -> np.ndarray:
        r = curve([x])
        return np.concatenate([r.cls_observed, r.cls_expected[0]])

    start = _start(float(model.init[index]), low, high)
    return _as_upper_limit(_solve_limits(cls_at, low, high, start, level, rtol), high)


@contextlib.contextmanager
def pyhf_tight_backend(tolerance: float = 1e-10):
    """pyhf's numpy backend with a tight SLSQP tolerance inside the block; the previous backend after it."""
    tensorlib, optimizer = pyhf.get_backend()
    pyhf.set_backend("numpy", pyhf.optimize.scipy_optimizer(tolerance=tolerance))
    try:
        yield
    finally:
        pyhf.set_backend(tensorlib, optimizer)


def pyhf_upper_limit(model, data=None, *, cl: float = 0.95, rtol: float = 1e-5) -> UpperLimit:
    """CLs upper limits computed by pyhf alone (``pyhf.infer.hypotest``, asymptotic q̃μ) — the reference.

    The same adaptive scan as :func:`upper_limit_asymptotic` brackets each limit (pyhf's own
    ``toms748_scan`` starts from the POI bounds and lets a NaN CLs at μ → 0 reach the root finder);
    the root is then found on pyhf's CLs. Never uses the fast engine.

    Args:
        model: a ``pyhf.pdf.Model``, or a ``CompiledModel`` carrying its ``pyhf_model``.
        data: pyhf data (main + aux) (B + A,); default the CompiledModel's observed data.
        cl: confidence level.
        rtol: relative tolerance of the root finding.

    Returns:
        UpperLimit as :func:`upper_limit_asymptotic` (equal to pyhf's ``upper_limit`` where that runs).
    """
    level = 1.0 - _check_cl(cl)
    if isinstance(model, CompiledModel):
        if model.pyhf_model is None:
            msg = "this model has no pyhf model (a tied view?); compile it with CompiledModel.from_workspace"
            raise InvalidInput(msg)
        if data is None:
            data = np.concatenate([model.observed_main, model.observed_aux])
        model = model.pyhf_model
    if data is None:
        msg = "data= is required with a pyhf model"
        raise InvalidInput(msg)
    cfg = model.config
    if cfg.poi_index is None:
        msg = "the model has no POI; build it with a poi_name"
        raise InvalidInput(msg)
    low, high = (float(b) for b in cfg.suggested_bounds()[cfg.poi_index])
    data = np.asarray(data, dtype=float)

    def cls_at(x: float) -> np.ndarray:
        observed, expected = pyhf.infer.hypotest(x, data, model, test_stat="qtilde", return_expected_set=True)
        return np.concatenate([np.ravel(observed), np.ravel(expected)])

    start = _start(float(cfg.suggested_init()[cfg.poi_index]), low, high)
    with pyhf_tight_backend(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pyhf's 0/0 CLs near μ = 0 (handled above)
        limits = _solve_limits(cls_at, low, high, start, level, rtol)
    return _as_upper_limit(limits, high)


def _check_cl(cl: float) -> float:
    if not (isinstance(cl, (int, float)) and 0.5 <= cl < 1.0):
        msg = f"the confidence level must be in [0.5, 1), e.g. 0.90 or 0.95; got {cl!r}"
        raise InvalidInput(msg)
    return float(cl)


# ---------------------------------------------------------------------- signed ε (tied view)
def _eps_grid(eps_max: float, n: int) -> np.ndarray:
    side = np.geomspace(eps_max * 1e-4, eps_max, n)
    return np.concatenate([-side[::-1], [0.0], side])


def _global_fit(tied: CompiledModel, data_main, data_aux, eps_max: float, name: str):
    magnitudes = np.concatenate([[0.0], np.geomspace(eps_max * 1e-3, eps_max * 0.5, 6)])
    starts = np.concatenate([-magnitudes[1:], magnitudes])
    return fit_multistart(
        tied, data_main, data_aux, starts={name: starts}, bounds={name: (-eps_max, eps_max)}
    )


def eps_scan(
    tied: CompiledModel,
    data_main,
    data_aux,
    *,
    eps_max: float | None = None,
    n_points: int = 120,
    name: str = "eps",
) -> EpsScan:
    """t_ε = 2[−log L(ε, φ̂̂) + log L(ε̂, φ̂)] on a grid 0, ±ε_max·[10⁻⁴, 1] (log-spaced, 2·n_points + 1).

    Args:
        tied: model from ``CompiledModel.tied`` (parameter ``name`` = signed ε).
        data_main: main counts (B,); data_aux: auxiliary data (A,).
        eps_max: scan range |ε| ≤ eps_max (default the tied bound).
    """
    index = tied.par_index(name)
    eps_max = float(np.max(np.abs(tied.bounds[index]))) if eps_max is None else float(eps_max)
    best = _global_fit(tied, data_main, data_aux, eps_max, name)
    grid = _eps_grid(eps_max, n_points)
    repeat = np.repeat(np.atleast_2d(data_main), grid.size, axis=0)
    fits = fit_batch(tied, repeat, np.atleast_2d(data_aux), fixed={name: grid}, init=best.pars[0])
    nll_min = min(float(best.nll[0]), float(np.min(fits.nll)))
    eps_hat = (
        float(best.pars[0, index]) if best.nll[0] <= np.min(fits.nll) else float(grid[np.argmin(fits.nll)])
    )
    t = np.clip(2.0 * (fits.nll - nll_min), 0.0, None)
    return EpsScan(grid, t, eps_hat, fits.converged & best.converged[0])


def _t_at(tied, data_main, data_aux, name, init, nll_min):
    def t_of(eps: float) -> float:
        fit = fit_batch(tied, data_main, data_aux, fixed={name: eps}, init=init)
        return 2.0 * (float(fit.nll[0]) - nll_min)

    return t_of


def allowed_intervals(eps, t, threshold: float, refine=None) -> list[tuple[float, float]]:
    """Intervals of ε where t ≤ threshold, from a scan eps (m,) t (m,); endpoints by ``refine(a, b)`` or linear."""
    inside = np.asarray(t) <= threshold
    out, k = [], 0
    while k < inside.size:
        if not inside[k]:
            k += 1
            continue
        j = k
        while j + 1 < inside.size and inside[j + 1]:
            j += 1
        lo = eps[k] if k == 0 else _crossing(eps, t, k - 1, threshold, refine)
        hi = eps[j] if j == inside.size - 1 else _crossing(eps, t, j, threshold, refine)
        out.append((float(lo), float(hi)))
        k = j + 1
    return out


def _crossing(eps, t, i, threshold, refine):
    a, b = eps[i], eps[i + 1]
    if refine is not None:
        return refine(a, b)
    return a + (threshold - t[i]) * (b - a) / (t[i + 1] - t[i])


def eps_intervals(
    tied: CompiledModel,
    data_main,
    data_aux,
    *,
    cl: float = 0.95,
    eps_max: float | None = None,
    name: str = "eps",
) -> tuple[list[tuple[float, float]], EpsScan]:
    """Allowed ε interval(s) at ``cl`` from the profile likelihood (Wilks: t_ε ≤ χ²₁ quantile, two-sided).

    Returns:
        (intervals [(ε_low, ε_high), …] in increasing ε, the scan); an interval reaching ±eps_max is open.
    """
    threshold = float(chi2.ppf(_check_cl(cl), 1))
    scan = eps_scan(tied, data_main, data_aux, eps_max=eps_max, name=name)
    init = tied.init.copy()
    init[tied.par_index(name)] = scan.eps_hat
    nll_min = _nll_at_best(tied, data_main, data_aux, name, scan.eps_hat, init)
    t_of = _t_at(tied, data_main, data_aux, name, init, nll_min)
    refine = lambda a, b: brentq(lambda x: t_of(x) - threshold, a, b, xtol=1e-12, rtol=1e-9)  # noqa: E731
    return allowed_intervals(scan.eps, scan.t, threshold, refine), scan


def _nll_at_best(tied, data_main, data_aux, name, eps_hat, init) -> float:
    fit = fit_batch(tied, data_main, data_aux, init=init)
    fixed = fit_batch(tied, data_main, data_aux, fixed={name: eps_hat}, init=init)
    return float(min(fit.nll[0], fixed.nll[0]))


def __dir__() -> list[str]:
    return __all__
