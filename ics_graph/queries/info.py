"""What a mapping holds: counts by kind, by level and by area (``ics-graph info``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ics_graph.model import vocabulary as v
from ics_graph.model.sparql import IRI

__all__ = ["Summary", "summarise"]

_KIND_CLASSES = {
    "Function": "ics:Function",
    "Area": "ics:Area",
    "Body": "ics:Body",
    "ProviderCollaborative": "ics:ProviderCollaborative",
    "Allocation": "ics:Allocation",
    "Delegation": "ics:Delegation",
    "Workstream": "ics:Workstream",
    "Risk": "ics:Risk",
    "Source": "ics:Source",
}


@dataclass
class Summary:
    files: list[str]
    triples: int
    totals: dict[str, int]
    areas_by_level: dict[str, int]
    bodies_by_type: dict[str, int]
    allocations_by_level: dict[str, int]
    allocations_by_status: dict[str, int]
    delegations_by_instrument: dict[str, int]
    dependencies: int
    systems: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "triples": self.triples,
            "totals": self.totals,
            "areas_by_level": self.areas_by_level,
            "bodies_by_type": self.bodies_by_type,
            "allocations_by_level": self.allocations_by_level,
            "allocations_by_status": self.allocations_by_status,
            "delegations_by_instrument": self.delegations_by_instrument,
            "dependencies": self.dependencies,
            "systems": self.systems,
        }


def _counts(mapping, query: str) -> dict[str, int]:
    return {row["k"]: row["n"] for row in mapping.select(query) if "k" in row}


def _keyword(iri_local: str, table: dict[str, str]) -> str:
    reverse = {local: key for key, local in table.items()}
    return reverse.get(iri_local, iri_local)


def summarise(mapping) -> Summary:
    """Count what the mapping holds. Subclass reasoning (every trust is a Body) uses the
    ontology's rdfs:subClassOf, loaded alongside the data."""
    totals = {}
    for name, cls in _KIND_CLASSES.items():
        rows = mapping.select(f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e a/rdfs:subClassOf* {cls} }}")
        totals[name] = rows[0]["n"] if rows else 0
    level_names = {lv.iri: k for k, lv in v.LEVELS.items()}
    areas = _counts(
        mapping,
        "SELECT ?k (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a/rdfs:subClassOf* ics:Area ; ics:level ?k } GROUP BY ?k",
    )
    bodies = _counts(
        mapping, "SELECT ?k (COUNT(DISTINCT ?b) AS ?n) WHERE { ?b a ?k . ?k rdfs:subClassOf* ics:Body } GROUP BY ?k"
    )
    alloc_level = _counts(
        mapping,
        "SELECT ?k (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ics:Allocation ; ics:area/ics:level ?k } GROUP BY ?k",
    )
    alloc_status = _counts(
        mapping, "SELECT ?k (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ics:Allocation ; ics:status ?k } GROUP BY ?k"
    )
    instruments = _counts(
        mapping, "SELECT ?k (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ics:Delegation ; ics:instrument ?k } GROUP BY ?k"
    )
    deps = mapping.select("SELECT (COUNT(*) AS ?n) WHERE { ?a ics:dependsOn ?b }")[0]["n"]
    local = lambda iri: iri.rsplit("#", 1)[-1]
    body_types = {local(c): k for k, c in ((k, v.ICS + c) for k, c in v.BODY_TYPES.items())}
    systems = []
    for row in mapping.select("""
        SELECT ?s ?label (COUNT(DISTINCT ?p) AS ?places) WHERE {
          ?s a ics:System ; rdfs:label ?label .
          OPTIONAL { ?p a ics:Place ; ics:partOf ?s }
        } GROUP BY ?s ?label ORDER BY ?label"""):
        allocations = mapping.select(
            """
            SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {
              ?x a ics:Allocation ; ics:area ?a . ?a ics:partOf* ?s }""",
            {"s": _iri(row["s"])},
        )[0]["n"]
        if row["places"] or allocations:
            systems.append(
                {
                    "id": row["s"].rsplit("/", 1)[-1],
                    "name": row["label"],
                    "places": row["places"],
                    "allocations": allocations,
                }
            )
    return Summary(
        files=list(mapping.files),
        triples=len(mapping),
        totals=totals,
        areas_by_level={
            level_names.get(k, k): n
            for k, n in sorted(
                areas.items(), key=lambda kv: v.LEVELS[level_names[kv[0]]].rank if kv[0] in level_names else 9
            )
        },
        bodies_by_type=dict(sorted((body_types.get(local(k), local(k)), n) for k, n in bodies.items())),
        allocations_by_level={
            level_names.get(k, k): n
            for k, n in sorted(
                alloc_level.items(), key=lambda kv: v.LEVELS[level_names[kv[0]]].rank if kv[0] in level_names else 9
            )
        },
        allocations_by_status=dict(sorted((_keyword(local(k), v.STATUSES), n) for k, n in alloc_status.items())),
        delegations_by_instrument=dict(sorted((_keyword(local(k), v.INSTRUMENTS), n) for k, n in instruments.items())),
        dependencies=deps,
        systems=systems,
    )


def _iri(value: str):

    return IRI(value)
