"""The model of legal standing and time, as YAML and workbooks write it: legal forms
(defaulted from the type, or given), committees, successors, joint accountability,
basis and level reasons, functions held jointly and in force for a period."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ics_graph.inputs.loader import load_mapping
from ics_graph.model import vocabulary as v
from ics_graph.util.errors import InputError

BASE = """
areas:
  - {id: shire, name: Shire, level: system}
  - {id: north, name: North, level: place, part_of: shire}
bodies:
  - {id: icb, name: Shire ICB, type: icb, operates_in: [shire]}
  - {id: council, name: North Council, type: local-authority, operates_in: [north]}
  - {id: icp2021, name: North ICP, type: icp, legal_form: partnership, operates_in: [north], valid_to: 2022-06-30, successor: icb}
  - {id: committee, name: North committee, type: place-committee, operates_in: [north], committee_of: [icb]}
  - {id: joint, name: North joint committee, type: joint-committee, operates_in: [north], committee_of: [icb, council]}
functions:
  - {id: jsna, name: Joint strategic needs assessment, holder: [icb, local-authority], in_force_from: 2012-04-01}
  - {id: plan, name: Joint forward plan, holder: icb, in_force_from: 2022-07-01}
allocations:
"""


def _load(tmp_path: Path, allocations: str):
    (tmp_path / "m.yaml").write_text(BASE + textwrap.indent(textwrap.dedent(allocations), "  "), encoding="utf-8")
    return load_mapping([tmp_path])


def _forms(mapping) -> dict[str, str]:
    rows = mapping.select(
        "SELECT ?b ?form WHERE { ?b a ?form VALUES ?form { "
        + " ".join(f"ics:{c}" for c in v.LEGAL_FORMS.values())
        + " } }"
    )
    return {r["b"].rsplit("/", 1)[1]: r["form"].rsplit("#", 1)[1] for r in rows}


def test_legal_forms_default_from_the_type_and_can_be_given(tmp_path):
    mapping = _load(tmp_path, "- {function: plan, area: shire, accountable: icb}\n")
    assert _forms(mapping) == {
        "icb": "StatutoryBody",
        "council": "StatutoryBody",
        "icp2021": "Partnership",  # a 2020-21 "ICP" was a partnership, and says so
        "committee": "Committee",
        "joint": "JointCommittee",
    }
    joint = mapping.select("SELECT ?of WHERE { id:body\\/joint ics:committeeOf ?of }")
    assert sorted(r["of"].rsplit("/", 1)[1] for r in joint) == ["council", "icb"]
    assert mapping.ask("ASK { id:body\\/icp2021 ics:successor id:body\\/icb ; ics:validTo ?to }")


def test_every_type_has_a_default_legal_form():
    assert set(v.DEFAULT_LEGAL_FORMS) == set(v.BODY_TYPES)
    assert set(v.DEFAULT_LEGAL_FORMS.values()) <= set(v.LEGAL_FORMS)


def test_a_joint_allocation_has_several_accountable_bodies(tmp_path):
    mapping = _load(
        tmp_path,
        "- {function: jsna, area: north, accountable: [icb, council], joint: yes, basis: decision,"
        " level_reason: statutory-requirement}\n",
    )
    rows = mapping.select("SELECT ?b WHERE { ?a a ics:Allocation ; ics:accountableBody ?b ; ics:joint true }")
    assert sorted(r["b"].rsplit("/", 1)[1] for r in rows) == ["council", "icb"]
    assert mapping.ask("ASK { ?a ics:basis ics:BasisDecision ; ics:levelReason ics:ReasonStatutoryRequirement }")
    holders = mapping.select("SELECT ?h WHERE { id:function\\/jsna ics:statutoryHolder ?h }")
    assert sorted(r["h"].rsplit("#", 1)[1] for r in holders) == ["HolderICB", "HolderLocalAuthority"]
    assert mapping.ask('ASK { id:function\\/plan ics:inForceFrom "2022-07-01"^^xsd:date }')


@pytest.mark.parametrize(
    "allocation, said",
    [
        ("- {function: jsna, area: north, accountable: [icb, council]}", "2 accountable bodies: if they hold"),
        ("- {function: jsna, area: north, accountable: icb, joint: yes}", "'joint: yes' needs two or more"),
        ("- {function: jsna, area: north, accountable: icb, basis: guess}", "invalid basis 'guess'"),
        ("- {function: jsna, area: north, accountable: icb, level_reason: scale}", "invalid level reason 'scale'"),
    ],
)
def test_joint_and_vocabulary_mistakes_are_errors_at_their_line(tmp_path, allocation, said):
    with pytest.raises(InputError) as raised:
        _load(tmp_path, allocation + "\n")
    (problem,) = raised.value.problems
    assert said in problem.message and problem.location.line > 0


def test_a_delegator_that_does_not_stay_accountable_is_an_error_naming_the_law(tmp_path):
    text = BASE + "  - {function: plan, area: shire, accountable: icb}\ndelegations:\n"
    text += "  - {function: plan, from: icb, to: committee, area: north, instrument: committee-of-board,"
    text += " delegator_remains_accountable: false}\n"
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_mapping([tmp_path])
    (problem,) = raised.value.problems
    assert "can only be true" in problem.message and "s65Z5" in problem.message
    (tmp_path / "m.yaml").write_text(text.replace("false", "true"), encoding="utf-8")
    assert not load_mapping([tmp_path]).ask("ASK { ?d ics:delegatorRemainsAccountable ?x }")  # entailed, not stated
