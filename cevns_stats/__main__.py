"""``python -m cevns_stats`` runs the command line."""

from .cli import main

main()
