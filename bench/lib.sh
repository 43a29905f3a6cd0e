# What the benchmark scripts share; sourced by each (`. bench/lib.sh` from
# the repository's root).

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

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
