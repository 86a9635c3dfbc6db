"""One search contract, two backends: SQLite FTS5 always, Elasticsearch at PARVANDEH_ES_URL.

The second half unit-tests what `indexer.elastic` decides without a server (mapping, request
bodies, documents, alias swaps), through the real client over a fake node (tests/fake_es.py).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer.catalog import Catalog, PageRecord
from indexer.elastic import (
    MAX_WINDOW,
    BackendUnreachable,
    ElasticSearch,
    SearchBackendError,
    alias_actions,
    build_body,
    connect,
    drop_index,
    index_body,
    reindex,
    versioned_name,
)
from indexer.normalize import normalize
from indexer.query import DOSSIER_HITS, EXACT_BOOST, FUZZY_MAX_TERMS, SearchQuery, match_tokens
from indexer.search import SearchBackend, SearchResult, SqliteSearch
from tests.fake_es import FakeCluster

ES_URL = os.environ.get("PARVANDEH_ES_URL", "")
ES_SKIP = ("PARVANDEH_ES_URL not set: start a cluster (docker compose up -d elasticsearch) and "
           "run PARVANDEH_ES_URL=http://127.0.0.1:9200 scripts/test.sh -m elasticsearch")

# label: (sha, dossier, path shown, page, date, text, identifiers)
PAGES: dict[str, tuple[str, str, str, int, str | None, str, list[dict[str, Any]]]] = {
    "A": ("a" * 64, "karaj-1384-0412", "karaj-1384-0412/scan_01.pdf", 1, "2005-09-03",
          "شهرداری كرج\nدرخواست صدور پروانه ساختمانی برای پلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی بخش ۱۱\n"
          "شماره پرونده ۱۲۳۴۵/۸۴\nکمیسیون ماده صد می‌رساند که تخریب لازم است",
          [{"kind": "plaque", "text": "۱۲۳ فرعی از ۴۵ اصلی", "canonical": "45/123", "section": "11"},
           {"kind": "file_number", "text": "۱۲۳۴۵/۸۴", "canonical": "12345/84"}]),
    "B": ("b" * 64, "karaj-1386-0101", "karaj-1386-0101/letter.png", 1, "2007-03-21",
          "شهرداری کرج\nمعاونت شهرسازی و معماری به استحضار ميرساند پروانه ساختماني شماره ۶۰۷۹ صادر شد\n"
          "کد پستی ۳۱۴۵۶۷۸۹۱۳",
          [{"kind": "permit_number", "text": "۶۰۷۹", "canonical": "6079"},
           {"kind": "postal_code", "text": "۳۱۴۵۶۷۸۹۱۳", "canonical": "3145678913"}]),
    "C": ("c" * 64, "karaj-1390-0707", "karaj-1390-0707/summary.tif", 1, None,
          "Summary of the Article 100 commission ruling: demolition of the unauthorised floor.\n"
          "Registration plaque 45/124\nنوسازی بافت فرسوده، کد نوسازی: ۰۸-۰۳-۱۲۳-۰۱۲-۰۰۰-۰۰۰\nطرخ تفصیلی",
          [{"kind": "plaque", "text": "45/124", "canonical": "45/124"},
           {"kind": "renovation_code", "text": "۰۸-۰۳-۱۲۳-۰۱۲-۰۰۰-۰۰۰", "canonical": "08-03-123-012-000-000"}]),
    "D1": ("d" * 64, "karaj-1388-0230", "karaj-1388-0230/report.pdf", 1, "2009-05-20",
           "گزارش بازدید از ملک\nمالک به استحضار می رساند که پلاک ١٢٣ فرعی از ٤٥ اصلی مسکونی است",
           [{"kind": "plaque", "text": "١٢٣ فرعی از ٤٥ اصلی", "canonical": "45/123"}]),
    "D2": ("d" * 64, "karaj-1388-0230", "karaj-1388-0230/report.pdf", 2, "2009-05-20",
           "طرح پارکینگ عمومی: پارکینگ طبقاتی، پارکینگ زیرزمینی، پارکینگ حاشیه‌ای و پارکینگ موقت", []),
    "E": ("e" * 64, "karaj-1391-0815", "karaj-1391-0815/parking.pdf", 1, "2012-11-05",
          "درخواست مجوز پارکینگ برای ساختمان اداری در خیابان شهید بهشتی، بلوار دانش‌آموز و میدان آزادی", []),
    # As OCR read a worn page: one dot lost or added in نوسازی, بافت and پارکینگ, and the
    # groups of 31456-78913 in reversed order (Tesseract in a right-to-left line).
    "F": ("0" * 64, "karaj-1395-0999", "karaj-1395-0999/worn.png", 1, None,
          "گزارش توسازی یافت فرسوده در محله مهرشهر\nطرح بارکینگ عمومی شماره ۶۰۷۸\nکد پستی ۷۸۹۱۳-۳۱۴۵۶", []),
}
LABELS = {(path, page): label for label, (_s, _d, path, page, *_rest) in PAGES.items()}


def build_catalog(path: Path) -> Catalog:
    """Seven finished pages, one source under two dossiers, one page never OCR'd."""
    cat = Catalog(path)
    for sha in {p[0] for p in PAGES.values()}:
        pages = [p for p in PAGES.values() if p[0] == sha]
        display = pages[0][2]
        cat.add_source(sha256=sha, kind="pdf", size=1, dpis=[300] * len(pages), first_path=f"/scans/{display}")
        cat.record_path(path=f"/scans/{display}", display=display, dossier=pages[0][1], sha256=sha, size=1, mtime_ns=1)
    cat.record_path(path="/copy/letter.png", display="archive-copy/letter.png", dossier="archive-copy",
                    sha256="b" * 64, size=1, mtime_ns=1)
    cat.add_source(sha256="f" * 64, kind="pdf", size=1, dpis=[300], first_path="/scans/unread.pdf")
    cat.record_path(path="/scans/unread.pdf", display="unread.pdf", dossier="karaj-1384-0412", sha256="f" * 64,
                    size=1, mtime_ns=1)
    for sha, _dossier, _path, page, date, text, ids in PAGES.values():
        cat.record_page(PageRecord(sha, page, text, 88.0, 20, 1, 300, False, 0, 0.0, "standard", 1.0,
                                   document_date=date, identifiers=ids), run_id=1)
    return cat


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    with build_catalog(tmp_path_factory.mktemp("contract") / "catalog.sqlite") as cat:
        yield cat


@pytest.fixture(scope="module", params=[
    "sqlite",
    pytest.param("elasticsearch", marks=[pytest.mark.elasticsearch, pytest.mark.skipif(not ES_URL, reason=ES_SKIP)]),
])
def backend(request: pytest.FixtureRequest, catalog: Catalog) -> Iterator[SearchBackend]:
    if request.param == "sqlite":
        yield SqliteSearch(catalog)
        return
    alias, client = f"parvandeh-test-{uuid.uuid4().hex[:12]}", connect(ES_URL)
    assert reindex(catalog, url=ES_URL, index=alias, client=client) == len(PAGES)
    try:
        yield ElasticSearch(ES_URL, index=alias, client=client)
    finally:
        drop_index(alias, client=client)


def run(backend: SearchBackend, text: str, **kw: Any) -> SearchResult:
    return backend.search(SearchQuery.build(text, **kw))


def found(backend: SearchBackend, text: str, **kw: Any) -> list[str]:
    return [LABELS[h.source, h.page] for h in run(backend, text, **kw).hits]


# -- the contract -------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "expected"), [
    ("كرج", {"A", "B"}), ("کرج", {"A", "B"}),
    ("ساختماني", {"A", "B"}), ("ساختمانی", {"A", "B"}), ("پروانه ساختمانی", {"A", "B"}),
    ("123 فرعی", {"A", "D1"}), ("١٢٣ فرعی", {"A", "D1"}), ("۱۲۳ فرعی", {"A", "D1"}),
    ("6079", {"B"}), ("۶۰۷۹", {"B"}),
    ("می‌رساند", {"A", "B", "D1"}), ("میرساند", {"A", "B", "D1"}), ("می رساند", {"A", "B", "D1"}),
    ("دانش‌آموز", {"E"}), ("دانشآموز", {"E"}), ("دانش آموز", {"E"}),  # a compound, not an affix
    ("31456-78913", {"B", "F"}), ("۳۱۴۵۶/۷۸۹۱۳", {"B", "F"}),  # joined on B, groups reversed on F
    ("78913-31456", {"B", "F"}), ('"31456-78913"', {"B", "F"}),
])
def test_spelling_variants_find_the_same_pages(backend: SearchBackend, typed: str, expected: set[str]) -> None:
    assert set(found(backend, typed)) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ('"صدور پروانه"', {"A"}), ('"پروانه صدور"', set()), ('"ماده صد"', {"A"}),
    ("نوساز*", {"C"}), ("پارک*", {"D2", "E"}), ("45/12*", {"C"}),
    ("تخریب OR demolition", {"A", "C"}), ("پروانه -تخریب", {"B"}), ('شهرداری -"صدور پروانه"', {"B"}),
])
def test_phrase_prefix_or_exclusion(backend: SearchBackend, typed: str, expected: set[str]) -> None:
    assert set(found(backend, typed)) == expected


@pytest.mark.parametrize(("text", "ids", "expected"), [
    ("", (("plaque", "45/123"),), {"A", "D1"}),
    ("پروانه", (("plaque", "45/123"),), {"A"}),
    ("", (("postal_code", "3145678913"),), {"B"}),
    ("", (("permit_number", "6079"),), {"B"}),
    ("", (("renovation_code", "08-03-123-012-000-000"),), {"C"}),
    ("", (("plaque", "45/123"), ("file_number", "12345/84")), {"A"}),
    ("", (("plaque", "99/1"),), set()),
])
def test_identifier_filters(backend: SearchBackend, text: str, ids: tuple[tuple[str, str], ...],
                            expected: set[str]) -> None:
    assert set(found(backend, text, identifiers=ids)) == expected


def test_dossier_and_date_filters(backend: SearchBackend) -> None:
    assert found(backend, "شهرداری", dossier="karaj-1386-0101") == ["B"]
    copy = run(backend, "", dossier="archive-copy")  # any path's dossier; the first one shown
    assert [(LABELS[h.source, h.page], h.dossier) for h in copy.hits] == [("B", "karaj-1386-0101")]
    assert found(backend, "", dossier="karaj-1388-0230") == ["D1", "D2"]
    assert found(backend, "شهرداری", date_from="2006-01-01") == ["B"]
    assert found(backend, "شهرداری", date_to="2006-01-01") == ["A"]
    assert found(backend, "", date_from="2009-01-01", date_to="2009-12-31") == ["D1", "D2"]
    assert "C" not in found(backend, "", date_from="1990-01-01")  # undated pages have no date


def test_ties_break_by_date_then_source_then_page(backend: SearchBackend) -> None:
    assert found(backend, "-شهرداری") == ["C", "F", "D1", "D2", "E"]  # only exclusions; C, F undated


def test_limit_offset_and_total_are_consistent(backend: SearchBackend) -> None:
    everything = run(backend, "", date_from="2000-01-01", limit=20)
    assert everything.total == 5 and len(everything.hits) == 5
    pages = [run(backend, "", date_from="2000-01-01", limit=2, offset=o) for o in (0, 2, 4, 10)]
    assert [p.total for p in pages] == [5, 5, 5, 5]
    assert [len(p.hits) for p in pages] == [2, 2, 1, 0]
    assert [h for p in pages for h in p.hits] == list(everything.hits)


def test_result_shape(backend: SearchBackend) -> None:
    result = run(backend, "کرج", limit=5).to_dict()
    assert set(result) == {"query", "total", "hits"} and result["query"] == "کرج"
    assert result["total"] == 2
    for hit in result["hits"]:
        assert set(hit) == {"source", "sha256", "dossier", "page", "date", "jalali", "score", "snippet", "confidence"}
        assert isinstance(hit["page"], int) and isinstance(hit["score"], float)
        # the date stays ISO; the Jalali date planners read is beside it
        assert (hit["date"], hit["jalali"]) in {("2005-09-03", "1384/06/12"), ("2007-03-21", "1386/01/01")}
        assert hit["sha256"] in {"a" * 64, "b" * 64} and hit["confidence"] == 88.0
    json.dumps(result, ensure_ascii=False)


def test_ranking_prefers_more_mentions(backend: SearchBackend) -> None:
    result = run(backend, "پارکینگ")
    assert [LABELS[h.source, h.page] for h in result.hits] == ["D2", "E"]
    assert result.hits[0].score > result.hits[1].score


def test_snippets_highlight_the_page_spelling(backend: SearchBackend) -> None:
    snippets = {LABELS[h.source, h.page]: h.snippet for h in run(backend, "کرج").hits}
    assert "<mark>كرج</mark>" in snippets["A"] and "<mark>کرج</mark>" in snippets["B"]
    snippets = {LABELS[h.source, h.page]: h.snippet for h in run(backend, "میرساند").hits}
    assert "<mark>می\u200cرساند</mark>" in snippets["A"] and "<mark>ميرساند</mark>" in snippets["B"]
    assert "<mark>ساختماني</mark>" in {LABELS[h.source, h.page]: h.snippet for h in run(backend, "ساختمانی").hits}["B"]


# -- OCR-tolerant matching (--fuzzy) -----------------------------------------------------


@pytest.mark.parametrize(("typed", "exact", "slipped"), [
    ("نوسازی", ["C"], ["F"]),  # ن read as ت
    ('"بافت فرسوده"', ["C"], ["F"]),  # ب read as ی, inside a phrase
    ("نوسازی فرسوده", ["C"], ["F"]),  # one word exact, one a slip away
    ("پارکینگ", ["D2", "E"], ["F"]),  # پ read as ب
])
def test_fuzzy_finds_one_slip_and_ranks_exact_matches_first(
    backend: SearchBackend, typed: str, exact: list[str], slipped: list[str]
) -> None:
    assert found(backend, typed) == exact
    result = run(backend, typed, fuzzy=True)
    labels = [LABELS[h.source, h.page] for h in result.hits]
    assert labels == exact + slipped and result.total == len(labels)
    scores = [h.score for h in result.hits]
    assert min(scores[: len(exact)]) > max(scores[len(exact) :])


@pytest.mark.parametrize(("typed", "expected"), [
    ("6079", ["B"]),  # numbers are identifiers: 6078 is another permit, never a slip
    ("پارکینگ -عمومی", ["E"]),  # an exclusion stays exact
    ("پارک*", ["D2", "E"]),  # so does a prefix
    ("طرح", ["D2", "F"]),  # three letters: a slip would be another word
])
def test_fuzzy_leaves_numbers_exclusions_prefixes_and_short_words_exact(
    backend: SearchBackend, typed: str, expected: list[str]
) -> None:
    assert sorted(found(backend, typed, fuzzy=True)) == expected


def test_fuzzy_snippets_mark_the_slipped_word(backend: SearchBackend) -> None:
    snippets = {LABELS[h.source, h.page]: h.snippet for h in run(backend, "نوسازی", fuzzy=True).hits}
    assert "<mark>توسازی</mark>" in snippets["F"] and "<mark>نوسازی</mark>" in snippets["C"]


# -- grouped by dossier (--by-dossier) ------------------------------------------------------


def groups(result: SearchResult) -> list[tuple[str, int, list[str]]]:
    assert result.dossiers is not None
    return [(g.dossier, g.total, [LABELS[h.source, h.page] for h in g.hits]) for g in result.dossiers]


def test_by_dossier_orders_dossiers_by_their_best_hit(backend: SearchBackend) -> None:
    result = run(backend, "", date_from="2000-01-01", by_dossier=True)
    assert groups(result) == [("karaj-1384-0412", 1, ["A"]), ("karaj-1386-0101", 1, ["B"]),
                              ("karaj-1388-0230", 2, ["D1", "D2"]), ("karaj-1391-0815", 1, ["E"])]
    assert result.total == 5
    assert [LABELS[h.source, h.page] for h in result.hits] == ["A", "B", "D1", "D2", "E"]
    best = run(backend, "پارکینگ", by_dossier=True)
    assert groups(best) == [("karaj-1388-0230", 1, ["D2"]), ("karaj-1391-0815", 1, ["E"])]


@pytest.mark.parametrize("typed", ["پارکینگ OR مالک", "پارکینگ OR مالک OR کرج", "-شهرداری"])
def test_by_dossier_groups_the_ranked_hits(backend: SearchBackend, typed: str) -> None:
    """Dossiers in the order of their best hit, each with its hits in rank order, even the
    ones ranked below other dossiers' hits."""
    expected: dict[str, list[str]] = {}
    for h in run(backend, typed, limit=50).hits:
        expected.setdefault(h.dossier, []).append(LABELS[h.source, h.page])
    assert expected["karaj-1388-0230"] in (["D1", "D2"], ["D2", "D1"])  # one dossier, two pages
    assert groups(run(backend, typed, by_dossier=True)) == [(d, len(hs), hs) for d, hs in expected.items()]


def test_by_dossier_pages_over_dossiers(backend: SearchBackend) -> None:
    page = run(backend, "", date_from="2000-01-01", by_dossier=True, limit=2, offset=1)
    assert [g[0] for g in groups(page)] == ["karaj-1386-0101", "karaj-1388-0230"]
    assert [LABELS[h.source, h.page] for h in page.hits] == ["B", "D1", "D2"] and page.total == 5
    assert groups(run(backend, "", date_from="2000-01-01", by_dossier=True, offset=9)) == []


def test_by_dossier_shows_a_dossiers_best_pages_only(backend: SearchBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("indexer.search.DOSSIER_HITS", 1)
    monkeypatch.setattr("indexer.elastic.DOSSIER_HITS", 1)
    assert groups(run(backend, "", dossier="karaj-1388-0230", by_dossier=True)) == [("karaj-1388-0230", 2, ["D1"])]


def test_by_dossier_result_shape(backend: SearchBackend) -> None:
    result = run(backend, "پارکینگ", by_dossier=True, fuzzy=True).to_dict()
    assert set(result) == {"query", "total", "hits", "dossiers"} and result["total"] == 3
    assert [set(g) for g in result["dossiers"]] == [{"dossier", "total", "hits"}] * 3
    assert result["hits"] == [h for g in result["dossiers"] for h in g["hits"]]
    assert run(backend, "nothing-matches-this", by_dossier=True).to_dict()["dossiers"] == []
    json.dumps(result, ensure_ascii=False)


NASTY = ['"', '""', "*", "(", ")", "-", "--", "NEAR(", "a NEAR b", "AND", "OR", "NOT", "OR OR OR",
         "پروانه AND OR", '"unbalanced', "^", ":", "text:x", "ids.plaque:45", "{x}", "[", "~", "\\", "/",
         "'; DROP TABLE pages; --", "1=1 OR 'a'='a'", "-تخریب -demolition", '-"', "\u200c", "\u200f",
         "\u0640", "%_", "x" * 10_000, " ".join(f"w{i}" for i in range(200)), "پروانه " * 500]


@pytest.mark.parametrize("nasty", NASTY, ids=range(len(NASTY)))
@pytest.mark.parametrize("mode", [{}, {"fuzzy": True, "by_dossier": True}], ids=["plain", "fuzzy-grouped"])
def test_no_input_raises(backend: SearchBackend, nasty: str, mode: dict[str, bool]) -> None:
    result = run(backend, nasty, limit=3, **mode)
    assert result.total >= len(result.hits) and len(result.hits) <= 3 * (DOSSIER_HITS if mode else 1)


# -- indexer.elastic without a server -----------------------------------------------------


def test_mapping_has_the_persian_chain_and_identifier_keywords() -> None:
    body = index_body()
    analysis = body["settings"]["analysis"]
    persian = analysis["analyzer"]["parvandeh_persian"]
    assert persian["tokenizer"] == "standard"
    assert persian["filter"] == ["lowercase", "decimal_digit", "arabic_normalization", "persian_normalization"]
    assert "\\u200C=>" in analysis["char_filter"][persian["char_filter"][0]]["mappings"]
    props = body["mappings"]["properties"]
    assert analysis["analyzer"][props["text"]["analyzer"]] == {"type": "custom", "tokenizer": "whitespace"}
    assert props["text"]["fields"]["fa"]["analyzer"] == "parvandeh_persian"
    for kind in ("plaque", "renovation_code", "postal_code", "file_number", "permit_number", "national_id"):
        assert props["ids"]["properties"][kind] == {"type": "keyword"}
    assert props["date"]["type"] == "date" and props["dossiers"]["type"] == "keyword"


def test_char_filter_deletes_exactly_what_normalize_deletes() -> None:
    rules = index_body()["settings"]["analysis"]["char_filter"]["parvandeh_invisible"]["mappings"]
    chars = [chr(int(rule[2:6], 16)) for rule in rules]
    assert all(rule.endswith("=>") for rule in rules)
    assert all(normalize(f"می{c}رساند") == "میرساند" for c in chars)


def _fake_reindex(catalog: Catalog, cluster: FakeCluster, **kw: Any) -> int:
    return reindex(catalog, index="pp", client=cluster.client(), **kw)


def test_documents_hold_query_tokens_and_the_page_spelling(catalog: Catalog) -> None:
    cluster, seen = FakeCluster(), []
    assert _fake_reindex(catalog, cluster, batch=4, progress=lambda n, t: seen.append((n, t))) == len(PAGES)
    assert seen[-1] == (len(PAGES), len(PAGES))
    docs = cluster.docs("pp")
    assert sorted(docs) == sorted(f"{p[0]}-{p[3]}" for p in PAGES.values())  # never the unread page
    a, b, c = docs["a" * 64 + "-1"], docs["b" * 64 + "-1"], docs["c" * 64 + "-1"]
    assert a["text"] == " ".join(match_tokens(PAGES["A"][5])) and "کرج" in a["text"].split()
    assert "كرج" in a["display"] and "می\u200cرساند" in a["display"]
    assert a["ids"] == {"plaque": ["45/123"], "file_number": ["12345/84"]} and a["date"] == "2005-09-03"
    assert b["dossier"] == "karaj-1386-0101" and b["dossiers"] == ["archive-copy", "karaj-1386-0101"]
    assert c["date"] is None and c["source"] == "karaj-1390-0707/summary.tif"
    d1 = docs["d" * 64 + "-1"]
    for typed in ("می‌رساند", "ميرساند", "١٢٣ فرعی", "كرج"):
        for clause in SearchQuery.build(typed).clauses:
            assert any(f" {' '.join(alt)} " in f" {d1['text']} {d1['extra']} {a['text']} " for alt in clause.alternatives)


def test_reindex_swaps_the_alias_atomically_and_drops_the_old_index(catalog: Catalog) -> None:
    cluster = FakeCluster()
    _fake_reindex(catalog, cluster)
    (first,) = cluster.aliases["pp"]
    assert cluster.indices[first]["body"]["mappings"] == index_body()["mappings"]
    _fake_reindex(catalog, cluster)
    (second,) = cluster.aliases["pp"]
    (swap,) = [r.body["actions"] for r in cluster.of("POST", "/_aliases")][1:]
    assert swap == [{"remove": {"index": first, "alias": "pp"}}, {"add": {"index": second, "alias": "pp"}}]
    assert second != first and list(cluster.indices) == [second]


def test_reindex_replaces_a_plain_index_squatting_the_alias(catalog: Catalog) -> None:
    cluster = FakeCluster()
    cluster.indices["pp"] = {"body": {}, "docs": {}}
    _fake_reindex(catalog, cluster)
    assert cluster.of("POST", "/_aliases")[0].body["actions"][0] == {"remove_index": {"index": "pp"}}
    assert "pp" not in cluster.indices and len(cluster.docs("pp")) == len(PAGES)


def test_reindex_retries_rejected_documents(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr("elasticsearch.helpers.actions.time.sleep", sleeps.append)
    cluster = FakeCluster(item_errors={"a" * 64 + "-1": (429, "es_rejected_execution_exception")})
    assert _fake_reindex(catalog, cluster) == len(PAGES)
    assert sleeps and "a" * 64 + "-1" in cluster.docs("pp")


def test_a_refused_document_fails_clearly_and_keeps_the_old_index(catalog: Catalog) -> None:
    cluster = FakeCluster()
    _fake_reindex(catalog, cluster)
    before = set(cluster.indices)
    cluster.item_errors["c" * 64 + "-1"] = (400, "mapper_parsing_exception")
    with pytest.raises(SearchBackendError, match=r"page c{64}-1 \(status 400\): mapper_parsing_exception"):
        _fake_reindex(catalog, cluster)
    assert set(cluster.indices) == before and cluster.aliases["pp"] == before


def test_alias_actions_and_versioned_names() -> None:
    assert alias_actions("pp", "pp-v2") == [{"add": {"index": "pp-v2", "alias": "pp"}}]
    assert alias_actions("pp", "pp-v2", ["pp-v1", "pp-v2"]) == [
        {"remove": {"index": "pp-v1", "alias": "pp"}}, {"add": {"index": "pp-v2", "alias": "pp"}}]
    name = versioned_name("parvandeh-pages", at=1_700_000_000.25)
    assert name == "parvandeh-pages-v20231114221320250000" and name == name.lower()
    assert versioned_name("p", at=1.0) < versioned_name("p", at=2.0)


def _leaves(body: dict[str, Any], key: str) -> list[Any]:
    found_: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found_.extend(v for k, v in node.items() if k == key)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(body)
    return found_


def test_build_body_clauses() -> None:
    must = build_body(SearchQuery.build("پروانه ۶۰۷۹ ساختماني"))["query"]["bool"]["must"]
    assert [m["multi_match"]["query"] for m in must] == ["پروانه", "6079", "ساختمانی"]
    assert all(m["multi_match"]["type"] == "phrase" and m["multi_match"]["fields"] == ["text", "extra^0.6"] for m in must)
    compound = build_body(SearchQuery.build("دانش آموز"))["query"]["bool"]["must"]
    assert [[a["multi_match"]["query"] for a in m["bool"]["should"]] for m in compound] == [
        ["دانش", "دانشاموز"], ["اموز", "دانشاموز"]]
    assert _leaves(build_body(SearchQuery.build('"صدور پروانه"')), "query")[-1] == "صدور پروانه"
    (joined,) = build_body(SearchQuery.build("می رساند"))["query"]["bool"]["must"]
    assert [a["multi_match"]["query"] for a in joined["bool"]["should"]] == ["می رساند", "میرساند"]
    assert _leaves(build_body(SearchQuery.build("نوساز*")), "prefix") == [{"text": {"value": "نوساز"}},
                                                                        {"extra": {"value": "نوساز", "boost": 0.6}}]
    (multi,) = build_body(SearchQuery.build("45/12*"))["query"]["bool"]["must"]
    assert multi["multi_match"]["type"] == "phrase_prefix" and multi["multi_match"]["query"] == "45 12"
    (either,) = build_body(SearchQuery.build("تخریب OR demolition"))["query"]["bool"]["must"]
    assert either["bool"]["minimum_should_match"] == 1 and len(either["bool"]["should"]) == 2
    only_not = build_body(SearchQuery.build("-تخریب"))["query"]["bool"]
    assert only_not["must"] == [] and only_not["filter"] == [{"match_all": {}}] and len(only_not["must_not"]) == 1


def test_build_body_filters_order_and_paging() -> None:
    q = SearchQuery.build("", identifiers=(("plaque", "45/123"), ("x.y*", "1")), dossier="karaj-1384-0412",
                          date_from="2005-01-01", date_to="2006-01-01", limit=5, offset=10)
    body = build_body(q)
    assert body["query"]["bool"]["filter"] == [
        {"term": {"ids.plaque": "45/123"}}, {"match_none": {}}, {"term": {"dossiers": "karaj-1384-0412"}},
        {"range": {"date": {"gte": "2005-01-01", "lte": "2006-01-01"}}}]
    assert body["sort"] == [{"_score": {"order": "desc"}}, {"date": {"order": "asc", "missing": "_first"}},
                            {"source": {"order": "asc"}}, {"page": {"order": "asc"}}]
    assert (body["from"], body["size"], body["track_total_hits"]) == (10, 5, True)
    deep = build_body(SearchQuery.build("x", offset=MAX_WINDOW - 2, limit=20))
    assert (deep["from"], deep["size"]) == (MAX_WINDOW - 2, 2)
    assert build_body(SearchQuery.build("x", offset=10**6))["size"] == 0


@pytest.mark.parametrize("nasty", NASTY, ids=range(len(NASTY)))
@pytest.mark.parametrize("mode", [{}, {"fuzzy": True, "by_dossier": True}], ids=["plain", "fuzzy-grouped"])
def test_build_body_never_hands_user_text_to_a_parser(nasty: str, mode: dict[str, bool]) -> None:
    for plain in (False, True):
        text = json.dumps(build_body(SearchQuery.build(nasty, **mode), plain=plain))
        assert not any(k in text for k in ('"query_string"', '"simple_query_string"', '"regexp"', '"wildcard"',
                                           '"script"'))


def test_build_body_fuzzy_boosts_exact_matches() -> None:
    body = build_body(SearchQuery.build("نوسازی 6079 طرح -تخریب", fuzzy=True))["query"]["bool"]
    fuzzy, number, short = body["must"]
    assert number["multi_match"]["type"] == "phrase" and "fuzziness" not in number["multi_match"]
    assert fuzzy == {"multi_match": {"query": "نوسازی", "fields": ["text", "extra^0.6"], "fuzziness": 1,
                                     "prefix_length": 0, "max_expansions": FUZZY_MAX_TERMS,
                                     "fuzzy_transpositions": True}}
    assert short["multi_match"]["type"] == "phrase" and "fuzziness" not in short["multi_match"]
    assert body["should"] == [{"constant_score": {"filter": build_body(SearchQuery.build("نوسازی"))["query"]["bool"]
                                                  ["must"][0], "boost": EXACT_BOOST}}]
    assert "fuzzy" not in json.dumps(body["must_not"]) and "fuzz" not in json.dumps(
        build_body(SearchQuery.build("نوساز* 6079", fuzzy=True)))
    assert "should" not in build_body(SearchQuery.build("نوسازی"))["query"]["bool"]


def test_build_body_fuzzy_phrases_are_spans() -> None:
    (phrase,) = build_body(SearchQuery.build('"بافت فرسوده در"', fuzzy=True))["query"]["bool"]["must"]
    on_text, on_extra = phrase["bool"]["should"]
    near = on_text["span_near"]
    assert (near["slop"], near["in_order"], near["boost"], on_extra["span_near"]["boost"]) == (0, True, 1.0, 0.6)
    assert near["clauses"][0] == {"span_multi": {"match": {"fuzzy": {"text": {
        "value": "بافت", "fuzziness": 1, "prefix_length": 0, "max_expansions": FUZZY_MAX_TERMS, "transpositions": True}}}}}
    assert near["clauses"][2] == {"span_term": {"text": "در"}}


def test_build_body_by_dossier_collapses_on_the_dossier() -> None:
    body = build_body(SearchQuery.build("پروانه", by_dossier=True, limit=3, offset=6))
    assert body["collapse"] == {"field": "dossier", "inner_hits": {
        "name": "dossier", "size": DOSSIER_HITS, "sort": body["sort"], "_source": body["_source"],
        "track_scores": True}}
    assert (body["from"], body["size"]) == (6, 3)
    assert "collapse" not in build_body(SearchQuery.build("پروانه"))


def _doc(label: str) -> dict[str, Any]:
    sha, dossier, path, page, date, text, _ids = PAGES[label]
    return {"source": path, "sha256": sha, "dossier": dossier, "page": page, "date": date, "confidence": 88.0,
            "display": text}


def test_search_maps_collapsed_dossiers() -> None:
    cluster = FakeCluster(indices={"pp-v1": {"body": {}, "docs": {}}}, aliases={"pp": {"pp-v1"}})
    inner = {"hits": {"total": {"value": 2, "relation": "eq"}, "hits": [
        {"_score": 3.0, "_source": _doc("D2")}, {"_score": 1.0, "_source": _doc("D1")}]}}
    cluster.search_response = {"hits": {"total": {"value": 3, "relation": "eq"}, "hits": [
        {"_score": 3.0, "_source": _doc("D2"), "inner_hits": {"dossier": inner}},
        {"_score": 2.0, "_source": _doc("E"), "inner_hits": {"dossier": {"hits": {
            "total": {"value": 1, "relation": "eq"}, "hits": [{"_score": 2.0, "_source": _doc("E")}]}}}}]}}
    result = ElasticSearch(index="pp", client=cluster.client()).search(SearchQuery.build("پارکینگ OR مالک",
                                                                                         by_dossier=True))
    assert groups(result) == [("karaj-1388-0230", 2, ["D2", "D1"]), ("karaj-1391-0815", 1, ["E"])]
    assert [LABELS[h.source, h.page] for h in result.hits] == ["D2", "D1", "E"] and result.total == 3
    assert "<mark>پارکینگ</mark>" in result.hits[0].snippet


def test_search_falls_back_to_plain_words_when_the_cluster_refuses() -> None:
    cluster = FakeCluster(indices={"pp-v1": {"body": {}, "docs": {}}}, aliases={"pp": {"pp-v1"}},
                          search_errors=[(400, "search_phase_execution_exception")])
    cluster.search_response = {"hits": {"total": {"value": 1, "relation": "eq"}, "hits": [
        {"_score": 1.0, "_source": _doc("B")}]}}
    q = SearchQuery.build('"پروانه ساختمانی" OR تخریب -کرج', fuzzy=True)
    result = ElasticSearch(index="pp", client=cluster.client()).search(q)
    first, second = (r.body for r in cluster.of("POST", "/pp/_search"))
    assert first == json.loads(json.dumps(build_body(q)))
    assert second == json.loads(json.dumps(build_body(q, plain=True)))
    assert [m["multi_match"]["query"] for m in second["query"]["bool"]["must"]] == ["پروانه", "ساختمانی"]
    assert second["query"]["bool"]["must_not"] == [] and "should" not in second["query"]["bool"]
    assert result.total == 1 and LABELS[result.hits[0].source, 1] == "B"
    refused = FakeCluster(indices={"pp-v1": {"body": {}, "docs": {}}}, aliases={"pp": {"pp-v1"}},
                          search_errors=[(400, "x_content_parse_exception")] * 2)
    with pytest.raises(SearchBackendError, match="refused"):
        ElasticSearch(index="pp", client=refused.client()).search(q)


def test_search_maps_the_response_and_highlights() -> None:
    cluster = FakeCluster(indices={"pp-v1": {"body": {}, "docs": {}}}, aliases={"pp": {"pp-v1"}})
    cluster.search_response = {"hits": {"total": {"value": 7, "relation": "eq"}, "hits": [{"_score": 1.234567, "_source": {
        "source": "karaj-1384-0412/scan_01.pdf", "sha256": "a" * 64, "dossier": "karaj-1384-0412", "page": 1,
        "date": "2005-09-03", "confidence": 88.0, "display": PAGES["A"][5]}}]}}
    q = SearchQuery.build("کرج", limit=1)
    result = ElasticSearch(index="pp", client=cluster.client()).search(q)
    assert cluster.of("POST", "/pp/_search")[0].body == json.loads(json.dumps(build_body(q)))
    assert result.total == 7 and result.hits[0].score == 1.2346 and result.hits[0].date == "2005-09-03"
    assert "<mark>كرج</mark>" in result.hits[0].snippet


def test_both_backends_give_hits_one_json_shape(catalog: Catalog) -> None:
    """A script reading `search --json` cannot tell the backends apart: same keys, same order,
    ISO `date` with its `jalali` beside it (null with it for an undated page)."""
    cluster = FakeCluster(indices={"pp-v1": {"body": {}, "docs": {}}}, aliases={"pp": {"pp-v1"}})
    cluster.search_response = {"hits": {"total": {"value": 2, "relation": "eq"}, "hits": [
        {"_score": 2.0, "_source": _doc("A")}, {"_score": 1.0, "_source": _doc("C")}]}}
    q = SearchQuery.build("45/123 OR 45/124")
    es = ElasticSearch(index="pp", client=cluster.client()).search(q).to_dict()["hits"]
    sqlite = {(h["source"], h["page"]): h for h in SqliteSearch(catalog).search(q).to_dict()["hits"]}
    assert [(h["source"], h["date"], h["jalali"]) for h in es] == [
        ("karaj-1384-0412/scan_01.pdf", "2005-09-03", "1384/06/12"), ("karaj-1390-0707/summary.tif", None, None)]
    for hit in es:
        twin = sqlite[hit["source"], hit["page"]]
        assert list(hit) == list(twin)
        assert {k: hit[k] for k in ("sha256", "dossier", "date", "jalali")} == {
            k: twin[k] for k in ("sha256", "dossier", "date", "jalali")}


def test_search_without_searchable_text_asks_nothing() -> None:
    cluster = FakeCluster()
    assert ElasticSearch(index="pp", client=cluster.client()).search(SearchQuery.build('"*"')).total == 0
    assert cluster.requests == []


def test_errors_are_typed_and_say_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BackendUnreachable, match=f"127.0.0.1:{port}"):
        ElasticSearch(f"http://127.0.0.1:{port}").search(SearchQuery.build("کرج"))
    with pytest.raises(SearchBackendError, match="run `parvandeh reindex"):
        ElasticSearch(index="missing", client=FakeCluster().client()).search(SearchQuery.build("کرج"))
    old_server = FakeCluster(answer_all=(400, "media_type_header_exception"))
    with pytest.raises(SearchBackendError, match=r"elasticsearch>=8.12,<9"):
        ElasticSearch(index="pp", client=old_server.client()).search(SearchQuery.build("کرج"))
    monkeypatch.delenv("PARVANDEH_ES_URL", raising=False)
    with pytest.raises(SearchBackendError, match="PARVANDEH_ES_URL"):
        ElasticSearch()
