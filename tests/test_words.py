"""Persian words checked against the model's dictionary (ocr.lexicon, ocr.words), on
rendered Persian lines read by Tesseract."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from indexer.normalize import ZWNJ
from ocr import lexicon, words
from ocr.lexicon import matching_form, model_words
from ocr.tesseract import recognize
from ocr.types import Word
from ocr.words import (
    fix_comma_slips,
    fix_letter_slips,
    is_unknown,
    join_split_words,
    reread_unknown_words,
)

NAZLI = Path("/usr/share/fonts/truetype/farsiweb/nazli.ttf")
PX = 30  # a 12-pt line at the 180 dpi pages are read at
DPI = 180


def _line(text: str, *, font: Path = NAZLI, seed: int = 0) -> np.ndarray:
    """``text`` typed in a right-to-left line, lightly blurred and grainy like a scan."""
    face = ImageFont.truetype(str(font), PX, layout_engine=ImageFont.Layout.RAQM)
    width = int(face.getlength(text, direction="rtl", language="fa")) + 4 * PX
    image = Image.new("L", (width, 3 * PX), 255)
    ImageDraw.Draw(image).text((2 * PX, PX // 2), text, font=face, fill=20, direction="rtl", language="fa")
    gray = cv2.GaussianBlur(np.asarray(image).astype(np.float32), (0, 0), 0.5)
    gray += np.random.default_rng(seed).normal(0, 6, gray.shape)
    return np.clip(gray, 0, 255).astype(np.uint8)


def _read(gray: np.ndarray) -> list[Word]:
    return list(recognize(gray, lang="fas", dpi=DPI, psm=7).words)


def _split_word(gray: np.ndarray, word: Word, first: str) -> tuple[Word, Word]:
    """``word`` as Tesseract would give it split after its first letters ``first``: the
    right-hand piece ends at the blank columns nearest to where ``first`` ends."""
    face = ImageFont.truetype(str(NAZLI), PX, layout_engine=ImageFont.Layout.RAQM)
    cut = word.left + word.width - int(face.getlength(first, direction="rtl", language="fa"))
    ink = (gray[word.top : word.top + word.height, word.left : word.left + word.width] < 128).any(axis=0)
    blank = [word.left + x for x in np.flatnonzero(~ink)]
    assert blank, "the word has no gap to split at"
    gap = min(blank, key=lambda x: abs(x - cut))
    right = replace(word, text=first, left=gap + 1, width=word.left + word.width - gap - 1)
    left = replace(word, text=word.text[len(first) :], width=gap - word.left)
    return right, left


@pytest.fixture(scope="module")
def fas_words() -> frozenset[str]:
    found = model_words("fas")
    assert found, "Tesseract's fas model or its tools are missing (scripts/setup.sh installs them)"
    return found


# --------------------------------------------------------------------------- the lexicon


def test_the_model_dictionary_holds_common_words_in_matching_form(fas_words: frozenset[str]) -> None:
    for word in ("شهرسازی", "کرج", "احداث", "اشغال", "مسکونی", "پرونده", "می‌گردد"):
        assert matching_form(word) in fas_words, word
    assert "میگردد" in fas_words  # the half-space is not part of the matching form


def test_arabic_keyboard_letters_are_known_words(fas_words: frozenset[str]) -> None:
    assert not is_unknown(Word("كرج", 80, 0, 0, 10, 10), fas_words)  # Arabic kaf
    assert not is_unknown(Word("مسكوني،", 80, 0, 0, 10, 10), fas_words)  # ك ي and a comma
    assert is_unknown(Word("کرچ", 80, 0, 0, 10, 10), fas_words)


def test_numbers_latin_and_single_letters_are_never_unknown(fas_words: frozenset[str]) -> None:
    for text in ("۴۵/۱۲۳", "۱۳۹۷", "permit", "و", "ب:", "ب۱۲"):
        assert not is_unknown(Word(text, 80, 0, 0, 10, 10), fas_words), text


def test_the_word_list_is_cached_and_extended_by_the_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARVANDEH_CACHE", str(tmp_path / "cache"))
    extra = tmp_path / "words.txt"
    extra.write_text("فرزانه‌پور\n# a comment line\nگلبرگ‌نو\n", encoding="utf-8")
    monkeypatch.setenv("PARVANDEH_WORDS", str(extra))
    model_words.cache_clear()
    try:
        found = model_words("fas")
        assert {"فرزانهپور", "گلبرگنو", "شهرسازی"} <= found
        assert not any("#" in w or "comment" in w for w in found)
        [cached] = (tmp_path / "cache").glob("words-fas-*.txt")
        assert "شهرسازی" in cached.read_text(encoding="utf-8").split()
        monkeypatch.setattr(lexicon, "_unpack", lambda _: pytest.fail("unpacked again"))
        model_words.cache_clear()
        assert model_words("fas") == found
    finally:
        model_words.cache_clear()


def test_planning_words_the_model_lacks_come_with_parvandeh(fas_words: frozenset[str]) -> None:
    """Letter formulas, planning terms and Karaj's districts: not in Tesseract's own
    dictionary, so without ocr/data they would be read again and "fixed" (بسمه → تسمه)."""
    for word in ("بسمه", "احتراماً", "زیربنای", "عقب‌نشینی", "پایان‌کار", "گوهردشت", "حیدرآباد"):
        assert matching_form(word) in fas_words, word
    model_only = lexicon._unpack(lexicon.tessdata_dir() / "fas.traineddata")
    assert matching_form("بسمه") not in set(map(matching_form, model_only))


def test_without_the_model_the_list_is_empty_and_nothing_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # no models there
    monkeypatch.delenv("PARVANDEH_WORDS", raising=False)
    model_words.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            assert model_words("fas") == frozenset()
        assert "fas.traineddata not found" in caplog.text
    finally:
        model_words.cache_clear()
    read = [Word("کرچ", 40, 0, 0, 30, 20), Word("شهر", 80, 40, 0, 30, 20)]
    blank = np.full((40, 100), 255, np.uint8)
    assert reread_unknown_words(blank, read, dpi=DPI, lexicon=frozenset()) == read
    assert join_split_words(blank, read, lexicon=frozenset()) == read


# --------------------------------------------------------------------------- unknown words


def test_a_dot_slip_is_read_again_into_the_dictionary_word(fas_words: frozenset[str]) -> None:
    gray = _line("شهرداری کرج منطقه یک")
    read = _read(gray)
    assert "کرج" in [w.text for w in read]
    slipped = [replace(w, text="کرچ", conf=31.0) if w.text == "کرج" else w for w in read]
    fixed = reread_unknown_words(gray, slipped, dpi=DPI, lexicon=fas_words)
    assert [w.text for w in fixed] == [w.text for w in read]
    assert [w.box for w in fixed] == [w.box for w in read]


def test_punctuation_around_the_word_is_kept(fas_words: frozenset[str]) -> None:
    gray = _line("نوع اشغال مسکونی")
    read = _read(gray)
    slipped = [replace(w, text="اشفال:") if w.text == "اشغال" else w for w in read]
    assert "اشفال:" in [w.text for w in slipped]
    fixed = reread_unknown_words(gray, slipped, dpi=DPI, lexicon=fas_words)
    assert "اشغال:" in [w.text for w in fixed]


def test_a_name_outside_the_dictionary_keeps_its_reading(fas_words: frozenset[str]) -> None:
    gray = _line("خیابان شقایق‌زاده کرج")
    read = _read(gray)
    assert any(is_unknown(w, fas_words) for w in read)
    assert reread_unknown_words(gray, read, dpi=DPI, lexicon=fas_words) == read


def test_a_new_reading_outside_the_dictionary_is_not_taken() -> None:
    gray = _line("شهرداری کرج منطقه یک")
    read = _read(gray)
    slipped = [replace(w, text="کرچ") if w.text == "کرج" else w for w in read]
    only_other_words = frozenset({"شهرداری", "منطقه", "یک"})
    assert reread_unknown_words(gray, slipped, dpi=DPI, lexicon=only_other_words) == slipped


def test_a_page_of_known_words_costs_no_tesseract_call(
    fas_words: frozenset[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gray = _line("شهرداری کرج منطقه یک")
    read = _read(gray)
    monkeypatch.setattr(words, "recognize_strips", lambda *a, **k: pytest.fail("read again"))
    assert reread_unknown_words(gray, read, dpi=DPI, lexicon=fas_words) == read


# --------------------------------------------------------------------------- split words


def _split_line(text: str, whole: str, first: str) -> tuple[np.ndarray, list[Word]]:
    """The rendered line and Tesseract's words with ``whole`` split after ``first``."""
    gray = _line(text)
    read = _read(gray)
    at = [w.text for w in read].index(whole)
    return gray, [*read[:at], *_split_word(gray, read[at], first), *read[at + 1 :]]


def test_a_word_split_after_a_non_joining_letter_is_joined() -> None:
    gray, split = _split_line("معاونت شهرسازی و معماری", "شهرسازی", "شهر")
    joined = join_split_words(gray, split, lexicon=frozenset({"شهرسازی"}))
    assert [w.text for w in joined] == ["معاونت", "شهرسازی", "و", "معماری"]
    whole = joined[1]
    assert (whole.left, whole.left + whole.width) == (split[2].left, split[1].left + split[1].width)


def test_a_half_space_word_is_joined_with_its_half_space() -> None:
    gray, split = _split_line("پرونده ارسال می‌گردد و بایگانی", "می‌گردد", "می")
    split = [replace(w, text=w.text.strip(ZWNJ)) for w in split]  # as Tesseract splits it
    assert [w.text for w in split][2:4] == ["می", "گردد"]
    joined = join_split_words(gray, split, lexicon=frozenset({"میگردد"}))
    assert "می" + ZWNJ + "گردد" in [w.text for w in joined]


def test_two_words_a_space_apart_stay_apart() -> None:
    """The same two words with a real space between them: the joined form is a word, but
    the gap is a word space."""
    gray = _line("معاونت شهر سازی و معماری")
    read = _read(gray)
    assert [w.text for w in read] == ["معاونت", "شهر", "سازی", "و", "معماری"]
    assert join_split_words(gray, read, lexicon=frozenset({"شهرسازی"})) == read


def test_a_split_whose_join_is_not_a_word_stays() -> None:
    gray, split = _split_line("معاونت شهرسازی و معماری", "شهرسازی", "شهر")
    assert join_split_words(gray, split, lexicon=frozenset({"معاونت"})) == split


# --------------------------------------------------------------------------- slips of one letter


def _w(text: str, conf: float = 80) -> Word:
    return Word(text, conf, 0, 0, 60, 20)


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("واهد", "واحد"),  # ح read as ه
        ("توسازی:", "نوسازی:"),  # ن read as ت; the colon stays
        ("مسكوتي", "مسكوني"),  # Arabic-keyboard letters kept where the letter is right
        ("پیش‌آمدکی", "پیش‌آمدگی"),  # the half-space kept
        ("مشخضات", "مشخصات"),  # ص read as ض
        ("بسمه", "بسمه"),  # a letter formula the model lacks: in parvandeh's list, not fixed
        ("توری", "توری"),  # a real word (tulle) is never "fixed", even if نوری was meant
        ("تب", "تب"),  # two letters: too many neighbours to choose from
        ("فرزانه‌پور", "فرزانه‌پور"),  # a name no slip away from a word
        ("اتدی", "اتدی"),  # ابدی, ایدی and اندی are all one slip away: no choice made
        ("۱۲۳۴", "۱۲۳۴"),
    ],
)
def test_one_confusable_letter_is_fixed_only_towards_a_single_word(
    read: str, fixed: str, fas_words: frozenset[str]
) -> None:
    [out] = fix_letter_slips([_w(read)], lexicon=fas_words)
    assert out.text == fixed
    assert out.conf == 80 and out.width == 60  # the box and confidence are the page's


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("اقاقیاء", "اقاقیا،"),  # the comma after a street name read as ء
        ("دهقان‌ویلاه", "دهقان‌ویلا،"),  # ... or as ه after a letter that does not join
        ("امضاء", "امضاء"),  # a word that ends in ء
        ("کرجه", "کرجه"),  # a ه joined to the letter before it is no comma
        ("خانه", "خانه"),
    ],
)
def test_a_comma_read_as_a_letter_is_given_back(read: str, fixed: str, fas_words: frozenset[str]) -> None:
    assert [w.text for w in fix_comma_slips([_w(read)], lexicon=fas_words)] == [fixed]
