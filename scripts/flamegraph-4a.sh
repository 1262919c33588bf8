#!/usr/bin/env bash
# py-spy flame graphs of `cad bench` scenario 4a (calls to taskings with the fleet's AVL): the
# service process with its AVL workers (`--subprocesses`), from the first service run of the
# bench until that service stops (docs/performance.md, "Where the time goes").
#
#   scripts/flamegraph-4a.sh [OUT] [BENCH_ARGS...]
#   scripts/flamegraph-4a.sh docs/perf --quick
#
# Writes OUT/4a-service.svg, and the bench's own table in OUT/4a-bench.txt. Needs ptrace rights
# over the service (root, or the same user with kernel.yama.ptrace_scope 0).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-docs/perf}
shift || true
mkdir -p "$out"
"$here/.venv/bin/cad" bench --only 4a "$@" >"$out/4a-bench.txt" 2>&1 &
bench=$!
pid=""
for _ in $(seq 1 600); do
    # The service the bench started: a child of the bench, `python -m service.cli serve`.
    pid=$(pgrep -P "$bench" -f "service.cli serve" | head -n1 || true)
    [ -n "$pid" ] && break
    sleep 0.1
done
if [ -z "$pid" ]; then
    echo "the bench started no service (see $out/4a-bench.txt)" >&2
    kill "$bench" 2>/dev/null || true
    exit 1
fi
"$here/.venv/bin/py-spy" record --pid "$pid" --subprocesses --rate 200 --format flamegraph \
    --output "$out/4a-service.svg" --nonblocking >/dev/null
wait "$bench"
echo "flame graph: $out/4a-service.svg; the bench's table: $out/4a-bench.txt"
