#!/usr/bin/env python
"""Build the compact XENONnT response shipped in ``cevns_stats/experiments/data/xenonnt/`` from the release.

The XENONnT solar ⁸B CEvNS data release (XENONnT/cevns_data_release @ RELEASE_COMMIT, CC-BY-4.0) holds 6915
HDF5 templates. The recast needs only, per science run (SR0, SR1, SR2), written to ``<run>.npz``:

* ``mono_efficiency`` (5 yield variants, 46 energies, 81 bins): detection efficiency per analysis bin of a
  mono-energetic nuclear recoil at ``mono_energy_keV`` (0.5, 0.6, …, 5.0 keVnr), for the yield variants
  ``variants`` (t_ly, t_qy) = (0, 0), (+1, 0), (−1, 0), (0, +1), (0, −1) [σ];
* ``ac_rate``, ``er_rate`` (81,): accidental-coincidence and electronic-recoil backgrounds [events / (t·yr)];
* ``neutron_rate`` (5 variants, 81): the radiogenic-neutron (``rg``) background [events / (t·yr)];
* ``observed`` (81,): selected events (``data/<run>.csv``) binned with ``binning/<run>.yaml``;
* ``bin_edges`` (4 axes, 4 edges) and ``axis_names`` (4,); ``livetime_tonne_year`` (the release's plot.ipynb).

The 3×3×3×3 histogram of every template (HDF5 ``/templates/template``, edges ``/bins/0..3``) is flattened in C
order over (cS2, S2 shadow quantile, S1 BDT score, S2 BDT score): bin = ((i_cs2·3 + i_shadow)·3 + i_s1)·3 + i_s2.
The script checks that every template has the binning of ``binning/<run>.yaml``. Files are written byte-for-byte
reproducibly (fixed zip timestamps), atomically, mode 0644.

Usage: ``python scripts/build_xenonnt_response.py [--release DIR] [--output DIR]`` (defaults: ../shared/data/
xenonnt_cevns_release beside the project root, and the package data folder). Needs h5py and pyyaml.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import h5py
import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RELEASE = ROOT.parent / "shared" / "data" / "xenonnt_cevns_release"
DEFAULT_OUTPUT = ROOT / "cevns_stats" / "experiments" / "data" / "xenonnt"
RELEASE_COMMIT = "60d230dd7a5646fd4aa2368c5fdfba575ee0cb88"
RUNS = ("sr0", "sr1", "sr2")
#: Livetimes [t·yr] from the release's plot.ipynb (``livetimes`` cell).
LIVETIMES_TONNE_YEAR = {"sr0": 1.174398, "sr1": 2.342593, "sr2": 3.249665}
MONO_ENERGIES_keV = np.round(np.linspace(0.5, 5.0, 46), 3)
#: (t_ly, t_qy) yield variants kept [σ]: nominal, then ±1σ of each (the histosys inputs).
VARIANTS = ((0.0, 0.0), (1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0))
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def _read_template(path: Path, edges: list[np.ndarray]) -> np.ndarray:
    """The (81,) flattened histogram of one HDF5 template, after checking its bin edges."""
    with h5py.File(path, "r") as handle:
        hist = np.asarray(handle["templates/template"][()], dtype=float)
        for axis, expected in enumerate(edges):
            found = np.asarray(handle[f"bins/{axis}"][()], dtype=float)
            if not np.allclose(found, expected, rtol=1e-9, atol=1e-12):
                sys.exit(f"Error: {path}: bins/{axis} = {found} differ from the run's binning {expected}")
    if hist.shape != (3, 3, 3, 3):
        sys.exit(f"Error: {path}: template shape {hist.shape}, expected (3, 3, 3, 3)")
    return hist.reshape(-1)


def _variant_tag(tly: float, tqy: float) -> str:
    return f"tly_{tly:.1f}_tqy_{tqy:.1f}"


def build_run(release: Path, run: str) -> dict[str, np.ndarray]:
    """The arrays of one run (see the module docstring)."""
    binning = yaml.safe_load((release / "binning" / f"{run}.yaml").read_text())
    names = list(binning)
    edges = [np.asarray(binning[name], dtype=float) for name in names]
    tdir = release / "templates" / run
    variants = [_variant_tag(*v) for v in VARIANTS]
    mono = np.array(
        [
            [
                _read_template(tdir / "mono" / f"template_XENONnT_{run}_mono_{e:.3f}_cevns_{tag}.h5", edges)
                for e in MONO_ENERGIES_keV
            ]
            for tag in variants
        ]
    )
    neutron = np.array(
        [_read_template(tdir / "rg" / f"template_XENONnT_{run}_rg_cevns_{tag}.h5", edges) for tag in variants]
    )
    with (release / "data" / f"{run}.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    events = np.array([[float(row[name]) for name in names] for row in rows]).reshape(-1, len(names))
    observed, _ = np.histogramdd(events, bins=edges)
    if observed.sum() != len(rows):
        sys.exit(f"Error: {run}: {len(rows) - int(observed.sum())} selected events lie outside the binning")
    return {
        "mono_efficiency": mono,
        "mono_energy_keV": MONO_ENERGIES_keV.copy(),
        "variants": np.array(VARIANTS),
        "ac_rate": _read_template(tdir / "ac" / f"template_XENONnT_{run}_ac_cevns.h5", edges),
        "er_rate": _read_template(tdir / "er" / f"template_XENONnT_{run}_er_cevns.h5", edges),
        "neutron_rate": neutron,
        "observed": observed.reshape(-1),
        "bin_edges": np.array(edges),
        "axis_names": np.array(names),
        "livetime_tonne_year": np.array(LIVETIMES_TONNE_YEAR[run]),
    }


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An uncompressed-header, deflated .npz with fixed timestamps (same bytes for the same arrays)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            payload = io.BytesIO()
            np.lib.format.write_array(payload, np.asarray(arrays[name]), allow_pickle=False)
            archive.writestr(info, payload.getvalue())
    return buffer.getvalue()


def build(release: Path, output: Path) -> list[Path]:
    """Write ``<run>.npz`` for every run and the release's LICENSE into ``output`` (all or nothing)."""
    if not (release / "templates").is_dir():
        sys.exit(f"Error: {release} is not the XENONnT release (no templates/ folder)")
    output.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=output, prefix=".build."))
    written = []
    try:
        files = {f"{run}.npz": npz_bytes(build_run(release, run)) for run in RUNS}
        files["LICENSE"] = (release / "LICENSE").read_bytes()
        for name, content in files.items():
            (tmp / name).write_bytes(content)
            os.chmod(tmp / name, 0o644)
        for name in files:
            os.replace(tmp / name, output / name)
            written.append(output / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, default=DEFAULT_RELEASE, help="the release folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where the .npz files go")
    args = parser.parse_args(argv)
    for path in build(args.release, args.output):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
