"""Projections for hypothetical detectors: physics → templates → workspace → a compiled reach model.

:func:`reach_setup` builds the templates of one (detector, model) once at 1 t·yr and compiles them into the
:class:`~cevns_stats.inference.reach_points.ReachSetup` that :mod:`cevns_stats.inference.reach` scans.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from cevns_stats.errors import InvalidInput
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.reach_points import ReachSetup, row_eps_power
from cevns_stats.likelihood.templates import TemplateSet, build_templates
from cevns_stats.likelihood.workspace import build_workspace

if TYPE_CHECKING:
    from cevns_stats.detector.presets import Detector
    from cevns_stats.physics.fluxes.channel import FluxChannel
    from cevns_stats.physics.interactions import NSIModel

log = logging.getLogger(__name__)

__all__ = ["drop_empty_channels", "nsi_only_in", "reach_setup"]


def drop_empty_channels(templates: TemplateSet) -> TemplateSet:
    """The template set without flux channels whose SM, LIN and QUAD templates are all zero."""
    keep = [
        i
        for i in range(len(templates.channels))
        if any(np.any(templates.values[c][i] != 0) for c in ("SM", "LIN", "QUAD"))
    ]
    return replace(
        templates,
        values={c: v[keep] for c, v in templates.values.items()},
        channels=tuple(templates.channels[i] for i in keep),
        uncertainties=tuple(templates.uncertainties[i] for i in keep),
        nuisances=tuple(templates.nuisances[i] for i in keep),
    )


def _b8_per_tonne_year(templates: TemplateSet) -> float:
    if "8B" not in templates.channels:
        return 0.0
    return float(
        templates.values["SM"][templates.channels.index("8B")].sum()
        / templates.metadata["exposure_tonne_year"]
    )


def nsi_only_in(
    templates: TemplateSet, channels: Sequence[FluxChannel], families: Sequence[str]
) -> TemplateSet:
    """The template set with the NSI parts (LIN, QUAD) kept only for channels of the given source families.

    The paper's "atmospheric-only" variant (PHYSICS.md §12) keeps NSI on ``("atmospheric",)`` only.
    """
    family = {ch.name: ch.family for ch in channels}
    unknown = sorted(set(families) - set(family.values()))
    if unknown:
        msg = f"no flux channel of family {unknown}; families here: {sorted(set(family.values()))}"
        raise InvalidInput(msg)
    keep = np.array([family[name] in families for name in templates.channels])[:, None]
    values = {c: (v if c == "SM" else np.where(keep, v, 0.0)) for c, v in templates.values.items()}
    return replace(templates, values=values)


def reach_setup(
    detector: Detector,
    channels: Sequence[FluxChannel],
    model: NSIModel | None,
    *,
    preset: str | None = None,
    flux_modifier: str = "normsys",
    nsi_families: Sequence[str] | None = None,
) -> ReachSetup:
    """Build templates once at 1 t·yr and compile the reach likelihood (see the module docstring).

    Args:
        detector: a :class:`~cevns_stats.detector.presets.Detector` (its exposure is replaced by 1 t·yr).
        channels: flux channels (``get_channels``).
        model: an :class:`~cevns_stats.physics.interactions.NSIModel` (its own ε is irrelevant: ε is scanned).
        preset: name recorded in the settings.
        flux_modifier: ``normsys`` (default) or ``histosys`` (the paper's linear Gaussian).
        nsi_families: if given, only channels of these source families carry NSI (:func:`nsi_only_in`).
    """
    if model is None:
        raise InvalidInput("a reach scan needs a new-physics model (--model)")
    templates = build_templates(replace(detector, exposure_tonne_year=1.0), channels, model, preset=preset)
    if nsi_families is not None:
        templates = nsi_only_in(templates, channels, tuple(nsi_families))
    used = drop_empty_channels(templates)
    dropped = sorted(set(templates.channels) - set(used.channels))
    if dropped:
        log.debug("reach setup: flux channels without events dropped: %s", ", ".join(dropped))
    signed = model.kernel == "vector"
    log.debug("reach setup for %s: signal parameter %s", model.name, "signed eps" if signed else "mu = eps^2")
    spec = build_workspace(
        used,
        form="linear" if signed else "scalar",
        eps_ref=None if signed else 1.0,
        flux_modifier=flux_modifier,
        validate=False,  # compiled at once, never written (tests validate these specs)
    )
    compiled = CompiledModel.from_workspace(spec, validate=False)
    compiled = replace(
        compiled.tied() if signed else compiled, pyhf_model=None, observed_main=None, observed_aux=None
    )
    lin = float(used.values["LIN"].sum())
    settings = {
        "preset": preset or detector.name,
        "detector": templates.metadata["settings"]["detector"],
        "model": model.describe(),
        "threshold_keV": detector.threshold_keV,
        "window_keV": templates.metadata["window_keV"],
        "b8_events_per_tonne_year": _b8_per_tonne_year(templates),
        "channels": list(used.channels),
        "dropped_empty_channels": dropped,
        "flux_modifier": flux_modifier,
        "nsi_families": list(nsi_families or ["all"]),
        "signal_parameter": "eps (signed)" if signed else "mu = eps^2 >= 0",
    }
    return ReachSetup(
        compiled, signed, row_eps_power(compiled, signed), int(-np.sign(lin)) if signed else 0, settings
    )


def __dir__() -> list[str]:
    return __all__
