"""Cleaning stages on rendered pages: each test damages a page in one known way
(``tests.imaging.degrade``) and checks that the stage measures or undoes exactly that.

Pages are A5 at 150 dpi unless a test needs more, which keeps the fast tests in
milliseconds; tests that run Tesseract are marked ``slow``.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytesseract
import pytest

from ocr.clean import (
    OSD_BELOW,
    RECIPES,
    binarize,
    clean,
    deskew,
    despeckle,
    detect_orientation,
    estimate_dpi,
    estimate_skew,
    flatten_background,
    measure_orientation,
    remove_borders,
    remove_rules,
    rescale,
    rotate_upright,
)
from ocr.tesseract import osd
from tests.imaging import (
    A4_MM,
    ENGLISH_LINES,
    NASKH_FONT,
    PERSIAN_LINES,
    degrade,
    mixed_lines,
    render_page,
    word_recall,
)

DPI = 150
TITR_FONT = "/usr/share/fonts/truetype/farsiweb/titr.ttf"


@pytest.fixture(scope="module")
def pages() -> dict[str, np.ndarray]:
    """Clean upright pages, rendered once for the module."""
    return {
        "persian": render_page(PERSIAN_LINES, dpi=DPI),
        "persian-naskh": render_page(PERSIAN_LINES[:6], dpi=DPI, font=NASKH_FONT),
        "english": render_page(ENGLISH_LINES, dpi=DPI, rtl=False),
        "mixed": render_page(mixed_lines(), dpi=DPI, rtl=None),
    }


def ocr(gray: np.ndarray, dpi: int) -> str:
    return pytesseract.image_to_string(gray, lang="fas+eng", config=f"--psm 3 --dpi {dpi}")


# ----------------------------------------------------------------------- orientation


def test_rotate_upright_turns_clockwise() -> None:
    a = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    assert rotate_upright(a, 90).tolist() == [[3, 1], [4, 2]]
    assert rotate_upright(a, 0) is a
    with pytest.raises(ValueError):
        rotate_upright(a, 45)


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_rotate_upright_undoes_degrade_rotation(pages: dict[str, np.ndarray], turn: int) -> None:
    page = pages["persian"]
    assert np.array_equal(rotate_upright(degrade(page, rotate=turn), (-turn) % 360), page)


@pytest.mark.parametrize("name", ["persian", "persian-naskh", "english", "mixed"])
@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_orientation_from_line_structure(
    pages: dict[str, np.ndarray], name: str, turn: int
) -> None:
    scan = degrade(pages[name], rotate=turn, skew=1.5, noise=0.0005, border=True, dpi=DPI)
    rotation, confidence = measure_orientation(scan, dpi=DPI)
    assert rotation == (-turn) % 360
    assert confidence >= OSD_BELOW  # sure enough that Tesseract's OSD is not asked


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_orientation_survives_shading_blur_and_skew(
    pages: dict[str, np.ndarray], turn: int
) -> None:
    scan = degrade(pages["persian"], rotate=turn, skew=-4.3, uneven=True, blur=1.0, noise=0.001)
    assert detect_orientation(scan, dpi=DPI, use_osd=False)[0] == (-turn) % 360


def test_orientation_of_a_lone_heading_is_unsure() -> None:
    heading = render_page(PERSIAN_LINES[:1], dpi=300, font=TITR_FONT, font_pt=16)
    assert measure_orientation(heading, dpi=300)[1] < OSD_BELOW


def test_orientation_of_a_blank_page_is_zero_with_no_confidence() -> None:
    blank = np.full((1240, 874), 255, np.uint8)
    assert detect_orientation(blank, dpi=DPI, use_osd=False) == (0, 0.0)


@pytest.mark.slow
@pytest.mark.parametrize("turn", [0, 90])
def test_osd_settles_a_lone_heading_the_line_measure_gets_wrong(turn: int) -> None:
    # One line of Titr (the bold face of letterheads) is nearly all tails below the
    # baseline, so the page's own measure flips it; OSD, asked because the measure is
    # unsure, reads the letters.
    heading = degrade(
        render_page(PERSIAN_LINES[:1], dpi=300, font=TITR_FONT, font_pt=16), rotate=turn
    )
    assert measure_orientation(heading, dpi=300)[0] != (-turn) % 360
    assert detect_orientation(heading, dpi=300)[0] == (-turn) % 360


@pytest.mark.parametrize(
    ("evidence", "asked", "want"),
    [
        ((180, 0.86, 0.86), True, 0),  # turned over on a vote short of full: OSD decides
        ((180, 1.0, 1.0), False, 180),  # turned over on a full vote: no need to ask
        ((0, 0.86, None), False, 0),  # left upright at this confidence: not asked
        ((0, 0.2, None), True, 0),  # unsure whichever way: asked, and agrees
    ],
)
def test_osd_is_asked_before_a_page_is_turned_over_on_a_weak_vote(
    monkeypatch: pytest.MonkeyPatch, evidence: tuple[int, float, float | None], asked: bool, want: int
) -> None:
    """A form whose boxed values and stamp outweigh its lines can vote upside down (-0.26
    on a tuned page, confidence 0.86); turning a page over loses all of it, so the own
    measure does that alone only on a full vote."""
    import ocr.clean as clean_module

    calls: list[int] = []

    def fake_osd(image: np.ndarray, **_kw: object) -> tuple[int, float]:
        calls.append(1)
        return 0, 4.4

    monkeypatch.setattr(clean_module, "_orientation_evidence", lambda _mask: evidence)
    monkeypatch.setattr(clean_module, "osd", fake_osd)
    page = np.full((400, 300), 255, np.uint8)
    assert detect_orientation(page, dpi=150)[0] == want
    assert bool(calls) == asked


@pytest.mark.slow
def test_osd_failure_leaves_the_own_answer() -> None:
    blank = np.full((1240, 874), 255, np.uint8)
    assert osd(blank, dpi=DPI) is None  # "Too few characters", not an exception
    assert detect_orientation(blank, dpi=DPI) == (0, 0.0)


# ---------------------------------------------------------------------------- deskew


@pytest.mark.parametrize("angle", [-4.3, -1.1, 0.0, 0.6, 2.5, 4.8])
@pytest.mark.parametrize("name", ["persian", "english"])
def test_skew_within_a_fifth_of_a_degree(
    pages: dict[str, np.ndarray], name: str, angle: float
) -> None:
    scan = degrade(pages[name], skew=angle, border=True, noise=0.0005, blur=0.7, dpi=DPI)
    assert estimate_skew(scan, dpi=DPI) == pytest.approx(angle, abs=0.2)


def test_skew_without_a_stated_dpi(pages: dict[str, np.ndarray]) -> None:
    assert estimate_skew(degrade(pages["mixed"], skew=-2.2)) == pytest.approx(-2.2, abs=0.2)


def darkness(gray: np.ndarray) -> int:
    """Total ink, which resampling moves about but does not lose."""
    return int((255 - gray.astype(np.int64)).sum())


def test_deskew_levels_lines(pages: dict[str, np.ndarray]) -> None:
    scan = degrade(pages["persian"], skew=4.8)
    assert estimate_skew(deskew(scan, 4.8), dpi=DPI) == pytest.approx(0.0, abs=0.2)


def test_deskew_grows_the_canvas_instead_of_cutting_corners() -> None:
    crowded = render_page(PERSIAN_LINES, dpi=DPI, margin_mm=3, line_spacing=1.2)
    turned = deskew(crowded, 4.8)
    assert turned.shape[0] > crowded.shape[0] and turned.shape[1] > crowded.shape[1]
    assert darkness(turned) == pytest.approx(darkness(crowded), rel=0.01)


def test_deskew_fills_new_corners_with_the_paper_grey(pages: dict[str, np.ndarray]) -> None:
    yellowed = degrade(pages["persian"], uneven=True)
    level = deskew(yellowed, 3.0)
    paper = int(np.percentile(yellowed, 95))
    assert abs(int(level[0, 0]) - paper) <= 2 and abs(int(level[-1, -1]) - paper) <= 2


def test_deskew_leaves_a_level_page_alone(pages: dict[str, np.ndarray]) -> None:
    assert deskew(pages["persian"], 0.01) is pages["persian"]


# ------------------------------------------------------------------ borders and marks


def test_remove_borders_whitens_copier_bands_and_punch_holes(pages: dict[str, np.ndarray]) -> None:
    page = pages["persian"]
    scan = degrade(page, border=True, holes=True, dpi=DPI)
    marks = (scan < 60) & (page == 255)
    assert marks.sum() > 20_000
    out = remove_borders(scan, dpi=DPI)
    assert out[marks].min() >= 250
    text = page < 128
    assert np.array_equal(out[text], scan[text])  # not one letter pixel touched


def test_remove_borders_leaves_a_clean_page_alone(pages: dict[str, np.ndarray]) -> None:
    for name in ("persian", "english"):
        assert np.array_equal(remove_borders(pages[name], dpi=DPI, specks=False), pages[name])


def marks(gray: np.ndarray) -> int:
    """How many separate dark marks (letters, word parts, dots) a page holds."""
    return cv2.connectedComponents((gray < 128).astype(np.uint8))[0] - 1


def _form(dpi: int = DPI) -> tuple[np.ndarray, list[str], np.ndarray]:
    """A permit form's table: short Persian lines in the cells of a two-column grid whose
    middle rule stops at a section row, as forms have it; and the grid alone."""
    words = " ".join(PERSIAN_LINES[:6]).split()
    cells = [" ".join(words[i : i + 3]) for i in range(0, 42, 3)]
    half = (74.0, 200.0)
    columns = [
        render_page(cells[k::2], dpi=dpi, font_pt=12, line_spacing=2.6, size_mm=half, margin_mm=8)
        for k in (1, 0)
    ]
    margin = round(12 * dpi / 25.4)  # the table sits inside the page, off its edges
    text = np.pad(np.hstack(columns), margin, constant_values=255)  # right-hand cells first
    rows = np.flatnonzero((text < 128).any(axis=1))
    breaks = np.flatnonzero(np.diff(rows) > 1)
    tops = [int(rows[0]), *(int(rows[i + 1]) for i in breaks)]
    bottoms = [*(int(rows[i]) for i in breaks), int(rows[-1])]
    rules_y = [tops[0] - 8, *((b + t) // 2 for b, t in zip(bottoms, tops[1:], strict=False)), bottoms[-1] + 8]
    grid = np.full_like(text, 255)
    h, w = text.shape
    left, right = margin + 6, w - margin - 7
    for y in rules_y:
        cv2.line(grid, (left, y), (right, y), 0, 3)
    for x in (left, right):
        cv2.line(grid, (x, rules_y[0]), (x, rules_y[-1]), 0, 3)
    for a, b in zip(rules_y, rules_y[1:], strict=False):
        if a != rules_y[2]:  # a full-width section row
            cv2.line(grid, (w // 2, a), (w // 2, b), 0, 3)
    return np.minimum(text, grid), cells, grid


def test_remove_rules_paints_out_a_table_and_keeps_its_text() -> None:
    page, lines, grid = _form()
    out = remove_rules(page, dpi=DPI)
    on_rules = grid < 128
    assert np.mean(out[on_rules] > 200) > 0.95
    text_ink = (page < 100) & ~cv2.dilate(on_rules.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    assert np.mean(out[text_ink] < 100) > 0.99


def test_an_inspection_report_s_short_table_is_a_table() -> None:
    """Four rows of small print in a ruled grid 26 mm tall, as an inspection report has
    them: shorter than a permit's table, and a table all the same."""
    page = render_page(PERSIAN_LINES[:4], dpi=DPI, font_pt=9, line_spacing=1.6, size_mm=A4_MM)
    mm = DPI / 25.4
    left, right, top = round(15 * mm), page.shape[1] - round(15 * mm), round(60 * mm)
    rows = [top + round(k * 6.5 * mm) for k in range(5)]
    for y in rows:
        cv2.line(page, (left, y), (right, y), 0, 2)
    for x in (left, (left + right) // 2, right):
        cv2.line(page, (x, rows[0]), (x, rows[-1]), 0, 2)
    out = remove_rules(page, dpi=DPI)
    assert out is not page
    assert np.mean(out[rows[0], left + 5 : right - 5] > 200) > 0.95


@pytest.mark.parametrize("name", ["persian", "english", "mixed"])
def test_remove_rules_leaves_a_page_without_a_table_alone(pages: dict[str, np.ndarray], name: str) -> None:
    page = pages[name].copy()
    h, w = page.shape
    cv2.line(page, (40, 60), (w - 40, 60), 0, 2)  # a letterhead rule
    cv2.circle(page, (w // 2, h // 2), 90, 90, 8)  # a stamp's ring
    assert remove_rules(page, dpi=DPI) is page
    banded = degrade(pages[name], border=True, dpi=DPI, seed=2)  # a copier band down one edge
    assert remove_rules(banded, dpi=DPI) is banded


@pytest.mark.parametrize("font", [None, NASKH_FONT])
@pytest.mark.parametrize("dpi", [150, 300])
def test_despeckle_keeps_every_persian_dot(font: str | None, dpi: int) -> None:
    zero = "تعداد طبقات زیرزمین:   ۰   و پارکینگ: ۲."  # a Persian zero is a lone dot
    page = render_page([*PERSIAN_LINES[:5], zero], dpi=dpi, font=font, font_pt=10)
    out = despeckle(page, dpi=dpi)
    assert marks(out) == marks(page)
    assert (out != page).sum() <= 5  # at most a faint anti-aliased pixel at a tail's tip


def test_despeckle_removes_toner_dust() -> None:
    page = render_page(PERSIAN_LINES, dpi=300)  # dust of 1-3 pixels is 0.01-0.02 mm² here
    dusty = degrade(page, noise=0.001)
    blank = page == 255
    before = ((dusty < 128) & blank).sum()
    after = ((despeckle(dusty, dpi=300) < 128) & blank).sum()
    assert after < 0.2 * before  # what is left sits within 1 mm of a letter or of more dust



def _bitonal(page: np.ndarray) -> np.ndarray:
    """A page as a group-4 TIFF stores it: ink 0, paper 255, nothing between."""
    return np.where(page < 128, np.uint8(0), np.uint8(255))


def _dust_field(page: np.ndarray, *, per_cm2: float, dpi: int, seed: int = 0) -> np.ndarray:
    """Dots of 0.03-0.2 mm² strewn over the page, ``per_cm2`` of them on each cm², as a
    copy of a copy of grey paper comes out of a bitonal scanner."""
    rng = np.random.default_rng(seed)
    out = page.copy()
    h, w = out.shape
    n = round(per_cm2 * h * w / (dpi / 2.54) ** 2)
    for x, y, r in zip(rng.integers(0, w, n), rng.integers(0, h, n), rng.uniform(0.6, 2.2, n), strict=True):
        cv2.circle(out, (int(x), int(y)), int(round(r)), 0, -1)
    return out


def test_despeckle_removes_dust_on_a_bitonal_page() -> None:
    # ink 0 and paper 255 only: Otsu's level is then 0 itself, which "darker than the
    # level" never reached, and a bitonal page kept every speck
    page = _bitonal(render_page(PERSIAN_LINES, dpi=300))
    dusty = _bitonal(degrade(page, noise=0.001))
    blank = page == 255
    before = ((dusty < 128) & blank).sum()
    after = ((despeckle(dusty, dpi=300) < 128) & blank).sum()
    assert after < 0.2 * before


@pytest.mark.parametrize("font", [None, NASKH_FONT])
def test_despeckle_clears_a_field_of_dust_and_keeps_every_letter(font: str | None) -> None:
    # (a colon or a full stop set apart from the letters goes with the dust: no letter
    # stands over or under it)
    lines = [*PERSIAN_LINES[:6], "تاریخ ۱۴۰۰/۰۲/۱۴  شماره ۳۸۰۱/۹۱ و ۲۰۰۵"]
    page = _bitonal(render_page(lines, dpi=300, font=font, font_pt=12))
    dusty = _dust_field(page, per_cm2=12, dpi=300)
    out = despeckle(dusty, dpi=300)
    text = page < 128
    far = cv2.dilate(text.astype(np.uint8), np.ones((41, 15), np.uint8)) == 0  # 1.3 mm aside, 3.5 mm up or down
    assert ((out < 128) & far).sum() < 0.1 * ((dusty < 128) & far).sum()
    assert (out[text] < 128).all()  # every letter, every dot of a letter, every ۰ kept


def test_the_second_recipe_clears_the_dust_beside_the_letters_too() -> None:
    page = _bitonal(render_page(PERSIAN_LINES, dpi=300, font_pt=12))
    dusty = _dust_field(page, per_cm2=12, dpi=300)
    ink = (page < 128).astype(np.uint8)
    beside = (cv2.dilate(ink, np.ones((23, 23), np.uint8)) > 0) & ~(cv2.dilate(ink, np.ones((3, 3), np.uint8)) > 0)
    strong = RECIPES["strong"]
    left = {
        name: ((out < 128) & beside).sum()
        for name, out in {
            "standard": despeckle(dusty, dpi=300),
            "strong": despeckle(dusty, dpi=300, max_area_mm2=strong.speck_mm2, field_keep_mm=strong.field_keep_mm),
        }.items()
    }
    dust = ((dusty < 128) & beside).sum()  # within 1 mm of a letter
    assert left["strong"] < 0.5 * left["standard"]
    assert left["strong"] < 0.25 * dust


def test_despeckle_leaves_the_dots_of_a_clean_bitonal_page() -> None:
    # no field of dust: the dots of letters, however far from their letter, are not taken
    page = _bitonal(render_page([*PERSIAN_LINES[:5], "تعداد طبقات زیرزمین:   ۰   و پارکینگ: ۲."],
                                dpi=300, font_pt=10))
    assert np.array_equal(despeckle(page, dpi=300), page)
    assert np.array_equal(despeckle(page, dpi=300, field_keep_mm=(0.0, 0.0)), page)


@pytest.mark.slow
def test_a_page_in_a_field_of_dust_is_read_once_cleared() -> None:
    page = _bitonal(render_page(PERSIAN_LINES, dpi=300, font_pt=12))
    dusty = _dust_field(page, per_cm2=12, dpi=300)
    reference = ocr(page, 300)
    recall = {
        recipe: word_recall(ocr(cleaned, info.dpi), [reference])
        for recipe in ("standard", "strong")
        for cleaned, info in [clean(dusty, stated_dpi=300, recipe=recipe)]
    }
    # Tesseract reads 0.05 of the words on the dusty page, all of them on the clean one
    assert word_recall(ocr(dusty, 300), [reference]) < 0.2
    assert recall["standard"] >= 0.5 and recall["strong"] >= 0.7, recall

@pytest.mark.slow
def test_border_removal_keeps_the_text_readable(pages: dict[str, np.ndarray]) -> None:
    page = pages["persian"]
    scan = degrade(page, border=True, holes=True, dpi=DPI)
    cleaned = ocr(remove_borders(scan, dpi=DPI), DPI)
    reference = ocr(page, DPI)
    assert word_recall(cleaned, [reference]) >= 0.95
    assert "شهرداری" in cleaned


# ------------------------------------------------------------ background and contrast


def test_flatten_background_whitens_yellowed_unevenly_lit_paper(
    pages: dict[str, np.ndarray],
) -> None:
    page = pages["persian"]
    scan = degrade(page, uneven=True)
    assert np.ptp(scan[page == 255]) > 50  # the shading the stage must remove
    flat = flatten_background(scan, dpi=DPI)
    paper, ink = flat[page == 255], flat[page == 0]
    assert np.percentile(paper, 5) >= 245
    assert np.median(ink) <= 60


@pytest.mark.parametrize("method", ["sauvola", "otsu", "adaptive"])
def test_binarize_gives_black_ink_on_white(pages: dict[str, np.ndarray], method: str) -> None:
    page = pages["persian"]
    flat = flatten_background(degrade(page, uneven=True, blur=0.5), dpi=DPI)
    out = binarize(flat, method, dpi=DPI)
    assert set(np.unique(out)) <= {0, 255}
    assert (out[page == 0] == 0).mean() >= 0.9
    assert (out[page == 255] == 255).mean() >= 0.99


def test_binarize_rejects_an_unknown_method(pages: dict[str, np.ndarray]) -> None:
    with pytest.raises(ValueError, match="niblack"):
        binarize(pages["persian"], "niblack")


# ------------------------------------------------------------------------ resolution


@pytest.fixture(scope="module")
def a4_150() -> np.ndarray:
    return render_page(PERSIAN_LINES, dpi=150, size_mm=A4_MM)


def test_estimate_dpi_keeps_a_plausible_stated_dpi(a4_150: np.ndarray) -> None:
    assert estimate_dpi(a4_150, 150) == (150, False)


@pytest.mark.parametrize("stated", [None, 0, 72, 96, 600])
def test_estimate_dpi_replaces_a_missing_default_or_absurd_dpi(
    a4_150: np.ndarray, stated: int | None
) -> None:
    # 72 and 96 are what software writes when it does not know; 600 dpi would make
    # this page 52 x 74 mm.
    assert estimate_dpi(a4_150, stated) == (150, True)


def test_estimate_dpi_believes_96_when_it_gives_a4() -> None:
    assert estimate_dpi(np.full((1123, 794), 255, np.uint8), 96) == (96, False)


def test_rescale_brings_a_page_to_the_target(pages: dict[str, np.ndarray]) -> None:
    page = pages["persian"]
    assert rescale(page, 150, 300).shape == (page.shape[0] * 2, page.shape[1] * 2)
    assert rescale(page, 600, 300).shape == (page.shape[0] // 2, page.shape[1] // 2)
    assert rescale(page, 150, 150) is page


# --------------------------------------------------------------------------- clean()


def test_clean_undoes_what_the_copier_did(pages: dict[str, np.ndarray]) -> None:
    page = pages["persian"]
    scan = degrade(
        page, rotate=270, skew=-2.0, border=True, holes=True, uneven=True, noise=0.0005, dpi=DPI
    )
    out, info = clean(scan, stated_dpi=DPI, use_osd=False)
    assert info.rotation == 90
    assert info.skew == pytest.approx(-2.0, abs=0.2)
    assert (info.dpi, info.source_dpi, info.dpi_estimated, info.recipe) == (
        150,
        150,
        False,
        "standard",
    )
    assert info.steps[:2] == ("rotate 90", "borders") and info.steps[2].startswith("deskew -")
    assert info.steps[-2:] == ("flatten", "despeckle")
    assert out.dtype == np.uint8 and out.shape[0] > out.shape[1]  # upright portrait
    assert np.percentile(out, 50) >= 250  # paper white, bands and shading gone
    assert (out < 128).mean() == pytest.approx((page < 128).mean(), rel=0.25)


def test_clean_enlarges_only_low_resolution_pages() -> None:
    page = render_page(PERSIAN_LINES[:4], dpi=100)
    out, info = clean(page, stated_dpi=100, use_osd=False)
    assert info.dpi == 300 and out.shape[0] == pytest.approx(page.shape[0] * 3, abs=2)
    assert "rescale 100->300" in info.steps


def test_recipes_are_recorded_and_differ(pages: dict[str, np.ndarray]) -> None:
    scan = degrade(pages["persian"], noise=0.002, blur=0.8, dpi=DPI)
    outputs = {}
    for name in RECIPES:
        outputs[name], info = clean(scan, stated_dpi=DPI, recipe=name, use_osd=False)
        assert info.recipe == name
    assert "median 3" in clean(scan, stated_dpi=DPI, recipe="strong", use_osd=False)[1].steps
    assert not np.array_equal(outputs["standard"], outputs["strong"])
    assert set(np.unique(outputs["binary"])) <= {0, 255}
    with pytest.raises(ValueError, match="known: standard"):
        clean(scan, stated_dpi=DPI, recipe="gentle")


@pytest.mark.parametrize("step", ["orient", "deskew", "borders", "flatten", "despeckle"])
def test_clean_can_leave_out_a_step(pages: dict[str, np.ndarray], step: str) -> None:
    scan = degrade(pages["persian"], rotate=90, skew=2.0, border=True, uneven=True, dpi=DPI)
    _, full = clean(scan, stated_dpi=DPI, use_osd=False)
    _, info = clean(scan, stated_dpi=DPI, use_osd=False, skip=(step,))
    assert full.rotation == 270 and info.rotation == (0 if step == "orient" else 270)
    if step == "deskew":
        assert info.skew == 0.0 and full.skew == pytest.approx(2.0, abs=0.2)
    named = {"borders": "borders", "flatten": "flatten", "despeckle": "despeckle"}
    if step in named:
        assert named[step] in full.steps and named[step] not in info.steps


def test_clean_rescale_step_can_be_left_out() -> None:
    page = render_page(PERSIAN_LINES[:4], dpi=100)
    out, info = clean(page, stated_dpi=100, use_osd=False, skip=("rescale",))
    assert info.dpi == 100 and out.shape == page.shape
    with pytest.raises(ValueError, match="unknown cleaning steps"):
        clean(page, stated_dpi=100, skip=("sharpen",))


# ------------------------------------------------------------- what Tesseract reads


@pytest.mark.slow
def test_cleaning_recovers_an_upside_down_shaded_persian_page() -> None:
    lines = PERSIAN_LINES[:8]
    page = render_page(lines, dpi=DPI, font_pt=12, line_spacing=1.6)
    scan = degrade(page, rotate=180, skew=2.5, uneven=True, border=True, dpi=DPI)
    before = ocr(scan, DPI)
    out, info = clean(scan, stated_dpi=DPI)
    after = ocr(out, info.dpi)
    assert "شهرداری" not in before and word_recall(before, lines) < 0.2
    assert "شهرداری" in after and "پروانه" in after
    assert word_recall(after, lines) >= 0.9


@pytest.mark.slow
def test_cleaning_recovers_an_upside_down_english_page() -> None:
    # (Tesseract reads a page on its side by itself, but not one upside down.)
    lines = ENGLISH_LINES[:6]
    page = render_page(lines, dpi=DPI, rtl=False, line_spacing=1.6)
    scan = degrade(page, rotate=180, skew=-1.1, border=True, dpi=DPI)
    out, info = clean(scan, stated_dpi=DPI)
    after = ocr(out, info.dpi)
    assert "Municipality" in after and word_recall(after, lines) >= 0.9
    assert word_recall(ocr(scan, DPI), lines) < 0.5


@pytest.mark.slow
def test_strong_recipe_rescues_a_noisy_blurred_page() -> None:
    lines = PERSIAN_LINES[:8]
    page = render_page(lines, dpi=DPI, font_pt=12, line_spacing=1.6)
    scan = degrade(page, noise=0.002, blur=1.0, skew=0.6, dpi=DPI)
    before = word_recall(ocr(scan, DPI), lines)
    out, info = clean(scan, stated_dpi=DPI, recipe="strong")
    after = word_recall(ocr(out, info.dpi), lines)
    assert after >= before + 0.2 and after >= 0.8


@pytest.mark.slow
def test_cleaning_costs_a_fraction_of_recognition() -> None:
    page = render_page(
        PERSIAN_LINES + ENGLISH_LINES, dpi=300, rtl=None, font_pt=11, line_spacing=1.5
    )
    scan = degrade(page, rotate=90, skew=1.2, border=True, uneven=True, noise=0.0005)
    start = time.perf_counter()
    out, info = clean(scan, stated_dpi=300)
    cleaning = time.perf_counter() - start
    start = time.perf_counter()
    ocr(out, info.dpi)
    recognition = time.perf_counter() - start
    assert cleaning < 0.5 * recognition


def test_rows_of_specks_are_not_taken_for_text_lines() -> None:
    """Specks on a noisy bitonal scan's blank half are rows of a few pixels each: more of
    them than lines of text, they once made the median "line" 0.3 mm tall, and the page
    was enlarged three times and read as noise."""
    page = render_page(PERSIAN_LINES[:4], dpi=300)
    specked = page.copy()
    rng = np.random.default_rng(0)
    for y, x in zip(rng.integers(0, page.shape[0] - 5, 300), rng.integers(0, page.shape[1] - 5, 300), strict=True):
        specked[y : y + 5, x : x + 5] = 0
    _, clean_info = clean(page, stated_dpi=300, use_osd=False)
    _, specked_info = clean(specked, stated_dpi=300, use_osd=False)
    assert clean_info.line_mm and specked_info.line_mm
    assert specked_info.line_mm == pytest.approx(clean_info.line_mm, rel=0.25)
