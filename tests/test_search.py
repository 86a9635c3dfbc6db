"""Query parsing, FTS quoting and search over a catalog filled without OCR."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.catalog import Catalog, PageRecord
from indexer.query import SearchQuery, parse
from indexer.search import SqliteSearch, build_sql, quote, snippet

PAGES = {
    "a" * 64: ("karaj-1384-0412", "karaj-1384-0412/scan_01.pdf", "2005-09-03",
               "شهرداری كرج\nدرخواست صدور پروانه ساختمانی برای پلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی\nکمیسیون ماده صد می‌رساند که تخریب لازم است"),
    "b" * 64: ("karaj-1386-0101", "karaj-1386-0101/letter.png", "2007-03-21",
               "شهرداری کرج\nمعاونت شهرسازی و معماری به استحضار ميرساند پروانه ساختمانی صادر شد"),
    "c" * 64: ("karaj-1390-0707", "karaj-1390-0707/summary.tif", None,
               "Summary of the Article 100 commission ruling: demolition of the unauthorised floor.\nنوسازی بافت فرسوده"),
}


@pytest.fixture
def catalog(tmp_path: Path):
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        for sha, (dossier, display, date, text) in PAGES.items():
            path = f"/scans/{display}"
            cat.add_source(sha256=sha, kind="pdf", size=1, dpis=[300], first_path=path)
            cat.record_path(path=path, display=display, dossier=dossier, sha256=sha, size=1, mtime_ns=1)
            cat.record_page(PageRecord(sha, 1, text, 88.0, 20, 1, 300, False, 0, 0.0, "standard", 1.0, document_date=date,
                                       identifiers=[{"kind": "plaque", "text": "۱۲۳ فرعی از ۴۵ اصلی", "canonical": "45/123"}] if sha[0] == "a" else []), run_id=1)
        yield cat


def _sources(catalog: Catalog, text: str, **kw: object) -> list[str]:
    return [h.source for h in SqliteSearch(catalog).search(SearchQuery.build(text, **kw)).hits]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "typed",
    [
        "پروانه ساختمانی",
        "پروانه",
        "كرج",  # Arabic kaf
        "ساختماني",  # Arabic yeh
    ],
)
def test_spelling_variants_find_the_same_pages(catalog: Catalog, typed: str) -> None:
    assert set(_sources(catalog, typed)) >= {"karaj-1384-0412/scan_01.pdf", "karaj-1386-0101/letter.png"}


@pytest.mark.parametrize("typed", ["می‌رساند", "میرساند", "می رساند"])
def test_half_space_spellings_match_each_other(catalog: Catalog, typed: str) -> None:
    assert set(_sources(catalog, typed)) == {"karaj-1384-0412/scan_01.pdf", "karaj-1386-0101/letter.png"}


def test_persian_and_latin_digits_match(catalog: Catalog) -> None:
    assert _sources(catalog, "123 فرعی") == ["karaj-1384-0412/scan_01.pdf"]
    assert _sources(catalog, "١٢٣ فرعی") == ["karaj-1384-0412/scan_01.pdf"]


def test_phrase_prefix_or_and_exclusion(catalog: Catalog) -> None:
    assert _sources(catalog, '"صدور پروانه"') == ["karaj-1384-0412/scan_01.pdf"]
    assert _sources(catalog, '"پروانه صدور"') == []
    assert _sources(catalog, "نوساز*") == ["karaj-1390-0707/summary.tif"]
    assert set(_sources(catalog, "تخریب OR demolition")) == {"karaj-1384-0412/scan_01.pdf", "karaj-1390-0707/summary.tif"}
    assert _sources(catalog, "پروانه -تخریب") == ["karaj-1386-0101/letter.png"]


@pytest.mark.parametrize(
    "nasty",
    ['"', '""', "*", "(", ")", "-", "NEAR(", "a NEAR b", "AND", "OR", "NOT", "پروانه AND OR", '"unbalanced', "^", ":", "body:x", "{x}", "'; DROP TABLE pages; --"],
)
def test_no_input_raises(catalog: Catalog, nasty: str) -> None:
    result = SqliteSearch(catalog).search(SearchQuery.build(nasty))
    assert result.total >= 0


def test_filters_dossier_date_identifier(catalog: Catalog) -> None:
    assert _sources(catalog, "شهرداری", dossier="karaj-1386-0101") == ["karaj-1386-0101/letter.png"]
    assert _sources(catalog, "شهرداری", date_from="2006-01-01") == ["karaj-1386-0101/letter.png"]
    assert _sources(catalog, "شهرداری", date_to="2006-01-01") == ["karaj-1384-0412/scan_01.pdf"]
    assert _sources(catalog, "", identifiers=(("plaque", "45/123"),)) == ["karaj-1384-0412/scan_01.pdf"]


def test_limit_offset_and_total(catalog: Catalog) -> None:
    first = SqliteSearch(catalog).search(SearchQuery.build("شهرداری", limit=1))
    second = SqliteSearch(catalog).search(SearchQuery.build("شهرداری", limit=1, offset=1))
    assert first.total == second.total == 2
    assert first.hits[0].source != second.hits[0].source


def test_snippet_highlights_the_page_spelling() -> None:
    q = SearchQuery.build("کرج")
    s = snippet("شهرداری كرج معاونت", q)
    assert "<mark>كرج</mark>" in s  # Arabic kaf kept as the page has it


def test_quote_doubles_quotes() -> None:
    assert quote('a"b') == '"a""b"'


def test_build_sql_never_inlines_user_text() -> None:
    q = SearchQuery.build("x'); DROP TABLE pages; --")
    sql, count, params = build_sql(q)
    assert "DROP" not in sql and "DROP" not in count
    assert any("drop" in str(p) for p in params)


def test_parse_keeps_unknown_syntax_as_words() -> None:
    clauses = parse("NEAR(پروانه")
    assert [c.alternatives for c in clauses] == [(("near", "پروانه"),)]
