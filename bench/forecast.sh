#!/usr/bin/env bash
# Benchmark: Caretaker's forecaster (release build) against its pandas + scikit-learn
# reference (bench/forecast_reference.py), side by side, on two tasks:
#   - coop:   `caretaker backtest` on two years of the simulated co-op (seed 7), imported
#             into a fresh data directory; the reference backtests the simulator's files;
#   - FD001:  `caretaker eval cmapss` on NASA C-MAPSS FD001 (fails within 30 cycles); the
#             reference reads the same files.
# For each: wall seconds and peak RSS of each process (/usr/bin/time), the time ratio
# (Python seconds / Caretaker seconds) and PR-AUC (Caretaker: its chosen learner; the
# reference: random forest and logistic regression).
#
# Usage: bench/forecast.sh
#   CMAPSS_DIR=DIR   C-MAPSS files (default data/fixtures/cmapss)
#   WORK=DIR         keep the simulated history, data directory and reports in DIR (reused
#                    by the next run with the same WORK: simulating and importing take minutes);
#                    default: a temporary directory, removed at the end
#   SKIP_BUILD=1     use the release binary already built
#   THREADS=N        the reference's scikit-learn/Arrow/BLAS threads (default -1: all cores)
# The reference runs in the venv ~/.cache/caretaker-bench-venv (pandas, scikit-learn, scipy, pyarrow).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/caretaker-target}"
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/caretaker"
[ -x "$bin" ] || { echo "no release binary at $bin (run without SKIP_BUILD)"; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (apt-get install -y time)"; exit 1; }
cmapss="${CMAPSS_DIR:-data/fixtures/cmapss}"
[ -f "$cmapss/train_FD001.txt" ] || { echo "no C-MAPSS FD001 files in $cmapss (set CMAPSS_DIR)"; exit 1; }
venv="$HOME/.cache/caretaker-bench-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import pandas, sklearn, scipy, pyarrow, threadpoolctl' 2>/dev/null ||
  "$venv/bin/pip" install -q pandas scikit-learn scipy pyarrow threadpoolctl
py="$venv/bin/python"
threads="${THREADS:--1}"

if [ -n "${WORK:-}" ]; then
  work="$WORK"; mkdir -p "$work"
else
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi
out="$work/results"; mkdir -p "$out"

# timed NAME COMMAND...: runs it with stdout in $out/NAME.out, wall seconds and peak RSS (KiB) in $out/NAME.time.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$out/$name.time" "$@" > "$out/$name.out" 2> "$out/$name.err" || {
    echo "$name failed:"; tail -20 "$out/$name.err"; exit 1
  }
}

# The co-op: two years of seed 7, simulated, then imported into a data directory.
if [ ! -f "$work/imported" ]; then
  rm -rf "$work/data" "$work/sim"
  echo "simulating two years of the co-op (seed 7) and importing them..." >&2
  "$bin" --data "$work/data" simulate history --seed 7 --years 2 --out "$work/sim" > /dev/null
  "$bin" --data "$work/data" import readings "$work/sim/readings.parquet" > "$out/import-readings.txt"
  "$bin" --data "$work/data" import events "$work/sim/events.parquet" > "$out/import-events.txt"
  touch "$work/imported"
fi

echo "coop: caretaker backtest..." >&2
# From the raw readings, as the reference: the backtest first computes every day's
# aggregates (kept in the data directory, they are computed once, as readings arrive).
rm -rf "$work/data/aggregates"
timed coop-caretaker "$bin" --data "$work/data" backtest --out "$out/backtest.json"
echo "coop: reference..." >&2
timed coop-python "$py" bench/forecast_reference.py coop --history "$work/sim" --threads "$threads"
echo "FD001: caretaker eval cmapss..." >&2
timed cmapss-caretaker "$bin" eval cmapss --dir "$cmapss" --subset FD001 --within 30 --json
echo "FD001: reference..." >&2
timed cmapss-python "$py" bench/forecast_reference.py cmapss --dir "$cmapss" --subset FD001 --within 30 --threads "$threads"

"$py" - "$out" "$(git log -1 --format='%h %s' 2>/dev/null | cut -c1-60)" "$(date -u -r "$bin" '+%Y-%m-%d %H:%M UTC')" <<'PY'
import json, sys
from pathlib import Path
out, commit, built = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

def measured(name):
    seconds, kib = (out / f"{name}.time").read_text().split()[-2:]
    return float(seconds), int(kib) / 1024

def last_json(name):
    text = (out / f"{name}.out").read_text()
    return json.loads(text[text.index("{"):]) if name.endswith("caretaker") else json.loads(text.strip().splitlines()[-1])

f = lambda v: "-" if v is None else f"{v:.3f}"
rows = []
backtest = json.loads((out / "backtest.json").read_text())
best = backtest["best"]
by_name = {r["name"]: r["scorecard"] for r in backtest["results"]}
coop_py = last_json("coop-python")
rows.append(("coop", "caretaker", *measured("coop-caretaker"),
             f"{f(by_name[best]['pr_auc'])} {best} (chosen); "
             f"LR {f(by_name['logistic_regression']['pr_auc'])}, RF {f(by_name['random_forest']['pr_auc'])}"))
rows.append(("coop", "python", *measured("coop-python"),
             f"{f(coop_py['models']['random_forest']['pr_auc'])} random_forest; "
             f"LR {f(coop_py['models']['logistic_regression']['pr_auc'])}"))
cm = last_json("cmapss-caretaker")
cm_by = {r["name"]: r for r in cm["results"]}
chosen = cm_by[cm["chosen"]]
cm_py = last_json("cmapss-python")
rows.append(("FD001", "caretaker", *measured("cmapss-caretaker"),
             f"{f(chosen['pr_auc'])} {cm['chosen']} (chosen, F1 {f(chosen['f1'])}); "
             f"RF {f(cm_by['random_forest']['pr_auc'])} (F1 {f(cm_by['random_forest']['f1'])})"))
rf, lr = cm_py["models"]["random_forest"], cm_py["models"]["logistic_regression"]
rows.append(("FD001", "python", *measured("cmapss-python"),
             f"{f(rf['pr_auc'])} random_forest (F1 {f(rf['f1'])}); LR {f(lr['pr_auc'])} (F1 {f(lr['f1'])})"))

print(f"caretaker at {commit} (release binary built {built})")
print(f"coop: {coop_py['samples']} samples ({coop_py['failures']} failures), {coop_py['test_cases']} test rows, "
      f"{len(coop_py['folds'])} folds, {coop_py['readings']:,} readings; "
      f"FD001: {cm_py['training_samples']} training samples, {cm_py['test_engines']} test engines")
print(f"{'task':<6} {'forecaster':<10} {'wall s':>8} {'peak RSS MiB':>13} {'time ratio':>10}  PR-AUC")
for task in ("coop", "FD001"):
    (_, _, rust_s, rust_mib, rust_auc), (_, _, py_s, py_mib, py_auc) = [r for r in rows if r[0] == task]
    print(f"{task:<6} {'caretaker':<10} {rust_s:>8.1f} {rust_mib:>13.0f} {'':>10}  {rust_auc}")
    print(f"{task:<6} {'python':<10} {py_s:>8.1f} {py_mib:>13.0f} {py_s / rust_s:>10.2f}  {py_auc}")
print("time ratio: Python seconds / Caretaker seconds (wall time of each process, start to exit)")
PY
