"""A damaged-file corpus, made on demand: what a real archive's worst scans do to a reader.

From a few good files (PDF, TIFF, JPEG, PNG of small rendered Persian pages) it makes cut
files, flipped header and xref bytes, xref loops, object streams that contain themselves,
a JPEG cut mid-scan, a 20,000 × 20,000 image inside a PDF page, a PDF whose page count
lies, a TIFF with 0-height pages, a PDF page of pure vector art. The tests and
`bench/hostile.py` both build it here, so they judge the same files; nothing is committed.

Each `Hostile` says what a reader must make of it: `read` (every page OCR'd), `partial`
(some pages read, the others failed or quarantined), `refuse` (quarantined or its pages
failed, with a reason) or `any` (whatever happens, the batch goes on).
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from assets import font_path

DPI = 150
PAGE_PX = (620, 440)  # A6 landscape at 150 dpi: small, quick to OCR, big enough to read

#: Lines the good pages carry, one per page; `WORDS[i]` is a word only page i has.
PAGE_LINES = [
    "شهرداری کرج پروانه ساختمانی پلاک ۱۲۳ فرعی از ۴۵ اصلی",
    "کمیسیون ماده صد رای به جریمه صادر کرد",
    "عوارض نوسازی پرداخت شد شماره پرونده ۱۲۳۴۵/۸۶",
]
WORDS = ["پروانه", "کمیسیون", "عوارض"]


@dataclass(frozen=True, slots=True)
class Hostile:
    """One damaged file: its name in the corpus folder, its bytes and what a reader owes it."""

    name: str
    data: bytes
    expect: str  # "read" | "partial" | "refuse" | "any"
    what: str


def render(line: str, *, size: tuple[int, int] = PAGE_PX) -> Image.Image:
    """A small page with one Persian line (raqm layout, right to left) on white paper."""
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    face = ImageFont.truetype(str(font_path("Vazirmatn-Regular.ttf")), 30)
    left, _, right, _ = draw.textbbox((0, 0), line, font=face, direction="rtl", language="fa")
    draw.text((size[0] - 30 - right, 60), line, font=face, fill=0, direction="rtl", language="fa")
    draw.text((size[0] - 30 - right, 160), line, font=face, fill=0, direction="rtl", language="fa")
    return page


def pages(n: int) -> list[Image.Image]:
    return [render(PAGE_LINES[i % len(PAGE_LINES)]) for i in range(n)]


def _save(images: list[Image.Image], fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    images[0].save(buf, fmt, save_all=len(images) > 1, append_images=images[1:], dpi=(DPI, DPI), **kw)
    return buf.getvalue()


def good_pdf(n: int = 2) -> bytes:
    return _save(pages(n), "PDF", resolution=DPI)


def good_tiff(n: int = 3, compression: str | None = "tiff_lzw") -> bytes:
    return _save(pages(n), "TIFF", compression=compression)


def good_jpeg(quality: int = 85) -> bytes:
    return _save(pages(1), "JPEG", quality=quality)


def good_png() -> bytes:
    return _save(pages(1), "PNG")


# -- PDFs written by hand, so the damage can be exact ---------------------------------------


def _pdf(objects: list[bytes], *, root: int = 1, xref: bool = True, extra_trailer: bytes = b"") -> bytes:
    """A classic PDF from numbered object bodies (1-based), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, extra_trailer, start
    )
    return bytes(out)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (dictionary, len(data)) + data + b"\nendstream"


def vector_pdf() -> bytes:
    """A page of pure vector art (a site plan's lines and boxes), no image at all."""
    ops = [b"2 w 40 40 515 335 re S", b"0.5 w"]
    ops += [b"%d 60 m %d 350 l S" % (x, x) for x in range(80, 540, 40)]
    ops += [b"120 120 200 120 re f", b"360 200 m 500 300 l 360 300 l h S"]
    content = b"\n".join(ops)
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 420] /Contents 4 0 R >>",
        _stream(b"", content),
    ])


def giant_image_pdf(side: int = 20_000) -> bytes:
    """A letter page holding one side × side 1-bit image: 400 Mpx that deflate to ~50 KB."""
    raw = zlib.compress(b"\xff" * (side // 8) * side, 9)
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Im0 5 0 R >> >> >>",
        _stream(b"", b"q 612 0 0 792 0 0 cm /Im0 Do Q"),
        _stream(b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 1 /Filter /FlateDecode" % (side, side), raw),
    ])


def huge_second_page_pdf() -> bytes:
    """A PDF whose first page is A5 and whose second is 200 × 200 inches (3.6 Gpx at 300 dpi)."""
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 420] /Contents 5 0 R >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Contents 5 0 R >>",
        _stream(b"", b"2 w 40 40 300 300 re S"),
    ])


def lying_count_pdf(claimed: int = 40) -> bytes:
    """A good two-page PDF whose page tree says it has `claimed` pages."""
    data = good_pdf(2)
    return re.sub(rb"/Count 2\b", b"/Count %d" % claimed, data, count=1)


def xref_loop_pdf() -> bytes:
    """An incremental update whose /Prev points back at its own xref section: a loop."""
    update = bytearray(vector_pdf())
    xref_at = len(update)
    update += b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 5 /Root 1 0 R /Prev %d >>\n" % xref_at
    update += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(update)


def objstm_self_pdf() -> bytes:
    """A PDF 1.5 cross-reference stream that says object 5, the object stream, lives in itself."""
    header = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    body = bytearray(header)
    offs = {}
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 420] /Contents 4 0 R >>",
    }
    for n, o in objs.items():
        offs[n] = len(body)
        body += b"%d 0 obj\n" % n + o + b"\nendobj\n"
    # object 4 (the page content) is said to be inside object stream 5, and 5 inside itself
    inner = b"4 0 5 8 "
    payload = inner + b"<< /Length 0 >>" + b" << >>"
    offs[5] = len(body)
    body += b"5 0 obj\n" + _stream(b"/Type /ObjStm /N 2 /First %d /Extends 5 0 R" % len(inner), payload) + b"\nendobj\n"
    rows = [(0, 0, 0xFFFF)] + [(1, offs[n], 0) for n in (1, 2, 3)] + [(2, 5, 0), (2, 5, 1)]
    xref = b"".join(bytes([t]) + off.to_bytes(4, "big") + gen.to_bytes(2, "big") for t, off, gen in rows)
    offs[6] = len(body)
    body += b"6 0 obj\n" + _stream(b"/Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R", xref) + b"\nendobj\n"
    body += b"startxref\n%d\n%%%%EOF\n" % offs[6]
    return bytes(body)


def encrypted_pdf() -> bytes:
    """A good PDF locked with a user password: not damaged, not to be repaired."""
    import pikepdf

    with pikepdf.open(io.BytesIO(good_pdf(1))) as pdf:
        buf = io.BytesIO()
        pdf.save(buf, encryption=pikepdf.Encryption(user="۱۲۳۴", owner="owner"))
        return buf.getvalue()


def flip(data: bytes, at: int, n: int = 8) -> bytes:
    """Invert `n` bytes from `at` (clamped to the file)."""
    out = bytearray(data)
    for i in range(max(0, at), min(len(out), at + n)):
        out[i] ^= 0xFF
    return bytes(out)


def xref_damaged_pdf() -> bytes:
    """Digits of the xref table flipped: every object offset wrong, the objects themselves whole."""
    data = good_pdf(2)
    at = data.rindex(b"xref\n")
    return flip(data, at + 30, 40)


def shifted_offsets_pdf() -> bytes:
    """Bytes inserted after the header, so every xref offset misses its object by 7."""
    data = good_pdf(2)
    cut = data.index(b"\n", 10) + 1
    return data[:cut] + b"% junk\n" + data[cut:]


# -- TIFFs --------------------------------------------------------------------------------


def _tiff_frame_offsets(data: bytes) -> list[int]:
    """Where each frame's first strip starts, read from the IFD chain (little-endian TIFF)."""
    with Image.open(io.BytesIO(data)) as img:
        starts = []
        for i in range(getattr(img, "n_frames", 1)):
            img.seek(i)
            starts.append(int(img.tag_v2[273][0]))  # type: ignore[attr-defined]
        return starts


def tiff_last_page_cut(n: int = 3) -> bytes:
    """A multi-page TIFF cut inside its last page's image data; the first pages intact."""
    data = good_tiff(n, compression=None)
    last = _tiff_frame_offsets(data)[-1]
    return data[: last + (len(data) - last) // 3]


def tiff_ifd_loop() -> bytes:
    """A two-page TIFF whose second page's next-directory pointer points at itself."""
    data = bytearray(good_tiff(2, compression=None))
    with Image.open(io.BytesIO(bytes(data))) as img:
        img.seek(1)
        ifd = int(img._frame_pos[1])  # type: ignore[attr-defined]  # noqa: SLF001
    count = int.from_bytes(data[ifd : ifd + 2], "little")
    end = ifd + 2 + 12 * count
    data[end : end + 4] = ifd.to_bytes(4, "little")
    return bytes(data)


def tiff_zero_height() -> bytes:
    """A two-page TIFF whose second page says it is 0 pixels high (ImageLength = 0)."""
    data = bytearray(good_tiff(2, compression=None))
    with Image.open(io.BytesIO(bytes(data))) as img:
        img.seek(1)
        ifd = int(img._frame_pos[1])  # type: ignore[attr-defined]  # noqa: SLF001
    count = int.from_bytes(data[ifd : ifd + 2], "little")
    for k in range(count):
        entry = ifd + 2 + 12 * k
        if int.from_bytes(data[entry : entry + 2], "little") == 257:  # ImageLength
            data[entry + 8 : entry + 12] = (0).to_bytes(4, "little")
    return bytes(data)


def jpeg_cut_mid_scan() -> bytes:
    """A JPEG cut a third of the way into its entropy-coded scan."""
    data = good_jpeg()
    sos = data.index(b"\xff\xda")
    return data[: sos + (len(data) - sos) // 3]


def png_bomb() -> bytes:
    """A PNG header claiming 60,000 × 60,000 pixels."""
    data = bytearray(good_png())
    data[16:24] = (60_000).to_bytes(4, "big") * 2
    crc = zlib.crc32(bytes(data[12:29]))
    data[29:33] = crc.to_bytes(4, "big")
    return bytes(data)


# -- the corpus ---------------------------------------------------------------------------

CUTS = (0.0, 0.02, 0.25, 0.5, 0.75, 0.98)


def corpus(*, cuts: tuple[float, ...] = CUTS) -> list[Hostile]:
    """Every damaged file, deterministic: about fifty files, 2.3 MB in all."""
    goods: dict[str, tuple[str, Callable[[], bytes]]] = {
        "pdf": ("pdf", good_pdf), "tiff": ("tif", good_tiff), "jpeg": ("jpg", good_jpeg), "png": ("png", good_png),
    }
    out: list[Hostile] = []
    for kind, (ext, make) in goods.items():
        data = make()
        for cut in cuts:
            size = round(len(data) * cut)
            out.append(Hostile(f"cut-{kind}-{round(cut * 100):02d}.{ext}", data[:size], "any",
                               f"{kind} truncated to {size} of {len(data)} bytes"))
        out.append(Hostile(f"header-flipped-{kind}.{ext}", flip(data, 0, 8), "any", f"{kind} with its magic bytes inverted"))
        out.append(Hostile(f"inner-flipped-{kind}.{ext}", flip(data, len(data) // 2, 64), "any",
                           f"{kind} with 64 bytes inverted mid-file"))
    out += [
        Hostile("تصویر-سالم.jpg", good_jpeg(90), "read", "a good JPEG with a Persian file name"),
        Hostile("tiff-last-page-cut.tif", tiff_last_page_cut(), "partial", "3-page TIFF cut inside page 3"),
        Hostile("tiff-ifd-loop.tif", tiff_ifd_loop(), "read", "2-page TIFF whose directory chain loops"),
        Hostile("huge-second-page.pdf", huge_second_page_pdf(), "any", "a PDF whose page 2 is 200 × 200 inches"),
        Hostile("tiff-zero-height.tif", tiff_zero_height(), "partial", "2-page TIFF whose page 2 is 0 pixels high"),
        Hostile("jpeg-cut-mid-scan.jpg", jpeg_cut_mid_scan(), "any", "JPEG cut inside its scan data"),
        Hostile("png-bomb.png", png_bomb(), "refuse", "PNG claiming 60,000 × 60,000 pixels"),
        Hostile("vector-art.pdf", vector_pdf(), "read", "a PDF page of vector lines and no image"),
        Hostile("giant-image.pdf", giant_image_pdf(), "any", "a PDF page holding a 20,000 × 20,000 image"),
        Hostile("lying-page-count.pdf", lying_count_pdf(), "read", "a 2-page PDF whose page tree claims 40"),
        Hostile("xref-loop.pdf", xref_loop_pdf(), "read", "an xref section whose /Prev points at itself"),
        Hostile("objstm-self.pdf", objstm_self_pdf(), "any", "an object stream said to contain itself"),
        Hostile("xref-damaged.pdf", xref_damaged_pdf(), "read", "a PDF whose xref offsets are garbage"),
        Hostile("shifted-offsets.pdf", shifted_offsets_pdf(), "read", "a PDF whose xref offsets are all off by 7"),
        Hostile("encrypted.pdf", encrypted_pdf(), "refuse", "a PDF locked with a user password"),
        Hostile("fake.pdf", "این یک فایل متنی است، نه PDF\n".encode() * 20, "refuse", "a text file named .pdf"),
        Hostile("empty.png", b"", "refuse", "an empty file"),
    ]
    return out


def write_corpus(folder: Path, items: list[Hostile] | None = None) -> list[Hostile]:
    """Write the corpus into `folder` (one dossier) and return what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    items = corpus() if items is None else items
    for item in items:
        (folder / item.name).write_bytes(item.data)
    return items


def write_good(folder: Path) -> dict[str, str]:
    """A good folder (PDF, TIFF, JPEG, PNG); returns file name → the word only its page 1 has."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"good.pdf": good_pdf(2), "good.tif": good_tiff(3), "good.jpg": good_jpeg(), "good.png": good_png()}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name: WORDS[0] for name in files}
