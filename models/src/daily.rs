//! Daily aggregates of every channel, computed with Polars: the base of every feature.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use caretaker_core::EventKind;
use polars::prelude::*;

use crate::error::ModelError;
use crate::features::LOOKBACK_DAYS;
use crate::history::{DAY_MS, DayChunk, History};

/// One channel's daily aggregates over a dense range of days (no reading: count 0).
/// The counts are whole numbers, held as f32 (exact below 2^24, 16.7 million
/// readings a day): these series grow with history, and the values stay f64.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailySeries {
    /// The day (index from the table's first day) of each vector's first element:
    /// a [`DayWindow`] lets go of days no feature reads any more; 0 in a whole table.
    pub start: usize,
    /// Readings that day.
    pub count: Vec<f32>,
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
    pub changes: Vec<f32>,
}

impl DailySeries {
    fn with_days(days: usize) -> Self {
        Self::holding(0..days)
    }

    /// A series with no reading over the days `held` (indices from the table's first day).
    fn holding(held: std::ops::Range<usize>) -> Self {
        let days = held.len();
        Self {
            start: held.start,
            count: vec![0.0; days],
            sum: vec![0.0; days],
            sum_sq: vec![0.0; days],
            min: vec![f64::NAN; days],
            max: vec![f64::NAN; days],
            changes: vec![0.0; days],
        }
    }

    /// Holds the days `held` from now on (never earlier days than it holds): days
    /// before it are let go, days after its current end added with no reading.
    fn hold(&mut self, held: &std::ops::Range<usize>) {
        debug_assert!(held.start >= self.start, "a series never goes back in time");
        let gone = (held.start - self.start).min(self.count.len());
        let days = held.len();
        drop_front_and_resize(&mut self.count, gone, days, 0.0);
        drop_front_and_resize(&mut self.sum, gone, days, 0.0);
        drop_front_and_resize(&mut self.sum_sq, gone, days, 0.0);
        drop_front_and_resize(&mut self.min, gone, days, f64::NAN);
        drop_front_and_resize(&mut self.max, gone, days, f64::NAN);
        drop_front_and_resize(&mut self.changes, gone, days, 0.0);
        self.start = held.start;
    }
}

/// Drops the first `gone` values of `values`, then makes it `len` long (adding `none`s).
fn drop_front_and_resize<T: Copy>(values: &mut Vec<T>, gone: usize, len: usize, none: T) {
    values.drain(..gone);
    values.resize(len, none);
}

/// Daily aggregates for every (equipment, channel) of a history, before a cut-off:
/// every day, or (from a [`DayWindow`]) the days that features still read.
#[derive(Debug, Clone)]
pub struct DailyTable {
    /// Day number of index 0.
    pub first_day: i64,
    /// Number of days to the cut-off (the series may hold fewer: [`DailySeries::start`]).
    pub days: usize,
    /// Series by equipment index, then channel name.
    series: HashMap<usize, HashMap<String, DailySeries>>,
    /// Times (ms) of failures and repairs before the cut-off, sorted, by equipment
    /// index: a repaired machine starts a new normal.
    repairs: Vec<Vec<i64>>,
}

impl DailyTable {
    /// Aggregates the readings of `history` taken before `until_ms` (exclusive), by
    /// day: from a co-op's chunks, only the days features of the cut-off's day read.
    pub fn compute(history: &History, until_ms: i64) -> Result<Self, ModelError> {
        let (first_day, last_day, days) = table_days(history, until_ms);
        if history.sensor_daily.is_some() && history.sensor_map.is_some() {
            // A co-op's: only the days that features of the cut-off's day read.
            // Whole days: a cut-off inside a day keeps that day (scoring "now"
            // keeps today's readings so far).
            let mut window = DayWindow::new(history, until_ms)?;
            window.hold(last_day..=last_day)?;
            return Ok(window.table);
        }
        let in_range = history.readings.clone().filter(
            col("ts")
                .lt(lit(until_ms))
                .and(col("ts").gt_eq(lit(first_day * DAY_MS))),
        );
        let index = equipment_index(history);
        let series = match &history.sensor_map {
            Some(map) => dense_series(
                &by_sensor_then_channel(in_range, map)?.collect()?,
                &index,
                first_day,
                days,
            )?,
            None => dense_series(&by_channel(in_range).collect()?, &index, first_day, days)?,
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

/// A co-op's day table read forward in time, a chunk of days at a time
/// ([`crate::history::DayChunk`]), holding only the days that features of the
/// sample days still ahead read: at most [`LOOKBACK_DAYS`] before them, and the
/// chunks that reach them. Memory follows that window, not the length of history.
///
/// Daily aggregates by sensor (`caretaker_ingest::aggregates`) are merged into
/// their equipment's channels through the history's sensor map, as
/// [`merge_into_channels`] does (counts, sums and changes of value add up, changes
/// on on/off sensors only; extremes are the extremes). A history whose readings
/// are not in such chunks (a fleet's) is aggregated whole, once.
pub struct DayWindow<'h> {
    table: DailyTable,
    /// The chunks still to read, in order.
    chunks: &'h [DayChunk],
    /// Sensor → (equipment index, channel, on/off).
    sensors: HashMap<&'h str, (usize, &'h str, bool)>,
    /// Last day of the table (the cut-off's).
    last_day: i64,
    /// Days held (indices from the table's first day).
    held: std::ops::Range<usize>,
    /// Whether days are read a chunk at a time and let go of (a co-op's store);
    /// otherwise the table is whole from the start.
    rolling: bool,
}

/// Days a [`DayWindow`] lets go of at once, at least.
const LET_GO_DAYS: usize = 64;

impl<'h> DayWindow<'h> {
    /// The readings of `history` taken before `until_ms` (exclusive), by day; none
    /// read yet from a co-op's chunks ([`DayWindow::hold`] reads them).
    pub fn new(history: &'h History, until_ms: i64) -> Result<Self, ModelError> {
        let (Some(chunks), Some(map)) = (&history.sensor_daily, &history.sensor_map) else {
            let table = DailyTable::compute(history, until_ms)?;
            let held = 0..table.days;
            return Ok(Self {
                table,
                chunks: &[],
                sensors: HashMap::new(),
                last_day: i64::MAX,
                held,
                rolling: false,
            });
        };
        let mut sensors = HashMap::new();
        let (sensor, equipment, channel, binary) = (
            map.column("sensor")?.str()?,
            map.column("equipment")?.str()?,
            map.column("channel")?.str()?,
            map.column("binary")?.bool()?,
        );
        let index = equipment_index(history);
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
        let (first_day, last_day, days) = table_days(history, until_ms);
        Ok(Self {
            table: DailyTable {
                first_day,
                days,
                series: HashMap::new(),
                repairs: repairs_before(history, &index, until_ms),
            },
            chunks,
            sensors,
            last_day,
            held: 0..0,
            rolling: true,
        })
    }

    /// Makes the table hold what features of samples on the days `days` read:
    /// reads the chunks up to the last of them, and lets go of the days before
    /// [`LOOKBACK_DAYS`] ahead of the first. The days only move forward.
    pub fn hold(&mut self, days: RangeInclusive<i64>) -> Result<&DailyTable, ModelError> {
        let first_day = self.table.first_day;
        let keep = (days.start() - LOOKBACK_DAYS - first_day).max(0) as usize;
        if self.rolling && keep >= self.held.start + LET_GO_DAYS {
            self.held = keep..self.held.end.max(keep);
            self.for_each_series(|s, held| s.hold(held));
        }
        let through = (*days.end()).min(self.last_day);
        while let Some(((chunk_days, frame), rest)) = self.chunks.split_first() {
            if *chunk_days.start() > through {
                break;
            }
            self.chunks = rest;
            if *chunk_days.end() < first_day + self.held.start as i64 {
                continue; // before every day still read
            }
            self.read(chunk_days, frame)?;
        }
        Ok(&self.table)
    }

    fn for_each_series(&mut self, f: impl Fn(&mut DailySeries, &std::ops::Range<usize>)) {
        let held = self.held.clone();
        for channels in self.table.series.values_mut() {
            channels.values_mut().for_each(|s| f(s, &held));
        }
    }

    /// Merges one chunk's rows into the series, holding its days.
    fn read(
        &mut self,
        chunk_days: &RangeInclusive<i64>,
        frame: &LazyFrame,
    ) -> Result<(), ModelError> {
        let first_day = self.table.first_day;
        let from = first_day + self.held.start as i64;
        let to = (*chunk_days.end()).min(self.last_day);
        if to < from {
            return Ok(());
        }
        let end = (to - first_day + 1) as usize;
        if end > self.held.end {
            self.held.end = end;
            self.for_each_series(|s, held| s.hold(held));
        }
        let rows = frame
            .clone()
            .filter(col("day").gt_eq(lit(from)).and(col("day").lt_eq(lit(to))))
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
            let Some(&(e, c, binary)) = self.sensors.get(s) else {
                continue;
            };
            let held = &self.held;
            let s = self
                .table
                .series
                .entry(e)
                .or_default()
                .entry(c.to_owned())
                .or_insert_with(|| DailySeries::holding(held.clone()));
            let at = (d - first_day) as usize - s.start;
            let value = |i: usize| values[i].get(row);
            s.count[at] += value(0).unwrap_or(0.0) as f32;
            s.sum[at] += value(1).unwrap_or(0.0);
            s.sum_sq[at] += value(2).unwrap_or(0.0);
            if let Some(min) = value(3) {
                s.min[at] = s.min[at].min(min);
            }
            if let Some(max) = value(4) {
                s.max[at] = s.max[at].max(max);
            }
            if binary {
                s.changes[at] += value(5).unwrap_or(0.0) as f32;
            }
        }
        Ok(())
    }
}

/// The table's first and last day and its number of days, for a cut-off.
fn table_days(history: &History, until_ms: i64) -> (i64, i64, usize) {
    let first_day = history.start_day;
    let last_day = (until_ms - 1).div_euclid(DAY_MS).min(history.end_day - 1);
    (
        first_day,
        last_day,
        (last_day - first_day + 1).max(0) as usize,
    )
}

/// Equipment id → index.
fn equipment_index(history: &History) -> HashMap<&str, usize> {
    history
        .equipment
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect()
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
        s.count[at] = value(0) as f32;
        s.sum[at] = value(1);
        s.sum_sq[at] = value(2);
        s.min[at] = value(3);
        s.max[at] = value(4);
        s.changes[at] = value(5) as f32;
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
