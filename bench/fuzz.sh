#!/usr/bin/env bash
# The long fuzzing run: every target in fuzz/ for SECONDS (default 600),
# with AddressSanitizer. Keeps in fuzz/corpus/ the smallest set of inputs
# that reaches the code edges reached so far, and minimises any crash;
# writes executions,
# executions per second, coverage and crashes per target into
# bench/RESULTS.md.
#
#   bench/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-600}
. bench/lib.sh

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
status=0
FUZZ_KEEP=1 FUZZ_SUMMARY="$summary" scripts/fuzz "$SECONDS_EACH" || status=$?

section=$(python3 - "$summary" "$SECONDS_EACH" "${FUZZ_SANITIZER:-address}" <<'PY'
import sys, datetime, pathlib, subprocess
path, seconds, sanitizer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [l.split("\t") for l in pathlib.Path(path).read_text().splitlines() if l]
today = datetime.date.today().isoformat()
corpus = subprocess.run(["du", "-sh", "--apparent-size", "fuzz/corpus"], capture_output=True, text=True).stdout.split()[0]
out = [f"<!-- fuzz:start -->", f"## Fuzzing ({today})", "",
       f"`bench/fuzz.sh {seconds}`: each target {seconds} s, libFuzzer through `cargo fuzz` on the",
       f"stable toolchain (`RUSTC_BOOTSTRAP=1`), sanitizer: {sanitizer}, on the shared 2-core machine.",
       "Coverage is libFuzzer's count of code edges reached (cov) and of features (ft).", "",
       "| target | executions | exec/s | cov | ft | crashes | corpus files ± |",
       "|---|---:|---:|---:|---:|---:|---:|"]
for t, execs, rate, cov, ft, crashes, new, build in rows:
    out.append(f"| {t} | {int(execs):,} | {int(rate):,} | {cov} | {ft} | {crashes} | {int(new):+d} |")
total = sum(int(r[1]) for r in rows)
build = rows[0][7] if rows else "0"
out += ["", f"{total:,} executions in all; build {build} s; corpus now {corpus}.", "<!-- fuzz:end -->"]
print("\n".join(out))
PY
)
record_results fuzz "$section"
echo "$section"
exit "$status"
