"""Typed failures of the OCR layer; `pipeline.errors` maps each to an exit code."""

from __future__ import annotations


class OcrError(Exception):
    """Base of everything this package raises on purpose."""


class MissingDependency(OcrError):
    """A required external program or language model is not installed."""

    def __init__(self, what: str, hint: str) -> None:
        super().__init__(f"{what} is missing: {hint}")
        self.what = what
        self.hint = hint


class UnreadableSource(OcrError):
    """A scan that cannot be read; the reason is shown to the archivist as is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EncryptedSource(UnreadableSource):
    """A file that needs a password: not damaged, so not to be repaired."""


class RecognitionFailed(OcrError):
    """Tesseract failed on a page for a reason other than an empty page."""
