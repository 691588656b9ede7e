"""Batched maximum-likelihood fits of many datasets at once (toys) with the compiled engine.

Analytic derivatives: with ν_b = Σ_r a_r basis_rb and a_r = Π_j φ_rj(θ_k(r,j)) (``engine``), the
gradient of −log L is Σ_r ∂a_r/∂θ_k ρ_r with ρ_r = Σ_b (1 − n_b/ν_b) basis_rb, and the Hessian is
Σ_b (n_b/ν_b²) ∂_kν_b ∂_lν_b + Σ_r ρ_r ∂²a_r/∂θ_k∂θ_l plus the Gaussian constraints' 1/σ².

Projected Newton with an active set on the box bounds: the analytic gradient and Hessian of −log L
(``CompiledModel.nll_grad_hess``) give a Newton step on the free parameters (parameters at a bound
whose gradient points outwards are held there); an indefinite Hessian is shifted to positive definite
(after Jacobi scaling), the step is projected onto the box and halved until −log L does not increase.
A dataset is converged when the expected decrease of −log L (half the Newton decrement, with the
positive-definite Hessian) is below ``tolerance``; that last Newton step is still taken (if it does not
raise −log L), so the remaining error is far smaller (≈ 1e-9 in −log L for the default 1e-5). Datasets that do not converge within ``max_iter`` are flagged in ``converged`` (never
dropped).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import gammaln

from cevns_stats.errors import FitError, InvalidInput
from cevns_stats.inference.engine import KIND_NONE, KIND_POWER, CompiledModel

__all__ = ["FitResult", "fit_batch", "fit_multistart", "fit_signed_eps", "nll_grad_hess"]

_MAX_HALVINGS = 30
_BOUND_MARGIN = 1e-6  # fraction of a parameter's range within which it counts as on its bound
_PIVOT_FLOOR = 1e-12  # smallest LDLᵀ pivot, relative to its diagonal element, taken as positive


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
        chunk_size: datasets fitted together (keeps the work arrays in cache).

    Returns:
        FitResult with pars (n, P), nll (n,), converged (n,), n_iter (n,).
    """
    data_main, data_aux = _as_data(model, data_main, data_aux)
    lower, upper = _bounds(model, bounds)
    theta, frozen = _start(model, data_main.shape[0], init, fixed, lower, upper)
    parts = [
        _fit_chunk(
            model,
            data_main[s : s + chunk_size],
            data_aux[s : s + chunk_size],
            theta[s : s + chunk_size],
            frozen,
            (lower, upper),
            max_iter,
            tolerance,
        )
        for s in range(0, data_main.shape[0], max(int(chunk_size), 1))
    ]
    return FitResult(*(np.concatenate(arrays) for arrays in zip(*parts)))


def _fit_chunk(model, data_main, data_aux, theta, frozen, bounds, max_iter, tolerance) -> FitResult:
    """Projected-Newton fits of one chunk of datasets (see the module docstring)."""
    lower, upper = bounds
    free = np.flatnonzero(~frozen)
    log_fact = np.sum(gammaln(data_main + 1.0), axis=1)
    nll = model.nll(theta, data_main, data_aux, log_fact)
    converged = np.zeros(nll.size, dtype=bool)
    n_iter = np.zeros(nll.size, dtype=int)
    active = np.flatnonzero(np.isfinite(nll))
    box = (lower[free], upper[free])
    for _ in range(max_iter):
        if active.size == 0 or free.size == 0:
            converged[active] = True
            break
        sub = (data_main[active], data_aux[active], log_fact[active])
        grad, hess, fisher = _grad_hess(model, theta[active], sub[0], sub[1], free)
        step, decrement, newton = _newton_step(grad, hess, fisher, theta[active][:, free], box)
        done = newton & (0.5 * decrement < tolerance)
        tries = np.where(done, 1, _MAX_HALVINGS)  # the last (full Newton) step is taken if it helps
        new_th, new_nll, ok = _line_search(model, theta[active], step, free, nll[active], sub, box, tries)
        theta[active[ok]], nll[active[ok]] = new_th[ok], new_nll[ok]
        n_iter[active] += 1
        converged[active[done]] = True
        active = active[~done & ok]
    return FitResult(theta, nll, converged & np.isfinite(nll), n_iter)


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


def _newton_step(grad, hess, fisher, theta, box):
    """Projected Newton step (n, F), Newton decrement (n,), and whether the full Hessian was used.

    Parameters at (or within _BOUND_MARGIN of the range from) a bound with the gradient pointing outwards
    are held on that bound (Bertsekas, SIAM J. Control Optim. 20 (1982) 221); where the full Hessian is not
    positive definite the Fisher matrix (positive semi-definite) is used instead (Fisher scoring).
    """
    lower, upper = box
    margin = _BOUND_MARGIN * (upper - lower)  # ε-active set (Bertsekas 1982): near a bound counts as on it
    at_lower = (theta <= lower + margin) & (grad > 0)
    at_upper = (theta >= upper - margin) & (grad < 0)
    clamp = at_lower | at_upper
    if clamp.any():
        grad = np.where(clamp, 0.0, grad)
        hold = clamp[:, :, None] | clamp[:, None, :]
        eye = np.eye(grad.shape[1], dtype=bool) & clamp[:, :, None]
        hess, fisher = (np.where(eye, 1.0, np.where(hold, 0.0, h)) for h in (hess, fisher))
    with np.errstate(over="ignore", invalid="ignore"):  # steps of rejected (indefinite) solves are discarded
        step, newton = _ldl_solve(hess, -grad)
    if not newton.all():
        bad = ~newton
        step[bad] = _ldl_solve(fisher[bad], -grad[bad])[0]
    decrement = -np.sum(grad * step, axis=1)
    step = np.where(
        at_lower, lower - theta, np.where(at_upper, upper - theta, step)
    )  # held ones go onto the bound
    return step, decrement, newton


def _ldl_solve(h, rhs):
    """Batched LDLᵀ solve of h (n, F, F) x = rhs (n, F), vectorised over n (arrays stored (F, F, n)).

    Returns x (n, F) and ok (n,): False where a pivot is ≤ _PIVOT_FLOOR times its diagonal element
    (not positive definite); such pivots are replaced by that diagonal element (1 if not positive).
    """
    size, n = rhs.shape[1], rhs.shape[0]
    a = np.ascontiguousarray(h.transpose(1, 2, 0))
    lower = np.zeros_like(a)
    d = np.empty((size, n))
    ok = np.ones(n, dtype=bool)
    for j in range(size):
        ld = lower[j, :j] * d[:j]
        pivot = a[j, j] - np.sum(lower[j, :j] * ld, axis=0)
        small = pivot <= _PIVOT_FLOOR * np.abs(a[j, j])
        if small.any():
            ok &= ~small
            pivot = np.where(small, np.where(a[j, j] > 0, a[j, j], 1.0), pivot)
        d[j] = pivot
        lower[j + 1 :, j] = (a[j + 1 :, j] - np.einsum("ikn,kn->in", lower[j + 1 :, :j], ld)) / pivot
    y = np.ascontiguousarray(rhs.T)
    for j in range(size):
        y[j] -= np.sum(lower[j, :j] * y[:j], axis=0)
    y /= d
    for j in range(size - 2, -1, -1):
        y[j] -= np.sum(lower[j + 1 :, j] * y[j + 1 :], axis=0)
    return y.T, ok


def _line_search(model, theta, step, free, nll, sub, box, tries):
    """Halve the projected step (at most ``tries`` (n,) trials) until −log L does not increase.

    Returns the new theta (n, P), nll (n,) and whether a step was accepted (n,).
    """
    data_main, data_aux, log_fact = sub
    new_theta, new_nll = theta.copy(), nll.copy()
    accepted = np.zeros(theta.shape[0], dtype=bool)
    todo = np.arange(theta.shape[0])
    t = 1.0
    for attempt in range(int(tries.max(initial=0))):
        todo = todo[tries[todo] > attempt]
        if todo.size == 0:
            break
        trial = theta[todo]
        trial[:, free] = np.clip(trial[:, free] + t * step[todo], *box)
        value = model.nll(trial, data_main[todo], data_aux[todo], log_fact[todo])
        ok = value <= nll[todo]
        new_theta[todo[ok]], new_nll[todo[ok]] = trial[ok], value[ok]
        accepted[todo[ok]] = True
        todo = todo[~ok]
        t *= 0.5
    return new_theta, new_nll, accepted


# ---------------------------------------------------------------------- analytic derivatives
def nll_grad_hess(model: CompiledModel, pars, data_main, data_aux, free=None):
    """−log L (n,), its gradient (n, F) and Hessian (n, F, F) in the parameters ``free`` (indices;
    default all), analytic: H = Σ_b (n_b/ν_b²) ∂ν_b ∂ν_bᵀ + Σ_b (1 − n_b/ν_b) ∂²ν_b + constraints."""
    pars = model.as_batch(pars)
    data_main, data_aux = _as_data(model, data_main, data_aux)
    free = np.arange(model.n_pars) if free is None else np.asarray(free)
    grad, hess, _ = _grad_hess(model, pars, data_main, data_aux, free)
    return model.nll(pars, data_main, data_aux), grad, hess


def _grad_hess(model, pars, data_main, data_aux, free):
    """Gradient (n, F), Hessian (n, F, F) and Fisher part (Σ_b (n_b/ν_b²) ∂ν_b ∂ν_bᵀ plus constraints,
    positive semi-definite; (n, F, F)) of −log L. ν = Σ_r a_r basis_r with a_r = Π_j φ_rj (engine)."""
    phi, d1, d2 = model.slot_factors(pars, 2)
    excl1, excl2 = _exclusive_products(phi)
    rate = np.prod(phi, axis=2) @ model.basis
    inv_rate = np.divide(1.0, rate, out=np.zeros_like(rate), where=rate > 0)
    rho = (1.0 - data_main * inv_rate) @ model.basis.T  # Σ_b ∂(−log L)/∂ν_b · basis_rb, (n, R)
    root = np.sqrt(data_main) * inv_rate
    dslot = excl1 * d1
    grad = np.empty((pars.shape[0], free.size))
    scaled = np.empty((pars.shape[0], free.size, model.n_bins))  # √n_b/ν_b · ∂ν_b/∂θ_k
    for i, k in enumerate(free):
        rows, slots = _index(model)[0][k]
        coef = dslot[:, rows, slots]
        grad[:, i] = np.einsum("nr,nr->n", coef, rho[:, rows])
        np.multiply(coef @ model.basis[rows], root, out=scaled[:, i])
    fisher = scaled @ scaled.transpose(0, 2, 1)
    second = _second_order_term(model, rho, phi, d1, d2, excl1, excl2)
    hess = fisher + (second if free.size == model.n_pars else second[:, free[:, None], free])
    position = np.full(model.n_pars, -1)
    position[free] = np.arange(free.size)
    constrained = position[model.aux_par_index] >= 0
    cidx, inv_var = position[model.aux_par_index][constrained], 1.0 / model.aux_sigma[constrained] ** 2
    grad[:, cidx] += (pars[:, model.aux_par_index[constrained]] - data_aux[:, constrained]) * inv_var
    hess[:, cidx, cidx] += inv_var
    fisher[:, cidx, cidx] += inv_var
    return grad, hess, fisher


def _index(model):
    """Per parameter the (rows, slots) it enters, and the Hessian scatter; cached on the model."""
    cache = model.__dict__.get("_derivative_index")  # frozen dataclass: cache beside its fields
    if cache is None:
        slots = [np.nonzero(model.slot_par == k) for k in range(model.n_pars)]
        cache = model.__dict__["_derivative_index"] = (slots, _scatter(model))
    return cache


def _exclusive_products(phi: np.ndarray):
    """Products of all slots but j (n, R, M) and but j and l (n, R, M, M) of a row."""
    nslot = phi.shape[2]
    if nslot == 1:
        return np.ones_like(phi), np.ones((*phi.shape, 1))
    if nslot == 2:
        return phi[:, :, ::-1].copy(), np.ones((*phi.shape, 2))
    excl1 = np.empty_like(phi)
    excl2 = np.ones((*phi.shape, nslot))
    for j in range(nslot):
        excl1[:, :, j] = np.prod(np.delete(phi, j, axis=2), axis=2)
        for m in range(j + 1, nslot):
            excl2[:, :, j, m] = excl2[:, :, m, j] = np.prod(np.delete(phi, [j, m], axis=2), axis=2)
    return excl1, excl2


def _second_order_term(model, rho, phi, d1, d2, excl1, excl2) -> np.ndarray:
    """Σ_r ρ_r ∂²a_r/∂θ_k∂θ_l, shape (n, P, P); terms sharing a Hessian entry are summed by reduceat."""
    rows, slot_j, slot_l, starts, targets = _index(model)[1]
    same = slot_j == slot_l
    term = np.where(
        same,
        excl1[:, rows, slot_j] * d2[:, rows, slot_j],
        excl2[:, rows, slot_j, slot_l] * d1[:, rows, slot_j] * d1[:, rows, slot_l],
    )
    out = np.zeros((rho.shape[0], model.n_pars**2))
    if rows.size:
        out[:, targets] = np.add.reduceat(rho[:, rows] * term, starts, axis=1)
    return out.reshape(-1, model.n_pars, model.n_pars)


def _scatter(model):
    """(row, slot j, slot l) of every second-derivative term, sorted by Hessian entry; reduceat starts
    and the flat Hessian entries (k_j·P + k_l) they fill. Terms with φ'' ≡ 0 (linear factors) are left out."""
    nrow, nslot = model.slot_par.shape
    rows, slot_j, slot_l = (
        a.ravel() for a in np.meshgrid(np.arange(nrow), np.arange(nslot), np.arange(nslot), indexing="ij")
    )
    kj, kl = model.slot_par[rows, slot_j], model.slot_par[rows, slot_l]
    linear = (model.slot_kind == KIND_NONE) | ((model.slot_kind == KIND_POWER) & (model.slot_power == 1.0))
    keep = (kj >= 0) & (kl >= 0) & ((slot_j != slot_l) | ~linear[rows, slot_j])
    target = (kj * model.n_pars + kl)[keep]
    order = np.argsort(target, kind="stable")
    target = target[order]
    starts = np.flatnonzero(np.r_[True, target[1:] != target[:-1]]) if target.size else np.zeros(0, int)
    return rows[keep][order], slot_j[keep][order], slot_l[keep][order], starts, target[starts]


def __dir__() -> list[str]:
    return __all__
