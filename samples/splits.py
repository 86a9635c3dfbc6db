"""The tuned and the held-out split of the `wide` generator, declared in one place.

The rule (samples/README.md, bench/README.md): no tuning ever looks at the held-out
split. Extractor rules, OCR settings and word lists are changed while looking at tuned
pages only; held-out pages are generated and read only to quote figures. A held-out page
differs from every tuned page three ways at once:

- its **seed** lies in ``HELDOUT_SEEDS`` (so its dossiers, numbers and draws are new);
- its **typefaces** are ``HELDOUT_FONTS``: fetched from npm by ``scripts/fonts.sh`` into a
  cache folder the glyph model of ``ocr/digits.py`` never reads (it learns the installed
  fonts, ``/usr/local/share/fonts`` and ``~/.local/share/fonts``);
- it may use the **layout variants** in ``HELDOUT_VARIANTS``, which tuned pages never draw.
"""

from __future__ import annotations

import os
from pathlib import Path

TUNED, HELDOUT = "tuned", "heldout"
SPLITS = (TUNED, HELDOUT)

#: Any seed in this range makes a held-out set; every other seed a tuned one.
HELDOUT_SEEDS = range(9000, 10000)
#: The seeds the benchmarks use for each split (30 pages each by default).
BENCH_SEEDS = {TUNED: 1, HELDOUT: 9001}

HELDOUT_FONT_DIR_DEFAULT = "~/.cache/parvandeh/fonts/heldout"

#: Typefaces of tuned pages: the Persian fonts Debian carries (the glyph model learns them)
#: and the Vazirmatn shipped in assets/. Debian's Noto Naskh/Sans/Kufi Arabic are left out:
#: they have no ``/`` or ``-`` glyph (a desktop falls back to another font; Pillow cannot).
TUNED_FONTS = ("nazli", "homa", "freefarsi", "amiri", "scheherazade", "lateef", "harmattan",
               "vazirmatn")
#: Typefaces of held-out pages: npm's Persian fonts, never installed.
HELDOUT_FONTS = ("sahel", "samim", "shabnam", "tanha", "parastoo", "gandom", "nahid")

#: Layout variants only held-out pages draw (see samples/README.md for what each is).
HELDOUT_VARIANTS = frozenset({
    "form:value-below",      # a form's value on the line under its label, not beside it
    "form:digit-cells",      # a number written one digit per ruled cell
    "label:abbreviated-2",   # the rarer label abbreviations (ک.پ, ش.پ, ک.ن.)
    "plaque:slash-bare",     # a slash plaque with no label at all in a table cell
    "scan:fax-header",       # a fax's transmission header over the letterhead
})


def split_of(seed: int) -> str:
    """Which split a generator seed belongs to."""
    return HELDOUT if seed in HELDOUT_SEEDS else TUNED


def fonts_of(split: str) -> tuple[str, ...]:
    return HELDOUT_FONTS if split == HELDOUT else TUNED_FONTS


def variant_allowed(split: str, variant: str) -> bool:
    """A held-out variant is drawn only on held-out pages."""
    return split == HELDOUT or variant not in HELDOUT_VARIANTS


def heldout_font_dir() -> Path:
    """Where scripts/fonts.sh put the held-out fonts (``$PARVANDEH_HELDOUT_FONTS``)."""
    return Path(os.environ.get("PARVANDEH_HELDOUT_FONTS", HELDOUT_FONT_DIR_DEFAULT)).expanduser()
