"""Event-count summaries of a detector: what ``cevns-stats rates`` prints (PHYSICS.md §7, §9)."""

from __future__ import annotations

import numpy as np

from cevns_stats.detector.presets import Detector
from cevns_stats.detector.response import binned_rates
from cevns_stats.physics.interactions import NSIModel
from cevns_stats.physics.oscillation import MixingParameters

__all__ = ["rate_summary"]


def rate_summary(
    detector: Detector, channels, model: NSIModel | None = None, *, mixing: MixingParameters | None = None
) -> dict:
    """Expected events per channel for the detector's exposure, as a JSON-ready dict.

    Returns:
        ``{"target", "exposure_tonne_year", "threshold_keV", "channels": {name: {"events", "flux_cm2_s",
        "uncertainty"[, "flux_source", "nsi_events"]}}, "total_events"[, "total_nsi_events"],
        "b8_events_per_tonne_year", "edges_keV", "window_keV", "n_bins", "detector", "model"}``;
        ``nsi_events`` is the signed change from the SM count at the model's ε; ``threshold_keV`` is
        ``None`` when the efficiency has no threshold and none was applied.
    """
    binned = binned_rates(detector, channels, model, mixing=mixing)
    sm = binned.components[0].sum(axis=1)
    channels_out = {}
    for ch, events in zip(binned.channels, sm):
        channels_out[ch.name] = {
            "events": float(events),
            "flux_cm2_s": ch.total_flux_cm2_s,
            "uncertainty": ch.uncertainty,
        }
        if "table" in ch.description:
            channels_out[ch.name]["flux_source"] = ch.description
    settings = detector.describe()
    out = {
        "target": detector.target.name,
        "exposure_tonne_year": detector.exposure_tonne_year,
        "threshold_keV": settings["threshold_keV"],
        "channels": channels_out,
        "total_events": float(sm.sum()),
        "edges_keV": [float(e) for e in binned.edges_keV],
        "window_keV": [float(binned.edges_keV[0]), float(binned.edges_keV[-1])],
        "n_bins": int(binned.edges_keV.size - 1),
        "detector": settings,
    }
    names = [ch.name for ch in binned.channels]
    if "8B" in names:
        out["b8_events_per_tonne_year"] = float(sm[names.index("8B")] / detector.exposure_tonne_year)
    if model is not None:
        change = (binned.counts(model.epsilon) - binned.components[0]).sum(axis=1)
        for name, delta in zip(names, change):
            channels_out[name]["nsi_events"] = float(delta)
        out["total_nsi_events"] = float(np.sum(change))
        out["model"] = model.describe()
    return out


def __dir__() -> list[str]:
    return __all__
