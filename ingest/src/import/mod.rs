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
//! zone), a date, an integer (epoch milliseconds) or text as in CSV. When the
//! registry has a time zone ([`ImportSettings::timezone`]), text without an offset
//! (`2024-01-31 07:00`, a bare date) is read in it, and a local time the clocks
//! skipped or passed twice is refused with the reason.
//!
//! A reading is checked as live ingest checks it: a known sensor (in the long
//! layout, the registry's one sensor of that equipment with that metric),
//! a timestamp that parses, and a value that passes
//! [`Metric::check_value`](caretaker_core::Metric::check_value), the rule live
//! ingest applies too. History is old by nature, so there is no maximum age,
//! but a time more than [`ImportSettings::max_future_ms`] ahead or before 1990
//! (epoch seconds given as milliseconds) is refused. Good readings go through
//! [`ReadingsStore::push`](crate::store::ReadingsStore::push): a key already
//! stored is a duplicate (same value) or a conflict (another value; the first
//! value stored wins).
//!
//! Files are streamed: CSV record by record, Parquet by row group (at most
//! [`PARQUET_CHUNK_ROWS`] rows at a time), readings pushed in chunks and the
//! store flushed every [`ImportSettings::flush_readings`] readings, so memory
//! stays bounded whatever the file's size.
//!
//! Rows are numbered as a person would find them: CSV lines with the header as
//! line 1 (a quoted field may span lines: a row is numbered by its first
//! line), Parquet rows from 1.
//!
//! The modules, one job each:
//! - `table`: opening a file, finding its columns, handing rows to the checks;
//! - `csv_rows`, `parquet_rows`: the rows of each format as cells;
//! - `cells`: the checks of one cell (time, value, text);
//! - `readings`, `events`: the two importers;
//! - `missing`: the sensors a long-layout file names that the registry lacks;
//! - `report`: what an import tells, row refusals and the totals.
use caretaker_core::{Timestamp, Tz};

mod cells;
mod csv_rows;
mod error;
mod events;
mod missing;
#[cfg(feature = "pipeline")]
mod parquet_rows;
mod readings;
mod report;
mod table;
#[cfg(test)]
mod testing;

pub use error::ImportError;
pub use events::{EventsFile, read_events};
pub use missing::{MissingSensor, find_missing_sensors, new_sensor_id};
#[cfg(feature = "pipeline")]
pub use parquet_rows::PARQUET_CHUNK_ROWS;
#[cfg(feature = "pipeline")]
pub use readings::import_readings;
pub use readings::{ReadingsFile, ReadingsLayout, check_readings};
pub use report::{ImportKind, ImportReason, ImportReport, Place, RejectedRows, RowNote};
pub use table::FileFormat;

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
    /// The co-op's time zone, if its registry gives one: text times without an
    /// offset (`2024-01-31 07:00`, `2024-01-31`) are read in it. None keeps them
    /// refused (dates are midnight UTC).
    pub timezone: Option<Tz>,
}

impl Default for ImportSettings {
    fn default() -> Self {
        Self {
            now: Timestamp::now(),
            max_future_ms: Timestamp::DAY,
            flush_readings: 1_000_000,
            examples: 5,
            push_chunk: 1 << 20,
            timezone: None,
        }
    }
}
