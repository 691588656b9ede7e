"""The real-data results (beyond the paper) and their published likelihoods under ``workspaces/``.

:func:`real_data_results` evaluates every number of docs/recasts.md: the ⁸B flux and significance per
experiment (XENONnT SR0+SR1 — the published analysis — and SR0–SR2, PandaX-4T, LZ WS2022) and combined; the
90 % CL allowed ε of the NSI benchmarks and the S1 leptoquark bound, each from LZ WS2022 alone and from the
combination. :func:`write_publications` writes the BkgOnly + patchset folders of ``PUBLICATIONS`` (observed
data, README with data, provenance, licence and the ``pyhf cls`` command); ``scripts/build_outputs.py`` can
call it after ``write_outputs``. The XENONnT parts are derived from the XENONnT data release (CC-BY-4.0).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyhf

from cevns_stats import __version__
from cevns_stats.experiments.real_data import (
    CONFIDENCE_LEVEL,
    NSI_BENCHMARKS,
    PUBLISHED_FLUX,
    b8_reference_flux,
    benchmark_model,
    experiment_channels,
    flux_measurement,
    lq_bound,
    nsi_interval,
)
from cevns_stats.experiments.recast_channel import build_recast_publication
from cevns_stats.experiments.xenonnt import RUNS
from cevns_stats.likelihood.publish import write_publication
from cevns_stats.physics.interactions import make_model

__all__ = [
    "ATTRIBUTION",
    "EPS_GRID",
    "LQ_GRID",
    "PUBLICATIONS",
    "SCALAR_GRID",
    "Publication",
    "publication_files",
    "real_data_results",
    "results_json_text",
    "results_markdown",
    "write_publications",
]

log = logging.getLogger(__name__)

ATTRIBUTION = (
    "XENONnT channels derived from the XENONnT solar 8B CEvNS data release (XENONnT/cevns_data_release @ "
    "60d230dd7a5646fd4aa2368c5fdfba575ee0cb88, CC-BY-4.0, https://creativecommons.org/licenses/by/4.0/; "
    "Zenodo 10.5281/zenodo.20576156; PRL 133, 191002 (2024), arXiv:2408.02877; arXiv:2604.06002). "
    "PandaX-4T counts from PRL 133, 191001 (2024), arXiv:2407.10892. LZ WS2022: PRL 131, 041002 (2023)."
)
EPS_GRID = (-0.5, -0.2, -0.1, -0.05, -0.02, -0.01, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
SCALAR_GRID = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
LQ_GRID = tuple((m, lam) for m in (1000.0, 2000.0) for lam in (1.0, 2.0, 3.0, 4.0, 6.0))


class Publication(NamedTuple):
    """One published real-data likelihood: folder, experiment, model (make_model name, options), grid."""

    directory: str
    experiment: str
    model: str
    options: tuple
    kind: str
    grid: tuple


PUBLICATIONS = (
    Publication(
        "real-data_combined_vector-universal_d",
        "combined",
        "vector-universal",
        (("quark", "d"),),
        "eps",
        EPS_GRID,
    ),
    Publication(
        "real-data_combined_scalar-universal", "combined", "scalar-universal", (), "eps", SCALAR_GRID
    ),
    Publication("real-data_combined_lq-s1_mu", "combined", "lq-s1", (("flavour", "mu"),), "lq", LQ_GRID),
    Publication(
        "real-data_xenonnt_vector-universal_d",
        "xenonnt",
        "vector-universal",
        (("quark", "d"),),
        "eps",
        EPS_GRID,
    ),
)


def _readme(pub: Publication, bkg: dict, patchset: dict) -> str:
    names = [p["metadata"]["name"] for p in patchset["patches"]]
    channels = [c["name"] for c in bkg["channels"]]
    lines = [
        f"# Real-data CEvNS likelihood: {pub.experiment}, {pub.model} {dict(pub.options)} (beyond the paper)",
        "",
        "pyhf BkgOnly + patchset built from **observed data** by cevns-stats (docs/recasts.md).",
        "",
        "## Data",
        f"- channels: {', '.join(channels)}",
        (
            "- `xenonnt_sr*`: XENONnT SR0/SR1/SR2, 81 bins each (cS2 × S2-shadow quantile × S1 BDT × S2 BDT, 3 bins "
            "each, C order), observed events and backgrounds (AC, ER, neutron) from the release; CEvNS from our "
            "recoil spectra folded with the release's mono-energetic NR efficiencies (0.5–5 keVnr)."
        ),
        (
            "- `pandax4t_paired`, `pandax4t_us2`: PandaX-4T counting (3 and 332 observed; backgrounds 2.8 ± 0.5 and "
            "251 ± 32; SM 8B anchored to 3.5 and 75 events at 8.4e6 /cm²/s)."
        ),
        "- `lz_ws2022`: LZ WS2022 counting recast (one bin, observed = expected, calibrated on LZ's median).",
        (
            "- flux nuisances `nu_flux_<channel>` (normsys) as in every cevns-stats workspace; detector nuisances "
            "`xenonnt_*`, `pandax4t_*` (see docs/recasts.md)."
        ),
        "",
        "## Files",
        (
            f"- `BkgOnly.json`: SM CEvNS + backgrounds, observed data, measurement `cevns_nsi_patch` (POI `mu`, "
            f"bounds {bkg['measurements'][0]['config']['parameters'][0]['bounds'][0]})."
        ),
        (
            f"- `patchset.json`: {len(names)} patches over {patchset['metadata']['labels']} ({names[0]} … {names[-1]}); "
            "each adds `NSI_<channel>` = eps·LIN + eps²·QUAD scaled by `mu` (mu = 1: the grid point, 0: the SM); "
            "a patch whose rates turn negative below mu = 10 records that mu as `mu_max` in its metadata."
        ),
        (
            f"- sha256 of BkgOnly.json (pyhf.utils.digest): `{patchset['metadata']['digests']['sha256']}`; "
            "`references.hepdata` is the placeholder `ins0000000`."
        ),
        "",
        "## Usage",
        "```sh",
        "pyhf patchset verify BkgOnly.json patchset.json",
        f"pyhf cls BkgOnly.json --patch <(pyhf patchset extract patchset.json --name {names[0]})",
        f"cevns-stats discover BkgOnly.json --patch {names[0]}",
        f"cevns-stats limit BkgOnly.json --patch {names[0]} --engine fast  # pyhf's bracket: minutes",
        f"cevns-stats fit BkgOnly.json --patch {names[0]}",
        "```",
        "",
        "## Licence and citation",
        ATTRIBUTION,
        "",
        "## Provenance",
        f"- command: `cevns_stats.experiments.real_data_results.write_publications(root)` ({pub.directory})",
        f"- versions: cevns-stats {__version__}, pyhf {pyhf.__version__}, numpy {np.__version__}",
    ]
    return "\n".join(lines) + "\n"


def publication_files(pub: Publication) -> dict:
    """{file name: content} of one real-data publication (BkgOnly.json, patchset.json, README.md)."""
    model = make_model(pub.model, **dict(pub.options))
    channels = experiment_channels(pub.experiment, model=model)
    description = (
        f"cevns-stats {__version__}: real-data CEvNS likelihood ({pub.experiment}: "
        f"{', '.join(ch.name for ch in channels)}), model {pub.model} {dict(pub.options)}; patches add "
        "NSI_k = eps*LIN_k + eps^2*QUAD_k with POI mu (mu = 1: the grid point, 0: SM). " + ATTRIBUTION
    )
    bkg, patchset = build_recast_publication(channels, list(pub.grid), kind=pub.kind, description=description)
    return {"BkgOnly.json": bkg, "patchset.json": patchset, "README.md": _readme(pub, bkg, patchset)}


def write_publications(root, publications=PUBLICATIONS) -> list[Path]:
    """Write ``root/workspaces/<directory>`` for every publication (each all or nothing)."""
    out = []
    for pub in publications:
        files = publication_files(pub)
        directory = Path(root) / "workspaces" / pub.directory
        write_publication(directory, files["BkgOnly.json"], files["patchset.json"], files["README.md"])
        out.append(directory)
    return out


def real_data_results(*, flavours=("mu",), progress=None) -> dict:
    """Every real-data number (JSON-ready): flux per experiment, NSI intervals, S1 bounds (module docstring)."""
    say = progress or (lambda _msg: None)
    say("8B flux")
    flux = [
        flux_measurement("xenonnt (SR0+SR1)", experiment_channels("xenonnt", runs=("sr0", "sr1"))).to_json()
    ]
    flux += [
        flux_measurement(name, experiment_channels(exp, runs=RUNS)).to_json()
        for name, exp in (
            ("xenonnt (SR0-SR2)", "xenonnt"),
            ("pandax4t", "pandax4t"),
            ("lz-ws2022", "lz-ws2022"),
            ("combined", "combined"),
        )
    ]
    nsi = []
    for label, name, options, eps_max in NSI_BENCHMARKS:
        say(f"NSI {label}")
        model = benchmark_model(name, options)
        for exp in ("lz-ws2022", "xenonnt", "pandax4t", "combined"):
            interval = nsi_interval(exp, label, experiment_channels(exp, model=model), eps_max=eps_max)
            nsi.append({**interval.to_json(), "model_name": name, "model_options": dict(options)})
    lq = []
    for flavour in flavours:
        say(f"S1 leptoquark ({flavour})")
        lq += [lq_bound(exp, flavour).to_json() for exp in ("lz-ws2022", "combined")]
    return {
        "label": "beyond the paper: real data (XENONnT, PandaX-4T, LZ WS2022)",
        "confidence_level_nsi": CONFIDENCE_LEVEL,
        "flux": flux,
        "flux_8B_reference": dict(zip(("flux_cm2_s", "relative_uncertainty"), b8_reference_flux())),
        "published_flux": {
            k: {"flux_cm2_s": list(v[0]), "significance_sigma": v[1]} for k, v in PUBLISHED_FLUX.items()
        },
        "nsi": nsi,
        "leptoquark": lq,
        "attribution": ATTRIBUTION,
    }


def _intervals_text(intervals) -> str:
    return " ∪ ".join(f"[{lo:+.3g}, {hi:+.3g}]" for lo, hi in intervals)


def results_markdown(results: dict) -> str:
    """The results as Markdown tables (labelled as beyond the paper)."""
    lines = [
        "# Real-data results (beyond the paper)",
        "",
        "## Solar 8B flux (profile likelihood; 68 % CL interval)",
        "",
        "| data | observed | background | Φ(8B) [10⁶ cm⁻² s⁻¹] | significance |",
        "|---|---|---|---|---|",
    ]
    for f in results["flux"]:
        lo, hi = (v / 1e6 for v in f["flux_8B_interval_68_cm2_s"])
        lines.append(
            f"| {f['experiment']} | {f['observed_events']:.4g} | {f['background_events']:.4g} | "
            f"{f['flux_8B_cm2_s'] / 1e6:.2f} [{lo:.2f}, {hi:.2f}] | {f['significance_sigma']:.2f}σ |"
        )
    lines += [
        "",
        "## NSI: 90 % CL allowed ε",
        "",
        "| model | LZ WS2022 | XENONnT | PandaX-4T | combined |",
        "|---|---|---|---|---|",
    ]
    by_model: dict[str, dict] = {}
    for row in results["nsi"]:
        by_model.setdefault(row["model"], {})[row["experiment"]] = _intervals_text(
            row["allowed_intervals_90"]
        )
    for model, cells in by_model.items():
        lines.append(
            f"| {model} | "
            + " | ".join(cells.get(e, "–") for e in ("lz-ws2022", "xenonnt", "pandax4t", "combined"))
            + " |"
        )
    lines += [
        "",
        "## S1 leptoquark (90 % CL)",
        "",
        "| data | flavour | ε_90 | λ excluded above (m_S1 = 1 TeV) |",
        "|---|---|---|---|",
    ]
    for row in results["leptoquark"]:
        lines.append(
            f"| {row['experiment']} | {row['flavour']} | {row['epsilon_90']:.4g} | {row['lambda_at_1TeV']:.3g} |"
        )
    lines += ["", results["attribution"], ""]
    return "\n".join(lines)


def results_json_text(results: dict) -> str:
    """results.json text (sorted keys, indent 2)."""
    return json.dumps(results, indent=2, sort_keys=True) + "\n"


def __dir__() -> list[str]:
    return __all__
