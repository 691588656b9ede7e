"""The committed artefacts: ``templates/`` and ``workspaces/``, rebuilt by one call (DESIGN.md).

``scripts/build_outputs.py`` writes them; ``tests/test_committed_outputs.py`` rebuilds them and compares
with the committed files (numbers to 1e-10 relative, structure exactly), so physics or binning changes
cannot silently leave stale likelihoods behind.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import pyhf

from cevns_stats.detector.presets import make_detector
from cevns_stats.likelihood.publish import (
    build_patchset,
    readme_text,
    workspace_readme_text,
    write_files,
    write_publication,
)
from cevns_stats.likelihood.templates import TemplateSet, build_templates
from cevns_stats.likelihood.workspace import build_workspace
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import make_model

log = logging.getLogger(__name__)

__all__ = [
    "TEMPLATE_SPECS",
    "WORKSPACE_SPECS",
    "TemplateSpec",
    "WorkspaceSpec",
    "build_template_set",
    "build_workspace_files",
    "rounded",
    "rounded_digest",
    "write_outputs",
]


@dataclass(frozen=True)
class TemplateSpec:
    """One template set: preset, threshold [keV] (None: the preset's own), model and its options."""

    preset: str
    threshold_keV: float | None
    model: str
    options: tuple = ()

    @property
    def basename(self) -> str:
        opts = "_".join(str(v) for _, v in self.options)
        threshold = "" if self.threshold_keV is None else f"th{self.threshold_keV:g}keV"
        return "_".join(p for p in (self.preset, self.model, opts, threshold) if p)


@dataclass(frozen=True)
class WorkspaceSpec:
    """One committed likelihood: its folder, the templates it is built from, and a grid (``eps`` values or
    ``lq`` (m, λ) pairs; none: a single scalar workspace)."""

    directory: str
    templates: TemplateSpec
    kind: str | None = None
    grid: tuple = ()


_MINIMAL_MU_D = (("flavour", "mu"), ("quark", "d"))
TEMPLATE_SPECS = (
    TemplateSpec("lz-ws2022", 1.0, "lq-s1", (("flavour", "mu"),)),
    TemplateSpec("lz-ws2022", 1.0, "lq-s1", (("flavour", "tau"),)),
    TemplateSpec("lz-ws2022", 1.0, "scalar-universal"),
    TemplateSpec("lz-ws2022", 1.0, "vector-universal", (("quark", "u"),)),
    TemplateSpec("lz-ws2022", 1.0, "vector-universal", (("quark", "d"),)),
    *(
        TemplateSpec(preset, threshold, model, options)
        for preset in ("xenon", "argon", "lead")
        for threshold in (1.0, 5.0)
        for model, options in (
            ("scalar-universal", ()),
            ("scalar-minimal", _MINIMAL_MU_D),
            ("vector-universal", (("quark", "d"),)),
            ("vector-minimal", _MINIMAL_MU_D),
        )
    ),
)

#: (m_S1 [GeV], λ) grid of the LZ leptoquark publications, and the ε grid of the vector-minimal ones.
LQ_GRID = tuple((m, lam) for m in (500.0, 1000.0, 2000.0, 5000.0) for lam in (0.5, 1.0, 2.0, 3.0, 4.0, 6.0))
EPS_GRID = (-0.5, -0.2, -0.1, -0.05, -0.02, -0.01, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
#: ε grid of the scalar publications, common to every detector (only ε² enters: ε > 0), no ε_ref.
SCALAR_EPS_GRID = (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1)
WORKSPACE_SPECS = (
    *(
        WorkspaceSpec(
            f"lz-ws2022_lq-s1_{flavour}",
            TemplateSpec("lz-ws2022", None, "lq-s1", (("flavour", flavour),)),
            "lq",
            LQ_GRID,
        )
        for flavour in ("mu", "tau")
    ),
    *(
        WorkspaceSpec(f"{preset}_{model}", TemplateSpec(preset, None, model, options), kind, grid)
        for preset in ("darwin", "argo", "lead-future")
        for model, options, kind, grid in (
            ("scalar-universal", (), "eps", SCALAR_EPS_GRID),
            ("vector-minimal", _MINIMAL_MU_D, "eps", EPS_GRID),
        )
    ),
)


def build_template_set(spec: TemplateSpec) -> TemplateSet:
    """The template set of a spec (default channels, resolution and binning)."""
    detector = make_detector(spec.preset, threshold_keV=spec.threshold_keV)
    model = make_model(spec.model, **dict(spec.options))
    return build_templates(detector, get_channels(), model, preset=spec.preset)


def build_workspace_files(spec: WorkspaceSpec) -> dict:
    """{file name: content} of a committed likelihood (workspace.json or BkgOnly/patchset, README.md)."""
    templates = build_template_set(spec.templates)
    command = f"cevns_stats.likelihood.outputs.build_workspace_files({spec.directory!r})"
    if spec.kind is None:
        ws = build_workspace(templates, form="scalar")
        return {
            "workspace.json": ws,
            "README.md": workspace_readme_text(ws, command=command, settings=templates.metadata),
        }
    bkg, patchset = build_patchset(templates, list(spec.grid), kind=spec.kind)
    return {
        "BkgOnly.json": bkg,
        "patchset.json": patchset,
        "README.md": readme_text(bkg, patchset, command=command, settings=templates.metadata),
    }


def write_outputs(root, *, progress: bool = True) -> None:
    """Regenerate ``root/templates`` (ROOT + JSON) and ``root/workspaces``."""
    from tqdm import tqdm

    root = Path(root)
    for spec in tqdm(TEMPLATE_SPECS, desc="templates", disable=not progress):
        ts = build_template_set(spec)
        (root / "templates").mkdir(parents=True, exist_ok=True)
        ts.write_json(root / "templates" / f"{spec.basename}.json")
        ts.write_root(root / "templates" / f"{spec.basename}.root")
    for spec in tqdm(WORKSPACE_SPECS, desc="workspaces", disable=not progress):
        files = build_workspace_files(spec)
        if "patchset.json" in files:
            write_publication(
                root / "workspaces" / spec.directory,
                files["BkgOnly.json"],
                files["patchset.json"],
                files["README.md"],
            )
        else:
            write_files(root / "workspaces" / spec.directory, files)
        _remove_stale(root / "workspaces" / spec.directory, files)


_LIKELIHOOD_FILES = ("workspace.json", "BkgOnly.json", "patchset.json")


def _remove_stale(folder: Path, files: dict) -> None:
    """Remove likelihood files of the other layout (e.g. a scalar ``workspace.json`` now published as a
    patchset), so a rebuilt folder holds exactly what its spec writes."""
    for name in _LIKELIHOOD_FILES:
        if name not in files and (folder / name).exists():
            log.info("removing the stale %s", folder / name)
            (folder / name).unlink()


def rounded(obj, digits: int = 10):
    """``obj`` with every float rounded to ``digits`` significant digits (for platform-stable digests)."""
    if isinstance(obj, float):
        return obj if obj == 0 or not math.isfinite(obj) else float(f"{obj:.{digits}g}")
    if isinstance(obj, dict):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rounded(v, digits) for v in obj]
    return obj


def rounded_digest(spec: dict, digits: int = 10) -> str:
    """pyhf.utils.digest of ``spec`` with floats rounded to ``digits`` significant digits."""
    return pyhf.utils.digest(json.loads(json.dumps(rounded(spec, digits))))


def __dir__() -> list[str]:
    return __all__
