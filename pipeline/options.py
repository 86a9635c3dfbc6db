"""One validated options object, built once at the CLI edge and passed down."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ocr.page import SECOND_CHANCE_BELOW, PageOptions
from pipeline.errors import OptionsError

# Below this a worker cannot load Tesseract's fas model next to OpenCV and numpy.
MIN_MEMORY_LIMIT = 512
_LANG = re.compile(r"^[A-Za-z_]+(\+[A-Za-z_]+)*$")


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """Everything an ingest run depends on; the same names as the CLI flags."""

    archive: Path = Path("archive")
    jobs: int = 0  # 0: one per core
    lang: str = "fas+eng"
    page_timeout: float = 300.0  # seconds one page may take as a whole (rasterize, clean, OCR)
    file_timeout: float = 120.0  # seconds opening one file may take (counting pages, a PDF's repair)
    memory_limit: int = 2048  # MB of address space per process that decodes pages; 0: no cap
    retry_failed: bool = False
    second_chance_below: float = SECOND_CHANCE_BELOW
    keep_images: bool = True
    wait: bool = False  # for another ingest on the same archive to finish (pipeline.lock)

    def __post_init__(self) -> None:
        if self.jobs < 0:
            raise OptionsError(f"--jobs must be 0 (one per core) or more, not {self.jobs}")
        if not _LANG.match(self.lang):
            raise OptionsError(f"--lang must look like fas+eng, not {self.lang!r}")
        if self.page_timeout <= 0:
            raise OptionsError("--page-timeout must be positive")
        if self.file_timeout <= 0:
            raise OptionsError("--file-timeout must be positive")
        if self.memory_limit != 0 and self.memory_limit < MIN_MEMORY_LIMIT:
            raise OptionsError(f"--memory-limit is in MB: 0 (no cap) or at least {MIN_MEMORY_LIMIT}")
        if not 0 <= self.second_chance_below <= 100:
            raise OptionsError("--second-chance-below is a confidence between 0 and 100")

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> IngestOptions:
        """Build from a config mapping; an unknown key is an error, never silently dropped."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise OptionsError(f"unknown option(s): {', '.join(unknown)}")
        values = dict(data)
        if "archive" in values:
            values["archive"] = Path(values["archive"])
        return cls(**values)

    @property
    def workers(self) -> int:
        return self.jobs or default_jobs()

    @property
    def langs(self) -> list[str]:
        return self.lang.split("+")

    def page_options(self) -> PageOptions:
        return PageOptions(
            lang=self.lang, timeout=self.page_timeout, second_chance_below=self.second_chance_below,
            memory_limit=self.memory_limit,
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["archive"] = str(self.archive)
        return out
