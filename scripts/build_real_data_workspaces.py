#!/usr/bin/env python
"""Regenerate the real-data publications ``workspaces/real-data_*`` (cevns_stats.experiments.real_data_results).

Usage: ``python scripts/build_real_data_workspaces.py [ROOT]`` (default: the project root). They are built from
the shipped XENONnT derived response (``cevns_stats/experiments/data/xenonnt``), the PandaX-4T counts and the
LZ WS2022 recast; ``tests/test_real_data.py`` compares the committed folders with a fresh build.
"""

import sys
from pathlib import Path

from cevns_stats.experiments.real_data_results import write_publications

if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    for directory in write_publications(root):
        print(f"wrote {directory}")
