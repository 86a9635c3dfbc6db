"""Pages photographed rather than scanned (ocr.photo, samples.photo): the sheet found and
laid flat, shadows divided out, small text enlarged, and scans left as they are.

The photographs are rendered Persian pages put through ``samples.photo.take_photo``,
which returns the homography's corners, so the corner error is measured, not guessed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr.clean import clean, rescale
from ocr.page import PageOptions, enlarge_small_text, read_page
from ocr.photo import (
    SMALL_TEXT_PX,
    find_sheet,
    flatten_sheet,
    lighting_spread,
    paper_estimate,
    remove_shadows,
)
from ocr.raster import load_page
from samples.photo import Shot, take_photo
from tests.imaging import A4_MM, PERSIAN_LINES, render_page, word_recall

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
PHOTO_STEPS = ("sheet", "shadows", "enlarge")


def _persian_page(dpi: int = 200) -> np.ndarray:
    return render_page(PERSIAN_LINES, dpi=dpi, size_mm=A4_MM, font_pt=14.0, line_spacing=2.2)


def _photo(page: np.ndarray, seed: int, **settings: Any) -> Shot:
    return take_photo(Image.fromarray(page), np.random.default_rng(seed), **settings)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sheet_is_found_where_the_homography_put_it(seed: int) -> None:
    shot = _photo(_persian_page(), seed, tilt=0.18)
    gray = np.asarray(shot.image.convert("L"))
    sheet = find_sheet(gray)
    assert sheet is not None
    error = np.abs(sheet.corners - shot.corners).max()
    assert error < 0.01 * gray.shape[0], f"corner off by {error:.1f} px of {gray.shape[0]}"


def test_a_flattened_sheet_is_upright_and_of_the_paper_s_proportions() -> None:
    page = _persian_page()
    shot = _photo(page, 4, tilt=0.2, shadow=0.0)
    gray = np.asarray(shot.image.convert("L"))
    sheet = find_sheet(gray)
    assert sheet is not None
    flat = flatten_sheet(gray, sheet)
    assert abs(flat.shape[0] / flat.shape[1] - 297 / 210) < 0.01
    # Laid over the page that was photographed, the flattened sheet's ink falls on the
    # page's own ink (within 1.5 mm of a stroke); the picture as taken does not.
    def on_page_ink(image: np.ndarray) -> float:
        even = remove_shadows(image, dpi=round(image.shape[0] / (297 / 25.4)))
        resized = cv2.resize(even, page.shape[::-1], interpolation=cv2.INTER_AREA)
        near_ink = cv2.dilate((page < 128).astype(np.uint8), np.ones((25, 25), np.uint8)) > 0
        ink = resized < 170  # a blurred, resampled stroke is grey
        m = round(0.03 * page.shape[0])  # the sheet's edge, and the desk a corner error shows
        return float(near_ink[m:-m, m:-m][ink[m:-m, m:-m]].mean())

    assert on_page_ink(flat) > 0.9
    assert on_page_ink(gray) < 0.5


@pytest.mark.slow
def test_perspective_correction_reads_more_of_a_photographed_page(tmp_path: Path) -> None:
    shot = _photo(_persian_page(), 5, tilt=0.22, shadow=0.0, long_side=1900)
    path = tmp_path / "photo.jpg"
    shot.image.save(path, "JPEG", quality=92)
    flat = read_page(path, 1, kind="image", options=PageOptions())
    as_is = read_page(path, 1, kind="image", options=PageOptions(skip=PHOTO_STEPS))
    assert any(s.startswith("sheet") for s in flat.clean.steps)
    recall_flat = word_recall(flat.reading.text, PERSIAN_LINES)
    recall_as_is = word_recall(as_is.reading.text, PERSIAN_LINES)
    assert recall_flat >= 0.85, flat.reading.text
    assert recall_flat > recall_as_is + 0.05, (recall_flat, recall_as_is)


def test_shadow_removal_flattens_the_light_and_keeps_the_ink() -> None:
    page = _persian_page()
    shot = _photo(page, 6, shadow=0.55, tilt=0.05)
    gray = np.asarray(shot.image.convert("L"))
    sheet = find_sheet(gray)
    assert sheet is not None
    flat = flatten_sheet(gray, sheet)
    dpi = round(flat.shape[0] / (297 / 25.4))
    before = lighting_spread(flat, dpi=dpi)
    assert before < 0.85  # the shadow and the lamp's fall-off are there to remove
    even = remove_shadows(flat, dpi=dpi)
    assert lighting_spread(even, dpi=dpi) > 0.95
    # In the darkest and the brightest lit third of the sheet alike, the paper comes out
    # near white and the ink as dark as the other third's: the shadow dims both alike.
    light = paper_estimate(flat, dpi=dpi)
    dark_part, lit_part = light < np.percentile(light, 33), light > np.percentile(light, 67)
    for part in (dark_part, lit_part):
        assert np.percentile(even[part], 60) > 235
    ink_dark, ink_lit = (np.percentile(even[part], 0.3) for part in (dark_part, lit_part))
    assert ink_dark < 170 and ink_lit < 170
    assert abs(ink_dark - ink_lit) < 30, (ink_dark, ink_lit)


def test_small_text_is_enlarged_and_a_normal_page_is_not() -> None:
    for gray, small in ((_small_print(), True), (_persian_page(dpi=300), False)):
        cleaned, info = clean(gray, stated_dpi=300)
        at_read = replace(info, dpi=180)
        cleaned = rescale(cleaned, info.dpi, 180)
        assert info.line_mm is not None
        line_px = info.line_mm * 180 / 25.4
        out, after = enlarge_small_text(cleaned, at_read)
        enlarged = any(s.startswith("enlarge") for s in after.steps)
        assert enlarged == small, (line_px, after.steps)
        assert (line_px < SMALL_TEXT_PX) == small
        if small:
            assert out.shape[0] > cleaned.shape[0] and after.dpi > 180
        else:
            assert out is cleaned and after == at_read


def _small_print(share: float = 0.45) -> np.ndarray:
    """A page shrunk to ``share`` on an A4 sheet that says 300 dpi: 6-pt text."""
    page = _persian_page(dpi=300)
    shrunk = np.asarray(Image.fromarray(page).resize(
        (round(page.shape[1] * share), round(page.shape[0] * share)), Image.Resampling.LANCZOS))
    sheet = np.full_like(page, 255)
    sheet[200 : 200 + shrunk.shape[0], 200 : 200 + shrunk.shape[1]] = shrunk
    return sheet


@pytest.mark.slow
def test_enlarged_small_print_reads_better(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    Image.fromarray(_small_print()).save(path, dpi=(300, 300))
    enlarged = read_page(path, 1, kind="image", options=PageOptions())
    as_is = read_page(path, 1, kind="image", options=PageOptions(skip=("enlarge",)))
    assert any(s.startswith("enlarge") for s in enlarged.clean.steps)
    recall, recall_as_is = (word_recall(r.reading.text, PERSIAN_LINES) for r in (enlarged, as_is))
    assert recall >= 0.95 and recall > recall_as_is, (recall, recall_as_is)


def _committed_pages() -> list[tuple[Path, int]]:
    truth = json.loads((SAMPLES / "ground_truth.json").read_text(encoding="utf-8"))
    return [(SAMPLES / "scans" / p["source"], p["page"]) for p in truth["pages"]]


@pytest.mark.parametrize(("path", "page"), _committed_pages(), ids=lambda v: str(v)[-30:])
def test_the_photograph_stages_leave_the_committed_scans_alone(path: Path, page: int) -> None:
    loaded = load_page(path, page)
    assert find_sheet(loaded.gray) is None
    cleaned, info = clean(loaded.gray, stated_dpi=loaded.stated_dpi, use_osd=False)
    assert not any(s.startswith(("sheet", "shadows")) for s in info.steps), info.steps
    read_dpi = min(info.dpi, PageOptions().read_dpi) if info.dpi > PageOptions().read_dpi * 1.15 else info.dpi
    assert info.line_mm is not None
    assert info.line_mm * read_dpi / 25.4 >= SMALL_TEXT_PX
