"""Exceptions raised by cevns-stats. Each also inherits the matching builtin."""

from __future__ import annotations

__all__ = [
    "CevnsError",
    "FitError",
    "InvalidInput",
    "TableError",
    "UnknownName",
    "UnsupportedWorkspace",
    "WorkspaceError",
]


class CevnsError(Exception):
    """Base class of every error cevns-stats raises on purpose (the CLI prints it as one line)."""


class InvalidInput(CevnsError, ValueError):
    """Raised when a user-supplied value is outside what is allowed (the message says what is)."""


class UnknownName(CevnsError, KeyError):
    """Raised when a target, channel, preset, model, flavour or quark name is not known."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain message
        return str(self.args[0]) if self.args else ""


class TableError(CevnsError, ValueError):
    """Raised when a user table (flux, efficiency) is malformed, non-monotonic or non-finite."""


class WorkspaceError(CevnsError, ValueError):
    """Raised when a workspace or patchset is malformed or lacks a required channel or modifier."""


class UnsupportedWorkspace(CevnsError, NotImplementedError):
    """Raised when a valid pyhf workspace uses something the fast engine cannot evaluate (use pyhf)."""


class FitError(CevnsError, RuntimeError):
    """Raised when a fit cannot be performed at all (not for individual failed toy fits)."""


def __dir__() -> list[str]:
    return __all__
