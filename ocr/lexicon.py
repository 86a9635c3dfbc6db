"""The Persian word list that comes with Tesseract's own `fas` model.

Every Tesseract model carries the dictionary its beam search prefers (the
``lstm-word-dawg`` component, about 14,000 words for Debian's `fas`). Tesseract's own
programs unpack it (`combine_tessdata -e`, `dawg2wordlist`, both in the tesseract-ocr
package); nothing is downloaded. The words are kept in their matching form
(``indexer.normalize``: ي/ك folded, half-spaces and marks removed), so a reading is
looked up whatever spelling the model or the page used.

The model's dictionary is general Persian. It lacks much of what a planning dossier
says: letter formulas (بسمه, احتراماً, استحضار), planning terms (زیربنا, عقب‌نشینی,
اعیان, پایان‌کار) and Karaj's district names (گوهردشت, مهرشهر, حیدرآباد). Those come
with parvandeh in ``ocr/data/planning-words-fas.txt`` and are added to the `fas` list.
An archive can add its own words (street and district names, people's names it holds)
in a UTF-8 file, one word per line, named by ``$PARVANDEH_WORDS``.

The list is built once per model file (under a second) and kept in the cache directory.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import subprocess
import tempfile
from pathlib import Path

from indexer.normalize import normalize
from ocr.tools import cache_dir, tessdata_dir

log = logging.getLogger(__name__)

LEXICON_VERSION = 1  # part of the cache key: raise it when the matching form changes


def _unpack(traineddata: Path) -> list[str]:
    """The words of a model's dictionary, as Tesseract's own tools print them."""
    with tempfile.TemporaryDirectory(prefix="parvandeh-dawg-") as tmp:
        dawg, unicharset, words = (Path(tmp) / n for n in ("m.lstm-word-dawg", "m.lstm-unicharset", "words"))
        subprocess.run(
            ["combine_tessdata", "-e", str(traineddata), str(dawg), str(unicharset)],
            capture_output=True, check=True, timeout=60,
        )
        subprocess.run(
            ["dawg2wordlist", str(unicharset), str(dawg), str(words)],
            capture_output=True, check=True, timeout=60,
        )
        return words.read_text(encoding="utf-8").split()


def matching_form(word: str) -> str:
    """The letters of a word in the index's matching form (no marks, no punctuation)."""
    return "".join(c for c in normalize(word) if c.isalpha())


DOMAIN_WORDS = {"fas": Path(__file__).with_name("data") / "planning-words-fas.txt"}


def read_word_list(path: Path) -> set[str]:
    """The matching forms of a word-per-line file's words; lines starting with # are
    comments. Empty (with a warning) when the file cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        log.warning("word list %s unreadable (%s): left out", path, e)
        return set()
    lines = (line for line in map(str.strip, text.splitlines()) if not line.startswith("#"))
    return {form for line in lines for form in map(matching_form, line.split()) if form}


def _user_words() -> set[str]:
    path = os.environ.get("PARVANDEH_WORDS")
    return read_word_list(Path(path)) if path else set()


@functools.cache
def model_words(lang: str = "fas") -> frozenset[str]:
    """The matching forms of the words in ``lang``'s model dictionary, parvandeh's list for
    the language and the user's list; only the user's (with a warning) when the model or
    Tesseract's tools cannot be found, since a short list alone would make every other
    word look unknown."""
    extra = _user_words()
    folder = tessdata_dir()
    model = folder / f"{lang}.traineddata" if folder else None
    if model is None or not model.is_file():
        log.warning("Tesseract model %s.traineddata not found: no word list", lang)
        return frozenset(extra)
    stat = model.stat()
    key = hashlib.sha256(repr((LEXICON_VERSION, str(model), stat.st_size, stat.st_mtime_ns)).encode())
    path = cache_dir() / f"words-{lang}-{key.hexdigest()[:16]}.txt"
    if lang in DOMAIN_WORDS:
        extra |= read_word_list(DOMAIN_WORDS[lang])
    try:
        return frozenset(path.read_text(encoding="utf-8").split()) | extra
    except (OSError, UnicodeDecodeError):
        pass
    try:
        words = {form for form in map(matching_form, _unpack(model)) if form}
    except (OSError, subprocess.SubprocessError) as e:
        log.warning("the word list of %s could not be unpacked (%s): no word list", model, e)
        return frozenset(extra)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("\n".join(sorted(words)), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:  # a read-only home: unpack again next time
        log.info("word list not cached (%s)", e)
    return frozenset(words) | extra
