"""Batched maximum-likelihood fits of many datasets at once (toys) with the compiled engine.

Projected Newton with an active set on the box bounds: the analytic gradient and Hessian of −log L
(:func:`cevns_stats.inference.derivatives.nll_grad_hess`) give a Newton step on the free parameters
(parameters at a bound whose gradient points outwards are held there; :mod:`.newton`); where the
Hessian is not positive definite the Fisher part is used (Fisher scoring), the step is projected onto
the box and halved until −log L does not increase. A dataset is converged when the expected decrease
of −log L (half the Newton decrement) is below ``tolerance``; that last Newton step is still taken (if
it does not raise −log L), so the remaining error is far smaller (≈ 1e-9 in −log L for the default
1e-5). Datasets that do not converge within ``max_iter`` are flagged in ``converged`` (never dropped).
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np

from cevns_stats.errors import FitError, InvalidInput
from cevns_stats.inference.derivatives import SecondOrder, nll_grad_hess, nll_grad_hess_second
from cevns_stats.inference.engine import CompiledModel, log_factorial_sum
from cevns_stats.inference.newton import MAX_HALVINGS, line_search, newton_step

__all__ = [
    "FitResult",
    "fit_batch",
    "fit_multistart",
    "fit_signed_eps",
    "free_and_box",
    "nll_grad_hess",
    "refit_failed",
]

log = logging.getLogger(__name__)


class FitResult(NamedTuple):
    """Result of a batched fit.

    Attributes:
        pars: best-fit parameters, shape (n, P), in ``model.par_names`` order.
        nll: −log L at the best fit (full normalisation, as pyhf's ``-logpdf``), shape (n,).
        converged: whether each fit met the tolerance, shape (n,) bool.
        n_iter: Newton iterations used per dataset, shape (n,).
    """

    pars: np.ndarray
    nll: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray

    @property
    def n_failed(self) -> int:
        """Number of datasets whose fit did not converge."""
        return int(np.count_nonzero(~self.converged))


def fit_batch(
    model: CompiledModel,
    data_main,
    data_aux,
    *,
    fixed: dict | None = None,
    init=None,
    bounds=None,
    max_iter: int = 100,
    tolerance: float = 1e-5,
    chunk_size: int = 1024,
    row_scale: np.ndarray | None = None,
) -> FitResult:
    """Maximum-likelihood fit of each dataset (row) of ``data_main``/``data_aux``.

    Args:
        model: the compiled model.
        data_main: main counts (events), shape (n, B) or (B,).
        data_aux: auxiliary data, shape (n, A) or (A,).
        fixed: ``{name: value}`` parameters held constant (value scalar or shape (n,)), in addition
            to those the measurement fixes (held at their init).
        init: start values, shape (P,) or (n, P), or ``{name: value}`` overriding the model's init.
        bounds: ``{name: (low, high)}`` overriding the model's bounds, or an array (P, 2).
        max_iter: maximum Newton iterations.
        tolerance: convergence threshold on the expected −log L decrease (half the Newton decrement)
            before the final Newton step.
        chunk_size: datasets fitted together (keeps the work arrays in cache); the batch is refilled
            as fits converge.
        row_scale: optional (n, R) per-dataset factors of the model's rows, so that datasets of
            differently scaled models (e.g. the exposures and ε of a reach grid) are fitted in one batch.

    Returns:
        FitResult with pars (n, P), nll (n,), converged (n,), n_iter (n,).

    Example:
        >>> from cevns_stats.inference.engine import CompiledModel
        >>> from cevns_stats.inference.simplemodels import counting_workspace
        >>> model = CompiledModel.from_workspace(counting_workspace(signal=10.0, background=100.0, sigma=0.05))
        >>> fit = fit_batch(model, [[120.0], [100.0]], model.aux_nominal)  # two datasets at once
        >>> fit.converged.tolist(), np.round(fit.pars[:, model.par_index("mu")], 4).tolist()
        ([True, True], [2.0, 0.0])
    """
    data_main, data_aux = _as_data(model, data_main, data_aux)
    lower, upper = _bounds(model, bounds)
    theta, frozen = _start(model, data_main.shape[0], init, fixed, lower, upper)
    if row_scale is not None:
        row_scale = np.broadcast_to(
            np.asarray(row_scale, dtype=float), (data_main.shape[0], model.basis.shape[0])
        )
    result = _fit_pool(
        model, data_main, data_aux, theta, frozen, (lower, upper), max_iter, tolerance, row_scale, chunk_size
    )
    if result.n_failed:
        log.debug(
            "%d of %d fits did not converge within %d iterations", result.n_failed, result.nll.size, max_iter
        )
    return result


def free_and_box(model: CompiledModel, fixed: dict | None = None, bounds=None) -> tuple[np.ndarray, tuple]:
    """The parameters :func:`fit_batch` varies with these ``fixed`` and ``bounds`` (indices (F,)) and its
    box (lower (P,), upper (P,))."""
    frozen = model.fixed.copy()
    for name in fixed or {}:
        frozen[model.par_index(name)] = True
    return np.flatnonzero(~frozen), _bounds(model, bounds)


def _fit_pool(
    model, data_main, data_aux, theta, frozen, bounds, max_iter, tolerance, scale, batch
) -> FitResult:
    """Projected-Newton fits of all datasets (see the module docstring), ``batch`` at a time.

    The batch is refilled from the datasets not yet started as others converge, so every iteration works
    on a full batch (an iteration's numpy calls cost the same for a few fits as for ``batch``). Each
    iteration evaluates −log L and its derivatives (:func:`nll_grad_hess_second`) once, for two kinds of
    fits together: the full Newton step of every fit that goes on (a step that is accepted, as most are,
    carries its derivatives into the next iteration) and the current point of every *pending* fit (one that
    has just joined the batch, or whose step was halved with −log L alone): that fit takes its next step in
    the next iteration.
    """
    lower, upper = bounds
    free = np.flatnonzero(~frozen)
    batch = max(int(batch), 1)
    log_fact = log_factorial_sum(data_main)
    n_iter = np.zeros(data_main.shape[0], dtype=int)
    if free.size == 0 or max_iter < 1:
        nll = model.nll(theta, data_main, data_aux, log_fact, scale)
        return FitResult(theta, nll, np.isfinite(nll) & (free.size == 0), n_iter)
    nll = np.full(data_main.shape[0], np.inf)  # set as each dataset is first evaluated
    converged = np.zeros(nll.size, dtype=bool)

    def sub(rows: np.ndarray) -> tuple:
        return data_main[rows], data_aux[rows], log_fact[rows], None if scale is None else scale[rows]

    box = (lower[free], upper[free])
    no_fits = np.zeros(0, dtype=int)
    pending, queue = np.arange(min(batch, nll.size)), np.arange(min(batch, nll.size), nll.size)
    ready: np.ndarray = no_fits  # fits with −log L, gradient, Hessian and its second-order part at theta
    derivs: tuple[np.ndarray, np.ndarray, SecondOrder] | None = None
    while ready.size or pending.size:
        go, done, trial, step = no_fits, np.zeros(0, dtype=bool), theta[no_fits], np.zeros((0, free.size))
        if ready.size and derivs is not None:
            step, decrement, newton = newton_step(*derivs, theta[ready][:, free], box)
            done = newton & (0.5 * decrement < tolerance)  # converged: the last step is taken if it helps
            trial = theta[ready]
            trial[:, free] = np.clip(trial[:, free] + step, *box)
            go = np.flatnonzero(~done)
        # one evaluation: the full steps of the fits that go on, and the pending fits where they are
        main, aux, fact, row_scale = sub(np.concatenate([ready[go], pending]))
        points = np.concatenate([trial[go], theta[pending]])
        value, grad, hess, second = nll_grad_hess_second(model, points, main, aux, free, row_scale, fact)
        accept = value[: go.size] <= nll[ready[go]]
        keep = go[accept]
        theta[ready[keep]], nll[ready[keep]] = trial[keep], value[: go.size][accept]
        nll[pending] = value[go.size :]
        # converged fits: their last step with −log L alone; rejected steps: halved with −log L alone
        last = np.flatnonzero(done)
        value_last = model.nll(trial[last], *sub(ready[last])) if last.size else np.zeros(0)
        better = value_last <= nll[ready[last]]
        theta[ready[last[better]]], nll[ready[last[better]]] = trial[last[better]], value_last[better]
        halve = go[~accept]
        ok = np.ones(ready.size, dtype=bool)
        if halve.size:
            new_th, new_nll, ok[halve] = line_search(
                model,
                theta[ready[halve]],
                step[halve],
                free,
                nll[ready[halve]],
                sub(ready[halve]),
                box,
                np.full(halve.size, MAX_HALVINGS - 1),
                0.5,
            )
            theta[ready[halve]], nll[ready[halve]] = new_th, new_nll
        n_iter[ready] += 1
        converged[ready[done]] = True
        stay = ~done & ok & (n_iter[ready] < max_iter)
        # next iteration: accepted steps and evaluated pending fits are ready (a pending fit that starts where
        # −log L = ∞ leaves the batch unconverged); halved steps and new fits from the queue are pending
        carried = np.flatnonzero(accept)[stay[keep]]  # their rows of the evaluation (the first go.size)
        joined = np.flatnonzero(np.isfinite(value[go.size :]))  # positions in ``pending``
        halved = ready[halve[stay[halve]]]
        ready = np.concatenate([ready[keep[stay[keep]]], pending[joined]])
        rows = np.concatenate([carried, go.size + joined])
        derivs = (grad[rows], hess[rows], second.take(rows))
        room = max(batch - ready.size - halved.size, 0)
        pending, queue = np.concatenate([halved, queue[:room]]), queue[room:]
    return FitResult(theta, nll, converged, n_iter)


def fit_multistart(model: CompiledModel, data_main, data_aux, *, starts: dict, **kwargs) -> FitResult:
    """Best of several fits started at each value in ``starts`` (``{name: sequence}``, one name).

    Used where −log L has more than one minimum (vector NSI with ε of the interfering sign). Among
    converged fits the lowest −log L wins per dataset; keyword arguments go to :func:`fit_batch`.
    """
    if len(starts) != 1:
        msg = f"starts must name exactly one parameter, got {list(starts)}"
        raise InvalidInput(msg)
    ((name, values),) = starts.items()
    base = kwargs.pop("init", None)
    best = None
    for value in values:
        init: dict | np.ndarray
        if base is None or isinstance(base, dict):
            init = {**(base or {}), name: value}
        else:
            init = np.array(base, dtype=float)
            init[..., model.par_index(name)] = value
        res = fit_batch(model, data_main, data_aux, init=init, **kwargs)
        best = res if best is None else _better(best, res)
    if best is None:
        msg = f"starts[{name!r}] must hold at least one value"
        raise InvalidInput(msg)
    return best


def refit_failed(
    model: CompiledModel, data_main, data_aux, result: FitResult, *, init, **kwargs
) -> FitResult:
    """``result`` of :func:`fit_batch` with its unconverged fits repeated from ``init`` ((n, P) or (P,));
    per dataset the better of the two fits is kept (as :func:`fit_multistart`).

    For fits started at predicted minima (:mod:`.starts`): a prediction can land where the Hessian is not
    positive definite, and the fit may not leave that region; the reference it was predicted from is a
    safe second start. Keyword arguments (``fixed``, ``bounds``, ``row_scale``, …) go to :func:`fit_batch`
    (``row_scale`` (n, R) and ``fixed`` values (n,) of all datasets).
    """
    failed = np.flatnonzero(~result.converged)
    if failed.size == 0:
        return result
    data_main, data_aux = _as_data(model, data_main, data_aux)
    init = np.broadcast_to(np.asarray(init, dtype=float), (data_main.shape[0], model.n_pars))
    scale = kwargs.pop("row_scale", None)
    fixed = {
        name: np.asarray(value)[failed] if np.ndim(value) else value
        for name, value in (kwargs.pop("fixed", None) or {}).items()
    }
    retry = fit_batch(
        model,
        data_main[failed],
        data_aux[failed],
        init=init[failed],
        fixed=fixed,
        row_scale=None if scale is None else np.asarray(scale)[failed],
        **kwargs,
    )
    first = FitResult(*(np.asarray(array)[failed] for array in result))
    best = _better(first, retry)
    merged = [np.array(array, copy=True) for array in result]
    for array, part in zip(merged, best):
        array[failed] = part
    return FitResult(*merged)


def fit_signed_eps(
    tied_model: CompiledModel,
    data_main,
    data_aux,
    *,
    sign: int,
    eps_max: float | None = None,
    name: str = "eps",
    n_starts: int = 4,
    **kwargs,
) -> FitResult:
    """Fit with signed ε (``CompiledModel.tied``) free on one side: ε ≥ 0 (sign=+1) or ε ≤ 0 (sign=−1).

    The rate is quadratic in ε, so the fit is started at ``n_starts`` points spread over the allowed
    side (0 and log-spaced up to ``eps_max``, default the model's bound) and the best is kept.
    """
    if sign not in (-1, 1):
        msg = f"sign must be +1 (ε ≥ 0) or −1 (ε ≤ 0), got {sign!r}"
        raise InvalidInput(msg)
    eps_max = (
        float(np.max(np.abs(tied_model.bounds[tied_model.par_index(name)]))) if eps_max is None else eps_max
    )
    bounds = {**(kwargs.pop("bounds", None) or {}), name: (0.0, eps_max) if sign > 0 else (-eps_max, 0.0)}
    magnitudes = np.concatenate([[0.0], np.geomspace(eps_max * 1e-3, eps_max * 0.3, max(n_starts - 1, 1))])
    starts = {name: sign * magnitudes[:n_starts]}
    return fit_multistart(tied_model, data_main, data_aux, starts=starts, bounds=bounds, **kwargs)


# ---------------------------------------------------------------------- helpers
def _better(a: FitResult, b: FitResult) -> FitResult:
    """Per dataset, the converged fit with the lower −log L (non-converged lose)."""
    score_a = np.where(a.converged, a.nll, np.inf)
    score_b = np.where(b.converged, b.nll, np.inf)
    take_b = (score_b < score_a) | (~a.converged & ~b.converged & (b.nll < a.nll))
    pick = lambda x, y: np.where(take_b.reshape((-1,) + (1,) * (x.ndim - 1)), y, x)  # noqa: E731
    return FitResult(
        pick(a.pars, b.pars), pick(a.nll, b.nll), pick(a.converged, b.converged), a.n_iter + b.n_iter
    )


def _as_data(model, data_main, data_aux):
    data_main = np.atleast_2d(np.asarray(data_main, dtype=float))
    data_aux = np.asarray(data_aux, dtype=float).reshape(-1, model.aux_nominal.size)
    if data_main.shape[1] != model.n_bins:
        msg = f"data_main has {data_main.shape[1]} bins, the model has {model.n_bins}"
        raise InvalidInput(msg)
    if data_aux.shape[0] == 1 and data_main.shape[0] > 1:
        data_aux = np.repeat(data_aux, data_main.shape[0], axis=0)
    if data_aux.shape[0] != data_main.shape[0]:
        msg = f"data_aux has {data_aux.shape[0]} rows but data_main has {data_main.shape[0]}"
        raise InvalidInput(msg)
    return data_main, data_aux


def _bounds(model, bounds):
    table = model.bounds.copy()
    if isinstance(bounds, dict):
        for name, pair in bounds.items():
            table[model.par_index(name)] = pair
    elif bounds is not None:
        table = np.asarray(bounds, dtype=float).reshape(model.n_pars, 2)
    if np.any(table[:, 0] > table[:, 1]):
        msg = f"lower bounds must not exceed upper bounds, got {table.tolist()}"
        raise InvalidInput(msg)
    return table[:, 0], table[:, 1]


def _start(model, n, init, fixed, lower, upper):
    theta = np.tile(model.init, (n, 1))
    if isinstance(init, dict):
        for name, value in init.items():
            theta[:, model.par_index(name)] = value
    elif init is not None:
        theta[:] = np.broadcast_to(np.asarray(init, dtype=float), theta.shape)
    frozen = model.fixed.copy()
    for name, value in (fixed or {}).items():
        index = model.par_index(name)
        frozen[index] = True
        theta[:, index] = value
    theta[:, ~frozen] = np.clip(theta[:, ~frozen], lower[~frozen], upper[~frozen])
    if not np.all(np.isfinite(theta)):
        msg = "initial or fixed parameter values must be finite"
        raise FitError(msg)
    return theta, frozen


def __dir__() -> list[str]:
    return __all__
