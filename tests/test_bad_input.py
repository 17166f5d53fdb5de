"""Bad input always ends in a clear message (UI and CLI), never a traceback or a hang."""

from __future__ import annotations

import subprocess
import sys

import pytest
from bad_files import BAD_FILES, GOOD_HEADER, GOOD_ROWS, many_columns
from conftest import ROOT

from cx.analysis import load_survey
from cx.errors import CxInputError
from cx.load import read_survey


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_message(tmp_path, name):
    make, words = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(make())
    with pytest.raises(CxInputError) as err:
        load_survey(path)
    assert words.lower() in str(err.value).lower()


@pytest.mark.parametrize("name", ["empty.csv", "garbage.bin", "bomb.xlsx", "text_in_loyalty.csv",
                                  "unbalanced_quotes.csv"])
def test_cli_says_error_and_exits_2(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BAD_FILES[name][0]())
    out = subprocess.run([sys.executable, "-m", "cx", "analyze", str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_cli_missing_file_and_bad_usage(tmp_path):
    for args in (["analyze", str(tmp_path / "nope.csv")], ["analyze"], ["frobnicate"], [],
                 ["analyze", str(ROOT / "data" / "sample_survey.csv"), "--method", "magic"],
                 ["analyze", str(ROOT / "data" / "sample_survey.csv"), "--loyalty", "No such column"],
                 ["analyze", str(ROOT / "data" / "sample_survey.csv"), "--where", "Region"]):
        out = subprocess.run([sys.executable, "-m", "cx", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 2, args
        assert out.stderr.strip().splitlines()[-1].startswith("error: "), (args, out.stderr)
        assert "Traceback" not in out.stderr


def test_duplicate_headers_are_renamed_and_reported():
    raw = read_survey(b"id,score,score,Comment\n1,10,5,a\n2,9,4,b\n", "dup.csv")
    assert list(raw.frame.columns) == ["id", "score", "score (2)", "Comment"]
    assert any("more than once" in n for n in raw.notes)


def test_five_thousand_columns_read():
    raw = read_survey(many_columns(), "wide.csv")
    assert raw.frame.shape == (30, 5000)


def test_stray_delimiter_rows_are_skipped_and_reported():
    raw = read_survey((GOOD_HEADER + "1,10,5,too,many,fields\n" + GOOD_ROWS).encode(), "stray.csv")
    assert raw.n_rows == 40
    assert any("Skipped 1 row" in n for n in raw.notes)


def test_nul_bytes_are_removed():
    raw = read_survey((GOOD_HEADER + GOOD_ROWS).replace("fine", "fi\x00ne").encode(), "nul.csv")
    assert raw.frame["Comment"].iloc[0] == "fine"
    assert any("NUL" in n for n in raw.notes)


def test_mixed_encodings():
    data = (GOOD_HEADER + "1,10,5,caf\u00e9 cr\u00e8me\n").encode("utf-8") + "2,9,4,na\u00efve\n".encode("cp1252")
    raw = read_survey(data, "mixed.csv")
    assert raw.frame["Comment"].tolist() == ["caf\u00e9 cr\u00e8me", "na\u00efve"]
    assert "mixed" in (raw.encoding or "")


def test_comments_with_line_breaks():
    raw = read_survey(b'id,Comment,Likelihood to recommend\n1,"line one\nline two, with comma",10\n2,"ok",9\n'
                      b'3,"a\r\nb",4\n', "multi.csv")
    assert raw.frame["Comment"].tolist() == ["line one\nline two, with comma", "ok", "a\r\nb"]
    assert raw.frame["Likelihood to recommend"].tolist() == [10, 9, 4]
    assert not any("Skipped" in n for n in raw.notes)
