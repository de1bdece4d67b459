#!/usr/bin/env python3
"""Reference implementation of Caretaker's forecaster in pandas + scikit-learn.

The benchmark runs it next to the Rust forecaster (`caretaker eval cmapss`,
`caretaker backtest`) to compare speed, memory and accuracy. It mirrors the feature
definitions of `models/src/features.rs`, the labels of `models/src/labels.rs` and the
rolling-origin folds of `models/src/backtest.rs`, written the way a pandas user would
(grouped rolling windows, no per-row Python loops), with scikit-learn's learners
instead of linfa's and no probability calibration.

Usage:
    python bench/forecast_reference.py cmapss --dir /work/shared/data/cmapss --subset FD001 --within 30
    python bench/forecast_reference.py coop --history DIR --horizon 30 --step 2
(DIR as written by `caretaker simulate history --seed 7 --years 2 --out DIR`.)
Both accept --threads N (scikit-learn n_jobs, Arrow and BLAS threads; default -1: all cores).

A short table goes to stderr; the last line on stdout is one JSON object:
{"task", "seconds", "peak_rss_mib", "pr_auc", ...}. "seconds" is the wall time from
the start of the task (reading the data included, interpreter start and imports
excluded) to the end of the evaluation; "timings" splits it into stages.

Known differences from the Rust forecaster, by design: scikit-learn's forest and
logistic regression weigh classes ("balanced") where linfa's are fitted on oversampled
failures; probabilities are not Platt-calibrated; no baselines; other random numbers.
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
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

DAY_MS = 86_400_000
SHORT_DAYS = 7
LONG_DAYS = 30
NORMAL_FROM_DAYS = 120
NORMAL_TO_DAYS = 30
STUCK_DAYS = 2
MAX_DAYS_SINCE = 3650.0
WARM_UP_DAYS = LONG_DAYS
MIN_TRAIN_DAYS = 240
FOLD_DAYS = 90
SEED = 7
MAX_CONDITIONS = 20
BINARY_METRICS = frozenset({"run_state", "water_leak"})
SENSORS = [f"s{i}" for i in range(1, 22)]
CMAPSS_COLUMNS = ["engine", "cycle", "setting1", "setting2", "setting3", *SENSORS]
# Per-channel features, in the column order of the Rust FeatureSet.
ANALOG_STATS = ["mean_7d", "spread_7d", "mean_30d", "spread_30d", "min_7d", "max_7d", "trend_30d", "deviation"]
BINARY_STATS = ["on_share_7d", "cycles_7d", "on_share_30d", "cycles_30d"]
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
# Shared pieces: window arithmetic, learners, metrics, report
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
    """Slope of y against x from the sums of a window; 0 with fewer than 2 points."""
    n, sx, sy, sxx, sxy = (np.asarray(a, dtype=float) for a in (n, sx, sy, sxx, sxy))
    denominator = n * sxx - sx * sx
    ok = (n >= 2) & (denominator > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(ok, (n * sxy - sx * sy) / np.where(ok, denominator, 1.0), 0.0)
    return np.where(n > 0, slope, np.nan)


def deviation(recent_mean, normal_mean, normal_spread):
    """Recent mean against the normal, in normal standard deviations (floored scale)."""
    scale = np.maximum(np.maximum(normal_spread, 1e-3 * np.abs(normal_mean)), 1e-6)
    return (recent_mean - normal_mean) / scale


def training_means(x: np.ndarray) -> np.ndarray:
    """Mean of the finite values of each column (0 for a column without any)."""
    finite = np.isfinite(x)
    counts = finite.sum(axis=0)
    sums = np.where(finite, x, 0.0).sum(axis=0)
    return sums / np.maximum(counts, 1)


def impute(x: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Replaces missing (non-finite) values by the training means."""
    return np.where(np.isfinite(x), x, means)


def random_forest(n_jobs: int) -> RandomForestClassifier:
    """The random forest of the benchmark."""
    return RandomForestClassifier(
        n_estimators=100,
        max_depth=10,
        min_samples_leaf=5,
        max_features=0.3,
        class_weight="balanced",
        n_jobs=n_jobs,
        random_state=SEED,
    )


def fit_forest_proba(x_train, y_train, x_test, n_jobs: int) -> np.ndarray:
    """Fits the forest on mean-imputed training rows; failure probabilities of the test rows.

    With one class only in training (nothing to learn), every test row gets the base rate."""
    y_train = np.asarray(y_train, dtype=bool)
    if len(y_train) == 0 or y_train.all() or not y_train.any():
        base_rate = y_train.mean() if len(y_train) else 0.0
        return np.full(len(x_test), base_rate)
    means = training_means(x_train)
    model = random_forest(n_jobs).fit(impute(x_train, means), y_train)
    return model.predict_proba(impute(x_test, means))[:, 1]


def fit_logistic_proba(x_train, y_train, x_test) -> np.ndarray:
    """Logistic regression on mean-imputed, standardised features; failure probabilities."""
    means = training_means(x_train)
    scaler = StandardScaler().fit(impute(x_train, means))
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    model.fit(scaler.transform(impute(x_train, means)), np.asarray(y_train, dtype=bool))
    return model.predict_proba(scaler.transform(impute(x_test, means)))[:, 1]


def scores(y_true, p, threshold: float = 0.5) -> dict:
    """Precision, recall and F1 at a threshold, ROC-AUC and PR-AUC (None when undefined)."""
    y = np.asarray(y_true, dtype=bool)
    p = np.asarray(p, dtype=float)
    predicted = p >= threshold
    tp = int((predicted & y).sum())
    fp = int((predicted & ~y).sum())
    fn = int((~predicted & y).sum())
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    both = 0 < y.sum() < len(y)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        # average_precision_score can overshoot 1 by an ulp (summing precision * recall steps).
        "pr_auc": min(float(average_precision_score(y, p)), 1.0) if y.any() else None,
    }


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


def dense_cycles(df: pd.DataFrame, sensors: list[str]) -> pd.DataFrame:
    """Sensors indexed by (engine, cycle) for every cycle from 1 to the engine's last (gaps NaN)."""
    last = df.groupby("engine")["cycle"].max()
    engine = np.repeat(last.index.to_numpy(), last.to_numpy())
    cycle = np.concatenate([np.arange(1, n + 1) for n in last.to_numpy()])
    full = pd.MultiIndex.from_arrays([engine, cycle], names=["engine", "cycle"])
    return df.set_index(["engine", "cycle"])[sensors].reindex(full)


def cmapss_features(norm: pd.DataFrame, sensors: list[str]) -> pd.DataFrame:
    """Features of every engine as of every day d (from its cycles before d), indexed by (engine, day).

    A row for cycle c holds the windows ending with c, i.e. the features as of day c + 1."""
    v = dense_cycles(norm, sensors)

    def rolling(frame: pd.DataFrame, window: int):
        """Windows of `window` cycles ending with each row, engine by engine."""
        return frame.groupby(level="engine").rolling(window, min_periods=1)

    def ungroup(frame: pd.DataFrame) -> pd.DataFrame:
        """Drops the group level groupby().rolling() puts in front of the index."""
        return frame.droplevel(0)

    short = rolling(v, SHORT_DAYS)
    long = rolling(v, LONG_DAYS)
    normal = rolling(v, NORMAL_FROM_DAYS - NORMAL_TO_DAYS)
    present = v.notna().astype(float)
    stats = {
        "mean_7d": ungroup(short.mean()),
        "spread_7d": ungroup(short.std(ddof=0)),
        "mean_30d": ungroup(long.mean()),
        "spread_30d": ungroup(long.std(ddof=0)),
        "min_7d": ungroup(short.min()),
        "max_7d": ungroup(short.max()),
    }
    count_7d = ungroup(rolling(present, SHORT_DAYS).sum())

    # Trend: least-squares slope of the values against the cycle over the long window.
    x = v.index.get_level_values("cycle").to_numpy(dtype=float)[:, None]
    y = v.fillna(0.0)
    sums = {
        name: ungroup(rolling(frame, LONG_DAYS).sum())
        for name, frame in {
            "n": present,
            "sx": present * x,
            "sxx": present * x * x,
            "sy": y,
            "sxy": y * x,
        }.items()
    }
    stats["trend_30d"] = pd.DataFrame(
        least_squares_slope(sums["n"], sums["sx"], sums["sy"], sums["sxx"], sums["sxy"]),
        index=v.index,
        columns=sensors,
    )

    # Normal: cycles [d-120, d-30), i.e. the 90-cycle window ending 30 cycles earlier.
    normal_mean = ungroup(normal.mean()).groupby(level="engine").shift(NORMAL_TO_DAYS)
    normal_std = ungroup(normal.std(ddof=0)).groupby(level="engine").shift(NORMAL_TO_DAYS)
    stats["deviation"] = deviation(stats["mean_7d"], normal_mean, normal_std)

    columns = {}
    for s in sorted(sensors):  # channel names sort as strings, as in the Rust feature set
        for stat in ANALOG_STATS:
            columns[f"{s}.{stat}"] = stats[stat][s]
    features = pd.DataFrame(columns)

    # Plain features: no maintenance, failure, alarm or report before the as-of day.
    day = features.index.get_level_values("cycle").to_numpy() + 1
    stuck_window = rolling(v, STUCK_DAYS)
    stuck_count = ungroup(rolling(present, STUCK_DAYS).sum())
    stuck = (stuck_count >= 2) & (ungroup(stuck_window.max()) == ungroup(stuck_window.min()))
    features["age_days"] = day.astype(float)
    features["days_since_maintenance"] = np.minimum(day, MAX_DAYS_SINCE)
    features["days_since_failure"] = np.minimum(day, MAX_DAYS_SINCE)
    features["alarms_30d"] = 0.0
    features["resident_reports_30d"] = 0.0
    expected = SHORT_DAYS * len(sensors)
    features["missing_share_7d"] = (1.0 - count_7d.sum(axis=1) / expected).clip(0.0, 1.0) if expected else 0.0
    features["stuck_sensors"] = stuck.sum(axis=1).astype(float)
    features.index = pd.MultiIndex.from_arrays(
        [features.index.get_level_values("engine"), day], names=["engine", "day"]
    )
    return features


def read_rul(path: Path) -> np.ndarray:
    """Remaining cycles of each test engine after its last cycle."""
    return np.loadtxt(path, dtype=float, ndmin=1)


def run_cmapss(args: argparse.Namespace) -> None:
    """Trains on train_<SUBSET> (every engine as of every day from 31 to its last cycle) and
    scores each test engine the day after its last cycle against RUL_<SUBSET>."""
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
    train_features = cmapss_features(normaliser.transform(train), sensors)
    test_features = cmapss_features(normaliser.transform(test), sensors)

    # Training samples: as of days 31..L (at L+1 it has failed); fails within N cycles.
    last = train.groupby("engine")["cycle"].max()
    engine = train_features.index.get_level_values("engine")
    day = train_features.index.get_level_values("day").to_numpy()
    engine_last = last.reindex(engine).to_numpy()
    keep = (day >= 1 + WARM_UP_DAYS) & (day <= engine_last)
    x_train = train_features[keep].to_numpy()
    y_train = (engine_last[keep] - (day[keep] - 1)) <= args.within

    # Test: each engine the day after its last cycle.
    test_last = test.groupby("engine")["cycle"].max()
    rows = pd.MultiIndex.from_arrays([test_last.index, test_last.to_numpy() + 1])
    x_test = test_features.reindex(rows).to_numpy()
    y_test = rul <= args.within
    watch.lap("features")

    p_forest = fit_forest_proba(x_train, y_train, x_test, args.threads)
    p_logistic = fit_logistic_proba(x_train, y_train, x_test)
    watch.lap("training")
    results = {"random_forest": scores(y_test, p_forest), "logistic_regression": scores(y_test, p_logistic)}
    watch.lap("evaluation")

    conditions = len(normaliser.mean) if normaliser.by_condition else 1
    print(
        f"C-MAPSS {args.subset}: {train['engine'].nunique()} training engines, {len(rul)} test engines "
        f"({int(y_test.sum())} fail within {args.within} cycles), {conditions} condition(s), "
        f"{len(sensors)} sensors kept, {len(y_train)} training samples ({int(y_train.sum())} positive), "
        f"{train_features.shape[1]} features",
        file=sys.stderr,
    )
    print(f"{'model':<22} {'precision':>9} {'recall':>7} {'F1':>6} {'ROC-AUC':>8} {'PR-AUC':>7}", file=sys.stderr)
    for name, r in results.items():
        print(
            f"{name:<22} {fmt(r['precision']):>9} {fmt(r['recall']):>7} {fmt(r['f1']):>6} "
            f"{fmt(r['roc_auc']):>8} {fmt(r['pr_auc']):>7}",
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
            "features": int(train_features.shape[1]),
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


@dataclass
class CoopHistory:
    """Everything the co-op features and labels need."""

    equipment: pd.DataFrame  # id, kind, installed_day, expected_per_day (readings/day, all sensors)
    series: pd.DataFrame  # one row per (equipment, channel): equipment (index), channel, binary
    daily: pd.DataFrame  # dense daily aggregates, index (series, day)
    events: pd.DataFrame  # ts (ms), equipment (index), kind
    first_day: int
    end_day: int  # the day after the last day with readings
    readings: int


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


def daily_aggregates(key: np.ndarray, value: np.ndarray, first_day: int, days: int) -> pd.DataFrame:
    """Per (series, day): count, sum, sum of squares, min, max and changes of value between
    consecutive readings within the day; dense over the days, indexed (series, day).

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
    daily.index = pd.MultiIndex.from_arrays([key // days, key % days + first_day], names=["series", "day"])
    full = pd.MultiIndex.from_product(
        [np.unique(key // days), np.arange(first_day, first_day + days)], names=["series", "day"]
    )
    daily = daily.astype(float).reindex(full)
    return daily.fillna({"count": 0.0, "sum": 0.0, "sum_sq": 0.0, "changes": 0.0})


def read_history(root: Path) -> CoopHistory:
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
    daily = daily_aggregates(key, value, first_day, end_day - first_day)
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
    return CoopHistory(equipment, series, daily, events, first_day, end_day, readings)


def window_stats(daily: pd.DataFrame, days: int, shift: int = 0) -> pd.DataFrame:
    """Statistics of each series over the `days` days ending with each row's day
    (`shift` days earlier): count, mean, spread, min, max, changes per day with data,
    trend of the daily means. NaN where the window has no reading."""
    has = (daily["count"] > 0).astype(float)
    x = daily.index.get_level_values("day").to_numpy(dtype=float) - daily.index.get_level_values("day").min()
    with np.errstate(divide="ignore", invalid="ignore"):
        day_mean = np.where(has > 0, daily["sum"] / daily["count"], 0.0)
    parts = pd.DataFrame(
        {
            "n": daily["count"],
            "sum": daily["sum"],
            "sum_sq": daily["sum_sq"],
            "changes": daily["changes"],
            "days": has,
            "sx": has * x,
            "sxx": has * x * x,
            "sy": day_mean,
            "sxy": day_mean * x,
        },
        index=daily.index,
    )
    groups = parts.groupby(level="series")
    sums = groups.rolling(days, min_periods=1).sum().droplevel(0)
    extremes = daily[["min", "max"]].groupby(level="series").rolling(days, min_periods=1)
    low, high = extremes.min().droplevel(0)["min"], extremes.max().droplevel(0)["max"]
    n = sums["n"]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (sums["sum"] / n).where(n > 0)
        spread = np.sqrt((sums["sum_sq"] / n - mean * mean).clip(lower=0.0))
        changes_per_day = (sums["changes"] / sums["days"]).where(n > 0)
    out = pd.DataFrame(
        {
            "count": n,
            "mean": mean,
            "spread": spread,
            "min": low.where(n > 0),
            "max": high.where(n > 0),
            "changes_per_day": changes_per_day,
            "trend": least_squares_slope(sums["days"], sums["sx"], sums["sy"], sums["sxx"], sums["sxy"]),
        },
        index=daily.index,
    )
    if shift:
        out = out.groupby(level="series").shift(shift)
        out["count"] = out["count"].fillna(0.0)
    return out


def channel_features(history: CoopHistory) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Per-channel features of every equipment as of every day (wide, index (equipment, day)),
    the per-equipment reading counts and stuck channels, and the feature names."""
    daily = history.daily
    short = window_stats(daily, SHORT_DAYS)
    long = window_stats(daily, LONG_DAYS)
    normal = window_stats(daily, NORMAL_FROM_DAYS - NORMAL_TO_DAYS, shift=NORMAL_TO_DAYS)
    stuck2 = window_stats(daily, STUCK_DAYS)
    long_stats = pd.DataFrame(
        {
            "mean_7d": short["mean"],
            "spread_7d": short["spread"],
            "mean_30d": long["mean"],
            "spread_30d": long["spread"],
            "min_7d": short["min"],
            "max_7d": short["max"],
            "trend_30d": long["trend"],
            "deviation": deviation(short["mean"], normal["mean"], normal["spread"]),
            "on_share_7d": short["mean"],
            "cycles_7d": short["changes_per_day"],
            "on_share_30d": long["mean"],
            "cycles_30d": long["changes_per_day"],
        }
    )
    # Rows hold windows ending with their day: features as of the next day.
    series_id = long_stats.index.get_level_values("series").to_numpy()
    info = history.series.iloc[series_id]
    key = pd.MultiIndex.from_arrays(
        [info["equipment"].to_numpy(), long_stats.index.get_level_values("day").to_numpy() + 1, info["channel"].to_numpy()],
        names=["equipment", "day", "channel"],
    )
    long_stats.index = key
    wide = long_stats.unstack("channel")
    wide.columns = [f"{channel}.{stat}" for stat, channel in wide.columns]

    channels = sorted(set(zip(history.series["channel"], history.series["binary"])))
    names = [
        f"{channel}.{stat}" for channel, binary in channels for stat in (BINARY_STATS if binary else ANALOG_STATS)
    ]
    wide = wide.reindex(columns=names)

    per_equipment = pd.DataFrame(
        {
            "count_7d": short["count"].to_numpy(),
            "stuck": ((stuck2["count"] >= 2) & (stuck2["max"] == stuck2["min"]) & ~info["binary"].to_numpy()).to_numpy(),
        },
        index=key.droplevel("channel"),
    )
    per_equipment = per_equipment.groupby(level=["equipment", "day"]).sum()
    return wide, per_equipment, names


def event_times(history: CoopHistory, equipment: int, kinds: tuple[str, ...]) -> np.ndarray:
    """Sorted times (ms) of the equipment's events of the given kinds."""
    e = history.events
    return np.sort(e.loc[(e["equipment"] == equipment) & e["kind"].isin(kinds), "ts"].to_numpy())


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


def coop_samples(history: CoopHistory, horizon: int, step: int) -> pd.DataFrame:
    """Labelled samples (equipment, day, label) with the event features of each row."""
    days = np.arange(history.first_day + WARM_UP_DAYS, history.end_day, max(step, 1), dtype=np.int64)
    data_end = history.end_day * DAY_MS
    frames = []
    for e, facts in history.equipment.iterrows():
        d = days[days > facts["installed_day"]]
        t = d * DAY_MS
        failures = event_times(history, e, ("failure",))
        label = outcomes(t, failures, event_times(history, e, ("corrective_maintenance",)), horizon, data_end)
        keep = label >= 0
        d, t, label = d[keep], t[keep], label[keep]
        age = (d - facts["installed_day"]).astype(float)

        def days_since(times: np.ndarray) -> np.ndarray:
            i = np.searchsorted(times, t, "left")
            last = times[np.maximum(i - 1, 0)] if len(times) else np.zeros_like(t)
            since = np.where(i > 0, (t - last) / DAY_MS, np.maximum(age, 0.0))
            return np.minimum(since, MAX_DAYS_SINCE)

        def count_30d(times: np.ndarray) -> np.ndarray:
            lo = np.searchsorted(times, t - LONG_DAYS * DAY_MS, "left")
            return (np.searchsorted(times, t, "left") - lo).astype(float)

        frames.append(
            pd.DataFrame(
                {
                    "equipment": e,
                    "day": d,
                    "label": label.astype(bool),
                    "age_days": age,
                    "days_since_maintenance": days_since(
                        event_times(history, e, ("preventive_maintenance", "corrective_maintenance"))
                    ),
                    "days_since_failure": days_since(failures),
                    "alarms_30d": count_30d(event_times(history, e, ("alarm",))),
                    "resident_reports_30d": count_30d(event_times(history, e, ("resident_report",))),
                }
            )
        )
    samples = pd.concat(frames, ignore_index=True)
    return samples.sort_values(["day", "equipment"], kind="stable", ignore_index=True)


def coop_features(history: CoopHistory, samples: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The feature matrix of the samples, columns in the order of the Rust feature set."""
    wide, per_equipment, channel_names = channel_features(history)
    rows = pd.MultiIndex.from_arrays([samples["equipment"], samples["day"]], names=["equipment", "day"])
    x = wide.reindex(rows).reset_index(drop=True)
    counts = per_equipment.reindex(rows)
    expected = history.equipment["expected_per_day"].to_numpy()[samples["equipment"].to_numpy()] * SHORT_DAYS
    got = counts["count_7d"].fillna(0.0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        missing = np.where(expected > 0, np.clip(1.0 - got / expected, 0.0, 1.0), 0.0)
    for name in PLAIN_FEATURES[:5]:
        x[name] = samples[name].to_numpy()
    x["missing_share_7d"] = missing
    x["stuck_sensors"] = counts["stuck"].fillna(0.0).to_numpy(dtype=float)
    day_of_year0 = pd.to_datetime(samples["day"].to_numpy(), unit="D").day_of_year.to_numpy() - 1
    angle = 2.0 * np.pi * day_of_year0 / 365.25
    x["season_sin"] = np.sin(angle)
    x["season_cos"] = np.cos(angle)
    kinds = sorted(history.equipment["kind"].unique())
    if len(kinds) > 1:
        kind = history.equipment["kind"].to_numpy()[samples["equipment"].to_numpy()]
        for k in kinds:
            x[f"kind={k}"] = (kind == k).astype(float)
    names = [*channel_names, *PLAIN_FEATURES, "season_sin", "season_cos"] + (
        [f"kind={k}" for k in kinds] if len(kinds) > 1 else []
    )
    return x[names].to_numpy(dtype=float), names


def run_coop(args: argparse.Namespace) -> None:
    """Rolling-origin backtest of the random forest on a simulated co-op history."""
    watch = Stopwatch()
    history = read_history(Path(args.history))
    watch.lap("read_and_daily")
    samples = coop_samples(history, args.horizon, args.step)
    x, names = coop_features(history, samples)
    y = samples["label"].to_numpy()
    day = samples["day"].to_numpy()
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
    predictions, tested, summaries = [], [], []
    for cutoff, test_end in folds:
        train = day + args.horizon <= cutoff
        test = (day >= cutoff) & (day < test_end)
        if not test.any():
            continue
        predictions.append(fit_forest_proba(x[train], y[train], x[test], args.threads))
        tested.append(np.flatnonzero(test))
        summaries.append(
            {
                "cutoff_day": int(cutoff),
                "test_end_day": int(test_end),
                "train_cases": int(train.sum()),
                "train_positives": int(y[train].sum()),
                "test_cases": int(test.sum()),
                "test_positives": int(y[test].sum()),
            }
        )
    watch.lap("training")
    p = np.concatenate(predictions) if predictions else np.array([])
    labels = y[np.concatenate(tested)] if tested else np.array([], dtype=bool)
    result = scores(labels, p)
    watch.lap("evaluation")

    print(
        f"Backtest: {len(summaries)} folds, horizon {args.horizon} days, step {args.step}, "
        f"{len(history.equipment)} equipment, {len(names)} features, {history.readings} readings, "
        f"{len(y)} samples ({int(y.sum())} failures)",
        file=sys.stderr,
    )
    print(
        f"random_forest: {len(labels)} test cases, {int(labels.sum())} failures, "
        f"ROC-AUC {fmt(result['roc_auc'])}, PR-AUC {fmt(result['pr_auc'])}",
        file=sys.stderr,
    )
    finish(
        {
            "task": "coop",
            "horizon": args.horizon,
            "step": args.step,
            "pr_auc": result["pr_auc"],
            "roc_auc": result["roc_auc"],
            "readings": history.readings,
            "equipment": len(history.equipment),
            "features": len(names),
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
    for p in (cmapss, coop):
        p.add_argument(
            "--threads", type=int, default=-1, help="scikit-learn n_jobs, Arrow and BLAS threads (-1: all cores)"
        )
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
