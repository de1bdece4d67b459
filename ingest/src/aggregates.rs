//! Daily aggregates per sensor: what the models learn from, kept beside the raw
//! store so that learning and scoring never read every raw reading.
//!
//! ```text
//! aggregates/daily/
//!   date=2024-01-31.parquet   one row per sensor with readings that day
//!   date=2024-01-31.source    the raw files it was computed from, one "name size" a line
//! ```
//! Columns: `sensor` (string), `day` (i64, days since 1970-01-01 UTC), `count`,
//! `sum`, `sum_sq`, `min`, `max` and `changes` (f64; `changes` counts changes of
//! value between consecutive readings in time order), sorted by sensor. A day's
//! file is computed from that day's raw partition (`readings/date=.../`) alone,
//! so memory is bounded by one day of readings whatever the length of history.
//!
//! **Kept up to date incrementally.** [`refresh`] recomputes exactly the days
//! whose raw files changed since their aggregates were computed — a flush of new
//! readings, an import, a late reading landing in an old day, a compaction — by
//! comparing each day's list of raw files with its `.source`, and drops the days
//! whose raw partition is gone. A day recomputed from the same raw files gives
//! the same bytes, so aggregates refreshed many times equal a [`rebuild`].
//! Readers (train, backtest, score, serve's scoring, import) refresh before they
//! read, and a running ingest refreshes every minute, so the aggregates follow the
//! readings as they arrive. One refresh runs at a time (`aggregates/.lock`). Each
//! file is written atomically, the `.source` after the Parquet file: a crash
//! between the two leaves a day that is recomputed next time.
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::IngestError;
use crate::files::write_parquet;
use crate::store::{StoredFile, day_dirs, list_files};

/// Stack of a worker thread computing days (Polars' query planning wants more
/// than a plain thread's).
const WORKER_STACK: usize = 16 << 20;

/// What a refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshStats {
    /// Days whose aggregates were computed (new or changed raw files).
    pub recomputed: usize,
    /// Days already up to date.
    pub unchanged: usize,
    /// Days dropped because their raw partition is gone.
    pub removed: usize,
}

/// The folder of the daily aggregates in a data directory's `aggregates/`.
pub fn daily_dir(aggregates_root: &Path) -> PathBuf {
    aggregates_root.join("daily")
}

/// The day number of a `date=YYYY-MM-DD` folder or file stem.
fn day_of_name(name: &str) -> Option<i64> {
    let date = name.strip_prefix("date=")?;
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some((date - epoch).num_days())
}

/// A day's raw files as the `.source` records them.
fn source_listing(files: &[StoredFile]) -> Result<String, IngestError> {
    let mut out = String::new();
    for f in files {
        let size = std::fs::metadata(&f.path)
            .map_err(IngestError::io(&f.path))?
            .len();
        let name = f.path.file_name().unwrap_or_default().to_string_lossy();
        out.push_str(&format!("{name} {size}\n"));
    }
    Ok(out)
}

/// Takes `aggregates/.lock` (waiting for it): one refresh at a time across
/// threads and processes (ingest's periodic refresh, serve's scoring, a `train`),
/// so a day's Parquet file and its `.source` always come from the same listing.
fn lock(aggregates_root: &Path) -> Result<std::fs::File, IngestError> {
    std::fs::create_dir_all(aggregates_root).map_err(IngestError::io(aggregates_root))?;
    let path = aggregates_root.join(".lock");
    let file = crate::files::lock_file(&path)?;
    file.lock().map_err(IngestError::io(&path))?;
    Ok(file)
}

/// Recomputes the days whose raw files changed; see the module documentation.
/// Days are computed a few at a time in parallel (each alone, so the result of a
/// day never depends on which others were computed with it).
pub fn refresh(readings_root: &Path, aggregates_root: &Path) -> Result<RefreshStats, IngestError> {
    let _lock = lock(aggregates_root)?;
    refresh_locked(readings_root, aggregates_root)
}

fn refresh_locked(
    readings_root: &Path,
    aggregates_root: &Path,
) -> Result<RefreshStats, IngestError> {
    let out = daily_dir(aggregates_root);
    std::fs::create_dir_all(&out).map_err(IngestError::io(&out))?;
    let mut stats = RefreshStats::default();
    let mut days_with_data = std::collections::BTreeSet::new();
    let dirs = if readings_root.exists() {
        day_dirs(readings_root)?
    } else {
        Vec::new()
    };
    let mut stale = Vec::new();
    for dir in dirs {
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let Some(day) = day_of_name(&name) else {
            continue;
        };
        let files = list_files(&dir)?;
        if files.is_empty() {
            continue;
        }
        days_with_data.insert(name.clone());
        let listing = source_listing(&files)?;
        let source = out.join(format!("{name}.source"));
        if out.join(format!("{name}.parquet")).exists()
            && std::fs::read_to_string(&source).ok().as_deref() == Some(&listing)
        {
            stats.unchanged += 1;
        } else {
            stale.push((dir, name, day, files, listing));
        }
    }
    stats.recomputed = stale.len();
    // Workers take the next stale day in turn; Polars parallelises inside a day too.
    let next = std::sync::Mutex::new(stale.into_iter());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                std::thread::Builder::new()
                    .name("aggregates".into())
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(scope, || -> Result<(), IngestError> {
                        loop {
                            let day = next.lock().expect("day queue").next();
                            let Some((dir, name, day, files, listing)) = day else {
                                return Ok(());
                            };
                            recompute_day(&dir, &out, &name, day, files, listing)?;
                        }
                    })
                    .map_err(IngestError::io(&out))
            })
            .collect::<Result<_, _>>()?;
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("an aggregates worker panicked"))
    })?;
    // Days whose raw partition is gone (deleted by hand, or never had readings).
    for entry in std::fs::read_dir(&out)
        .map_err(IngestError::io(&out))?
        .flatten()
    {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = file.strip_suffix(".parquet") else {
            continue;
        };
        if day_of_name(stem).is_some() && !days_with_data.contains(stem) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(IngestError::io(&path))?;
            let _ = std::fs::remove_file(out.join(format!("{stem}.source")));
            stats.removed += 1;
        }
    }
    Ok(stats)
}

/// Computes one day's aggregates from its raw files and writes them with their `.source`.
fn recompute_day(
    dir: &Path,
    out: &Path,
    name: &str,
    day: i64,
    files: Vec<StoredFile>,
    listing: String,
) -> Result<(), IngestError> {
    // A compaction running meanwhile may replace the files listed: list again once.
    let (listing, mut daily) = match day_aggregates(&files, day) {
        Ok(daily) => (listing, daily),
        Err(_) => {
            let files = list_files(dir)?;
            let listing = source_listing(&files)?;
            let daily = day_aggregates(&files, day).map_err(IngestError::polars(dir))?;
            (listing, daily)
        }
    };
    write_parquet(&out.join(format!("{name}.parquet")), &mut daily)?;
    write_atomically(&out.join(format!("{name}.source")), listing.as_bytes())
}

/// Recomputes every day from the raw store, from nothing.
pub fn rebuild(readings_root: &Path, aggregates_root: &Path) -> Result<RefreshStats, IngestError> {
    let _lock = lock(aggregates_root)?;
    let out = daily_dir(aggregates_root);
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(IngestError::io(&out))?;
    }
    refresh_locked(readings_root, aggregates_root)
}

/// Days of aggregates in one chunk of [`scan`]'s.
const DAYS_PER_CHUNK: usize = 64;

/// Every day's aggregates (the columns above) as lazy frames over chunks of
/// consecutive days, each with the first and last day it holds, in day order,
/// with the first and last day of all; None when there are none. A reader that
/// collects one chunk at a time holds a few weeks of aggregates, whatever the
/// length of history. Call [`refresh`] first.
pub fn scan(aggregates_root: &Path) -> Result<Option<DailyScan>, IngestError> {
    let dir = daily_dir(aggregates_root);
    if !dir.exists() {
        return Ok(None);
    }
    let mut days: Vec<(i64, PathBuf)> = std::fs::read_dir(&dir)
        .map_err(IngestError::io(&dir))?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let day = day_of_name(name.strip_suffix(".parquet")?)?;
            Some((day, e.path()))
        })
        .collect();
    days.sort();
    let (Some(first_day), Some(last_day)) = (days.first().map(|d| d.0), days.last().map(|d| d.0))
    else {
        return Ok(None);
    };
    let chunks = days
        .chunks(DAYS_PER_CHUNK)
        .map(|chunk| {
            let paths = chunk
                .iter()
                .map(|(_, p)| {
                    PlRefPath::try_from_pathbuf(p.clone()).map_err(IngestError::polars(p))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let frame = LazyFrame::scan_parquet_files(
                paths.into_iter().collect(),
                ScanArgsParquet::default(),
            )
            .map_err(IngestError::polars(&dir))?;
            Ok((chunk[0].0..=chunk[chunk.len() - 1].0, frame))
        })
        .collect::<Result<Vec<_>, IngestError>>()?;
    Ok(Some(DailyScan {
        chunks,
        first_day,
        last_day,
    }))
}

/// What [`scan`] finds.
pub struct DailyScan {
    /// The days of each chunk and a lazy frame over them, in day order.
    pub chunks: Vec<(RangeInclusive<i64>, LazyFrame)>,
    /// The first day with aggregates (day number).
    pub first_day: i64,
    /// The last day with aggregates (day number).
    pub last_day: i64,
}

/// One day's aggregates per sensor from that day's raw files, sorted by sensor.
fn day_aggregates(files: &[StoredFile], day: i64) -> PolarsResult<DataFrame> {
    let paths = files
        .iter()
        .map(|f| PlRefPath::try_from_pathbuf(f.path.clone()))
        .collect::<PolarsResult<Vec<_>>>()?;
    LazyFrame::scan_parquet_files(paths.into_iter().collect(), ScanArgsParquet::default())?
        .select([
            col("sensor"),
            col("ts").cast(DataType::Int64).alias("ts"),
            col("value"),
        ])
        .group_by([col("sensor")])
        .agg([
            col("value").count().cast(DataType::Float64).alias("count"),
            col("value").sum().alias("sum"),
            (col("value") * col("value")).sum().alias("sum_sq"),
            col("value").min().alias("min"),
            col("value").max().alias("max"),
            col("value")
                .sort_by([col("ts")], SortMultipleOptions::default())
                .diff(lit(1), Default::default())
                .abs()
                .gt(lit(0.0))
                .sum()
                .cast(DataType::Float64)
                .alias("changes"),
        ])
        .with_column(lit(day).cast(DataType::Int64).alias("day"))
        .select([
            col("sensor"),
            col("day"),
            col("count"),
            col("sum"),
            col("sum_sq"),
            col("min"),
            col("max"),
            col("changes"),
        ])
        .sort(["sensor"], SortMultipleOptions::default())
        .collect()
}

/// Writes a small text file atomically.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), IngestError> {
    use std::io::Write as _;
    let mut file = crate::files::AtomicFile::create(path)?;
    file.write_all(bytes).map_err(IngestError::io(path))?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_names_are_utc_day_numbers() {
        assert_eq!(day_of_name("date=1970-01-02"), Some(1));
        assert_eq!(day_of_name("date=2024-01-01"), Some(19_723));
        assert_eq!(day_of_name("nope"), None);
    }
}
