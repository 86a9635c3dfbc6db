"""Page images, thumbnails and original scans as HTTP responses, with caching headers.

Every URL is content-addressed: originals by their SHA-256 (the ETag is the hash
itself), cleaned images and thumbnails by source hash, page number and a version taken
from the stored file (size and mtime) and the boxes painted over (carried in the URL as
`?v=`), so each response can be `immutable` and a browser asks again only when the page
was re-done. Unless personal data is shown, the national ids on a cleaned image are
painted over; the original scan is the archive's record and is served as it is.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from fastapi import Request, Response
from fastapi.responses import FileResponse
from PIL import Image, ImageDraw

#: A year: content-addressed URLs never change what they answer.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Thumbnail widths a request may ask for (a fixed few, so the cache stays small).
THUMB_WIDTHS = (160, 240, 480)

MEDIA_TYPES = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "tif": "image/tiff", "tiff": "image/tiff",
    "pdf": "application/pdf", "gif": "image/gif", "bmp": "image/bmp", "webp": "image/webp",
}


def version(path: Path) -> str:
    """A short tag that changes whenever the stored file is rewritten."""
    st = path.stat()
    return hashlib.sha256(f"{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]


def _not_modified(request: Request, etag: str) -> bool:
    given = request.headers.get("if-none-match", "")
    return any(tag.strip() in (etag, f"W/{etag}", "*") for tag in given.split(","))


def cached_bytes(request: Request, data_etag: str, media_type: str, load: Callable[[], bytes]) -> Response:
    """`load()`'s bytes with an ETag and immutable caching, or 304 when the browser has them."""
    etag = f'"{data_etag}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(content=load(), media_type=media_type, headers=headers)


Box = tuple[int, int, int, int]
#: Pixels of margin painted around a redacted box (OCR boxes hug the ink).
REDACT_MARGIN = 4


def shown_version(path: Path, redact: Sequence[Box]) -> str:
    """The stored file's version, and which boxes are painted over (they change when a
    reviewer corrects a national id)."""
    v = version(path)
    if redact:
        v += "-r" + hashlib.sha256(repr(sorted(redact)).encode()).hexdigest()[:8]
    return v


def shown_bytes(path: Path, redact: Sequence[Box], cache: Path) -> bytes:
    """The page image as served: the stored file, or a copy with the `redact` boxes
    painted black (national ids, when personal data is not shown), made once and kept in
    `cache`."""
    if not redact:
        return path.read_bytes()
    target = cache / f"{shown_version(path, redact)}{path.suffix}"
    try:
        return target.read_bytes()
    except FileNotFoundError:
        pass
    with Image.open(path) as img:
        fmt = img.format or "PNG"
        canvas = img.convert("L")
    draw = ImageDraw.Draw(canvas)
    for left, top, width, height in redact:
        m = REDACT_MARGIN
        draw.rectangle((left - m, top - m, left + width + m, top + height + m), fill=0)
    buf = io.BytesIO()
    if fmt == "JPEG":
        canvas.save(buf, format="JPEG", quality=85)
    else:
        canvas.save(buf, format="PNG", optimize=True)
    data = buf.getvalue()
    _keep(target, data)
    return data


def _keep(target: Path, data: bytes) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError:  # a cache that cannot be written only costs time
        pass


def page_image(request: Request, path: Path, redact: Sequence[Box], cache: Path) -> Response:
    ext = path.suffix.lstrip(".").lower()
    return cached_bytes(request, shown_version(path, redact), MEDIA_TYPES.get(ext, "application/octet-stream"),
                        lambda: shown_bytes(path, redact, cache))


def original(request: Request, path: Path, sha256: str, name: str) -> Response:
    """The original scan, named as it was discovered, shown inline where the browser can."""
    etag = f'"{sha256}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    ext = path.suffix.lstrip(".").lower()
    return FileResponse(
        path, media_type=MEDIA_TYPES.get(ext, "application/octet-stream"), headers=headers,
        filename=name, content_disposition_type="inline",
    )


def thumbnail_bytes(image: Path, redact: Sequence[Box], cache: Path, width: int) -> bytes:
    """A JPEG `width` pixels wide made from the page image as served once, then read from
    `cache` (keyed by its version, written by rename)."""
    target = cache / f"{shown_version(image, redact)}-{width}.jpg"
    try:
        return target.read_bytes()
    except FileNotFoundError:
        pass
    source = io.BytesIO(shown_bytes(image, redact, cache)) if redact else image
    with Image.open(source) as img:
        img.draft("L", (width, width * 4))  # JPEG: decode at a smaller scale when it can
        small = img.convert("L")
        small.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        small.save(buf, format="JPEG", quality=82, optimize=True)
    data = buf.getvalue()
    _keep(target, data)
    return data


def thumbnail(request: Request, image: Path, redact: Sequence[Box], cache: Path, width: int) -> Response:
    return cached_bytes(request, f"{shown_version(image, redact)}-{width}", "image/jpeg",
                        lambda: thumbnail_bytes(image, redact, cache, width))
