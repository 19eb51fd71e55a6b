"""Reading an old system's spreadsheet: CSV (UTF-8, with or without BOM, or Windows-1252)
or Excel .xlsx, streamed row by row (csv from the standard library, openpyxl in read-only
mode), with every problem said in plain words.

A file-level problem (not a spreadsheet, too large, unknown or missing columns) raises
`FileRefused`; a row's problems are returned with the row, so the dry run can show each
one beside its row. Nothing here touches the database.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from openpyxl import load_workbook

from clients.categories import CATEGORIES
from clients.text import neutralise

REQUIRED = ("first_name", "last_name")
PLAIN_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "gender",
    "pronouns",
    "national_insurance_number",
    "nhs_number",
    "phone",
    "email",
    "address",
    "preferred_contact",
    "key_worker",
    "opened_on",
)
DATE_FIELDS = ("date_of_birth", "opened_on")

# Other names old systems give the same column (after normalising case, spaces and dashes).
ALIASES = {
    "forename": "first_name",
    "given_name": "first_name",
    "firstname": "first_name",
    "surname": "last_name",
    "family_name": "last_name",
    "lastname": "last_name",
    "known_as": "preferred_name",
    "dob": "date_of_birth",
    "birth_date": "date_of_birth",
    "ni_number": "national_insurance_number",
    "nino": "national_insurance_number",
    "nhs_no": "nhs_number",
    "telephone": "phone",
    "phone_number": "phone",
    "mobile": "phone",
    "email_address": "email",
    "e_mail": "email",
    "keyworker": "key_worker",
    "case_opened": "opened_on",
    "opened": "opened_on",
    "date_opened": "opened_on",
}

# Day-first formats only: these are UK spreadsheets ("31/01/1980", "31-Jan-1980").
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d-%b-%Y", "%d %b %Y", "%d %B %Y", "%d/%m/%y")
# What a spreadsheet would run as a formula ("=…", "@…", "+SUM(…)"), but not a phone number ("+44 …").
FORMULA = re.compile(r"^(=|@|[+\-]\s*[A-Za-z(])")


class FileRefused(Exception):
    """The file cannot be imported at all; the message says why and what to do."""


def _normal(header: str) -> str:
    text = unicodedata.normalize("NFKC", str(header or "")).strip().lower()
    return re.sub(r"[\s\-/]+", "_", text).strip("_")


def _category_columns() -> dict[str, tuple[str, str]]:
    """Column name -> (category key, "summary" | "detail"), by key or by label."""
    columns = {}
    for category in CATEGORIES:
        for name in {category.key, _normal(category.label)}:
            for level in ("summary", "detail"):
                columns[f"{name}_{level}"] = (category.key, level)
    return columns


@dataclass
class Row:
    number: int  # the spreadsheet's own row number (the header is row 1)
    values: dict = field(default_factory=dict)  # plain field -> text or date
    entries: dict = field(default_factory=dict)  # category key -> {"summary": ..., "detail": ...}
    problems: list[str] = field(default_factory=list)


@dataclass
class Header:
    fields: dict[int, str]  # column index -> plain field
    entries: dict[int, tuple[str, str]]  # column index -> (category, level)


def map_header(cells: list) -> Header:
    """Which column is which. Raises FileRefused for unknown, repeated or missing columns."""
    categories = _category_columns()
    fields, entries, unknown, seen = {}, {}, [], set()
    for index, cell in enumerate(cells):
        name = _normal(cell)
        if not name:
            continue
        name = ALIASES.get(name, name)
        if name in seen:
            raise FileRefused(f"The column “{cell}” appears twice. Keep one of them and try again.")
        seen.add(name)
        if name in PLAIN_FIELDS:
            fields[index] = name
        elif name in categories:
            entries[index] = categories[name]
        else:
            unknown.append(str(cell))
    if unknown:
        raise FileRefused(
            "These columns are not recognised: "
            + ", ".join(f"“{name}”" for name in unknown)
            + ". Rename them to one of the columns in the example file, or remove them."
        )
    missing = [name for name in REQUIRED if name not in fields.values()]
    if missing:
        raise FileRefused(
            "The file needs these columns: " + ", ".join(name.replace("_", " ") for name in missing) + "."
        )
    return Header(fields=fields, entries=entries)


def parse_date(value) -> dt.date | None:
    """A date from a cell: an Excel date, or text in one of the UK formats. Raises ValueError."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _cell_text(value, problems: list[str], column: str, *, multiline: bool = False) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    if FORMULA.match(text):
        problems.append(f"{column}: this cell holds a spreadsheet formula, not a value. Replace it with the value.")
        return ""
    # Bidirectional overrides and other invisible controls, as every form removes them.
    return neutralise(text, multiline=multiline)


def _row(number: int, cells: list, header: Header, *, formulas: set[int] = frozenset()) -> Row | None:
    if all(cell in (None, "") or (isinstance(cell, str) and not cell.strip()) for cell in cells):
        return None  # blank rows are skipped
    row = Row(number=number)
    for index, name in header.fields.items():
        value = cells[index] if index < len(cells) else None
        label = name.replace("_", " ").capitalize()
        if index in formulas:
            row.problems.append(f"{label}: this cell holds a spreadsheet formula, not a value.")
            continue
        if name in DATE_FIELDS:
            try:
                row.values[name] = parse_date(value)
            except ValueError:
                row.problems.append(f"{label}: “{value}” is not a date. Write it like 31/01/1980 or 31-Jan-1980.")
        else:
            row.values[name] = _cell_text(value, row.problems, label)
    for index, (category, level) in header.entries.items():
        value = cells[index] if index < len(cells) else None
        text = _cell_text(value, row.problems, f"{category.replace('_', ' ').capitalize()} {level}", multiline=True)
        if text:
            row.entries.setdefault(category, {"summary": "", "detail": ""})[level] = text
    return row


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else Windows-1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        head = handle.read(3)
        handle.seek(0)
        try:
            while chunk := handle.read(1 << 16):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"


def _csv_rows(path: Path) -> Iterator[list]:
    encoding = _encoding(path)
    with path.open(encoding=encoding, errors="strict", newline="") as handle:
        sample = handle.read(4096)
        if "\x00" in sample:
            raise FileRefused("This file is not a spreadsheet. Upload a CSV file or an Excel .xlsx workbook.")
        handle.seek(0)
        try:
            yield from csv.reader(handle)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FileRefused(f"This file could not be read as CSV ({exc}). Save it again as CSV or .xlsx.") from exc


def _xlsx_rows(path: Path) -> Iterator[tuple[list, set[int]]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise FileRefused("This Excel file could not be opened. Save it again as .xlsx or CSV.") from exc
    try:
        sheet = workbook.worksheets[0]
        for cells in sheet.iter_rows():
            values, formulas = [], set()
            for index, cell in enumerate(cells):
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f":
                    formulas.add(index)
                values.append(value)
            yield values, formulas
    finally:
        workbook.close()


def sniff(path: Path) -> str:
    """ "xlsx" or "csv" by content (never by the file's name). Raises FileRefused for anything else."""
    size = path.stat().st_size
    if size > settings.IMPORT_MAX_BYTES:
        mib = settings.IMPORT_MAX_BYTES / (1024 * 1024)
        raise FileRefused(f"The file is larger than {mib:.0f} MB. Split it into smaller files and import each.")
    if size == 0:
        raise FileRefused("The file is empty.")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            raise FileRefused("This Excel file is damaged. Save it again as .xlsx or CSV.")
        return "xlsx"
    if head.startswith((b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8")):
        raise FileRefused(
            "This file is not a spreadsheet we can read (old .xls files too). Save it as CSV or Excel .xlsx."
        )
    return "csv"


def read(path: Path) -> tuple[str, Iterator[Row]]:
    """("csv"|"xlsx", the data rows) of the file at `path`; blank rows skipped.

    Raises FileRefused for the file as a whole, before any row is read (the header is read eagerly).
    """
    kind = sniff(path)
    source = _xlsx_rows(path) if kind == "xlsx" else ((cells, set()) for cells in _csv_rows(path))
    try:
        first = next(source, None)
    except UnicodeDecodeError as exc:
        raise FileRefused("This file is not a spreadsheet. Upload a CSV file or an Excel .xlsx workbook.") from exc
    if first is None:
        raise FileRefused("The file has no rows.")
    header = map_header(first[0])

    def rows() -> Iterator[Row]:
        for number, (cells, formulas) in enumerate(source, start=2):
            row = _row(number, cells, header, formulas=formulas)
            if row is not None:
                yield row

    return kind, rows()
