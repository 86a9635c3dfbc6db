#!/usr/bin/env bash
# Set everything up, ingest the bundled sample scans, then search them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ARCHIVE="${ARCHIVE:-demo-archive}"
set +e
.venv/bin/parvandeh ingest samples/scans --archive "$ARCHIVE"
code=$?
set -e
if (( code != 0 && code != 3 )); then exit "$code"; fi
echo
echo '$ parvandeh search "پروانه ساختمانی"'
.venv/bin/parvandeh search "پروانه ساختمانی" --archive "$ARCHIVE" --limit 5
echo
echo "Archive in ./$ARCHIVE; try: .venv/bin/parvandeh status --archive $ARCHIVE"
echo "  or browse it: .venv/bin/parvandeh serve --archive $ARCHIVE   (then open http://127.0.0.1:8750/)"
