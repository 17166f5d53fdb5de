"""Workspaces: every piece of a user's work, autosaved in an embedded SQLite database.

A workspace holds the loaded file (its bytes, stored once per content hash) and a JSON document of
settings (column roles, filters, codebook edits, 5 Whys, plan fields, what-if assumptions). It is
addressed by an unguessable id carried in the page URL, so a refresh, a second tab or a server
restart loses nothing. A *desk* (a second id in the URL) lists the workspaces one person made;
opening someone's shared workspace link adds it to your own desk and shows you nothing else.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import sqlite3
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cx.errors import CxInputError

ENV_PATH = "CX_WORKBENCH_DB"
FORMAT = "cx-workbench-workspace/1"
SAMPLE = "sample"


def default_path() -> Path:
    """The database path: $CX_WORKBENCH_DB, else ~/.local/share/cx-workbench/workspaces.sqlite."""
    if os.environ.get(ENV_PATH):
        return Path(os.environ[ENV_PATH]).expanduser()
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "cx-workbench" / "workspaces.sqlite"


def new_id() -> str:
    """An unguessable URL-safe id (128 bits)."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class WorkspaceInfo:
    """One workspace as listed: id, name, source file, timestamps."""

    id: str
    name: str
    source: str
    created: float
    updated: float


SCHEMA = """
CREATE TABLE IF NOT EXISTS files (sha TEXT PRIMARY KEY, name TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, file_sha TEXT NOT NULL, source TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS desk_workspaces (
    desk TEXT NOT NULL, workspace TEXT NOT NULL, added REAL NOT NULL, PRIMARY KEY (desk, workspace));
"""


class WorkspaceStore:
    """The SQLite store. Safe for several sessions and server threads (one connection per call)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: safe against an app crash, no fsync per save
        return db

    # --- files ---------------------------------------------------------------------------------

    def put_file(self, name: str, data: bytes) -> str:
        """Store a file's bytes once per content; return its hash."""
        sha = hashlib.sha256(data).hexdigest()
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO files (sha, name, data) VALUES (?, ?, ?)", (sha, name, data))
        return sha

    def get_file(self, sha: str) -> tuple[str, bytes] | None:
        """(name, bytes) of a stored file."""
        with self._connect() as db:
            row = db.execute("SELECT name, data FROM files WHERE sha = ?", (sha,)).fetchone()
        return (row[0], bytes(row[1])) if row else None

    # --- workspaces ----------------------------------------------------------------------------

    def create(self, desk: str, name: str, source: str, file_sha: str = SAMPLE, settings: dict | None = None,
               workspace_id: str | None = None) -> str:
        """Create a workspace on a desk; return its id."""
        wid = workspace_id or new_id()
        now = time.time()
        with self._connect() as db:
            db.execute("INSERT INTO workspaces (id, name, file_sha, source, settings, created, updated) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (wid, name, file_sha, source, json.dumps(settings or {}),
                                                        now, now))
            db.execute("INSERT OR IGNORE INTO desk_workspaces (desk, workspace, added) VALUES (?, ?, ?)",
                       (desk, wid, now))
        return wid

    def exists(self, workspace_id: str) -> bool:
        """True when the workspace is stored."""
        with self._connect() as db:
            return db.execute("SELECT 1 FROM workspaces WHERE id = ?", (workspace_id,)).fetchone() is not None

    def load(self, workspace_id: str) -> dict | None:
        """The workspace: id, name, source, file_sha, settings (dict); None when unknown."""
        with self._connect() as db:
            row = db.execute("SELECT id, name, source, file_sha, settings, created, updated FROM workspaces "
                             "WHERE id = ?", (workspace_id,)).fetchone()
        if row is None:
            return None
        return {"id": row[0], "name": row[1], "source": row[2], "file_sha": row[3], "settings": json.loads(row[4]),
                "created": row[5], "updated": row[6]}

    def save_settings(self, workspace_id: str, settings: dict) -> None:
        """Replace the workspace's settings document."""
        with self._connect() as db:
            db.execute("UPDATE workspaces SET settings = ?, updated = ? WHERE id = ?",
                       (json.dumps(settings, default=str), time.time(), workspace_id))

    def set_file(self, workspace_id: str, file_sha: str, source: str) -> None:
        """Point the workspace at another loaded file."""
        with self._connect() as db:
            db.execute("UPDATE workspaces SET file_sha = ?, source = ?, updated = ? WHERE id = ?",
                       (file_sha, source, time.time(), workspace_id))

    def rename(self, workspace_id: str, name: str) -> None:
        """Rename a workspace."""
        name = name.strip()
        if not name:
            raise CxInputError("A workspace needs a name.")
        with self._connect() as db:
            db.execute("UPDATE workspaces SET name = ?, updated = ? WHERE id = ?", (name[:120], time.time(),
                                                                                    workspace_id))

    def delete(self, workspace_id: str) -> None:
        """Delete a workspace everywhere (and its file, when no other workspace uses it)."""
        with self._connect() as db:
            row = db.execute("SELECT file_sha FROM workspaces WHERE id = ?", (workspace_id,)).fetchone()
            db.execute("DELETE FROM workspaces WHERE id = ?", (workspace_id,))
            db.execute("DELETE FROM desk_workspaces WHERE workspace = ?", (workspace_id,))
            if row and row[0] != SAMPLE:
                used = db.execute("SELECT 1 FROM workspaces WHERE file_sha = ?", (row[0],)).fetchone()
                if not used:
                    db.execute("DELETE FROM files WHERE sha = ?", (row[0],))

    def add_to_desk(self, desk: str, workspace_id: str) -> None:
        """List a workspace on a desk (opening a shared link does this)."""
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO desk_workspaces (desk, workspace, added) VALUES (?, ?, ?)",
                       (desk, workspace_id, time.time()))

    def list_desk(self, desk: str) -> list[WorkspaceInfo]:
        """The workspaces on a desk, most recently updated first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT w.id, w.name, w.source, w.created, w.updated FROM workspaces w JOIN desk_workspaces d "
                "ON d.workspace = w.id WHERE d.desk = ? ORDER BY w.updated DESC", (desk,)).fetchall()
        return [WorkspaceInfo(*r) for r in rows]

    # --- one-file export -----------------------------------------------------------------------

    def export_bytes(self, workspace_id: str) -> bytes:
        """The workspace as one .cxw file (a zip: manifest.json with the settings, plus the data file)."""
        ws = self.load(workspace_id)
        if ws is None:
            raise CxInputError("That workspace no longer exists.")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            manifest = {"format": FORMAT, "name": ws["name"], "source": ws["source"], "settings": ws["settings"],
                        "sample": ws["file_sha"] == SAMPLE}
            z.writestr("manifest.json", json.dumps(manifest, indent=2, default=str))
            if ws["file_sha"] != SAMPLE:
                stored = self.get_file(ws["file_sha"])
                if stored:
                    z.writestr("data/" + Path(stored[0]).name, stored[1])
        return buf.getvalue()

    def import_bytes(self, desk: str, data: bytes) -> str:
        """Create a workspace from a .cxw file; return its id."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                manifest = json.loads(z.read("manifest.json"))
                if manifest.get("format") != FORMAT:
                    raise CxInputError("This is not a CX Workbench workspace file (.cxw).")
                files = [n for n in z.namelist() if n.startswith("data/")]
                if sum(i.file_size for i in z.infolist()) > 2_000_000_000:
                    raise CxInputError("This workspace file is too large to open.")
                sha = SAMPLE
                if not manifest.get("sample"):
                    if not files:
                        raise CxInputError("This workspace file has no data in it.")
                    sha = self.put_file(Path(files[0]).name, z.read(files[0]))
        except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError):
            raise CxInputError("This is not a CX Workbench workspace file (.cxw), or it is damaged. Download "
                               "the workspace again and retry.") from None
        return self.create(desk, str(manifest.get("name") or "Imported workspace")[:120],
                           str(manifest.get("source") or "imported"), sha, manifest.get("settings") or {})
