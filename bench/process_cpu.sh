#!/usr/bin/env bash
# CPU of one whole `quarry extract` process making one call to a loopback server (start-up,
# HTTP client, the call, exit): what a script that runs quarry once per document pays. The
# fake provider runs as a separate process, so its CPU is not counted; RUNS processes are
# started one after another and their user + system CPU averaged (getrusage of the children).
#   bench/process_cpu.sh [PATH_TO_quarry]   (default target/release/quarry; RUNS=100)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/quarry}"
runs="${RUNS:-100}"
cargo build --release -q -p quarry-fake-provider
url_file=$(mktemp)
target/release/quarry-fake-provider --reply bench/fixtures/small.reply.json > "$url_file" &
fake=$!
trap 'kill "$fake" 2>/dev/null || true; rm -f "$url_file"' EXIT
for _ in $(seq 50); do [ -s "$url_file" ] && break; sleep 0.1; done
python3 - "$bin" "$(cat "$url_file")" "$runs" <<'PY'
import os, resource, subprocess, sys, time
binary, url, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmd = [binary, "extract", "--provider", "openai/bench", "--base-url", url,
       "--api-key-env", "BENCH_KEY", "--schema", "bench/fixtures/small.schema.json",
       "--prompt", "Extract the data.", "--mode", "tools", "--compact", "--no-save"]
env = dict(os.environ, BENCH_KEY="sk-bench")
subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)  # warm the page cache
before = resource.getrusage(resource.RUSAGE_CHILDREN)
walls = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    walls.append(time.perf_counter() - t)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) / runs
walls.sort()
print(f"one quarry extract process (one call, loopback): {cpu * 1e3:.1f} ms CPU on average over {runs} runs, "
      f"wall p50 {walls[len(walls) // 2] * 1e3:.1f} ms")
PY
