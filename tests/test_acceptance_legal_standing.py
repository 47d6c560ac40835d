"""Legal standing and time, tried as a new user would: one workbook (the template's columns)
with five mistakes a transition lead makes, and the same workbook put right.

The mistakes: a partnership accountable, a provider collaborative receiving an s65Z5
delegation, a CCG function with nothing from 1 July 2022, a delivering body that ended before
its allocation began, and a statutory default sitting above its lowest level. Each is found
once, pointing at its row; the CCG's function left behind is found twice, as the rules ask two
questions of it (the allocation that ends with nothing after it, and the function then held by
nobody in the system). Put right (the statutory body accountable with the partnership
delivering, joint accountability of the ICB and a council, a committee delegation, the
successor ICB's allocation from 1 July 2022), the workbook has no findings at all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.inputs.workbook import TEMPLATE_HEADERS

ICB_DAY = dt.date(2022, 7, 1)
LAST_CCG_DAY = dt.date(2022, 6, 30)


def _rows(sheet: str, records: list[dict]) -> list[list]:
    headers = TEMPLATE_HEADERS[sheet]
    unknown = {key for record in records for key in record} - set(headers)
    assert not unknown, f"not a template column of {sheet}: {unknown}"
    return [list(headers)] + [[record.get(h) for h in headers] for record in records]


def _workbook(path: Path, *, put_right: bool) -> Path:
    areas = [
        {"id": "england", "name": "England", "level": "national"},
        {"id": "region", "name": "The Region", "level": "regional", "part_of": "england"},
        {"id": "shire", "name": "Shire", "level": "system", "part_of": "region"},
        {"id": "north", "name": "North Shire", "level": "place", "part_of": "shire"},
        {"id": "south", "name": "South Shire", "level": "place", "part_of": "shire"},
    ]
    bodies = [
        {"id": "nhs-england", "name": "NHS England", "type": "nhs-england", "operates_in": "england"},
        {
            "id": "shire-ccg",
            "name": "NHS Shire CCG",
            "type": "ccg",
            "operates_in": "shire",
            "valid_to": LAST_CCG_DAY,
            "successor": "shire-icb",
        },
        {"id": "shire-icb", "name": "NHS Shire ICB", "type": "icb", "operates_in": "shire", "valid_from": ICB_DAY},
        {
            "id": "north-committee",
            "name": "North Shire committee",
            "type": "place-committee",
            "operates_in": "north",
            "committee_of": "shire-icb",
            "valid_from": ICB_DAY,
        },
        {"id": "shire-board", "name": "Shire ICS Board", "type": "system-partnership-board", "operates_in": "shire"},
        {"id": "north-council", "name": "North Shire Council", "type": "local-authority", "operates_in": "north"},
        {"id": "south-council", "name": "South Shire Council", "type": "local-authority", "operates_in": "south"},
        {"id": "shire-acute", "name": "Shire Hospitals", "type": "nhs-trust-acute", "operates_in": "shire"},
        {
            "id": "north-practice",
            "name": "North Street Surgery",
            "type": "gp-practice",
            "operates_in": "north",
            "valid_to": None if put_right else dt.date(2021, 12, 31),
        },
    ]
    collaboratives = [
        {"id": "shire-collab", "name": "Shire collaborative", "model": "lead-provider", "lead": "shire-acute"}
        | {"members": "shire-acute"}
    ]
    functions = [
        {"id": "chc", "name": "Continuing healthcare", "holder": "icb; ccg", "lowest_level": "place"}
        | {"minimum_level": "place"},
        {"id": "eprr", "name": "Emergency preparedness", "holder": "icb; ccg", "lowest_level": "system"}
        | {"minimum_level": "system"},
        {"id": "ifr", "name": "Individual funding requests", "holder": "icb; ccg", "lowest_level": "system"}
        | {"minimum_level": "system"},
        {"id": "phm", "name": "Population health management", "holder": "icb; ccg", "lowest_level": "place"}
        | {"minimum_level": "place"},
        {"id": "jsna", "name": "Joint strategic needs assessment", "holder": "icb; local-authority"}
        | {"lowest_level": "place", "minimum_level": "place"},
        {"id": "pms", "name": "Primary medical services", "holder": "nhs-england", "lowest_level": "system"}
        | {"minimum_level": "system"},
    ]
    icb = {"effective_from": ICB_DAY}
    allocations = [
        # NHS England's own, which it delegates (the reason of scale: the law gives it to NHS England)
        {"function": "pms", "area": "england", "accountable": "nhs-england", "level_reason": "statutory-requirement"},
        # the CCG era: the CCG held each function until 30 June 2022 ...
        *[
            {"function": f, "area": a, "accountable": "shire-ccg", "effective_to": LAST_CCG_DAY}
            for f, a in (("chc", "north"), ("chc", "south"), ("eprr", "shire"), ("ifr", "shire"))
        ],
        {"function": "phm", "area": "north", "accountable": "shire-ccg", "effective_to": LAST_CCG_DAY},
        {"function": "phm", "area": "south", "accountable": "shire-ccg", "effective_to": LAST_CCG_DAY},
        {
            "function": "jsna",
            "area": "north",
            "accountable": "shire-ccg; north-council",
            "joint": "yes",
            "effective_to": LAST_CCG_DAY,
        },
        {
            "function": "jsna",
            "area": "south",
            "accountable": "shire-ccg; south-council",
            "joint": "yes",
            "effective_to": LAST_CCG_DAY,
        },
        # ... and the ICB from 1 July 2022
        {"function": "chc", "area": "north", "accountable": "shire-icb", "delivered_by": "north-practice"} | icb,
        {"function": "chc", "area": "south", "accountable": "shire-icb"} | icb,
        *[
            {"function": "jsna", "area": a, "accountable": f"shire-icb; {a}-council", "joint": "yes"} | icb
            for a in ("north", "south")
        ],
    ]
    if put_right:
        allocations += [
            {"function": "ifr", "area": "shire", "accountable": "shire-icb", "delivered_by": "shire-board"} | icb,
            {"function": "eprr", "area": "shire", "accountable": "shire-icb"} | icb,  # the successor's
            {"function": "phm", "area": "north", "accountable": "shire-icb", "basis": "default"} | icb,
            {"function": "phm", "area": "south", "accountable": "shire-icb", "basis": "default"} | icb,
        ]
    else:
        allocations += [
            {"function": "ifr", "area": "shire", "accountable": "shire-board"} | icb,  # a partnership
            # eprr: nothing from 1 July 2022
            {"function": "phm", "area": "shire", "accountable": "shire-icb", "basis": "default"} | icb,
        ]
    delegations = [
        {
            "function": "pms",
            "from": "nhs-england",
            "to": "shire-icb" if put_right else "shire-collab",
            "area": "shire",
            "instrument": "s65z5-delegation",
            "effective_from": ICB_DAY,
        }
    ]
    if put_right:
        delegations.append(
            {
                "function": "chc",
                "from": "shire-icb",
                "to": "north-committee",
                "area": "north",
                "instrument": "committee-of-board",
                "effective_from": ICB_DAY,
            }
        )
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, records in (
        ("Areas", areas),
        ("Bodies", bodies),
        ("Collaboratives", collaboratives),
        ("Functions", functions),
        ("Allocations", allocations),
        ("Delegations", delegations),
    ):
        ws = book.create_sheet(sheet)
        for row in _rows(sheet, records):
            ws.append(row)
    book.save(path)
    return path


def _findings(tmp_path: Path, *, put_right: bool) -> list[tuple[str, str | None, str]]:
    path = _workbook(tmp_path / ("right.xlsx" if put_right else "mistakes.xlsx"), put_right=put_right)
    found = check(load_mapping([path])).findings
    return sorted((f.rule, f.location.cell if f.location else None, f.message) for f in found)


def test_each_mistake_is_found_once_at_its_row(tmp_path):
    found = _findings(tmp_path, put_right=False)
    assert [(rule, cell) for rule, cell, _ in found] == [
        ("accountable-without-legal-standing", "Allocations!A15"),  # the ICS Board accountable
        ("date-inconsistency", "Allocations!A11"),  # delivered by a practice that closed in 2021
        ("delegation-instrument-mismatch", "Delegations!A2"),  # s65Z5 to a collaborative
        ("function-continuity", "Allocations!A5"),  # the CCG's eprr, nothing from 1 July 2022 ...
        ("subsidiarity-undecided", "Allocations!A16"),  # phm at system by default
        ("unowned-function", "Functions!A3"),  # ... so eprr is held by nobody in Shire
    ]
    messages = "\n".join(message for _, _, message in found)
    assert "Shire ICS Board" in messages and "partnership" in messages
    assert "delegates Primary medical services to Shire collaborative under s65Z5 delegation" in messages
    assert "from 2022-07-01 nobody holds it" in messages and "successor NHS Shire ICB" in messages
    assert "North Street Surgery does not exist" in messages
    assert "Emergency preparedness has no allocation in Shire from 2022-07-01" in messages


def test_put_right_the_workbook_has_no_findings(tmp_path):
    assert _findings(tmp_path, put_right=True) == []


@pytest.mark.parametrize("day", ["2020-06-01", "2022-06-30", "2022-07-01", "2024-01-01"])
def test_as_of_any_day_answers_on_the_workbook(tmp_path, day):
    """The right workbook spans the transfer: each day's mapping holds one era, and no day has
    a finding (a one-day check asks whether each function is held that day)."""
    from ics_graph.model.timeline import as_of

    mapping = load_mapping([_workbook(tmp_path / "right.xlsx", put_right=True)])
    view = as_of(mapping, dt.date.fromisoformat(day))
    assert check(view).findings == []
    holders = {
        row["b"].rsplit("/", 1)[-1]
        for row in view.select("SELECT DISTINCT ?b WHERE { ?a a ics:Allocation ; ics:accountableBody ?b }")
    }
    era = {"shire-ccg"} if day < "2022-07-01" else {"shire-icb"}
    assert era <= holders and not ({"shire-ccg", "shire-icb"} - era) & holders
