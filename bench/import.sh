#!/usr/bin/env bash
# The WordPress import at scale: an export of POSTS posts and COMMENTS
# comments (threads up to depth 6; bench/wxr_generate.py) imported with the
# release build on SQLite and on PostgreSQL (127.0.0.1:5432), then imported
# again (nothing to change). Prints wall time, items a second and peak
# memory, and writes them into bench/RESULTS.md.
#
#   bench/import.sh [POSTS] [COMMENTS]      (default 50000 500000)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

POSTS=${1:-50000}
COMMENTS=${2:-500000}
PG=${DATELINE_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
work=$(mktemp -d)
schema="dl_bench_import_$$"
trap 'rm -rf "$work"; psql -q "$PG" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true' EXIT

build_release
echo "== Generating an export of $POSTS posts and $COMMENTS comments"
python3 bench/wxr_generate.py "$work/export.xml" "$POSTS" "$COMMENTS"
size=$(du -h --apparent-size "$work/export.xml" | cut -f1)

psql -q "$PG" -c "CREATE SCHEMA $schema" >/dev/null
pg_url="$PG?options[search_path]=$schema"

rows=()
run_import() { # label database-args...
  local label=$1; shift
  local t0 t1 rss
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$BIN" import wordpress "$work/export.xml" "$@" > "$work/out" 2>&1 || { cat "$work/out"; exit 1; }
  t1=$(date +%s.%N)
  rss=$(( $(cat "$work/rss") / 1024 ))
  local wall items
  wall=$(secs "$t0" "$t1")
  items=$(awk -v n=$((POSTS + COMMENTS)) -v s="$wall" 'BEGIN { printf "%d", n / s }')
  echo "$label: $wall s, $items items/s, peak $rss MB — $(head -1 "$work/out")"
  rows+=("| $label | $wall s | $items | $rss MB |")
}

run_import "SQLite, first import" --data-dir "$work/sqlite"
run_import "SQLite, the same file again" --data-dir "$work/sqlite"
run_import "PostgreSQL, first import" --data-dir "$work/pg" --database "$pg_url"
run_import "PostgreSQL, the same file again" --data-dir "$work/pg" --database "$pg_url"

section=$(cat <<MD
<!-- import:start -->
## WordPress import (issue 13, $(date -u +%F))

\`bench/import.sh $POSTS $COMMENTS\`: a generated export ($size) of $POSTS posts and
$COMMENTS comments in threads up to depth 6, imported by the release build on
the shared 2-core machine. Items are posts plus comments.

| run | wall time | items/s | peak RSS |
|---|---:|---:|---:|
$(printf '%s\n' "${rows[@]}")
<!-- import:end -->
MD
)
record_results import "$section"
echo "$section"
