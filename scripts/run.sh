#!/usr/bin/env bash
# Start the dashboard: scripts/run.sh [streamlit options...], e.g. --server.port 8600
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q -r requirements.txt
exec .venv/bin/streamlit run app.py "$@"
