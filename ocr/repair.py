"""Repair a damaged PDF with qpdf (through pikepdf) before giving up on it.

Poppler refuses PDFs whose cross-reference table is gone or wrong, whose page tree lies
about its page count, or whose xref sections loop; qpdf rebuilds all of that from the
objects themselves. The repaired copy is written elsewhere (the original is never
touched) with a fresh page tree; a page qpdf cannot recover is replaced by a blank one
and reported, so page numbers stay the file's own.

`repair_pdf` runs qpdf in a child process (`python -m ocr.repair`) under a time and
memory limit, because qpdf works on hostile bytes: a loop or a bomb there must end the
repair, not the ingest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ocr.errors import EncryptedSource, UnreadableSource
from ocr.limits import limit_memory

ENCRYPTED = "encrypted PDF: it needs a password to open"
#: Pages qpdf recovers but whose content it cannot copy are replaced by a blank page.
BLANK_MEDIABOX = (0, 0, 595, 842)


@dataclass(frozen=True, slots=True)
class Repair:
    """What a repair did: the page count it found, pages it could not save, what it fixed."""

    pages: int
    lost: tuple[tuple[int, str], ...]
    fixed: str


def _short(e: BaseException, path: Path) -> str:
    """qpdf's message without the file name it starts with."""
    text = str(e).strip()
    for name in (str(path), path.name):
        text = text.replace(f"{name}: ", "").replace(f"{name} ", "").replace(f"{name}, ", "")
    return text.splitlines()[0] if text else type(e).__name__


def _rewrite(src: Path, dst: Path) -> Repair:
    """In the child: open with qpdf's recovery, copy every page into a new tree, save."""
    import pikepdf

    try:
        pdf = pikepdf.open(src)
    except pikepdf.PasswordError as e:
        raise EncryptedSource(ENCRYPTED) from e
    except pikepdf.PdfError as e:
        raise UnreadableSource(f"qpdf cannot open it either ({_short(e, src)})") from e
    with pdf:
        warnings = [_short(Exception(w), src) for w in pdf.get_warnings()]
        try:
            count = len(pdf.pages)
        except pikepdf.PdfError as e:
            raise UnreadableSource(f"its page tree cannot be read ({_short(e, src)})") from e
        if count == 0:
            raise UnreadableSource("qpdf finds no pages in it")
        out = pikepdf.new()
        lost: list[tuple[int, str]] = []
        for n, page in enumerate(pdf.pages, start=1):
            try:
                probe = pikepdf.new()
                probe.pages.append(page)
                probe.save(os.devnull)  # reads every stream of the page once
                out.pages.append(page)
            except (pikepdf.PdfError, RuntimeError, ValueError) as e:
                lost.append((n, f"page {n} could not be recovered from the damaged PDF ({_short(e, src)})"))
                out.add_blank_page(page_size=BLANK_MEDIABOX[2:])
        out.save(dst)
    return Repair(count, tuple(lost), _what_was_fixed(warnings, count))


def _what_was_fixed(warnings: list[str], pages: int) -> str:
    """One line for the archivist: pages recovered, and qpdf's first complaint."""
    said = f"{pages} page{'s' if pages != 1 else ''} recovered by qpdf"
    first = next((w for w in warnings if w != "file is damaged"), None)
    if first is None:
        return said
    first = first if len(first) <= 90 else first[:87] + "..."
    more = f", and {len(warnings) - 1} more problem(s)" if len(warnings) > 1 else ""
    return f"{said} (it found: {first}{more})"


def repair_pdf(src: Path, dst: Path, *, timeout: float, memory_mb: int) -> Repair:
    """Write a repaired copy of `src` to `dst`, in a child process with limits, or raise."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    cmd = [sys.executable, "-m", "ocr.repair", str(src), str(tmp), str(memory_mb)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        tmp.unlink(missing_ok=True)
        raise UnreadableSource(f"repairing it took longer than {timeout:.0f} s (--file-timeout)") from e
    lines = (proc.stdout or "").strip().splitlines()
    answer = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
    if proc.returncode != 0 or answer is None or "error" in answer:
        tmp.unlink(missing_ok=True)
        if answer is not None and answer.get("encrypted"):
            raise EncryptedSource(answer["error"])
        if answer is not None and "error" in answer:
            raise UnreadableSource(answer["error"])
        raise UnreadableSource(f"the repair stopped ({_ended(proc.returncode, memory_mb)})")
    os.replace(tmp, dst)
    return Repair(int(answer["pages"]), tuple((int(n), str(r)) for n, r in answer["lost"]), str(answer["fixed"]))


def _ended(code: int, memory_mb: int) -> str:
    if code < 0:
        return f"killed by signal {-code}"
    return f"out of memory past {memory_mb} MB, or qpdf failed (exit {code})" if memory_mb else f"exit {code}"


def main(argv: list[str]) -> int:
    """`python -m ocr.repair SRC DST [MEMORY_MB]`: one JSON line on stdout, always exit 0
    unless the process itself was killed (the caller reads that as the repair's end)."""
    src, dst = Path(argv[0]), Path(argv[1])
    limit_memory(int(argv[2]) if len(argv) > 2 else 0)  # set here, not in a preexec_fn: the caller has threads
    try:
        done = _rewrite(src, dst)
    except UnreadableSource as e:
        print(json.dumps({"error": e.reason, "encrypted": isinstance(e, EncryptedSource)}, ensure_ascii=False))
        return 0
    except MemoryError:
        print(json.dumps({"error": "repairing it needs more memory than the limit allows (--memory-limit)"}))
        return 0
    print(json.dumps({"pages": done.pages, "lost": done.lost, "fixed": done.fixed}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
