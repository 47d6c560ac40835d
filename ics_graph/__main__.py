"""``python -m ics_graph`` and the installed ``ics-graph``: the command's first frame.

Importing the command line (click and the modules behind it) takes a moment, and a
Ctrl-C in it would print a traceback; here it ends like a Ctrl-C at any later moment,
with one line and exit 130.
"""

import sys

try:
    from ics_graph.cli import run
except KeyboardInterrupt:  # Ctrl-C while the command line is still being imported
    sys.stderr.write("interrupted\n")
    sys.exit(130)  # cli.EXIT_INTERRUPTED, which is not imported yet

__all__ = ["main"]


def main() -> None:
    """Run the command (see :func:`ics_graph.cli.run`)."""
    run()


if __name__ == "__main__":
    main()
