"""SQLite's memory statistics off for parallel search threads (indexer.sqlite_config).

Each case runs in a fresh interpreter: the setting is per process and decided once.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MEMORY_USED = """
import ctypes, _sqlite3
lib = ctypes.CDLL(_sqlite3.__file__)
lib.sqlite3_memory_used.restype = ctypes.c_int64
"""


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", MEMORY_USED + code], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip()


def test_statistics_are_off_once_the_catalog_module_is_imported(tmp_path: Path) -> None:
    out = _run(f"""
import sqlite3
import indexer.catalog
from indexer.sqlite_config import lean_allocator
from indexer.query import SearchQuery
from indexer.search import SqliteSearch
with indexer.catalog.Catalog({str(tmp_path / "catalog.sqlite")!r}) as cat:
    used = lib.sqlite3_memory_used()  # an open connection counts nothing: statistics are off
    found = SqliteSearch(cat).search(SearchQuery.build("شهرداری")).total
print(lean_allocator(), used, found)
""")
    assert out == "True 0 0"


def test_statistics_stay_on_when_a_connection_is_already_open() -> None:
    out = _run("""
import sqlite3
db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE t (x)")
from indexer.sqlite_config import lean_allocator
lean = lean_allocator()
db.execute("INSERT INTO t VALUES ('کرج')")  # the open connection is untouched
print(lean, lib.sqlite3_memory_used() > 0, db.execute("SELECT x FROM t").fetchone()[0])
""")
    assert out == "False True کرج"
