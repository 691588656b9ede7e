"""cevns-stats: CEvNS spectra, NSI and leptoquark templates, pyhf workspaces and fast inference.

The package is one subpackage per pipeline stage (``docs/architecture.md``): physics → detector →
likelihood → inference, then experiments, plots, paper and the command line. The names here are the
top-to-bottom chain, from a detector and flux channels to a discovery test, each defined in its stage:
:func:`make_detector`, :func:`get_channels`, :func:`make_model`, :func:`build_templates`,
:func:`build_workspace`, :class:`CompiledModel`, :func:`asimov_data`, :func:`q0`. They are imported on
first use, so ``import cevns_stats`` itself loads no stage (and no numpy, pyhf or matplotlib).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names, seen by type checkers and by tests/test_architecture.py's import graph
    from cevns_stats.detector.presets import make_detector
    from cevns_stats.inference.discovery import asimov_data, q0
    from cevns_stats.inference.engine import CompiledModel
    from cevns_stats.likelihood.templates import build_templates
    from cevns_stats.likelihood.workspace import build_workspace
    from cevns_stats.physics.fluxes.catalogue import get_channels
    from cevns_stats.physics.interactions import make_model

__version__ = "0.1.0"

#: Public name -> the module that defines it, in pipeline order.
_API = {
    "get_channels": "cevns_stats.physics.fluxes.catalogue",
    "make_model": "cevns_stats.physics.interactions",
    "make_detector": "cevns_stats.detector.presets",
    "build_templates": "cevns_stats.likelihood.templates",
    "build_workspace": "cevns_stats.likelihood.workspace",
    "CompiledModel": "cevns_stats.inference.engine",
    "asimov_data": "cevns_stats.inference.discovery",
    "q0": "cevns_stats.inference.discovery",
}

__all__ = [
    "CompiledModel",
    "__version__",
    "asimov_data",
    "build_templates",
    "build_workspace",
    "get_channels",
    "make_detector",
    "make_model",
    "q0",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its stage on first access (PEP 562), then keep it here."""
    if name not in _API:
        msg = f"module 'cevns_stats' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
