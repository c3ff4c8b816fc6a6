#!/usr/bin/env bash
# Set up, then run every test (pass pytest options through, e.g. -x or -k lore).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q "$@"
