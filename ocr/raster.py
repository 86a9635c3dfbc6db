"""Turn a scan file into page images, one page at a time.

PDF pages are rendered one by one with pdf2image (poppler), never the whole file; TIFF
frames are read by seeking. Every failure to read becomes `UnreadableSource` with a
reason an archivist can act on: Pillow raises a dozen exception types on damaged files
(OSError, ValueError, TypeError, SyntaxError, struct.error…), so each call into it is
wrapped at this boundary, and a reason is written from what the file's own structure
shows (a TIFF page whose data runs past the end of the file is cut off), never by
quoting or matching a library's message.
"""

from __future__ import annotations

import math
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
MAX_FRAMES = 10_000  # a TIFF's directory chain is walked no further than this
UNBOUNDED = 24 * 3600  # what "no time limit" means to pdf2image, which wants a number
INSPECT_TIMEOUT = 60.0  # seconds a program inspecting one file may take (pdfinfo, pdfimages)
PLAUSIBLE_DPI = range(100, 1201)
DEFAULT_PDF_DPI = 300


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the coordinator learns from a file before any page is OCR'd."""

    kind: str  # "pdf" | "tiff" | "image"
    pages: int
    dpis: tuple[int | None, ...]  # stated (or embedded-image) dpi per page
    broken: tuple[tuple[int, str], ...] = ()  # pages already known unreadable, with reasons


class DamagedPdf(UnreadableSource):
    """A file that starts like a PDF but that poppler cannot open: worth a repair."""


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
            warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data": the pages are judged
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            if img.width * img.height > MAX_PIXELS:
                raise UnreadableSource(
                    f"image is {img.width}x{img.height} pixels, over the {MAX_PIXELS:,} pixel limit "
                    "(a decompression bomb or a mis-scanned file)"
                )
            return img
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise UnreadableSource(
            f"the image declares over {Image.MAX_IMAGE_PIXELS:,} pixels: a decompression bomb or a "
            "mis-scanned file, not decoded"
        ) from e
    except UnidentifiedImageError as e:
        raise UnreadableSource(_unidentified(path)) from e
    except OSError as e:
        raise UnreadableSource(f"cannot read file: {e.strerror or 'the image header is damaged'}") from e
    except MemoryError as e:
        raise UnreadableSource("the image header asks for more memory than the limit allows") from e
    except Exception as e:  # noqa: BLE001 - Pillow's header parsers raise many types on damage
        raise UnreadableSource(f"damaged {_kind_name(path)}: its header cannot be read ({type(e).__name__})") from e


_MAGIC = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG", "PNG"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
          (b"%PDF-", "PDF"), (b"PK\x03\x04", "ZIP"), (b"BM", "BMP"))


def _sniff(head: bytes) -> str | None:
    """A file's format from its first bytes, whatever its name says."""
    return next((name for magic, name in _MAGIC if head.startswith(magic)), None)


def _unidentified(path: Path) -> str:
    """Why Pillow could not even identify a file, from its first bytes."""
    with path.open("rb") as f:
        head = f.read(16)
    found, named = _sniff(head), _kind_name(path)
    if found is None:
        return f"not an image: its first bytes are not a {named} header (a damaged file, or another kind of file named {path.suffix})"
    if found != named and found in ("PDF", "ZIP"):
        return f"not an image: it is a {found} file named {path.suffix}"
    if found == "TIFF":
        first_ifd = int.from_bytes(head[4:8], "little" if head.startswith(b"II") else "big")
        if first_ifd >= path.stat().st_size:
            return "damaged TIFF, cut off: the file ends before its first page's directory"
    return f"damaged {found}: its header is there but cannot be read (a cut off or damaged file)"


def _kind_name(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return {"jpg": "JPEG", "jpeg": "JPEG", "tif": "TIFF", "tiff": "TIFF"}.get(suffix, suffix.upper() or "image")


def _looks_like(path: Path) -> str | None:
    """What a file that is not a PDF seems to be, from its first bytes, for the reason."""
    with path.open("rb") as f:
        head = f.read(1024)
        more = head + f.read(64 * 1024)
    if b"%PDF-" in head:
        return None
    if b" obj" in more and b"endobj" in more:
        return "PDF objects"
    for magic, name in ((b"\xff\xd8\xff", "a JPEG image"), (b"\x89PNG", "a PNG image"),
                        (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"), (b"PK\x03\x04", "a ZIP archive")):
        if head.startswith(magic):
            return name
    try:
        head.decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        return "not a PDF"


def _pdf_page_inches(path: Path, page: int, timeout: float) -> tuple[float, float] | None:
    """One page's size in inches (`pdfinfo -f N -l N`): pages of one PDF differ."""
    try:
        proc = subprocess.run(["pdfinfo", "-f", str(page), "-l", str(page), str(path)],
                              capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(rf"^Page\s+{page} size:\s+([\d.]+) x ([\d.]+) pts", proc.stdout, re.MULTILINE)
    return (float(match.group(1)) / 72, float(match.group(2)) / 72) if match else None


def _pdf_damage(path: Path) -> str:
    """What is wrong with a PDF poppler refuses, from its own bytes."""
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 1024))
        tail = f.read()
    if b"%%EOF" not in tail:
        return "cut off: it has no end-of-file marker"
    return "its cross-reference table or page tree is damaged"


def _pdf_info(path: Path, timeout: float = INSPECT_TIMEOUT) -> int:
    if path.stat().st_size == 0:
        raise UnreadableSource("empty file (0 bytes)")
    seems = _looks_like(path)
    if seems == "PDF objects":
        raise DamagedPdf("damaged PDF: its %PDF header is missing or damaged")
    if seems is not None:
        what = "its content is not a PDF" if seems == "not a PDF" else f"it is {seems}"
        raise UnreadableSource(f"not a PDF: the file has no %PDF header ({what}, named .pdf)")
    try:
        proc = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise UnreadableSource(f"PDF: counting its pages took longer than {timeout:.0f} s") from e
    if proc.returncode != 0:
        raise DamagedPdf(f"damaged PDF ({_pdf_damage(path)})")
    match = re.search(r"^Pages:\s+(\d+)", proc.stdout, re.MULTILINE)
    if not match or int(match.group(1)) < 1:
        raise DamagedPdf("damaged PDF: poppler finds no pages in it")
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", proc.stdout, re.MULTILINE)
    if size:
        w_in, h_in = float(size.group(1)) / 72, float(size.group(2)) / 72
        if w_in * h_in * DEFAULT_PDF_DPI**2 > MAX_PIXELS:
            raise UnreadableSource(f"PDF page is {w_in:.0f}x{h_in:.0f} inches, too large to rasterize")
    return int(match.group(1))


def _pdfimages_ppi(path: Path, page: int | None = None, timeout: float = INSPECT_TIMEOUT) -> dict[int, list[float]]:
    """Resolutions of the scans embedded in each page (`pdfimages -list`), as stated."""
    cmd = ["pdfimages", "-list", str(path)]
    if page is not None:
        cmd[1:1] = ["-f", str(page), "-l", str(page)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
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


def _pdf_image_dpis(path: Path, pages: int, timeout: float = INSPECT_TIMEOUT) -> tuple[int | None, ...]:
    """The stated dpi of each page: its embedded scan's resolution, when plausible."""
    ppi = _pdfimages_ppi(path, timeout=timeout)
    dpis = ([d for d in map(_plausible, ppi.get(n, [])) if d is not None] for n in range(1, pages + 1))
    return tuple(max(found) if found else None for found in dpis)


def _native_ppi(path: Path, page: int) -> int | None:
    """Render a scan at its own pixel size even when its stated resolution is false (72 dpi).

    Rendering such a page at 300 dpi would blow it up ~4x in each direction for nothing;
    cleaning estimates the real resolution from the pixels afterwards.
    """
    best = max(_pdfimages_ppi(path, page).get(page, [0.0]))
    return min(600, max(50, round(best))) if best > 0 else None


def inspect_source(path: Path, *, timeout: float = INSPECT_TIMEOUT) -> SourceInfo:
    """Count pages and read stated dpi without decoding any page.

    A TIFF's pages are counted by walking its directory chain: pages before the first
    damaged one are kept, and pages found unreadable on the way (0 pixels high, data
    past the end of the file, a directory that cannot be parsed) come back in `broken`,
    so the intact pages are read and only the damaged ones fail.
    """
    kind = kind_of(path)
    if kind == "pdf":
        pages = _pdf_info(path, timeout)
        return SourceInfo(kind, pages, _pdf_image_dpis(path, pages, timeout))
    img = _open_image(path)
    with img:
        if kind != "tiff":
            problem = _frame_problem(img, path, 1, single=True)
            return SourceInfo(kind, 1, (_image_dpi(img),), ((1, problem),) if problem else ())
        return _inspect_tiff(img, path)


def _inspect_tiff(img: Image.Image, path: Path) -> SourceInfo:
    dpis: list[int | None] = []
    broken: list[tuple[int, str]] = []
    for index in range(MAX_FRAMES):
        page = index + 1
        try:
            if index:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data": we judge the pages
                    img.seek(index)
        except EOFError:
            break  # the end of the directory chain: no more pages
        except MemoryError:
            broken.append((page, f"page {page}: its directory asks for more memory than the limit allows"))
            dpis.append(None)
            break
        except Exception:  # noqa: BLE001 - Pillow's TIFF parser raises many types on damage
            broken.append((page, f"page {page} is damaged or cut off: its TIFF directory cannot be read "
                                 "(pages after it, if any, cannot be reached)"))
            dpis.append(None)
            break
        problem = _frame_problem(img, path, page, single=False)
        if problem:
            broken.append((page, problem))
        dpis.append(_image_dpi(img))
    if len(broken) == len(dpis):
        raise UnreadableSource(broken[0][1] if len(broken) == 1 else f"no readable page: {broken[0][1]}")
    return SourceInfo("tiff", len(dpis), tuple(dpis), tuple(broken))


def _frame_problem(img: Image.Image, path: Path, page: int, *, single: bool) -> str | None:
    """Why the current frame cannot be decoded, seen from its header alone, or None."""
    label = "the image" if single else f"page {page}"
    width, height = img.size
    if width <= 0 or height <= 0:
        return f"{label} is {width}x{height} pixels: an empty page (a damaged or mis-written file)"
    if width * height > MAX_PIXELS:
        return (f"{label} is {width}x{height} pixels, over the {MAX_PIXELS:,} pixel limit "
                "(a decompression bomb or a mis-scanned file)")
    end = _tiff_data_end(img)
    if end is not None and end > path.stat().st_size:
        return f"{label} is cut off: the file ends inside its image data (a truncated file)"
    return None


def _tiff_data_end(img: Image.Image) -> int | None:
    """Where a TIFF frame's last strip or tile ends, from its directory; None if unknown."""
    tags = getattr(img, "tag_v2", None)
    if tags is None or getattr(img, "format", None) != "TIFF":
        return None
    try:
        offsets = tags.get(273) or tags.get(324)
        counts = tags.get(279) or tags.get(325)
        if not offsets or not counts:
            return None
        return max(int(o) + int(c) for o, c in zip(offsets, counts, strict=False))
    except (TypeError, ValueError):
        return None


def _to_gray(img: Image.Image) -> np.ndarray:
    img = ImageOps.exif_transpose(img) or img
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    return np.asarray(img.convert("L"), dtype=np.uint8).copy()


def load_page(
    path: Path, page: int, *, kind: str | None = None, dpi_hint: int | None = None, timeout: float = 0
) -> PageImage:
    """Decode exactly one page (1-based) of a scan as 8-bit grey.

    `timeout` bounds the PDF renderer (pdftoppm); 0 leaves it unbounded.
    """
    kind = kind or kind_of(path)
    if kind == "pdf":
        return _load_pdf_page(path, page, dpi_hint, timeout)
    img = _open_image(path)
    with img, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            if page > 1:
                img.seek(page - 1)
            problem = _frame_problem(img, path, page, single=kind != "tiff")
            if problem:
                raise UnreadableSource(problem)
            stated = _image_dpi(img)
            img.load()
            return PageImage(_to_gray(img), stated)
        except UnreadableSource:
            raise
        except EOFError as e:
            raise UnreadableSource(f"page {page} is missing (truncated file)") from e
        except MemoryError as e:
            raise UnreadableSource(f"page {page} needs more memory to decode than the limit allows") from e
        except Exception as e:  # noqa: BLE001 - Pillow's decoders raise many types on damage
            raise UnreadableSource(_decode_reason(path, page, kind)) from e


def _decode_reason(path: Path, page: int, kind: str) -> str:
    """Why a page's pixels could not be decoded, from the file's own end marker."""
    label = f"page {page}" if kind == "tiff" else "the image"
    if _ends_early(path):
        return f"{label} is cut off: the file ends before its image data does (a truncated file)"
    return f"{label} is damaged: its image data cannot be decoded"


def _ends_early(path: Path) -> bool:
    """Whether a JPEG lacks its end-of-image marker or a PNG its IEND chunk."""
    with path.open("rb") as f:
        head = f.read(8)
        f.seek(max(0, path.stat().st_size - 16))
        tail = f.read()
    if head.startswith(b"\xff\xd8"):
        return b"\xff\xd9" not in tail
    if head.startswith(b"\x89PNG"):
        return b"IEND" not in tail
    return False


def _load_pdf_page(path: Path, page: int, dpi_hint: int | None, timeout: float) -> PageImage:
    from pdf2image import convert_from_path
    from pdf2image.exceptions import (
        PDFInfoNotInstalledError,
        PDFPageCountError,
        PDFPopplerTimeoutError,
        PDFSyntaxError,
    )

    dpi = dpi_hint or _native_ppi(path, page) or DEFAULT_PDF_DPI
    size = _pdf_page_inches(path, page, timeout or INSPECT_TIMEOUT)
    if size is not None and size[0] * size[1] * dpi**2 > MAX_PIXELS:
        raise UnreadableSource(
            f"PDF page {page} is {size[0]:.0f}x{size[1]:.0f} inches: at {dpi} dpi that is over the "
            f"{MAX_PIXELS:,} pixel limit, too large to rasterize"
        )
    try:
        images = convert_from_path(
            str(path), dpi=dpi, first_page=page, last_page=page, grayscale=True,
            timeout=math.ceil(timeout) if timeout else UNBOUNDED,
        )
    except (PDFPageCountError, PDFSyntaxError) as e:
        raise UnreadableSource(f"PDF page {page} is damaged: poppler cannot render it") from e
    except PDFPopplerTimeoutError as e:
        raise UnreadableSource(f"PDF page {page}: rendering took longer than {timeout:.0f} s") from e
    except MemoryError as e:
        raise UnreadableSource(f"PDF page {page} needs more memory to render than the limit allows") from e
    except PDFInfoNotInstalledError as e:  # checked at start-up; kept typed for library users
        raise UnreadableSource("poppler-utils (pdftoppm) is not installed") from e
    if not images:
        raise UnreadableSource(f"PDF page {page} rendered nothing")
    if size is not None and min(images[0].size) < min(size) * dpi / 2:
        raise UnreadableSource(f"PDF page {page}: poppler could not render it at its size (out of memory?)")
    with images[0] as img:
        return PageImage(_to_gray(img), dpi_hint)
