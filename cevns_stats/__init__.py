"""cevns-stats: CEvNS spectra, NSI and leptoquark templates, pyhf workspaces and fast inference."""

__version__ = "0.1.0"
__all__ = ["__version__"]
