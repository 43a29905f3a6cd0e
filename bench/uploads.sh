#!/usr/bin/env bash
# The upload benchmark (issue 12): what image uploads cost the server. A
# newsroom user uploads, PARALLEL at once through the image library form,
# first a decompression bomb (a 12000 x 11000 PNG of ~400 KB), then a
# camera-sized photo (8192 x 5464, 45 megapixels). Each case runs on a fresh
# server; the table gives the answers, the wall time, the server's CPU time
# and its peak memory (VmHWM) beside its memory before the uploads.
#
#   bench/uploads.sh [PARALLEL]                 # default 4
#   BASELINE_BIN=/path/to/dateline BASELINE_LABEL="main at abc123" bench/uploads.sh
#
# With BASELINE_BIN (an older build), that binary is measured in the same
# run, for a before-and-after comparison, under BASELINE_LABEL.
set -euo pipefail
cd "$(dirname "$0")/.."

PARALLEL=${1:-4}
OUT=bench/out/uploads
PORT=18191
PASSWORD="bench lantern granite river"

. bench/lib.sh
build_release

mkdir -p "$OUT"
[ -f "$OUT/bomb.png" ] || python3 bench/images.py bomb 12000 11000 "$OUT/bomb.png"
[ -f "$OUT/photo.png" ] || python3 bench/images.py photo 8192 5464 "$OUT/photo.png"

SERVE_PID=
cleanup() { [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null || true; }
trap cleanup EXIT

# The session's CSRF token on a newsroom page.
csrf_of() { sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1; }

# user+system CPU seconds the process has used.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

# Uploads FILE PARALLEL times at once to a fresh server run by BIN; prints
# one table row.
measure() { # bin label file what
  local bin=$1 label=$2 file=$3 what=$4 data jar csrf base_kb peak_kb cpu0 cpu1 t0 t1 answers
  local pids=()
  data=$(mktemp -d)
  printf '%s\n' "$PASSWORD" | DATELINE_LOG=warn "$bin" user add --email bench@news.test \
    --name Bench --role editor --password-stdin --data-dir "$data" >/dev/null
  DATELINE_LOG=warn "$bin" serve --data-dir "$data" --listen "127.0.0.1:$PORT" --max-upload-mb 20 &
  SERVE_PID=$!
  wait_ready "$PORT"
  jar="$data/cookies"
  csrf=$(curl -sf -c "$jar" -b "$jar" "http://127.0.0.1:$PORT/admin/login" | csrf_of)
  curl -sf -o /dev/null -c "$jar" -b "$jar" --data-urlencode "_csrf=$csrf" \
    --data-urlencode "email=bench@news.test" --data-urlencode "password=$PASSWORD" \
    --data-urlencode "next=" "http://127.0.0.1:$PORT/admin/login"
  csrf=$(curl -sf -b "$jar" "http://127.0.0.1:$PORT/admin/media" | csrf_of)
  base_kb=$(awk '/VmHWM/ {print $2}' "/proc/$SERVE_PID/status")
  cpu0=$(cpu_of "$SERVE_PID")
  t0=$(date +%s.%N)
  for i in $(seq 1 "$PARALLEL"); do
    curl -s -o /dev/null -w '%{http_code}\n' -b "$jar" -F "_csrf=$csrf" \
      -F "file=@$file;type=image/png" "http://127.0.0.1:$PORT/admin/media" > "$data/answer.$i" &
    pids+=($!)
  done
  wait "${pids[@]}"
  t1=$(date +%s.%N)
  cpu1=$(cpu_of "$SERVE_PID")
  peak_kb=$(awk '/VmHWM/ {print $2}' "/proc/$SERVE_PID/status")
  answers=$(cat "$data"/answer.* | sort | uniq -c | awk '{printf "%s%d×%s", sep, $1, $2; sep=", "}')
  kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=
  rm -rf "$data"
  echo "| $label | $what | $answers | $(secs "$t0" "$t1") s | $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.1f", b - a }') s | $((peak_kb / 1024)) MB | $((base_kb / 1024)) MB |"
}

echo "== Uploading, $PARALLEL at once"
ROWS=""
run_binary() { # bin label
  ROWS+="$(measure "$1" "$2" "$OUT/bomb.png" "12000 × 11000 PNG, $(( $(stat -c %s "$OUT/bomb.png") / 1024 )) KB")"$'\n'
  ROWS+="$(measure "$1" "$2" "$OUT/photo.png" "8192 × 5464 photo (45 MP), $(( $(stat -c %s "$OUT/photo.png") / 1024 )) KB")"$'\n'
}
if [ -n "${BASELINE_BIN:-}" ]; then run_binary "$BASELINE_BIN" "${BASELINE_LABEL:-baseline}"; fi
run_binary "$BIN" "this build"

TABLE=$(cat <<TXT
| binary | upload | answers | wall time | server CPU | peak RSS | RSS before |
|---|---|---|---:|---:|---:|---:|
${ROWS%$'\n'}
TXT
)
echo
echo "$TABLE"

SECTION=$(cat <<MD
<!-- uploads:start -->
## Uploads: images, $PARALLEL at once ($(date -u +%Y-%m-%d))

Release build, SQLite, the image library form (\`POST /admin/media\`) with
\`curl\`, $PARALLEL uploads at once, a fresh server for each row, on the
same 2-core machine. 303 is stored, 413 refused. Peak RSS is the server's
VmHWM after the uploads; "RSS before" is after signing in.

$TABLE
<!-- uploads:end -->
MD
)
record_results uploads "$SECTION"
echo
echo "Written to bench/RESULTS.md"
