"""Search over the catalog: the SQLite FTS5 backend and the result shape every backend returns.

The SQL is built apart from running it (sqlite-utils' pattern), every user token is quoted,
and a statement the engine still refuses falls back to plain words.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from indexer.catalog import Catalog
from indexer.normalize import display, normalize
from indexer.query import Clause, SearchQuery, match_tokens

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
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    total: int
    hits: tuple[Hit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "hits": [h.to_dict() for h in self.hits]}


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


def fts_expression(clauses: tuple[Clause, ...] | list[Clause]) -> tuple[str | None, list[str]]:
    """The MATCH expression for the positive clauses, and one per excluded clause."""
    positive = [_clause_expr(c) for c in clauses if not c.negated]
    negative = [_clause_expr(c) for c in clauses if c.negated]
    return (" AND ".join(positive) if positive else None), negative


def build_sql(query: SearchQuery, *, plain: bool = False) -> tuple[str, str, list[Any]]:
    """(select sql, count sql, params) for a query; `plain` ignores operators."""
    clauses = query.clauses
    if plain:
        clauses = tuple(
            Clause(((tok,),)) for c in clauses if not c.negated for tok in c.alternatives[0]
        )
    match, excluded = fts_expression(clauses)
    params: list[Any] = []
    joins = ["JOIN sources s ON s.sha256 = p.sha256", "JOIN paths pa ON pa.path = s.first_path"]
    where = ["p.state = 'done'"]
    if match is not None:
        source = "pages_fts f JOIN pages p ON p.id = f.rowid"
        where.append("pages_fts MATCH ?")
        params.append(match)
        score = "-bm25(pages_fts, 1.0, 0.6)"
    else:
        source = "pages p"
        score = "0.0"
    for expr in excluded:
        where.append("p.id NOT IN (SELECT rowid FROM pages_fts WHERE pages_fts MATCH ?)")
        params.append(expr)
    for kind, canonical in query.identifiers:
        where.append(
            "EXISTS (SELECT 1 FROM identifiers i WHERE i.page_id = p.id AND i.kind = ? AND i.canonical = ?)"
        )
        params += [kind, canonical]
    if query.dossier:
        where.append("EXISTS (SELECT 1 FROM paths d WHERE d.sha256 = p.sha256 AND d.dossier = ?)")
        params.append(query.dossier)
    if query.date_from:
        where.append("p.document_date >= ?")
        params.append(query.date_from)
    if query.date_to:
        where.append("p.document_date <= ?")
        params.append(query.date_to)
    body = f"FROM {source} {' '.join(joins)} WHERE {' AND '.join(where)}"
    select = (
        f"SELECT p.id, p.sha256, p.page, p.document_date, p.text, p.confidence, pa.display, pa.dossier, "
        f"{score} AS score {body} ORDER BY score DESC, p.document_date, pa.display, p.page LIMIT ? OFFSET ?"
    )
    return select, f"SELECT count(*) {body}", params


class SqliteSearch:
    """FTS5 search inside catalog.sqlite (the embedded default)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def search(self, query: SearchQuery) -> SearchResult:
        if not query.clauses and query.text.strip() and not query.identifiers:
            return SearchResult(query.text, 0, ())
        try:
            rows, total = self._run(query, plain=False)
        except sqlite3.OperationalError:
            rows, total = self._run(query, plain=True)
        hits = tuple(
            Hit(
                source=row["display"],
                sha256=row["sha256"],
                dossier=row["dossier"],
                page=row["page"],
                date=row["document_date"],
                score=float(row["score"]),
                snippet=snippet(row["text"] or "", query),
                confidence=row["confidence"],
            )
            for row in rows
        )
        return SearchResult(query.text, total, hits)

    def _run(self, query: SearchQuery, *, plain: bool) -> tuple[list[sqlite3.Row], int]:
        select, count, params = build_sql(query, plain=plain)
        db = self.catalog.db
        total = int(db.execute(count, params).fetchone()[0])
        rows = db.execute(select, [*params, query.limit, query.offset]).fetchall()
        return rows, total


_WORD = re.compile(r"\S+")


def _matches(word: str, terms: set[str], prefixes: set[str]) -> bool:
    tokens = match_tokens(word)
    if not tokens:
        return False
    joined = normalize(word).replace(" ", "")
    return (
        any(t in terms for t in tokens)
        or joined in terms
        or any(t.startswith(p) for t in tokens for p in prefixes)
    )


def snippet(
    text: str, query: SearchQuery, *, words: int = SNIPPET_WORDS, marks: tuple[str, str] = (MARK_OPEN, MARK_CLOSE)
) -> str:
    """A window of the page's own text around the first match, matched words marked.

    Built from the displayed text rather than the index, so the highlight shows the
    Persian letters the page has (ي stays ي) while matching uses the normalized form.
    """
    shown = display(text).replace("\n", " ")
    spans = list(_WORD.finditer(shown))
    if not spans:
        return ""
    terms, prefixes = query.terms, query.prefixes
    hit_at = [i for i, m in enumerate(spans) if _matches(m.group(), terms, prefixes)]
    first = hit_at[0] if hit_at else 0
    start = max(0, min(first - words // 3, len(spans) - words))
    window = spans[start : start + words]
    hits = set(hit_at)
    out = []
    for offset, m in enumerate(window):
        word = m.group()
        out.append(f"{marks[0]}{word}{marks[1]}" if start + offset in hits else word)
    return ("… " if start > 0 else "") + " ".join(out) + (" …" if start + words < len(spans) else "")
