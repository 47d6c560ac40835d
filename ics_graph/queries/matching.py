"""Find the entity a person means from what they typed: labels, ids, codes, synonyms.

Transition leads type "continuing healthcare", "CHC", "chc" or "continuing helthcare";
all should find the same function. An exact match (case-insensitive) on any name wins;
otherwise names are compared with rapidfuzz, and a clear winner is taken. When several
entities fit about equally well the caller gets them all, to list, rather than a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from ics_graph.util.errors import UsageError

__all__ = ["KIND_CLASSES", "Ambiguous", "Candidate", "NoMatch", "resolve"]

#: What each kind of name may refer to.
KIND_CLASSES = {
    "function": "ics:Function",
    "area": "ics:Area",
    "body": "ics:Body",
}

_NAMES = """
SELECT ?e ?name ?label WHERE {
  ?e a ?cls . ?cls rdfs:subClassOf* %s .
  ?e rdfs:label ?label .
  { ?e rdfs:label ?name } UNION { ?e skos:altLabel ?name } UNION { ?e skos:notation ?name }
  UNION { ?e ics:onsCode ?name } UNION { ?e ics:odsCode ?name }
}
"""


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
        super().__init__(f"'{text}' could mean several {kind}s: {listed}. Use an id, or a fuller name")


def _fold(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").replace("_", " ").split())


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
    (ignoring case, spaces and hyphens), then the best fuzzy match if it is clearly better
    than the next one.
    """
    from rapidfuzz import process

    rows = mapping.select(_NAMES % KIND_CLASSES[kind])
    names: dict[str, list[tuple[str, str]]] = {}
    labels: dict[str, str] = {}
    for row in rows:
        names.setdefault(_fold(str(row["name"])), []).append((row["e"], str(row["name"])))
        labels[row["e"]] = row["label"]
    for iri in labels:  # ids are names too
        names.setdefault(_fold(iri.rsplit("/", 1)[-1]), []).append((iri, iri.rsplit("/", 1)[-1]))
    wanted = _fold(text)
    exact = sorted({iri for iri, _ in names.get(wanted, [])})
    if len(exact) == 1:
        return Candidate(exact[0], labels[exact[0]], text, 100.0)
    if len(exact) > 1:
        raise Ambiguous(kind, text, [Candidate(i, labels[i], text, 100.0) for i in exact])
    scored: dict[str, Candidate] = {}
    for name, score, _ in process.extract(wanted, list(names), scorer=_score, limit=25):
        for iri, original in names[name]:
            if iri not in scored or scored[iri].score < score:
                scored[iri] = Candidate(iri, labels[iri], original, float(score))
    ranked = sorted(scored.values(), key=lambda c: (-c.score, c.label, c.iri))
    good = [c for c in ranked if c.score >= cutoff]
    if not good:
        raise NoMatch(kind, text, ranked[:3])
    close = [c for c in good if c.score >= good[0].score - margin]
    if len(close) == 1:
        return close[0]
    raise Ambiguous(kind, text, close[:8])
