#!/usr/bin/env bash
# The main job on the bundled synthetic sample corpus: set up, ingest, analyse, report.
# Output: build/sample/ (database and reports). Open build/sample/report/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT=build/sample
mkdir -p "$OUT"
DB="$OUT/sample.db"
.venv/bin/analyzer ingest corpus/kvm.mbox corpus/kvmarm.mbox --db "$DB"
.venv/bin/analyzer stats --db "$DB" --markdown -o "$OUT/summary.md"
echo
echo "demo: wrote $OUT/summary.md (database: $DB)"
