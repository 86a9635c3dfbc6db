"""What an old office scanner or photocopier did to a clean page.

Every step is driven by a recorded ``Degradation`` and a seeded generator, so the
ground truth can say exactly what happened to each page.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from samples.render import PAGE_SIZE, RENDER_DPI

FALSE_DPIS = (72, 96)


@dataclass(frozen=True)
class Degradation:
    """One page's scanning history, as written to the ground truth.

    ``rotation`` is how far (degrees, counter-clockwise) the sheet lies turned in the
    file, so turning the image clockwise by it makes the page upright; ``skew`` is a
    further small counter-clockwise tilt. ``file_dpi`` is what the file's metadata
    claims (``None`` when it claims nothing); ``dpi`` is the true pixel density.
    """

    rotation: int = 0
    skew: float = 0.0
    dpi: int = 300
    file_dpi: int | None = 300
    bitonal: bool = False
    mode: str = "L"
    noise: float = 0.0
    specks: float = 0.0
    blur: float = 0.0
    lighting: float = 0.0
    yellowed: bool = False
    border: str | None = None
    punch_holes: int = 0
    jpeg_quality: int | None = None
    stamp: bool = False
    signature: bool = False
    fax: bool = False          # sent by fax: 98 lines an inch, bitonal, streaks (wide preset)
    carbon: bool = False       # a carbon copy: faint, blurred, bluish ink with a ghost
    generations: int = 0       # photocopies of photocopies: 0 for the scan of the original

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def scan(page: Image.Image, d: Degradation, rng: np.random.Generator, *,
         jpeg_roundtrip: bool = False) -> Image.Image:
    """Degrade a clean 300-dpi RGB page into what the archive's file holds."""
    if d.carbon:
        page = _carbon(page, rng)
    for _ in range(d.generations):
        page = _photocopy(page, rng)
    image = page if d.mode == "RGB" else page.convert("L")
    pixels = np.asarray(image, dtype=np.float32)
    pixels = _age_paper(pixels, d, rng)
    image = _to_image(pixels)
    if d.punch_holes:
        _punch(image, d.punch_holes, rng)
    if d.skew:
        white = (255,) * len(image.getbands())
        image = image.rotate(d.skew, resample=Image.Resampling.BICUBIC,
                             fillcolor=white if len(white) > 1 else 255)
    if d.border:
        _photocopy_band(image, d.border, rng)
    if d.blur:
        image = image.filter(ImageFilter.GaussianBlur(d.blur))
    if d.dpi != RENDER_DPI:
        size = (round(PAGE_SIZE[0] * d.dpi / RENDER_DPI), round(PAGE_SIZE[1] * d.dpi / RENDER_DPI))
        image = image.resize(size, Image.Resampling.LANCZOS)
    if d.fax:
        image = _fax(image, d.dpi, rng)
    image = _sensor_noise(image, d, rng)
    if jpeg_roundtrip and d.jpeg_quality and not d.bitonal:
        image = _jpeg_roundtrip(image, d.jpeg_quality)
    if d.rotation:
        image = image.transpose({90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
                                 270: Image.Transpose.ROTATE_270}[d.rotation])
    return image


def _age_paper(pixels: np.ndarray, d: Degradation, rng: np.random.Generator) -> np.ndarray:
    """Yellowed stock and a lamp that lit one side of the glass more than the other."""
    h, w = pixels.shape[:2]
    if d.yellowed:
        tint = np.array([1.0, 0.955, 0.84], dtype=np.float32)
        pixels = pixels * (tint if pixels.ndim == 3 else np.float32(0.95))
    if d.lighting:
        angle = rng.uniform(0, 2 * np.pi)
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        ramp = (xs / w - 0.5) * np.cos(angle) + (ys / h - 0.5) * np.sin(angle) + 0.5
        shade = 1 - d.lighting * np.clip(ramp, 0, 1) ** 2
        pixels = pixels * (shade[..., None] if pixels.ndim == 3 else shade)
    return pixels


def _punch(image: Image.Image, count: int, rng: np.random.Generator) -> None:
    """Binder holes on the binding edge show as dark discs against the scanner lid."""
    draw = ImageDraw.Draw(image)
    x = 95 if rng.random() < 0.5 else PAGE_SIZE[0] - 95
    dark = (35,) * len(image.getbands())
    centre = PAGE_SIZE[1] / 2 + rng.uniform(-60, 60)
    spacing = 945  # 80 mm at 300 dpi, the standard two-hole punch
    for k in range(count):
        y = centre + (k - (count - 1) / 2) * spacing
        r = 37
        draw.ellipse((x - r, y - r, x + r, y + r), fill=dark if len(dark) > 1 else dark[0])


def _photocopy_band(image: Image.Image, edge: str, rng: np.random.Generator) -> None:
    """The dark strip a photocopier leaves where the sheet did not reach the glass edge."""
    w, h = image.size
    length = h if edge in ("left", "right") else w
    depth = rng.uniform(20, 80)  # stays in the margin, so the band hides no print
    wobble = np.cumsum(rng.normal(0, 1.2, length))
    wobble = np.convolve(wobble - wobble.mean(), np.ones(31) / 31, mode="same")
    extent = np.clip(depth + wobble, 8, 130).astype(int)
    pixels = np.asarray(image).copy()
    tone = rng.uniform(10, 45)
    for i, e in enumerate(extent):
        if edge == "left":
            pixels[i, :e] = tone
        elif edge == "right":
            pixels[i, w - e:] = tone
        elif edge == "top":
            pixels[:e, i] = tone
        else:
            pixels[h - e:, i] = tone
    image.paste(Image.fromarray(pixels))


def _sensor_noise(image: Image.Image, d: Degradation, rng: np.random.Generator) -> Image.Image:
    """Gaussian grain, then thresholding for bitonal scans, then dust specks."""
    pixels = np.asarray(image, dtype=np.float32)
    if d.noise:
        grain = rng.normal(0, d.noise, pixels.shape[:2]).astype(np.float32)
        pixels = pixels + (grain[..., None] if pixels.ndim == 3 else grain)
    if d.bitonal:
        pixels = np.where(pixels > 150, 255.0, 0.0).astype(np.float32)
    if d.specks:
        h, w = pixels.shape[:2]
        n = int(d.specks * h * w)
        ys, xs = rng.integers(0, h - 1, n), rng.integers(0, w - 1, n)
        values = np.where(rng.random(n) < 0.7, 0.0, 255.0).astype(np.float32)
        for dy, dx in ((0, 0), (0, 1), (1, 0)):
            keep = rng.random(n) < (1.0 if dy == dx == 0 else 0.5)
            pixels[ys[keep] + dy, xs[keep] + dx] = (values[keep, None] if pixels.ndim == 3
                                                    else values[keep])
    image = _to_image(pixels)
    return image.convert("1") if d.bitonal else image


def _carbon(page: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Carbon paper: strokes spread and turn blue-violet, a little paler, with a faint
    doubled ghost (a copy a clerk still reads)."""
    grey = np.asarray(page.convert("L"), dtype=np.float32) / 255
    ink = 1 - grey
    shift = int(rng.integers(2, 5))
    ghost = np.roll(ink, (shift, -shift), axis=(0, 1)) * rng.uniform(0.12, 0.22)
    ink = np.clip(ink * rng.uniform(0.85, 0.95) + ghost, 0, 1)
    soft = Image.fromarray(np.uint8(ink * 255)).filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.1)))
    ink = np.clip(np.asarray(soft, dtype=np.float32) / 255 * 1.25, 0, 1)
    colour = np.array([55, 45, 140], dtype=np.float32)
    paper = np.array([248, 246, 240], dtype=np.float32)
    rgb = paper - ink[..., None] * (paper - colour)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def _photocopy(page: Image.Image, rng: np.random.Generator) -> Image.Image:
    """One more pass through a copier: harder contrast, fattened strokes, toner dust, a
    grey cast and a slightly shrunk, shifted image."""
    grey = page.convert("L")
    if rng.random() < 0.5:  # a copier set dark fattens the strokes
        grey = grey.filter(ImageFilter.MinFilter(3))
    pixels = np.asarray(grey, dtype=np.float32)
    pixels = np.clip((pixels - 40) * 1.2, 0, 255)
    cast = rng.uniform(8, 25)
    pixels = pixels - cast * (pixels > 128)
    h, w = pixels.shape
    n = int(h * w * rng.uniform(0.0004, 0.0012))
    ys, xs = rng.integers(0, h - 2, n), rng.integers(0, w - 2, n)
    pixels[ys, xs] = 30
    pixels[ys + 1, xs] = 60
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    scale = rng.uniform(0.97, 0.995)
    small = out.resize((round(w * scale), round(h * scale)), Image.Resampling.BILINEAR)
    canvas = Image.new("L", (w, h), int(255 - cast))
    canvas.paste(small, (int(rng.integers(0, w - small.width + 1)),
                         int(rng.integers(0, h - small.height + 1))))
    return canvas.filter(ImageFilter.GaussianBlur(0.6)).convert("RGB")


def _fax(image: Image.Image, dpi: int, rng: np.random.Generator) -> Image.Image:
    """A fax at standard resolution: 98 lines an inch (a third of the rows), thresholded,
    with the dropped and black scan lines a noisy telephone line leaves."""
    grey = image.convert("L")
    w, h = grey.size
    rows = round(h * 98 / dpi)
    coarse = grey.resize((round(w * 204 / dpi), rows), Image.Resampling.BOX)
    pixels = np.where(np.asarray(coarse, dtype=np.float32) > 140, 255, 0).astype(np.uint8)
    for _ in range(int(rng.integers(2, 8))):
        y = int(rng.integers(0, rows))
        pixels[y:y + int(rng.integers(1, 3))] = 255 if rng.random() < 0.7 else 0
    back = Image.fromarray(pixels).resize((w, h), Image.Resampling.NEAREST)
    return back if image.mode == "L" else back.convert(image.mode)


def _jpeg_roundtrip(image: Image.Image, quality: int) -> Image.Image:
    """Scanner firmware that kept its pages as JPEG before they were converted."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.copy()


def _to_image(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(pixels, 0, 255).round().astype(np.uint8))
