"""`parvandeh reextract`: identifiers read again from the stored OCR words, no OCR.

The archive is filled as an older extractor left it (its identifiers and dates written by
hand into the catalog, the OCR words stored as an ingest stores them); the command must
bring it to what today's extractor reads, keep what reviewers did, and never interleave
with an ingest.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from indexer.catalog import Catalog, PageRecord
from indexer.corrections import correct_identifier
from ocr.types import Word
from pipeline.errors import ExitCode
from pipeline.lock import ArchiveLock
from pipeline.reextract import reextract
from pipeline.store import write_words

SHA_A, SHA_B = "a1" * 32, "b2" * 32


def rtl_words(lines: list[list[str]], *, height: int = 30) -> list[Word]:
    """Words of right-to-left lines as Tesseract lists them: each line's words in
    reading order, laid out from the right edge of a 2000-pixel page."""
    out = []
    for n, line in enumerate(lines, start=1):
        right = 1900
        for text in line:
            width = 22 * len(text)
            out.append(Word(text, 91.0, right - width, 100 + 60 * n, width, height, n, 1, 1))
            right -= width + 25
    return out


#: An inspection report's form: the file number's value cell on a line of its own, which
#: Tesseract gave year first and the older extractor kept as written (and invalid).
WORDS_A = rtl_words([
    ["صورتجلسه", "بازدید", "از", "ملک"],
    ["تاریخ", "بازدید:", "۱۳۸۸/۰۴/۲۹"],
    ["شماره", "پرونده"],
    ["88/23180"],
    ["پلاک", "ثبتی", "۱۲۳", "فرعی", "از", "۴۵", "اصلی"],
])
WORDS_B = rtl_words([
    ["کمیسیون", "ماده", "صد"],
    ["تاریخ:", "۱۳۸۸/۰۶/۱۰"],
    ["پلاک", "ثبتی", "۱۲۳", "فرعی", "از", "۴۵", "اصلی"],
])
OLD_A = [
    {"kind": "file_number", "text": "88/23180", "canonical": "88/23180", "valid": False,
     "warning": "not a number of the form N or N/YY"},
    {"kind": "plaque", "text": "۱۲۳ فرعی از ۴۵ اصلی", "canonical": "45/123"},
]
OLD_B = [{"kind": "plaque", "text": "۱۲۳ فرعی از ۴۵ اصلی", "canonical": "45/123"}]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    with Catalog(root / "catalog.sqlite") as cat:
        for sha, name, words, old in ((SHA_A, "karaj-1388/scan_01.tif", WORDS_A, OLD_A),
                                      (SHA_B, "karaj-1388/scan_02.pdf", WORDS_B, OLD_B)):
            path = f"/scans/{name}"
            cat.add_source(sha256=sha, kind=name.rsplit(".")[-1], size=1, dpis=[300], first_path=path)
            cat.record_path(path=path, display=name, dossier="karaj-1388", sha256=sha, size=1, mtime_ns=1)
            wordfile = write_words(root, sha, 1, words)
            text = "\n".join(" ".join(w.text for w in words if w.block == b) for b in sorted({w.block for w in words}))
            cat.record_page(PageRecord(sha, 1, text, 91.0, len(words), 0, 300, False, 0, 0.0, "standard", 1.0,
                                       wordfile=wordfile, identifiers=old), run_id=1)
    return root


def page_id(cat: Catalog, sha: str) -> int:
    return int(cat.db.execute("SELECT id FROM pages WHERE sha256 = ?", (sha,)).fetchone()[0])


def found_by(archive: Path, kind: str, canonical: str) -> list[str]:
    with Catalog.open(archive) as cat:
        return [r["display"] for r in cat.pages_with_identifier(kind, canonical)]


def test_reextract_brings_pages_to_what_the_extractor_reads_now(archive: Path) -> None:
    assert found_by(archive, "file_number", "23180/88") == []
    result = CliRunner().invoke(cli, ["reextract", "--archive", str(archive), "-q"])
    assert result.exit_code == 0, result.output
    assert "2 pages read again: 2 pages with other identifiers" in result.output
    assert "2 re-dated" in result.output
    # a planner's file-number search finds the page now, and the date search by its own date
    assert found_by(archive, "file_number", "23180/88") == ["karaj-1388/scan_01.tif"]
    assert found_by(archive, "file_number", "88/23180") == []
    assert found_by(archive, "plaque", "45/123") == ["karaj-1388/scan_01.tif", "karaj-1388/scan_02.pdf"]
    with Catalog.open(archive) as cat:
        dates = dict(cat.db.execute("SELECT sha256, document_date FROM pages").fetchall())
    assert dates == {SHA_A: "2009-07-20", SHA_B: "2009-09-01"}


def test_a_second_run_changes_nothing(archive: Path) -> None:
    first = reextract(archive)
    assert first.pages == 2 and first.changed_pages == 2
    assert first.added["file_number"] == 1 and first.removed["file_number"] == 1
    again = reextract(archive)
    assert (again.pages, again.changed_pages, again.redated) == (2, 0, 0)


def test_a_reviewers_correction_and_date_survive(archive: Path) -> None:
    with Catalog.open(archive) as cat:
        pid = page_id(cat, SHA_B)
        # the reviewer read the plaque on the ruling as ۱۲۴, against the OCR
        correct_identifier(cat, pid, "plaque", "45/123", "45/124", by="مریم", reason="سند مالکیت")
        cat.db.execute("UPDATE pages SET document_date = '2009-09-02' WHERE id = ?", (pid,))
    report = reextract(archive)
    assert report.redated == 1  # page A only
    assert found_by(archive, "plaque", "45/124") == ["karaj-1388/scan_02.pdf"]
    assert found_by(archive, "plaque", "45/123") == ["karaj-1388/scan_01.tif"]
    with Catalog.open(archive) as cat:
        assert cat.db.execute("SELECT document_date FROM pages WHERE id = ?", (pid,)).fetchone()[0] == "2009-09-02"


def test_one_dossier_only(archive: Path) -> None:
    report = reextract(archive, dossier="karaj-1390")
    assert report.pages == 0 and found_by(archive, "file_number", "23180/88") == []
    assert reextract(archive, dossier="karaj-1388").pages == 2


def test_reextract_never_runs_beside_an_ingest(archive: Path) -> None:
    with ArchiveLock(archive):
        result = CliRunner().invoke(cli, ["reextract", "--archive", str(archive)], standalone_mode=False)
    assert result.exception is not None and getattr(result.exception, "exit_code", None) == ExitCode.ARCHIVE_BUSY
    assert found_by(archive, "file_number", "23180/88") == []  # nothing written


def test_a_damaged_word_file_is_named_and_the_rest_goes_on(archive: Path) -> None:
    with Catalog.open(archive) as cat:
        wordfile = cat.db.execute("SELECT wordfile FROM pages WHERE sha256 = ?", (SHA_B,)).fetchone()[0]
    (archive / wordfile).write_bytes(b"\x1f\x8b not gzip")  # a disk error, a half-copied archive
    result = CliRunner().invoke(cli, ["reextract", "--archive", str(archive), "-q"])
    assert result.exit_code == 0, result.output
    assert "1 page read again" in result.output
    assert "karaj-1388/scan_02.pdf p.1" in result.output and "cannot be read" in result.output
    assert found_by(archive, "file_number", "23180/88") == ["karaj-1388/scan_01.tif"]  # page A done
    assert found_by(archive, "plaque", "45/123") == ["karaj-1388/scan_01.tif", "karaj-1388/scan_02.pdf"]


def test_reextract_needs_an_archive(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["reextract", "--archive", str(tmp_path / "none")])
    assert result.exit_code == ExitCode.USAGE
