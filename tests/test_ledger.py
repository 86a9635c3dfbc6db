"""Discovery, hashing and ledger states, without running OCR."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from indexer.catalog import Catalog, PageRecord
from pipeline.discover import Ignored, discover, sha256_file
from pipeline.ledger import ledger


def _png(path: Path, shade: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (200, 100), 255 - shade).save(path, dpi=(300, 300))
    return path


def _tiff(path: Path, frames: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.new("L", (120, 80), 10 * i) for i in range(frames)]
    images[0].save(path, save_all=True, append_images=images[1:], dpi=(200, 200))
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    _png(root / "dossier-12" / "scan_01.png")
    _tiff(root / "dossier-12" / "scan_02.tif", 3)
    _png(root / "dossier-40" / "nested" / "a.png", shade=40)
    (root / "dossier-40" / "notes.txt").write_text("not a scan")
    (root / "dossier-40" / ".hidden.png").write_bytes(b"x")
    return root


def _plan(catalog: Catalog, paths: list[Path], **kw: object):
    return ledger(catalog, discover(paths), run_id=1, **kw)  # type: ignore[arg-type]


def test_sha256_matches_hashlib(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"\x00" * 3_000_000 + b"tail")
    assert sha256_file(f) == hashlib.sha256(f.read_bytes()).hexdigest()


def test_discover_walks_in_order_groups_dossiers_and_counts_ignored(tree: Path) -> None:
    ignored = Ignored(Counter())
    found = list(discover([tree], ignored=ignored))
    assert [f.display for f in found] == ["dossier-12/scan_01.png", "dossier-12/scan_02.tif", "dossier-40/nested/a.png"]
    assert [f.dossier for f in found] == ["dossier-12", "dossier-12", "nested"]
    assert ignored.by_suffix == {".txt": 1}
    assert all(f.path.is_absolute() for f in found)


def test_discover_single_file_keeps_the_path_as_given(tree: Path) -> None:
    (only,) = discover([tree / "dossier-12" / "scan_01.png"])
    assert only.display.endswith("dossier-12/scan_01.png")
    assert only.dossier == "dossier-12"


def test_ledger_records_pages_pending_then_done(tree: Path, tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite") as catalog:
        plan = _plan(catalog, [tree])
        assert plan.new_sources == 3
        assert [(Path(r.path).name, r.page) for r in plan.pages] == [
            ("scan_01.png", 1), ("scan_02.tif", 1), ("scan_02.tif", 2), ("scan_02.tif", 3), ("a.png", 1)
        ]
        assert catalog.counts()["pending"] == 5
        ref = plan.pages[1]
        assert ref.stated_dpi == 200
        rec = PageRecord(ref.sha256, ref.page, "متن صفحه", 90.0, 2, 0, 300, False, 0, 0.0, "standard", 1.0)
        assert catalog.record_page(rec, run_id=1) is True
        assert catalog.record_page(rec, run_id=1) is False  # a result that arrives twice is written once
        again = _plan(catalog, [tree])
        assert again.new_sources == 0
        assert len(again.pages) == 4
        assert catalog.counts()["done"] == 1
        fts_rows = catalog.db.execute("SELECT count(*) FROM page_text").fetchone()[0]
        assert fts_rows == 1


def test_failed_pages_wait_for_retry_failed(tree: Path, tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite") as catalog:
        plan = _plan(catalog, [tree / "dossier-12" / "scan_01.png"])
        ref = plan.pages[0]
        catalog.mark_failed(ref.sha256, ref.page, "Tesseract timed out", run_id=1)
        assert _plan(catalog, [tree / "dossier-12" / "scan_01.png"]).pages == []
        assert len(_plan(catalog, [tree / "dossier-12" / "scan_01.png"], retry_failed=True).pages) == 1


def test_same_bytes_under_two_paths_are_one_source(tree: Path, tmp_path: Path) -> None:
    copy = tree / "dossier-99" / "copy.png"
    copy.parent.mkdir()
    copy.write_bytes((tree / "dossier-12" / "scan_01.png").read_bytes())
    with Catalog(tmp_path / "c.sqlite") as catalog:
        plan = _plan(catalog, [tree])
        assert plan.new_sources == 3 and plan.duplicates == 1
        assert len([r for r in plan.pages if r.sha256 == plan.pages[0].sha256]) == 1
        rows = catalog.db.execute("SELECT path FROM paths WHERE sha256 = ?", (plan.pages[0].sha256,)).fetchall()
        assert sorted(Path(r[0]).name for r in rows) == ["copy.png", "scan_01.png"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.png", b"", "empty file"),
        ("letter.jpg", "این یک فایل متنی است".encode(), "not an image"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "PDF"),
    ],
)
def test_unreadable_files_are_quarantined_with_a_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    bad = tmp_path / "in" / name
    bad.parent.mkdir()
    bad.write_bytes(content)
    with Catalog(tmp_path / "c.sqlite") as catalog:
        plan = _plan(catalog, [bad.parent])
        assert plan.pages == []
        (entry,) = catalog.quarantine_list()
        assert reason.lower() in entry["reason"].lower()
        assert plan.quarantined[0][0] == name


def test_a_fixed_file_leaves_quarantine(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "scan.png"
    bad.parent.mkdir()
    bad.write_bytes(b"")
    with Catalog(tmp_path / "c.sqlite") as catalog:
        _plan(catalog, [bad.parent])
        assert len(catalog.quarantine_list()) == 1
        _png(bad)
        plan = _plan(catalog, [bad.parent])
        assert len(plan.pages) == 1 and catalog.quarantine_list() == []


def test_pdf_with_a_false_72_dpi_renders_at_its_own_pixel_size(tmp_path: Path) -> None:
    from ocr.raster import inspect_source, load_page

    pdf = tmp_path / "false-dpi.pdf"
    Image.new("L", (1240, 1754), 255).save(pdf, resolution=72)
    info = inspect_source(pdf)
    assert info.pages == 1 and info.dpis == (None,)  # 72 dpi is not believed
    page = load_page(pdf, 1, dpi_hint=None)
    assert abs(page.gray.shape[1] - 1240) <= 2 and abs(page.gray.shape[0] - 1754) <= 2
    assert page.stated_dpi is None
