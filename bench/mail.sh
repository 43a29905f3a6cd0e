#!/usr/bin/env bash
# The mail benchmark: one newsletter to N generated subscribers (1,000,000 by
# default) delivered over SMTP into Postfix's smtp-sink, and, in the same
# run, Postfix's smtp-source pushing the same number of messages of the same
# size into the same sink (the ceiling; it opens a session per message).
# Also times the queue insert (the send's one INSERT … SELECT) and the CSV
# import, and records the sender's peak memory. Prints a table and writes it
# into bench/RESULTS.md. Everything listens on 127.0.0.1 and stops by itself.
#
#   bench/mail.sh [SUBSCRIBERS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-1000000}
CONCURRENCY=${2:-32}
OUT=bench/out
SINK_PORT=12525
DATA="$OUT/mail-$N"

. bench/lib.sh
need_tools postfix

build_release
export DATELINE_LOG=warn

SINK_PID=
cleanup() { [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true; }
trap cleanup EXIT

echo "== $N subscribers: generating and importing"
rm -rf "$DATA" && mkdir -p "$DATA"
python3 - "$N" "$DATA/subscribers.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("email,name,frequency\n")
    for i in range(n):
        f.write(f"reader{i}@example.org,Reader {i},each\n")
PY
t0=$(date +%s.%N)
"$BIN" subscribers import "$DATA/subscribers.csv" --data-dir "$DATA" >/dev/null
t1=$(date +%s.%N)
IMPORT_S=$(secs "$t0" "$t1")
"$BIN" article add crates/dateline/tests/cli/fixtures/01-port-strike.md --data-dir "$DATA" >/dev/null
SLUG=basra-port-strike-ends

# The size of the message Dateline sends, for smtp-source to send the same.
SAMPLE="$OUT/mail-sample"
rm -rf "$SAMPLE" && mkdir -p "$SAMPLE"
echo "email,name" > "$SAMPLE/one.csv"; echo "reader0@example.org,Reader 0" >> "$SAMPLE/one.csv"
"$BIN" subscribers import "$SAMPLE/one.csv" --data-dir "$SAMPLE" >/dev/null
"$BIN" article add crates/dateline/tests/cli/fixtures/01-port-strike.md --data-dir "$SAMPLE" >/dev/null
"$BIN" newsletter send "$SLUG" --data-dir "$SAMPLE" --base-url https://news.example >/dev/null 2>&1
SIZE=$(stat -c %s "$SAMPLE"/outbox/*.eml | head -1)

echo "== smtp-sink on 127.0.0.1:$SINK_PORT"
start_smtp_sink "$SINK_PORT"

echo "== smtp-source: $N messages of $SIZE bytes, $CONCURRENCY sessions at a time, a session per message"
run_smtp_source "$N" "$SIZE" "$CONCURRENCY" "$SINK_PORT"
echo "   $SOURCE_S s, $SOURCE_RATE messages/s"

echo "== Dateline: queueing the send"
t0=$(date +%s.%N)
"$BIN" newsletter send "$SLUG" --no-wait --data-dir "$DATA" >/dev/null
t1=$(date +%s.%N)
QUEUE_S=$(secs "$t0" "$t1")
echo "   $QUEUE_S s to queue $N messages (one INSERT … SELECT, one transaction)"

echo "== Dateline: delivering with $CONCURRENCY connections"
t0=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$OUT/mail-rss.txt" \
  "$BIN" mail work --until-empty --data-dir "$DATA" --base-url https://news.example \
  --smtp "smtp://127.0.0.1:$SINK_PORT" --smtp-concurrency "$CONCURRENCY"
t1=$(date +%s.%N)
SEND_S=$(secs "$t0" "$t1")
SEND_RATE=$(awk -v n="$N" -v s="$SEND_S" 'BEGIN { printf "%.0f", n / s }')
RSS_MB=$(awk '{ printf "%.0f", $1 / 1024 }' "$OUT/mail-rss.txt")
STATUS=$("$BIN" newsletter status 1 --data-dir "$DATA")
echo "   $SEND_S s, $SEND_RATE messages/s, peak RSS $RSS_MB MB"
echo "   $STATUS"

RATIO=$(ratio "$SEND_RATE" "$SOURCE_RATE")
TABLE=$(cat <<TXT
| what | time | messages/s | Dateline/smtp-source |
|---|---:|---:|---:|
| smtp-source, $N messages of $SIZE bytes, $CONCURRENCY sessions (ceiling) | $SOURCE_S s | $SOURCE_RATE | — |
| Dateline \`mail work\`, the same into the same sink, $CONCURRENCY connections | $SEND_S s | $SEND_RATE | $RATIO |

Queue insert of $N recipients (\`newsletter send --no-wait\`, SQLite): $QUEUE_S s. Import of the $N-row CSV: $IMPORT_S s. Sender's peak RSS: $RSS_MB MB. Final status: $STATUS
TXT
)
echo
echo "$TABLE"

SECTION=$(cat <<MD
<!-- mail:start -->
## Mail: a newsletter to $N subscribers ($(date -u +%Y-%m-%d))

SQLite, release build, Postfix $(/usr/sbin/postconf -d mail_version 2>/dev/null | sed 's/.*= //') \`smtp-sink\` on loopback, on the same
2-core machine as the sender. Targets (issue 4): ≥ 80% of smtp-source's
messages/s, peak memory under 200 MB, the queue insert of 1,000,000
recipients under 30 s.

$TABLE
<!-- mail:end -->
MD
)
record_results mail "$SECTION"
echo
echo "Written to bench/RESULTS.md"
