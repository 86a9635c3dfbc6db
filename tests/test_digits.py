"""Numbers read glyph by glyph (ocr.digits), on rendered Persian, Arabic-Indic and Latin numbers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from indexer.normalize import normalize
from ocr import digits
from ocr.digits import GlyphModel, font_files, glyph_model, render_samples, reread_numbers
from ocr.types import Word

FARSIWEB = Path("/usr/share/fonts/truetype/farsiweb")
HOMA = FARSIWEB / "homa.ttf"
NAZLI = FARSIWEB / "nazli.ttf"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FREEFARSI = Path("/usr/share/fonts/truetype/freefarsi/FreeFarsi.ttf")
#: One font of each Debian package scripts/setup.sh installs for the glyph model.
PACKAGE_FONTS = {
    "fonts-farsiweb": NAZLI,
    "fonts-dejavu-core": DEJAVU,
    "fonts-freefarsi": FREEFARSI,
    "fonts-hosny-amiri": Path("/usr/share/fonts/opentype/fonts-hosny-amiri/Amiri-Regular.ttf"),
    "fonts-sil-lateef": Path("/usr/share/fonts/opentype/lateef/Lateef-Regular.ttf"),
    "fonts-sil-scheherazade": Path("/usr/share/fonts/truetype/scheherazade/Scheherazade-Regular.ttf"),
    "fonts-sil-harmattan": Path("/usr/share/fonts/truetype/harmattan/Harmattan-Regular.ttf"),
    "fonts-kacst-one": Path("/usr/share/fonts/truetype/kacst-one/KacstOne.ttf"),
}


def need_packages(*packages: str) -> None:
    """Skip, naming what to install, when a font package the test relies on is missing."""
    missing = [p for p in packages if not PACKAGE_FONTS[p].exists()]
    if missing:
        pytest.skip(f"needs Debian's {' '.join(missing)} (scripts/setup.sh installs it: "
                    f"apt-get install {' '.join(missing)})")


def need(font: Path) -> Path:
    """``font``, or a skip naming the Debian package it comes in."""
    if not font.exists():
        package = next((p for p, f in PACKAGE_FONTS.items() if f.parent == font.parent), "the package that has it")
        pytest.skip(f"{font} is not installed: apt-get install {package} (scripts/setup.sh installs it)")
    return font


def _scanned_number(text: str, font: Path, *, read_as: str, px: int = 30, seed: int = 0) -> tuple[np.ndarray, Word]:
    """``text`` typed in a right-to-left line at the size a 12-pt number has at 180 dpi,
    blurred and grainy like a scan, and the word box Tesseract would give it, read as ``read_as``."""
    image = Image.new("L", (px * (len(text) + 6), 4 * px), 255)
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(str(need(font)), px, layout_engine=ImageFont.Layout.RAQM)
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
    if found is None:
        pytest.skip("no Persian font is installed: apt-get install fonts-farsiweb fonts-freefarsi (scripts/setup.sh)")
    return found


def test_a_slash_tesseract_read_as_one_is_a_slash_again(model: GlyphModel) -> None:
    gray, word = _scanned_number("۴۲۶۹۵/۸۶", HOMA, read_as="۴۲۶۹۵۱۸۶")
    assert [w.text for w in reread_numbers(gray, [word], model)] == ["۴۲۶۹۵/۸۶"]


def test_a_three_read_as_two_is_corrected(model: GlyphModel) -> None:
    gray, word = _scanned_number("۳۹۱۹۹/۸۸", NAZLI, read_as="۲۹۱۹۹/۸۸")
    assert reread_numbers(gray, [word], model)[0].text == "۳۹۱۹۹/۸۸"


def test_a_font_the_model_never_saw(model: GlyphModel) -> None:
    """Nazli's digits are left out of the model: a date's slashes still come back, from the
    other typefaces scripts/setup.sh installs (with fewer of them, they do not)."""
    need_packages(*(p for p in PACKAGE_FONTS if p != "fonts-farsiweb"))
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


def test_words_that_are_not_numbers_are_not_read_again(
    model: GlyphModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    gray, number = _scanned_number("۴۲۶۹۵/۸۶", HOMA, read_as="۴۲۶۹۵۱۸۶")
    seen: list[str] = []
    monkeypatch.setattr(digits, "read_number", lambda g, ws, i, m, **kw: seen.append(ws[i].text))
    others = [Word("پلاک", 90, 0, 0, 10, 10), Word("(بند", 60, 0, 0, 10, 10), Word("ب۲", 60, 0, 0, 10, 10)]
    reread_numbers(gray, [number, *others], model)
    assert set(seen) == {"۴۲۶۹۵۱۸۶"}  # read as a number, and as a possible amount


def _ink_boxes(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom) of each ink component, left to right."""
    n, _, stats, _ = cv2.connectedComponentsWithStats((gray < 128).astype(np.uint8), connectivity=8)
    boxes = [(x, y, x + w, y + h) for x, y, w, h, area in stats[1:] if area >= 3]
    return sorted(boxes)


def _word_over(boxes: list[tuple[int, int, int, int]], text: str, **kw: object) -> Word:
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return Word(text, 60.0, left, top, right - left, bottom - top, **kw)


def test_digits_tesseract_dropped_beside_a_number_are_read(model: GlyphModel) -> None:
    """Tesseract kept only the last three digits of a national ID."""
    gray, _ = _scanned_number("۳۱۱۷۹۵۸۸۸۷", NAZLI, read_as="")
    boxes = _ink_boxes(gray)
    assert len(boxes) == 10
    (number,) = reread_numbers(gray, [_word_over(boxes[-3:], "۸۸۷")], model)
    assert number.text == "۳۱۱۷۹۵۸۸۸۷"
    assert abs(number.left - boxes[0][0]) <= 2
    assert abs(number.left + number.width - boxes[-1][2]) <= 2


def test_a_number_tesseract_kept_only_a_zero_of_is_read_whole(model: GlyphModel) -> None:
    """A clean national ID read as ``۰ ۲(``: one of its zeros, and its first digit with a
    bracket that is not on the page."""
    gray, _ = _scanned_number("۲۱۷۰۰۰۸۳۹۰", NAZLI, read_as="")
    boxes = _ink_boxes(gray)
    assert len(boxes) == 10
    read = [_word_over(boxes[4:5], "۰"), _word_over(boxes[0:1], "۲(")]
    assert [w.text for w in reread_numbers(gray, read, model)] == ["۲۱۷۰۰۰۸۳۹۰"]
    alone = [_word_over(boxes[0:4], "۲۱۷(")]  # the stray bracket alone does not stop it
    assert [w.text for w in reread_numbers(gray, alone, model)] == ["۲۱۷۰۰۰۸۳۹۰"]


def test_a_dot_of_a_leader_line_stays_a_dot(model: GlyphModel) -> None:
    """A form's dotted leader line (نام: ..........), three dots of it read as ۰۰۰: a row of
    dots at a digit's pitch is not a number of zeros."""
    gray, _ = _scanned_number("نام ............ ملک", NAZLI, read_as="")
    boxes = _ink_boxes(gray)
    dots = sorted((b for b in boxes if b[3] - b[1] <= 6 and b[2] - b[0] <= 6), key=lambda b: b[0])
    assert len(dots) >= 10
    zero = _word_over(dots[4:7], "۰۰۰")
    assert reread_numbers(gray, [zero], model) == [zero]


RESOURCES = Path(__file__).parent / "resources"


def test_a_renovation_code_with_its_zeros_read_as_flat_letters_is_read_whole(model: GlyphModel) -> None:
    """A cleaned permit line (the bench generator's 1388 permit, 200 dpi): Tesseract read
    the code's ۰۰۰-۰۰۰ as three flat "words" (دم ی ول, 5 px tall beside 17 px digits), and
    one hyphen of it is unlike the rendered hyphens (squared distance 0.29)."""
    gray = cv2.imread(str(RESOURCES / "renovation_code_line.png"), cv2.IMREAD_GRAYSCALE)
    read = [
        Word("۱۲۸-۰۸۰-۰۴-۰۶", 87.0, 282, 31, 150, 17),
        Word("دم", 20.0, 249, 39, 28, 5),
        Word("ی", 48.0, 214, 39, 15, 5),
        Word("ول", 54.0, 186, 39, 18, 5),
    ]
    assert [w.text for w in reread_numbers(gray, read, model)] == ["۰۰۰-۰۰۰-۱۲۸-۰۸۰-۰۴-۰۶"]


def test_one_glyph_a_little_unlike_the_rendered_ones_in_a_long_code_is_read(model: GlyphModel) -> None:
    """A cleaned line of the bench's 1388 permit (scan_05): the code's last ۶ is 0.25 from
    every rendered ۶ (the limit is 0.2), so the whole glyph reading was refused and
    Tesseract's ۰-۱۲۸-۰/۸۰-۰۴-۰۶هه-۰هه (confidence 3) stayed. Among twelve known glyphs
    one may be that far."""
    gray = cv2.imread(str(RESOURCES / "renovation_code_odd_six.png"), cv2.IMREAD_GRAYSCALE)
    read = [Word("۰-۱۲۸-۰/۸۰-۰۴-۰۶هه-۰هه", 3.0, 40, 20, 229, 17)]
    assert [w.text for w in reread_numbers(gray, read, model)] == ["۰۰۰-۰۰۰-۱۲۸-۰۸۰-۰۴-۰۶"]


def test_a_code_read_half_as_letters_is_read_again(model: GlyphModel) -> None:
    """A cleaned line of the bench's 1385 ruling: Tesseract read the code's zeros as
    letters, more letters than half its digits; its hyphenated digit groups still say it
    is a code."""
    gray = cv2.imread(str(RESOURCES / "renovation_code_zeros_as_letters.png"), cv2.IMREAD_GRAYSCALE)
    read = [Word("۷-۷۵۰۱-۱۰-۰۱باه-ههه-وهه", 0.0, 40, 20, 269, 21)]
    assert [w.text for w in reread_numbers(gray, read, model)] == ["۰۰۰-۰۰۰-۰۶۷-۳۰۱-۱۰-۰۱"]


def test_a_bold_code_with_a_touching_hyphen_and_a_short_one_is_read_whole(model: GlyphModel) -> None:
    """A cleaned line of the bench's 1385 ruling (bitonal, blurred, bold type): its ۲
    touches the hyphen after it (one shape, 0.38 from every known glyph), one hyphen is
    as short as the zeros but lower (6 x 4 px beside 7 x 7), and Tesseract read the
    ۰۰۰-۰۰۰ as a "word" at confidence 0 (-ممننه)."""
    gray = cv2.imread(str(RESOURCES / "renovation_code_touching_hyphen.png"), cv2.IMREAD_GRAYSCALE)
    read = [Word("۱۵-0-۰۸", 13.0, 117, 32, 141, 16), Word("-ممننه", 0.0, 40, 20, 72, 35)]
    assert [w.text for w in reread_numbers(gray, read, model)] == ["۰۰۰-۰۰۰-۱۳۲-۰۰۵-۰۳-۰۸"]
    sure = [read[0], replace(read[1], conf=60.0)]  # a word read with some confidence is its own
    assert "-ممننه" in [w.text for w in reread_numbers(gray, sure, model)]


def test_a_number_with_a_glyph_read_as_a_letter_is_read_again(model: GlyphModel) -> None:
    """Tesseract read a renovation code's ۶ as ب (confidence 0): the ink is all digits."""
    gray, word = _scanned_number("۱۹۴-۰۳-۰۶", NAZLI, read_as="۱۹۴-۰۳-ب۰")
    assert [w.text for w in reread_numbers(gray, [word], model)] == ["۱۹۴-۰۳-۰۶"]
    gray, word = _scanned_number("بند ۱۲", NAZLI, read_as="بند۱۲")  # letters stay letters
    assert [w.text for w in reread_numbers(gray, [word], model)] == ["بند۱۲"]


def test_a_smudged_zero_inside_a_number_is_a_zero(model: GlyphModel) -> None:
    """A speck touching one dot of ۰۰۰ changes its outline, not what it is."""
    gray, _ = _scanned_number("۱۲۸-۰۰۰-۰۰۰", NAZLI, read_as="")
    boxes = _ink_boxes(gray)
    dots = sorted((b for b in boxes if b[3] - b[1] <= 6 and b[2] - b[0] <= 6), key=lambda b: b[0])
    left, top, right, _ = dots[1]
    gray[top - 2 : top, right - 1 : right + 2] = 40
    (number,) = reread_numbers(gray, [_word_over(boxes[0:3], "۱۲۸")], model)
    assert number.text == "۱۲۸-۰۰۰-۰۰۰"


def test_what_is_left_of_a_faint_slash_is_not_a_zero(model: GlyphModel) -> None:
    """A light slash that thresholding leaves as a 2 x 3 stroke, as small as a zero's dot:
    it is not read as ۰ (the date would become ۱۳۹۲۰۰۸۰۰۱)."""
    gray, word = _scanned_number("۱۳۹۲/۰۸/۰۱", NAZLI, read_as="۱۳۹۲/۰۸/۰۱")
    pieces = sorted(b for b in _ink_boxes(gray) if b[2] - b[0] <= 2)  # a thin slash breaks up
    slashes: list[list[tuple[int, int, int, int]]] = []
    for b in pieces:
        if slashes and b[0] - slashes[-1][-1][2] <= 3:
            slashes[-1].append(b)
        else:
            slashes.append([b])
    assert len(slashes) == 2
    for group in slashes:
        left, top = min(b[0] for b in group), min(b[1] for b in group)
        right, bottom = max(b[2] for b in group), max(b[3] for b in group)
        gray[top - 1 : bottom + 1, left - 1 : right + 1] = 255
        middle, centre = (top + bottom) // 2, (left + right) // 2
        gray[middle - 1 : middle + 2, centre] = 30  # a stroke's fragment, 1 px wide
        gray[middle - 1, centre + 1] = 30
    assert [w.text for w in reread_numbers(gray, [word], model)] == ["۱۳۹۲/۰۸/۰۱"]


def test_pieces_of_one_number_become_one_word(model: GlyphModel) -> None:
    """A renovation code's zeros, read as three words (۰۰ ۰ ۰۰), join the code."""
    gray, _ = _scanned_number("۱۲۸-۰۰۰-۰۰۰", NAZLI, read_as="")
    boxes = _ink_boxes(gray)
    assert len(boxes) == 11
    pieces = [
        _word_over(boxes[0:3], "۱۲۸"),
        _word_over(boxes[4:6], "۰۰"),
        _word_over(boxes[6:8], "۰"),
        _word_over(boxes[9:11], "۰۰"),
    ]
    assert [w.text for w in reread_numbers(gray, pieces, model)] == ["۱۲۸-۰۰۰-۰۰۰"]


def _words_of_line(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom) of each space-separated word of a rendered line, left to right."""
    ink = (gray < 128).astype(np.uint8)
    joined = cv2.dilate(ink, np.ones((15, 9), np.uint8))  # letters, dots, digits join; spaces do not
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    return sorted((x, y, x + w, y + h) for x, y, w, h, area in stats[1:] if area >= 20)


def test_a_number_does_not_grow_into_the_words_beside_it(model: GlyphModel) -> None:
    gray, _ = _scanned_number("پلاک ۱۲۳ اصلی", NAZLI, read_as="")
    left, number, right = _words_of_line(gray)  # اصلی ۱۲۳ پلاک, left to right
    line = [
        _word_over([right], "پلاک"),
        _word_over([number], "۱۲۸"),
        _word_over([left], "اصلی"),
    ]
    assert [w.text for w in reread_numbers(gray, line, model)] == ["پلاک", "۱۲۳", "اصلی"]


def test_the_alef_just_after_a_number_is_not_a_one(model: GlyphModel) -> None:
    """A justified line leaves a thin space before اصلی; its alef, as tall and thin as a ۱,
    sits one digit pitch from the number, but nearer to its own word's letters."""
    px = 26
    face = ImageFont.truetype(str(need(FARSIWEB / "nazlib.ttf")), px, layout_engine=ImageFont.Layout.RAQM)
    image = Image.new("L", (10 * px, 3 * px), 255)
    draw = ImageDraw.Draw(image)
    draw.text((px, px // 2), "اصلی", font=face, fill=20, direction="rtl", language="fa")
    start = int(px + face.getlength("اصلی", direction="rtl", language="fa") + 0.12 * px)
    draw.text((start, px // 2), "۵۳", font=face, fill=20)
    gray = np.asarray(image).copy()
    ink = gray[:, start:] < 128
    ys, xs = np.nonzero(ink)
    word = Word("۵۳", 80.0, start + int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    # Tesseract's box of the word runs into the number's, as it does on such lines.
    letters = Word("اصلی", 90.0, px, int(ys.min()) - 4, start - px + 6, 2 * px)
    assert [w.text for w in reread_numbers(gray, [word, letters], model)] == ["۵۳", "اصلی"]


def test_a_right_reading_whose_box_left_out_a_digit_is_kept(model: GlyphModel) -> None:
    """Tesseract read ۱۴۰۰/۰۵/۰۱ right but put its last ۱ inside the next word's box
    (مورخ): the glyph reading, one glyph short, does not replace it."""
    gray, _ = _scanned_number("مورخ ۱۴۰۰/۰۵/۰۱ در", HOMA, read_as="")
    words = _words_of_line(gray)  # در, the number (its slashes may part it), مورخ
    left, right = words[0], words[-1]
    digits = [b for b in _ink_boxes(gray) if left[2] < b[0] and b[2] < right[0]]
    last = max(digits, key=lambda b: b[2])
    line = [
        Word("مورخ", 90.0, last[0], right[1], right[2] - last[0], right[3] - right[1]),
        replace(_word_over([b for b in digits if b != last], "۱۴۰۰/۰۵/۰۱"), conf=90.0),
        _word_over([left], "در"),
    ]
    assert [w.text for w in reread_numbers(gray, line, model)] == ["مورخ", "۱۴۰۰/۰۵/۰۱", "در"]


def test_a_sure_reading_is_kept_when_a_glyph_breaks_in_two(model: GlyphModel) -> None:
    """A Latin 0 whose thin top and bottom thresholding lost is two arcs, each like a 1:
    Tesseract's sure 85096/86 is not replaced by 851196/86."""
    gray, word = _scanned_number("85096/86", DEJAVU, read_as="85096/86", px=26)
    boxes = _ink_boxes(gray)
    left, top, right, bottom = sorted(boxes)[2]  # the 0
    middle = (left + right) // 2
    gray[top - 1 : bottom + 1, middle - 3 : middle + 4] = 255  # its top and bottom lost
    assert len(_ink_boxes(gray)) == len(boxes) + 1
    assert [w.text for w in reread_numbers(gray, [replace(word, conf=90.0)], model)] == ["85096/86"]


def test_a_full_stop_after_a_number_is_not_a_zero(model: GlyphModel) -> None:
    # Right to left, the full stop that ends the sentence is printed left of the number,
    # where Tesseract reads it as a leading ۰.
    gray, _ = _scanned_number("سال ۱۳۹۰.", NAZLI, read_as="")
    number, _word = _words_of_line(gray)
    (out,) = reread_numbers(gray, [_word_over([number], "۰۱۳۹۰")], model)
    assert out.text == "۱۳۹۰."


def test_without_persian_fonts_numbers_keep_tesseracts_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    gray, word = _scanned_number("۴۲۶۹۵/۸۶", HOMA, read_as="۴۲۶۹۵۱۸۶")
    monkeypatch.setattr(digits, "font_files", lambda: [])
    glyph_model.cache_clear()
    try:
        assert glyph_model() is None
        assert reread_numbers(gray, [word]) == [word]
    finally:
        glyph_model.cache_clear()


def test_the_archive_s_own_typefaces_are_learned_and_a_broken_font_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fonts = tmp_path / ".local/share/fonts/archive"
    fonts.mkdir(parents=True)
    (fonts / "b-nazanin.ttf").write_bytes(need(NAZLI).read_bytes())  # a typeface the archive uses
    (fonts / "broken.ttf").write_bytes(b"not a font")
    (fonts / "latin-only.ttf").write_bytes(need(Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")).read_bytes())
    monkeypatch.setenv("HOME", str(tmp_path))
    found = font_files()
    assert fonts / "b-nazanin.ttf" in found
    assert fonts / "broken.ttf" not in found and fonts / "latin-only.ttf" not in found


def test_the_model_is_rendered_once_and_then_read_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARVANDEH_CACHE", str(tmp_path))
    fonts = [need(DEJAVU)]
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


def test_a_damaged_cache_file_is_rendered_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARVANDEH_CACHE", str(tmp_path))
    fonts = [need(DEJAVU)]
    monkeypatch.setattr(digits, "font_files", lambda: fonts)
    glyph_model.cache_clear()
    try:
        glyph_model()
        (cached,) = tmp_path.glob("glyphs-*.npz")
        cached.write_bytes(cached.read_bytes()[:100])  # a write cut short
        glyph_model.cache_clear()
        again = glyph_model()
        assert again is not None and len(again) > 100
        with np.load(cached) as fresh:  # and the cache was written whole again
            assert len(fresh["rows"]) == len(again)
    finally:
        glyph_model.cache_clear()


@pytest.mark.parametrize("font", [NAZLI, HOMA, FREEFARSI])
def test_an_amount_keeps_its_thousands_separators(model: GlyphModel, font: Path) -> None:
    """The raised ٬ of an amount in rials is neither a zero nor nothing: read as ۰ it turns
    ۸۱۱٬۰۰۰٬۰۰۰ into ۸۱۱۰۰۰۰۰۰۰۰, a number no planner can find."""
    gray, word = _scanned_number("۸۱۱٬۰۰۰٬۰۰۰", font, read_as="۸۱۱۰۰۰۰۰۰۰۰")
    [read] = reread_numbers(gray, [word], model)
    assert read.text == "۸۱۱٬۰۰۰٬۰۰۰"
    assert normalize(read.text) == "811000000"


def test_a_missing_font_skips_naming_its_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a machine without the optional fonts these tests skip and say what to install."""
    with pytest.raises(pytest.skip.Exception, match="apt-get install fonts-freefarsi"):
        need(FREEFARSI.with_name("FreeFarsi-Missing.ttf"))
    monkeypatch.setitem(PACKAGE_FONTS, "fonts-sil-lateef", Path("/nonexistent/Lateef-Regular.ttf"))
    with pytest.raises(pytest.skip.Exception, match="needs Debian's fonts-sil-lateef"):
        need_packages("fonts-dejavu-core", "fonts-sil-lateef")


def _bled_together(text: str, font: Path, *, read_as: str, conf: float = 40.0) -> tuple[np.ndarray, np.ndarray, Word]:
    """``text`` at twice the size a number is read at (the page before it was brought down
    to 180 dpi), the same brought down to half and blurred until its glyphs run into each
    other (a copy of a copy), and Tesseract's word box on the small one."""
    fine, word = _scanned_number(text, font, read_as=read_as, px=44)
    coarse = cv2.GaussianBlur(cv2.resize(fine, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), (0, 0), 1.3)
    small = replace(word, left=word.left // 2, top=word.top // 2, width=word.width // 2,
                    height=word.height // 2, conf=conf)  # fmt: skip
    return fine, coarse, small


def test_a_number_whose_glyphs_bled_together_is_read_on_the_finer_page(model: GlyphModel) -> None:
    fine, coarse, word = _bled_together("۳۱۴۱۷۲۳۲۰۴", HOMA, read_as="۳۱6۱۷۲۳۲۰۵")
    assert reread_numbers(coarse, [word], model) == [word]  # no glyph reading there
    [read] = reread_numbers(coarse, [word], model, fine=fine)
    assert read.text == "۳۱۴۱۷۲۳۲۰۴"
    assert abs(read.left - word.left) <= 3 and abs(read.width - word.width) <= 4  # the page's coordinates


def test_a_finer_reading_must_keep_every_glyph_tesseract_saw() -> None:
    assert digits._as_long("٣١٤١٧٢٣٢٠٤", "۳۱6۱۷۲۳۲۰۵")
    assert digits._as_long("۴۱۵-۳۴۲۶۴۰-۷", "۴۱۵-۳۴۲۶۴۰۱۷")  # a hyphen Tesseract read as ۱
    assert not digits._as_long("۱۴/۰۱/۱۲", "۱۴۳۰/۹/۱۲")  # two zeros lost beside the slash
    assert not digits._as_long("۴۱۵۳۴۲۶۴۰۷", "۴۱۵-۳۴۲۶۴۰-۷")  # a separator lost


def test_a_finer_reading_keeps_the_glyphs_of_the_pieces_it_takes_in(
    model: GlyphModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A piece ۳۵ beside ٩۲-۲6۷, read on the finer page as ۳۵ taking the other piece in,
    would leave only ۳۵ of the file number ٩٢-٢٤٧٣٥."""
    words = [Word("۳۵", 16.0, 90, 10, 20, 14), Word("٩۲-۲6۷", 16.0, 10, 10, 80, 14)]
    found = digits.NumberReading("۳۵", (10, 10, 100, 14), (1,))
    monkeypatch.setattr(digits, "read_number", lambda *_args, **_kw: found)
    page = np.full((40, 200), 255, np.uint8)
    assert digits._read_fine(page, words, 0, model, 1.0) is None
    whole = digits.NumberReading("٩٢-٢٤٧٣٥", (10, 10, 100, 14), (1,))
    monkeypatch.setattr(digits, "read_number", lambda *_args, **_kw: whole)
    assert digits._read_fine(page, words, 0, model, 1.0) == whole


def test_a_wide_digit_beside_a_hyphen_is_read_with_its_code(model: GlyphModel) -> None:
    """A boxed code of the tuned split's 1394 inspection report (FreeFarsi, grey): the ۵ of
    its first group is so wide that its centre lies more than a digit's pitch from the
    hyphen after it, though the blank between them is no wider than the code's others.
    Tesseract had lost the group (and read a confidence-0 word)."""
    gray = cv2.imread(str(RESOURCES / "renovation_code_wide_five.png"), cv2.IMREAD_GRAYSCALE)
    read = [Word("۹-۰۹-۰۱-۰۱-۰۱۳", 0.0, 64, 20, 185, 18)]
    assert [w.text for w in reread_numbers(gray, read, model)] == ["۰۵-۰۹-۰۰۹-۰۰۱-۰۰۱-۰۱۳"]
