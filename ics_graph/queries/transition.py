"""Where each CCG function went on 1 July 2022: ``ics-graph transition``.

The table the 2020-22 transition teams kept by hand: for each function a clinical
commissioning group in a system held on the last day of CCGs (30 June 2022), where it
sits from the first day of ICBs (1 July 2022): level, area, accountable bodies, the
delegation chain and status; and the functions that have no destination, with the
CCG's successor named so the gap can be closed.

A CCG "held" a function when it was accountable in an allocation in force that day; a
function has a destination when an allocation of it in force the next day covers the
CCG's area, sits in it or covers part of it. Dates are compared as ISO text, on the
whole timeline: the mapping is read without ``--as-of``.

A CCG is of the system when it operates in the system or an area inside it, or when its
successor does: several footprints changed on 1 July 2022 (ONS reissued their codes), so a
pack may record a CCG's 2021-22 footprint as an area of its own, outside the 2022 tree.
Such a CCG's functions passed to its successor for the whole system, so any allocation in
the system, at or below the system, is a destination for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ics_graph.model.sparql import IRI
from ics_graph.queries.where import _Context, _short, accountable_text

__all__ = ["FIRST_ICB_DAY", "LAST_CCG_DAY", "TransitionReport", "transition"]

LAST_CCG_DAY = "2022-06-30"  # Health and Care Act 2022: CCGs abolished, functions to ICBs
FIRST_ICB_DAY = "2022-07-01"
_RETIRED = "retired"

_CCGS = """
SELECT ?ccg ?label ?code ?from ?to ?successor ?successor_label WHERE {
  ?ccg a ics:ClinicalCommissioningGroup ; rdfs:label ?label .
  OPTIONAL { ?ccg ics:odsCode ?code }
  OPTIONAL { ?ccg ics:validFrom ?from } OPTIONAL { ?ccg ics:validTo ?to }
  OPTIONAL { ?ccg ics:successor ?successor . ?successor rdfs:label ?successor_label }
}
"""
_OPERATES_IN = "SELECT ?area WHERE { ?ccg ics:operatesIn ?area }"
_SUCCESSOR_AREAS = "SELECT ?area WHERE { ?ccg ics:successor/ics:operatesIn ?area }"
_FUNCTIONS = "SELECT ?f ?l WHERE { ?f a ics:Function ; rdfs:label ?l }"


def _in_force(row: dict, day: str) -> bool:
    return (not row.get("from") or row["from"] <= day) and (not row.get("to") or day <= row["to"])


@dataclass
class Destination:
    """Where a function sits from 1 July 2022 (one allocation)."""

    allocation: str
    level: str
    area: str
    accountable: str
    status: str
    dates: str
    chain: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Handover:
    """One function a CCG held on 30 June 2022, and where it went."""

    function: str
    function_id: str
    ccg: str
    ccg_area: str
    successor: str
    destinations: list[Destination]

    def as_dict(self) -> dict:
        plain = {k: v for k, v in self.__dict__.items() if k != "destinations"}
        return {**plain, "destinations": [d.as_dict() for d in self.destinations]}


@dataclass
class TransitionReport:
    system: str
    system_id: str
    ccgs: list[dict]
    handovers: list[Handover]

    @property
    def unmapped(self) -> list[Handover]:
        return [h for h in self.handovers if not h.destinations]

    def as_dict(self) -> dict:
        return {
            "system": self.system,
            "system_id": self.system_id,
            "last_ccg_day": LAST_CCG_DAY,
            "first_icb_day": FIRST_ICB_DAY,
            "ccgs": self.ccgs,
            "handovers": [h.as_dict() for h in self.handovers],
            "without_destination": len(self.unmapped),
        }


def _dates(row: dict) -> str:
    start, end = row.get("from", ""), row.get("to", "")
    if start and end:
        return f"from {start} to {end}"
    return f"from {start}" if start else (f"until {end}" if end else "undated")


def transition(mapping, system: str) -> TransitionReport:
    """The handover table for ``system`` (an area IRI): every function each CCG of the
    system (operating in the system or an area inside it, and existing on 30 June 2022)
    held that day, and the allocations that hold it from 1 July 2022."""
    context = _Context(mapping)
    tree = context.tree
    inside = {system, *tree.inside(system)}
    function_labels = {r["f"]: r["l"] for r in mapping.select(_FUNCTIONS)}
    ccgs = []
    for row in mapping.select(_CCGS):
        ccg_iri = IRI(row["ccg"])
        areas = [r["area"] for r in mapping.select(_OPERATES_IN, {"ccg": ccg_iri})]
        successor_areas = [r["area"] for r in mapping.select(_SUCCESSOR_AREAS, {"ccg": ccg_iri})]
        if _in_force(row, LAST_CCG_DAY) and any(a in inside for a in areas + successor_areas):
            ccgs.append({**row, "areas": sorted(a for a in areas if a in inside)})
    ccgs.sort(key=lambda c: (c["label"], c["ccg"]))
    live = [r for r in context.allocations if (r.get("status") or "").lower() != _RETIRED]
    handovers: list[Handover] = []
    for ccg in ccgs:
        held = [r for r in live if ccg["ccg"] in r["accountables"] and _in_force(r, LAST_CCG_DAY)]
        for before in sorted(held, key=lambda r: (r["function"], r["area"])):
            area = before["area"]
            related = {area, *tree.ancestors(area), *tree.inside(area)}
            if area not in inside:  # an earlier footprint: the successor took it for the system
                related |= inside
            after = [
                r
                for r in live
                if r["function"] == before["function"]
                and r["area"] in related
                and r["area"] in inside | set(tree.ancestors(system))
                and _in_force(r, FIRST_ICB_DAY)
                and ccg["ccg"] not in r["accountables"]
            ]
            destinations = [
                Destination(
                    allocation=_short(r["a"]),
                    level=r["level"],
                    area=r["area_label"],
                    accountable=accountable_text(r),
                    status=r.get("status", "") or "current",
                    dates=_dates(r),
                    chain=[
                        f"{step.from_body} -> {step.to_body} ({step.instrument or 'delegation'})"
                        for body in r["accountables"]
                        for step in context.chain(r["function"], body, area)  # down to the CCG's area
                    ],
                )
                for r in sorted(after, key=lambda r: (-int(r["rank"]), r["area_label"], r["a"]))
            ]
            handovers.append(
                Handover(
                    function=function_labels.get(before["function"], _short(before["function"])),
                    function_id=_short(before["function"]),
                    ccg=ccg["label"],
                    ccg_area=before["area_label"],
                    successor=ccg.get("successor_label", ""),
                    destinations=destinations,
                )
            )
    ccg_rows = [
        {
            "ccg": c["label"],
            "id": _short(c["ccg"]),
            "code": c.get("code", ""),
            "successor": c.get("successor_label", ""),
            "valid_to": c.get("to", ""),
        }
        for c in ccgs
    ]
    label = mapping.select("SELECT ?l WHERE { ?s rdfs:label ?l } LIMIT 1", {"s": IRI(system)})
    return TransitionReport(label[0]["l"] if label else _short(system), _short(system), ccg_rows, handovers)
