#!/usr/bin/env bash
# The comments benchmark, in one run on 127.0.0.1 (everything stops by itself):
#
# 1. an article page with 200 approved comments (50 threads, some of them
#    inline feedback) served by Dateline, beside nginx serving a static copy
#    of the same page (the ceiling);
# 2. an article with 10,000 comments, its threads paged by cursor: the first
#    page and a deep one, rendered on every request (page cache off), as the
#    "Load more" page and as the Comments API;
# 3. comment POSTs at POSTERS concurrent connections on SQLite, each a new
#    reader from a new client address, with every check on (form token and
#    minimum time, limits, bans, moderation rules).
#
# Prints a table and writes it into bench/RESULTS.md.
#
#   bench/comments.sh [SECONDS] [CONNECTIONS] [POSTERS]
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${1:-10}
CONNECTIONS=${2:-64}
POSTERS=${3:-50}
THREADS=2
OUT=bench/out/comments
DL_PORT=18191
NOCACHE_PORT=18192
NGINX_PORT=18193

. bench/lib.sh
need_tools wrk nginx

build_release

cleanup() {
  [ -n "${DL_PID:-}" ] && kill "$DL_PID" 2>/dev/null || true
  [ -n "${NC_PID:-}" ] && kill "$NC_PID" 2>/dev/null || true
  [ -f "$OUT/nginx/nginx.pid" ] && kill "$(cat "$OUT/nginx/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$OUT"
mkdir -p "$OUT/nginx/www"
DATA="$OUT/site"
FIXTURES=crates/dateline/tests/cli/fixtures
DATELINE_LOG=warn "$BIN" article add "$FIXTURES/01-port-strike.md" "$FIXTURES/02-port-strike-ar.md" --data-dir "$DATA" >/dev/null
SMALL=basra-port-strike-ends
LARGE=basra-port-strike-ends-ar

# Comment settings for seeding: no minimum time, nobody held, all 50
# threads of the small article on its page.
settings() {
  python3 - "$DATA/dateline.db" "$1" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO settings (key, value) VALUES ('comments', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (sys.argv[2],))
db.execute("UPDATE site_state SET value = value + 1 WHERE key = 'content_version'")
db.commit()
PY
}
settings '{"min_seconds": 0, "hold_first": false, "threads_per_page": 50, "max_links": 10}'

start_server() { # port, extra flags...
  local port=$1; shift
  DATELINE_LOG=warn "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$port" --trusted-proxies 127.0.0.1 --no-mail-workers "$@" \
    >"$OUT/serve-$port.log" 2>&1 &
  echo $!
}
DL_PID=$(start_server "$DL_PORT")
wait_ready "$DL_PORT"
NC_PID=$(start_server "$NOCACHE_PORT" --page-cache-mb 0)
wait_ready "$NOCACHE_PORT"

echo "== Seeding: 200 comments in 50 threads, and 10,000 in 2,500 threads"
start=$(date +%s.%N)
python3 bench/comments_seed.py "http://127.0.0.1:$DL_PORT" "$SMALL" 50 3
python3 bench/comments_seed.py "http://127.0.0.1:$DL_PORT" "$LARGE" 2500 3
end=$(date +%s.%N)
SEED=$(echo "$start $end" | awk '{printf "%.1f s, %.0f comments/s with 8 sequential clients", $2-$1, 10200/($2-$1)}')
# Some of the small article's threads are inline feedback on its second
# paragraph (anchor p2): the page shows that paragraph's marker with its count.
python3 - "$DATA/dateline.db" "$SMALL" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
aid = db.execute("SELECT id FROM articles WHERE slug = ?", (sys.argv[2],)).fetchone()[0]
roots = "SELECT id FROM comments WHERE article_id = ? AND parent_id IS NULL AND id % 5 = 0"
n = db.execute(f"UPDATE comments SET anchor = 'p2' WHERE thread_id IN ({roots})", (aid,)).rowcount
db.execute("UPDATE articles SET inline_count = ?, comments_version = comments_version + 1 WHERE id = ?", (n, aid))
db.execute("UPDATE site_state SET value = value + 1 WHERE key = 'comments_version'")
db.commit()
PY
sleep 2

ARTICLE="http://127.0.0.1:$DL_PORT/$SMALL"
curl -sf "$ARTICLE" > "$OUT/nginx/www/article.html"
SHOWN=$(grep -o 'class="comment"' "$OUT/nginx/www/article.html" | wc -l || true)
start_nginx "$PWD/$OUT/nginx/www" "$NGINX_PORT" article.html

measure() { # url [connections] [extra wrk args...] -> "rps p50 p99"
  local url=$1 conns=${2:-$CONNECTIONS}; shift 2 || shift $#
  local report
  local threads=$(( conns < THREADS ? conns : THREADS ))
  report=$(wrk -t"$threads" -c"$conns" -d"${SECONDS_PER_RUN}s" --latency "$@" "$url")
  local errors
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$report" | tr '\n' ' ')
  [ -n "$errors" ] && echo "   warning: $errors" >&2
  awk '/Requests\/sec/ {rps=$2} $1 == "50%" {p50=$2} $1 == "99%" {p99=$2} END {print rps, p50, p99}' <<<"$report"
}

echo "== The article page with its comments: nginx, then Dateline"
curl -sf "$ARTICLE" >/dev/null
read -r NG_RPS NG_P50 NG_P99 < <(measure "http://127.0.0.1:$NGINX_PORT/article.html" "$CONNECTIONS")
read -r AR_RPS AR_P50 AR_P99 < <(measure "$ARTICLE" "$CONNECTIONS")
read -r NCA_RPS NCA_P50 NCA_P99 < <(measure "http://127.0.0.1:$NOCACHE_PORT/$SMALL" 4)

echo "== The 10,000-comment article, paged by cursor (page cache off)"
LARGE_ID=$(curl -sf "http://127.0.0.1:$DL_PORT/api/v1/articles/$LARGE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["article"]["id"])')
DEEP=$(python3 - "http://127.0.0.1:$NOCACHE_PORT" "$LARGE_ID" <<'PY'
import json, sys, urllib.request
base, aid = sys.argv[1], sys.argv[2]
url = f"{base}/api/v1/articles/{aid}/comments?sort=oldest&limit=50"
cursor, pages = "", 0
while url and pages < 45:
    page = json.load(urllib.request.urlopen(url))
    pages += 1
    nxt = page["next"]
    if nxt:
        cursor = nxt.split("after=")[1].split("&")[0]
    url = nxt
print(cursor)
PY
)
FIRST_HTML="http://127.0.0.1:$NOCACHE_PORT/$LARGE/comments?sort=oldest"
DEEP_HTML="http://127.0.0.1:$NOCACHE_PORT/$LARGE/comments?sort=oldest&after=$DEEP"
FIRST_API="http://127.0.0.1:$NOCACHE_PORT/api/v1/articles/$LARGE_ID/comments?sort=oldest&limit=50"
DEEP_API="$FIRST_API&after=$DEEP"
read -r F_RPS F_P50 F_P99 < <(measure "$FIRST_HTML" 1)
read -r D_RPS D_P50 D_P99 < <(measure "$DEEP_HTML" 1)
read -r FA_RPS FA_P50 FA_P99 < <(measure "$FIRST_API" 1)
read -r DA_RPS DA_P50 DA_P99 < <(measure "$DEEP_API" 1)
PAGE_COMMENTS=$(curl -sf "$DEEP_HTML" | grep -o 'class="comment"' | wc -l || true)

echo "== Posting: $POSTERS connections, a new reader and client address per comment"
settings '{"min_seconds": 3, "hold_first": false, "threads_per_page": 50, "max_links": 10}'
sleep 2
comment_tokens "$DL_PORT" 40000 "$OUT/tokens"
sleep 3.2
BEFORE=$(python3 -c "import sqlite3; print(sqlite3.connect('$DATA/dateline.db').execute('SELECT COUNT(*) FROM comments').fetchone()[0])")
read -r P_RPS P_P50 P_P99 < <(DL_TOKENS="$OUT/tokens" DL_THREADS=$(( POSTERS < THREADS ? POSTERS : THREADS )) measure "http://127.0.0.1:$DL_PORT/$SMALL/comments" "$POSTERS" -s bench/comment_post.lua)
AFTER=$(python3 -c "import sqlite3; print(sqlite3.connect('$DATA/dateline.db').execute('SELECT COUNT(*) FROM comments').fetchone()[0])")
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$DL_PID/status")

PAGE_KB=$(( $(stat -c %s "$OUT/nginx/www/article.html") / 1024 ))
TABLE=$(cat <<TXT
| what | requests/s | p50 | p99 | vs target |
|---|---:|---:|---:|---:|
| nginx, static copy of the article page with 200 comments (ceiling) | $(printf '%.0f' "$NG_RPS") | $(to_ms "$NG_P50") ms | $(to_ms "$NG_P99") ms | — |
| Dateline, the article page with 200 comments | $(printf '%.0f' "$AR_RPS") | $(to_ms "$AR_P50") ms | $(to_ms "$AR_P99") ms | $(ratio "$AR_RPS" "$NG_RPS") of nginx (≥ 50%) |
| Dateline, the same page rendered from SQLite each time (page cache off, 4 connections) | $(printf '%.0f' "$NCA_RPS") | $(to_ms "$NCA_P50") ms | $(to_ms "$NCA_P99") ms | — |
| 10,000 comments: first page of threads, HTML (cache off, 1 connection) | $(printf '%.0f' "$F_RPS") | $(to_ms "$F_P50") ms | $(to_ms "$F_P99") ms | p50 < 5 ms |
| 10,000 comments: deep page (after 45 pages), HTML | $(printf '%.0f' "$D_RPS") | $(to_ms "$D_P50") ms | $(to_ms "$D_P99") ms | p50 < 5 ms |
| 10,000 comments: first page, Comments API JSON | $(printf '%.0f' "$FA_RPS") | $(to_ms "$FA_P50") ms | $(to_ms "$FA_P99") ms | p50 < 5 ms |
| 10,000 comments: deep page, Comments API JSON | $(printf '%.0f' "$DA_RPS") | $(to_ms "$DA_P50") ms | $(to_ms "$DA_P99") ms | p50 < 5 ms |
| comment POST, $POSTERS concurrent posters, SQLite | $(printf '%.0f' "$P_RPS") | $(to_ms "$P_P50") ms | $(to_ms "$P_P99") ms | ≥ 1,000/s, p99 < 50 ms |

The article page: $PAGE_KB KiB, $SHOWN comments shown. A page of the 10,000-comment article: 50 threads, $PAGE_COMMENTS comments. Comments stored during the POST run: $((AFTER - BEFORE)). Seeding 10,200 comments through the Comments API: $SEED. Server peak RSS: $((RSS_KB / 1024)) MB.
TXT
)
echo
echo "$TABLE"

SECTION=$(cat <<MD
<!-- comments:start -->
## Comments (issues 5 and 6, $(date -u +%Y-%m-%d))

SQLite, release build, \`wrk -t$THREADS\` ($SECONDS_PER_RUN s each) on the same 2-core machine as the
servers, nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*nginx\///') with \`worker_processes auto\`. Readers' requests come from
distinct client addresses (X-Forwarded-For from a trusted proxy on 127.0.0.1), so the per-address
limits apply to each as to a real reader; every POST carries a form token older than the minimum time.

$TABLE
<!-- comments:end -->
MD
)
record_results comments "$SECTION"
echo
echo "Written to bench/RESULTS.md"
