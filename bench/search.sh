#!/usr/bin/env bash
# Search on a large archive: an export of POSTS posts (a tenth in Arabic, a
# rare word in one post of 500; bench/wxr_generate.py) imported with the
# release build into SQLite and PostgreSQL (127.0.0.1:5432), then one- and
# two-word searches, common and rare, English and Arabic, each RUNS times
# against `dateline serve` (each request its own query string, so the page
# cache never answers). Prints p50/p99/max per query and writes them into
# bench/RESULTS.md. Also times `dateline export` and `import dateline` of
# the SQLite site into PostgreSQL.
#
#   bench/search.sh [POSTS] [RUNS]      (default 50000 100)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

POSTS=${1:-50000}
RUNS=${2:-100}
PG=${DATELINE_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
work=$(mktemp -d)
schema="dl_bench_search_$$"
moved="dl_bench_moved_$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
  psql -q "$PG" -c "DROP SCHEMA IF EXISTS $schema CASCADE; DROP SCHEMA IF EXISTS $moved CASCADE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

build_release
echo "== Generating an export of $POSTS posts"
python3 bench/wxr_generate.py "$work/export.xml" "$POSTS" 0
psql -q "$PG" -c "CREATE SCHEMA $schema; CREATE SCHEMA $moved" >/dev/null

timed() { # label command...
  local t0 t1
  t0=$(date +%s.%N)
  "${@:2}" > "$work/out" 2>&1 || { cat "$work/out"; exit 1; }
  t1=$(date +%s.%N)
  echo "$1: $(secs "$t0" "$t1") s"
  steps+=("| $1 | $(secs "$t0" "$t1") s |")
}
steps=()
timed "import into SQLite" "$BIN" import wordpress "$work/export.xml" --data-dir "$work/sqlite"
timed "import into PostgreSQL" "$BIN" import wordpress "$work/export.xml" --data-dir "$work/pg" --database "$PG?options[search_path]=$schema"
timed "dateline export (SQLite)" "$BIN" export "$work/site.tar.gz" --include-secrets --data-dir "$work/sqlite"
timed "dateline import dateline (into PostgreSQL)" "$BIN" import dateline "$work/site.tar.gz" --data-dir "$work/moved" --database "$PG?options[search_path]=$moved"
archive_size=$(du -h "$work/site.tar.gz" | cut -f1)

QUERIES=("water" "water price" "sandstorm" "sandstorm road" "ماء" "عاصفة" "ماء بئر")
rows=()
measure() { # label port
  local line
  while IFS=$'\t' read -r q p50 p99 max n; do
    echo "$1 | $q: p50 $p50 ms, p99 $p99 ms, max $max ms ($n results)"
    rows+=("| $1 | $q | $n | $p50 ms | **$p99 ms** | $max ms |")
  done < <(python3 bench/search_times.py "$2" "$RUNS" "${QUERIES[@]}")
}
serve() { # port data-dir [database]
  "$BIN" serve --listen "127.0.0.1:$1" --data-dir "$2" ${3:+--database "$3"} >"$work/serve-$1.log" 2>&1 &
  pids+=($!)
  wait_ready "$1"
}
serve 18181 "$work/sqlite"
serve 18182 "$work/pg" "$PG?options[search_path]=$schema"
measure SQLite 18181
measure PostgreSQL 18182

section=$(cat <<MD
<!-- search:start -->
## Search on a large archive (issue 13, $(date -u +%F))

\`bench/search.sh $POSTS $RUNS\`: $POSTS generated posts (12 paragraphs each, a
tenth in Arabic; "sandstorm" and "عاصفة" in one post of 500; the other words
in nearly every post), release build, shared 2-core machine. Each query $RUNS
times through \`/search\` over one keep-alive connection, the page cache
bypassed: the times include rendering the results page.

| database | query | results | p50 | p99 | max |
|---|---|---:|---:|---:|---:|
$(printf '%s\n' "${rows[@]}")

Moving the same SQLite site to PostgreSQL (archive $archive_size):

| step | wall time |
|---|---:|
$(printf '%s\n' "${steps[@]}")
<!-- search:end -->
MD
)
record_results search "$section"
echo "$section"
