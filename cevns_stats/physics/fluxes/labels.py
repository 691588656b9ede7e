"""Physics labels of the flux channels, for legends and tables: ``⁸B``, ``⁷Be 862 keV``, ``ν̄_μ atm.``.

Takes a channel name (``CHANNEL_NAMES`` of the catalogue); gives its label as matplotlib text (mathtext for
neutrino symbols, Unicode superscripts for mass numbers). Code names such as ``atm_numubar`` never reach a
figure; a name without a label (a user channel) is shown as it is.
"""

from __future__ import annotations

__all__ = ["CHANNEL_LABELS", "channel_label"]

_NU = {
    "nue": r"$\nu_e$",
    "nuebar": r"$\bar{\nu}_e$",
    "numu": r"$\nu_\mu$",
    "numubar": r"$\bar{\nu}_\mu$",
    "nux": r"$\nu_x$",
}

#: {channel name: label}; the ⁷Be lines carry their energies, the DSNB ν_x stands for ν_μ, ν̄_μ, ν_τ, ν̄_τ.
CHANNEL_LABELS = {
    "pp": "pp",
    "pep": "pep",
    "hep": "hep",
    "7Be_384": "⁷Be 384 keV",
    "7Be_862": "⁷Be 862 keV",
    "8B": "⁸B",
    "13N": "¹³N",
    "15O": "¹⁵O",
    "17F": "¹⁷F",
    **{f"atm_{s}": f"{_NU[s]} atm." for s in ("nue", "nuebar", "numu", "numubar")},
    **{f"dsnb_{s}": f"DSNB {_NU[s]}" for s in ("nue", "nuebar", "nux")},
    "reactor": r"reactor $\bar{\nu}_e$",
    "geo_K40": r"geo $\bar{\nu}_e$ ⁴⁰K",
    "geo_U238": r"geo $\bar{\nu}_e$ ²³⁸U",
    "geo_Th232": r"geo $\bar{\nu}_e$ ²³²Th",
}


def channel_label(name: str) -> str:
    """The label of channel ``name`` (the name itself when it has none).

    >>> channel_label("8B"), channel_label("atm_numubar")
    ('⁸B', '$\\\\bar{\\\\nu}_\\\\mu$ atm.')
    """
    return CHANNEL_LABELS.get(name, name)


def __dir__() -> list[str]:
    return __all__
