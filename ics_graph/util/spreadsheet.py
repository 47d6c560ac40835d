"""Cells as spreadsheets read them: formula-safe CSV cells and ``;``-separated list cells.

Two conventions shared by the readers and writers of spreadsheets:

* :func:`safe_cell`: a value for a CSV file someone may open in Excel, LibreOffice or
  Google Sheets. Text those programs would run as a formula (OWASP's rule: a cell
  starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading
  apostrophe, the spreadsheet convention for "this is text". Numbers stay numbers: an
  ``int`` or ``float``, and text that is exactly a plain number (``-1``, ``+2.5``,
  ``-3e4``), which a spreadsheet reads as that number and never as a formula.
* :func:`split_list` and :func:`join_list`: a list cell of the workbook format holds its
  items separated by ``;``; an item containing ``;`` writes it ``\\;`` (and a ``\\``
  just before a ``;``, another ``\\`` or the end of the item writes ``\\\\``), so every
  item comes back exactly as written. Any other backslash is an ordinary character.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FORMULA_STARTS", "escape_item", "join_list", "safe_cell", "split_list"]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ESCAPED = re.compile(r"\\([\\;])")
_ITEM = re.compile(r"(?:[^;\\]|\\.?)*", re.DOTALL)


def safe_cell(value: Any) -> Any:
    """``value`` made safe for a CSV cell: text that a spreadsheet would run as a formula
    gets a leading ``'``; numbers, and text that is exactly a number, are left as they are.

    >>> safe_cell('=HYPERLINK("http://example.org")')
    '\\'=HYPERLINK("http://example.org")'
    >>> safe_cell("-1"), safe_cell(-1), safe_cell("- a list item"), safe_cell("NHS England")
    ('-1', -1, "'- a list item", 'NHS England')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def split_list(text: str) -> list[str]:
    r"""The items of a list cell: split on ``;`` (not on ``\;``), unescaped and stripped;
    empty items are dropped.

    >>> split_list(r"NHS Act 2006 s3; Care Act 2014\; s75 ; ")
    ['NHS Act 2006 s3', 'Care Act 2014; s75']
    >>> split_list(r"C:\files\paper.pdf")
    ['C:\\files\\paper.pdf']
    """
    if ";" not in text and "\\" not in text:  # one item, nothing escaped: most cells
        item = text.strip()
        return [item] if item else []
    items = []
    for match in _ITEM.finditer(text):
        if match.start() and text[match.start() - 1] != ";":
            continue  # the empty match after an item
        item = _ESCAPED.sub(r"\1", match.group(0)).strip()
        if item:
            items.append(item)
    return items


def escape_item(item: str) -> str:
    r"""One list item written so that :func:`split_list` gives it back.

    >>> escape_item("a; b"), escape_item("ends with \\")
    ('a\\; b', 'ends with \\\\')
    """
    return re.sub(r"\\(?=[\\;]|$)", r"\\\\", item).replace(";", r"\;")


def join_list(items: list[str]) -> str:
    r"""Items as one list cell, ``"; "`` between them (see :func:`split_list`).

    >>> join_list(["a", "b; c"])
    'a; b\\; c'
    """
    return "; ".join(escape_item(item) for item in items)
