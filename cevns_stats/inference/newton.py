"""One projected-Newton iteration of the batched fits: the step (with an ε-active set on the box bounds and
an LDLᵀ solve vectorised over datasets) and the halving line search (see :mod:`.fit`).
"""

from __future__ import annotations

import functools
import logging

import numpy as np

from cevns_stats.inference.derivatives import SecondOrder
from cevns_stats.inference.engine import CompiledModel

log = logging.getLogger(__name__)

__all__ = [
    "BOUND_MARGIN",
    "MAX_HALVINGS",
    "PIVOT_FLOOR",
    "held_matrix",
    "held_on_bound",
    "ldl_solve",
    "line_search",
    "newton_step",
]

MAX_HALVINGS = 30
BOUND_MARGIN = 1e-6  # fraction of a parameter's range within which it counts as on its bound
PIVOT_FLOOR = 1e-12  # smallest LDLᵀ pivot, relative to its diagonal element, taken as positive


def newton_step(
    grad: np.ndarray, hess: np.ndarray, second: SecondOrder, theta: np.ndarray, box: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Projected Newton step (n, F), Newton decrement (n,), and whether the full Hessian was used.

    Parameters at (or within BOUND_MARGIN of the range from) a bound with the gradient pointing outwards
    are held on that bound (Bertsekas, SIAM J. Control Optim. 20 (1982) 221); where the full Hessian is not
    positive definite the Fisher part (``hess`` minus its ``second``-order part, positive semi-definite) is
    used instead (Fisher scoring).

    The decrement (twice the expected decrease of −log L) also counts what a held parameter would give
    once the step is taken: the step of the others changes its gradient (by the Hessian's cross terms),
    and where that gradient is predicted to point inwards after the step, the decrease of releasing it,
    g²/(2 H_kk), is added. Otherwise a fit could stop on a bound that the step itself makes wrong (a
    point that is not a constrained minimum).
    """
    lower, upper = box
    at_lower, at_upper = held_on_bound(theta, grad, lower, upper)
    clamp = at_lower | at_upper
    held = np.flatnonzero(clamp.any(axis=1))
    full_grad, full_hess = grad, hess
    if held.size:
        grad = np.where(clamp, 0.0, grad)
        hess = hess.copy()
        hess[held] = held_matrix(hess[held], clamp[held])
    with np.errstate(over="ignore", invalid="ignore"):  # steps of rejected (indefinite) solves are discarded
        step, newton = ldl_solve(hess, -grad)
    if not newton.all():
        bad = np.flatnonzero(~newton)
        log.debug(
            "Hessian not positive definite for %d of %d datasets: Fisher scoring step", bad.size, newton.size
        )
        fisher = held_matrix(second.take(bad).fisher(full_hess[bad]), clamp[bad])
        step[bad] = ldl_solve(fisher, -grad[bad])[0]
    decrement = -np.sum(grad * step, axis=1)
    step = np.where(
        at_lower, lower - theta, np.where(at_upper, upper - theta, step)
    )  # held ones go onto the bound
    if held.size:
        decrement[held] += 2.0 * _release_gain(full_grad, full_hess, held, step, at_lower, at_upper)
    return step, decrement, newton


def held_matrix(matrix: np.ndarray, clamp: np.ndarray) -> np.ndarray:
    """``matrix`` (n, F, F) with the rows and columns of the held parameters ``clamp`` (n, F) zeroed and a unit
    diagonal there (so that their step is zero)."""
    eye = np.eye(clamp.shape[1], dtype=bool) & clamp[:, :, None]
    return np.where(eye, 1.0, np.where(clamp[:, :, None] | clamp[:, None, :], 0.0, matrix))


def held_on_bound(theta: np.ndarray, grad: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple:
    """(at_lower, at_upper), each like ``theta`` (n, F): the parameters held on a bound, those at (or within
    BOUND_MARGIN of the range from) it whose gradient points out of the box (the ε-active set of Bertsekas
    1982)."""
    margin = BOUND_MARGIN * (upper - lower)
    return (theta <= lower + margin) & (grad > 0), (theta >= upper - margin) & (grad < 0)


def _release_gain(grad, hess, rows, step, at_lower, at_upper) -> np.ndarray:
    """Expected decrease of −log L (per dataset of ``rows``) from releasing the held parameters whose
    gradient, predicted after ``step`` (grad + hess·step), points into the box (the largest of them)."""
    grad, hess, step = grad[rows], hess[rows], step[rows]
    after = grad + np.einsum("nij,nj->ni", hess, step)
    inwards = (at_lower[rows] & (after < 0)) | (at_upper[rows] & (after > 0))
    curvature = np.diagonal(hess, axis1=1, axis2=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(inwards & (curvature > 0), 0.5 * after**2 / curvature, 0.0)
    gain[inwards & ~(curvature > 0)] = np.inf  # no curvature: releasing it lowers −log L without limit
    return gain.max(axis=1)


def ldl_solve(h: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched LDLᵀ solve of h (n, F, F) x = rhs (n, F), vectorised over n.

    Left-looking (column by column) factorisation of the upper triangle of h, copied once to a (F(F+1)/2, n)
    array so that every operation works on all n systems with n contiguous and no (F, F, n) temporaries;
    then the two triangular solves.

    Returns x (n, F) and ok (n,): False where a pivot is ≤ PIVOT_FLOOR times its diagonal element
    (not positive definite); such pivots are replaced by that diagonal element (1 if not positive).
    """
    n, size = rhs.shape
    index, starts = _upper_triangle(size)
    # (F(F+1)/2, n): row j of the upper triangle from the diagonal on (= column j of the lower one)
    packed = np.take(h.reshape(n, size * size), index, axis=1).T.copy()
    lower = np.empty((size, size, n))  # lower[i, k] = L_ik for i > k
    pivots = np.empty((size, n))
    ok = np.ones(n, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):  # the solutions of flagged systems are not used
        for j in range(size):
            column = packed[starts[j] : starts[j + 1]]  # (F − j, n): h_ij for i ≥ j
            if j:  # minus Σ_k<j L_ik D_k L_jk
                column = column - np.einsum("ikn,kn->in", lower[j:, :j], pivots[:j] * lower[j, :j])
            pivot, diagonal = column[0], packed[starts[j]]
            small = pivot <= PIVOT_FLOOR * np.abs(diagonal)
            if small.any():
                ok &= ~small
                pivot = np.where(small, np.where(diagonal > 0, diagonal, 1.0), pivot)
            pivots[j] = pivot
            lower[j + 1 :, j] = column[1:] / pivot
        x = rhs.T.copy()  # forward (L y = rhs), scaling (D z = y), back substitution (Lᵀ x = z)
        for i in range(1, size):
            x[i] -= np.einsum("kn,kn->n", lower[i, :i], x[:i])
        x /= pivots
        for i in range(size - 2, -1, -1):
            x[i] -= np.einsum("kn,kn->n", lower[i + 1 :, i], x[i + 1 :])
    return x.T, ok


@functools.cache
def _upper_triangle(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices (F(F+1)/2,) of a (F, F) matrix's upper triangle row by row (= the lower triangle column
    by column for a symmetric matrix), and where each row starts (F + 1,)."""
    rows, columns = np.triu_indices(size)
    return rows * size + columns, np.concatenate([[0], np.cumsum(np.arange(size, 0, -1))])


def line_search(
    model: CompiledModel,
    theta: np.ndarray,
    step: np.ndarray,
    free: np.ndarray,
    nll: np.ndarray,
    sub: tuple,
    box: tuple,
    tries: np.ndarray,
    first: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Halve the projected step (at most ``tries`` (n,) trials, the first at ``first`` times the step)
    until −log L does not increase.

    Returns the new theta (n, P), nll (n,) and whether a step was accepted (n,).
    """
    data_main, data_aux, log_fact, scale = sub
    new_theta, new_nll = theta.copy(), nll.copy()
    accepted = np.zeros(theta.shape[0], dtype=bool)
    todo = np.arange(theta.shape[0])
    t = first
    for attempt in range(int(tries.max(initial=0))):
        todo = todo[tries[todo] > attempt]
        if todo.size == 0:
            break
        trial = theta[todo]
        trial[:, free] = np.clip(trial[:, free] + t * step[todo], *box)
        value = model.nll(
            trial, data_main[todo], data_aux[todo], log_fact[todo], None if scale is None else scale[todo]
        )
        ok = value <= nll[todo]
        new_theta[todo[ok]], new_nll[todo[ok]] = trial[ok], value[ok]
        accepted[todo[ok]] = True
        todo = todo[~ok]
        t *= 0.5
    return new_theta, new_nll, accepted


def __dir__() -> list[str]:
    return __all__
