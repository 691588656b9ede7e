"""Flux spectra read from user tables (``E [MeV], dΦ/dE``), replacing a catalogue spectrum.

By default a table means what it says: its own integral ∫dΦ/dE dE becomes the channel's total flux.
A ``:shape`` suffix on the path (``8B=my.txt:shape``) keeps only the table's shape, normalised to the
catalogue total.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.integrate import trapezoid

from cevns_stats.physics.fluxes.channel import FluxChannel
from cevns_stats.physics.tables import read_table

__all__ = ["SHAPE_SUFFIX", "channel_from_table", "split_table_spec", "table_shape"]

#: Path suffix that keeps only a table's shape (the catalogue total is kept).
SHAPE_SUFFIX = ":shape"


def split_table_spec(spec) -> tuple[str, bool]:
    """``PATH`` or ``PATH:shape`` → (path, keep_total): keep_total is true for the ``:shape`` suffix.

    Example:
        >>> split_table_spec("b8.txt:shape")
        ('b8.txt', True)
    """
    text = str(spec)
    if text.endswith(SHAPE_SUFFIX):
        return text[: -len(SHAPE_SUFFIX)], True
    return text, False


def table_shape(energy_MeV: np.ndarray, flux: np.ndarray):
    """A normalised shape (∫ = 1) interpolating a tabulated spectrum linearly; zero outside the table."""
    norm = trapezoid(flux, energy_MeV)

    def shape(e):
        return np.interp(e, energy_MeV, flux, left=0.0, right=0.0) / norm

    return shape, float(norm)


def channel_from_table(channel: FluxChannel, path, *, keep_total: bool = False) -> FluxChannel:
    """``channel`` with its spectrum replaced by the table at ``path``.

    Args:
        channel: the catalogue channel (name, flavours and uncertainty are kept).
        path: text table, ``E [MeV], dΦ/dE [cm⁻² s⁻¹ MeV⁻¹]`` (comments, header, commas allowed).
        keep_total: keep the catalogue total flux (only the table's shape is used), or (default) take
            the table's own integral ∫dΦ/dE dE [cm⁻² s⁻¹] as the channel's total flux.

    Raises:
        TableError: unreadable, non-monotonic, negative or non-finite table.
    """
    table = read_table(path, columns=2, what=f"flux table for {channel.name}")
    energy, flux = table[:, 0], table[:, 1]
    shape, integral = table_shape(energy, flux)
    total = channel.total_flux_cm2_s if keep_total else integral
    how = (
        f"shape of table {path}, catalogue total {total:.4g} /cm²/s"
        if keep_total
        else f"table {path}, its own total {total:.4g} /cm²/s"
    )
    return dataclasses.replace(
        channel,
        shape=shape,
        lines=(),
        total_flux_cm2_s=total,
        energy_min_MeV=float(energy[0]),
        energy_max_MeV=float(energy[-1]),
        description=f"{channel.description} [{how}]",
    )


def __dir__() -> list[str]:
    return __all__
