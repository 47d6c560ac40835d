"""``ics-graph reason``: the mapping handed to HermiT as N-Triples."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ics_graph.model.graph import Mapping
from ics_graph.model.turtle import to_ntriples
from ics_graph.reasoning.hermit import ReasoningReport, reason
from ics_graph.util.errors import ReasoningError

__all__ = ["reason_about"]


def reason_about(mapping: Mapping) -> ReasoningReport:
    """HermiT's verdict on the ontology and the mapping's data together."""
    with tempfile.TemporaryDirectory(prefix="ics-graph-reason-") as tmp:
        data = Path(tmp) / "data.nt"
        data.write_text(to_ntriples(mapping.data_triples()), encoding="utf-8")
        try:
            return reason(data)
        except (OSError, ReasoningError) as exc:
            raise ReasoningError(f"the reasoner could not run: {exc}") from exc
