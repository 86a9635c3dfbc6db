"""Persian words checked against the model's own dictionary.

Two slips of Tesseract's `fas` model on degraded pages are fixed here, both only where
the result is a word of the model's dictionary (`ocr.lexicon`):

- **Dots and shapes.** On a blurred, bitonal or stamped page the model reads ح as ه or
  م, خ as ف, ن as ت, ر as ز, ج as چ: کرج becomes کرچ, اشغال اشفال. Each word outside
  the dictionary is read once more with a little of its line around it, away from the
  page (first enlarged, then as it is), and a new reading that is a dictionary word of
  the same length replaces the unknown one. Nothing is invented: the new letters are
  Tesseract's reading of the same ink. All of a page's words are read again in one
  Tesseract call per size (`ocr.tesseract.recognize_strips`).
- **Split words.** A Persian letter such as ر or د never joins the next one, so the gap
  after it can look like a space: شهرسازی becomes شهر سازی, دبیرخانه دبیر خانه. Two
  neighbouring words are joined when the ink between them is much narrower than the
  line's word spaces and the joined word is in the dictionary. After a letter that does
  join, the joined word keeps a half-space (می‌گردد), as the page showed it.
- **Slips the re-read repeats.** A word still unknown after its re-read that is one
  confusable letter away from exactly one dictionary word (واهد → واحد) is spelled as
  that word, and a Persian comma read as ء at the end of a known word is given back
  (اقاقیاء → اقاقیا،).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Collection, Sequence
from dataclasses import replace

import cv2
import numpy as np

from indexer.normalize import ZWNJ
from ocr.lexicon import matching_form
from ocr.tesseract import line_groups, recognize_strips
from ocr.types import Word

# Re-reads: first enlarged (thin strokes and dots get pixels), then as it is.
REREAD_SCALES = (1.5, 1.0)
MAX_WORDS_REREAD = 80  # per page; a page with more unknown words is mostly noise
WINDOW_SIDE = 1.5  # line heights of the line read on each side of an unknown word
SAME_WORD_OVERLAP = 0.6  # horizontal overlap (of the narrower box) of one word read twice

# A joinable gap is this narrow next to the line's median gap between words, and next
# to its letter height. Measured on the bench sets: the gap after ر in a word is 1-2 px
# at 180 dpi (0.03-0.12 of the height, 0.1-0.36 of the word spaces); word spaces are
# 0.2-0.5 of the height. No ink gap at all is a tail over the next word: not a sign.
JOIN_GAP_OF_SPACES = 0.4
JOIN_GAP_OF_HEIGHT = 0.13
JOIN_GAP_ALONE = 0.1  # of the height, on a line too short to measure its spaces

NON_JOINING = frozenset("اآأإٱدذرزژوؤةۀء")  # letters never joined to the one after them


def _is_persian_letter(c: str) -> bool:
    return c.isalpha() and "\u0600" <= c <= "\u06ff"


def _split(text: str) -> tuple[str, str, str]:
    """(leading marks, the word's letters, trailing marks): ``اشغال:`` → ('', 'اشغال', ':')."""
    start, end = 0, len(text)
    while start < end and not text[start].isalpha():
        start += 1
    while end > start and not text[end - 1].isalpha():
        end -= 1
    return text[:start], text[start:end], text[end:]


def is_unknown(word: Word, lexicon: Collection[str]) -> bool:
    """A Persian word (two letters or more, no digits) that is not in the dictionary."""
    if any(c.isdigit() for c in word.text):
        return False
    _, core, _ = _split(word.text)
    form = matching_form(core)
    return (
        len(form) >= 2
        and all(_is_persian_letter(c) for c in form)
        and form not in lexicon
    )


def _overlap(a: Word, b: Word) -> float:
    inter = min(a.left + a.width, b.left + b.width) - max(a.left, b.left)
    return max(0, inter) / max(1, min(a.width, b.width))


def _windows(
    words: Sequence[Word], unknown: Sequence[int], shape: tuple[int, ...]
) -> list[tuple[tuple[int, int, int, int], list[int]]]:
    """Regions to read again, each an unknown word with a little of its line on both
    sides (Tesseract reads a word better with its neighbours' letters around it), merged
    where they overlap on one line: (box, the unknown words in it)."""
    wanted = set(unknown)
    out: list[tuple[tuple[int, int, int, int], list[int]]] = []
    for group in line_groups(words):
        members = [i for i in group if i in wanted]
        if not members:
            continue
        line = [words[i] for i in group]
        top = min(w.top for w in line)
        bottom = max(w.top + w.height for w in line)
        height = bottom - top
        y0, y1 = max(0, top - max(4, height // 3)), min(shape[0], bottom + max(4, height // 3))
        spans: list[list[int]] = []  # [x0, x1, word indexes...]
        for i in sorted(members, key=lambda k: words[k].left):
            w = words[i]
            x0 = max(0, int(w.left - WINDOW_SIDE * height))
            x1 = min(shape[1], int(w.left + w.width + WINDOW_SIDE * height))
            if spans and x0 <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], x1)
                spans[-1].append(i)
            else:
                spans.append([x0, x1, i])
        out.extend(((x0, y0, x1 - x0, y1 - y0), rest) for x0, x1, *rest in spans)
    return out


def _replacement(word: Word, again: Sequence[Word], lexicon: Collection[str]) -> Word | None:
    """The word as the line's new reading has it, when that is a dictionary word of the
    same length; None otherwise."""
    same = [w for w in again if _overlap(word, w) >= SAME_WORD_OVERLAP]
    if len(same) != 1:
        return None
    prefix, core, suffix = _split(word.text)
    _, new_core, _ = _split(same[0].text)
    old, new = matching_form(core), matching_form(new_core)
    if new == old or new not in lexicon or len(new) != len(old) or any(c.isdigit() for c in new_core):
        return None
    return replace(word, text=prefix + new_core + suffix, conf=same[0].conf)


def reread_unknown_words(
    gray: np.ndarray,
    words: Sequence[Word],
    *,
    dpi: int,
    lexicon: Collection[str],
    lang: str = "fas",
    timeout: float = 0,
) -> list[Word]:
    """The words, with unknown Persian words replaced by their reading in a re-read when
    that reading is a dictionary word (see the module docstring)."""
    out = list(words)
    if not lexicon:
        return out
    unknown = [i for i, w in enumerate(out) if is_unknown(w, lexicon)][:MAX_WORDS_REREAD]
    windows = _windows(out, unknown, gray.shape)
    for scale in REREAD_SCALES:
        windows = [(box, [i for i in members if is_unknown(out[i], lexicon)]) for box, members in windows]
        windows = [(box, members) for box, members in windows if members]
        if not windows:
            break
        found = recognize_strips(
            gray, [box for box, _ in windows], lang=lang, dpi=dpi, scale=scale, timeout=timeout
        )
        for (_, members), again in zip(windows, found, strict=True):
            for i in members:
                better = _replacement(out[i], again, lexicon)
                if better is not None:
                    out[i] = better
    return out


def _confusables(pairs: str) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for pair in pairs.split():
        a, b = pair[0], pair[1]
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in out.items()}


# Letters `fas` takes for one another on degraded pages: the same body with other dots
# (ب پ ت ث ن ی, ج چ ح خ, د ذ, ر ز ژ, س ش, ص ض, ط ظ, ع غ, ف ق, ک گ), and the bodies it
# blurs into each other (ح for ه or م, خ for ف).
CONFUSABLE = _confusables("حه حم حخ حج خف جچ نت نب تب تث بپ یب ین یت رز زژ دذ سش صض عغ فق کگ طظ")
MIN_SLIP_LETTERS = 3  # a two-letter word has too many dictionary neighbours to choose from


def _slip_fixes(form: str, lexicon: Collection[str]) -> set[str]:
    """Dictionary words that differ from ``form`` in one confusable letter."""
    return {
        fixed
        for i, c in enumerate(form)
        for other in CONFUSABLE.get(c, ())
        if (fixed := form[:i] + other + form[i + 1 :]) in lexicon
    }


def _respelled(core: str, form: str) -> str:
    """``core`` (the page's spelling) with its letters changed to ``form``'s, keeping its
    half-spaces, marks and ي/ك where the letter is the same."""
    out, k = [], 0
    for c in core:
        letters = matching_form(c)
        if not letters:
            out.append(c)
            continue
        if len(letters) != 1 or k >= len(form):
            return form
        out.append(c if letters == form[k] else form[k])
        k += 1
    return "".join(out) if k == len(form) else form


def fix_letter_slips(words: Sequence[Word], *, lexicon: Collection[str]) -> list[Word]:
    """The words, with each unknown Persian word that is one confusable letter away from
    exactly one dictionary word spelled as that word. The re-read (`reread_unknown_words`)
    goes first: this is for words the model reads the same wrong way twice."""
    out = list(words)
    for i, w in enumerate(out):
        if not is_unknown(w, lexicon):
            continue
        prefix, core, suffix = _split(w.text)
        form = matching_form(core)
        if len(form) < MIN_SLIP_LETTERS:
            continue
        fixes = _slip_fixes(form, lexicon)
        if len(fixes) == 1:
            out[i] = replace(w, text=prefix + _respelled(core, fixes.pop()) + suffix)
    return out


# The Persian comma after a word is read as ء, or as ه after a letter that does not join
# the next one: اقاقیاء for «اقاقیا،», دهقان‌ویلاه for «دهقان‌ویلا،».
COMMA_MISREADS = "ءه"


def fix_comma_slips(words: Sequence[Word], *, lexicon: Collection[str]) -> list[Word]:
    """The words, with a final ء or ه that turns a dictionary word into an unknown one
    read as the Persian comma it was."""
    out = list(words)
    for i, w in enumerate(out):
        prefix, core, suffix = _split(w.text)
        if len(core) < 3 or core[-1] not in COMMA_MISREADS or not is_unknown(w, lexicon):
            continue
        if core[-1] == "ه" and core[-2] not in NON_JOINING:
            continue  # a joined ه is the word's own letter
        if matching_form(core[:-1]) in lexicon:
            out[i] = replace(w, text=prefix + core[:-1] + "،" + suffix)
    return out


def _ink_gap(ink: np.ndarray, right: Word, left: Word) -> int | None:
    """Blank columns between two words of a right-to-left line (``right`` read first),
    in the band of both; None when their boxes leave nothing to measure."""
    top = min(right.top, left.top)
    bottom = max(right.top + right.height, left.top + left.height)
    x0 = max(0, left.left + left.width // 2)
    x1 = right.left + right.width // 2
    if x1 <= x0 + 2:
        return None
    columns = [bool(n) for n in np.count_nonzero(ink[top:bottom, x0:x1], axis=0)]
    middle = min(max((left.left + left.width + right.left) // 2 - x0, 0), len(columns) - 1)
    runs: list[tuple[int, int]] = []
    start = None
    for x, inked in enumerate([*columns, True]):
        if not inked and start is None:
            start = x
        elif inked and start is not None:
            runs.append((start, x))
            start = None
    if not runs:
        return 0
    nearest = min(
        runs, key=lambda r: 0 if r[0] <= middle < r[1] else min(abs(r[0] - middle), abs(r[1] - 1 - middle))
    )
    return nearest[1] - nearest[0]


def _joined(right: Word, left: Word) -> Word:
    glue = "" if _split(right.text)[1][-1:] in NON_JOINING else ZWNJ
    x0, y0 = min(right.left, left.left), min(right.top, left.top)
    x1 = max(right.left + right.width, left.left + left.width)
    y1 = max(right.top + right.height, left.top + left.height)
    return replace(
        right,
        text=right.text + glue + left.text,
        conf=min(right.conf, left.conf),
        left=x0,
        top=y0,
        width=x1 - x0,
        height=y1 - y0,
    )


def _joinable(right: Word, left: Word, lexicon: Collection[str]) -> bool:
    if any(c.isdigit() for c in right.text + left.text):
        return False
    if not (right.text[-1:].isalpha() and left.text[:1].isalpha()):
        return False  # a comma or a colon between them is a real word break
    if not (_is_persian_letter(right.text[-1]) and _is_persian_letter(left.text[0])):
        return False
    return matching_form(right.text + left.text) in lexicon


def join_split_words(gray: np.ndarray, words: Sequence[Word], *, lexicon: Collection[str]) -> list[Word]:
    """The words, with Persian words that Tesseract split at a narrow gap joined again
    when the joined word is in the dictionary (see the module docstring)."""
    out = list(words)
    if not lexicon or not out:
        return out
    ink: np.ndarray | None = None
    drop: set[int] = set()
    for group in line_groups(out):
        pairs = list(itertools.pairwise(group))
        candidates = [(a, b) for a, b in pairs if _joinable(out[a], out[b], lexicon)]
        if not candidates:
            continue
        if ink is None:
            _, binary = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
            ink = binary.astype(bool)
        gaps = [g for a, b in pairs if (g := _ink_gap(ink, out[a], out[b])) is not None]
        height = statistics.median(out[i].height for i in group)
        spaces = statistics.median(gaps) if len(gaps) >= 3 else None
        for a, b in candidates:
            if a in drop:
                continue  # already joined to the word before it
            gap = _ink_gap(ink, out[a], out[b])
            if not gap:
                continue
            if spaces is not None:
                narrow = gap <= JOIN_GAP_OF_SPACES * spaces and gap <= JOIN_GAP_OF_HEIGHT * height
            else:
                narrow = gap <= JOIN_GAP_ALONE * height
            if narrow:
                out[a] = _joined(out[a], out[b])
                drop.add(b)
    return [w for i, w in enumerate(out) if i not in drop]
