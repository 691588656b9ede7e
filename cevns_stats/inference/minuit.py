"""Maximum-likelihood fits of any pyhf workspace with MINUIT (iminuit): HESSE errors, MINOS, pulls.

The same fit as ``cabinetry.fit.fit``: MINUIT's MIGRAD minimises −log L of pyhf's model (numpy backend,
full normalisation) with errordef 0.5, strategy 1, the measurement's inits, bounds and fixed parameters;
HESSE gives the errors and the correlation matrix; MINOS, on request, asymmetric intervals. Parameters
are labelled as pyhf's ``config.par_names`` (vector parameters ``name[i]``); fixed ones get error 0.

Multiple minima: where the model has a POI, MIGRAD also starts from the POI at a few values spread over
its range (models that are not monotonic in the POI, e.g. interference, can have several minima) and the
deepest minimum is kept, with a note if it is not the one reached from the default start.

Pulls of constrained nuisance parameters: (θ̂ − θ₀)/σ₀ with θ₀ the auxiliary datum and σ₀ the prefit
width (1 for normsys/histosys, the relative uncertainty for staterror, 1/√τ for shapesys); the post-fit
pull error is σ̂/σ₀. The flux nuisances ``nu_flux_*`` of cevns-stats workspaces are among them.
"""

from __future__ import annotations

import copy
import logging
from typing import NamedTuple

import numpy as np
import pyhf
from iminuit import Minuit

from cevns_stats.errors import FitError, InvalidInput, UnknownName, WorkspaceError

__all__ = ["MIGRAD_TOLERANCE", "FitSummary", "Pull", "fit_model", "fit_workspace"]

log = logging.getLogger(__name__)

_N_EXTRA_STARTS = 3
DEEPER = 1e-4  # −log L difference that counts as a different (deeper) minimum
MIGRAD_TOLERANCE = (
    1e-4  # EDM goal 0.002 · tol · errordef = 1e-7 in −log L (pyhf's and cabinetry's default: 0.1)
)


class Pull(NamedTuple):
    """Pull of one constrained parameter: (θ̂ − θ₀)/σ₀ and its post-fit error σ̂/σ₀."""

    name: str
    pull: float
    error: float


class FitSummary(NamedTuple):
    """Result of a MINUIT fit (``to_json`` for the CLI, ``text`` for people).

    Attributes:
        labels: parameter labels (P,), pyhf's ``par_names``.
        bestfit: best-fit values (P,); uncertainty: HESSE errors (P,) (0 for fixed parameters).
        corr_mat: correlation matrix (P, P).
        minos: {label: (lower, upper)} MINOS errors (lower ≤ 0 ≤ upper) for the requested parameters.
        nll: −log L at the best fit (pyhf's full normalisation); valid: MIGRAD's and HESSE's verdict.
        poi: POI name or None; pulls: constrained nuisances' pulls; source, notes: input and notes.
    """

    labels: tuple[str, ...]
    bestfit: np.ndarray
    uncertainty: np.ndarray
    corr_mat: np.ndarray
    minos: dict
    nll: float
    valid: bool
    poi: str | None
    pulls: tuple[Pull, ...]
    source: dict
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """JSON-ready dict."""
        return {
            "labels": list(self.labels),
            "bestfit": self.bestfit.tolist(),
            "uncertainty": self.uncertainty.tolist(),
            "corr_mat": self.corr_mat.tolist(),
            "minos": {k: list(v) for k, v in self.minos.items()},
            "nll": self.nll,
            "twice_nll": 2.0 * self.nll,
            "valid": self.valid,
            "poi": self.poi,
            "pulls": {p.name: {"pull": p.pull, "error": p.error} for p in self.pulls},
            "source": self.source,
            "notes": list(self.notes),
            "method": "MINUIT (iminuit MIGRAD + HESSE) on pyhf's likelihood",
        }

    def text(self) -> str:
        """A table of best-fit values ± errors, MINOS intervals, pulls of the flux nuisances."""
        lines = [f"MINUIT fit: -log L = {self.nll:.6g} ({'valid' if self.valid else 'NOT valid'})"]
        for label, value, error in zip(self.labels, self.bestfit, self.uncertainty):
            extra = ""
            if label in self.minos:
                lo, hi = self.minos[label]
                extra = f"  MINOS [{lo:+.4g}, {hi:+.4g}]"
            lines.append(f"  {label:30s} {value: .5g} ± {error:.3g}{extra}")
        flux = [p for p in self.pulls if p.name.startswith("nu_flux_")] or list(self.pulls)
        if flux:
            lines.append("pulls: " + ", ".join(f"{p.name} {p.pull:+.3f} ± {p.error:.3f}" for p in flux))
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _labels(cfg) -> list[str]:
    """pyhf's parameter labels (``name`` for scalars, ``name[i]`` for the components of a vector)."""
    return list(cfg.par_names)


def _migrad(nll, start, labels, bounds, fixed) -> Minuit:
    minuit = Minuit(nll, np.asarray(start, dtype=float), name=labels)
    minuit.errordef = Minuit.LIKELIHOOD
    minuit.strategy = 1
    minuit.tol = MIGRAD_TOLERANCE
    minuit.limits = [tuple(b) for b in bounds]
    minuit.fixed = list(fixed)
    minuit.print_level = 0
    minuit.migrad(ncall=100_000)
    return minuit


def _starts(cfg, init) -> list[list[float]]:
    """The default start and, with a POI, the POI at a few values spread over its range."""
    starts = [list(init)]
    if cfg.poi_index is None:
        return starts
    low, high = cfg.suggested_bounds()[cfg.poi_index]
    for value in np.linspace(low, high, _N_EXTRA_STARTS + 2)[1:-1]:
        start = list(init)
        start[cfg.poi_index] = float(value)
        starts.append(start)
    return starts


def _pulls(cfg, labels, bestfit, uncertainty) -> tuple[Pull, ...]:
    out, k = [], 0
    for name in cfg.par_order:
        pset = cfg.param_set(name)
        n = pset.n_parameters
        if pset.constrained:
            widths = np.ravel(pset.width())
            nominal = np.ravel(pset.auxdata) if pset.pdf_type == "normal" else np.ones(n)
            for i in range(n):
                width = float(widths[i])
                pull = (bestfit[k + i] - float(nominal[i])) / width
                out.append(Pull(labels[k + i], float(pull), float(uncertainty[k + i] / width)))
        k += n
    return tuple(out)


def fit_model(
    model: pyhf.pdf.Model,
    data,
    *,
    minos=(),
    source: dict | None = None,
    multistart: bool = True,
    extra_starts: dict | None = None,
) -> FitSummary:
    """MINUIT fit of a pyhf model to ``data`` (main + aux, (B + A,)); see the module docstring.

    ``extra_starts`` ({description: parameters (P,)}) adds start points, e.g. the fast engine's minimum.

    Raises:
        UnknownName: a MINOS parameter that is not a label of the model.
        FitError: −log L is not finite at the start.
    """
    cfg = model.config
    data = np.asarray(data, dtype=float)
    labels = _labels(cfg)
    unknown = [p for p in minos if p not in labels]
    if unknown:
        msg = f"unknown parameter(s) {unknown} for MINOS; parameters: {', '.join(labels)}"
        raise UnknownName(msg)

    def nll(pars):
        return -float(model.logpdf(pars, data)[0])

    init, bounds, fixed = cfg.suggested_init(), cfg.suggested_bounds(), cfg.suggested_fixed()
    if not np.isfinite(nll(np.asarray(init, dtype=float))):
        msg = "-log L is not finite at the initial parameters (negative expected counts?)"
        raise FitError(msg)
    starts = {"the default start": init}
    if multistart:
        for start in _starts(cfg, init)[1:]:
            starts[f"{cfg.poi_name} = {start[cfg.poi_index]:.4g}"] = start
    for what, start in (extra_starts or {}).items():
        if len(start) == len(labels) and np.all(np.isfinite(start)):
            starts[what] = np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds])
    names = list(starts)
    fits = [_migrad(nll, starts[n], labels, bounds, fixed) for n in names]
    values = [f.fval if f.valid else np.inf for f in fits]
    k = int(np.argmin(values)) if np.isfinite(min(values)) else 0
    if values[k] > values[0] - DEEPER:  # the same minimum: keep the default start's fit (as cabinetry)
        k = 0
    best, notes = fits[k], []
    if k:
        notes.append(
            f"the fit started from {names[k]} reached a deeper minimum (-log L {best.fval:.6g}) than the "
            f"fit from the default start ({values[0]:.6g})"
        )
        log.info("%s", notes[-1])
    if k:  # a fresh MIGRAD from the deepest minimum, so HESSE does not depend on which start won
        best = _migrad(nll, np.asarray(best.values, dtype=float), labels, bounds, fixed)
    best.hesse()
    errors = np.where(fixed, 0.0, np.asarray(best.errors, dtype=float))
    corr = np.asarray(best.covariance.correlation(), dtype=float)
    intervals = {}
    if minos:
        best.minos(*minos)
        intervals = {p: (float(best.merrors[p].lower), float(best.merrors[p].upper)) for p in minos}
    bestfit = np.asarray(best.values, dtype=float)
    return FitSummary(
        tuple(labels),
        bestfit,
        errors,
        corr,
        intervals,
        float(best.fval),
        bool(best.valid and best.accurate),
        cfg.poi_name,
        _pulls(cfg, labels, bestfit, errors),
        dict(source or {}),
        tuple(notes),
    )


def fit_workspace(
    spec: dict, *, measurement: str | None = None, poi: str | None = None, minos=(), source=None
) -> FitSummary:
    """MINUIT fit of a workspace spec (POI-less workspaces too) to its observed data.

    Args:
        spec: pyhf workspace JSON dict (from ``read_workspace``).
        measurement: measurement name (default the first); poi: override the measurement's POI.
        minos: parameter labels for MINOS intervals.
        source: description of the input for the output.
    """
    try:
        ws = pyhf.Workspace(copy.deepcopy(spec))
        kwargs: dict[str, str | None] = {} if poi is None else {"poi_name": poi}
        meas = ws.get_measurement(measurement_name=measurement, measurement_index=None if measurement else 0)
        declared = {m["name"] for c in ws["channels"] for s in c["samples"] for m in s["modifiers"]}
        if poi is None and meas["config"].get("poi") not in declared:
            kwargs["poi_name"] = None  # POI-less, or a background-only workspace: fit without a POI
        model = ws.model(measurement_name=meas["name"], **kwargs)
    except pyhf.exceptions.InvalidMeasurement as err:
        msg = f"unknown measurement {measurement!r}: {err}"
        raise UnknownName(msg) from err
    except (pyhf.exceptions.InvalidModel, pyhf.exceptions.InvalidSpecification, KeyError) as err:
        msg = f"cannot build the pyhf model: {err}"
        raise WorkspaceError(msg) from err
    if poi is not None and model.config.poi_name != poi:
        msg = f"cannot use {poi!r} as the POI"
        raise InvalidInput(msg)
    data = ws.data(model)
    with np.errstate(all="ignore"):
        extra = _fast_engine_start(ws, meas["name"], model, data)
        return fit_model(model, data, minos=minos, source=source, extra_starts=extra)


def _fast_engine_start(ws, measurement: str, model, data) -> dict:
    """{"the fast engine's minimum": parameters} where the fast engine evaluates the workspace, else {}."""
    from cevns_stats.errors import UnsupportedWorkspace
    from cevns_stats.inference.engine import CompiledModel
    from cevns_stats.inference.fit import fit_batch

    try:
        compiled = CompiledModel.from_workspace(ws, measurement=measurement)
    except (UnsupportedWorkspace, WorkspaceError) as err:
        log.debug("no fast-engine start: %s", err)
        return {}
    if tuple(compiled.par_names) != tuple(model.config.par_order):
        return {}
    n_main = model.config.nmaindata
    data = np.asarray(data, dtype=float)
    fit = fit_batch(compiled, data[:n_main], data[n_main:])
    return {"the fast engine's minimum": fit.pars[0]} if fit.converged[0] else {}


def __dir__() -> list[str]:
    return __all__
