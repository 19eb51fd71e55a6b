"""Reading spreadsheets: encodings, UK dates, formulas, blank rows, columns, and files that are not spreadsheets."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from imports import parsing


def write(tmp_path, content: bytes, name="upload"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def rows_of(path):
    kind, rows = parsing.read(path)
    return kind, list(rows)


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("encoded", "label"),
    [
        ("first_name,last_name\nZoë,Ní Bhriain\n".encode(), "UTF-8"),
        (b"\xef\xbb\xbf" + "first_name,last_name\nZoë,Ní Bhriain\n".encode(), "UTF-8 with BOM"),
        ("first_name,last_name\nZoë,Ní Bhriain\n".encode("cp1252"), "Windows-1252"),
    ],
)
def test_csv_in_each_encoding_reads_the_same_names(tmp_path, encoded, label):
    kind, rows = rows_of(write(tmp_path, encoded))
    assert kind == "csv"
    assert rows[0].values["first_name"] == "Zoë", label
    assert rows[0].values["last_name"] == "Ní Bhriain", label


@pytest.mark.parametrize("written", ["31/01/1980", "31-Jan-1980", "31 January 1980", "1980-01-31", "31.01.1980"])
def test_uk_date_formats_are_read_day_first(tmp_path, written):
    _, rows = rows_of(write(tmp_path, f"First name,Surname,DOB\nAmy,Lee,{written}\n".encode()))
    assert rows[0].values["date_of_birth"] == dt.date(1980, 1, 31)
    assert rows[0].problems == []


def test_a_date_that_is_not_a_date_is_a_problem_of_its_row(tmp_path):
    _, rows = rows_of(write(tmp_path, b"first_name,last_name,date_of_birth\nAmy,Lee,sometime in 1980\n"))
    assert rows[0].problems == [
        "Date of birth: \u201csometime in 1980\u201d is not a date. Write it like 31/01/1980 or 31-Jan-1980."
    ]


def test_blank_rows_are_skipped_and_row_numbers_are_the_spreadsheets(tmp_path):
    _, rows = rows_of(write(tmp_path, b"first_name,last_name\nAmy,Lee\n,\n\nBen,Ray\n"))
    assert [(row.number, row.values["first_name"]) for row in rows] == [(2, "Amy"), (5, "Ben")]


def test_unknown_columns_are_named(tmp_path):
    with pytest.raises(parsing.FileRefused, match="“Shoe size”"):
        rows_of(write(tmp_path, b"first_name,last_name,Shoe size\nAmy,Lee,5\n"))


def test_a_missing_required_column_is_named(tmp_path):
    with pytest.raises(parsing.FileRefused, match="last name"):
        rows_of(write(tmp_path, b"first_name,date_of_birth\nAmy,1980-01-31\n"))


def test_a_file_that_is_not_a_spreadsheet_is_refused(tmp_path):
    with pytest.raises(parsing.FileRefused, match="not a spreadsheet"):
        rows_of(write(tmp_path, b"%PDF-1.7\n%binary\x00\x01"))


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 1024
    with pytest.raises(parsing.FileRefused, match="larger than"):
        rows_of(write(tmp_path, b"first_name,last_name\n" + b"Amy,Lee\n" * 500))


def test_formula_cells_are_problems_in_csv_and_xlsx_but_phone_numbers_are_not(tmp_path):
    _, rows = rows_of(write(tmp_path, b'first_name,last_name,phone\n=HYPERLINK("x"),Lee,+44 7700 900123\n'))
    assert rows[0].values["phone"] == "+44 7700 900123"
    assert any("formula" in problem for problem in rows[0].problems)
    content = xlsx([["first_name", "last_name"], ["=1+1", "Lee"]])
    kind, rows = rows_of(write(tmp_path, content, "book.xlsx"))
    assert kind == "xlsx"
    assert any("formula" in problem for problem in rows[0].problems)


def test_xlsx_dates_and_category_columns_are_read(tmp_path):
    content = xlsx(
        [
            ["First name", "Last name", "Date of birth", "Housing history summary", "Housing history detail"],
            ["Amy", "Lee", dt.datetime(1980, 1, 31), "Sofa-surfing", "Since March"],
        ]
    )
    _, rows = rows_of(write(tmp_path, content, "book.xlsx"))
    assert rows[0].values["date_of_birth"] == dt.date(1980, 1, 31)
    assert rows[0].entries == {"housing_history": {"summary": "Sofa-surfing", "detail": "Since March"}}


def test_invisible_direction_overrides_are_removed_from_names(tmp_path):
    _, rows = rows_of(write(tmp_path, "first_name,last_name\nAmy\u202e,Lee\u200b\n".encode()))
    assert rows[0].values == {"first_name": "Amy", "last_name": "Lee"}
