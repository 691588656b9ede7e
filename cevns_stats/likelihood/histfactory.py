"""HistFactory XML + ROOT export of a workspace (``pyhf.writexml``) and its re-import (``pyhf.readxml``).

Layout written into ``directory`` (as ``pyhf json2xml``): ``<prefix>.xml`` (top level),
``config/<prefix>_<channel>.xml``, ``data/data.root`` (histograms written through uproot) and
``HistFactorySchema.dtd``. Paths inside the XML are made relative to ``directory`` (run ``hist2workspace`` or
``pyhf xml2json`` from there, or pass it as rootdir).

What the XML carries and what it does not (checked by the tests):

* normsys → ``OverallSys`` (High/Low), histosys → ``HistoSys`` (two histograms), normfactor → ``NormFactor`` with
  Val/Low/High from the first measurement's parameter configs, fixed parameters → ``ParamSetting Const``.
* Interpolation codes are **not** part of HistFactory XML nor of pyhf JSON: pyhf evaluates the re-imported
  model with its defaults (normsys code4, histosys code4p), identical to ours, so the pyhf round trip is exact.
  ROOT's HistFactory applies its own defaults when building a RooWorkspace (historically code 1 — exponential
  — for OverallSys and code 0 — piecewise linear — for HistoSys): our histosys flux variations are linear and
  symmetric, so every code gives the same φ = 1 + σα there; for normsys, code 1 (hi^α, lo^−α) equals code4
  for |α| ≥ 1 and differs inside: by at most 2.3 % of the yield (at α ≈ −0.3) for σ = 50 %, 0.3 % for 20 %,
  0.01 % for 4 % (pyhf.interpolators code1 vs code4). Set ROOT's OverallSys interpolation code to 4 to reproduce pyhf.
* Bounds of constrained parameters (our histosys lower bound α ≥ (10⁻⁶ − 1)/σ) are lost: the re-import has
  pyhf's defaults [−5, 5]. ``readxml`` adds a ``lumi`` parameter config (auxdata 1, σ 0) that no sample uses.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyhf.readxml
import pyhf.writexml

from cevns_stats.errors import WorkspaceError
from cevns_stats.likelihood.patches import PYHF_SPEC_ERRORS
from cevns_stats.likelihood.workspace import validate_workspace

__all__ = ["export_histfactory", "import_histfactory", "roundtrip_histfactory"]

_SPEC_DIR, _DATA_DIR = "config", "data"


def _relativise(directory: Path) -> None:
    """Replace the absolute ``directory`` prefix in every XML file by nothing (paths relative to it)."""
    prefix = f"{directory}{os.sep}"
    for xml in directory.rglob("*.xml"):
        xml.write_text(xml.read_text().replace(prefix, ""))


def _write_xml(spec: dict, directory: Path, prefix: str) -> None:
    (directory / _SPEC_DIR).mkdir()
    (directory / _DATA_DIR).mkdir()
    top = pyhf.writexml.writexml(spec, directory / _SPEC_DIR, directory / _DATA_DIR, prefix)
    (directory / f"{prefix}.xml").write_bytes(top)


def export_histfactory(spec: dict, directory, *, prefix: str = "FitConfig") -> Path:
    """Write ``spec`` as HistFactory XML + ROOT into a new (or empty) ``directory``; returns the top XML path.

    The files are written to a temporary directory first and moved in, so a failure leaves nothing behind.

    Raises:
        WorkspaceError: invalid workspace, or ``directory`` exists and is not empty.
    """
    validate_workspace(spec, allow_missing_poi=True)
    directory = Path(directory).resolve()
    if directory.exists() and any(directory.iterdir()):
        msg = f"export directory {directory} exists and is not empty; choose a new or empty one"
        raise WorkspaceError(msg)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    try:
        _write_xml(spec, tmp, prefix)
        _relativise(tmp)
        if directory.exists():
            directory.rmdir()
        os.replace(tmp, directory)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return directory / f"{prefix}.xml"


def import_histfactory(xml_path, rootdir=None) -> dict:
    """Parse a top-level HistFactory XML with ``pyhf.readxml.parse`` (rootdir: default its folder)."""
    xml_path = Path(xml_path)
    rootdir = xml_path.parent if rootdir is None else Path(rootdir)
    try:
        # readxml takes sqrt of every histogram's sumw2 (used only by staterror/shapesys): NaN for the
        # negative LIN histograms, harmless here.
        with np.errstate(invalid="ignore"):
            return dict(pyhf.readxml.parse(xml_path, rootdir))
    except (*PYHF_SPEC_ERRORS, OSError, RuntimeError) as err:  # XML, ROOT and schema errors
        msg = f"cannot import HistFactory XML {xml_path}: {err}"
        raise WorkspaceError(msg) from None
    finally:
        _close_readxml_files()


def _close_readxml_files() -> None:
    """Close the ROOT files pyhf.readxml keeps open in its module-level cache, then empty it."""
    for root_file, _keys in pyhf.readxml.__FILECACHE__.values():
        root_file.close()
    pyhf.readxml.clear_filecache()


def roundtrip_histfactory(spec: dict) -> dict:
    """Export ``spec`` to XML + ROOT in a temporary directory and re-import it (for checks)."""
    with tempfile.TemporaryDirectory() as tmp:
        return import_histfactory(export_histfactory(spec, Path(tmp) / "xml"))


def __dir__() -> list[str]:
    return __all__
