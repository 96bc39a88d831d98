"""The library's SQLite database: documents, their passages, and an FTS5 index over passages.

WAL mode, and every document is written in one transaction (its old passages out, its text and
new passages in), so a process killed at any moment leaves the database as it was after the
last whole document: the next refresh carries on from there. A database that SQLite cannot
read is moved aside (never deleted) and a fresh one is made; `recovered` says so, and the
caller re-indexes from the list of sources, which lives outside the database.

The FTS5 table is contentless (the passage text is already in `documents`): a passage's index
form is computed again from the document to delete it, so a change of the index form bumps
search_terms.FORM_VERSION and the index is rebuilt from the stored text.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from qa_desktop.engine.errors import QaDesktopError
from qa_desktop.engine.library.passage_splitter import split_passages
from qa_desktop.engine.library.search_terms import FORM_VERSION, TOKENIZER, index_form, match_expression

SCHEMA_VERSION = 1
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    text TEXT NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]',
    indexed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_by_document ON passages(document_id);
CREATE TABLE IF NOT EXISTS skipped (
    path TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    size INTEGER,
    mtime_ns INTEGER
);
CREATE VIRTUAL TABLE IF NOT EXISTS passage_search USING fts5(body, content='', tokenize='{TOKENIZER}');
"""


@dataclass(frozen=True)
class DocumentRecord:
    id: int
    path: str
    size: int
    mtime_ns: int
    sha256: str
    characters: int
    passages: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class PassageHit:
    """A passage the full-text search found: document characters [start, end)."""

    passage_id: int
    document_id: int
    path: str
    start: int
    end: int
    bm25: float  # FTS5's bm25(): lower is better


def storable(path: str) -> str:
    """A path SQLite can hold: undecodable bytes in a file name shown as U+FFFD."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class LibraryIndex:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.recovered: str | None = None  # the message, when a damaged database was moved aside
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._connect()
        except sqlite3.DatabaseError as exc:
            aside = self._move_aside()
            self.recovered = (f"The library database {self.path} was damaged ({exc}); it was moved to "
                              f"{aside} and is rebuilt from the list of sources.")
            self.db = self._connect()

    # -- opening ------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {check}")
            db.executescript(_SCHEMA)
            version = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if version.get("schema") not in (None, str(SCHEMA_VERSION)):
                raise sqlite3.DatabaseError(f"schema version {version.get('schema')} is not {SCHEMA_VERSION}")
            with db:
                db.execute("BEGIN")
                db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            if version.get("form") not in (None, str(FORM_VERSION)):
                self._rebuild_search(db)
            with db:
                db.execute("BEGIN")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('form', ?)", (str(FORM_VERSION),))
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(self.path) + suffix)
            if source.exists():
                os.replace(source, str(aside) + suffix)
        return aside

    @staticmethod
    def _rebuild_search(db: sqlite3.Connection) -> None:
        with db:
            db.execute("BEGIN")
            db.execute("INSERT INTO passage_search(passage_search) VALUES ('delete-all')")
            for document_id, text in db.execute("SELECT id, text FROM documents").fetchall():
                for pid, start, end in db.execute(
                        "SELECT id, start, end FROM passages WHERE document_id=?", (document_id,)).fetchall():
                    db.execute("INSERT INTO passage_search(rowid, body) VALUES (?, ?)",
                               (pid, index_form(text[start:end])))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "LibraryIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing: one transaction per document -------------------------------------------------
    def _delete_passages(self, document_id: int) -> None:
        row = self.db.execute("SELECT text FROM documents WHERE id=?", (document_id,)).fetchone()
        if row is None:
            return
        text = row[0]
        for pid, start, end in self.db.execute(
                "SELECT id, start, end FROM passages WHERE document_id=?", (document_id,)).fetchall():
            self.db.execute("INSERT INTO passage_search(passage_search, rowid, body) VALUES ('delete', ?, ?)",
                            (pid, index_form(text[start:end])))
        self.db.execute("DELETE FROM passages WHERE document_id=?", (document_id,))

    def _drop_document(self, path: str) -> None:
        """Inside a transaction: the document at `path`, its passages and their search rows go."""
        row = self.db.execute("SELECT id FROM documents WHERE path=?", (path,)).fetchone()
        if row is not None:
            self._delete_passages(row[0])
            self.db.execute("DELETE FROM documents WHERE id=?", (row[0],))

    def put_document(self, path: str, size: int, mtime_ns: int, sha256: str, text: str,
                     warnings: tuple[str, ...] = ()) -> int:
        """Index (or re-index) one document; returns its number of passages."""
        ranges = split_passages(text)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute("SELECT id FROM documents WHERE path=?", (path,)).fetchone()
            if row is not None:
                self._delete_passages(row[0])
                self.db.execute("UPDATE documents SET size=?, mtime_ns=?, sha256=?, text=?, warnings=?, "
                                "indexed_at=? WHERE id=?",
                                (size, mtime_ns, sha256, text, json.dumps(list(warnings)), time.time(), row[0]))
                document_id = row[0]
            else:
                document_id = self.db.execute(
                    "INSERT INTO documents(path, size, mtime_ns, sha256, text, warnings, indexed_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (path, size, mtime_ns, sha256, text, json.dumps(list(warnings)), time.time())).lastrowid
            for start, end in ranges:
                pid = self.db.execute("INSERT INTO passages(document_id, start, end) VALUES (?, ?, ?)",
                                      (document_id, start, end)).lastrowid
                self.db.execute("INSERT INTO passage_search(rowid, body) VALUES (?, ?)",
                                (pid, index_form(text[start:end])))
            self.db.execute("DELETE FROM skipped WHERE path=?", (path,))
        return len(ranges)

    def touch_document(self, path: str, size: int, mtime_ns: int) -> None:
        """Same content, new time stamp (a file saved again unchanged): no re-indexing."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE documents SET size=?, mtime_ns=? WHERE path=?", (size, mtime_ns, path))

    def remove_document(self, path: str) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self._drop_document(path)
            self.db.execute("DELETE FROM skipped WHERE path=?", (path,))

    def put_skipped(self, path: str, reason: str, size: int | None = None, mtime_ns: int | None = None) -> None:
        """A file that cannot be indexed, with the reason (its old index entry, if any, leaves)."""
        path = storable(path)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self._drop_document(path)
            self.db.execute("INSERT OR REPLACE INTO skipped VALUES (?, ?, ?, ?)", (path, reason, size, mtime_ns))

    # -- reading -------------------------------------------------------------------------------
    def stamps(self) -> dict[str, tuple[int, int, str]]:
        """path → (size, mtime_ns, sha256) of every indexed document."""
        return {p: (s, m, h) for p, s, m, h in self.db.execute("SELECT path, size, mtime_ns, sha256 FROM documents")}

    def skipped_stamps(self) -> dict[str, tuple[int | None, int | None]]:
        return {p: (s, m) for p, s, m in self.db.execute("SELECT path, size, mtime_ns FROM skipped")}

    def documents(self) -> list[DocumentRecord]:
        rows = self.db.execute(
            "SELECT d.id, d.path, d.size, d.mtime_ns, d.sha256, length(d.text), "
            "(SELECT count(*) FROM passages p WHERE p.document_id = d.id), d.warnings "
            "FROM documents d ORDER BY d.path").fetchall()
        return [DocumentRecord(*row[:7], tuple(json.loads(row[7]))) for row in rows]

    def skipped(self) -> list[SkippedFile]:
        return [SkippedFile(p, r) for p, r in self.db.execute("SELECT path, reason FROM skipped ORDER BY path")]

    def document_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM documents").fetchone()[0]

    def document_text(self, path: str) -> str:
        row = self.db.execute("SELECT text FROM documents WHERE path=?", (path,)).fetchone()
        if row is None:
            raise QaDesktopError(f"{path} is not in the library.")
        return row[0]

    def text_range(self, document_id: int, start: int, end: int) -> str:
        """document text[start:end] without reading the whole document (SQLite counts characters
        as Python does: code points)."""
        row = self.db.execute("SELECT substr(text, ?, ?) FROM documents WHERE id=?",
                              (start + 1, end - start, document_id)).fetchone()
        return row[0] if row else ""

    def search(self, question: str, limit: int) -> list[PassageHit]:
        """The `limit` passages that best match the question, by BM25, best first."""
        expression = match_expression(question)
        if expression is None:
            return []
        rows = self.db.execute(
            "SELECT p.id, p.document_id, d.path, p.start, p.end, hit.rank FROM "
            "(SELECT rowid, rank FROM passage_search WHERE passage_search MATCH ? ORDER BY rank LIMIT ?) hit "
            "JOIN passages p ON p.id = hit.rowid JOIN documents d ON d.id = p.document_id ORDER BY hit.rank, p.id",
            (expression, limit)).fetchall()
        return [PassageHit(*row) for row in rows]
