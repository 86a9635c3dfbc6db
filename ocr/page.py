"""Read one page: rasterize, clean, recognize, and try once more when the reading is weak.

This is the pure, costly part of the page task; it knows files and images, not the catalog.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ocr.clean import clean
from ocr.raster import load_page
from ocr.tesseract import Reading, recognize
from ocr.types import CleanInfo

FIRST_RECIPE = "standard"
SECOND_RECIPE = "strong"


@dataclass(frozen=True, slots=True)
class PageOptions:
    lang: str = "fas+eng"
    psm: int = 3
    timeout: float = 300.0
    second_chance_below: float = 70.0


@dataclass(frozen=True, slots=True)
class PageReading:
    reading: Reading
    clean: CleanInfo
    image: np.ndarray
    tried: tuple[tuple[str, float], ...]  # (recipe, confidence) in the order tried


def _attempt(gray: np.ndarray, stated_dpi: int | None, recipe: str, options: PageOptions) -> tuple[Reading, CleanInfo, np.ndarray]:
    cleaned, info = clean(gray, stated_dpi=stated_dpi, recipe=recipe)
    reading = recognize(cleaned, lang=options.lang, dpi=info.dpi, psm=options.psm, timeout=options.timeout)
    return reading, info, cleaned


def read_page(
    path: Path, page: int, *, kind: str | None = None, stated_dpi: int | None = None, options: PageOptions
) -> PageReading:
    """OCR one page; a weak first reading gets a second recipe and the better one is kept."""
    loaded = load_page(path, page, kind=kind, dpi_hint=stated_dpi)
    dpi = loaded.stated_dpi if loaded.stated_dpi is not None else stated_dpi
    reading, info, image = _attempt(loaded.gray, dpi, FIRST_RECIPE, options)
    tried = [(FIRST_RECIPE, reading.confidence)]
    if reading.confidence < options.second_chance_below:
        second, info2, image2 = _attempt(loaded.gray, dpi, SECOND_RECIPE, options)
        tried.append((SECOND_RECIPE, second.confidence))
        if _better(second, reading):
            reading, info, image = second, info2, image2
    return PageReading(reading, info, image, tuple(tried))


def _better(candidate: Reading, current: Reading) -> bool:
    """Confidence decides, but a reading that lost most of the words does not win."""
    if len(candidate.words) < 0.5 * len(current.words):
        return False
    return candidate.confidence > current.confidence


def encode_image(gray: np.ndarray) -> tuple[bytes, str]:
    """Keep the cleaned page small: 1-bit PNG when bitonal, JPEG otherwise."""
    img = Image.fromarray(gray)
    buf = io.BytesIO()
    if np.count_nonzero((gray != 0) & (gray != 255)) == 0:
        img.convert("1").save(buf, format="PNG", optimize=True)
        return buf.getvalue(), "png"
    img.save(buf, format="JPEG", quality=80)
    return buf.getvalue(), "jpg"
