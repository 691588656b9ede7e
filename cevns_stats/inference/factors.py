"""Univariate factors φ(θ) of the compiled engine and their first two derivatives (pyhf 0.7.6 defaults).

Each kind is one small vectorised function ``f(x, const, order) -> (φ, φ', φ'')`` of a parameter column
x (n, S) for S slots of that kind, with per-slot constants ``const`` (arrays of length S), which computes
derivatives only up to ``order`` (the others are returned as None); they are collected in
:data:`FACTOR_FUNCTIONS` (as pyhf's ``interpolators`` registry):

* :attr:`FactorKind.POWER`: ``normfactor``, ``lumi``, ``shapefactor``, ``shapesys``, ``staterror`` and
  the histosys slope: φ = θ^p (p = 1, or 2 for ε² in the tied-ε view);
* :attr:`FactorKind.CODE4`: ``normsys`` interpolation code 4 with α₀ = 1 (pyhf ``interpolators.code4``):
  hi^α for α ≥ 1, lo^(−α) for α ≤ −1, 1 + Σ_{i=1..6} a_i α^i in between;
* :attr:`FactorKind.CODE4P_G`: the even part of ``histosys`` code 4p (pyhf ``interpolators.code4p``):
  g(α) = 15α² − 10α⁴ + 3α⁶ for |α| ≤ 1 and 8|α| beyond.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import numpy as np

__all__ = ["FACTOR_FUNCTIONS", "FactorKind", "code4", "code4_coefficients", "g4p", "power"]


class FactorKind(enum.IntEnum):
    """Type of one factor slot of a compiled row (stored in ``CompiledModel.slot_kind``)."""

    NONE = 0  #: padding, φ ≡ 1
    POWER = 1  #: θ^p
    CODE4 = 2  #: normsys code 4
    CODE4P_G = 3  #: histosys code 4p, even part g(α)


# pyhf 0.7.6 interpolators/code4.py: inverse of the 6x6 boundary-condition matrix at α₀ = 1, applied to
# b = [hi − 1, lo − 1, ln(hi)·hi, −ln(lo)·lo, ln²(hi)·hi, ln²(lo)·lo] gives a_1..a_6.
_CODE4_A_INVERSE = np.array(
    [
        [15.0 / 16, -15.0 / 16, -7.0 / 16, -7.0 / 16, 1.0 / 16, -1.0 / 16],
        [3.0 / 2, 3.0 / 2, -9.0 / 16, 9.0 / 16, 1.0 / 16, 1.0 / 16],
        [-5.0 / 8, 5.0 / 8, 5.0 / 8, 5.0 / 8, -1.0 / 8, 1.0 / 8],
        [3.0 / -2, 3.0 / -2, -7.0 / -8, 7.0 / -8, -1.0 / 8, -1.0 / 8],
        [3.0 / 16, -3.0 / 16, -3.0 / 16, -3.0 / 16, 1.0 / 16, -1.0 / 16],
        [1.0 / 2, 1.0 / 2, -5.0 / 16, 5.0 / 16, 1.0 / 16, 1.0 / 16],
    ]
)

Factors = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]

_POWERS = np.arange(1.0, 7.0)  # d/dα α^i = i α^(i−1)


def code4_coefficients(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Polynomial coefficients a_1..a_6 of pyhf's normsys code 4 (α₀ = 1); shape (..., 6).

    Example:
        >>> a = code4_coefficients(np.array(1.2), np.array(0.8))
        >>> bool(np.isclose(1.0 + a.sum(), 1.2))  # the polynomial meets hi at α = 1
        True
    """
    log_hi, log_lo = np.log(hi), np.log(lo)
    b = np.stack([hi - 1.0, lo - 1.0, log_hi * hi, -log_lo * lo, log_hi**2 * hi, log_lo**2 * lo], axis=-1)
    return b @ _CODE4_A_INVERSE.T


def power(x: np.ndarray, const: dict, order: int = 2) -> Factors:
    """θ^p and its derivatives; x (n, S), ``const["power"]`` (S,)."""
    if const["all_linear"]:
        return x, (np.ones_like(x) if order else None), (np.zeros_like(x) if order > 1 else None)
    p = const["power"]
    d1 = p * x ** (p - 1.0) if order else None
    d2 = p * (p - 1.0) * x ** np.maximum(p - 2.0, 0.0) if order > 1 else None
    return x**p, d1, d2


def g4p(x: np.ndarray, const: dict, order: int = 2) -> Factors:
    """Even part g(α) of histosys code 4p and its derivatives; x (n, S)."""
    x2 = x * x
    inside = np.abs(x) <= 1.0
    val = np.where(inside, x2 * (15.0 + x2 * (-10.0 + 3.0 * x2)), 8.0 * np.abs(x))
    d1 = np.where(inside, x * (30.0 + x2 * (-40.0 + 18.0 * x2)), 8.0 * np.sign(x)) if order else None
    d2 = np.where(inside, 30.0 + x2 * (-120.0 + 90.0 * x2), 0.0) if order > 1 else None
    return val, d1, d2


def code4(x: np.ndarray, const: dict, order: int = 2) -> Factors:
    """pyhf code 4: exp(|α|·ln(hi or lo)) beyond ±1, the 6th-order polynomial inside; x (n, S).

    The exponential is evaluated only where |α| ≥ 1 (``np.exp`` costs as much as the whole polynomial).
    """
    x = np.ascontiguousarray(x)  # C order: the flat positions below index x and every output alike
    a = const["coef"]  # (6, S)
    out = [1.0 + x * (a[0] + x * (a[1] + x * (a[2] + x * (a[3] + x * (a[4] + x * a[5])))))]
    if order:
        b = a * _POWERS[:, None]  # coefficients of φ' (α⁰ … α⁵)
        out.append(b[0] + x * (b[1] + x * (b[2] + x * (b[3] + x * (b[4] + x * b[5])))))
    if order > 1:
        c = b[1:] * _POWERS[:5, None]  # coefficients of φ'' (α⁰ … α⁴)
        out.append(c[0] + x * (c[1] + x * (c[2] + x * (c[3] + x * c[4]))))
    flat = np.flatnonzero(np.abs(x) >= 1.0)
    if flat.size:
        alpha = x.ravel()[flat]
        slot = flat % x.shape[-1]
        log_base = np.where(alpha > 0.0, const["log_hi"][slot], -const["log_lo"][slot])
        value = np.exp(alpha * log_base)
        for array in out:  # φ = b^α, φ' = φ ln b, φ'' = φ ln² b
            array.ravel()[flat] = value
            value = value * log_base
    return out[0], (out[1] if order else None), (out[2] if order > 1 else None)


#: The factor function of each kind (padding has none: φ ≡ 1).
FACTOR_FUNCTIONS: dict[FactorKind, Callable[[np.ndarray, dict, int], Factors]] = {
    FactorKind.POWER: power,
    FactorKind.CODE4: code4,
    FactorKind.CODE4P_G: g4p,
}


def __dir__() -> list[str]:
    return __all__
