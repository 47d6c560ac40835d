"""``python -m ics_graph``: the same command as the installed ``ics-graph``."""

from ics_graph.cli import run

run()
