"""Where the packaged ontology and built-in rules live.

Installed with ``pip install .``, ``ontology/`` and ``rules/`` are shipped inside the
package as ``ics_graph.ontology`` and ``ics_graph.builtin_rules`` (see pyproject.toml;
no module has either name), so the tool works from any directory. Run from a source checkout without installing, the
top-level folders are used instead.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ontology_path", "rules_dir"]

_PACKAGE = Path(__file__).resolve().parent.parent
_CHECKOUT = _PACKAGE.parent


def _packaged(subpackage: str, checkout_folder: str) -> Path:
    packaged = _PACKAGE / subpackage
    if packaged.is_dir():
        return packaged
    return _CHECKOUT / checkout_folder


def ontology_path() -> Path:
    """The ics-graph ontology (OWL 2, Turtle)."""
    return _packaged("ontology", "ontology") / "ics.ttl"


def rules_dir() -> Path:
    """The folder of built-in rules."""
    return _packaged("builtin_rules", "rules")
