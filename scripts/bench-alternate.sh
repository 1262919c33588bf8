#!/usr/bin/env bash
# `cad bench` on an earlier commit and on this checkout, alternated, for before-and-after figures
# measured on the same machine in one session (docs/performance.md).
#
#   scripts/bench-alternate.sh REV [ROUNDS] [SCENARIOS] [OUT]
#   scripts/bench-alternate.sh 1051dae 4 2,4b,5,6 /tmp/bench-18
#
# REV is checked out in a worktree of its own beside this one and run with this checkout's
# virtualenv; a dependency it needs that this one dropped goes on BEFORE_PYTHONPATH (1051dae
# needs aiomqtt: `pip install --target /tmp/overlay aiomqtt==2.5.1 --no-deps`). Each bench runs
# under `nice -n -10` when allowed, so that other work on the machine takes less from it. The JSON
# of each run lands in OUT as before-N.json and after-N.json.
set -euo pipefail
rev=${1:?usage: scripts/bench-alternate.sh REV [ROUNDS] [SCENARIOS] [OUT]}
rounds=${2:-3}
only=${3:-2,4b,5,6}
here=$(cd "$(dirname "$0")/.." && pwd)
out=${4:-$(mktemp -d /tmp/bench-alternate.XXXXXX)}
python=$here/.venv/bin/python
before=$(mktemp -d /tmp/bench-before.XXXXXX)
git -C "$here" worktree add --detach "$before" "$rev" >/dev/null
trap 'git -C "$here" worktree remove --force "$before"' EXIT
nice_cmd=()
nice -n -10 true 2>/dev/null && nice_cmd=(nice -n -10)
cli_of() {  # the CLI's module: service.cli since the house plan, cad.cli before it
    if [ -f "$1/service/cli.py" ]; then echo service.cli; else echo cad.cli; fi
}
mkdir -p "$out"
for round in $(seq 1 "$rounds"); do
    for side in before after; do
        if [ "$side" = before ]; then dir=$before; path=$before${BEFORE_PYTHONPATH:+:$BEFORE_PYTHONPATH}
        else dir=$here; path=$here; fi
        echo "round $round $side, load $(cut -d' ' -f1-3 /proc/loadavg), $(date +%T)" | tee -a "$out/log"
        (cd "$dir" && PYTHONPATH=$path "${nice_cmd[@]}" "$python" -m "$(cli_of "$dir")" bench \
            --quick --only "$only" --json "$out/$side-$round.json" >"$out/$side-$round.txt" 2>&1) ||
            echo "  exit $? (see $out/$side-$round.txt)" | tee -a "$out/log"
    done
done
echo "results in $out"
