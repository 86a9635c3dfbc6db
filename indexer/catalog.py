"""The catalog: one SQLite file (WAL) holding sources, paths, pages, identifiers, runs,
quarantined files and the FTS5 index.

Exactly one process writes it (the ingest coordinator). Every page is written in one
transaction together with its index rows, so a page is either fully in or not at all,
and a result that arrives twice is written once.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.corrections import has_review, mark_identifiers, reapply
from indexer.normalize import joined_variants, normalize
from indexer.sqlite_config import lean_allocator

# Before this process opens its first connection (see the module: parallel search threads
# wait on SQLite's memory statistics otherwise); a no-op when one is already open.
lean_allocator()

SCHEMA_VERSION = 1

PENDING, DONE, FAILED = "pending", "done", "failed"

#: Page cache per connection (grown only as pages are read or written) and memory-mapped
#: reads; neither changes what is written or when it is durable.
CACHE_KIB = 64 * 1024
MMAP_BYTES = 256 * 1024 * 1024
#: WAL pages between automatic checkpoints (SQLite's default is 1,000, about 35 page
#: transactions here): each checkpoint syncs, and a page rewritten by many transactions
#: (index interiors, FTS5's structure record) is copied once per checkpoint, not once per
#: 35 pages. Commits stay exactly as durable; the WAL file grows to about 40 MB.
WAL_CHECKPOINT_PAGES = 10_000
#: What the WAL file is cut back to once a checkpoint has emptied it: a merge of a large
#: index (`Catalog.merge_index`) writes the whole index through the WAL once, and the
#: file would otherwise keep that size.
WAL_KEEP_BYTES = 64 * 1024 * 1024
#: The full-text index is merged into one segment (`Catalog.merge_index`) at the end of an
#: ingest that added at least this share of its pages since the last merge.
MERGE_AFTER_SHARE = 0.05

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    sha256 TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    first_path TEXT NOT NULL,
    added TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS paths (
    path TEXT PRIMARY KEY,
    display TEXT NOT NULL,
    dossier TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS paths_sha ON paths(sha256);
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL REFERENCES sources(sha256),
    page INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    stated_dpi INTEGER,
    text TEXT,
    confidence REAL,
    words INTEGER,
    weak_words INTEGER,
    dpi INTEGER,
    dpi_estimated INTEGER,
    rotation INTEGER,
    skew REAL,
    recipe TEXT,
    document_date TEXT,
    image TEXT,
    wordfile TEXT,
    seconds REAL,
    run_id INTEGER,
    updated TEXT,
    UNIQUE (sha256, page)
);
CREATE INDEX IF NOT EXISTS pages_state ON pages(state);
CREATE INDEX IF NOT EXISTS pages_date ON pages(document_date);
CREATE TABLE IF NOT EXISTS identifiers (
    id INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    canonical TEXT NOT NULL,
    section TEXT,
    jalali TEXT,
    valid INTEGER NOT NULL DEFAULT 1,
    warning TEXT,
    box TEXT,
    confidence REAL,
    corrected_from TEXT
);
CREATE INDEX IF NOT EXISTS identifiers_lookup ON identifiers(kind, canonical);
CREATE INDEX IF NOT EXISTS identifiers_page ON identifiers(page_id);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    options TEXT NOT NULL,
    pages_done INTEGER NOT NULL DEFAULT 0,
    pages_failed INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS quarantine (
    path TEXT PRIMARY KEY,
    sha256 TEXT,
    reason TEXT NOT NULL,
    run_id INTEGER,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS repairs (
    sha256 TEXT PRIMARY KEY REFERENCES sources(sha256),
    note TEXT NOT NULL,
    lost TEXT NOT NULL DEFAULT '[]',
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS page_text (
    page_id INTEGER PRIMARY KEY REFERENCES pages(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    extra TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS pages_fts USING fts5(
    body, extra, content='page_text', content_rowid='page_id',
    tokenize='unicode61 remove_diacritics 0'
);
-- QA reviewers' corrections (indexer/corrections.py). pages.text and identifiers hold
-- what is shown and indexed; the OCR's own reading stays in page_reviews.ocr_text and in
-- identifiers.corrected_from, and every correction keeps its old and new value.
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    target TEXT NOT NULL CHECK (target IN ('text', 'identifier', 'reviewed')),
    kind TEXT,
    old TEXT,
    new TEXT,
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS corrections_page ON corrections(page_id);
CREATE TABLE IF NOT EXISTS page_reviews (
    page_id INTEGER PRIMARY KEY REFERENCES pages(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('reviewed', 'corrected', 'needs_review')),
    ocr_text TEXT NOT NULL,
    note TEXT,
    by TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS identifier_reviews (
    identifier_id INTEGER PRIMARY KEY REFERENCES identifiers(id) ON DELETE CASCADE,
    correction_id INTEGER NOT NULL REFERENCES corrections(id) ON DELETE CASCADE
);
"""


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True, slots=True)
class IndexText:
    """A page's two full-text columns: the matching form and its joined affixes."""

    body: str
    extra: str


def index_text(text: str) -> IndexText:
    """What the catalog indexes for a page's `text`.

    Pure and picklable, so page workers can compute it beside OCR and the one writer
    only writes: normalization costs more than the SQLite writes of a page.
    """
    return IndexText(normalize(text), " ".join(joined_variants(text)))


@dataclass(frozen=True, slots=True)
class PageRecord:
    """Everything the coordinator writes for one finished page."""

    sha256: str
    page: int
    text: str
    confidence: float
    words: int
    weak_words: int
    dpi: int
    dpi_estimated: bool
    rotation: int
    skew: float
    recipe: str
    seconds: float
    image: str | None = None
    wordfile: str | None = None
    document_date: str | None = None
    identifiers: Sequence[dict[str, Any]] = field(default_factory=tuple)
    #: `index_text(text)` when a worker already computed it; the writer computes it otherwise.
    index: IndexText | None = None


@dataclass(slots=True)
class _FtsRows:
    """The full-text rows of a transaction's pages, written together at its end.

    A page is written at most once per transaction (a second result finds it done), so
    all the deletes of old rows, then all the inserts, keep each page's delete-then-insert.
    """

    deleted: list[tuple[int, str, str]] = field(default_factory=list)
    inserted: list[tuple[int, str, str]] = field(default_factory=list)

    def write(self, db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO pages_fts (pages_fts, rowid, body, extra) VALUES ('delete', ?, ?, ?)", self.deleted
        )
        db.executemany("INSERT INTO pages_fts (rowid, body, extra) VALUES (?, ?, ?)", self.inserted)


def _read_settings(db: sqlite3.Connection) -> None:
    db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")


def open_reader(path: Path) -> sqlite3.Connection:
    """Another read-only connection to the catalog at ``path`` (never creates a file), with
    the catalog's read settings and ``sqlite3.Row`` rows; usable from any one thread."""
    db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30, check_same_thread=False)
    db.row_factory = sqlite3.Row
    _read_settings(db)
    return db


class Catalog:
    """The archive's SQLite catalog; open one per process, write from one process only."""

    def __init__(self, path: Path, *, any_thread: bool = False) -> None:
        """``any_thread``: the connection may be used from other threads than this one, one
        at a time (the web application's request threads take turns under a lock)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=not any_thread)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        # The default 2 MiB page cache spills a bulk write to the WAL mid-transaction and
        # re-reads the index pages a search touches; mmap spares readers a copy per page.
        _read_settings(self.db)
        self.db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        self.db.execute(f"PRAGMA journal_size_limit={WAL_KEEP_BYTES}")
        self._migrate()

    @classmethod
    def open(cls, archive: Path) -> Catalog:
        return cls(Path(archive) / "catalog.sqlite")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        # executescript commits on its own, so it runs outside our transaction helper.
        self.db.executescript(SCHEMA)
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path} was written by a newer parvandeh (schema {row[0]} > {SCHEMA_VERSION})"
            )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception (Ctrl-C included)."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- runs ---------------------------------------------------------------------------

    def begin_run(self, options: dict[str, Any]) -> int:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO runs (started, options) VALUES (?, ?)",
                (now(), json.dumps(options, ensure_ascii=False, sort_keys=True)),
            )
        return int(cur.lastrowid or 0)

    def end_dead_runs(self) -> int:
        """Mark runs still 'running' as 'killed': their process died before it could say how
        it ended. Only the holder of the archive's ingest lock may call this (no run is alive)."""
        with self.transaction():
            cur = self.db.execute("UPDATE runs SET status = 'killed' WHERE status = 'running'")
        return cur.rowcount

    def finish_run(self, run_id: int, status: str) -> None:
        with self.transaction():
            self.db.execute(
                """UPDATE runs SET finished = ?, status = ?,
                   pages_done = (SELECT count(*) FROM pages WHERE run_id = ? AND state = 'done'),
                   pages_failed = (SELECT count(*) FROM pages WHERE run_id = ? AND state = 'failed'),
                   quarantined = (SELECT count(*) FROM quarantine WHERE run_id = ?)
                   WHERE id = ?""",
                (now(), status, run_id, run_id, run_id, run_id),
            )

    def merge_index(self, *, force: bool = False) -> bool:
        """Merge the full-text index into one segment (FTS5 `optimize`), when pages added
        since the last merge are `MERGE_AFTER_SHARE` of the index or more (or `force`).
        True when it merged.

        Each transaction adds segments that FTS5 merges only in part, so an index written
        in batches is many segments, and every word looked up probes each of them. Ranking
        hardly changes, but looking up the many spellings `--fuzzy` tries got 3-5 times
        faster on 100,000 pages (p50 17 → 9 ms). Merging rewrites the index: about 0.7 s
        per 100,000 pages, with readers going on meanwhile. Afterwards the WAL is
        checkpointed without waiting for readers; the next write cuts the file back to
        `WAL_KEEP_BYTES`.
        """
        high = self.db.execute("SELECT max(page_id) FROM page_text").fetchone()[0] or 0
        row = self.db.execute("SELECT value FROM meta WHERE key = 'index_merged_through'").fetchone()
        merged_through = int(row[0]) if row else 0
        added = high - merged_through
        if not force and (added <= 0 or added < MERGE_AFTER_SHARE * high):
            return False
        with self.transaction():
            self.db.execute("INSERT INTO pages_fts (pages_fts) VALUES ('optimize')")
            self.db.execute(
                "INSERT INTO meta VALUES ('index_merged_through', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(high),),
            )
        self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        return True

    # -- ledger -------------------------------------------------------------------------

    def known_path(self, path: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM paths WHERE path = ?", (path,)).fetchone()

    def source(self, sha256: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM sources WHERE sha256 = ?", (sha256,)).fetchone()

    def record_path(
        self, *, path: str, display: str, dossier: str, sha256: str, size: int, mtime_ns: int
    ) -> None:
        """Remember where a source was seen; the same bytes may live under many paths."""
        with self.transaction():
            self.db.execute(
                """INSERT INTO paths (path, display, dossier, sha256, size, mtime_ns, seen)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256,
                     size = excluded.size, mtime_ns = excluded.mtime_ns, seen = excluded.seen""",
                (path, display, dossier, sha256, size, mtime_ns, now()),
            )

    def add_source(
        self, *, sha256: str, kind: str, size: int, dpis: Sequence[int | None], first_path: str
    ) -> None:
        """Ledger a new source and one pending row per page, atomically."""
        with self.transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO sources (sha256, kind, size, pages, first_path, added) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (sha256, kind, size, len(dpis), first_path, now()),
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO pages (sha256, page, stated_dpi) VALUES (?, ?, ?)",
                [(sha256, i + 1, dpi) for i, dpi in enumerate(dpis)],
            )
            self.db.execute("DELETE FROM quarantine WHERE sha256 = ?", (sha256,))

    def record_repair(self, sha256: str, note: str, lost: Sequence[int] = ()) -> None:
        """Remember that a source is read from a repaired copy, what the repair did, and
        which pages it could not recover (blank in the copy: never to be OCR'd)."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO repairs (sha256, note, lost, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (sha256) DO UPDATE SET note = excluded.note, lost = excluded.lost, at = excluded.at",
                (sha256, note, json.dumps(sorted(lost)), now()),
            )

    def repair(self, sha256: str) -> tuple[str, frozenset[int]] | None:
        """What the repair of a source did and the pages it lost, or None if never repaired."""
        row = self.db.execute("SELECT note, lost FROM repairs WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else (str(row["note"]), frozenset(json.loads(row["lost"])))

    def repaired_list(self) -> list[sqlite3.Row]:
        """Sources read from a repaired copy, with what was repaired (for `status`)."""
        return self.db.execute(
            "SELECT s.first_path AS path, r.note FROM repairs r JOIN sources s USING (sha256) ORDER BY s.first_path"
        ).fetchall()

    def quarantine(self, *, path: str, sha256: str | None, reason: str, run_id: int | None) -> None:
        with self.transaction():
            self.db.execute(
                """INSERT INTO quarantine (path, sha256, reason, run_id, at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256,
                     reason = excluded.reason, run_id = excluded.run_id, at = excluded.at""",
                (path, sha256, reason, run_id, now()),
            )

    def quarantined(self, path: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM quarantine WHERE path = ?", (path,)).fetchone()

    def release(self, path: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM quarantine WHERE path = ?", (path,))

    def pages_to_do(self, sha256: str, *, retry_failed: bool = False) -> list[sqlite3.Row]:
        states = (PENDING, FAILED) if retry_failed else (PENDING,)
        marks = ",".join("?" * len(states))
        return self.db.execute(
            f"SELECT page, stated_dpi FROM pages WHERE sha256 = ? AND state IN ({marks}) ORDER BY page",
            (sha256, *states),
        ).fetchall()

    def mark_failed(self, sha256: str, page: int, error: str, run_id: int) -> None:
        with self.transaction():
            self.db.execute(
                """UPDATE pages SET state = 'failed', error = ?, attempts = attempts + 1,
                   run_id = ?, updated = ? WHERE sha256 = ? AND page = ? AND state != 'done'""",
                (error, run_id, now(), sha256, page),
            )

    def record_page(self, rec: PageRecord, run_id: int) -> bool:
        """Write a finished page with its index rows; False when it was already done."""
        return self.record_pages((rec,), run_id) == 1

    def record_pages(self, records: Iterable[PageRecord], run_id: int) -> int:
        """`record_page` for many pages in one transaction; returns how many were new.

        The same per-page writes, so the catalog ends up identical; committing once per
        batch instead of once per page is what makes bulk indexing fast. All or nothing:
        an error rolls the whole batch back, and a re-run writes it again.

        The full-text rows go in last, after every page's other rows (`_FtsRows`): a
        statement that may need undoing part-way (INSERT OR REPLACE, a multi-row insert)
        opens a savepoint, and FTS5 answers a savepoint by flushing the terms it holds
        in memory to a new segment on disk. Interleaved, that was one segment per page,
        and merging them cost more than all the other writes together.
        """
        fts = _FtsRows()
        with self.transaction():
            try:
                return sum(self._write_page(rec, run_id, fts) for rec in records)
            finally:  # inside a caller's transaction, the pages written so far stay whole
                fts.write(self.db)

    def _write_page(self, rec: PageRecord, run_id: int, fts: _FtsRows) -> bool:
        row = self.db.execute(
            "SELECT id, state FROM pages WHERE sha256 = ? AND page = ?", (rec.sha256, rec.page)
        ).fetchone()
        if row is None:
            raise KeyError(f"page {rec.page} of {rec.sha256[:12]} is not in the ledger")
        if row["state"] == DONE:
            return False
        page_id = int(row["id"])
        self.db.execute(
            """UPDATE pages SET state = 'done', error = NULL, attempts = attempts + 1,
               text = ?, confidence = ?, words = ?, weak_words = ?, dpi = ?, dpi_estimated = ?,
               rotation = ?, skew = ?, recipe = ?, document_date = ?, image = ?, wordfile = ?,
               seconds = ?, run_id = ?, updated = ? WHERE id = ?""",
            (
                rec.text, rec.confidence, rec.words, rec.weak_words, rec.dpi,
                int(rec.dpi_estimated), rec.rotation, rec.skew, rec.recipe, rec.document_date,
                rec.image, rec.wordfile, rec.seconds, run_id, now(), page_id,
            ),
        )
        if has_review(self.db, page_id):  # a re-OCR of a reviewed page: keep its corrections
            text, identifiers, marks = reapply(self, page_id, rec.text, rec.identifiers)
            if text is not None:
                self.db.execute("UPDATE pages SET text = ? WHERE id = ?", (text, page_id))
            self._write_identifiers(page_id, identifiers)
            mark_identifiers(self, page_id, marks)
            self._index_page(page_id, rec.text if text is None else text, rec.index if text is None else None, fts)
            return True
        self._write_identifiers(page_id, rec.identifiers)
        self._index_page(page_id, rec.text, rec.index, fts)
        return True

    def requeue_page(self, sha256: str, page: int) -> bool:
        """A done page back to pending, so the next ingest of its file OCRs it again.

        Its corrections are kept and re-applied over the new reading (`reapply`); the
        page is flagged for review when the OCR text changed under them. True when the
        page was done.
        """
        with self.transaction():
            cur = self.db.execute(
                "UPDATE pages SET state = 'pending', updated = ? WHERE sha256 = ? AND page = ? AND state = 'done'",
                (now(), sha256, page),
            )
        return cur.rowcount == 1

    def _write_identifiers(self, page_id: int, identifiers: Sequence[dict[str, Any]]) -> None:
        self.db.execute("DELETE FROM identifiers WHERE page_id = ?", (page_id,))
        self.db.executemany(
            """INSERT INTO identifiers (page_id, kind, text, canonical, section, jalali, valid,
               warning, box, confidence, corrected_from) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
            [
                (
                    page_id, i["kind"], i["text"], i["canonical"], i.get("section"), i.get("jalali"),
                    int(i.get("valid", True)), i.get("warning"),
                    json.dumps(i["box"]) if i.get("box") else None, i.get("confidence"),
                    i.get("corrected_from"),
                )
                for i in identifiers
            ],
        )

    def _index_page(self, page_id: int, text: str, index: IndexText | None, fts: _FtsRows) -> None:
        """Write page_text now and queue its external-content FTS rows (delete, then insert)."""
        old = self.db.execute("SELECT body, extra FROM page_text WHERE page_id = ?", (page_id,)).fetchone()
        if old is not None:
            fts.deleted.append((page_id, old["body"], old["extra"]))
        forms = index if index is not None else index_text(text)
        body, extra = forms.body, forms.extra
        self.db.execute(
            "INSERT OR REPLACE INTO page_text (page_id, body, extra) VALUES (?, ?, ?)",
            (page_id, body, extra),
        )
        fts.inserted.append((page_id, body, extra))

    # -- reading ------------------------------------------------------------------------

    def index_terms(self, candidates: Iterable[str]) -> dict[str, int]:
        """Which of `candidates` are terms of the full-text index, with their page counts.

        Reads an `fts5vocab` table over pages_fts. It lives in this connection's temp
        schema, so a reader can create it during an ingest without taking a write lock.
        """
        wanted = sorted(set(candidates))
        if not wanted:
            return {}
        self.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.pages_vocab USING fts5vocab(main, pages_fts, row)"
        )
        out: dict[str, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(
                (term, int(doc))
                for term, doc in self.db.execute(
                    f"SELECT term, doc FROM temp.pages_vocab WHERE term IN ({marks})", chunk
                )
            )
        return out

    def counts(self) -> dict[str, int]:
        out = {"sources": 0, "paths": 0, "pages": 0, PENDING: 0, DONE: 0, FAILED: 0, "quarantined": 0}
        out["sources"] = self.db.execute("SELECT count(*) FROM sources").fetchone()[0]
        out["paths"] = self.db.execute("SELECT count(*) FROM paths").fetchone()[0]
        for state, n in self.db.execute("SELECT state, count(*) FROM pages GROUP BY state"):
            out[state] = n
            out["pages"] += n
        out["quarantined"] = self.db.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        return out

    def quarantine_list(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM quarantine ORDER BY path").fetchall()

    def failed_pages(self) -> list[sqlite3.Row]:
        return self.db.execute(
            """SELECT p.sha256, p.page, p.error, p.attempts, s.first_path FROM pages p
               JOIN sources s USING (sha256) WHERE p.state = 'failed' ORDER BY s.first_path, p.page"""
        ).fetchall()

    def last_run(self) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()

    def primary_paths(self) -> dict[str, sqlite3.Row]:
        """One displayed path and dossier per source: the first one discovered."""
        rows = self.db.execute(
            """SELECT p.* FROM paths p JOIN sources s ON s.sha256 = p.sha256
               ORDER BY (p.path = s.first_path) DESC, p.seen"""
        ).fetchall()
        out: dict[str, sqlite3.Row] = {}
        for row in rows:
            out.setdefault(row["sha256"], row)
        return out

    def identifiers_for(self, page_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {pid: [] for pid in page_ids}
        if not page_ids:
            return out
        marks = ",".join("?" * len(page_ids))
        for row in self.db.execute(
            f"""SELECT i.*, r.correction_id FROM identifiers i
                LEFT JOIN identifier_reviews r ON r.identifier_id = i.id
                WHERE i.page_id IN ({marks}) ORDER BY i.page_id, i.id""",
            tuple(page_ids),
        ):
            item: dict[str, Any] = {"kind": row["kind"], "text": row["text"], "canonical": row["canonical"]}
            for key in ("section", "jalali", "warning", "corrected_from"):
                if row[key] is not None:
                    item[key] = row[key]
            if not row["valid"]:
                item["valid"] = False
            if row["correction_id"] is not None:  # set by a reviewer (indexer/corrections.py)
                item["correction"] = row["correction_id"]
            out[row["page_id"]].append(item)
        return out

    def done_pages(self) -> Iterator[sqlite3.Row]:
        """Finished pages in a stable order: by displayed path, then page number."""
        yield from self.db.execute(
            """SELECT p.*, s.first_path FROM pages p JOIN sources s USING (sha256)
               WHERE p.state = 'done' ORDER BY s.first_path, p.page"""
        )

    def pages_with_identifier(self, kind: str, canonical: str) -> list[sqlite3.Row]:
        """Every page naming an identifier, oldest document first (undated pages last)."""
        return self.db.execute(
            """SELECT DISTINCT p.id, p.sha256, p.page, p.document_date, pa.display, pa.dossier,
                      i.text AS written, i.corrected_from
               FROM identifiers i JOIN pages p ON p.id = i.page_id
               JOIN sources s ON s.sha256 = p.sha256 JOIN paths pa ON pa.path = s.first_path
               WHERE i.kind = ? AND i.canonical = ? AND p.state = 'done'
               ORDER BY p.document_date IS NULL, p.document_date, pa.dossier, pa.display, p.page""",
            (kind, canonical),
        ).fetchall()

    # -- identifiers from the catalog alone (OCR once) and dossier consensus ---------------

    def replace_identifiers(self, page_id: int, identifiers: Sequence[dict[str, Any]]) -> None:
        """A done page's identifiers, extracted again from its stored words (a reviewer's
        identifier corrections are applied over them again)."""
        with self.transaction():
            marks: Sequence[int | None] = ()
            if has_review(self.db, page_id):
                _text, identifiers, marks = reapply(self, page_id, None, identifiers)
            self._write_identifiers(page_id, identifiers)
            mark_identifiers(self, page_id, marks)

    def redate_page(self, page_id: int, date: str | None) -> bool:
        """Set a done page's own date (ISO) as a re-extraction found it; whether it changed.
        A page a reviewer has worked on keeps its date: a text correction or an identifier
        correction set it (``indexer.corrections``), and the person's word stands."""
        if has_review(self.db, page_id):
            return False
        with self.transaction():
            changed = self.db.execute(
                "UPDATE pages SET document_date = ? WHERE id = ? AND document_date IS NOT ?",
                (date, page_id, date),
            ).rowcount
        return bool(changed)

    def dossiers_of(self, shas: Iterable[str]) -> list[str]:
        """The dossiers of these sources (through the path each was first seen at)."""
        wanted = sorted(set(shas))
        out: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(
                row[0]
                for row in self.db.execute(
                    f"""SELECT pa.dossier FROM sources s JOIN paths pa ON pa.path = s.first_path
                        WHERE s.sha256 IN ({marks})""",
                    chunk,
                )
            )
        return sorted(out)

    def _ensure_corrections(self) -> None:
        """The QA table of dossier-consensus decisions (created on first use)."""
        self.db.execute(
            """CREATE TABLE IF NOT EXISTS identifier_corrections (
                identifier_id INTEGER PRIMARY KEY REFERENCES identifiers(id) ON DELETE CASCADE,
                dossier TEXT NOT NULL,
                kind TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('corrected', 'kept')),
                page_reading TEXT NOT NULL,
                majority TEXT NOT NULL,
                pages_with_reading INTEGER NOT NULL,
                pages_with_majority INTEGER NOT NULL,
                reason TEXT NOT NULL,
                page_valid INTEGER NOT NULL,
                page_warning TEXT,
                at TEXT NOT NULL
            )"""
        )

    def consensus_readings(
        self, dossiers: Sequence[str] | None, kinds: Sequence[str]
    ) -> list[sqlite3.Row]:
        """Identifiers of done pages with their dossier and any consensus decision on them."""
        self._ensure_corrections()
        where = [
            f"i.kind IN ({','.join('?' * len(kinds))})",
            "p.state = 'done'",
            # a reviewer's correction is a decision consensus never overrides
            "NOT EXISTS (SELECT 1 FROM identifier_reviews r WHERE r.identifier_id = i.id)",
        ]
        params: list[Any] = list(kinds)
        if dossiers is not None:
            where.append(f"pa.dossier IN ({','.join('?' * len(dossiers))})")
            params.extend(dossiers)
        return self.db.execute(
            f"""SELECT i.id, i.page_id, i.kind, i.text, i.canonical, i.corrected_from, i.valid,
                       i.warning, i.confidence, pa.dossier, c.status, c.majority, c.page_valid,
                       c.page_warning, c.reason, c.pages_with_reading, c.pages_with_majority
                FROM identifiers i JOIN pages p ON p.id = i.page_id
                JOIN sources s ON s.sha256 = p.sha256 JOIN paths pa ON pa.path = s.first_path
                LEFT JOIN identifier_corrections c ON c.identifier_id = i.id
                WHERE {' AND '.join(where)} ORDER BY pa.dossier, i.kind, i.page_id, i.id""",
            params,
        ).fetchall()

    def record_consensus(
        self,
        updates: Sequence[dict[str, Any]],
        flags: Sequence[dict[str, Any]],
        unflag: Sequence[int],
    ) -> None:
        """Write consensus decisions in one transaction: identifier readings, QA flags."""
        self._ensure_corrections()
        with self.transaction():
            self.db.executemany(
                """UPDATE identifiers SET canonical = :canonical, corrected_from = :corrected_from,
                   valid = :valid, warning = :warning WHERE id = :id""",
                updates,
            )
            self.db.executemany(
                """INSERT INTO identifier_corrections (identifier_id, dossier, kind, status,
                     page_reading, majority, pages_with_reading, pages_with_majority, reason,
                     page_valid, page_warning, at)
                   VALUES (:identifier_id, :dossier, :kind, :status, :page_reading, :majority,
                     :pages_with_reading, :pages_with_majority, :reason, :page_valid,
                     :page_warning, :at)
                   ON CONFLICT (identifier_id) DO UPDATE SET status = excluded.status,
                     majority = excluded.majority, pages_with_reading = excluded.pages_with_reading,
                     pages_with_majority = excluded.pages_with_majority, reason = excluded.reason,
                     at = excluded.at""",
                [{**flag, "at": now()} for flag in flags],
            )
            self.db.executemany(
                "DELETE FROM identifier_corrections WHERE identifier_id = ?",
                [(identifier_id,) for identifier_id in unflag],
            )

    def identifier_corrections(
        self, *, dossier: str | None = None, status: str | None = None
    ) -> list[sqlite3.Row]:
        """Dossier-consensus decisions for QA: identifiers corrected to the dossier's reading
        (``status='corrected'``) and disagreements kept because both could be real
        (``'kept'``), with the page they are on."""
        self._ensure_corrections()
        where, params = ["1 = 1"], []
        if dossier is not None:
            where.append("c.dossier = ?")
            params.append(dossier)
        if status is not None:
            where.append("c.status = ?")
            params.append(status)
        return self.db.execute(
            f"""SELECT c.*, i.text, i.canonical, i.corrected_from, i.confidence, i.box,
                       p.sha256, p.page, pa.display
                FROM identifier_corrections c JOIN identifiers i ON i.id = c.identifier_id
                JOIN pages p ON p.id = i.page_id JOIN sources s ON s.sha256 = p.sha256
                JOIN paths pa ON pa.path = s.first_path
                WHERE {' AND '.join(where)}
                ORDER BY c.dossier, c.kind, pa.display, p.page, c.identifier_id""",
            params,
        ).fetchall()
