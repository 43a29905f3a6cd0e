#!/usr/bin/env bash
# The publishing benchmark: a site of 10,000 articles served by the release
# build, measured with wrk beside nginx serving a static copy of the same
# article page (the ceiling), in one run. Prints a table and writes the
# figures into bench/RESULTS.md. Everything listens on 127.0.0.1 and stops by
# itself.
#
#   bench/run.sh [ARTICLES] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."

ARTICLES=${1:-10000}
SECONDS_PER_RUN=${2:-15}
CONNECTIONS=${3:-64}
THREADS=2
OUT=bench/out
DL_PORT=18181
NGINX_PORT=18182
NOCACHE_PORT=18183

. bench/lib.sh
need_tools wrk nginx

build_release

mkdir -p "$OUT"
DATA="$OUT/site-$ARTICLES"
if [ ! -f "$DATA/.complete" ]; then
  echo "== Generating and importing $ARTICLES articles"
  rm -rf "$DATA" "$OUT/articles-$ARTICLES"
  python3 bench/generate.py "$ARTICLES" "$OUT/articles-$ARTICLES"
  start=$(date +%s.%N)
  DATELINE_LOG=warn "$BIN" article add "$OUT/articles-$ARTICLES" --data-dir "$DATA"
  end=$(date +%s.%N)
  echo "$start $end" | awk -v n="$ARTICLES" '{printf "%.1f s, %.0f articles/s\n", $2-$1, n/($2-$1)}' > "$DATA/import.txt"
  touch "$DATA/.complete"
fi
IMPORT=$(cat "$DATA/import.txt")

cleanup() {
  [ -n "${DL_PID:-}" ] && kill "$DL_PID" 2>/dev/null || true
  [ -n "${NC_PID:-}" ] && kill "$NC_PID" 2>/dev/null || true
  [ -f "$OUT/nginx/nginx.pid" ] && kill "$(cat "$OUT/nginx/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

echo "== Starting Dateline and nginx on 127.0.0.1"
DATELINE_LOG=warn "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$DL_PORT" &
DL_PID=$!
wait_ready "$DL_PORT"
# The same site with the page cache off: every request renders from the database.
DATELINE_LOG=warn "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$NOCACHE_PORT" --page-cache-mb 0 &
NC_PID=$!
wait_ready "$NOCACHE_PORT"

ARTICLE_PATH="/report-$(printf '%05d' $((ARTICLES / 2)))"
mkdir -p "$OUT/nginx/www"
curl -sf "http://127.0.0.1:$DL_PORT$ARTICLE_PATH" > "$OUT/nginx/www/article.html"
start_nginx "$PWD/$OUT/nginx/www" "$NGINX_PORT" article.html

# Warm the page cache as a live site would be.
for p in / "$ARTICLE_PATH" /feed.xml; do curl -sf "http://127.0.0.1:$DL_PORT$p" >/dev/null; done

# wrk's summary gives Requests/sec and, with --latency, the 99th percentile.
measure() {
  local url=$1
  local report
  report=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$url")
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$report")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
  local errors
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$report" | tr '\n' ' ')
  [ -n "$errors" ] && echo "   warning: $errors" >&2
  echo "$rps $p99"
}

echo "== Measuring: $THREADS threads, $CONNECTIONS connections, ${SECONDS_PER_RUN}s each"
read -r NG_RPS NG_P99 < <(measure "http://127.0.0.1:$NGINX_PORT/article.html")
read -r AR_RPS AR_P99 < <(measure "http://127.0.0.1:$DL_PORT$ARTICLE_PATH")
read -r FP_RPS FP_P99 < <(measure "http://127.0.0.1:$DL_PORT/")
read -r FD_RPS FD_P99 < <(measure "http://127.0.0.1:$DL_PORT/feed.xml")
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$DL_PID/status")
RSS_NOW_KB=$(awk '/VmRSS/ {print $2}' "/proc/$DL_PID/status")

kill "$DL_PID"; wait "$DL_PID" 2>/dev/null || true; DL_PID=
read -r NC_RPS NC_P99 < <(measure "http://127.0.0.1:$NOCACHE_PORT$ARTICLE_PATH")
NC_RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$NC_PID/status")

PAGE_KB=$(( $(stat -c %s "$OUT/nginx/www/article.html") / 1024 ))
TABLE=$(cat <<TXT
| what | requests/s | p99 latency | Dateline/nginx |
|---|---:|---:|---:|
| nginx, static copy of the article page (ceiling) | $(printf '%.0f' "$NG_RPS") | $(to_ms "$NG_P99") ms | — |
| Dateline, article page | $(printf '%.0f' "$AR_RPS") | $(to_ms "$AR_P99") ms | $(ratio "$AR_RPS" "$NG_RPS") |
| Dateline, front page | $(printf '%.0f' "$FP_RPS") | $(to_ms "$FP_P99") ms | $(ratio "$FP_RPS" "$NG_RPS") |
| Dateline, /feed.xml (30 full articles) | $(printf '%.0f' "$FD_RPS") | $(to_ms "$FD_P99") ms | $(ratio "$FD_RPS" "$NG_RPS") |
| Dateline, article page, page cache off (rendered from SQLite each time) | $(printf '%.0f' "$NC_RPS") | $(to_ms "$NC_P99") ms | $(ratio "$NC_RPS" "$NG_RPS") |

Server memory: peak RSS $((RSS_KB / 1024)) MB (now $((RSS_NOW_KB / 1024)) MB); with the page cache off, $((NC_RSS_KB / 1024)) MB. Import of $ARTICLES articles with \`dateline article add\`: $IMPORT. Article page: $PAGE_KB KiB.
TXT
)
echo
echo "$TABLE"

SECTION=$(cat <<MD
<!-- publishing:start -->
## Publishing: reader pages ($(date -u +%Y-%m-%d))

$ARTICLES articles on SQLite, release build, \`wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s\` on the
same 2-core machine as the servers, nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*nginx\///') with \`worker_processes auto\`.

$TABLE
<!-- publishing:end -->
MD
)
record_results publishing "$SECTION"
echo
echo "Written to bench/RESULTS.md"
