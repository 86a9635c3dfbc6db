import click
import pytest

from ocr.errors import MissingDependency, UnreadableSource
from pipeline.errors import ExitCode, OptionsError, exit_code_for
from pipeline.options import IngestOptions


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (MissingDependency("tesseract", "apt-get install tesseract-ocr"), ExitCode.MISSING_DEPENDENCY),
        (OptionsError("bad"), ExitCode.USAGE),
        (click.UsageError("bad"), ExitCode.USAGE),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
        (UnreadableSource("truncated"), ExitCode.UNEXPECTED),
        (RuntimeError("boom"), ExitCode.UNEXPECTED),
    ],
)
def test_exit_code_mapping_is_by_type(exc: BaseException, code: ExitCode) -> None:
    assert exit_code_for(exc) == code


def test_exit_codes_match_the_contract() -> None:
    assert [int(c) for c in (ExitCode.OK, ExitCode.UNEXPECTED, ExitCode.USAGE, ExitCode.QUARANTINED, ExitCode.MISSING_DEPENDENCY)] == [0, 1, 2, 3, 4]


def test_options_reject_unknown_keys() -> None:
    with pytest.raises(OptionsError, match="jpeg_quality"):
        IngestOptions.from_mapping({"jobs": 2, "jpeg_quality": 80})


@pytest.mark.parametrize("values", [{"jobs": -1}, {"lang": "fas; rm -rf /"}, {"page_timeout": 0}])
def test_options_validate_values(values: dict) -> None:
    with pytest.raises(OptionsError):
        IngestOptions.from_mapping(values)


def test_missing_dependency_message_says_how_to_install() -> None:
    e = MissingDependency("Tesseract language model 'fas'", "install it with: sudo apt-get install tesseract-ocr-fas")
    assert "tesseract-ocr-fas" in str(e)
