# Sourced by the benchmarks: `measure LABEL STEP CMD...` runs CMD under
# /usr/bin/time, prints LABEL, STEP, wall seconds and peak RSS in MB (STEP padded
# to $MEASURE_STEP_WIDTH, default 9), and leaves the peak RSS in $work/last_rss.
# Needs $work (a scratch directory).
measure() {
  local label="$1" step="$2"; shift 2
  local log="$work/time.log"
  /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$work/stderr.log" || {
    echo "$label $step failed:"; cat "$work/stderr.log"; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  printf "%-10s %-${MEASURE_STEP_WIDTH:-9}s %8.1f s %7s MB\n" "$label" "$step" "$wall" "$rss"
  echo "$rss" > "$work/last_rss"
}
