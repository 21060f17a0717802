#!/usr/bin/env bash
# Python instructor's partial streaming on the stream `cargo bench -p quarry-engine --bench stream`
# measures for quarry: N records (~100 bytes each) as 8-character tool-argument deltas.
#   PYTHON=/path/to/venv/bin/python bench/stream_vs_instructor.sh 50 200 400
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
cargo build --release -q -p quarry-fake-provider
for n in "${@:-50 200}"; do
  "$PYTHON" - "$n" > "target/records-$n.json" <<'PY'
import json, sys
n = int(sys.argv[1])
recs = [{"id": i, "name": f"Customer {i:05}", "email": f"c{i:05}@example.org",
         "score": (i % 1000) / 10.0, "active": i % 3 != 0, "tier": "gold"} for i in range(n)]
print(json.dumps({"records": recs}, separators=(",", ":")))
PY
  target/release/quarry-fake-provider --stream-args "target/records-$n.json" --name Records --chunk 8 > "target/records-$n.url" &
  pid=$!
  for _ in $(seq 50); do [ -s "target/records-$n.url" ] && break; sleep 0.1; done
  "$PYTHON" bench/instructor_stream.py "$(cat "target/records-$n.url")" "$n"
  kill "$pid"
done
