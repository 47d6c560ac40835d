"""The ``ics-graph`` command line: parses options, calls the library, renders.

The only module that knows click. Each command is a short function over the use cases
in :mod:`ics_graph.app` and the renderers in :mod:`ics_graph.outputs`. Exit codes: 0 ok;
1 findings at or above the fail level (or an inconsistent ontology); 2 usage or input
errors, always on stderr, mapped from :class:`~ics_graph.util.errors.IcsGraphError` in
one place (:class:`_Main`). Any other exception is a bug and keeps its traceback.
Each command imports the use case it runs when it runs: this module is the top layer,
imported by nothing, so no import here can hide a cycle or an upward dependency (the
import contracts hold every module below it to imports at the top), and a command
pays only for its own modules (``check`` does not load the reasoner, the page
writer or the workbook writer), so ``ics-graph --help`` stays instant.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ics_graph import __version__
from ics_graph.util.errors import IcsGraphError, InputError, UsageError, terminal_safe
from ics_graph.util.threads import QueryTimeout

if TYPE_CHECKING:
    from ics_graph.model.graph import Mapping

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=str))
STORE = click.option(
    "--store",
    "store",
    metavar="STORE",
    help="Where the graph is: memory (default: read PATHs), oxigraph:DIR (a store made by "
    "'load --store') or sparql:URL (a SPARQL 1.1 endpoint's query URL). With a "
    "persistent store, give no PATH.",
)
FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
AS_OF = click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Answer for the mapping as it stands on DATE (YYYY-MM-DD): what is not in force then is left out.",
)


def _dated_query(command: Callable[..., Any]) -> Callable[..., Any]:
    """--as-of and --all-dates, for the questions (where, at, body, impact): by default
    they answer as of today."""
    command = click.option(
        "--all-dates",
        "all_dates",
        is_flag=True,
        help="Answer for every date the mapping records (ended and future arrangements too).",
    )(command)
    return click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        help="Answer for the mapping as it stands on DATE (YYYY-MM-DD). Default: today (or ICS_GRAPH_TODAY).",
    )(command)


def _answer_day(as_of: str | None, all_dates: bool) -> str | None:
    """The date a question answers for (YYYY-MM-DD), or None for all dates."""
    if all_dates and as_of is not None:
        _fail("give --as-of DATE or --all-dates, not both")
    if all_dates:
        return None
    if as_of is not None:
        return as_of
    from ics_graph.model.timeline import today

    return today().isoformat()


def _say_when(report: dict[str, Any], day: str | None) -> dict[str, Any]:
    """The report saying which dates it answers for: "as_of" (or null) and "all_dates"."""
    report["as_of"], report["all_dates"] = day, day is None
    return report


def _resolve(mapping: Mapping, kind: str, text: str, day: str | None) -> Any:
    """The entity ``text`` names (queries.matching.resolve); when nothing matches as of a
    date, the error says so: what ended before it (a CCG) is found with --all-dates."""
    from ics_graph.queries.matching import NoMatch, resolve

    try:
        return resolve(mapping, kind, text)
    except NoMatch as exc:
        if day is None:
            raise
        also = "--all-dates also looks among what has ended or not yet begun"
        raise UsageError(f"{exc}. Answering as of {day}: {also}") from None


def _dated_text(text_of: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], str]:
    """``text_of`` with a first line saying which dates the answer is for."""
    return lambda data: ("All dates" if data["all_dates"] else f"As of {data['as_of']}") + "\n" + text_of(data)


QUERY_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="Output format.",
)

FORCE = click.option("--force", is_flag=True, help="Replace the output file if it exists.")
ALLOW_OUTSIDE = click.option(
    "--allow-outside",
    is_flag=True,
    help="Let imports: and symbolic links leave the first PATH's folder tree (or its git repository).",
)


def _set_timeout(_ctx: click.Context, _param: click.Parameter, seconds: float) -> float:
    from ics_graph.util.threads import set_query_timeout

    set_query_timeout(seconds or None)  # 0: no limit
    return seconds


TIMEOUT = click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=300,
    show_default=True,
    metavar="SECONDS",
    expose_value=False,
    callback=_set_timeout,
    help="Stop with exit 2 if a query runs longer than this (0: no limit).",
)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {terminal_safe(message)}", err=True)
    sys.exit(EXIT_INPUT)


def _option(name: str, parse: Callable[[str], Any], value: str | None) -> Any:
    """An option's value parsed, or exit 2 naming the option."""
    if value is None:
        return None
    try:
        return parse(value)
    except UsageError as exc:
        _fail(f"{name}: {exc}")


def _load(
    paths: Sequence[str],
    store: str | None = None,
    *,
    whole: bool = False,
    as_of: str | None = None,
    allow_outside: bool = False,
) -> Mapping:
    """The mapping a command works on: the PATHs (or the load cache), or a persistent
    store. The options are parsed first, so a typo fails before any loading."""
    from ics_graph.model.timeline import parse_date
    from ics_graph.stores.spec import parse_store

    spec = _option("--store", parse_store, store)
    day = _option("--as-of", parse_date, as_of)
    if spec is not None and spec.persistent:
        from ics_graph.app.stores import open_store

        return open_store(spec, paths, whole=whole, as_of=day)
    from ics_graph.app.loading import open_files

    return open_files(paths, as_of=day, allow_outside=allow_outside)


def _say_if_findings_not_kept(mapping: Mapping, store: str | None) -> None:
    """A note when a store keeps no findings of the current rules (ics-graph or its rules
    changed since the load): without it, every question silently runs every rule again,
    seconds to minutes on a national store, where a load would keep them once."""
    if mapping.findings_kept is not None and not mapping.findings_kept():
        click.echo(
            f"note: the store {terminal_safe(str(store))} keeps no findings of this ics-graph's rules (it was "
            "loaded by another version, or the rules changed since), so every question runs them again; "
            f"to keep them, load its files again: ics-graph load PATH --store {terminal_safe(str(store))}",
            err=True,
        )


def _emit(
    data: dict[str, Any],
    fmt: str,
    text_of: Callable[[dict[str, Any]], str],
    rows_of: Callable[[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    from ics_graph.outputs.answers import to_csv

    if fmt == "json":
        click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(to_csv(rows_of(data)), nl=False)
    else:
        click.echo(text_of(data), nl=False)


def _target(path: str | None, suffixes: Sequence[str] | None, what: str, force: bool) -> None:
    """Check an output file before any work: its extension fits the format (``suffixes``,
    ``""`` for none), it does not exist unless ``force``, and its folder exists."""
    from ics_graph.util.files import check_output

    if path:
        check_output(path, suffixes=suffixes, what=what, force=force)


def _refuse(path: str, mapping: Mapping, also_read: Sequence[str] = ()) -> None:
    """Refuse an output over a file the command read (the mapping's files, and
    ``also_read``), a mapping file in a folder read as a mapping (the next command would
    read it as part of the mapping), and any file in the Oxigraph store it used."""
    from ics_graph.stores.spec import parse_store
    from ics_graph.util.files import refuse_inputs

    folders = [folder for folder, _files in mapping.expansions if Path(folder).is_dir()]
    store = click.get_current_context().params.get("store")
    spec = parse_store(store) if store else None
    stores = [spec.location] if spec is not None and spec.scheme == "oxigraph" else []
    refuse_inputs(path, [*mapping.files, *also_read], folders, stores=stores)


def _write(path: str, data: str | bytes, mapping: Mapping, also_read: Sequence[str] = ()) -> None:
    """Write an output atomically, refusing what :func:`_refuse` refuses."""
    from ics_graph.util.files import write_atomic

    _refuse(path, mapping, also_read)
    try:
        write_atomic(path, data, inputs=[*mapping.files, *also_read])
    except OSError as exc:
        _fail(f"cannot write '{path}': {exc.strerror or exc}")


class _Main(click.Group):
    """Maps the errors a user can fix to exit 2, wherever in a command they happen: input
    problems are listed one a line with their locations, anything else is one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as error:
            # paths not read first: the ids they define are reported unknown after them
            for problem in sorted(error.problems, key=lambda p: (not p.unread, p)):  # one a line
                click.echo(f"error: {terminal_safe(str(problem)).replace(chr(10), ' ')}", err=True)
            count = len(error.problems)
            click.echo(f"{count} problem{'s' if count != 1 else ''} in the input; nothing was produced.", err=True)
            unread = sum(problem.unread for problem in error.problems)
            if unread and unread < count:
                first = (
                    f"The first {unread} are paths that were not read" if unread > 1 else "The first is a path not read"
                )
                click.echo(
                    f"{first}: what is defined there is reported unknown where it is used: start there.", err=True
                )
            sys.exit(EXIT_INPUT)
        except QueryTimeout as exc:  # the query cannot be stopped: leave without waiting for it
            click.echo(f"error: {terminal_safe(str(exc))}", err=True)
            _leave(EXIT_INPUT)
        except IcsGraphError as exc:
            _fail(str(exc))
        except KeyboardInterrupt as exc:  # Ctrl-C: one line (what was left, if a load says), never a traceback
            import signal

            from ics_graph.util.threads import claim_exit

            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not interrupt the goodbye
            if claim_exit():  # else the watchdog of guard_interrupts has said it already
                click.echo(f"interrupted: {exc}" if str(exc) else "interrupted", err=True)
            _leave(EXIT_INTERRUPTED)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ics-graph")
def main() -> None:
    """Map and check where NHS integrated care system functions sit.

    PATH arguments are files or folders of YAML, Turtle, N-Triples, JSON-LD or
    RDF/XML; folders are read recursively and YAML `imports:` are followed.
    Exit codes: 0 ok, 1 findings (or inconsistency), 2 usage or input error.
    """


@contextlib.contextmanager
def _reporting_store(state: Any) -> Iterator[None]:
    """Around a whole ``load --store``: Ctrl-C at any moment says what became of the
    store (``state``, which the load moves on), also after the load returned."""
    from ics_graph.util.threads import Interrupted, noting

    try:
        with noting(state.said):
            yield
    except Interrupted:
        raise  # the load says what it left
    except KeyboardInterrupt:
        raise Interrupted(state.said()) from None


@main.command()
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="Write here instead of standard output."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "nt"]),
    default=None,
    help="Serialisation (default: from the output's extension, else ttl).",
)
@FORCE
@click.option(
    "--store",
    "store",
    metavar="STORE",
    help="Also load into this persistent store: oxigraph:DIR (a folder, created if new) or sparql:URL "
    "(a SPARQL 1.1 endpoint's query URL). Only files whose content changed are replaced.",
)
@click.option(
    "--update-url",
    metavar="URL",
    help="With --store sparql:URL: the SPARQL Update endpoint "
    "(default: the query URL with /query or /sparql replaced by /update).",
)
@click.option(
    "--graph-store-url",
    metavar="URL",
    help="With --store sparql:URL: the Graph Store Protocol endpoint "
    "(default: the query URL with /query or /sparql replaced by /store).",
)
def load(paths, output, fmt, force, store, update_url, graph_store_url, allow_outside):
    """Load a mapping and write it as canonical RDF, or into a persistent store.

    The output is deterministic: the same input gives byte-identical output, so
    diffs in pull requests show only what changed. With --store, the mapping is
    validated as always, then written into the store, all or nothing; later commands
    run on the store with --store instead of PATH, without parsing the files again.
    Run it again after editing a file: only the changed files are read (what was
    learned of the others is kept beside an oxigraph: store, in .DIR.files, and for
    a sparql: store in the load cache), and only what came from them is replaced.
    Ctrl-C or a kill leaves the store as it was or as loaded, never in between (an
    interrupted load exits 130 saying which). With --store and no PATH, the mapping the
    store holds is written (-o FILE, or standard output), as from its files.
    """
    from ics_graph.stores.spec import parse_store, refuse_credentials_in

    spec = _option("--store", parse_store, store)
    if (update_url or graph_store_url) and (spec is None or spec.scheme != "sparql"):
        _fail("--update-url and --graph-store-url go with --store sparql:URL")
    for option, url in (("--update-url", update_url), ("--graph-store-url", graph_store_url)):
        if url:
            _option(option, refuse_credentials_in, url)
    if not paths and (spec is None or not spec.persistent):
        _fail("give the mapping to load: PATH (files or folders)")
    if fmt is None:
        fmt = "nt" if output and output.lower().endswith(".nt") else "ttl"
    _target(output, [f".{fmt}"], "Turtle" if fmt == "ttl" else "N-Triples", force)
    if paths and spec is not None and spec.persistent:
        from ics_graph.app.storing import inputs_of, loaded_already, read_for
        from ics_graph.stores.fingerprint import input_key
        from ics_graph.stores.persistent import LoadState, load_into
        from ics_graph.util.threads import interrupts_ignored_from_now

        state = LoadState()
        with _reporting_store(state):
            # A load reaching outside the mapping's folders is not noted: a later load
            # without --allow-outside must read its files, to refuse what it must.
            keyed = None if allow_outside else input_key(paths)
            urls = {"update_url": update_url, "graph_store_url": graph_store_url}
            report = None
            if keyed is not None and not output:
                report = loaded_already(spec, paths, keyed, **urls)
            if report is None:
                mapping = read_for(spec, paths, allow_outside=allow_outside)
                if output:  # before the store is written: all or nothing
                    _refuse(output, mapping)
                inputs = None if keyed is None else inputs_of(mapping, keyed)
                report = load_into(spec, mapping, state=state, inputs=inputs, **urls)
                click.echo(report.render_text(), nl=False, err=True)
                if output:
                    _write_canonical(mapping, output, fmt)
            else:
                click.echo(report.render_text(), nl=False, err=True)
            interrupts_ignored_from_now()  # inside: no moment when Ctrl-C could say less
        return
    # no PATH: the mapping the store holds, written as from its files
    mapping = _load(paths, store) if not paths else _load(paths, allow_outside=allow_outside)
    if output:
        _refuse(output, mapping)
    _write_canonical(mapping, output, fmt)


def _write_canonical(mapping: Mapping, output: str | None, fmt: str) -> None:
    """The mapping as canonical Turtle or N-Triples, to ``output`` or standard output."""
    from ics_graph.model.turtle import to_ntriples, to_turtle

    text = (to_ntriples if fmt == "nt" else to_turtle)(mapping.data_triples())
    if output:
        _write(output, text, mapping)
        click.echo(f"Wrote {len(mapping)} triples from {len(mapping.files)} file(s) to {output}", err=True)
    else:
        click.echo(text, nl=False)


@main.command()
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@STORE
@FORMAT
def info(paths, fmt, store, allow_outside):
    """Show what a mapping holds: counts by kind, level and area."""
    from ics_graph.outputs.summary import render_text
    from ics_graph.queries.info import summarise

    summary = summarise(_load(paths, store, whole=True, allow_outside=allow_outside))
    if fmt == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2, sort_keys=True))
    else:
        click.echo(render_text(summary), nl=False)


@main.command()
@PATHS
@ALLOW_OUTSIDE
@STORE
@FORMAT
def reason(paths, fmt, store, allow_outside):
    """Check the ontology and the mapping together with the HermiT OWL reasoner.

    Exits 1 when they are inconsistent, explaining which entities are involved.
    When they are consistent, lists the allocations HermiT classifies as without
    legal standing (an accountable body that is not a statutory body); exit 0 still.
    Needs Java (17 or later).
    """
    from ics_graph.app.reasoning import reason_about

    mapping = _load(paths, store, whole=True, allow_outside=allow_outside)
    report = reason_about(mapping)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2))
    elif report.consistent:
        click.echo(f"Consistent: the ontology and {len(mapping)} triples of data have no contradiction (HermiT).")
        for line in report.standing_lines():
            click.echo(line)
    else:
        click.echo("Inconsistent:")
        for problem in report.problems:
            click.echo(f"  - {problem}")
    sys.exit(EXIT_OK if report.consistent else EXIT_FINDINGS)


@main.command()
@click.argument("function")
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@STORE
@_dated_query
@QUERY_FORMAT
def where(function, paths, as_of, all_dates, fmt, store, allow_outside):
    """Where FUNCTION sits: in each mapped system and its places.

    FUNCTION is a name, code, synonym or id; typos are forgiven, and an ambiguous
    name lists the candidates (exit 2). For each area it shows the level, the
    accountable and delivering bodies, the delegation chain from the holder down with
    the instrument at each step, status and dates, rationale, source and findings.
    """
    from ics_graph.app.findings import findings_about
    from ics_graph.outputs.answers import where_rows, where_text
    from ics_graph.queries.where import where_is

    day = _answer_day(as_of, all_dates)
    mapping = _load(paths, store, as_of=day, allow_outside=allow_outside)
    _say_if_findings_not_kept(mapping, store)
    target = _resolve(mapping, "function", function, day)
    report = where_is(mapping, target.iri, findings=lambda about: findings_about(mapping, about)).as_dict()
    _emit(_say_when(report, day), fmt, _dated_text(where_text), where_rows)


@main.command()
@click.argument("system")
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@STORE
@QUERY_FORMAT
def transition(system, paths, fmt, store, allow_outside):
    """What each CCG of SYSTEM held on 30 June 2022, and where it sits from 1 July 2022.

    SYSTEM is a system's name, code or id. For each function a clinical commissioning
    group of the system was accountable for on the last day of CCGs: the level, area,
    accountable bodies, delegations and status of each allocation holding it from the
    first day of ICBs, or that it has no destination (with the CCG's successor). Read
    on the whole timeline (no --as-of). The CCGs come from the national frame
    (data/national) or the mapping.
    """
    from ics_graph.model.sparql import IRI
    from ics_graph.outputs.answers import transition_rows, transition_text
    from ics_graph.queries.transition import transition as handovers

    mapping = _load(paths, store, allow_outside=allow_outside)
    target = _resolve(mapping, "area", system, None)
    if not mapping.ask("ASK { ?s a ics:System }", {"s": IRI(target.iri)}):
        _fail(f"'{system}' is {target.label}, not a system: give a system (an ICB footprint)")
    _emit(handovers(mapping, target.iri).as_dict(), fmt, transition_text, transition_rows)


@main.command()
@click.argument("area")
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@STORE
@click.option(
    "--level",
    metavar="LEVEL",
    help="Show only what sits at this level: national, regional, system, place, neighbourhood, or a local "
    "name (ICB, ICS, locality, ICP, PCN ...).",
)
@_dated_query
@QUERY_FORMAT
def at(area, paths, level, as_of, all_dates, fmt, store, allow_outside):
    """Everything that sits in AREA: held there, held above and covering it, or inside it.

    Grouped by level and by function category. AREA is a name, code (ONS/ODS) or id.
    """
    from ics_graph.model.vocabulary import parse_level
    from ics_graph.outputs.answers import at_rows, at_text
    from ics_graph.queries.where import what_sits_at

    level = _option("--level", parse_level, level)
    day = _answer_day(as_of, all_dates)
    mapping = _load(paths, store, as_of=day, allow_outside=allow_outside)
    target = _resolve(mapping, "area", area, day)
    report = what_sits_at(mapping, target.iri, level=level).as_dict()
    _emit(_say_when(report, day), fmt, _dated_text(at_text), at_rows)


@main.command()
@click.argument("body")
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@STORE
@_dated_query
@QUERY_FORMAT
def body(body, paths, as_of, all_dates, fmt, store, allow_outside):
    """What BODY is accountable for, delivers, has delegated and has received."""
    from ics_graph.outputs.answers import body_rows, body_text
    from ics_graph.queries.where import body_report

    day = _answer_day(as_of, all_dates)
    mapping = _load(paths, store, as_of=day, allow_outside=allow_outside)
    target = _resolve(mapping, "body", body, day)
    report = body_report(mapping, target.iri).as_dict()
    _emit(_say_when(report, day), fmt, _dated_text(body_text), body_rows)


#: The extensions ``check -o`` accepts for each format ("" for none).
CHECK_EXTENSIONS = {
    "text": ["", ".txt", ".log"],
    "github": ["", ".txt", ".log"],
    "json": [".json"],
    "sarif": [".sarif", ".json"],
    "junit": [".xml"],
}


def _slug_list(value: str | None) -> list[str]:
    return [s.strip() for s in (value or "").split(",") if s.strip()]


@main.command()
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@STORE
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "junit", "sarif", "github"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="Write the report here (atomically)."
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default=None,
    help="Exit 1 if a finding is at or above this severity (default: error, or the configuration's).",
)
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=str),
    help="A folder of extra rules (*.rq, *.ttl); repeatable.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=str),
    help="Configuration file (default: ics-graph.toml or pyproject.toml beside the data).",
)
@click.option("--select", help="Run only these rules (comma-separated slugs).")
@click.option("--ignore", help="Do not run these rules (comma-separated slugs).")
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, exists=True, path_type=str),
    help="Report only findings that are not in this baseline.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=str),
    help="Write all current findings to this baseline file (.json).",
)
@FORCE
@AS_OF
def check(
    paths,
    fmt,
    output,
    fail_on,
    rule_dirs,
    config_path,
    select,
    ignore,
    baseline,
    write_baseline,
    force,
    as_of,
    store,
    allow_outside,
):
    """Check a mapping against the rules and report findings.

    Exit 0 when no finding is at or above the fail level, 1 when one is, 2 on
    input or usage errors.
    """
    from ics_graph.app.checking import run_check
    from ics_graph.engine.policy import baseline_text
    from ics_graph.outputs.renderers import render
    from ics_graph.util.files import use_colour

    _target(output, CHECK_EXTENSIONS[fmt], f"a {fmt} report", force)
    _target(write_baseline, [".json"], "a baseline (JSON)", force)
    if output and write_baseline and Path(output).resolve() == Path(write_baseline).resolve():
        _fail("-o and --write-baseline name the same file")
    mapping = _load(paths, store, whole=True, as_of=as_of, allow_outside=allow_outside)
    run = run_check(
        mapping,
        paths,
        config_path=config_path,
        rule_dirs=rule_dirs,
        select=_slug_list(select),
        ignore=_slug_list(ignore),
        baseline=baseline,
        fail_on=fail_on,
        allow_outside=allow_outside,
    )
    result = run.result
    for note in result.notes:  # how it ran, not what it found: apart from the report
        click.echo(terminal_safe(f"note: {note}"), err=True)
    if write_baseline:  # nothing a check read is written over (configuration, baseline, rules)
        _write(write_baseline, baseline_text(result.findings), mapping, run.read)
        click.echo(f"Wrote a baseline of {len(result.findings)} finding(s) to {write_baseline}", err=True)
    colour = fmt == "text" and not output and use_colour()
    text = render(result, fmt, fail_level=run.fail_level, colour=colour, version=__version__)
    if output:
        _write(output, text, mapping, run.read)
    else:
        click.echo(text, nl=False)
    if result.baselined and fmt == "text" and output:
        click.echo(f"{result.baselined} known finding(s) hidden by the baseline.", err=True)
    sys.exit(EXIT_FINDINGS if run.failed else EXIT_OK)


#: The extensions ``diff -o`` accepts for each format ("" for none).
DIFF_EXTENSIONS = {"text": ["", ".txt", ".log"], "markdown": [".md", ".markdown"], "json": [".json"]}


@main.command()
@click.argument("base")
@click.argument("head")
@PATHS
@click.option(
    "--git",
    "git",
    is_flag=True,
    help="BASE and HEAD are git revisions (branch, tag, commit) of the repository here; "
    "PATHs are read at each without checking anything out.",
)
@ALLOW_OUTSIDE
@TIMEOUT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Output format (Markdown for a pull-request comment or $GITHUB_STEP_SUMMARY).",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="Write the diff here (atomically)."
)
@FORCE
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default=None,
    help="Exit 1 if a finding that appears is at or above this severity (default: error, or the configuration's).",
)
def diff(base, head, paths, git, fmt, output, force, fail_on, allow_outside):
    """What a change to a mapping changes: BASE and HEAD compared.

    BASE and HEAD are two folders, workbooks or files; with --git, two revisions of the
    git repository here, and PATH... what to read at each. Entities are matched by id,
    so a reordered or re-split file is no change. Reports, in plain words: functions
    moved, accountability changed, allocations and delegations added, ended or changed,
    bodies, areas and collaboratives added or ended, dependencies added or removed, then
    the findings that appear and those resolved (matched by fingerprint, as a baseline
    matches them). Exit 1 when a finding that appears is at or above --fail-on.
    """
    from ics_graph.app.diff import run_diff
    from ics_graph.outputs.diff import render
    from ics_graph.util.files import refuse_inputs, write_atomic

    if paths and not git:
        _fail("PATH arguments go with --git; without it, BASE and HEAD are the two paths to compare")
    _target(output, DIFF_EXTENSIONS[fmt], f"a {fmt} diff", force)
    if output and not git:
        refuse_inputs(output, [base, head], [p for p in (base, head) if Path(p).is_dir()])
    run = run_diff(base, head, paths, git=git, fail_on=fail_on, allow_outside=allow_outside)
    text = render(run.diff, fmt, base=base, head=head, paths=list(paths), version=__version__)
    if output:
        try:
            refuse_inputs(output, run.read, run.folders)
            write_atomic(output, text, inputs=run.read)
        except OSError as exc:
            _fail(f"cannot write '{output}': {exc.strerror or exc}")
        click.echo(f"Wrote the diff ({fmt}) to {output}", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(EXIT_FINDINGS if run.failing else EXIT_OK)


@main.group(invoke_without_command=True)
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Also list the rules in this folder; repeatable.",
)
@click.pass_context
def rules(ctx, rule_dirs):
    """List the rules (built in and from --rules folders)."""
    from ics_graph.app.checking import list_rules

    ctx.ensure_object(dict)
    ctx.obj["rule_dirs"] = rule_dirs
    if ctx.invoked_subcommand is not None:
        return
    for rule in list_rules(rule_dirs):
        origin = "" if rule.builtin else f"  [{rule.path}]"
        click.echo(f"{rule.slug:<36} {rule.severity.word:<8} {rule.title}{origin}")


@rules.command()
@click.argument("slug")
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Also look in this folder of rules; repeatable (as 'ics-graph rules --rules DIR explain SLUG').",
)
@click.pass_context
def explain(ctx, slug, rule_dirs):
    """Print one rule's documentation: why, sources, how to fix, an example."""
    from ics_graph.app.checking import explain_rule

    click.echo(explain_rule(slug, [*ctx.obj["rule_dirs"], *rule_dirs]), nl=False)


@main.command()
@click.argument("function")
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@STORE
@click.option(
    "--move-to",
    "move_to",
    metavar="LEVEL",
    help="Dry run: move the function to this level (system, place, neighbourhood, regional, national; "
    "or ICB, locality, PCN ...) and report the findings that would appear and disappear.",
)
@click.option(
    "--area",
    metavar="AREA",
    help="With --move-to: move it to this one area only (its level must be LEVEL), replacing its "
    "allocations in that area's system.",
)
@_dated_query
@QUERY_FORMAT
def impact(function, paths, move_to, area, as_of, all_dates, fmt, store, allow_outside):
    """Show what FUNCTION depends on and what depends on it, where it sits and who holds it.

    FUNCTION is an id, name, synonym or close spelling ("CHC", "continuing helthcare").
    With --move-to, a dry run: the mapping is checked as it is and as it would be with
    the function moved, and the difference is reported. Nothing is written.
    """
    from ics_graph.app.impact import impact as run_impact
    from ics_graph.model.vocabulary import parse_level
    from ics_graph.outputs.answers import impact_rows

    if area is not None and move_to is None:
        _fail("--area needs --move-to LEVEL")
    _option("--move-to", parse_level, move_to)
    day = _answer_day(as_of, all_dates)
    mapping = _load(paths, store, whole=move_to is not None, as_of=day, allow_outside=allow_outside)
    function_iri = _resolve(mapping, "function", function, day).iri
    area_iri = _resolve(mapping, "area", area, day).iri if area is not None else None
    report = run_impact(mapping, function_iri, move_to=move_to, area_iri=area_iri)
    _emit(_say_when(report.as_dict(), day), fmt, _dated_text(lambda _data: report.render_text()), impact_rows)


@main.command()
@click.argument("query_or_file", metavar="QUERY_OR_FILE")
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@STORE
@AS_OF
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="Output format: an aligned table, JSON, or CSV with a header row (full IRIs).",
)
def sparql(query_or_file, paths, as_of, fmt, store, allow_outside):
    """Run a read-only SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE) over a mapping.

    QUERY_OR_FILE is a file holding the query, or the query itself. The prefixes ics:,
    id:, rdf:, rdfs:, owl:, xsd:, skos:, org:, prov: and dcterms: are predeclared, the
    ontology is loaded beside the data, and all source files form the default graph.
    SPARQL UPDATE is refused.
    """
    from ics_graph.queries.sparql import run_sparql

    try:
        is_file = Path(query_or_file).is_file()
    except (OSError, ValueError):  # a query too long or odd to be a file name
        is_file = False
    if is_file:
        try:
            text = Path(query_or_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read query file '{query_or_file}': {exc}")
    else:
        text = query_or_file
    mapping = _load(paths, store, as_of=as_of, allow_outside=allow_outside)
    try:
        result = run_sparql(mapping, text)
    except QueryTimeout:
        raise
    except IcsGraphError as exc:
        _fail(f"{query_or_file}: {exc}" if is_file else str(exc))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))  # rows keep column order
    elif fmt == "csv":
        click.echo(result.to_csv(), nl=False)
    else:
        click.echo(result.render_text(), nl=False)


EXPORT_FORMATS = ["graphml", "dot", "mermaid", "jsonld", "ttl", "xlsx"]


@main.command("export")
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@STORE
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default=None,
    help="graphml (Gephi, yEd), dot (Graphviz), mermaid (GitHub), jsonld or ttl, or xlsx (a "
    "function-mapping workbook with a Findings sheet; needs -o) (default: from the output's extension).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=str),
    help="Write here (atomically) instead of standard output.",
)
@FORCE
@AS_OF
def export_command(paths, fmt, output, force, as_of, store, allow_outside):
    """Export a mapping for other tools.

    graphml, dot and mermaid draw functions, bodies, areas and collaboratives with the
    accountable, delivers, delegates, depends-on, part-of, member-of and operates-in
    links between them; jsonld and ttl carry the whole data graph; xlsx writes the
    mapping back as a workbook (the sheets and columns `import` reads, one row per
    entity) with a Findings sheet from `check`. Output is deterministic: the same input
    gives byte-identical output.
    """
    from ics_graph.engine.checking import check as run_all_rules
    from ics_graph.outputs.export import EXTENSIONS, MERMAID_MAX_TEXT, export
    from ics_graph.outputs.xlsx import export_workbook

    extensions = {**EXTENSIONS, ".xlsx": "xlsx"}
    if fmt is None:
        fmt = extensions.get(os.path.splitext(output)[1].lower()) if output else None
        if fmt is None:
            _fail(
                "give --format (graphml, dot, mermaid, jsonld, ttl or xlsx), or an -o FILE with one of "
                "the extensions .graphml, .dot, .gv, .mmd, .jsonld, .json, .ttl, .xlsx"
            )
    if fmt == "xlsx" and not output:
        _fail("--format xlsx writes a binary workbook: give -o FILE.xlsx")
    _target(output, sorted(e for e, f in extensions.items() if f == fmt), f"{fmt} output", force)
    mapping = _load(paths, store, whole=True, as_of=as_of, allow_outside=allow_outside)
    if fmt == "xlsx":
        result = run_all_rules(mapping)
        _write(output, export_workbook(mapping, result), mapping)
        click.echo(
            f"Wrote xlsx from {len(mapping.files)} file(s) to {output} "
            f"({len(result.findings)} finding(s) on the Findings sheet)",
            err=True,
        )
        return
    text = export(mapping, fmt)
    if fmt == "mermaid" and len(text) > MERMAID_MAX_TEXT:
        click.echo(
            f"warning: the Mermaid text is {len(text):,} characters; Mermaid (and so GitHub) draws at most "
            f"{MERMAID_MAX_TEXT:,} and shows an error instead: use dot or graphml, or 'ics-graph visualise' for a page",
            err=True,
        )
    if output:
        _write(output, text, mapping)
        click.echo(f"Wrote {fmt} from {len(mapping.files)} file(s) to {output}", err=True)
    else:
        click.echo(text, nl=False)


MAP_EXTENSIONS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


@main.command("map")
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@STORE
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=str),
    help="Write the map here: .html for a standalone page, .md for Markdown (default: Markdown on standard output).",
)
@FORCE
@AS_OF
def map_command(paths, output, force, as_of, store, allow_outside):
    """A Functions and Decisions Map of a mapping.

    For each mapped system and each of its places: the functions allocated there (by
    category), their level, accountable body, who they are delegated to under which
    instrument, status and dates; then the reserved functions and the delegations from
    NHS England to ICBs. The HTML page is self-contained (no scripts, no external files).
    """
    from ics_graph.outputs.decisions import to_html, to_markdown
    from ics_graph.queries.decisions import decisions_map

    kind: str | None = "markdown"
    if output:
        kind = MAP_EXTENSIONS.get(os.path.splitext(output)[1].lower())
        if kind is None:
            _fail(f"cannot tell the format of '{output}': use a .html or .md file")
    _target(output, list(MAP_EXTENSIONS), "a map", force)
    mapping = _load(paths, store, whole=True, as_of=as_of, allow_outside=allow_outside)
    decisions = decisions_map(mapping, as_of=as_of or "")
    text = to_html(decisions) if kind == "html" else to_markdown(decisions)
    if output:
        _write(output, text, mapping)
        click.echo(f"Wrote the functions and decisions map ({kind}) to {output}", err=True)
    else:
        click.echo(text, nl=False)


@main.command("import")
@click.argument("workbook", type=click.Path(path_type=str))
@click.option(
    "-o",
    "--output",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Folder to write the YAML files into (one file per section).",
)
@click.option(
    "--with",
    "context",
    multiple=True,
    type=click.Path(path_type=str),
    metavar="PATH",
    help="A file or folder the workbook refers to (e.g. data/catalogue, data/national): used to "
    "check references and resolve names, not converted. Repeatable.",
)
@click.option(
    "--force", is_flag=True, help="Replace a non-empty output folder (only one holding nothing but YAML files)."
)
def import_workbook(workbook, folder, context, force):
    """Convert a function-mapping WORKBOOK (.xlsx, or a folder of CSV files) to YAML.

    The workbook is checked first, with every problem reported at once by sheet and
    cell (Allocations!D14) and exit 2; nothing is written then. Names in reference cells
    become ids; each distinct `source` text becomes a source (wb-src-1, wb-src-2 ...).
    The files are written into a temporary folder and renamed into place, so the output
    folder is either complete or untouched. The same workbook gives byte-identical files.
    """
    from ics_graph.app.workbooks import import_workbook as convert_workbook

    try:
        names = convert_workbook(workbook, folder, context=context, force=force)
    except OSError as exc:
        _fail(str(exc))
    click.echo(f"wrote {len(names)} file{'s' if len(names) != 1 else ''} to {folder}: {', '.join(names)}")


@main.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=str))
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
def template(output, force):
    """Write an empty function-mapping workbook (.xlsx) to OUTPUT.

    It has a sheet per section with its headers, a Notes sheet explaining each sheet,
    column and vocabulary, and drop-downs for vocabulary columns (level, type, model,
    instrument, status, holder, reserved, current_arrangement, rag) and for columns
    taking ids from another sheet (Allocations.function -> Functions!A:A). Fill it in,
    then `ics-graph check OUTPUT` or `ics-graph import OUTPUT -o FOLDER`.
    """
    from ics_graph.outputs.xlsx import write_template

    if not output.lower().endswith(".xlsx"):
        _fail("the template must be an .xlsx file")
    _target(output, [".xlsx"], "a workbook", force)
    try:
        write_template(output)
    except OSError as exc:
        _fail(str(exc))
    click.echo(f"wrote {output}")


VIEWS = ["all", "dependencies", "delegation", "allocation"]


@main.command("visualise")
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@STORE
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=str),
    help="Write the page here (atomically), e.g. graph.html.",
)
@click.option(
    "--view",
    type=click.Choice(VIEWS),
    default="all",
    show_default=True,
    help="Which edges to draw: all; dependencies (depends-on); delegation (delegates); "
    "allocation (accountable and delivers).",
)
@click.option(
    "--system", metavar="SYSTEM", help="Only this system's footprint: it, what is inside it and what touches it."
)
@click.option("--area", metavar="AREA", help="Only this area's footprint (any level).")
@click.option("--function", "function", metavar="FUNCTION", help="Only what is within --depth hops of this function.")
@click.option("--depth", type=click.IntRange(min=0), default=2, show_default=True, help="Hops from --function.")
@click.option(
    "--collapse",
    type=click.Choice(["neighbourhoods"]),
    default=None,
    help="Merge each place's neighbourhoods into one node.",
)
@FORCE
@AS_OF
def visualise_command(paths, output, view, system, area, function, depth, collapse, force, as_of, store, allow_outside):
    """An interactive graph of a mapping, with check findings overlaid: one
    self-contained HTML page that works offline.

    Functions, bodies, areas and collaboratives, laid out by level (national at the
    top, neighbourhood at the bottom), coloured by level and shaped by kind, with a
    legend. Edges on a circular delegation or dependency are red; unowned functions,
    coverage gaps and other errors have a red border; hover for the findings. Output
    is deterministic: the same input gives byte-identical output.
    """
    from ics_graph.app.findings import default_findings
    from ics_graph.outputs.visualise import visualise
    from ics_graph.queries.matching import resolve

    if depth != 2 and function is None:
        _fail("--depth needs --function")
    _target(output, [".html", ".htm"], "an HTML page", force)
    mapping = _load(paths, store, whole=True, as_of=as_of, allow_outside=allow_outside)
    _say_if_findings_not_kept(mapping, store)
    system_iri = resolve(mapping, "area", system).iri if system else None
    area_iri = resolve(mapping, "area", area).iri if area else None
    function_iri = resolve(mapping, "function", function).iri if function else None
    page = visualise(
        mapping,
        default_findings(mapping),
        view=view,
        system=system_iri,
        area=area_iri,
        function=function_iri,
        depth=depth,
        collapse_neighbourhoods=collapse == "neighbourhoods",
    )
    _write(output, page, mapping)
    click.echo(f"Wrote the {view} view from {len(mapping.files)} file(s) to {output}", err=True)


@main.command("site")
@PATHS
@ALLOW_OUTSIDE
@TIMEOUT
@click.option(
    "-o",
    "--output",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Folder to write the site into (created; its parent must exist).",
)
@AS_OF
@click.option("--title", metavar="TITLE", help="The site's title (default: the systems mapped).")
@click.option(
    "--force", is_flag=True, help="Replace a non-empty output folder (only one holding nothing but a site's files)."
)
def site_command(paths, folder, as_of, title, force, allow_outside):
    """A static website of a mapping, for people who never open a terminal.

    One page per function, area, body and collaborative (where it sits, who is
    accountable, who delivers it, delegation chains, findings with how to fix them, and
    sources), a findings page grouped by rule, a Functions and Decisions Map per system,
    the graph page, and an offline search that forgives typos. Open index.html in a
    browser: it works from the folder, with no server and no network. Written into a
    temporary folder and renamed into place; the same input gives byte-identical files.
    """
    from ics_graph.app.site import build_site

    if not paths:
        _fail("give the mapping: PATH (files or folders)")
    try:
        built = build_site(paths, folder, as_of=as_of, title=title, force=force, allow_outside=allow_outside)
    except OSError as exc:
        _fail(f"cannot write '{folder}': {exc.strerror or exc}")
    click.echo(
        f"Wrote a site of {built.pages} pages ({built.files} files, {built.findings} finding(s)) to {built.folder}; "
        f"open {os.path.join(built.folder, 'index.html')}",
        err=True,
    )


def run() -> None:
    """The installed ``ics-graph`` command: :func:`main`, then leave without freeing the
    graph object by object. Freeing a national graph held in memory takes longer than
    writing its report, and the operating system takes the memory back at once.
    Everything is written and flushed first, and the exit code is main's. A command given
    ``--store`` exits the usual way, so a database is always closed properly; so does an
    unexpected error, with its traceback. Ctrl-C ends any command within a second, exit
    130, even while the main thread is inside a long native call."""
    from ics_graph.util.threads import guard_interrupts

    guard_interrupts(EXIT_INTERRUPTED)
    try:
        main()
    except SystemExit as exc:
        if any(arg == "--store" or arg.startswith("--store=") for arg in sys.argv[1:]):
            # The command has finished and said so: a Ctrl-C now would only interrupt
            # closing the database, so it is ignored while the process ends.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            raise
        # Still inside the handler: the exception's traceback keeps the command's frames,
        # and so its graph, alive until the process ends here.
        _leave(exc.code)


def _leave(code) -> None:
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"), reported as Python itself does
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing more can be written
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
