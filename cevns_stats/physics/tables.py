"""Reading and validating user tables (efficiency, flux) the way users have them (PHYSICS.md §9).

Accepted text formats: comma-, semicolon- or whitespace-separated columns (tabs included); comment
lines starting with ``#`` (HEPData CSV exports write ``#:`` metadata lines) or ``%``; trailing ``#``
comments; blank lines; one optional header row (the first non-comment row, when one of its first
``columns`` cells is not a number, e.g. ``E [keV], efficiency`` or HEPData's ``$E$ [keV],efficiency``);
extra columns (only the first ``columns`` are kept, e.g. HEPData's error columns).

The first column is an energy (strictly increasing, ≥ 0); the others are values (≥ 0 unless told
otherwise). Every problem raises :class:`~cevns_stats.errors.TableError` with a one-line message that
names the file and, where it applies, the line number.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from cevns_stats.errors import TableError

__all__ = ["read_table", "validate_xy"]

_COMMENT_PREFIXES = ("#", "%")
_SEPARATORS = re.compile(r"[\s,;]+")


def __dir__() -> list[str]:
    return __all__


def read_table(path, *, columns: int = 2, what: str = "table", nonnegative_values: bool = True) -> np.ndarray:
    """Read a numeric table from a text file and validate it.

    Args:
        path: file to read (``str`` or :class:`pathlib.Path`).
        columns: number of leading columns to keep (≥ 2); extra columns are ignored, defaults to 2.
        what: what the table is, for error messages (e.g. ``"efficiency table"``), defaults to ``"table"``.
        nonnegative_values: reject negative values in columns 2…, defaults to True.

    Returns:
        Float array of shape (n, columns), n ≥ 2; column 0 strictly increasing and ≥ 0.

    Raises:
        TableError: the file is missing or unreadable, has fewer than two numeric rows, a row with
            too few columns or a non-numeric cell after the header, a NaN/inf, non-increasing or
            negative energies, or negative values.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "eff.csv"
        >>> _ = p.write_text("# LZ-like\\nE [keV], efficiency\\n1, 0.0\\n5, 0.5\\n")
        >>> read_table(p).tolist()
        [[1.0, 0.0], [5.0, 0.5]]
    """
    if columns < 2:
        msg = f"read_table: columns must be at least 2 (energy and one value column), got {columns}"
        raise TableError(msg)
    label = f"{what} '{path}'"
    rows, line_numbers = _parse_rows(_read_lines(path, label), columns, label)
    table = np.array(rows, dtype=float)
    _check_table(table, line_numbers, label, nonnegative_values)
    return table


def validate_xy(energy, values, *, what: str = "table", nonnegative_values: bool = True):
    """Validate an (energy, values) pair passed in through the API.

    Args:
        energy: energies, shape (n,), n ≥ 2; strictly increasing, finite and ≥ 0.
        values: values at those energies, shape (n,) or (n, k); finite (and ≥ 0 by default).
        what: what the table is, for error messages, defaults to ``"table"``.
        nonnegative_values: reject negative values, defaults to True.

    Returns:
        ``(energy, values)`` as float arrays of shapes (n,) and values' shape.

    Raises:
        TableError: on wrong shapes or any of the checks above.

    Example:
        >>> e, v = validate_xy([1, 2, 3], [0.0, 0.5, 0.9], what="efficiency")
        >>> e.dtype, v.shape
        (dtype('float64'), (3,))
    """
    try:
        energy = np.asarray(energy, dtype=float)
        values = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        msg = f"{what}: energies and values must be numeric arrays ({err})"
        raise TableError(msg) from None
    if energy.ndim != 1 or values.ndim not in (1, 2) or values.shape[0] != energy.shape[0]:
        msg = (
            f"{what}: energy must have shape (n,) and values shape (n,) or (n, k); "
            f"got {energy.shape} and {values.shape}"
        )
        raise TableError(msg)
    table = np.column_stack([energy, values])
    _check_table(table, None, what, nonnegative_values)
    return energy, values


def _read_lines(path, label: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        msg = f"{label} not found"
    except IsADirectoryError:
        msg = f"{label} is a directory, expected a text file"
    except (OSError, UnicodeDecodeError) as err:
        msg = f"{label} cannot be read as text: {err}"
    raise TableError(msg)


def _cells(line: str) -> list[str]:
    """Split a data line into cells (comments and surrounding quotes removed)."""
    line = line.split("#", 1)[0].strip().strip(",;")
    return [cell.strip("\"'") for cell in _SEPARATORS.split(line)] if line else []


def _parse_rows(lines: list[str], columns: int, label: str):
    """Return the numeric rows (first ``columns`` cells) and their 1-based line numbers."""
    rows: list[list[float]] = []
    line_numbers: list[int] = []
    header_allowed = True
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith(_COMMENT_PREFIXES):
            continue
        cells = _cells(line)
        if not cells:
            continue
        numbers = _to_floats(cells[:columns])
        if numbers is None and header_allowed:
            header_allowed = False
            continue
        header_allowed = False
        if len(cells) < columns:
            msg = f"{label}, line {number}: expected at least {columns} columns, found {len(cells)}: {line.strip()!r}"
            raise TableError(msg)
        if numbers is None:
            msg = f"{label}, line {number}: non-numeric cell in {line.strip()!r} (only one header row is allowed)"
            raise TableError(msg)
        rows.append(numbers)
        line_numbers.append(number)
    if len(rows) < 2:
        msg = f"{label}: found {len(rows)} numeric rows, need at least 2 (energy, value) rows"
        raise TableError(msg)
    return rows, line_numbers


def _to_floats(cells: list[str]) -> list[float] | None:
    try:
        return [float(cell) for cell in cells]
    except ValueError:
        return None


def _where(label: str, line_numbers, index: int) -> str:
    if line_numbers is None:
        return f"{label}, index {index}"
    return f"{label}, line {line_numbers[index]}"


def _check_table(table: np.ndarray, line_numbers, label: str, nonnegative_values: bool) -> None:
    """Raise TableError at the first non-finite, non-increasing or negative entry."""
    if table.shape[0] < 2:
        msg = f"{label}: found {table.shape[0]} rows, need at least 2"
        raise TableError(msg)
    bad = ~np.isfinite(table).all(axis=1)
    if bad.any():
        msg = f"{_where(label, line_numbers, int(np.argmax(bad)))}: NaN or infinite entry; all entries must be finite"
        raise TableError(msg)
    energy = table[:, 0]
    if (energy < 0).any():
        msg = f"{_where(label, line_numbers, int(np.argmax(energy < 0)))}: negative energy; energies must be ≥ 0"
        raise TableError(msg)
    step = np.diff(energy) <= 0
    if step.any():
        index = int(np.argmax(step)) + 1
        msg = f"{_where(label, line_numbers, index)}: energies must be strictly increasing (non-monotonic at this row)"
        raise TableError(msg)
    negative = (table[:, 1:] < 0).any(axis=1)
    if nonnegative_values and negative.any():
        msg = f"{_where(label, line_numbers, int(np.argmax(negative)))}: negative value; values must be ≥ 0"
        raise TableError(msg)
