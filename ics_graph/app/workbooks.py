"""Workbooks to YAML: ``ics-graph import``.

A use case above both the loader and the workbook reader: the workbook is loaded with
its context (catalogue, national frame) to check every reference in one pass, then read
again as values and written out as YAML authoring files, one per section.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ics_graph.inputs.loader import load_mapping
from ics_graph.inputs.workbook import _NAMED, SHEETS, _shown, is_workbook, read_workbook, resolve_references
from ics_graph.model import vocabulary as v
from ics_graph.model.schema import SECTIONS, Section
from ics_graph.util.errors import InputError, Location, Problem
from ics_graph.util.files import write_folder

__all__ = ["import_workbook", "workbook_to_yaml"]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(x) for k, x in value.items()}
    if isinstance(value, list):
        return [_plain(x) for x in value]
    if isinstance(value, _dt.datetime):
        return value.date() if value.time() == _dt.time() else value.isoformat()
    return value


def _canonical(section: Section, item: dict[str, Any]) -> dict[str, Any]:
    """Vocabulary words as the YAML format spells them ('Place committee' -> place-committee,
    'ICS' -> system, 'Yes' -> true), once the item is known to be valid."""
    for key, value in item.items():
        f = section.field(key)
        if key == "accountable" and isinstance(value, list) and len(value) == 1:
            item[key] = value = value[0]  # one body, as YAML writes it (a list is a joint allocation)
        if f is not None and f.kind == "enums" and isinstance(value, list):
            item[key] = [v.normalise(x) if v.normalise(x) in (f.vocab or {}) else x for x in value]
            continue
        if f is None or not isinstance(value, str):
            continue
        word = v.normalise(value)
        if f.kind == "level":
            word = v.LEVEL_SYNONYMS.get(word, word)
            item[key] = word if word in v.LEVELS else value
        elif f.kind in ("enum", "enums", "special") and f.vocab:
            item[key] = word if word in f.vocab else value
        elif f.kind == "bool" and value.strip().lower() in ("yes", "no", "true", "false"):
            item[key] = value.strip().lower() in ("yes", "true")
    return item


def workbook_to_yaml(path: str | Path, context: Iterable[str | Path] = ()) -> dict[str, str]:
    """Check a workbook (with ``context``: other files or folders it refers into, such as
    the catalogue) and return its YAML authoring files: file name -> text, one per
    section. Raises :class:`InputError` listing every problem; nothing is returned then."""
    import yaml

    context = [Path(p) for p in context]
    if not is_workbook(Path(path)):
        raise InputError(
            [
                Problem(
                    Location(_shown(Path(path))),
                    "not a workbook: give an .xlsx file or a folder of "
                    "CSV files named after the sheets (Areas.csv, Allocations.csv ...)",
                )
            ]
        )
    mapping = load_mapping([Path(path), *context], with_ontology=False)  # every problem, in one pass
    value, problems = read_workbook(path)
    entries: list[tuple[str, Any]] = [("workbook", value)]
    # the ids of the context (catalogue, national frame), as a pseudo-file: not the
    # workbook's own, which the value read again defines (its free-text sources among them)
    own = {_shown(Path(path))}
    if Path(path).is_dir():  # a CSV folder: its entities are located in its files
        own.update(_shown(entry) for entry in Path(path).iterdir())

    def from_context(iri: str) -> bool:
        where = mapping.location(iri)
        return where is None or where.file not in own

    index_iris = {
        iri: None
        for (iri,) in ((row["s"],) for row in mapping.select("SELECT DISTINCT ?s WHERE { ?s a ?t }"))
        if from_context(iri)
    }
    entries.append(("rdf", index_iris))
    labelled = mapping.select("SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }")
    # names from the context as a pseudo-file
    pseudo: dict[str, list] = {}
    for row in labelled:
        iri, label = str(row["s"]), row["label"]
        if not from_context(iri):
            continue
        if iri.startswith(v.ID):
            kind, _, ident = iri[len(v.ID) :].partition("/")
            section = next((s for s in SECTIONS.values() if s.kind == kind and s.has_id), None)
            if section is not None and kind in _NAMED:
                pseudo.setdefault(section.name, []).append({"id": ident, "name": str(label)})
    entries.append(("yaml", pseudo))
    resolve_references(entries, problems)
    if problems:  # cannot happen after a clean load, but never write half a conversion
        raise InputError(sorted(set(problems)))
    if not any(value.get(name) for name in SECTIONS):
        raise InputError([Problem(value.location, "the workbook holds no rows: nothing to import")])
    name = Path(path).name
    files: dict[str, str] = {}
    for section_name, section in SECTIONS.items():
        items = value.get(section_name)
        if not items:
            continue
        order = {k: n for n, k in enumerate(section.keys)}
        plain = [
            dict(sorted(_canonical(section, _plain(item)).items(), key=lambda kv: order.get(kv[0], len(order))))
            for item in items
        ]
        sheet = next((s for s, sec in SHEETS.items() if sec == section_name), None)
        origin = f"the {sheet} sheet of {name}" if sheet else name
        if section_name == "sources" and any(str(item.get("id", "")).startswith("wb-src-") for item in items):
            origin = f"the Sources sheet and the source cells of {name}"
        header = f"# Converted by `ics-graph import` from {origin}.\n"
        body = yaml.safe_dump(
            {section_name: plain}, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
        )
        files[f"{section_name}.yaml"] = header + body
    return files


def _imports_file(context: list[str | Path], folder: Path) -> str:
    """A ``pack.yaml`` importing the ``--with`` files and folders, relative to ``folder``
    (POSIX separators, so the file reads the same on every machine)."""
    base = folder.resolve()
    paths = [Path(os.path.relpath(Path(p).resolve(), base)).as_posix() for p in context]
    listed = "".join(f"  - {json.dumps(p)}\n" for p in paths)
    return f"# Written by `ics-graph import`: what the workbook refers to (--with).\nimports:\n{listed}"


def import_workbook(
    path: str | Path, folder: str | Path, *, context: Iterable[str | Path] = (), force: bool = False
) -> list[str]:
    """Convert a workbook to YAML files in ``folder`` (see :func:`workbook_to_yaml` and
    :func:`write_folder`); returns the names written. Nothing is written on error."""
    context = list(context)
    files = workbook_to_yaml(path, context)
    if context:  # the YAML refers into these as the workbook did: import them, so it loads as it is
        files["pack.yaml"] = _imports_file(context, Path(folder))
    write_folder(files, folder, force=force, inputs=[path, *context])
    return sorted(files)
