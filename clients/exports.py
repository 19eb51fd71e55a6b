"""Spreadsheet exports (CSV and .xlsx) whose cells are always text, never formulas.

Registers, reports and access logs are opened in spreadsheets by people who trust them.
A cell beginning with "=", "+", "-", "@" or a control character would be run as a
formula ("CSV injection", OWASP), and client data is typed by people, so every cell is
written as text: CSV cells that could start a formula get a leading apostrophe, and
.xlsx cells are typed as strings (openpyxl would otherwise store "=…" as a formula).

Both writers stream: rows are written as they are produced, so a long register is
never held in memory twice.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

# Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def safe_cell(value) -> str:
    """`value` as text a spreadsheet shows as text, never runs as a formula ("" for None)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _text_cell(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=None if value is None else str(value))
    # Typed as a string whatever it looks like: openpyxl marks "=…" as a formula otherwise.
    cell.data_type = "s"
    cell.number_format = "@"
    return cell


def xlsx_bytes(rows: Iterable[Sequence], *, sheet_title: str = "Export") -> bytes:
    """An .xlsx workbook of one sheet holding `rows` (the first is the header), every cell text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31] or "Export")
    for row in rows:
        sheet.append([_text_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def spreadsheet_response(rows: Iterable[Sequence], *, filename: str, fmt: str, sheet_title: str = "") -> HttpResponse:
    """A download of `rows` as CSV or .xlsx (`fmt`), named `filename` plus the extension.

    Raises ValueError for a format other than "csv" or "xlsx". The response is
    `Cache-Control: no-store`, like every page that carries client-related data.
    """
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        for row in rows:
            writer.writerow([safe_cell(value) for value in row])
    elif fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(rows, sheet_title=sheet_title or filename), content_type=XLSX_TYPE)
    else:
        raise ValueError(f"Unknown export format {fmt!r}: choose one of {FORMATS}.")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
