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
from dataclasses import dataclass

import cv2
import numpy as np

from ocr.photo import UNEVEN_LIGHT, find_sheet, flatten_sheet, lighting_spread, remove_shadows
from ocr.stamps import erase_stamps
from ocr.tesseract import osd
from ocr.types import CleanInfo

ANALYSIS_DPI = 150  # orientation and skew are judged at this resolution (lines ~30 px)
PEAK_WEIGHT = 2.0  # weight of the baseline-below-centroid cue in the upside-down vote
SPECK_ROWS_MASS = 0.05  # a run of rows with less ink than this share of the heaviest line's is specks
FULL_EVIDENCE_LINES = 4  # fewer text lines than this scale the orientation confidence down
OSD_BELOW = 0.4  # own orientation confidence under which Tesseract's OSD is consulted
# It is also asked whenever the own measure would turn the page over and its vote is
# short of full (|vote| < 0.3): on tuned seeds 1-3 one upright page was turned over at
# confidence 0.86 (a form whose boxed values and stamp outweighed its lines, vote -0.26),
# losing ten identifiers; OSD, tried on the 81 upright or upside-down pages the own
# measure was not fully sure of, read every one right (0.15 s a page, at 150 dpi).
OSD_MIN_CONF = 0.3  # OSD orientation confidences below this were wrong as often as right
OSD_MIN_CHARACTERS = 20
OSD_TIMEOUT = 10  # seconds


# --------------------------------------------------------------------------- analysis


def _odd(n: float) -> int:
    """Nearest odd integer ≥ 3, as kernel sizes must be."""
    return max(3, int(round(n)) | 1)


def _paper_level(gray: np.ndarray) -> int:
    """The paper's grey level: bright end of a sparse sample, so ink and bands don't count."""
    step = max(1, min(gray.shape) // 300)
    return int(np.percentile(gray[::step, ::step], 95))


def _downscale(gray: np.ndarray, factor: float) -> np.ndarray:
    """Shrink by ``factor`` (< 1) with area averaging, which keeps thin strokes visible."""
    if factor >= 1.0:
        return gray
    h, w = gray.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _ink_mask(small: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0, robust to shading: Otsu on the page divided by its local paper level.

    The paper level is a max-then-median filter on a further 4x reduced copy: cheap, and
    shading varies over centimetres, not pixels.
    """
    tiny = _downscale(small, 0.25)
    k = _odd(min(tiny.shape) / 12)
    paper = cv2.medianBlur(cv2.dilate(tiny, np.ones((k, k), np.uint8)), k)
    paper = cv2.resize(paper, small.shape[::-1], interpolation=cv2.INTER_LINEAR)
    norm = cv2.divide(small, np.maximum(paper, 1), scale=255)
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
    solid = (small_side >= 3 * px_per_mm) & (area >= 0.6 * w * h)  # punch holes, logos
    keep = (
        (area >= max(2.0, 0.15 * px_per_mm**2))
        & (small_side <= 12 * px_per_mm)
        & (big_side <= 60 * px_per_mm)
        & ~solid
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
    scores = np.array([_profile_score(ys, xs, a, mask.shape[0]) for a in angles])
    best = scores.max()
    # Shears under half a pixel across the page tie; the middle of the tie is the estimate.
    return float(angles[scores >= best].mean()), float(best) / len(ys)


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
    # Rows of specks between and below the lines (a noisy bitonal scan's dithered grey)
    # are runs of one or two rows holding a few pixels of ink: more of them than lines
    # on a page with a blank lower half, so the median "line" was a speck row (0.34 mm,
    # and the page was enlarged three times and read as noise).
    mass = [float(profile[a:b].sum()) for a, b in runs]
    runs = [r for r, m in zip(runs, mass, strict=True) if m >= SPECK_ROWS_MASS * max(mass)]
    typical = float(np.median([b - a for a, b in runs]))
    return [(a, b) for a, b in runs if b - a >= 0.3 * typical]


def _flip_vote(mask: np.ndarray) -> tuple[float, int]:
    """Evidence in [-1, 1] that level text lines are upright (> 0), and how many lines gave it.

    Two cues, each true of Persian and of English: more ink above a line's dense core
    band than below it (alef, lam, kaf bars and capitals outweigh the tails below), and
    the densest row (the Persian baseline, the Latin baseline or x-line) lying below the
    line's centre of mass.  Each line votes, weighted by its ink.  One line is weak
    evidence (a heading can be all tails), hence the count.
    """
    profile = mask.sum(axis=1, dtype=np.float64) / 255.0
    lines = [profile[a:b] for a, b in _line_runs(profile)]
    if not lines:
        return 0.0, 0
    votes = [_line_vote(line) for line in lines]
    vote = np.average(votes, weights=[line.sum() for line in lines])
    return float(np.clip(vote, -1.0, 1.0)), len(lines)


def _line_vote(line: np.ndarray) -> float:
    """One line's ``_flip_vote``: half the clipped log ink ratio plus the weighted peak offset."""
    core = np.flatnonzero(line > 0.5 * line.max())
    above, below = line[: core[0]].sum(), line[core[-1] + 1 :].sum()
    ratio = float(np.clip(np.log((above + 1.0) / (below + 1.0)), -2.0, 2.0)) / 2.0
    centroid = float(np.arange(len(line)) @ line) / float(line.sum())
    peak = (int(np.argmax(line)) - centroid) / len(line)
    return ratio + PEAK_WEIGHT * peak


def _merge_letters(mask: np.ndarray) -> np.ndarray:
    """Close 1 mm gaps so letters merge into words but lines stay apart.

    Without it the stems of a few lines of Latin text make the column profile sharper
    than the row profile, and the page is taken to lie on its side.
    """
    k = _odd(ANALYSIS_DPI / 25.4)
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))


def _level(mask: np.ndarray, angle: float) -> np.ndarray:
    """Rotate a small mask so lines at ``angle`` become horizontal (nearest, same canvas)."""
    h, w = mask.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    return cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)


def measure_orientation(gray: np.ndarray, *, dpi: int) -> tuple[int, float]:
    """Orientation from the page's own line structure, without Tesseract (~50 ms on A4)."""
    return _orientation_of(_analysis_mask(gray, dpi))


def _orientation_of(mask: np.ndarray) -> tuple[int, float]:
    """Clockwise turn and 0-1 confidence from an analysis mask."""
    rotation, confidence, _overturned = _orientation_evidence(mask)
    return rotation, confidence


def _orientation_evidence(mask: np.ndarray) -> tuple[int, float, float | None]:
    """Clockwise turn, 0-1 confidence, and, when the turn sets the page upside down from
    how its lines lie, the confidence of that flip alone (else None).

    The axis comes from ``_lay_lines_flat``; then ``_flip_vote`` tells upright from
    upside down on the levelled lines, its confidence scaled down for pages of few lines.
    """
    level, base, axis_conf = _lay_lines_flat(mask)
    vote, lines = _flip_vote(level)
    rotation = base if vote >= 0 else (base + 180) % 360
    flip_conf = min(1.0, abs(vote) / 0.3) * min(1.0, lines / FULL_EVIDENCE_LINES)
    return rotation, round(min(axis_conf, flip_conf), 3), (flip_conf if vote < 0 else None)


def _lay_lines_flat(mask: np.ndarray) -> tuple[np.ndarray, int, float]:
    """The mask turned (0 or 90° clockwise) and levelled so its text lines run flat.

    Lines give a sharp row profile at some small angle, so the axis is whichever of the
    page and its quarter turn profiles sharper; the ratio of the two is the confidence.
    """
    words = _merge_letters(mask)
    angles = np.arange(-6.0, 6.01, 0.5)
    a0, s0 = _best_angle(words, angles)
    a1, s1 = _best_angle(np.ascontiguousarray(np.rot90(words, k=-1)), angles)
    if max(s0, s1) <= 0:
        return mask, 0, 0.0
    turned = np.ascontiguousarray(np.rot90(mask, k=-1))
    upright, base, angle = (mask, 0, a0) if s0 >= s1 else (turned, 90, a1)
    angle, _ = _best_angle(upright, np.arange(angle - 0.5, angle + 0.51, 0.1))
    return _level(upright, angle), base, 1.0 - min(s0, s1) / max(s0, s1)


def detect_orientation(gray: np.ndarray, *, dpi: int, use_osd: bool = True) -> tuple[int, float]:
    """Clockwise turn (0, 90, 180 or 270) that makes the page upright, and a 0-1 confidence.

    The page's own line structure decides (``measure_orientation``); only when it is
    unsure (a few lines of a bold display face, say), or would turn the page over on
    less than a full vote, is Tesseract's OSD asked, on a 150-dpi copy.  OSD failing
    ("Too few characters") or contradicting a clear axis leaves the own answer standing.
    """
    return _orient(gray, _analysis_mask(gray, dpi), dpi=dpi, use_osd=use_osd)


def _orient(gray: np.ndarray, mask: np.ndarray, *, dpi: int, use_osd: bool) -> tuple[int, float]:
    """``detect_orientation`` on an analysis mask already made (``clean`` reuses it)."""
    rotation, confidence, overturned = _orientation_evidence(mask)
    if not use_osd or (confidence >= OSD_BELOW and (overturned is None or overturned >= 1.0)):
        return rotation, confidence
    answer = osd(_downscale(gray, 150 / max(dpi, 1)), dpi=min(dpi, 150), min_characters=OSD_MIN_CHARACTERS, timeout=OSD_TIMEOUT)
    if answer is None:
        return rotation, confidence
    osd_rotation, osd_conf = answer
    if osd_rotation % 180 != rotation % 180 or osd_conf < OSD_MIN_CONF:
        return rotation, confidence
    return osd_rotation, round(max(confidence, min(1.0, osd_conf / 5.0)), 3)


# ---------------------------------------------------------------------------- deskew


def estimate_skew(gray: np.ndarray, *, dpi: int | None = None) -> float:
    """Counter-clockwise angle of the text lines in degrees, within ±6°.

    Projection-profile search, coarse then fine, on the page's text-like ink at
    ``ANALYSIS_DPI`` (from the page size when ``dpi`` is not known): cheap, and blind to
    copier bands and rules, which would otherwise pull the answer to 0.
    """
    if dpi is None:
        dpi = round(max(gray.shape) / (297 / 25.4))
    return _skew_of(_analysis_mask(gray, dpi))


def _skew_of(mask: np.ndarray) -> float:
    """``estimate_skew`` on an analysis mask: 0.5° steps, then 0.1°, then 0.02°."""
    coarse, _ = _best_angle(mask, np.arange(-6.0, 6.01, 0.5))
    mid, _ = _best_angle(mask, np.arange(coarse - 0.5, coarse + 0.51, 0.1))
    fine, _ = _best_angle(mask, np.arange(mid - 0.1, mid + 0.101, 0.02))
    return round(fine, 2)


def deskew(gray: np.ndarray, angle: float) -> np.ndarray:
    """Turn the page by ``-angle`` on a canvas grown to fit, so no text corner is cut off.

    The new corners are filled with the paper's own grey, not pure white, so background
    flattening sees no false edge there.  Bilinear: three times faster than bicubic on
    an A4 page, and Tesseract read our skewed test pages no worse for it.
    """
    if abs(angle) < 0.05:
        return gray
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    new_w, new_h = math.ceil(h * sin + w * cos), math.ceil(h * cos + w * sin)
    m[0, 2] += (new_w - w) / 2
    m[1, 2] += (new_h - h) / 2
    return cv2.warpAffine(
        gray, m, (new_w, new_h), flags=cv2.INTER_LINEAR, borderValue=_paper_level(gray)
    )


def rotate_upright(gray: np.ndarray, degrees: int) -> np.ndarray:
    """Turn the page ``degrees`` clockwise (a multiple of 90): lossless, a transposed copy."""
    if degrees % 90:
        raise ValueError(f"rotate_upright takes multiples of 90 degrees, not {degrees}")
    turns = (degrees % 360) // 90
    return np.ascontiguousarray(np.rot90(gray, k=-turns)) if turns else gray


# ------------------------------------------------------------------ borders and marks


def _touches_edge(stats: np.ndarray, shape: tuple[int, ...], margin: int = 2) -> np.ndarray:
    """Which components' boxes reach within ``margin`` pixels of the image edge."""
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    return (
        (x <= margin) | (y <= margin) | (x + w >= shape[1] - margin) | (y + h >= shape[0] - margin)
    )


def _edge_bands(dark: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Copier bands: dark regions on the edge that are solid (survive a 1.5 mm opening) or long.

    Only dark pixels within 2 mm of a band's solid core join it, so text near a band
    keeps its letters while the band's ragged fringe goes.
    """
    solid = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((_odd(1.5 * px_per_mm),) * 2, np.uint8))
    h, w = dark.shape
    bands = np.zeros_like(dark)
    for source, long_share, max_thickness in ((solid, 0.1, None), (dark, 0.25, 3.0)):
        n, labels, stats, _ = cv2.connectedComponentsWithStats(source, connectivity=8)
        cw, ch = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
        long = (cw >= long_share * w) | (ch >= long_share * h)
        if max_thickness is not None:
            long &= np.minimum(cw, ch) <= max_thickness * px_per_mm
        else:
            long |= stats[:, cv2.CC_STAT_AREA] >= (10 * px_per_mm) ** 2
        keep = long & _touches_edge(stats, dark.shape)
        keep[0] = False
        bands[keep[labels]] = 255
    if not bands.any():
        return bands
    near = cv2.dilate(bands, np.ones((_odd(4 * px_per_mm),) * 2, np.uint8))
    grown = cv2.dilate(bands, np.ones((_odd(1.5 * px_per_mm),) * 2, np.uint8))
    return grown | (dark & near)


def _punch_holes(dark: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Filled dark discs 4-10 mm across within 30 mm of an edge: where binder holes were."""
    solid = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((_odd(1.5 * px_per_mm),) * 2, np.uint8))
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(solid, connectivity=8)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    fill = stats[:, cv2.CC_STAT_AREA] / np.maximum(w * h, 1)
    cx, cy = centroids[:, 0], centroids[:, 1]
    edge = 30 * px_per_mm
    near_edge = (
        (cx < edge) | (cy < edge) | (cx > dark.shape[1] - edge) | (cy > dark.shape[0] - edge)
    )
    round_ = (np.abs(w - h) <= 0.25 * np.maximum(w, h)) & (fill > 0.6) & (fill < 0.95)
    sized = (np.minimum(w, h) >= 4 * px_per_mm) & (np.maximum(w, h) <= 10 * px_per_mm)
    keep = near_edge & round_ & sized
    keep[0] = False
    holes = np.where(keep[labels], np.uint8(255), np.uint8(0))
    return cv2.dilate(holes, np.ones((_odd(px_per_mm),) * 2, np.uint8)) if keep.any() else holes


def remove_borders(gray: np.ndarray, *, dpi: int = 300, specks: bool = True) -> np.ndarray:
    """Paint copier bands, punch holes and (with ``specks``) toner dust with the paper's grey.

    They are found on a 75-dpi copy (a band is metres of pixels at 300 dpi) and only
    their pixels change, so text elsewhere is untouched.
    """
    factor = min(1.0, 75 / max(dpi, 1))
    small = _downscale(gray, factor)
    px_per_mm = dpi * factor / 25.4
    dark = np.where(small < 0.5 * _paper_level(small), np.uint8(255), np.uint8(0))
    marks = _edge_bands(dark, px_per_mm) | _punch_holes(dark, px_per_mm)
    out = gray
    if marks.any():
        full = cv2.resize(marks, gray.shape[::-1], interpolation=cv2.INTER_NEAREST) > 0
        fill = cv2.resize(_paper_around(small, marks, px_per_mm), gray.shape[::-1])
        out = gray.copy()
        out[full] = fill[full]
    return despeckle(out, dpi=dpi) if specks else out


RULE_MIN_MM = 25.0  # a horizontal run of ink this long is a table rule: no word is
RULE_MIN_MM_VERTICAL = 8.0  # a vertical one this tall (a 14-pt alef is about 4 mm)
# A table has at least two vertical rules this tall, off the page edge, side by side (their
# spans overlap by FRAME_OVERLAP of the shorter): an inspection report's four-row table of
# small print is 30 mm tall, its two-row register 12 mm (40 mm found no inspection table).
FRAME_MIN_MM = 20.0
FRAME_OVERLAP = 0.8


def _rule_mask(ink: np.ndarray, px_per_mm: float, *, vertical: bool) -> np.ndarray:
    """Straight rules in an ink mask: what survives an opening by a long thin line.

    Vertical rules are closed over 1.5 mm gaps first (noise breaks them and their
    pieces would be read as ``۱``); horizontal ones are not, as closing would join the
    letters of a text line into a rule.
    """
    if vertical:
        ink = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((max(3, round(1.5 * px_per_mm)), 1), np.uint8))
        kernel = np.ones((max(15, round(RULE_MIN_MM_VERTICAL * px_per_mm)), 1), np.uint8)
    else:
        kernel = np.ones((1, max(15, round(RULE_MIN_MM * px_per_mm))), np.uint8)
    return cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)


def table_rules(gray: np.ndarray, *, dpi: int = 300) -> np.ndarray | None:
    """The rules of a form's table as a mask (255 on and just around each rule).

    None unless the page has a table frame (two vertical rules over 20 mm side by side,
    away from the page edges, and three horizontal ones): a letter's header rule, a
    stamp's ring and a copier band are not tables.
    """
    px_per_mm = dpi / 25.4
    step = max(1, min(gray.shape) // 300)
    level, _ = cv2.threshold(np.ascontiguousarray(gray[::step, ::step]), 0, 255, cv2.THRESH_OTSU)
    ink = np.where(gray <= level, np.uint8(255), np.uint8(0))
    vertical = _rule_mask(ink, px_per_mm, vertical=True)
    _, _, stats, _ = cv2.connectedComponentsWithStats(vertical)
    edge = 5 * px_per_mm
    frames = [
        (y, y + h)
        for x, y, w, h, _area in stats[1:].tolist()
        if h >= FRAME_MIN_MM * px_per_mm and x > edge and x + w < gray.shape[1] - edge
    ]
    if not _side_by_side(frames):
        return None
    horizontal = _rule_mask(ink, px_per_mm, vertical=False)
    if cv2.connectedComponents(horizontal)[0] - 1 < 3:
        return None
    return cv2.dilate(horizontal | vertical, np.ones((5, 5), np.uint8))


def _side_by_side(spans: list[tuple[int, int]]) -> bool:
    """Whether two of these vertical spans (top, bottom) run beside each other: the two
    sides of one table's frame."""
    for i, (a0, a1) in enumerate(spans):
        for b0, b1 in spans[i + 1 :]:
            if min(a1, b1) - max(a0, b0) >= FRAME_OVERLAP * min(a1 - a0, b1 - b0):
                return True
    return False


def remove_rules(gray: np.ndarray, *, dpi: int = 300, rules: np.ndarray | None = None) -> np.ndarray:
    """Paint out the rules of a form's table (`table_rules`, or the mask given), keeping
    the text in its cells; a page without a table comes back as it is.

    Used to find and read what the first reading missed in table cells; removing rules
    before the first reading was tried and read no better overall (it helped some forms
    and hurt others).
    """
    if rules is None:
        rules = table_rules(gray, dpi=dpi)
    if rules is None:
        return gray
    out = gray.copy()
    out[rules > 0] = 255
    return out


def _paper_around(small: np.ndarray, marks: np.ndarray, px_per_mm: float) -> np.ndarray:
    """The paper's grey next to each mark, so a painted-over band on shaded paper blends in."""
    k = _odd(25 * px_per_mm)  # wider than any band, so its middle sees paper
    paper = cv2.dilate(np.where(marks > 0, np.uint8(0), small), np.ones((k, k), np.uint8))
    return cv2.medianBlur(paper, _odd(k / 2))


def despeckle(
    gray: np.ndarray,
    *,
    dpi: int = 300,
    max_area_mm2: float = 0.08,
    isolation_mm: float = 1.0,
    field_keep_mm: tuple[float, float] = (0.6, 2.4),
) -> np.ndarray:
    """Remove dark specks under ``max_area_mm2`` that have no other ink within ``isolation_mm``.

    A pixel goes when the whole square around it holds no more ink than one speck; the
    isolation is what keeps Persian dots (nuqta) and full stops, which are the size of
    toner dust but always sit next to their letter.  One box filter, no labelling.

    Dust too dense for that (a bitonal copy of a copy, whose grey paper came out as a
    field of dots: no speck is alone in its square) is cleared by `_speck_field`, which
    keeps a speck only where a larger mark lies within ``field_keep_mm`` (sideways, up or
    down) of it.
    """
    paper = _paper_level(gray)
    step = max(1, min(gray.shape) // 300)
    level, _ = cv2.threshold(np.ascontiguousarray(gray[::step, ::step]), 0, 255, cv2.THRESH_OTSU)
    # <=: on a two-level (bitonal) page Otsu's level is the ink's own, 0
    ink = (gray <= min(level, 0.75 * paper)).astype(np.uint8)
    side = _odd(2 * isolation_mm * dpi / 25.4)
    count = cv2.boxFilter(ink, cv2.CV_32F, (side, side), normalize=False)
    speck = max_area_mm2 * (dpi / 25.4) ** 2
    specks = (ink > 0) & (count <= speck)
    # a field of dust first shows as ink with only a few specks' worth in its square
    # (10.5 specks a cm² on the one such tuned page, 0.54 at most on the others of seed 1),
    # counted in specks of one size whatever the recipe removes
    probe = FIELD_PROBE_MM2 * (dpi / 25.4) ** 2
    crowded = np.count_nonzero((count > probe) & (count <= 4 * probe) & (ink > 0)) / probe
    if crowded >= SPECK_FIELD_PER_CM2 * ink.size / (dpi / 2.54) ** 2:
        field = _speck_field(ink, dpi, field_keep_mm)
        if field is not None:
            specks |= field
    if not specks.any():
        return gray
    out = gray.copy()
    out[specks] = paper
    return out


# A page is a field of dust when, far from every letter-sized mark, more than this many
# specks lie on each cm² of paper. On tuned seed 1 (30 pages) the one such page, a
# bitonal second-generation copy, had 10.6 a cm² (Tesseract read it at CER 0.80); every
# other page of tuned seeds 1 and 2 and of the bench set (seed 3, 60 pages) 1.7 or fewer.
SPECK_FIELD_PER_CM2 = 4.0
FIELD_SPECK_MM2 = 0.25  # dust of such a field is up to this big (a 12-pt nuqta ~0.2)
FIELD_FAR_MM = 1.0  # a speck this far from any larger mark counts towards the field
FIELD_PROBE_MM2 = 0.08  # the speck size the first, cheap look for a field counts in
FIELD_CLUSTER_MM = 0.6  # a speck this near a kept one is a dot of the same letter


def _speck_field(ink: np.ndarray, dpi: int, keep_mm: tuple[float, float]) -> np.ndarray | None:
    """The specks of a page covered in dust, or None on any other page: every mark up to
    `FIELD_SPECK_MM2` with no larger mark within ``keep_mm`` (sideways, up or down) of
    its centre. A page with no field of dust keeps them all."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    px_mm = dpi / 25.4
    small = stats[:, cv2.CC_STAT_AREA] <= FIELD_SPECK_MM2 * px_mm**2
    small[0] = False
    ids = np.flatnonzero(small)
    cm2 = ink.size / (dpi / 2.54) ** 2
    if len(ids) < SPECK_FIELD_PER_CM2 * cm2:
        return None  # too few small marks to be a field, wherever they lie
    large = ((~small)[labels] & (labels > 0)).astype(np.uint8)
    cx = stats[ids, cv2.CC_STAT_LEFT] + stats[ids, cv2.CC_STAT_WIDTH] // 2
    cy = stats[ids, cv2.CC_STAT_TOP] + stats[ids, cv2.CC_STAT_HEIGHT] // 2
    k = _odd(2 * FIELD_FAR_MM * px_mm)
    far = cv2.dilate(large, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))[cy, cx] == 0
    if int(far.sum()) < SPECK_FIELD_PER_CM2 * cm2:
        return None
    side, up = keep_mm
    near = cv2.dilate(large, np.ones((_odd(2 * up * px_mm), _odd(2 * side * px_mm)), np.uint8))
    # a speck goes whole or not at all, judged at its centre; one beside a kept speck is
    # kept with it (the outer dot of the three over ش, off to the side of its teeth)
    kept = near[cy, cx] > 0
    if kept.any() and not kept.all():
        k = _odd(2 * FIELD_CLUSTER_MM * px_mm)
        beside = np.zeros(n, bool)
        beside[ids[kept]] = True
        grown = cv2.dilate(beside[labels].astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        kept |= grown[cy, cx] > 0
    gone = np.zeros(n, bool)
    gone[ids] = ~kept
    return gone[labels]


# ------------------------------------------------------------ background and contrast


def flatten_background(gray: np.ndarray, *, dpi: int = 300) -> np.ndarray:
    """Divide the page by its own paper: uneven lighting and yellowing become flat white.

    The paper is estimated on a ~25-dpi copy by a 6 mm maximum filter (which wipes out
    letters) smoothed by a median; faded ink is then stretched back towards black.
    """
    factor = min(1.0, 25 / max(dpi, 1))
    small = _downscale(gray, factor)
    k = _odd(6 * dpi * factor / 25.4)
    paper = cv2.medianBlur(cv2.dilate(small, np.ones((k, k), np.uint8)), _odd(k * 1.5))
    paper = cv2.resize(paper, gray.shape[::-1], interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(gray, np.maximum(paper, 1), scale=255)
    return _stretch_ink(flat)


def _stretch_ink(flat: np.ndarray) -> np.ndarray:
    """Map the darkest ink (0.5th percentile of a sample) to black when it has faded to grey."""
    step = max(1, min(flat.shape) // 400)
    darkest = float(np.percentile(flat[::step, ::step], 0.5))
    if darkest < 40 or darkest > 200:  # already black, or a blank page: leave it be
        return flat
    lut = np.clip((np.arange(256) - darkest) * 255.0 / (255.0 - darkest), 0, 255)
    return cv2.LUT(flat, lut.astype(np.uint8))


def binarize(
    gray: np.ndarray, method: str = "sauvola", *, dpi: int = 300, k: float = 0.2
) -> np.ndarray:
    """Black ink on white paper (0/255) by ``sauvola``, ``otsu`` or ``adaptive`` thresholds.

    Sauvola is written with box filters, as ``cv2.ximgproc`` is not in the headless
    OpenCV wheels; its window is ~3.5 mm, a few letter heights.
    """
    window = _odd(3.5 * dpi / 25.4)
    if method == "otsu":
        _, out = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        return out
    if method == "adaptive":
        return cv2.adaptiveThreshold(
            gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, window, 10
        )
    if method != "sauvola":
        raise ValueError(f"unknown binarization method {method!r}")
    g = gray.astype(np.float32)
    mean = cv2.boxFilter(g, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REFLECT)
    sq = cv2.boxFilter(g * g, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REFLECT)
    std = np.sqrt(np.maximum(sq - mean * mean, 0))
    threshold = mean * (1.0 + k * (std / 128.0 - 1.0))
    return np.where(g > threshold, np.uint8(255), np.uint8(0))


# ------------------------------------------------------------------------ resolution

# (short, long) sides in mm of the papers planning dossiers were printed on, the most
# common first: a page of unknown resolution is taken for the first that fits.
PAPER_SIZES_MM = {
    "A4": (210.0, 297.0),
    "Letter": (215.9, 279.4),
    "A5": (148.0, 210.0),
    "A3": (297.0, 420.0),
    "Legal": (215.9, 355.6),
}
SCANNER_DPIS = (100, 150, 200, 240, 300, 400, 600)
# Ink height of typed lines, 10-16 pt Persian or English; a paper reading that puts the
# lines outside this range is passed over for the next paper of the same shape.
LINE_MM = (2.2, 6.5)
UNTRUSTED_DPIS = (0, 1, 72, 96)  # what software writes when it does not know


def estimate_dpi(gray: np.ndarray, stated_dpi: int | None) -> tuple[int, bool]:
    """The page's resolution and whether it was estimated (rather than taken as stated).

    A stated dpi is kept when it gives a plausible paper size (72 and 96, the defaults
    of software that does not know, only when they give a standard size). Otherwise
    the page is matched to a standard paper by its proportions (A4 first; A5 or A3 when
    A4 would make its text lines implausibly small or large), and snapped to a scanner
    setting.  Taking an A5 page for A4 only enlarges its text, which Tesseract minds
    far less than text made too small.
    """
    short_px, long_px = sorted(gray.shape)
    if stated_dpi and _plausible(short_px, long_px, stated_dpi):
        return int(stated_dpi), False
    candidates = [
        short_px / mm[0] * 25.4
        for mm in PAPER_SIZES_MM.values()  # most common first, so A4 wins a tie
        if abs((long_px / short_px) / (mm[1] / mm[0]) - 1) < 0.06
    ] or [short_px / PAPER_SIZES_MM["A4"][0] * 25.4]
    if len(candidates) > 1:
        line_px = _line_height_px(gray, candidates[0])
        lo, hi = LINE_MM
        fits = [c for c in candidates if line_px and lo <= line_px / c * 25.4 <= hi]
        candidates = fits or candidates
    dpi = candidates[0]
    snapped = min(SCANNER_DPIS, key=lambda s: abs(s - dpi))
    return (snapped if abs(snapped - dpi) <= 0.04 * dpi else round(dpi)), True


def _plausible(short_px: int, long_px: int, dpi: int) -> bool:
    """Whether ``dpi`` makes the page a paper that exists (A6 to A3, with slack)."""
    short_mm, long_mm = short_px / dpi * 25.4, long_px / dpi * 25.4
    if dpi in UNTRUSTED_DPIS:  # believed only for an office paper, to within 4%
        return any(
            abs(short_mm / PAPER_SIZES_MM[p][0] - 1) < 0.04
            and abs(long_mm / PAPER_SIZES_MM[p][1] - 1) < 0.04
            for p in ("A4", "Letter", "A5")
        )
    return 90 <= short_mm <= 330 and 120 <= long_mm <= 460


def _line_height_px(gray: np.ndarray, guess_dpi: float) -> float | None:
    """Median height in pixels of the page's text lines, whichever way they run."""
    level, _, _ = _lay_lines_flat(_analysis_mask(gray, round(guess_dpi)))
    runs = _line_runs(level.sum(axis=1, dtype=np.float64) / 255.0)
    if len(runs) < 2:
        return None
    return float(np.median([b - a for a, b in runs])) / min(1.0, ANALYSIS_DPI / guess_dpi)


def rescale(gray: np.ndarray, from_dpi: int, to_dpi: int = 300) -> np.ndarray:
    """Bring the page to ``to_dpi``, the resolution Tesseract's models read best.

    Enlarging uses Lanczos (cubic read the same in our tests), shrinking area averaging.
    """
    if from_dpi <= 0 or from_dpi == to_dpi:
        return gray
    f = to_dpi / from_dpi
    size = (round(gray.shape[1] * f), round(gray.shape[0] * f))
    method = cv2.INTER_LANCZOS4 if f > 1 else cv2.INTER_AREA
    return cv2.resize(gray, size, interpolation=method)


# --------------------------------------------------------------------------- recipes


@dataclass(frozen=True, slots=True)
class Recipe:
    """How hard to clean; the pipeline tries ``standard`` first and ``strong`` on weak pages."""

    name: str
    median: bool = False  # a 3x3 median against copier grain; costs thin strokes on clean pages
    binarize: str | None = None  # None leaves grey levels to Tesseract's own Otsu
    speck_mm2: float = 0.08  # largest isolated speck removed (a 9-pt Persian zero is 0.13)
    # On a page covered in dust (ocr.clean._speck_field) a speck is kept only where a
    # larger mark lies this near (sideways, up or down): a letter's dots sit over or under
    # its body, up to a millimetre off at 12 pt, and a ۰ beside the digits of its number.
    # The second recipe keeps only what touches a letter: it costs the dots of some
    # typefaces, and the dust around the letters is what Tesseract misread on the one
    # such tuned page (mean confidence 48 keeping those dots, 68 with this).
    field_keep_mm: tuple[float, float] = (0.6, 2.4)
    upscale_below: int = 140  # pages under this dpi are enlarged to ``target_dpi``
    downscale_above: int = 360  # pages over this dpi are reduced to ``target_dpi``
    target_dpi: int = 300


# Chosen by Tesseract 5.3 fas+eng word recall on rendered, damaged A5 pages (Persian):
# grey output beat Sauvola and Otsu (0.88 vs 0.83 on mildly damaged pages); enlarging
# 150-dpi pages to 300 or 400 dpi did not help (0.88 kept, 0.85 and 0.83 enlarged) while
# 100-dpi pages gained (0.82 -> 0.88); a 3x3 median lifted noisy pages (0.74 -> 0.88)
# but cost a little on clean ones (0.88 -> 0.87), so it waits for the second pass.
RECIPES = {
    r.name: r
    for r in (
        Recipe("standard"),
        Recipe("strong", median=True, speck_mm2=0.12, field_keep_mm=(0.3, 0.3)),
        Recipe("binary", median=True, binarize="sauvola"),  # bitonal, for compact storage
    )
}


# "sheet", "shadows" (ocr.photo) act on photographs only; "enlarge" (small text made
# bigger) is done by ocr.page at the resolution the page is read at.
CLEAN_STEPS = (
    "sheet", "shadows", "orient", "deskew", "borders", "rescale", "flatten", "despeckle", "stamps", "enlarge"
)


def clean(
    gray: np.ndarray,
    *,
    stated_dpi: int | None,
    recipe: str = "standard",
    use_osd: bool = True,
    skip: tuple[str, ...] = (),
) -> tuple[np.ndarray, CleanInfo]:
    """Turn a scanned page into the image Tesseract should read, and say what was done.

    Order matters: the page is turned upright before anything measures lines, bands are
    painted out before the background is estimated (it would take them for shadow), and
    thresholds come last, on the flattened page at its final resolution.  ``skip`` names
    steps of ``CLEAN_STEPS`` to leave out, for ablation benchmarks.
    """
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; known: {', '.join(RECIPES)}")
    unknown = set(skip) - set(CLEAN_STEPS)
    if unknown:
        raise ValueError(f"unknown cleaning steps {sorted(unknown)}; known: {', '.join(CLEAN_STEPS)}")
    r = RECIPES[recipe]
    gray, photo_steps = _photograph_flattened(gray, skip=skip)
    if photo_steps:
        stated_dpi = None  # a picture's dpi says nothing about the sheet in it
    dpi, estimated = estimate_dpi(gray, stated_dpi)
    if "shadows" not in skip and (photo_steps or lighting_spread(gray, dpi=dpi) < UNEVEN_LIGHT):
        gray = remove_shadows(gray, dpi=dpi)
        photo_steps.append("shadows")
    mask = _analysis_mask(gray, dpi)  # measured once, for orientation and skew
    rotation = 0 if "orient" in skip else _orient(gray, mask, dpi=dpi, use_osd=use_osd)[0]
    angle = 0.0 if "deskew" in skip else _skew_of(rotate_upright(mask, rotation))
    line_mm = None if "enlarge" in skip else _line_mm(mask, rotation, angle, dpi)
    page = rotate_upright(gray, rotation)
    steps = [*photo_steps, f"rotate {rotation}"]
    if "borders" not in skip:
        page = remove_borders(page, dpi=dpi, specks=False)
        steps.append("borders")
    page = deskew(page, angle)
    steps.append(f"deskew {angle:+.2f}")
    out_dpi = dpi if "rescale" in skip else _working_dpi(dpi, r)
    if out_dpi != dpi:
        page = rescale(page, dpi, out_dpi)
        steps.append(f"rescale {dpi}->{out_dpi}")
    if "flatten" not in skip:
        page = flatten_background(page, dpi=out_dpi)
        steps.append("flatten")
    if r.median:
        page = cv2.medianBlur(page, 3)
        steps.append("median 3")
    if r.binarize:
        page = binarize(page, r.binarize, dpi=out_dpi)
        steps.append(f"binarize {r.binarize}")
    if "despeckle" not in skip:
        page = despeckle(page, dpi=out_dpi, max_area_mm2=r.speck_mm2, field_keep_mm=r.field_keep_mm)
        steps.append("despeckle")
    if "stamps" not in skip:  # last: `ocr.page` keeps the page before it to show and store
        page, stamps = erase_stamps(page, dpi=out_dpi)
        if stamps:
            steps.append(f"stamps {stamps}")
    info = CleanInfo(
        rotation=rotation,
        skew=angle,
        dpi=out_dpi,
        source_dpi=stated_dpi,
        dpi_estimated=estimated,
        recipe=r.name,
        steps=tuple(steps),
        line_mm=line_mm,
    )
    return page, info


def _photograph_flattened(gray: np.ndarray, *, skip: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """A photographed sheet cut out of its picture and laid flat (ocr.photo); a scan as it is."""
    if "sheet" in skip:
        return gray, []
    sheet = find_sheet(gray)
    if sheet is None:
        return gray, []
    return flatten_sheet(gray, sheet), [f"sheet {sheet.contrast:.2f}"]


def _line_mm(mask: np.ndarray, rotation: int, angle: float, dpi: int) -> float | None:
    """Median height in mm of the text lines of an analysis mask, once upright and level
    (None with fewer than two lines): what ocr.page judges small text by."""
    level = _level(rotate_upright(mask, rotation), angle)
    runs = _line_runs(level.sum(axis=1, dtype=np.float64) / 255.0)
    if len(runs) < 2:
        return None
    return round(float(np.median([b - a for a, b in runs])) / (min(dpi, ANALYSIS_DPI) / 25.4), 2)


def _working_dpi(dpi: int, recipe: Recipe) -> int:
    """The resolution a page is cleaned and read at: its own, unless far from the target."""
    if dpi < recipe.upscale_below or dpi > recipe.downscale_above:
        return recipe.target_dpi
    return dpi
