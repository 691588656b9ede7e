"""File → result glue for ``cevns-stats discover`` and ``cevns-stats limit`` (JSON-ready dicts).

Read top to bottom: :func:`load_analysis` (workspace or BkgOnly + one patch of a patchset → a compiled
model and its signal hypothesis), then :func:`discovery_summary` or :func:`limit_summary`.

Two kinds of analysis (PHYSICS.md §10):

* ``"linear"``: the POI scales the signal linearly (scalar μ = ε²/ε_ref², a patchset's μ); the signal
  hypothesis is the POI's init in the measurement (1 for committed scalar workspaces and patchsets).
  Discovery: q0 with μ ≥ 0; limits: asymptotic CLs with q̃μ through pyhf.
* ``"signed-eps"``: a linear-basis workspace (fixed ``nsi_lin`` = ε, ``nsi_quad`` = ε²); the fast engine
  profiles a signed ε (``CompiledModel.tied``); the signal hypothesis is ε = the ``nsi_lin`` init.
  Discovery: q0 with ε restricted to the sign of the signal, multi-start fits (non-monotonic rate);
  limits: the profile-likelihood interval(s) of ε (Wilks, two-sided t_ε).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cevns_stats.errors import InvalidInput, UnknownName, WorkspaceError
from cevns_stats.inference.discovery import asimov_data, generate_toys, paper_mode_t, q0
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.limits import eps_intervals, pyhf_upper_limit, upper_limit_asymptotic

__all__ = ["ENGINES", "MODES", "TOY_AUX", "Analysis", "discovery_summary", "limit_summary", "load_analysis"]

MODES = ("standard", "paper")
TOY_AUX = ("resampled", "fixed")
ENGINES = ("pyhf", "fast")
_LIN, _QUAD = "nsi_lin", "nsi_quad"


class Analysis(NamedTuple):
    """A compiled model ready for inference.

    Attributes:
        model: the model fitted (the tied ε view for ``kind == "signed-eps"``).
        kind: ``"linear"`` or ``"signed-eps"``.
        poi: name of the signal parameter in ``model`` (``"eps"`` for the tied view).
        signal: signal hypothesis value of ``poi`` (POI init; ε = nsi_lin init).
        source: description of the input (file, patch) for the JSON output.
        base: the compiled workspace model (carries ``pyhf_model``).
    """

    model: CompiledModel
    kind: str
    poi: str
    signal: float
    source: dict
    base: CompiledModel


def _read_json(path, what: str) -> dict:
    try:
        spec = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        msg = f"cannot read the {what} {path}: {err}"
        raise WorkspaceError(msg) from None
    if not isinstance(spec, dict):
        msg = f"the {what} {path} must hold a JSON object, got {type(spec).__name__}"
        raise WorkspaceError(msg)
    return spec


def _patched(spec: dict, patchset_path, patch: str) -> dict:
    from cevns_stats.likelihood.patches import apply_patch

    patchset = _read_json(patchset_path, "patchset")
    names = [p.get("metadata", {}).get("name") for p in patchset.get("patches", []) if isinstance(p, dict)]
    if patch not in names:
        msg = f"unknown patch {patch!r} in {patchset_path}; patches: {', '.join(map(str, names)) or 'none'}"
        raise UnknownName(msg)
    return apply_patch(spec, patchset, patch)


def _declared(spec: dict) -> set:
    return {m["name"] for c in spec["channels"] for s in c["samples"] for m in s.get("modifiers", [])}


def _check_poi_present(spec: dict, path, patch) -> None:
    poi = spec["measurements"][0]["config"]["poi"]
    if poi in _declared(spec):
        return
    if patch is None:
        msg = (
            f"{path}: the POI {poi!r} is not in the model (a background-only workspace?); choose a signal "
            f"with --patch NAME (and --patchset FILE, default patchset.json beside it)"
        )
    else:
        msg = f"{path} with patch {patch!r}: the POI {poi!r} is not in the model"
    raise WorkspaceError(msg)


def load_analysis(path, *, patch: str | None = None, patchset=None, poi: str | None = None) -> Analysis:
    """Read a workspace (or BkgOnly + a patch of a patchset) and choose the signal parameter.

    Args:
        path: workspace JSON file, or a BkgOnly.json with ``patch``.
        patch: patch name in the patchset (e.g. ``eps_m0p05``).
        patchset: patchset JSON file; default ``patchset.json`` in the directory of ``path``.
        poi: signal parameter (default the measurement's POI).

    Raises:
        WorkspaceError: unreadable or invalid files, a BkgOnly without a patch.
        UnknownName: unknown patch or parameter.
        InvalidInput: a fixed or constrained POI.
    """
    from cevns_stats.likelihood.workspace import validate_workspace

    spec = _read_json(path, "workspace")
    validate_workspace(spec, allow_missing_poi=True)
    source = {"workspace": str(path)}
    if patch is not None:
        patchset = Path(path).with_name("patchset.json") if patchset is None else patchset
        spec = _patched(spec, patchset, patch)
        source.update(patchset=str(patchset), patch=patch)
    elif patchset is not None:
        msg = "--patchset needs --patch NAME (the grid point to use)"
        raise InvalidInput(msg)
    _check_poi_present(spec, path, patch)
    base = CompiledModel.from_workspace(spec)
    return _analysis(base, poi, source)


def _analysis(base: CompiledModel, poi: str | None, source: dict) -> Analysis:
    name = poi or base.poi_name
    index = base.par_index(name)
    if name == _LIN and _QUAD in base.par_names:
        tied = base.tied(lin=_LIN, quad=_QUAD, name="eps")
        return Analysis(tied, "signed-eps", "eps", float(base.init[index]), source, base)
    if index in base.aux_par_index:
        msg = f"the POI {name!r} is a constrained nuisance parameter; choose a normfactor (e.g. mu)"
        raise InvalidInput(msg)
    if base.fixed[index]:
        msg = f"the POI {name!r} is fixed in the measurement; it cannot be fitted"
        raise InvalidInput(msg)
    return Analysis(base, "linear", name, float(base.init[index]), source, base)


# ---------------------------------------------------------------------- discovery
def _truth(analysis: Analysis) -> np.ndarray:
    model = analysis.model
    if analysis.signal == 0.0:
        msg = (
            f"the signal hypothesis {analysis.poi} = 0 is the background-only one; set the POI's init "
            "in the workspace (linear basis: nsi_lin = ε, e.g. with cevns-stats workspace --linear --eps)"
        )
        raise InvalidInput(msg)
    truth = model.init.copy()
    truth[model.par_index(analysis.poi)] = analysis.signal
    return truth


def _z_values(analysis: Analysis, mode: str, data_main, data_aux) -> tuple[np.ndarray, np.ndarray]:
    """Z (n,) and fit convergence (n,) for each dataset in the chosen mode."""
    model, poi, signal = analysis.model, analysis.poi, analysis.signal
    if mode == "paper":
        result = paper_mode_t(model, data_main, data_aux, alt_value=signal, poi=poi)
        return result.z, result.converged
    direction = 1 if signal > 0 else -1
    starts = None
    if analysis.kind == "signed-eps":
        bound = float(np.max(np.abs(model.bounds[model.par_index(poi)])))
        starts = direction * np.concatenate(
            [[0.0], np.geomspace(bound * 1e-4, bound * 0.3, 5), [abs(signal)]]
        )
    result = q0(model, data_main, data_aux, poi=poi, direction=direction, starts=starts)
    return result.z, result.converged


def discovery_summary(
    analysis: Analysis,
    *,
    mode: str = "standard",
    toys: int | None = None,
    seed=None,
    toy_aux: str = "resampled",
) -> dict:
    """Observed Z, median expected (Asimov) Z and, with ``toys``, the toys' mean and median Z.

    Args:
        analysis: from :func:`load_analysis`.
        mode: ``"standard"`` (one-sided q0, POI on the signal's side) or ``"paper"`` (alternative fixed
            at the signal value; Z = 0 if L(alt) ≤ L(0)).
        toys: number of pseudo-datasets generated at the signal hypothesis (None: no toys).
        seed: seed of the toys' random numbers.
        toy_aux: ``"resampled"`` (pyhf's toys) or ``"fixed"`` (the paper's: auxiliary data at nominal).

    Returns:
        JSON-ready dict: z_observed, z_median_expected, [z_mean_toys, z_median_toys, n_toys,
        n_failed_fits], mode, toy_aux, poi, signal, kind, seed, converged_observed, source.
    """
    _choice(mode, MODES, "mode")
    _choice(toy_aux, TOY_AUX, "toy_aux")
    model, truth = analysis.model, _truth(analysis)
    z_obs, ok_obs = _z_values(analysis, mode, model.observed_main[None], model.observed_aux[None])
    z_exp, ok_exp = _z_values(analysis, mode, *asimov_data(model, truth))
    out = {
        "z_observed": float(z_obs[0]),
        "z_median_expected": float(z_exp[0]),
        "mode": mode,
        "poi": analysis.poi,
        "signal": analysis.signal,
        "kind": analysis.kind,
        "source": analysis.source,
        "converged_observed": bool(ok_obs[0]),
        "converged_expected": bool(ok_exp[0]),
    }
    if toys is not None:
        out.update(_toy_summary(analysis, mode, truth, toys, seed, toy_aux))
    return out


def _toy_summary(analysis, mode, truth, toys, seed, toy_aux) -> dict:
    data_main, data_aux = generate_toys(analysis.model, truth, toys, seed=seed, aux=toy_aux)
    z, converged = _z_values(analysis, mode, data_main, data_aux)
    good = z[converged]
    mean, median = (float(np.mean(good)), float(np.median(good))) if good.size else (None, None)
    return {
        "z_mean_toys": mean,
        "z_median_toys": median,
        "n_toys": int(toys),
        "n_failed_fits": int(np.count_nonzero(~converged)),
        "toy_aux": toy_aux,
        "seed": seed,
        "toy_statistics": "mean and median over the toys whose fits converged",
    }


def _choice(value, allowed, what):
    if value not in allowed:
        msg = f"unknown {what} {value!r}; allowed: {', '.join(allowed)}"
        raise InvalidInput(msg)


# ---------------------------------------------------------------------- limits
def limit_summary(
    analysis: Analysis, *, cl: float = 0.95, engine: str = "pyhf", eps_max: float | None = None
) -> dict:
    """Upper limits (linear POI: CLs with q̃μ) or allowed ε interval(s) (signed ε: profile likelihood).

    Args:
        analysis: from :func:`load_analysis`.
        cl: confidence level (0.90, 0.95, …).
        engine: linear POI: ``"pyhf"`` (pyhf's root finding, the reference) or ``"fast"`` (our engine).
        eps_max: signed ε: scan range |ε| ≤ eps_max (default the nsi_lin bound).

    Returns:
        JSON-ready dict with ``method``, ``cl``, ``poi`` and the limits: linear: ``observed``,
        ``expected`` (median), ``expected_band`` {−2σ, −1σ, 0, +1σ, +2σ}; signed ε: ``observed_intervals``
        and ``expected_intervals`` (on the SM Asimov data), ``eps_hat``, ``threshold``.
    """
    _choice(engine, ENGINES, "engine")
    head = {"cl": cl, "poi": analysis.poi, "kind": analysis.kind, "source": analysis.source}
    if analysis.kind == "signed-eps":
        return {**head, **_eps_limits(analysis, cl, eps_max)}
    model = analysis.model
    if engine == "pyhf":
        result = pyhf_upper_limit(model, cl=cl)
        method = "CLs, asymptotic q~mu (pyhf.infer.intervals.upper_limits.toms748_scan)"
    else:
        result = upper_limit_asymptotic(
            model, model.observed_main, model.observed_aux, cl=cl, poi=analysis.poi
        )
        method = "CLs, asymptotic q~mu (cevns-stats fast engine, pyhf conventions)"
    band = dict(zip(("-2sigma", "-1sigma", "median", "+1sigma", "+2sigma"), result.expected))
    return {
        **head,
        "method": method,
        "observed": result.observed,
        "expected": result.expected[2],
        "expected_band": band,
    }


def _eps_limits(analysis: Analysis, cl: float, eps_max) -> dict:
    from scipy.stats import chi2

    model = analysis.model
    observed, scan = eps_intervals(model, model.observed_main, model.observed_aux, cl=cl, eps_max=eps_max)
    sm = model.init.copy()
    sm[model.par_index("eps")] = 0.0
    expected, _ = eps_intervals(model, *(a[0] for a in asimov_data(model, sm)), cl=cl, eps_max=eps_max)
    bound = float(np.max(np.abs(scan.eps)))
    return {
        "method": "profile likelihood in signed eps (Wilks, two-sided t_eps), cevns-stats fast engine",
        "observed_intervals": [list(i) for i in observed],
        "expected_intervals": [list(i) for i in expected],
        "eps_hat": scan.eps_hat,
        "threshold": float(chi2.ppf(cl, 1)),
        "eps_range": [-bound, bound],
        "n_failed_fits": int(np.count_nonzero(~scan.converged)),
    }


def __dir__() -> list[str]:
    return __all__
