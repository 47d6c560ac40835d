"""The ``ics-graph`` command line: a thin layer that calls the library and renders.

Exit codes: 0 ok; 1 findings at or above the fail level (or an inconsistent
ontology); 2 usage or input errors, always on stderr. Only click is imported at start
so ``ics-graph --help`` is instant; each command imports what it needs.
"""

from __future__ import annotations

import json
import sys

import click

from ics_graph import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
PATHS = click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                      help="Output format.")


def _fail_input(error) -> None:
    for problem in sorted(error.problems):
        click.echo(f"error: {problem}", err=True)
    count = len(error.problems)
    click.echo(f"{count} problem{'s' if count != 1 else ''} in the input; nothing was produced.", err=True)
    sys.exit(EXIT_INPUT)


def _load(paths):
    from ics_graph.errors import InputError
    from ics_graph.loader import load_mapping

    try:
        return load_mapping(paths)
    except InputError as error:
        _fail_input(error)


def _write(path: str, data: str, inputs: list[str]) -> None:
    from ics_graph.output import write_atomic

    try:
        write_atomic(path, data, inputs=inputs)
    except (ValueError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)




@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ics-graph")
def main() -> None:
    """Map and check where NHS integrated care system functions sit.

    PATH arguments are files or folders of YAML, Turtle, N-Triples, JSON-LD or
    RDF/XML; folders are read recursively and YAML `imports:` are followed.
    Exit codes: 0 ok, 1 findings (or inconsistency), 2 usage or input error.
    """


@main.command()
@PATHS
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="Write here instead of standard output.")
@click.option("--format", "fmt", type=click.Choice(["ttl", "nt"]), default=None,
              help="Serialisation (default: from the output's extension, else ttl).")
def load(paths, output, fmt):
    """Load a mapping and write it as canonical RDF.

    The output is deterministic: the same input gives byte-identical output, so
    diffs in pull requests show only what changed.
    """
    from ics_graph.turtle import to_ntriples, to_turtle

    mapping = _load(paths)
    if fmt is None:
        fmt = "nt" if output and output.lower().endswith(".nt") else "ttl"
    text = (to_ntriples if fmt == "nt" else to_turtle)(mapping.data_triples())
    if output:
        _write(output, text, mapping.files)
        click.echo(f"Wrote {len(mapping)} triples from {len(mapping.files)} file(s) to {output}", err=True)
    else:
        click.echo(text, nl=False)


@main.command()
@PATHS
@FORMAT
def info(paths, fmt):
    """Show what a mapping holds: counts by kind, level and area."""
    from ics_graph.info import render_text

    summary = _load(paths).summary()
    if fmt == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2, sort_keys=True))
    else:
        click.echo(render_text(summary), nl=False)


@main.command()
@PATHS
@FORMAT
def reason(paths, fmt):
    """Check the ontology and the mapping together with the HermiT OWL reasoner.

    Exits 1 when they are inconsistent, explaining which entities are involved.
    Needs Java (17 or later).
    """
    import tempfile
    from pathlib import Path

    from ics_graph.reasoning import reason as run_reasoner
    from ics_graph.turtle import to_ntriples

    mapping = _load(paths)
    with tempfile.TemporaryDirectory(prefix="ics-graph-reason-") as tmp:
        data = Path(tmp) / "data.nt"
        data.write_text(to_ntriples(mapping.data_triples()), encoding="utf-8")
        try:
            report = run_reasoner(data)
        except (OSError, RuntimeError) as exc:
            click.echo(f"error: the reasoner could not run: {exc}", err=True)
            sys.exit(EXIT_INPUT)
    if fmt == "json":
        click.echo(json.dumps({"consistent": report.consistent, "problems": report.problems}, indent=2))
    elif report.consistent:
        click.echo(f"Consistent: the ontology and {len(mapping)} triples of data have no contradiction (HermiT).")
    else:
        click.echo("Inconsistent:")
        for problem in report.problems:
            click.echo(f"  - {problem}")
    sys.exit(EXIT_OK if report.consistent else EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    main()
