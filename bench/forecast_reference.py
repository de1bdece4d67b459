#!/usr/bin/env python3
"""Reference implementation of Caretaker's forecaster in pandas + scikit-learn.

The benchmark (`bench/forecast.sh`) runs it next to the Rust forecaster (`caretaker
eval cmapss`, `caretaker backtest`) to compare speed, memory and accuracy. It mirrors
FEATURE_VERSION 3 of `models/src/features.rs` (on the daily aggregates of
`models/src/daily.rs`), the labels of `models/src/labels.rs`, the samples of
`models/src/dataset.rs`, the rolling-origin folds and calibration split of
`models/src/backtest.rs`, the learners of `models/src/learners.rs` and the calibration
of `models/src/calibration.rs`, written the way a pandas user would: daily aggregates
as wide frames (a row per day, a column per equipment and channel), windows reduced
over all columns at once, normals as differences of cumulative sums between per-row
bounds (a normal starts afresh after the last failure or corrective maintenance,
found with `merge_asof`), siblings by grouped medians (`groupby(...).transform`), the
per-channel frames stacked into one row per equipment and day. No per-row Python loop:
there are loops over equipment (event features, labels) and over the forest's trees.

Features, as of day d from readings and events before d: per channel, the 7- and 3-day
mean, the 7-day peak, trough and spread and the 30-day trend against the channel's own
normal (its days [d-120, d-30), none before the last failure or corrective maintenance,
at least 14 days long; scale: the normal's spread, floored at 1% of its mean); raw
levels (mean and spread over 7 and 30 days, min and max over 7, trend over 30) only
where levels are comparable (C-MAPSS); on/off channels: share on and cycles per day over
7 and 30 days. Kind-agnostic: the strongest departure over the equipment's sensors
(3/7-day mean, extreme, spread ratio, 30-day trend), on a co-op the departure from its
siblings of the same kind on the same day (own 3/7-day departure minus the median of
the kind's, itself included), the rise in on/off cycling against its normal; then age,
days since maintenance and since failure (capped at 365), alarms and resident reports
over 30 days, share of expected readings missing over 7 days, stuck sensors, season,
kind. On a co-op the learners ignore the per-channel features
(`FeatureSet::ignored_by_learners`): they are computed, then made missing for the
learners, i.e. constant after imputation, as `Model::fit` masks them.

Learners: missing values filled with the training means; failures repeated until they
make about a quarter of the rows; L2 logistic regression (C = 1/alpha = 0.01, at most 100
iterations) on features standardised by the spread of their known values; a random
forest as Caretaker grew it before each part of its forest had a class-balanced
sample of its own (a plain bagging of all rows, which scikit-learn users would write),
scikit-learn's `BaggingClassifier` of 50 CART trees (as many as Caretaker's forest)
(depth 10, 5 cases a leaf), each on a bootstrap of 70% of the rows and its own draw,
with replacement, of 60% of the columns, scored by the mean over trees of the smoothed failure rate of the real
training cases in each leaf, (failures + base rate) / (cases + 1). On a co-op each
learner is fitted on every training row and Platt-calibrated on cross-fitted scores
(equipment in three groups by index, each scored by the learner fitted on the other
two); on C-MAPSS it is fitted on three engines in four and calibrated on the fourth. A
sigmoid sloping the wrong way gives way to scores scaled to the observed rate. With no
failure in a part it is calibrated in sample; with one class only, every test row gets the training failure rate. On
C-MAPSS the decision threshold is the one that maximises F1 on the held-out engines.

Usage:
    python bench/forecast_reference.py cmapss --dir data/fixtures/cmapss --subset FD001 --within 30
    python bench/forecast_reference.py coop --history DIR --horizon 30 --step 2
(DIR as written by `caretaker simulate history --seed 7 --years 2 --out DIR`: registry.toml,
readings.parquet, events.parquet.) Both accept --threads N (scikit-learn n_jobs, Arrow
and BLAS threads; default -1: all cores) and --samples FILE (every training sample with
its features as CSV, in the layout of `caretaker backtest --samples`).

A short table goes to stderr; the last line on stdout is one JSON object:
{"task", "seconds", "peak_rss_mib", "pr_auc", "models", ...}. "seconds" is the wall
time from the start of the task (reading the data included, interpreter start and
imports excluded) to the end of the evaluation; "timings" splits it into stages.
"pr_auc" is the random forest's; "models" has both learners.

Checked: on two years of seed 7 the samples, labels and all 135 features of the 14,055
samples agree with `caretaker backtest --samples` (relative difference below 1e-6).

Known differences from the Rust forecaster:
- scikit-learn's learners, not linfa's, and other random numbers: the same design, not
  the same trees. scikit-learn's CART and linfa's choose split thresholds and break
  ties differently; the logistic regression is fitted by lbfgs, linfa's by argmin's
  L-BFGS with its own stopping rule, so weights differ where neither has converged.
  linfa grows the forest in 10 parts of 5 trees, each part on its own
  class-balanced sample of at most 4,000 rows, each tree on half of it and 30% of the
  columns; scikit-learn bags all rows on --threads threads (all cores by default).
- No decision tree and no baselines (rate by kind and age, threshold rule), hence no
  "chosen" learner, no precision/recall at capacity and no calibration table. Platt
  scaling minimises the same loss against the same targets with scipy's L-BFGS rather
  than Newton steps.
- The co-op history is read from the simulator's files (registry.toml,
  readings.parquet, events.parquet), Rust's from the data directory they were imported
  into (the features agree, see above, so the readings are the same).
- Readings of several sensors of one metric on one equipment at the same millisecond
  may be taken in another order when counting changes of value (none in seed 7).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import resource
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.optimize import minimize
from joblib import parallel_config
from sklearn.ensemble import BaggingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

DAY_MS = 86_400_000
# models/src/features.rs
SHORT_DAYS = 7
LONG_DAYS = 30
RECENT_DAYS = 3
NORMAL_FROM_DAYS = 120
NORMAL_TO_DAYS = 30
MIN_NORMAL_DAYS = 14
STUCK_DAYS = 2
MAX_DAYS_SINCE = 365.0
NORMAL_SCALE_SHARE = 1e-2  # normal_scale: spread, floored at 1% of the normal mean
# models/src/dataset.rs, backtest.rs
WARM_UP_DAYS = LONG_DAYS
MIN_TRAIN_DAYS = 240
FOLD_DAYS = 90
SEED = 7
# models/src/learners.rs
FOREST_TREES = 50
FOREST_MAX_DEPTH = 10
FOREST_MIN_LEAF = 5
FOREST_BOOTSTRAP = 0.7
FOREST_FEATURES = 0.6
LOGISTIC_ALPHA = 100.0
LOGISTIC_MAX_ITERATIONS = 100
# models/src/cmapss.rs
MAX_CONDITIONS = 20
BINARY_METRICS = frozenset({"run_state", "water_leak"})
SENSORS = [f"s{i}" for i in range(1, 22)]
CMAPSS_COLUMNS = ["engine", "cycle", "setting1", "setting2", "setting3", *SENSORS]
RESETS = ("failure", "corrective_maintenance")
LEARNERS = ("logistic_regression", "random_forest")


# --------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------


class Stopwatch:
    """Wall time of the task and of its stages."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last = self.started
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        """Adds the time since the previous lap to `stage`."""
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self.last
        self.last = now

    def total(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.started


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Rounds half away from zero, like Rust's f64::round (numpy rounds half to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def least_squares_slope(n, sx, sy, sxx, sxy):
    """Slope of y against x from the sums of a window; 0 with fewer than 2 points, NaN with none."""
    n, sx, sy, sxx, sxy = (np.asarray(a, dtype=float) for a in (n, sx, sy, sxx, sxy))
    denominator = n * sxx - sx * sx
    ok = (n >= 2) & (denominator > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(ok, (n * sxy - sx * sy) / np.where(ok, denominator, 1.0), 0.0)
    return np.where(n > 0, slope, np.nan)


def clean(value):
    """JSON-safe copy: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def finish(report: dict, watch: Stopwatch) -> None:
    """Adds time and peak memory to the report and prints it as the last line of stdout."""
    report["seconds"] = round(watch.total(), 3)
    report["timings"] = {k: round(v, 3) for k, v in watch.stages.items()}
    report["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(clean(report)), flush=True)


def fmt(v) -> str:
    """A metric for the table."""
    return "-" if v is None else f"{v:.3f}"


# --------------------------------------------------------------------------------------
# A history: equipment, daily aggregates of each (equipment, channel) series, events
# --------------------------------------------------------------------------------------


@dataclass
class History:
    """What the features and labels are computed from (models/src/history.rs, daily.rs)."""

    equipment: pd.DataFrame  # index 0..E-1: id, kind, installed_day, expected_per_day (readings/day, all sensors)
    series: pd.DataFrame  # index 0..S-1: equipment (index), channel, binary
    daily: dict[str, pd.DataFrame]  # count, sum, sum_sq, min, max, changes: index day, columns series, dense
    events: pd.DataFrame  # ts (ms), equipment (index), kind
    first_day: int
    end_day: int  # the day after the last day with data
    seasonal: bool
    comparable_levels: bool
    readings: int

    def channels(self) -> list[tuple[str, bool]]:
        """Every channel name, sorted, with whether it is on/off (History::channel_names)."""
        pairs = self.series[["channel", "binary"]].drop_duplicates().sort_values(["channel", "binary"])
        return list(pairs.drop_duplicates("channel").itertuples(index=False, name=None))

    def kinds(self) -> list[str]:
        """Every kind name, sorted."""
        return sorted(self.equipment["kind"].unique())


def wide_daily(series_of: np.ndarray, day_of: np.ndarray, columns: dict[str, np.ndarray], series: int, days: int,
               first_day: int) -> dict[str, pd.DataFrame]:
    """Per-(series, day) aggregates (one row each) as dense wide frames: index day, a column per series;
    no reading: count, sums and changes 0, min and max NaN."""
    index = pd.RangeIndex(first_day, first_day + days, name="day")
    out = {}
    for name, values in columns.items():
        grid = np.full((days, series), np.nan if name in ("min", "max") else 0.0)
        grid[day_of, series_of] = values
        out[name] = pd.DataFrame(grid, index=index, columns=pd.RangeIndex(series, name="series"))
    return out


def feature_names(history: History) -> list[tuple[str, bool]]:
    """The feature columns, in the order of FeatureSet::for_channels, each with whether it is
    a per-channel feature (those the learners ignore on a co-op)."""
    names: list[tuple[str, bool]] = []
    for c, binary in history.channels():
        if binary:
            for days in (SHORT_DAYS, LONG_DAYS):
                names += [(f"{c}.on_share_{days}d", True), (f"{c}.cycles_{days}d", True)]
            continue
        if history.comparable_levels:
            for days in (SHORT_DAYS, LONG_DAYS):
                names += [(f"{c}.mean_{days}d", True), (f"{c}.spread_{days}d", True)]
            names += [(f"{c}.min_{SHORT_DAYS}d", True), (f"{c}.max_{SHORT_DAYS}d", True), (f"{c}.trend_{LONG_DAYS}d", True)]
        names += [(f"{c}.{stat}", True) for stat in RELATIVE]
    any_numeric = any(not b for _, b in history.channels())
    if any_numeric:
        names += [(n, False) for n in STRONGEST]
    if any_numeric and not history.comparable_levels:
        names += [(f"sibling_departure_{days}d", False) for days in (RECENT_DAYS, SHORT_DAYS)]
    if any(b for _, b in history.channels()):
        names.append((f"cycling_rise_{SHORT_DAYS}d", False))
    names += [(n, False) for n in PLAIN_FEATURES]
    if history.seasonal:
        names += [("season_sin", False), ("season_cos", False)]
    kinds = history.kinds()
    if len(kinds) > 1:
        names += [(f"kind={k}", False) for k in kinds]
    return names


# Per-channel statistics against the channel's normal: name -> (window stat, days).
RELATIVE = {
    f"vs_normal_{SHORT_DAYS}d": ("mean", SHORT_DAYS),
    f"vs_normal_{RECENT_DAYS}d": ("mean", RECENT_DAYS),
    f"peak_vs_normal_{SHORT_DAYS}d": ("max", SHORT_DAYS),
    f"trough_vs_normal_{SHORT_DAYS}d": ("min", SHORT_DAYS),
    f"spread_vs_normal_{SHORT_DAYS}d": ("spread", SHORT_DAYS),
    f"trend_vs_normal_{LONG_DAYS}d": ("trend", LONG_DAYS),
}
# Strongest departures over a machine's sensors: name -> the relative statistics it takes the largest |value| of.
STRONGEST = {
    f"strongest_departure_{RECENT_DAYS}d": [f"vs_normal_{RECENT_DAYS}d"],
    f"strongest_departure_{SHORT_DAYS}d": [f"vs_normal_{SHORT_DAYS}d"],
    f"strongest_extreme_{SHORT_DAYS}d": [f"peak_vs_normal_{SHORT_DAYS}d", f"trough_vs_normal_{SHORT_DAYS}d"],
    f"strongest_spread_ratio_{SHORT_DAYS}d": [f"spread_vs_normal_{SHORT_DAYS}d"],
    f"strongest_trend_{LONG_DAYS}d": [f"trend_vs_normal_{LONG_DAYS}d"],
}
PLAIN_FEATURES = [
    "age_days",
    "days_since_maintenance",
    "days_since_failure",
    "alarms_30d",
    "resident_reports_30d",
    "missing_share_7d",
    "stuck_sensors",
]


# --------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------


def rolling(frame: pd.DataFrame, days: int, reduce: np.ufunc) -> pd.DataFrame:
    """`reduce` (np.add, or np.fmin/np.fmax, which skip NaN) over the `days` rows ending with each row,
    every column at once: `frame.rolling(days, min_periods=1)` goes column by column, slow with
    C-MAPSS's 1,500 series; direct sums, not differences of running ones, as Rust sums a window."""
    fill = 0.0 if reduce is np.add else np.nan
    values = frame.to_numpy(dtype=float)
    padded = np.vstack([np.full((days - 1, values.shape[1]), fill), values])
    windows = np.lib.stride_tricks.sliding_window_view(padded, days, axis=0)  # (rows, columns, days)
    return pd.DataFrame(reduce.reduce(windows, axis=-1), index=frame.index, columns=frame.columns)


def window_stats(daily: dict[str, pd.DataFrame], days: int) -> dict[str, pd.DataFrame]:
    """Statistics of every series over the `days` days before each as-of day (index: as-of
    day, i.e. the windows end the day before): count, mean, spread, min, max, changes per day
    with readings, trend of the daily means. NaN where the window has no reading."""
    count = daily["count"]
    has = (count > 0).astype(float)
    day = count.index.to_numpy(dtype=float)
    x = day - day.mean()  # centred: smaller sums, the same slope
    day_mean = (daily["sum"] / count.where(count > 0)).fillna(0.0)
    parts = {
        "n": count,
        "sum": daily["sum"],
        "sum_sq": daily["sum_sq"],
        "changes": daily["changes"],
        "days": has,
        "sx": has.mul(x, axis=0),
        "sxx": has.mul(x * x, axis=0),
        "sy": day_mean,
        "sxy": day_mean.mul(x, axis=0),
    }
    s = {name: rolling(frame, days, np.add) for name, frame in parts.items()}
    n = s["n"]
    known = n > 0
    mean = (s["sum"] / n).where(known)
    out = {
        "count": n,
        "mean": mean,
        "spread": np.sqrt((s["sum_sq"] / n - mean * mean).clip(lower=0.0)).where(known),
        "min": rolling(daily["min"], days, np.fmin).where(known),
        "max": rolling(daily["max"], days, np.fmax).where(known),
        "changes_per_day": (s["changes"] / s["days"]).where(known),
        "trend": pd.DataFrame(
            least_squares_slope(s["days"], s["sx"], s["sy"], s["sxx"], s["sxy"]), index=n.index, columns=n.columns
        ),
    }
    for frame in out.values():
        frame.index = frame.index + 1  # as of the next day
    return out


def fresh_starts(history: History, as_of: np.ndarray) -> np.ndarray:
    """DailyTable::fresh_start of every (as-of day, equipment): the day after the last failure or
    corrective maintenance before the start of the day; -inf when there is none."""
    resets = history.events.loc[history.events["kind"].isin(RESETS), ["ts", "equipment"]]
    resets = resets.assign(fresh=resets["ts"] // DAY_MS + 1).sort_values("ts", kind="stable")
    equipment = len(history.equipment)
    grid = pd.DataFrame(
        {"t": np.repeat(as_of * DAY_MS, equipment), "equipment": np.tile(np.arange(equipment), len(as_of))}
    )
    merged = pd.merge_asof(
        grid, resets, left_on="t", right_on="ts", by="equipment", allow_exact_matches=False, direction="backward"
    )
    return merged["fresh"].to_numpy(dtype=float, na_value=-np.inf).reshape(len(as_of), equipment)


def normal_stats(history: History) -> dict[str, pd.DataFrame]:
    """channel_normal of every series as of every day: mean, spread and changes per day of
    its readings over [max(d - 120, fresh start), d - 30), NaN when that is shorter than
    14 days or has no reading. Cumulative sums differenced between per-row bounds."""
    daily = history.daily
    count = daily["count"]
    first_day, days = history.first_day, len(count)
    as_of = np.arange(first_day + 1, first_day + days + 1)
    series_equipment = history.series["equipment"].to_numpy()
    start = np.maximum((as_of - NORMAL_FROM_DAYS)[:, None], fresh_starts(history, as_of)[:, series_equipment])
    stop = np.broadcast_to((as_of - NORMAL_TO_DAYS)[:, None].astype(float), start.shape)
    long_enough = stop - start >= MIN_NORMAL_DAYS
    a = np.clip(start - first_day, 0, days).astype(np.int64)
    b = np.clip(stop - first_day, 0, days).astype(np.int64)
    columns = np.arange(count.shape[1])[None, :]

    def total(frame: pd.DataFrame) -> np.ndarray:
        cumulative = np.vstack([np.zeros((1, frame.shape[1])), frame.cumsum().to_numpy()])
        return cumulative[b, columns] - cumulative[a, columns]

    n = total(count)
    known = long_enough & (n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(known, total(daily["sum"]) / n, np.nan)
        spread = np.sqrt(np.clip(total(daily["sum_sq"]) / n - mean * mean, 0.0, None))
        changes_per_day = np.where(known, total(daily["changes"]) / total((count > 0).astype(float)), np.nan)
    frame = lambda v: pd.DataFrame(v, index=pd.Index(as_of, name="day"), columns=count.columns)  # noqa: E731
    return {"mean": frame(mean), "spread": frame(spread), "changes_per_day": frame(changes_per_day)}


def by_equipment(frames: dict[str, pd.DataFrame], series: pd.DataFrame) -> pd.DataFrame:
    """Per-series wide frames (index as-of day, a column per series) as one frame indexed
    (equipment, day) with a column `channel.stat` per channel and statistic."""
    columns = pd.MultiIndex.from_arrays([series["equipment"], series["channel"]], names=["equipment", "channel"])
    parts = []
    for stat, frame in frames.items():
        if frame.shape[1] == 0:
            continue
        long = frame.set_axis(columns[frame.columns.to_numpy()], axis=1).stack("equipment")
        parts.append(long.rename(columns=lambda c, stat=stat: f"{c}.{stat}"))
    return pd.concat(parts, axis=1).reorder_levels(["equipment", "day"]).sort_index()


def channel_frame(history: History) -> pd.DataFrame:
    """Every feature that comes from readings, for every equipment as of every day:
    index (equipment, day), per-channel columns named as in the feature set, then the
    kind-agnostic ones and the sensor health counts."""
    series = history.series
    short = window_stats(history.daily, SHORT_DAYS)
    long = window_stats(history.daily, LONG_DAYS)
    recent = window_stats(history.daily, RECENT_DAYS)
    two = window_stats(history.daily, STUCK_DAYS)
    normal = normal_stats(history)
    windows = {SHORT_DAYS: short, LONG_DAYS: long, RECENT_DAYS: recent}
    # normal_scale: the normal's spread, floored so that a quiet sensor does not blow up a small change.
    scale = np.maximum(np.maximum(normal["spread"], NORMAL_SCALE_SHARE * normal["mean"].abs()), 1e-6)
    scale = scale.where(normal["mean"].notna())

    per_series: dict[str, pd.DataFrame] = {}
    for name, (stat, days) in RELATIVE.items():
        w = windows[days][stat]
        centre = 0.0 if stat in ("spread", "trend") else normal["mean"]
        per_series[name] = ((w - centre) / scale).reindex(normal["mean"].index)
    binary = series["binary"].to_numpy()
    for days in (SHORT_DAYS, LONG_DAYS):
        per_series[f"on_share_{days}d"] = windows[days]["mean"]
        per_series[f"cycles_{days}d"] = windows[days]["changes_per_day"]
        per_series[f"mean_{days}d"] = windows[days]["mean"]
        per_series[f"spread_{days}d"] = windows[days]["spread"]
    per_series[f"min_{SHORT_DAYS}d"] = short["min"]
    per_series[f"max_{SHORT_DAYS}d"] = short["max"]
    per_series[f"trend_{LONG_DAYS}d"] = long["trend"]
    # CyclingRise: on/off changes per day over 7 days against the normal's, both plus one.
    per_series["rise"] = ((short["changes_per_day"] + 1.0) / (normal["changes_per_day"] + 1.0)).loc[:, binary]
    per_series["count_7d"] = short["count"]
    per_series["stuck"] = ((two["count"] >= 2) & (two["max"] == two["min"])).astype(float).loc[:, ~binary]
    frame = by_equipment(per_series, series)

    numeric = [c for c, b in history.channels() if not b]
    on_off = [c for c, b in history.channels() if b]

    def columns(channels, stat):
        return frame.reindex(columns=[f"{c}.{stat}" for c in channels])

    out = {}
    for name, stats in STRONGEST.items():
        out[name] = pd.concat([columns(numeric, s).abs() for s in stats], axis=1).max(axis=1)
    if not history.comparable_levels:
        # SiblingDeparture: own departure minus the median of the same kind that day (self included).
        kind = history.equipment["kind"].to_numpy()[frame.index.get_level_values("equipment")]
        keys = [kind, frame.index.get_level_values("day")]
        for days in (RECENT_DAYS, SHORT_DAYS):
            own = columns(numeric, f"vs_normal_{days}d")
            grouped = own.groupby(keys)
            departure = (own - grouped.transform("median")).abs().where(grouped.transform("count") >= 2)
            out[f"sibling_departure_{days}d"] = departure.max(axis=1)
    out[f"cycling_rise_{SHORT_DAYS}d"] = columns(on_off, "rise").max(axis=1)
    out["count_7d"] = columns(numeric + on_off, "count_7d").sum(axis=1)
    out["stuck_sensors"] = columns(numeric, "stuck").sum(axis=1)
    return pd.concat([frame, pd.DataFrame(out)], axis=1)


def event_features(history: History, samples: pd.DataFrame) -> pd.DataFrame:
    """Age, days since maintenance and failure, alarms and resident reports over 30 days,
    for each sample (equipment, day); one vectorised pass per equipment."""
    frames = []
    events = history.events
    for e, rows in samples.groupby("equipment", sort=False):
        t = rows["day"].to_numpy() * DAY_MS
        age = (rows["day"].to_numpy() - history.equipment.at[e, "installed_day"]).astype(float)
        mine = events[events["equipment"] == e]

        def times(*kinds: str) -> np.ndarray:
            return np.sort(mine.loc[mine["kind"].isin(kinds), "ts"].to_numpy())

        def days_since(times: np.ndarray) -> np.ndarray:
            i = np.searchsorted(times, t, "left")
            last = times[np.maximum(i - 1, 0)] if len(times) else np.zeros_like(t)
            since = np.where(i > 0, (t - last) / DAY_MS, np.maximum(age, 0.0))
            return np.minimum(since, MAX_DAYS_SINCE)

        def count_30d(times: np.ndarray) -> np.ndarray:
            return (np.searchsorted(times, t, "left") - np.searchsorted(times, t - LONG_DAYS * DAY_MS, "left")).astype(float)

        frames.append(
            pd.DataFrame(
                {
                    "age_days": age,
                    "days_since_maintenance": days_since(times("preventive_maintenance", "corrective_maintenance")),
                    "days_since_failure": days_since(times("failure")),
                    "alarms_30d": count_30d(times("alarm")),
                    "resident_reports_30d": count_30d(times("resident_report")),
                },
                index=rows.index,
            )
        )
    return pd.concat(frames).reindex(samples.index)


def feature_matrix(history: History, samples: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, bool]]]:
    """The features of the samples (equipment, day), columns in the order of the Rust feature set."""
    names = feature_names(history)
    rows = pd.MultiIndex.from_arrays([samples["equipment"], samples["day"]], names=["equipment", "day"])
    x = channel_frame(history).reindex(rows).reset_index(drop=True)
    x = pd.concat([x, event_features(history, samples).reset_index(drop=True)], axis=1)
    equipment = samples["equipment"].to_numpy()
    expected = history.equipment["expected_per_day"].to_numpy()[equipment] * SHORT_DAYS
    got = x["count_7d"].fillna(0.0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        x["missing_share_7d"] = np.where(expected > 0, np.clip(1.0 - got / expected, 0.0, 1.0), 0.0)
    x["stuck_sensors"] = x["stuck_sensors"].fillna(0.0)
    if history.seasonal:
        day_of_year0 = pd.to_datetime(samples["day"].to_numpy(), unit="D").day_of_year.to_numpy() - 1
        angle = 2.0 * np.pi * day_of_year0 / 365.25
        x["season_sin"], x["season_cos"] = np.sin(angle), np.cos(angle)
    kind = history.equipment["kind"].to_numpy()[equipment]
    for k in history.kinds():
        x[f"kind={k}"] = (kind == k).astype(float)
    return x.reindex(columns=[n for n, _ in names]).to_numpy(dtype=float), names


# --------------------------------------------------------------------------------------
# Labels and samples
# --------------------------------------------------------------------------------------


def outcomes(t: np.ndarray, failures: np.ndarray, repairs: np.ndarray, horizon_days: int, data_end: int) -> np.ndarray:
    """Label of each as-of time t: 1 fails within the horizon, 0 survives, -1 no sample
    (down at t, data ends before t + H, or a repair not closing a failure intervened)."""
    never = np.iinfo(np.int64).max
    end = t + horizon_days * DAY_MS
    # A repair closes a failure when a failure happened since the previous repair.
    previous = np.concatenate([[np.iinfo(np.int64).min], repairs[:-1]])
    closes = np.searchsorted(failures, repairs, "right") - np.searchsorted(failures, previous, "right") > 0
    averted = repairs[~closes]
    # Down: the last failure before t has no repair in [it, t).
    before = np.searchsorted(failures, t, "left")
    last_failure = failures[np.maximum(before - 1, 0)] if len(failures) else np.zeros_like(t)
    repaired = np.searchsorted(repairs, t, "left") - np.searchsorted(repairs, last_failure, "left") > 0
    down = (before > 0) & ~repaired
    padded = np.concatenate([failures, [never]])
    next_failure = padded[before]

    def averted_in(until: np.ndarray) -> np.ndarray:
        return np.searchsorted(averted, until, "left") - np.searchsorted(averted, t, "left") > 0

    fails_in_window = next_failure < end
    label = np.where(
        fails_in_window,
        np.where(averted_in(next_failure), -1, 1),
        np.where(averted_in(end) | (end > data_end), -1, 0),
    )
    return np.where(down, -1, label)


def build_samples(history: History, horizon: int, step: int) -> pd.DataFrame:
    """Samples::build: every labelled (equipment, day) for each `step`-th day from warm-up, ordered by day
    then equipment; columns equipment, day, label."""
    days = np.arange(history.first_day + WARM_UP_DAYS, history.end_day, max(step, 1), dtype=np.int64)
    data_end = history.end_day * DAY_MS
    events = history.events
    frames = []
    for e, facts in history.equipment.iterrows():
        d = days[days > facts["installed_day"]]
        mine = events[events["equipment"] == e]
        failures = np.sort(mine.loc[mine["kind"] == "failure", "ts"].to_numpy())
        repairs = np.sort(mine.loc[mine["kind"] == "corrective_maintenance", "ts"].to_numpy())
        label = outcomes(d * DAY_MS, failures, repairs, horizon, data_end)
        keep = label >= 0
        frames.append(pd.DataFrame({"equipment": e, "day": d[keep], "label": label[keep].astype(bool)}))
    samples = pd.concat(frames, ignore_index=True)
    return samples.sort_values(["day", "equipment"], kind="stable", ignore_index=True)


def write_samples(path: Path, history: History, samples: pd.DataFrame, x: np.ndarray, names) -> None:
    """The samples as CSV, in the layout of `caretaker backtest --samples`."""
    out = pd.DataFrame(x, columns=[n for n, _ in names])
    ids = history.equipment["id"].to_numpy()[samples["equipment"].to_numpy()]
    kinds = history.equipment["kind"].to_numpy()[samples["equipment"].to_numpy()]
    dates = pd.to_datetime(samples["day"].to_numpy(), unit="D").strftime("%Y-%m-%d")
    out.insert(0, "fails", samples["label"].astype(int).to_numpy())
    out.insert(0, "date", dates)
    out.insert(0, "kind", kinds)
    out.insert(0, "equipment", ids)
    out.to_csv(path, index=False)


# --------------------------------------------------------------------------------------
# Learners and calibration (models/src/learners.rs, calibration.rs)
# --------------------------------------------------------------------------------------


class OneClass(Exception):
    """Only one class among the training rows: nothing to learn."""


def oversampled(y: np.ndarray) -> np.ndarray:
    """Row indices with the failures repeated until they make about a quarter of the rows."""
    positives = np.flatnonzero(y)
    copies = max((len(y) - len(positives)) // (3 * max(len(positives), 1)), 1)
    return np.concatenate([np.arange(len(y)), np.tile(positives, copies - 1)])


def training_means(x: np.ndarray) -> np.ndarray:
    """Mean of the finite values of each column (0 for a column without any)."""
    finite = np.isfinite(x)
    return np.where(finite, x, 0.0).sum(axis=0) / np.maximum(finite.sum(axis=0), 1)


def impute(x: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Replaces missing (non-finite) values by the training means."""
    return np.where(np.isfinite(x), x, means)


def fit_learner(name: str, x: np.ndarray, y: np.ndarray, seed: int, n_jobs: int):
    """Model::fit: returns a function from features to raw scores (higher: more likely to fail)."""
    y = np.asarray(y, dtype=bool)
    if y.all() or not y.any():
        raise OneClass
    means = training_means(x)
    filled = impute(x, means)
    rows = oversampled(y)
    if name == "logistic_regression":
        # Preprocess::standardize: scaled by the spread of the known values (1 when constant).
        finite = np.isfinite(x)
        var = np.where(finite, (x - means) ** 2, 0.0).sum(axis=0) / np.maximum(finite.sum(axis=0), 1)
        scale = np.where(var > 1e-12, np.sqrt(var), 1.0)
        model = LogisticRegression(C=1.0 / LOGISTIC_ALPHA, max_iter=LOGISTIC_MAX_ITERATIONS)
        model.fit(((filled - means) / scale)[rows], y[rows])
        return lambda z: model.predict_proba((impute(z, means) - means) / scale)[:, 1]
    # linfa-ensemble: bagged CART trees, each on a bootstrap of the rows and its own draw (with
    # replacement) of the feature columns; scikit-learn's BaggingClassifier does the same.
    with parallel_config(backend="threading", n_jobs=n_jobs):
        forest = BaggingClassifier(
            DecisionTreeClassifier(max_depth=FOREST_MAX_DEPTH, min_samples_leaf=FOREST_MIN_LEAF),
            n_estimators=FOREST_TREES,
            max_samples=FOREST_BOOTSTRAP,
            max_features=FOREST_FEATURES,
            bootstrap=True,
            bootstrap_features=True,
            n_jobs=n_jobs,
            random_state=seed,
        ).fit(filled[rows], y[rows])
    trees = list(zip(forest.estimators_, forest.estimators_features_))
    nodes = max(tree.tree_.node_count for tree, _ in trees)
    offsets = np.arange(len(trees)) * nodes

    def leaves(z: np.ndarray) -> np.ndarray:
        """The leaf of each row in each tree, numbered apart across trees: (rows, trees)."""
        return np.column_stack([tree.apply(z[:, features]) for tree, features in trees]) + offsets

    # Leaf rates of the real training cases (not the oversampled ones), smoothed to the base rate.
    base_rate = y.mean()
    trained = leaves(filled).ravel()
    cases = np.bincount(trained, minlength=nodes * len(trees))
    failures = np.bincount(trained, weights=np.repeat(y, len(trees)).astype(float), minlength=nodes * len(trees))
    rate = (failures + base_rate) / (cases + 1.0)
    return lambda z: rate[leaves(impute(z, means))].mean(axis=1)


def platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float] | None:
    """Platt scaling p = 1 / (1 + exp(a s + b)) against Platt's smoothed targets; None with one class."""
    ok = np.isfinite(scores)
    s, y = scores[ok], labels[ok]
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return None
    largest = np.abs(s).max()
    scale = largest if largest >= 30.0 else 1.0
    s = s / scale
    target = np.where(y, (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0))

    def loss(ab):
        z = ab[0] * s + ab[1]
        residual = target - 1.0 / (1.0 + np.exp(np.clip(z, -700, 700)))  # target - p
        return float(np.sum(np.logaddexp(0.0, -z) + target * z)), np.array([np.sum(s * residual), np.sum(residual)])

    start = np.array([0.0, math.log((negatives + 1.0) / (positives + 1.0))])
    a, b = minimize(loss, start, jac=True, method="L-BFGS-B").x
    return a / scale, b


def calibrator(scores: np.ndarray, labels: np.ndarray):
    """Calibrator::fit_increasing: Platt, or the scores scaled to the observed rate when the
    sigmoid slopes the wrong way; a function from raw scores to probabilities."""
    labels = np.asarray(labels, dtype=bool)
    fitted = platt(scores, labels)
    if fitted is not None and fitted[0] < 0.0:
        a, b = fitted
        return lambda s: 1.0 / (1.0 + np.exp(np.clip(a * np.nan_to_num(s, nan=-np.inf) + b, -700, 700)))
    if fitted is None:
        return lambda s: np.clip(np.nan_to_num(s, nan=0.0), 0.0, 1.0)
    ok = np.isfinite(scores)
    mean_score = np.maximum(scores[ok], 0.0).mean() if ok.any() else 0.0
    if mean_score <= 0.0:
        return lambda s: np.clip(np.nan_to_num(s, nan=0.0), 0.0, 1.0)
    factor = labels[ok].mean() / mean_score
    return lambda s: np.clip(np.nan_to_num(s, nan=0.0) * factor, 0.0, 1.0)


def fit_calibrated(name, x, y, fit_rows, cal_rows, seed, n_jobs):
    """backtest::fit_calibrated: fitted on `fit_rows`, calibrated on `cal_rows` (on everything, in
    sample, when either has no failure). Returns a function from features to probabilities."""
    y = np.asarray(y, dtype=bool)
    if not y[fit_rows].any() or not y[cal_rows].any():
        fit_rows = cal_rows = np.arange(len(y))
    score = fit_learner(name, x[fit_rows], y[fit_rows], seed, n_jobs)
    calibrate = calibrator(score(x[cal_rows]), y[cal_rows])
    return lambda z: calibrate(score(z))


def fit_cross_calibrated(name, x, y, groups, seed, n_jobs):
    """backtest::fit_calibrated with CalibrationSplit::CrossFitted: fitted on every row,
    calibrated on out-of-group scores (equipment index % 3, each group scored by a model
    fitted on the others; in sample when a group leaves one class only)."""
    y = np.asarray(y, dtype=bool)
    score = fit_learner(name, x, y, seed, n_jobs)
    held_out = np.zeros(len(y))
    try:
        for k in range(CROSS_FIT_GROUPS):
            inside = groups == k
            if not inside.any():
                continue
            held_out[inside] = fit_learner(name, x[~inside], y[~inside], seed, n_jobs)(x[inside])
    except OneClass:
        held_out = score(x)
    calibrate = calibrator(held_out, y)
    return lambda z: calibrate(score(z))


CROSS_FIT_GROUPS = 3


def scores(y_true, p) -> dict:
    """ROC-AUC, PR-AUC (average precision) and Brier score (None when undefined)."""
    y = np.asarray(y_true, dtype=bool)
    p = np.asarray(p, dtype=float)
    both = 0 < y.sum() < len(y)
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        # average_precision_score can overshoot 1 by an ulp (summing precision * recall steps).
        "pr_auc": min(float(average_precision_score(y, p)), 1.0) if y.any() else None,
        "brier": float(np.mean((p - y) ** 2)) if len(y) else None,
    }


def confusion(y_true, p, threshold: float) -> dict:
    """Precision, recall and F1 when flagging p >= threshold."""
    y = np.asarray(y_true, dtype=bool)
    flagged = np.asarray(p) >= threshold
    tp, fp, fn = int((flagged & y).sum()), int((flagged & ~y).sum()), int((~flagged & y).sum())
    return {
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
    }


def best_f1_threshold(y_true, p) -> float | None:
    """metrics::best_f1_threshold: the score (flag >= it) with the highest F1, the highest such score on ties."""
    y = np.asarray(y_true, dtype=bool)
    if not y.any():
        return None
    order = np.argsort(-np.asarray(p), kind="stable")
    p_sorted, y_sorted = np.asarray(p)[order], y[order]
    last_of_level = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    tp = np.cumsum(y_sorted)[last_of_level]
    fp = np.cumsum(~y_sorted)[last_of_level]
    f1 = 2.0 * tp / (tp + fp + y.sum())
    return float(p_sorted[last_of_level][np.argmax(f1)])


# --------------------------------------------------------------------------------------
# C-MAPSS
# --------------------------------------------------------------------------------------


def read_cmapss(path: Path) -> pd.DataFrame:
    """One C-MAPSS file (engine, cycle, 3 settings, 21 sensors), sorted by engine and cycle."""
    df = pd.read_csv(path, sep=r"\s+", header=None, names=CMAPSS_COLUMNS, engine="c")
    df = df.astype({"engine": "int64", "cycle": "int64"})
    return df.sort_values(["engine", "cycle"], kind="stable", ignore_index=True)


@dataclass
class Normaliser:
    """Per-condition mean and standard deviation of each sensor, learned on training rows."""

    by_condition: bool
    mean: pd.DataFrame  # index: condition key (3 levels), columns: sensors
    std: pd.DataFrame
    kept: list[str]

    @staticmethod
    def keys(df: pd.DataFrame, by_condition: bool) -> pd.DataFrame:
        """The operating condition of each row: rounded settings (one condition if not by_condition)."""
        keys = pd.DataFrame(
            {
                "c1": round_half_away(df["setting1"].to_numpy()),
                "c2": round_half_away(df["setting2"].to_numpy() * 100.0),
                "c3": round_half_away(df["setting3"].to_numpy()),
            }
        ).astype("int64")
        return keys if by_condition else keys * 0

    @classmethod
    def fit(cls, train: pd.DataFrame) -> Normaliser:
        """Learns the statistics; drops sensors constant within every condition."""
        keys = cls.keys(train, True)
        by_condition = len(keys.drop_duplicates()) <= MAX_CONDITIONS
        keys = cls.keys(train, by_condition)
        grouped = train[SENSORS].groupby([keys["c1"], keys["c2"], keys["c3"]])
        mean = grouped.mean()
        std = grouped.std(ddof=0)
        varies = (std > 1e-6 * mean.abs().clip(lower=1.0)).any()
        kept = [s for s in SENSORS if varies[s]]
        return cls(by_condition, mean, std.where(std > 1e-12, 1.0), kept)

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """Engine, cycle and the kept sensors normalised (NaN under an unseen condition)."""
        keys = pd.MultiIndex.from_frame(self.keys(df, self.by_condition))
        mean = self.mean.reindex(keys)[self.kept].to_numpy()
        std = self.std.reindex(keys)[self.kept].to_numpy()
        out = df[["engine", "cycle"]].copy()
        out[self.kept] = (df[self.kept].to_numpy() - mean) / std
        return out


def cmapss_history(norm: pd.DataFrame, sensors: list[str], prefix: str, failing: bool) -> History:
    """Engines as equipment (kind turbofan, installed at day 0), one reading a day per kept sensor
    (cycle c = day c), a failure at the end of each run when `failing` (cmapss::engine_history)."""
    engines = np.sort(norm["engine"].unique())
    position = pd.Series(np.arange(len(engines)), index=engines)
    last = norm.groupby("engine")["cycle"].max()
    first_day, end_day = 1, int(last.max()) + 1
    series = pd.DataFrame(
        {
            "equipment": np.repeat(np.arange(len(engines)), len(sensors)),
            "channel": np.tile(sensors, len(engines)),
            "binary": False,
        }
    )
    long = norm.melt(id_vars=["engine", "cycle"], value_vars=sensors, var_name="channel", value_name="value")
    sensor_index = pd.Series(np.arange(len(sensors)), index=sensors)
    series_of = position.reindex(long["engine"]).to_numpy() * len(sensors) + sensor_index.reindex(long["channel"]).to_numpy()
    value = long["value"].to_numpy()
    daily = wide_daily(
        series_of,
        long["cycle"].to_numpy() - first_day,
        {"count": 1.0, "sum": value, "sum_sq": value * value, "min": value, "max": value, "changes": 0.0},
        len(series),
        end_day - first_day,
        first_day,
    )
    equipment = pd.DataFrame(
        {
            "id": [f"{prefix}-{e:03d}" for e in engines],
            "kind": "turbofan",
            "installed_day": 0,
            "expected_per_day": float(len(sensors)),
        }
    )
    events = pd.DataFrame(
        {
            "ts": (last.to_numpy() * DAY_MS + DAY_MS // 2 + 1) if failing else np.array([], dtype=np.int64),
            "equipment": np.arange(len(engines)) if failing else np.array([], dtype=np.int64),
            "kind": "failure",
        }
    )
    return History(equipment, series, daily, events, first_day, end_day, False, True, len(long))


def read_rul(path: Path) -> np.ndarray:
    """Remaining cycles of each test engine after its last cycle."""
    return np.loadtxt(path, dtype=float, ndmin=1)


def run_cmapss(args: argparse.Namespace) -> None:
    """cmapss::evaluate: trains on train_<SUBSET> (every engine as of every day from 31 to its last
    cycle) and scores each test engine the day after its last cycle against RUL_<SUBSET>."""
    watch = Stopwatch()
    root = Path(args.dir)
    train = read_cmapss(root / f"train_{args.subset}.txt")
    test = read_cmapss(root / f"test_{args.subset}.txt")
    rul = read_rul(root / f"RUL_{args.subset}.txt")
    if len(rul) != test["engine"].nunique():
        sys.exit(f"RUL_{args.subset}.txt has {len(rul)} lines for {test['engine'].nunique()} test engines")
    watch.lap("read")

    normaliser = Normaliser.fit(train)
    sensors = normaliser.kept
    train_history = cmapss_history(normaliser.transform(train), sensors, "train", True)
    test_history = cmapss_history(normaliser.transform(test), sensors, "test", False)
    samples = build_samples(train_history, args.within, 1)
    x_train, names = feature_matrix(train_history, samples)
    y_train = samples["label"].to_numpy()
    test_last = test.groupby("engine")["cycle"].max()
    test_rows = pd.DataFrame({"equipment": np.arange(len(test_last)), "day": test_last.to_numpy() + 1})
    x_test, _ = feature_matrix(test_history, test_rows)
    y_test = rul <= args.within
    if args.samples:
        write_samples(Path(args.samples), train_history, samples, x_train, names)
    watch.lap("features")

    # CalibrationSplit::ByEquipment: one engine in four held out to calibrate and pick the threshold.
    held_out = samples["equipment"].to_numpy() % 4 == 3
    fit_rows, cal_rows = np.flatnonzero(~held_out), np.flatnonzero(held_out)
    results = {}
    for name in LEARNERS:
        predict = fit_calibrated(name, x_train, y_train, fit_rows, cal_rows, SEED, args.threads)
        p_held_out = predict(x_train[cal_rows])
        threshold = best_f1_threshold(y_train[cal_rows], p_held_out)
        threshold = 0.5 if threshold is None else threshold
        p = predict(x_test)
        results[name] = {
            "threshold": threshold,
            **confusion(y_test, p, threshold),
            **scores(y_test, p),
            "held_out_pr_auc": scores(y_train[cal_rows], p_held_out)["pr_auc"],
            "held_out_f1": confusion(y_train[cal_rows], p_held_out, threshold)["f1"],
        }
    watch.lap("training")

    conditions = len(normaliser.mean) if normaliser.by_condition else 1
    print(
        f"C-MAPSS {args.subset}: {train['engine'].nunique()} training engines, {len(rul)} test engines "
        f"({int(y_test.sum())} fail within {args.within} cycles), {conditions} condition(s), "
        f"{len(sensors)} sensors kept, {len(y_train)} training samples ({int(y_train.sum())} positive), "
        f"{len(names)} features",
        file=sys.stderr,
    )
    print(
        f"{'model':<22} {'threshold':>9} {'precision':>9} {'recall':>7} {'F1':>6} {'ROC-AUC':>8} {'PR-AUC':>7}"
        f" {'h-o PR-AUC':>10}",
        file=sys.stderr,
    )
    for name, r in results.items():
        print(
            f"{name:<22} {r['threshold']:>9.3f} {fmt(r['precision']):>9} {fmt(r['recall']):>7} {fmt(r['f1']):>6} "
            f"{fmt(r['roc_auc']):>8} {fmt(r['pr_auc']):>7} {fmt(r['held_out_pr_auc']):>10}",
            file=sys.stderr,
        )
    forest = results["random_forest"]
    finish(
        {
            "task": "cmapss",
            "subset": args.subset,
            "within": args.within,
            "pr_auc": forest["pr_auc"],
            "roc_auc": forest["roc_auc"],
            "f1": forest["f1"],
            "precision": forest["precision"],
            "recall": forest["recall"],
            "models": results,
            "train_engines": int(train["engine"].nunique()),
            "test_engines": len(rul),
            "test_positives": int(y_test.sum()),
            "conditions": conditions,
            "sensors": sensors,
            "features": len(names),
            "learner_features": len(names),
            "training_samples": len(y_train),
            "training_positives": int(y_train.sum()),
            "threads": args.threads,
        },
        watch,
    )


# --------------------------------------------------------------------------------------
# The co-op's simulated history
# --------------------------------------------------------------------------------------


def day_number(value) -> int:
    """Days since 1970-01-01 of a TOML date (or datetime, or ISO string)."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return (value - dt.date(1970, 1, 1)).days


def read_registry(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Equipment (id, kind, installed_day) and sensors (id, equipment, metric, interval_s), in file order."""
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    equipment = pd.DataFrame(
        [{"id": e["id"], "kind": e["kind"], "installed_day": day_number(e["installed"])} for e in doc.get("equipment", [])]
    )
    known = set(equipment["id"])
    sensors = pd.DataFrame(
        [
            {"id": s["id"], "equipment": s["equipment"], "metric": s["metric"], "interval_s": int(s["interval_s"])}
            for s in doc.get("sensor", [])
            if s["equipment"] in known
        ]
    )
    return equipment, sensors


def timestamp_ms(column: pa.ChunkedArray) -> np.ndarray:
    """Milliseconds since the epoch of a Parquet timestamp (any unit) or integer column."""
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("ms", tz=column.type.tz), safe=False).cast(pa.int64())
    return column.to_numpy().astype(np.int64, copy=False)


def series_table(equipment: pd.DataFrame, sensors: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The (equipment, channel) series of the registry and the series of each sensor."""
    position = pd.Series(np.arange(len(equipment)), index=equipment["id"])
    pairs = sensors[["equipment", "metric"]].drop_duplicates(ignore_index=True)
    series = pd.DataFrame(
        {
            "equipment": position.reindex(pairs["equipment"]).to_numpy(),
            "channel": pairs["metric"].to_numpy(),
            "binary": pairs["metric"].isin(BINARY_METRICS).to_numpy(),
        }
    )
    lookup = pd.MultiIndex.from_frame(pairs).get_indexer(pd.MultiIndex.from_frame(sensors[["equipment", "metric"]]))
    return series, lookup


def daily_aggregates(key: np.ndarray, value: np.ndarray, first_day: int, days: int, series: int) -> dict[str, pd.DataFrame]:
    """Per (series, day): count, sum, sum of squares, min, max and changes of value between
    consecutive readings within the day, as dense wide frames (index day, a column per series).

    `key` is series * days + (day - first_day) for each reading, readings in time order:
    one integer key per (series, day) groups much faster than two columns."""
    df = pd.DataFrame({"key": key, "value": value}, copy=False)
    df["sq"] = df["value"] * df["value"]
    previous = df.groupby("key", sort=False)["value"].shift()  # the reading before, same series and day
    df["changed"] = (df["value"] - previous).abs() > 0
    del previous
    daily = df.groupby("key").agg(
        count=("value", "count"),
        sum=("value", "sum"),
        sum_sq=("sq", "sum"),
        min=("value", "min"),
        max=("value", "max"),
        changes=("changed", "sum"),
    )
    del df
    key = daily.index.to_numpy()
    columns = {name: daily[name].to_numpy(dtype=float) for name in daily.columns}
    return wide_daily(key // days, key % days, columns, series, days, first_day)


def read_history(root: Path) -> History:
    """Reads registry.toml, readings.parquet and events.parquet of a simulated history."""
    equipment, sensors = read_registry(root / "registry.toml")
    series, sensor_series = series_table(equipment, sensors)
    per_day = sensors.assign(per_day=86_400.0 / sensors["interval_s"].clip(lower=1)).groupby("equipment")["per_day"].sum()
    equipment["expected_per_day"] = per_day.reindex(equipment["id"]).fillna(0.0).to_numpy()

    table = pq.read_table(root / "readings.parquet", columns=["sensor", "ts", "value"], read_dictionary=["sensor"])
    readings = table.num_rows
    sensor = table.column("sensor").to_pandas()  # categorical
    category_series = pd.Series(sensor_series, index=sensors["id"]).reindex(sensor.cat.categories).fillna(-1)
    series_of = category_series.to_numpy(dtype=np.int64)[sensor.cat.codes.to_numpy()]
    del sensor
    value = table.column("value").to_numpy()
    day = timestamp_ms(table.column("ts"))
    del table
    if not pd.Series(day, copy=False).is_monotonic_increasing:  # changes are counted in time order
        order = np.argsort(day, kind="stable")
        day, value, series_of = day[order], value[order], series_of[order]
        del order
    day = day // DAY_MS
    first_day = int(day.min())
    end_day = int(day.max()) + 1
    # Readings of sensors the registry does not know are left out.
    key = series_of * (end_day - first_day) + (day - first_day)
    del day
    known = series_of >= 0
    del series_of
    if not known.all():
        key, value = key[known], value[known]
    del known
    daily = daily_aggregates(key, value, first_day, end_day - first_day, len(series))
    del key, value

    events = pq.read_table(root / "events.parquet", columns=["ts", "equipment", "kind"])
    position = pd.Series(np.arange(len(equipment)), index=equipment["id"])
    events = pd.DataFrame(
        {
            "ts": timestamp_ms(events.column("ts")),
            "equipment": position.reindex(events.column("equipment").to_pandas()).to_numpy(),
            "kind": events.column("kind").to_pandas().astype(str).to_numpy(),
        }
    ).dropna(subset=["equipment"])
    events["equipment"] = events["equipment"].astype(np.int64)
    events = events.sort_values("ts", kind="stable", ignore_index=True)
    return History(equipment, series, daily, events, first_day, end_day, True, False, readings)


def run_coop(args: argparse.Namespace) -> None:
    """backtest::run for the logistic regression and the random forest on a simulated co-op history."""
    watch = Stopwatch()
    history = read_history(Path(args.history))
    watch.lap("read_and_daily")
    samples = build_samples(history, args.horizon, args.step)
    x, names = feature_matrix(history, samples)
    y = samples["label"].to_numpy()
    day = samples["day"].to_numpy()
    if args.samples:
        write_samples(Path(args.samples), history, samples, x, names)
    # FeatureSet::ignored_by_learners: levels are not comparable, so the learners see no per-channel feature.
    # Masked as missing, they are constant after imputation (Model::fit's mask).
    ignored = [j for j, (_, per_channel) in enumerate(names) if per_channel and not history.comparable_levels]
    x_learn = x.copy()
    x_learn[:, ignored] = np.nan
    seen = len(names) - len(ignored)
    watch.lap("features")

    folds = []
    cutoff = history.first_day + MIN_TRAIN_DAYS
    while cutoff + args.horizon < history.end_day:
        folds.append((cutoff, min(cutoff + FOLD_DAYS, history.end_day)))
        cutoff += FOLD_DAYS
    if not folds:
        sys.exit(
            f"not enough history for a backtest: {history.end_day - history.first_day} days of data, "
            f"{MIN_TRAIN_DAYS + args.horizon + 1} needed"
        )
    predictions = {name: [] for name in LEARNERS}
    tested, summaries = [], []
    for cutoff, test_end in folds:
        train = np.flatnonzero(day + args.horizon <= cutoff)
        test = np.flatnonzero((day >= cutoff) & (day < test_end))
        if not len(test):
            continue
        # CalibrationSplit::CrossFitted: out-of-group scores calibrate, groups by equipment.
        groups = samples["equipment"].to_numpy()[train] % CROSS_FIT_GROUPS
        base_rate = y[train].mean() if len(train) else 0.0
        for name in LEARNERS:
            try:
                predict = fit_cross_calibrated(name, x_learn[train], y[train], groups, args.seed, args.threads)
                predictions[name].append(predict(x_learn[test]))
            except OneClass:
                predictions[name].append(np.full(len(test), base_rate))
        tested.append(test)
        summaries.append(
            {
                "cutoff_day": int(cutoff),
                "test_end_day": int(test_end),
                "train_cases": len(train),
                "train_positives": int(y[train].sum()),
                "test_cases": len(test),
                "test_positives": int(y[test].sum()),
            }
        )
    watch.lap("training")
    labels = y[np.concatenate(tested)] if tested else np.array([], dtype=bool)
    results = {name: scores(labels, np.concatenate(p) if p else np.array([])) for name, p in predictions.items()}
    watch.lap("evaluation")

    print(
        f"Backtest: {len(summaries)} folds, horizon {args.horizon} days, step {args.step}, "
        f"{len(history.equipment)} equipment, {len(names)} features ({seen} seen by the learners), "
        f"{history.readings} readings, {len(y)} samples ({int(y.sum())} failures)",
        file=sys.stderr,
    )
    print(f"{'model':<22} {'cases':>7} {'fails':>6} {'ROC-AUC':>8} {'PR-AUC':>7} {'Brier':>7}", file=sys.stderr)
    for name, r in results.items():
        print(
            f"{name:<22} {len(labels):>7} {int(labels.sum()):>6} {fmt(r['roc_auc']):>8} {fmt(r['pr_auc']):>7} "
            f"{fmt(r['brier']):>7}",
            file=sys.stderr,
        )
    forest = results["random_forest"]
    finish(
        {
            "task": "coop",
            "horizon": args.horizon,
            "step": args.step,
            "pr_auc": forest["pr_auc"],
            "roc_auc": forest["roc_auc"],
            "models": results,
            "readings": history.readings,
            "equipment": len(history.equipment),
            "features": len(names),
            "learner_features": seen,
            "first_day": history.first_day,
            "end_day": history.end_day,
            "samples": len(y),
            "failures": int(y.sum()),
            "test_cases": len(labels),
            "test_failures": int(labels.sum()),
            "folds": summaries,
            "threads": args.threads,
        },
        watch,
    )


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The two subcommands and their options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="task", required=True)
    cmapss = sub.add_parser("cmapss", help="NASA C-MAPSS: train on train_*, score test_* against RUL_*")
    cmapss.add_argument("--dir", required=True, help="directory with train_/test_/RUL_<SUBSET>.txt")
    cmapss.add_argument("--subset", default="FD001")
    cmapss.add_argument("--within", type=int, default=30, help="fails within this many cycles")
    coop = sub.add_parser("coop", help="rolling-origin backtest on a simulated co-op history")
    coop.add_argument("--history", required=True, help="output directory of `caretaker simulate history`")
    coop.add_argument("--horizon", type=int, default=30, help="forecast horizon in days")
    coop.add_argument("--step", type=int, default=2, help="days between samples of one equipment")
    coop.add_argument("--seed", type=int, default=SEED, help="seed of the random forest")
    for p in (cmapss, coop):
        p.add_argument(
            "--threads", type=int, default=-1, help="scikit-learn n_jobs, Arrow and BLAS threads (-1: all cores)"
        )
        p.add_argument("--samples", help="also write every training sample and its features as CSV")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Runs the chosen task."""
    args = parse_args(argv)
    limits = None
    if args.threads > 0:
        pa.set_cpu_count(args.threads)
        limits = threadpool_limits(limits=args.threads)  # BLAS/OpenMP threads (logistic regression)
    try:
        if args.task == "cmapss":
            run_cmapss(args)
        else:
            run_coop(args)
    finally:
        if limits is not None:
            limits.restore_original_limits()


if __name__ == "__main__":
    main()
