"""Combination of workspaces — ours across targets (Xe + Ar + Pb) or with any external pyhf workspace.

Flux nuisances are correlated by name (``nu_flux_<channel>``, DESIGN.md), so ``pyhf.Workspace.combine``
makes one parameter of each; this module adds the checks that a cevns-stats combination needs (same form
and ε_ref, intersected parameter bounds) and wraps pyhf's errors as :class:`WorkspaceError`.
"""

from __future__ import annotations

import copy
import json
import logging
import math
from typing import NamedTuple

import pyhf

from cevns_stats.errors import UnknownName, WorkspaceError
from cevns_stats.likelihood.patches import PYHF_SPEC_ERRORS
from cevns_stats.likelihood.workspace import MEASUREMENT_PREFIX, validate_workspace

__all__ = [
    "Combination",
    "combination_report",
    "combine",
    "combine_workspaces",
    "harmonise_bounds",
    "parse_renames",
    "rename_spec",
]

log = logging.getLogger(__name__)


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
    """Deep copies of ``specs`` in which a parameter config that declares one ``[lo, hi]`` bound gets the
    intersection of that parameter's bounds over every spec with a measurement of the same name.

    :func:`combine` calls it just before ``pyhf.Workspace.combine``, whose outer join refuses same-named
    measurements whose same-named parameter configs differ at all. For cevns-stats publications it changes
    nothing any more: every BkgOnly declares ``mu`` with init 1 and bounds [0, 10]
    (:data:`~cevns_stats.likelihood.publish.POI_BOUNDS`; a patch's ``mu_max`` is metadata, not a bound),
    and the other parameters get the same bounds in every workspace of a form (flux nuisances: one σ per
    flux channel; ``nsi_lin`` is widened by ``set_eps`` only together with its init). It still matters
    for configs that differ only in their bounds: external pyhf workspaces, or histosys flux nuisances
    from templates with different σ for one flux channel (the intersection keeps the larger σ's bound, as
    within one workspace). Parameters without ``bounds`` or with one pair per bin are left alone, and
    inits and ``fixed`` are not touched (an init may end up outside the intersection), so pyhf may still
    refuse configs that differ in those.

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


def _check_distinct(workspaces, labels) -> None:
    """Refuse the same likelihood twice: its data would count twice."""
    seen: dict[str, str] = {}
    for ws, label in zip(workspaces, labels):
        digest = pyhf.utils.digest(ws)
        if digest in seen:
            msg = (
                f"{label} is the same workspace as {seen[digest]} (sha256 {digest[:12]}…): combining a "
                "likelihood with itself counts its data twice"
            )
            raise WorkspaceError(msg)
        seen[digest] = label


def parse_renames(items) -> dict[int, dict[str, str]]:
    """``["2:mu=mu_ar", …]`` → {input index (0-based): {old: new}}; an item without ``N:`` is for input 1."""
    out: dict[int, dict[str, str]] = {}
    for item in items:
        where, sep, pair = str(item).rpartition(":")
        old, eq, new = pair.partition("=")
        try:
            index = int(where) - 1 if sep else 0
        except ValueError:
            index = -1
        if not eq or not old or not new or index < 0:
            msg = f"expected [N:]OLD=NEW (N = 1, 2, … the input's position), got {item!r}"
            raise WorkspaceError(msg)
        out.setdefault(index, {})[old] = new
    return out


def rename_spec(spec: dict, mapping: dict[str, str], label: str = "the workspace") -> dict:
    """``pyhf.Workspace.rename`` of parameters (modifiers), channels, samples or measurements by name.

    Each OLD is looked up among the modifiers first (a POI too: pyhf renames it in the measurements, and
    its measurement becomes ``<measurement>_<NEW>`` so that it is not merged with the other inputs'), then
    channels, samples and measurements. ``lumi`` cannot be renamed (pyhf's schema fixes its name).
    """
    ws = pyhf.Workspace(copy.deepcopy(spec))
    groups: dict[str, dict[str, str]] = {"modifiers": {}, "channels": {}, "samples": {}, "measurements": {}}
    modifiers = {name for name, _ in ws.modifiers}
    for old, new in mapping.items():
        if old == "lumi":
            msg = f"{label}: 'lumi' cannot be renamed (pyhf's schema fixes the name of the lumi modifier)"
            raise WorkspaceError(msg)
        if old in modifiers:
            groups["modifiers"][old] = new
        elif old in ws.channels:
            groups["channels"][old] = new
        elif old in ws.samples:
            groups["samples"][old] = new
        elif old in ws.measurement_names:
            groups["measurements"][old] = new
        else:
            msg = f"{label}: nothing named {old!r} to rename (parameters: {', '.join(sorted(modifiers))})"
            raise UnknownName(msg)
    for meas in ws["measurements"]:  # a renamed POI: its measurement is renamed too, so it stays apart
        new_poi = groups["modifiers"].get(meas["config"].get("poi"))
        if new_poi and meas["name"] not in groups["measurements"]:
            groups["measurements"][meas["name"]] = f"{meas['name']}_{new_poi}"
            log.info(
                "%s: measurement %r renamed %r with its POI", label, meas["name"], f"{meas['name']}_{new_poi}"
            )
    try:
        renamed = ws.rename(**groups)
    except PYHF_SPEC_ERRORS as err:
        msg = f"{label}: cannot rename {mapping}: {err}"
        raise WorkspaceError(msg) from err
    log.info("%s: renamed %s", label, mapping)
    return json.loads(json.dumps(renamed))


def combination_report(specs, labels) -> dict:
    """What a combination merges by name: {"pois": {name: [inputs]}, "parameters": {name: [inputs]}}.

    Same-named parameters become one (DESIGN.md: the flux nuisances ``nu_flux_*`` are meant to); a POI
    shared by different experiments is often not meant to be — rename it per input to keep them apart.
    """
    owners: dict[str, list[str]] = {}
    pois: dict[str, list[str]] = {}
    for spec, label in zip(specs, labels):
        names = {m["name"] for c in spec["channels"] for s in c["samples"] for m in s["modifiers"]}
        for name in names:
            owners.setdefault(name, []).append(label)
        for poi in {m["config"].get("poi") for m in spec["measurements"]} & names:
            pois.setdefault(poi, []).append(label)
    shared = {k: v for k, v in sorted(owners.items()) if len(v) > 1}
    return {"pois": {k: v for k, v in pois.items() if len(v) > 1}, "parameters": shared}


class Combination(NamedTuple):
    """A combined workspace spec and what was merged by name (:func:`combination_report`)."""

    spec: dict
    merged: dict


def combine_workspaces(
    specs, *, join: str = "outer", merge_channels: bool = False, labels=None, renames=None
) -> dict:
    """The combined spec of :func:`combine` (same arguments)."""
    return combine(specs, join=join, merge_channels=merge_channels, labels=labels, renames=renames).spec


def combine(
    specs, *, join: str = "outer", merge_channels: bool = False, labels=None, renames=None
) -> Combination:
    """Combine workspaces with ``pyhf.Workspace.combine`` (left to right); returns the combined spec.

    Identically named parameters (``nu_flux_8B``, ``mu``, ``nsi_lin``) become one parameter. Measurements
    with the same name are merged by pyhf (their POIs must agree and same-named parameter configs must be
    identical, e.g. the same ε in linear form); differently named ones are all kept (choose one with
    ``measurement_name``). Bounds of same-named parameters are intersected first (:func:`harmonise_bounds`).
    cevns-stats workspaces must share form and ε_ref. Channel names must differ (``join="outer"``);
    external pyhf workspaces are accepted, ``lumi`` and every measurement config included (same-named
    measurements must agree, as pyhf requires).

    Args:
        specs: workspace dicts, in order.
        join, merge_channels: as ``pyhf.Workspace.combine``.
        labels: names of the inputs for messages (default "workspace 1", …).
        renames: {input index: {old: new}} applied first (:func:`rename_spec`), e.g. to keep two
            experiments' signal strengths apart.

    Raises:
        WorkspaceError: fewer than two workspaces, an invalid one, the same one twice, or an incompatible
            combination (the message names the input).
    """
    if len(specs) < 2:
        msg = f"combine needs at least two workspaces, got {len(specs)}"
        raise WorkspaceError(msg)
    labels = list(labels or [f"workspace {k + 1}" for k in range(len(specs))])
    workspaces = []
    for spec, label in zip(specs, labels):
        try:
            workspaces.append(validate_workspace(spec, allow_missing_poi=True))
        except WorkspaceError as err:
            msg = f"{label}: {err}"
            raise WorkspaceError(msg) from err
    _check_distinct(workspaces, labels)
    _check_cevns_measurements(workspaces)  # before renames: a renamed measurement is the user's choice
    for index, mapping in (renames or {}).items():
        if not 0 <= index < len(workspaces):
            msg = f"renames given for input {index + 1}, but there are {len(workspaces)} inputs"
            raise WorkspaceError(msg)
        workspaces[index] = pyhf.Workspace(rename_spec(workspaces[index], mapping, labels[index]))
    merged = combination_report(workspaces, labels)
    for poi, owners in merged["pois"].items():
        log.info("POI %r of %s becomes one parameter (rename it per input to keep them apart)", poi, owners)
    workspaces = [pyhf.Workspace(s) for s in harmonise_bounds(workspaces)]
    combined = workspaces[0]
    try:
        for ws in workspaces[1:]:
            combined = pyhf.Workspace.combine(combined, ws, join=join, merge_channels=merge_channels)
    except PYHF_SPEC_ERRORS as err:
        msg = f"cannot combine the workspaces: {err}"
        raise WorkspaceError(msg) from err
    spec = json.loads(json.dumps(combined))
    validate_workspace(spec, allow_missing_poi=True)
    return Combination(spec, merged)


def __dir__() -> list[str]:
    return __all__
