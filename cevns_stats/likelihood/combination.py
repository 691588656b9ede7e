"""Combination of workspaces — ours across targets (Xe + Ar + Pb) or with any external pyhf workspace.

Flux nuisances are correlated by name (``nu_flux_<channel>``, DESIGN.md), so ``pyhf.Workspace.combine``
makes one parameter of each; this module adds the checks that a cevns-stats combination needs (same form
and ε_ref, intersected parameter bounds) and wraps pyhf's errors as :class:`WorkspaceError`.
"""

from __future__ import annotations

import copy
import json
import math

import pyhf

from cevns_stats.errors import WorkspaceError
from cevns_stats.likelihood.patches import PYHF_SPEC_ERRORS
from cevns_stats.likelihood.workspace import MEASUREMENT_PREFIX, validate_workspace

__all__ = ["combine_workspaces", "harmonise_bounds"]


def _check_cevns_measurements(workspaces) -> None:
    names = {
        m["name"] for ws in workspaces for m in ws["measurements"] if m["name"].startswith(MEASUREMENT_PREFIX)
    }
    if len(names) > 1:
        msg = (
            f"cannot combine cevns-stats workspaces of different forms or eps_ref ({sorted(names)}): the NSI "
            "parameters would mean different things per channel; rebuild them with the same form and eps_ref"
        )
        raise WorkspaceError(msg)


def _bounds_by_measurement(specs) -> dict:
    """{(measurement, parameter): [lo, hi]} intersected over every spec that bounds that parameter."""
    out: dict[tuple[str, str], list[float]] = {}
    for spec in specs:
        for meas in spec["measurements"]:
            for par in meas["config"].get("parameters", []):
                if "bounds" in par and len(par["bounds"]) == 1:
                    lo, hi = par["bounds"][0]
                    old = out.get((meas["name"], par["name"]), [-math.inf, math.inf])
                    out[(meas["name"], par["name"])] = [max(old[0], lo), min(old[1], hi)]
    return out


def harmonise_bounds(specs) -> list[dict]:
    """Copies of ``specs`` whose same-named measurement parameters carry the intersection of their bounds.

    A published patchset bounds its POI ``mu`` so that every rate stays ≥ 0 in *its* detector (``mu_max``
    differs per target); a combination must keep all of them ≥ 0, i.e. the intersection. pyhf would refuse
    the otherwise identical configs as incompatible.

    Raises:
        WorkspaceError: the bounds of a parameter do not overlap.
    """
    bounds = _bounds_by_measurement(specs)
    empty = sorted(f"{m}/{p}" for (m, p), (lo, hi) in bounds.items() if lo > hi)
    if empty:
        msg = f"the parameter bounds of {empty} do not overlap between the workspaces"
        raise WorkspaceError(msg)
    out = copy.deepcopy([dict(s) for s in specs])
    for spec in out:
        for meas in spec["measurements"]:
            for par in meas["config"].get("parameters", []):
                if (meas["name"], par["name"]) in bounds and "bounds" in par:
                    par["bounds"] = [bounds[(meas["name"], par["name"])]]
    return out


def combine_workspaces(specs, *, join: str = "outer", merge_channels: bool = False) -> dict:
    """Combine workspaces with ``pyhf.Workspace.combine`` (left to right); returns the combined spec.

    Identically named parameters (``nu_flux_8B``, ``mu``, ``nsi_lin``) become one parameter. Measurements
    with the same name are merged by pyhf (their POIs must agree and same-named parameter configs must be
    identical, e.g. the same ε in linear form); differently named ones are all kept (choose one with
    ``measurement_name``). Bounds of same-named parameters are intersected first (:func:`harmonise_bounds`).
    cevns-stats workspaces must share form and ε_ref. Channel names must differ (``join="outer"``);
    external pyhf workspaces are accepted.

    Raises:
        WorkspaceError: fewer than two workspaces, an invalid one, or an incompatible combination.
    """
    if len(specs) < 2:
        msg = f"combine needs at least two workspaces, got {len(specs)}"
        raise WorkspaceError(msg)
    workspaces = [validate_workspace(s, allow_missing_poi=True) for s in specs]
    _check_cevns_measurements(workspaces)
    workspaces = [pyhf.Workspace(s) for s in harmonise_bounds(workspaces)]
    combined = workspaces[0]
    try:
        for ws in workspaces[1:]:
            combined = pyhf.Workspace.combine(combined, ws, join=join, merge_channels=merge_channels)
    except PYHF_SPEC_ERRORS as err:
        msg = f"cannot combine the workspaces: {err}"
        raise WorkspaceError(msg) from None
    spec = json.loads(json.dumps(combined))
    validate_workspace(spec, allow_missing_poi=True)
    return spec


def __dir__() -> list[str]:
    return __all__
