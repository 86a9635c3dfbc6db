"""Turn a scan file into page images, one page at a time.

PDF pages are rendered one by one with pdf2image (poppler), never the whole file; TIFF
frames are read by seeking. Every failure to read becomes `UnreadableSource` with a
reason an archivist can act on.
"""

from __future__ import annotations

import re
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr.errors import UnreadableSource

PDF_SUFFIXES = {".pdf"}
TIFF_SUFFIXES = {".tif", ".tiff"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".jp2", ".webp"}
SCAN_SUFFIXES = PDF_SUFFIXES | TIFF_SUFFIXES | IMAGE_SUFFIXES

# A0 at 300 dpi is ~140 Mpx; anything past this is a decompression bomb, not a scan.
MAX_PIXELS = 200_000_000
PLAUSIBLE_DPI = range(100, 1201)
DEFAULT_PDF_DPI = 300


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the coordinator learns from a file before any page is OCR'd."""

    kind: str  # "pdf" | "tiff" | "image"
    pages: int
    dpis: tuple[int | None, ...]  # stated (or embedded-image) dpi per page


@dataclass(frozen=True, slots=True)
class PageImage:
    gray: np.ndarray
    stated_dpi: int | None


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in TIFF_SUFFIXES:
        return "tiff"
    return "image"


def _plausible(dpi: float | None) -> int | None:
    if dpi is None:
        return None
    value = round(float(dpi))
    return value if value in PLAUSIBLE_DPI else None


def _image_dpi(img: Image.Image) -> int | None:
    dpi = img.info.get("dpi")
    if not dpi:
        return None
    try:
        return _plausible(float(dpi[0]))
    except (TypeError, ValueError, IndexError):
        return None


def _open_image(path: Path) -> Image.Image:
    """Open with Pillow, turning its many failure modes into one typed error."""
    if path.stat().st_size == 0:
        raise UnreadableSource("empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            if img.width * img.height > MAX_PIXELS:
                raise UnreadableSource(
                    f"image is {img.width}x{img.height} pixels, over the {MAX_PIXELS:,} pixel limit "
                    "(a decompression bomb or a mis-scanned file)"
                )
            return img
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise UnreadableSource(f"decompression bomb refused: {e}") from e
    except UnidentifiedImageError as e:
        raise UnreadableSource(f"not an image Pillow can read ({path.suffix or 'no suffix'})") from e
    except OSError as e:
        raise UnreadableSource(f"cannot read image: {e}") from e


def _pdf_info(path: Path) -> int:
    if path.stat().st_size == 0:
        raise UnreadableSource("empty file (0 bytes)")
    proc = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, timeout=60)
    err = (proc.stderr or "").strip()
    if proc.returncode != 0:
        if "password" in err.lower() or "encrypt" in err.lower():
            raise UnreadableSource("encrypted PDF: it needs a password to open")
        first = err.splitlines()[0] if err else f"pdfinfo exited {proc.returncode}"
        raise UnreadableSource(f"damaged or truncated PDF: {first}")
    match = re.search(r"^Pages:\s+(\d+)", proc.stdout, re.MULTILINE)
    if not match or int(match.group(1)) < 1:
        raise UnreadableSource("PDF has no pages")
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", proc.stdout, re.MULTILINE)
    if size:
        w_in, h_in = float(size.group(1)) / 72, float(size.group(2)) / 72
        if w_in * h_in * DEFAULT_PDF_DPI**2 > MAX_PIXELS:
            raise UnreadableSource(f"PDF page is {w_in:.0f}x{h_in:.0f} inches, too large to rasterize")
    return int(match.group(1))


def _pdfimages_ppi(path: Path, page: int | None = None) -> dict[int, list[float]]:
    """Resolutions of the scans embedded in each page (`pdfimages -list`), as stated."""
    cmd = ["pdfimages", "-list", str(path)]
    if page is not None:
        cmd[1:1] = ["-f", str(page), "-l", str(page)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return {}
    ppi: dict[int, list[float]] = {}
    for line in proc.stdout.splitlines()[2:]:
        cols = line.split()
        if len(cols) < 14 or not cols[0].isdigit():
            continue
        try:
            value = float(cols[12])
        except ValueError:
            continue
        ppi.setdefault(int(cols[0]), []).append(value)
    return ppi


def _pdf_image_dpis(path: Path, pages: int) -> tuple[int | None, ...]:
    """The stated dpi of each page: its embedded scan's resolution, when plausible."""
    ppi = _pdfimages_ppi(path)
    dpis = ([d for d in map(_plausible, ppi.get(n, [])) if d is not None] for n in range(1, pages + 1))
    return tuple(max(found) if found else None for found in dpis)


def _native_ppi(path: Path, page: int) -> int | None:
    """Render a scan at its own pixel size even when its stated resolution is false (72 dpi).

    Rendering such a page at 300 dpi would blow it up ~4x in each direction for nothing;
    cleaning estimates the real resolution from the pixels afterwards.
    """
    best = max(_pdfimages_ppi(path, page).get(page, [0.0]))
    return min(600, max(50, round(best))) if best > 0 else None


def inspect_source(path: Path) -> SourceInfo:
    """Count pages and read stated dpi without decoding any page."""
    kind = kind_of(path)
    if kind == "pdf":
        pages = _pdf_info(path)
        return SourceInfo(kind, pages, _pdf_image_dpis(path, pages))
    img = _open_image(path)
    with img:
        frames = getattr(img, "n_frames", 1) if kind == "tiff" else 1
        dpis = []
        for i in range(frames):
            try:
                img.seek(i)
            except EOFError as e:
                raise UnreadableSource(f"TIFF frame {i + 1} of {frames} is missing (truncated file)") from e
            dpis.append(_image_dpi(img))
        return SourceInfo(kind, frames, tuple(dpis))


def _to_gray(img: Image.Image) -> np.ndarray:
    img = ImageOps.exif_transpose(img) or img
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    return np.asarray(img.convert("L"), dtype=np.uint8).copy()


def load_page(path: Path, page: int, *, kind: str | None = None, dpi_hint: int | None = None) -> PageImage:
    """Decode exactly one page (1-based) of a scan as 8-bit grey."""
    kind = kind or kind_of(path)
    if kind == "pdf":
        return _load_pdf_page(path, page, dpi_hint)
    img = _open_image(path)
    with img:
        try:
            if page > 1:
                img.seek(page - 1)
            stated = _image_dpi(img)
            img.load()
            return PageImage(_to_gray(img), stated)
        except EOFError as e:
            raise UnreadableSource(f"page {page} is missing (truncated file)") from e
        except OSError as e:
            raise UnreadableSource(f"cannot decode page {page}: {e}") from e


def _load_pdf_page(path: Path, page: int, dpi_hint: int | None) -> PageImage:
    from pdf2image import convert_from_path
    from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError

    dpi = dpi_hint or _native_ppi(path, page) or DEFAULT_PDF_DPI
    try:
        images = convert_from_path(str(path), dpi=dpi, first_page=page, last_page=page, grayscale=True)
    except (PDFPageCountError, PDFSyntaxError) as e:
        raise UnreadableSource(f"damaged PDF: {e}") from e
    except PDFInfoNotInstalledError as e:  # checked at start-up; kept typed for library users
        raise UnreadableSource("poppler-utils (pdftoppm) is not installed") from e
    if not images:
        raise UnreadableSource(f"PDF page {page} rendered nothing")
    with images[0] as img:
        return PageImage(_to_gray(img), dpi_hint)
