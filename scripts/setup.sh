#!/usr/bin/env bash
# Install what parvandeh needs on Debian/Ubuntu: Tesseract with its Persian, English and
# OSD models and its library (tesserocr is built against it), poppler, Redis, Persian fonts (for the sample generator and the digit glyph
# model of ocr/digits.py), and the package itself in ./.venv. Idempotent: safe to run again.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --dev    plus test and lint tools
#   scripts/setup.sh --bench  plus benchmark peers (OCRmyPDF)
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRAS=""
for arg in "$@"; do
  case "$arg" in
    --dev) EXTRAS="${EXTRAS:+$EXTRAS,}dev" ;;
    --bench) EXTRAS="${EXTRAS:+$EXTRAS,}dev,bench" ;;
    *) echo "usage: scripts/setup.sh [--dev] [--bench]" >&2; exit 2 ;;
  esac
done

PACKAGES=(tesseract-ocr tesseract-ocr-fas tesseract-ocr-eng tesseract-ocr-osd poppler-utils
          redis-server fonts-farsiweb fonts-noto-core fonts-dejavu-core libraqm0 libfribidi0
          fonts-freefarsi fonts-hosny-amiri fonts-sil-scheherazade fonts-sil-lateef
          fonts-sil-harmattan fonts-kacst-one qpdf
          libtesseract-dev libleptonica-dev pkg-config g++
          python3-venv python3-pip)
if [[ ",$EXTRAS," == *",dev,"* ]]; then
  PACKAGES+=(chromium chromium-driver)  # browser tests (tests/browser.py), Debian's build
fi
if [[ ",$EXTRAS," == *",bench,"* ]]; then
  PACKAGES+=(ghostscript pngquant unpaper)
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# tesserocr is built here against Debian's libtesseract, the library the tesseract program
# runs (ocr/engine.py): PyPI's wheel carries another Tesseract, which would read otherwise.
.venv/bin/python -m pip install -q --no-binary tesserocr -e ".${EXTRAS:+[$EXTRAS]}"
echo "setup: done ($(.venv/bin/parvandeh --version), $(tesseract --version 2>&1 | head -1))"
