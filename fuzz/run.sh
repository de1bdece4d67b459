#!/usr/bin/env bash
# Runs every fuzz target for a fixed budget (SECONDS each, default 20) from its
# seed corpus, and prints how many inputs each one tried. New inputs libFuzzer
# finds go to a scratch folder, not into the repository; an input that crashes
# a target is kept in fuzz/artifacts/TARGET/ and fails the run.
# Needs the nightly toolchain and cargo-fuzz (fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-20}"
target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/caretaker-target}/fuzz"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# Build first, so that code that does not compile is reported as such, not as a crash.
if ! cargo +nightly fuzz build --target-dir "$target_dir" >"$scratch/build.log" 2>&1; then
  tail -n 40 "$scratch/build.log" >&2
  echo "error: the fuzz targets do not build (fuzz/ is not part of the workspace: check it after changing ingest's or core's types)" >&2
  exit 1
fi

for target in $(cargo +nightly fuzz list); do
  mkdir -p "$scratch/$target" "$scratch/artifacts/$target"
  log="$scratch/$target.log"
  if ! cargo +nightly fuzz run --target-dir "$target_dir" "$target" \
      "$scratch/$target" "corpus/$target" -- \
      -max_total_time="$seconds" -artifact_prefix="$scratch/artifacts/$target/" \
      >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    mkdir -p "artifacts/$target"
    cp -r "$scratch/artifacts/$target/." "artifacts/$target/"
    echo "error: fuzz target $target failed; the input is in fuzz/artifacts/$target/" \
      "(replay: cargo +nightly fuzz run $target fuzz/artifacts/$target/FILE)" >&2
    exit 1
  fi
  runs="$(grep -oE 'Done [0-9]+ runs' "$log" | tail -n 1 | grep -oE '[0-9]+' || true)"
  echo "fuzz $target: ${runs:-?} executions in ${seconds} s, no crash"
done
