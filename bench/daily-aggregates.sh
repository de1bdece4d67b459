#!/usr/bin/env bash
# Benchmark: the two ways to give learning its daily aggregates per sensor, on the
# data directories bench/history-growth.sh leaves in WORK (run it first with the
# same WORK):
#   - kept:      what Caretaker does. `caretaker aggregates refresh` when nothing
#                changed (what every reader pays), and `caretaker aggregates rebuild`
#                (every day recomputed from its raw files, one day at a time);
#   - streaming: every reader computing them from every raw reading with Polars'
#                streaming engine (bench/daily_aggregates_streaming.py, Python Polars).
# Prints wall seconds and peak RSS (/usr/bin/time) of each.
#
# Usage: WORK=DIR bench/daily-aggregates.sh [YEARS...]   (default: 1 2 4)
#   SKIP_BUILD=1  use the release binary already built
# Python Polars runs in the venv ~/.cache/caretaker-bench-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/release.sh
[ -n "${WORK:-}" ] || { echo "set WORK to the directory bench/history-growth.sh used"; exit 1; }
venv="$HOME/.cache/caretaker-bench-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import polars' 2>/dev/null || "$venv/bin/pip" install -q polars
years=("$@"); [ ${#years[@]} -gt 0 ] || years=(1 2 4)
export RUST_LOG=warn

work="$WORK"
MEASURE_STEP_WIDTH=20
source bench/measure.sh

printf '%-10s %-20s %10s %10s\n' history way wall "peak RSS"
for y in "${years[@]}"; do
  data="$WORK/data-$y"
  [ -d "$data/readings" ] || { echo "no $data: run WORK=$WORK bench/history-growth.sh $y first"; exit 1; }
  measure "$y years" "kept: refresh" "$bin" --data "$data" aggregates refresh
  measure "$y years" "kept: rebuild" "$bin" --data "$data" aggregates rebuild
  measure "$y years" "streaming" "$venv/bin/python" bench/daily_aggregates_streaming.py "$data"
done
