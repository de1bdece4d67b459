#!/usr/bin/env bash
# Benchmark: what co-ops gain by learning from each other's knowledge packs.
#
# Twelve random co-ops (`caretaker simulate coop`, seeds 101..112), two years of
# history each, simulated and imported into a data directory per co-op. Each exports
# its signed pack. Then, leaving one co-op out at a time, the co-op imports the other
# eleven packs and runs `caretaker backtest`, which backtests every learner on the
# co-op's own rows alone and again with the packs (an imported row is used in a fold
# only once its week and horizon are over by the fold's cut-off; calibration on the
# co-op's own rows only). Printed per co-op: PR-AUC own-only (the learner the
# one-standard-error rule picks on the co-op's own data), with packs (the learner the
# rule picks on the federated backtest), as trained (with the packs unless own-only did
# better by more than the standard error of the difference, which is what `train`
# does), the rate baseline's (age and kind), and that standard error (resampling
# equipment); last the line
#   mean PR-AUC: own-only X, federated Y (N co-ops)
# where Y is the mean as trained (the line before gives the mean with packs alone).
#
# Usage: bench/federation.sh
#   COOPS=N        co-ops (default 12)
#   YEARS=Y        years of history each (default 2)
#   WORK=DIR       keep the co-ops in DIR; simulated co-ops are reused by the next run
#                  with the same WORK (default: a temporary directory, removed at the end)
#   SKIP_BUILD=1   use the release binary already built
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/caretaker-target}"
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/caretaker"
[ -x "$bin" ] || { echo "no release binary at $bin (run without SKIP_BUILD)"; exit 1; }
coops="${COOPS:-12}"
years="${YEARS:-2}"
if [ -n "${WORK:-}" ]; then
  work="$WORK"; mkdir -p "$work"
else
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/packs"
: > "$work/trusted"

# ct I ARGS...: caretaker with co-op I's configuration and data directory.
ct() {
  local i=$1; shift
  "$bin" --config "$work/coop-$i/caretaker.toml" --data "$work/coop-$i/data" "$@"
}

for i in $(seq 1 "$coops"); do
  dir="$work/coop-$i"
  if [ ! -f "$dir/ready" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    echo "co-op $i: simulating $years years (seed $((100 + i)))..." >&2
    "$bin" --data "$dir/data" simulate coop --seed $((100 + i)) --out "$dir/registry.toml" > /dev/null
    cat > "$dir/caretaker.toml" <<EOF
registry = "$dir/registry.toml"
[federation]
share = true
name = "coop-$i"
trusted = "$work/trusted-$i"
EOF
    : > "$work/trusted-$i"
    {
      ct "$i" simulate history --seed $((100 + i)) --years "$years" --out "$dir/sim"
      ct "$i" import readings "$dir/sim/readings.parquet"
      ct "$i" import events "$dir/sim/events.parquet"
      ct "$i" federation key
      ct "$i" federation export --out "$work/packs/coop-$i.pack"
    } > "$dir/setup.log" 2>&1 || { echo "co-op $i could not be set up:"; tail -20 "$dir/setup.log"; exit 1; }
    rm -rf "$dir/sim"
    touch "$dir/ready"
  fi
  echo "coop-$i $(cat "$dir/data/federation/key.pub" 2>/dev/null || ct "$i" federation key | sed -n 's/^public key: //p')" >> "$work/trusted"
done

printf '%-8s %5s %6s %9s %10s %10s %10s %8s %s\n' \
  co-op equip fails own-only "with packs" "as trained" rate-base std-err "learner (own / with packs)"
results="$work/results.tsv"
: > "$results"
for i in $(seq 1 "$coops"); do
  dir="$work/coop-$i"
  grep -v "^coop-$i " "$work/trusted" > "$work/trusted-$i"
  rm -rf "$dir/data/federation/packs"
  others=()
  for j in $(seq 1 "$coops"); do [ "$j" = "$i" ] || others+=("$work/packs/coop-$j.pack"); done
  ct "$i" federation import "${others[@]}" > "$dir/import.log" 2>&1 ||
    { echo "coop-$i: import failed:"; tail -20 "$dir/import.log"; exit 1; }
  ct "$i" backtest --out "$dir/backtest.json" > "$dir/backtest.txt" 2> "$dir/backtest.err" ||
    { echo "coop-$i: backtest failed:"; tail -20 "$dir/backtest.err"; exit 1; }
  python3 - "$dir/backtest.json" "coop-$i" >> "$results" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
f = r["federated"]
rate = next(x for x in r["results"] if x["name"] == "baseline_rate_by_kind_and_age")
fails = sum(x["test_positives"] for x in r["folds"])
trained = f["federated_pr_auc"] if f["used"] else f["own_pr_auc"]
num = lambda v: "nan" if v is None else f"{v:.3f}"
print("\t".join([sys.argv[2], str(r["equipment"]), str(fails), num(f["own_pr_auc"]),
                 num(f["federated_pr_auc"]), num(trained), num(rate["scorecard"]["pr_auc"]),
                 num(f["standard_error"]), r["choice"]["algorithm"] if r.get("choice") else "-",
                 f["choice"]["algorithm"] if f.get("choice") else "-"]))
EOF
  IFS=$'\t' read -r name equip fails own fed trained rate se a b < <(tail -1 "$results")
  printf '%-8s %5s %6s %9s %10s %10s %10s %8s %s / %s\n' \
    "$name" "$equip" "$fails" "$own" "$fed" "$trained" "$rate" "$se" "$a" "$b"
done
python3 - "$results" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if "nan" not in r[3:6]]
mean = lambda k: sum(float(r[k]) for r in rows) / len(rows)
own, fed, trained = mean(3), mean(4), mean(5)
worse = lambda k: [r[0] for r in rows if float(r[3]) - float(r[k]) > float(r[7])]
print(f"with packs: mean {fed:.3f} ({fed / own:.2f}x own-only), better on "
      f"{sum(float(r[4]) > float(r[3]) for r in rows)} of {len(rows)}, worse by more than "
      f"the standard error on: {', '.join(worse(4)) or 'none'}")
print(f"as trained: mean {trained:.3f} ({trained / own:.2f}x own-only), worse by more than "
      f"the standard error on: {', '.join(worse(5)) or 'none'}")
print(f"mean PR-AUC: own-only {own:.3f}, federated {trained:.3f} ({len(rows)} co-ops)")
EOF
