"""Query parsing, FTS quoting and search over a catalog filled without OCR."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from indexer.catalog import Catalog, PageRecord, index_text
from indexer.query import (
    FUZZY_MAX_ALTERNATIVES,
    Clause,
    SearchQuery,
    expand_fuzzy,
    fuzzy_eligible,
    one_edit_variants,
    parse,
    within_one_edit,
)
from indexer.search import (
    SqliteSearch,
    build_sql,
    build_top_sql,
    merge_ranked,
    quote,
    search_threads,
    snippet,
)

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


@pytest.mark.parametrize("mode", [{}, {"fuzzy": True}, {"by_dossier": True}, {"dossier": "x'--"}])
def test_build_sql_never_inlines_user_text(mode: dict[str, object]) -> None:
    q = SearchQuery.build("x'); DROP TABLE pages; -- ساختمانی", **mode)  # type: ignore[arg-type]
    expanded = [expand_fuzzy(c, lambda t: ["ساختمانى'); DROP"]) for c in q.clauses] if q.fuzzy else None
    for sql in (build_sql(q, expanded=expanded), build_top_sql(q, size=5, expanded=expanded, ties=True)):
        assert "DROP" not in sql.select and "DROP" not in sql.total and "x'" not in sql.select
        assert any("drop" in str(p) for p in sql.select_params)


@pytest.mark.parametrize(("typed", "alternatives"), [
    ("31456-78913", [("31456", "78913"), ("3145678913",), ("7891331456",), ("78913", "31456")]),
    ("۱۳۹۲/۰۸/۰۱", [("1392", "08", "01"), ("13920801",), ("1392", "0801"), ("139208", "01"), ("01081392",),
                    ("01", "081392"), ("0108", "1392"), ("01", "08", "1392")]),
    ("08-03-123-012-000-000", [("08", "03", "123", "012", "000", "000"), ("0803123012000000",),
                               ("000", "000", "012", "123", "03", "08"), ("0000000121230308",)]),
    ("6079", [("6079",)]),
    ("45/12*", [("45", "12")]),  # a prefix stays as typed
    ("فرم-12", [("فرم", "12")]),  # not all digits
])
def test_digit_groups_also_match_as_ocr_returns_them(typed: str, alternatives: list[tuple[str, ...]]) -> None:
    (clause,) = parse(typed)
    assert list(clause.alternatives) == alternatives


def test_compounds_typed_with_a_space_also_match_joined() -> None:
    assert [c.alternatives for c in parse("دانش آموز")] == [(("دانش",), ("دانشاموز",)), (("اموز",), ("دانشاموز",))]
    assert [c.alternatives for c in parse("عقب نشینی به")] == [
        (("عقب",), ("عقبنشینی",)), (("نشینی",), ("عقبنشینی",)), (("به",),)]  # به is too short to be a half
    assert [c.alternatives for c in parse("کد ملی")] == [(("کد",),), (("ملی",),)]
    assert [c.alternatives for c in parse("permit number")] == [(("permit",),), (("number",),)]
    assert [c.alternatives for c in parse("دانش -آموز")][0] == (("دانش",),)  # never across an exclusion


def test_parse_keeps_unknown_syntax_as_words() -> None:
    clauses = parse("NEAR(پروانه")
    assert [c.alternatives for c in clauses] == [(("near", "پروانه"),)]


# -- OCR-tolerant matching: the edit model ------------------------------------------------


@pytest.mark.parametrize(("word", "slip"), [
    ("نوسازی", "توسازی"),  # ن → ت: a dot misplaced
    ("نوسازی", "نوسازن"),  # final ی → ن
    ("پارکینگ", "بارکینگ"),  # پ → ب: two dots lost
    ("ساختمانی", "ساخنمانی"),  # ت → ن
    ("ثبتی", "تبتی"),  # ث → ت
    ("فرسوده", "فرسود"),  # a letter lost
    ("کمیسیون", "کمیسییون"),  # a letter added
    ("نوسازی", "نوسزای"),  # neighbours swapped
    ("demolition", "demolitlon"),  # Latin: one substitution
])
def test_one_slip_is_one_edit(word: str, slip: str) -> None:
    assert slip != word
    assert slip in one_edit_variants(word)
    assert within_one_edit(word, slip) and within_one_edit(slip, word)


@pytest.mark.parametrize(("a", "b"), [
    ("نوسازی", "توسازیها"), ("پارکینگ", "بارکینک"), ("نوسازی", "سازینو"), ("abcd", "badc"), ("شهرداری", "شهر"),
])
def test_two_slips_are_not_one(a: str, b: str) -> None:
    assert not within_one_edit(a, b) and b not in one_edit_variants(a)


def _osa(a: str, b: str) -> int:
    """Textbook optimal-string-alignment distance, to check the fast test against."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_within_one_edit_agrees_with_the_textbook_distance() -> None:
    import random

    rng = random.Random(5)
    letters = "نتبپیثس"
    for _ in range(3000):
        a = "".join(rng.choice(letters) for _ in range(rng.randint(0, 6)))
        b = "".join(rng.choice(letters) for _ in range(rng.randint(0, 6)))
        assert within_one_edit(a, b) == (_osa(a, b) <= 1), (a, b)
    for word in ("نوسازی", "ثبت", "abc"):
        assert all(_osa(word, v) == 1 for v in one_edit_variants(word))


@pytest.mark.parametrize(("token", "eligible"), [
    ("نوسازی", True), ("پارکینگ", True), ("demolition", True), ("ملک", False), ("طرح", False),
    ("6079", False), ("45a1", False), ("نوسازی2", False), ("x" * 31, False), ("x" * 30, True),
])
def test_fuzzy_eligible(token: str, eligible: bool) -> None:
    assert fuzzy_eligible(token) is eligible


def test_expand_fuzzy_keeps_exact_first_and_caps_phrases() -> None:
    (word,) = parse("نوسازی")
    wide = expand_fuzzy(word, lambda t: ["توسازی", "نوسازى"])
    assert wide.alternatives == (("نوسازی",), ("توسازی",), ("نوسازى",))
    (phrase,) = parse('"بافت فرسوده"')
    wide = expand_fuzzy(phrase, lambda t: {"بافت": ["یافت"], "فرسوده": ["فرسود"]}[t])
    assert wide.alternatives[0] == ("بافت", "فرسوده")
    assert set(wide.alternatives[1:]) == {("بافت", "فرسود"), ("یافت", "فرسوده"), ("یافت", "فرسود")}
    many = expand_fuzzy(Clause((("الفبا", "الفبا", "الفبا"),)), lambda t: [f"x{i}" for i in range(50)])
    assert len(many.alternatives) == 1 + FUZZY_MAX_ALTERNATIVES
    (negated,) = parse("-نوسازی")
    assert expand_fuzzy(negated, lambda t: ["توسازی"]) == negated


def test_catalog_finds_index_terms_one_slip_away(catalog: Catalog) -> None:
    terms = catalog.index_terms(one_edit_variants("ساختمانی"))
    assert terms == {}  # no slip of it on these pages
    assert catalog.index_terms(["پروانه", "شهرداری", "nothing", ""]) == {"پروانه": 2, "شهرداری": 2}


# -- ranking in the index equals the full statement ---------------------------------------

TIES = [
    # Many pages with the same wording: equal scores, so order falls to date, path, page.
    ("same", "درخواست صدور پروانه ساختمانی برای ملک مسکونی"),
    ("more", "پروانه ساختمانی پروانه ساختمانی صادر شد"),
    ("other", "کمیسیون ماده صد رأی به قلع بنا داد و پروانه باطل شد"),
]


@pytest.fixture(scope="module")
def tied(tmp_path_factory: pytest.TempPathFactory):
    with Catalog(tmp_path_factory.mktemp("ties") / "catalog.sqlite") as cat:
        n = 0
        for d in range(9):
            dossier = f"karaj-13{80 + d}-{d:04d}"
            for f in range(1 + d % 3):
                sha = f"{d:02d}{f:02d}".ljust(64, "0")
                display = f"{dossier}/scan_{f + 1:02d}.pdf"
                kinds = [TIES[(d + f + i) % 3] for i in range(4)]
                cat.add_source(sha256=sha, kind="pdf", size=1, dpis=[300] * len(kinds), first_path=f"/s/{display}")
                cat.record_path(path=f"/s/{display}", display=display, dossier=dossier, sha256=sha, size=1, mtime_ns=1)
                cat.record_pages(
                    [PageRecord(sha, i + 1, text, 90.0, 5, 0, 300, False, 0, 0.0, "standard", 1.0,
                                document_date=None if (n + i) % 5 == 0 else f"20{10 + (n + i) % 4}-01-0{1 + i}",
                                identifiers=[{"kind": "permit_number", "text": "۶۰۷۹", "canonical": str(6000 + d % 2)}])
                     for i, (_kind, text) in enumerate(kinds)],
                    run_id=1,
                )
                n += 1
        yield cat


TIE_QUERIES = ["پروانه", "پروانه ساختمانی", '"پروانه ساختمانی"', "پرو*", "پروانه -کمیسیون", "صدور OR قلع",
               "پروانه", "ساختمانى", "ملک", "nothing"]
TIE_MODES = [{}, {"limit": 3}, {"limit": 4, "offset": 5}, {"limit": 50}, {"by_dossier": True, "limit": 2},
             {"by_dossier": True, "limit": 3, "offset": 2}, {"fuzzy": True, "limit": 7},
             {"identifiers": (("permit_number", "6001"),), "limit": 6}, {"dossier": "karaj-1382-0002"},
             {"date_from": "2011-01-01", "limit": 5}]


@pytest.mark.parametrize("slack", [0, 1, 100])
@pytest.mark.parametrize("mode", TIE_MODES, ids=range(len(TIE_MODES)))
def test_ranking_in_the_index_equals_the_full_statement(tied: Catalog, mode: dict[str, object], slack: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("indexer.search.TOP_SLACK", slack)  # small: the candidates end inside ties
    fast = SqliteSearch(tied)
    assert fast.consistent()
    for text in TIE_QUERIES:
        q = SearchQuery.build(text, **mode)  # type: ignore[arg-type]
        quick = fast.search(q).to_dict()
        with monkeypatch.context() as m:
            m.setattr(SqliteSearch, "_index_first", lambda *a: None)
            full = SqliteSearch(tied).search(q).to_dict()
        assert quick == full, (text, mode)


@pytest.mark.parametrize("threads", [2, 3, 5])
@pytest.mark.parametrize("slack", [0, 100])
@pytest.mark.parametrize("mode", TIE_MODES, ids=range(len(TIE_MODES)))
def test_ranking_in_parallel_ranges_equals_the_full_statement(tied: Catalog, mode: dict[str, object], slack: int,
                                                              threads: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Split into page-id ranges ranked in threads (forced on this small index), ties cut at
    every range's edge: the same hits, scores, order and totals as the full statement."""
    monkeypatch.setattr("indexer.search.TOP_SLACK", slack)
    monkeypatch.setattr("indexer.search.PARALLEL_FROM_PAGES", 1)
    ranged: list[int] = []
    original = SqliteSearch._in_parallel

    def spy(self: SqliteSearch, make: object, spans: list[tuple[int, int]]) -> object:
        ranged.append(len(spans))
        return original(self, make, spans)  # type: ignore[arg-type]

    monkeypatch.setattr(SqliteSearch, "_in_parallel", spy)
    with SqliteSearch(tied, threads=threads) as fast:
        for text in TIE_QUERIES:
            q = SearchQuery.build(text, **mode)  # type: ignore[arg-type]
            quick = fast.search(q).to_dict()
            with monkeypatch.context() as m:
                m.setattr(SqliteSearch, "_index_first", lambda *a: None)
                full = SqliteSearch(tied, threads=1).search(q).to_dict()
            assert quick == full, (text, mode, threads)
    assert ranged and max(ranged) == threads


def _ranked(*keys: tuple[int, float]) -> list[dict[str, float]]:
    return [{"id": 0, "tier": t, "score": s} for t, s in keys]


def test_merging_ranges_keeps_only_what_ranks_above_every_cut() -> None:
    # two ranges asked for their best 3: the second stopped at 5.0, so its other 5.0s and
    # anything lower may be missing; 7.0 and 6.0 from both are certain
    first, second = _ranked((0, 9.0), (0, 6.0), (0, 4.0)), _ranked((0, 7.0), (0, 5.0), (0, 5.0))
    rows, complete = merge_ranked([first, second], 3, ties=False)  # type: ignore[list-item]
    assert [r["score"] for r in rows] == [9.0, 7.0, 6.0] and not complete
    rows, complete = merge_ranked([first[:2], second[:2]], 4, ties=False)  # type: ignore[list-item]
    assert [r["score"] for r in rows] == [9.0, 7.0, 6.0, 5.0] and complete  # no range was cut: all of them
    rows, complete = merge_ranked([first[:2], second[:2]], 3, ties=False)  # type: ignore[list-item]
    assert [r["score"] for r in rows] == [9.0, 7.0, 6.0] and not complete  # the best 3: more may follow
    rows, complete = merge_ranked([_ranked((0, 8.0), (0, 2.0)), _ranked((0, 2.0))], 2, ties=False)  # type: ignore[list-item]
    assert [r["score"] for r in rows] == [8.0] and not complete  # the first range may hide more 2.0s
    # the exact tier outranks any score
    rows, _ = merge_ranked([_ranked((1, 0.5)), _ranked((0, 9.0))], 5, ties=False)  # type: ignore[list-item]
    assert [r["tier"] for r in rows] == [1, 0]


def test_merging_ranges_with_ties_keeps_whole_tie_groups() -> None:
    # each range holds its best 2 and every tie of its last
    first, second = _ranked((0, 9.0), (0, 5.0), (0, 5.0)), _ranked((0, 5.0), (0, 5.0), (0, 1.0))[:2]
    rows, complete = merge_ranked([first, second], 2, ties=True)  # type: ignore[list-item]
    assert [r["score"] for r in rows] == [9.0, 5.0, 5.0, 5.0, 5.0] and not complete
    rows, complete = merge_ranked([_ranked((0, 2.0)), _ranked((0, 3.0))], 4, ties=True)  # type: ignore[list-item]
    assert [r["score"] for r in rows] == [3.0, 2.0] and complete


def test_ranking_threads_stop_with_the_search(tied: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("indexer.search.PARALLEL_FROM_PAGES", 1)
    search = SqliteSearch(tied, threads=2)
    assert search.search(SearchQuery.build("پروانه")).total > 0
    connections = list(search._connections)
    assert connections and search._pool is not None
    search.close()
    assert search._pool is None and not search._connections
    with pytest.raises(Exception, match="closed"):
        connections[0].execute("SELECT 1")
    assert search.search(SearchQuery.build("پروانه")).total > 0  # a closed search starts again on demand
    search.close()


def test_ranking_threads_leave_small_archives_and_open_transactions_alone(
    tied: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SqliteSearch(tied, threads=4) as search:  # 70-odd pages: far below PARALLEL_FROM_PAGES
        assert search.search(SearchQuery.build("پروانه")).total > 0
        assert search._pool is None
    monkeypatch.setattr("indexer.search.PARALLEL_FROM_PAGES", 1)
    with SqliteSearch(tied, threads=1) as search:
        assert search._spans() is None
    with SqliteSearch(tied, threads=2) as search:
        assert search._spans() is not None
        with tied.transaction():  # its own connections would not see this one's writes
            assert search._spans() is None


def test_ranking_threads_open_a_catalog_in_a_persian_folder_read_only(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "بایگانی کرج #۱?"
    with Catalog(folder / "catalog.sqlite") as cat:
        _fill(cat)
        monkeypatch.setattr("indexer.search.PARALLEL_FROM_PAGES", 1)
        monkeypatch.chdir(tmp_path)  # the ranges still open the catalog the search was given
        with SqliteSearch(cat, threads=2) as search:
            assert search.search(SearchQuery.build("شهرداری")).total == 2
            db = search._connections[0]
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                db.execute("DELETE FROM meta")
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".sqlite") == ["catalog.sqlite"]


def test_a_failing_range_connection_falls_back_to_one_pass(tied: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("indexer.search.PARALLEL_FROM_PAGES", 1)

    def broken(self: SqliteSearch) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(SqliteSearch, "_thread_db", broken)
    for text in ["پروانه -کمیسیون", '"پروانه ساختمانی"', "صدور OR قلع"]:  # operators kept: not plain words
        q = SearchQuery.build(text, limit=4)
        with SqliteSearch(tied, threads=2) as search:
            quick = search.search(q).to_dict()
        with monkeypatch.context() as m:
            m.setattr(SqliteSearch, "_index_first", lambda *a: None)
            assert quick == SqliteSearch(tied, threads=1).search(q).to_dict()


def test_search_threads_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARVANDEH_SEARCH_THREADS", "3")
    assert search_threads() == 3
    monkeypatch.setenv("PARVANDEH_SEARCH_THREADS", "0")
    assert search_threads() == 1
    monkeypatch.setenv("PARVANDEH_SEARCH_THREADS", "two")
    with pytest.raises(ValueError, match="PARVANDEH_SEARCH_THREADS"):
        search_threads()
    monkeypatch.delenv("PARVANDEH_SEARCH_THREADS")
    assert 1 <= search_threads() <= 4


def test_ranking_in_the_index_is_used_and_widens_past_ties(tied: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[int, bool]] = []
    original = SqliteSearch._candidates

    def spy(self: SqliteSearch, query: SearchQuery, expanded: object, size: int, *, ties: bool, **kw: object) -> object:
        asked.append((size, ties))
        return original(self, query, expanded, size, ties=ties, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(SqliteSearch, "_candidates", spy)
    monkeypatch.setattr("indexer.search.TOP_SLACK", 0)
    result = SqliteSearch(tied).search(SearchQuery.build("پروانه", limit=2))
    assert len(result.hits) == 2 and asked[0] == (4, False) and asked[-1][1] is True


def _fill(cat: Catalog) -> None:
    """The three PAGES, without identifiers."""
    for sha, (dossier, display, date, text) in PAGES.items():
        cat.add_source(sha256=sha, kind="pdf", size=1, dpis=[300], first_path=f"/scans/{display}")
        cat.record_path(path=f"/scans/{display}", display=display, dossier=dossier, sha256=sha, size=1, mtime_ns=1)
        cat.record_page(PageRecord(sha, 1, text, 88.0, 20, 1, 300, False, 0, 0.0, "standard", 1.0,
                                   document_date=date), run_id=1)


def test_an_inconsistent_catalog_is_searched_in_full(tmp_path: Path) -> None:
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        _fill(cat)
        search = SqliteSearch(cat)
        assert search.consistent() and search.search(SearchQuery.build("شهرداری")).total == 2
        cat.db.execute("DELETE FROM paths WHERE display = ?", ("karaj-1386-0101/letter.png",))
        assert not search.consistent()
        result = search.search(SearchQuery.build("شهرداری"))
        assert result.total == 1 and [h.source for h in result.hits] == ["karaj-1384-0412/scan_01.pdf"]


# -- the batched write path -----------------------------------------------------------------


def _dump(cat: Catalog) -> list[list[tuple[object, ...]]]:
    tables = ["pages", "identifiers", "page_text"]
    out = [[tuple(r) for r in cat.db.execute(f"SELECT * FROM {t} ORDER BY 1")] for t in tables]
    out.append([tuple(r) for r in cat.db.execute("SELECT term, doc, cnt FROM temp.pages_vocab ORDER BY term")])
    return out


@pytest.mark.parametrize("way", ["batched", "worker forms"])
def test_record_pages_writes_what_record_page_writes(tmp_path: Path, way: str) -> None:
    dumps = []
    for batched in (False, True):
        with Catalog(tmp_path / f"{batched}.sqlite") as cat:
            records = []
            for sha, (dossier, display, date, text) in PAGES.items():
                cat.add_source(sha256=sha, kind="pdf", size=1, dpis=[300], first_path=f"/s/{display}")
                cat.record_path(path=f"/s/{display}", display=display, dossier=dossier, sha256=sha, size=1, mtime_ns=1)
                records.append(PageRecord(sha, 1, text, 88.0, 20, 1, 300, False, 0, 0.0, "standard", 1.0,
                                          document_date=date, identifiers=[{"kind": "plaque", "text": "45/1", "canonical": "45/1"}],
                                          index=index_text(text) if batched and way == "worker forms" else None))
            if batched:
                assert cat.record_pages(records, run_id=1) == 3
                assert cat.record_pages(records, run_id=1) == 0  # already done: written once
            else:
                assert all(cat.record_page(r, run_id=1) for r in records)
            cat.index_terms(["x"])  # creates the vocabulary view
            dumps.append([[row[:-2] if t == 0 else row for row in rows] for t, rows in enumerate(_dump(cat))])
            # `updated` and `run_id` columns aside (timestamps), the catalogs are the same
    assert dumps[0] == dumps[1]


def test_index_text_is_what_the_catalog_indexes() -> None:
    forms = index_text("کمیسیون ماده صد می رساند كه")
    assert forms.body == "کمیسیون ماده صد می رساند که" and forms.extra == "میرساند"


def test_record_pages_is_all_or_nothing(tmp_path: Path) -> None:
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        sha, (dossier, display, date, text) = next(iter(PAGES.items()))
        cat.add_source(sha256=sha, kind="pdf", size=1, dpis=[300], first_path="/s/a.pdf")
        good = PageRecord(sha, 1, text, 88.0, 20, 1, 300, False, 0, 0.0, "standard", 1.0)
        with pytest.raises(KeyError, match="not in the ledger"):
            cat.record_pages([good, PageRecord(sha, 2, text, 88.0, 20, 1, 300, False, 0, 0.0, "standard", 1.0)], run_id=1)
        assert cat.counts()["done"] == 0


@pytest.mark.parametrize("batched", [False, True])
def test_a_page_written_again_replaces_its_index_rows(tmp_path: Path, batched: bool) -> None:
    """A page whose old text is still indexed (state reset by hand) is indexed afresh: the
    full-text rows of the whole batch go in at its end, each page's old ones out first."""
    shas = list(PAGES)
    dumps = []
    for again in (True, False):
        with Catalog(tmp_path / f"{again}.sqlite") as cat:
            for sha, (dossier, display, _date, _text) in PAGES.items():
                cat.add_source(sha256=sha, kind="pdf", size=1, dpis=[300], first_path=f"/s/{display}")
                cat.record_path(path=f"/s/{display}", display=display, dossier=dossier, sha256=sha, size=1, mtime_ns=1)

            def record(sha: str, text: str) -> PageRecord:
                return PageRecord(sha, 1, text, 88.0, 20, 1, 300, False, 0, 0.0, "standard", 1.0)

            if again:  # first written with another page's text, then put back to pending
                cat.record_pages([record(sha, PAGES[shas[(i + 1) % 3]][3]) for i, sha in enumerate(shas)], run_id=1)
                cat.db.execute("UPDATE pages SET state = 'pending'")
            final = [record(sha, PAGES[sha][3]) for sha in shas]
            if batched:
                assert cat.record_pages(final, run_id=2) == 3
            else:
                assert all(cat.record_page(r, run_id=2) for r in final)
            cat.index_terms(["x"])
            dumps.append(_dump(cat)[1:])
            assert SqliteSearch(cat).search(SearchQuery.build("Summary")).total == 1
    assert dumps[0] == dumps[1]


def test_date_filters_rank_in_the_index(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    original = SqliteSearch._candidates

    def spy(self: SqliteSearch, query: SearchQuery, expanded: object, size: int, *, ties: bool, **kw: object) -> object:
        asked.append(size)
        return original(self, query, expanded, size, ties=ties, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(SqliteSearch, "_candidates", spy)
    assert _sources(catalog, "شهرداری", date_from="2006-01-01") == ["karaj-1386-0101/letter.png"]
    assert asked, "a date filter should not force the full statement"


def test_a_complete_first_answer_is_not_counted_again(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[int] = []
    original = SqliteSearch._count

    def spy(self: SqliteSearch, query: SearchQuery, expanded: object, **kw: object) -> int:
        counted.append(original(self, query, expanded, **kw))  # type: ignore[arg-type]
        return counted[-1]

    monkeypatch.setattr(SqliteSearch, "_count", spy)
    assert SqliteSearch(catalog).search(SearchQuery.build("شهرداری")).total == 2
    assert counted == []  # fewer matches than candidates asked for: that is all of them
    monkeypatch.setattr("indexer.search.TOP_SLACK", 0)  # two asked for, two found: maybe more
    result = SqliteSearch(catalog).search(SearchQuery.build("شهرداری", limit=1))
    assert result.total == 2 and len(result.hits) == 1 and counted == [2]


# -- the command line -------------------------------------------------------------------------


def _cli(archive: Path, *args: str) -> str:
    from click.testing import CliRunner

    from cli import cli

    result = CliRunner().invoke(cli, ["search", *args, "--archive", str(archive)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    with Catalog(tmp_path / "archive" / "catalog.sqlite") as cat:
        for sha, (dossier, display, date, text) in {**PAGES, "d" * 64: ("karaj-1384-0412", "karaj-1384-0412/worn.png",
                                                                        "2005-10-01", "پروانه ساختمانى توسازی")}.items():
            cat.add_source(sha256=sha, kind="pdf", size=1, dpis=[300], first_path=f"/scans/{display}")
            cat.record_path(path=f"/scans/{display}", display=display, dossier=dossier, sha256=sha, size=1, mtime_ns=1)
            cat.record_page(PageRecord(sha, 1, text, 88.0, 20, 1, 300, False, 0, 0.0, "standard", 1.0,
                                       document_date=date), run_id=1)
    return tmp_path / "archive"


def test_cli_by_dossier_json_keeps_the_flat_hits(archive: Path) -> None:
    import json

    out = json.loads(_cli(archive, "پروانه", "--by-dossier", "--json"))
    assert [g["dossier"] for g in out["dossiers"]][0] == "karaj-1384-0412"
    assert {g["dossier"]: g["total"] for g in out["dossiers"]} == {"karaj-1384-0412": 2, "karaj-1386-0101": 1}
    assert out["hits"] == [h for g in out["dossiers"] for h in g["hits"]] and out["total"] == 3
    assert "dossiers" not in json.loads(_cli(archive, "پروانه", "--json"))


def test_cli_by_dossier_prints_dossier_headings(archive: Path) -> None:
    lines = _cli(archive, "پروانه", "--by-dossier").splitlines()
    assert lines[0] == "3 hits for پروانه"
    assert lines[1] == "  1. [karaj-1384-0412]  2 pages"
    assert lines[2].startswith("       karaj-1384-0412/") and "[karaj" not in lines[2]
    assert "  2. [karaj-1386-0101]  1 page" in lines


def test_cli_fuzzy_finds_the_slip_below_exact_hits(archive: Path) -> None:
    import json

    assert json.loads(_cli(archive, "نوسازی", "--json"))["total"] == 1
    hits = json.loads(_cli(archive, "نوسازی", "--fuzzy", "--json"))["hits"]
    assert [h["source"] for h in hits] == ["karaj-1390-0707/summary.tif", "karaj-1384-0412/worn.png"]
    assert "<mark>توسازی</mark>" in hits[1]["snippet"]


def test_cli_elasticsearch_backend_needs_a_url(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from cli import cli

    monkeypatch.delenv("PARVANDEH_ES_URL", raising=False)
    result = CliRunner().invoke(cli, ["search", "x", "--backend", "elasticsearch", "--archive", str(archive)])
    assert result.exit_code == 2 and "--es-url" in result.output


def test_national_ids_are_masked_unless_asked(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import cli

    sha = "d" * 64
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        cat.add_source(sha256=sha, kind="png", size=1, dpis=[300], first_path="/s/x.png")
        cat.record_path(path="/s/x.png", display="d/x.png", dossier="d", sha256=sha, size=1, mtime_ns=1)
        text = "مشخصات مالک: آقای رضا کریمی به کد ملی ۰۰۸۴۵۷۵۹۴۸ ساکن کرج"
        cat.record_page(PageRecord(sha, 1, text, 90.0, 9, 0, 300, False, 0, 0.0, "standard", 1.0), run_id=1)
    runner = CliRunner()
    masked = runner.invoke(cli, ["search", "کریمی", "--json", "--archive", str(tmp_path)])
    shown = runner.invoke(cli, ["search", "کریمی", "--json", "--show-personal-data", "--archive", str(tmp_path)])
    assert masked.exit_code == 0 and shown.exit_code == 0
    assert "۰۰۸۴۵۷۵۹۴۸" not in masked.output and "0084575948" not in masked.output
    assert "۰۰۸۴۵۷۵۹۴۸" in shown.output
