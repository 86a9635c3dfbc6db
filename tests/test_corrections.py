"""QA corrections: stored with who/when/why, re-indexed at once, surviving re-OCR and re-extraction.

The catalog is filled without OCR (as tests/test_search.py does); the re-ingest of a real
folder is in tests/test_qa_e2e.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from indexer.catalog import Catalog, PageRecord
from indexer.consensus import apply_consensus
from indexer.corrections import (
    CorrectionError,
    correct_identifier,
    correct_text,
    corrections_for,
    import_csv,
    mark_reviewed,
    replace_words,
    resolve_page,
    reviews_for,
)
from indexer.export import export_pages
from indexer.query import SearchQuery
from indexer.search import SqliteSearch
from qa.queue import queue_length, review_queue

SHA_A, SHA_B, SHA_C = "a1" * 32, "b2" * 32, "c3" * 32
#: Page A as OCR misread it: شهرسازی as "شهرساری" (a lost dot), تخریب as "تحریب", ۱۲۳ as ۱۲۴.
TEXT_A = "شهرداری كرج\nمعاونت شهرساری درخواست تحریب بنا\nپلاک ثبتی ۱۲۴ فرعی از ۴۵ اصلی"
TEXT_B = "شهرداری کرج\nکمیسیون ماده صد پلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی"
TEXT_C = "Summary of the Article 100 commission ruling\nپلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی"


def plaque(canonical: str, *, valid: bool = True, confidence: float = 90.0) -> dict[str, object]:
    a, _, f = canonical.partition("/")
    return {"kind": "plaque", "text": f"{f} فرعی از {a} اصلی", "canonical": canonical, "valid": valid,
            "confidence": confidence, "box": [10, 20, 200, 30]}


def record(sha: str, text: str, confidence: float, identifiers: list[dict[str, object]], page: int = 1) -> PageRecord:
    return PageRecord(sha, page, text, confidence, 20, 3, 300, False, 0, 0.0, "standard", 1.0,
                      identifiers=identifiers)


@pytest.fixture
def catalog(tmp_path: Path):
    with Catalog(tmp_path / "archive" / "catalog.sqlite") as cat:
        for sha, name, text, conf, ids in (
            (SHA_A, "karaj-12/scan_01.pdf", TEXT_A, 61.0, [plaque("45/124")]),
            (SHA_B, "karaj-12/scan_02.tif", TEXT_B, 88.0, [plaque("45/123")]),
            (SHA_C, "karaj-12/summary.jpg", TEXT_C, 93.0, [plaque("45/123")]),
        ):
            path = f"/scans/{name}"
            cat.add_source(sha256=sha, kind=name.rsplit(".")[-1], size=1, dpis=[300], first_path=path)
            cat.record_path(path=path, display=name, dossier="karaj-12", sha256=sha, size=1, mtime_ns=1)
            cat.record_page(record(sha, text, conf, ids), run_id=1)
        yield cat


def hits(catalog: Catalog, text: str = "", **kw: object) -> list[str]:
    return [h.source for h in SqliteSearch(catalog).search(SearchQuery.build(text, **kw)).hits]  # type: ignore[arg-type]


def page_id(catalog: Catalog, sha: str, page: int = 1) -> int:
    return int(catalog.db.execute("SELECT id FROM pages WHERE sha256 = ? AND page = ?", (sha, page)).fetchone()[0])


CORRECTED_A = TEXT_A.replace("شهرساری", "شهرسازی").replace("تحریب", "تخریب")


def test_a_text_correction_reindexes_the_page_and_keeps_the_ocr(catalog: Catalog) -> None:
    assert hits(catalog, "تحریب") == ["karaj-12/scan_01.pdf"]
    assert hits(catalog, "تخریب") == []
    pid = page_id(catalog, SHA_A)
    c = correct_text(catalog, pid, CORRECTED_A, by="مریم", reason="دو واژه اشتباه")
    assert hits(catalog, "تخریب") == ["karaj-12/scan_01.pdf"]
    assert hits(catalog, "تحریب") == []
    assert hits(catalog, "شهرساری") == []
    assert hits(catalog, "شهرسازي") == ["karaj-12/scan_01.pdf"]  # Arabic yeh typed, as planners do
    hit = SqliteSearch(catalog).search(SearchQuery.build("تخریب")).hits[0]
    assert "<mark>تخریب</mark>" in hit.snippet
    review = reviews_for(catalog, [pid])[pid]
    assert (review.status, review.ocr_text, review.by) == ("corrected", TEXT_A, "مریم")
    [stored] = corrections_for(catalog, [pid])[pid]
    assert (stored.target, stored.old, stored.new, stored.by, stored.reason) == (
        "text", TEXT_A, CORRECTED_A, "مریم", "دو واژه اشتباه")
    assert stored.id == c.id and stored.at.endswith("Z")
    # The FTS index stays consistent with its content table (an external-content table
    # whose delete rows were wrong would fail this).
    catalog.db.execute("INSERT INTO pages_fts (pages_fts, rank) VALUES ('integrity-check', 1)")


def plaques_of(catalog: Catalog, pid: int) -> list[tuple[str, str | None, float | None]]:
    return [tuple(r) for r in catalog.db.execute(
        "SELECT canonical, box, confidence FROM identifiers WHERE page_id = ? AND kind = 'plaque' ORDER BY id", (pid,)
    )]  # fmt: skip


def test_a_text_correction_re_reads_the_identifiers_the_text_names(catalog: Catalog) -> None:
    pid = page_id(catalog, SHA_A)
    # Words only: the plaque the OCR read is still named, and keeps its box and confidence.
    correct_text(catalog, pid, CORRECTED_A, by="مریم")
    assert plaques_of(catalog, pid) == [("45/124", "[10, 20, 200, 30]", 90.0)]
    # The reviewer sets the plaque's digit right in the text (typed on an Arabic keyboard,
    # Arabic-Indic digits): the page is now found under the plaque the text names.
    fixed = CORRECTED_A.replace("پلاک ثبتی ۱۲۴ فرعی از ۴۵ اصلی", "پلاك ثبتي ١٢٣ فرعي از ٤٥ اصلي")
    correct_text(catalog, pid, fixed, by="مریم")
    assert plaques_of(catalog, pid) == [("45/123", None, None)]
    warning = catalog.db.execute("SELECT warning FROM identifiers WHERE page_id = ?", (pid,)).fetchone()[0]
    assert warning.startswith("named by the text مریم corrected on ")
    assert "karaj-12/scan_01.pdf" in hits(catalog, identifiers=(("plaque", "45/123"),))
    assert "karaj-12/scan_01.pdf" not in hits(catalog, identifiers=(("plaque", "45/124"),))
    # A value only the person's text names is the person's: consensus leaves it alone,
    # and a re-extraction from the OCR's words (which still read ۱۲۴) does not bring the
    # old reading back.
    assert "correction" in catalog.identifiers_for([pid])[pid][0]
    catalog.replace_identifiers(pid, [plaque("45/124")])
    apply_consensus(catalog)
    assert [p[0] for p in plaques_of(catalog, pid)] == ["45/123"]


def test_a_text_correction_sets_the_page_date_and_keeps_identifier_corrections(catalog: Catalog) -> None:
    pid = page_id(catalog, SHA_B)
    correct_identifier(catalog, pid, "plaque", "45/123", "45/125", by="reza", reason="the scan says ۱۲۵")
    dated = TEXT_B + "\nتاریخ: ۱۳۸۸/۱۰/۲۳\nشماره پرونده: ۲۳۱۸۰/۸۸"
    correct_text(catalog, pid, dated, by="reza", reason="a line the OCR lost")
    rows = catalog.db.execute("SELECT kind, canonical FROM identifiers WHERE page_id = ? ORDER BY id", (pid,)).fetchall()
    assert sorted(tuple(r) for r in rows) == [("date", "2010-01-13"), ("file_number", "23180/88"), ("plaque", "45/125")]
    assert catalog.db.execute("SELECT document_date FROM pages WHERE id = ?", (pid,)).fetchone()[0] == "2010-01-13"
    assert hits(catalog, identifiers=(("file_number", "23180/88"),)) == ["karaj-12/scan_02.tif"]
    # The page's own date is the letter's, not one its body quotes.
    quoting = TEXT_B + "\nعطف به نامه مورخ ۱۳۸۶/۱۱/۱۲\nتاریخ: ۱۳۸۸/۱۰/۲۳"
    correct_text(catalog, pid, quoting, by="reza")
    assert catalog.db.execute("SELECT document_date FROM pages WHERE id = ?", (pid,)).fetchone()[0] == "2010-01-13"
    # Removing the lines again removes what they named.
    correct_text(catalog, pid, TEXT_B + "\nپیوست: ندارد", by="reza")
    assert [r[0] for r in catalog.db.execute("SELECT kind FROM identifiers WHERE page_id = ?", (pid,))] == ["plaque"]
    assert catalog.db.execute("SELECT document_date FROM pages WHERE id = ?", (pid,)).fetchone()[0] is None


def test_replace_words_matches_any_keyboard_and_digits() -> None:
    assert replace_words("شهرداري كرج ۱۲۸", "شهرداری کرج", "شهرداری کرج") == "شهرداری کرج ۱۲۸"
    assert replace_words("پلاک ۱۲۸", "128", "۱۲۳") == "پلاک ۱۲۳"
    assert replace_words("می\u200cرساند", "میرساند", "می‌رساند") == "می‌رساند"
    with pytest.raises(CorrectionError, match="not in the page"):
        replace_words("شهرداری", "کرج", "تهران")


def test_an_identifier_correction_is_found_by_plaque_and_survives_consensus(catalog: Catalog) -> None:
    pid = page_id(catalog, SHA_C)
    correct_identifier(catalog, pid, "plaque", "۴۵/۱۲۳", "45/125", by="reza", reason="the page says ۱۲۵")
    assert hits(catalog, identifiers=(("plaque", "45/125"),)) == ["karaj-12/summary.jpg"]
    assert "karaj-12/summary.jpg" not in hits(catalog, identifiers=(("plaque", "45/123"),))
    row = catalog.db.execute("SELECT * FROM identifiers WHERE page_id = ?", (pid,)).fetchone()
    assert (row["canonical"], row["corrected_from"], row["text"]) == ("45/125", "45/123", "123 فرعی از 45 اصلی")
    assert "reza" in row["warning"]
    # Two other pages read 45/123 and 45/124; consensus would correct a lone reading
    # one slip away, never a reviewer's.
    apply_consensus(catalog)
    assert catalog.db.execute("SELECT canonical FROM identifiers WHERE page_id = ?", (pid,)).fetchone()[0] == "45/125"
    [parcel] = [r for r in catalog.pages_with_identifier("plaque", "45/125")]
    assert parcel["display"] == "karaj-12/summary.jpg"


def test_a_reviewer_overrides_a_consensus_correction(catalog: Catalog) -> None:
    apply_consensus(catalog)
    pid = page_id(catalog, SHA_A)
    row = catalog.db.execute("SELECT canonical, corrected_from FROM identifiers WHERE page_id = ?", (pid,)).fetchone()
    assert tuple(row) == ("45/123", "45/124")  # consensus: one page against two
    assert review_queue(catalog, limit=1)[0].reasons[0] == "consensus_corrected"
    correct_identifier(catalog, pid, "plaque", "45/123", "45/124", by="reza", reason="the scan does say ۱۲۴")
    apply_consensus(catalog)
    row = catalog.db.execute("SELECT canonical, valid FROM identifiers WHERE page_id = ?", (pid,)).fetchone()
    assert tuple(row) == ("45/124", 1)
    assert catalog.identifier_corrections(status="corrected") == []


def test_unknown_identifier_and_bad_values_are_refused(catalog: Catalog) -> None:
    pid = page_id(catalog, SHA_A)
    with pytest.raises(CorrectionError, match="no plaque '45/999'.*45/124"):
        correct_identifier(catalog, pid, "plaque", "45/999", "45/123")
    with pytest.raises(CorrectionError, match="NEW"):
        correct_identifier(catalog, pid, "postal_code", "-", "12345")
    assert corrections_for(catalog, [pid]) == {}  # nothing half-written


def test_adding_and_removing_identifiers(catalog: Catalog) -> None:
    pid = page_id(catalog, SHA_B)
    correct_identifier(catalog, pid, "postal_code", "-", "۳۱۴۵۶-۷۸۹۱۳", by="reza")
    assert hits(catalog, identifiers=(("postal_code", "3145678913"),)) == ["karaj-12/scan_02.tif"]
    correct_identifier(catalog, pid, "plaque", "45/123", "-", by="reza")
    assert "karaj-12/scan_02.tif" not in hits(catalog, identifiers=(("plaque", "45/123"),))


def test_a_re_ocr_reapplies_corrections_and_flags_the_page(catalog: Catalog) -> None:
    pid = page_id(catalog, SHA_A)
    correct_text(catalog, pid, CORRECTED_A, by="maryam")
    correct_identifier(catalog, pid, "plaque", "45/124", "45/123", by="maryam")
    assert queue_length(catalog) == 2
    assert catalog.requeue_page(SHA_A, 1)
    new_ocr = TEXT_A.replace("درخواست", "درخواسث")  # the new reading differs elsewhere
    assert catalog.record_page(record(SHA_A, new_ocr, 70.0, [plaque("45/124")]), run_id=2)
    row = catalog.db.execute("SELECT text, confidence FROM pages WHERE id = ?", (pid,)).fetchone()
    assert tuple(row) == (CORRECTED_A, 70.0)
    assert hits(catalog, "تخریب") == ["karaj-12/scan_01.pdf"] and hits(catalog, "درخواسث") == []
    assert hits(catalog, identifiers=(("plaque", "45/123"),)).count("karaj-12/scan_01.pdf") == 1
    review = reviews_for(catalog, [pid])[pid]
    assert review.status == "needs_review" and "changed" in (review.note or "")
    assert review.ocr_text == new_ocr
    first = review_queue(catalog, limit=1)[0]
    assert (first.source, first.reasons[0]) == ("karaj-12/scan_01.pdf", "needs_review")
    # The first OCR text is still in the correction log.
    assert corrections_for(catalog, [pid])[pid][0].old == TEXT_A
    catalog.db.execute("INSERT INTO pages_fts (pages_fts, rank) VALUES ('integrity-check', 1)")
    mark_reviewed(catalog, pid, by="maryam")
    assert reviews_for(catalog, [pid])[pid].status == "corrected"
    assert queue_length(catalog) == 2


def test_a_re_ocr_reading_the_same_text_does_not_flag(catalog: Catalog) -> None:
    pid = page_id(catalog, SHA_B)
    correct_identifier(catalog, pid, "plaque", "45/123", "45/125", by="maryam")
    catalog.requeue_page(SHA_B, 1)
    catalog.record_page(record(SHA_B, TEXT_B, 88.0, [plaque("45/123")]), run_id=2)
    assert reviews_for(catalog, [pid])[pid].status == "corrected"
    assert hits(catalog, identifiers=(("plaque", "45/125"),)) == ["karaj-12/scan_02.tif"]


def test_re_extracting_identifiers_keeps_a_correction(catalog: Catalog) -> None:
    pid = page_id(catalog, SHA_B)
    correct_identifier(catalog, pid, "plaque", "45/123", "45/125", by="maryam")
    catalog.replace_identifiers(pid, [plaque("45/123"), {"kind": "file_number", "text": "۱۲۳۴۵/۸۶", "canonical": "12345/86"}])
    rows = catalog.db.execute("SELECT kind, canonical FROM identifiers WHERE page_id = ? ORDER BY id", (pid,)).fetchall()
    assert [tuple(r) for r in rows] == [("plaque", "45/125"), ("file_number", "12345/86")]
    ids = catalog.identifiers_for([pid])[pid]
    assert "correction" in ids[0] and "correction" not in ids[1]


def test_export_keeps_the_ocr_text_the_corrected_text_and_the_corrections(catalog: Catalog) -> None:
    pid = page_id(catalog, SHA_A)
    before = {o["source"]: o for o in export_pages(catalog)}
    correct_text(catalog, pid, CORRECTED_A, by="maryam", reason="typos")
    correct_identifier(catalog, pid, "plaque", "45/124", "45/123", by="maryam")
    after = {o["source"]: o for o in export_pages(catalog)}
    a = after["karaj-12/scan_01.pdf"]
    assert a["text"] == CORRECTED_A and a["ocr_text"] == TEXT_A
    assert [c["target"] for c in a["corrections"]] == ["text", "identifier"]
    assert a["corrections"][0]["reason"] == "typos" and a["review"]["status"] == "corrected"
    assert a["identifiers"][0]["canonical"] == "45/123" and a["identifiers"][0]["corrected_from"] == "45/124"
    # Uncorrected pages keep exactly their keys and values.
    assert after["karaj-12/scan_02.tif"] == before["karaj-12/scan_02.tif"]
    assert set(before["karaj-12/scan_01.pdf"]) == set(a) - {"ocr_text", "review", "corrections"}


def test_sources_resolve_by_sha_prefix_and_path(catalog: Catalog) -> None:
    pid = page_id(catalog, SHA_A)
    assert resolve_page(catalog, SHA_A, 1) == pid
    assert resolve_page(catalog, SHA_A[:8], 1) == pid
    assert resolve_page(catalog, "karaj-12/scan_01.pdf", 1) == pid
    assert resolve_page(catalog, "/scans/karaj-12/scan_01.pdf", 1) == pid
    with pytest.raises(CorrectionError, match="no page 2"):
        resolve_page(catalog, SHA_A, 2)
    with pytest.raises(CorrectionError, match="no source"):
        resolve_page(catalog, "ffffff", 1)


def test_the_review_queue_puts_risky_pages_first_and_drops_reviewed_ones(catalog: Catalog) -> None:
    # C has the highest confidence but an invalid identifier: it goes before A and B.
    catalog.db.execute("UPDATE identifiers SET valid = 0 WHERE page_id = ?", (page_id(catalog, SHA_C),))
    order = [i.source for i in review_queue(catalog)]
    assert order == ["karaj-12/summary.jpg", "karaj-12/scan_01.pdf", "karaj-12/scan_02.tif"]
    assert review_queue(catalog)[0].reasons == ("invalid_identifiers",)
    mark_reviewed(catalog, page_id(catalog, SHA_C), by="reza")
    assert [i.source for i in review_queue(catalog)] == ["karaj-12/scan_01.pdf", "karaj-12/scan_02.tif"]
    assert [i.rank for i in review_queue(catalog, offset=1)] == [2]


def test_csv_import_is_all_or_nothing(catalog: Catalog, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "source,page,kind,old,new,by,reason\n"
        f"{SHA_A[:10]},1,text,تحریب,تخریب,maryam,typo\n"
        "karaj-12/scan_01.pdf,۱,text,شهرساری,شهرسازی,,\n"
        "karaj-12/scan_02.tif,1,plaque,45/123,45/125,reza,stamp covers the digit\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("source,page,kind,old,new\nkaraj-12/summary.jpg,1,text,,\"x\"\nkaraj-12/summary.jpg,1,plaque,9/9,45/1\n",
                   encoding="utf-8")
    with pytest.raises(CorrectionError, match=r"bad.csv:3: .*no plaque"):
        import_csv(catalog, bad, by="x")
    assert catalog.db.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0
    done = import_csv(catalog, good, by="importer")
    assert [c.by for c in done] == ["maryam", "importer", "reza"]
    assert hits(catalog, "تخریب شهرسازی") == ["karaj-12/scan_01.pdf"]
    assert hits(catalog, identifiers=(("plaque", "45/125"),)) == ["karaj-12/scan_02.tif"]


def test_cli_correct_review_and_import(catalog: Catalog, tmp_path: Path) -> None:
    archive = catalog.path.parent
    runner = CliRunner()
    out = runner.invoke(cli, ["review", "--next", "--json", "--limit", "2", "--archive", str(archive)])
    assert out.exit_code == 0, out.output
    queue = json.loads(out.output)
    assert queue["total"] == 3 and [p["source"] for p in queue["pages"]] == ["karaj-12/scan_01.pdf", "karaj-12/scan_02.tif"]
    fixed = tmp_path / "page.txt"
    fixed.write_text(CORRECTED_A, encoding="utf-8")
    out = runner.invoke(cli, ["correct", "karaj-12/scan_01.pdf", "1", "--text-file", str(fixed), "--by", "maryam",
                              "--archive", str(archive)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, ["correct", SHA_B[:12], "1", "--identifier", "plaque", "45/123", "۴۵/۱۲۵",
                              "--archive", str(archive)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, ["search", "--plaque", "45/125", "--json", "--archive", str(archive)])
    assert [h["source"] for h in json.loads(out.output)["hits"]] == ["karaj-12/scan_02.tif"]
    out = runner.invoke(cli, ["search", "تخریب", "--json", "--archive", str(archive)])
    assert [h["source"] for h in json.loads(out.output)["hits"]] == ["karaj-12/scan_01.pdf"]
    out = runner.invoke(cli, ["review", "--archive", str(archive)])
    assert "1 page(s) to review" in out.output
    out = runner.invoke(cli, ["correct", "karaj-12/scan_01.pdf", "1", "--identifier", "plaque", "1/1", "2/2",
                              "--archive", str(archive)])
    assert out.exit_code == 2 and "no plaque" in out.output


def test_reindex_to_elasticsearch_reads_the_corrections(catalog: Catalog) -> None:
    """`reindex` builds its documents from the catalog: the corrected text and identifiers."""
    from indexer.elastic import _bulk_actions

    correct_text(catalog, page_id(catalog, SHA_A), CORRECTED_A, by="maryam")
    correct_identifier(catalog, page_id(catalog, SHA_C), "plaque", "45/123", "45/125", by="maryam")
    docs = {a["_source"]["source"]: a["_source"] for a in _bulk_actions(catalog, "parvandeh-test", 500)}
    a = docs["karaj-12/scan_01.pdf"]
    assert "تخریب" in a["display"] and "تحریب" not in a["display"]
    assert "تخریب" in a["text"].split() and "تحریب" not in a["text"].split()
    assert docs["karaj-12/summary.jpg"]["ids"] == {"plaque": ["45/125"]}


def test_a_page_accepted_as_read_comes_back_when_the_ocr_changes(catalog: Catalog) -> None:
    pid = page_id(catalog, SHA_B)
    mark_reviewed(catalog, pid, by="reza", reason="reads right")
    assert queue_length(catalog) == 2 and reviews_for(catalog, [pid])[pid].status == "reviewed"
    catalog.requeue_page(SHA_B, 1)
    catalog.record_page(record(SHA_B, TEXT_B + "\nرونوشت", 80.0, [plaque("45/123")]), run_id=2)
    review = reviews_for(catalog, [pid])[pid]
    assert (review.status, review.note) == ("needs_review", "the OCR text changed since the page was reviewed")
    assert hits(catalog, "رونوشت") == ["karaj-12/scan_02.tif"]  # no text correction: the new reading is shown
    mark_reviewed(catalog, pid, by="reza")
    assert reviews_for(catalog, [pid])[pid].status == "reviewed"
