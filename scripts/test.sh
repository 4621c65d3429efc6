#!/usr/bin/env bash
# Set up everything the tests need, then run them all: ruff (lint + format) and pytest.
# Usage: scripts/test.sh [pytest args...]   e.g. scripts/test.sh tests/e2e -x
# Idempotent: reuses .venv, installs Chromium only when it is missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/chromium ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y chromium
  else
    echo "note: /usr/bin/chromium is missing and we are not root; browser tests will skip" \
      "(or fail under CI=true). Install it with: sudo apt-get install -y chromium" >&2
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q -r requirements-dev.txt

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
