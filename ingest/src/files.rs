//! The reading and event file formats shared by the simulator, `caretaker import` and the store.
//!
//! **Readings** (Parquet or CSV), one row per reading, long format:
//!
//! | column | Parquet type | CSV | meaning |
//! |---|---|---|---|
//! | `sensor` | string | text | sensor id from the registry |
//! | `ts` | timestamp (ms, UTC) | RFC 3339 | when it was measured |
//! | `value` | double | number | the value, in the sensor's unit |
//!
//! **Events** (Parquet or CSV): `ts`, `equipment`, `kind` (`failure`,
//! `preventive_maintenance`, `corrective_maintenance`, `alarm`,
//! `resident_report`), `code`, `description`, `cost`, `unit` (the last four may be empty).
//!
//! Every file is written through [`AtomicFile`] (the `atomic-write-file` crate):
//! under a hidden temporary name in its folder (`.NAME.XXXXXX`), fsynced,
//! renamed into place, and the folder fsynced. A file is either complete or
//! absent; a crash leaves at most the hidden temporary, which the store removes
//! when it opens.
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use atomic_write_file::AtomicWriteFile;
use caretaker_core::{Event, ReadingBatch, Registry};
use polars::prelude::*;

use crate::IngestError;

/// A file written under a hidden temporary name, visible under its own name
/// only once [`AtomicFile::commit`] has made it complete and durable.
///
/// Dropped without a commit, the temporary file is removed.
pub(crate) struct AtomicFile {
    path: PathBuf,
    file: AtomicWriteFile,
}

impl AtomicFile {
    /// Starts the file that will be `path`.
    pub(crate) fn create(path: &Path) -> Result<Self, IngestError> {
        let file = AtomicWriteFile::open(path).map_err(IngestError::io(path))?;
        Ok(Self {
            path: path.to_owned(),
            file,
        })
    }

    /// The name the file gets on commit.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Another handle on the temporary file, for a writer that owns its `File`.
    pub(crate) fn handle(&self) -> Result<File, IngestError> {
        self.file.try_clone().map_err(IngestError::io(&self.path))
    }

    /// Fsyncs the file, renames it into place and fsyncs its folder.
    pub(crate) fn commit(self) -> Result<(), IngestError> {
        crate::fault::before_rename();
        self.file.commit().map_err(IngestError::io(&self.path))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Opens (making it if missing) a lock file; the caller takes the lock.
pub(crate) fn lock_file(path: &Path) -> Result<File, IngestError> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(IngestError::io(path))
}

/// Fsyncs a directory, making the folders created in it durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), IngestError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(IngestError::io(dir))
}

/// The Parquet schema of a readings file.
pub fn readings_schema() -> Schema {
    Schema::from_iter([
        Field::new("sensor".into(), DataType::String),
        Field::new(
            "ts".into(),
            DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)),
        ),
        Field::new("value".into(), DataType::Float64),
    ])
}

/// Turns a batch of readings into a frame with the readings schema.
pub fn readings_frame(registry: &Registry, batch: &ReadingBatch) -> PolarsResult<DataFrame> {
    let sensors = registry.sensors();
    let sensor = StringChunked::from_iter_values(
        "sensor".into(),
        batch
            .sensors()
            .iter()
            .map(|&i| sensors[i as usize].id.as_str()),
    );
    let ts = Int64Chunked::from_vec("ts".into(), batch.ts_ms().to_vec())
        .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let value = Float64Chunked::from_vec("value".into(), batch.values().to_vec());
    DataFrame::new(
        batch.len(),
        vec![sensor.into_column(), ts.into_column(), value.into_column()],
    )
}

/// Writes readings to a Parquet file batch by batch, in bounded memory.
pub struct ReadingsParquetWriter {
    file: AtomicFile,
    writer: polars::io::parquet::write::BatchedWriter<File>,
    rows: u64,
}

impl ReadingsParquetWriter {
    /// Starts a readings file at `path` (written under a temporary name until `finish`).
    pub fn create(path: &Path) -> Result<Self, IngestError> {
        let file = AtomicFile::create(path)?;
        let writer = ParquetWriter::new(file.handle()?)
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::default())
            .batched(&readings_schema())
            .map_err(|source| IngestError::Polars {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            file,
            writer,
            rows: 0,
        })
    }

    /// Appends a batch as one row group.
    pub fn write(&mut self, registry: &Registry, batch: &ReadingBatch) -> Result<(), IngestError> {
        if batch.is_empty() {
            return Ok(());
        }
        readings_frame(registry, batch)
            .and_then(|df| self.writer.write_batch(&df))
            .map_err(|source| IngestError::Polars {
                path: self.file.path().to_owned(),
                source,
            })?;
        self.rows += batch.len() as u64;
        Ok(())
    }

    /// Writes the footer and commits the file; returns the rows written.
    pub fn finish(self) -> Result<u64, IngestError> {
        self.writer.finish().map_err(|source| IngestError::Polars {
            path: self.file.path().to_owned(),
            source,
        })?;
        drop(self.writer);
        self.file.commit()?;
        Ok(self.rows)
    }
}

/// A CSV writer of a file being written atomically.
fn csv_writer(path: &Path) -> Result<csv::Writer<AtomicFile>, IngestError> {
    Ok(csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(AtomicFile::create(path)?))
}

/// Flushes a CSV writer and commits its file.
fn finish_csv(path: &Path, writer: csv::Writer<AtomicFile>) -> Result<(), IngestError> {
    let file = writer.into_inner().map_err(|e| IngestError::Io {
        path: path.to_owned(),
        source: e.into_error(),
    })?;
    file.commit()
}

/// The I/O error inside a CSV writer's error (writing records of strings can fail no other way).
fn csv_error(path: &Path) -> impl FnOnce(csv::Error) -> IngestError + '_ {
    move |e| IngestError::Io {
        path: path.to_owned(),
        source: e.into(),
    }
}

/// Writes readings as CSV (`sensor,ts,value`, RFC 3339 times).
pub struct ReadingsCsvWriter {
    path: PathBuf,
    out: csv::Writer<AtomicFile>,
    /// A field being formatted (reused).
    field: String,
}

impl ReadingsCsvWriter {
    /// Starts a CSV readings file at `path`, header included.
    pub fn create(path: &Path) -> Result<Self, IngestError> {
        let mut out = csv_writer(path)?;
        out.write_record(["sensor", "ts", "value"])
            .map_err(csv_error(path))?;
        Ok(Self {
            path: path.to_owned(),
            out,
            field: String::new(),
        })
    }

    /// Appends a batch.
    pub fn write(&mut self, registry: &Registry, batch: &ReadingBatch) -> Result<(), IngestError> {
        use std::fmt::Write as _;
        let sensors = registry.sensors();
        for reading in batch.iter() {
            let mut row = || -> csv::Result<()> {
                self.out
                    .write_field(sensors[reading.sensor as usize].id.as_str())?;
                self.field.clear();
                write!(self.field, "{}", reading.ts).expect("write to string");
                self.out.write_field(&self.field)?;
                self.field.clear();
                write!(self.field, "{}", reading.value).expect("write to string");
                self.out.write_field(&self.field)?;
                self.out.write_record(None::<&[u8]>)
            };
            row().map_err(csv_error(&self.path))?;
        }
        Ok(())
    }

    /// Flushes and commits the file.
    pub fn finish(self) -> Result<(), IngestError> {
        finish_csv(&self.path, self.out)
    }
}

/// The events as a frame with the events schema.
pub fn events_frame(events: &[Event]) -> PolarsResult<DataFrame> {
    let ts = Int64Chunked::from_iter_values("ts".into(), events.iter().map(|e| e.ts.millis()))
        .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let equipment = StringChunked::from_iter_values(
        "equipment".into(),
        events.iter().map(|e| e.equipment.as_str()),
    );
    let kind = StringChunked::from_iter_values("kind".into(), events.iter().map(|e| e.kind.name()));
    let code: StringChunked = events.iter().map(|e| e.code.as_deref()).collect();
    let description = StringChunked::from_iter_values(
        "description".into(),
        events.iter().map(|e| e.description.as_str()),
    );
    let cost: Float64Chunked = events.iter().map(|e| e.cost).collect();
    let unit: StringChunked = events
        .iter()
        .map(|e| e.unit.as_ref().map(|u| u.as_str()))
        .collect();
    DataFrame::new(
        events.len(),
        vec![
            ts.into_column(),
            equipment.into_column(),
            kind.into_column(),
            code.with_name("code".into()).into_column(),
            description.into_column(),
            cost.with_name("cost".into()).into_column(),
            unit.with_name("unit".into()).into_column(),
        ],
    )
}

/// Writes a frame as a Parquet file (Zstd, with statistics), atomically.
pub(crate) fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<(), IngestError> {
    let mut file = AtomicFile::create(path)?;
    let mut out = std::io::BufWriter::new(&mut file);
    ParquetWriter::new(&mut out)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .finish(df)
        .map_err(|source| IngestError::Polars {
            path: path.to_owned(),
            source,
        })?;
    out.into_inner().map_err(|e| IngestError::Io {
        path: path.to_owned(),
        source: e.into_error(),
    })?;
    file.commit()
}

/// Writes events to a Parquet file, atomically.
pub fn write_events_parquet(path: &Path, events: &[Event]) -> Result<(), IngestError> {
    let mut df = events_frame(events).map_err(|source| IngestError::Polars {
        path: path.to_owned(),
        source,
    })?;
    write_parquet(path, &mut df)
}

/// Writes events as CSV (`ts,equipment,kind,code,description,cost,unit`), atomically.
pub fn write_events_csv(path: &Path, events: &[Event]) -> Result<(), IngestError> {
    let mut out = csv_writer(path)?;
    let mut write = || -> csv::Result<()> {
        out.write_record([
            "ts",
            "equipment",
            "kind",
            "code",
            "description",
            "cost",
            "unit",
        ])?;
        for e in events {
            out.write_record([
                e.ts.to_string().as_str(),
                e.equipment.as_str(),
                e.kind.name(),
                e.code.as_deref().unwrap_or(""),
                &e.description,
                &e.cost.map(|c| c.to_string()).unwrap_or_default(),
                e.unit.as_ref().map_or("", |u| u.as_str()),
            ])?;
        }
        Ok(())
    };
    write().map_err(csv_error(path))?;
    finish_csv(path, out)
}

/// Reads a whole Parquet file into a frame.
pub fn read_parquet(path: &Path) -> Result<DataFrame, IngestError> {
    let file = File::open(path).map_err(|source| IngestError::Io {
        path: path.to_owned(),
        source,
    })?;
    ParquetReader::new(file)
        .finish()
        .map_err(|source| IngestError::Polars {
            path: path.to_owned(),
            source,
        })
}
