"""The built-in rules agree with the semantics the README states, on random mappings.

The fixtures in test_rules.py show each rule firing once and not firing on a near miss.
This file checks the rules as a whole against a second, independent statement of the
same definitions, written plainly in Python over sets: seeded random mappings with many
defects at once (dates, statuses, missing and extra bodies, bodies at two levels,
collaboratives, delegations up, down and sideways) are checked by both, and the two must
find exactly the same (rule, entity, related entities, severity).

The two cycle rules are checked against networkx's strongly connected components. The
rules have been rewritten for speed several times; this is what says such a rewrite
still means what the README says. The same mapping is also checked without any labels and
with two labels on every entity (labels are for reading a finding, so they must never
change which findings there are), and with areas given only their type, as RDF may.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import networkx as nx
import pytest

from ics_graph.engine.checking import run_rules
from ics_graph.engine.rulefiles import load_rules
from ics_graph.inputs.loader import load_mapping
from ics_graph.stores.persistent import load_into, open_mapping
from ics_graph.stores.spec import StoreSpec

ICS = "https://w3id.org/ics-graph/ontology#"
ID = "https://w3id.org/ics-graph/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
HAS_MEMBER = "http://www.w3.org/ns/org#hasMember"
DATE = "http://www.w3.org/2001/XMLSchema#date"
RANK = {ICS + "SystemLevel": 3, ICS + "PlaceLevel": 4, ICS + "NeighbourhoodLevel": 5}
LEVEL_OF_KIND = {
    "System": ICS + "SystemLevel",
    "Place": ICS + "PlaceLevel",
    "Neighbourhood": ICS + "NeighbourhoodLevel",
}
DATES = ["2021-04-01", "2022-07-01", "2023-04-01", "2024-04-01", "2025-04-01", "2026-04-01"]
MODELLED = (
    "multiple-accountable",
    "delegator-lacks-function",
    "date-inconsistency",
    "unowned-function",
    "place-coverage-gap",
    "subsidiarity-above-lowest-level",
    "subsidiarity-below-required-scale",
    "delegate-outside-footprint",
    "upward-delegation",
    "reserved-function-delegated",
    "trust-not-in-collaborative",
    "collaborative-lead",
    "area-hierarchy",
    "delegation-cycle",
    "dependency-cycle",
    "accountable-without-legal-standing",
    "delegation-instrument-mismatch",
    "subsidiarity-undecided",
)


@dataclass
class Holding:
    """An allocation (bodies = its accountable bodies) or a delegation (bodies = its delegates)."""

    iri: str
    kind: str
    function: str
    area: str
    bodies: set = field(default_factory=set)
    delegator: str | None = None
    start: str | None = None
    end: str | None = None
    retired: bool = False
    rationale: str = ""
    declared_level: str | None = None
    joint: bool = False  # an allocation's ics:joint true
    basis: str | None = None  # an allocation's basis: "BasisDefault", "BasisDecision" or none stated
    level_reason: bool = False  # an allocation's ics:levelReason given
    instrument: str = "CommitteeOfBoard"  # a delegation's legal instrument


@dataclass
class Mapping:
    areas: dict = field(default_factory=dict)  # iri -> kind (System, Place, Neighbourhood)
    part_of: dict = field(default_factory=lambda: defaultdict(set))
    area_dates: dict = field(default_factory=dict)  # iri -> (valid_from, valid_to)
    bodies: dict = field(default_factory=dict)  # iri -> class name
    operates_in: dict = field(default_factory=lambda: defaultdict(set))
    collaboratives: dict = field(default_factory=dict)  # iri -> (model, lead or None, members)
    functions: dict = field(default_factory=dict)  # iri -> (lowest, minimum or None, icb_from or None, reserved)
    depends_on: set = field(default_factory=set)  # (function, function it depends on)
    holdings: list = field(default_factory=list)
    forms: dict = field(default_factory=dict)  # body iri -> legal form stated in place of its type's default
    committee_of: dict = field(default_factory=lambda: defaultdict(set))  # body -> {(parent, predicate)}
    holders: dict = field(default_factory=dict)  # function iri -> the classes of its statutory holders

    def above(self, area: str) -> set:
        """The area and every area it is part of, at any distance (part_of*)."""
        seen, todo = {area}, [area]
        while todo:
            for parent in self.part_of.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen


COMMITTEE_OF = ICS + "committeeOf"
SUB_ORGANIZATION_OF = "http://www.w3.org/ns/org#subOrganizationOf"
#: what the law makes each kind of body (NHS Act 2006; the ontology fixes the first group)
LEGAL_FORM = {
    "IntegratedCareBoard": "StatutoryBody",
    "NHSEngland": "StatutoryBody",
    "ClinicalCommissioningGroup": "StatutoryBody",
    "LocalAuthority": "StatutoryBody",
    "CombinedAuthority": "StatutoryBody",
    "AcuteTrust": "StatutoryBody",
    "MentalHealthTrust": "StatutoryBody",
    "CommunityTrust": "StatutoryBody",
    "PlaceCommittee": "Committee",
    "JointCommittee": "JointCommittee",
    # defaults only: a mapping may say otherwise
    "IntegratedCarePartnership": "JointCommittee",
    "PlaceBasedPartnership": "Partnership",
    "PrimaryCareNetwork": "Network",
    "GPPractice": "Contractor",
    "OtherBody": "Partnership",
}
#: statutory holder class -> its holder type
HOLDER_CLASSES = {
    "IntegratedCareBoard": "HolderICB",
    "LocalAuthority": "HolderLocalAuthority",
    "IntegratedCarePartnership": "HolderICP",
    "NHSEngland": "HolderNHSEngland",
}
INSTRUMENTS = (
    "S65Z5Delegation",
    "S65Z5JointExercise",
    "S65Z6JointCommittee",
    "S75Partnership",
    "CommitteeOfBoard",
    "LeadProviderContract",
    "OtherInstrument",
)
TRUSTS = ("AcuteTrust", "MentalHealthTrust", "CommunityTrust")
NHS_BODIES = ("NHSEngland", "IntegratedCareBoard", "ClinicalCommissioningGroup", *TRUSTS)


def legal_form(m: Mapping, body: str) -> str:
    """A body's legal form: a provider collaborative's is collaborative; a body's is the
    one stated for it, else its type's."""
    if body in m.collaboratives:
        return "Collaborative"
    return m.forms.get(body) or LEGAL_FORM[m.bodies[body]]


def classes_of(m: Mapping, body: str) -> set:
    """The classes a body is an instance of, as far as the holder types go."""
    return {m.bodies.get(body, "ProviderCollaborative")}


def instrument_mismatch(m: Mapping, instrument: str, delegator: str, delegate: str) -> bool:
    """Whether ``instrument`` does not fit a delegation from ``delegator`` to ``delegate``:
    s65Z5 only to NHS England, an ICB, an NHS trust, a local or combined authority (never a
    CCG); committee-of-board only to a committee of the delegator, at any depth; s65Z6 only
    to a joint committee of the delegator; s75 only between an NHS body and a local
    authority; a lead provider contract only with an NHS trust."""
    kind, by = m.bodies.get(delegate, "ProviderCollaborative"), m.bodies.get(delegator)

    def parents(body):
        return {parent for parent, _ in m.committee_of.get(body, ())}

    if instrument in ("S65Z5Delegation", "S65Z5JointExercise"):
        return kind not in ("NHSEngland", "IntegratedCareBoard", *TRUSTS, "LocalAuthority", "CombinedAuthority")
    if instrument == "CommitteeOfBoard":
        seen, todo = set(), [delegate]
        while todo:
            for parent in parents(todo.pop()) - seen:
                seen.add(parent)
                todo.append(parent)
        return delegator not in seen
    if instrument == "S65Z6JointCommittee":
        return not (legal_form(m, delegate) == "JointCommittee" and delegator in parents(delegate))
    if instrument == "S75Partnership":
        return not ((by in NHS_BODIES and kind == "LocalAuthority") or (by == "LocalAuthority" and kind in NHS_BODIES))
    if instrument == "LeadProviderContract":
        return kind not in TRUSTS
    return False


def random_mapping(seed: int) -> Mapping:
    rng = random.Random(seed)
    legal = random.Random(seed + 1_000_003)  # legal forms, committees, instruments: their own stream
    m = Mapping()

    def area(kind, name, parent=None):
        iri = f"{ID}area/{name}"
        m.areas[iri] = kind
        if parent:
            m.part_of[iri].add(parent)
        if rng.random() < 0.05:
            m.area_dates[iri] = (rng.choice(DATES), rng.choice(DATES))
        return iri

    def body(cls, name, *where):
        iri = f"{ID}body/{name}"
        m.bodies[iri] = cls
        m.operates_in[iri].update(where)
        return iri

    systems, places, hoods = [], [], []
    for s in range(rng.randint(1, 2)):
        system = area("System", f"s{s}")
        systems.append(system)
        icb = body("IntegratedCareBoard", f"s{s}-icb", system)
        for p in range(rng.randint(2, 3)):
            place = area("Place", f"s{s}-p{p}", system)
            places.append(place)
            committee = body("PlaceCommittee", f"s{s}-p{p}-committee", place)
            link = legal.choice([COMMITTEE_OF, SUB_ORGANIZATION_OF, None])  # ics:committeeOf, part_of, or not said
            if link:
                m.committee_of[committee].add((icb, link))
            for n in range(rng.randint(0, 2)):
                hood = area("Neighbourhood", f"s{s}-p{p}-n{n}", place)
                hoods.append(hood)
                body("PrimaryCareNetwork", f"s{s}-p{p}-n{n}-pcn", hood)
    # hierarchy defects: a place in two systems, a neighbourhood in no place, a link skipping a level
    if len(systems) > 1 and rng.random() < 0.5:
        m.part_of[rng.choice(places)].add(systems[-1])
    if hoods and rng.random() < 0.3:
        m.part_of[rng.choice(hoods)].clear()
    if hoods and rng.random() < 0.3:
        m.part_of[rng.choice(hoods)].add(rng.choice(systems))
    all_areas = sorted(m.areas)
    trusts = [
        body(
            rng.choice(["AcuteTrust", "MentalHealthTrust", "CommunityTrust"]),
            f"trust{t}",
            *rng.sample(all_areas, rng.randint(0, 2)),
        )
        for t in range(3)
    ]
    council = body("LocalAuthority", "council", *rng.sample(places, min(2, len(places))))
    # its level is the higher one
    two_levels = body("OtherBody", "two-levels", rng.choice(systems), rng.choice(places + hoods))
    # legal standing: bodies of every legal form, committees of one or two bodies, forms stated in place of the default
    if legal.random() < 0.5:
        m.forms[two_levels] = legal.choice(["StatutoryBody", "Contractor", "Network"])
    first_icb = f"{ID}body/s0-icb"
    joint = body("JointCommittee", "joint", legal.choice(systems))
    for parent in legal.sample([first_icb, council, trusts[0]], legal.randint(0, 2)):
        m.committee_of[joint].add((parent, legal.choice([COMMITTEE_OF, SUB_ORGANIZATION_OF])))
    icp = body("IntegratedCarePartnership", "icp", legal.choice(systems))
    m.committee_of[icp].add((first_icb, COMMITTEE_OF))
    if legal.random() < 0.3:
        m.forms[icp] = "Partnership"  # a 2020-21 'ICP' that was a partnership
    body("PlaceBasedPartnership", "partnership", legal.choice(places))
    body("GPPractice", "practice", *legal.sample(hoods, min(1, len(hoods))))
    if legal.random() < 0.5:
        body("ClinicalCommissioningGroup", "ccg", legal.choice(places))
    if legal.random() < 0.5:
        body("CombinedAuthority", "combined", legal.choice(systems))
    if legal.random() < 0.5:
        body("NHSEngland", "nhse")
    for c in range(2):
        members = set(rng.sample(trusts, rng.randint(0, 2)))
        model = rng.choice(["LeadProviderModel", "AllianceModel", "UndecidedModel"])
        lead = rng.choice(trusts) if model == "LeadProviderModel" and rng.random() < 0.7 else None
        m.collaboratives[f"{ID}collaborative/c{c}"] = (model, lead, members)
    for f in range(rng.randint(3, 6)):
        levels = list(RANK)
        m.functions[f"{ID}function/f{f}"] = (
            rng.choice(levels),
            rng.choice([*levels, None]),
            rng.choice([None, None, *DATES]),
            rng.random() < 0.15,
        )
        m.holders[f"{ID}function/f{f}"] = set(legal.sample(sorted(HOLDER_CLASSES), legal.choice([0, 1, 1, 2])))
    functions = sorted(m.functions)
    for _ in range(rng.randint(0, 6)):
        m.depends_on.add((rng.choice(functions), rng.choice(functions)))
    holders = sorted(m.bodies)
    receivers = holders + sorted(m.collaboratives)

    def dates(h):
        if rng.random() < 0.9:
            h.start = rng.choice(DATES)
        if rng.random() < 0.35:
            h.end = rng.choice(DATES)
        h.retired = rng.random() < 0.1
        h.rationale = rng.choice(["", "", "", "agreed by the board", " "])

    candidate_areas = sorted(m.areas)
    for a in range(rng.randint(8, 30)):
        h = Holding(f"{ID}allocation/a{a:02d}", "Allocation", rng.choice(functions), rng.choice(candidate_areas))
        h.bodies = set(rng.sample(holders, rng.choice([0, 1, 1, 1, 1, 1, 1, 1, 2])))
        dates(h)
        if rng.random() < 0.2:
            h.declared_level = rng.choice(list(RANK))
        h.joint = legal.random() < (0.5 if len(h.bodies) > 1 else 0.05)
        h.basis = legal.choice([None, None, "BasisDecision", "BasisDefault", "BasisDefault"])
        h.level_reason = legal.random() < 0.25
        m.holdings.append(h)
    allocated = [h for h in m.holdings if h.bodies]
    for d in range(rng.randint(3, 15)):
        if allocated and rng.random() < 0.6:  # mostly passed on by a body that holds it, for an area inside
            held = rng.choice(allocated)
            inside = [a for a in candidate_areas if held.area in m.above(a)]
            h = Holding(
                f"{ID}delegation/d{d:02d}",
                "Delegation",
                held.function,
                rng.choice(inside),
                delegator=rng.choice(sorted(held.bodies)),
            )
        else:
            h = Holding(
                f"{ID}delegation/d{d:02d}",
                "Delegation",
                rng.choice(functions),
                rng.choice(candidate_areas),
                delegator=rng.choice(holders),
            )
        h.bodies = {rng.choice(receivers)}
        dates(h)
        h.instrument = legal.choice(INSTRUMENTS)
        fitting = [
            (instrument, to)
            for instrument in INSTRUMENTS[:-1]  # not OtherInstrument, which always fits
            for to in receivers
            if not instrument_mismatch(m, instrument, h.delegator, to)
        ]
        if fitting and legal.random() < 0.5:  # half the time an instrument and a delegate that fit
            h.instrument, to = legal.choice(fitting)
            h.bodies = {to}
        m.holdings.append(h)
    # now and then a delegation to a committee or joint committee of the delegator, or under s75
    offers = [(parent, child, "CommitteeOfBoard") for child, links in m.committee_of.items() for parent, _ in links]
    offers += [(parent, joint, "S65Z6JointCommittee") for parent, _ in m.committee_of.get(joint, ())]
    offers += [(first_icb, council, "S75Partnership"), (council, first_icb, "S75Partnership")]
    for n, (source, to, instrument) in enumerate(sorted(legal.sample(offers, legal.randint(0, 3)))):
        h = Holding(f"{ID}delegation/fit{n}", "Delegation", legal.choice(functions), legal.choice(candidate_areas))
        h.delegator, h.bodies, h.instrument = source, {to}, instrument
        m.holdings.append(h)
    return m


def _label(iri: str, labels: int) -> list[str]:
    name = iri.rsplit("/", 1)[-1]
    return [f'<{iri}> <{LABEL}> "{name}" .', f'<{iri}> <{LABEL}> "Name of {name}"@en .'][:labels]


def to_ntriples(m: Mapping, labels: int = 1, levels: bool = True, forms: bool = True) -> str:
    """The mapping as N-Triples, with ``labels`` rdfs:label statements on each entity,
    each area's level stated (``levels``) or left to its type, as RDF may, and each body's
    legal form stated (``forms``) or, when it is its type's default, left to the type."""
    out = []

    def t(s, p, o):
        out.append(f"<{s}> <{p}> {o} .")

    def date(value):
        return f'"{value}"^^<{DATE}>'

    for iri, kind in m.areas.items():
        t(iri, RDF_TYPE, f"<{ICS}{kind}>")
        if levels:
            t(iri, ICS + "level", f"<{LEVEL_OF_KIND[kind]}>")
        for parent in sorted(m.part_of.get(iri, ())):
            t(iri, ICS + "partOf", f"<{parent}>")
        if iri in m.area_dates:
            t(iri, ICS + "validFrom", date(m.area_dates[iri][0]))
            t(iri, ICS + "validTo", date(m.area_dates[iri][1]))
        out.extend(_label(iri, labels))
    for iri, cls in m.bodies.items():
        t(iri, RDF_TYPE, f"<{ICS}{cls}>")
        if iri in m.forms or forms:
            t(iri, RDF_TYPE, f"<{ICS}{legal_form(m, iri)}>")
        for parent, predicate in sorted(m.committee_of.get(iri, ())):
            t(iri, predicate, f"<{parent}>")
        for where in sorted(m.operates_in[iri]):
            t(iri, ICS + "operatesIn", f"<{where}>")
        out.extend(_label(iri, labels))
    for iri, (model, lead, members) in m.collaboratives.items():
        t(iri, RDF_TYPE, f"<{ICS}ProviderCollaborative>")
        t(iri, ICS + "collaborationModel", f"<{ICS}{model}>")
        if lead:
            t(iri, ICS + "leadProvider", f"<{lead}>")
        for member in sorted(members):
            t(iri, HAS_MEMBER, f"<{member}>")
        out.extend(_label(iri, labels))
    for iri, (lowest, minimum, icb_from, reserved) in m.functions.items():
        t(iri, RDF_TYPE, f"<{ICS}Function>")
        t(iri, ICS + "lowestLevel", f"<{lowest}>")
        if minimum:
            t(iri, ICS + "minimumLevel", f"<{minimum}>")
        if icb_from:
            t(iri, ICS + "icbFrom", date(icb_from))
        if reserved:
            t(iri, ICS + "reserved", '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>')
        for holder in sorted(m.holders.get(iri, ())):
            t(iri, ICS + "statutoryHolder", f"<{ICS}{HOLDER_CLASSES[holder]}>")
    for before, after in sorted(m.depends_on):
        t(before, ICS + "dependsOn", f"<{after}>")
        out.extend(_label(iri, labels))
    for h in m.holdings:
        t(h.iri, RDF_TYPE, f"<{ICS}{h.kind}>")
        t(h.iri, ICS + "function", f"<{h.function}>")
        t(h.iri, ICS + "area", f"<{h.area}>")
        for b in sorted(h.bodies):
            t(h.iri, ICS + ("accountableBody" if h.kind == "Allocation" else "delegate"), f"<{b}>")
        if h.delegator:
            t(h.iri, ICS + "delegator", f"<{h.delegator}>")
            t(h.iri, ICS + "instrument", f"<{ICS}{h.instrument}>")
        if h.start:
            t(h.iri, ICS + "effectiveFrom", date(h.start))
        if h.end:
            t(h.iri, ICS + "effectiveTo", date(h.end))
        t(h.iri, ICS + "status", f"<{ICS}{'StatusRetired' if h.retired else 'StatusCurrent'}>")
        if h.rationale:
            t(h.iri, ICS + "rationale", f'"{h.rationale}"')
        if h.declared_level:
            t(h.iri, ICS + "level", f"<{h.declared_level}>")
        if h.kind == "Allocation" and h.joint:
            t(h.iri, ICS + "joint", '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>')
        if h.kind == "Allocation" and h.basis:
            t(h.iri, ICS + "basis", f"<{ICS}{h.basis}>")
        if h.kind == "Allocation" and h.level_reason:
            t(h.iri, ICS + "levelReason", f"<{ICS}ReasonSpecialistWorkforce>")
    return "\n".join(out) + "\n"


# -- the README's definitions, in Python -------------------------------------------------


def expected(m: Mapping) -> Counter:
    """Every finding the README's semantics call for, as (rule, focus, related, severity),
    counted: one entity may break a rule in two ways (a delegation that ends before it
    starts and also starts before its delegator holds the function)."""
    found: Counter = Counter()

    def add(rule, focus, related=(), severity=None):
        found[(rule, focus, tuple(sorted(related)), severity or SEVERITY[rule])] += 1

    live = [h for h in m.holdings if not h.retired]
    allocations = [h for h in live if h.kind == "Allocation"]
    delegations = [h for h in live if h.kind == "Delegation"]
    rank_of_area = {a: RANK[LEVEL_OF_KIND[k]] for a, k in m.areas.items()}

    def level_rank(body):  # the level of a body: its highest one (lowest rank number)
        ranks = [rank_of_area[a] for a in m.operates_in.get(body, ())]
        return min(ranks) if ranks else None

    def in_force(h, day):
        return (h.start is None or h.start <= day) and (h.end is None or day <= h.end)

    def holdings_of(body, function, area, besides):
        """Ways ``body`` holds ``function`` for an area covering ``area``, at any time."""
        covering = m.above(area)
        return [
            h for h in live if h is not besides and body in h.bodies and h.function == function and h.area in covering
        ]

    # multiple-accountable: two allocations of F in one area, different bodies, overlapping
    # periods; or one allocation with more than one accountable body
    for a in allocations:
        if len(a.bodies) > 1 and not a.joint:  # several bodies marked joint answer together
            add("multiple-accountable", a.iri)
        for b in allocations:
            if a.iri < b.iri and a.function == b.function and a.area == b.area:
                different = any(x != y for x in a.bodies for y in b.bodies)
                overlap = (a.start is None or b.end is None or a.start <= b.end) and (
                    b.start is None or a.end is None or b.start <= a.end
                )
                if different and overlap:
                    add("multiple-accountable", a.iri, [b.iri])
    for d in delegations:
        held = holdings_of(d.delegator, d.function, d.area, besides=d)
        if not held:
            add("delegator-lacks-function", d.iri)
        elif d.start and not any(in_force(h, d.start) for h in held):
            add("date-inconsistency", d.iri, [d.delegator])
        if m.functions[d.function][3]:
            add("reserved-function-delegated", d.iri)
        for to in d.bodies:
            footprint = set(m.operates_in.get(to, ()))
            for member in m.collaboratives.get(to, (None, None, set()))[2]:
                footprint |= m.operates_in.get(member, set())
            if not m.above(d.area) & footprint:
                add("delegate-outside-footprint", d.iri, [to])
            up, down = level_rank(d.delegator), level_rank(to)
            if up is not None and down is not None and up > down:
                add("upward-delegation", d.iri, [to], "info" if d.rationale.strip() else "warning")
    # date-inconsistency: ends before it starts; an ICB holding F before ICBs hold it
    for h in m.holdings:
        if h.start and h.end and h.end < h.start:
            add("date-inconsistency", h.iri)
        icb_from = m.functions[h.function][2]
        if not h.retired and h.start and icb_from and h.start < icb_from:
            for b in h.bodies:
                if m.bodies.get(b) == "IntegratedCareBoard":
                    add("date-inconsistency", h.iri, [b])
    for a, (start, end) in m.area_dates.items():
        if end < start:
            add("date-inconsistency", a)
    # ... and in force on a day when its area, a body it names or its delegator does not exist
    for h in live:
        if h.start and h.end and h.end < h.start:
            continue
        named = {h.area, *h.bodies, *([h.delegator] if h.delegator else [])}
        for entity in named & set(m.area_dates):
            valid_from, valid_to = m.area_dates[entity]
            if (valid_from and (h.start is None or h.start < valid_from)) or (
                valid_to and (h.end is None or h.end > valid_to)
            ):
                add("date-inconsistency", h.iri, [entity, h.function])

    # unowned-function, over time: a function with, on some day a system is loaded for
    # checking (an allocation in force in it that day), no allocation in force in, inside or
    # above the system that day. An allocation is in a system on a day when every area between
    # them exists that day. Whether a function is held changes only on a boundary day (a start,
    # or the day after an end), so those days (and one before every date) are the days tested.
    def exists(area, day):
        start, end = m.area_dates.get(area, (None, None))
        return (start is None or start <= day) and (end is None or day <= end)

    def linked(lower, upper, day):
        between = {x for x in m.above(lower) if upper in m.above(x)}
        return all(exists(x, day) for x in between)

    def next_day(day):
        return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()

    days = {"0001-01-01"}
    for h in m.holdings:
        days |= {h.start} if h.start else set()
        days |= {next_day(h.end)} if h.end else set()
    for start, end in m.area_dates.values():
        days |= {start, next_day(end)}
    systems = [a for a, k in m.areas.items() if k == "System"]
    for s in systems:
        for f in m.functions:
            gap = False
            for day in sorted(days):
                if not any(in_force(h, day) and s in m.above(h.area) and linked(h.area, s, day) for h in allocations):
                    continue  # the system is not loaded that day
                if not any(
                    h.function == f
                    and in_force(h, day)
                    and (
                        (s in m.above(h.area) and linked(h.area, s, day))
                        or (h.area in m.above(s) - {s} and linked(s, h.area, day))
                    )
                    for h in allocations
                ):
                    gap = True
            if gap:
                add("unowned-function", f, [s])
    for h in allocations:
        if not h.bodies:
            add("unowned-function", h.iri)
    # place-coverage-gap: allocated at some places of a system (neighbourhoods of a place) but not all
    for kind, container in (("Place", "System"), ("Neighbourhood", "Place")):
        for c, c_kind in m.areas.items():
            if c_kind != container:
                continue
            children = {a for a, k in m.areas.items() if k == kind and c in m.part_of.get(a, ())}
            for f in m.functions:
                present = {h.area for h in allocations if h.function == f and h.area in children}
                if present and children - present:
                    add("place-coverage-gap", f, [c, *sorted(children - present)])
    # subsidiarity: above the lowest level it could sit at (no rationale), below its minimum scale
    for h in allocations:
        lowest, minimum, _, _ = m.functions[h.function]
        rank = rank_of_area[h.area]
        floor = min(RANK[lowest], RANK[minimum]) if minimum else RANK[lowest]
        if rank < floor and not h.level_reason:  # a rationale alone does not answer it
            add("subsidiarity-undecided" if h.basis == "BasisDefault" else "subsidiarity-above-lowest-level", h.iri)
        if minimum and rank > RANK[minimum]:
            add("subsidiarity-below-required-scale", h.iri)
    # trust-not-in-collaborative; collaborative-lead
    members = set().union(*(c[2] for c in m.collaboratives.values()))
    for b, cls in m.bodies.items():
        if cls in ("AcuteTrust", "MentalHealthTrust") and b not in members and m.operates_in.get(b):
            add("trust-not-in-collaborative", b)
    for c, (model, lead, its_members) in m.collaboratives.items():
        if model == "LeadProviderModel" and lead is None:
            add("collaborative-lead", c, severity="warning")
        if lead is not None and lead not in its_members:
            add("collaborative-lead", c, [lead], "warning")
        if model == "UndecidedModel":
            add("collaborative-lead", c, severity="info")

    # area-hierarchy: a system per place, a place per neighbourhood, one at a time (two parents whose own
    # periods overlap: one finding per pair), part-of one level up, declared levels
    def overlap(one: str, other: str) -> bool:
        one_from, one_to = m.area_dates.get(one, (None, None))
        other_from, other_to = m.area_dates.get(other, (None, None))
        return (one_from is None or other_to is None or one_from <= other_to) and (
            other_from is None or one_to is None or other_from <= one_to
        )

    for a, kind in m.areas.items():
        parents = m.part_of.get(a, set())
        if kind in ("Place", "Neighbourhood"):
            above = "System" if kind == "Place" else "Place"
            ups = sorted(p for p in parents if m.areas.get(p) == above)
            if not ups:
                add("area-hierarchy", a)
            for i, one in enumerate(ups):
                for other in ups[i + 1 :]:
                    if overlap(one, other):
                        add("area-hierarchy", a, [one, other])
        for p in parents:
            if rank_of_area[a] - rank_of_area[p] != 1:
                add("area-hierarchy", a, [p])
    for h in m.holdings:
        if h.declared_level and h.declared_level != LEVEL_OF_KIND[m.areas[h.area]]:
            add("area-hierarchy", h.iri)

    # cycles: each strongly connected component with a cycle once, at its least member
    # (networkx here, the engine's own iterative search in the rules)
    def cycles(rule, edges, group):
        graph = nx.DiGraph(edges)
        for component in nx.strongly_connected_components(graph):
            members = sorted(component)
            if len(members) > 1 or graph.has_edge(members[0], members[0]):
                add(rule, members[0], [*members[1:], *([group] if group else [])])

    # accountable-without-legal-standing: an accountable body of a legal form other than
    # statutory body, unless the law gives the function to that kind of body itself
    for a in allocations:
        for b in a.bodies:
            if legal_form(m, b) != "StatutoryBody" and not classes_of(m, b) & m.holders[a.function]:
                add("accountable-without-legal-standing", a.iri, [b])
    # delegation-instrument-mismatch: the instrument does not fit the delegator and delegate
    for d in delegations:
        for to in d.bodies:
            if instrument_mismatch(m, d.instrument, d.delegator, to):
                add("delegation-instrument-mismatch", d.iri, [to])

    for f in m.functions:
        cycles("delegation-cycle", [(d.delegator, b) for d in delegations if d.function == f for b in d.bodies], f)
    cycles("dependency-cycle", sorted(m.depends_on), None)  # the kind of edge is no entity
    return found


RULES = [r for r in load_rules() if r.slug in MODELLED]
SEVERITY = {r.slug: r.severity.name.lower() for r in RULES}


def found_by_rules(
    tmp_path, m: Mapping, labels: int = 1, levels: bool = True, stored: bool = False, forms: bool = True
) -> Counter:
    path = tmp_path / f"mapping-{labels}-{levels}-{forms}.nt"
    path.write_text(to_ntriples(m, labels, levels, forms), encoding="utf-8")
    mapping = load_mapping([path])
    if stored:  # the same rules, unchanged, on an Oxigraph folder
        spec = StoreSpec("oxigraph", str(tmp_path / "store"))
        load_into(spec, mapping)
        mapping = open_mapping(spec)
    return Counter(
        (f.rule, f.focus, tuple(sorted(f.related)), f.severity.name.lower()) for f in run_rules(mapping, RULES)
    )


def test_every_modelled_rule_is_built_in():
    assert sorted(SEVERITY) == sorted(MODELLED)


@pytest.mark.parametrize("seed", range(40))
def test_the_rules_find_what_the_semantics_say(tmp_path, seed):
    m = random_mapping(seed)
    want, got = expected(m), found_by_rules(tmp_path, m)
    assert sorted((got - want).elements()) == [], "found (or found again), but the semantics do not call for it"
    assert sorted((want - got).elements()) == [], "called for by the semantics, but not found"


def test_the_random_mappings_exercise_every_rule(tmp_path):
    """Across the seeds, every modelled rule fires (else agreement would prove little)."""
    fired = {finding[0] for seed in range(40) for finding in expected(random_mapping(seed))}
    assert fired == set(MODELLED)


@pytest.mark.parametrize("seed", range(0, 40, 4))
@pytest.mark.parametrize("labels", [0, 2])
def test_labels_never_change_which_findings_there_are(tmp_path, seed, labels):
    m = random_mapping(seed)
    assert found_by_rules(tmp_path, m, labels) == expected(m)


@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_an_area_typed_in_rdf_without_its_level_is_at_its_type_s_level(tmp_path, seed):
    """A place is at place level (the ontology's owl:hasValue restriction): the loader
    states what an RDF file leaves to the type, so the level rules still see the area."""
    m = random_mapping(seed)
    assert found_by_rules(tmp_path, m, levels=False) == expected(m)


@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_a_body_typed_in_rdf_without_its_legal_form_has_its_type_s_default(tmp_path, seed):
    """A place committee is a committee, a PCN a network: the loader states the default
    legal form of a body's type when an RDF file gives none, so the rules of legal
    standing still see it."""
    m = random_mapping(seed)
    assert found_by_rules(tmp_path, m, forms=False) == expected(m)


@pytest.mark.parametrize("seed", range(0, 40, 8))
def test_the_rules_find_the_same_on_a_persistent_store(tmp_path, seed):
    m = random_mapping(seed)
    assert found_by_rules(tmp_path, m, labels=0, levels=False, stored=True) == expected(m)
