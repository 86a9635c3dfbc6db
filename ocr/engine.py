"""Tesseract inside the worker process (tesserocr), its models loaded once per process.

The `tesseract` program loads its models on every call: ``fas+eng`` costs about 0.15 s
before a pixel is read, and a page makes six to ten calls (the page, a second language,
strips of unsure number words, lines read again), so a page paid a second or more for
loading alone. Here each language set is loaded once per process and kept, and the page
is handed over as bytes rather than through a temporary file.

It is the same engine: tesserocr is built from source against Debian's libtesseract
(`scripts/setup.sh`), the one the `tesseract` program runs, and `available()` refuses a
tesserocr whose library differs from the program's, so pages read the same either way
(`tests/test_engine.py` compares the two word for word). Where tesserocr is missing or
differs, or a call asks for what this module does not translate, `ocr.tesseract` runs the
program as before. ``PARVANDEH_TESSERACT=program`` forces the program.

Limits (`ocr.limits`): a call's own timeout and what is left of the page's deadline
become Tesseract's recognition deadline, since an alarm cannot interrupt a C call; the
memory cap is the worker's, which now holds the models too (about 60 MB for fas+eng+osd).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import signal
import threading
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np

from ocr.errors import MissingDependency
from ocr.tools import tessdata_dir, tesseract_version

ENGINE_ENV = "PARVANDEH_TESSERACT"
#: TSV columns, as the `tesseract` program's TSV renderer heads them.
TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
#: Language sets kept loaded in one process; a page uses three or four.
MAX_LOADED = 6


class EngineTimeout(RuntimeError):
    """Recognition stopped at its deadline (pytesseract signals its timeout as a RuntimeError too)."""


@functools.cache
def _program_version() -> str | None:
    try:
        return tesseract_version().split()[-1]
    except MissingDependency:
        return None


@functools.cache
def _tesserocr() -> Any:  # the module, or None
    """The tesserocr module when it runs the program's library; imported late, so that a
    worker's OMP_THREAD_LIMIT is set before libgomp reads it. libgomp reads it once, when
    it is loaded, and a process that read pages with more than one OpenMP thread and then
    forks leaves its child hung in libgomp's pool (seen here); a worker reads with one
    thread (`pipeline.task.init_worker`), and so does any process that never said."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        import tesserocr  # noqa: PLC0415
    except ImportError:
        return None
    try:
        version = tesserocr.tesseract_version().split()[1]
    except (IndexError, AttributeError):
        return None
    return tesserocr if version == _program_version() else None


def available() -> bool:
    """Whether calls run in this process (tesserocr present and the same library)."""
    return os.environ.get(ENGINE_ENV, "api") != "program" and _tesserocr() is not None


@functools.cache
def _datapath() -> str:
    """The program's model folder (``TESSDATA_PREFIX`` included), so both load the same files."""
    found = tessdata_dir()
    if found is not None:
        return str(found).rstrip("/") + "/"
    tesserocr = _tesserocr()
    return tesserocr.get_languages()[0] if tesserocr else ""


class _Api:
    """One loaded language set; variables a call sets are put back after it, so each call
    starts from the defaults as a fresh `tesseract` program would."""

    def __init__(self, lang: str) -> None:
        tesserocr = _tesserocr()
        self.api = tesserocr.PyTessBaseAPI(path=_datapath(), lang=lang, init=True)
        self.lock = threading.Lock()

    def _set(self, variables: dict[str, str]) -> dict[str, str]:
        saved: dict[str, str] = {}
        for name, value in variables.items():
            before = self.api.GetVariableAsString(name)
            if before is None or not self.api.SetVariable(name, value):
                self._restore(saved)
                raise ValueError(f"Tesseract has no variable {name!r}")
            saved[name] = before
        return saved

    def _restore(self, saved: dict[str, str]) -> None:
        for name, value in saved.items():
            self.api.SetVariable(name, value)

    @contextlib.contextmanager
    def _call(self, gray: np.ndarray, *, psm: int, variables: dict[str, str]) -> Iterator[Any]:
        """The API with this image, mode and variables set, for one call; afterwards its
        results cleared and the variables put back."""
        with self.lock:
            saved = self._set(variables)
            try:
                self.api.SetPageSegMode(psm)
                gray = np.ascontiguousarray(gray, dtype=np.uint8)
                height, width = gray.shape[:2]
                self.api.SetImageBytes(gray.tobytes(), width, height, 1, width)
                yield self.api
            finally:
                self.api.Clear()
                self._restore(saved)

    def tsv(self, gray: np.ndarray, *, psm: int, variables: dict[str, str], timeout: float) -> str:
        with self._call(gray, psm=psm, variables=variables) as api:
            if not api.Recognize(timeout=_deadline_ms(timeout)):
                raise EngineTimeout("Tesseract process timeout")
            return api.GetTSVText(0)

    def osd(self, gray: np.ndarray, *, variables: dict[str, str]) -> dict | None:
        with self._call(gray, psm=_tesserocr().PSM.OSD_ONLY, variables=variables) as api:
            return api.DetectOrientationScript()


_LOADED: dict[tuple[int, str], _Api] = {}


def _api(lang: str) -> _Api:
    """This process's loaded `lang` (a forked worker loads its own: a parent's engine is
    not shared across a fork)."""
    key = (os.getpid(), lang)
    found = _LOADED.get(key)
    if found is None:
        for old in [k for k in _LOADED if k[0] != key[0]]:
            del _LOADED[old]  # the parent's, inherited by fork: never used here
        while len(_LOADED) >= MAX_LOADED:
            _LOADED.pop(next(iter(_LOADED))).api.End()
        found = _LOADED[key] = _Api(lang)
    return found


def _deadline_ms(timeout: float) -> int:
    """The call's timeout, shortened to what is left of an alarm set for the page
    (`ocr.limits.deadline`), in milliseconds; 0: none."""
    left = 0.0
    if threading.current_thread() is threading.main_thread():
        left = signal.getitimer(signal.ITIMER_REAL)[0]
    limits = [t for t in (timeout, left) if t > 0]
    return max(1, round(min(limits) * 1000)) if limits else 0


def parse_config(config: str) -> tuple[int, dict[str, str]] | None:
    """``--psm N --dpi N -c name=value ...`` as a page segmentation mode and variables
    (``--dpi`` is the program's ``user_defined_dpi``); None for anything else, which the
    program is left to handle."""
    psm, variables = 3, {}
    tokens = shlex.split(config)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        value = tokens[i + 1] if i + 1 < len(tokens) else None
        if token == "--psm" and value is not None and value.isdigit():
            psm = int(value)
        elif token == "--dpi" and value is not None and value.isdigit():
            variables["user_defined_dpi"] = value
        elif token == "-c" and value is not None and "=" in value:
            name, _, val = value.partition("=")
            variables[name] = val
        else:
            return None
        i += 2
    return psm, variables


def image_tsv(gray: np.ndarray, *, lang: str, config: str, timeout: float = 0) -> str | None:
    """The program's TSV (with its header) of this grey image, read in this process;
    None when this call must go to the program instead."""
    parsed = parse_config(config) if available() else None
    if parsed is None:
        return None
    psm, variables = parsed
    try:
        body = _api(lang).tsv(gray, psm=psm, variables=variables, timeout=timeout)
    except ValueError:
        return None  # a variable this build does not know: the program says so its own way
    return f"{TSV_HEADER}\n{body}"


def image_osd(gray: np.ndarray, *, config: str) -> tuple[int, float] | Literal[False] | None:
    """(clockwise turn to upright, confidence) of the page as the program's ``--psm 0``
    reports them; None when Tesseract cannot tell; False when the program must be asked."""
    parsed = parse_config(config) if available() else None
    if parsed is None:
        return False
    _, variables = parsed
    try:
        found = _api("osd").osd(gray, variables=variables)
    except ValueError:
        return False
    except RuntimeError:
        return None  # too few characters
    if not found:
        return None
    # DetectOrientationScript gives the page's orientation; the program prints the turn
    # that undoes it ("Rotate:"), as OrientationIdToValue maps them.
    return (360 - int(found["orient_deg"])) % 360, float(found["orient_conf"])
