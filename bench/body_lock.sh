#!/usr/bin/env bash
# Issue 12, finding 6, in one run on 127.0.0.1 (everything stops by itself):
# an editor saves, through the admin API, a body of <div> nested 80,000 deep
# (400 KB), then a long ordinary body (4,000 paragraphs, 860 KB), each while
# a reader posts comments on another article. Prints how long each save
# took and what it answered, and how long each comment took meanwhile,
# beside a comment posted with nothing else running.
#
#   bench/body_lock.sh            # builds this checkout's release binary
#   BIN=path/to/dateline bench/body_lock.sh   # measures another binary
#
# SQLite, the default: there a save's transaction holds the only write lock.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=18291
OUT=bench/out/body_lock
COMMENTS_DURING=${COMMENTS_DURING:-5}

. bench/lib.sh
[ -n "${BIN:-}" ] || build_release

cleanup() { [ -n "${DL_PID:-}" ] && kill "$DL_PID" 2>/dev/null || true; }
trap cleanup EXIT

rm -rf "$OUT"
mkdir -p "$OUT"
DATA="$OUT/site"
FIXTURES=crates/dateline/tests/cli/fixtures
DATELINE_LOG=warn "$BIN" article add "$FIXTURES/01-port-strike.md" --data-dir "$DATA" >/dev/null
SLUG=basra-port-strike-ends
echo "editor-password-for-bench" | "$BIN" user add --email editor@bench.test --name "Bench Editor" \
  --role editor --password-stdin --data-dir "$DATA" >/dev/null
TOKEN=dl_benchtokenbenchtokenbenchtoken0001
python3 - "$DATA/dateline.db" "$TOKEN" <<'PY'
import hashlib, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
user = db.execute("SELECT id FROM users WHERE email = 'editor@bench.test'").fetchone()[0]
db.execute("INSERT INTO api_tokens (name, prefix, token_hash, user_id, created_by, created_at) VALUES ('bench', ?, ?, ?, ?, ?)",
           (sys.argv[2][:10], hashlib.sha256(sys.argv[2].encode()).hexdigest(), user, user, int(time.time())))
db.execute("""INSERT INTO settings (key, value) VALUES ('comments', '{"min_seconds": 0, "hold_first": false}')
              ON CONFLICT (key) DO UPDATE SET value = excluded.value""")
db.execute("UPDATE site_state SET value = value + 1 WHERE key = 'content_version'")
db.commit()
PY
python3 -c 'import json; print(json.dumps({"headline": "Deep", "body": "<div>" * 80000}))' > "$OUT/deep.json"
python3 - "$OUT/long.json" <<'PY'
import json, sys
body = "".join(f"Paragraph {i}: officials in Basra said on Tuesday that the *new* rota at the port, agreed after [three weeks](https://example.org/{i}) of talks, gives dockworkers one rest day in four.\n\n" for i in range(4000))
json.dump({"headline": "Long", "body": body}, open(sys.argv[1], "w"))
PY

DATELINE_LOG=warn "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --no-mail-workers >"$OUT/serve.log" 2>&1 &
DL_PID=$!
wait_ready "$PORT"

# Prints "status seconds" for one comment POST.
comment() { # n
  local token
  token=$(comment_token "$PORT")
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H 'accept: application/json' \
    --data-urlencode "body=Comment $1 while the newsroom saves." --data-urlencode "name=Reader $1" \
    --data-urlencode "email=reader$1@bench.test" --data-urlencode "token=$token" \
    "http://127.0.0.1:$PORT/$SLUG/comments"
}

# Saves FILE while posting comments; prints its rows of the table.
save_while_commenting() { # label file
  curl -s -o "$OUT/save.json" -w '%{http_code} %{time_total}\n' -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' --data-binary @"$2" \
    "http://127.0.0.1:$PORT/api/v1/admin/articles" >"$OUT/save.txt" &
  local save_pid=$! n status s
  sleep 0.05
  : >"$OUT/comments.txt"
  for n in $(seq 1 "$COMMENTS_DURING"); do comment "$n" >>"$OUT/comments.txt"; done
  wait "$save_pid"
  read -r status s <"$OUT/save.txt"
  echo "| save of $1 | $status | $s |"
  n=0
  while read -r status s; do
    n=$((n + 1))
    echo "| comment POST $n while it is sent | $status | $s |"
  done <"$OUT/comments.txt"
  echo "$1: $(head -c 200 "$OUT/save.json")" >>"$OUT/answers.txt"
}

read -r IDLE_STATUS IDLE_S < <(comment 0)
: >"$OUT/answers.txt"
echo
echo "| what | answer | seconds |"
echo "|---|---|---|"
echo "| comment POST, nothing else running | $IDLE_STATUS | $IDLE_S |"
save_while_commenting "<div> x 80,000 (400 KB)" "$OUT/deep.json"
save_while_commenting "4,000 paragraphs (860 KB)" "$OUT/long.json"
echo
cat "$OUT/answers.txt"
