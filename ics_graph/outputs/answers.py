"""Rendering query answers (``where``, ``at``, ``body``) as text and as CSV rows.

The queries in :mod:`ics_graph.queries.where` return data; this module only lays it out, in
words for people and as flat rows (one per allocation or relation) for spreadsheets.
"""

from __future__ import annotations

import csv
import io

from ics_graph.util.spreadsheet import safe_cell

__all__ = [
    "at_rows",
    "at_text",
    "body_rows",
    "body_text",
    "impact_rows",
    "to_csv",
    "transition_rows",
    "transition_text",
    "where_rows",
    "where_text",
]


def _dates(start: str, end: str) -> str:
    if start and end:
        return f"from {start} to {end}"
    if start:
        return f"from {start}"
    if end:
        return f"until {end}"
    return "undated"


def _holding_lines(holding: dict, indent: str) -> list[str]:
    where = f"{holding['level']} level in {holding['area']}"
    if holding["covers_from_above"]:
        where += " (covers it from above)"
    lines = [f"{indent}sits at: {where}", f"{indent}accountable: {holding['accountable']}"]
    if holding["delivered_by"]:
        lines.append(f"{indent}delivered by: {', '.join(holding['delivered_by'])}")
    lines.append(f"{indent}status: {holding['status'] or 'current'}, {_dates(holding['start'], holding['end'])}")
    if holding["arrangement"] or holding["wte"]:
        extra = ", ".join(x for x in [holding["arrangement"], f"{holding['wte']} WTE" if holding["wte"] else ""] if x)
        lines.append(f"{indent}arrangement: {extra}")
    if holding["rationale"]:
        lines.append(f"{indent}rationale: {holding['rationale']}")
    if holding["chain"]:
        chain = [holding["accountable"]]
        for step in holding["chain"]:
            chain.append(
                f"[{step['instrument'] or 'delegation'}, {step['status'] or 'current'}, "
                f"{_dates(step['start'], step['end'])}] -> {step['to_body']}"
            )
        lines.append(f"{indent}delegation chain: " + " ".join(chain))
    else:
        lines.append(f"{indent}delegation chain: none (exercised by the accountable body)")
    lines.append(f"{indent}source: {holding['source']}")
    return lines


def _same_as_above(part: dict, above: dict) -> bool:
    """Whether an area's answer only repeats the one above it: every holding is the
    area above's, covering it from above with the same bodies and chain, and nothing
    (a finding, an allocation inside) is its own."""

    def held(answer: dict) -> list[dict]:
        return [{k: v for k, v in h.items() if k != "covers_from_above"} for h in answer["holdings"]]

    return (
        bool(part["holdings"])
        and all(h["covers_from_above"] for h in part["holdings"])
        and held(part) == held(above)
        and not part["findings"]
        and all(_same_as_above(inner, part) for inner in part["places"])
    )


def _answer_lines(answer: dict, indent: str) -> list[str]:
    lines = [f"{indent}{answer['area']} ({answer['level']})"]
    inner = indent + "  "
    if not answer["holdings"]:
        below = any(part["holdings"] for part in answer["places"])
        lines.append(
            f"{inner}no allocation at this level or above; it sits in the areas below"
            if below
            else f"{inner}not allocated: no allocation covers this area"
        )
    for number, holding in enumerate(answer["holdings"]):
        if number:
            lines.append(f"{inner}also:")
        lines.extend(_holding_lines(holding, inner))
    for finding in answer["findings"]:
        lines.append(f"{inner}finding ({finding['severity']}, {finding['rule']}): {finding['message']}")
    # Areas that only repeat this answer are named on one line (GM's ten places under a
    # system allocation would otherwise be ten copies of the block above); JSON keeps each.
    repeats = [part for part in answer["places"] if _same_as_above(part, answer)]
    if repeats:
        levels = sorted({part["level"] for part in repeats})
        names = ", ".join(part["area"] for part in repeats)
        lines.append(f"{inner}{names} ({', '.join(levels)}): as {answer['area']} above, covered from above")
    for part in answer["places"]:
        if part not in repeats:
            lines.extend(_answer_lines(part, inner))
    return lines


def where_text(report: dict) -> str:
    f = report["function"]
    facts = [
        f"category: {f.get('category', '?')}",
        f"holder: {f.get('holder', '?')}",
        f"reserved: {'yes' if f.get('reserved') else 'no'}",
        f"lowest level: {f.get('lowest', '?')}",
        f"minimum scale: {f.get('minimum', '?')}",
    ]
    if f.get("icb_from"):
        facts.append(f"ICBs hold it from {f['icb_from']}")
    lines = [f"{f['label']} ({f['id']})", "  " + "; ".join(facts), f"  defined at: {f['source']}", ""]
    if not report["systems"]:
        lines.append("No system with allocations is loaded.")
    for system in report["systems"]:
        lines.extend(_answer_lines(system, ""))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def where_rows(report: dict) -> list[dict]:
    rows = []

    def walk(answer: dict, system: str):
        for holding in answer["holdings"] or [None]:
            row = {
                "function": report["function"]["label"],
                "system": system,
                "area": answer["area"],
                "area_level": answer["level"],
            }
            if holding:
                row.update(
                    {
                        "sits_at": holding["area"],
                        "level": holding["level"],
                        "accountable": holding["accountable"],
                        "delivered_by": "; ".join(holding["delivered_by"]),
                        "status": holding["status"],
                        "effective_from": holding["start"],
                        "effective_to": holding["end"],
                        "delegation_chain": " -> ".join(
                            [holding["accountable"]] + [s["to_body"] for s in holding["chain"]]
                        ),
                        "instruments": "; ".join(s["instrument"] for s in holding["chain"]),
                        "rationale": holding["rationale"],
                        "source": holding["source"],
                    }
                )
            row["findings"] = "; ".join(f["message"] for f in answer["findings"])
            rows.append(row)
        for part in answer["places"]:
            walk(part, system)

    for system in report["systems"]:
        walk(system, system["area"])
    return rows


def at_text(report: dict) -> str:
    a = report["area"]
    lines = [f"{a['label']} ({a['id']}, {a.get('level', '?')} level)", f"  defined at: {a['source']}", ""]
    if not report["groups"]:
        lines.append("Nothing is allocated in, above or inside this area.")
    for group in report["groups"]:
        lines.append(f"{group['level'].capitalize()} level:")
        for category in group["categories"]:
            lines.append(f"  {category['category']}:")
            for item in category["items"]:
                chain = " -> ".join([item["accountable"]] + [s["to_body"] for s in item["chain"]])
                delivered = f"; delivered by {', '.join(item['delivered_by'])}" if item["delivered_by"] else ""
                lines.append(
                    f"    {item['function']}: {item['relation']} ({item['area']}); accountable {item['accountable']}"
                    f"{delivered}; {item['status'] or 'current'}, {_dates(item['start'], item['end'])}"
                )
                if item["chain"]:
                    lines.append(f"      delegated: {chain}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def at_rows(report: dict) -> list[dict]:
    rows = []
    for group in report["groups"]:
        for category in group["categories"]:
            for item in category["items"]:
                rows.append(
                    {
                        "level": group["level"],
                        "category": category["category"],
                        "function": item["function"],
                        "relation": item["relation"],
                        "area": item["area"],
                        "accountable": item["accountable"],
                        "delivered_by": "; ".join(item["delivered_by"]),
                        "status": item["status"],
                        "effective_from": item["start"],
                        "effective_to": item["end"],
                        "delegated_to": " -> ".join(s["to_body"] for s in item["chain"]),
                        "source": item["source"],
                    }
                )
    return rows


_BODY_SECTIONS = [
    ("accountable_for", "Accountable for"),
    ("delivers", "Delivers"),
    ("delegated", "Has delegated"),
    ("received", "Has received"),
]


def body_text(report: dict) -> str:
    b = report["body"]
    lines = [f"{b['label']} ({b['id']}, {b.get('type', '?')})", f"  defined at: {b['source']}", ""]
    for key, title in _BODY_SECTIONS:
        items = report[key]
        lines.append(f"{title} ({len(items)}):")
        for item in items:
            if "to" in item:
                other = f"to {item['to']}" if key == "delegated" else f"from {item['from']}"
                lines.append(
                    f"  {item['function']} in {item['area']} {other} [{item['instrument'] or 'delegation'}, "
                    f"{item['status'] or 'current'}, {_dates(item['start'], item['end'])}]"
                )
            else:
                lines.append(
                    f"  {item['function']} at {item['level']} level in {item['area']} "
                    f"[{item['status'] or 'current'}, {_dates(item['start'], item['end'])}]"
                )
        if not items:
            lines.append("  (none)")
        lines.append("")
    lines.append(f"Member of ({len(report['member_of'])}):")
    for item in report["member_of"]:
        lead = ", as lead provider" if item["lead"] else ""
        lines.append(f"  {item['collaborative']} ({item['model'] or 'model not recorded'}{lead})")
    if not report["member_of"]:
        lines.append("  (none)")
    return "\n".join(lines) + "\n"


def body_rows(report: dict) -> list[dict]:
    rows = []
    for key, _title in _BODY_SECTIONS:
        for item in report[key]:
            rows.append(
                {
                    "relation": key,
                    "function": item["function"],
                    "area": item["area"],
                    "level": item.get("level", ""),
                    "from": item.get("from", ""),
                    "to": item.get("to", ""),
                    "instrument": item.get("instrument", ""),
                    "status": item["status"],
                    "effective_from": item["start"],
                    "effective_to": item["end"],
                    "source": item["source"],
                }
            )
    for item in report["member_of"]:
        rows.append(
            {
                "relation": "member_of",
                "function": "",
                "area": "",
                "level": "",
                "from": "",
                "to": item["collaborative"],
                "instrument": "",
                "status": "",
                "effective_from": "",
                "effective_to": "",
                "source": "",
            }
        )
    return rows


def impact_rows(report: dict) -> list[dict]:
    """One row per related thing: dependencies (with depth), areas, bodies, and for a
    dry run the allocations moved and the findings that would appear or disappear."""
    rows = []
    for direction in ("upstream", "downstream"):
        for item in report[direction]:
            rows.append(
                {
                    "kind": direction,
                    "id": item.get("id", ""),
                    "label": item.get("label", ""),
                    "depth": item.get("depth", ""),
                    "detail": "",
                }
            )
    for item in report["areas"]:
        rows.append(
            {
                "kind": "area",
                "id": item["id"],
                "label": item["label"],
                "depth": "",
                "detail": f"{item['level']}; via {', '.join(item['via'])}",
            }
        )
    for item in report["bodies"]:
        rows.append(
            {"kind": "body", "id": item["id"], "label": item["label"], "depth": "", "detail": ", ".join(item["roles"])}
        )
    move = report.get("move") or {}
    for key, kind in (("removed", "removed allocation"), ("added", "added allocation")):
        for item in move.get(key, []):
            rows.append(
                {"kind": kind, "id": item["id"], "label": item.get("area_label", ""), "depth": "", "detail": ""}
            )
    for key, kind in (
        ("appear", "finding would appear"),
        ("disappear", "finding would disappear"),
        ("changed", "finding would change"),
    ):
        for item in move.get(key, []):
            rows.append(
                {
                    "kind": kind,
                    "id": item.get("rule", ""),
                    "label": item.get("message", ""),
                    "depth": "",
                    "detail": item.get("severity", ""),
                }
            )
    return rows


def to_csv(rows: list[dict]) -> str:
    """Rows as CSV with a header; columns in first-seen order, so output is stable. Text
    a spreadsheet would run as a formula is made inert (see :mod:`ics_graph.util.spreadsheet`)."""
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return buffer.getvalue()


def transition_text(report: dict) -> str:
    """The handover table as a transition lead reads it: per function, the CCG and its
    area, then each place the function sits from 1 July 2022, or that it has none."""
    lines = [
        f"{report['system']}: what each CCG held on {report['last_ccg_day']}, and where it sits "
        f"from {report['first_icb_day']}",
    ]
    if not report["ccgs"]:
        lines.append("  No CCG of this system is in the mapping (import the national frame, data/national).")
    for ccg in report["ccgs"]:
        code = f" ({ccg['code']})" if ccg["code"] else ""
        successor = f"; successor: {ccg['successor']}" if ccg["successor"] else "; no successor recorded"
        lines.append(f"  CCG: {ccg['ccg']}{code}, to {ccg['valid_to'] or '?'}{successor}")
    lines.append("")
    for item in report["handovers"]:
        lines.append(f"{item['function']} ({item['function_id']})")
        lines.append(f"  held by {item['ccg']} in {item['ccg_area']}")
        if not item["destinations"]:
            successor = f" (the CCG's successor: {item['successor']})" if item["successor"] else ""
            lines.append(f"  -> no destination from {report['first_icb_day']}{successor}")
        for d in item["destinations"]:
            lines.append(f"  -> {d['level']} level in {d['area']}: {d['accountable']}; {d['status']}, {d['dates']}")
            for step in d["chain"]:
                lines.append(f"     delegated: {step}")
        lines.append("")
    count, without = len(report["handovers"]), report["without_destination"]
    lines.append(f"{count} function{'s' if count != 1 else ''} held by CCGs; {without} without a destination.")
    return "\n".join(lines) + "\n"


def transition_rows(report: dict) -> list[dict]:
    """One row per (function, destination); a function with none has one row saying so."""
    rows = []
    for item in report["handovers"]:
        base = {"function": item["function"], "function_id": item["function_id"], "ccg": item["ccg"]}
        base["ccg_area"] = item["ccg_area"]
        if not item["destinations"]:
            rows.append(
                {
                    **base,
                    "level": "",
                    "area": "",
                    "accountable": "",
                    "status": "no destination",
                    "dates": "",
                    "delegations": "",
                    "successor": item["successor"],
                }
            )
        for d in item["destinations"]:
            rows.append(
                {
                    **base,
                    "level": d["level"],
                    "area": d["area"],
                    "accountable": d["accountable"],
                    "status": d["status"],
                    "dates": d["dates"],
                    "delegations": "; ".join(d["chain"]),
                    "successor": item["successor"],
                }
            )
    return rows
