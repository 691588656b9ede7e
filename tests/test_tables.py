"""User-table reader: accepted formats and every rejected case (PHYSICS.md §9)."""

from __future__ import annotations

import numpy as np
import pytest

from cevns_stats.errors import CevnsError, TableError
from cevns_stats.physics.tables import read_table, validate_xy

EXPECTED = np.array([[1.0, 0.0], [2.5, 0.25], [10.0, 0.9]])


def write(tmp_path, text: str, name: str = "table.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text",
    [
        "1,0\n2.5,0.25\n10,0.9\n",
        "1 0\n2.5   0.25\n10 0.9\n",
        "1\t0\n2.5\t0.25\n10\t0.9\n",
        "1, 0\n2.5,\t0.25\n10 ,0.9,\n",
        "1;0\n2.5;0.25\n10;0.9\n",
        "# E [keV]  efficiency\n\n1 0\n\n% matlab comment\n2.5 0.25  # trailing comment\n10 0.9\n\n",
        "E [keV], efficiency\n1, 0\n2.5, 0.25\n10, 0.9\n",
        "1e0 0.0e0\n2.5E+00 2.5e-1\n1.0e1 9e-1\n",
    ],
    ids=["comma", "whitespace", "tabs", "mixed", "semicolon", "comments", "header", "exponents"],
)
def test_accepted_formats(tmp_path, text):
    assert np.array_equal(read_table(write(tmp_path, text)), EXPECTED)


def test_hepdata_csv_with_metadata_and_error_columns(tmp_path):
    text = (
        "#: table_doi: 10.17182/hepdata.00000.v1/t1\n"
        "#: name: Figure 2\n"
        "#: description: NR efficiency\n"
        "#: keyword observables: EFF\n"
        "$E$ [keV],efficiency,stat +,stat -\n"
        "1.0,0.0,0.01,-0.01\n"
        "2.5,0.25,0.02,-0.02\n"
        "10.0,0.9,0.01,-0.01\n"
    )
    path = write(tmp_path, text, "Table2.csv")
    assert np.array_equal(read_table(path), EXPECTED)
    three = read_table(path, columns=3)
    assert three.shape == (3, 3)
    assert np.allclose(three[:, 2], [0.01, 0.02, 0.01])


def test_quoted_header_and_utf8_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes('\ufeff"E [keV]","eff"\n1,0\n2.5,0.25\n10,0.9\n'.encode())
    assert np.array_equal(read_table(path), EXPECTED)


def test_table_error_is_a_value_error_and_a_cevns_error():
    assert issubclass(TableError, ValueError) and issubclass(TableError, CevnsError)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1 0\n", "need at least 2"),
        ("# only comments\n\n", "found 0 numeric rows"),
        ("E eff\n1 0\nfoo bar\n3 0.5\n", "line 3"),
        ("1 0\n2\n3 0.5\n", "line 2"),
        ("1 0\n2 nan\n3 0.5\n", "line 2"),
        ("1 0\n2 inf\n3 0.5\n", "line 2"),
        ("1 0\n3 0.5\n2 0.9\n", "line 3"),
        ("1 0\n1 0.5\n2 0.9\n", "strictly increasing"),
        ("-1 0\n1 0.5\n2 0.9\n", "negative energy"),
        ("1 0\n2 -0.1\n3 0.9\n", "negative value"),
        ("E eff\nE2 eff2\n1 0\n2 1\n", "line 2"),
    ],
    ids=[
        "one-row",
        "empty",
        "non-numeric",
        "short-row",
        "nan",
        "inf",
        "non-monotonic",
        "repeated",
        "negative-energy",
        "negative-value",
        "two-headers",
    ],
)
def test_bad_tables_raise_with_file_and_line(tmp_path, text, fragment):
    path = write(tmp_path, text, "bad.txt")
    with pytest.raises(TableError, match=fragment) as info:
        read_table(path, what="efficiency table")
    message = str(info.value)
    assert "bad.txt" in message and "efficiency table" in message
    assert "\n" not in message


def test_negative_values_allowed_on_request(tmp_path):
    path = write(tmp_path, "1 0\n2 -0.1\n3 0.9\n")
    assert read_table(path, nonnegative_values=False)[1, 1] == -0.1


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(TableError, match="not found"):
        read_table(tmp_path / "nope.txt")
    with pytest.raises(TableError, match="directory"):
        read_table(tmp_path)


def test_binary_file_is_unreadable(tmp_path):
    path = tmp_path / "binary.dat"
    path.write_bytes(b"\xff\xfe\x00\x81\x82" * 10)
    with pytest.raises(TableError, match=r"binary\.dat"):
        read_table(path)


def test_columns_below_two_rejected(tmp_path):
    with pytest.raises(TableError, match="columns"):
        read_table(write(tmp_path, "1 0\n2 1\n"), columns=1)


def test_validate_xy_accepts_and_converts():
    energy, values = validate_xy([0, 1, 2], [[0, 1], [1, 2], [2, 3]], what="flux")
    assert energy.dtype == float and values.shape == (3, 2)


@pytest.mark.parametrize(
    ("energy", "values", "fragment"),
    [
        ([0, 1, 2], [0, 1], "shape"),
        ([[0, 1]], [[0, 1]], "shape"),
        ([0, 2, 1], [0, 1, 2], "strictly increasing"),
        ([-1, 1, 2], [0, 1, 2], "negative energy"),
        ([0, 1, 2], [0, -1, 2], "negative value"),
        ([0, 1, np.nan], [0, 1, 2], "NaN"),
        ([0, 1, 2], [0, np.inf, 2], "NaN or infinite"),
        ([1.0], [1.0], "at least 2"),
        (["a", "b"], [1, 2], "numeric"),
    ],
)
def test_validate_xy_rejects(energy, values, fragment):
    with pytest.raises(TableError, match=fragment) as info:
        validate_xy(energy, values, what="flux table")
    assert "flux table" in str(info.value)
