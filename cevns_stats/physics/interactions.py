"""Neutrino–nucleus couplings: Standard Model, vector and scalar NSI, the S1 leptoquark (PHYSICS.md §3–6).

Every model reduces, per isotope and detector flavour (e, μ, τ), to a coupling *linear in its parameter ε*
on one of two cross-section kernels (PHYSICS.md §3–5):

* vector kernel  dσ/dE_R = (G_F² m_N/π) Q² (1 − E_R/E_ν − m_N E_R/(2E_ν²)) F²,  Q = Q_V + ε ΔQ_α
* scalar kernel  dσ/dE_R = 2κ² G_F² m_N² E_R/(8π E_ν²) F² · (ε Q_S,α)²

so any rate is SM + ε·LIN + ε²·QUAD exactly. A model exposes the per-unit-ε charge ``delta_charge``
(shape (3,), flavours e, μ, τ) and its kernel; the rate engine never needs to know which model it is.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from cevns_stats.errors import InvalidInput, UnknownName
from cevns_stats.physics import constants as c
from cevns_stats.physics.nuclei import Isotope
from cevns_stats.physics.oscillation import MatterNSI

__all__ = [
    "FLAVOUR_INDEX",
    "MODEL_NAMES",
    "NSIModel",
    "leptoquark_epsilon",
    "make_model",
    "scalar_charge_per_eps",
    "vector_charge_sm",
    "vector_delta_charge",
]

FLAVOUR_INDEX = {"e": 0, "mu": 1, "tau": 2}
QUARKS_VECTOR = ("u", "d")
QUARKS_SCALAR = ("u", "d", "s")
SCALAR_CHARGES = ("cerdeno2016", "nucleon-ff")
#: Cerdeño et al. 2016 universal scalar charge per unit ε: Q_S = ε (14 A + 1.1 Z) (PHYSICS.md §5).
CERDENO2016_A_COEFF = 14.0
CERDENO2016_Z_COEFF = 1.1
#: Default scalar normalisation κ (PHYSICS.md §5).
DEFAULT_KAPPA = 1.0 / math.sqrt(2.0)


def vector_charge_sm(isotope: Isotope) -> float:
    """Q_V = Z g_V^p + N g_V^n = −Q_W/2 (PHYSICS.md §3)."""
    return isotope.Z * c.GP_V + isotope.N * c.GN_V


def vector_delta_charge(isotope: Isotope, quark: str) -> float:
    """ΔQ per unit ε^{qV}: u → 2Z + N, d → Z + 2N (PHYSICS.md §4)."""
    if quark == "u":
        return 2.0 * isotope.Z + isotope.N
    if quark == "d":
        return isotope.Z + 2.0 * isotope.N
    msg = f"unknown quark {quark!r} for vector NSI; allowed: u, d"
    raise UnknownName(msg)


def scalar_charge_per_eps(isotope: Isotope, quarks: tuple[str, ...], charge: str = "cerdeno2016") -> float:
    """Scalar nuclear charge Q_S per unit ε (PHYSICS.md §5).

    Args:
        isotope: the nucleus.
        quarks: quarks carrying ε (``("u","d","s")`` for universal; one quark for minimal).
        charge: ``cerdeno2016`` (14A + 1.1Z, universal only) or ``nucleon-ff`` (from the f_Tq of §1).
    """
    if charge == "cerdeno2016":
        return CERDENO2016_A_COEFF * isotope.A + CERDENO2016_Z_COEFF * isotope.Z
    total = 0.0
    for quark in quarks:
        m_q = c.QUARK_MASS_GeV[quark]
        total += isotope.Z * c.PROTON_MASS_GeV / m_q * c.SCALAR_FORM_FACTORS["p"][quark]
        total += isotope.N * c.NEUTRON_MASS_GeV / m_q * c.SCALAR_FORM_FACTORS["n"][quark]
    return total


def leptoquark_epsilon(mass_GeV: float, coupling: float) -> float:
    """ε^{dV} = −|λ|² / (4√2 G_F m_S1²) for the S1 leptoquark (PHYSICS.md §6; down-quark mass basis).

    Example:
        >>> round(leptoquark_epsilon(1000.0, 1.0), 4)
        -0.0152
    """
    return -(abs(coupling) ** 2) / (4.0 * math.sqrt(2.0) * c.FERMI_CONSTANT_GeV2 * mass_GeV**2)


@dataclass(frozen=True)
class NSIModel:
    """A new-physics model as a per-unit-ε coupling on the vector or scalar kernel.

    Attributes:
        name: model name (one of ``MODEL_NAMES``).
        kernel: ``vector`` (interferes with the SM: LIN ≠ 0) or ``scalar`` (no interference).
        flavours: detector flavours the coupling acts on (subset of e, mu, tau).
        quarks: quarks carrying the coupling.
        scalar_charge: ``cerdeno2016`` or ``nucleon-ff`` (scalar models only).
        kappa: scalar normalisation κ (PHYSICS.md §5), multiplies the scalar rate by 2κ².
        epsilon: the model's ε at its parameter point (for ``lq-s1`` derived from mass and coupling).
        parameters: the user-facing parameters, for metadata.
        nsi_propagation: vector models only — whether ε also enters the solar matter potential
            (:meth:`matter_nsi`; default on, docs/physics.md).
    """

    name: str
    kernel: str
    flavours: tuple[str, ...]
    quarks: tuple[str, ...]
    epsilon: float = 0.0
    scalar_charge: str = "cerdeno2016"
    kappa: float = DEFAULT_KAPPA
    parameters: tuple[tuple[str, object], ...] = ()
    nsi_propagation: bool = True

    def matter_nsi(self) -> MatterNSI | None:
        """The model's vector NSI in the solar matter potential at its ε (``None``: none or switched off).

        Scalar NSI does not enter the forward-scattering potential; s quarks are absent from the Sun.
        """
        if self.kernel != "vector" or not self.nsi_propagation or self.epsilon == 0:
            return None
        e, mu, tau = (self.epsilon if f in self.flavours else 0.0 for f in ("e", "mu", "tau"))
        per_flavour = (e, mu, tau)
        zero = (0.0, 0.0, 0.0)
        return MatterNSI(
            eps_u=per_flavour if "u" in self.quarks else zero,
            eps_d=per_flavour if "d" in self.quarks else zero,
        )

    def delta_charge(self, isotope: Isotope) -> np.ndarray:
        """Charge per unit ε for each detector flavour (e, μ, τ), shape (3,)."""
        if self.kernel == "vector":
            per_eps = sum(vector_delta_charge(isotope, q) for q in self.quarks)
        else:
            per_eps = scalar_charge_per_eps(isotope, self.quarks, self.scalar_charge)
        mask = np.array([f in self.flavours for f in ("e", "mu", "tau")], dtype=float)
        return per_eps * mask

    @property
    def scalar_rate_factor(self) -> float:
        """2κ²: the scalar kernel's normalisation relative to κ = 1/√2."""
        return 2.0 * self.kappa**2

    def describe(self) -> dict:
        """Plain-dict description for metadata and JSON."""
        out = {"model": self.name, "kernel": self.kernel, "epsilon": self.epsilon, **dict(self.parameters)}
        if self.kernel == "vector":
            out["nsi_propagation"] = self.nsi_propagation
        return out


MODEL_NAMES = ("scalar-universal", "scalar-minimal", "vector-universal", "vector-minimal", "lq-s1")


def _check_choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        msg = f"unknown {what} {value!r}; allowed: {', '.join(allowed)}"
        raise UnknownName(msg)
    return value


def _check_finite(value: float, what: str) -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        msg = f"{what} must be a finite number, got {value!r}"
        raise InvalidInput(msg)
    return float(value)


def make_model(
    name: str,
    *,
    eps: float = 0.0,
    flavour: str = "mu",
    quark: str | None = None,
    scalar_charge: str = "cerdeno2016",
    kappa: float = DEFAULT_KAPPA,
    lq_mass_GeV: float | None = None,
    lq_coupling: float | None = None,
    nsi_propagation: bool = True,
) -> NSIModel:
    """Build a model by name with validated options (PHYSICS.md §4–6, §12 defaults).

    Args:
        name: one of ``MODEL_NAMES``.
        eps: ε (ignored by ``lq-s1``, which derives ε from mass and coupling).
        flavour: e | mu | tau for minimal models and ``lq-s1`` (mu | tau).
        quark: u | d for vector models (default d); u | d | s for ``scalar-minimal`` (default d).
        scalar_charge: ``cerdeno2016`` (default) or ``nucleon-ff`` for ``scalar-universal``.
        kappa: scalar normalisation κ > 0.
        lq_mass_GeV, lq_coupling: S1 mass [GeV] and coupling λ (``lq-s1``; defaults 1000 GeV, 1).
        nsi_propagation: vector models and ``lq-s1``: put ε into the solar matter potential too
            (default on); the LIN/QUAD templates are then exact at the model's ε (docs/physics.md).

    Raises:
        UnknownName: unknown model, flavour, quark or charge option.
        InvalidInput: non-finite ε, κ ≤ 0, LQ mass ≤ 0.
    """
    _check_choice(name, MODEL_NAMES, "model")
    eps = _check_finite(eps, "eps")
    if name == "lq-s1":
        model = _leptoquark_model(flavour, lq_mass_GeV, lq_coupling)
        return dataclasses.replace(model, nsi_propagation=bool(nsi_propagation))
    if name.startswith("scalar"):
        kappa = _check_finite(kappa, "kappa")
        if kappa <= 0:
            msg = f"kappa must be > 0, got {kappa}"
            raise InvalidInput(msg)
        _check_choice(scalar_charge, SCALAR_CHARGES, "scalar charge option")
        if name == "scalar-universal":
            return NSIModel(
                name,
                "scalar",
                ("e", "mu", "tau"),
                QUARKS_SCALAR,
                eps,
                scalar_charge,
                kappa,
                (("eps", eps), ("scalar_charge", scalar_charge), ("kappa", kappa)),
            )
        _check_choice(flavour, tuple(FLAVOUR_INDEX), "flavour")
        quark = _check_choice(quark or "d", QUARKS_SCALAR, "quark")
        return NSIModel(
            name,
            "scalar",
            (flavour,),
            (quark,),
            eps,
            "nucleon-ff",
            kappa,
            (("eps", eps), ("flavour", flavour), ("quark", quark), ("kappa", kappa)),
        )
    quark = _check_choice(quark or "d", QUARKS_VECTOR, "quark")
    if name == "vector-universal":
        return NSIModel(
            name,
            "vector",
            ("e", "mu", "tau"),
            (quark,),
            eps,
            parameters=(("eps", eps), ("quark", quark)),
            nsi_propagation=bool(nsi_propagation),
        )
    _check_choice(flavour, tuple(FLAVOUR_INDEX), "flavour")
    return NSIModel(
        name,
        "vector",
        (flavour,),
        (quark,),
        eps,
        parameters=(("eps", eps), ("flavour", flavour), ("quark", quark)),
        nsi_propagation=bool(nsi_propagation),
    )


def _leptoquark_model(flavour: str, mass_GeV: float | None, coupling: float | None) -> NSIModel:
    _check_choice(flavour, ("mu", "tau"), "leptoquark flavour")
    mass_GeV = _check_finite(1000.0 if mass_GeV is None else mass_GeV, "lq mass")
    coupling = _check_finite(1.0 if coupling is None else coupling, "lq coupling")
    if mass_GeV <= 0:
        msg = f"leptoquark mass must be > 0 GeV, got {mass_GeV}"
        raise InvalidInput(msg)
    eps = leptoquark_epsilon(mass_GeV, coupling)
    return NSIModel(
        "lq-s1",
        "vector",
        (flavour,),
        ("d",),
        eps,
        parameters=(("lq_mass_GeV", mass_GeV), ("lq_coupling", coupling), ("flavour", flavour)),
    )


def __dir__() -> list[str]:
    return __all__
