"""A pyhf workspace compiled to numpy arrays: batched expected rates, log-likelihood and derivatives.

pyhf reads the workspace (schema, measurement, parameter order, bounds, inits, fixed flags, auxiliary
data, constraint widths); this module re-implements only the evaluation, vectorised over a batch of
parameter points, so that thousands of toy fits run at once (PHYSICS.md §10).

The expected count in global bin b is written as a sum over *rows* r of a product of univariate factors,

    ν_b(θ) = Σ_r a_r(θ) · basis_rb,    a_r(θ) = Π_j φ_rj(θ_{k_rj}),

which covers every supported modifier exactly (pyhf 0.7.6 defaults):

* ``normfactor`` / ``lumi``: φ = θ (θ^p for the tied-ε view, where ``nsi_quad`` = ε²);
* ``normsys``: interpolation code 4 with α₀ = 1 (pyhf ``interpolators.code4``): (hi)^α for α ≥ 1,
  (lo)^(−α) for α ≤ −1, 1 + Σ_{i=1..6} a_i α^i in between (value, slope and curvature continuous);
* ``histosys``: code 4p (pyhf ``interpolators.code4p``): Δ = α·S + g(α)·A with S = (up + dn)/2,
  A = (up − dn)/16, up = hi − nom, dn = nom − lo, g = 15α² − 10α⁴ + 3α⁶ for |α| ≤ 1 and 8|α| beyond;
  so one (modifier, sample) pair adds two rows (basis S and A) with an extra factor α or g(α).

Rows are the (channel, sample) nominal histograms plus those histosys rows.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pyhf
from scipy.special import gammaln, xlogy

from cevns_stats.errors import InvalidInput, UnknownName, WorkspaceError

__all__ = ["CompiledModel", "code4_coefficients"]

KIND_NONE, KIND_POWER, KIND_CODE4, KIND_CODE4P_G = (
    0,
    1,
    2,
    3,
)  # factor types: padding, θ^p, code 4, code-4p g(α)
_SUPPORTED = ("normfactor", "normsys", "histosys", "lumi")

# pyhf 0.7.6 interpolators/code4.py: inverse of the 6x6 boundary-condition matrix at α₀ = 1, applied to
# b = [hi − 1, lo − 1, ln(hi)·hi, −ln(lo)·lo, ln²(hi)·hi, ln²(lo)·lo] gives a_1..a_6.
_CODE4_A_INVERSE = np.array(
    [
        [15.0 / 16, -15.0 / 16, -7.0 / 16, -7.0 / 16, 1.0 / 16, -1.0 / 16],
        [3.0 / 2, 3.0 / 2, -9.0 / 16, 9.0 / 16, 1.0 / 16, 1.0 / 16],
        [-5.0 / 8, 5.0 / 8, 5.0 / 8, 5.0 / 8, -1.0 / 8, 1.0 / 8],
        [3.0 / -2, 3.0 / -2, -7.0 / -8, 7.0 / -8, -1.0 / 8, -1.0 / 8],
        [3.0 / 16, -3.0 / 16, -3.0 / 16, -3.0 / 16, 1.0 / 16, -1.0 / 16],
        [1.0 / 2, 1.0 / 2, -5.0 / 16, 5.0 / 16, 1.0 / 16, 1.0 / 16],
    ]
)
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def code4_coefficients(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Polynomial coefficients a_1..a_6 of pyhf's normsys code 4 (α₀ = 1); shape (..., 6)."""
    log_hi, log_lo = np.log(hi), np.log(lo)
    b = np.stack([hi - 1.0, lo - 1.0, log_hi * hi, -log_lo * lo, log_hi**2 * hi, log_lo**2 * lo], axis=-1)
    return b @ _CODE4_A_INVERSE.T


@dataclass(frozen=True)
class CompiledModel:
    """Arrays that evaluate a HistFactory likelihood for a batch of parameter points.

    Shapes: P parameters, B main bins, A auxiliary data, R rows, M factor slots per row.
    ``slot_par`` (R, M) indexes parameters (−1 for padding), ``slot_kind`` (R, M) the factor type,
    ``slot_power`` (R, M) the normfactor exponent, ``slot_hi``/``slot_lo`` (R, M) normsys factors,
    ``slot_coef`` (R, M, 6) code-4 coefficients, ``basis`` (R, B) the per-row histograms (events).
    """

    par_names: tuple[str, ...]
    poi_name: str | None
    init: np.ndarray
    bounds: np.ndarray
    fixed: np.ndarray
    aux_nominal: np.ndarray
    aux_par_index: np.ndarray
    aux_sigma: np.ndarray
    basis: np.ndarray
    slot_par: np.ndarray
    slot_kind: np.ndarray
    slot_power: np.ndarray
    slot_hi: np.ndarray
    slot_lo: np.ndarray
    slot_coef: np.ndarray
    channel_slices: dict
    pyhf_model: object = None
    observed_main: np.ndarray | None = None
    observed_aux: np.ndarray | None = None

    @classmethod
    def from_workspace(
        cls, spec_or_workspace, *, measurement: str | None = None, patch=None
    ) -> CompiledModel:
        """Compile a pyhf workspace (dict spec or ``pyhf.Workspace``) for one measurement.

        Args:
            spec_or_workspace: workspace JSON dict or ``pyhf.Workspace``.
            measurement: measurement name; defaults to the workspace's first measurement.
            patch: optional patch (``pyhf.patchset.Patch`` or list of jsonpatch operations).

        Raises:
            WorkspaceError: unsupported modifier, non-default interpolation or invalid normsys factors.
        """
        ws = spec_or_workspace
        if not isinstance(ws, pyhf.Workspace):
            try:
                ws = pyhf.Workspace(copy.deepcopy(ws))
            except Exception as exc:  # pyhf raises its own schema errors
                msg = f"invalid pyhf workspace: {exc}"
                raise WorkspaceError(msg) from exc
        patches = None if patch is None else [patch]
        try:
            model = ws.model(measurement_name=measurement, patches=patches)
            data = np.asarray(ws.data(model), dtype=float)
        except Exception as exc:
            msg = f"cannot build the pyhf model (measurement={measurement!r}): {exc}"
            raise WorkspaceError(msg) from exc
        compiled = cls.from_pyhf_model(model)
        nmain = compiled.basis.shape[1]
        return replace(compiled, observed_main=data[:nmain], observed_aux=data[nmain:])

    @classmethod
    def from_pyhf_model(cls, model) -> CompiledModel:
        """Compile an existing ``pyhf.pdf.Model`` (default interpolation codes only)."""
        cfg = model.config
        settings = cfg.modifier_settings
        if settings != {"normsys": {"interpcode": "code4"}, "histosys": {"interpcode": "code4p"}}:
            msg = f"only pyhf's default interpolation (normsys code4, histosys code4p) is supported, got {settings}"
            raise WorkspaceError(msg)
        par_names = tuple(cfg.par_order)
        for name in par_names:
            if cfg.param_set(name).n_parameters != 1:
                msg = f"parameter {name!r} has {cfg.param_set(name).n_parameters} components; only scalar ones are supported"
                raise WorkspaceError(msg)
        rows = _rows_from_spec(model.spec, cfg, par_names)
        arrays = _pack_rows(rows, cfg.nmaindata)
        aux_idx, aux_sigma = _constraints(cfg, par_names)
        return cls(
            par_names=par_names,
            poi_name=cfg.poi_name,
            init=np.asarray(cfg.suggested_init(), dtype=float),
            bounds=np.asarray(cfg.suggested_bounds(), dtype=float),
            fixed=np.asarray(cfg.suggested_fixed(), dtype=bool),
            aux_nominal=np.asarray(cfg.auxdata, dtype=float),
            aux_par_index=aux_idx,
            aux_sigma=aux_sigma,
            channel_slices=dict(cfg.channel_slices),
            pyhf_model=model,
            **arrays,
        )

    @cached_property
    def slot_groups(self) -> list:
        """Per factor kind present: (kind, flat slot positions, parameter indices, per-slot constants)."""
        groups = []
        for kind in (KIND_POWER, KIND_CODE4, KIND_CODE4P_G):
            pos = np.flatnonzero(self.slot_kind.ravel() == kind)
            if pos.size:
                const = {
                    "power": self.slot_power.ravel()[pos],
                    "log_hi": np.log(self.slot_hi.ravel()[pos]),
                    "log_lo": np.log(self.slot_lo.ravel()[pos]),
                    "coef": self.slot_coef.reshape(-1, 6)[pos],
                }
                groups.append((kind, pos, self.slot_par.ravel()[pos], const))
        return groups

    @property
    def n_pars(self) -> int:
        """Number of parameters P."""
        return len(self.par_names)

    @property
    def n_bins(self) -> int:
        """Number of main-measurement bins B (all channels, pyhf order)."""
        return self.basis.shape[1]

    def par_index(self, name: str | None) -> int:
        """Index of parameter ``name`` in ``par_names``; raises UnknownName (also for None: no POI)."""
        try:
            return self.par_names.index(name)  # None is never found: UnknownName below
        except ValueError:
            msg = f"unknown parameter {name!r}; the model has {list(self.par_names)}"
            raise UnknownName(msg) from None

    def as_batch(self, pars) -> np.ndarray:
        """Parameter points as a float array of shape (n_batch, P)."""
        pars = np.atleast_2d(np.asarray(pars, dtype=float))
        if pars.shape[-1] != self.n_pars:
            msg = f"parameter array has {pars.shape[-1]} columns, the model has {self.n_pars} parameters"
            raise InvalidInput(msg)
        return pars

    def slot_factors(self, pars: np.ndarray, order: int = 0):
        """Univariate factors φ (and φ', φ'' if order ≥ 1, 2) for every slot; each (n, R, M)."""
        return _evaluate_slots(self, pars, order)

    def expected_actualdata(self, pars) -> np.ndarray:
        """Expected main-measurement counts (events), shape (n, B); equals pyhf ``expected_actualdata``."""
        return np.prod(self.slot_factors(self.as_batch(pars), 0)[0], axis=2) @ self.basis

    def expected_auxdata(self, pars) -> np.ndarray:
        """Expected auxiliary data (Gaussian means = constrained parameters), shape (n, A)."""
        return self.as_batch(pars)[:, self.aux_par_index]

    def logpdf(self, pars, data_main, data_aux) -> np.ndarray:
        """Full log-likelihood (Poisson with lgamma, normalised Gaussians), shape (n,); equals pyhf ``logpdf``."""
        pars = self.as_batch(pars)
        rate = self.expected_actualdata(pars)
        data_main = np.asarray(data_main, dtype=float)
        main = np.sum(xlogy(data_main, rate) - rate - gammaln(data_main + 1.0), axis=-1)
        return main + self.constraint_logpdf(pars, data_aux)

    def constraint_logpdf(self, pars, data_aux) -> np.ndarray:
        """Sum of the Gaussian constraint log-densities, shape (n,)."""
        pull = (np.asarray(data_aux, dtype=float) - pars[:, self.aux_par_index]) / self.aux_sigma
        return np.sum(-0.5 * pull**2 - np.log(self.aux_sigma) - _LOG_SQRT_2PI, axis=-1)

    def signed_eps_rates(
        self, eps, other_pars, *, lin: str = "nsi_lin", quad: str = "nsi_quad"
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
    ):
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

    def nll(self, pars, data_main, data_aux, log_factorial=None) -> np.ndarray:
        """−log L for fits, shape (n,): +inf where a rate is negative, or zero with counts in the bin.

        ``log_factorial`` (n,) = Σ_b lnΓ(n_b + 1) may be passed to skip recomputing it.
        """
        rate = self.expected_actualdata(pars)
        if log_factorial is None:
            log_factorial = np.sum(gammaln(data_main + 1.0), axis=-1)
        bad = np.any((rate < 0) | ((rate == 0) & (data_main > 0)), axis=-1)
        main = np.sum(rate - xlogy(data_main, np.where(rate > 0, rate, 1.0)), axis=-1) + log_factorial
        return np.where(bad, np.inf, main - self.constraint_logpdf(pars, data_aux))


# ---------------------------------------------------------------------- compilation helpers
def _rows_from_spec(spec: dict, cfg, par_names) -> list:
    """One row per (channel, sample) plus two per histosys; each row: (basis (B,), [slot dicts])."""
    rows, nbins = [], cfg.nmaindata
    for channel in spec["channels"]:
        where = cfg.channel_slices[channel["name"]]
        for sample in channel["samples"]:
            nominal = np.zeros(nbins)
            nominal[where] = sample["data"]
            slots, hist = _sample_slots(sample, channel["name"], par_names)
            rows.append((nominal, slots))
            for par, hi_data, lo_data in hist:
                up = np.zeros(nbins)
                dn = np.zeros(nbins)
                up[where] = np.asarray(hi_data, dtype=float) - sample["data"]
                dn[where] = np.asarray(sample["data"], dtype=float) - np.asarray(lo_data, dtype=float)
                rows.append((0.5 * (up + dn), [*slots, {"par": par, "kind": KIND_POWER}]))
                rows.append((0.0625 * (up - dn), [*slots, {"par": par, "kind": KIND_CODE4P_G}]))
    return rows


def _sample_slots(sample: dict, channel: str, par_names) -> tuple[list, list]:
    """Multiplicative slots of one sample and its histosys list [(par, hi_data, lo_data)]."""
    slots: list = []
    hist: list = []
    seen: dict[str, str] = {}
    for mod in sample.get("modifiers", []):
        mtype, name = mod["type"], mod["name"]
        where = f"channel {channel!r}, sample {sample['name']!r}"
        if mtype not in _SUPPORTED:
            msg = f"unsupported modifier type {mtype!r} ({name!r}, {where}); supported: {_SUPPORTED}"
            raise WorkspaceError(msg)
        par = par_names.index(name)
        if name in seen:
            if seen[name] == mtype and mtype in ("normfactor", "lumi"):
                continue  # pyhf applies a repeated normfactor once
            msg = f"parameter {name!r} acts twice on {where}; not supported by the fast engine"
            raise WorkspaceError(msg)
        seen[name] = mtype
        if mtype in ("normfactor", "lumi"):
            slots.append({"par": par, "kind": KIND_POWER})
        elif mtype == "normsys":
            hi, lo = float(mod["data"]["hi"]), float(mod["data"]["lo"])
            if not (hi > 0 and lo > 0):
                msg = f"normsys {name!r} on {where} needs positive hi/lo factors, got hi={hi}, lo={lo}"
                raise WorkspaceError(msg)
            slots.append({"par": par, "kind": KIND_CODE4, "hi": hi, "lo": lo})
        else:
            hist.append((par, mod["data"]["hi_data"], mod["data"]["lo_data"]))
    return slots, hist


def _pack_rows(rows: list, nbins: int) -> dict:
    """Pad the rows' slot lists to a rectangular (R, M) layout."""
    nrow, nslot = len(rows), max(1, max(len(s) for _, s in rows))
    out = {
        "basis": np.array([b for b, _ in rows]).reshape(nrow, nbins),
        "slot_par": np.full((nrow, nslot), -1),
        "slot_kind": np.full((nrow, nslot), KIND_NONE),
        "slot_power": np.ones((nrow, nslot)),
        "slot_hi": np.ones((nrow, nslot)),
        "slot_lo": np.ones((nrow, nslot)),
    }
    for r, (_, slots) in enumerate(rows):
        for j, slot in enumerate(slots):
            out["slot_par"][r, j] = slot["par"]
            out["slot_kind"][r, j] = slot["kind"]
            out["slot_hi"][r, j] = slot.get("hi", 1.0)
            out["slot_lo"][r, j] = slot.get("lo", 1.0)
    out["slot_coef"] = code4_coefficients(out["slot_hi"], out["slot_lo"])
    return out


def _constraints(cfg, par_names) -> tuple[np.ndarray, np.ndarray]:
    """Parameter index and width of each auxiliary datum (pyhf auxdata order); Gaussian only."""
    index, sigma = [], []
    for name in cfg.auxdata_order:
        pset = cfg.param_set(name)
        if pset.pdf_type != "normal":
            msg = f"parameter {name!r} has a {pset.pdf_type!r} constraint; only Gaussian constraints are supported"
            raise WorkspaceError(msg)
        index.append(par_names.index(name))
        sigma.append(float(getattr(pset, "sigmas", [1.0])[0]))
    return np.array(index, dtype=int), np.array(sigma, dtype=float)


# ---------------------------------------------------------------------- evaluation helpers
def _evaluate_slots(model: CompiledModel, pars: np.ndarray, order: int):
    """φ, φ', φ'' per slot (each (n, R, M)) at the parameter points pars (n, P)."""
    shape = (pars.shape[0], model.slot_par.size)
    out = [np.ones(shape)] + [np.zeros(shape) for _ in range(order)]
    for kind, pos, par, const in model.slot_groups:
        vals = _FACTOR_FUNCTIONS[kind](pars[:, par], const, order)
        for array, val in zip(out, vals):
            array[:, pos] = val
    return tuple(array.reshape((-1, *model.slot_par.shape)) for array in out)


def _power(x, const, order):
    p = const["power"]
    if np.all(p == 1.0):
        return x, np.ones_like(x), np.zeros_like(x)
    return x**p, p * x ** (p - 1.0), p * (p - 1.0) * x ** np.maximum(p - 2.0, 0.0)


def _g4p(x, const, order):
    x2 = x * x
    inside = np.abs(x) <= 1.0
    val = np.where(inside, x2 * (15.0 + x2 * (-10.0 + 3.0 * x2)), 8.0 * np.abs(x))
    d1 = np.where(inside, x * (30.0 + x2 * (-40.0 + 18.0 * x2)), 8.0 * np.sign(x))
    d2 = np.where(inside, 30.0 + x2 * (-120.0 + 90.0 * x2), 0.0)
    return val, d1, d2


def _code4(x, const, order):
    """pyhf code 4: exp(|α|·ln(hi or lo)) beyond ±1, the 6th-order polynomial inside."""
    a = const["coef"]
    poly = 1.0 + x * (a[:, 0] + x * (a[:, 1] + x * (a[:, 2] + x * (a[:, 3] + x * (a[:, 4] + x * a[:, 5])))))
    p1 = a[:, 0] + x * (
        2 * a[:, 1] + x * (3 * a[:, 2] + x * (4 * a[:, 3] + x * (5 * a[:, 4] + x * 6 * a[:, 5])))
    )
    p2 = 2 * a[:, 1] + x * (6 * a[:, 2] + x * (12 * a[:, 3] + x * (20 * a[:, 4] + x * 30 * a[:, 5])))
    outside = np.abs(x) >= 1.0
    if not outside.any():
        return poly, p1, p2
    log_base = np.where(x >= 1.0, const["log_hi"], np.where(x <= -1.0, -const["log_lo"], 0.0))
    expo = np.exp(x * log_base)
    return (
        np.where(outside, expo, poly),
        np.where(outside, log_base * expo, p1),
        np.where(outside, log_base**2 * expo, p2),
    )


_FACTOR_FUNCTIONS = {KIND_POWER: _power, KIND_CODE4: _code4, KIND_CODE4P_G: _g4p}


def __dir__() -> list[str]:
    return __all__
