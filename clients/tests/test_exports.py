"""Spreadsheet exports: no cell can start a formula, in CSV or in .xlsx."""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from clients.exports import FORMULA_PREFIXES, safe_cell, spreadsheet_response, xlsx_bytes


@given(st.text())
def test_no_cell_can_start_a_spreadsheet_formula(value):
    cell = safe_cell(value)

    assert not cell.startswith(FORMULA_PREFIXES)
    assert cell.removeprefix("'") == value or cell == value


@given(st.sampled_from(FORMULA_PREFIXES), st.text())
def test_a_formula_is_kept_as_text(prefix, rest):
    assert safe_cell(prefix + rest) == "'" + prefix + rest


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))), min_size=1, max_size=5))
def test_every_xlsx_cell_is_a_string_holding_exactly_the_value(values):
    sheet = load_workbook(io.BytesIO(xlsx_bytes([values]))).active
    cells = next(sheet.iter_rows())
    assert [cell.data_type for cell in cells if cell.value is not None] == ["s"] * sum(1 for v in values if v)
    assert [cell.value or "" for cell in cells] == values


def test_a_formula_in_xlsx_stays_text():
    sheet = load_workbook(io.BytesIO(xlsx_bytes([["=1+1", "@SUM(A1)", "+44 161"]]))).active
    cells = next(sheet.iter_rows())
    assert [cell.value for cell in cells] == ["=1+1", "@SUM(A1)", "+44 161"]
    assert {cell.data_type for cell in cells} == {"s"}


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="Unknown export format"):
        spreadsheet_response([["a"]], filename="x", fmt="pdf")
