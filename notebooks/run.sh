#!/usr/bin/env bash
# Runs every notebook headlessly on a small simulated co-op, as CI does; fails if a
# notebook raises or writes into the data directory.
#
#   bash notebooks/run.sh                 # executed copies in $CARGO_TARGET_DIR/notebooks/
#
# 1. a virtual environment with notebooks/requirements.txt
#    ($NOTEBOOKS_VENV, default ~/.cache/caretaker-notebooks-venv);
# 2. a simulated co-op made with the `caretaker` binary: a year of history imported,
#    a few refused messages in the quarantine (when mosquitto_pub is installed), a
#    backtest (its printed table saved), a model, look-back forecasts and a plan at
#    several budgets;
# 3. each notebook executed with nbclient, CARETAKER_DATA_DIR pointing at that co-op.
#
# NOTEBOOKS_BIN=PATH uses that binary instead of building one; NOTEBOOKS_KEEP=DIR
# keeps the simulated co-op there (it must not exist yet) instead of a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/caretaker-target}"
VENV="${NOTEBOOKS_VENV:-$HOME/.cache/caretaker-notebooks-venv}"
OUT="${NOTEBOOKS_OUT:-$CARGO_TARGET_DIR/notebooks}"
began=$SECONDS
step() { echo "notebooks: $* ($((SECONDS - began)) s)"; }

# --- 1. the virtual environment --------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  step "creating the virtual environment $VENV"
  python3 -m venv "$VENV"
fi
wanted="$(sha256sum notebooks/requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$wanted" ]; then
  step "installing notebooks/requirements.txt"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r notebooks/requirements.txt
  echo "$wanted" > "$VENV/.requirements.sha256"
fi
PY="$VENV/bin/python"

# --- 2. a simulated co-op ----------------------------------------------------------------
if [ -n "${NOTEBOOKS_BIN:-}" ]; then
  BIN="$NOTEBOOKS_BIN"
else
  step "building caretaker"
  cargo build --quiet --bin caretaker
  BIN="$CARGO_TARGET_DIR/debug/caretaker"
fi
if [ -n "${NOTEBOOKS_KEEP:-}" ]; then
  WORK="$NOTEBOOKS_KEEP"
  mkdir "$WORK"
else
  WORK="$(mktemp -d)"
fi
INGEST_PID=""
cleanup() {
  if [ -n "$INGEST_PID" ]; then kill "$INGEST_PID" 2>/dev/null || true; fi
  if [ -z "${NOTEBOOKS_KEEP:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
DATA="$WORK/data"
# caretaker refuses CARETAKER_ variables it does not know (the notebooks' own): run it without any.
read -r -a clean <<<"$(env | sed -n 's/^\(CARETAKER_[A-Za-z0-9_]*\)=.*/-u \1/p' | tr '\n' ' ')"
ct() { env "${clean[@]}" NO_COLOR=1 RUST_LOG=warn "$BIN" --data "$DATA" "$@"; }

step "simulating a year of the sample co-op"
quiet() { "$@" >>"$WORK/steps.log" 2>&1 || { cat "$WORK/steps.log" >&2; return 1; }; }
quiet ct simulate history --seed 7 --start 2024-01-01 --years 1 --out "$WORK/sim"
quiet ct import readings "$WORK/sim/readings.parquet"
quiet ct import events "$WORK/sim/events.parquet"

if command -v mosquitto_pub >/dev/null 2>&1; then
  step "sending ingest a few messages it must refuse (the quarantine)"
  ports="$("$PY" -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')"
  read -r MQTT_PORT METRICS_PORT <<<"$ports"
  pass_a="$(ct gateway add gateway-a | sed -n 's/^password: //p')"
  pass_b="$(ct gateway add gateway-b | sed -n 's/^password: //p')"
  # exec: the background job is caretaker itself, so that SIGTERM reaches it.
  (exec env "${clean[@]}" NO_COLOR=1 RUST_LOG=warn \
    CARETAKER_MQTT__EMBEDDED_LISTEN="127.0.0.1:$MQTT_PORT" \
    CARETAKER_INGEST__METRICS_LISTEN="127.0.0.1:$METRICS_PORT" \
    "$BIN" --data "$DATA" ingest) >"$WORK/ingest.log" 2>&1 &
  INGEST_PID=$!
  # Ready once its subscriber is connected to the broker (a message published before
  # that reaches no one).
  "$PY" - "$METRICS_PORT" <<'EOF_READY' || { cat "$WORK/ingest.log" >&2; exit 1; }
import sys, time, urllib.request
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=1).read().decode()
        if any(l.startswith("caretaker_mqtt_subscribed ") and float(l.split()[1]) >= 1 for l in text.splitlines()):
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit("caretaker ingest did not connect to its broker within 60 s")
EOF_READY
  # A gateway's client id is its name.
  pub() { mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -i "$1" -u "$1" -P "$2" -t "$3" -m "$4"; }
  now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  a=(gateway-a "$pass_a" caretaker/gateway-a/readings)
  b=(gateway-b "$pass_b" caretaker/gateway-b/readings)
  pub "${a[@]}" '{"sensor": "A-BLR-1-supply", "ts": '
  pub "${a[@]}" "{\"sensor\": \"A-BLR-1-supply\", \"ts\": \"$now\", \"value\": 900}"
  pub "${a[@]}" '{"sensor": "A-BLR-1-supply", "ts": "1970-01-02T00:00:00Z", "value": 70}'
  for n in 1 2 3 4 5; do
    pub "${b[@]}" "{\"sensor\": \"B-BLR-9-supply\", \"ts\": \"$now\", \"value\": 6$n}"
  done
  pub "${b[@]}" "{\"sensor\": \"B-BLR-1-supply\", \"ts\": \"$now\", \"value\": \"hot\"}"
  pub "${b[@]}" '{"sensor": "B-BLR-1-supply", "ts": "yesterday", "value": 61}'
  pub gateway-a "$pass_a" "zigbee2mqtt/Birch House/laundry/leak 9" '{"water_leak": true}'
  # gateway-a writing gateway-b's boiler.
  pub "${a[@]}" "{\"sensor\": \"B-BLR-1-supply\", \"ts\": \"$now\", \"value\": 77.7}"
  # Each publish is acknowledged once its refusal is durable; the counters confirm all 12.
  "$PY" - "$METRICS_PORT" <<'EOF_REFUSED' || { cat "$WORK/ingest.log" >&2; exit 1; }
import sys, time, urllib.request
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
    if sum(float(l.split()[-1]) for l in text.splitlines() if l.startswith("caretaker_quarantined_total{")) >= 12:
        sys.exit(0)
    time.sleep(0.2)
sys.exit("caretaker ingest did not quarantine the 12 messages within 60 s")
EOF_REFUSED
  kill -TERM "$INGEST_PID"
  wait "$INGEST_PID" || { cat "$WORK/ingest.log" >&2; exit 1; }
  INGEST_PID=""
  refused="$(cat "$DATA"/quarantine/*.jsonl 2>/dev/null | wc -l)"
  if [ "$refused" -ne 12 ]; then
    echo "error: 12 messages sent to be refused, $refused in the quarantine" >&2
    exit 1
  fi
else
  step "mosquitto_pub is not installed: the quarantine stays empty (apt-get install mosquitto-clients)"
fi

step "backtest"
ct backtest --out "$DATA/reports/backtest-ci.json" >"$WORK/backtest-printed.txt" 2>>"$WORK/steps.log"
step "train"
quiet ct train
TESTED="$("$PY" -c 'import json, sys, datetime as d
r = json.load(open(sys.argv[1]))
days = (r["folds"][0]["fold"]["cutoff_day"], r["folds"][-1]["fold"]["test_end_day"])
print(*[d.date(1970, 1, 1) + d.timedelta(days=n) for n in days])' "$DATA/reports/backtest-ci.json")"
read -r LOOK_FROM LOOK_TO <<<"$TESTED"
step "look-back forecasts, weekly from $LOOK_FROM to $LOOK_TO"
day="$LOOK_FROM"
while [[ "$day" < "$LOOK_TO" ]]; do
  ct score --at "$day" --format csv >> "$DATA/reports/lookback.csv"
  day="$(date -u -d "$day + 7 days" +%Y-%m-%d)"
done
step "plans at several budgets"
ct plan --at "$LOOK_TO" --out "$DATA/reports/plan.json" \
  --budget 0 --budget 250 --budget 500 --budget 750 --budget 1000 --budget 1500 --budget 2000 \
  --budget 3000 --budget 5000 --budget 10000 --budget 20000 --budget 50000 >>"$WORK/steps.log"

# --- 3. the notebooks --------------------------------------------------------------------
step "executing the notebooks"
mkdir -p "$OUT"
find "$DATA" -type f -printf '%P %s %T@\n' | sort > "$WORK/before.txt"
CARETAKER_DATA_DIR="$DATA" CARETAKER_BACKTEST_PRINTED="$WORK/backtest-printed.txt" \
  "$PY" - "$OUT" notebooks/*.ipynb <<'EOF'
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

out = Path(sys.argv[1])
for name in sys.argv[2:]:
    began = time.monotonic()
    nb = nbformat.read(name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(name).parent)}}).execute()
    nbformat.write(nb, out / Path(name).name)
    print(f"notebooks: {name} ran in {time.monotonic() - began:.0f} s -> {out / Path(name).name}")
EOF
find "$DATA" -type f -printf '%P %s %T@\n' | sort > "$WORK/after.txt"
if ! diff -u "$WORK/before.txt" "$WORK/after.txt" >&2; then
  echo "error: the notebooks changed the data directory (above)" >&2
  exit 1
fi
step "done; executed notebooks in $OUT"
