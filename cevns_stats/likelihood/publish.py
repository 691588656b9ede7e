"""Publishable likelihoods: a background-only workspace plus a pyhf patchset over an ε or (m_S1, λ) grid.

The HEPData convention of ATLAS/pyhf (DESIGN.md): ``BkgOnly.json`` holds the SM samples ``SM_k`` with their
flux nuisances, the SM Asimov observation and the measurement ``cevns_nsi_patch`` whose POI ``mu`` is declared
only by the patches — as for ATLAS likelihoods, BkgOnly alone is a valid workspace but builds a pyhf model
only with a patch (``pyhf cls BkgOnly.json --patch …``) or with ``poi_name=None``. Each patch adds, per
detector and flux channel k, a sample ``NSI_k`` = ε·LIN_k + ε²·QUAD_k (the NSI-induced change, negative where
the interference is destructive) carrying the normfactor ``mu`` and the flux nuisance of k (patches touch only
``/channels``: ``pyhf cls --patch`` applies them to the model spec, which has no measurements). One POI
convention for every publication (all detectors, models, grids; scalar models too, over a common ε grid, no
ε_ref), so that ``pyhf combine A B --join outer`` works on any two BkgOnly files: ``mu`` has init 1 and
bounds [0, 10] (:data:`POI_INIT`, :data:`POI_BOUNDS`, pyhf's normfactor default). Where destructive
interference makes SM_k + μ·NSI_k negative below μ = 10, the patch records that μ in its metadata
(``mu_max``): fits and limits beyond it are not physical. μ = 1 is the model at the grid point, μ = 0 the SM.
Patch names are sign-safe (``eps_m0p05``, ``m_1000_lambda_0p5``). For ``lq-s1`` templates (per unit ε)
ε = −λ²/(4√2 G_F m²).

The patchset's ``references.hepdata`` is the placeholder ``ins0000000`` (pyhf's schema requires one); replace
it with the HEPData record's INSPIRE id on publication.
"""

from __future__ import annotations

import copy
import json
import logging
import math
from pathlib import Path

import numpy as np
import pyhf

from cevns_stats import __version__
from cevns_stats.errors import WorkspaceError
from cevns_stats.likelihood.files import atomic_directory
from cevns_stats.likelihood.patches import PYHF_SPEC_ERRORS, apply_patch
from cevns_stats.likelihood.workspace import (
    channel_names,
    check_uncertainties,
    flux_parameter_configs,
    flux_sample,
    format_value,
    observation,
    template_list,
    validate_workspace,
)
from cevns_stats.physics.interactions import leptoquark_epsilon

__all__ = [
    "HEPDATA_PLACEHOLDER",
    "KINDS",
    "MEASUREMENT",
    "POI_BOUNDS",
    "POI_INIT",
    "build_patchset",
    "patch_name",
    "readme_text",
    "workspace_readme_text",
    "write_files",
    "write_publication",
]

KINDS = ("eps", "lq")
MEASUREMENT = "cevns_nsi_patch"
HEPDATA_PLACEHOLDER = "ins0000000"
POI_INIT = 1.0  # mu = 1: the model at the grid point
POI_BOUNDS = (0.0, 10.0)  # the same for every publication (pyhf's default normfactor bounds)
_LABELS = {"eps": ["eps"], "lq": ["m_S1_GeV", "lambda"]}

log = logging.getLogger(__name__)


def patch_name(kind: str, values) -> str:
    """Sign-safe patch name: ``eps_m0p05`` (kind ``eps``) or ``m_1000_lambda_0p5`` (kind ``lq``)."""
    if kind == "eps":
        return f"eps_{format_value(values[0])}"
    return f"m_{format_value(values[0])}_lambda_{format_value(values[1])}"


def _grid_points(grid, kind: str) -> list[tuple[float, ...]]:
    if kind not in KINDS:
        msg = f"unknown grid kind {kind!r}; allowed: {', '.join(KINDS)}"
        raise WorkspaceError(msg)
    width = 1 if kind == "eps" else 2
    try:
        points = np.asarray(grid, dtype=float).reshape(-1, width)
    except (TypeError, ValueError):
        msg = f"grid for kind {kind!r} must be {'numbers ε' if width == 1 else '(m_S1 [GeV], λ) pairs'}, got {grid!r}"
        raise WorkspaceError(msg) from None
    if points.size == 0 or not np.all(np.isfinite(points)):
        msg = f"grid must be non-empty and finite (no NaN/inf), got {points.ravel().tolist()}"
        raise WorkspaceError(msg)
    if (kind == "eps" and np.any(points == 0)) or (kind == "lq" and np.any(points <= 0)):
        msg = (
            "ε = 0 is the background-only hypothesis: leave it out of the grid"
            if kind == "eps"
            else "leptoquark masses and couplings must be > 0"
        )
        raise WorkspaceError(msg)
    names = [patch_name(kind, p) for p in points]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        msg = f"grid has duplicate points: {dupes}"
        raise WorkspaceError(msg)
    return [tuple(float(v) for v in p) for p in points]


def _check_model(items, kind: str) -> None:
    for ts in items:
        model = ts.metadata.get("model")
        if kind == "lq" and model not in (None, "lq-s1"):
            msg = f"kind 'lq' needs lq-s1 templates (per unit ε), got model {model!r}"
            raise WorkspaceError(msg)


def _eps_of(kind: str, point: tuple) -> float:
    return point[0] if kind == "eps" else leptoquark_epsilon(*point)


def _nsi(ts, eps: float) -> np.ndarray:
    """The NSI-induced change ε·LIN + ε²·QUAD, (n_channels, n_bins)."""
    return eps * ts.values["LIN"] + eps**2 * ts.values["QUAD"]


def _mu_max(items, eps: float) -> float | None:
    """Largest μ with SM_k + μ·NSI_k ≥ 0 in every detector, flux channel k and bin at one grid point.

    None when no rate can turn negative (no destructive interference); ≥ 1 (SM + NSI is a rate ≥ 0).
    """
    mu_max = math.inf
    for ts in items:
        nsi = _nsi(ts, eps)
        negative = nsi < 0
        if negative.any():
            mu_max = min(mu_max, float(np.min(ts.values["SM"][negative] / -nsi[negative])))
    if not math.isfinite(mu_max):
        return None
    if mu_max < POI_BOUNDS[1]:
        log.debug(
            "eps = %g: rates turn negative above mu = %g (< the POI bound %g)", eps, mu_max, POI_BOUNDS[1]
        )
    return max(1.0, mu_max)


def _bkg_only(items, names, flux_modifier: str) -> dict:
    channels = [
        {
            "name": n,
            "samples": [
                flux_sample(
                    f"SM_{k}", ts.values["SM"][i], ts.nuisances[i], ts.uncertainties[i], flux_modifier
                )
                for i, k in enumerate(ts.channels)
            ],
        }
        for n, ts in zip(names, items)
    ]
    params = [
        {"name": "mu", "inits": [POI_INIT], "bounds": [list(POI_BOUNDS)]},
        *flux_parameter_configs(items, flux_modifier),
    ]
    return {
        "version": "1.0.0",
        "channels": channels,
        "observations": [observation(ts, n, None) for ts, n in zip(items, names)],
        "measurements": [{"name": MEASUREMENT, "config": {"poi": "mu", "parameters": params}}],
    }


def _patch(items, kind: str, point: tuple, flux_modifier: str) -> dict:
    """Patch operations on ``/channels`` only: ``pyhf cls --patch`` applies patches to the model spec,
    which has no ``measurements``."""
    eps = _eps_of(kind, point)
    ops = [
        {
            "op": "add",
            "path": f"/channels/{c}/samples/-",
            "value": flux_sample(
                f"NSI_{k}", _nsi(ts, eps)[i], ts.nuisances[i], ts.uncertainties[i], flux_modifier, "mu"
            ),
        }
        for c, ts in enumerate(items)
        for i, k in enumerate(ts.channels)
    ]
    metadata = {"name": patch_name(kind, point), "values": list(point), "eps": eps}
    mu_max = _mu_max(items, eps)
    if mu_max is not None and mu_max < POI_BOUNDS[1]:
        metadata["mu_max"] = mu_max
    return {"metadata": metadata, "patch": ops}


def _description(items, kind: str) -> str:
    models = sorted({str(ts.metadata.get("model", "?")) for ts in items})
    detectors = [str(ts.metadata.get("detector", ts.metadata.get("target", "?"))) for ts in items]
    return (
        f"cevns-stats {__version__}: CEvNS NSI likelihoods ({', '.join(models)}) for {', '.join(detectors)}; "
        f"patches add NSI_k = eps*LIN_k + eps^2*QUAD_k with POI mu (mu = 1: the grid point, 0: SM); grid "
        f"labels {_LABELS[kind]}."
    )


def build_patchset(
    templates, grid, *, kind: str = "eps", channel_name=None, flux_modifier: str = "normsys"
) -> tuple[dict, dict]:
    """BkgOnly workspace and patchset over a grid (see the module docstring).

    Args:
        templates: a ``TemplateSet`` or a list of them (SM/LIN/QUAD per unit ε; one pyhf channel each).
        grid: kind ``eps``: ε values (non-zero); kind ``lq``: (m_S1 [GeV], λ) pairs, both > 0.
        kind: ``"eps"`` or ``"lq"``.
        channel_name: pyhf channel name(s) (default: each set's detector).
        flux_modifier: ``"normsys"`` (default) or ``"histosys"``.

    Returns:
        (bkg_only_spec, patchset_spec), both validated with pyhf (``PatchSet`` and its digest check).

    Raises:
        WorkspaceError: bad grid (empty, NaN, zero, duplicates), wrong model for ``lq``, invalid templates.
    """
    items = template_list(templates)
    points = _grid_points(grid, kind)
    _check_model(items, kind)
    for ts in items:
        check_uncertainties(ts, flux_modifier)
    bkg_only = _bkg_only(items, channel_names(items, channel_name), flux_modifier)
    patchset = {
        "version": "1.0.0",
        "metadata": {
            "description": _description(items, kind),
            "labels": _LABELS[kind],
            "digests": {"sha256": pyhf.utils.digest(bkg_only)},
            "references": {"hepdata": HEPDATA_PLACEHOLDER},
        },
        "patches": [_patch(items, kind, p, flux_modifier) for p in points],
    }
    _validate_publication(bkg_only, patchset)
    return bkg_only, patchset


def _validate_publication(bkg_only: dict, patchset: dict) -> pyhf.patchset.PatchSet:
    workspace = validate_workspace(bkg_only, allow_missing_poi=True)
    try:
        patches = pyhf.patchset.PatchSet(copy.deepcopy(patchset))
        patches.verify(workspace)
    except PYHF_SPEC_ERRORS as err:
        msg = f"invalid patchset: {err}"
        raise WorkspaceError(msg) from None
    validate_workspace(apply_patch(bkg_only, patchset, patches.patches[0].name))
    return patches


def _provenance(command: str | None, settings: dict | None) -> list[str]:
    lines = [
        "## Provenance",
        f"- command: `{command or 'python API (cevns_stats)'}`",
        f"- versions: cevns-stats {__version__}, pyhf {pyhf.__version__}, numpy {np.__version__}",
    ]
    if settings:
        lines += [
            "- settings:",
            "```json",
            json.dumps(settings, indent=2, sort_keys=True, default=str),
            "```",
        ]
    return lines


def readme_text(
    bkg_only: dict, patchset: dict, *, command: str | None = None, settings: dict | None = None
) -> str:
    """README.md of a publication: content, how it was built (command, settings, versions), how to run it."""
    names = [p["metadata"]["name"] for p in patchset["patches"]]
    lines = [
        "# CEvNS NSI likelihoods (pyhf BkgOnly + patchset)",
        "",
        patchset["metadata"]["description"],
        "",
        "## Files",
        (
            "- `BkgOnly.json`: SM CEvNS samples `SM_<flux channel>` per detector channel, one flux nuisance "
            "`nu_flux_<channel>` per flux channel, SM Asimov observations, measurement `cevns_nsi_patch` (POI `mu`, "
            f"bounds {bkg_only['measurements'][0]['config']['parameters'][0]['bounds'][0]})."
        ),
        (
            f"- `patchset.json`: {len(names)} patches over {patchset['metadata']['labels']} "
            f"({names[0]} … {names[-1]}); each adds `NSI_<channel>` = eps·LIN + eps²·QUAD samples scaled by `mu` "
            "(mu = 1: the grid point, mu = 0: the SM)."
        ),
        "- BkgOnly.json builds a pyhf model only together with a patch (the POI `mu` lives in the patches).",
        (
            f"- `mu` has init {POI_INIT:g} and bounds {list(POI_BOUNDS)} in every cevns-stats publication, so "
            "`pyhf combine A B --join outer` works on any two of them; a patch whose rates turn negative "
            "below the upper bound records that mu as `mu_max` in its metadata."
        ),
        f"- sha256 of BkgOnly.json (pyhf.utils.digest): `{patchset['metadata']['digests']['sha256']}`.",
        (
            f"- `references.hepdata` is the placeholder `{HEPDATA_PLACEHOLDER}`: replace it with the HEPData "
            "record's INSPIRE id when publishing."
        ),
        "",
        "## Usage",
        "```sh",
        "pyhf patchset verify BkgOnly.json patchset.json",
        f"pyhf cls BkgOnly.json --patch <(pyhf patchset extract patchset.json --name {names[0]})",
        "```",
        "",
    ]
    return "\n".join(lines + _provenance(command, settings)) + "\n"


def workspace_readme_text(spec: dict, *, command: str | None = None, settings: dict | None = None) -> str:
    """README.md for a single workspace.json (forms ``scalar``, ``linear``, ``sm``)."""
    meas = spec["measurements"][0]
    lines = [
        "# CEvNS likelihood (pyhf workspace)",
        "",
        (
            f"- `workspace.json`: channels {[c['name'] for c in spec['channels']]}, measurement `{meas['name']}`, "
            f"POI `{meas['config']['poi']}`; see `cevns_stats.likelihood.workspace` for the forms (scalar: mu = eps²/eps_ref²; "
            "linear: nsi_lin = eps and nsi_quad = eps² fixed; sm: mu_cevns = CEvNS signal strength)."
        ),
        f"- sha256 (pyhf.utils.digest): `{pyhf.utils.digest(spec)}`.",
        "",
        "## Usage",
        "```sh",
        "pyhf inspect workspace.json",
        "pyhf fit workspace.json",
        "```",
        "",
    ]
    return "\n".join(lines + _provenance(command, settings)) + "\n"


def write_files(directory, files: dict) -> Path:
    """Write {file name: str or JSON-ready dict} into ``directory``, all or nothing.

    Through :func:`cevns_stats.likelihood.files.atomic_directory`: a temporary sibling folder renamed into
    place (or its files moved into an existing folder), files 0666 and folders 0777 minus the umask.
    """
    with atomic_directory(directory) as tmp:
        for name, content in files.items():
            text = (
                content if isinstance(content, str) else json.dumps(content, indent=4, sort_keys=True) + "\n"
            )
            (tmp / name).write_text(text)
    return Path(directory)


def write_publication(directory, bkg_only: dict, patchset: dict, readme: str) -> Path:
    """Validate, then write BkgOnly.json, patchset.json and README.md into ``directory`` (all or nothing)."""
    _validate_publication(bkg_only, patchset)
    return write_files(directory, {"BkgOnly.json": bkg_only, "patchset.json": patchset, "README.md": readme})


def __dir__() -> list[str]:
    return __all__
