#!/usr/bin/env bash
# How long `quarry serve` takes from being started to printing its address (what a user waits
# for before the page can open): RUNS starts, the median and the slowest in milliseconds. The
# starts take two new databases in turn: the first start of each creates it (its migrations),
# the others open it.
#   bench/serve_start.sh [PATH_TO_quarry]   (default target/release/quarry; RUNS=20)
set -euo pipefail
bin="${1:-target/release/quarry}"
runs="${RUNS:-20}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
times=()
for i in $(seq "$runs"); do
  db="$dir/$((i % 2)).db"
  start=$(date +%s%N)
  exec 3< <(exec "$bin" serve --db "$db")
  pid=$!
  read -r line <&3
  end=$(date +%s%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  exec 3<&-
  case "$line" in "Quarry is running at "*) ;; *) echo "serve_start: unexpected first line: $line" >&2; exit 1 ;; esac
  times+=($(( (end - start) / 1000 )))
done
printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$runs" '
  { t[NR] = $1 }
  END { printf "quarry serve: started and printed its address in %.1f ms (median of %d), %.1f ms at most\n", t[int((NR + 1) / 2)] / 1000, runs, t[NR] / 1000 }'
