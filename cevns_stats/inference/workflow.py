"""Workspace → result for ``cevns-stats discover`` and ``cevns-stats limit`` (typed results with ``to_json``).

Read top to bottom: :func:`~cevns_stats.inference.inputs.read_workspace` (a file or stdin, patched and
checked: plain JSON), :func:`analysis` (the JSON compiled, the signal hypothesis chosen), then
:func:`discovery_summary` → :class:`DiscoverySummary` or :func:`limit_summary` → :class:`CLsLimits` /
:class:`EpsIntervals`.

Two engines evaluate the same likelihood: the fast compiled engine (batched Newton fits, toys) and pyhf
itself. A workspace the fast engine cannot evaluate falls back to pyhf with a one-line note (never a
refusal); ``engine="pyhf"`` never touches the fast engine. When the engines' minima of the observed data
differ, the result says which is deeper.

Two kinds of analysis (PHYSICS.md §10):

* ``"linear"``: the POI scales the signal linearly (a patchset's μ, any external workspace's POI); the
  signal hypothesis is the POI's init in the measurement. Discovery: q0 with the POI on the signal's
  side; limits: asymptotic CLs with q̃μ.
* ``"signed-eps"``: a linear-basis workspace (fixed ``nsi_lin`` = ε, ``nsi_quad`` = ε²); the fast engine
  profiles a signed ε (``CompiledModel.tied``); the signal hypothesis is ε = the ``nsi_lin`` init.
  Discovery: q0 with ε restricted to the sign of the signal, multi-start fits (non-monotonic rate);
  limits: the profile-likelihood interval(s) of ε (Wilks, two-sided t_ε). Needs the fast engine.
"""

from __future__ import annotations

import copy
import logging
from typing import Literal, NamedTuple

import numpy as np
import pyhf

from cevns_stats.errors import InvalidInput, UnknownName, UnsupportedWorkspace, WorkspaceError
from cevns_stats.inference import pyhf_route
from cevns_stats.inference.discovery import MODES, TOY_AUX, asimov_data
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.fast_route import fast_model as _fast
from cevns_stats.inference.fast_route import fast_z
from cevns_stats.inference.inputs import read_workspace, source_of
from cevns_stats.inference.limits import (
    LIMIT_NAMES,
    eps_intervals,
    pyhf_upper_limit,
    upper_limit_asymptotic,
)
from cevns_stats.inference.toys import ToySummary, toy_summary

__all__ = [
    "ENGINES",
    "MODES",
    "TOY_AUX",
    "Analysis",
    "CLsLimits",
    "DiscoverySummary",
    "EpsIntervals",
    "analysis",
    "discovery_summary",
    "fast_z",
    "limit_summary",
    "load_analysis",
    "read_workspace",
]

log = logging.getLogger(__name__)

ENGINES = ("pyhf", "fast")
Engine = Literal["pyhf", "fast"]
_LIN, _QUAD = "nsi_lin", "nsi_quad"
_UNSUPPORTED = (
    UnsupportedWorkspace,
    WorkspaceError,
)  # WorkspaceError: engines older than UnsupportedWorkspace


class Analysis(NamedTuple):
    """A workspace ready for inference, with both engines' views of it.

    Attributes:
        model: the fast engine's model (the tied ε view for ``kind == "signed-eps"``); None where the
            fast engine cannot evaluate the workspace (pyhf is used).
        kind: ``"linear"`` or ``"signed-eps"``.
        poi: name of the signal parameter in ``model`` (``"eps"`` for the tied view).
        signal: signal hypothesis value of ``poi`` (POI init; ε = nsi_lin init).
        source: description of the input (file, patch) for the JSON output.
        base: the fast engine's compiled workspace (None as ``model``).
        pyhf_model: pyhf's model of the measurement with ``poi`` as its POI (None for signed ε).
        data: pyhf's observed data, main + auxiliary (B + A,).
        notes: one-line notes for the output (e.g. the fallback to pyhf).
    """

    model: CompiledModel | None
    kind: str
    poi: str
    signal: float
    source: dict
    base: CompiledModel | None
    pyhf_model: pyhf.pdf.Model | None = None
    data: np.ndarray | None = None
    notes: tuple[str, ...] = ()


def _measurement(ws: pyhf.Workspace, name: str | None, label: str) -> dict:
    names = [m["name"] for m in ws["measurements"]]
    if name is None:
        return ws["measurements"][0]
    if name not in names:
        msg = f"{label}: unknown measurement {name!r}; measurements: {', '.join(names)}"
        raise UnknownName(msg)
    return ws["measurements"][names.index(name)]


def _compile(ws: pyhf.Workspace, measurement: str, label: str) -> tuple[CompiledModel | None, str | None]:
    try:
        return CompiledModel.from_workspace(ws, measurement=measurement), None
    except _UNSUPPORTED as err:
        note = f"the fast engine cannot evaluate {label} ({err}); pyhf is used"
        log.info("%s", note)
        return None, note


def analysis(
    spec: dict,
    *,
    poi: str | None = None,
    measurement: str | None = None,
    source: dict | None = None,
    engine: Engine = "fast",
) -> Analysis:
    """Compile a workspace spec (from :func:`read_workspace`) and choose the signal parameter.

    Args:
        spec: pyhf workspace JSON dict.
        poi: signal parameter (default the measurement's POI).
        measurement: measurement name (default the first).
        source: description of the input for outputs and messages (default ``{"workspace": "<spec>"}``).
        engine: ``"pyhf"`` builds only pyhf's model (never the fast engine); ``"fast"`` also compiles the
            fast engine, which falls back to pyhf (with a note) where it cannot evaluate the workspace.

    Raises:
        WorkspaceError: invalid workspace, a POI not in the model (a background-only workspace).
        UnknownName: unknown measurement or parameter.
        InvalidInput: no POI, or a fixed or constrained POI.
    """
    _choice(engine, ENGINES, "engine")
    source = dict(source or {"workspace": "<spec>"})
    label = source.get("workspace", "the workspace")
    try:
        ws = pyhf.Workspace(copy.deepcopy(spec))
    except Exception as err:
        msg = f"{label}: not a valid pyhf workspace: {err}"
        raise WorkspaceError(msg) from err
    meas = _measurement(ws, measurement, label)
    name = poi or meas["config"].get("poi") or None
    if name is None:
        msg = f"{label}: measurement {meas['name']!r} has no POI; name the signal parameter (poi=)"
        raise InvalidInput(msg)
    declared = {m["name"] for c in ws["channels"] for s in c["samples"] for m in s["modifiers"]}
    if name not in declared:
        which = "the POI" if poi is None else "parameter"
        msg = (
            f"{label}: {which} {name!r} is not a parameter of the model (a background-only workspace? apply "
            f"one of its patches); parameters: {', '.join(sorted(declared))}"
        )
        raise (WorkspaceError if poi is None else UnknownName)(msg)
    base, note = _compile(ws, meas["name"], label) if engine == "fast" else (None, None)
    notes = (note,) if note else ()
    if name == _LIN and _QUAD in declared:
        return _signed_eps(base, source, label, notes)
    pyhf_model = ws.model(measurement_name=meas["name"], poi_name=name)
    _check_poi(pyhf_model, name)
    data = np.asarray(ws.data(pyhf_model), dtype=float)
    signal = float(pyhf_model.config.suggested_init()[pyhf_model.config.poi_index])
    return Analysis(base, "linear", name, signal, source, base, pyhf_model, data, notes)


def _signed_eps(base, source, label, notes) -> Analysis:
    if base is None:
        msg = f"{label}: a signed-ε (linear-basis) analysis needs the fast engine (pyhf cannot tie ε²)"
        raise WorkspaceError(msg)
    tied = base.tied(lin=_LIN, quad=_QUAD, name="eps")
    return Analysis(
        tied, "signed-eps", "eps", float(base.init[base.par_index(_LIN)]), source, base, None, None, notes
    )


def _check_poi(model: pyhf.pdf.Model, name: str) -> None:
    cfg = model.config
    if cfg.param_set(name).constrained:
        msg = f"the POI {name!r} is a constrained nuisance parameter; choose a normfactor (e.g. mu)"
        raise InvalidInput(msg)
    if cfg.suggested_fixed()[cfg.poi_index]:
        msg = f"the POI {name!r} is fixed in the measurement; it cannot be fitted"
        raise InvalidInput(msg)


def load_analysis(path, *, patch=None, patchset=None, poi=None, measurement=None, engine="fast") -> Analysis:
    """:func:`read_workspace` then :func:`analysis` (a convenience for scripts)."""
    spec = read_workspace(path, patch=patch, patchset=patchset)
    source = source_of(path, patch=patch, patchset=patchset)
    return analysis(spec, poi=poi, measurement=measurement, source=source, engine=engine)


# ---------------------------------------------------------------------- discovery
class DiscoverySummary(NamedTuple):
    """Discovery significance of one analysis (``to_json`` gives the CLI's JSON keys).

    Attributes:
        z_observed: Z of the observed data; z_median_expected: Z of the Asimov data at the signal.
        mode, poi, signal, kind, source, engine: what was computed, on what.
        converged_observed, converged_expected: whether those fits converged.
        toys: toy statistics (None without toys).
        minima: −log L of the observed free fit per engine and which is deeper (None if not compared).
        notes: one-line notes (engine fallback, deeper minimum).
    """

    z_observed: float
    z_median_expected: float
    mode: str
    poi: str
    signal: float
    kind: str
    source: dict
    engine: str
    converged_observed: bool
    converged_expected: bool
    toys: ToySummary | None = None
    minima: dict | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """JSON-ready dict (toy keys only with toys, ``minima``/``notes`` only when present)."""
        out = {k: v for k, v in self._asdict().items() if k not in ("toys", "minima", "notes")}
        if self.toys is not None:
            out.update(self.toys.to_json())
        if self.minima is not None:
            out["minima"] = self.minima
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def _truth(analysis: Analysis) -> float:
    if analysis.signal == 0.0:
        msg = (
            f"the signal hypothesis {analysis.poi} = 0 is the background-only one; set the POI's init "
            "in the workspace (linear basis: nsi_lin = ε, e.g. with cevns-stats workspace --linear --eps)"
        )
        raise InvalidInput(msg)
    return analysis.signal


def discovery_summary(
    analysis: Analysis,
    *,
    mode: str = "standard",
    toys: int | None = None,
    seed: int | None = None,
    toy_aux: str = "resampled",
    engine: Engine = "fast",
    progress: bool = False,
) -> DiscoverySummary:
    """Observed Z, median expected (Asimov) Z and, with ``toys``, the toys' mean and median Z.

    Args:
        analysis: from :func:`analysis`.
        mode: ``"standard"`` (one-sided q0, POI on the signal's side) or ``"paper"`` (alternative fixed
            at the signal value; Z = 0 if L(alt) ≤ L(0)).
        toys: number of pseudo-datasets generated at the signal hypothesis (None: no toys); generated
            and fitted in chunks, so memory stays bounded (:mod:`cevns_stats.inference.toys`).
        seed: seed of the toys' random numbers (≥ 0).
        toy_aux: ``"resampled"`` (pyhf's toys) or ``"fixed"`` (the paper's: auxiliary data at nominal).
        engine: ``"fast"`` (falls back to pyhf where it cannot evaluate the workspace) or ``"pyhf"``.
        progress: show a progress bar on long toy runs (stderr).
    """
    _choice(mode, MODES, "mode")
    _choice(toy_aux, TOY_AUX, "toy_aux")
    _choice(engine, ENGINES, "engine")
    signal = _truth(analysis)
    use_fast = engine == "fast" and analysis.model is not None
    notes, minima = analysis.notes, None
    if use_fast:
        model = _fast(analysis)
        truth = model.init.copy()
        truth[model.par_index(analysis.poi)] = signal
        observed = (
            np.atleast_2d(np.asarray(model.observed_main)),
            np.atleast_2d(np.asarray(model.observed_aux)),
        )
        z_obs, ok_obs, nll_free = fast_z(analysis, mode, *observed)
        z_exp, ok_exp, _ = fast_z(analysis, mode, *asimov_data(model, truth))
        if nll_free is not None and analysis.pyhf_model is not None:
            minima, note = _compare_minima(analysis, float(nll_free[0]))
            notes += (note,) if note else ()
    else:
        z_obs, ok_obs = pyhf_route.z_values(analysis, mode, np.atleast_2d(np.asarray(analysis.data)))
        z_exp, ok_exp = pyhf_route.z_values(analysis, mode, pyhf_route.asimov(analysis)[None])
    toy = None
    if toys is not None:
        toy = toy_summary(analysis, mode, toys, seed=seed, toy_aux=toy_aux, fast=use_fast, progress=progress)
    return DiscoverySummary(
        float(z_obs[0]),
        float(z_exp[0]),
        mode,
        analysis.poi,
        analysis.signal,
        analysis.kind,
        analysis.source,
        "fast" if use_fast else "pyhf",
        bool(ok_obs[0]),
        bool(ok_exp[0]),
        toy,
        minima,
        notes,
    )


def _compare_minima(analysis: Analysis, nll_fast: float) -> tuple[dict, str | None]:
    """pyhf's free fit (POI on the signal's side, from its default start) against the fast engine's."""
    nll_pyhf = pyhf_route.free_nll(analysis)
    return _minima(nll_fast, nll_pyhf)


def _minima(nll_fast: float, nll_pyhf: float | None) -> tuple[dict, str | None]:
    if nll_pyhf is None:
        return {"fast": nll_fast, "pyhf": None, "deeper": "fast (pyhf's fit failed)"}, None
    diff = nll_pyhf - nll_fast
    deeper = "equal" if abs(diff) < 1e-4 else ("fast" if diff > 0 else "pyhf")
    note = None
    if deeper != "equal":
        note = (
            f"the {deeper} engine found a deeper minimum of -log L on the observed data "
            f"({min(nll_fast, nll_pyhf):.6g} vs {max(nll_fast, nll_pyhf):.6g})"
        )
        log.info("%s", note)
    return {"fast": nll_fast, "pyhf": nll_pyhf, "deeper": deeper}, note


def _choice(value, allowed, what):
    if value not in allowed:
        msg = f"unknown {what} {value!r}; allowed: {', '.join(allowed)}"
        raise InvalidInput(msg)


# ---------------------------------------------------------------------- limits
class CLsLimits(NamedTuple):
    """CLs upper limits on a linear POI (None: above ``poi_bound``; ``to_json`` gives the CLI's keys).

    Attributes:
        observed: observed limit; expected: median expected limit.
        expected_band: the five expected limits ordered −2σ, −1σ, median, +1σ, +2σ.
        poi_bound: the POI's upper bound; above_bound: names of the limits above it.
    """

    cl: float
    poi: str
    kind: str
    source: dict
    method: str
    engine: str
    observed: float | None
    expected: float | None
    expected_band: tuple[float | None, float | None, float | None, float | None, float | None]
    poi_bound: float
    above_bound: tuple[str, ...] = ()
    minima: dict | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """JSON-ready dict; ``expected_band`` as {−2sigma, −1sigma, median, +1sigma, +2sigma}."""
        out = {k: v for k, v in self._asdict().items() if k not in ("minima", "notes", "above_bound")}
        out["expected_band"] = dict(zip(LIMIT_NAMES[1:], self.expected_band))
        out["above_bound"] = list(self.above_bound)
        if self.minima is not None:
            out["minima"] = self.minima
        if self.notes:
            out["notes"] = list(self.notes)
        return out


class EpsIntervals(NamedTuple):
    """Allowed signed-ε intervals from the profile likelihood (``to_json`` gives the CLI's keys)."""

    cl: float
    poi: str
    kind: str
    source: dict
    method: str
    observed_intervals: tuple[tuple[float, float], ...]
    expected_intervals: tuple[tuple[float, float], ...]
    eps_hat: float
    threshold: float
    eps_range: tuple[float, float]
    n_failed_fits: int

    def to_json(self) -> dict:
        """JSON-ready dict (intervals as lists of [low, high])."""
        out = self._asdict()
        for key in ("observed_intervals", "expected_intervals"):
            out[key] = [list(i) for i in out[key]]
        out["eps_range"] = list(self.eps_range)
        return out


def limit_summary(
    analysis: Analysis, *, cl: float = 0.95, engine: Engine = "pyhf", eps_max: float | None = None
) -> CLsLimits | EpsIntervals:
    """Upper limits (linear POI: CLs with q̃μ) or allowed ε interval(s) (signed ε: profile likelihood).

    The CLs scan adapts to the model (no fixed bracket); a limit above the POI's upper bound is reported
    as such (None, with the bound), never as an error.

    Args:
        analysis: from :func:`analysis`.
        cl: confidence level (0.90, 0.95, …).
        engine: linear POI: ``"pyhf"`` (pyhf's CLs, the reference; never the fast engine) or ``"fast"``
            (our engine; pyhf where it cannot evaluate the workspace).
        eps_max: signed ε: scan range |ε| ≤ eps_max (default the nsi_lin bound).
    """
    _choice(engine, ENGINES, "engine")
    if analysis.kind == "signed-eps":
        return _eps_limits(analysis, cl, eps_max)
    notes, minima = analysis.notes, None
    if engine == "fast" and analysis.model is not None:
        model = _fast(analysis)
        result = upper_limit_asymptotic(
            model, model.observed_main, model.observed_aux, cl=cl, poi=analysis.poi
        )
        method = "CLs, asymptotic q~mu (cevns-stats fast engine, pyhf conventions)"
        minima, note = _minima(_fast_free_nll(analysis), pyhf_route.free_nll(analysis, signal_side=False))
        notes += (note,) if note else ()
    else:
        result = pyhf_upper_limit(analysis.pyhf_model, analysis.data, cl=cl)
        method = "CLs, asymptotic q~mu (pyhf.infer.hypotest, adaptive bracket)"
        note = pyhf_route.multistart_note(analysis)
        notes += (note,) if note else ()
    limits = (result.observed, *result.expected)
    above = tuple(n for n, v in zip(LIMIT_NAMES, limits) if v is None)
    return CLsLimits(
        cl,
        analysis.poi,
        analysis.kind,
        analysis.source,
        method,
        "fast" if "fast" in method else "pyhf",
        result.observed,
        result.expected[2],
        result.expected,
        result.poi_bound,
        above,
        minima,
        notes,
    )


def _fast_free_nll(analysis: Analysis) -> float:
    from cevns_stats.inference.fit import fit_batch

    model = _fast(analysis)
    return float(fit_batch(model, model.observed_main, model.observed_aux).nll[0])


def _eps_limits(analysis: Analysis, cl: float, eps_max) -> EpsIntervals:
    from scipy.stats import chi2

    model = _fast(analysis)
    observed, scan = eps_intervals(model, model.observed_main, model.observed_aux, cl=cl, eps_max=eps_max)
    sm = model.init.copy()
    sm[model.par_index("eps")] = 0.0
    expected, _ = eps_intervals(model, *(a[0] for a in asimov_data(model, sm)), cl=cl, eps_max=eps_max)
    bound = float(np.max(np.abs(scan.eps)))
    return EpsIntervals(
        cl,
        analysis.poi,
        analysis.kind,
        analysis.source,
        "profile likelihood in signed eps (Wilks, two-sided t_eps), cevns-stats fast engine",
        tuple((float(lo), float(hi)) for lo, hi in observed),
        tuple((float(lo), float(hi)) for lo, hi in expected),
        scan.eps_hat,
        float(chi2.ppf(cl, 1)),
        (-bound, bound),
        int(np.count_nonzero(~scan.converged)),
    )


def __dir__() -> list[str]:
    return __all__
