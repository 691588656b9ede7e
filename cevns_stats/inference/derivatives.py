"""Analytic gradient and Hessian of −log L of a :class:`~cevns_stats.inference.engine.CompiledModel`.

With ν_b = Σ_r a_r basis_rb and a_r = Π_j φ_rj(θ_k(r,j)) (:mod:`.engine`), let D_rk = ∂a_r/∂θ_k (a sum
over the slots of row r that hold θ_k, so a parameter may act through several modifiers on one sample;
evaluated per parameter from the (row, slot) pairs it enters)
and ρ_r = Σ_b (1 − n_b/ν_b) basis_rb. Then

    ∂(−log L)/∂θ_k = Σ_r D_rk ρ_r,
    ∂²(−log L)/∂θ_k∂θ_l = Σ_b (n_b/ν_b²) J_kb J_lb + Σ_r ρ_r ∂²a_r/∂θ_k∂θ_l,   J = Dᵀ basis,

plus the constraints: Gaussian (θ − aux)/σ² and 1/σ²; Poisson (τθ expected) τ − aux/θ and aux/θ².
The first Hessian term with the constraints (the Fisher part) is positive semi-definite.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.factors import FactorKind

__all__ = ["SecondOrder", "nll_grad_hess", "nll_grad_hess_second", "rate_jacobian"]


def nll_grad_hess(
    model: CompiledModel,
    pars: np.ndarray,
    data_main: np.ndarray,
    data_aux: np.ndarray,
    free: np.ndarray | list[int] | None = None,
    row_scale: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """−log L (n,), its gradient (n, F) and Hessian (n, F, F) in the parameters ``free`` (indices;
    default all), analytic (module docstring); ``row_scale`` (n, R) as in ``CompiledModel.nll``.

    Example:
        >>> from cevns_stats.inference.simplemodels import counting_workspace
        >>> model = CompiledModel.from_workspace(counting_workspace(5.0, 50.0, 0.1))
        >>> nll, grad, hess = nll_grad_hess(model, model.init, [55.0], model.aux_nominal)
        >>> grad.shape, hess.shape
        ((1, 2), (1, 2, 2))
    """
    pars = model.as_batch(pars)
    data_main = np.atleast_2d(np.asarray(data_main, dtype=float))
    data_aux = np.asarray(data_aux, dtype=float).reshape(-1, model.aux_nominal.size)
    data_aux = np.broadcast_to(data_aux, (pars.shape[0], data_aux.shape[1]))
    free = np.arange(model.n_pars) if free is None else np.asarray(free, dtype=int).ravel()
    nll, grad, hess, _ = nll_grad_hess_second(model, pars, data_main, data_aux, free, row_scale)
    return nll, grad, hess


class SecondOrder(NamedTuple):
    """The second-order part Σ_r ρ_r ∂²a_r/∂θ_k∂θ_l of a batch of Hessians (n, F, F): the flat (F·F)
    Hessian entries it fills (E,) and its values there (n, E). The Hessian minus it is the Fisher part."""

    entries: np.ndarray
    values: np.ndarray

    def take(self, rows: np.ndarray) -> SecondOrder:
        """The part of the datasets ``rows``."""
        return SecondOrder(self.entries, self.values[rows])

    def fisher(self, hess: np.ndarray) -> np.ndarray:
        """The Fisher part (n, F, F) of the Hessians ``hess`` (n, F, F) of the same datasets (a new array)."""
        fisher = hess.copy()
        flat = fisher.reshape(hess.shape[0], hess.shape[1] * hess.shape[2])
        flat[:, self.entries] -= self.values
        return fisher


def nll_grad_hess_second(
    model: CompiledModel,
    pars: np.ndarray,
    data_main: np.ndarray,
    data_aux: np.ndarray,
    free: np.ndarray,
    row_scale: np.ndarray | None = None,
    log_factorial: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, SecondOrder]:
    """−log L (n,), gradient (n, F), Hessian (n, F, F) and its second-order part (:class:`SecondOrder`) in
    the parameters ``free``, from one evaluation of the expected counts.

    ``row_scale`` (n, R) and ``log_factorial`` (n,) as in ``CompiledModel.nll``.
    """
    structure = _structure(model)
    n, nfree = pars.shape[0], free.size
    phi, d1, d2 = model.slot_factors(pars, 2)
    excl1, excl2 = _exclusive_products(phi)
    factors = phi[:, :, 0] * excl1[:, :, 0]
    rate = (factors if row_scale is None else factors * row_scale) @ model.basis
    inv_rate = np.divide(1.0, rate, out=np.zeros_like(rate), where=rate > 0)
    rho = (1.0 - data_main * inv_rate) @ model.basis.T  # Σ_b ∂(−log L)/∂ν_b · basis_rb, (n, R)
    root = np.sqrt(data_main) * inv_rate
    dslot = (excl1 * d1).reshape(n, model.slot_par.size)  # ∂a_r/∂φ_rj · φ'_rj per flat slot r·M + j
    grad = np.empty((n, nfree))
    scaled = np.empty((n, nfree, model.n_bins))  # ∂ν_b/∂θ_k, then × √n_b/ν_b
    for position, rows, coef in _jacobian_into(scaled, structure, free, dslot, row_scale):
        grad[:, position] = np.einsum("ngs,ngs->ng", coef, np.take(rho, rows, axis=1).reshape(coef.shape))
    scaled *= root[:, None, :]
    if row_scale is not None:
        rho *= row_scale  # the second-order terms below take the scaled rows
    hess = scaled @ scaled.transpose(0, 2, 1)  # the Fisher part so far
    second = _second_order(hess, _second_order_scatter(model, structure, free), rho, d1, d2, excl1, excl2)
    _add_constraints(model, pars, data_aux, free, grad, hess)
    return model.nll_from_rate(rate, pars, data_main, data_aux, log_factorial), grad, hess, second


def rate_jacobian(
    model: CompiledModel, pars: np.ndarray, free: np.ndarray, row_scale: np.ndarray | None = None
) -> np.ndarray:
    """∂ν_b/∂θ_k, shape (n, F, B) (events per unit of θ_k), at ``pars`` (n, P) for the parameters ``free``
    (F,); ``row_scale`` (n, R) as in ``CompiledModel.nll``."""
    n = pars.shape[0]
    phi, d1 = model.slot_factors(pars, 1)
    dslot = (_exclusive_products(phi, pairs=False)[0] * d1).reshape(n, model.slot_par.size)
    jacobian = np.empty((n, free.size, model.n_bins))
    _jacobian_into(jacobian, _structure(model), free, dslot, row_scale)
    return jacobian


def _jacobian_into(
    out: np.ndarray, structure: dict, free: np.ndarray, dslot: np.ndarray, row_scale: np.ndarray | None
) -> list[tuple]:
    """Write ∂ν_b/∂θ_k (n, F, B) into ``out``, one matrix product per group of :func:`_free_groups`; returns
    per group its positions in ``free``, the rows its (row, slot) pairs are in (G·S,) and ∂a_r/∂θ_k
    (× the row scale) per pair (n, G, S)."""
    groups = []
    for position, flat, rows, basis in _free_groups(structure, free):
        shape = (dslot.shape[0], *basis.shape[:2])  # (n, G, S): G parameters entering S pairs each
        coef = np.take(dslot, flat, axis=1).reshape(shape)
        if row_scale is not None:
            coef *= np.take(row_scale, rows, axis=1).reshape(shape)
        if isinstance(position, slice):  # straight into place (out[:, position] is a view)
            np.matmul(coef.transpose(1, 0, 2), basis, out=out[:, position].transpose(1, 0, 2))
        else:
            out[:, position] = np.matmul(coef.transpose(1, 0, 2), basis).transpose(1, 0, 2)
        groups.append((position, rows, coef))
    return groups


def _add_constraints(model, pars, data_aux, free, grad, hess) -> None:
    """Add the constraint terms of the free parameters to grad (n, F) and hess (n, F, F) in place."""
    position = np.full(model.n_pars, -1)
    position[free] = np.arange(free.size)
    pos = position[model.aux_par_index]
    on = pos >= 0
    gauss, pois = on & ~model.aux_poisson, on & model.aux_poisson
    if gauss.any():  # each constrained parameter has one auxiliary datum: cidx has no repeats
        cidx, inv_var = pos[gauss], 1.0 / model.aux_sigma[gauss] ** 2
        grad[:, cidx] += (pars[:, model.aux_par_index[gauss]] - data_aux[:, gauss]) * inv_var
        hess[:, cidx, cidx] += inv_var
    if pois.any():
        cidx, theta, aux = pos[pois], pars[:, model.aux_par_index[pois]], data_aux[:, pois]
        grad[:, cidx] += model.aux_factor[pois] - aux / theta
        hess[:, cidx, cidx] += aux / theta**2


def _structure(model: CompiledModel) -> dict:
    """Per parameter the rows and flat slots (r·M + j) it enters and those rows of the basis, and the
    second-order scatter; cached."""
    cache = model.__dict__.get("_derivative_structure")  # frozen dataclass: cache beside its fields
    if cache is None:
        nslot = model.slot_par.shape[1]
        slots = []
        for k in range(model.n_pars):
            rows, columns = np.nonzero(model.slot_par == k)
            slots.append((rows, rows * nslot + columns, model.basis[rows]))
        cache = model.__dict__["_derivative_structure"] = {
            "slots": slots,
            "scatter": _scatter(model),
            "free_scatter": {},
            "free_groups": {},
        }
    return cache


def _free_groups(structure: dict, free: np.ndarray) -> list:
    """The parameters ``free`` grouped by the number S of (row, slot) pairs they enter, so that each group's
    derivatives are a few array operations: per group its positions in ``free`` (a slice where they are
    consecutive), flat slots (G·S,), rows (G·S,) and basis rows (G, S, B); cached per set of free parameters."""
    key = free.tobytes()
    cached = structure["free_groups"].get(key)
    if cached is None:
        by_size: dict[int, list] = {}
        for i, k in enumerate(free):
            by_size.setdefault(structure["slots"][k][0].size, []).append((i, *structure["slots"][k]))
        cached = []
        for members in by_size.values():
            index = np.array([member[0] for member in members])
            consecutive = np.array_equal(index, np.arange(index[0], index[0] + index.size))
            position = slice(int(index[0]), int(index[0]) + index.size) if consecutive else index
            rows, flat = (np.concatenate([member[j] for member in members]) for j in (1, 2))
            cached.append((position, flat, rows, np.stack([member[3] for member in members])))
        structure["free_groups"][key] = cached
    return cached


def _exclusive_products(phi: np.ndarray, pairs: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Products of all slots but j (n, R, M) and but j and l (n, R, M, M; None for one slot, or without
    ``pairs``) of a row."""
    nslot = phi.shape[2]
    if nslot == 1:
        return np.ones_like(phi), None
    if nslot == 2:
        return phi[:, :, ::-1].copy(), (np.ones((*phi.shape, 2)) if pairs else None)
    prefix = np.ones_like(phi)
    suffix = np.ones_like(phi)
    for j in range(1, nslot):
        prefix[:, :, j] = prefix[:, :, j - 1] * phi[:, :, j - 1]
        suffix[:, :, nslot - 1 - j] = suffix[:, :, nslot - j] * phi[:, :, nslot - j]
    excl1 = prefix * suffix
    if not pairs:
        return excl1, None
    excl2 = np.ones((*phi.shape, nslot))
    for j in range(nslot):
        for m in range(j + 1, nslot):
            excl2[:, :, j, m] = excl2[:, :, m, j] = np.prod(np.delete(phi, [j, m], axis=2), axis=2)
    return excl1, excl2


def _second_order_scatter(model: CompiledModel, structure: dict, free: np.ndarray) -> tuple:
    """The second-order terms (:func:`_scatter`) within the free parameters: their (row, slot j, slot l),
    the flat (F·F) Hessian entries they fill and the 0/1 matrix (terms, entries) that sums them; cached
    per set of free parameters."""
    key = free.tobytes()
    cached = structure["free_scatter"].get(key)
    if cached is None:
        rows, slot_j, slot_l, kj, kl = structure["scatter"]
        position = np.full(model.n_pars, -1)
        position[free] = np.arange(free.size)
        keep = (position[kj] >= 0) & (position[kl] >= 0)
        flat = position[kj[keep]] * free.size + position[kl[keep]]
        entries, which = np.unique(flat, return_inverse=True)
        summing = np.zeros((flat.size, entries.size))
        summing[np.arange(flat.size), which] = 1.0
        cached = structure["free_scatter"][key] = (rows[keep], slot_j[keep], slot_l[keep], entries, summing)
    return cached


def _second_order(hess, scatter, rho, d1, d2, excl1, excl2) -> SecondOrder:
    """Add Σ_r ρ_r ∂²a_r/∂θ_k∂θ_l to hess (n, F, F) in place and return it; the terms of one entry are
    summed by a product with the 0/1 matrix of :func:`_second_order_scatter`."""
    rows, slot_j, slot_l, entries, summing = scatter
    if rows.size == 0:
        return SecondOrder(entries, np.zeros((hess.shape[0], 0)))
    n, nrow, nslot = excl1.shape
    same = slot_j == slot_l
    first = rows * nslot + slot_j
    term = np.take((excl1 * d2).reshape(n, nrow * nslot), first, axis=1)
    if excl2 is not None and not same.all():
        cross = np.flatnonzero(~same)
        d1_flat = d1.reshape(n, nrow * nslot)
        pair = (first * nslot + slot_l)[cross]  # flat (r, j, l) into excl2
        term[:, cross] = (
            np.take(excl2.reshape(n, nrow * nslot * nslot), pair, axis=1)
            * np.take(d1_flat, first[cross], axis=1)
            * np.take(d1_flat, (rows * nslot + slot_l)[cross], axis=1)
        )
    values = (np.take(rho, rows, axis=1) * term) @ summing
    flat = hess.reshape(n, hess.shape[1] * hess.shape[2])
    flat[:, entries] += values
    return SecondOrder(entries, values)


def _scatter(model: CompiledModel) -> tuple:
    """(row, slot j, slot l, parameter of j, parameter of l) of every second-derivative term; terms with
    φ'' ≡ 0 (linear factors) are left out."""
    nrow, nslot = model.slot_par.shape
    rows, slot_j, slot_l = (
        a.ravel() for a in np.meshgrid(np.arange(nrow), np.arange(nslot), np.arange(nslot), indexing="ij")
    )
    kj, kl = model.slot_par[rows, slot_j], model.slot_par[rows, slot_l]
    kind, power = model.slot_kind, model.slot_power
    linear = (kind == FactorKind.NONE) | ((kind == FactorKind.POWER) & (power == 1.0))
    keep = (kj >= 0) & (kl >= 0) & ((slot_j != slot_l) | ~linear[rows, slot_j])
    return rows[keep], slot_j[keep], slot_l[keep], kj[keep], kl[keep]


def __dir__() -> list[str]:
    return __all__
