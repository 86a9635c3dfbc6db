"""Search over the catalog: the SQLite FTS5 backend and the result shape every backend returns.

The SQL is built apart from running it (sqlite-utils' pattern), every user token is quoted,
and a statement the engine still refuses falls back to plain words.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from indexer.catalog import Catalog, open_reader
from indexer.dates import iso_to_jalali
from indexer.normalize import display, normalize
from indexer.query import (
    DOSSIER_HITS,
    EXACT_BOOST,
    Clause,
    SearchQuery,
    expand_fuzzy,
    fuzzy_clause,
    match_tokens,
    one_edit_variants,
    within_one_edit,
)

log = logging.getLogger(__name__)

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
SNIPPET_WORDS = 28


@dataclass(frozen=True, slots=True)
class Hit:
    source: str
    sha256: str
    dossier: str
    page: int
    date: str | None
    score: float
    snippet: str
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: `date` stays ISO (it sorts and joins); `jalali` beside it is the
        date as planners read it (1387/04/16), null with it."""
        out = asdict(self)
        return {**{k: out.pop(k) for k in ("source", "sha256", "dossier", "page", "date")},
                "jalali": iso_to_jalali(self.date), **out}


@dataclass(frozen=True, slots=True)
class DossierGroup:
    """One dossier's best pages when hits are grouped; `total` counts all its matching pages."""

    dossier: str
    total: int
    hits: tuple[Hit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"dossier": self.dossier, "total": self.total, "hits": [h.to_dict() for h in self.hits]}


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Ranked hits. Grouped results (`by_dossier`) also carry `dossiers`, best dossier first,
    and keep the flat `hits` (the groups' hits in order), so scripts reading `hits` work
    either way; `total` always counts matching pages."""

    query: str
    total: int
    hits: tuple[Hit, ...]
    dossiers: tuple[DossierGroup, ...] | None = None

    def masked(self, mask: Callable[[str], str]) -> SearchResult:
        """The same result with `mask` applied to every snippet (personal data stays hidden)."""

        def one(hit: Hit) -> Hit:
            return replace(hit, snippet=mask(hit.snippet))

        groups = None
        if self.dossiers is not None:
            groups = tuple(replace(g, hits=tuple(one(h) for h in g.hits)) for g in self.dossiers)
        return replace(self, hits=tuple(one(h) for h in self.hits), dossiers=groups)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"query": self.query, "total": self.total, "hits": [h.to_dict() for h in self.hits]}
        if self.dossiers is not None:
            out["dossiers"] = [g.to_dict() for g in self.dossiers]
        return out


def grouped(query: str, total: int, groups: Sequence[DossierGroup]) -> SearchResult:
    """A grouped result; the flat hits are the groups' hits, best dossier first."""
    return SearchResult(query, total, tuple(h for g in groups for h in g.hits), tuple(groups))


class SearchBackend(Protocol):
    def search(self, query: SearchQuery) -> SearchResult: ...


def quote(token: str) -> str:
    """An FTS5 string: the token can never be read as syntax."""
    return '"' + token.replace('"', '""') + '"'


def _clause_expr(clause: Clause) -> str:
    parts = []
    for alt in clause.alternatives:
        expr = quote(" ".join(alt))
        parts.append(expr + ("*" if clause.prefix else ""))
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def fts_expression(clauses: Sequence[Clause]) -> tuple[str | None, list[str]]:
    """The MATCH expression for the positive clauses, and one per excluded clause."""
    positive = [_clause_expr(c) for c in clauses if not c.negated]
    negative = [_clause_expr(c) for c in clauses if c.negated]
    return (" AND ".join(positive) if positive else None), negative


class Sql(NamedTuple):
    """The statements of one search, each with its parameters (paging included)."""

    select: str
    select_params: list[Any]
    total: str
    total_params: list[Any]


#: Hit order everywhere: exact before fuzzy, score, then document date (undated first),
#: source path, page.
ORDER = "tier DESC, score DESC, document_date, display, page"
_COLUMNS = "p.id, p.sha256, p.page, p.document_date, p.confidence, pa.display, pa.dossier"
_JOINS = "JOIN sources s ON s.sha256 = p.sha256 JOIN paths pa ON pa.path = s.first_path"
_BM25 = "-bm25(pages_fts, 1.0, 0.6)"
#: Candidates beyond the ones asked for, ranked by the index alone before page rows are
#: read (see `SqliteSearch`): room for ties at the edge, which would cost a second pass.
TOP_SLACK = 100
#: Indexed pages from which ranking in the index splits it into page-id ranges, one per
#: thread (`SqliteSearch`); below it one pass is a few milliseconds and threads only add
#: their overhead.
PARALLEL_FROM_PAGES = 20_000
#: Most threads one search ranks in by default (`PARVANDEH_SEARCH_THREADS` overrides).
MAX_SEARCH_THREADS = 4


def search_threads() -> int:
    """Threads a search ranks in: `PARVANDEH_SEARCH_THREADS`, else this process's CPUs
    (at most `MAX_SEARCH_THREADS`). 1 ranks in the calling thread only."""
    given = os.environ.get("PARVANDEH_SEARCH_THREADS", "").strip()
    if given:
        try:
            return max(1, int(given))
        except ValueError:
            raise ValueError(f"PARVANDEH_SEARCH_THREADS must be a whole number, not {given!r}") from None
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(MAX_SEARCH_THREADS, cpus))


@dataclass(frozen=True)
class _Parts:
    """A query as SQL pieces; `row` stands for the page id (p.id or the FTS rowid)."""

    match: str | None
    tier: str  # "0" when no clause is fuzzy
    tier_params: list[str]
    row_filters: list[str]  # conditions on the page id alone
    row_params: list[Any]
    date_filters: list[str]  # conditions on a pages row's columns, unqualified
    date_params: list[str]

    def at(self, row: str) -> tuple[str, list[Any]]:
        """The row-level conditions (AND-ed, leading " AND ") for a page-id expression."""
        sql = "".join(f" AND {f.format(row=row)}" for f in self.row_filters)
        return sql, list(self.row_params)

    def dated(self, row: str) -> tuple[str, list[str]]:
        """The date filters as one condition on a page-id expression (leading " AND "), for
        ranking in the index: the pages in range come from the date index once, and the
        unary + keeps them a filter on the matches, not one FTS5 query per page."""
        if not self.date_filters:
            return "", []
        where = " AND ".join(f"d.{f}" for f in self.date_filters)
        return f" AND +{row} IN (SELECT d.id FROM pages d WHERE {where})", list(self.date_params)

    def score(self, row: str) -> tuple[str, list[str]]:
        tier = self.tier.format(row=row)
        if self.match is None:
            return "0.0", []
        if tier == "0":
            return _BM25, []
        return f"{_BM25} + {EXACT_BOOST!r} * {tier}", list(self.tier_params)


def _parts(query: SearchQuery, clauses: Sequence[Clause], *, fuzzy: bool) -> _Parts:
    match, excluded = fts_expression(clauses)
    tier, tier_params = _tier(query.clauses, clauses) if fuzzy else ("0", [])
    row_filters: list[str] = []
    row_params: list[Any] = []
    for expr in excluded:
        row_filters.append("{row} NOT IN (SELECT rowid FROM pages_fts WHERE pages_fts MATCH ?)")
        row_params.append(expr)
    for kind, canonical in query.identifiers:
        row_filters.append("{row} IN (SELECT page_id FROM identifiers WHERE kind = ? AND canonical = ?)")
        row_params += [kind, canonical]
    if query.dossier:
        row_filters.append(
            "{row} IN (SELECT g.id FROM pages g WHERE g.sha256 IN (SELECT sha256 FROM paths WHERE dossier = ?))"
        )
        row_params.append(query.dossier)
    dates, date_params = [], []
    if query.date_from:
        dates.append("document_date >= ?")
        date_params.append(query.date_from)
    if query.date_to:
        dates.append("document_date <= ?")
        date_params.append(query.date_to)
    return _Parts(match, tier, tier_params, row_filters, row_params, dates, date_params)


def _clauses(query: SearchQuery, plain: bool, expanded: Sequence[Clause] | None) -> tuple[Clause, ...]:
    if plain:
        return tuple(Clause(((tok,),)) for c in query.clauses if not c.negated for tok in c.alternatives[0])
    return tuple(expanded) if expanded is not None else query.clauses


def build_sql(
    query: SearchQuery, *, plain: bool = False, expanded: Sequence[Clause] | None = None
) -> Sql:
    """The statements for a query: `plain` ignores operators; `expanded` are the query's
    clauses with fuzzy alternatives (`expand_fuzzy`), whose exact matches rank first.

    Grouped queries number the hits in rank order, keep each dossier's best
    `DOSSIER_HITS`, and page over dossiers ordered by their best hit.
    """
    parts = _parts(query, _clauses(query, plain, expanded), fuzzy=expanded is not None and not plain)
    params: list[Any] = []
    where = ["+p.state = 'done'"]  # unary +: never drive the search from the state index
    if parts.match is not None:
        # CROSS JOIN keeps the index as the outer loop: the planner would otherwise walk
        # every done page and ask FTS5 about each one.
        source = "pages_fts f CROSS JOIN pages p ON p.id = f.rowid"
        where.append("pages_fts MATCH ?")
        params.append(parts.match)
    else:
        source = "pages p"
    rows, row_params = parts.at("p.id")
    dates = [f"p.{f}" for f in parts.date_filters]
    body = f"FROM {source} {_JOINS} WHERE {' AND '.join(where + dates)}{rows}"
    params += parts.date_params + row_params
    score, score_params = parts.score("p.id")
    tier, tier_params = parts.tier.format(row="p.id"), (parts.tier_params if parts.tier != "0" else [])
    matched = f"SELECT {_COLUMNS}, {score} AS score, {tier} AS tier {body}"
    matched_params = [*score_params, *tier_params, *params]
    if query.by_dossier:
        select = (
            f"WITH m AS ({matched}), "
            f"r AS (SELECT *, row_number() OVER (ORDER BY {ORDER}) AS rn, "
            f"row_number() OVER (PARTITION BY dossier ORDER BY {ORDER}) AS drn, "
            f"count(*) OVER (PARTITION BY dossier) AS dossier_hits FROM m), "
            f"g AS (SELECT dossier, min(rn) AS best FROM r GROUP BY dossier ORDER BY best LIMIT ? OFFSET ?) "
            f"SELECT r.* FROM r JOIN g USING (dossier) WHERE r.drn <= ? ORDER BY g.best, r.drn"
        )
        paging = [query.limit, query.offset, DOSSIER_HITS]
    else:
        select = f"{matched} ORDER BY {ORDER} LIMIT ? OFFSET ?"
        paging = [query.limit, query.offset]
    return Sql(select, [*matched_params, *paging], f"SELECT count(*) {body}", params)


def build_top_sql(
    query: SearchQuery, *, size: int, expanded: Sequence[Clause] | None = None,
    within: Sequence[int] | None = None, ties: bool = False, span: tuple[int, int] | None = None,
) -> Sql:
    """Rank in the index alone: the best `size` page ids by (tier, score) (all when
    `size` < 0; with `ties`, also every page tied with the last), optionally among the
    pages `within` or with ids in the closed range `span`, and how many pages match.

    Scores do not depend on `span`: bm25 takes its word weights and mean page length
    from the whole index, so ranges ranked apart merge into the order of one pass.

    Equal to `build_sql` only where every indexed page is a done page with a path;
    `SqliteSearch` checks that before using it.
    """
    parts = _parts(query, _clauses(query, False, expanded), fuzzy=expanded is not None)
    if parts.match is None:
        raise ValueError("build_top_sql needs words to match")
    rows, row_params = parts.at("rowid")
    dated, date_params = parts.dated("rowid")
    rows, row_params = rows + dated, row_params + date_params
    if within is not None:
        # unary +: a filter on the matches, not one FTS5 query per listed rowid
        rows += f" AND +rowid IN ({','.join(str(int(i)) for i in within) or 'NULL'})"
    if span is not None:  # FTS5 seeks to the range: the pages outside are never read
        rows += " AND rowid BETWEEN ? AND ?"
        row_params = [*row_params, int(span[0]), int(span[1])]
    score, score_params = parts.score("rowid")
    tier, tier_params = parts.tier.format(row="rowid"), (parts.tier_params if parts.tier != "0" else [])
    body = f"FROM pages_fts WHERE pages_fts MATCH ?{rows}"
    params = [parts.match, *row_params]
    select = f"SELECT rowid AS id, {score} AS score, {tier} AS tier {body}"
    if ties:
        select = (f"SELECT id, score, tier FROM (SELECT *, rank() OVER (ORDER BY tier DESC, score DESC) AS rk "
                  f"FROM ({select})) WHERE rk <= ? ORDER BY rk")
    else:
        select += " ORDER BY tier DESC, score DESC LIMIT ?"
    return Sql(select, [*score_params, *tier_params, *params, size], f"SELECT count(*) {body}", params)


def _tier(original: Sequence[Clause], expanded: Sequence[Clause]) -> tuple[str, list[str]]:
    """How many fuzzy-able clauses a page matches exactly: 1 for a clause that gained no
    alternatives (it can only match exactly), a test against the exact clause otherwise."""
    parts: list[str] = []
    params: list[str] = []
    for exact, wide in zip(original, expanded, strict=True):
        if not fuzzy_clause(exact):
            continue
        if wide == exact:
            parts.append("1")
        else:
            parts.append("({row} IN (SELECT rowid FROM pages_fts WHERE pages_fts MATCH ?))")
            params.append(_clause_expr(exact))
    return ("(" + " + ".join(parts) + ")" if parts else "0"), params


Row = dict[str, Any]


def _order_key(row: Row) -> tuple[Any, ...]:
    """`ORDER` in Python: SQLite sorts NULL dates first and text by code point, as here."""
    date = row["document_date"]
    return (-row["tier"], -row["score"], date is not None, date or "", row["display"], row["page"])


def _rank(row: Row | sqlite3.Row) -> tuple[float, float]:
    return (row["tier"], row["score"])


def merge_ranked(parts: Sequence[Sequence[sqlite3.Row]], size: int, *, ties: bool) -> tuple[list[sqlite3.Row], bool]:
    """One ranking from `build_top_sql` answers for disjoint page ranges (or one answer):
    the rows that provably rank above every row left out, best first, and whether they are
    all the matches.

    Each part is its range's best `size` by (tier, score); with `ties`, also every row tied
    with its last. A part of `size` rows or more may have left out rows tied with its
    last. Without `ties` the rows kept are those above every such cut, and of those at
    most the best `size` and their ties; with `ties`, those ranked `size` or better over
    all parts, which every part holds in full.
    """
    rows = sorted((r for part in parts for r in part), key=_rank, reverse=True)
    cut = [part for part in parts if len(part) >= size]
    if not ties:
        complete = not cut
        if cut:
            last = max(_rank(part[-1]) for part in cut)
            rows = [r for r in rows if _rank(r) > last]
        if len(rows) > size:  # parts together hold more than asked: the best `size` and their ties
            edge = _rank(rows[size - 1])
            rows, complete = [r for r in rows if _rank(r) >= edge], False
        return rows, complete
    kept: list[sqlite3.Row] = []
    for i, row in enumerate(rows):
        if i >= size and _rank(row) != _rank(rows[i - 1]):
            break
        kept.append(row)
    return kept, not cut and len(kept) == len(rows)


class SqliteSearch:
    """FTS5 search inside catalog.sqlite (the embedded default).

    Ranking reads the index first: when every indexed page is done and has a path
    (`consistent`, checked once per catalog change), the
    best page ids come from FTS5 alone and only their page rows are read. That answer is
    used only when it provably equals the full statement's (no tie reaches past the
    candidates), which runs otherwise. It keeps common words fast on large archives:
    joining every matching page to its source and path costs more than ranking them.

    On an index of `PARALLEL_FROM_PAGES` pages or more, that ranking (and its count) runs
    in `threads` threads, each over its own range of page ids on its own read-only
    connection, and the ranges' best pages are merged (`merge_ranked`). bm25 costs about
    half a microsecond per matching page, so a word on most pages of a large archive is
    ranked in about half the time on two cores. Close the search (or use it as a context
    manager) to stop its threads and their connections.
    """

    def __init__(self, catalog: Catalog, *, threads: int | None = None) -> None:
        self.catalog = catalog
        self._path = Path(catalog.path).resolve()  # as opened, whatever the working folder later
        self.threads = search_threads() if threads is None else max(1, threads)
        self._checked: tuple[int, int] | None = None
        self._consistent = False
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def __enter__(self) -> SqliteSearch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the ranking threads and close their connections (the catalog stays open)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    def search(self, query: SearchQuery) -> SearchResult:
        if not query.clauses and query.text.strip() and not query.identifiers:
            return empty_result(query)
        expanded = self._expand(query) if query.fuzzy else None
        try:
            found = self._index_first(query, expanded) if self._can_rank_in_index(query) else None
            rows, total = found if found is not None else self._run(build_sql(query, expanded=expanded))
        except sqlite3.OperationalError:
            rows, total = self._run(build_sql(query, plain=True))
        texts = self._texts([int(r["id"]) for r in rows])
        matches = matcher(query)
        hits = [
            Hit(
                source=row["display"],
                sha256=row["sha256"],
                dossier=row["dossier"],
                page=row["page"],
                date=row["document_date"],
                score=float(row["score"]),
                snippet=snippet(texts.get(int(row["id"]), ""), query, matches=matches),
                confidence=row["confidence"],
            )
            for row in rows
        ]
        if not query.by_dossier:
            return SearchResult(query.text, total, tuple(hits))
        groups: dict[str, tuple[int, list[Hit]]] = {}
        for row, hit in zip(rows, hits, strict=True):
            groups.setdefault(row["dossier"], (int(row["dossier_hits"]), []))[1].append(hit)
        return grouped(query.text, total, [DossierGroup(d, n, tuple(h)) for d, (n, h) in groups.items()])

    # -- ranking in the index -------------------------------------------------------------

    def _can_rank_in_index(self, query: SearchQuery) -> bool:
        return any(not c.negated for c in query.clauses) and self.consistent()

    def _index_first(
        self, query: SearchQuery, expanded: Sequence[Clause] | None
    ) -> tuple[list[Row], int] | None:
        """The hits ranked by the index alone, or None when that cannot be proved exact.

        Over page-id ranges in parallel when the index is large; if a ranging connection
        fails (the file moved, a lock), in one pass on the catalog's own connection, so
        a failure there is never taken for a query the engine refuses.
        """
        spans = self._spans()
        if spans:
            try:
                return self._ranked_in_index(query, expanded, spans)
            except sqlite3.Error as e:
                log.debug("ranking in ranges failed (%s); ranking in one pass", e)
        return self._ranked_in_index(query, expanded, None)

    def _ranked_in_index(
        self, query: SearchQuery, expanded: Sequence[Clause] | None, spans: Sequence[tuple[int, int]] | None
    ) -> tuple[list[Row], int] | None:
        want = query.offset + query.limit
        size = 2 * want + TOP_SLACK if not query.by_dossier else DOSSIER_HITS * want + TOP_SLACK
        ties = False  # first the cheap top-N; a tie at its edge asks for whole tie groups
        total: int | None = None
        while True:
            if total is not None:
                size = min(size, total + 1)  # asking for more than all makes the answer complete
            found = self._candidates(query, expanded, size, ties=ties, spans=spans)
            if found is None:
                return None
            rows, complete = found
            if total is None:  # a complete first answer is every match: no count needed
                total = len(rows) if complete else self._count(query, expanded, spans=spans)
            if not query.by_dossier and (complete or len(rows) >= want):
                return rows[query.offset : want], total
            dossiers = list(dict.fromkeys(r["dossier"] for r in rows))
            if query.by_dossier and (complete or len(dossiers) >= want):
                return self._groups(query, expanded, dossiers[query.offset : want], spans), total
            size, ties = (size if not ties else size * 4), True

    def _spans(self) -> list[tuple[int, int]] | None:
        """Page-id ranges to rank in parallel, one per thread; None: rank in one pass."""
        if self.threads < 2 or self.catalog.db.in_transaction:  # other connections would not see its writes
            return None
        low, high = self.catalog.db.execute(  # apart: together, min() and max() scan the table
            "SELECT (SELECT min(page_id) FROM page_text), (SELECT max(page_id) FROM page_text)"
        ).fetchone()
        if low is None or high - low + 1 < PARALLEL_FROM_PAGES:
            return None
        step = -(-(high - low + 1) // self.threads)
        return [(start, min(high, start + step - 1)) for start in range(low, high + 1, step)]

    def _in_parallel(self, make: Callable[[tuple[int, int]], tuple[str, list[Any]]],
                     spans: Sequence[tuple[int, int]]) -> list[list[sqlite3.Row]]:
        """Each span's statement on a ranking thread's own connection."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="parvandeh-search")

        def run(span: tuple[int, int]) -> list[sqlite3.Row]:
            sql, params = make(span)
            return self._thread_db().execute(sql, params).fetchall()

        return list(self._pool.map(run, spans))

    def _thread_db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = open_reader(self._path)
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def _count(self, query: SearchQuery, expanded: Sequence[Clause] | None,
               spans: Sequence[tuple[int, int]] | None = None) -> int:
        if spans:
            def make(span: tuple[int, int]) -> tuple[str, list[Any]]:
                sql = build_top_sql(query, size=0, expanded=expanded, span=span)
                return sql.total, sql.total_params

            return sum(int(part[0][0]) for part in self._in_parallel(make, spans))
        count = build_top_sql(query, size=0, expanded=expanded)
        return int(self.catalog.db.execute(count.total, count.total_params).fetchone()[0])

    def _candidates(
        self, query: SearchQuery, expanded: Sequence[Clause] | None, size: int, *, ties: bool,
        spans: Sequence[tuple[int, int]] | None = None,
    ) -> tuple[list[Row], bool] | None:
        """The best matches in full order, and whether they are all the matches.

        Every page left out ranks below every page returned: without `ties` the best `size`
        minus those tied with the last one, with `ties` the best `size` and all their ties
        (`merge_ranked`; over `spans` in parallel when given).
        None: a candidate the full statement would drop (the catalog changed meanwhile).
        """
        if spans:
            def make(span: tuple[int, int]) -> tuple[str, list[Any]]:
                sql = build_top_sql(query, size=size, expanded=expanded, ties=ties, span=span)
                return sql.select, sql.select_params

            parts = self._in_parallel(make, spans)
        else:
            sql = build_top_sql(query, size=size, expanded=expanded, ties=ties)
            parts = [self.catalog.db.execute(sql.select, sql.select_params).fetchall()]
        candidates, complete = merge_ranked(parts, size, ties=ties)
        rows = self._with_details(candidates)
        if rows is None:
            return None
        return sorted(rows, key=_order_key), complete

    def _groups(self, query: SearchQuery, expanded: Sequence[Clause] | None, dossiers: list[str],
                spans: Sequence[tuple[int, int]] | None = None) -> list[Row]:
        """Every match of these dossiers (as their first path names them), best first each;
        over `spans` in parallel when given."""
        if not dossiers:
            return []
        marks = ",".join("?" * len(dossiers))
        ids = [
            int(r[0])
            for r in self.catalog.db.execute(
                f"""SELECT DISTINCT p.id FROM paths d CROSS JOIN sources s ON s.sha256 = d.sha256
                    CROSS JOIN paths pa ON pa.path = s.first_path CROSS JOIN pages p ON p.sha256 = s.sha256
                    WHERE d.dossier IN ({marks}) AND pa.dossier IN ({marks}) AND +p.state = 'done'""",
                [*dossiers, *dossiers],
            )
        ]
        ids.sort()
        found: list[sqlite3.Row] = []
        if spans:
            # each range reads only its stretch of the listed pages (a dossier's pages are
            # usually written together, so their ids are close)
            shares = {span: [i for i in ids if span[0] <= i <= span[1]] for span in spans}
            mine = [(span[0], span[1]) for span, its in shares.items() if its]

            def make(span: tuple[int, int]) -> tuple[str, list[Any]]:
                its = shares[span]
                sql = build_top_sql(query, size=-1, expanded=expanded, within=its, span=(its[0], its[-1]))
                return sql.select, sql.select_params

            found = [row for part in self._in_parallel(make, mine) for row in part]
        elif ids:
            sql = build_top_sql(query, size=-1, expanded=expanded, within=ids, span=(ids[0], ids[-1]))
            found = self.catalog.db.execute(sql.select, sql.select_params).fetchall()
        rows = self._with_details(found) or []
        members: dict[str, list[Row]] = {d: [] for d in dossiers}
        for row in sorted(rows, key=_order_key):
            members[row["dossier"]].append(row)
        return [
            {**row, "dossier_hits": len(members[d])} for d in dossiers for row in members[d][:DOSSIER_HITS]
        ]

    def _with_details(self, candidates: Sequence[sqlite3.Row]) -> list[Row] | None:
        ids = [int(c["id"]) for c in candidates]
        details: dict[int, Row] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            details.update(
                (int(r["id"]), dict(r))
                for r in self.catalog.db.execute(
                    f"SELECT {_COLUMNS} FROM pages p {_JOINS} WHERE p.id IN ({marks}) AND +p.state = 'done'", chunk
                )
            )
        if len(details) != len(ids):
            return None
        return [{**details[int(c["id"])], "score": c["score"], "tier": c["tier"]} for c in candidates]

    def consistent(self) -> bool:
        """Every indexed page is done and has its first path: then counting and ranking in
        the index alone equals the full statement. Re-checked when the catalog changes."""
        db = self.catalog.db
        version = (int(db.execute("PRAGMA data_version").fetchone()[0]), db.total_changes)
        if version != self._checked:
            broken = db.execute(
                """SELECT EXISTS (SELECT 1 FROM pages g WHERE g.state IN ('pending', 'failed')
                                  AND EXISTS (SELECT 1 FROM page_text t WHERE t.page_id = g.id))
                       OR EXISTS (SELECT 1 FROM sources s
                                  WHERE NOT EXISTS (SELECT 1 FROM paths pa WHERE pa.path = s.first_path)
                                  AND EXISTS (SELECT 1 FROM pages g WHERE g.sha256 = s.sha256 AND +g.state = 'done'))"""
            ).fetchone()[0]
            self._checked, self._consistent = version, not broken
        return self._consistent

    # -- the rest ---------------------------------------------------------------------------

    def _expand(self, query: SearchQuery) -> list[Clause]:
        """The query's clauses with the index terms one slip away from each long word."""
        cache: dict[str, list[str]] = {}

        def variants(token: str) -> list[str]:
            if token not in cache:
                found = self.catalog.index_terms(one_edit_variants(token))
                cache[token] = sorted(found, key=lambda t: (-found[t], t))
            return cache[token]

        return [expand_fuzzy(c, variants) for c in query.clauses]

    def _run(self, sql: Sql) -> tuple[list[Row], int]:
        db = self.catalog.db
        total = int(db.execute(sql.total, sql.total_params).fetchone()[0])
        return [dict(r) for r in db.execute(sql.select, sql.select_params)], total

    def _texts(self, ids: list[int]) -> dict[int, str]:
        """Page texts for the hits only: the ranking never carries whole pages around."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {
            int(pid): text or ""
            for pid, text in self.catalog.db.execute(f"SELECT id, text FROM pages WHERE id IN ({marks})", ids)
        }


def empty_result(query: SearchQuery) -> SearchResult:
    if query.by_dossier:
        return grouped(query.text, 0, [])
    return SearchResult(query.text, 0, ())


_WORD = re.compile(r"\S+")


@lru_cache(maxsize=65_536)
def _word_forms(word: str) -> tuple[tuple[str, ...], str]:
    """A displayed word's matching tokens and its joined form (pages repeat their words)."""
    return tuple(match_tokens(word)), normalize(word).replace(" ", "")


def _matches(word: str, terms: set[str], prefixes: set[str], fuzzy: set[str]) -> bool:
    tokens, joined = _word_forms(word)
    if not tokens:
        return False
    return (
        any(t in terms for t in tokens)
        or joined in terms
        or any(t.startswith(p) for t in tokens for p in prefixes)
        or any(within_one_edit(t, f) for t in tokens for f in fuzzy)
    )


def matcher(query: SearchQuery) -> Callable[[str], bool]:
    """Whether a displayed word is one `snippet` marks for `query`, remembered per word:
    one search's pages share most of their words, so each is tested once per search."""
    terms, prefixes, fuzzy = query.terms, query.prefixes, query.fuzzy_terms
    return cache(lambda word: _matches(word, terms, prefixes, fuzzy))


def snippet(
    text: str, query: SearchQuery, *, words: int = SNIPPET_WORDS, marks: tuple[str, str] = (MARK_OPEN, MARK_CLOSE),
    matches: Callable[[str], bool] | None = None,
) -> str:
    """A window of the page's own text around the first match, matched words marked.

    Built from the displayed text rather than the index, so the highlight shows the
    Persian letters the page has (ي stays ي) while matching uses the normalized form. In
    fuzzy mode a word one slip from a query word is marked too, on every backend alike.
    `matches`: `matcher(query)`, shared by the snippets of one search.
    """
    shown = display(text).replace("\n", " ")
    spans = list(_WORD.finditer(shown))
    if not spans:
        return ""
    matches = matches or matcher(query)
    hit_at = [i for i, m in enumerate(spans) if matches(m.group())]
    first = hit_at[0] if hit_at else 0
    start = max(0, min(first - words // 3, len(spans) - words))
    window = spans[start : start + words]
    hits = set(hit_at)
    out = []
    for offset, m in enumerate(window):
        word = m.group()
        out.append(f"{marks[0]}{word}{marks[1]}" if start + offset in hits else word)
    return ("… " if start > 0 else "") + " ".join(out) + (" …" if start + words < len(spans) else "")
