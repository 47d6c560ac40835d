"""GitHub Actions workflow commands: one annotation line per finding.

``::error file=F,line=L,title=ics-graph SLUG::MESSAGE`` (``warning`` for warnings,
``notice`` for info). ``file``/``line`` are left out when not known. Escaping follows
GitHub's toolkit (``@actions/core``): in the message ``%``, CR and LF become ``%25``,
``%0D`` and ``%0A``; in property values ``:`` and ``,`` also become ``%3A`` and ``%2C``.
"""

from __future__ import annotations

from ics_graph.outputs.renderers import ordered

_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding) -> str:
    props = []
    loc = finding.location
    message = finding.message
    if loc is not None and loc.file:
        props.append(f"file={escape_property(loc.file)}")
        if loc.cell:
            message = f"{message} (cell {loc.cell})"
        elif loc.line > 0:
            props.append(f"line={loc.line}")
            if loc.column > 0:
                props.append(f"col={loc.column}")
    props.append(f"title={escape_property('ics-graph ' + finding.rule)}")
    return f"::{_COMMAND[finding.severity.word]} {','.join(props)}::{escape_data(message)}"


def render(result, *, fail_level=None, colour: bool = False, version: str = "") -> str:
    lines = [annotation(f) for f in ordered(result.findings)]
    return "".join(line + "\n" for line in lines)
