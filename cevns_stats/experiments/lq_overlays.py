"""Published bounds overlaid on the S1 leptoquark (m_S1, λ) plane, kept as cited data (PHYSICS.md §6).

Every number here is copied from the cited publication (not computed) and carries its citation:

* CMS, "Search for pair production of second-generation leptoquarks at √s = 13 TeV", Phys. Rev. D 99
  (2019) 032014, arXiv:1808.05082 (35.9 fb⁻¹, final states μμjj and μνjj). Abstract: scalar
  second-generation LQs are excluded below **1530 GeV for β = 1.0** and **1285 GeV for β = 0.5**, β =
  B(LQ → μ q). Pair production is QCD-driven, so the bound does not depend on λ (a vertical band).
  For the S1 with the coupling λ Q̄^c iσ₂ L the same λ gives S1 → μ u and S1 → ν d with equal widths
  (massless limit), i.e. **β = 0.5 is the case relevant to the minimal-μ S1**. The pure ν j channel
  (β = 0, S1 → ν d only) is not covered by this paper; no β = 0 number is kept here.
  Verified against the paper's abstract (INSPIRE/CMS public-results page EXO-17-003).
  For flavour τ (third-generation lepton) this second-generation search does not apply; the paper
  (arXiv:2307.15736 §5.2) notes the LHC bounds are weaker there — no τ collider overlay is kept.
* Perturbativity: λ ≤ √(4π), a generic **proxy** for the perturbative-unitarity bound of Allwicher,
  Arnan, Barducci & Nardecchia, JHEP 10 (2021) 129 (their mass-dependent value is not at hand).
* The (g−2)_μ band of the paper's Fig. 6 is not reproduced (no reliable numbers at hand).
"""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = [
    "CMS_2ND_GEN_PAIR_BETA_HALF",
    "CMS_2ND_GEN_PAIR_BETA_ONE",
    "PERTURBATIVITY_PROXY",
    "MassBound",
    "collider_bounds",
]


class MassBound(NamedTuple):
    """A λ-independent lower bound on m_S1 [GeV] at 95 % CL, with its label and citation."""

    mass_GeV: float
    label: str
    citation: str
    verified: bool


_CMS_CITATION = "CMS, Phys. Rev. D 99 (2019) 032014, arXiv:1808.05082 (35.9 fb^-1, 13 TeV)"

#: β = B(S1 → μ q) = 0.5: the minimal-μ S1 case (equal μu and νd widths).
CMS_2ND_GEN_PAIR_BETA_HALF = MassBound(1285.0, "CMS LQ pair production (β = 0.5)", _CMS_CITATION, True)
#: β = 1 (for reference; not the S1 case).
CMS_2ND_GEN_PAIR_BETA_ONE = MassBound(1530.0, "CMS LQ pair production (β = 1)", _CMS_CITATION, True)

#: λ ≤ √(4π): proxy for perturbative unitarity (Allwicher et al., JHEP 10 (2021) 129; PHYSICS.md §6).
PERTURBATIVITY_PROXY = math.sqrt(4.0 * math.pi)


def collider_bounds(flavour: str) -> tuple[MassBound, ...]:
    """Collider mass bounds relevant to the minimal S1 of ``flavour`` (``mu``: CMS β = 0.5; ``tau``: none)."""
    return (CMS_2ND_GEN_PAIR_BETA_HALF,) if flavour == "mu" else ()


def __dir__() -> list[str]:
    return __all__
