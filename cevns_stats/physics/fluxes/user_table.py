"""Flux spectra read from user tables (``E [MeV], dΦ/dE``), replacing a catalogue shape."""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.integrate import trapezoid

from cevns_stats.physics.fluxes.channel import FluxChannel
from cevns_stats.physics.tables import read_table

__all__ = ["channel_from_table", "table_shape"]


def table_shape(energy_MeV: np.ndarray, flux: np.ndarray):
    """A normalised shape (∫ = 1) interpolating a tabulated spectrum linearly; zero outside the table."""
    norm = trapezoid(flux, energy_MeV)

    def shape(e):
        return np.interp(e, energy_MeV, flux, left=0.0, right=0.0) / norm

    return shape, float(norm)


def channel_from_table(channel: FluxChannel, path, *, keep_total: bool = True) -> FluxChannel:
    """``channel`` with its spectrum replaced by the table at ``path``.

    Args:
        channel: the catalogue channel (name, flavours and uncertainty are kept).
        path: text table, ``E [MeV], dΦ/dE [cm⁻² s⁻¹ MeV⁻¹]`` (comments, header, commas allowed).
        keep_total: keep the catalogue total flux (default) or take the table's own integral.

    Raises:
        TableError: unreadable, non-monotonic, negative or non-finite table.
    """
    table = read_table(path, columns=2, what=f"flux table for {channel.name}")
    energy, flux = table[:, 0], table[:, 1]
    shape, integral = table_shape(energy, flux)
    total = channel.total_flux_cm2_s if keep_total else integral
    return dataclasses.replace(
        channel,
        shape=shape,
        lines=(),
        total_flux_cm2_s=total,
        energy_min_MeV=float(energy[0]),
        energy_max_MeV=float(energy[-1]),
        description=f"{channel.description} [table {path}]",
    )


def __dir__() -> list[str]:
    return __all__
