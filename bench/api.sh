#!/usr/bin/env bash
# Benchmark: /health (no token), /api/v1/me (the cheapest request with a token: what
# the per-request token check costs, a hash and a lookup of the token's revocation in
# SQLite), the ranked work order list and the committee's page `/` (1,000 open
# orders), in the same run, with wrk on loopback: requests per second, p99 latency,
# the ratios to /health, and the size of each page.
# Usage: bench/api.sh [SECONDS] [CONNECTIONS]   (default 10 s, 32 connections)
# Needs wrk (apt-get install -y wrk) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/caretaker-target}"
seconds="${1:-10}"; conns="${2:-32}"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)"; exit 1; }
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/caretaker"
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
data="$work/data"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); mqtt=$(free_port)

committee=$(CARETAKER_DATA_DIR="$data" "$bin" token add --role committee | sed -n 2p)
# 1,000 open work orders with varied risks and costs, written as the ranking writes them.
python3 - "$data/caretaker.sqlite" <<'PY'
import json, random, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
equipment = [r[0] for r in db.execute("SELECT id FROM equipment")]
rng = random.Random(7)
now = int(time.time() * 1000)
states = ["proposed", "approved", "scheduled", "in_progress"]
for i in range(1000):
    p = rng.random() ** 3
    cost = rng.choice([150, 400, 1200, 3000, 8000])
    loss = rng.choice([500, 2000, 6000, 20000])
    benefit = p * 0.8 * loss - cost
    assessment = {"probability": p, "expected_cost_of_waiting": p * loss, "cost_of_acting_now": cost,
                  "expected_benefit": benefit, "reasons": ["vibration rising", "2 resident reports"]}
    db.execute(
        "INSERT INTO work_orders (equipment_id, state, origin, title, probability, horizon_days, "
        "expected_benefit, estimated_cost, assessment, explanation, created_at_ms, updated_at_ms) "
        "VALUES (?, ?, 'forecast', ?, ?, 30, ?, ?, ?, ?, ?, ?)",
        (rng.choice(equipment), rng.choice(states), f"Inspect and service #{i}", p, benefit, cost,
         json.dumps(assessment), f"{p:.0%} chance of failing within 30 days; acting saves {benefit:.0f}",
         now, now))
db.commit()
PY

CARETAKER_DATA_DIR="$data" CARETAKER_MQTT__EMBEDDED_LISTEN="127.0.0.1:$mqtt" RUST_LOG=warn \
  "$bin" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.1; done
list="http://127.0.0.1:$port/api/v1/work-orders?limit=50"
total=$(curl -sf -H "Authorization: Bearer $committee" "$list" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
[ "$total" = "1000" ] || { echo "expected 1000 open orders, the API lists $total"; exit 1; }

run() { # name url [header]
  local out rps p99
  if [ $# -ge 3 ]; then out=$(wrk -t2 -c"$conns" -d"${seconds}s" --latency -H "$3" "$2"); else
    out=$(wrk -t2 -c"$conns" -d"${seconds}s" --latency "$2"); fi
  echo "$out" | grep -q "Non-2xx" && { echo "$1: errors"; echo "$out"; exit 1; }
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  printf '%-40s %12s req/s   p99 %s\n' "$1" "$rps" "$p99" >&2
  echo "$rps"
}
echo "wrk, 2 threads, $conns connections, ${seconds} s each, loopback; 1,000 open orders" >&2
health=$(run "/health" "http://127.0.0.1:$port/health")
me=$(run "/api/v1/me (token check)" "http://127.0.0.1:$port/api/v1/me" "Authorization: Bearer $committee")
ranked=$(run "/api/v1/work-orders?limit=50 (ranked)" "$list" "Authorization: Bearer $committee")
# The committee's page, signed in through the form like a browser.
jar="$work/cookies"
login=$(curl -sf -c "$jar" "http://127.0.0.1:$port/login")
csrf=$(echo "$login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p')
curl -sf -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$csrf" \
  --data-urlencode "token=$committee" "http://127.0.0.1:$port/login"
session=$(awk '$6=="caretaker_session" {print $7}' "$jar")
[ -n "$session" ] || { echo "could not sign in to the pages"; exit 1; }
for page in / /model; do
  bytes=$(curl -sf -H "Cookie: caretaker_session=$session" "http://127.0.0.1:$port$page" | wc -c)
  printf '%-40s %12s bytes\n' "page $page" "$bytes" >&2
  [ "$bytes" -lt 204800 ] || { echo "page $page is over 200 KB"; exit 1; }
done
home=$(run "/ (committee page, 1,000 orders)" "http://127.0.0.1:$port/" "Cookie: caretaker_session=$session")
python3 -c "print(f'ratio me / health (the token check): {$me/$health:.2f}'); print(f'ratio ranked list / health: {$ranked/$health:.2f}'); print(f'ratio committee page / health: {$home/$health:.2f}')"
