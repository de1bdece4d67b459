#!/usr/bin/env bash
# Benchmark: simulated readings generated (and written to Parquet) per second,
# and peak memory, for two years of the sample co-op.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/caretaker-target}"
cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$CARGO_TARGET_DIR/release/caretaker" --data "$out/data" simulate history \
  --seed 7 --years "${YEARS:-2}" --out "$out/sim" >/dev/null
du -sh "$out/sim/readings.parquet" | awk '{print "readings.parquet size: " $1}'
