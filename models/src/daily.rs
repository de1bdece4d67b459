//! Daily aggregates of every channel, computed with Polars: the base of every feature.

use std::collections::HashMap;

use caretaker_core::EventKind;
use polars::prelude::*;

use crate::error::ModelError;
use crate::history::{DAY_MS, DayChunk, History};

/// One channel's daily aggregates over a dense range of days (no reading: count 0).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailySeries {
    /// Readings that day.
    pub count: Vec<f64>,
    /// Sum of the values.
    pub sum: Vec<f64>,
    /// Sum of the squared values.
    pub sum_sq: Vec<f64>,
    /// Smallest value (NaN without readings).
    pub min: Vec<f64>,
    /// Largest value (NaN without readings).
    pub max: Vec<f64>,
    /// Changes of value between consecutive readings (the cycles of an on/off state);
    /// counted on on/off channels only when the history is by sensor (a co-op's store).
    pub changes: Vec<f64>,
}

impl DailySeries {
    fn with_days(days: usize) -> Self {
        Self {
            count: vec![0.0; days],
            sum: vec![0.0; days],
            sum_sq: vec![0.0; days],
            min: vec![f64::NAN; days],
            max: vec![f64::NAN; days],
            changes: vec![0.0; days],
        }
    }
}

/// Daily aggregates for every (equipment, channel) of a history, before a cut-off.
#[derive(Debug, Clone)]
pub struct DailyTable {
    /// Day number of index 0.
    pub first_day: i64,
    /// Number of days covered.
    pub days: usize,
    /// Series by equipment index, then channel name.
    series: HashMap<usize, HashMap<String, DailySeries>>,
    /// Times (ms) of failures and repairs before the cut-off, sorted, by equipment
    /// index: a repaired machine starts a new normal.
    repairs: Vec<Vec<i64>>,
}

impl DailyTable {
    /// Aggregates the readings of `history` taken before `until_ms` (exclusive), by day.
    pub fn compute(history: &History, until_ms: i64) -> Result<Self, ModelError> {
        let first_day = history.start_day;
        let last_day = (until_ms - 1).div_euclid(DAY_MS).min(history.end_day - 1);
        let days = (last_day - first_day + 1).max(0) as usize;
        let in_range = history.readings.clone().filter(
            col("ts")
                .lt(lit(until_ms))
                .and(col("ts").gt_eq(lit(first_day * DAY_MS))),
        );
        let index: HashMap<&str, usize> = history
            .equipment
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.as_str(), i))
            .collect();
        let series = match (&history.sensor_daily, &history.sensor_map) {
            // Whole days: a cut-off inside a day keeps that day (scoring "now"
            // keeps today's readings so far).
            (Some(chunks), Some(map)) => {
                merge_sensor_days(chunks, map, &index, first_day, last_day, days)?
            }
            (None, Some(map)) => dense_series(
                &by_sensor_then_channel(in_range, map)?.collect()?,
                &index,
                first_day,
                days,
            )?,
            (_, None) => dense_series(&by_channel(in_range).collect()?, &index, first_day, days)?,
        };
        Ok(Self {
            first_day,
            days,
            series,
            repairs: repairs_before(history, &index, until_ms),
        })
    }

    /// The day after the last failure or repair of an equipment before the start
    /// of `day`, if any: its normal starts there.
    pub fn fresh_start(&self, equipment: usize, day: i64) -> Option<i64> {
        let times = self.repairs.get(equipment)?;
        let n = times.partition_point(|&t| t < day * DAY_MS);
        n.checked_sub(1).map(|i| times[i].div_euclid(DAY_MS) + 1)
    }

    /// The series of one channel of one equipment, if it has any reading.
    pub fn series(&self, equipment: usize, channel: &str) -> Option<&DailySeries> {
        self.series.get(&equipment)?.get(channel)
    }
}

/// Daily aggregates by equipment, channel and day of readings that carry their
/// equipment and channel (a fleet's history).
fn by_channel(in_range: LazyFrame) -> LazyFrame {
    let day = (col("ts") / lit(DAY_MS)).alias("day");
    in_range
        .group_by([col("equipment"), col("channel"), day])
        .agg(
            level_aggregates()
                .into_iter()
                .chain([changes_in_time_order()])
                .collect::<Vec<_>>(),
        )
}

/// Daily aggregates of readings by sensor (a co-op's store), by sensor first (one
/// short key), then merged into their equipment's channels through `map`. Changes
/// of value (which need the day's readings in time order) only count on on/off
/// sensors, the only ones whose changes a feature uses (cycling).
fn by_sensor_then_channel(in_range: LazyFrame, map: &DataFrame) -> Result<LazyFrame, ModelError> {
    // One integer key per sensor and day: grouping by it is much cheaper than by
    // the sensor's name and the day.
    let keyed = in_range
        .join(
            map.clone()
                .lazy()
                .select([col("sensor"), col("sensor_no"), col("binary")]),
            [col("sensor")],
            [col("sensor")],
            JoinArgs::new(JoinType::Inner),
        )
        .select([
            (col("sensor_no") * lit(SENSOR_KEY) + col("ts") / lit(DAY_MS)).alias("key"),
            col("binary"),
            col("ts"),
            col("value"),
        ])
        // Collected once: both aggregations below read it (a lazy plan used twice
        // would be joined twice).
        .collect()?
        .lazy();
    let changes = keyed
        .clone()
        .filter(col("binary"))
        .group_by([col("key")])
        .agg([changes_in_time_order()]);
    Ok(merge_into_channels(
        keyed
            .group_by([col("key")])
            .agg(level_aggregates())
            .join(
                changes,
                [col("key")],
                [col("key")],
                JoinArgs::new(JoinType::Left),
            )
            .with_columns([
                (col("key") / lit(SENSOR_KEY)).alias("sensor_no"),
                (col("key") % lit(SENSOR_KEY)).alias("day"),
            ])
            .join(
                map.clone().lazy(),
                [col("sensor_no")],
                [col("sensor_no")],
                JoinArgs::new(JoinType::Inner),
            ),
    ))
}

/// Daily aggregates by sensor (`caretaker_ingest::aggregates`) merged into their
/// equipment's channels through `map`, as [`merge_into_channels`] does (counts,
/// sums and changes of value add up, changes on on/off sensors only; extremes are
/// the extremes), for the days `first_day..=last_day`. Read a chunk at a time:
/// besides the dense series, memory holds one chunk's rows.
fn merge_sensor_days(
    chunks: &[DayChunk],
    map: &DataFrame,
    index: &HashMap<&str, usize>,
    first_day: i64,
    last_day: i64,
    days: usize,
) -> Result<HashMap<usize, HashMap<String, DailySeries>>, ModelError> {
    // Sensor → (equipment index, channel, on/off).
    let mut sensors: HashMap<&str, (usize, &str, bool)> = HashMap::new();
    let (sensor, equipment, channel, binary) = (
        map.column("sensor")?.str()?,
        map.column("equipment")?.str()?,
        map.column("channel")?.str()?,
        map.column("binary")?.bool()?,
    );
    for row in 0..map.height() {
        if let (Some(s), Some(e), Some(c), Some(b)) = (
            sensor.get(row),
            equipment.get(row),
            channel.get(row),
            binary.get(row),
        ) && let Some(&e) = index.get(e)
        {
            sensors.insert(s, (e, c, b));
        }
    }
    let mut series: HashMap<usize, HashMap<String, DailySeries>> = HashMap::new();
    for (chunk_days, frame) in chunks {
        if *chunk_days.end() < first_day || *chunk_days.start() > last_day {
            continue;
        }
        let rows = frame
            .clone()
            .filter(
                col("day")
                    .gt_eq(lit(first_day))
                    .and(col("day").lt_eq(lit(last_day))),
            )
            .select(
                [
                    "sensor", "day", "count", "sum", "sum_sq", "min", "max", "changes",
                ]
                .map(col),
            )
            .collect()?;
        let sensor = rows.column("sensor")?.str()?;
        let day = rows.column("day")?.i64()?;
        let values = aggregate_columns(&rows)?;
        for row in 0..rows.height() {
            let (Some(s), Some(d)) = (sensor.get(row), day.get(row)) else {
                continue;
            };
            let Some(&(e, c, binary)) = sensors.get(s) else {
                continue;
            };
            let at = (d - first_day) as usize;
            let value = |i: usize| values[i].get(row);
            let s = series
                .entry(e)
                .or_default()
                .entry(c.to_owned())
                .or_insert_with(|| DailySeries::with_days(days));
            s.count[at] += value(0).unwrap_or(0.0);
            s.sum[at] += value(1).unwrap_or(0.0);
            s.sum_sq[at] += value(2).unwrap_or(0.0);
            if let Some(min) = value(3) {
                s.min[at] = s.min[at].min(min);
            }
            if let Some(max) = value(4) {
                s.max[at] = s.max[at].max(max);
            }
            if binary {
                s.changes[at] += value(5).unwrap_or(0.0);
            }
        }
    }
    Ok(series)
}

/// Sensor-day aggregates (with `equipment`, `channel`, `day`) summed by channel and day.
fn merge_into_channels(sensor_days: LazyFrame) -> LazyFrame {
    sensor_days
        .group_by([col("equipment"), col("channel"), col("day")])
        .agg([
            col("count").sum(),
            col("sum").sum(),
            col("sum_sq").sum(),
            col("min").min(),
            col("max").max(),
            col("changes").fill_null(lit(0.0)).sum(),
        ])
}

/// The aggregates of `daily` (rows of equipment, channel, day) laid out as one
/// dense series of `days` days from `first_day` per equipment index and channel;
/// rows of unknown equipment or outside the days are left out.
fn dense_series(
    daily: &DataFrame,
    index: &HashMap<&str, usize>,
    first_day: i64,
    days: usize,
) -> Result<HashMap<usize, HashMap<String, DailySeries>>, ModelError> {
    let equipment = daily.column("equipment")?.str()?;
    let channel = daily.column("channel")?.str()?;
    let day = daily.column("day")?.i64()?;
    let columns = aggregate_columns(daily)?;
    let mut series: HashMap<usize, HashMap<String, DailySeries>> = HashMap::new();
    for row in 0..daily.height() {
        let (Some(e), Some(c), Some(d)) = (equipment.get(row), channel.get(row), day.get(row))
        else {
            continue;
        };
        let Some(&e) = index.get(e) else { continue };
        let offset = d - first_day;
        if offset < 0 || offset as usize >= days {
            continue;
        }
        let s = series
            .entry(e)
            .or_default()
            .entry(c.to_owned())
            .or_insert_with(|| DailySeries::with_days(days));
        let at = offset as usize;
        let value = |i: usize| columns[i].get(row).unwrap_or(f64::NAN);
        s.count[at] = value(0);
        s.sum[at] = value(1);
        s.sum_sq[at] = value(2);
        s.min[at] = value(3);
        s.max[at] = value(4);
        s.changes[at] = value(5);
    }
    Ok(series)
}

/// A frame's aggregate columns: `count`, `sum`, `sum_sq`, `min`, `max`, `changes`.
fn aggregate_columns(frame: &DataFrame) -> PolarsResult<Vec<&Float64Chunked>> {
    ["count", "sum", "sum_sq", "min", "max", "changes"]
        .iter()
        .map(|name| frame.column(name).and_then(|c| c.f64()))
        .collect()
}

/// Times (ms) of failures and repairs before `until_ms`, sorted, by equipment index.
fn repairs_before(history: &History, index: &HashMap<&str, usize>, until_ms: i64) -> Vec<Vec<i64>> {
    let mut repairs = vec![Vec::new(); history.equipment.len()];
    for e in &history.events {
        let resets = matches!(
            e.kind,
            EventKind::Failure | EventKind::CorrectiveMaintenance
        );
        if resets
            && e.ts.millis() < until_ms
            && let Some(&i) = index.get(e.equipment.as_str())
        {
            repairs[i].push(e.ts.millis());
        }
    }
    repairs.iter_mut().for_each(|r| r.sort_unstable());
    repairs
}

/// Sensor-and-day keys: sensor number times this plus the day number.
const SENSOR_KEY: i64 = 1 << 32;

/// A day's count, sum, sum of squares and extremes of a group of readings.
fn level_aggregates() -> [Expr; 5] {
    [
        col("value").count().cast(DataType::Float64).alias("count"),
        col("value").sum().alias("sum"),
        (col("value") * col("value")).sum().alias("sum_sq"),
        col("value").min().alias("min"),
        col("value").max().alias("max"),
    ]
}

/// How many times a group of readings changed value, in time order.
fn changes_in_time_order() -> Expr {
    col("value")
        .sort_by([col("ts")], SortMultipleOptions::default())
        .diff(lit(1), Default::default())
        .abs()
        .gt(lit(0.0))
        .sum()
        .cast(DataType::Float64)
        .alias("changes")
}
