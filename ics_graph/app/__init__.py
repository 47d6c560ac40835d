"""Use cases: what a command does, without click.

Each module takes plain values (paths, parsed options) and returns what the CLI renders;
errors a user can fix are :class:`~ics_graph.util.errors.IcsGraphError`. The CLI is the
only layer above this one.
"""
