"""Hostile input: every file of the corpus ends in a clear message or a correct result, in time and memory."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest
from conftest import ROOT
from hostile import CORPUS

from cx.analysis import load_survey
from cx.errors import CxInputError

MEMORY_LIMIT = 3 * 1024**3


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_file(tmp_path, name):
    make, (kind, expect) = CORPUS[name]
    path = tmp_path / name
    path.write_bytes(make())
    if kind == "error":
        with pytest.raises(CxInputError) as err:
            load_survey(path)
        message = str(err.value)
        assert expect.lower() in message.lower()
        assert len(message) > 30 and "Traceback" not in message
    else:
        _, survey = load_survey(path)
        assert expect(survey)


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["xlsx_bomb.xlsx", "declared_2gb.xlsx", "huge_field.csv", "five_thousand_columns.csv",
                                  "garbage_bytes.csv", "unbalanced_quotes_multiline.csv"])
def test_cli_bounded_memory_and_clean_exit(tmp_path, name):
    make, (kind, _) = CORPUS[name]
    path = tmp_path / name
    path.write_bytes(make())
    out = subprocess.run([sys.executable, "-m", "cx", "analyze", str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=100, preexec_fn=_limited)
    assert "Traceback" not in out.stderr
    if kind == "error":
        assert out.returncode == 2 and out.stderr.startswith("error: ")
    else:
        assert out.returncode == 0, out.stderr
