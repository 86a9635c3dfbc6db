"""Synthetic scans for tests: render Persian/English pages, then damage them like a copier.

Pages are numpy grayscale uint8 arrays (0 = ink, 255 = paper), the same type the
cleaning stages take, so a test can say exactly what it did to a page and check that
cleaning undoes it.

Conventions shared with ``ocr.clean``:

* ``degrade(rotate=r)`` turns the page ``r`` degrees clockwise, so the page needs
  ``(-r) % 360`` degrees clockwise to be upright again;
* ``degrade(skew=a)`` turns the page ``a`` degrees counter-clockwise (positive = text
  lines rise to the right), which is what ``estimate_skew`` reports.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Nazli is close to the Nazanin faces 2000s office letters were typed in, and unlike
# Noto Naskh it has "/" (dates, plaques), so it is the default Persian face.
PERSIAN_FONT = "/usr/share/fonts/truetype/farsiweb/nazli.ttf"
NASKH_FONT = "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"
LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"

# Persian faces look smaller than Latin ones at one point size; office letters paired
# 14 pt Nazanin with 12 pt Times, so English lines are drawn at this fraction.
LATIN_SCALE = 0.85

A4_MM = (210.0, 297.0)
A5_MM = (148.0, 210.0)

PERSIAN_LINES = [
    "شهرداری کرج معاونت شهرسازی و معماری",
    "درخواست صدور پروانه ساختمانی برای پلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی",
    "کمیسیون ماده صد قانون شهرداری‌ها رای به جریمه صادر کرد",
    "مالک ملک موظف است نقشه‌های معماری را به دفتر فنی ارائه دهد",
    "بر اساس طرح تفصیلی مصوب، کاربری قطعه مسکونی است",
    "تاریخ بازدید کارشناس ۱۳۸۴/۰۶/۱۲ و شماره پرونده ۱۲۳۴۵/۸۶",
    "عرض گذر شمالی دوازده متر و عقب‌نشینی سه متر تعیین گردید",
    "پرداخت عوارض نوسازی و پسماند الزامی است",
    "این گواهی فقط برای ارائه به اداره ثبت اسناد معتبر است",
    "رونوشت به منطقه هشت شهرداری جهت اطلاع و اقدام لازم",
]

ENGLISH_LINES = [
    "Karaj Municipality, Deputy for Urban Planning and Architecture",
    "Application for a building permit on registration plaque 45/123",
    "The Article 100 Commission ruled that a fine shall be imposed",
    "The owner must submit the architectural drawings to the office",
    "Under the approved detailed plan the parcel is zoned residential",
    "Inspection date 2005-09-03, file number 12345/86, section 11",
    "The northern street is twelve metres wide with a three metre setback",
    "Renovation and waste charges must be paid before issue",
    "This certificate is valid only for the deeds registration office",
    "Copy to District Eight for information and necessary action",
]

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def is_rtl(text: str) -> bool:
    """True when a line holds Arabic-script letters, so it is laid out right to left."""
    return bool(_ARABIC_SCRIPT.search(text))


def _font(path: str | Path, px: int) -> ImageFont.FreeTypeFont:
    """A face laid out by raqm, without which Persian comes out unjoined and reversed."""
    return ImageFont.truetype(str(path), px, layout_engine=ImageFont.Layout.RAQM)


def render_page(
    lines: list[str],
    *,
    dpi: int = 300,
    rtl: bool | None = True,
    font: str | Path | None = None,
    size_mm: tuple[float, float] = A5_MM,
    font_pt: float = 14.0,
    line_spacing: float = 2.0,
    margin_mm: float = 18.0,
) -> np.ndarray:
    """Render ``lines`` as a clean upright page at ``dpi`` (white paper, black text).

    ``rtl=True`` lays every line out right to left and right-aligned, ``False`` left to
    right, ``None`` decides per line from its script (for mixed pages).  ``font`` defaults
    per line to Nazli for Persian and DejaVu Serif (at ``LATIN_SCALE``) for English.
    Long lines wrap; lines that do not fit on the page are dropped.
    """
    width = round(size_mm[0] / 25.4 * dpi)
    height = round(size_mm[1] / 25.4 * dpi)
    margin = round(margin_mm / 25.4 * dpi)
    px = round(font_pt / 72 * dpi)
    latin_px = round(px * LATIN_SCALE)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    y = margin
    for text in lines:
        line_rtl = is_rtl(text) if rtl is None else rtl
        persian = is_rtl(text)
        face = _font(font or (PERSIAN_FONT if persian else LATIN_FONT), px if persian else latin_px)
        direction = "rtl" if line_rtl else "ltr"
        language = "fa" if persian else "en"
        for part in _wrap(draw, text, face, direction, width - 2 * margin):
            if y + px > height - margin:
                break
            left, _, right, _ = draw.textbbox((0, 0), part, font=face, direction=direction)
            x = width - margin - right if line_rtl else margin - left
            draw.text((x, y), part, font=face, fill=0, direction=direction, language=language)
            y += round(px * line_spacing)
    return np.asarray(page, dtype=np.uint8).copy()


def _wrap(
    draw: ImageDraw.ImageDraw,
    text: str,
    face: ImageFont.FreeTypeFont,
    direction: str,
    room: int,
) -> list[str]:
    """Split ``text`` at spaces into pieces no wider than ``room`` pixels."""
    parts: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        left, _, right, _ = draw.textbbox((0, 0), trial, font=face, direction=direction)
        if current and right - left > room:
            parts.append(current)
            current = word
        else:
            current = trial
    return [*parts, current] if current else parts


def degrade(
    img: np.ndarray,
    *,
    rotate: int = 0,
    skew: float = 0.0,
    noise: float = 0.0,
    border: bool = False,
    holes: bool = False,
    uneven: bool = False,
    blur: float = 0,
    dpi: int = 300,
    seed: int = 0,
) -> np.ndarray:
    """Damage a clean page the way a 2000s photocopy-then-scan does.

    ``skew`` degrees counter-clockwise (canvas kept, corners filled with paper),
    ``rotate`` a multiple of 90 clockwise, ``uneven`` yellowed paper lit from one side,
    ``border`` black copier bands along two edges, ``holes`` two dark punch holes near
    the left edge, ``blur`` a Gaussian sigma in pixels, ``noise`` the fraction of pixels
    that become dark specks.  ``dpi`` sizes bands and holes; ``seed`` makes the damage
    repeatable.
    """
    rng = np.random.default_rng(seed)
    out = img.copy()
    if skew:
        h, w = out.shape
        m = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
        out = cv2.warpAffine(out, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    if rotate % 360:
        out = np.ascontiguousarray(np.rot90(out, k=-(rotate % 360) // 90))
    if uneven:
        out = _uneven_light(out)
    if border:
        out = _copier_bands(out, dpi, rng)
    if holes:
        out = _punch_holes(out, dpi)
    if blur:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    if noise:
        out = _specks(out, noise, rng)
    return out


def _uneven_light(img: np.ndarray) -> np.ndarray:
    """Yellowed paper (grey ~200) darkening towards one corner, text lifted to grey."""
    h, w = img.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 0.7 + 0.2 * (xx / w) + 0.1 * (yy / h)
    paper = img.astype(np.float32) * 0.82 + 40.0
    return np.clip(paper * light, 0, 255).astype(np.uint8)


def _copier_bands(img: np.ndarray, dpi: int, rng: np.random.Generator) -> np.ndarray:
    """Ragged black bands along the left and bottom edges, as a copier lid leaves."""
    out = img.copy()
    h, w = out.shape
    band = max(6, round(5 / 25.4 * dpi))
    wobble = np.clip(np.cumsum(rng.integers(-1, 2, size=h)), -band // 3, band // 3)
    left = band + wobble
    dark = rng.integers(5, 40, size=(h, 1)).astype(np.uint8)
    mask = np.arange(w)[None, :] < left[:, None]
    out[mask] = np.broadcast_to(dark, (h, w))[mask]
    bottom = max(3, round(3 / 25.4 * dpi))
    out[h - bottom :, :] = 20
    return out


def _punch_holes(img: np.ndarray, dpi: int) -> np.ndarray:
    """Two 6 mm dark discs 12 mm from the left edge, 80 mm apart, as binders punch."""
    out = img.copy()
    h, _ = out.shape
    scale = dpi / 25.4
    radius = round(3 * scale)
    x = round(12 * scale)
    for cy in (h // 2 - round(40 * scale), h // 2 + round(40 * scale)):
        cv2.circle(out, (x, cy), radius, 25, thickness=-1)
    return out


def _specks(img: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Isolated dark dots one to three pixels across, like toner dust."""
    out = img.copy()
    h, w = out.shape
    n = int(fraction * h * w)
    ys = rng.integers(0, h, n)
    xs = rng.integers(0, w, n)
    out[ys, xs] = 0
    fat = rng.random(n) < 0.5
    out[np.minimum(ys[fat] + 1, h - 1), xs[fat]] = 0
    out[ys[fat], np.minimum(xs[fat] + 1, w - 1)] = 0
    return out


def mixed_lines() -> list[str]:
    """Alternate Persian and English lines, as bilingual letters and forms have them."""
    return [line for pair in zip(PERSIAN_LINES, ENGLISH_LINES, strict=True) for line in pair]


_FOLD = str.maketrans(
    {"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": None, "\u200e": None, "\u200f": None}
    | {a: p for a, p in zip("0123456789٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹" * 2, strict=True)}
)


def words(text: str) -> list[str]:
    """Words with the spellings OCR varies on folded (ي/ك, zero-width non-joiner, digits)."""
    return re.findall(r"\w+", text.translate(_FOLD))


def word_recall(ocr_text: str, lines: list[str]) -> float:
    """Share of the rendered words (with repeats) that OCR gave back, in any order."""
    want = Counter(words(" ".join(lines)))
    got = Counter(words(ocr_text))
    return sum(min(n, got[w]) for w, n in want.items()) / max(1, sum(want.values()))
