//! The readings store: Parquet files partitioned by day, one row per (sensor, timestamp).
//!
//! ```text
//! readings/
//!   date=2024-01-31/
//!     part-00000000000000000042.parquet        one flush
//!     compact-00000000000000000001-00000000000000000040.parquet   a compaction of parts 1..40
//! ```
//! Each file has the readings schema (`sensor` string, `ts` timestamp ms UTC,
//! `value` double), sorted by sensor then time, and is written atomically.
//! Partitions are by the reading's UTC date; other tools can read the folder
//! as a hive-partitioned dataset.
//!
//! **Exactly once.** The key of a reading is (sensor, ts). The first value
//! stored for a key wins: a later reading with the same key and value is a
//! *duplicate*, with another value a *conflict*; both are dropped and counted.
//! A compacted file replaces the files whose sequence numbers it spans; on
//! open, files covered by a compaction and temporary leftovers are deleted.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use caretaker_core::{ReadingBatch, Registry, SensorId, Timestamp};
use polars::prelude::*;

use crate::IngestError;
use crate::files::readings_frame;
use crate::key_index::{DayKeys, KeyAndValue, KeyIndex, Known};

pub use crate::key_index::KEY_CACHE_DAYS;

/// What happened to a reading pushed into the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushResult {
    /// New key: buffered for the next flush.
    New,
    /// The key was stored before with the same value.
    Duplicate,
    /// The key was stored before with another value; the first value stays.
    Conflict {
        /// The value kept, as bits (`f64::from_bits`).
        kept_bits: u64,
    },
}

/// Figures of one flush.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlushStats {
    /// Readings written.
    pub readings: usize,
    /// Files written.
    pub files: usize,
    /// Seconds it took.
    pub seconds: f64,
}

/// The readings sorted by sensor id (as text) then time, the order of a stored file.
fn sorted_by_sensor_name(registry: &Registry, batch: &ReadingBatch) -> ReadingBatch {
    let sensors = registry.sensors();
    let mut by_name: Vec<usize> = (0..sensors.len()).collect();
    by_name.sort_unstable_by(|&a, &b| sensors[a].id.as_str().cmp(sensors[b].id.as_str()));
    let mut rank = vec![0u32; sensors.len()];
    for (r, &i) in by_name.iter().enumerate() {
        rank[i] = r as u32;
    }
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_unstable_by_key(|&i| (rank[batch.sensors()[i] as usize], batch.ts_ms()[i]));
    let mut sorted = ReadingBatch::with_capacity(batch.len());
    for i in order {
        sorted.push_from(batch, i);
    }
    sorted
}

/// A file of a day partition and the sequence numbers it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredFile {
    pub(crate) path: PathBuf,
    first: u64,
    last: u64,
}

fn parse_file_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(".parquet")?;
    if let Some(seq) = stem.strip_prefix("part-") {
        let s = seq.parse().ok()?;
        return Some((s, s));
    }
    let (a, b) = stem.strip_prefix("compact-")?.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// UTC day number (days since the epoch) of a timestamp.
fn day_of(ts_ms: i64) -> i64 {
    ts_ms.div_euclid(Timestamp::DAY)
}

fn day_dir_name(day: i64) -> String {
    let date = Timestamp::from_millis(day * Timestamp::DAY)
        .to_datetime()
        .date_naive();
    format!("date={date}")
}

/// The readings store, with its write buffer and duplicate index.
///
/// One writer at a time: opening takes an exclusive lock on `readings/.lock`
/// for as long as the store is open.
pub struct ReadingsStore {
    _lock: std::fs::File,
    root: PathBuf,
    registry: Arc<Registry>,
    next_seq: u64,
    /// (sensor, ts) -> value bits, per day, for the days checked recently.
    keys: KeyIndex,
    pending: BTreeMap<i64, ReadingBatch>,
    pending_len: usize,
    /// Days of readings taken for a flush that has not finished: their keys stay.
    in_flight: Vec<i64>,
}

/// Buffered readings taken out of the store to be written as Parquet files, on
/// any thread ([`FlushBatch::write`]). Its days' keys stay in the duplicate index
/// until the store hears how it went ([`ReadingsStore::flushed`]).
#[derive(Debug)]
pub struct FlushBatch {
    root: PathBuf,
    registry: Arc<Registry>,
    /// (day, file sequence number, readings) not yet written.
    parts: Vec<(i64, u64, ReadingBatch)>,
    /// (day, readings) written: their keys become written keys in the index.
    done: Vec<(i64, ReadingBatch)>,
    days: Vec<i64>,
    written: FlushStats,
}

impl FlushBatch {
    /// Readings not yet written.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|(_, _, b)| b.len()).sum()
    }

    /// Whether every reading is written.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Writes one file per day, each atomically (see [`crate::files`]), then
    /// syncs the store's folder for the day folders it created. On error, the
    /// parts not yet written stay in the batch.
    pub fn write(&mut self) -> Result<FlushStats, IngestError> {
        let began = Instant::now();
        while let Some((day, seq, batch)) = self.parts.first() {
            let dir = self.root.join(day_dir_name(*day));
            std::fs::create_dir_all(&dir).map_err(IngestError::io(&dir))?;
            let path = dir.join(format!("part-{seq:020}.parquet"));
            let df = readings_frame(
                &self.registry,
                &sorted_by_sensor_name(&self.registry, batch),
            )
            .map_err(|source| IngestError::Polars {
                path: path.clone(),
                source,
            })?;
            write_file(&path, df)?;
            self.written.readings += batch.len();
            self.written.files += 1;
            let (day, _, batch) = self.parts.remove(0);
            self.done.push((day, batch));
        }
        if self.written.files > 0 {
            crate::files::sync_dir(&self.root)?;
        }
        self.written.seconds += began.elapsed().as_secs_f64();
        Ok(self.written.clone())
    }
}

impl ReadingsStore {
    /// Opens the store in `root`: deletes temporary leftovers of interrupted
    /// writes and files a compaction replaced.
    pub fn open(root: &Path, registry: Arc<Registry>) -> Result<Self, IngestError> {
        std::fs::create_dir_all(root).map_err(IngestError::io(root))?;
        let lock = crate::files::lock_file(&root.join(".lock"))?;
        if let Err(e) = lock.try_lock() {
            return Err(IngestError::Io {
                path: root.to_owned(),
                source: std::io::Error::other(format!(
                    "the readings store is in use by another Caretaker process \
                     (is `caretaker ingest` running on this data directory?): {e}"
                )),
            });
        }
        let mut max_seq = 0;
        for day in day_dirs(root)? {
            let files = clean_day(&day)?;
            max_seq = files.iter().map(|f| f.last).max().unwrap_or(0).max(max_seq);
        }
        Ok(Self {
            _lock: lock,
            root: root.to_owned(),
            registry,
            next_seq: max_seq + 1,
            keys: KeyIndex::default(),
            pending: BTreeMap::new(),
            pending_len: 0,
            in_flight: Vec::new(),
        })
    }

    /// The registry whose sensor indexes `push` takes.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Keys held in memory for duplicate checks.
    pub fn cached_keys(&self) -> usize {
        self.keys.total_keys()
    }

    /// Readings buffered, not yet written.
    pub fn pending(&self) -> usize {
        self.pending_len
    }

    /// The index's keys of `day`, read from its files if the day is not held.
    fn day_keys(&mut self, day: i64) -> Result<&mut DayKeys, IngestError> {
        if self.keys.day_mut(day).is_none() {
            let loaded = match self.read_day_keys(day)? {
                Some(keys) => DayKeys::from_written(day, keys),
                None => DayKeys::new(day),
            };
            self.keys.add_day(day, loaded);
        }
        Ok(self.keys.day_mut(day).expect("just added"))
    }

    /// The (sensor, timestamp, value bits) keys in `day`'s files; `None` when the
    /// day has no folder.
    fn read_day_keys(&self, day: i64) -> Result<Option<Vec<KeyAndValue>>, IngestError> {
        let dir = self.root.join(day_dir_name(day));
        let mut keys = Vec::new();
        if !dir.exists() {
            return Ok(None);
        }
        for file in list_files(&dir)? {
            let df = read_file(&file.path)?;
            let polars_err = |source| IngestError::Polars {
                path: file.path.clone(),
                source,
            };
            let sensors = df
                .column("sensor")
                .and_then(|c| c.str().cloned())
                .map_err(polars_err)?;
            let (ts, values) = time_and_value(&df).map_err(polars_err)?;
            for ((s, t), v) in sensors.iter().zip(ts.iter()).zip(values.iter()) {
                let (Some(s), Some(t), Some(v)) = (s, t, v) else {
                    continue;
                };
                let Ok(id) = SensorId::parse(s) else { continue };
                if let Some(i) = self.registry.sensor_index(&id) {
                    keys.push((i as u32, t, v.to_bits()));
                }
            }
        }
        Ok(Some(keys))
    }

    /// Whether a reading's key is new, or already stored (or buffered) with the same or another value.
    pub fn check(
        &mut self,
        sensor: u32,
        ts_ms: i64,
        value: f64,
    ) -> Result<PushResult, IngestError> {
        let day = day_of(ts_ms);
        let mut known = self.day_keys(day)?.get(sensor, ts_ms);
        if known == Known::Unsure {
            // Earlier than its sensor's latest written key: read all the day's keys.
            let written = self.read_day_keys(day)?.unwrap_or_default();
            let keys = self.day_keys(day)?;
            keys.set_written(written);
            known = keys.get(sensor, ts_ms);
            self.keys.shrink();
        }
        Ok(match known {
            Known::Absent | Known::Unsure => PushResult::New,
            Known::Present(kept_bits) if kept_bits == value.to_bits() => PushResult::Duplicate,
            Known::Present(kept_bits) => PushResult::Conflict { kept_bits },
        })
    }

    /// Buffers a reading whose key [`ReadingsStore::check`] found new.
    pub fn insert(&mut self, sensor: u32, ts_ms: i64, value: f64) -> Result<(), IngestError> {
        let day = day_of(ts_ms);
        let ts = Timestamp::from_millis(ts_ms);
        // The batch would refuse it; refuse it before anything changes.
        if !value.is_finite() {
            let source = caretaker_core::DomainError::NonFinite;
            return Err(IngestError::NotAReading { sensor, ts, source });
        }
        self.day_keys(day)?
            .insert_unwritten(sensor, ts_ms, value.to_bits());
        self.pending
            .entry(day)
            .or_default()
            .push(sensor, ts, value)
            .map_err(|source| IngestError::NotAReading { sensor, ts, source })?;
        self.pending_len += 1;
        Ok(())
    }

    /// Buffers a reading unless its key is already stored or buffered.
    pub fn push(&mut self, sensor: u32, ts_ms: i64, value: f64) -> Result<PushResult, IngestError> {
        let result = self.check(sensor, ts_ms, value)?;
        if result == PushResult::New {
            self.insert(sensor, ts_ms, value)?;
        }
        Ok(result)
    }

    /// Takes every buffered reading out, to be written by [`FlushBatch::write`]
    /// (one file per day touched); pass the batch back to [`ReadingsStore::flushed`].
    pub fn take_pending(&mut self) -> FlushBatch {
        let pending = std::mem::take(&mut self.pending);
        self.pending_len = 0;
        let mut parts = Vec::with_capacity(pending.len());
        for (day, batch) in pending {
            parts.push((day, self.next_seq, batch));
            self.next_seq += 1;
        }
        let days: Vec<i64> = parts.iter().map(|(d, _, _)| *d).collect();
        self.in_flight.extend(&days);
        FlushBatch {
            root: self.root.clone(),
            registry: self.registry.clone(),
            parts,
            done: Vec::new(),
            days,
            written: FlushStats::default(),
        }
    }

    /// Takes a batch back after [`FlushBatch::write`]: what it could not write is
    /// buffered again (written by the next flush), and the keys it wrote become
    /// written keys in the index.
    pub fn flushed(&mut self, batch: FlushBatch) {
        for (day, readings) in &batch.done {
            if let Some(keys) = self.keys.day_mut(*day) {
                keys.add_written(batch_keys(readings));
            }
        }
        for (day, _, readings) in batch.parts {
            self.pending_len += readings.len();
            match self.pending.get_mut(&day) {
                Some(buffered) => buffered.append(&readings),
                None => {
                    self.pending.insert(day, readings);
                }
            }
        }
        for day in &batch.days {
            if let Some(pos) = self.in_flight.iter().position(|d| d == day) {
                self.in_flight.swap_remove(pos);
            }
            if self.in_flight.contains(day) {
                continue;
            }
            // Unwritten now: what is buffered (readings since the batch was taken,
            // and any part it could not write).
            if let Some(keys) = self.keys.day_mut(*day) {
                keys.set_unwritten(self.pending.get(day).map(batch_keys).into_iter().flatten());
            }
        }
        self.keys.shrink();
    }

    /// Writes every buffered reading now: one file per day touched.
    pub fn flush(&mut self) -> Result<FlushStats, IngestError> {
        let mut batch = self.take_pending();
        let result = batch.write();
        self.flushed(batch);
        result
    }

    /// Merges the small files of every day partition (see [`compact_days`]).
    pub fn compact(&mut self, min_files: usize) -> Result<usize, IngestError> {
        compact_days(&self.root, min_files)
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Merges the files of every day partition under `root` holding at least `min_files`
/// files into one; returns the days compacted. Safe beside a writer: it merges only the
/// files it listed, and a file flushed meanwhile has a higher sequence number than the
/// range in the compacted file's name, so it is kept.
pub fn compact_days(root: &Path, min_files: usize) -> Result<usize, IngestError> {
    let mut compacted = 0;
    for dir in day_dirs(root)? {
        let files = list_files(&dir)?;
        if files.len() < min_files.max(2) {
            continue;
        }
        let first = files.iter().map(|f| f.first).min().expect("files exist");
        let last = files.iter().map(|f| f.last).max().expect("files exist");
        let frames = files
            .iter()
            .map(|f| read_file(&f.path).map(|df| df.lazy()))
            .collect::<Result<Vec<_>, _>>()?;
        let path = dir.join(format!("compact-{first:020}-{last:020}.parquet"));
        let polars_err = |source| IngestError::Polars {
            path: path.clone(),
            source,
        };
        let df = concat(frames, UnionArgs::default())
            .and_then(|lf| {
                lf.sort(["sensor", "ts"], SortMultipleOptions::default())
                    .collect()
            })
            .map_err(polars_err)?;
        write_file(&path, df)?;
        for f in &files {
            std::fs::remove_file(&f.path).map_err(IngestError::io(&f.path))?;
        }
        crate::files::sync_dir(&dir)?;
        compacted += 1;
    }
    Ok(compacted)
}

/// The (sensor, timestamp, value bits) keys of a batch.
fn batch_keys(batch: &ReadingBatch) -> impl Iterator<Item = KeyAndValue> + '_ {
    batch
        .iter()
        .map(|r| (r.sensor, r.ts.millis(), r.value.to_bits()))
}

fn write_file(path: &Path, mut df: DataFrame) -> Result<(), IngestError> {
    crate::files::write_parquet(path, &mut df)
}

fn read_file(path: &Path) -> Result<DataFrame, IngestError> {
    crate::files::read_parquet(path)
}

pub(crate) fn day_dirs(root: &Path) -> Result<Vec<PathBuf>, IngestError> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(IngestError::io(root))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("date="))
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

pub(crate) fn list_files(dir: &Path) -> Result<Vec<StoredFile>, IngestError> {
    let mut files: Vec<StoredFile> = std::fs::read_dir(dir)
        .map_err(IngestError::io(dir))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let (first, last) = parse_file_name(&e.file_name().to_string_lossy())?;
            Some(StoredFile {
                path: e.path(),
                first,
                last,
            })
        })
        .collect();
    files.sort_by_key(|f| (f.first, f.last));
    Ok(files)
}

/// Deletes temporary leftovers and files covered by a compaction; returns the files kept.
///
/// A leftover is any hidden file: the store writes nothing else in a day
/// folder but its Parquet files, each under a hidden temporary name until it
/// is complete (`.part-….parquet.XXXXXX`, see [`crate::files`]; `.….tmp` from
/// earlier versions).
fn clean_day(dir: &Path) -> Result<Vec<StoredFile>, IngestError> {
    for entry in std::fs::read_dir(dir)
        .map_err(IngestError::io(dir))?
        .filter_map(|e| e.ok())
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && entry.file_type().is_ok_and(|t| t.is_file()) {
            tracing::info!(file = %entry.path().display(), "removing the leftover of an interrupted write");
            std::fs::remove_file(entry.path()).map_err(IngestError::io(&entry.path()))?;
        }
    }
    let files = list_files(dir)?;
    let mut kept = Vec::new();
    for f in &files {
        let covered = files.iter().any(|g| {
            g != f
                && g.first <= f.first
                && f.last <= g.last
                && (g.first, g.last) != (f.first, f.last)
        });
        if covered {
            tracing::info!(file = %f.path.display(), "removing a file a compaction replaced");
            std::fs::remove_file(&f.path).map_err(IngestError::io(&f.path))?;
        } else {
            kept.push(f.clone());
        }
    }
    Ok(kept)
}

/// Every stored reading as one lazy frame (`sensor`, `ts`, `value`: the store's
/// schema), with the first and last day held (day numbers); None for an empty store.
/// Reads files as they are: a compaction running meanwhile can make a scan fail; retry it.
pub fn scan_store(root: &Path) -> Result<Option<(LazyFrame, i64, i64)>, IngestError> {
    if !root.exists() {
        return Ok(None);
    }
    let mut paths = Vec::new();
    let mut days = Vec::new();
    for dir in day_dirs(root)? {
        let Some(day) = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("date="))
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(|d| day_of(Timestamp::from_date(d).millis()))
        else {
            continue;
        };
        let files = list_files(&dir)?;
        if files.is_empty() {
            continue;
        }
        days.push(day);
        for f in files {
            let path = PlRefPath::try_from_pathbuf(f.path.clone()).map_err(|source| {
                IngestError::Polars {
                    path: f.path.clone(),
                    source,
                }
            })?;
            paths.push(path);
        }
    }
    let (Some(&first), Some(&last)) = (days.iter().min(), days.iter().max()) else {
        return Ok(None);
    };
    // One scan over every file (read in parallel), not one scan per file.
    let all =
        LazyFrame::scan_parquet_files(paths.into_iter().collect(), ScanArgsParquet::default())
            .map_err(|source| IngestError::Polars {
                path: root.to_owned(),
                source,
            })?;
    Ok(Some((all, first, last)))
}

/// Readings of one sensor in `[from, to)`, in time order, read from the store in `root`.
pub fn query_sensor(
    root: &Path,
    sensor: &SensorId,
    from: Timestamp,
    to: Timestamp,
) -> Result<DataFrame, IngestError> {
    let mut frames = Vec::new();
    let (first_day, last_day) = (day_of(from.millis()), day_of(to.millis() - 1));
    for dir in day_dirs(root)? {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(day) = name
            .strip_prefix("date=")
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(|d| day_of(Timestamp::from_date(d).millis()))
        else {
            continue;
        };
        if day < first_day || day > last_day {
            continue;
        }
        for f in list_files(&dir)? {
            frames.push(read_file(&f.path)?.lazy());
        }
    }
    let polars_err = |source| IngestError::Polars {
        path: root.to_owned(),
        source,
    };
    if frames.is_empty() {
        return DataFrame::empty_with_schema(&crate::files::readings_schema())
            .select(["ts", "value"])
            .map_err(polars_err);
    }
    let ts_from = lit(from.millis()).cast(DataType::Datetime(
        TimeUnit::Milliseconds,
        Some(TimeZone::UTC),
    ));
    let ts_to = lit(to.millis()).cast(DataType::Datetime(
        TimeUnit::Milliseconds,
        Some(TimeZone::UTC),
    ));
    concat(frames, UnionArgs::default())
        .and_then(|lf| {
            lf.filter(
                col("sensor")
                    .eq(lit(sensor.as_str()))
                    .and(col("ts").gt_eq(ts_from))
                    .and(col("ts").lt(ts_to)),
            )
            .select([col("ts"), col("value")])
            .sort(["ts"], SortMultipleOptions::default())
            .collect()
        })
        .map_err(polars_err)
}

/// The `ts` (epoch ms) and `value` columns of a frame with the readings schema.
fn time_and_value(df: &DataFrame) -> PolarsResult<(Int64Chunked, Float64Chunked)> {
    let ts = df
        .column("ts")
        .and_then(|c| c.datetime().map(|d| d.physical().clone()))?;
    let values = df.column("value").and_then(|c| c.f64().cloned())?;
    Ok((ts, values))
}

/// A sensor's stored readings in `[from, to)` as (epoch ms, value), in time order.
///
/// One lazy scan over the files of the days in the range, filtered on the sensor
/// and the time: Polars pushes the filter into the Parquet reader (predicate
/// pushdown), which skips row groups by their statistics and keeps only the
/// matching rows of the two columns asked for, instead of reading every file of
/// the range, every sensor, into memory first.
pub fn sensor_readings(
    root: &Path,
    sensor: &SensorId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<(i64, f64)>, IngestError> {
    if from >= to || !root.exists() {
        return Ok(Vec::new());
    }
    let (first_day, last_day) = (day_of(from.millis()), day_of(to.millis() - 1));
    let mut paths = Vec::new();
    for dir in day_dirs(root)? {
        let day = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("date="))
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(|d| day_of(Timestamp::from_date(d).millis()));
        if !day.is_some_and(|d| (first_day..=last_day).contains(&d)) {
            continue;
        }
        for f in list_files(&dir)? {
            let path = PlRefPath::try_from_pathbuf(f.path.clone()).map_err(|source| {
                IngestError::Polars {
                    path: f.path.clone(),
                    source,
                }
            })?;
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let polars_err = |source| IngestError::Polars {
        path: root.to_owned(),
        source,
    };
    let time = |ms: i64| {
        lit(ms).cast(DataType::Datetime(
            TimeUnit::Milliseconds,
            Some(TimeZone::UTC),
        ))
    };
    let df = LazyFrame::scan_parquet_files(paths.into_iter().collect(), ScanArgsParquet::default())
        .and_then(|lf| {
            lf.filter(
                col("sensor")
                    .eq(lit(sensor.as_str()))
                    .and(col("ts").gt_eq(time(from.millis())))
                    .and(col("ts").lt(time(to.millis()))),
            )
            .select([col("ts"), col("value")])
            .sort(["ts"], SortMultipleOptions::default())
            .collect()
        })
        .map_err(polars_err)?;
    let (ts, values) = time_and_value(&df).map_err(polars_err)?;
    Ok(ts
        .iter()
        .zip(values.iter())
        .filter_map(|(t, v)| Some((t?, v?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use caretaker_core::Metric;

    use super::*;

    fn registry() -> Arc<Registry> {
        Arc::new(crate::testing::registry(&[
            ("s0", Metric::VibrationRms),
            ("s1", Metric::VibrationRms),
        ]))
    }

    const DAY0: i64 = 19_723 * Timestamp::DAY; // 2024-01-01

    #[test]
    fn a_failed_flush_keeps_its_readings_and_their_keys_until_a_later_one_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = ReadingsStore::open(dir.path(), registry()).unwrap();
        store.push(0, DAY0 + 1, 1.0).unwrap();
        store.push(1, DAY0 + Timestamp::DAY + 1, 2.0).unwrap();
        // The second day's folder cannot be created: a file is in the way.
        let blocker = dir.path().join("date=2024-01-02");
        std::fs::write(&blocker, b"not a folder").unwrap();
        let mut batch = store.take_pending();
        assert_eq!(store.pending(), 0);
        // While the batch is out, a resend is still known.
        assert_eq!(
            store.push(1, DAY0 + Timestamp::DAY + 1, 2.0).unwrap(),
            PushResult::Duplicate
        );
        assert!(batch.write().is_err());
        assert_eq!(
            batch.len(),
            1,
            "the first day was written, the second was not"
        );
        store.flushed(batch);
        assert_eq!(store.pending(), 1);
        std::fs::remove_file(&blocker).unwrap();
        assert_eq!(store.flush().unwrap().readings, 1);
        assert_eq!(store.pending(), 0);
        let stored = |sensor: &str| {
            sensor_readings(
                dir.path(),
                &SensorId::parse(sensor).unwrap(),
                Timestamp::from_millis(DAY0),
                Timestamp::from_millis(DAY0 + 2 * Timestamp::DAY),
            )
            .unwrap()
        };
        assert_eq!(stored("s0"), [(DAY0 + 1, 1.0)]);
        assert_eq!(stored("s1"), [(DAY0 + Timestamp::DAY + 1, 2.0)]);
    }

    #[test]
    fn keys_are_stored_once_across_flushes_compactions_and_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let reg = registry();
        let mut store = ReadingsStore::open(dir.path(), reg.clone()).unwrap();
        for flush in 0..5 {
            for i in 0..10 {
                let ts = DAY0 + (flush * 10 + i) * Timestamp::MINUTE;
                assert_eq!(store.push(0, ts, 1.0).unwrap(), PushResult::New);
                assert_eq!(store.push(0, ts, 1.0).unwrap(), PushResult::Duplicate);
            }
            store.flush().unwrap();
        }
        // Resends of flushed readings, earlier than the sensor's latest: still known.
        let early = DAY0 + 3 * Timestamp::MINUTE;
        assert_eq!(store.push(0, early, 1.0).unwrap(), PushResult::Duplicate);
        assert!(matches!(
            store.push(0, early, 2.0).unwrap(),
            PushResult::Conflict { .. }
        ));
        assert_eq!(store.push(0, early + 1, 1.0).unwrap(), PushResult::New);
        assert_eq!(
            store.push(0, early + 1, 1.0).unwrap(),
            PushResult::Duplicate
        );
        store.flush().unwrap();
        // A reading on the next day, out of order.
        store.push(1, DAY0 + Timestamp::DAY + 5, 2.0).unwrap();
        store.flush().unwrap();
        let day = dir.path().join("date=2024-01-01");
        assert_eq!(list_files(&day).unwrap().len(), 6);
        assert_eq!(store.compact(3).unwrap(), 1);
        let files = list_files(&day).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!((files[0].first, files[0].last), (1, 6));

        // A fresh handle (a restart) still knows every key, and the first value wins.
        drop(store);
        let mut store = ReadingsStore::open(dir.path(), reg.clone()).unwrap();
        assert_eq!(store.push(0, DAY0, 1.0).unwrap(), PushResult::Duplicate);
        assert!(matches!(
            store.push(0, DAY0, 7.0).unwrap(),
            PushResult::Conflict { .. }
        ));
        assert_eq!(store.push(0, DAY0 - 1, 1.0).unwrap(), PushResult::New);
        store.flush().unwrap();

        let sensor = SensorId::parse("s0").unwrap();
        let all = query_sensor(
            dir.path(),
            &sensor,
            Timestamp::from_millis(DAY0 - Timestamp::DAY),
            Timestamp::from_millis(DAY0 + 2 * Timestamp::DAY),
        )
        .unwrap();
        assert_eq!(all.height(), 52);
        let window = query_sensor(
            dir.path(),
            &sensor,
            Timestamp::from_millis(DAY0 + 10 * Timestamp::MINUTE),
            Timestamp::from_millis(DAY0 + 20 * Timestamp::MINUTE),
        )
        .unwrap();
        assert_eq!(window.height(), 10);
    }

    #[test]
    fn only_one_writer_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = ReadingsStore::open(dir.path(), registry()).unwrap();
        let err = ReadingsStore::open(dir.path(), registry())
            .err()
            .expect("second writer refused");
        assert!(
            err.to_string()
                .contains("in use by another Caretaker process"),
            "{err}"
        );
        drop(first);
        ReadingsStore::open(dir.path(), registry()).unwrap();
    }

    #[test]
    fn opening_removes_temporary_leftovers_and_files_a_compaction_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let day = dir.path().join("date=2024-01-01");
        std::fs::create_dir_all(&day).unwrap();
        let reg = registry();
        let mut store = ReadingsStore::open(dir.path(), reg.clone()).unwrap();
        for i in 0..3 {
            store.push(0, DAY0 + i, 1.0).unwrap();
            store.flush().unwrap();
        }
        // A crash after writing the compacted file, before deleting its inputs,
        // and others in the middle of a write (today's temporary name and an
        // earlier version's).
        let parts = list_files(&day).unwrap();
        let merged = day.join(format!("compact-{:020}-{:020}.parquet", 1, 3));
        std::fs::copy(&parts[0].path, &merged).unwrap();
        std::fs::write(
            day.join(".part-00000000000000000009.parquet.x7Kq2Z"),
            b"half",
        )
        .unwrap();
        std::fs::write(day.join(".part-00000000000000000008.parquet.tmp"), b"half").unwrap();
        drop(store);
        ReadingsStore::open(dir.path(), reg).unwrap();
        let names: Vec<String> = std::fs::read_dir(&day)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [merged.file_name().unwrap().to_string_lossy().into_owned()]
        );
    }
}
