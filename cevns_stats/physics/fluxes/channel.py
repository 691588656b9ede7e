"""The flux-channel record: what every source family provides (PHYSICS.md §7)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cevns_stats.errors import InvalidInput
from cevns_stats.physics.fluxes.labels import channel_label

__all__ = ["FLAVOURS", "SPECIES", "FluxChannel"]

#: Neutrino species a source can produce (CEvNS treats ν and ν̄ alike).
SPECIES = ("nue", "nuebar", "numu", "numubar", "nutau", "nutaubar")
#: Flavours at the detector, in the order of every flavour axis in the package.
FLAVOURS = ("e", "mu", "tau")


@dataclass(frozen=True)
class FluxChannel:
    """One neutrino flux channel.

    Attributes:
        name: stable name (``8B``, ``atm_numu``, ``dsnb_nux``…); nuisance ``nu_flux_<name>``.
        family: ``solar``, ``atmospheric``, ``dsnb``, ``reactor`` or ``geo``.
        species: species produced at the source (each an entry of ``SPECIES``), equally weighted.
        total_flux_cm2_s: total flux at the detector [cm⁻² s⁻¹].
        uncertainty: fractional 1σ uncertainty of the total.
        energy_min_MeV, energy_max_MeV: support of the spectrum [MeV].
        shape: normalised spectrum dN/dE_ν [MeV⁻¹] (∫ = 1 over the support), vectorised; ``None`` for lines.
        lines: ((energy_MeV, branching), …) for monochromatic channels; empty otherwise.
        description: one line for tables and plots.
        nuisance_group: channels sharing one normalisation (the two ⁷Be lines: ``7Be``); default: own name.
    """

    name: str
    family: str
    species: tuple[str, ...]
    total_flux_cm2_s: float
    uncertainty: float
    energy_min_MeV: float
    energy_max_MeV: float
    shape: Callable[[np.ndarray], np.ndarray] | None = None
    lines: tuple[tuple[float, float], ...] = ()
    description: str = ""
    nuisance_group: str = ""

    @property
    def nuisance(self) -> str:
        """Name of the flux-normalisation nuisance: ``nu_flux_<group or name>`` (DESIGN.md)."""
        return f"nu_flux_{self.nuisance_group or self.name}"

    @property
    def label(self) -> str:
        """Physics label for legends (``⁸B``, ``⁷Be 862 keV``, ``ν̄_μ atm.``): :mod:`.labels`."""
        return channel_label(self.name)

    @property
    def is_line(self) -> bool:
        return bool(self.lines)

    def spectrum_cm2_s_MeV(self, energy_MeV) -> np.ndarray:
        """dΦ/dE_ν [cm⁻² s⁻¹ MeV⁻¹] for continuous channels (zero outside the support)."""
        if self.shape is None:
            msg = f"{self.name!r} is a line channel: its flux is in ``lines``, it has no continuous spectrum"
            raise InvalidInput(msg)
        e = np.asarray(energy_MeV, dtype=float)
        inside = (e >= self.energy_min_MeV) & (e <= self.energy_max_MeV)
        values = self.shape(np.clip(e, self.energy_min_MeV, self.energy_max_MeV))
        return np.where(inside, self.total_flux_cm2_s * values, 0.0)


def __dir__() -> list[str]:
    return __all__
