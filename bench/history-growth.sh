#!/usr/bin/env bash
# Benchmark: how the cost of learning grows with history. Simulates 1, 2 and 4
# years of the sample co-op (seed 7, from 1 January 2016), imports each into a fresh data directory,
# then runs `train`, `backtest` and `score` on each and prints wall seconds and
# peak RSS (/usr/bin/time) of every step, and last the ratio of `train`'s peak RSS
# at the longest history to the shortest.
#
# Usage: bench/history-growth.sh [YEARS...]        (default: 1 2 4)
#   WORK=DIR      keep the simulated histories and data directories in DIR (reused
#                 by the next run with the same WORK: simulating and importing take minutes)
#   SKIP_BUILD=1  use the release binary already built
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/release.sh
years=("$@"); [ ${#years[@]} -gt 0 ] || years=(1 2 4)
if [ -n "${WORK:-}" ]; then work="$WORK"; mkdir -p "$work"; else
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
export RUST_LOG=warn
# Every history starts on the same day, far enough back that the longest one ends
# before today (import keeps no reading from the future).
start=2016-01-01T00:00:00Z

source bench/measure.sh

printf '%-10s %-9s %10s %10s\n' history step wall "peak RSS"
first_rss=""; last_rss=""
for y in "${years[@]}"; do
  sim="$work/sim-$y"; data="$work/data-$y"
  if [ "$(cat "$data/.imported" 2>/dev/null)" != "$start" ]; then
    rm -rf "$sim" "$data"
    "$bin" --data "$data" simulate history --seed 7 --start "$start" --years "$y" --out "$sim" >/dev/null 2>&1
    "$bin" --data "$data" import readings "$sim/readings.parquet" >/dev/null 2>&1
    "$bin" --data "$data" import events "$sim/events.parquet" >/dev/null 2>&1
    echo "$start" > "$data/.imported"
  fi
  measure "$y years" train "$bin" --data "$data" train
  rss_train=$(cat "$work/last_rss")
  [ -n "$first_rss" ] || first_rss=$rss_train
  last_rss=$rss_train
  measure "$y years" backtest "$bin" --data "$data" backtest
  measure "$y years" score "$bin" --data "$data" score
done
python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'train peak RSS: {b:.0f} MB at ${years[-1]} years, {b/a:.2f}x the {a:.0f} MB at ${years[0]} year(s)')" "$first_rss" "$last_rss"
