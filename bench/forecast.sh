#!/usr/bin/env bash
# Benchmark: Caretaker's forecaster (release build) against its pandas + scikit-learn
# reference (bench/forecast_reference.py), side by side, on two tasks:
#   - coop:   `caretaker backtest` on two years of the simulated co-op (seed 7), imported
#             into a fresh data directory; the reference backtests the simulator's files;
#   - FD001:  `caretaker eval cmapss` on NASA C-MAPSS FD001 (fails within 30 cycles); the
#             reference reads the same files;
#   - FD906:  the same on FD001 flown in six operating conditions and repeated three times
#             (the size of the larger published subsets), written by this script;
#   - FD907:  the same on FD001 with a second fault mode, written by this script: on
#             every even-numbered engine four sensors (s7, s8, s12, s13) are mirrored
#             about their early-life fleet mean, so that they drift the other way.
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
source bench/release.sh
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
# Caretaker learns from daily aggregates kept in the data directory (computed once,
# as readings arrive); the reference reads the raw readings each time. Both are
# shown: the backtest alone, and with a rebuild of every day's aggregates from the
# raw readings before it.
timed coop-aggregates "$bin" --data "$work/data" aggregates rebuild
timed coop-caretaker "$bin" --data "$work/data" backtest --out "$out/backtest.json"
echo "coop: reference..." >&2
timed coop-python "$py" bench/forecast_reference.py coop --history "$work/sim" --threads "$threads"
# FD001 flown in the six operating conditions of FD002/FD004 (as tests/forecast.rs
# does) and its engines repeated three times: 300 training engines, 61,893 rows,
# the size of the larger published subsets (FD002: 53,759 rows; FD004: 61,249).
six="$work/six"; mkdir -p "$six"
python3 - "$cmapss" "$six" <<'PY'
import sys
from pathlib import Path
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
conditions = [(0.0, 0.0, 100.0), (10.0, 0.25, 100.0), (20.0, 0.7, 100.0),
              (25.0, 0.62, 60.0), (35.0, 0.84, 100.0), (42.0, 0.84, 100.0)]
for part in ("train", "test"):
    rows = [line.split() for line in (src / f"{part}_FD001.txt").read_text().splitlines() if line.strip()]
    engines = max(int(r[0]) for r in rows)
    out = []
    for copy in range(3):
        for i, r in enumerate(rows):
            f = [float(v) for v in r]
            row = i + copy * len(rows)
            c = (row * 7 + row // 3) % 6
            values = [f[0] + copy * engines, f[1]]
            values += [s + n for s, n in zip(conditions[c], f[2:5])]
            values += [v * (1.0 + 0.02 * c) + 5.0 * (c * (k % 4 + 1)) for k, v in enumerate(f[5:])]
            out.append(" ".join(f"{v:.4f}" for v in values))
    (dst / f"{part}_FD906.txt").write_text("\n".join(out) + "\n")
rul = (src / "RUL_FD001.txt").read_text().split()
(dst / "RUL_FD906.txt").write_text("\n".join(rul * 3) + "\n")
PY

# FD001 with a second fault mode: half the engines (the even-numbered ones) wear out
# with four sensors drifting the other way (mirrored about the fleet's mean over the
# first 30 cycles of the training engines).
two="$work/two-modes"; mkdir -p "$two"
python3 - "$cmapss" "$two" <<'PY'
import sys
from pathlib import Path
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
mirrored = [7, 8, 12, 13]  # sensors s7, s8, s12, s13; column 4 + k holds sk
rows = lambda part: [l.split() for l in (src / f"{part}_FD001.txt").read_text().splitlines() if l.strip()]
early = [r for r in rows("train") if int(r[1]) <= 30]
centre = {k: sum(float(r[4 + k]) for r in early) / len(early) for k in mirrored}
for part in ("train", "test"):
    out = []
    for r in rows(part):
        f = [float(v) for v in r]
        if int(f[0]) % 2 == 0:
            for k in mirrored:
                f[4 + k] = 2 * centre[k] - f[4 + k]
        out.append(" ".join(f"{v:.4f}" for v in f))
    (dst / f"{part}_FD907.txt").write_text("\n".join(out) + "\n")
(dst / "RUL_FD907.txt").write_text((src / "RUL_FD001.txt").read_text())
PY

echo "FD001: caretaker eval cmapss..." >&2
timed cmapss-caretaker "$bin" eval cmapss --dir "$cmapss" --subset FD001 --within 30 --json
echo "FD001: reference..." >&2
timed cmapss-python "$py" bench/forecast_reference.py cmapss --dir "$cmapss" --subset FD001 --within 30 --threads "$threads"
echo "FD001 in six conditions, three times as large: caretaker eval cmapss..." >&2
timed six-caretaker "$bin" eval cmapss --dir "$six" --subset FD906 --within 30 --json
echo "FD001 in six conditions, three times as large: reference..." >&2
timed six-python "$py" bench/forecast_reference.py cmapss --dir "$six" --subset FD906 --within 30 --threads "$threads"
echo "FD001 with a second fault mode: caretaker eval cmapss..." >&2
timed two-caretaker "$bin" eval cmapss --dir "$two" --subset FD907 --within 30 --json
echo "FD001 with a second fault mode: reference..." >&2
timed two-python "$py" bench/forecast_reference.py cmapss --dir "$two" --subset FD907 --within 30 --threads "$threads"

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
agg_s, agg_mib = measured("coop-aggregates")
bt_s, bt_mib = measured("coop-caretaker")
rows.append(("coop", "caretaker+rebuild", agg_s + bt_s, max(agg_mib, bt_mib),
             "the same, after `aggregates rebuild` from the raw readings"))
rows.append(("coop", "python", *measured("coop-python"),
             f"{f(coop_py['models']['random_forest']['pr_auc'])} random_forest; "
             f"LR {f(coop_py['models']['logistic_regression']['pr_auc'])}"))
for task, name in (("FD001", "cmapss"), ("FD906", "six"), ("FD907", "two")):
    cm = last_json(f"{name}-caretaker")
    cm_by = {r["name"]: r for r in cm["results"]}
    chosen = cm_by[cm["chosen"]]
    cm_py = last_json(f"{name}-python")
    rows.append((task, "caretaker", *measured(f"{name}-caretaker"),
                 f"{f(chosen['pr_auc'])} {cm['chosen']} (chosen, F1 {f(chosen['f1'])}); "
                 f"RF {f(cm_by['random_forest']['pr_auc'])} (F1 {f(cm_by['random_forest']['f1'])})"))
    rf, lr = cm_py["models"]["random_forest"], cm_py["models"]["logistic_regression"]
    rows.append((task, "python", *measured(f"{name}-python"),
                 f"{f(rf['pr_auc'])} random_forest (F1 {f(rf['f1'])}); LR {f(lr['pr_auc'])} (F1 {f(lr['f1'])})"))
cm_py = last_json("cmapss-python")

print(f"caretaker at {commit} (release binary built {built})")
print(f"coop: {coop_py['samples']} samples ({coop_py['failures']} failures), {coop_py['test_cases']} test rows, "
      f"{len(coop_py['folds'])} folds, {coop_py['readings']:,} readings; "
      f"FD001: {cm_py['training_samples']} training samples, {cm_py['test_engines']} test engines")
print(f"{'task':<6} {'forecaster':<17} {'wall s':>8} {'peak RSS MiB':>13} {'time ratio':>10}  PR-AUC")
for task in ("coop", "FD001", "FD906", "FD907"):
    ours = [r for r in rows if r[0] == task and r[1] != "python"]
    (_, _, py_s, py_mib, py_auc) = next(r for r in rows if r[0] == task and r[1] == "python")
    for (_, who, rust_s, rust_mib, rust_auc) in ours:
        print(f"{task:<6} {who:<17} {rust_s:>8.1f} {rust_mib:>13.0f} {py_s / rust_s:>10.2f}  {rust_auc}")
    print(f"{task:<6} {'python':<17} {py_s:>8.1f} {py_mib:>13.0f} {'':>10}  {py_auc}")
print("FD906: FD001 in six operating conditions, its engines three times (300 training engines, 61,893 rows)")
print("FD907: FD001 with a second fault mode (four sensors drift the other way on the even-numbered engines)")
print("time ratio: Python seconds / Caretaker seconds (wall time of each process, start to exit)")
PY
