"""Search over Elasticsearch: the at-scale twin of `indexer.search.SqliteSearch`.

Matching never relies on an Elasticsearch analyzer to reproduce our Persian rules: the
searched fields hold the page's tokens as `indexer.query.match_tokens` (that is,
`indexer.normalize.normalize`) produces them, analyzed by whitespace only, and queries are
the same parsed clauses, so index and query go through literally the same Python function.
The request body is built apart from running it (`build_body`), like `build_sql`, and no
user text ever reaches a query parser. See docs/elasticsearch.md for why.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from itertools import islice
from pathlib import Path
from typing import Any

from elasticsearch import (
    ApiError,
    BadRequestError,
    ConnectionError,
    ConnectionTimeout,
    Elasticsearch,
    NotFoundError,
    TransportError,
    UnsupportedProductError,
)
from elasticsearch.helpers import streaming_bulk

from indexer.catalog import DONE, Catalog
from indexer.normalize import BIDI_MARKS, ZWJ, ZWNJ, ZWSP, display, joined_variants
from indexer.query import (
    DOSSIER_HITS,
    EXACT_BOOST,
    FUZZY_MAX_TERMS,
    Clause,
    SearchQuery,
    fuzzy_clause,
    fuzzy_eligible,
    match_tokens,
)
from indexer.search import DossierGroup, Hit, SearchResult, empty_result, grouped, snippet

__all__ = [
    "DEFAULT_INDEX", "ENV_URL", "BackendUnreachable", "ElasticSearch", "SearchBackendError",
    "alias_actions", "build_body", "cli_reindex", "connect", "drop_index", "index_body",
    "page_document", "reindex", "versioned_name",
]  # fmt: skip

DEFAULT_INDEX = "parvandeh-pages"
ENV_URL = "PARVANDEH_ES_URL"
#: Identifier kinds that get an explicit keyword field; any other kind still becomes a
#: keyword through the `ids.*` dynamic template, so filters behave as SQLite's for every kind.
ID_KINDS = ("plaque", "renovation_code", "postal_code", "file_number", "permit_number",
            "national_id", "date")  # fmt: skip
#: Column weights of the SQLite backend (bm25(pages_fts, 1.0, 0.6)): text, joined variants.
SEARCH_FIELDS = ("text", "extra^0.6")
#: Elasticsearch refuses from + size beyond index.max_result_window (10 000 by default).
MAX_WINDOW = 10_000
#: match_phrase_prefix expands the last token to at most this many terms (FTS5 has no cap).
PREFIX_EXPANSIONS = 1_000
SOURCE_FIELDS = ["source", "sha256", "dossier", "page", "date", "confidence", "display"]
BULK_RETRIES, BULK_BACKOFF, BULK_MAX_BACKOFF, BULK_MAX_BYTES = 5, 2.0, 60.0, 10 * 1024 * 1024
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class SearchBackendError(Exception):
    """A search backend failed in a way the user can act on (URL, index, server version)."""


class BackendUnreachable(SearchBackendError):
    """No Elasticsearch answered at the configured URL."""


# -- the index ----------------------------------------------------------------------------


def index_body() -> dict[str, Any]:
    """Settings and mappings of one concrete index (create it with ``**index_body()``)."""
    invisible = ZWNJ + ZWJ + ZWSP + BIDI_MARKS  # exactly what normalize() deletes
    return {
        "settings": {
            "number_of_shards": 1,  # one shard: BM25 statistics over the whole archive
            "analysis": {
                "char_filter": {
                    "parvandeh_invisible": {
                        "type": "mapping",
                        "mappings": [f"\\u{ord(c):04X}=>" for c in invisible],
                    }
                },
                "analyzer": {
                    "parvandeh_tokens": {"type": "custom", "tokenizer": "whitespace"},
                    "parvandeh_persian": {
                        "type": "custom",
                        "char_filter": ["parvandeh_invisible"],
                        "tokenizer": "standard",
                        "filter": ["lowercase", "decimal_digit", "arabic_normalization",
                                   "persian_normalization"],
                    },
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            "dynamic_templates": [
                {"identifier_kinds": {"path_match": "ids.*", "match_mapping_type": "string",
                                      "mapping": {"type": "keyword"}}}
            ],
            "properties": {
                "sha256": {"type": "keyword"},
                "page": {"type": "integer"},
                "source": {"type": "keyword"},
                "dossier": {"type": "keyword"},
                "dossiers": {"type": "keyword"},
                "date": {"type": "date", "format": "strict_date", "ignore_malformed": True},
                "confidence": {"type": "float"},
                "text": {
                    "type": "text",
                    "analyzer": "parvandeh_tokens",
                    "fields": {"fa": {"type": "text", "analyzer": "parvandeh_persian"}},
                },
                "extra": {"type": "text", "analyzer": "parvandeh_tokens"},
                "display": {"type": "text", "index": False},
                "ids": {
                    "type": "object",
                    "dynamic": True,
                    "properties": {kind: {"type": "keyword"} for kind in ID_KINDS},
                },
            },
        },
    }


def page_document(
    *, text: str, sha256: str, page: int, source: str, dossier: str,
    dossiers: Sequence[str] = (), date: str | None = None, confidence: float | None = None,
    identifiers: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """One page as indexed: matching tokens for search, the page's own text for snippets."""
    ids: dict[str, list[str]] = {}
    for item in identifiers:
        values = ids.setdefault(str(item["kind"]), [])
        if item["canonical"] not in values:
            values.append(str(item["canonical"]))
    return {
        "sha256": sha256, "page": page, "source": source, "dossier": dossier,
        "dossiers": sorted({dossier, *dossiers}), "date": date, "confidence": confidence,
        "text": " ".join(match_tokens(text)),
        "extra": " ".join(joined_variants(text)),
        "display": display(text),
        "ids": ids,
    }


def versioned_name(alias: str, *, at: float | None = None) -> str:
    """A new concrete index name behind ``alias`` (lowercase, sortable by time)."""
    at = time.time() if at is None else at
    return f"{alias}-v{time.strftime('%Y%m%d%H%M%S', time.gmtime(at))}{int(at * 1e6) % 1_000_000:06d}"


def alias_actions(
    alias: str, new_index: str, current: Iterable[str] = (), *, replace_index: bool = False
) -> list[dict[str, Any]]:
    """The one atomic ``update_aliases`` call that points ``alias`` at ``new_index`` only.

    ``replace_index`` drops a plain index that squats the alias name (an index created by
    hand or by an old version), in the same atomic step.
    """
    actions: list[dict[str, Any]] = []
    if replace_index:
        actions.append({"remove_index": {"index": alias}})
    actions += [{"remove": {"index": old, "alias": alias}} for old in current if old != new_index]
    actions.append({"add": {"index": new_index, "alias": alias}})
    return actions


# -- the query ----------------------------------------------------------------------------


def _alternative(alt: tuple[str, ...], prefix: bool) -> dict[str, Any]:
    if prefix and len(alt) == 1:
        return {"bool": {"should": [
            {"prefix": {"text": {"value": alt[0]}}},
            {"prefix": {"extra": {"value": alt[0], "boost": 0.6}}},
        ], "minimum_should_match": 1}}
    match: dict[str, Any] = {"query": " ".join(alt), "fields": list(SEARCH_FIELDS),
                             "type": "phrase_prefix" if prefix else "phrase"}
    if prefix:
        match["max_expansions"] = PREFIX_EXPANSIONS
    return {"multi_match": match}


def _fuzzy_term(field: str, token: str) -> dict[str, Any]:
    return {"fuzzy": {field: {"value": token, "fuzziness": 1, "prefix_length": 0,
                              "max_expansions": FUZZY_MAX_TERMS, "transpositions": True}}}


def _fuzzy_alternative(alt: tuple[str, ...]) -> dict[str, Any]:
    """Like `_alternative`, but each long word may match one edit away (`one_edit_variants`)."""
    if not any(fuzzy_eligible(tok) for tok in alt):
        return _alternative(alt, False)
    if len(alt) == 1:
        return {"multi_match": {"query": alt[0], "fields": list(SEARCH_FIELDS), "fuzziness": 1,
                                "prefix_length": 0, "max_expansions": FUZZY_MAX_TERMS,
                                "fuzzy_transpositions": True}}
    spans = []
    for field, boost in (("text", 1.0), ("extra", 0.6)):
        words = [
            {"span_multi": {"match": _fuzzy_term(field, tok)}} if fuzzy_eligible(tok)
            else {"span_term": {field: tok}}
            for tok in alt
        ]
        spans.append({"span_near": {"clauses": words, "slop": 0, "in_order": True, "boost": boost}})
    return {"bool": {"should": spans, "minimum_should_match": 1}}


def _clause(clause: Clause, *, fuzzy: bool = False) -> dict[str, Any]:
    """Any alternative, as a phrase (or phrase prefix) in the text or its joined variants."""
    if fuzzy:
        alts = [_fuzzy_alternative(alt) for alt in clause.alternatives]
    else:
        alts = [_alternative(alt, clause.prefix) for alt in clause.alternatives]
    return alts[0] if len(alts) == 1 else {"bool": {"should": alts, "minimum_should_match": 1}}


def _filters(query: SearchQuery) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for kind, canonical in query.identifiers:
        if not _KIND_RE.match(kind):
            out.append({"match_none": {}})
            continue
        out.append({"term": {f"ids.{kind}": canonical}})
    if query.dossier:
        out.append({"term": {"dossiers": query.dossier}})
    dates = {op: value for op, value in (("gte", query.date_from), ("lte", query.date_to)) if value}
    if dates:
        out.append({"range": {"date": dates}})
    return out


def _plain(query: SearchQuery) -> list[Clause]:
    """The query's words only, as `build_sql(plain=True)` reads them."""
    return [Clause(((tok,),)) for c in query.clauses if not c.negated for tok in c.alternatives[0]]


#: Hit order, as `indexer.search.ORDER`: score, date (undated first), source, page.
SORT: list[dict[str, Any]] = [
    {"_score": {"order": "desc"}},
    {"date": {"order": "asc", "missing": "_first"}},  # SQLite sorts NULL first
    {"source": {"order": "asc"}},
    {"page": {"order": "asc"}},
]


def build_body(query: SearchQuery, *, plain: bool = False) -> dict[str, Any]:
    """The search request body: same clauses, filters, order and paging as `build_sql`.

    Fuzzy clauses must match one edit away, and each exact match adds a constant
    `EXACT_BOOST`, as the SQLite tier does. Grouped queries collapse on the dossier:
    from/size count dossiers, each with its best `DOSSIER_HITS` pages as inner hits.
    """
    clauses = _plain(query) if plain else list(query.clauses)
    fuzzy = query.fuzzy and not plain
    must = [_clause(c, fuzzy=fuzzy and fuzzy_clause(c)) for c in clauses if not c.negated]
    must_not = [_clause(c) for c in clauses if c.negated]
    should = [
        {"constant_score": {"filter": _clause(c), "boost": EXACT_BOOST}}
        for c in clauses if fuzzy and fuzzy_clause(c)
    ]
    filters = _filters(query) or ([] if must else [{"match_all": {}}])
    start = min(max(query.offset, 0), MAX_WINDOW)
    boolean: dict[str, Any] = {"must": must, "must_not": must_not, "filter": filters}
    if should:
        boolean["should"] = should
    body: dict[str, Any] = {
        "query": {"bool": boolean},
        "sort": SORT,
        "from": start,
        "size": max(0, min(query.limit, MAX_WINDOW - start)),
        "track_total_hits": True,
        "_source": SOURCE_FIELDS,
    }
    if query.by_dossier:
        body["collapse"] = {"field": "dossier", "inner_hits": {
            "name": "dossier", "size": DOSSIER_HITS, "sort": SORT, "_source": SOURCE_FIELDS,
            "track_scores": True}}
    return body


# -- talking to the cluster ---------------------------------------------------------------


def resolve_url(url: str | None) -> str:
    resolved = url or os.environ.get(ENV_URL, "")
    if not resolved:
        raise SearchBackendError(f"no Elasticsearch URL: pass --es-url or set {ENV_URL}")
    return resolved


def _where(url: str | None) -> str:
    return url or os.environ.get(ENV_URL, "") or "the given client"


def connect(url: str | None = None) -> Elasticsearch:
    """A client for ``url`` (or $PARVANDEH_ES_URL) that retries timeouts and dead nodes."""
    resolved = resolve_url(url)
    try:
        return Elasticsearch(resolved, request_timeout=60, max_retries=3, retry_on_timeout=True)
    except ValueError as e:
        raise SearchBackendError(f"not an Elasticsearch URL: {resolved!r} ({e})") from e


def _api_message(e: ApiError, where: str) -> str:
    if isinstance(e, NotFoundError) and e.error == "index_not_found_exception":
        return (f"no search index at {where}: run `parvandeh reindex --backend elasticsearch "
                f"--es-url URL` first")
    if isinstance(e, BadRequestError) and e.error == "media_type_header_exception":
        return (f"Elasticsearch at {where} is an older major version than the installed client: "
                f"install elasticsearch>=8.12,<9 for an 8.x server (docs/elasticsearch.md)")
    if isinstance(e, UnsupportedProductError):
        return f"the server at {where} is not Elasticsearch: {e}"
    return f"Elasticsearch at {where} refused the request: {e}"


@contextmanager
def _translated(where: str) -> Iterator[None]:
    """Client and transport exceptions become ours, by type, with what to do next."""
    try:
        yield
    except (ConnectionError, ConnectionTimeout) as e:
        raise BackendUnreachable(f"cannot reach Elasticsearch at {where}: {e}") from e
    except ApiError as e:
        raise SearchBackendError(_api_message(e, where)) from e
    except TransportError as e:
        raise SearchBackendError(f"Elasticsearch at {where} failed: {e}") from e


def _as_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """Body keys as the client's keyword names (``body=`` was deprecated in some 8.x clients)."""
    return {{"from": "from_", "_source": "source"}.get(key, key): value for key, value in body.items()}


class ElasticSearch:
    """Search an index (an alias) filled by `reindex`; same answers as `SqliteSearch`."""

    def __init__(self, url: str | None = None, *, index: str = DEFAULT_INDEX,
                 client: Elasticsearch | None = None) -> None:
        self.url = _where(url)
        self.index = index
        self.client = client if client is not None else connect(url)

    def search(self, query: SearchQuery) -> SearchResult:
        if not query.clauses and query.text.strip() and not query.identifiers:
            return empty_result(query)  # nothing searchable was typed
        with _translated(self.url):
            try:
                response = self._search(build_body(query))
            except BadRequestError as e:
                if e.error == "media_type_header_exception":
                    raise
                # Refused as built (too many clauses, a query the cluster cannot run):
                # the same words, plainly, as SQLite falls back.
                response = self._search(build_body(query, plain=True))
        found = response["hits"]
        total = int(found["total"]["value"])
        if not query.by_dossier:
            return SearchResult(query.text, total, tuple(_hit(raw, query) for raw in found["hits"]))
        groups = []
        for top in found["hits"]:
            inner = top.get("inner_hits", {}).get("dossier", {}).get("hits", {})
            members = inner.get("hits") or [top]
            groups.append(DossierGroup(
                dossier=top["_source"]["dossier"],
                total=int(inner.get("total", {}).get("value", len(members))),
                hits=tuple(_hit(raw, query) for raw in members),
            ))
        return grouped(query.text, total, groups)

    def _search(self, body: dict[str, Any]) -> Any:
        return self.client.search(index=self.index, **_as_kwargs(body))


def _hit(raw: Mapping[str, Any], query: SearchQuery) -> Hit:
    doc = raw["_source"]
    return Hit(
        source=doc["source"], sha256=doc["sha256"], dossier=doc["dossier"],
        page=int(doc["page"]), date=doc.get("date"),
        score=round(float(raw.get("_score") or 0.0), 4),
        snippet=snippet(doc.get("display") or "", query),
        confidence=doc.get("confidence"),
    )


# -- filling it ---------------------------------------------------------------------------


def _bulk_actions(catalog: Catalog, index: str, batch: int) -> Iterator[dict[str, Any]]:
    """Finished pages as bulk index actions, streamed in batches like the JSONL export."""
    primary = catalog.primary_paths()
    dossiers: dict[str, set[str]] = {}
    for sha, dossier in catalog.db.execute("SELECT sha256, dossier FROM paths"):
        dossiers.setdefault(sha, set()).add(dossier)
    rows = catalog.done_pages()
    while chunk := list(islice(rows, batch)):
        identifiers = catalog.identifiers_for([int(r["id"]) for r in chunk])
        for row in chunk:
            path = primary.get(row["sha256"])
            if path is None:  # SQLite cannot return a page without a path either
                continue
            doc = page_document(
                text=row["text"] or "", sha256=row["sha256"], page=int(row["page"]),
                source=path["display"], dossier=path["dossier"],
                dossiers=sorted(dossiers.get(row["sha256"], ())), date=row["document_date"],
                confidence=row["confidence"], identifiers=identifiers.get(int(row["id"]), []),
            )
            yield {"_op_type": "index", "_index": index, "_id": f"{row['sha256']}-{row['page']}",
                   "_source": doc}


def _load(es: Elasticsearch, catalog: Catalog, index: str, batch: int,
          progress: Callable[[int, int], None] | None) -> int:
    total, done = catalog.counts()[DONE], 0
    for ok, item in streaming_bulk(
        es, _bulk_actions(catalog, index, batch), chunk_size=batch, max_chunk_bytes=BULK_MAX_BYTES,
        max_retries=BULK_RETRIES, initial_backoff=BULK_BACKOFF, max_backoff=BULK_MAX_BACKOFF,
        raise_on_error=False,
    ):
        if not ok:
            info = next(iter(item.values()))
            error = info.get("error")
            detail = f"{error.get('type')}: {error.get('reason')}" if isinstance(error, dict) else error
            raise SearchBackendError(
                f"Elasticsearch refused page {info.get('_id')} (status {info.get('status')}): {detail}"
            )
        done += 1
        if progress is not None and done % batch == 0:
            progress(done, total)
    if progress is not None:
        progress(done, total)
    return done


def _current_indices(es: Elasticsearch, alias: str) -> tuple[list[str], bool]:
    """(indices behind ``alias``, whether a plain index already holds that name)."""
    try:
        return sorted(es.indices.get_alias(name=alias).body), False
    except NotFoundError:
        return [], bool(es.indices.exists(index=alias))


def reindex(catalog: Catalog, *, url: str | None = None, index: str = DEFAULT_INDEX,
            batch: int = 500, client: Elasticsearch | None = None,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Build a fresh index from the catalog, swap the alias to it atomically, drop the old.

    Searches keep answering from the old index until the swap; a failed run deletes its
    half-built index and leaves the alias as it was. Returns the number of pages indexed.
    """
    where = _where(url)
    es = client if client is not None else connect(url)
    concrete = versioned_name(index)
    with _translated(where):
        body = index_body()
        body["settings"]["refresh_interval"] = "-1"  # no refreshes while loading
        es.indices.create(index=concrete, **body)
        try:
            count = _load(es, catalog, concrete, batch, progress)
            es.indices.put_settings(index=concrete, settings={"index": {"refresh_interval": None}})
            es.indices.refresh(index=concrete)
            current, squatted = _current_indices(es, index)
            es.indices.update_aliases(
                actions=alias_actions(index, concrete, current, replace_index=squatted)
            )
        except BaseException:
            with suppress(Exception):
                es.indices.delete(index=concrete, ignore_unavailable=True)
            raise
        for old in current:
            if old != concrete:
                es.indices.delete(index=old, ignore_unavailable=True)
    return count


def drop_index(index: str = DEFAULT_INDEX, *, url: str | None = None,
               client: Elasticsearch | None = None) -> list[str]:
    """Delete every concrete index behind the alias ``index`` (by name: no wildcards)."""
    where = _where(url)
    es = client if client is not None else connect(url)
    with _translated(where):
        current, squatted = _current_indices(es, index)
        names = current + ([index] if squatted else [])
        for name in names:
            es.indices.delete(index=name, ignore_unavailable=True)
    return names


def cli_reindex(archive: Path, url: str | None, index: str = DEFAULT_INDEX, *,
                progress: Callable[[int, int], None] | None = None) -> int:
    """`parvandeh reindex --backend elasticsearch`: the catalog of ``archive`` into ``url``."""
    path = Path(archive) / "catalog.sqlite"
    if not path.exists():
        raise FileNotFoundError(f"no archive at {archive} (run `parvandeh ingest` first)")
    with Catalog(path) as catalog:
        return reindex(catalog, url=url, index=index, progress=progress)
