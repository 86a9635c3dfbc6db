"""Numbers read glyph by glyph (ocr.digits), on rendered Persian, Arabic-Indic and Latin numbers."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr import digits
from ocr.digits import GlyphModel, font_files, glyph_model, render_samples, reread_numbers
from ocr.types import Word

FARSIWEB = Path("/usr/share/fonts/truetype/farsiweb")
HOMA = FARSIWEB / "homa.ttf"
NAZLI = FARSIWEB / "nazli.ttf"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _scanned_number(text: str, font: Path, *, read_as: str, px: int = 30, seed: int = 0) -> tuple[np.ndarray, Word]:
    """``text`` typed in a right-to-left line at the size a 12-pt number has at 180 dpi,
    blurred and grainy like a scan, and the word box Tesseract would give it, read as ``read_as``."""
    image = Image.new("L", (px * (len(text) + 6), 4 * px), 255)
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(str(font), px, layout_engine=ImageFont.Layout.RAQM)
    draw.text((2 * px, px), text, font=face, fill=20, direction="rtl", language="fa")
    gray = cv2.GaussianBlur(np.asarray(image).astype(np.float32), (0, 0), 0.5)
    gray += np.random.default_rng(seed).normal(0, 8, gray.shape)
    gray = np.clip(gray, 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(gray < 128)
    box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    return gray, Word(read_as, 40.0, *box)


@pytest.fixture(scope="module")
def model() -> GlyphModel:
    found = glyph_model()
    assert found is not None, "no Persian fonts installed (scripts/setup.sh installs them)"
    return found


def test_a_slash_tesseract_read_as_one_is_a_slash_again(model: GlyphModel) -> None:
    gray, word = _scanned_number("۴۲۶۹۵/۸۶", HOMA, read_as="۴۲۶۹۵۱۸۶")
    assert [w.text for w in reread_numbers(gray, [word], model)] == ["۴۲۶۹۵/۸۶"]


def test_a_three_read_as_two_is_corrected(model: GlyphModel) -> None:
    gray, word = _scanned_number("۳۹۱۹۹/۸۸", NAZLI, read_as="۲۹۱۹۹/۸۸")
    assert reread_numbers(gray, [word], model)[0].text == "۳۹۱۹۹/۸۸"


def test_a_font_the_model_never_saw(model: GlyphModel) -> None:
    """Nazli's digits are left out of the model: a date's slashes still come back."""
    unseen = GlyphModel(*render_samples([f for f in font_files() if f.parent != FARSIWEB]))
    gray, word = _scanned_number("۱۳۹۷/۰۱/۳۰", NAZLI, read_as="۱۳۹۷۱۰۱۱۳۰")
    assert reread_numbers(gray, [word], unseen)[0].text == "۱۳۹۷/۰۱/۳۰"


def test_latin_digits_stay_latin(model: GlyphModel) -> None:
    gray, word = _scanned_number("1258/85", DEJAVU, read_as="1258185")
    assert reread_numbers(gray, [word], model)[0].text == "1258/85"


def test_arabic_indic_digits_stay_arabic_indic(model: GlyphModel) -> None:
    gray, word = _scanned_number("٤٥٦/١٢", NAZLI, read_as="٤٥٦١١٢")
    assert reread_numbers(gray, [word], model)[0].text == "٤٥٦/١٢"


def test_a_right_reading_is_left_as_it_is(model: GlyphModel) -> None:
    gray, word = _scanned_number("۷۳۵۰۹/۸۷", NAZLI, read_as="۷۳۵۰۹/۸۷")
    assert reread_numbers(gray, [word], model) == [word]


def test_letters_under_a_number_reading_keep_tesseracts_reading(model: GlyphModel) -> None:
    """A word Tesseract took for a number but that is a Persian word has glyphs unlike
    any digit: the word is not rewritten."""
    gray, word = _scanned_number("نوسازی", NAZLI, read_as="۱۳۸")
    assert reread_numbers(gray, [word], model) == [word]


def test_words_that_are_not_numbers_and_lone_zeros_are_not_read_again(
    model: GlyphModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    gray, number = _scanned_number("۴۲۶۹۵/۸۶", HOMA, read_as="۴۲۶۹۵۱۸۶")
    seen: list[str] = []
    monkeypatch.setattr(digits, "read_number", lambda g, w, m: seen.append(w.text))
    others = [Word("پلاک", 90, 0, 0, 10, 10), Word("۰۰۰", 60, 0, 0, 10, 10), Word("۰۰-۰", 60, 0, 0, 10, 10)]
    reread_numbers(gray, [number, *others], model)
    assert seen == ["۴۲۶۹۵۱۸۶"]


def test_without_persian_fonts_numbers_keep_tesseracts_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    gray, word = _scanned_number("۴۲۶۹۵/۸۶", HOMA, read_as="۴۲۶۹۵۱۸۶")
    monkeypatch.setattr(digits, "font_files", lambda: [])
    glyph_model.cache_clear()
    try:
        assert glyph_model() is None
        assert reread_numbers(gray, [word]) == [word]
    finally:
        glyph_model.cache_clear()


def test_the_model_is_rendered_once_and_then_read_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARVANDEH_CACHE", str(tmp_path))
    fonts = [DEJAVU]
    monkeypatch.setattr(digits, "font_files", lambda: fonts)
    glyph_model.cache_clear()
    try:
        first = glyph_model()
        assert first is not None and len(first) > 100
        assert len(list(tmp_path.glob("glyphs-*.npz"))) == 1

        def no_rendering(*args: object, **kwargs: object) -> None:
            raise AssertionError("rendered again instead of read from the cache")

        monkeypatch.setattr(digits, "render_samples", no_rendering)
        glyph_model.cache_clear()
        second = glyph_model()
        assert second is not None and np.array_equal(second.rows, first.rows)
        assert second.chars == first.chars
    finally:
        glyph_model.cache_clear()
