#!/usr/bin/env bash
# The main job on the bundled synthetic sample corpus: set up, ingest, analyse, report.
# Output: build/sample/ — the database, and report/ with corpus.html (open it in a browser),
# corpus.md, corpus.pdf and one report per thread.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT=build/sample
DB="$OUT/sample.db"
mkdir -p "$OUT"
rm -f "$DB" "$DB-wal" "$DB-shm"
A=.venv/bin/analyzer
$A ingest corpus/kvm.mbox corpus/kvmarm.mbox --db "$DB"
$A analyze --db "$DB"
$A threads --db "$DB"
$A report --all --db "$DB" -o "$OUT/report"
for thread in $($A threads --db "$DB" --json | .venv/bin/python -c 'import json,sys; print(" ".join(json.loads(l)["thread_id"] for l in sys.stdin if l.strip()))'); do
  $A report "$thread" --db "$DB" -o "$OUT/report" --format html,md >/dev/null
done
$A export --all --db "$DB" --format aif -o "$OUT/report/corpus.aif.json"
$A stats --db "$DB" --markdown -o "$OUT/summary.md"
echo
echo "demo: open $OUT/report/corpus.html (also corpus.md, corpus.pdf, one report per thread)"
echo "demo: dashboard: .venv/bin/streamlit run app.py -- --db $DB"
