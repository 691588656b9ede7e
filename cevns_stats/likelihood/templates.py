"""Binned templates per flux channel: SM_k, LIN_k (per unit ε), QUAD_k (per unit ε²) (PHYSICS.md §4–5).

The rate at any ε is SM + ε·LIN + ε²·QUAD exactly. Templates are expected counts per bin at the detector's
exposure, as boost-histogram histograms carrying metadata (target, detector, channel, component, model,
units, package version and a sha256 of the physics configuration). They are written to ROOT through uproot
(one TH1D per channel and component, plus a ``metadata`` TObjString holding JSON) and to JSON.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import boost_histogram as bh
import numpy as np

from cevns_stats import __version__
from cevns_stats.detector.presets import Detector
from cevns_stats.detector.response import binned_rates
from cevns_stats.errors import TableError
from cevns_stats.physics.interactions import NSIModel
from cevns_stats.physics.oscillation import MixingParameters

__all__ = [
    "COMPONENTS",
    "FORMAT_VERSION",
    "TemplateSet",
    "at_exposure",
    "build_templates",
    "config_hash",
    "read_templates",
]

COMPONENTS = ("SM", "LIN", "QUAD")
FORMAT_VERSION = "cevns-stats-templates/1"
UNITS = "expected events per bin at the detector exposure; LIN per unit eps, QUAD per unit eps^2"


def config_hash(config: dict) -> str:
    """sha256 of the canonical JSON of a physics configuration."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class TemplateSet:
    """Templates of one detector and model.

    Attributes:
        edges_keV: (n_bins + 1,) reconstructed-energy edges [keV].
        values: {component: (n_channels, n_bins)} expected counts (SM; LIN per ε; QUAD per ε²).
        channels: flux-channel names (axis-0 order).
        uncertainties: fractional flux uncertainty per channel.
        nuisances: nuisance name per channel (``nu_flux_<channel or group>``).
        metadata: JSON-ready dict (target, detector settings, model, units, version, config hash).
    """

    edges_keV: np.ndarray
    values: dict
    channels: tuple[str, ...]
    uncertainties: tuple[float, ...]
    nuisances: tuple[str, ...]
    metadata: dict = field(default_factory=dict)

    def counts(self, eps: float = 0.0) -> np.ndarray:
        """Counts per channel and bin at ε: SM + ε·LIN + ε²·QUAD, (n_channels, n_bins)."""
        return self.values["SM"] + eps * self.values["LIN"] + eps**2 * self.values["QUAD"]

    def histograms(self) -> dict[str, bh.Histogram]:
        """{``<component>_<channel>``: boost-histogram Histogram with per-histogram metadata}."""
        out = {}
        for comp in COMPONENTS:
            for i, name in enumerate(self.channels):
                meta = {
                    **self.metadata,
                    "channel": name,
                    "component": comp,
                    "nuisance": self.nuisances[i],
                    "uncertainty": self.uncertainties[i],
                }
                hist = bh.Histogram(
                    bh.axis.Variable(self.edges_keV), storage=bh.storage.Double(), metadata=meta
                )
                hist[...] = self.values[comp][i]
                out[f"{comp}_{name}"] = hist
        return out

    def to_json(self) -> dict:
        """A JSON-ready dict (floats written with repr precision, so the round trip is exact)."""
        return {
            "format": FORMAT_VERSION,
            "metadata": self.metadata,
            "edges_keV": self.edges_keV.tolist(),
            "channels": [
                {
                    "name": n,
                    "uncertainty": u,
                    "nuisance": k,
                    **{c: self.values[c][i].tolist() for c in COMPONENTS},
                }
                for i, (n, u, k) in enumerate(zip(self.channels, self.uncertainties, self.nuisances))
            ],
        }

    @classmethod
    def from_json(cls, spec: dict) -> TemplateSet:
        if spec.get("format") != FORMAT_VERSION:
            msg = f"not a cevns-stats template file (format {spec.get('format')!r}, expected {FORMAT_VERSION!r})"
            raise TableError(msg)
        chans = spec["channels"]
        values = {
            c: np.array([ch[c] for ch in chans], dtype=float).reshape(len(chans), -1) for c in COMPONENTS
        }
        return cls(
            np.array(spec["edges_keV"], dtype=float),
            values,
            tuple(ch["name"] for ch in chans),
            tuple(ch["uncertainty"] for ch in chans),
            tuple(ch["nuisance"] for ch in chans),
            spec["metadata"],
        )

    def write_json(self, path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1, sort_keys=True))

    def write_root(self, path) -> None:
        """One TH1D per channel and component, and a ``metadata`` TObjString (JSON) — via uproot."""
        import uproot

        with uproot.recreate(path) as f:
            for key, hist in self.histograms().items():
                f[key] = hist
            f["metadata"] = json.dumps(
                {
                    "format": FORMAT_VERSION,
                    "metadata": self.metadata,
                    "channels": list(self.channels),
                    "uncertainties": list(self.uncertainties),
                    "nuisances": list(self.nuisances),
                },
                sort_keys=True,
            )

    @classmethod
    def read_root(cls, path) -> TemplateSet:
        import uproot

        with uproot.open(path) as f:
            head = json.loads(str(f["metadata"]))
            channels = tuple(head["channels"])
            values = {c: np.array([f[f"{c}_{n}"].values() for n in channels]) for c in COMPONENTS}
            edges = f[f"SM_{channels[0]}"].axis().edges()
        return cls(
            np.asarray(edges, dtype=float),
            values,
            channels,
            tuple(head["uncertainties"]),
            tuple(head["nuisances"]),
            head["metadata"],
        )


def read_templates(path) -> TemplateSet:
    """Read templates from ``.root`` or ``.json``."""
    path = Path(path)
    if path.suffix == ".root":
        return TemplateSet.read_root(path)
    try:
        return TemplateSet.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError) as err:
        msg = f"cannot read templates from {path}: {err}"
        raise TableError(msg) from None


def build_templates(
    detector: Detector,
    channels,
    model: NSIModel | None = None,
    *,
    mixing: MixingParameters | None = None,
    preset: str | None = None,
) -> TemplateSet:
    """SM/LIN/QUAD templates for ``detector`` and ``model`` (per channel, binned, exposure included).

    The bins are the detector's analysis window (``metadata["window_keV"]``; PHYSICS.md §9). With a
    vector model and NSI in propagation on, the solar flavour fractions are those at the model's ε, so
    LIN and QUAD are exact at that ε (``cevns_stats.detector.response.binned_rates``).
    """
    binned = binned_rates(detector, channels, model, mixing=mixing)
    physics = {
        "detector": detector.describe(),
        "model": model.describe() if model else None,
        "channels": [[ch.name, ch.total_flux_cm2_s, ch.uncertainty] for ch in binned.channels],
        "mixing": None if mixing is None else mixing.__dict__,
    }
    metadata = {
        "target": detector.target.name,
        "detector": preset or detector.name,
        "model": model.name if model else "SM",
        "model_parameters": model.describe() if model else {},
        "exposure_tonne_year": detector.exposure_tonne_year,
        "window_keV": [float(binned.edges_keV[0]), float(binned.edges_keV[-1])],
        "units": UNITS,
        "energy_units": "keVnr",
        "package_version": __version__,
        "config_sha256": config_hash(physics),
        "settings": physics,
    }
    values = dict(zip(COMPONENTS, binned.components))
    return TemplateSet(
        np.asarray(binned.edges_keV, dtype=float),
        values,
        tuple(ch.name for ch in binned.channels),
        tuple(ch.uncertainty for ch in binned.channels),
        tuple(ch.nuisance for ch in binned.channels),
        metadata,
    )


def at_exposure(templates: TemplateSet, detector: Detector) -> TemplateSet:
    """``templates`` at the exposure of ``detector``, a detector that differs from theirs in exposure only.

    Expected counts are linear in the exposure (and the analysis window does not depend on it), so the
    values are scaled and the metadata rewritten as :func:`build_templates` writes it for ``detector``.
    """
    factor = detector.exposure_tonne_year / templates.metadata["exposure_tonne_year"]
    physics = {**templates.metadata["settings"], "detector": detector.describe()}
    metadata = {
        **templates.metadata,
        "exposure_tonne_year": detector.exposure_tonne_year,
        "config_sha256": config_hash(physics),
        "settings": physics,
    }
    return replace(templates, values={c: v * factor for c, v in templates.values.items()}, metadata=metadata)


def __dir__() -> list[str]:
    return __all__
