"""A pyhf workspace compiled to numpy arrays: batched expected rates and log-likelihood.

pyhf reads the workspace (schema, measurement, parameter order, bounds, inits, fixed flags, auxiliary
data, constraint widths); :mod:`.compiler` turns its model into rows of factor slots (every pyhf 0.7.6
modifier with default interpolation codes) and this module evaluates them, vectorised over a batch of
parameter points, so that thousands of toy fits run at once (PHYSICS.md §10):

    ν_b(θ) = Σ_r a_r(θ) · basis_rb,    a_r(θ) = Π_j φ_rj(θ_{k_rj})    (factors: :mod:`.factors`).

Derivatives are in :mod:`.derivatives`, fits in :mod:`.fit`. A workspace the engine cannot evaluate raises
:class:`~cevns_stats.errors.UnsupportedWorkspace` (callers fall back to pyhf).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pyhf
from scipy.special import gammaln, xlogy

from cevns_stats.errors import InvalidInput, UnknownName, WorkspaceError
from cevns_stats.inference.compiler import compile_pyhf_model
from cevns_stats.inference.factors import FACTOR_FUNCTIONS, FactorKind, code4_coefficients
from cevns_stats.likelihood.patches import PYHF_SPEC_ERRORS

__all__ = ["CompiledModel", "FactorKind", "code4_coefficients", "log_factorial_sum"]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


@dataclass(frozen=True)
class CompiledModel:
    """Arrays that evaluate a HistFactory likelihood for a batch of parameter points.

    Shapes: P parameters (vector parameters flattened, pyhf order), B main bins, A auxiliary data,
    R rows, M factor slots per row. ``slot_par`` (R, M) indexes parameters (−1 for padding),
    ``slot_kind`` (R, M) the :class:`FactorKind`, ``slot_power`` (R, M) the θ^p exponent,
    ``slot_hi``/``slot_lo`` (R, M) normsys factors, ``slot_coef`` (R, M, 6) code-4 coefficients,
    ``basis`` (R, B) the per-row histograms (events). Constraints per auxiliary datum: parameter
    ``aux_par_index`` (A,), Gaussian width ``aux_sigma`` (A,), ``aux_poisson`` (A,) bool and the
    Poisson factor ``aux_factor`` (A,) (expected aux = factor·θ; 1 for Gaussian ones).
    """

    par_names: tuple[str, ...]
    poi_name: str | None
    init: np.ndarray
    bounds: np.ndarray
    fixed: np.ndarray
    aux_nominal: np.ndarray
    aux_par_index: np.ndarray
    aux_sigma: np.ndarray
    aux_poisson: np.ndarray
    aux_factor: np.ndarray
    basis: np.ndarray
    slot_par: np.ndarray
    slot_kind: np.ndarray
    slot_power: np.ndarray
    slot_hi: np.ndarray
    slot_lo: np.ndarray
    slot_coef: np.ndarray
    channel_slices: dict[str, slice]
    pyhf_model: pyhf.pdf.Model | None = None
    observed_main: np.ndarray | None = None
    observed_aux: np.ndarray | None = None

    @classmethod
    def from_workspace(
        cls,
        spec_or_workspace: dict | pyhf.Workspace,
        *,
        measurement: str | None = None,
        patch: object = None,
        validate: bool = True,
    ) -> CompiledModel:
        """Compile a pyhf workspace (dict spec or ``pyhf.Workspace``) for one measurement.

        Args:
            spec_or_workspace: workspace JSON dict or ``pyhf.Workspace``.
            measurement: measurement name; defaults to the workspace's first measurement.
            patch: optional patch (``pyhf.patchset.Patch`` or list of jsonpatch operations).
            validate: check the spec and the model against pyhf's JSON schemas (pyhf's own flag); False
                only for a spec validated just before (e.g. by ``build_workspace``): the check costs
                ≈ 0.1 s per workspace, more than compiling it.

        Raises:
            WorkspaceError: an invalid workspace, patch or measurement (pyhf's message).
            UnsupportedWorkspace: a valid workspace the engine cannot evaluate (use pyhf instead).

        Example:
            >>> from cevns_stats.inference.simplemodels import counting_workspace
            >>> model = CompiledModel.from_workspace(counting_workspace(signal=5.0, background=50.0, sigma=0.1))
            >>> model.par_names, model.poi_name, model.n_bins
            (('mu', 'nu_flux_bkg'), 'mu', 1)
            >>> float(model.logpdf(model.init, model.observed_main, model.observed_aux)[0])  # doctest: +ELLIPSIS
            -4.03...
        """
        ws = spec_or_workspace
        try:
            if not isinstance(ws, pyhf.Workspace):
                ws = pyhf.Workspace(copy.deepcopy(ws), validate=validate)
            patches = None if patch is None else [patch]
            model = ws.model(measurement_name=measurement, patches=patches, validate=validate)
            data = np.asarray(ws.data(model), dtype=float)
        except PYHF_SPEC_ERRORS as exc:
            msg = f"invalid pyhf workspace or measurement {measurement!r}: {exc}"
            raise WorkspaceError(msg) from exc
        compiled = cls.from_pyhf_model(model)
        nmain = compiled.basis.shape[1]
        return replace(compiled, observed_main=data[:nmain], observed_aux=data[nmain:])

    @classmethod
    def from_pyhf_model(cls, model: pyhf.pdf.Model) -> CompiledModel:
        """Compile an existing ``pyhf.pdf.Model`` (raises UnsupportedWorkspace, see :mod:`.compiler`)."""
        cfg = model.config
        return cls(
            par_names=tuple(cfg.par_names),
            poi_name=cfg.poi_name,
            init=np.asarray(cfg.suggested_init(), dtype=float),
            bounds=np.asarray(cfg.suggested_bounds(), dtype=float).reshape(-1, 2),
            fixed=np.asarray(cfg.suggested_fixed(), dtype=bool),
            aux_nominal=np.asarray(cfg.auxdata, dtype=float),
            channel_slices=dict(cfg.channel_slices),
            pyhf_model=model,
            **compile_pyhf_model(model),
        )

    @cached_property
    def factor_columns(self) -> tuple:
        """The distinct factors of the slots, computed once each and gathered into the slots.

        Slots of one kind, parameter and constants (e.g. a flux normsys on every sample of its channel)
        share one column. Returns (groups, column (R·M,) of each flat slot, number of columns C): per
        kind present (kind, its columns as a slice, their parameter indices, per-column constants);
        column C (the last) is padding (φ ≡ 1).
        """
        flat_kind, flat_par = self.slot_kind.ravel(), self.slot_par.ravel()
        power, hi, lo = self.slot_power.ravel(), self.slot_hi.ravel(), self.slot_lo.ravel()
        coef = self.slot_coef.reshape(-1, 6)
        column = np.full(flat_kind.size, -1)
        groups, start = [], 0
        for kind in FACTOR_FUNCTIONS:
            pos = np.flatnonzero(flat_kind == kind)
            if pos.size == 0:
                continue
            key = np.column_stack([flat_par[pos], power[pos], hi[pos], lo[pos]])
            _, first, which = np.unique(key, axis=0, return_index=True, return_inverse=True)
            unique = pos[first]  # one slot per distinct factor
            column[pos] = start + which.ravel()
            const = {
                "power": power[unique],
                "all_linear": bool(np.all(power[unique] == 1.0)),
                "log_hi": np.log(hi[unique]),
                "log_lo": np.log(lo[unique]),
                "coef": np.ascontiguousarray(coef[unique].T),
            }
            groups.append((kind, slice(start, start + unique.size), flat_par[unique], const))
            start += unique.size
        column[column < 0] = start
        return groups, column, start

    def with_basis(self, basis: np.ndarray, **changes) -> CompiledModel:
        """This model with another basis (R, B) (e.g. its rows scaled to an exposure) and other ``changes``
        of fields that leave the slots alone; the cached factor layout is kept (it depends on the slots only).
        """
        model = replace(self, basis=basis, **changes)
        model.__dict__["factor_columns"] = self.factor_columns  # computed once, on this model
        return model

    @cached_property
    def constraint_parts(self) -> tuple:
        """(Gaussian aux positions, Poisson aux positions, Σ of the Gaussian normalisation terms)."""
        gauss, pois = np.flatnonzero(~self.aux_poisson), np.flatnonzero(self.aux_poisson)
        norm = float(np.sum(-np.log(self.aux_sigma[gauss]) - _LOG_SQRT_2PI))
        return gauss, pois, norm

    @property
    def n_pars(self) -> int:
        """Number of parameters P."""
        return len(self.par_names)

    @property
    def n_bins(self) -> int:
        """Number of main-measurement bins B (all channels, pyhf order)."""
        return self.basis.shape[1]

    def par_index(self, name: str) -> int:
        """Index of parameter ``name`` in ``par_names``; raises UnknownName."""
        try:
            return self.par_names.index(name)
        except ValueError:
            msg = f"unknown parameter {name!r}; the model has {list(self.par_names)}"
            raise UnknownName(msg) from None

    def as_batch(self, pars: np.ndarray) -> np.ndarray:
        """Parameter points as a float array of shape (n_batch, P)."""
        pars = np.atleast_2d(np.asarray(pars, dtype=float))
        if pars.shape[-1] != self.n_pars:
            msg = f"parameter array has {pars.shape[-1]} columns, the model has {self.n_pars} parameters"
            raise InvalidInput(msg)
        return pars

    def slot_factors(self, pars: np.ndarray, order: int = 0) -> tuple[np.ndarray, ...]:
        """Univariate factors φ (and φ', φ'' if order ≥ 1, 2) for every slot; each (n, R, M)."""
        groups, column, n_columns = self.factor_columns
        tables = [np.empty((pars.shape[0], n_columns + 1)) for _ in range(order + 1)]
        for table, padding in zip(tables, (1.0, 0.0, 0.0)):
            table[:, n_columns] = padding
        for kind, columns, par, const in groups:
            values = FACTOR_FUNCTIONS[kind](np.take(pars, par, axis=1), const, order)
            for table, value in zip(tables, values[: order + 1]):
                table[:, columns] = value
        return tuple(np.take(table, column, axis=1).reshape((-1, *self.slot_par.shape)) for table in tables)

    def row_factors(self, pars: np.ndarray) -> np.ndarray:
        """a_r(θ) = Π_j φ_rj, shape (n, R)."""
        return np.prod(self.slot_factors(pars, 0)[0], axis=2)

    def expected_actualdata(self, pars: np.ndarray, row_scale: np.ndarray | None = None) -> np.ndarray:
        """Expected main-measurement counts (events), shape (n, B); equals pyhf ``expected_actualdata``.

        ``row_scale`` (n, R) multiplies each row per dataset (differently scaled models in one batch; one
        parameter point (P,) is broadcast to all n).
        """
        factors = self.row_factors(self.as_batch(pars))
        return (factors if row_scale is None else factors * row_scale) @ self.basis

    def expected_auxdata(self, pars: np.ndarray) -> np.ndarray:
        """Expected auxiliary data (Gaussian means θ, Poisson means τ·γ), shape (n, A)."""
        return self.as_batch(pars)[:, self.aux_par_index] * self.aux_factor

    def logpdf(self, pars: np.ndarray, data_main: np.ndarray, data_aux: np.ndarray) -> np.ndarray:
        """Full log-likelihood (Poisson with lgamma, normalised constraints), shape (n,); equals pyhf ``logpdf``."""
        pars = self.as_batch(pars)
        rate = self.expected_actualdata(pars)
        data_main = np.asarray(data_main, dtype=float)
        main = np.sum(xlogy(data_main, rate) - rate - gammaln(data_main + 1.0), axis=-1)
        return main + self.constraint_logpdf(pars, data_aux)

    def constraint_logpdf(self, pars: np.ndarray, data_aux: np.ndarray) -> np.ndarray:
        """Sum of the constraint log-densities (Gaussian; Poisson with lgamma as pyhf), shape (n,)."""
        gauss, pois, norm = self.constraint_parts
        data_aux = np.atleast_2d(np.asarray(data_aux, dtype=float))
        pull = (data_aux[:, gauss] - pars[:, self.aux_par_index[gauss]]) / self.aux_sigma[gauss]
        total = norm - 0.5 * np.sum(pull**2, axis=-1)
        if pois.size:
            aux = data_aux[:, pois]
            rate = pars[:, self.aux_par_index[pois]] * self.aux_factor[pois]
            with np.errstate(invalid="ignore", divide="ignore"):
                term = xlogy(aux, np.where(rate > 0, rate, 0.0)) - rate - gammaln(aux + 1.0)
            total = total + np.sum(np.where(rate >= 0, term, -np.inf), axis=-1)
        return total

    def signed_eps_rates(
        self, eps: np.ndarray | float, other_pars: np.ndarray, *, lin: str = "nsi_lin", quad: str = "nsi_quad"
    ) -> np.ndarray:
        """Expected counts with ``lin`` = ε and ``quad`` = ε² (signed ε, PHYSICS.md §10); shape (n, B).

        Args:
            eps: signed ε, shape (n,) or scalar.
            other_pars: full parameter points (n, P); their ``lin``/``quad`` entries are overwritten.
        """
        pars = self.as_batch(other_pars).copy()
        eps = np.broadcast_to(np.asarray(eps, dtype=float), pars.shape[:1])
        pars[:, self.par_index(lin)] = eps
        pars[:, self.par_index(quad)] = eps**2
        return self.expected_actualdata(pars)

    def tied(
        self, *, lin: str = "nsi_lin", quad: str = "nsi_quad", name: str = "eps", bound: float | None = None
    ) -> CompiledModel:
        """A model in which ``lin`` = ε and ``quad`` = ε² are one free parameter ``name`` (signed ε).

        ε takes the place of ``lin`` in the parameter order, ``quad`` is removed; ε starts at 0 with
        bounds (−bound, bound) (default: the larger |bound| of ``lin``). Fits then profile ε itself.
        """
        i_lin, i_quad = self.par_index(lin), self.par_index(quad)
        both = (self.slot_par == i_lin).any(axis=1) & (self.slot_par == i_quad).any(axis=1)
        if np.isin([i_lin, i_quad], self.aux_par_index).any() or both.any():
            msg = f"{lin!r} and {quad!r} must be unconstrained normfactors on different samples to be tied"
            raise WorkspaceError(msg)
        keep = np.delete(np.arange(self.n_pars), i_quad)
        index = np.full(self.n_pars, -1)
        index[keep] = np.arange(keep.size)
        index[i_quad] = eps = index[i_lin]
        bound = float(np.max(np.abs(self.bounds[i_lin]))) if bound is None else float(bound)
        init, bounds, fixed = self.init[keep].copy(), self.bounds[keep].copy(), self.fixed[keep].copy()
        init[eps], bounds[eps], fixed[eps] = 0.0, (-bound, bound), False
        return replace(
            self,
            par_names=tuple(name if i == i_lin else self.par_names[i] for i in keep),
            poi_name=name,
            init=init,
            bounds=bounds,
            fixed=fixed,
            aux_par_index=index[self.aux_par_index],
            slot_par=np.where(self.slot_par >= 0, index[self.slot_par], -1),
            slot_power=np.where(self.slot_par == i_quad, 2.0 * self.slot_power, self.slot_power),
            pyhf_model=None,
        )

    def nll(
        self,
        pars: np.ndarray,
        data_main: np.ndarray,
        data_aux: np.ndarray,
        log_factorial: np.ndarray | None = None,
        row_scale: np.ndarray | None = None,
    ) -> np.ndarray:
        """−log L for fits, shape (n,): +inf where a rate is negative, or zero with counts in the bin.

        ``log_factorial`` (n,) = Σ_b lnΓ(n_b + 1) may be passed to skip recomputing it. ``row_scale``
        (n, R) multiplies each row per dataset (datasets of differently scaled models in one batch).
        """
        pars = self.as_batch(pars)
        return self.nll_from_rate(
            self.expected_actualdata(pars, row_scale), pars, data_main, data_aux, log_factorial
        )

    def nll_is_finite(
        self,
        pars: np.ndarray,
        data_main: np.ndarray,
        data_aux: np.ndarray,
        row_scale: np.ndarray | None = None,
    ) -> np.ndarray:
        """Whether :meth:`nll` is finite at ``pars`` (n, P), shape (n,), without its logarithms."""
        pars = self.as_batch(pars)
        rate = self.expected_actualdata(pars, row_scale)
        with np.errstate(invalid="ignore", divide="ignore"):
            constraints = self.constraint_logpdf(pars, data_aux)
        return ~_impossible(rate, data_main) & np.all(np.isfinite(rate), axis=-1) & np.isfinite(constraints)

    def nll_from_rate(
        self,
        rate: np.ndarray,
        pars: np.ndarray,
        data_main: np.ndarray,
        data_aux: np.ndarray,
        log_factorial: np.ndarray | None = None,
    ) -> np.ndarray:
        """:meth:`nll` given the expected counts ``rate`` (n, B) at ``pars`` (n, P) (derivatives share them)."""
        if log_factorial is None:
            log_factorial = log_factorial_sum(data_main)
        data_main = np.broadcast_to(data_main, rate.shape)
        with np.errstate(divide="ignore", invalid="ignore"):  # zero or negative rates: handled below
            main = np.sum(rate, axis=-1) - np.einsum("...b,...b->...", data_main, np.log(rate))
        odd = np.flatnonzero(~np.isfinite(main))
        if odd.size:  # 0·ln 0 = 0; a negative rate, or a zero one with counts, is impossible (+∞)
            rate_odd, data_odd = rate[odd], data_main[odd]
            exact = np.sum(rate_odd - xlogy(data_odd, np.where(rate_odd > 0, rate_odd, 1.0)), axis=-1)
            main[odd] = np.where(_impossible(rate_odd, data_odd), np.inf, exact)
        return main + log_factorial - self.constraint_logpdf(pars, data_aux)


def log_factorial_sum(counts: np.ndarray) -> np.ndarray:
    """Σ_b lnΓ(n_b + 1) of counts (n, B) per dataset, shape (n,).

    Toys hold small non-negative integers: their terms are looked up in a table of lnΓ(k + 1) for
    k = 0 … max (exact, ≈ 20× faster than ``gammaln`` on every bin); other counts (Asimov data) use ``gammaln``.
    """
    counts = np.asarray(counts, dtype=float)
    top = float(counts.max(initial=0.0))
    if counts.size and top < counts.size and counts.min() >= 0.0:
        index = counts.astype(np.intp)
        if np.array_equal(index, counts):
            return np.take(gammaln(np.arange(int(top) + 1) + 1.0), index).sum(axis=-1)
    return np.sum(gammaln(counts + 1.0), axis=-1)


def _impossible(rate: np.ndarray, data_main: np.ndarray) -> np.ndarray:
    """(n,) whether a rate (n, B) is negative, or zero in a bin with counts: −log L = +∞ there."""
    return np.any((rate < 0) | ((rate == 0) & (data_main > 0)), axis=-1)


def __dir__() -> list[str]:
    return __all__
