"""The OWL 2 ontology (ontology/ics.ttl): parses, documents every term, declares every
vocabulary term the loader emits, and is consistent under HermiT."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib import namespace as ns
from rdflib.collection import Collection

from ics_graph.model import vocabulary as v

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "ics.ttl"
# plain Namespaces (rdflib's closed ones warn when pytest inspects the module)
OWL, RDF, RDFS, SKOS, XSD = (rdflib.Namespace(str(n)) for n in (ns.OWL, ns.RDF, ns.RDFS, ns.SKOS, ns.XSD))
ICS = rdflib.Namespace(v.ICS)
ORG = rdflib.Namespace(v.PREFIXES["org"])
PROV = rdflib.Namespace(v.PREFIXES["prov"])
DCT = rdflib.Namespace(v.PREFIXES["dcterms"])
DECLARATIONS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
BUILT_IN = (str(RDF), str(RDFS), str(OWL), str(XSD))


@pytest.fixture(scope="module")
def g() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY, format="turtle")


def own_terms(g: rdflib.Graph) -> set[URIRef]:
    return {
        s for t in DECLARATIONS for s in g.subjects(RDF.type, t) if isinstance(s, URIRef) and str(s).startswith(v.ICS)
    }


def english(g: rdflib.Graph, s, p) -> list[str]:
    return [str(o) for o in g.objects(s, p) if isinstance(o, Literal) and o.language == "en" and str(o).strip()]


def declared(g: rdflib.Graph, iri) -> bool:
    return any((URIRef(str(iri)), RDF.type, t) in g for t in (*DECLARATIONS, OWL.NamedIndividual, RDFS.Datatype))


def test_parses_and_has_header(g):
    onto = URIRef("https://w3id.org/ics-graph/ontology")
    assert (onto, RDF.type, OWL.Ontology) in g
    assert str(g.value(onto, OWL.versionInfo)) == "0.1.0"
    for p in (DCT.title, DCT.description):
        assert english(g, onto, p), p
    assert g.value(onto, DCT.license) is not None
    assert len(g) > 500


def test_the_resource_path_is_this_file():
    from ics_graph.util.resources import ontology_path

    assert ontology_path().resolve() == ONTOLOGY.resolve()


def test_every_own_class_and_property_is_documented(g):
    terms = own_terms(g)
    assert len(terms) > 80
    undocumented = sorted(str(t) for t in terms if not english(g, t, RDFS.label) or not english(g, t, RDFS.comment))
    assert not undocumented, undocumented
    short = sorted(str(t) for t in terms if len(english(g, t, RDFS.comment)[0]) < 15)
    assert not short, short


def test_every_individual_is_documented(g):
    individuals = {s for s in g.subjects(RDF.type, OWL.NamedIndividual) if str(s).startswith(v.ICS)}
    assert len(individuals) > 30
    for ind in individuals:
        assert english(g, ind, RDFS.label), ind
        assert english(g, ind, SKOS.prefLabel), ind
        assert english(g, ind, RDFS.comment), ind
        if (ind, RDF.type, SKOS.ConceptScheme) not in g:
            assert g.value(ind, SKOS.inScheme) is not None, ind


def test_every_predicate_and_class_used_is_declared(g):
    """OWL 2 DL: no term is used without a declaration (reused W3C terms included)."""
    missing = set()
    for _s, p, o in g:
        if not str(p).startswith(BUILT_IN) and not declared(g, p):
            missing.add(str(p))
        if (
            p in (RDFS.subClassOf, OWL.disjointWith, RDFS.domain, OWL.allValuesFrom)
            and isinstance(o, URIRef)
            and not str(o).startswith(BUILT_IN)
            and not declared(g, o)
        ):
            missing.add(str(o))
    assert not missing, sorted(missing)


def test_levels(g):
    ranks = {}
    for key, level in v.LEVELS.items():
        iri = URIRef(level.iri)
        assert (iri, RDF.type, ICS.SpatialLevel) in g
        assert (iri, SKOS.inScheme, ICS.SpatialLevels) in g
        rank = g.value(iri, ICS.rank)
        assert rank is not None and rank.datatype == XSD.integer
        ranks[key] = rank.toPython()
        assert str(g.value(iri, SKOS.notation)) == key
        # the area class is tied to its level by a hasValue restriction
        restrictions = [
            r for r in g.objects(URIRef(level.area_class), RDFS.subClassOf) if g.value(r, OWL.onProperty) == ICS.level
        ]
        assert [g.value(r, OWL.hasValue) for r in restrictions] == [iri], key
    assert ranks == {"national": 1, "regional": 2, "system": 3, "place": 4, "neighbourhood": 5}
    alt = {key: set(english(g, URIRef(level.iri), SKOS.altLabel)) for key, level in v.LEVELS.items()}
    assert {"locality", "ICP (2020-21 usage)"} <= alt["place"]
    assert {"IN", "integrated neighbourhood", "sub-place", "PCN footprint"} <= alt["neighbourhood"]
    assert {"ICS", "ICB footprint"} <= alt["system"]
    # the five levels are declared pairwise different
    different = [Collection(g, g.value(a, OWL.distinctMembers)) for a in g.subjects(RDF.type, OWL.AllDifferent)]
    assert any({URIRef(level.iri) for level in v.LEVELS.values()} == set(c) for c in different)
    for p in (ICS.level, ICS.rank, ICS.joint, ICS.successor):
        assert (p, RDF.type, OWL.FunctionalProperty) in g, p


def test_area_types(g):
    for keyword, (cls, level_key) in v.AREA_TYPES.items():
        iri = ICS[cls]
        assert (iri, RDF.type, OWL.Class) in g
        assert (iri, RDFS.subClassOf, ICS.Area) in g
        assert str(g.value(iri, ICS.typeKeyword)) == keyword
        restriction = next(r for r in g.objects(iri, RDFS.subClassOf) if g.value(r, OWL.onProperty) == ICS.level)
        assert g.value(restriction, OWL.hasValue) == URIRef(v.LEVELS[level_key].iri)
    members = _all_disjoint_containing(g, ICS.Place)
    assert {ICS[c] for c, _ in v.AREA_TYPES.values()} <= members


def _all_disjoint_containing(g, cls) -> set:
    for axiom in g.subjects(RDF.type, OWL.AllDisjointClasses):
        members = set(Collection(g, g.value(axiom, OWL.members)))
        if cls in members:
            return members
    return set()


def _superclasses(g, cls) -> set:
    found, todo = {cls}, [cls]
    while todo:
        for sup in g.objects(todo.pop(), RDFS.subClassOf):
            if isinstance(sup, URIRef) and sup not in found:
                found.add(sup)
                todo.append(sup)
    return found


def test_body_types(g):
    for keyword, cls in v.BODY_TYPES.items():
        iri = ICS[cls]
        assert (iri, RDF.type, OWL.Class) in g, cls
        supers = _superclasses(g, iri)
        assert ICS.Body in supers and ORG.Organization in supers, cls
        assert str(g.value(iri, ICS.typeKeyword)) == keyword, cls
    for trust in ("AcuteTrust", "MentalHealthTrust", "CommunityTrust", "AmbulanceTrust"):
        assert (ICS[trust], RDFS.subClassOf, ICS.NHSTrust) in g
    assert (ICS.Body, RDFS.subClassOf, ORG.Organization) in g
    assert (ICS.ProviderCollaborative, RDFS.subClassOf, ORG.OrganizationalCollaboration) in g
    body_kinds = _all_disjoint_containing(g, ICS.IntegratedCareBoard)
    assert {ICS.NHSEngland, ICS.IntegratedCareBoard, ICS.LocalAuthority, ICS.NHSTrust, ICS.OtherBody} <= body_kinds
    # combined trusts exist: the trust subclasses are not disjoint
    assert not _all_disjoint_containing(g, ICS.AcuteTrust)


def test_top_level_kinds_are_disjoint(g):
    members = _all_disjoint_containing(g, ICS.Allocation)
    kinds = {
        "Area",
        "Body",
        "ProviderCollaborative",
        "Function",
        "Allocation",
        "Delegation",
        "Dependency",
        "Workstream",
        "Risk",
        "Source",
    }
    assert {ICS[k] for k in kinds} <= members
    assert (ICS.Source, RDFS.subClassOf, PROV.Entity) in g
    for concept in (
        "Function",
        "FunctionCategory",
        "SpatialLevel",
        "LegalInstrument",
        "AllocationStatus",
        "CollaborationModel",
        "DeliveryArrangement",
        "RagStatus",
        "HolderType",
    ):
        assert (ICS[concept], RDFS.subClassOf, SKOS.Concept) in g, concept


@pytest.mark.parametrize(
    "vocab, cls",
    [
        (v.INSTRUMENTS, "LegalInstrument"),
        (v.STATUSES, "AllocationStatus"),
        (v.COLLABORATION_MODELS, "CollaborationModel"),
        (v.ARRANGEMENTS, "DeliveryArrangement"),
        (v.RAG, "RagStatus"),
        (v.HOLDERS, "HolderType"),
    ],
)
def test_vocabulary_individuals(g, vocab, cls):
    schemes = set()
    for keyword, local in vocab.items():
        iri = ICS[local]
        assert (iri, RDF.type, ICS[cls]) in g, local
        assert str(g.value(iri, SKOS.notation)) == keyword, local
        scheme = g.value(iri, SKOS.inScheme)
        assert (scheme, RDF.type, SKOS.ConceptScheme) in g, local
        schemes.add(scheme)
    assert len(schemes) == 1


def test_instruments_cite_the_act(g):
    for local, section in (
        ("S65Z5Delegation", "65Z5"),
        ("S65Z5JointExercise", "65Z5"),
        ("S65Z6JointCommittee", "65Z6"),
        ("S75Partnership", "75"),
    ):
        comment = english(g, ICS[local], RDFS.comment)[0]
        assert f"section {section} of the NHS Act 2006" in comment, local


def test_holder_classes(g):
    assert g.value(ICS.HolderICB, ICS.holderClass) == ICS.IntegratedCareBoard
    assert g.value(ICS.HolderNHSEngland, ICS.holderClass) == ICS.NHSEngland
    assert (ICS.holderClass, RDF.type, OWL.AnnotationProperty) in g
    assert (ICS.typeKeyword, RDF.type, OWL.AnnotationProperty) in g


def test_properties_listed_in_the_design_are_declared(g):
    obj = [
        "level",
        "lowestLevel",
        "minimumLevel",
        "partOf",
        "operatesIn",
        "leadProvider",
        "collaborationModel",
        "category",
        "statutoryHolder",
        "function",
        "area",
        "accountableBody",
        "deliveredBy",
        "status",
        "currentArrangement",
        "delegator",
        "delegate",
        "instrument",
        "dependsOn",
        "qualifiedDependency",
        "dependency",
        "ragStatus",
        "relatesTo",
    ]
    data = {
        "onsCode": XSD.string,
        "odsCode": XSD.string,
        "validFrom": XSD.date,
        "validTo": XSD.date,
        "effectiveFrom": XSD.date,
        "effectiveTo": XSD.date,
        "icbFrom": XSD.date,
        "reserved": XSD.boolean,
        "delegatorRemainsAccountable": XSD.boolean,
        "statutoryBasis": XSD.string,
        "rationale": XSD.string,
        "scope": XSD.string,
        "seniorResponsibleOwner": XSD.string,
        "riskOwner": XSD.string,
        "riskStatus": XSD.string,
        "locator": XSD.string,
        "seedFile": XSD.string,
        "wte": XSD.decimal,
        "rank": XSD.integer,
    }
    for name in obj:
        assert (ICS[name], RDF.type, OWL.ObjectProperty) in g, name
    for name, datatype in data.items():
        assert (ICS[name], RDF.type, OWL.DatatypeProperty) in g, name
        assert g.value(ICS[name], RDFS.range) == datatype, name
    for name in ("impact", "likelihood", "riskScore"):
        assert (ICS[name], RDF.type, OWL.DatatypeProperty) in g, name
        assert g.value(g.value(ICS[name], RDFS.range), OWL.onDatatype) == XSD.integer
    for name in ("definedInFile", "definedAtLine"):
        assert (ICS[name], RDF.type, OWL.AnnotationProperty) in g, name
    assert (ICS.partOf, RDFS.subPropertyOf, DCT.isPartOf) in g
    assert (ICS.onsCode, RDFS.subPropertyOf, DCT.identifier) in g
    for reused in (
        ORG.hasMember,
        ORG.subOrganizationOf,
        DCT.source,
        PROV.wasDerivedFrom,
        PROV.qualifiedDerivation,
        PROV.entity,
    ):
        assert (reused, RDF.type, OWL.ObjectProperty) in g, reused
    assert "rules" in english(g, ICS.accountableBody, RDFS.comment)[0]
    assert (ICS.accountableBody, RDF.type, OWL.FunctionalProperty) not in g  # joint duties have several


def test_everything_the_loader_emits_is_declared(g):
    """Drift guard: every predicate and class in the authoring schema exists in the ontology."""
    from ics_graph.model import schema

    for section in schema.SECTIONS.values():
        if section.rdf_class:
            assert (URIRef(section.rdf_class), RDF.type, OWL.Class) in g, section.rdf_class
        for f in section.fields:
            if f.predicate and not f.predicate.startswith(BUILT_IN):
                assert declared(g, f.predicate), (section.name, f.key, f.predicate)
            for local in (f.vocab or {}).values():
                assert declared(g, v.ICS + local), (section.name, f.key, local)


@pytest.mark.java
def test_ontology_alone_is_consistent_under_hermit():
    from ics_graph.reasoning.hermit import reason

    report = reason("", classify=True)  # full classification: also finds unsatisfiable classes
    assert report.consistent, report.problems
    assert report.problems == []
    print(f"HermiT on the ontology alone: {report.reasoner_elapsed:.2f} s")
