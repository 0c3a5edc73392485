"""Exported CSV cells never run as spreadsheet formulas, and the round trip stays lossless."""

import csv
import io

import pytest

from programmes.csvio import neutralise_cell, restore_cell, write_csv


@pytest.mark.parametrize(
    ("value", "exported"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1,2)", "'@SUM(1,2)"),
        ("\tA", "'\tA"),
        ("\rA", "'\rA"),
        ("'=already", "''=already"),
        ("H0001", "H0001"),
        ("2026-01-31", "2026-01-31"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_cells_that_begin_a_formula_are_neutralised_and_restored(value, exported):
    assert neutralise_cell(value) == exported
    assert restore_cell(exported) == value


def test_the_writer_neutralises_every_cell_but_not_the_header():
    text = "".join(write_csv([["=1+1", "ok"]], ["=header", "b"]))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["=header", "b"], ["'=1+1", "ok"]]
