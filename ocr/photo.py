"""Pages photographed rather than scanned: find the sheet, lay it flat, light it evenly.

A phone picture of a page shows the sheet as a quadrilateral on a desk, lit more on one
side, often with a shadow across it. Tesseract reads such a picture poorly: lines are
not parallel, the desk's texture is read as letters, and its global threshold puts the
shadowed half of the page under the ink. Each stage is a small function on a grey page
(0 = ink, 255 = paper). They fire only on evidence of a photograph (a bright sheet on a
darker surround, inset from the picture's edges; or lighting that varies more than a
scanner's lamp does), so scans pass through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FIND_SIDE = 640  # the sheet is looked for on a copy this many pixels on its long side
MIN_PAGE_SHARE = 0.2  # a sheet covers at least this share of the picture
MIN_INSET = 0.01  # ... and leaves this share of the picture's side free on three sides
SURROUND_DARKER = 0.8  # the surround's median grey is at most this share of the sheet's
PAPER_ASPECTS = (297 / 210, 279.4 / 215.9)  # A4, Letter: a measured aspect this near snaps to one
ASPECT_SNAP = 0.1
EDGE_STEP = 0.08  # log-grey change per pixel (of the 640-px copy) that can be a sheet's edge
# Lighting varies this much over a photographed sheet (the darkest tenth of the paper
# under this share of the brightest tenth); a scanner's lamp varies far less.
UNEVEN_LIGHT = 0.72


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet found in a picture: its corners (TL, TR, BR, BL, in pixels) and how sure."""

    corners: np.ndarray
    contrast: float  # the surround's median grey over the sheet's: lower is surer


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def find_sheet(gray: np.ndarray) -> Sheet | None:
    """The page's quadrilateral in a photograph, or None when the picture is a scan.

    The sheet is the largest bright region once the picture's lighting is evened out at
    a scale far above a letter's; its outline is simplified to four corners. It counts
    as a sheet only when it covers much of the picture, stays clear of the picture's
    edges on at least three sides (a scan's page is the picture; a copier band only
    cuts one side), and the surround is darker than the paper (a form's ruled frame has
    paper around it).
    """
    coarse = _strided(gray, FIND_SIDE)
    h, w = gray.shape
    f = FIND_SIDE / max(h, w)
    small = cv2.resize(coarse, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    sh, sw = small.shape
    k = max(3, round(0.015 * max(sh, sw)) | 1)
    paperish = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))  # text gone
    edges = _sheet_edges(paperish)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    if n < 2:
        return None
    span = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    biggest = 1 + int(np.argmax(span))
    points = cv2.findNonZero(np.where(labels == biggest, np.uint8(255), np.uint8(0)))
    outline = cv2.convexHull(points)
    if cv2.contourArea(outline) < MIN_PAGE_SHARE * sh * sw:
        return None
    quad = _four_corners(outline)
    if quad is None:
        return None
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    inset = [x0 > MIN_INSET * sw, y0 > MIN_INSET * sh, x1 < (1 - MIN_INSET) * sw, y1 < (1 - MIN_INSET) * sh]
    if sum(inset) < 3:
        return None
    contrast = _surround_contrast(small, quad)
    if contrast > SURROUND_DARKER:
        return None
    return Sheet(order_corners(quad / f), round(contrast, 3))


def _strided(gray: np.ndarray, side: int) -> np.ndarray:
    """Every n-th pixel, leaving at least twice ``side`` on the long side: a cheap first
    reduction before an area-averaging one (this runs on every scan, to say it is one)."""
    step = max(1, max(gray.shape) // (2 * side))
    return gray[::step, ::step] if step > 1 else gray


def _sheet_edges(paperish: np.ndarray) -> np.ndarray:
    """Where the grey steps sharply in log terms: paper against desk (a ratio of two or
    more within a pixel or two), not a shadow's edge (a similar ratio over a penumbra of
    many pixels) nor a desk's grain."""
    log = np.log1p(paperish.astype(np.float32))
    gx = cv2.Sobel(log, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(log, cv2.CV_32F, 0, 1, ksize=3) / 8
    mag = cv2.magnitude(gx, gy)
    level = max(EDGE_STEP, 0.35 * float(np.percentile(mag, 99.7)))
    edges = np.where(mag > level, np.uint8(255), np.uint8(0))
    return cv2.dilate(edges, np.ones((3, 3), np.uint8))


def _four_corners(outline: np.ndarray) -> np.ndarray | None:
    """The outline simplified to a quadrilateral, loosening the tolerance until it is one."""
    perimeter = cv2.arcLength(outline, True)
    for share in (0.01, 0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(outline, share * perimeter, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
        if len(approx) < 4:
            return None
    return None


def _surround_contrast(small: np.ndarray, quad: np.ndarray) -> float:
    """Median grey of a band just outside the quadrilateral over that of a band just inside."""
    inside = np.zeros(small.shape, np.uint8)
    cv2.fillConvexPoly(inside, order_corners(quad).astype(np.int32), 255)
    k = max(3, round(0.03 * max(small.shape)) | 1)
    ring_out = cv2.subtract(cv2.dilate(inside, np.ones((k, k), np.uint8)), inside)
    ring_in = cv2.subtract(inside, cv2.erode(inside, np.ones((k, k), np.uint8)))
    if not ring_out.any() or not ring_in.any():
        return 1.0
    return float(np.median(small[ring_out > 0])) / max(1.0, float(np.median(small[ring_in > 0])))


def flatten_sheet(gray: np.ndarray, sheet: Sheet) -> np.ndarray:
    """The sheet warped to a flat upright rectangle, at the resolution the picture gave it.

    The rectangle's sides are the quadrilateral's longer opposite sides (so no pixel of
    the page is lost); its aspect snaps to A4 or Letter when it is near one, since
    foreshortening makes a tilted sheet look squatter than it is, and the page's
    resolution is later judged from its proportions.
    """
    tl, tr, br, bl = sheet.corners
    width = float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = float(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    aspect = max(width, height) / max(1.0, min(width, height))
    near = min(PAPER_ASPECTS, key=lambda a: abs(a - aspect))
    if abs(near / aspect - 1) < ASPECT_SNAP:
        if height >= width:
            height = max(height, width * near)
            width = height / near
        else:
            width = max(width, height * near)
            height = width / near
    w, h = round(width), round(height)
    target = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    m = cv2.getPerspectiveTransform(sheet.corners.astype(np.float32), target)
    return cv2.warpPerspective(gray, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def paper_estimate(gray: np.ndarray, *, dpi: int, quick: bool = False) -> np.ndarray:
    """The paper's grey at every pixel, ink removed: a 3 mm maximum then a 5 mm median, on
    a ~50-dpi copy. Finer than the scan cleaning's (6 mm on 25 dpi), so a shadow's edge,
    a few millimetres wide, is followed rather than smeared over the text beside it.
    ``quick`` makes the copy by taking every n-th pixel and returns it at 50 dpi: enough
    to judge the lighting by."""
    f = min(1.0, 50 / max(dpi, 1))
    size = (max(1, round(gray.shape[1] * f)), max(1, round(gray.shape[0] * f)))
    source = _strided(gray, max(size)) if quick else gray
    small = cv2.resize(source, size, interpolation=cv2.INTER_AREA)
    px_per_mm = dpi * f / 25.4
    k = max(3, round(3 * px_per_mm) | 1)
    paper = cv2.medianBlur(cv2.dilate(small, np.ones((k, k), np.uint8)), max(3, round(5 * px_per_mm) | 1))
    return paper if quick else cv2.resize(paper, gray.shape[::-1], interpolation=cv2.INTER_LINEAR)


def lighting_spread(gray: np.ndarray, *, dpi: int) -> float:
    """How unevenly the page is lit: the darkest tenth of its paper over the brightest (1 = even)."""
    sample = paper_estimate(gray, dpi=dpi, quick=True).astype(np.float32)
    hi = float(np.percentile(sample, 90))
    return float(np.percentile(sample, 10)) / max(1.0, hi)


def remove_shadows(gray: np.ndarray, *, dpi: int) -> np.ndarray:
    """Divide the page by its paper: shadow and lamp fall-off become flat white, ink keeps
    its contrast with the paper around it (a shadow dims both alike)."""
    paper = paper_estimate(gray, dpi=dpi)
    return cv2.divide(gray, np.maximum(paper, 1), scale=255)


# Text whose lines (ink band, ascenders to descenders) measure fewer pixels than this at
# the resolution it is read at is enlarged to TEXT_TARGET_PX first: Tesseract's models
# lose letters' dots and teeth on smaller text. Typed lines on the bench's 150-dpi scans
# measure 20.5-21 px and read best as they are (enlarging them lost words), those read
# at 180 dpi 22-29 px; an x-height under about 10 px is what this catches.
SMALL_TEXT_PX = 18.0
TEXT_TARGET_PX = 26.0
MAX_ENLARGE = 3.0


def enlargement(line_px: float | None) -> float:
    """How much to enlarge a page whose text lines measure ``line_px`` (1.0: leave it)."""
    if not line_px or line_px >= SMALL_TEXT_PX:
        return 1.0
    return min(MAX_ENLARGE, TEXT_TARGET_PX / line_px)


def enlarge(gray: np.ndarray, factor: float) -> np.ndarray:
    """The page enlarged ``factor`` times (bicubic: Lanczos rings around thin strokes)."""
    if factor <= 1.0:
        return gray
    size = (round(gray.shape[1] * factor), round(gray.shape[0] * factor))
    return cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC)
