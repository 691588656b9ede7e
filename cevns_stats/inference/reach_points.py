"""One grid point of a reach scan: the scaled compiled model, Asimov Z and toy Z (see :mod:`.reach`).

The model at (exposure E, ε) is the unit-exposure :class:`ReachSetup` model with
each row scaled by E·|ε|^p, so the signal parameter is 1 (scalar μ') or ±1 (signed ε') at the truth.
Toy fits start at each toy's minimum predicted from its point's Asimov fits (:mod:`.starts`); for
monotonic rates, toys whose −log L rises into the signal side at θ = 0 have θ̂ = 0 and q0 = 0 without a
free fit.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from cevns_stats.errors import InvalidInput
from cevns_stats.inference.discovery import generate_toys, q0, significance
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.factors import FactorKind
from cevns_stats.inference.fit import fit_batch, fit_multistart, free_and_box, nll_grad_hess, refit_failed
from cevns_stats.inference.starts import linear_response_starts

__all__ = [
    "SCALAR_BOUND",
    "SIGNED_BOUND",
    "PointResult",
    "ReachSetup",
    "asimov_points",
    "point_asimov",
    "point_model",
    "point_toys",
    "row_eps_power",
    "row_toys",
]

SCALAR_BOUND = 1.0e4  # upper bound of μ' = ε²/ε_true²
SIGNED_BOUND = 100.0  # |ε'| = |ε|/|ε_true| bound of signed fits
_MULTISTART = (0.1, 1.0, 10.0)  # ε' starts on the destructive-interference side (two minima)


class ReachSetup(NamedTuple):
    """Unit-exposure compiled likelihood of one detector and model (picklable: no pyhf model attached).

    Attributes:
        model: compiled model at 1 t·yr; scalar: POI ``mu`` = ε² (ε_ref = 1); signed: tied ``eps``.
        signed: True for vector NSI and the leptoquark (signed ε), False for scalar (μ = ε²).
        eps_power: (R,) power of ε carried by each likelihood row (0 SM, 1 LIN, 2 QUAD / scalar NSI).
        destructive_sign: the sign of ε whose interference lowers the rate (0 for scalar models).
        settings: JSON-ready description (detector, model, threshold, ⁸B events per t·yr, channels).
    """

    model: CompiledModel
    signed: bool
    eps_power: np.ndarray
    destructive_sign: int
    settings: dict


def row_eps_power(model: CompiledModel, signed: bool) -> np.ndarray:
    """(R,) power of ε in each row: the signal parameter's exponent (×2 for μ = ε²)."""
    poi = model.par_index(_poi(model))
    on_poi = (model.slot_par == poi) & (model.slot_kind == FactorKind.POWER)
    power = np.sum(np.where(on_poi, model.slot_power, 0.0), axis=1)
    return power if signed else 2.0 * power


class PointResult(NamedTuple):
    """Toy summary of one grid point: mean and median Z of converged toys, and the failed-fit count."""

    z_mean: float
    z_median: float
    n_failed: int


def point_model(setup: ReachSetup, exposure_tonne_year: float, eps: float) -> CompiledModel:
    """The compiled model at one grid point, signal parameter in units of |ε| (module docstring)."""
    scale = exposure_tonne_year * np.abs(eps) ** setup.eps_power
    model = setup.model
    bounds = model.bounds.copy()
    poi = model.par_index(_poi(model))
    if setup.signed:
        bounds[poi] = (0.0, SIGNED_BOUND) if eps > 0 else (-SIGNED_BOUND, 0.0)
    else:
        bounds[poi] = (0.0, SCALAR_BOUND)
    return model.with_basis(model.basis * scale[:, None], bounds=bounds)


def _truth(model: CompiledModel, eps: float, signed: bool) -> np.ndarray:
    pars = model.init.copy()
    pars[model.par_index(_poi(model))] = math.copysign(1.0, eps) if signed else 1.0
    return pars


def _starts(setup: ReachSetup, eps: float):
    if setup.signed and np.sign(eps) == setup.destructive_sign:
        return np.sign(eps) * np.asarray(_MULTISTART)
    return None


def point_asimov(setup: ReachSetup, exposure_tonne_year: float, eps: float) -> float:
    """Asimov (median) discovery Z = √q0 at one point (signal restricted to the sign of ε)."""
    return float(asimov_points(setup, [exposure_tonne_year], [eps])[0])


def asimov_points(setup: ReachSetup, exposures_tonne_year, eps) -> np.ndarray:
    """Asimov Z at each point (exposure_i, ε_i), shape (n,): one batched q0 over all points.

    Args:
        exposures_tonne_year: (n,) exposures [t·yr] (or one, broadcast).
        eps: (n,) injected ε, all of one sign (the sign selects the bounds, direction and starts).

    Each point's Asimov dataset and fits use the unit-exposure model with its rows scaled by E·|ε|^p
    (``row_scale``), exactly the model of :func:`point_model`; the background-only fits start from the
    model's init, so each Z equals that of a separate fit of the point. The free fit starts at the truth,
    which is its global minimum: there the Asimov rates equal the data and every constrained parameter
    its auxiliary datum, the lower bound of each term of −log L (so no multistart is needed).
    """
    eps = np.atleast_1d(np.asarray(eps, dtype=float))
    exposures = np.broadcast_to(np.asarray(exposures_tonne_year, dtype=float), eps.shape)
    for value in eps:
        _check_eps(setup, float(value))
    if np.unique(np.sign(eps)).size != 1:
        raise InvalidInput("the ε of one batch of Asimov points must all have the same sign")
    model = point_model(setup, 1.0, math.copysign(1.0, eps[0]))  # unit scale, the bounds of this sign
    truth = _truth(model, eps[0], setup.signed)
    scales = exposures[:, None] * np.abs(eps)[:, None] ** setup.eps_power  # (n, R)
    main = model.expected_actualdata(truth, scales)
    aux = np.repeat(model.expected_auxdata(truth), eps.size, axis=0)
    direction = int(np.sign(eps[0])) if setup.signed else 1
    result = q0(model, main, aux, direction=direction, init=model.init, free_init=truth, row_scale=scales)
    return result.z


def point_toys(
    setup: ReachSetup,
    exposure_tonne_year: float,
    eps: float,
    *,
    n_toys: int,
    seed,
    mode: str = "standard",
    toy_aux: str = "resampled",
) -> PointResult:
    """Mean and median Z over ``n_toys`` toys generated at ε (one batched fit), and failed fits.

    Args:
        seed: an int or ``numpy.random.SeedSequence`` for this point's generator.
        mode: ``standard`` (q0, signal restricted to the sign of ε) or ``paper`` (t at the injected ε).
        toy_aux: ``resampled`` or ``fixed`` auxiliary data.
    """
    return row_toys(setup, exposure_tonne_year, [eps], [seed], n_toys=n_toys, mode=mode, toy_aux=toy_aux)[0]


def row_toys(
    setup: ReachSetup,
    exposure_tonne_year: float,
    eps: list[float],
    seeds: list,
    *,
    n_toys: int,
    mode: str = "standard",
    toy_aux: str = "resampled",
) -> list[PointResult]:
    """:func:`point_toys` for several ε of one sign at one exposure, all toys fitted in one batch.

    The points share the unit-exposure model; each toy carries its point's row scale E·|ε|^p
    (``fit_batch(row_scale=...)``), so the per-call work of the fits is shared by the whole row. Each point
    draws its toys from its own seed, so the results equal those of :func:`point_toys` point by point.
    """
    for value in eps:
        _check_eps(setup, value)
    if len({np.sign(value) for value in eps}) != 1:
        raise InvalidInput("the ε of one row must all have the same sign")
    model = point_model(setup, 1.0, math.copysign(1.0, eps[0]))  # unit scale, the bounds of this sign
    truth = _truth(model, eps[0], setup.signed)
    scales = np.array([exposure_tonne_year * np.abs(value) ** setup.eps_power for value in eps])  # (E, R)
    mains, auxs = [], []
    for scale, seed in zip(scales, seeds):
        point = model.with_basis(model.basis * scale[:, None])
        main, aux = generate_toys(point, truth, n_toys, rng=np.random.default_rng(seed), aux=toy_aux)
        mains.append(main)
        auxs.append(aux)
    z, converged = _toy_z(
        setup, model, truth, (np.concatenate(mains), np.concatenate(auxs)), mode, eps, scales
    )
    results = []
    for j in range(len(eps)):
        part = slice(j * n_toys, (j + 1) * n_toys)
        good = z[part][converged[part]]
        if good.size == 0:
            results.append(PointResult(math.nan, math.nan, int(n_toys)))
        else:
            failed = int(np.count_nonzero(~converged[part]))
            results.append(PointResult(float(np.mean(good)), float(np.median(good)), failed))
    return results


def _toy_z(setup, model, truth, data, mode, eps, scales):
    """Z and convergence (n,) of the toys of all points (point j: rows scaled by ``scales[j]``).

    Each fit starts at its toy's minimum predicted from the same fit of its point's Asimov dataset
    (:mod:`.starts`): the null fits from the Asimov null fit (nuisances already pulled to absorb the
    signal), the free / alternative fits from the truth (the Asimov dataset's own minimum). This only
    saves Newton iterations.
    """
    main, aux = data
    n_points = scales.shape[0]
    n_toys = main.shape[0] // n_points
    per_toy = np.repeat(scales, n_toys, axis=0)
    point = np.repeat(np.arange(n_points), n_toys)
    poi = _poi(model)
    index = model.par_index(poi)
    asimov_main = model.expected_actualdata(truth, scales)
    asimov_aux = np.repeat(model.expected_auxdata(truth), n_points, axis=0)
    at_truth = np.repeat(truth[None], n_points, axis=0)

    def predicted(fixed, reference_pars, rows):
        """Starts of the toys ``rows`` for fits with ``fixed``, from the Asimov fits ``reference_pars``."""
        free, box = free_and_box(model, fixed)
        reference = (reference_pars, asimov_main, asimov_aux)
        return linear_response_starts(
            model,
            reference,
            (main[rows], aux[rows]),
            free=free,
            box=box,
            ref_index=point[rows],
            row_scale=scales,
        )

    everything = np.arange(main.shape[0])
    null_fixed = {poi: 0.0}
    null_asimov = fit_batch(model, asimov_main, asimov_aux, fixed=null_fixed, row_scale=scales).pars
    null_init = predicted(null_fixed, null_asimov, everything)
    if mode == "paper":  # the null and alternative fits of every toy in one batch
        n = main.shape[0]
        alt_init = predicted({poi: truth[index]}, at_truth, everything)
        fits = (
            (np.concatenate([main, main]), np.concatenate([aux, aux])),
            {poi: np.concatenate([np.zeros(n), np.full(n, truth[index])])},
            np.concatenate([per_toy, per_toy]),
        )
        both = fit_batch(
            model, *fits[0], fixed=fits[1], init=np.concatenate([null_init, alt_init]), row_scale=fits[2]
        )
        again = np.concatenate([null_asimov[point], np.repeat(truth[None], n, axis=0)])
        both = refit_failed(model, *fits[0], both, init=again, fixed=fits[1], row_scale=fits[2])
        t = 2.0 * (both.nll[:n] - both.nll[n:])
        return significance(t), both.converged[:n] & both.converged[n:]
    null = fit_batch(model, main, aux, fixed=null_fixed, init=null_init, row_scale=per_toy)
    null = refit_failed(model, main, aux, null, init=null_asimov[point], fixed=null_fixed, row_scale=per_toy)
    starts = _starts(setup, eps[0])
    sign = np.sign(truth[index])
    z, converged = np.zeros(main.shape[0]), null.converged.copy()
    todo = everything
    if starts is None:  # monotonic rate: where −log L rises into the signal side at θ = 0, θ̂ = 0 and q0 = 0
        slope = nll_grad_hess(model, null.pars, main, aux, free=np.array([index]), row_scale=per_toy)[1][:, 0]
        todo = np.flatnonzero(sign * slope < 0)
        if todo.size == 0:
            return z, converged
        init = predicted({}, at_truth, todo)
        init = np.where((sign * init[:, index] > 0)[:, None], init, null.pars[todo])  # no excess predicted
        free = fit_batch(model, main[todo], aux[todo], init=init, row_scale=per_toy[todo])
        free = refit_failed(model, main[todo], aux[todo], free, init=truth, row_scale=per_toy[todo])
    else:
        free = fit_multistart(model, main, aux, starts={poi: starts}, init=truth, row_scale=per_toy)
    stat = np.where(
        sign * free.pars[:, index] > 0, np.clip(2.0 * (null.nll[todo] - free.nll), 0.0, None), 0.0
    )
    z[todo], converged[todo] = significance(stat), null.converged[todo] & free.converged
    return z, converged


def _poi(model: CompiledModel) -> str:
    """The signal parameter of a reach model (reach setups always have one)."""
    if model.poi_name is None:
        raise InvalidInput("a reach scan needs a model with a signal parameter (POI)")
    return model.poi_name


def _check_eps(setup: ReachSetup, eps: float) -> None:
    if not (math.isfinite(eps) and eps != 0):
        msg = f"injected eps must be finite and non-zero, got {eps!r}"
        raise InvalidInput(msg)
    if not setup.signed and eps < 0:
        msg = f"scalar models depend on eps^2 only; give |eps| > 0, got {eps!r}"
        raise InvalidInput(msg)


def __dir__() -> list[str]:
    return __all__
