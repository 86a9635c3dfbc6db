"""Rubber stamps (ocr.stamps): painted out of the page before it is read, and lines under
one found by the stamp's lighter ink and read again without it."""

from __future__ import annotations

import numpy as np
import pytest

from ocr.stamps import STAMP_INK_MM2, erase_stamps, other_ink, read_stamped_lines, stamped_lines
from ocr.types import Word
from tests.imaging import NASKH_FONT, PERSIAN_LINES, _font, render_page, word_recall
from tests.test_ocr_page import _stamped

DPI = 180


def _page() -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Three Persian lines and the (top, bottom) rows of each line's ink."""
    page = render_page(PERSIAN_LINES[:3], dpi=DPI, font_pt=12, line_spacing=4.0)
    rows = np.flatnonzero((page < 128).any(axis=1))
    breaks = np.flatnonzero(np.diff(rows) > 8)
    tops = [int(rows[0]), *(int(rows[i + 1]) for i in breaks)]
    bottoms = [*(int(rows[i]) for i in breaks), int(rows[-1])]
    return page, list(zip(tops, bottoms, strict=True))


def _line_words(page: np.ndarray, lines: list[tuple[int, int]], conf: float) -> list[Word]:
    """One word per line spanning its ink, as a weak reading would box it."""
    words = []
    for n, (top, bottom) in enumerate(lines):
        cols = np.flatnonzero((page[top : bottom + 1] < 128).any(axis=0))
        words.append(Word("...", conf, int(cols[0]), top, int(cols[-1] - cols[0] + 1), bottom - top + 1, 1, 1, n + 1))
    return words


def test_a_stamp_s_ink_is_told_from_the_soft_edges_of_the_type() -> None:
    page, lines = _page()
    least = STAMP_INK_MM2 * (DPI / 25.4) ** 2
    top, bottom = lines[1]
    stamped = _stamped(page, level=120, centre=(400, (top + bottom) // 2), radius=45)
    assert other_ink(stamped[top:bottom, :], dpi=DPI) >= least
    assert other_ink(page[top:bottom, :], dpi=DPI) == 0  # anti-aliased type alone


def test_only_the_line_under_the_stamp_is_picked() -> None:
    page, lines = _page()
    top, bottom = lines[1]
    stamped = _stamped(page, level=120, centre=(400, (top + bottom) // 2), radius=45)
    assert stamped_lines(stamped, _line_words(stamped, lines, conf=90.0), dpi=DPI) == [[1]]
    assert stamped_lines(page, _line_words(page, lines, conf=90.0), dpi=DPI) == []  # no stamp


@pytest.mark.slow
def test_the_words_a_stamp_hid_are_read_without_it() -> None:
    """Tesseract drops the plaque's ۱۲۳ فرعی under the stamp and reads the rest of the
    line well; read with the stamp's ink set aside, the line is whole."""
    from ocr.tesseract import recognize

    page, lines = _page()
    top, bottom = lines[1]
    stamped = _stamped(page, level=120, centre=(400, (top + bottom) // 2), radius=45)
    first = recognize(stamped, lang="fas", dpi=DPI)
    under = {i for i, w in enumerate(first.words) if top <= w.top + w.height / 2 <= bottom}
    as_read = " ".join(first.words[i].text for i in sorted(under))
    found, drop = read_stamped_lines(stamped, first.words, lang="fas", dpi=DPI)
    assert drop == under
    again = " ".join(w.text for w in found)
    assert word_recall(as_read, [PERSIAN_LINES[1]]) < 0.9
    assert word_recall(again, [PERSIAN_LINES[1]]) >= 0.9


# --- a stamp painted out before the page is read (erase_stamps) ----------------------


def _office_stamp(page: np.ndarray, *, centre: tuple[int, int], dpi: int, level: int = 130) -> np.ndarray:
    """A municipal stamp 38 mm across over the page: a double ring and, inside it, the
    office's name in Persian, in a lighter ink that darkens the type under it."""
    import cv2
    from PIL import Image, ImageDraw

    px_mm = dpi / 25.4
    radius = round(19 * px_mm)
    stamp = Image.new("L", page.shape[::-1], 255)
    draw = ImageDraw.Draw(stamp)
    face = _font(NASKH_FONT, round(4.5 * px_mm))
    x, y = centre
    for text, dy in (("شهرداری کرج", -5), ("دبیرخانه", 3)):
        draw.text((x, y + dy * px_mm), text, font=face, fill=level, anchor="mm", direction="rtl", language="fa")
    ink = np.asarray(stamp, dtype=np.uint8).copy()
    cv2.circle(ink, centre, radius, level, thickness=round(0.8 * px_mm))
    cv2.circle(ink, centre, radius - round(2.5 * px_mm), level, thickness=round(0.4 * px_mm))
    return (page.astype(np.uint16) * ink // 255).astype(np.uint8)


def _stamped_page(dpi: int = 300) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """A Persian page, the same page with a stamp over its second to fourth lines, and the
    rows of the second line (the plaque: ۱۲۳ فرعی از ۴۵ اصلی)."""
    page = render_page(PERSIAN_LINES[:5], dpi=dpi, font_pt=12, line_spacing=2.0)
    _, lines = _page_lines(page)
    top, bottom = lines[1]
    stamped = _office_stamp(page, centre=(page.shape[1] // 3, bottom + 20), dpi=dpi)
    return page, stamped, (top, bottom)


def _page_lines(page: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    rows = np.flatnonzero((page < 128).any(axis=1))
    breaks = np.flatnonzero(np.diff(rows) > 8)
    tops = [int(rows[0]), *(int(rows[i + 1]) for i in breaks)]
    bottoms = [*(int(rows[i]) for i in breaks), int(rows[-1])]
    return page, list(zip(tops, bottoms, strict=True))


def test_a_stamp_is_painted_out_and_the_type_under_it_kept() -> None:
    page, stamped, _line = _stamped_page()
    out, stamps = erase_stamps(stamped, dpi=300)
    assert stamps == 1
    stamp_only = (page == 255) & (stamped < 220)
    assert stamp_only.sum() > 2000  # the stamp is there to be painted out
    assert np.mean(out[stamp_only] == 255) > 0.97
    type_core = page < 60
    assert np.mean(out[type_core] < 128) > 0.99  # under the stamp too


def test_a_page_without_a_stamp_is_left_as_it_is() -> None:
    page = render_page(PERSIAN_LINES[:5], dpi=300, font_pt=12)
    out, stamps = erase_stamps(page, dpi=300)
    assert stamps == 0 and out is page
    # one ink only: a bitonal scan's stamp is as black as the type and cannot be told from it
    bitonal = np.where(_stamped_page()[1] < 200, 0, 255).astype(np.uint8)
    out, stamps = erase_stamps(bitonal, dpi=300)
    assert stamps == 0 and out is bitonal


def test_a_grey_band_along_the_page_edge_is_no_stamp() -> None:
    """A copier's or a book's shadow along an edge is as grey as stamp ink and wider than a
    stamp's ring; the page keeps it (remove_borders deals with bands)."""
    page = render_page(PERSIAN_LINES[:5], dpi=300, font_pt=12)
    shadowed = page.copy()
    shadowed[-250:, :] = np.minimum(shadowed[-250:, :], 140)
    shadowed[:, :200] = np.minimum(shadowed[:, :200], 150)
    out, stamps = erase_stamps(shadowed, dpi=300)
    assert stamps == 0 and out is shadowed


def test_clean_paints_out_a_stamp_and_says_so() -> None:
    from ocr.clean import clean

    page, stamped, _line = _stamped_page()
    cleaned, info = clean(stamped, stated_dpi=300)
    assert "stamps 1" in info.steps
    stamp_only = (page == 255) & (stamped < 220)
    assert np.mean(cleaned[stamp_only] > 200) > 0.95
    kept, info = clean(stamped, stated_dpi=300, skip=("stamps",))
    assert not any(step.startswith("stamps") for step in info.steps)
    assert np.mean(kept[stamp_only] > 200) < 0.5


@pytest.mark.slow
def test_the_lines_under_a_stamp_read_once_it_is_painted_out() -> None:
    """Tesseract reads the stamp's lettering into the lines under it (``رای به جر قملم صادر
    وپیرخانه``) and drops the next line; with the stamp painted out, both read whole."""
    from ocr.tesseract import recognize

    _page, stamped, _line = _stamped_page()
    erased, _ = erase_stamps(stamped, dpi=300)
    under = PERSIAN_LINES[2:4]
    assert word_recall(recognize(stamped, lang="fas", dpi=300).text, under) < 0.8
    assert word_recall(recognize(erased, lang="fas", dpi=300).text, under) >= 0.95


@pytest.mark.slow
def test_the_stored_page_keeps_its_stamp_and_the_reading_does_without(tmp_path) -> None:
    """The stamp is the document's (an archivist's copy, the reviewer's page image and the
    searchable PDF show it); only the image Tesseract reads has it painted out."""
    from PIL import Image

    from ocr.page import PageOptions, read_page

    _page, stamped, _line = _stamped_page()
    path = tmp_path / "stamped.png"
    Image.fromarray(stamped).save(path, dpi=(300, 300))
    read = read_page(path, 1, options=PageOptions())
    assert "stamps 1" in read.clean.steps
    kept = read_page(path, 1, options=PageOptions(skip=("stamps",)))
    assert not any(step.startswith("stamps") for step in kept.clean.steps)
    assert np.array_equal(read.image, kept.image)  # the page as shown: stamp and all
    under = PERSIAN_LINES[2:4]
    assert word_recall(read.reading.text, under) > word_recall(kept.reading.text, under)
