//! Importing history: readings and events from CSV and Parquet files, row by
//! row, every refusal counted with its reason and where it was.
//!
//! The format is taken from the extension (`.csv`, `.parquet`); header names are
//! matched case-insensitively, surrounding whitespace trimmed, and other
//! columns are ignored.
//!
//! | file | columns |
//! |---|---|
//! | readings, store layout ([`ReadingsLayout::Sensor`]) | `sensor`, `ts` (or `timestamp`), `value` |
//! | readings, long layout ([`ReadingsLayout::EquipmentMetric`]) | `equipment`, `metric`, `ts` (or `timestamp`), `value` |
//! | events | `ts` (or `timestamp`), `equipment`, `kind`; optional `code`, `description`, `cost`, `unit` |
//!
//! Times in CSV are RFC 3339 (`2024-01-31T12:00:00Z`, any offset), a bare date
//! (midnight UTC) or epoch milliseconds; in Parquet a timestamp (any unit, any
//! zone), a date, an integer (epoch milliseconds) or text as in CSV.
//!
//! A reading is checked as live ingest checks it: a known sensor (in the long
//! layout, the registry's one sensor of that equipment with that metric),
//! a timestamp that parses, a finite value within the metric's physical range
//! (0 or 1 for an on/off metric). History is old by nature, so there is no
//! maximum age, but a time more than [`ImportSettings::max_future_ms`] ahead or
//! before 1990 (epoch seconds given as milliseconds) is refused. Good readings
//! go through [`ReadingsStore::push`]: a key already stored is a duplicate (same
//! value) or a conflict (another value; the first value stored wins).
//!
//! Files are streamed: CSV record by record, Parquet by row group (at most
//! [`PARQUET_CHUNK_ROWS`] rows at a time), readings pushed in chunks and the
//! store flushed every [`ImportSettings::flush_readings`] readings, so memory
//! stays bounded whatever the file's size.
//!
//! Rows are numbered as a person would find them: CSV lines with the header as
//! line 1 (a quoted field may span lines: a row is numbered by its first
//! line), Parquet rows from 1.
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use caretaker_core::{
    EquipmentId, Event, EventKind, Metric, Registry, SensorId, Timestamp, UnitId,
};
use polars::prelude::*;

use crate::IngestError;
use crate::store::{PushResult, ReadingsStore};

/// Most Parquet rows decoded at once (a larger row group is read in slices).
pub const PARQUET_CHUNK_ROWS: usize = 1 << 19;

/// Most distinct days touched between two flushes of the store: as many as the
/// store keeps keys for, so that memory stays bounded on long histories.
const MAX_DAYS_BETWEEN_FLUSHES: usize = crate::store::KEY_CACHE_DAYS;

/// 1990-01-01T00:00:00Z: an earlier time is almost surely epoch seconds given as milliseconds.
const EARLIEST_MS: i64 = 631_152_000_000;

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The Parquet file could not be decoded.
    #[error("cannot read {path} as Parquet: {source}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// Polars' error.
        source: PolarsError,
    },
    /// The extension names no format Caretaker reads.
    #[error("{path}: unknown file type: expected a .csv or .parquet file")]
    FileType {
        /// The file.
        path: PathBuf,
    },
    /// The header (or schema) holds none of the column sets Caretaker knows.
    #[error("{path}: no recognisable columns (found: {found}); expected {expected}")]
    Columns {
        /// The file.
        path: PathBuf,
        /// The columns found, comma-separated.
        found: String,
        /// The column sets accepted.
        expected: &'static str,
    },
    /// A Parquet column has a type that cannot mean what its name says.
    #[error("{path}: column {column:?} is {dtype}: expected {expected}")]
    ColumnType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// Its type.
        dtype: String,
        /// What it may be.
        expected: &'static str,
    },
    /// The readings store failed.
    #[error(transparent)]
    Store(#[from] IngestError),
}

/// Why one row was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImportReason {
    /// The CSV record could not be read (unterminated quote, not UTF-8, too many fields).
    MalformedRow,
    /// A required field is empty or absent.
    MissingField,
    /// No such sensor in the registry (or the equipment has no sensor with that metric).
    UnknownSensor,
    /// No such equipment in the registry.
    UnknownEquipment,
    /// The metric name is not one Caretaker knows.
    UnknownMetric,
    /// The equipment has several sensors with that metric: name the sensor instead.
    AmbiguousSensor,
    /// The time does not parse, is more than a day ahead, or is before 1990.
    BadTimestamp,
    /// The value is not a number.
    BadValue,
    /// The value is NaN or infinite.
    NonFinite,
    /// The value is outside what the metric can physically be.
    OutOfRange,
    /// The event kind is not one Caretaker knows.
    UnknownEventKind,
    /// The event's unit is not in the registry.
    UnknownUnit,
    /// The event's cost is not a finite, non-negative number.
    BadCost,
}

impl ImportReason {
    /// The reason's name in reports (`unknown_sensor`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::MalformedRow => "malformed_row",
            Self::MissingField => "missing_field",
            Self::UnknownSensor => "unknown_sensor",
            Self::UnknownEquipment => "unknown_equipment",
            Self::UnknownMetric => "unknown_metric",
            Self::AmbiguousSensor => "ambiguous_sensor",
            Self::BadTimestamp => "bad_timestamp",
            Self::BadValue => "bad_value",
            Self::NonFinite => "non_finite",
            Self::OutOfRange => "out_of_range",
            Self::UnknownEventKind => "unknown_event_kind",
            Self::UnknownUnit => "unknown_unit",
            Self::BadCost => "bad_cost",
        }
    }
}

impl fmt::Display for ImportReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a row is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A CSV line (the header is line 1).
    Line(u64),
    /// A Parquet row (the first is row 1).
    Row(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(n) => write!(f, "{n}"),
            Self::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// One row worth showing: the file, where in it, and what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct RowNote {
    /// The file, as given.
    pub file: String,
    /// Where in the file.
    pub place: Place,
    /// What was wrong or what happened, in plain words.
    pub detail: String,
}

impl fmt::Display for RowNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.place, self.detail)
    }
}

/// Rows refused for one reason: how many, and the first few.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RejectedRows {
    /// How many rows.
    pub count: u64,
    /// The first [`ImportSettings::examples`] of them.
    pub examples: Vec<RowNote>,
}

/// What an import was about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ImportKind {
    /// Readings into the Parquet store.
    #[default]
    Readings,
    /// Events into the operational store.
    Events,
}

/// The validation report of one or more files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// Readings or events.
    pub kind: ImportKind,
    /// Files read.
    pub files: usize,
    /// Rows read (blank CSV lines not counted).
    pub rows: u64,
    /// Rows that passed every check.
    pub valid: u64,
    /// Valid rows that were new and stored.
    pub imported: u64,
    /// Valid rows already stored (readings: with the same value).
    pub duplicates: u64,
    /// Valid readings already stored with another value (the stored one is kept).
    pub conflicts: u64,
    /// The first few conflicts.
    pub conflict_examples: Vec<RowNote>,
    /// Refused rows by reason.
    pub rejected: BTreeMap<ImportReason, RejectedRows>,
}

impl ImportReport {
    fn new(kind: ImportKind) -> Self {
        Self {
            kind,
            files: 1,
            ..Self::default()
        }
    }

    /// Rows refused, all reasons together.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().map(|r| r.count).sum()
    }

    /// Adds another file's report to this one, keeping at most `examples` examples per reason.
    pub fn merge(&mut self, other: ImportReport, examples: usize) {
        self.kind = other.kind;
        self.files += other.files;
        self.rows += other.rows;
        self.valid += other.valid;
        self.imported += other.imported;
        self.duplicates += other.duplicates;
        self.conflicts += other.conflicts;
        for note in other.conflict_examples {
            if self.conflict_examples.len() < examples {
                self.conflict_examples.push(note);
            }
        }
        for (reason, rows) in other.rejected {
            let mine = self.rejected.entry(reason).or_default();
            mine.count += rows.count;
            for note in rows.examples {
                if mine.examples.len() < examples {
                    mine.examples.push(note);
                }
            }
        }
    }

    fn reject(&mut self, reason: ImportReason, note: impl FnOnce() -> RowNote, examples: usize) {
        let rows = self.rejected.entry(reason).or_default();
        rows.count += 1;
        if rows.examples.len() < examples {
            rows.examples.push(note());
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (things, files) = (
            match self.kind {
                ImportKind::Readings => "readings",
                ImportKind::Events => "events",
            },
            if self.files == 1 { "file" } else { "files" },
        );
        writeln!(f, "rows read: {} ({} {files})", self.rows, self.files)?;
        writeln!(f, "imported: {} new {things}", self.imported)?;
        match self.kind {
            ImportKind::Readings => {
                writeln!(
                    f,
                    "duplicates: {} (already stored with the same value)",
                    self.duplicates
                )?;
                writeln!(
                    f,
                    "conflicts: {} (already stored with another value; the value stored first was kept)",
                    self.conflicts
                )?;
                for note in &self.conflict_examples {
                    writeln!(f, "  {note}")?;
                }
            }
            ImportKind::Events => {
                writeln!(f, "duplicates: {} (already stored)", self.duplicates)?;
            }
        }
        writeln!(f, "rejected: {}", self.rejected_total())?;
        for (reason, rows) in &self.rejected {
            writeln!(f, "  {reason}: {}", rows.count)?;
            for note in &rows.examples {
                writeln!(f, "    {note}")?;
            }
            let more = rows.count.saturating_sub(rows.examples.len() as u64);
            if more > 0 {
                writeln!(f, "    ... and {more} more")?;
            }
        }
        Ok(())
    }
}

/// Limits and rhythm of an import.
#[derive(Debug, Clone)]
pub struct ImportSettings {
    /// The time imports are judged against.
    pub now: Timestamp,
    /// How far ahead of `now` a time may be (default one day).
    pub max_future_ms: i64,
    /// Flush the readings store every this many buffered readings (default 1,000,000).
    pub flush_readings: usize,
    /// Rows shown per reason in a report (default 5).
    pub examples: usize,
    /// Valid readings gathered, then sorted by day, before they are pushed (default 1,048,576).
    pub push_chunk: usize,
}

impl Default for ImportSettings {
    fn default() -> Self {
        Self {
            now: Timestamp::now(),
            max_future_ms: Timestamp::DAY,
            flush_readings: 1_000_000,
            examples: 5,
            push_chunk: 1 << 20,
        }
    }
}

/// A file format, known from the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Comma-separated values with a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl FileFormat {
    /// The format of `path` from its extension (`.csv`, `.parquet`, any case).
    pub fn of(path: &Path) -> Result<Self, ImportError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" => Ok(Self::Csv),
            "parquet" => Ok(Self::Parquet),
            _ => Err(ImportError::FileType {
                path: path.to_owned(),
            }),
        }
    }
}

// ---------------------------------------------------------------------------
// Cells and rows: what the CSV and Parquet readers hand to the checks.

/// What a row holds in one wanted column.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell<'a> {
    /// Empty, null or absent.
    Null,
    /// Text, trimmed and not empty.
    Text(&'a str),
    /// A time already in epoch milliseconds (Parquet timestamps, dates, integers).
    Millis(i64),
    /// A number (Parquet numeric columns).
    Number(f64),
}

/// How a wanted column is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Text,
    Time,
    Number,
}

/// Columns wanted from a table: which column (if the file has it) and how.
type Wants = [(Option<usize>, Want)];

/// Most columns any import wants.
const MAX_WANTS: usize = 8;

/// A row as the checks see it.
enum RowData<'a> {
    Cells(&'a [Cell<'a>]),
    Malformed(String),
}

/// An opened input file: its format and column names.
#[derive(Debug, Clone)]
struct Table {
    path: PathBuf,
    format: FileFormat,
    /// Column names as in the file.
    columns: Vec<String>,
    /// Polars types of the columns (Parquet only).
    dtypes: Vec<DataType>,
    /// File size in bytes (CSV) or rows (Parquet), for progress.
    size: u64,
}

impl Table {
    fn open(path: &Path) -> Result<Self, ImportError> {
        let format = FileFormat::of(path)?;
        let io = |source| ImportError::Io {
            path: path.to_owned(),
            source,
        };
        match format {
            FileFormat::Csv => {
                let size = std::fs::metadata(path).map_err(io)?.len();
                let mut reader = CsvReader::open(path).map_err(io)?;
                let mut header = CsvRecord::default();
                let found = reader.read(&mut header).map_err(io)?;
                let columns = match std::str::from_utf8(&header.buf) {
                    Ok(text) if found && header.error.is_none() => {
                        let names: Vec<String> =
                            header.fields(text).map(|f| f.trim().to_owned()).collect();
                        if names.iter().all(String::is_empty) {
                            Vec::new()
                        } else {
                            names
                        }
                    }
                    _ => Vec::new(),
                };
                Ok(Self {
                    path: path.to_owned(),
                    format,
                    columns,
                    dtypes: Vec::new(),
                    size,
                })
            }
            FileFormat::Parquet => {
                let file = File::open(path).map_err(io)?;
                let pq = |source| ImportError::Parquet {
                    path: path.to_owned(),
                    source,
                };
                let mut reader = ParquetReader::new(file);
                let rows = reader.num_rows().map_err(pq)?;
                let empty = reader.with_slice(Some((0, 0))).finish().map_err(pq)?;
                Ok(Self {
                    path: path.to_owned(),
                    format,
                    columns: empty
                        .get_column_names()
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    dtypes: empty.dtypes(),
                    size: rows as u64,
                })
            }
        }
    }

    /// The first column named any of `names` (case-insensitive, trimmed).
    fn find(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|name| {
            self.columns
                .iter()
                .position(|c| c.trim().eq_ignore_ascii_case(name))
        })
    }

    fn columns_error(&self, expected: &'static str) -> ImportError {
        let found = if self.columns.is_empty() {
            "nothing: the file is empty or its header cannot be read".to_owned()
        } else {
            self.columns.join(", ")
        };
        ImportError::Columns {
            path: self.path.clone(),
            found,
            expected,
        }
    }

    /// Checks that Parquet columns have types that can mean what `wants` asks.
    fn check_types(&self, wants: &Wants) -> Result<(), ImportError> {
        if self.format != FileFormat::Parquet {
            return Ok(());
        }
        for &(col, want) in wants {
            let Some(c) = col else { continue };
            let dtype = &self.dtypes[c];
            let (ok, expected) = match want {
                Want::Text => (
                    matches!(dtype, DataType::String | DataType::Null)
                        || dtype.is_integer()
                        || dtype.is_categorical()
                        || dtype.is_enum(),
                    "text",
                ),
                Want::Time => (
                    matches!(
                        dtype,
                        DataType::Datetime(..) | DataType::Date | DataType::String | DataType::Null
                    ) || dtype.is_integer(),
                    "a timestamp, a date, an integer (epoch milliseconds) or text",
                ),
                Want::Number => (
                    matches!(dtype, DataType::String | DataType::Boolean | DataType::Null)
                        || dtype.is_primitive_numeric(),
                    "a number",
                ),
            };
            if !ok {
                return Err(ImportError::ColumnType {
                    path: self.path.clone(),
                    column: self.columns[c].clone(),
                    dtype: dtype.to_string(),
                    expected,
                });
            }
        }
        Ok(())
    }

    /// Calls `each` for every row with the wanted cells, and `progress` now and
    /// then with the bytes (CSV) or rows (Parquet) read so far.
    fn scan(
        &self,
        wants: &Wants,
        each: &mut dyn FnMut(Place, RowData<'_>) -> Result<(), ImportError>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ImportError> {
        assert!(wants.len() <= MAX_WANTS, "at most {MAX_WANTS} columns");
        match self.format {
            FileFormat::Csv => self.scan_csv(wants, each, progress),
            FileFormat::Parquet => self.scan_parquet(wants, each, progress),
        }
    }

    fn scan_csv(
        &self,
        wants: &Wants,
        each: &mut dyn FnMut(Place, RowData<'_>) -> Result<(), ImportError>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ImportError> {
        let io = |source| ImportError::Io {
            path: self.path.clone(),
            source,
        };
        let mut reader = CsvReader::open(&self.path).map_err(io)?;
        let mut record = CsvRecord::default();
        if !reader.read(&mut record).map_err(io)? {
            return Ok(());
        }
        // Rows until the next progress report.
        let mut countdown = 0u32;
        while reader.read(&mut record).map_err(io)? {
            if record.is_blank() {
                continue;
            }
            let place = Place::Line(record.line);
            if countdown == 0 {
                progress(reader.bytes);
                countdown = 16_384;
            }
            countdown -= 1;
            if let Some(why) = &record.error {
                each(place, RowData::Malformed(why.clone()))?;
                continue;
            }
            let Ok(text) = std::str::from_utf8(&record.buf) else {
                each(
                    place,
                    RowData::Malformed("the line is not UTF-8 text".into()),
                )?;
                continue;
            };
            let n_fields = record.ends.len();
            let n_columns = self.columns.len();
            if n_fields > n_columns
                && (n_columns..n_fields).any(|k| !record.field(text, k).trim().is_empty())
            {
                let why = format!("{n_fields} fields, but the header has {n_columns} columns");
                each(place, RowData::Malformed(why))?;
                continue;
            }
            let mut cells = [Cell::Null; MAX_WANTS];
            for (cell, &(col, _)) in cells.iter_mut().zip(wants) {
                if let Some(c) = col.filter(|&c| c < n_fields) {
                    let field = record.field(text, c).trim();
                    if !field.is_empty() {
                        *cell = Cell::Text(field);
                    }
                }
            }
            each(place, RowData::Cells(&cells[..wants.len()]))?;
        }
        progress(reader.bytes);
        Ok(())
    }

    fn scan_parquet(
        &self,
        wants: &Wants,
        each: &mut dyn FnMut(Place, RowData<'_>) -> Result<(), ImportError>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ImportError> {
        let pq = |source| ImportError::Parquet {
            path: self.path.clone(),
            source,
        };
        let open = || {
            File::open(&self.path).map_err(|source| ImportError::Io {
                path: self.path.clone(),
                source,
            })
        };
        let mut reader = ParquetReader::new(open()?);
        let metadata = reader.get_metadata().map_err(pq)?.clone();
        let mut names: Vec<String> = Vec::new();
        for c in wants.iter().filter_map(|&(col, _)| col) {
            if !names.contains(&self.columns[c]) {
                names.push(self.columns[c].clone());
            }
        }
        let mut offset = 0usize;
        for group in &metadata.row_groups {
            let group_rows = group.num_rows();
            let mut done = 0;
            while done < group_rows {
                let len = (group_rows - done).min(PARQUET_CHUNK_ROWS);
                let mut reader = ParquetReader::new(open()?);
                reader.set_metadata(metadata.clone());
                let df = reader
                    .with_columns(Some(names.clone()))
                    .with_slice(Some((offset + done, len)))
                    .finish()
                    .map_err(pq)?;
                self.emit_chunk(&df, wants, (offset + done) as u64, each)
                    .map_err(|e| match e {
                        ChunkError::Polars(source) => pq(source),
                        ChunkError::Import(e) => e,
                    })?;
                done += len;
                progress((offset + done) as u64);
            }
            offset += group_rows;
        }
        Ok(())
    }

    /// Hands each row of a Parquet chunk (its first row is row `first` + 1 of the file) to `each`.
    fn emit_chunk(
        &self,
        df: &DataFrame,
        wants: &Wants,
        first: u64,
        each: &mut dyn FnMut(Place, RowData<'_>) -> Result<(), ImportError>,
    ) -> Result<(), ChunkError> {
        enum Prepared {
            Absent,
            Text(StringChunked),
            Millis(Vec<Option<i64>>),
            Number(Float64Chunked),
        }
        enum Values<'a> {
            Absent,
            Text(Vec<Option<&'a str>>),
            Millis(&'a [Option<i64>]),
            Number(Vec<Option<f64>>),
        }
        let mut prepared = Vec::with_capacity(wants.len());
        for &(col, want) in wants {
            let Some(c) = col else {
                prepared.push(Prepared::Absent);
                continue;
            };
            let column = df.column(&self.columns[c])?;
            let dtype = column.dtype().clone();
            prepared.push(match (want, &dtype) {
                (Want::Text, _) | (Want::Time | Want::Number, DataType::String) => {
                    Prepared::Text(column.cast(&DataType::String)?.str()?.clone())
                }
                (Want::Time, DataType::Datetime(unit, _)) => {
                    let (mul, div) = match unit {
                        TimeUnit::Milliseconds => (1, 1),
                        TimeUnit::Microseconds => (1, 1_000),
                        TimeUnit::Nanoseconds => (1, 1_000_000),
                    };
                    let physical = column.datetime()?.physical().clone();
                    Prepared::Millis(scale(&physical, mul, div))
                }
                (Want::Time, DataType::Date) => {
                    let days = column.cast(&DataType::Int64)?;
                    Prepared::Millis(scale(days.i64()?, Timestamp::DAY, 1))
                }
                (Want::Time, _) => {
                    let ms = column.cast(&DataType::Int64)?;
                    Prepared::Millis(scale(ms.i64()?, 1, 1))
                }
                (Want::Number, _) => {
                    Prepared::Number(column.cast(&DataType::Float64)?.f64()?.clone())
                }
            });
        }
        let values: Vec<Values<'_>> = prepared
            .iter()
            .map(|p| match p {
                Prepared::Absent => Values::Absent,
                Prepared::Text(ca) => Values::Text(ca.iter().collect()),
                Prepared::Millis(v) => Values::Millis(v),
                Prepared::Number(ca) => Values::Number(ca.iter().collect()),
            })
            .collect();
        for i in 0..df.height() {
            let mut cells = [Cell::Null; MAX_WANTS];
            for (cell, v) in cells.iter_mut().zip(&values) {
                *cell = match v {
                    Values::Absent => Cell::Null,
                    Values::Text(t) => match t[i].map(str::trim) {
                        Some(text) if !text.is_empty() => Cell::Text(text),
                        _ => Cell::Null,
                    },
                    Values::Millis(m) => m[i].map_or(Cell::Null, Cell::Millis),
                    Values::Number(n) => n[i].map_or(Cell::Null, Cell::Number),
                };
            }
            let place = Place::Row(first + i as u64 + 1);
            each(place, RowData::Cells(&cells[..wants.len()])).map_err(ChunkError::Import)?;
        }
        Ok(())
    }
}

enum ChunkError {
    Polars(PolarsError),
    Import(ImportError),
}

impl From<PolarsError> for ChunkError {
    fn from(e: PolarsError) -> Self {
        Self::Polars(e)
    }
}

fn scale(values: &Int64Chunked, mul: i64, div: i64) -> Vec<Option<i64>> {
    values
        .iter()
        .map(|v| {
            v.and_then(|v| v.checked_mul(mul))
                .map(|v| v.div_euclid(div))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// CSV, read record by record with line numbers.

/// A streaming CSV reader (RFC 4180: `,` between fields, `"` around fields that
/// hold commas, quotes or line breaks, `""` for a quote inside one).
struct CsvReader {
    input: BufReader<File>,
    raw: Vec<u8>,
    /// Physical lines read so far.
    line: u64,
    /// Bytes read so far.
    bytes: u64,
}

/// One CSV record: its unquoted bytes, where each field ends, and its first line.
#[derive(Debug, Default)]
struct CsvRecord {
    buf: Vec<u8>,
    ends: Vec<usize>,
    line: u64,
    error: Option<String>,
}

impl CsvRecord {
    /// The fields of this record; `text` is `buf` as UTF-8.
    fn fields<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let field = &text[start..end];
            start = end;
            field
        })
    }

    /// Field `k` (which must exist) of this record; `text` is `buf` as UTF-8.
    fn field<'a>(&self, text: &'a str, k: usize) -> &'a str {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &text[start..self.ends[k]]
    }

    fn is_blank(&self) -> bool {
        self.error.is_none() && self.ends.len() == 1 && self.buf.iter().all(u8::is_ascii_whitespace)
    }
}

impl CsvReader {
    fn open(path: &Path) -> std::io::Result<Self> {
        Ok(Self {
            input: BufReader::with_capacity(1 << 16, File::open(path)?),
            raw: Vec::new(),
            line: 0,
            bytes: 0,
        })
    }

    /// Reads the next record into `rec`; `false` at the end of the file.
    fn read(&mut self, rec: &mut CsvRecord) -> std::io::Result<bool> {
        rec.buf.clear();
        rec.ends.clear();
        rec.error = None;
        let mut started = false;
        let mut in_quotes = false;
        // Just after the closing quote of a quoted field.
        let mut after_quote = false;
        let mut field_start = 0;
        loop {
            self.raw.clear();
            let n = self.input.read_until(b'\n', &mut self.raw)?;
            if n == 0 {
                if !started {
                    return Ok(false);
                }
                if in_quotes {
                    rec.error =
                        Some("a quoted field is not closed before the end of the file".into());
                }
                rec.ends.push(rec.buf.len());
                return Ok(true);
            }
            if self.line == 0 && self.raw.starts_with(b"\xef\xbb\xbf") {
                self.raw.drain(..3);
            }
            self.bytes += n as u64;
            self.line += 1;
            if !started {
                started = true;
                rec.line = self.line;
            }
            let raw_len = self.raw.len();
            for (i, &b) in self.raw.iter().enumerate() {
                if in_quotes {
                    if b == b'"' {
                        in_quotes = false;
                        after_quote = true;
                    } else if !(b == b'\r' && i + 2 == raw_len && self.raw[i + 1] == b'\n') {
                        // A line break inside quotes is kept as `\n`, even from a CRLF file.
                        rec.buf.push(b);
                    }
                    continue;
                }
                match b {
                    b'"' if after_quote => {
                        // `""` inside a quoted field.
                        rec.buf.push(b'"');
                        in_quotes = true;
                        after_quote = false;
                    }
                    b'"' if rec.buf[field_start..].iter().all(u8::is_ascii_whitespace) => {
                        rec.buf.truncate(field_start);
                        in_quotes = true;
                    }
                    b',' => {
                        rec.ends.push(rec.buf.len());
                        field_start = rec.buf.len();
                        after_quote = false;
                    }
                    b'\n' => {
                        rec.ends.push(rec.buf.len());
                        return Ok(true);
                    }
                    b'\r' => {}
                    _ => rec.buf.push(b),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Checks shared by readings and events.

/// A refused row: why, in plain words.
type Problem = (ImportReason, String);

fn describe(cell: Cell<'_>) -> String {
    match cell {
        Cell::Null => "empty".into(),
        Cell::Text(t) => format!("{t:?}"),
        Cell::Millis(ms) => ms.to_string(),
        Cell::Number(v) => v.to_string(),
    }
}

fn required<'a>(cell: Cell<'a>, name: &str) -> Result<Cell<'a>, Problem> {
    match cell {
        Cell::Null => Err((ImportReason::MissingField, format!("{name} is empty"))),
        other => Ok(other),
    }
}

fn text<'a>(cell: Cell<'a>, name: &str) -> Result<&'a str, Problem> {
    match required(cell, name)? {
        Cell::Text(t) => Ok(t),
        _ => Err((ImportReason::MissingField, format!("{name} is not text"))),
    }
}

/// A time within `[1990, now + max_future]`, in epoch milliseconds.
fn time(cell: Cell<'_>, settings: &ImportSettings) -> Result<i64, Problem> {
    let ms = match cell {
        Cell::Null => return Err((ImportReason::MissingField, "ts is empty".into())),
        Cell::Millis(ms) => ms,
        Cell::Text(t) => Timestamp::parse(t).map(Timestamp::millis).map_err(|_| {
            (
                ImportReason::BadTimestamp,
                format!(
                    "ts {t:?} is not a time: expected RFC 3339 with a zone (2024-01-31T12:00:00Z), \
                     a date (2024-01-31) or epoch milliseconds"
                ),
            )
        })?,
        Cell::Number(v) => {
            return Err((ImportReason::BadTimestamp, format!("ts {v} is not a time")));
        }
    };
    let latest = settings.now.millis().saturating_add(settings.max_future_ms);
    if ms > latest {
        return Err((
            ImportReason::BadTimestamp,
            format!(
                "ts {} is in the future (more than {} h ahead)",
                shown_time(ms),
                settings.max_future_ms / Timestamp::HOUR
            ),
        ));
    }
    if ms < EARLIEST_MS {
        return Err((
            ImportReason::BadTimestamp,
            format!(
                "ts {} ({}) is before 1990: epoch seconds given as milliseconds?",
                describe(cell),
                shown_time(ms)
            ),
        ));
    }
    Ok(ms)
}

fn shown_time(ms: i64) -> String {
    if ms.checked_abs().is_some_and(|a| a < 8_000_000_000_000_000) {
        Timestamp::from_millis(ms).to_string()
    } else {
        format!("{ms} ms")
    }
}

/// A number from a cell: `Err(None)` for an empty cell, `Err(Some(text))` for text that is no number.
fn number<'a>(cell: Cell<'a>) -> Result<f64, Option<&'a str>> {
    match cell {
        Cell::Null => Err(None),
        Cell::Number(v) => Ok(v),
        Cell::Millis(v) => Ok(v as f64),
        Cell::Text(t) => t.parse::<f64>().map_err(|_| Some(t)),
    }
}

/// A reading value the sensor's metric can physically take (`-0` becomes `0`).
fn reading_value(cell: Cell<'_>, metric: Metric) -> Result<f64, Problem> {
    let value = match number(cell) {
        Ok(v) => v,
        Err(None) => return Err((ImportReason::MissingField, "value is empty".into())),
        Err(Some(t)) => {
            return Err((
                ImportReason::BadValue,
                format!("value {t:?} is not a number"),
            ));
        }
    };
    if !value.is_finite() {
        return Err((
            ImportReason::NonFinite,
            format!("value {} is not a finite number", describe(cell)),
        ));
    }
    let (lo, hi) = metric.physical_range();
    if metric.is_binary() && value != 0.0 && value != 1.0 {
        return Err((
            ImportReason::OutOfRange,
            format!("value {value} is neither 0 nor 1, as {metric} must be"),
        ));
    }
    if !(lo..=hi).contains(&value) {
        return Err((
            ImportReason::OutOfRange,
            format!(
                "value {value} is outside the physical range of {metric}, {lo} to {hi} {}",
                metric.unit()
            ),
        ));
    }
    Ok(value + 0.0)
}

fn parse_metric(name: &str) -> Option<Metric> {
    Metric::parse(name)
        .or_else(|_| Metric::parse(&name.to_ascii_lowercase().replace([' ', '-'], "_")))
        .ok()
}

// ---------------------------------------------------------------------------
// Readings.

/// How a readings file names the sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadingsLayout {
    /// `sensor`, `ts`, `value`: the simulator's and the store's format.
    Sensor,
    /// `equipment`, `metric`, `ts`, `value`: one row per reading, spreadsheet-friendly.
    EquipmentMetric,
}

const READINGS_COLUMNS: &str =
    "sensor, ts (or timestamp), value; or equipment, metric, ts (or timestamp), value";

/// A readings file, its header or schema checked.
#[derive(Debug, Clone)]
pub struct ReadingsFile {
    table: Table,
    layout: ReadingsLayout,
    /// `[sensor or equipment, metric (long layout), ts, value]`.
    wants: Vec<(Option<usize>, Want)>,
}

impl ReadingsFile {
    /// Opens a readings file and finds its columns; fails if it cannot be read
    /// or holds neither column set.
    pub fn open(path: &Path) -> Result<Self, ImportError> {
        let table = Table::open(path)?;
        let ts = table.find(&["ts", "timestamp"]);
        let value = table.find(&["value"]);
        let (sensor, equipment, metric) = (
            table.find(&["sensor"]),
            table.find(&["equipment"]),
            table.find(&["metric"]),
        );
        let (layout, wants) = match (sensor, equipment, metric, ts, value) {
            (Some(s), _, _, Some(t), Some(v)) => (
                ReadingsLayout::Sensor,
                vec![
                    (Some(s), Want::Text),
                    (None, Want::Text),
                    (Some(t), Want::Time),
                    (Some(v), Want::Number),
                ],
            ),
            (None, Some(e), Some(m), Some(t), Some(v)) => (
                ReadingsLayout::EquipmentMetric,
                vec![
                    (Some(e), Want::Text),
                    (Some(m), Want::Text),
                    (Some(t), Want::Time),
                    (Some(v), Want::Number),
                ],
            ),
            _ => return Err(table.columns_error(READINGS_COLUMNS)),
        };
        table.check_types(&wants)?;
        Ok(Self {
            table,
            layout,
            wants,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.table.path
    }

    /// Its format.
    pub fn format(&self) -> FileFormat {
        self.table.format
    }

    /// How it names sensors.
    pub fn layout(&self) -> ReadingsLayout {
        self.layout
    }

    /// What progress counts up to: bytes (CSV) or rows (Parquet).
    pub fn progress_total(&self) -> u64 {
        self.table.size
    }
}

/// Finds the registry sensor of a row.
struct SensorLookup<'r> {
    by_id: HashMap<&'r str, u32>,
    by_equipment: HashMap<&'r str, Vec<(Metric, u32)>>,
    registry: &'r Registry,
}

impl<'r> SensorLookup<'r> {
    fn new(registry: &'r Registry) -> Self {
        let mut by_id = HashMap::new();
        let mut by_equipment: HashMap<&str, Vec<(Metric, u32)>> = HashMap::new();
        for (i, s) in registry.sensors().iter().enumerate() {
            by_id.insert(s.id.as_str(), i as u32);
            by_equipment
                .entry(s.equipment.as_str())
                .or_default()
                .push((s.metric, i as u32));
        }
        for e in registry.equipment() {
            by_equipment.entry(e.id.as_str()).or_default();
        }
        Self {
            by_id,
            by_equipment,
            registry,
        }
    }

    /// The sensor a row means, by sensor id or by equipment and metric.
    fn find(
        &self,
        layout: ReadingsLayout,
        first: Cell<'_>,
        metric: Cell<'_>,
    ) -> Result<u32, Problem> {
        match layout {
            ReadingsLayout::Sensor => {
                let id = text(first, "sensor")?;
                self.by_id.get(id).copied().ok_or_else(|| {
                    (
                        ImportReason::UnknownSensor,
                        format!("sensor {id:?} is not in the registry"),
                    )
                })
            }
            ReadingsLayout::EquipmentMetric => {
                let equipment = text(first, "equipment")?;
                let name = text(metric, "metric")?;
                let sensors = self.by_equipment.get(equipment).ok_or_else(|| {
                    (
                        ImportReason::UnknownEquipment,
                        format!(
                            "equipment {equipment:?} is not in the registry \
                             (--create-missing --kind KIND adds it)"
                        ),
                    )
                })?;
                let metric = parse_metric(name).ok_or_else(|| {
                    (
                        ImportReason::UnknownMetric,
                        format!(
                            "metric {name:?} is unknown (known: {})",
                            Metric::names().join(", ")
                        ),
                    )
                })?;
                let matching: Vec<u32> = sensors
                    .iter()
                    .filter(|(m, _)| *m == metric)
                    .map(|&(_, i)| i)
                    .collect();
                match matching.as_slice() {
                    [one] => Ok(*one),
                    [] => Err((
                        ImportReason::UnknownSensor,
                        format!(
                            "equipment {equipment} has no {metric} sensor in the registry \
                             (--create-missing adds one)"
                        ),
                    )),
                    several => Err((
                        ImportReason::AmbiguousSensor,
                        format!(
                            "equipment {equipment} has {} {metric} sensors ({}): use a sensor column to say which",
                            several.len(),
                            several
                                .iter()
                                .map(|&i| self.registry.sensors()[i as usize].id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                }
            }
        }
    }
}

/// A reading that passed the checks, with where it came from.
#[derive(Debug, Clone, Copy)]
struct Checked {
    sensor: u32,
    ts_ms: i64,
    value: f64,
    place: Place,
}

/// Imports a readings file into the store: checks every row, pushes the good
/// ones, flushes along the way and at the end; returns the report.
pub fn import_readings(
    file: &ReadingsFile,
    store: &mut ReadingsStore,
    settings: &ImportSettings,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let registry = store.registry().clone();
    let lookup = SensorLookup::new(&registry);
    let shown = file.path().display().to_string();
    let mut report = ImportReport::new(ImportKind::Readings);
    let mut pusher = Pusher {
        store,
        days: Vec::new(),
        flush_readings: settings.flush_readings.max(1),
    };
    let push_chunk = settings.push_chunk.max(1);
    let mut chunk: Vec<Checked> = Vec::with_capacity(push_chunk.min(1 << 16));
    let mut each = |place: Place, row: RowData<'_>| -> Result<(), ImportError> {
        report.rows += 1;
        let checked = match row {
            RowData::Malformed(why) => Err((ImportReason::MalformedRow, why)),
            RowData::Cells(cells) => check_reading(&lookup, file.layout, cells, settings),
        };
        match checked {
            Ok((sensor, ts_ms, value)) => {
                report.valid += 1;
                chunk.push(Checked {
                    sensor,
                    ts_ms,
                    value,
                    place,
                });
                if chunk.len() >= push_chunk {
                    pusher.push_all(&mut chunk, &mut report, &shown, settings)?;
                }
            }
            Err((reason, detail)) => {
                let file = &shown;
                report.reject(
                    reason,
                    || RowNote {
                        file: file.clone(),
                        place,
                        detail,
                    },
                    settings.examples,
                );
            }
        }
        Ok(())
    };
    let scanned = file.table.scan(&file.wants, &mut each, progress);
    // Keep what was checked even if the file broke off: it is valid, and a re-run skips it.
    let pushed = pusher.push_all(&mut chunk, &mut report, &shown, settings);
    let flushed = pusher.flush();
    scanned?;
    pushed?;
    flushed?;
    Ok(report)
}

fn check_reading(
    lookup: &SensorLookup<'_>,
    layout: ReadingsLayout,
    cells: &[Cell<'_>],
    settings: &ImportSettings,
) -> Result<(u32, i64, f64), Problem> {
    let sensor = lookup.find(layout, cells[0], cells[1])?;
    let ts_ms = time(cells[2], settings)?;
    let metric = lookup.registry.sensors()[sensor as usize].metric;
    let value = reading_value(cells[3], metric)?;
    Ok((sensor, ts_ms, value))
}

/// Pushes readings into the store, flushing often enough to keep every
/// unflushed key in the store's memory (see [`MAX_DAYS_BETWEEN_FLUSHES`]).
struct Pusher<'s> {
    store: &'s mut ReadingsStore,
    /// Days touched since the last flush.
    days: Vec<i64>,
    flush_readings: usize,
}

impl Pusher<'_> {
    /// Pushes a chunk, day by day (a stable sort: equal keys keep their order), and empties it.
    fn push_all(
        &mut self,
        chunk: &mut Vec<Checked>,
        report: &mut ImportReport,
        shown: &str,
        settings: &ImportSettings,
    ) -> Result<(), ImportError> {
        chunk.sort_by_key(|c| c.ts_ms.div_euclid(Timestamp::DAY));
        for c in chunk.drain(..) {
            let day = c.ts_ms.div_euclid(Timestamp::DAY);
            if !self.days.contains(&day) {
                if self.days.len() >= MAX_DAYS_BETWEEN_FLUSHES {
                    self.flush()?;
                }
                self.days.push(day);
            }
            match self.store.push(c.sensor, c.ts_ms, c.value)? {
                PushResult::New => report.imported += 1,
                PushResult::Duplicate => report.duplicates += 1,
                PushResult::Conflict { kept_bits } => {
                    report.conflicts += 1;
                    if report.conflict_examples.len() < settings.examples {
                        let sensor = &self.store.registry().sensors()[c.sensor as usize].id;
                        report.conflict_examples.push(RowNote {
                            file: shown.to_owned(),
                            place: c.place,
                            detail: format!(
                                "{sensor} at {}: value {} differs from the stored {}, which is kept",
                                Timestamp::from_millis(c.ts_ms),
                                c.value,
                                f64::from_bits(kept_bits)
                            ),
                        });
                    }
                }
            }
            if self.store.pending() >= self.flush_readings {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ImportError> {
        self.store.flush()?;
        self.days.clear();
        Ok(())
    }
}

/// A sensor the long layout names that the registry lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingSensor {
    /// The equipment (it may itself be missing).
    pub equipment: EquipmentId,
    /// The metric.
    pub metric: Metric,
    /// Whether the registry knows the equipment.
    pub equipment_known: bool,
    /// The earliest time of the rows naming it.
    pub first: Timestamp,
    /// Rows naming it.
    pub rows: u64,
}

/// The sensors a long-layout file names that the registry does not have, from
/// rows whose equipment id, metric and time are valid; sorted by equipment
/// then metric. Empty for the sensor layout (a sensor id says nothing of its
/// equipment or metric).
pub fn find_missing_sensors(
    file: &ReadingsFile,
    registry: &Registry,
    settings: &ImportSettings,
) -> Result<Vec<MissingSensor>, ImportError> {
    if file.layout != ReadingsLayout::EquipmentMetric {
        return Ok(Vec::new());
    }
    let lookup = SensorLookup::new(registry);
    let mut missing: BTreeMap<(String, Metric), MissingSensor> = BTreeMap::new();
    let mut each = |_: Place, row: RowData<'_>| -> Result<(), ImportError> {
        let RowData::Cells(cells) = row else {
            return Ok(());
        };
        let (Cell::Text(equipment), Cell::Text(metric)) = (cells[0], cells[1]) else {
            return Ok(());
        };
        let (Ok(id), Some(metric)) = (EquipmentId::parse(equipment), parse_metric(metric)) else {
            return Ok(());
        };
        let Ok(ts) = time(cells[2], settings) else {
            return Ok(());
        };
        let equipment_known = match lookup.by_equipment.get(equipment) {
            None => false,
            Some(sensors) if sensors.iter().all(|(m, _)| *m != metric) => true,
            Some(_) => return Ok(()),
        };
        let entry = missing
            .entry((equipment.to_owned(), metric))
            .or_insert_with(|| MissingSensor {
                equipment: id,
                metric,
                equipment_known,
                first: Timestamp::from_millis(ts),
                rows: 0,
            });
        entry.first = entry.first.min(Timestamp::from_millis(ts));
        entry.rows += 1;
        Ok(())
    };
    file.table.scan(&file.wants, &mut each, &mut |_| {})?;
    Ok(missing.into_values().collect())
}

// ---------------------------------------------------------------------------
// Events.

const EVENTS_COLUMNS: &str =
    "ts (or timestamp), equipment, kind, and optionally code, description, cost, unit";

/// An events file, its header or schema checked.
#[derive(Debug, Clone)]
pub struct EventsFile {
    table: Table,
    /// `[ts, equipment, kind, code, description, cost, unit]`.
    wants: Vec<(Option<usize>, Want)>,
}

impl EventsFile {
    /// Opens an events file and finds its columns; fails if it cannot be read
    /// or lacks `ts`, `equipment` or `kind`.
    pub fn open(path: &Path) -> Result<Self, ImportError> {
        let table = Table::open(path)?;
        let (ts, equipment, kind) = (
            table.find(&["ts", "timestamp"]),
            table.find(&["equipment"]),
            table.find(&["kind"]),
        );
        if ts.is_none() || equipment.is_none() || kind.is_none() {
            return Err(table.columns_error(EVENTS_COLUMNS));
        }
        let wants = vec![
            (ts, Want::Time),
            (equipment, Want::Text),
            (kind, Want::Text),
            (table.find(&["code"]), Want::Text),
            (table.find(&["description"]), Want::Text),
            (table.find(&["cost"]), Want::Number),
            (table.find(&["unit"]), Want::Text),
        ];
        table.check_types(&wants)?;
        Ok(Self { table, wants })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.table.path
    }

    /// Its format.
    pub fn format(&self) -> FileFormat {
        self.table.format
    }

    /// What progress counts up to: bytes (CSV) or rows (Parquet).
    pub fn progress_total(&self) -> u64 {
        self.table.size
    }
}

/// Reads and checks an events file: the valid events in file order, and the
/// report (whose `imported` and `duplicates` the caller fills in once it has
/// stored them).
pub fn read_events(
    file: &EventsFile,
    registry: &Registry,
    settings: &ImportSettings,
    progress: &mut dyn FnMut(u64),
) -> Result<(Vec<Event>, ImportReport), ImportError> {
    let shown = file.path().display().to_string();
    let mut report = ImportReport::new(ImportKind::Events);
    let mut events = Vec::new();
    let mut each = |place: Place, row: RowData<'_>| -> Result<(), ImportError> {
        report.rows += 1;
        let checked = match row {
            RowData::Malformed(why) => Err((ImportReason::MalformedRow, why)),
            RowData::Cells(cells) => check_event(registry, cells, settings),
        };
        match checked {
            Ok(event) => {
                report.valid += 1;
                events.push(event);
            }
            Err((reason, detail)) => {
                let file = &shown;
                report.reject(
                    reason,
                    || RowNote {
                        file: file.clone(),
                        place,
                        detail,
                    },
                    settings.examples,
                );
            }
        }
        Ok(())
    };
    file.table.scan(&file.wants, &mut each, progress)?;
    Ok((events, report))
}

fn check_event(
    registry: &Registry,
    cells: &[Cell<'_>],
    settings: &ImportSettings,
) -> Result<Event, Problem> {
    let equipment_text = text(cells[1], "equipment")?;
    let equipment = EquipmentId::parse(equipment_text)
        .ok()
        .filter(|id| registry.equipment_by_id(id).is_some())
        .ok_or_else(|| {
            (
                ImportReason::UnknownEquipment,
                format!("equipment {equipment_text:?} is not in the registry"),
            )
        })?;
    let kind_text = text(cells[2], "kind")?;
    let kind = EventKind::parse(kind_text)
        .or_else(|_| EventKind::parse(&kind_text.to_ascii_lowercase().replace([' ', '-'], "_")))
        .map_err(|e| (ImportReason::UnknownEventKind, e.to_string()))?;
    let ts = time(cells[0], settings)?;
    let unit = match cells[6] {
        Cell::Null => None,
        cell => {
            let shown = describe(cell);
            let id = match cell {
                Cell::Text(t) => UnitId::parse(t).ok(),
                _ => None,
            };
            Some(id.filter(|u| registry.unit(u).is_some()).ok_or_else(|| {
                (
                    ImportReason::UnknownUnit,
                    format!("unit {shown} is not in the registry"),
                )
            })?)
        }
    };
    let cost = match number(cells[5]) {
        Err(None) => None,
        Ok(c) if c.is_finite() && c >= 0.0 => Some(c + 0.0),
        _ => {
            return Err((
                ImportReason::BadCost,
                format!("cost {} is not a non-negative amount", describe(cells[5])),
            ));
        }
    };
    let owned = |cell: Cell<'_>| match cell {
        Cell::Text(t) => Some(t.to_owned()),
        _ => None,
    };
    Ok(Event {
        ts: Timestamp::from_millis(ts),
        equipment,
        kind,
        code: owned(cells[3]),
        description: owned(cells[4]).unwrap_or_default(),
        cost,
        unit,
    })
}

/// The sensor id `--create-missing` gives a new sensor: `<equipment>-<metric>`.
pub fn new_sensor_id(
    equipment: &EquipmentId,
    metric: Metric,
) -> Result<SensorId, caretaker_core::DomainError> {
    SensorId::parse(&format!("{equipment}-{}", metric.name()))
}

#[cfg(test)]
mod tests {
    //! Parser tests through `check`-style helpers: the CSV reader renders each
    //! record as `line: field|field` (or `line: error ...`), an import renders
    //! its report and the store's contents.
    use std::fmt::Write as _;
    use std::sync::Arc;

    use caretaker_core::{
        Building, BuildingId, Coop, Equipment, EquipmentKind, ReadingBatch, Sensor, SensorAddress,
        Unit,
    };
    use chrono::NaiveDate;

    use super::*;

    const NOW: &str = "2024-06-01T00:00:00Z";

    fn settings() -> ImportSettings {
        ImportSettings {
            now: Timestamp::parse(NOW).unwrap(),
            ..ImportSettings::default()
        }
    }

    fn registry() -> Registry {
        let building = BuildingId::parse("A").unwrap();
        let equipment = |id: &str| Equipment {
            id: EquipmentId::parse(id).unwrap(),
            building: building.clone(),
            kind: EquipmentKind::Boiler,
            name: id.into(),
            make: String::new(),
            model: String::new(),
            installed: NaiveDate::from_ymd_opt(2010, 1, 1).unwrap(),
            replacement_cost: 1.0,
            failure_cost: 1.0,
            criticality: 3,
            serves: vec![UnitId::parse("A-101").unwrap()],
        };
        let sensor = |id: &str, equipment: &str, metric: Metric| Sensor {
            id: SensorId::parse(id).unwrap(),
            equipment: EquipmentId::parse(equipment).unwrap(),
            metric,
            unit: metric.unit().into(),
            expected_range: metric.physical_range(),
            interval_s: 300,
            address: SensorAddress::default(),
        };
        Registry::from_checked_parts(
            Coop {
                name: "Test".into(),
                currency: "CAD".into(),
            },
            vec![Building {
                id: building.clone(),
                name: "A".into(),
                address: String::new(),
                floors: 2,
            }],
            vec![Unit {
                id: UnitId::parse("A-101").unwrap(),
                building: building.clone(),
                floor: 1,
            }],
            vec![equipment("A-BLR-1"), equipment("A-PMP-1")],
            vec![
                sensor("A-BLR-1-supply", "A-BLR-1", Metric::SupplyTemperature),
                sensor("A-BLR-1-run", "A-BLR-1", Metric::RunState),
                sensor("A-PMP-1-vib-a", "A-PMP-1", Metric::VibrationRms),
                sensor("A-PMP-1-vib-b", "A-PMP-1", Metric::VibrationRms),
            ],
        )
    }

    /// Renders every record of a CSV text.
    fn check_csv(input: &str, expect: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, input).unwrap();
        let mut reader = CsvReader::open(&path).unwrap();
        let mut rec = CsvRecord::default();
        let mut out = String::new();
        while reader.read(&mut rec).unwrap() {
            match (&rec.error, std::str::from_utf8(&rec.buf)) {
                (Some(e), _) => writeln!(out, "{}: error {e}", rec.line).unwrap(),
                (None, Ok(text)) if rec.is_blank() => {
                    writeln!(out, "{}: blank {text:?}", rec.line).unwrap()
                }
                (None, Ok(text)) => {
                    let fields: Vec<&str> = rec.fields(text).collect();
                    writeln!(out, "{}: {}", rec.line, fields.join("|")).unwrap()
                }
                (None, Err(_)) => writeln!(out, "{}: not utf-8", rec.line).unwrap(),
            }
        }
        assert_eq!(out.trim(), expect.trim(), "input: {input:?}");
    }

    #[test]
    fn csv_records_and_their_lines() {
        check_csv("a,b\n1,2\n", "1: a|b\n2: 1|2");
        check_csv("\u{feff}a,b\r\n1,2\r\n", "1: a|b\n2: 1|2");
        check_csv("a,b\n1,2", "1: a|b\n2: 1|2");
        check_csv("a,b\n\n1,2\n", "1: a|b\n2: blank \"\"\n3: 1|2");
        check_csv("a\n\"x, y\"\n", "1: a\n2: x, y");
        check_csv("a\n\"say \"\"hi\"\"\"\n", "1: a\n2: say \"hi\"");
        check_csv(
            "a,b\n\"two\nlines\",2\n3,4\n",
            "1: a|b\n2: two\nlines|2\n4: 3|4",
        );
        check_csv("a,b\r\n\"two\r\nlines\",2\r\n", "1: a|b\n2: two\nlines|2");
        check_csv("a,b\n1,,\n", "1: a|b\n2: 1||");
        check_csv(
            "a\n\"open\n",
            "1: a\n2: error a quoted field is not closed before the end of the file",
        );
        check_csv("a\nx\"y\n", "1: a\n2: x\"y");
        check_csv("", "");
    }

    /// Imports `input` (CSV) into a fresh store; renders the report and the store.
    fn check_import(input: &str, settings: &ImportSettings, expect: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, input).unwrap();
        let registry = Arc::new(registry());
        let mut store =
            ReadingsStore::open(&dir.path().join("readings"), registry.clone()).unwrap();
        let file = ReadingsFile::open(&path).unwrap();
        let report = import_readings(&file, &mut store, settings, &mut |_| {}).unwrap();
        let mut out = report
            .to_string()
            .replace(&path.display().to_string(), "f.csv");
        out.push_str(&render_store(&dir.path().join("readings"), &registry));
        assert_eq!(out.trim(), expect.trim());
    }

    fn render_store(root: &Path, registry: &Registry) -> String {
        let mut out = String::new();
        for s in registry.sensors() {
            let df = crate::store::query_sensor(
                root,
                &s.id,
                Timestamp::from_millis(EARLIEST_MS),
                Timestamp::parse("2030-01-01").unwrap(),
            )
            .unwrap();
            let ts = df
                .column("ts")
                .unwrap()
                .datetime()
                .unwrap()
                .physical()
                .clone();
            let values = df.column("value").unwrap().f64().unwrap().clone();
            for (t, v) in ts.iter().zip(values.iter()) {
                writeln!(
                    out,
                    "stored {} {} {}",
                    s.id,
                    Timestamp::from_millis(t.unwrap()),
                    v.unwrap()
                )
                .unwrap();
            }
        }
        out
    }

    #[test]
    fn store_layout_rows_are_checked_like_live_ingest() {
        check_import(
            "Sensor , TS,value,comment\n\
             A-BLR-1-supply,2024-01-01T00:00:00Z,70.5,ok\n\
             A-BLR-1-supply,1704067500000,-0,epoch ms and minus zero\n\
             A-BLR-1-run,2024-01-02,1,a date\n\
             NOPE,2024-01-01T00:00:00Z,1,\n\
             A-BLR-1-supply,yesterday,1,\n\
             A-BLR-1-supply,2024-06-03T00:00:00Z,1,\n\
             A-BLR-1-supply,1706702400,1,seconds\n\
             A-BLR-1-supply,2024-01-01T01:00:00Z,NaN,\n\
             A-BLR-1-supply,2024-01-01T01:00:00Z,hot,\n\
             A-BLR-1-supply,2024-01-01T01:00:00Z,,\n\
             A-BLR-1-supply,2024-01-01T01:00:00Z,999,\n\
             A-BLR-1-run,2024-01-01T01:00:00Z,0.5,\n\
             A-BLR-1-supply,2024-01-01T00:00:00Z,70.5,duplicate\n\
             A-BLR-1-supply,2024-01-01T00:00:00Z,71,conflict\n\
             A-BLR-1-supply,2024-01-01T02:00:00Z,1,x,y\n",
            &settings(),
            r#"
rows read: 15 (1 file)
imported: 3 new readings
duplicates: 1 (already stored with the same value)
conflicts: 1 (already stored with another value; the value stored first was kept)
  f.csv:15: A-BLR-1-supply at 2024-01-01T00:00:00Z: value 71 differs from the stored 70.5, which is kept
rejected: 10
  malformed_row: 1
    f.csv:16: 5 fields, but the header has 4 columns
  missing_field: 1
    f.csv:11: value is empty
  unknown_sensor: 1
    f.csv:5: sensor "NOPE" is not in the registry
  bad_timestamp: 3
    f.csv:6: ts "yesterday" is not a time: expected RFC 3339 with a zone (2024-01-31T12:00:00Z), a date (2024-01-31) or epoch milliseconds
    f.csv:7: ts 2024-06-03T00:00:00Z is in the future (more than 24 h ahead)
    f.csv:8: ts "1706702400" (1970-01-20T18:05:02.400Z) is before 1990: epoch seconds given as milliseconds?
  bad_value: 1
    f.csv:10: value "hot" is not a number
  non_finite: 1
    f.csv:9: value "NaN" is not a finite number
  out_of_range: 2
    f.csv:12: value 999 is outside the physical range of supply_temperature, -60 to 250 °C
    f.csv:13: value 0.5 is neither 0 nor 1, as run_state must be
stored A-BLR-1-supply 2024-01-01T00:00:00Z 70.5
stored A-BLR-1-supply 2024-01-01T00:05:00Z 0
stored A-BLR-1-run 2024-01-02T00:00:00Z 1
"#,
        );
    }

    #[test]
    fn long_layout_finds_the_sensor_by_equipment_and_metric() {
        check_import(
            "equipment,metric,timestamp,value\n\
             A-BLR-1,supply_temperature,2024-01-01T00:00:00Z,60\n\
             A-BLR-1,Run State,2024-01-01T00:00:00Z,1\n\
             A-PMP-1,vibration_rms,2024-01-01T00:00:00Z,2\n\
             A-BLR-9,supply_temperature,2024-01-01T00:00:00Z,60\n\
             A-BLR-1,water_level,2024-01-01T00:00:00Z,60\n\
             A-BLR-1,temperature,2024-01-01T00:00:00Z,60\n",
            &settings(),
            r#"
rows read: 6 (1 file)
imported: 2 new readings
duplicates: 0 (already stored with the same value)
conflicts: 0 (already stored with another value; the value stored first was kept)
rejected: 4
  unknown_sensor: 1
    f.csv:6: equipment A-BLR-1 has no water_level sensor in the registry (--create-missing adds one)
  unknown_equipment: 1
    f.csv:5: equipment "A-BLR-9" is not in the registry (--create-missing --kind KIND adds it)
  unknown_metric: 1
    f.csv:7: metric "temperature" is unknown (known: supply_temperature, return_temperature, outlet_temperature, air_temperature, pressure, differential_pressure, filter_pressure_drop, vibration_rms, motor_current, power, burner_cycles, run_state, recovery_time, door_cycle_time, trips, water_level, water_leak, humidity, battery)
  ambiguous_sensor: 1
    f.csv:4: equipment A-PMP-1 has 2 vibration_rms sensors (A-PMP-1-vib-a, A-PMP-1-vib-b): use a sensor column to say which
stored A-BLR-1-supply 2024-01-01T00:00:00Z 60
stored A-BLR-1-run 2024-01-01T00:00:00Z 1
"#,
        );
    }

    #[test]
    fn keys_are_stored_once_however_the_days_are_shuffled() {
        // 40 days, then the same 40 days again (duplicates) and once more with
        // other values (conflicts), pushed 7 at a time: more days than the store
        // keeps in memory lie between a reading and its repeat.
        let mut input = String::from("sensor,ts,value\n");
        for round in 0..3 {
            for day in 0..40 {
                let value = if round == 2 {
                    80.0
                } else {
                    50.0 + day as f64 / 4.0
                };
                writeln!(
                    input,
                    "A-BLR-1-supply,{},{value}",
                    1_704_067_200_000i64 + day * Timestamp::DAY
                )
                .unwrap();
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, input).unwrap();
        let registry = Arc::new(registry());
        let root = dir.path().join("readings");
        let mut store = ReadingsStore::open(&root, registry.clone()).unwrap();
        let settings = ImportSettings {
            push_chunk: 7,
            ..settings()
        };
        let report = import_readings(
            &ReadingsFile::open(&path).unwrap(),
            &mut store,
            &settings,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(
            (report.imported, report.duplicates, report.conflicts),
            (40, 40, 40)
        );
        assert_eq!(render_store(&root, &registry).lines().count(), 40);
        // Again, into the flushed store: all duplicates or conflicts.
        drop(store);
        let mut store = ReadingsStore::open(&root, registry.clone()).unwrap();
        let report = import_readings(
            &ReadingsFile::open(&path).unwrap(),
            &mut store,
            &settings,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(
            (report.imported, report.duplicates, report.conflicts),
            (0, 80, 40)
        );
        assert_eq!(render_store(&root, &registry).lines().count(), 40);
    }

    #[test]
    fn parquet_in_the_store_layout_and_with_other_types() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Arc::new(registry());
        // The simulator's writer.
        let mut batch = ReadingBatch::default();
        for i in 0..1000 {
            batch.push(
                0,
                Timestamp::parse("2024-01-01")
                    .unwrap()
                    .plus_millis(i * 300_000),
                60.0 + (i % 7) as f64,
            );
        }
        let written = dir.path().join("readings.parquet");
        let mut writer = crate::files::ReadingsParquetWriter::create(&written).unwrap();
        writer.write(&registry, &batch).unwrap();
        writer.finish().unwrap();
        let root = dir.path().join("readings");
        let mut store = ReadingsStore::open(&root, registry.clone()).unwrap();
        let file = ReadingsFile::open(&written).unwrap();
        assert_eq!(
            (file.format(), file.layout(), file.progress_total()),
            (FileFormat::Parquet, ReadingsLayout::Sensor, 1000)
        );
        let report = import_readings(&file, &mut store, &settings(), &mut |_| {}).unwrap();
        assert_eq!(
            (report.rows, report.imported, report.rejected_total()),
            (1000, 1000, 0)
        );

        // Long layout, upper-case names, nanosecond times, integer values, a null and a bad row.
        let mut df = df!(
            "Equipment" => ["A-BLR-1", "A-BLR-1", "A-BLR-1", "A-BLR-1"],
            "METRIC" => ["run_state", "run_state", "run_state", "run_state"],
            "value" => [Some(1i32), Some(0), None, Some(7)],
        )
        .unwrap();
        let ts = Int64Chunked::from_vec(
            "ts".into(),
            (0..4)
                .map(|i| 1_704_067_200_000_000_000i64 + i * 60_000_000_000)
                .collect(),
        )
        .into_datetime(TimeUnit::Nanoseconds, None);
        df.with_column(ts.into_column()).unwrap();
        let long = dir.path().join("long.parquet");
        ParquetWriter::new(File::create(&long).unwrap())
            .finish(&mut df)
            .unwrap();
        let report = import_readings(
            &ReadingsFile::open(&long).unwrap(),
            &mut store,
            &settings(),
            &mut |_| {},
        )
        .unwrap();
        let text = report
            .to_string()
            .replace(&long.display().to_string(), "long.parquet");
        assert!(text.contains("imported: 2 new readings"), "{text}");
        assert!(
            text.contains("long.parquet:row 3: value is empty"),
            "{text}"
        );
        assert!(
            text.contains("long.parquet:row 4: value 7 is neither 0 nor 1"),
            "{text}"
        );
        let stored = render_store(&root, &registry);
        assert!(
            stored.contains("stored A-BLR-1-run 2024-01-01T00:01:00Z 0"),
            "{stored}"
        );
        assert_eq!(stored.lines().count(), 1002);
    }

    #[test]
    fn unrecognisable_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let err = ReadingsFile::open(&write("a.txt", "sensor,ts,value\n")).unwrap_err();
        assert!(
            err.to_string().contains("expected a .csv or .parquet file"),
            "{err}"
        );
        let err = ReadingsFile::open(&write("b.csv", "when,what\n1,2\n")).unwrap_err();
        assert!(
            err.to_string()
                .contains("no recognisable columns (found: when, what)"),
            "{err}"
        );
        let err = ReadingsFile::open(&write("c.csv", "")).unwrap_err();
        assert!(err.to_string().contains("the file is empty"), "{err}");
        let err = ReadingsFile::open(&dir.path().join("missing.csv")).unwrap_err();
        assert!(matches!(err, ImportError::Io { .. }), "{err}");
        let err = ReadingsFile::open(&write("d.parquet", "not parquet")).unwrap_err();
        assert!(matches!(err, ImportError::Parquet { .. }), "{err}");
        let err = EventsFile::open(&write("e.csv", "ts,equipment\n")).unwrap_err();
        assert!(
            err.to_string()
                .contains("ts (or timestamp), equipment, kind"),
            "{err}"
        );
    }

    #[test]
    fn missing_sensors_of_the_long_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(
            &path,
            "equipment,metric,ts,value\n\
             B-SUMP-1,water_level,2024-02-01T00:00:00Z,10\n\
             B-SUMP-1,water_level,2024-01-15T00:00:00Z,10\n\
             B-SUMP-1,run_state,2024-03-01T00:00:00Z,1\n\
             A-BLR-1,pressure,2024-01-01T00:00:00Z,1.5\n\
             A-BLR-1,supply_temperature,2024-01-01T00:00:00Z,60\n\
             B-SUMP-1,water_level,later,10\n\
             bad id,water_level,2024-01-01T00:00:00Z,10\n",
        )
        .unwrap();
        let missing = find_missing_sensors(
            &ReadingsFile::open(&path).unwrap(),
            &registry(),
            &settings(),
        )
        .unwrap();
        let shown: Vec<String> = missing
            .iter()
            .map(|m| {
                format!(
                    "{} {} {} {} {}",
                    m.equipment, m.metric, m.equipment_known, m.first, m.rows
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "A-BLR-1 pressure true 2024-01-01T00:00:00Z 1",
                "B-SUMP-1 run_state false 2024-03-01T00:00:00Z 1",
                "B-SUMP-1 water_level false 2024-01-15T00:00:00Z 2",
            ]
        );
    }

    #[test]
    fn events_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.csv");
        std::fs::write(
            &path,
            "ts,equipment,kind,code,description,cost,unit\n\
             2024-01-05T10:00:00Z,A-BLR-1,failure,ignition,\"Burner, no flame\",350.5,\n\
             2024-01-06T10:00:00Z,A-BLR-1,resident_report,no_heat,\"cold \"\"again\"\"\nsecond line\",,A-101\n\
             2024-01-07T10:00:00Z,A-BLR-9,failure,,,,\n\
             2024-01-07T10:00:00Z,A-BLR-1,explosion,,,,\n\
             2024-01-07T10:00:00Z,A-BLR-1,alarm,,,-3,\n\
             2024-01-07T10:00:00Z,A-BLR-1,alarm,,,,Z-999\n\
             soon,A-BLR-1,alarm,,,,\n\
             2024-01-08,A-BLR-1,Preventive Maintenance,,,,\n",
        )
        .unwrap();
        let (events, report) = read_events(
            &EventsFile::open(&path).unwrap(),
            &registry(),
            &settings(),
            &mut |_| {},
        )
        .unwrap();
        let text = report
            .to_string()
            .replace(&path.display().to_string(), "events.csv");
        assert_eq!(events.len(), 3, "{text}");
        assert_eq!(events[0].description, "Burner, no flame");
        assert_eq!(events[0].cost, Some(350.5));
        assert_eq!(events[0].code.as_deref(), Some("ignition"));
        assert_eq!(events[1].description, "cold \"again\"\nsecond line");
        assert_eq!(events[1].unit.as_ref().map(|u| u.as_str()), Some("A-101"));
        assert_eq!(events[2].kind, EventKind::PreventiveMaintenance);
        for expected in [
            "rows read: 8 (1 file)",
            "events.csv:5: equipment \"A-BLR-9\" is not in the registry",
            "events.csv:6: unknown event kind \"explosion\"",
            "events.csv:7: cost \"-3\" is not a non-negative amount",
            "events.csv:8: unit \"Z-999\" is not in the registry",
            "events.csv:9: ts \"soon\" is not a time",
        ] {
            assert!(text.contains(expected), "{expected:?} not in\n{text}");
        }
    }
}
