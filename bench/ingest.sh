#!/usr/bin/env bash
# Benchmark: MQTT readings at QoS 1 through Mosquitto on loopback, side by side:
#   - mosquitto_sub -q 1 merely receiving the stream (the limit for a subscriber on this broker);
#   - caretaker ingest, end to end to durable storage (every reading stored: fsynced in its
#     write-ahead log, after which its message is acknowledged);
# their ratio, and Caretaker's peak RSS. Single-reading messages and batches of 100.
#
# The stream is queued in the broker first (persistent sessions of both subscribers),
# then each subscriber drains it alone, so the publisher's speed does not count.
# Usage: bench/ingest.sh [N ...]   (readings per run; default 100000 1000000)
# The publisher is bench/publish.py (paho-mqtt, installed in a venv under ~/.cache on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/caretaker-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/caretaker"
for tool in mosquitto mosquitto_pub mosquitto_sub python3; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install -y mosquitto mosquitto-clients)"; exit 1; }
done
venv="$HOME/.cache/caretaker-bench-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import paho.mqtt' 2>/dev/null || "$venv/bin/pip" install -q paho-mqtt
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages 1000
CONF
mosquitto -c "$work/mosquitto.conf" >/dev/null 2>&1 &
sleep 0.5
topic="caretaker/+/readings"

now_ms() { date +%s%3N; }

metric() { curl -s "http://127.0.0.1:$mport/metrics" | awk -v n="$1" '$1==n {print $2}'; }

printf '%-10s %-9s %12s %14s %16s %7s %10s\n' readings per_msg messages "sub readings/s" "caretaker rd/s" ratio "peak RSS"
for n in "${sizes[@]}"; do
  for per in 1 100; do
    # The stream: every sensor of the sample co-op reporting once a minute (values
    # inside its expected range), ending now, each on the native topic of the gateway
    # that owns it (`TOPIC<tab>PAYLOAD` lines); batches group one gateway's readings.
    python3 - "$n" "$per" data/sample-coop.toml > "$work/stream.txt" <<'PY'
import sys, time, tomllib
n, per = int(sys.argv[1]), int(sys.argv[2])
with open(sys.argv[3], "rb") as f:
    registry = tomllib.load(f)
building_gateway = {b["id"]: b.get("gateway") for b in registry["building"]}
equipment_building = {e["id"]: e["building"] for e in registry["equipment"]}
sensors = [
    (s.get("native", s["id"]), s["expected_range"],
     s.get("gateway") or building_gateway[equipment_building[s["equipment"]]])
    for s in registry["sensor"]
]
minutes = -(-n // len(sensors))
start = (int(time.time()) // 60 - minutes) * 60_000
pending = {}
def emit(gateway, lines):
    payload = lines[0] if per == 1 else '{"readings":[' + ",".join(lines) + ']}'
    print(f"caretaker/{gateway}/readings\t{payload}")
for i in range(n):
    sensor, (lo, hi), gateway = sensors[i % len(sensors)]
    ts = start + (i // len(sensors)) * 60_000
    # On/off metrics (expected range [0, 1]) take 0 or 1.
    value = i % 2 if (lo, hi) == (0, 1) else lo + (hi - lo) * ((i * 7919) % 1000) / 1000
    lines = pending.setdefault(gateway, [])
    lines.append('{"sensor":"%s","ts":%d,"value":%.2f}' % (sensor, ts, value))
    if len(lines) == per:
        emit(gateway, lines)
        pending[gateway] = []
for gateway, lines in pending.items():
    if lines:
        emit(gateway, lines)
PY
    msgs=$(wc -l < "$work/stream.txt")
    data="$work/data-$n-$per"; rm -rf "$data"
    # Create both persistent sessions, then queue the stream for them.
    # Client ids of their own per run: nothing a previous run left queued reaches this one.
    sub_id="bench-sub-$n-$per"; export CARETAKER_MQTT__CLIENT_ID="bench-caretaker-$n-$per"
    mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -c -i "$sub_id" -t "$topic" -E >/dev/null
    CARETAKER_MQTT__BROKER="mqtt://127.0.0.1:$port" CARETAKER_INGEST__METRICS_LISTEN="127.0.0.1:$mport" \
      RUST_LOG=warn "$bin" --data "$data" ingest >/dev/null 2>&1 &
    pid=$!
    until [ "$(metric caretaker_mqtt_subscribed)" = "1" ]; do sleep 0.1; done
    kill -TERM $pid; wait $pid || true
    "$venv/bin/python" bench/publish.py 127.0.0.1 "$port" "$work/stream.txt"

    t0=$(now_ms)
    mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -c -i "$sub_id" -t "$topic" -C "$msgs" >/dev/null
    t1=$(now_ms)
    sub_rate=$(( n * 1000 / (t1 - t0 + 1) ))

    # PROFILE=1 records a perf profile of this run in bench/perf-N-PER.data.
    # HEAPTRACK=1 records its allocations with heaptrack in bench/heap-N-PER.*.
    prof=(); [ -n "${PROFILE:-}" ] && prof=(perf record -g -o "bench/perf-$n-$per.data" --)
    [ -n "${HEAPTRACK:-}" ] && prof=(heaptrack -o "bench/heap-$n-$per")
    CARETAKER_MQTT__BROKER="mqtt://127.0.0.1:$port" CARETAKER_INGEST__METRICS_LISTEN="127.0.0.1:$mport" \
      RUST_LOG=warn "${prof[@]}" "$bin" --data "$data" ingest >/dev/null 2>&1 &
    pid=$!
    until [ -n "$(metric caretaker_mqtt_connections_total 2>/dev/null)" ]; do sleep 0.01; done
    [ ${#prof[@]} -gt 0 ] && pid=$(pgrep -n -f "$bin --data $data ingest")
    t0=$(now_ms)
    # Until every reading is durable (in the fsynced log; acked after): counting readings,
    # not acks, since the broker may deliver a message twice (QoS 1), and a copy is not
    # stored twice.
    until [ "$(metric caretaker_readings_stored_total)" -ge "$n" ] 2>/dev/null; do sleep 0.01; done
    t1=$(now_ms)
    received=$(metric caretaker_mqtt_messages_received_total)
    [ "$received" = "$msgs" ] || echo "note: $received messages received for $msgs sent;" \
      "stored $(metric caretaker_readings_stored_total) readings of $n," \
      "acked $(metric caretaker_mqtt_messages_acked_total)," \
      "duplicate readings $(metric caretaker_readings_duplicate_total)," \
      "connections $(metric caretaker_mqtt_connections_total)" >&2
    rss=$(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$pid/status)
    kill -TERM $pid; wait $pid || true
    ct_rate=$(( n * 1000 / (t1 - t0 + 1) ))
    ratio=$(python3 -c "print(f'{$ct_rate/$sub_rate:.2f}')")
    printf '%-10s %-9s %12s %14s %16s %7s %10s\n' "$n" "$per" "$msgs" "$sub_rate" "$ct_rate" "$ratio" "$rss"
    rm -rf "$data"
  done
done
