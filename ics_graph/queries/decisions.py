"""A Functions and Decisions Map, like the ones ICBs publish with their constitutions.

:func:`decisions_map` gathers the data; :func:`to_markdown` and :func:`to_html` render
it. The map holds:

- for each mapped system (a system with at least one allocation in it or inside it):
  the functions allocated at the system itself, then, for each of its places, the
  functions allocated at that place or at a neighbourhood inside it. Each row gives the
  function, level, accountable body, who the function is delegated to (the chain of
  delegations from the accountable body down, as ``where`` follows it), the
  instruments, status and dates; rows are sorted by category, then function;
- the functions reserved (``ics:reserved true``: they may not be delegated), with
  their statutory holder and who is accountable for them in the mapping;
- the delegations from NHS England to an ICB, with function, instrument and dates.

Allocations and delegations with status ``retired`` are left out, as the rules ignore
them; pass a mapping from ``timeline.as_of`` for the map on a date. Output is
deterministic (no timestamps) and every piece of text is escaped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ics_graph.model import vocabulary as v
from ics_graph.model.timeline import era_of
from ics_graph.queries.where import _Context, _short, accountable_text

__all__ = ["TITLE", "DecisionsMap", "PlaceSection", "Row", "SystemSection", "decisions_map"]

_RETIRED = "retired"
_NO_CATEGORY = "(no category)"
TITLE = "Functions and Decisions Map"


@dataclass
class Row:
    category: str
    function: str
    function_id: str
    level: str
    area: str
    accountable: str
    delegated_to: str
    instrument: str
    status: str
    dates: str
    allocation: str


@dataclass
class PlaceSection:
    area: str
    area_id: str
    level: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class SystemSection:
    area: str
    area_id: str
    rows: list[Row] = field(default_factory=list)
    places: list[PlaceSection] = field(default_factory=list)


@dataclass
class DecisionsMap:
    systems: list[SystemSection]
    reserved: list[dict]
    nhse_delegations: list[dict]
    as_of: str = ""

    @property
    def title(self) -> str:
        names = ", ".join(s.area for s in self.systems)
        return f"{TITLE}: {names}" if names else TITLE

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "as_of": self.as_of,
            "systems": [asdict(s) for s in self.systems],
            "reserved": self.reserved,
            "nhse_delegations": self.nhse_delegations,
        }


# -- data ----------------------------------------------------------------------------------

_FUNCTIONS = """
SELECT ?f ?label ?category ?reserved ?holder WHERE { ?f a ics:Function .
  OPTIONAL { ?f rdfs:label ?label } OPTIONAL { ?f ics:category/rdfs:label ?category }
  OPTIONAL { ?f ics:reserved ?reserved } OPTIONAL { ?f ics:statutoryHolder/rdfs:label ?holder } }
"""
_AREAS = """
SELECT ?area ?label ?level ?rank ?place ?valid_from ?valid_to WHERE { ?area ics:level ?lv . ?lv rdfs:label ?level ; ics:rank ?rank .
  OPTIONAL { ?area rdfs:label ?label }
  OPTIONAL { ?area ics:validFrom ?valid_from } OPTIONAL { ?area ics:validTo ?valid_to }
  BIND(EXISTS { ?area a ics:Place } AS ?place) }
"""
_NHSE_TO_ICB = """
SELECT ?d WHERE { ?d a ics:Delegation ; ics:delegator ?from ; ics:delegate ?to .
  ?from a ics:NHSEngland . ?to a ics:IntegratedCareBoard }
"""
_SYSTEM_RANK, _PLACE_RANK = v.LEVELS["system"].rank, v.LEVELS["place"].rank


def _first(rows, key):
    """One value per entity (the least, so the choice is stable)."""
    out: dict[str, dict] = {}
    for row in rows:
        if row[key] not in out or sorted(map(str, row.items())) < sorted(map(str, out[row[key]].items())):
            out[row[key]] = row
    return out


def _dates(start: str, end: str) -> str:
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"from {start}"
    if end:
        return f"until {end}"
    return "undated"


def decisions_map(mapping, *, as_of: str = "") -> DecisionsMap:
    """The Functions and Decisions Map of ``mapping`` (``as_of`` is only shown)."""
    context = _Context(mapping)
    functions = _first(mapping.select(_FUNCTIONS), "f")
    areas = _first(mapping.select(_AREAS), "area")

    def function_label(iri):
        return functions.get(iri, {}).get("label") or _short(iri)

    def area_label(iri):
        return areas.get(iri, {}).get("label") or _short(iri)

    def rank(iri):
        return int(areas.get(iri, {}).get("rank", 0))

    live = [r for r in context.allocations if r.get("status") != _RETIRED]

    def row(allocation, target) -> Row:
        steps = [  # a joint allocation: each holder's own delegations
            step for body in allocation["accountables"] for step in context.chain(allocation["function"], body, target)
        ]
        info = functions.get(allocation["function"], {})
        return Row(
            category=info.get("category") or _NO_CATEGORY,
            function=function_label(allocation["function"]),
            function_id=_short(allocation["function"]),
            level=allocation["level"],
            area=allocation["area_label"],
            accountable=accountable_text(allocation),
            delegated_to=" → ".join(s.to_body for s in steps),
            instrument="; ".join(s.instrument or "(instrument not recorded)" for s in steps),
            status=allocation.get("status", ""),
            dates=_dates(allocation.get("from", ""), allocation.get("to", "")),
            allocation=_short(allocation["a"]),
        )

    def ordered(rows: list[Row]) -> list[Row]:
        return sorted(rows, key=lambda r: (r.category == _NO_CATEGORY, r.category, r.function, r.area, r.allocation))

    def exists(area) -> tuple[str, str]:
        found = areas.get(area, {})
        return found.get("valid_from", ""), found.get("valid_to", "")

    def system_of(allocation):
        """The system an allocation's area is in while it is in force (of its era)."""
        found = [a for a in context.ancestors(allocation["area"]) if rank(a) == _SYSTEM_RANK]
        return era_of(found, (allocation.get("from", ""), allocation.get("to", "")), exists)

    def place_of(area):
        return next((a for a in context.ancestors(area) if rank(a) == _PLACE_RANK), None)

    systems: dict[str, SystemSection] = {}
    places: dict[tuple[str, str], PlaceSection] = {}  # by (system, place): a place that moved has one in each

    def place_section(system: str, place: str) -> PlaceSection:
        level = areas.get(place, {}).get("level", "place")
        return places.setdefault(
            (system, place), PlaceSection(area=area_label(place), area_id=_short(place), level=level)
        )

    for allocation in live:
        system = system_of(allocation)
        if system is None:
            continue  # held above system level (national, regional), or outside any system
        section = systems.setdefault(system, SystemSection(area=area_label(system), area_id=_short(system)))
        if allocation["area"] == system:
            section.rows.append(row(allocation, system))
            continue
        place = place_of(allocation["area"])
        if place is None:
            continue
        place_section(system, place).rows.append(row(allocation, allocation["area"]))
    # Every place of a mapped system gets a section (saying so when nothing is allocated there).
    for area, info in areas.items():
        if info.get("place") and rank(area) == _PLACE_RANK:
            for parent in context.tree.parents.get(area, ()):
                if parent in systems:
                    place_section(parent, area)
    for (system, _place), entry in places.items():
        entry.rows = ordered(entry.rows)
        systems[system].places.append(entry)
    for section in systems.values():
        section.rows = ordered(section.rows)
        section.places.sort(key=lambda p: (p.area, p.area_id))

    holders: dict[str, set[str]] = {}
    for allocation in live:
        if allocation["accountables"]:
            holders.setdefault(allocation["function"], set()).add(
                f"{accountable_text(allocation)} ({allocation['area_label']})"
            )
    reserved = sorted(
        (
            {
                "category": info.get("category") or _NO_CATEGORY,
                "function": function_label(f),
                "function_id": _short(f),
                "statutory_holder": info.get("holder", ""),
                "accountable": "; ".join(sorted(holders.get(f, ()))),
            }
            for f, info in functions.items()
            if info.get("reserved") is True
        ),
        key=lambda r: (r["category"] == _NO_CATEGORY, r["category"], r["function"], r["function_id"]),
    )

    nhse = {r["d"] for r in mapping.select(_NHSE_TO_ICB)}
    delegations = sorted(
        (
            {
                "function": function_label(d["function"]),
                "function_id": _short(d["function"]),
                "from": d["from_label"],
                "to": d["to_label"],
                "area": d["area_label"],
                "instrument": d.get("instrument", ""),
                "status": d.get("status", ""),
                "start": d.get("start", ""),
                "end": d.get("end", ""),
                "delegation": _short(d["d"]),
            }
            for d in context.delegations
            if d["d"] in nhse and d.get("status") != _RETIRED
        ),
        key=lambda r: (r["to"], r["function"], r["area"], r["delegation"]),
    )
    ordered_systems = sorted(systems.values(), key=lambda s: (s.area, s.area_id))
    return DecisionsMap(systems=ordered_systems, reserved=reserved, nhse_delegations=delegations, as_of=as_of or "")


# -- shared rendering --------------------------------------------------------------------
