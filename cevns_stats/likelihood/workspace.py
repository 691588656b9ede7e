"""pyhf workspaces from CEvNS templates: build, validate, set ε, combine (DESIGN.md, PHYSICS.md §10).

One pyhf channel per :class:`~cevns_stats.likelihood.templates.TemplateSet` (named after its detector), one sample per flux
channel k and component, each carrying the flux nuisance ``nu_flux_<k>``: a ``normsys`` (hi/lo = 1 ± σ, pyhf's
default code4, always positive) or, with ``flux_modifier="histosys"``, the paper's linear Gaussian φ = 1 + σα
(hi/lo data = (1 ± σ)·nominal, α ≥ (10⁻⁶ − 1)/σ so φ > 0). Identical names across targets make pyhf combine
correlate them. Three forms (the measurement name records the form: pyhf's schema allows no other metadata):

* ``"linear"`` (vector NSI, S1 leptoquark), measurement ``cevns_nsi_linear``: samples ``SM_k``, ``LIN_k``
  (normfactor ``nsi_lin`` = ε, may be negative) and ``QUAD_k`` (normfactor ``nsi_quad`` = ε²), exact for all ε.
  Both are *fixed*, set per scan point by :func:`set_eps`; the POI is ``nsi_lin`` (= ε), fixed, since pyhf cannot
  tie ``nsi_quad`` to ``nsi_lin`` (PHYSICS.md §10): the fast engine (``CompiledModel.tied``) profiles ε, and
  :mod:`cevns_stats.likelihood.publish` patchsets serve ``pyhf cls``.
* ``"scalar"`` (no interference), measurement ``cevns_nsi_scalar_eps_ref_<ε_ref>``: samples ``SM_k`` and
  ``NSI_k`` = ε_ref²·QUAD_k with the POI normfactor ``mu`` = ε²/ε_ref² ∈ [0, 1000]. ε_ref is the caller's or,
  by default, the power of ten nearest to the ε where NSI events = 3·√(SM events) (μ ~ 0.1–10 near the
  discovery reach). Only workspaces with the same ε_ref combine.
* ``"sm"``, measurement ``cevns_sm``: samples ``SM_k`` with the POI normfactor ``mu_cevns`` (CEvNS signal
  strength, init 1, bounds [0, 10]); for CEvNS-observation studies, not for NSI combinations.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
from pathlib import Path

import numpy as np
import pyhf

from cevns_stats.errors import WorkspaceError
from cevns_stats.likelihood.patches import PYHF_SPEC_ERRORS

log = logging.getLogger(__name__)

__all__ = [
    "FLUX_MODIFIERS",
    "FORMS",
    "MEASUREMENT_PREFIX",
    "build_workspace",
    "channel_names",
    "check_uncertainties",
    "default_eps_ref",
    "eps_ref_of",
    "flux_parameter_configs",
    "flux_sample",
    "format_value",
    "load_workspace",
    "observation",
    "set_eps",
    "template_list",
    "validate_workspace",
]

FORMS = ("linear", "scalar", "sm")
FLUX_MODIFIERS = ("normsys", "histosys")
MEASUREMENT_PREFIX = "cevns_"
_MEASUREMENT = {"linear": "cevns_nsi_linear", "sm": "cevns_sm"}
_SCALAR_MEASUREMENT = "cevns_nsi_scalar_eps_ref_"
_OUR_SAMPLE = re.compile(r"^(SM|LIN|QUAD|NSI)_(.+)$")
EPS_BOUND = 10.0  # default |ε| bound of nsi_lin (pyhf's own normfactor default upper bound is 10)
MU_BOUNDS = (0.0, 1000.0)  # scalar POI μ = ε²/ε_ref²
_PHI_MIN = 1e-6  # histosys: smallest flux factor 1 + σα allowed by the lower bound of α


def format_value(value: float) -> str:
    """Sign-safe tag of a number for names: −0.05 → ``m0p05``, 1000 → ``1000``, 1e-5 → ``1em05``.

    Example:
        >>> format_value(-0.05), format_value(1000.0), format_value(1e-5)
        ('m0p05', '1000', '1em05')
    """
    value = float(value)
    text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return text.replace("-", "m").replace("+", "").replace(".", "p")


def _parse_tag(tag: str) -> float:
    sign, body = (-1.0, tag[1:]) if tag.startswith("m") else (1.0, tag)
    return sign * float(body.replace("p", ".").replace("em", "e-"))


def template_list(templates) -> list:
    """One ``TemplateSet`` or a non-empty list of them, as a list."""
    items = list(templates) if isinstance(templates, (list, tuple)) else [templates]
    if not items:
        raise WorkspaceError("no template sets given; pass one TemplateSet or a list of them")
    return items


def channel_names(items, channel_name) -> list[str]:
    """pyhf channel names: ``channel_name`` (str or list) or each set's detector/target; must be unique."""
    if channel_name is None:
        names = [str(ts.metadata.get("detector") or ts.metadata.get("target") or "detector") for ts in items]
    else:
        names = [channel_name] if isinstance(channel_name, str) else list(channel_name)
    if len(names) != len(items) or len(set(names)) != len(names):
        msg = (
            f"channel names must be unique, one per template set; got {names} for {len(items)} template sets"
        )
        raise WorkspaceError(msg)
    return names


def check_uncertainties(ts, flux_modifier: str) -> None:
    """Flux uncertainties σ must be finite, > 0 and (normsys: lo = 1 − σ > 0) < 1."""
    sig = np.asarray(ts.uncertainties, dtype=float)
    upper = 1.0 if flux_modifier == "normsys" else np.inf
    if not np.all(np.isfinite(sig) & (sig > 0) & (sig < upper)):
        msg = (
            f"flux uncertainties must be finite and in (0, {upper}) for {flux_modifier}, got "
            f"{dict(zip(ts.channels, sig.tolist()))}"
        )
        raise WorkspaceError(msg)


def _flux_modifier(nuisance: str, sigma: float, nominal: np.ndarray, kind: str) -> dict:
    if kind == "normsys":
        return {"name": nuisance, "type": "normsys", "data": {"hi": 1.0 + sigma, "lo": 1.0 - sigma}}
    return {
        "name": nuisance,
        "type": "histosys",
        "data": {
            "hi_data": ((1.0 + sigma) * nominal).tolist(),
            "lo_data": ((1.0 - sigma) * nominal).tolist(),
        },
    }


def flux_sample(name: str, data: np.ndarray, nuisance: str, sigma: float, kind: str, normfactor=None) -> dict:
    """A pyhf sample (n_bins,) with its flux nuisance (``kind`` normsys/histosys) and optional normfactor."""
    modifiers = [_flux_modifier(nuisance, sigma, data, kind)]
    if normfactor:
        modifiers.append({"name": normfactor, "type": "normfactor", "data": None})
    return {"name": name, "data": np.asarray(data, dtype=float).tolist(), "modifiers": modifiers}


def _samples(ts, form: str, kind: str, eps_ref: float | None) -> list[dict]:
    out = []
    for i, (k, sigma, nuisance) in enumerate(zip(ts.channels, ts.uncertainties, ts.nuisances)):
        sm = ts.values["SM"][i]
        out.append(flux_sample(f"SM_{k}", sm, nuisance, sigma, kind, "mu_cevns" if form == "sm" else None))
        if form == "linear":
            out.append(flux_sample(f"LIN_{k}", ts.values["LIN"][i], nuisance, sigma, kind, "nsi_lin"))
            out.append(flux_sample(f"QUAD_{k}", ts.values["QUAD"][i], nuisance, sigma, kind, "nsi_quad"))
        elif form == "scalar":
            assert eps_ref is not None, "build_workspace sets the scalar form's default eps_ref"
            out.append(
                flux_sample(f"NSI_{k}", eps_ref**2 * ts.values["QUAD"][i], nuisance, sigma, kind, "mu")
            )
    return out


def observation(ts, name: str, data) -> dict:
    """pyhf observation of one channel: ``data`` (n_bins,) checked finite and ≥ 0, or the SM Asimov counts."""
    if data is None:
        return {"name": name, "data": ts.values["SM"].sum(axis=0).tolist()}
    arr = np.asarray(data, dtype=float).ravel()
    n_bins = ts.values["SM"].shape[1]
    if arr.size != n_bins or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        msg = (
            f"observed data for channel {name!r} must be {n_bins} finite counts ≥ 0, got {np.asarray(data)!r}"
        )
        raise WorkspaceError(msg)
    return {"name": name, "data": arr.tolist()}


def _data_per_channel(data, names: list[str]) -> list:
    if isinstance(data, dict):
        if set(data) - set(names):
            msg = f"data given for unknown channels {sorted(set(data) - set(names))}; channels are {names}"
            raise WorkspaceError(msg)
        return [data.get(n) for n in names]
    if data is not None and len(names) != 1:
        raise WorkspaceError("with several template sets pass data as {channel name: counts}")
    return [data] * len(names)


def default_eps_ref(templates) -> float:
    """Power of ten nearest to the ε at which the scalar NSI events equal 3·√(SM events) (all sets summed)."""
    items = template_list(templates)
    n_sm = sum(float(ts.values["SM"].sum()) for ts in items)
    n_quad = sum(float(ts.values["QUAD"].sum()) for ts in items)
    if not (n_quad > 0 and n_sm > 0):
        msg = f"cannot choose eps_ref: SM events {n_sm:g}, NSI events per ε² {n_quad:g} (both must be > 0)"
        raise WorkspaceError(msg)
    eps_ref = 10.0 ** round(math.log10(math.sqrt(3.0 * math.sqrt(n_sm) / n_quad)))
    log.debug("automatic eps_ref = %g (SM events %g, NSI events per eps^2 %g)", eps_ref, n_sm, n_quad)
    return eps_ref


def flux_parameter_configs(items, flux_modifier: str) -> list[dict]:
    """Bounds α ≥ (10⁻⁶ − 1)/σ for histosys flux nuisances (largest σ of a shared one; none for normsys)."""
    sigma: dict[str, float] = {}
    for nuisance, s in ((n, float(s)) for ts in items for n, s in zip(ts.nuisances, ts.uncertainties)):
        sigma[nuisance] = max(sigma.get(nuisance, 0.0), s)
    if flux_modifier == "normsys":
        return []
    return [{"name": n, "bounds": [[max(-5.0, (_PHI_MIN - 1.0) / s), 5.0]]} for n, s in sorted(sigma.items())]


def _measurement(form: str, eps_ref, items, flux_modifier: str) -> dict:
    params = flux_parameter_configs(items, flux_modifier)
    if form == "linear":
        name, poi = _MEASUREMENT["linear"], "nsi_lin"
        params = [
            {"name": "nsi_lin", "fixed": True, "inits": [0.0], "bounds": [[-EPS_BOUND, EPS_BOUND]]},
            {"name": "nsi_quad", "fixed": True, "inits": [0.0], "bounds": [[0.0, EPS_BOUND**2]]},
            *params,
        ]
    elif form == "scalar":
        name, poi = _SCALAR_MEASUREMENT + format_value(eps_ref), "mu"
        params = [{"name": "mu", "inits": [1.0], "bounds": [list(MU_BOUNDS)]}, *params]
    else:
        name, poi = _MEASUREMENT["sm"], "mu_cevns"
        params = [{"name": "mu_cevns", "inits": [1.0], "bounds": [[0.0, 10.0]]}, *params]
    return {"name": name, "config": {"poi": poi, "parameters": params}}


def _check_options(form, flux_modifier, items, eps_ref):
    if form not in FORMS:
        msg = f"unknown workspace form {form!r}; allowed: {', '.join(FORMS)}"
        raise WorkspaceError(msg)
    if flux_modifier not in FLUX_MODIFIERS:
        msg = f"unknown flux modifier {flux_modifier!r}; allowed: {', '.join(FLUX_MODIFIERS)}"
        raise WorkspaceError(msg)
    for ts in items:
        check_uncertainties(ts, flux_modifier)
    if form == "scalar":
        if any(np.any(ts.values["LIN"] != 0) for ts in items):
            raise WorkspaceError(
                "form 'scalar' needs templates without interference (LIN = 0); use form='linear'"
            )
        if eps_ref is not None and not (math.isfinite(eps_ref) and eps_ref > 0):
            msg = f"eps_ref must be a finite number > 0, got {eps_ref!r}"
            raise WorkspaceError(msg)


def build_workspace(
    templates,
    *,
    form: str = "linear",
    eps_ref: float | None = None,
    data=None,
    channel_name=None,
    flux_modifier: str = "normsys",
    validate: bool = True,
) -> dict:
    """A validated pyhf workspace spec from one or several template sets (see the module docstring).

    Args:
        templates: a ``TemplateSet`` or a list of them (one pyhf channel each).
        form: ``"linear"`` (SM/LIN/QUAD, fixed ``nsi_lin``/``nsi_quad``), ``"scalar"`` (POI μ = ε²/ε_ref²)
            or ``"sm"`` (POI ``mu_cevns``).
        eps_ref: scalar form only: ε of μ = 1 (default :func:`default_eps_ref`).
        data: observed counts, (n_bins,) for one set or {channel name: (n_bins,)}; default SM Asimov.
        channel_name: channel name(s); default each set's ``metadata["detector"]`` (or target).
        flux_modifier: ``"normsys"`` (default, code4) or ``"histosys"`` (linear Gaussian, paper).
        validate: check the spec with :func:`validate_workspace` (pyhf's schema, ≈ 0.07 s for 20
            channels' samples); False only for a spec compiled at once and never written (the reach
            setups and leptoquark projections, built dozens of times per paper run).

    Returns:
        The workspace spec (plain JSON dict), validated by :func:`validate_workspace` unless ``validate``
        is False.

    Raises:
        WorkspaceError: unknown form/modifier, duplicate channel names, bad data, σ out of range, LIN ≠ 0
            with form ``"scalar"``.
    """
    items = template_list(templates)
    _check_options(form, flux_modifier, items, eps_ref)
    names = channel_names(items, channel_name)
    if form == "scalar" and eps_ref is None:
        eps_ref = default_eps_ref(items)
    channels = [
        {"name": n, "samples": _samples(ts, form, flux_modifier, eps_ref)} for n, ts in zip(names, items)
    ]
    observations = [observation(ts, n, d) for ts, n, d in zip(items, names, _data_per_channel(data, names))]
    spec = {
        "version": "1.0.0",
        "channels": channels,
        "observations": observations,
        "measurements": [_measurement(form, eps_ref, items, flux_modifier)],
    }
    if validate:
        validate_workspace(spec)
    return spec


def set_eps(spec: dict, eps: float) -> dict:
    """A copy of a linear-form spec with ``nsi_lin`` = ε and ``nsi_quad`` = ε² (bounds widened if needed)."""
    if not math.isfinite(eps):
        msg = f"eps must be finite, got {eps!r}"
        raise WorkspaceError(msg)
    out, found = copy.deepcopy(spec), set()
    for meas in out["measurements"]:
        for par in meas["config"]["parameters"]:
            value = {"nsi_lin": eps, "nsi_quad": eps**2}.get(par["name"])
            if value is None:
                continue
            found.add(par["name"])
            lo, hi = par.get("bounds", [[0.0, EPS_BOUND]])[0]
            par.update(inits=[value], bounds=[[min(lo, value), max(hi, value)]], fixed=True)
    if found != {"nsi_lin", "nsi_quad"}:
        raise WorkspaceError(
            "set_eps needs a linear-form workspace (measurement parameters nsi_lin and nsi_quad)"
        )
    return out


def eps_ref_of(spec: dict) -> float:
    """ε_ref of a scalar-form workspace, read from its measurement name."""
    for meas in spec.get("measurements", []):
        if meas["name"].startswith(_SCALAR_MEASUREMENT):
            return _parse_tag(meas["name"][len(_SCALAR_MEASUREMENT) :])
    raise WorkspaceError(
        "not a cevns-stats scalar-form workspace (no cevns_nsi_scalar_eps_ref_* measurement)"
    )


def load_workspace(path) -> dict:
    """Read a workspace JSON file; WorkspaceError if unreadable or not JSON."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        msg = f"cannot read a JSON workspace from {path}: {err}"
        raise WorkspaceError(msg) from None


def _load_spec(spec) -> dict:
    if isinstance(spec, (str, bytes)):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError as err:
            msg = f"malformed workspace JSON: {err}"
            raise WorkspaceError(msg) from None
    if not isinstance(spec, dict):
        msg = f"a workspace must be a JSON object, got {type(spec).__name__}"
        raise WorkspaceError(msg)
    channels = spec.get("channels")
    if not isinstance(channels, list) or not channels:
        raise WorkspaceError("workspace has no channels (need a non-empty 'channels' list)")
    for channel in channels:
        if isinstance(channel, dict) and not channel.get("samples"):
            msg = f"channel {channel.get('name')!r} has no samples"
            raise WorkspaceError(msg)
    return spec


def _check_observations(ws) -> None:
    observed = {obs["name"]: len(obs["data"]) for obs in ws["observations"]}
    for channel in ws["channels"]:
        lengths = {len(s["data"]) for s in channel["samples"]}
        if len(lengths) != 1:
            msg = f"samples of channel {channel['name']!r} have different numbers of bins: {sorted(lengths)}"
            raise WorkspaceError(msg)
        if channel["name"] not in observed:
            msg = f"channel {channel['name']!r} has no observation (observations: {sorted(observed)})"
            raise WorkspaceError(msg)
        if observed[channel["name"]] != lengths.pop():
            msg = (
                f"observation of channel {channel['name']!r} has {observed[channel['name']]} bins, its samples "
                f"have {len(channel['samples'][0]['data'])}"
            )
            raise WorkspaceError(msg)


def _check_flux_modifiers(ws) -> None:
    for channel in ws["channels"]:
        for sample in filter(lambda s: _OUR_SAMPLE.match(s["name"]), channel["samples"]):
            if not any(
                m["name"].startswith("nu_flux_") and m["type"] in FLUX_MODIFIERS for m in sample["modifiers"]
            ):
                msg = (
                    f"sample {sample['name']!r} of channel {channel['name']!r} lacks its flux nuisance "
                    "(a normsys or histosys named nu_flux_<channel>)"
                )
                raise WorkspaceError(msg)


def _check_measurements(ws, allow_missing_poi: bool) -> None:
    declared = {m["name"] for c in ws["channels"] for s in c["samples"] for m in s["modifiers"]}
    for meas in ws["measurements"]:
        poi = meas["config"].get("poi")
        if not poi and allow_missing_poi:  # a POI-less workspace (fits, no tests)
            continue
        if not poi or (poi not in declared and not allow_missing_poi):
            msg = (
                f"measurement {meas['name']!r}: POI {poi!r} is not a parameter of the model "
                f"(parameters: {', '.join(sorted(declared))})"
            )
            raise WorkspaceError(msg)
        if poi in declared:
            try:
                ws.model(measurement_name=meas["name"])
            except PYHF_SPEC_ERRORS as err:
                msg = f"measurement {meas['name']!r} does not build a pyhf model: {err}"
                raise WorkspaceError(msg) from None


def validate_workspace(
    spec, *, allow_missing_poi: bool = False, conventions: bool | None = None
) -> pyhf.Workspace:
    """Check a workspace (dict or JSON text) and return it as a ``pyhf.Workspace``.

    Checks (each with its own message) JSON syntax, channels with samples, the pyhf schema, equal bin counts of
    samples and observation, a declared POI per measurement that builds a model and, for cevns-stats workspaces
    (any measurement ``cevns_*``), a ``nu_flux_*`` normsys/histosys on every ``SM_/LIN_/QUAD_/NSI_`` sample.

    Args:
        spec: workspace dict or JSON text.
        allow_missing_poi: accept a POI not declared in the model (a patchset's BkgOnly workspace).
        conventions: force (True) or skip (False) the cevns-stats naming checks.

    Raises:
        WorkspaceError: the first problem found, with what is allowed.
    """
    spec = _load_spec(spec)
    key = json.dumps([_skeleton(spec), allow_missing_poi, conventions], sort_keys=True)
    if key in _VALID_SKELETONS:  # the same structure passed every check before: so does this spec
        return pyhf.Workspace(copy.deepcopy(spec), validate=False)
    try:
        ws = pyhf.Workspace(copy.deepcopy(spec))
    except PYHF_SPEC_ERRORS as err:
        msg = f"not a valid pyhf workspace: {err}"
        raise WorkspaceError(msg) from None
    _check_observations(ws)
    if conventions is None:
        conventions = any(m["name"].startswith(MEASUREMENT_PREFIX) for m in ws["measurements"])
    if conventions:
        _check_flux_modifiers(ws)
    _check_measurements(ws, allow_missing_poi)
    _VALID_SKELETONS.add(key)
    return ws


#: Skeletons (:func:`_skeleton`) of the specs that passed :func:`validate_workspace` in this process. Every
#: check depends on the skeleton only (names, types, structure, lengths), never on the values of numbers, so
#: a spec with a known skeleton is valid without checking it again (the schema validation and the model
#: builds cost ≈ 0.1–0.5 s per workspace: the paper builds ≈ 60 workspaces of a dozen structures).
_VALID_SKELETONS: set[str] = set()


def _skeleton(node):
    """``node`` (JSON) with every number replaced by its type name and every list of numbers by
    [type names, length]."""
    if isinstance(node, dict):
        return {key: _skeleton(value) for key, value in node.items()}
    if isinstance(node, list):
        if node and all(type(x) in (int, float) for x in node):
            return [sorted({type(x).__name__ for x in node}), len(node)]
        return [_skeleton(value) for value in node]
    return type(node).__name__ if type(node) in (int, float) else node


def __dir__() -> list[str]:
    return __all__
