"""Nuclear-recoil detection efficiencies ε(E_R) (PHYSICS.md §9, §11).

An efficiency is any vectorised callable of the TRUE recoil energy [keVnr] returning values in
[0, 1] of the same shape. Provided here:

* :class:`TanhEfficiency` — the paper's Eq. (4); :func:`tanh_efficiency` keeps the plateau ``a`` and
  steepness ``b`` fixed at :data:`TANH_PLATEAU_A`, :data:`TANH_STEEPNESS_B_PER_KEV` (fitted once to
  LZ's WS2022 NR efficiency) while the threshold varies (PHYSICS.md §9).
* :class:`StepEfficiency` — a hard threshold.
* :class:`TableEfficiency` — a user table, linearly interpolated; zero above its last point unless
  asked to hold the last value (``hold=True``, CLI ``--hold-efficiency``).
* :data:`LZ_WS2022_EFFICIENCY` — this project's own smooth parametrisation of LZ's WS2022 NR
  efficiency (PRL 131 (2023) 041002, Fig. 2); LZ's table itself is not shipped.

All fitted coefficients are reproduced by ``scripts/fit_efficiency.py`` from LZ's published table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import erfc

from cevns_stats.errors import InvalidInput, TableError
from cevns_stats.physics.tables import read_table, validate_xy

__all__ = [
    "EFFICIENCY_NAMES",
    "LZ_WS2022_EFFICIENCY",
    "TANH_LZ_FIT_THRESHOLD_KEV",
    "TANH_PLATEAU_A",
    "TANH_STEEPNESS_B_PER_KEV",
    "LogisticRiseEfficiency",
    "StepEfficiency",
    "TableEfficiency",
    "TanhEfficiency",
    "efficiency_from_name",
    "tanh_efficiency",
]


def __dir__() -> list[str]:
    return __all__


#: Tanh plateau a, steepness b [1/keV] and threshold [keV], fitted together to LZ's WS2022 NR
#: efficiency (PRL 131 (2023) 041002, Fig. 2 data) over 0–40 keVnr (above 40 keV LZ's S1 region of
#: interest cuts the efficiency, which a tanh cannot describe), residuals in 1–6 keV (where xenon's
#: ⁸B recoils live) weighted ×3. RMS residual 0.021 over 0–40 keV, 0.025 over 1–6 keV
#: (scripts/fit_efficiency.py). a and b stay fixed while the threshold varies (PHYSICS.md §9).
TANH_PLATEAU_A = 0.8877
TANH_STEEPNESS_B_PER_KEV = 0.4419
TANH_LZ_FIT_THRESHOLD_KEV = 4.924

#: Names accepted by :func:`efficiency_from_name` (besides a path to a table file).
EFFICIENCY_NAMES = ("tanh", "step", "lz-ws2022")


def _check_threshold(threshold_keV) -> float:
    threshold = float(threshold_keV)
    if not np.isfinite(threshold) or threshold < 0:
        msg = f"efficiency threshold must be a finite energy ≥ 0 keV, got {threshold_keV!r}"
        raise InvalidInput(msg)
    return threshold


def _check_plateau(plateau) -> float:
    plateau = float(plateau)
    if not 0 < plateau <= 1:
        msg = f"efficiency plateau must lie in (0, 1], got {plateau!r}"
        raise InvalidInput(msg)
    return plateau


@dataclass(frozen=True)
class TanhEfficiency:
    """ε(E) = a · [tanh(b (E − E_th)) + tanh(b E_th)] / [1 + tanh(b E_th)] (PHYSICS.md §9, paper Eq. 4).

    Exactly 0 at E = 0 (and below), rising monotonically to a as E → ∞. With a soft b the threshold
    is not hard: the tail below E_th can dominate a ⁸B yield (PHYSICS.md §9).

    Attributes:
        plateau_a: efficiency at high energy, in (0, 1].
        steepness_b_per_keV: rate of the rise b [1/keV], > 0.
        threshold_keV: threshold E_th [keV], ≥ 0.

    Example:
        >>> eff = TanhEfficiency(0.9, 0.5, 3.0)
        >>> float(eff(0.0)), bool(np.isclose(eff(1e3), 0.9))
        (0.0, True)
    """

    plateau_a: float
    steepness_b_per_keV: float
    threshold_keV: float

    def __post_init__(self) -> None:
        _check_plateau(self.plateau_a)
        _check_threshold(self.threshold_keV)
        if not (np.isfinite(self.steepness_b_per_keV) and self.steepness_b_per_keV > 0):
            msg = f"tanh steepness b must be a finite number > 0 per keV, got {self.steepness_b_per_keV!r}"
            raise InvalidInput(msg)

    def __call__(self, recoil_energy_keV) -> np.ndarray:
        """Efficiency at true recoil energies [keV]; array of the input's shape."""
        energy = np.maximum(np.asarray(recoil_energy_keV, dtype=float), 0.0)
        b, threshold = self.steepness_b_per_keV, self.threshold_keV
        offset = np.tanh(b * threshold)
        return self.plateau_a * (np.tanh(b * (energy - threshold)) + offset) / (1.0 + offset)


def tanh_efficiency(threshold_keV: float) -> TanhEfficiency:
    """The tanh efficiency with a and b fixed at the LZ fit and a chosen threshold [keV].

    Example:
        >>> tanh_efficiency(2.0).plateau_a == TANH_PLATEAU_A
        True
    """
    return TanhEfficiency(TANH_PLATEAU_A, TANH_STEEPNESS_B_PER_KEV, _check_threshold(threshold_keV))


@dataclass(frozen=True)
class StepEfficiency:
    """A hard threshold: ε = plateau for E ≥ threshold, 0 below.

    Attributes:
        threshold_keV: threshold [keV], ≥ 0.
        plateau: efficiency above threshold, in (0, 1], defaults to 1.

    Example:
        >>> StepEfficiency(2.0)([1.0, 2.0, 3.0]).tolist()
        [0.0, 1.0, 1.0]
    """

    threshold_keV: float
    plateau: float = 1.0

    def __post_init__(self) -> None:
        _check_threshold(self.threshold_keV)
        _check_plateau(self.plateau)

    def __call__(self, recoil_energy_keV) -> np.ndarray:
        """Efficiency at true recoil energies [keV]; array of the input's shape."""
        energy = np.asarray(recoil_energy_keV, dtype=float)
        return np.where(energy >= self.threshold_keV, self.plateau, 0.0)


@dataclass(frozen=True, eq=False)
class TableEfficiency:
    """An efficiency table, linearly interpolated in energy.

    Outside the table: below the first point ε = first value (so a table that starts at 0 gives 0
    below it — the usual case; a table starting above 0 is held flat down to 0 keV, so start your
    table with a 0 where the efficiency vanishes). Above the last point ε = 0 (the table says nothing
    there), or the last value when ``hold`` is true. The response warns when more than 1 % of the
    expected signal lies beyond the table (:mod:`cevns_stats.detector.response`).

    Attributes:
        energy_keV: table energies [keV], shape (n,), strictly increasing, ≥ 0.
        efficiency: efficiencies, shape (n,), each in [0, 1].
        source: a name for messages.
        hold: hold the last value above the last point (default: zero there).

    Raises:
        TableError: malformed table or an efficiency outside [0, 1].

    Example:
        >>> eff = TableEfficiency([1.0, 3.0], [0.0, 0.8])
        >>> eff([0.5, 2.0, 10.0]).tolist()
        [0.0, 0.4, 0.0]
        >>> TableEfficiency([1.0, 3.0], [0.0, 0.8], hold=True)([10.0]).tolist()
        [0.8]
    """

    energy_keV: np.ndarray
    efficiency: np.ndarray
    source: str = "efficiency table"
    hold: bool = False

    @property
    def beyond(self) -> str:
        """What happens above the last point: ``"zero"`` or ``"hold"`` (stated in every output)."""
        return "hold" if self.hold else "zero"

    @property
    def last_energy_keV(self) -> float:
        """The table's last energy [keV]."""
        return float(self.energy_keV[-1])

    def __post_init__(self) -> None:
        energy, values = validate_xy(self.energy_keV, self.efficiency, what=self.source)
        if values.ndim != 1:
            msg = f"{self.source}: efficiency must have shape (n,), got {values.shape}"
            raise TableError(msg)
        if (values > 1).any():
            index = int(np.argmax(values > 1))
            msg = (
                f"{self.source}: efficiency {values[index]:g} at {energy[index]:g} keV exceeds 1; "
                "efficiencies lie in [0, 1]"
            )
            raise TableError(msg)
        for name, array in (("energy_keV", energy), ("efficiency", values)):
            array = array.copy()
            array.flags.writeable = False
            object.__setattr__(self, name, array)

    @classmethod
    def from_file(cls, path, *, hold: bool = False) -> TableEfficiency:
        """Read ``E [keV], efficiency`` from a text file (formats: :func:`cevns_stats.physics.tables.read_table`)."""
        table = read_table(path, columns=2, what="efficiency table")
        return cls(table[:, 0], table[:, 1], source=f"efficiency table '{path}'", hold=hold)

    def __call__(self, recoil_energy_keV) -> np.ndarray:
        """Efficiency at true recoil energies [keV]; array of the input's shape."""
        right = None if self.hold else 0.0
        energy = np.asarray(recoil_energy_keV, dtype=float)
        return np.interp(energy, self.energy_keV, self.efficiency, right=right)


@dataclass(frozen=True)
class LogisticRiseEfficiency:
    """A generalised-logistic rise in ln(E − E₀) times an error-function roll-off at high energy.

    ε(E) = a · [1 + ((E − E₀)/E_c)^(−1/s)]^(−ν) · ½ erfc((E − E_hi)/w_hi) for E > E₀, else 0.
    (The rise is 1/(1 + exp(−(ln(E − E₀) − ln E_c)/s))^ν, a generalised logistic in ln(E − E₀).)

    Attributes:
        plateau: a, in (0, 1].
        onset_keV: E₀ [keV]; ε = 0 at and below it.
        centre_keV: E_c [keV], the rise's centre measured from E₀.
        log_width: s, width of the rise in ln E.
        asymmetry: ν > 0, the generalised-logistic exponent.
        rolloff_keV: E_hi [keV], where the high-energy roll-off halves ε (``inf``: none).
        rolloff_width_keV: w_hi [keV].
    """

    plateau: float
    onset_keV: float
    centre_keV: float
    log_width: float
    asymmetry: float
    rolloff_keV: float = np.inf
    rolloff_width_keV: float = 1.0

    def __call__(self, recoil_energy_keV) -> np.ndarray:
        """Efficiency at true recoil energies [keV]; array of the input's shape."""
        energy = np.asarray(recoil_energy_keV, dtype=float)
        above = np.maximum(energy - self.onset_keV, 0.0) / self.centre_keV
        with np.errstate(divide="ignore", over="ignore"):
            rise = (1.0 + above ** (-1.0 / self.log_width)) ** (-self.asymmetry)
        rolloff = 0.5 * erfc((energy - self.rolloff_keV) / self.rolloff_width_keV)
        return np.where(above > 0, self.plateau * rise * rolloff, 0.0)


#: This project's parametrisation of LZ's WS2022 NR efficiency (PRL 131 (2023) 041002, Fig. 2 data),
#: fitted by scripts/fit_efficiency.py: max |residual| 0.010, RMS 0.004 over LZ's 200 points
#: (0.25–99.75 keV); its ⁸B-weighted integral matches the table's to 0.5 % (tests). Zero below 1.37 keV.
LZ_WS2022_EFFICIENCY = LogisticRiseEfficiency(
    plateau=0.9047,
    onset_keV=1.367,
    centre_keV=3.874,
    log_width=0.3476,
    asymmetry=0.8246,
    rolloff_keV=53.80,
    rolloff_width_keV=7.219,
)


def efficiency_from_name(name_or_path, threshold_keV: float = 0.0, *, hold: bool = False):
    """Build an efficiency from a name, a table path, or pass a callable through.

    Args:
        name_or_path: ``"tanh"`` (:func:`tanh_efficiency`), ``"step"`` (:class:`StepEfficiency`),
            ``"lz-ws2022"`` (:data:`LZ_WS2022_EFFICIENCY`), a path to an ``E [keV], efficiency``
            table (:meth:`TableEfficiency.from_file`), or a callable (returned unchanged).
        threshold_keV: threshold [keV] for ``tanh`` and ``step``; not used by the others (a detector
            applies it as a hard threshold there, :func:`cevns_stats.detector.presets.make_detector`).
        hold: for a table, hold the last value above the last point (default: zero there).

    Returns:
        A vectorised callable ε(E_R [keV]) with values in [0, 1].

    Raises:
        InvalidInput: an unknown name (the message lists the allowed ones) or a bad threshold.
        TableError: a table path that is missing, unreadable or invalid.

    Example:
        >>> efficiency_from_name("step", 3.0)
        StepEfficiency(threshold_keV=3.0, plateau=1.0)
    """
    if callable(name_or_path):
        return name_or_path
    if name_or_path == "tanh":
        return tanh_efficiency(threshold_keV)
    if name_or_path == "step":
        return StepEfficiency(_check_threshold(threshold_keV))
    if name_or_path == "lz-ws2022":
        return LZ_WS2022_EFFICIENCY
    if isinstance(name_or_path, (str, Path)) and _looks_like_path(name_or_path):
        return TableEfficiency.from_file(name_or_path, hold=hold)
    allowed = ", ".join(EFFICIENCY_NAMES)
    msg = f"unknown efficiency {name_or_path!r}; allowed: {allowed}, or a path to an 'E [keV], efficiency' table"
    raise InvalidInput(msg)


def _looks_like_path(name) -> bool:
    if isinstance(name, Path):
        return True
    path = Path(name)
    return name.strip() != "" and (path.exists() or path.suffix != "" or len(path.parts) > 1)
