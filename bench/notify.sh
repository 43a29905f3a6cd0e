#!/usr/bin/env bash
# The "Notify of" benchmark: an article with FOLLOWERS confirmed addresses
# following every new comment (10,000 by default). In one run on 127.0.0.1:
#
# 1. comment POSTs to that article at 8 connections, timed by wrk: the
#    request only marks the comment for notification, so its latency must
#    not depend on the followers (target p99 < 50 ms). These comments'
#    notifications are then dropped unsent (the next step measures one
#    comment's);
# 2. smtp-source pushing FOLLOWERS messages of the notification's size into
#    Postfix's smtp-sink (the ceiling), then `dateline mail work` making and
#    delivering one new comment's FOLLOWERS notifications into the same sink
#    (target ≥ 80% of smtp-source's messages/s).
#
# Prints a table and writes it into bench/RESULTS.md.
#
#   bench/notify.sh [FOLLOWERS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-10000}
CONCURRENCY=${2:-32}
OUT=bench/out/notify
DL_PORT=18201
SINK_PORT=12526
export DATELINE_LOG=warn

. bench/lib.sh
need_tools wrk postfix

build_release

DL_PID= SINK_PID=
cleanup() {
  [ -n "$DL_PID" ] && kill "$DL_PID" 2>/dev/null || true
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
}
trap cleanup EXIT
sql() { python3 - "$OUT/site/dateline.db" "$@"; }

rm -rf "$OUT" && mkdir -p "$OUT"
"$BIN" article add crates/dateline/tests/cli/fixtures/01-port-strike.md --data-dir "$OUT/site" >/dev/null
SLUG=basra-port-strike-ends

echo "== $N confirmed followers of every new comment on /$SLUG"
sql "$N" <<'PY'
import json, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
n, now = int(sys.argv[2]), int(time.time())
aid = db.execute("SELECT id FROM articles WHERE slug = 'basra-port-strike-ends'").fetchone()[0]
db.executemany("INSERT INTO comment_followers (email, confirmed_at, created_at) VALUES (?, ?, ?)",
               ((f"follower{i}@example.org", now, now) for i in range(n)))
db.execute("INSERT INTO comment_follows (follower_id, article_id, kind, comment_id, created_at, confirmed_at) "
           "SELECT id, ?, 'all', 0, ?, ? FROM comment_followers", (aid, now, now))
db.execute("INSERT INTO settings (key, value) VALUES ('comments', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
           (json.dumps({"min_seconds": 2, "hold_first": False}),))
db.execute("UPDATE site_state SET value = value + 1 WHERE key = 'content_version'")
db.commit()
PY

# Serves the site without mail workers (comments are only marked for
# notification), and writes form tokens old enough to post with into
# $OUT/tokens (one per comment) and TOKEN.
serve_for_comments() {
  "$BIN" serve --data-dir "$OUT/site" --listen "127.0.0.1:$DL_PORT" --trusted-proxies 127.0.0.1 \
    --no-mail-workers >"$OUT/serve.log" 2>&1 &
  DL_PID=$!
  wait_ready "$DL_PORT"
  comment_tokens "$DL_PORT" 20000 "$OUT/tokens"
  TOKEN=$(comment_token "$DL_PORT")
  sleep 2.2
}

echo "== Posting comments to the article (serve without mail workers)"
serve_for_comments
REPORT=$(DL_TOKENS="$OUT/tokens" DL_THREADS=2 wrk -t2 -c8 -d5s --latency -s bench/comment_post.lua "http://127.0.0.1:$DL_PORT/$SLUG/comments")
POST_RPS=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$REPORT")
POST_P50=$(awk '$1 == "50%" {print $2}' <<<"$REPORT")
POST_P99=$(awk '$1 == "99%" {print $2}' <<<"$REPORT")
kill "$DL_PID"; wait "$DL_PID" 2>/dev/null || true; DL_PID=
POSTED=$(sql <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT COUNT(*) FROM comments WHERE notify_due = 1").fetchone()[0])
db.execute("UPDATE comments SET notify_due = 0, notified_at = 0 WHERE notify_due = 1")
db.commit()
PY
)
echo "   $POSTED comments, $POST_RPS/s, p50 $POST_P50, p99 $POST_P99"

echo "== One more comment, whose $N notifications are delivered"
serve_for_comments
curl -sf -o /dev/null -H 'Accept: application/json' -H 'X-Forwarded-For: 192.0.2.1' \
  --data-urlencode "body=The cranes are moving again; I watched from the corniche this morning." \
  --data-urlencode "name=Layla Nasser" --data-urlencode "email=layla@example.net" \
  --data-urlencode "token=$TOKEN" "http://127.0.0.1:$DL_PORT/$SLUG/comments"
kill "$DL_PID"; wait "$DL_PID" 2>/dev/null || true; DL_PID=

# The size of one notification, for smtp-source to send the same.
SAMPLE="$OUT/sample"
rm -rf "$SAMPLE" && cp -r "$OUT/site" "$SAMPLE"
sql_sample() { python3 - "$SAMPLE/dateline.db" "$@"; }
sql_sample <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DELETE FROM comment_follows WHERE follower_id <> (SELECT MIN(id) FROM comment_followers)")
db.commit()
PY
"$BIN" mail work --until-empty --data-dir "$SAMPLE" --base-url https://news.example >/dev/null 2>&1
SIZE=$(stat -c %s "$SAMPLE"/outbox/*.eml | head -1)

start_smtp_sink "$SINK_PORT"
echo "== smtp-source: $N messages of $SIZE bytes, $CONCURRENCY sessions"
run_smtp_source "$N" "$SIZE" "$CONCURRENCY" "$SINK_PORT"

echo "== Dateline: making and delivering the notifications, $CONCURRENCY connections"
t0=$(date +%s.%N)
"$BIN" mail work --until-empty --data-dir "$OUT/site" --base-url https://news.example \
  --smtp "smtp://127.0.0.1:$SINK_PORT" --smtp-concurrency "$CONCURRENCY"
t1=$(date +%s.%N)
SEND_S=$(secs "$t0" "$t1")
SENT=$(sql <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT COUNT(*) FROM mail_messages WHERE kind = 'comment_notification' AND status = 'sent'").fetchone()[0])
PY
)
SEND_RATE=$(awk -v n="$SENT" -v s="$SEND_S" 'BEGIN { printf "%.0f", n / s }')
RATIO=$(ratio "$SEND_RATE" "$SOURCE_RATE")

TABLE=$(cat <<TXT
| what | result | target |
|---|---:|---|
| comment POST to the article with $N followers, 8 connections (wrk, 5 s) | $POST_RPS/s, p50 $(to_ms "$POST_P50") ms, **p99 $(to_ms "$POST_P99") ms** | p99 < 50 ms |
| smtp-source, $N messages of $SIZE bytes, $CONCURRENCY sessions (ceiling) | $SOURCE_S s, $SOURCE_RATE messages/s | — |
| Dateline \`mail work\`: one comment's notifications made and delivered, $CONCURRENCY connections | $SEND_S s, $SEND_RATE messages/s ($SENT sent), **$RATIO** | ≥ 80% of smtp-source |

The POST run stored $POSTED comments; their notifications ($POSTED × $N) were dropped unsent, so that the delivery row measures one comment's.
TXT
)
echo
echo "$TABLE"
SECTION=$(cat <<MD
<!-- notify:start -->
## Comment notifications: $N followers (issue 6, $(date -u +%Y-%m-%d))

SQLite, release build, Postfix $(/usr/sbin/postconf -d mail_version 2>/dev/null | sed 's/.*= //') \`smtp-sink\` on loopback, on the same 2-core
machine. Every follower is a confirmed address following every new comment on the article.

$TABLE
<!-- notify:end -->
MD
)
record_results notify "$SECTION"
echo
echo "Written to bench/RESULTS.md"
