"""Process-wide SQLite settings that Python's `sqlite3` module does not expose.

One setting: SQLite's memory statistics (`SQLITE_CONFIG_MEMSTATUS`) off. With them on
(the library's default, and Debian's build), every allocation takes one global mutex to
count bytes. A search ranking its index in parallel threads, one connection each
(`indexer.search.SqliteSearch`), allocates for every page it scores, so with the
statistics on its threads mostly wait for each other: two threads ranked a word found on
96,646 of 100,000 pages in 44 ms against 58 ms for one; with them off, in 30 ms against
55. SQLite's documentation recommends the same (its compile-time option
SQLITE_DEFAULT_MEMSTATUS=0: "the sqlite3_malloc() routines run much faster"). Nothing in
parvandeh reads the statistics.

The setting can only change while SQLite is shut down, which is allowed only when no
connection is open. Python's module has already initialized the library, so this shuts it
down and starts it again, and only when SQLite holds no memory at all (so no connection or
statement exists), once per process. Anything unexpected leaves the defaults: this is
speed, never correctness.
"""

from __future__ import annotations

import ctypes
import logging
import threading

log = logging.getLogger(__name__)

_SQLITE_OK = 0
_SQLITE_CONFIG_MEMSTATUS = 9
_lock = threading.Lock()
_tried = False
_lean = False


def _library() -> ctypes.CDLL | None:
    """The SQLite library Python's own module uses (found through that module)."""
    try:
        import _sqlite3

        lib = ctypes.CDLL(_sqlite3.__file__)
        for name in ("sqlite3_memory_used", "sqlite3_shutdown", "sqlite3_config", "sqlite3_initialize"):
            getattr(lib, name)
    except (ImportError, OSError, AttributeError, TypeError):
        return None
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return lib


def lean_allocator() -> bool:
    """Turn SQLite's memory statistics off for this process if that is still safe.

    True when they are off (now or by an earlier call). Call before the process opens
    its first connection; later calls change nothing.
    """
    global _tried, _lean
    with _lock:
        if _tried:
            return _lean
        _tried = True
        lib = _library()
        if lib is None:
            log.debug("SQLite memory statistics left on: the library could not be reached")
            return False
        if lib.sqlite3_memory_used() != 0:
            log.debug("SQLite memory statistics left on: a connection is already open")
            return False
        if lib.sqlite3_shutdown() != _SQLITE_OK:
            return False
        configured = lib.sqlite3_config(_SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == _SQLITE_OK
        started = lib.sqlite3_initialize() == _SQLITE_OK
        _lean = configured and started
        return _lean
