"""Read one page: rasterize, clean, recognize, and try once more when the reading is weak.

This is the pure, costly part of the page task; it knows files and images, not the catalog.
"""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ocr.clean import clean, remove_rules, rescale, table_rules
from ocr.digits import is_number_word, reread_numbers
from ocr.lexicon import model_words
from ocr.photo import enlarge, enlargement
from ocr.raster import load_page
from ocr.stamps import erase_stamps, keep_darkest_ink, read_stamped_lines
from ocr.tesseract import (
    Reading,
    is_latin_text,
    is_rtl_page,
    line_box,
    line_groups,
    mean_conf,
    reading_of,
    recognize,
    recognize_region,
    recognize_strips,
    with_words,
)
from ocr.types import CleanInfo, Word
from ocr.words import fix_comma_slips, fix_letter_slips, join_split_words, reread_unknown_words

MAX_SECOND_LOOKS = 6  # regions re-read per page, largest first
# A missed region is a line or a few: a signature block under a stamp is about 40 mm tall.
REGION_MIN_MM, REGION_MAX_MM = 2.5, 60.0
REGION_MIN_WIDTH_MM = 8.0
REGION_MIN_INK_MM2 = 4.0  # (5 mm and 2 mm2, to catch half-read long numbers, read no better)
SECOND_LOOK_MIN_CONF = 50.0  # words a second look finds are kept from this confidence
SECOND_LOOK_MEAN_CONF = 65.0  # and a region only when it reads like text, not a scrawl
# A line `fas` reads this poorly on a Persian page may be an English line: it is read
# again with the other languages asked for, and their reading replaces it when it is
# Latin text read at least OTHER_LANGUAGE_MIN_CONF and OTHER_LANGUAGE_MARGIN better.
WEAK_LINE_CONF = 50.0
OTHER_LANGUAGE_MIN_CONF = 70.0
OTHER_LANGUAGE_MARGIN = 15.0
MAX_LINES_READ_AGAIN = 12  # per page, weakest first: a stamp-covered page stays cheap

# Numbers whose glyphs are not all known shapes are read once more on a finer copy of the
# page (ocr.digits.reread_numbers): the cleaned page before it was brought down to
# `read_dpi`, or, on a page read at its own 150 or 200 dpi, the page enlarged twice, where
# glyphs that bled together at the page's resolution come apart when thresholded again.
FINE_UPSCALE_UP_TO = 210
FINE_UPSCALE = 2.0

FIRST_RECIPE = "standard"
SECOND_RECIPE = "strong"
# A first reading below this mean confidence is read again with the second recipe. Mean
# CER on the seed-3 / seed-1 bench sets (60 pages each), pages read twice, wall time:
# below 70: 0.029 / 0.022, 0 and 3 pages, 46 / 50 s; below 80: 0.025 / 0.019, 11 and 17
# pages, 49 / 53 s; below 85: 0.024, 44 pages, 65 s. The median that the second recipe
# adds (ocr.clean.RECIPES) lifts most pages that stay under 80.
SECOND_CHANCE_BELOW = 80.0


@dataclass(frozen=True, slots=True)
class PageOptions:
    lang: str = "fas+eng"
    psm: int = 3
    timeout: float = 300.0  # seconds for the whole page (each Tesseract call, the renderer, the page)
    memory_limit: int = 0  # MB of address space for a process that reads pages (ocr.limits); 0: none
    second_chance_below: float = SECOND_CHANCE_BELOW
    all_languages_below: float = 60.0  # a `fas` reading this weak is read again with all of `lang`
    # Tesseract 5.3's fas model drops whole lines at 300 dpi that it reads at 150-200.
    # Measured with the second look as it is now (mean CER on the seed-1 / seed-3 bench
    # sets; identifiers found on 24 clean rendered permits): 150 dpi 0.039 / 0.039;
    # 165 dpi 0.036 / 0.040, 119 of 144; 180 dpi 0.040 / 0.043, 124 of 144. Below 180
    # the ۰۰۰-۰۰۰ tail of renovation codes (zeros are dots) goes on clean pages (10 of 24
    # codes at 165, 15 at 180), and parcel identifiers are what the archive is for.
    # 0: the cleaned page's own dpi (300 read 73 of 96 on 16 of those permits, 180 82).
    read_dpi: int = 180
    fas_first: bool = True  # read Persian alone first, all of `lang` only for weak readings
    second_look: bool = True  # re-read text-like ink that no recognized word covers
    line_languages: bool = True  # weak lines of a Persian page read again in the other languages
    glyph_numbers: bool = True  # numbers read again glyph by glyph (ocr.digits)
    stamped_lines: bool = True  # weak lines under a stamp read again without its ink (ocr.stamps)
    latin_numbers: bool = True  # unsure numbers in Latin digits read again with `eng`
    word_check: bool = True  # lines with words outside the dictionary read again (ocr.words)
    join_words: bool = True  # words split at a narrow gap joined when that makes a word
    fix_slips: bool = True  # one confusable letter or a comma read as ء fixed towards a word
    skip: tuple[str, ...] = ()  # cleaning steps to leave out (ocr.clean.CLEAN_STEPS), for ablation

    @property
    def checks_words(self) -> bool:
        """Whether Persian words are checked against the `fas` dictionary (ocr.words)."""
        return (self.word_check or self.join_words or self.fix_slips) and "fas" in self.lang


@dataclass(frozen=True, slots=True)
class PageReading:
    reading: Reading
    clean: CleanInfo
    image: np.ndarray
    tried: tuple[tuple[str, float], ...]  # (recipe, confidence) in the order tried


def _attempt(
    gray: np.ndarray, stated_dpi: int | None, recipe: str, options: PageOptions
) -> tuple[Reading, CleanInfo, np.ndarray, np.ndarray, np.ndarray | None]:
    """A reading of the page by one recipe: the reading, what cleaning did, the cleaned
    page as it is shown and stored (its stamps kept: they are the document's, and the
    archive's copy must carry them), the image read, without its table rules (the same
    array on a page without a table), for re-reads, and the image read at its own finer
    resolution when it was read at a lower one (numbers are read there again,
    ocr.digits), else None.

    The image read is the cleaned page with its stamps painted out (`erase_stamps`);
    the words' boxes are in the pixels of both."""
    cleaned, info = clean(gray, stated_dpi=stated_dpi, recipe=recipe, skip=(*options.skip, "stamps"))
    shown = cleaned
    if "stamps" not in options.skip:
        cleaned, stamps = erase_stamps(cleaned, dpi=info.dpi)
        if stamps:
            info = replace(info, steps=(*info.steps, f"stamps {stamps}"))
    fine = None
    if options.read_dpi and info.dpi > options.read_dpi * 1.15:
        fine = cleaned
        cleaned = rescale(cleaned, info.dpi, options.read_dpi)
        shown = cleaned if shown is fine else rescale(shown, info.dpi, options.read_dpi)
        info = replace(
            info, dpi=options.read_dpi, steps=(*info.steps, f"read at {options.read_dpi}")
        )
    if "enlarge" not in options.skip:
        same, before = shown is cleaned, info
        cleaned, info = enlarge_small_text(cleaned, info)
        shown = cleaned if same else enlarge_small_text(shown, before)[0]
    rules = table_rules(cleaned, dpi=info.dpi)
    unruled = remove_rules(cleaned, rules=rules)
    reading, lang = _recognize(cleaned, info.dpi, options)
    reading = without_rule_marks(without_specks(reading, info.dpi), rules)
    if options.line_languages and lang != options.lang:
        reading = _other_language_lines(cleaned, reading, info.dpi, options)
    if options.second_look:
        reading = _second_look(unruled, reading, info.dpi, options)
        reading = without_specks(reading, info.dpi)
    return reading, info, shown, unruled, fine


def enlarge_small_text(gray: np.ndarray, info: CleanInfo) -> tuple[np.ndarray, CleanInfo]:
    """Text too small for Tesseract's models enlarged, judged by its measured line height:
    a photograph of a page, or a page of small print, whose dpi says nothing of it."""
    factor = enlargement(info.line_mm * info.dpi / 25.4 if info.line_mm else None)
    if factor == 1.0:
        return gray, info
    dpi = round(info.dpi * factor)
    return enlarge(gray, factor), replace(info, dpi=dpi, steps=(*info.steps, f"enlarge x{factor:.2f}"))


def _checked(
    cleaned: np.ndarray,
    reading: Reading,
    info: CleanInfo,
    options: PageOptions,
    fine: np.ndarray | None = None,
) -> tuple[Reading, CleanInfo]:
    """The chosen reading with its words checked against the dictionary and its numbers
    read glyph by glyph. Done once, after the recipes are compared: the checks change
    words' confidences, and a comparison should weigh what Tesseract saw, not what was
    corrected afterwards."""
    if options.stamped_lines:
        reading, info = _stamped_lines(cleaned, reading, info, options)
    if options.checks_words:
        reading, info = _check_words(cleaned, reading, info, options)
    if options.glyph_numbers:
        words = reread_numbers(cleaned, reading.words, fine=fine)
        if words != list(reading.words):
            reading = reading_of(words)
    if options.latin_numbers and "eng" in options.lang.split("+"):
        words = latin_numbers(cleaned, reading.words, dpi=info.dpi, timeout=options.timeout)
        if words != list(reading.words):
            reading = reading_of(words)
    return reading, info


def _region_lang(reading: Reading, options: PageOptions) -> str:
    """The languages a region of this page is read again in: Persian alone on a Persian
    page (as the page itself is first read, `_recognize`), else all asked for."""
    if options.fas_first and is_rtl_page(reading.words) and "fas" in options.lang:
        return "fas"
    return options.lang


def _stamped_lines(
    image: np.ndarray, reading: Reading, info: CleanInfo, options: PageOptions
) -> tuple[Reading, CleanInfo]:
    """Weak lines a stamp lies over read again with its lighter ink set aside (`ocr.stamps`)."""
    if not reading.words:
        return reading, info
    lang = _region_lang(reading, options)
    found, drop = read_stamped_lines(image, reading.words, lang=lang, dpi=info.dpi, timeout=options.timeout)
    if not drop:
        return reading, info
    note = f"{len(drop)} stamped words read again"
    return with_words(reading, found, drop=drop), replace(info, steps=(*info.steps, note))


LATIN_NUMBER_BELOW = 60.0  # a number in Latin digits read this unsurely is read with `eng`
LATIN_NUMBER_SURE = 80.0  # and `eng`'s reading is taken when at least this sure


def latin_numbers(
    gray: np.ndarray, words: Sequence[Word], *, dpi: int, timeout: float = 0
) -> list[Word]:
    """The words, with numbers in Latin digits that `fas` read unsurely replaced by `eng`'s
    sure reading of the same box. `fas` reads a clean Times-like 3183750813 as
    ``32-9-13(`` (confidence 32) in a Persian line; the shape model has no serif Latin
    digits to correct it from, and the line as a whole is not weak enough to be read in
    the other languages. All such words of a page go to Tesseract in one call."""
    out = list(words)
    unsure = [
        i
        for i, w in enumerate(out)
        if w.conf < LATIN_NUMBER_BELOW and any("0" <= c <= "9" for c in w.text) and is_number_word(w.text)
    ]
    if not unsure:
        return out
    pad = 4
    boxes = [
        (max(0, out[i].left - pad), max(0, out[i].top - pad), out[i].width + 2 * pad, out[i].height + 2 * pad)
        for i in unsure
    ]
    for i, found in zip(unsure, recognize_strips(gray, boxes, lang="eng", dpi=dpi, timeout=timeout), strict=True):
        text = "".join(w.text for w in found)
        conf = min((w.conf for w in found), default=0.0)
        if text and conf >= LATIN_NUMBER_SURE and _LATIN_NUMBER.match(text):
            out[i] = replace(out[i], text=text, conf=conf)
    return out


_LATIN_NUMBER = re.compile(r"^[0-9][0-9/\-.,:]*[0-9]$|^[0-9]$")


def _reworded(before: Sequence[Word], after: Sequence[Word]) -> int:
    """How many of the same words a check gave another text."""
    return sum(a.text != b.text for a, b in zip(before, after, strict=True))


def _check_words(
    image: np.ndarray, reading: Reading, info: CleanInfo, options: PageOptions
) -> tuple[Reading, CleanInfo]:
    """Persian words outside the model's dictionary read again, split words joined, slips
    of one letter fixed (`ocr.words`); what changed is noted in the page's steps for QA."""
    lexicon = model_words("fas")
    words = list(reading.words)
    notes = []
    if options.word_check:
        checked = reread_unknown_words(
            image, words, dpi=info.dpi, lexicon=lexicon, timeout=options.timeout
        )
        changed = _reworded(words, checked)
        if changed:
            notes.append(f"{changed} unknown words read again")
        words = checked
    slips = 0
    if options.fix_slips:  # a comma read as a letter first: it keeps a split word apart
        fixed = fix_comma_slips(words, lexicon=lexicon)
        slips += _reworded(words, fixed)
        words = fixed
    if options.join_words:
        joined = join_split_words(image, words, lexicon=lexicon)
        if len(joined) < len(words):
            notes.append(f"{len(words) - len(joined)} split words joined")
        words = joined
    if options.fix_slips:  # after joining: a piece of a split word is no word to fix
        fixed = fix_letter_slips(words, lexicon=lexicon)
        slips += _reworded(words, fixed)
        words = fixed
    if slips:
        notes.append(f"{slips} letter slips fixed")
    if not notes:
        return reading, info
    return reading_of(words), replace(info, steps=(*info.steps, *notes))


MIN_WORD_SIZE_MM = 0.8  # a 9-pt digit is 2 mm tall; a "word" this small both ways is a speck
# What a speck is read as. Not ۰ (a Persian zero is a dot this small) nor - and /, which
# hold a number's groups together.
SPECK_READINGS = frozenset("۱١1.,'\"`،|lI!:;")
# A short reading this much lower than the page's median word is a speck: a word's box
# spans its letters' height, and the lowest real words (و, به) measure 0.38-0.5 of the
# median on the bench sets; specks read as ۱ or ۳ measure 0.1-0.2. Zeros are dots.
SPECK_OF_TEXT = 0.3
ZEROS = frozenset("۰٠0")
UNREAD_SIGNS = 2  # a word of this many letters or digits at confidence 0 is a mark, not text
# A reading whose box is this many median word heights wide for each of its letters and
# digits is a pen's stroke or a stamp's ring read as letters (a signature as تس, 11.6
# heights a letter); of 14,257 words on the samples and tuned seeds 1-3, the 16 of letters
# this wide were all such marks (a letter is at most about one height wide; kashida is a sign).
# Not digits: a number Tesseract read as one digit (۳ for ۳۱۸۸۹۷۷۷۹۸) is read again
# glyph by glyph (ocr.digits), and whole.
SCRAWL_WIDTH = 4.0
SCRAWL_BELOW_CONF = 80.0


def _speck(w: Word, least: float, text_height: float) -> bool:
    if max(w.height, w.width) < least and set(w.text) <= SPECK_READINGS:
        return True
    signs = [c for c in w.text if c.isalnum()]
    if not signs:
        return False
    if (
        w.conf < SCRAWL_BELOW_CONF
        and w.width > SCRAWL_WIDTH * text_height * len(signs)
        and not any(c.isdigit() for c in signs)  # a number read short: its glyphs are read again
    ):
        return True
    if set(signs) <= ZEROS:
        return False
    if len(signs) <= 3 and w.height < SPECK_OF_TEXT * text_height:
        return True
    # Tesseract's confidence 0: it could not read this at all. Short ones are a logo's
    # or a stamp's strokes (تث, تک, :۱ beside a letterhead), which also break the
    # letterhead's columns apart when left in.
    return w.conf <= 0 and len(signs) <= UNREAD_SIGNS


def without_specks(reading: Reading, dpi: int) -> Reading:
    """The reading without words Tesseract made of specks and marks: toner dust on a
    bitonal fax comes back as ``۱`` or ``.`` in a box two pixels square, a dot of noise
    beside a line as a ``۳`` a fifth of the line's height, a logo's strokes as ``تث`` at
    confidence 0, a signature's stroke as ``تس`` in a box eleven letters wide."""
    if not reading.words:
        return reading
    least = MIN_WORD_SIZE_MM * dpi / 25.4
    text_height = statistics.median(w.height for w in reading.words)
    words = [w for w in reading.words if not _speck(w, least, text_height)]
    return reading_of(words) if len(words) < len(reading.words) else reading


# What Tesseract makes of a vertical table rule: a stroke read as ۱, 1, | or a bracket.
RULE_MARKS = frozenset("|۱١1lI!][/\\'\"")
ON_RULE = 0.3  # share of a word's box on the rules mask that makes it a rule, not a digit


def without_rule_marks(reading: Reading, rules: np.ndarray | None) -> Reading:
    """The reading without the "words" that are a form's rules: a cell border read as
    ``۱`` or ``|`` between two cells, a ``|`` stuck to a label. Only on a page with a
    table, and only where the word sits on a rule: a ``۱`` typed in a cell keeps its
    distance from the cell's borders."""
    if rules is None or not reading.words:
        return reading
    words: list[Word] = []
    changed = False
    for w in reading.words:
        box = rules[w.top : w.top + w.height, w.left : w.left + w.width]
        on = np.count_nonzero(box)
        if box.size and on >= ON_RULE * box.size and set(w.text) <= RULE_MARKS:
            changed = True
            continue
        if "|" in w.text and on:
            text = w.text.replace("|", "").strip()
            changed = True
            if not text:
                continue
            w = replace(w, text=text)
        words.append(w)
    return reading_of(words) if changed else reading


def missed_regions(
    gray: np.ndarray, words: tuple[Word, ...], *, dpi: int
) -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, width, height) of text-sized ink that no recognized word covers.

    Tesseract's layout analysis drops whole lines now and then: a short heading in a
    bold face, a signatory's name under a signature scrawl. Ink left after painting out
    every word box, smeared into line-shaped blobs, shows where they were.
    """
    mm = dpi / 25.4
    ink = np.where(gray < 128, np.uint8(255), np.uint8(0))
    pad = round(0.6 * mm)
    for w in words:
        ink[
            max(0, w.top - pad) : w.top + w.height + pad,
            max(0, w.left - pad) : w.left + w.width + pad,
        ] = 0
    ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))  # specks
    blobs = cv2.dilate(ink, np.ones((max(1, round(0.8 * mm)), max(3, round(3 * mm))), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    h_img, w_img = gray.shape
    boxes: list[tuple[int, int, int, int]] = []
    for x, y, w, h in stats[1:, :4].tolist():  # plain ints: boxes end up in JSON
        if not (REGION_MIN_WIDTH_MM * mm <= w and REGION_MIN_MM * mm <= h <= REGION_MAX_MM * mm):
            continue
        if x <= 2 or y <= 2 or x + w >= w_img - 2 or y + h >= h_img - 2:
            continue  # copier bands and page edges
        if np.count_nonzero(ink[y : y + h, x : x + w]) < REGION_MIN_INK_MM2 * mm * mm:
            continue
        boxes.append(
            (
                max(0, x - pad),
                max(0, y - pad),
                min(w_img, x + w + pad) - max(0, x - pad),
                min(h_img, y + h + pad) - max(0, y - pad),
            )
        )
    boxes.sort(key=lambda b: -b[2] * b[3])
    return boxes[:MAX_SECOND_LOOKS]


def _second_look(image: np.ndarray, reading: Reading, dpi: int, options: PageOptions) -> Reading:
    """Read the lines Tesseract's layout analysis skipped, each region as one block.

    ``image`` is the page with a form's table rules painted out (`remove_rules`): the
    rules would join every cell's unread ink into one page-sized blob, which no region
    filter keeps.
    """
    if not reading.words:
        return reading
    blank = image.copy()
    for w in reading.words:  # so a region overlapping read words does not read them twice
        blank[w.top : w.top + w.height, w.left : w.left + w.width] = 255
    lang = _region_lang(reading, options)
    found: list[Word] = []
    for i, box in enumerate(missed_regions(image, reading.words, dpi=dpi)):
        readings = [
            recognize_region(
                blank,
                box,
                lang=lang,
                dpi=dpi,
                block=1000 * (i + 1),
                timeout=options.timeout,
                prepare=prepare,
            )
            for prepare in (None, keep_darkest_ink)
        ]
        words = max(readings, key=mean_conf)  # as it is, or its typed text alone
        words = [
            w for w in words if w.conf >= SECOND_LOOK_MIN_CONF and any(c.isalnum() for c in w.text)
        ]
        if words and mean_conf(words) >= SECOND_LOOK_MEAN_CONF:
            found.extend(words)
    return with_words(reading, found)


def _recognize(image: np.ndarray, dpi: int, options: PageOptions) -> tuple[Reading, str]:
    """Persian alone first: with `eng` beside it, Tesseract reads Latin junk into Persian lines.

    A page that `fas` reads poorly (an English page, say) is read again with every
    language asked for, and the more confident reading is kept.  Returns the reading and
    the languages it was read with.
    """
    langs = options.lang.split("+")
    first = "fas" if options.fas_first and "fas" in langs and len(langs) > 1 else options.lang
    reading = recognize(image, lang=first, dpi=dpi, psm=options.psm, timeout=options.timeout)
    if first == options.lang or reading.confidence >= options.all_languages_below:
        return reading, first
    other = recognize(image, lang=options.lang, dpi=dpi, psm=options.psm, timeout=options.timeout)
    return (other, options.lang) if other.confidence > reading.confidence else (reading, first)


def _other_language_lines(image: np.ndarray, reading: Reading, dpi: int, options: PageOptions) -> Reading:
    """Read the weak lines of a page read in Persian alone again in the other languages.

    An English line on a Persian letter (a company name, an English summary under the
    Persian text) comes out of `fas` as Persian-looking junk at a confidence of 0-30;
    `eng` reads it at 90+.  Each such line is read alone (a single text line) and the
    other reading replaces it only when it is Latin text and clearly more confident, so a
    stamped or smudged Persian line keeps its Persian reading.
    """
    others = "+".join(lang for lang in options.lang.split("+") if lang != "fas")
    if not others or not reading.words:
        return reading
    weak: list[tuple[float, list[int]]] = []
    for line in line_groups(reading.words):
        conf = mean_conf([reading.words[i] for i in line])
        if conf < WEAK_LINE_CONF:
            weak.append((conf, line))
    weak.sort(key=lambda item: item[0])
    drop: set[int] = set()
    found: list[Word] = []
    for n, (conf, line) in enumerate(weak[:MAX_LINES_READ_AGAIN]):
        box = line_box([reading.words[i] for i in line], image.shape)
        words = recognize_region(
            image, box, lang=others, dpi=dpi, block=50_000 + 100 * n, timeout=options.timeout, psm=7
        )
        if not words or not is_latin_text(words):
            continue
        if mean_conf(words) >= max(OTHER_LANGUAGE_MIN_CONF, conf + OTHER_LANGUAGE_MARGIN):
            drop.update(line)
            found.extend(words)
    return with_words(reading, found, drop=frozenset(drop))


def read_page(
    path: Path,
    page: int,
    *,
    kind: str | None = None,
    stated_dpi: int | None = None,
    options: PageOptions,
) -> PageReading:
    """OCR one page; a weak first reading gets a second recipe and the better one is kept."""
    loaded = load_page(path, page, kind=kind, dpi_hint=stated_dpi, timeout=options.timeout)
    dpi = loaded.stated_dpi if loaded.stated_dpi is not None else stated_dpi
    reading, info, image, unruled, fine = _attempt(loaded.gray, dpi, FIRST_RECIPE, options)
    tried = [(FIRST_RECIPE, reading.confidence)]
    if reading.confidence < options.second_chance_below:
        second, info2, image2, unruled2, fine2 = _attempt(loaded.gray, dpi, SECOND_RECIPE, options)
        tried.append((SECOND_RECIPE, second.confidence))
        if _better(second, reading):
            reading, info, image, unruled, fine = second, info2, image2, unruled2, fine2
    if fine is None and info.dpi <= FINE_UPSCALE_UP_TO:
        fine = enlarge(unruled, FINE_UPSCALE)
    # Words and numbers are read again on the page without its table rules: a rule along
    # a cell's number joins its glyphs into one shape that no digit is like.
    reading, info = _checked(unruled, reading, info, options, fine)
    return PageReading(reading, info, image, tuple(tried))


def _better(candidate: Reading, current: Reading) -> bool:
    """Confidence decides, but a reading that lost most of the words does not win."""
    if len(candidate.words) < 0.5 * len(current.words):
        return False
    return candidate.confidence > current.confidence


def encode_image(gray: np.ndarray) -> tuple[bytes, str]:
    """Keep the cleaned page small: 1-bit PNG when bitonal, JPEG otherwise."""
    img = Image.fromarray(gray)
    buf = io.BytesIO()
    if np.count_nonzero((gray != 0) & (gray != 255)) == 0:
        img.convert("1").save(buf, format="PNG", optimize=True)
        return buf.getvalue(), "png"
    img.save(buf, format="JPEG", quality=80)
    return buf.getvalue(), "jpg"
