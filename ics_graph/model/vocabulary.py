"""The controlled vocabularies of ics-graph, and where each term lives in RDF.

This module is the one place that maps the words people write (in YAML, in a
workbook, on the command line) to the IRIs of the ontology in ``ontology/ics.ttl``.
Loaders, rules and renderers all read it, so adding a synonym or a body type is a
one-line change here (plus its declaration, label and comment in the ontology).

It imports nothing heavy: the CLI reads it to print allowed values instantly.
"""

from __future__ import annotations

from dataclasses import dataclass

from ics_graph.util.errors import UsageError

__all__ = [
    "AREA_TYPES",
    "ARRANGEMENTS",
    "BASES",
    "BODY_TYPES",
    "COLLABORATION_MODELS",
    "DEFAULT_LEGAL_FORMS",
    "HOLDERS",
    "ICS",
    "ID",
    "INSTRUMENTS",
    "KINDS",
    "LEGAL_FORMS",
    "LEVELS",
    "LEVEL_BY_CLASS",
    "LEVEL_BY_IRI",
    "LEVEL_REASONS",
    "LEVEL_SYNONYMS",
    "PREFIXES",
    "RAG",
    "STATUSES",
    "UNKNOWN_RANK",
    "Level",
    "entity_iri",
    "level_rank",
    "normalise",
    "parse_level",
    "short_id",
]

#: The ontology namespace (classes, properties and the fixed individuals).
ICS = "https://w3id.org/ics-graph/ontology#"
#: The namespace of data entities: ``ID + kind + "/" + id``.
ID = "https://w3id.org/ics-graph/id/"

PREFIXES: dict[str, str] = {
    "ics": ICS,
    "id": ID,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
}

#: Entity kinds, as used in data IRIs (``id:body/nhn-icb``).
KINDS = (
    "source",
    "area",
    "body",
    "collaborative",
    "function",
    "category",
    "allocation",
    "delegation",
    "dependency",
    "workstream",
    "risk",
)


def entity_iri(kind: str, ident: str) -> str:
    """The IRI of a data entity: stable, readable, derived only from its kind and id."""
    return f"{ID}{kind}/{ident}"


def short_id(iri: str) -> str:
    """The inverse of :func:`entity_iri` for display: ``kind/id`` for a data entity
    (``body/nhn-icb``), the IRI unchanged for anything else."""
    return iri[len(ID) :] if iri.startswith(ID) else iri


def normalise(word: str) -> str:
    """Fold a vocabulary word for matching: case, spaces, underscores and dots ignored."""
    return "".join(ch for ch in word.strip().lower().replace("_", "-").replace(" ", "-") if ch != ".")


@dataclass(frozen=True)
class Level:
    """A spatial level: ``rank`` 1 is national, 5 is neighbourhood (higher rank = lower level)."""

    key: str
    rank: int
    iri: str
    area_class: str


LEVELS: dict[str, Level] = {
    k: Level(k, r, ICS + iri, ICS + cls)
    for k, r, iri, cls in [
        ("national", 1, "NationalLevel", "Nation"),
        ("regional", 2, "RegionalLevel", "Region"),
        ("system", 3, "SystemLevel", "System"),
        ("place", 4, "PlaceLevel", "Place"),
        ("neighbourhood", 5, "NeighbourhoodLevel", "Neighbourhood"),
    ]
}

#: Levels by their IRI and by the class of areas at them.
LEVEL_BY_IRI: dict[str, Level] = {level.iri: level for level in LEVELS.values()}
LEVEL_BY_CLASS: dict[str, Level] = {level.area_class: level for level in LEVELS.values()}
#: Where a level whose name is not known sorts: after every known one.
UNKNOWN_RANK = len(LEVELS) + 1


def level_rank(key: str | None) -> int:
    """The one order of levels: national (1) first, neighbourhood (5) last, anything
    else (no level, or a word that is not one) after them all.

    >>> sorted(["place", "national", "?", "system"], key=level_rank)
    ['national', 'system', 'place', '?']
    """
    level = LEVELS.get(key or "")
    return level.rank if level else UNKNOWN_RANK


#: Local names for levels (DOMAIN.md): matched after :func:`normalise`.
LEVEL_SYNONYMS: dict[str, str] = {
    "nation": "national",
    "england": "national",
    "region": "regional",
    "ics": "system",
    "icb": "system",
    "icp": "place",
    "locality": "place",
    "in": "neighbourhood",
    "sub-place": "neighbourhood",
    "subplace": "neighbourhood",
    "pcn": "neighbourhood",
    "pcn-footprint": "neighbourhood",
    "integrated-neighbourhood": "neighbourhood",
    "neighborhood": "neighbourhood",
}


def parse_level(word: str) -> str:
    """A level keyword (system, place ...) from what a person wrote (ICB, PCN, locality ...)."""
    key = normalise(word)
    key = LEVEL_SYNONYMS.get(key, key)
    if key not in LEVELS:
        raise UsageError(
            f"unknown level '{word}': use one of {', '.join(LEVELS)} (or a local name such as ICB, locality, PCN)"
        )
    return key


#: Area types: keyword -> (class local name, level key).
AREA_TYPES: dict[str, tuple[str, str]] = {
    "nation": ("Nation", "national"),
    "region": ("Region", "regional"),
    "system": ("System", "system"),
    "place": ("Place", "place"),
    "neighbourhood": ("Neighbourhood", "neighbourhood"),
    "sub-icb-location": ("SubICBLocation", "place"),
}

#: Body types: keyword -> class local name (all subclasses of org:Organization).
BODY_TYPES: dict[str, str] = {
    "nhs-england": "NHSEngland",
    "icb": "IntegratedCareBoard",
    "icp": "IntegratedCarePartnership",
    "place-partnership": "PlaceBasedPartnership",
    "place-committee": "PlaceCommittee",
    "hwb": "HealthAndWellbeingBoard",
    "local-authority": "LocalAuthority",
    "nhs-trust-acute": "AcuteTrust",
    "nhs-trust-mental-health": "MentalHealthTrust",
    "nhs-trust-community": "CommunityTrust",
    "nhs-trust-ambulance": "AmbulanceTrust",
    "pcn": "PrimaryCareNetwork",
    "gp-practice": "GPPractice",
    "csu": "CommissioningSupportUnit",
    "vcse": "VCSEOrganisation",
    "other": "OtherBody",
    "ccg": "ClinicalCommissioningGroup",
    "joint-committee": "JointCommittee",
    "combined-authority": "CombinedAuthority",
    "system-partnership-board": "SystemPartnershipBoard",
}

#: Legal forms of a body: keyword -> class local name (pairwise disjoint classes). Only a
#: statutory body can hold a function in law and so be accountable for it.
LEGAL_FORMS: dict[str, str] = {
    "statutory-body": "StatutoryBody",
    "committee": "Committee",
    "joint-committee": "JointCommittee",
    "partnership": "Partnership",
    "collaborative": "Collaborative",
    "network": "Network",
    "contractor": "Contractor",
}

#: The legal form a body of each type has unless its ``legal_form`` says otherwise: what
#: the law makes each kind of body (a 2020-21 "ICP" was a partnership, so a body may say so).
DEFAULT_LEGAL_FORMS: dict[str, str] = {
    "nhs-england": "statutory-body",  # NHS Act 2006 s1H
    "icb": "statutory-body",  # NHS Act 2006 s14Z25, inserted by the Health and Care Act 2022
    "ccg": "statutory-body",  # NHS Act 2006 s14D, until 30 June 2022
    "icp": "joint-committee",  # NHS Act 2006 s116ZA: a joint committee of the ICB and the councils
    "place-partnership": "partnership",  # no legal personality ("Thriving places", 2021)
    "place-committee": "committee",  # a committee of the ICB, under its constitution
    "hwb": "committee",  # Health and Social Care Act 2012 s194: a committee of the council
    "local-authority": "statutory-body",
    "combined-authority": "statutory-body",  # Local Democracy, Economic Development and Construction Act 2009
    "nhs-trust-acute": "statutory-body",  # NHS trusts and foundation trusts: NHS Act 2006 s25, s30
    "nhs-trust-mental-health": "statutory-body",
    "nhs-trust-community": "statutory-body",
    "nhs-trust-ambulance": "statutory-body",
    "joint-committee": "joint-committee",  # NHS Act 2006 s65Z6
    "system-partnership-board": "partnership",  # the non-statutory ICS boards of 2020-22
    "pcn": "network",  # a network of practices under the Network Contract DES
    "gp-practice": "contractor",  # a GMS, PMS or APMS contractor
    "csu": "contractor",  # hosted by NHS England; provides support under agreements
    "vcse": "contractor",
    "other": "partnership",  # unknown: say legal_form if it is a statutory body
}

#: Statutory holder types of a function: keyword -> individual local name.
HOLDERS: dict[str, str] = {
    "icb": "HolderICB",
    "nhs-england": "HolderNHSEngland",
    "ccg": "HolderCCG",
    "local-authority": "HolderLocalAuthority",
    "hwb": "HolderHWB",
    "icp": "HolderICP",
}

#: Why an allocation is where it is: decided, or the statutory default nobody decided.
BASES: dict[str, str] = {"decision": "BasisDecision", "default": "BasisDefault"}

#: The reasons an allocation may sit above the lowest level a function could sit at.
LEVEL_REASONS: dict[str, str] = {
    "population-scale": "ReasonPopulationScale",
    "specialist-workforce": "ReasonSpecialistWorkforce",
    "financial-risk": "ReasonFinancialRisk",
    "market-management": "ReasonMarketManagement",
    "statutory-requirement": "ReasonStatutoryRequirement",
    "equity-across-places": "ReasonEquityAcrossPlaces",
    "other": "ReasonOther",
}

COLLABORATION_MODELS: dict[str, str] = {
    "alliance": "AllianceModel",
    "lead-provider": "LeadProviderModel",
    "undecided": "UndecidedModel",
}

INSTRUMENTS: dict[str, str] = {
    "s65z5-delegation": "S65Z5Delegation",
    "s65z5-joint": "S65Z5JointExercise",
    "s65z6-joint-committee": "S65Z6JointCommittee",
    "s75-partnership": "S75Partnership",
    "committee-of-board": "CommitteeOfBoard",
    "lead-provider-contract": "LeadProviderContract",
    "other": "OtherInstrument",
}

STATUSES: dict[str, str] = {
    "current": "StatusCurrent",
    "proposed": "StatusProposed",
    "shadow": "StatusShadow",
    "live": "StatusLive",
    "retired": "StatusRetired",
    "undecided": "StatusUndecided",
}

ARRANGEMENTS: dict[str, str] = {
    "in-house": "InHouse",
    "csu": "ViaCSU",
    "joint-team": "JointTeam",
    "other-organisation": "OtherOrganisation",
}

RAG: dict[str, str] = {
    "red": "RagRed",
    "amber-red": "RagAmberRed",
    "amber": "RagAmber",
    "amber-green": "RagAmberGreen",
    "green": "RagGreen",
    "complete": "RagComplete",
    "not-started": "RagNotStarted",
}


# -- named graphs -----------------------------------------------------------------------
#: The ontology, loaded beside the data.
ONTOLOGY_GRAPH = "urn:ics-graph:ontology"
#: Prefix of the graphs recording where each file's entities were written (one per file).
SOURCES_GRAPH = "urn:ics-graph:sources"
#: What a persistent store holds about each loaded file (see :mod:`ics_graph.stores.persistent`).
MANIFEST_GRAPH = "urn:ics-graph:manifest"
_FILE_GRAPH = "urn:ics-graph:file:"


def file_graph(shown: str) -> str:
    """The named graph holding one source file's triples."""
    from urllib.parse import quote

    return _FILE_GRAPH + quote(shown, safe="/._-")


def sources_graph(data_graph: str) -> str:
    """The named graph recording where the entities of one file's graph were written."""
    return SOURCES_GRAPH + ":" + data_graph[len(_FILE_GRAPH) :]


def is_data_graph(graph: str | None) -> bool:
    """True for a graph of mapping data (a source file's), false for the ontology,
    source locations and the store's manifest."""
    return graph is None or graph.startswith(_FILE_GRAPH)
