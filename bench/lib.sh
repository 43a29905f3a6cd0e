# What the benchmark scripts share; sourced by each (`. bench/lib.sh` from
# the repository's root).

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Installs what a benchmark needs and lacks: any of wrk, nginx, postfix (for
# smtp-sink and smtp-source; preseeded, and its own daemon never started).
need_tools() { # wrk nginx postfix
  local pkgs=() t
  for t in "$@"; do
    case $t in
      wrk) command -v wrk >/dev/null || pkgs+=(wrk) ;;
      nginx) [ -x /usr/sbin/nginx ] || pkgs+=(nginx-light) ;;
      postfix)
        if [ ! -x /usr/sbin/smtp-sink ] || [ ! -x /usr/sbin/smtp-source ]; then
          echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
          pkgs+=(postfix)
        fi ;;
    esac
  done
  if [ ${#pkgs[@]} -gt 0 ]; then
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${pkgs[@]}"
  fi
}

# Builds the release binary and sets BIN to it.
build_release() {
  echo "== Building the release binary"
  cargo build --release --locked -p dateline
  BIN="${CARGO_TARGET_DIR:-target}/release/dateline"
}

# Waits (10 s at most) until the server on 127.0.0.1:PORT is ready.
wait_ready() { # port
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return; sleep 0.1; done
}

# A fresh comment-form token from the server on 127.0.0.1:PORT.
comment_token() { # port
  curl -sf "http://127.0.0.1:$1/api/v1/comments/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# Writes COUNT fresh comment-form tokens from the server on 127.0.0.1:PORT
# into FILE, one a line, for comment_post.lua (a token sends three comments
# at most, so a benchmark takes one per comment).
comment_tokens() { # port count file
  python3 - "$1" "$2" "$3" <<'PY'
import http.client, json, sys
port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
conn = http.client.HTTPConnection("127.0.0.1", port)
with open(path, "w") as f:
    for _ in range(n):
        conn.request("GET", "/api/v1/comments/token")
        f.write(json.loads(conn.getresponse().read())["token"] + "\n")
PY
}

# Starts Postfix's smtp-sink on 127.0.0.1:PORT and sets SINK_PID.
start_smtp_sink() { # port
  local user=()
  [ "$(id -u)" -eq 0 ] && user=(-u nobody)
  /usr/sbin/smtp-sink "${user[@]}" "127.0.0.1:$1" 1024 &
  SINK_PID=$!
  sleep 0.5
}

# Postfix's smtp-source sending N messages of SIZE bytes, CONCURRENCY
# sessions at a time, to 127.0.0.1:PORT; sets SOURCE_S and SOURCE_RATE.
run_smtp_source() { # n size concurrency port
  local t0 t1
  t0=$(date +%s.%N)
  /usr/sbin/smtp-source -s "$3" -m "$1" -l "$2" -f news@news.example -t reader@example.org "127.0.0.1:$4"
  t1=$(date +%s.%N)
  SOURCE_S=$(secs "$t0" "$t1")
  SOURCE_RATE=$(awk -v n="$1" -v s="$SOURCE_S" 'BEGIN { printf "%.0f", n / s }')
}

# Seconds between two `date +%s.%N` readings, to a tenth.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# wrk prints 1.23ms, 850.00us or 1.02s; this prints milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v/1000 }
                         else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
                         else { sub(/s$/, "", v); printf "%.2f", v*1000 } }'
}

# a as a percentage of b.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100*a/b }'; }

# Serves DIR's files with nginx on 127.0.0.1:PORT (config and pid in DIR/..),
# and waits until FILE answers.
start_nginx() { # dir port file
  local www=$1 port=$2 file=$3 conf
  conf="$(dirname "$www")"
  cat > "$conf/nginx.conf" <<NGINX
worker_processes auto;
pid $conf/nginx.pid;
error_log $conf/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  default_type text/html;
  server {
    listen 127.0.0.1:$port;
    root $www;
  }
}
NGINX
  /usr/sbin/nginx -c "$conf/nginx.conf"
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/$file" >/dev/null && break; sleep 0.1; done
}

# Puts SECTION (which starts with <!-- NAME:start --> and ends with
# <!-- NAME:end -->) into bench/RESULTS.md, in place of the last one.
record_results() { # name section
  python3 - "$1" "$2" <<'PY'
import re, sys, pathlib
name, section = sys.argv[1], sys.argv[2]
path = pathlib.Path("bench/RESULTS.md")
text = path.read_text() if path.exists() else "# Benchmark results\n\nWritten by the scripts in `bench/`; each section is replaced when its benchmark runs again.\n"
pattern = re.compile(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", re.S)
text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
path.write_text(text)
PY
}
