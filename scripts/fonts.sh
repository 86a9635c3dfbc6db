#!/usr/bin/env bash
# Fetch the held-out typefaces of the sample generator (samples/splits.py) from npm into a
# cache folder that neither the glyph model of ocr/digits.py nor any word list reads.
#   scripts/fonts.sh            # into ${PARVANDEH_HELDOUT_FONTS:-~/.cache/parvandeh/fonts/heldout}
# Never committed, never installed into a system or user font folder (the glyph model
# learns those): a held-out font the readers had learned would measure nothing.
# Licences: sahel, samim, shabnam, parastoo, gandom: SIL OFL 1.1; tanha, nahid: public domain
# (as npm states them; each package's LICENSE file is kept beside its fonts).
set -euo pipefail

dest="${PARVANDEH_HELDOUT_FONTS:-$HOME/.cache/parvandeh/fonts/heldout}"
packages=(sahel-font@3.4.0 samim-font@4.0.5 shabnam-font@5.0.0 tanha-font@0.10.0
          parastoo-font@2.0.1 gandom-font@0.8.0 nahid-font@0.3.0)
case "$dest" in
  /usr/share/fonts*|/usr/local/share/fonts*|"$HOME"/.local/share/fonts*|"$HOME"/.fonts*)
    echo "refusing: $dest is a font folder the glyph model learns" >&2; exit 2 ;;
esac
command -v npm >/dev/null || { echo "npm is missing: apt-get install npm" >&2; exit 4; }
mkdir -p "$dest"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for pkg in "${packages[@]}"; do
  name="${pkg%@*}"
  if [ -f "$dest/$name.done" ]; then continue; fi
  (cd "$work" && npm pack "$pkg" --silent >/dev/null)
  tarball="$(ls "$work"/"$name"-*.tgz)"
  mkdir -p "$work/$name"
  tar xzf "$tarball" -C "$work/$name"
  # the plain builds only: the -FD builds draw Latin digits as Persian ones
  find "$work/$name/package/dist" -maxdepth 1 -name '*.ttf' ! -name '*-VF.ttf' -exec cp {} "$dest/" \;
  for f in LICENSE LICENSE.txt OFL.txt; do
    [ -f "$work/$name/package/$f" ] && cp "$work/$name/package/$f" "$dest/$name-$f"
  done
  touch "$dest/$name.done"
done
ls "$dest"/*.ttf | wc -l | xargs echo "held-out fonts in $dest:"
