"""Exit codes and the one place that maps a failure to one."""

from __future__ import annotations

from enum import IntEnum

import click

from ocr.errors import MissingDependency


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    QUARANTINED = 3
    MISSING_DEPENDENCY = 4
    ARCHIVE_BUSY = 5
    INTERRUPTED = 130


class ParvandehError(Exception):
    """An error the user can act on; carries its exit code."""

    exit_code = ExitCode.UNEXPECTED


class OptionsError(ParvandehError):
    """An option value or key that is not allowed."""

    exit_code = ExitCode.USAGE


class ArchiveError(ParvandehError):
    """The archive folder cannot be used (not writable, a newer schema, …)."""


class ArchiveBusy(ParvandehError):
    """Another ingest holds the archive (pipeline.lock); says which, and how to wait instead."""

    exit_code = ExitCode.ARCHIVE_BUSY

    def __init__(self, archive: object, holder: str, *, waited: float | None = None) -> None:
        self.archive, self.holder = archive, holder
        if waited is None:
            message = (f"archive {archive} is in use by {holder}; run again when it has finished, "
                       f"or add --wait to wait for it")
        else:
            message = f"archive {archive} still in use by {holder} after waiting {waited:g} s"
        super().__init__(message)


def exit_code_for(exc: BaseException) -> ExitCode:
    """Map by type, never by message text."""
    if isinstance(exc, ParvandehError):
        return exc.exit_code
    if isinstance(exc, MissingDependency):
        return ExitCode.MISSING_DEPENDENCY
    if isinstance(exc, click.UsageError):
        return ExitCode.USAGE
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.UNEXPECTED
