# Sourced first by the benchmarks that time Caretaker's release binary: builds it
# (unless SKIP_BUILD=1), sets $bin to it, and checks that /usr/bin/time is there.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/caretaker-target}"
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/caretaker"
[ -x "$bin" ] || { echo "no release binary at $bin (run without SKIP_BUILD)"; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (apt-get install -y time)"; exit 1; }
