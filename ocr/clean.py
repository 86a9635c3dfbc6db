"""Page cleaning before OCR: orientation, deskew, borders, background, resolution, binarization.

Each stage is a small pure function on a grayscale uint8 page (0 = ink, 255 = paper), in
the manner of OCRmyPDF's stage library; ``clean`` composes them by a named recipe and
records what it did in a ``CleanInfo``.  Measurements (orientation, skew, dpi) run on a
downscaled copy so that cleaning costs a small fraction of Tesseract's own time.

Angle conventions: ``detect_orientation`` returns the clockwise turn (0/90/180/270) that
makes the page upright; ``estimate_skew`` returns the counter-clockwise angle of the text
lines in degrees (positive = lines rise to the right), which ``deskew`` undoes.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

ANALYSIS_DPI = 150  # orientation and skew are judged at this resolution (lines ~30 px)
SKEW_MAX_SIDE = 1400  # skew is measured on a copy whose longer side is at most this


# --------------------------------------------------------------------------- analysis


def _downscale(gray: np.ndarray, factor: float) -> np.ndarray:
    """Shrink by ``factor`` (< 1) with area averaging, which keeps thin strokes visible."""
    if factor >= 1.0:
        return gray
    h, w = gray.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _ink_mask(small: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0, robust to shading: Otsu on the page divided by its local paper level."""
    k = max(3, (min(small.shape) // 40) | 1)
    paper = cv2.medianBlur(cv2.dilate(small, np.ones((k, k), np.uint8)), k)
    norm = cv2.divide(small, paper, scale=255)
    level, mask = cv2.threshold(norm, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if level > 200:  # a blank page: Otsu splits paper grain, not ink from paper
        _, mask = cv2.threshold(norm, 160, 255, cv2.THRESH_BINARY_INV)
    return mask


def _text_mask(mask: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Keep components sized like letters or words; drop specks, bands, rules and pictures."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    w = stats[:, cv2.CC_STAT_WIDTH]
    h = stats[:, cv2.CC_STAT_HEIGHT]
    area = stats[:, cv2.CC_STAT_AREA]
    small_side = np.minimum(w, h)
    big_side = np.maximum(w, h)
    keep = (
        (area >= max(2.0, 0.15 * px_per_mm**2))
        & (small_side <= 12 * px_per_mm)
        & (big_side <= 60 * px_per_mm)
    )
    keep[0] = False
    return np.where(keep[labels], np.uint8(255), np.uint8(0))


def _profile_score(ys: np.ndarray, xs: np.ndarray, angle: float, length: int) -> float:
    """Sharpness of the row profile after shearing ink by ``angle``: high when lines align."""
    shift = ys + xs * math.tan(math.radians(angle))
    bins = np.clip(np.rint(shift).astype(np.int64) + length // 2, 0, 2 * length - 1)
    profile = np.bincount(bins, minlength=2 * length).astype(np.float64)
    return float(np.square(np.diff(profile)).sum())


def _best_angle(
    mask: np.ndarray, angles: np.ndarray, ink_limit: int = 60_000
) -> tuple[float, float]:
    """Angle among ``angles`` whose sheared profile is sharpest, and that sharpness."""
    ys, xs = np.nonzero(mask)
    if len(ys) > ink_limit:  # subsample evenly: the profile shape, not its scale, matters
        step = len(ys) // ink_limit + 1
        ys, xs = ys[::step], xs[::step]
    if len(ys) == 0:
        return 0.0, 0.0
    ys = ys.astype(np.float64)
    xs = xs.astype(np.float64) - mask.shape[1] / 2
    scores = [_profile_score(ys, xs, a, mask.shape[0]) for a in angles]
    i = int(np.argmax(scores))
    return float(angles[i]), float(scores[i]) / len(ys)


# ------------------------------------------------------------------------ orientation


def _analysis_mask(gray: np.ndarray, dpi: int) -> np.ndarray:
    """Text-like ink of the page at ``ANALYSIS_DPI``, the input of every measurement."""
    small = _downscale(gray, ANALYSIS_DPI / max(dpi, 1))
    scale = min(1.0, ANALYSIS_DPI / max(dpi, 1))
    return _text_mask(_ink_mask(small), dpi * scale / 25.4)


def _line_runs(profile: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges that hold a text line: runs above a small share of the typical line mass."""
    if not profile.any():
        return []
    on = profile > max(0.5, 0.03 * float(np.percentile(profile[profile > 0], 90)))
    edges = np.flatnonzero(np.diff(np.concatenate(([0], on.astype(np.int8), [0]))))
    runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    if not runs:
        return []
    typical = float(np.median([b - a for a, b in runs]))
    return [(a, b) for a, b in runs if b - a >= 0.3 * typical]


def _flip_vote(mask: np.ndarray) -> float:
    """Evidence in [-1, 1] that level text lines are upright (> 0) rather than upside down.

    Both scripts carry more ink above their dense core band than below it: Latin
    ascenders and capitals outweigh descenders, and Persian alef, lam, kaf and the dots
    above outweigh the tails below its strong baseline.  Each line votes with the log
    ratio, weighted by its ink.
    """
    profile = mask.sum(axis=1, dtype=np.float64) / 255.0
    votes, weights = [], []
    for a, b in _line_runs(profile):
        seg = profile[a:b]
        core = np.flatnonzero(seg > 0.5 * seg.max())
        above, below = seg[: core[0]].sum(), seg[core[-1] + 1 :].sum()
        votes.append(float(np.clip(np.log((above + 1.0) / (below + 1.0)), -2.0, 2.0)))
        weights.append(float(seg.sum()))
    if not weights:
        return 0.0
    return float(np.average(votes, weights=weights)) / 2.0


def _level(mask: np.ndarray, angle: float) -> np.ndarray:
    """Rotate a small mask so lines at ``angle`` become horizontal (nearest, same canvas)."""
    h, w = mask.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    return cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)


def measure_orientation(gray: np.ndarray, *, dpi: int) -> tuple[int, float]:
    """Orientation from the page's own line structure, without Tesseract (a few ms).

    Text lines give a sharp row profile at some small angle, so the axis (0/180 versus
    90/270) is whichever of the page and its quarter turn profiles sharper; then
    ``_flip_vote`` tells upright from upside down on the levelled lines.
    """
    mask = _analysis_mask(gray, dpi)
    turned = np.ascontiguousarray(np.rot90(mask, k=-1))  # a quarter turn clockwise
    angles = np.arange(-6.0, 6.01, 0.5)
    a0, s0 = _best_angle(mask, angles)
    a1, s1 = _best_angle(turned, angles)
    if max(s0, s1) <= 0:
        return 0, 0.0
    upright, base, angle = (mask, 0, a0) if s0 >= s1 else (turned, 90, a1)
    axis_conf = 1.0 - min(s0, s1) / max(s0, s1)
    angle, _ = _best_angle(upright, np.arange(angle - 0.5, angle + 0.51, 0.1))
    vote = _flip_vote(_level(upright, angle))
    rotation = base if vote >= 0 else (base + 180) % 360
    return rotation, round(min(axis_conf, min(1.0, abs(vote) / 0.3)), 3)
