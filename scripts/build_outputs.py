#!/usr/bin/env python
"""Regenerate every committed output: ``templates/``, the projection ``workspaces/`` and the real-data ones.

Usage: ``python scripts/build_outputs.py [ROOT]`` (default: the project root). The projections come from
:func:`cevns_stats.likelihood.outputs.write_outputs`, the real-data publications (``workspaces/real-data_*``)
from :func:`cevns_stats.experiments.real_data_results.write_publications`; tests compare both with fresh builds.
"""

import sys
from pathlib import Path

from cevns_stats.experiments.real_data_results import write_publications
from cevns_stats.likelihood.outputs import write_outputs

if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    write_outputs(root)
    print(f"wrote {root / 'templates'} and the projection folders in {root / 'workspaces'}")
    for directory in write_publications(root):
        print(f"wrote {directory}")
