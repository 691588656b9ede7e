"""``python -m cevns_stats`` runs the command line."""

from cevns_stats.cli import main

main()
