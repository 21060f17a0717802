#!/usr/bin/env bash
# CPU per extraction call, end to end through real HTTP on loopback: quarry's release binary
# (`quarry extract --repeat N`) against the fake provider running as a separate process, so the
# server's CPU is not counted. With INSTRUCTOR=1 (and instructor installed in $PYTHON's
# environment), Python instructor is measured on the same server, schema and mode.
#
#   bench/cpu_per_call.sh                 # quarry only
#   INSTRUCTOR=1 PYTHON=/path/to/venv/bin/python bench/cpu_per_call.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${CALLS:-2000}
PY_CALLS=${PY_CALLS:-500}
PYTHON=${PYTHON:-python3}

[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p quarry -p quarry-fake-provider
bin=target/release
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

for which in small wide; do
  "$bin/quarry-fake-provider" --reply "bench/fixtures/$which.reply.json" > "target/bench-$which.url" &
  pids+=($!)
done
for which in small wide; do
  for _ in $(seq 50); do [ -s "target/bench-$which.url" ] && break; sleep 0.1; done
done

printf '%-28s %-6s %8s %14s %14s\n' implementation schema calls "cpu µs/call" "p50 ms"
for which in small wide; do
  url=$(cat "target/bench-$which.url")
  line=$(BENCH_KEY=sk-bench "$bin/quarry" extract --provider openai/bench --base-url "$url" \
      --api-key-env BENCH_KEY --schema "bench/fixtures/$which.schema.json" --prompt "Extract the data." \
      --mode tools --repeat "$CALLS" --compact --no-save 2>&1 >/dev/null | tail -n 1)
  cpu=$(sed -E 's/.*cpu ([0-9.]+) µs\/call.*/\1/' <<<"$line")
  p50=$(sed -E 's/.*p50 ([0-9.]+) ms.*/\1/' <<<"$line")
  printf '%-28s %-6s %8s %14s %14s\n' "quarry $(git describe --always --dirty 2>/dev/null || echo dev)" "$which" "$CALLS" "$cpu" "$p50"
  if [ "${INSTRUCTOR:-0}" = 1 ]; then
    out=$("$PYTHON" bench/instructor_cpu.py "$url" "$which" "$PY_CALLS")
    "$PYTHON" - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"{r['impl']:<28} {r['schema']:<6} {r['calls']:>8} {r['cpu_us_per_call']:>14} {r['p50_ms']:>14}")
PY
  fi
done
