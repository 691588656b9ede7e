#!/usr/bin/env python
"""Regenerate the committed ``templates/`` and ``workspaces/`` (see cevns_stats.likelihood.outputs)."""

import sys
from pathlib import Path

from cevns_stats.likelihood.outputs import write_outputs

if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    write_outputs(root)
    print(f"wrote {root / 'templates'} and {root / 'workspaces'}")
