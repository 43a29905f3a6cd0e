#!/usr/bin/env bash
# Memory under a burst of sign-ins (issue 12, finding 4): each argon2id run
# takes 19 MiB, so sign-ins that all hash at once grow the server by that
# much each; with hashing bounded to the cores, the growth stays flat.
#
# On 127.0.0.1 (everything stops by itself): PEOPLE accounts, one `serve`
# on SQLite with mail off, then PEOPLE sign-ins sent at once, each from its
# own forwarded address (the server trusts 127.0.0.1 as a proxy, so the
# per-address limit is not what is measured), ROUNDS times. Reports the
# server's resident memory before the bursts and its peak (VmHWM), and how
# the sign-ins were answered.
#
#   bench/sign_in.sh [PEOPLE] [ROUNDS]
#   BIN=/path/to/another/dateline bench/sign_in.sh   # measure another build
set -euo pipefail
cd "$(dirname "$0")/.."

PEOPLE=${1:-24}
ROUNDS=${2:-3}
PORT=18211
OUT=bench/out/sign_in

. bench/lib.sh
if [ -z "${BIN:-}" ]; then
  build_release
fi
LABEL=${LABEL:-$(git rev-parse --short HEAD)}

rm -rf "$OUT" && mkdir -p "$OUT"
cleanup() { [ -n "${DL_PID:-}" ] && kill "$DL_PID" 2>/dev/null || true; }
trap cleanup EXIT

echo "== $PEOPLE accounts"
for i in $(seq 1 "$PEOPLE"); do
  echo "a long enough password $i" | "$BIN" user add --email "reporter$i@bench.test" \
    --name "Reporter $i" --role author --password-stdin --data-dir "$OUT/data" >/dev/null
done

"$BIN" serve --data-dir "$OUT/data" --listen "127.0.0.1:$PORT" --no-mail-workers \
  --trusted-proxies 127.0.0.1 2>"$OUT/serve.log" &
DL_PID=$!
wait_ready "$PORT"

kib() { awk -v k="$1" '/^'"$1"':/ { print $2 }' "/proc/$DL_PID/status"; }
before=$(kib VmRSS)

echo "== $ROUNDS bursts of $PEOPLE sign-ins at once"
answers=$(python3 - "$PORT" "$PEOPLE" "$ROUNDS" <<'PY'
import collections, http.cookiejar, re, sys, threading, urllib.error, urllib.parse, urllib.request
port, people, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
base = f"http://127.0.0.1:{port}"
seen = collections.Counter()
lock = threading.Lock()

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

def sign_in(i, r, go):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(base + "/admin/login").read().decode()
    token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"_csrf": token, "email": f"reporter{i}@bench.test",
                                   "password": f"a long enough password {i}", "next": "/admin"}).encode()
    req = urllib.request.Request(base + "/admin/login", data=body,
                                 headers={"X-Forwarded-For": f"198.51.{r}.{i}"})
    go.wait()
    try:
        status = opener.open(req).status
    except urllib.error.HTTPError as e:
        status = e.code
    with lock:
        seen[status] += 1

for r in range(rounds):
    go = threading.Event()
    threads = [threading.Thread(target=sign_in, args=(i, r + 1, go)) for i in range(1, people + 1)]
    for t in threads: t.start()
    import time; time.sleep(1.0)
    go.set()
    for t in threads: t.join()
print(" ".join(f"{k}×{v}" for k, v in sorted(seen.items())))
PY
)
peak=$(kib VmHWM)
after=$(kib VmRSS)
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
growth=$(awk -v a="$before" -v b="$peak" 'BEGIN { printf "%.0f", (b - a) / 1024 }')

table="| build | sign-ins at once | answers | RSS before | peak RSS | growth | RSS after |
|---|---|---|---|---|---|---|
| $LABEL | $PEOPLE × $ROUNDS | $answers | $(mib "$before") MiB | $(mib "$peak") MiB | $growth MiB | $(mib "$after") MiB |"
echo
echo "$table"
record_results "sign_in_$LABEL" "<!-- sign_in_$LABEL:start -->
### Sign-in burst: $LABEL ($(date -u +%Y-%m-%d), $(nproc) cores)

$table
<!-- sign_in_$LABEL:end -->"
