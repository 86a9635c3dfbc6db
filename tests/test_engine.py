"""Tesseract in the worker process (ocr.engine) reads exactly as the `tesseract` program.

The in-process engine is only a faster way to ask the same library: every test here
compares it with the program on the same pixels, word for word and box for box.
"""

from __future__ import annotations

import multiprocessing

import numpy as np
import pytest

from ocr import engine
from ocr import tesseract as tess
from ocr.errors import RecognitionFailed
from tests.conftest import tesseract_ready
from tests.imaging import ENGLISH_LINES, PERSIAN_LINES, degrade, mixed_lines, render_page

pytestmark = pytest.mark.skipif(
    not tesseract_ready() or not engine.available(), reason="needs Tesseract and tesserocr built against it"
)

DPI = 200


@pytest.fixture(scope="module")
def persian() -> np.ndarray:
    lines = [*PERSIAN_LINES[:5], "شماره ملی: ۰۰۷۱۲۳۴۵۶۸ کدپستی: ٣١٤١٧٢٣٢٠٤", "پلاک ثبتي ۱۲۳ فرعي از ۴۵ اصلي"]
    return degrade(render_page(lines, dpi=DPI), skew=0.6, noise=0.001, dpi=DPI)


@pytest.fixture
def program(monkeypatch: pytest.MonkeyPatch):
    """Run a block through the `tesseract` program."""

    def run(fn, *args, **kwargs):
        with monkeypatch.context() as m:
            m.setenv(engine.ENGINE_ENV, "program")
            return fn(*args, **kwargs)

    return run


@pytest.mark.parametrize(
    ("lang", "config"),
    [
        ("fas+eng", "--psm 3 --dpi 200 -c preserve_interword_spaces=0"),
        ("fas", "--psm 6 --dpi 200 -c preserve_interword_spaces=0"),
        ("eng", "--psm 6 --dpi 300"),
    ],
)
def test_same_words_boxes_and_confidences_as_the_program(persian, program, lang, config) -> None:
    ours = tess.image_data(persian, lang=lang, config=config)
    theirs = program(tess.image_data, persian, lang=lang, config=config)
    assert ours == theirs
    assert sum(1 for t in ours["text"] if t.strip()) > 20  # a real reading, not two empty ones


def test_same_reading_of_english_and_mixed_pages(program) -> None:
    for page in (render_page(ENGLISH_LINES, dpi=DPI, rtl=False), render_page(mixed_lines(), dpi=DPI, rtl=None)):
        ours = tess.recognize(page, dpi=DPI)
        assert ours == program(tess.recognize, page, dpi=DPI)
        assert "Karaj" in ours.text


def test_a_line_read_alone(persian, program) -> None:
    box = (0, 0, persian.shape[1], persian.shape[0] // 6)
    ours = tess.recognize_region(persian, box, lang="fas", dpi=DPI, block=7, psm=7)
    assert ours == program(tess.recognize_region, persian, box, lang="fas", dpi=DPI, block=7, psm=7)


def test_a_variable_set_for_one_call_does_not_outlive_it(persian, program) -> None:
    digits_only = "--psm 6 --dpi 200 -c tessedit_char_whitelist=0123456789"
    narrowed = tess.image_data(persian, lang="eng", config=digits_only)
    assert all(t.strip().isdigit() for t in narrowed["text"] if t.strip())
    after = tess.image_data(persian, lang="eng", config="--psm 6 --dpi 200")
    assert after == program(tess.image_data, persian, lang="eng", config="--psm 6 --dpi 200")
    assert any(not t.strip().isdigit() for t in after["text"] if t.strip())


def test_an_unknown_variable_goes_to_the_program_and_fails_there_as_before(persian) -> None:
    # the program warns and reads on; the engine hands such a call over rather than guess
    assert engine.image_tsv(persian, lang="eng", config="--psm 6 -c no_such_variable=1") is None
    assert engine.parse_config("--psm 6 --oem 1") is None  # not translated: the program's
    assert engine.parse_config("--psm 7 --dpi 150 -c a=b") == (7, {"user_defined_dpi": "150", "a": "b"})


def test_blank_page_is_an_empty_reading(program) -> None:
    blank = np.full((400, 300), 255, np.uint8)
    assert tess.recognize(blank, dpi=DPI) == tess.Reading.empty()
    assert program(tess.recognize, blank, dpi=DPI) == tess.Reading.empty()


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_orientation_as_the_program_reports_it(program, turn) -> None:
    page = degrade(render_page(PERSIAN_LINES * 2, dpi=150), rotate=turn, dpi=150)
    ours = tess.osd(page, dpi=150)
    theirs = program(tess.osd, page, dpi=150)
    assert ours is not None and theirs is not None
    assert ours[0] == theirs[0] == (-turn) % 360
    assert ours[1] == pytest.approx(theirs[1], abs=0.01)


def test_orientation_of_a_blank_page_is_no_opinion(program) -> None:
    blank = np.full((600, 400), 255, np.uint8)
    assert tess.osd(blank, dpi=150) is None
    assert program(tess.osd, blank, dpi=150) is None


def test_recognition_stops_at_its_timeout(persian) -> None:
    big = np.vstack([persian] * 4)
    with pytest.raises(RecognitionFailed, match="timed out"):
        tess.recognize(big, dpi=DPI, timeout=0.001)
    assert tess.recognize(persian, dpi=DPI).words  # the engine reads on after a stopped call


def test_the_page_deadline_shortens_the_call(persian, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine.signal, "getitimer", lambda which: (0.25, 0.0))
    assert engine._deadline_ms(0) == 250
    assert engine._deadline_ms(10) == 250
    assert engine._deadline_ms(0.1) == 100
    monkeypatch.setattr(engine.signal, "getitimer", lambda which: (0.0, 0.0))
    assert engine._deadline_ms(0) == 0


def _read_in_child(page: np.ndarray) -> str:
    return tess.recognize(page, dpi=DPI).text


def test_a_forked_worker_loads_its_own_models(persian) -> None:
    here = tess.recognize(persian, dpi=DPI).text  # loaded in this process first
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_read_in_child, (persian,)) == here


def test_a_tesserocr_of_another_library_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    engine._tesserocr.cache_clear()
    try:
        monkeypatch.setattr(engine, "_program_version", lambda: "4.1.1")
        assert not engine.available()
        assert engine.image_tsv(np.full((10, 10), 255, np.uint8), lang="eng", config="--psm 6") is None
    finally:
        monkeypatch.undo()
        engine._tesserocr.cache_clear()
    assert engine.available()


def test_the_program_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(engine.ENGINE_ENV, "program")
    assert not engine.available()
