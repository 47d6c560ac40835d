"""Find the entity a person means from what they typed: labels, ids, codes, synonyms.

Transition leads type "continuing healthcare", "CHC", "chc" or "continuing helthcare";
all should find the same function. An exact match (case-insensitive) on any name wins;
then a name in which what was typed is a whole word or phrase ("GP" in "GP services");
then a label's initials ("GM"); otherwise names are compared with rapidfuzz, and a clear
winner is taken. Short or common words never win by a fuzzy match: "NHS" is a word of
many names and "ab" is too short to guess from, so they list candidates. When several
entities fit about equally well the caller gets them all, to list, rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ics_graph.util.errors import UsageError

__all__ = ["KIND_CLASSES", "Ambiguous", "Candidate", "NoMatch", "resolve"]

#: What each kind of name may refer to.
KIND_CLASSES = {
    "function": "ics:Function",
    "area": "ics:Area",
    "body": "ics:Body",
}

# The entities of a kind with their labels, then their other names. The entities are
# found in a subquery of their own: joined with further patterns, the subClassOf* path
# makes Virtuoso 7 find (almost) nothing when the default graph is a list of graphs (as
# ics-graph names a mapping's). The other names are looked up in a query of their own:
# with the labels, a UNION of every name property is evaluated on its own, over every
# label of a national graph (0.24 s for the functions of a million triples, against
# 0.01 s), and a VALUES or a FILTER on the property finds no names on Virtuoso 7.2, or
# scans the graph on Oxigraph.
_LABELLED = "SELECT ?e ?label WHERE { { SELECT DISTINCT ?e WHERE { ?e a ?cls . ?cls rdfs:subClassOf* %s } } ?e rdfs:label ?label }"
_OTHER_NAMES = """
SELECT ?e ?name WHERE {
  { SELECT DISTINCT ?e WHERE { ?e a ?cls . ?cls rdfs:subClassOf* %s } }
  { ?e skos:altLabel ?name } UNION { ?e skos:notation ?name } UNION { ?e ics:onsCode ?name } UNION { ?e ics:odsCode ?name }
}
"""


_ACCOUNTABLE = "SELECT DISTINCT ?b WHERE { ?a ics:accountableBody ?b }"
_BODY_TYPES = "SELECT ?b ?t WHERE { ?b a ?cls . ?cls rdfs:subClassOf* ics:Body ; rdfs:label ?t }"


@dataclass(frozen=True)
class Candidate:
    iri: str
    label: str
    matched: str
    score: float

    @property
    def ident(self) -> str:
        return self.iri.rsplit("/", 1)[-1]


class NoMatch(UsageError):
    """Nothing the mapping holds matches what was typed; the closest candidates are named."""

    def __init__(self, kind: str, text: str, suggestions: list[Candidate]):
        self.kind, self.text, self.suggestions = kind, text, suggestions
        hint = ""
        if suggestions:
            hint = "; closest: " + ", ".join(f"{c.label} ({c.ident})" for c in suggestions)
        super().__init__(f"no {kind} matches '{text}'{hint}")


class Ambiguous(UsageError):
    """What was typed matches several entities equally well; they are listed."""

    def __init__(self, kind: str, text: str, candidates: list[Candidate]):
        self.kind, self.text, self.candidates = kind, text, candidates
        listed = "; ".join(f"{c.label} ({c.ident})" for c in candidates)
        super().__init__(f"'{text}' could mean several {_plural(kind)}: {listed}. Use an id, or a fuller name")


def _fold(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").replace("_", " ").split())


#: Questions typed as sentences: "where does CHC sit?" asks for "CHC".
_QUESTION = re.compile(
    r"^(?:where|what|who)\s+(?:does|do|is|are|holds?)\s+(?:the\s+)?(.+?)(?:\s+(?:sit|sits|go|held|hold|do))?\s*\??$"
)
#: Words that name a level or a kind of area, not an area: "Oldham locality" is Oldham.
_LEVEL_WORDS = {"locality", "place", "icp", "neighbourhood", "pcn", "system", "ics", "area", "borough", "footprint"}
#: Words left out of a label's initials ("Greater Manchester" -> "gm").
_MINOR_WORDS = {"and", "of", "the", "for", "nhs", "&", "in"}
#: Fewer characters than this are never matched fuzzily: there is too little to go on.
_SHORTEST_FUZZY = 4


def _question(text: str) -> str:
    """What a sentence asks about, or the text as it is."""
    match = _QUESTION.match(text)
    return match.group(1) if match else text


def _initials(label: str) -> str:
    words = [w for w in re.split(r"[\s,&()/-]+", label.lower()) if w and w not in _MINOR_WORDS]
    return "".join(w[0] for w in words) if len(words) > 1 else ""


def _plural(kind: str) -> str:
    return "bodies" if kind == "body" else kind + "s"


def _score(query: str, name: str, **_kwargs) -> float:
    """WRatio forgives typos and word order but over-rewards partial matches ("west
    northants" against "Hertfordshire and West Essex"); averaging with the plain ratio
    keeps the first and tames the second."""
    from rapidfuzz import fuzz

    return (fuzz.WRatio(query, name) + fuzz.ratio(query, name)) / 2


def resolve(mapping, kind: str, text: str, *, cutoff: float = 75.0, margin: float = 3.0) -> Candidate:
    """The one entity of ``kind`` ("function", "area" or "body") that ``text`` names.

    Raises :class:`NoMatch` (with the closest names) or :class:`Ambiguous` (with the
    candidates). Matching order: the entity's id, then any exact name, code or synonym
    (ignoring case, spaces and hyphens; for areas, also without a level word such as
    "locality"); then names holding what was typed as a whole word or phrase; then a
    label's initials; then the best fuzzy match, for four characters or more, if it is
    clearly better than the next one. A question ("where does CHC sit?") asks for its
    subject.
    """
    from rapidfuzz import process

    names: dict[str, list[tuple[str, str]]] = {}
    labels: dict[str, str] = {}
    labelled, others = mapping.select_many([_LABELLED % KIND_CLASSES[kind], _OTHER_NAMES % KIND_CLASSES[kind]])
    for row in sorted(labelled, key=lambda r: (r["e"], str(r["label"]))):  # two labels: the last shows
        names.setdefault(_fold(str(row["label"])), []).append((row["e"], str(row["label"])))
        labels[row["e"]] = row["label"]
    for row in sorted(others, key=lambda r: (r["e"], str(r["name"]))):
        if row["e"] in labels:  # an entity without a label is not offered, as before
            names.setdefault(_fold(str(row["name"])), []).append((row["e"], str(row["name"])))
    ids: set[str] = set()
    for iri in labels:  # ids are names too (matched whole: "gm-bolton" is no answer to "GM")
        ident = _fold(iri.rsplit("/", 1)[-1])
        names.setdefault(ident, []).append((iri, iri.rsplit("/", 1)[-1]))
        ids.add(ident)
    wanted = _fold(_question(_fold(text)))
    exact = sorted({iri for iri, _ in names.get(wanted, [])})
    if not exact and kind == "area":  # "Oldham locality": the level word names no area
        bare = " ".join(w for w in wanted.split() if w not in _LEVEL_WORDS)
        exact = sorted({iri for iri, _ in names.get(bare, [])}) if bare and bare != wanted else []
    if len(exact) == 1:
        return Candidate(exact[0], labels[exact[0]], text, 100.0)
    if len(exact) > 1:
        raise Ambiguous(kind, text, [Candidate(i, labels[i], text, 100.0) for i in exact])
    short = wanted.replace(" ", "")
    if len(short) <= 5:  # "GM": a label's initials
        initials = sorted({iri for iri, label in labels.items() if _initials(label) == short})
        if len(initials) == 1:
            return Candidate(initials[0], labels[initials[0]], text, 100.0)
        if len(initials) > 1:
            raise Ambiguous(kind, text, [Candidate(i, labels[i], text, 100.0) for i in initials][:8])
    # What was typed as a whole word or phrase of names: one entity's, or a list to choose from.
    phrase = re.compile(rf"(?<![\w]){re.escape(wanted)}(?![\w])")
    within = sorted(
        {iri for name, found in names.items() if name not in ids and phrase.search(name) for iri, _ in found}
    )
    if not within and kind == "body":  # "ICB", "integrated care board": a kind of body, and
        # of that kind the one accountable for something in this mapping, if only one is
        within = sorted(
            {
                row["b"]
                for row in mapping.select(_BODY_TYPES)
                if wanted in (_fold(str(row["t"])), _initials(str(row["t"]))) and row["b"] in labels
            }
        )
        accountable = {row["b"] for row in mapping.select(_ACCOUNTABLE)}
        within = [iri for iri in within if iri in accountable] or within
    if len(within) == 1:
        return Candidate(within[0], labels[within[0]], text, 100.0)
    if len(within) > 1:
        listed = sorted((Candidate(i, labels[i], text, 100.0) for i in within), key=lambda c: (c.label, c.iri))
        raise Ambiguous(kind, text, listed[:8])
    scored: dict[str, Candidate] = {}
    candidates = [name for name in names if len(name) >= _SHORTEST_FUZZY]  # no guess from "SAB" or "GP"
    for name, score, _ in process.extract(wanted, candidates, scorer=_score, limit=25):
        for iri, original in names[name]:
            if iri not in scored or scored[iri].score < score:
                scored[iri] = Candidate(iri, labels[iri], original, float(score))
    ranked = sorted(scored.values(), key=lambda c: (-c.score, c.label, c.iri))
    good = [c for c in ranked if c.score >= cutoff] if len(wanted) >= _SHORTEST_FUZZY else []
    if not good:
        raise NoMatch(kind, text, ranked[:3])
    close = [c for c in good if c.score >= good[0].score - margin]
    if len(close) == 1:
        return close[0]
    raise Ambiguous(kind, text, close[:8])
