from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL = SHARED / "data" / "real"
REFERENCE = SHARED / "data" / "reference"
SAMPLE = ROOT / "data" / "sample_survey.csv"

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory) -> Path:
    """Every export shape of tests/survey_shapes.py written to disk once."""
    from survey_shapes import SHAPES

    folder = tmp_path_factory.mktemp("shapes")
    for name, make in SHAPES.items():
        (folder / name).write_bytes(make())
    return folder


def needs_shared(path: Path):
    """Skip when ../shared (the real public files) is not beside the project."""
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is not available")
