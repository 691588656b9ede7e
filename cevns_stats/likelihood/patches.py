"""Patches of published likelihoods: one grid point of a BkgOnly + patchset (pyhf JSON only, no physics)."""

from __future__ import annotations

import copy
import json

import pyhf

from cevns_stats.errors import WorkspaceError

__all__ = ["PYHF_SPEC_ERRORS", "apply_patch"]

_E = pyhf.exceptions
#: What pyhf raises for a spec, patch or measurement it cannot use (caught by name, never ``Exception``):
#: its own exception classes, plus the builtins its validation and model building let through.
PYHF_SPEC_ERRORS = (
    _E.InvalidSpecification,
    _E.InvalidModel,
    _E.InvalidModifier,
    _E.InvalidMeasurement,
    _E.InvalidWorkspaceOperation,
    _E.InvalidPatchLookup,
    _E.InvalidPatchSet,
    _E.PatchSetVerificationError,
    _E.InvalidNameReuse,
    _E.InvalidInterpCode,
    _E.UnspecifiedPOI,
    _E.InvalidPdfParameters,
    _E.InvalidPdfData,
    _E.Unsupported,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
)


def apply_patch(bkg_only: dict, patchset: dict, name: str) -> dict:
    """The full workspace spec of one grid point (``pyhf patchset apply``)."""
    patches = pyhf.patchset.PatchSet(copy.deepcopy(patchset))
    try:
        patched = patches.apply(pyhf.Workspace(copy.deepcopy(bkg_only)), name)
    except PYHF_SPEC_ERRORS as err:
        msg = f"cannot apply patch {name!r}: {err}"
        raise WorkspaceError(msg) from err
    return json.loads(json.dumps(patched))


def __dir__() -> list[str]:
    return __all__
