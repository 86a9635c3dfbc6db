"""What extraction hands out and what it reads: the identifier kinds, the frozen
``Identifier`` values, the OCR word it needs, and the limits more than one kind checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

JALALI_MIN_YEAR = 1300
JALALI_MAX_YEAR = 1405
#: Postal codes in Karaj start with these digits; used only to break a tie in group order.
HOME_POSTAL_PREFIXES = ("31",)


class Kind(StrEnum):
    PLAQUE = "plaque"
    RENOVATION_CODE = "renovation_code"
    POSTAL_CODE = "postal_code"
    NATIONAL_ID = "national_id"
    FILE_NUMBER = "file_number"
    PERMIT_NUMBER = "permit_number"
    DATE = "date"


class IdentifierError(ValueError):
    """A value typed for an identifier search does not have that identifier's form."""


class OcrWord(Protocol):
    """What extraction needs from an OCR word (``ocr.types.Word`` fits; not imported)."""

    @property
    def text(self) -> str: ...
    @property
    def conf(self) -> float: ...
    @property
    def left(self) -> int: ...
    @property
    def top(self) -> int: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def block(self) -> int: ...
    @property
    def par(self) -> int: ...
    @property
    def line(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier found on a page.

    ``start``/``end`` index the text given to ``extract``; ``box`` is (left, top, width,
    height) around the OCR words it covers and ``confidence`` the lowest of their
    confidences, since one misread digit spoils the whole value.
    """

    kind: str
    text: str
    canonical: str
    section: str | None = None
    jalali: str | None = None
    valid: bool = True
    warning: str | None = None
    start: int = -1
    end: int = -1
    box: tuple[int, int, int, int] | None = None
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The export form: None fields, ``valid`` when true and unknown offsets are left out."""
        out: dict[str, Any] = {
            "kind": str(self.kind),
            "text": self.text,
            "canonical": self.canonical,
        }
        if self.section is not None:
            out["section"] = self.section
        if self.jalali is not None:
            out["jalali"] = self.jalali
        if not self.valid:
            out["valid"] = False
        if self.warning is not None:
            out["warning"] = self.warning
        if self.start >= 0:
            out["start"] = self.start
            out["end"] = self.end
        if self.box is not None:
            out["box"] = list(self.box)
        if self.confidence is not None:
            out["confidence"] = self.confidence
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Identifier:
        """Read back what ``to_dict`` wrote (the catalog stores identifiers that way)."""
        box = data.get("box")
        if box is not None:
            box = (int(box[0]), int(box[1]), int(box[2]), int(box[3]))
        return cls(
            kind=str(data["kind"]),
            text=data["text"],
            canonical=data["canonical"],
            section=data.get("section"),
            jalali=data.get("jalali"),
            valid=data.get("valid", True),
            warning=data.get("warning"),
            start=data.get("start", -1),
            end=data.get("end", -1),
            box=box,
            confidence=data.get("confidence"),
        )
