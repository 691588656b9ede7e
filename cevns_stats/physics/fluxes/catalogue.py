"""The catalogue of neutrino flux channels (PHYSICS.md §7, the paper's Table 1).

Each channel has a stable name, the species it produces, its total flux, fractional uncertainty,
support and normalised spectrum. Totals: solar B16-GS98 (default) or B16-AGSS09 (Vinyoles et al. 2017);
atmospheric FLUKA (Battistoni et al. 2005); DSNB split by equal energy per species (Horiuchi, Beacom &
Dwek 2009); reactor at SURF; geoneutrinos at Gran Sasso (Huang et al. 2013).
"""

from __future__ import annotations

from functools import lru_cache, partial

from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.physics.fluxes.atmospheric import ATMOSPHERIC_ENERGY_RANGE_MeV, atmospheric_shape_per_MeV
from cevns_stats.physics.fluxes.channel import FluxChannel
from cevns_stats.physics.fluxes.shapes import (
    DSNB_ENERGY_RANGE_MeV,
    GEO_ENERGY_MAX_MeV,
    REACTOR_ENERGY_RANGE_MeV,
    allowed_beta_plus_spectrum,
    dsnb_spectrum,
    geo_spectrum,
    normalise_shape,
    reactor_huber_mueller_spectrum,
)
from cevns_stats.physics.fluxes.solar_8b import B8_ENERGY_RANGE_MeV, b8_shape_per_MeV

__all__ = [
    "CHANNEL_NAMES",
    "DEFAULT_CHANNELS",
    "SOLAR_MODELS",
    "build_catalogue",
    "get_channels",
]

SOLAR_MODELS = ("b16-gs98", "b16-agss09")

# name: (GS98 total, AGSS09 total, uncertainty) [cm^-2 s^-1] (PHYSICS.md §7; Vinyoles et al. 2017)
_SOLAR_TOTALS = {
    "pp": (5.98e10, 6.03e10, 0.006),
    "pep": (1.44e8, 1.46e8, 0.01),
    "hep": (7.98e3, 8.25e3, 0.30),
    "7Be": (4.93e9, 4.50e9, 0.06),
    "8B": (5.46e6, 4.50e6, 0.12),
    "13N": (2.78e8, 2.04e8, 0.15),
    "15O": (2.05e8, 1.44e8, 0.17),
    "17F": (5.29e6, 3.26e6, 0.20),
}
# Allowed beta+ emitters: name -> (Q [MeV], daughter Z) (PHYSICS.md §7).
_BETA_PLUS = {"pp": (0.42341, 1), "hep": (18.784, 2), "13N": (1.199, 6), "15O": (1.732, 7), "17F": (1.740, 8)}
_PEP_LINE_MeV = 1.442
#: ⁷Be electron-capture lines [MeV] and branchings (PHYSICS.md §7).
_BE7_LINES = {"7Be_384": (0.3843, 0.103), "7Be_862": (0.8613, 0.897)}
# Atmospheric totals 13-982 MeV (FLUKA, Battistoni et al. 2005), per species [cm^-2 s^-1].
_ATMOSPHERIC_TOTALS = {"nue": 1.841, "nuebar": 1.653, "numu": 3.522, "numubar": 3.530}
#: DSNB: species -> (total [cm^-2 s^-1], temperature [MeV]) (PHYSICS.md §7).
_DSNB = {
    "nue": (27.7, 3.0, ("nue",)),
    "nuebar": (16.6, 5.0, ("nuebar",)),
    "nux": (41.6, 8.0, ("numu", "numubar", "nutau", "nutaubar")),
}
_DSNB_UNCERTAINTY = 0.5
#: ν̄_e flux at SURF above 1.8 MeV, the support of the Huber–Mueller shape: 5.1 % of the 6.6e6 cm⁻² s⁻¹
#: total that includes the sub-threshold tail (PHYSICS.md §7, data/reactor); the tail gives recoils
#: below 0.05 keV in Xe and is dropped.
_REACTOR_TOTAL_SURF = 3.4e5
_REACTOR_UNCERTAINTY = 0.08
#: Geoneutrinos at Gran Sasso (Huang et al. 2013): chain -> (total, uncertainty).
_GEO = {"U238": (4.34e6, 0.20), "Th232": (4.23e6, 0.26), "K40": (2.05e7, 0.17)}

CHANNEL_NAMES = (
    "pp",
    "pep",
    "hep",
    "7Be_384",
    "7Be_862",
    "8B",
    "13N",
    "15O",
    "17F",
    "atm_nue",
    "atm_nuebar",
    "atm_numu",
    "atm_numubar",
    "dsnb_nue",
    "dsnb_nuebar",
    "dsnb_nux",
    "reactor",
    "geo_K40",
    "geo_U238",
    "geo_Th232",
)
#: Channels in the fit by default: solar + DSNB + atmospheric (PHYSICS.md §9); reactor and geo are opt-in.
DEFAULT_CHANNELS = CHANNEL_NAMES[:16]


def _solar_channels(model_index: int) -> list[FluxChannel]:
    out = []
    for name, (q_MeV, z_daughter) in _BETA_PLUS.items():
        total, unc = _SOLAR_TOTALS[name][model_index], _SOLAR_TOTALS[name][2]
        shape = normalise_shape(
            partial(allowed_beta_plus_spectrum, q_value_MeV=q_MeV, daughter_Z=z_daughter), 0.0, q_MeV
        )
        out.append(
            FluxChannel(
                name,
                "solar",
                ("nue",),
                total,
                unc,
                0.0,
                q_MeV,
                shape,
                description=f"solar {name} (allowed β⁺, Q = {q_MeV} MeV)",
            )
        )
    total, unc = _SOLAR_TOTALS["pep"][model_index], _SOLAR_TOTALS["pep"][2]
    out.append(
        FluxChannel(
            "pep",
            "solar",
            ("nue",),
            total,
            unc,
            _PEP_LINE_MeV,
            _PEP_LINE_MeV,
            lines=((_PEP_LINE_MeV, 1.0),),
            description="solar pep line",
        )
    )
    be7_total, be7_unc = _SOLAR_TOTALS["7Be"][model_index], _SOLAR_TOTALS["7Be"][2]
    for name, (energy, branching) in _BE7_LINES.items():
        out.append(
            FluxChannel(
                name,
                "solar",
                ("nue",),
                be7_total * branching,
                be7_unc,
                energy,
                energy,
                lines=((energy, 1.0),),
                description=f"solar ⁷Be line {energy} MeV",
                nuisance_group="7Be",
            )
        )
    total, unc = _SOLAR_TOTALS["8B"][model_index], _SOLAR_TOTALS["8B"][2]
    out.append(
        FluxChannel(
            "8B",
            "solar",
            ("nue",),
            total,
            unc,
            *B8_ENERGY_RANGE_MeV,
            b8_shape_per_MeV,
            description="solar ⁸B (Winter et al. 2006 shape, fitted)",
        )
    )
    return out


def _atmospheric_channels(uncertainty: float) -> list[FluxChannel]:
    return [
        FluxChannel(
            f"atm_{s}",
            "atmospheric",
            (s,),
            total,
            uncertainty,
            *ATMOSPHERIC_ENERGY_RANGE_MeV,
            partial(atmospheric_shape_per_MeV, s),
            description=f"atmospheric {s} (FLUKA, fitted)",
        )
        for s, total in _ATMOSPHERIC_TOTALS.items()
    ]


def _other_channels() -> list[FluxChannel]:
    out = []
    for name, (total, temperature, species) in _DSNB.items():
        shape = normalise_shape(partial(dsnb_spectrum, temperature_MeV=temperature), *DSNB_ENERGY_RANGE_MeV)
        out.append(
            FluxChannel(
                f"dsnb_{name}",
                "dsnb",
                species,
                total,
                _DSNB_UNCERTAINTY,
                *DSNB_ENERGY_RANGE_MeV,
                shape,
                description=f"DSNB {name} (T = {temperature} MeV)",
            )
        )
    reactor = normalise_shape(reactor_huber_mueller_spectrum, *REACTOR_ENERGY_RANGE_MeV)
    out.append(
        FluxChannel(
            "reactor",
            "reactor",
            ("nuebar",),
            _REACTOR_TOTAL_SURF,
            _REACTOR_UNCERTAINTY,
            *REACTOR_ENERGY_RANGE_MeV,
            reactor,
            description="reactor ν̄_e at SURF (Huber–Mueller)",
        )
    )
    for chain in ("K40", "U238", "Th232"):
        total, unc = _GEO[chain]
        e_max = GEO_ENERGY_MAX_MeV[chain]
        shape = normalise_shape(partial(geo_spectrum, chain=chain), 0.0, e_max)
        out.append(
            FluxChannel(
                f"geo_{chain}",
                "geo",
                ("nuebar",),
                total,
                unc,
                0.0,
                e_max,
                shape,
                description=f"geo ν̄_e {chain} (Gran Sasso)",
            )
        )
    return out


@lru_cache(maxsize=8)
def build_catalogue(
    solar_model: str = "b16-gs98", atmospheric_uncertainty: float = 0.5
) -> dict[str, FluxChannel]:
    """All channels by name for a solar model and atmospheric uncertainty.

    Raises:
        UnknownName: unknown solar model.
        InvalidInput: atmospheric uncertainty outside (0, 1).
    """
    if solar_model not in SOLAR_MODELS:
        msg = f"unknown solar model {solar_model!r}; allowed: {', '.join(SOLAR_MODELS)}"
        raise UnknownName(msg)
    if not 0.0 < atmospheric_uncertainty < 1.0:
        msg = f"atmospheric uncertainty must be a fraction in (0, 1), got {atmospheric_uncertainty}"
        raise InvalidInput(msg)
    channels = _solar_channels(SOLAR_MODELS.index(solar_model))
    channels += _atmospheric_channels(atmospheric_uncertainty) + _other_channels()
    by_name = {ch.name: ch for ch in channels}
    return {name: by_name[name] for name in CHANNEL_NAMES}


def get_channels(
    names=None,
    *,
    solar_model: str = "b16-gs98",
    atmospheric_uncertainty: float = 0.5,
    tables: dict | None = None,
) -> tuple[FluxChannel, ...]:
    """Channels by name (default: ``DEFAULT_CHANNELS``), optionally with user tables replacing shapes.

    Args:
        names: channel names or ``None`` for the default set; ``"all"`` for every channel.
        tables: {channel name: path of an ``E [MeV], dΦ/dE`` table} replacing that channel's spectrum
            and total flux (the table's own ∫dΦ/dE); ``PATH:shape`` keeps only the table's shape
            with the catalogue total (:mod:`cevns_stats.physics.fluxes.user_table`).

    Raises:
        UnknownName: an unknown channel name (the message lists the allowed ones).
    """
    catalogue = build_catalogue(solar_model, float(atmospheric_uncertainty))
    if names is None:
        names = DEFAULT_CHANNELS
    elif names == "all":
        names = CHANNEL_NAMES
    unknown = [n for n in names if n not in catalogue]
    if unknown:
        msg = f"unknown flux channel(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(CHANNEL_NAMES)}"
        raise UnknownName(msg)
    tables = tables or {}
    for name in tables:
        if name not in catalogue:
            msg = f"unknown flux channel {name!r} for a user table; allowed: {', '.join(CHANNEL_NAMES)}"
            raise UnknownName(msg)
    from cevns_stats.physics.fluxes.user_table import channel_from_table, split_table_spec

    def _channel(name: str) -> FluxChannel:
        if name not in tables:
            return catalogue[name]
        path, keep_total = split_table_spec(tables[name])
        return channel_from_table(catalogue[name], path, keep_total=keep_total)

    return tuple(_channel(n) for n in names)


def __dir__() -> list[str]:
    return __all__
