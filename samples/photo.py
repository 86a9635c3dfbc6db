"""What a phone did to a printed page: a picture of the sheet lying on a desk.

Archivists and planners photograph pages the scanner never saw (a dossier lent for a
day, a page pinned to a wall). A phone picture differs from a scan in ways the
scanner model (`samples/scanner.py`) has no notion of: the sheet is a quadrilateral on
a textured background seen at an angle, lit unevenly with a shadow across it (the
photographer's hand or the phone itself), slightly out of focus, grainy, JPEG-compressed,
and at a lower resolution than a 300-dpi scan. Everything is drawn from a seeded
generator, and the page's corners in the picture are returned, so a test can check the
perspective correction against the homography that made the picture.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Shot:
    """A photograph of a page and how it was taken."""

    image: Image.Image
    corners: np.ndarray  # the page's top-left, top-right, bottom-right, bottom-left in the picture
    settings: dict[str, float] = field(default_factory=dict)


def photograph(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A phone picture of the page (``take_photo`` without the record of how)."""
    return take_photo(image, rng).image


def take_photo(
    image: Image.Image,
    rng: np.random.Generator,
    *,
    long_side: int | None = None,
    tilt: float | None = None,
    shadow: float | None = None,
    blur: float | None = None,
) -> Shot:
    """Photograph a clean upright page (any size, RGB or grey) as a phone would.

    The keyword arguments fix one setting instead of drawing it (tests use them to make
    one condition strong and the others mild).
    """
    page = np.asarray(image.convert("RGB"), dtype=np.uint8)
    long_side = int(long_side if long_side is not None else rng.integers(1500, 2300))
    out_h, out_w = long_side, round(long_side * 0.75)  # a 4:3 sensor held upright
    corners = _page_corners(page.shape[:2], (out_h, out_w), rng, tilt)
    picture = _lay_on_desk(page, corners, (out_h, out_w), rng)
    light = float(rng.uniform(0.15, 0.4))
    shadow = float(shadow if shadow is not None else rng.uniform(0.3, 0.55))
    picture = picture * _lighting((out_h, out_w), rng, light, shadow)[..., None]
    blur = float(blur if blur is not None else rng.uniform(0.5, 1.1))
    picture = cv2.GaussianBlur(picture, (0, 0), blur)
    noise = float(rng.uniform(2.0, 5.0))
    picture = picture + rng.normal(0, noise, picture.shape).astype(np.float32)
    quality = int(rng.integers(65, 90))
    photo = _jpeg(Image.fromarray(np.clip(picture, 0, 255).round().astype(np.uint8)), quality)
    settings = {"long_side": long_side, "light": light, "shadow": shadow, "blur": blur,
                "noise": noise, "jpeg_quality": quality}
    return Shot(photo, corners, settings)


def _page_corners(
    page_hw: tuple[int, ...], out_hw: tuple[int, int], rng: np.random.Generator, tilt: float | None
) -> np.ndarray:
    """Where the sheet's corners fall: centred, filling most of the frame, seen at an angle.

    The camera leans towards the top of the page, so the top edge is the shorter one;
    the sheet lies turned a few degrees on the desk and every corner moves a little.
    """
    out_h, out_w = out_hw
    aspect = page_hw[1] / page_hw[0]
    height = out_h * rng.uniform(0.74, 0.86)
    width = min(height * aspect, out_w * 0.92)
    height = width / aspect
    tilt = float(tilt if tilt is not None else rng.uniform(0.03, 0.12))  # share the top edge shrinks
    half_w, half_h = width / 2, height / 2
    box = np.array(
        [[-half_w * (1 - tilt), -half_h], [half_w * (1 - tilt), -half_h], [half_w, half_h], [-half_w, half_h]]
    )
    box += rng.normal(0, 0.012 * width, box.shape)
    turn = np.radians(rng.uniform(-6, 6))
    rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    centre = np.array([out_w / 2, out_h / 2]) + rng.normal(0, 0.015 * out_h, 2)
    return (box @ rot.T + centre).astype(np.float32)


def _lay_on_desk(
    page: np.ndarray, corners: np.ndarray, out_hw: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """The page warped onto a wood or grey desk, as float RGB."""
    out_h, out_w = out_hw
    h, w = page.shape[:2]
    scale = max(np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[3])) / w
    if scale < 1:  # shrink first: a perspective warp of a large page aliases thin strokes
        page = cv2.resize(page, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        h, w = page.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, corners)
    warped = cv2.warpPerspective(page, m, (out_w, out_h), flags=cv2.INTER_LINEAR).astype(np.float32)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), m, (out_w, out_h), flags=cv2.INTER_LINEAR)
    desk = _desk(out_hw, rng)
    return warped * mask[..., None] + desk * (1 - mask[..., None])


def _desk(out_hw: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A desk: wood (brown, with grain along one axis) or a grey laminate, never white."""
    out_h, out_w = out_hw
    if rng.random() < 0.6:
        colour = np.array([rng.uniform(100, 150), rng.uniform(65, 100), rng.uniform(40, 70)])
        streaks = rng.normal(0, 1, (out_h // 8 + 1, 1)).astype(np.float32)
        grain = cv2.GaussianBlur(streaks, (1, 0), 2).repeat(8, 0)[:out_h]
        texture = 1 + 0.08 * np.repeat(grain, out_w, axis=1)
    else:
        colour = np.full(3, rng.uniform(70, 130))
        texture = np.ones((out_h, out_w), np.float32)
    blotch = cv2.resize(rng.normal(0, 1, (8, 6)).astype(np.float32), (out_w, out_h), interpolation=cv2.INTER_CUBIC)
    return (colour[None, None, :] * (texture * (1 + 0.05 * blotch))[..., None]).astype(np.float32)


def _lighting(out_hw: tuple[int, int], rng: np.random.Generator, light: float, shadow: float) -> np.ndarray:
    """A gain per pixel: a lamp lighting one side more, and a soft shadow over part of the page.

    The shadow is a half-plane (the edge of the photographer's arm or of the phone) with
    a penumbra of a few millimetres, darkening by ``shadow`` where it is full.
    """
    out_h, out_w = out_hw
    ys, xs = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (xs / out_w - 0.5) * np.cos(angle) + (ys / out_h - 0.5) * np.sin(angle) + 0.5
    gain = 1 - light * np.clip(ramp, 0, 1) ** 1.5
    edge_angle = rng.uniform(0, 2 * np.pi)
    nx, ny = np.cos(edge_angle), np.sin(edge_angle)
    offset = rng.uniform(0.15, 0.4) * min(out_h, out_w)  # the shadow covers one side of the page
    distance = (xs - out_w / 2) * nx + (ys - out_h / 2) * ny - offset
    penumbra = rng.uniform(0.01, 0.04) * out_h
    inside = 1 / (1 + np.exp(-distance / max(penumbra / 4, 1.0)))
    return (gain * (1 - shadow * inside)).astype(np.float32)


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    """The phone's own JPEG compression."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.copy()
