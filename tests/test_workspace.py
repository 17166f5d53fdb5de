"""The workspace store: save, reload, list per desk, rename, delete, export and import."""

from __future__ import annotations

import pytest

from cx.errors import CxInputError
from cx.workspace import SAMPLE, WorkspaceStore


@pytest.fixture()
def store(tmp_path):
    return WorkspaceStore(tmp_path / "ws.sqlite")


def test_round_trip_and_restart(store, tmp_path):
    sha = store.put_file("survey.csv", b"id,ltr\n1,10\n")
    wid = store.create("desk-a", "Q3 review", "survey.csv", sha, {"roles": {"loyalty": "ltr"}})
    store.save_settings(wid, {"roles": {"loyalty": "ltr"}, "whys": [["a", "b"]]})
    again = WorkspaceStore(tmp_path / "ws.sqlite")  # a new process opening the same file
    ws = again.load(wid)
    assert ws["settings"]["whys"] == [["a", "b"]]
    assert again.get_file(ws["file_sha"]) == ("survey.csv", b"id,ltr\n1,10\n")


def test_desks_are_private_unless_a_link_is_shared(store):
    a1 = store.create("desk-a", "A one", "sample_survey.csv")
    store.create("desk-a", "A two", "sample_survey.csv")
    b1 = store.create("desk-b", "B one", "sample_survey.csv")
    assert {w.name for w in store.list_desk("desk-a")} == {"A one", "A two"}
    assert [w.id for w in store.list_desk("desk-b")] == [b1]
    store.add_to_desk("desk-b", a1)  # B opened A's shared link
    assert {w.name for w in store.list_desk("desk-b")} == {"B one", "A one"}
    assert len(a1) >= 20  # unguessable


def test_rename_delete(store):
    sha = store.put_file("x.csv", b"data")
    wid = store.create("d", "Old", "x.csv", sha)
    store.rename(wid, "  New name ")
    assert store.load(wid)["name"] == "New name"
    with pytest.raises(CxInputError):
        store.rename(wid, " ")
    store.delete(wid)
    assert store.load(wid) is None and store.get_file(sha) is None and store.list_desk("d") == []


def test_export_import(store):
    sha = store.put_file("survey.csv", b"id,ltr\n1,10\n")
    wid = store.create("d", "Plan", "survey.csv", sha, {"filter": {"segments": {"Region": ["EMEA"]}}})
    blob = store.export_bytes(wid)
    other = store.import_bytes("e", blob)
    ws = store.load(other)
    assert ws["name"] == "Plan" and ws["settings"]["filter"]["segments"] == {"Region": ["EMEA"]}
    assert store.get_file(ws["file_sha"])[1] == b"id,ltr\n1,10\n"
    sample = store.create("d", "S", "sample_survey.csv", SAMPLE)
    assert store.load(store.import_bytes("e", store.export_bytes(sample)))["file_sha"] == SAMPLE
    with pytest.raises(CxInputError):
        store.import_bytes("e", b"not a zip")
