"""Reading a likelihood for inference: a pyhf workspace file (or stdin), optionally patched, checked first.

File I/O happens here and only here (the edge); :func:`read_workspace` returns a plain JSON dict that
:func:`cevns_stats.inference.workflow.analysis` compiles. Patches follow pyhf's CLI conventions: a JSON
patch file (an RFC-6902 operation list, a pyhf patch ``{"metadata", "patch"}``, or a one-patch patchset),
as ``pyhf cls --patch`` takes, or one named patch of a patchset (``pyhf patchset apply``).

Every workspace is checked before any fit: the pyhf schema, bin counts, and finite, non-negative
observations and sample counts (pyhf accepts NaN and negative numbers and a fit then reports Z = 0 or
"did not converge"); every error names the input file.
"""

from __future__ import annotations

import copy
import json
import logging
import sys
from pathlib import Path
from typing import Any

import jsonpatch
import numpy as np

from cevns_stats.errors import InvalidInput, UnknownName, WorkspaceError
from cevns_stats.likelihood.patches import apply_patch
from cevns_stats.likelihood.workspace import validate_workspace

__all__ = ["STDIN", "check_counts", "read_json", "read_workspace", "source_of"]

log = logging.getLogger(__name__)

STDIN = "-"  # the path that means standard input (pyhf's CLI convention)


def read_json(path, what: str) -> Any:
    """A JSON object from the file ``path`` or from stdin (``"-"``); WorkspaceError naming the file."""
    label = "stdin" if str(path) == STDIN else str(path)
    try:
        text = sys.stdin.read() if str(path) == STDIN else Path(path).read_text()
        obj = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        msg = f"cannot read the {what} {label}: {err}"
        raise WorkspaceError(msg) from None
    if not isinstance(obj, dict) and not (what == "patch" and isinstance(obj, list)):
        msg = f"the {what} {label} must hold a JSON object, got {type(obj).__name__}"
        raise WorkspaceError(msg)
    return obj


def _is_patchset(obj) -> bool:
    return isinstance(obj, dict) and "patches" in obj and "channels" not in obj


def _patch_operations(patch, label: str) -> list:
    """RFC-6902 operations from a patch file's content (list, pyhf patch, or a patchset with one patch)."""
    if _is_patchset(patch):
        patches = patch.get("patches") or []
        if len(patches) != 1:
            names = [p.get("metadata", {}).get("name") for p in patches if isinstance(p, dict)]
            msg = f"{label} is a patchset with {len(patches)} patches ({names}); choose one by name"
            raise InvalidInput(msg)
        patch = patches[0]
    if isinstance(patch, dict) and "patch" in patch:
        patch = patch["patch"]
    if not isinstance(patch, list) or not all(isinstance(op, dict) and "op" in op for op in patch):
        msg = f"{label} is not a JSON patch (an RFC-6902 list of operations or a pyhf patch)"
        raise WorkspaceError(msg)
    return patch


def _apply_patch_file(spec: dict, patch_path, label: str) -> dict:
    patch_label = "stdin" if str(patch_path) == STDIN else str(patch_path)
    operations = _patch_operations(read_json(patch_path, "patch"), patch_label)
    try:
        return jsonpatch.apply_patch(copy.deepcopy(spec), operations)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError) as err:
        msg = f"cannot apply the patch {patch_label} to {label}: {err}"
        raise WorkspaceError(msg) from err


def _apply_named_patch(spec: dict, patchset_path, name: str, label: str) -> dict:
    patchset = read_json(patchset_path, "patchset")
    names = [p.get("metadata", {}).get("name") for p in patchset.get("patches", []) if isinstance(p, dict)]
    if name not in names:
        msg = f"unknown patch {name!r} in {patchset_path}; patches: {', '.join(map(str, names)) or 'none'}"
        raise UnknownName(msg)
    try:
        return apply_patch(spec, patchset, name)
    except WorkspaceError as err:
        msg = f"{label} with {patchset_path}: {err}"
        raise WorkspaceError(msg) from err


def read_workspace(path, *, patch: str | None = None, patchset=None) -> dict:
    """Read a pyhf workspace, apply a patch, and check it (schema, bins, finite non-negative counts).

    Args:
        path: workspace JSON file, or ``"-"`` for standard input.
        patch: with ``patchset``: the name of one of its patches (e.g. ``eps_m0p05``); without: a JSON
            patch file (RFC-6902 list or pyhf patch), as ``pyhf cls --patch`` takes.
        patchset: a pyhf patchset file (``patch`` names the grid point).

    Returns:
        The (patched) workspace spec, a plain JSON dict.

    Raises:
        WorkspaceError: unreadable files, a patchset given as the workspace, an invalid or patched-invalid
            workspace, non-finite or negative counts (the message names the file).
        UnknownName: a patch name not in the patchset.
        InvalidInput: ``patchset=`` without ``patch=``.
    """
    label = "stdin" if str(path) == STDIN else str(path)
    spec = read_json(path, "workspace")
    if _is_patchset(spec):
        msg = (
            f"{label} is a pyhf patchset, not a workspace: give the background-only workspace it patches "
            "(BkgOnly.json) and choose one of its patches"
        )
        raise WorkspaceError(msg)
    if patchset is not None:
        if patch is None:
            msg = "patchset= requires patch= (the name of one of its patches)"
            raise InvalidInput(msg)
        spec = _apply_named_patch(spec, patchset, patch, label)
    elif patch is not None:
        spec = _apply_patch_file(spec, patch, label)
    try:
        validate_workspace(spec, allow_missing_poi=True)
    except WorkspaceError as err:
        msg = f"{label}: {err}"
        raise WorkspaceError(msg) from err
    check_counts(spec, label)
    return spec


def _first_bad(values, *, negative_ok: bool = False) -> tuple[int, float] | None:
    arr = np.asarray(values, dtype=float).ravel()
    bad = ~np.isfinite(arr) if negative_ok else ~(np.isfinite(arr) & (arr >= 0))
    if not bad.any():
        return None
    k = int(np.flatnonzero(bad)[0])
    return k, float(arr[k])


def _modifier_arrays(modifier: dict) -> list[tuple[str, object, bool]]:
    """(what, numbers, may be negative) of a modifier's data that must be finite."""
    data: Any = modifier.get("data")
    kind = modifier.get("type")
    if kind == "histosys":
        return [("hi_data", data["hi_data"], True), ("lo_data", data["lo_data"], True)]
    if kind == "normsys":
        return [("hi", [data["hi"]], True), ("lo", [data["lo"]], True)]
    if kind in ("shapesys", "staterror"):
        return [("data", data, False)]
    return []


def check_counts(spec: dict, label: str = "the workspace") -> None:
    """Observed data finite and ≥ 0, sample and modifier data finite, each channel's nominal total ≥ 0.

    Samples must be ≥ 0, except those scaled by a normfactor (an NSI patch's NSI_k lowers the SM rate where
    the interference is destructive); the sum per bin may not be negative. Raises WorkspaceError naming ``label``, the channel, the sample and the bin.
    """
    for obs in spec.get("observations", []):
        bad = _first_bad(obs["data"])
        if bad is not None:
            msg = (
                f"{label}: observed data of channel {obs['name']!r} bin {bad[0]} is {bad[1]:g}; observed "
                "counts must be finite and ≥ 0"
            )
            raise WorkspaceError(msg)
    for channel in spec["channels"]:
        for sample in channel["samples"]:
            where = f"{label}: sample {sample['name']!r} of channel {channel['name']!r}"
            signed = any(m.get("type") == "normfactor" for m in sample.get("modifiers", []))
            bad = _first_bad(sample["data"], negative_ok=signed)
            if bad is not None:
                msg = (
                    f"{where} has {bad[1]:g} events in bin {bad[0]}; sample counts must be finite and ≥ 0 "
                    "(negative only in a sample scaled by a normfactor, e.g. an interference term)"
                )
                raise WorkspaceError(msg)
            for modifier in sample.get("modifiers", []):
                for what, values, negative_ok in _modifier_arrays(modifier):
                    bad = _first_bad(values, negative_ok=negative_ok)
                    if bad is not None:
                        msg = (
                            f"{where}: {modifier['type']} {modifier['name']!r} has {what} = {bad[1]:g} "
                            f"(bin {bad[0]}); it must be finite{'' if negative_ok else ' and ≥ 0'}"
                        )
                        raise WorkspaceError(msg)
        total = np.sum([np.asarray(s["data"], dtype=float) for s in channel["samples"]], axis=0)
        bad = _first_bad(total)
        if bad is not None:
            msg = (
                f"{label}: the samples of channel {channel['name']!r} add up to {bad[1]:g} events in bin "
                f"{bad[0]}; the expected count must be ≥ 0"
            )
            raise WorkspaceError(msg)


def source_of(path, *, patch=None, patchset=None) -> dict:
    """The input's description for JSON outputs: {workspace, [patchset, patch]}."""
    source = {"workspace": "stdin" if str(path) == STDIN else str(path)}
    if patchset is not None:
        source.update(patchset=str(patchset), patch=patch)
    elif patch is not None:
        source.update(patch_file=str(patch))
    return source


def __dir__() -> list[str]:
    return __all__
