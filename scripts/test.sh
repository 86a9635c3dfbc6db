#!/usr/bin/env bash
# Set up with the test tools, start Redis on 127.0.0.1, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export PARVANDEH_REDIS_URL="${PARVANDEH_REDIS_URL:-redis://127.0.0.1:6379/15}"
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
