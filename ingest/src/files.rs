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
//! Every file is written under a temporary name, fsynced, then renamed: it is
//! either complete or absent.
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use caretaker_core::{Event, ReadingBatch, Registry, Timestamp};
use polars::prelude::*;

use crate::IngestError;

/// A file being written under a temporary name, renamed into place by `commit`.
pub(crate) struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
}

impl AtomicFile {
    pub(crate) fn create(target: &Path) -> Result<(Self, File), IngestError> {
        let file_name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = target.with_file_name(format!(".{file_name}.tmp"));
        let file = File::create(&temp).map_err(|source| IngestError::Io {
            path: temp.clone(),
            source,
        })?;
        Ok((
            Self {
                target: target.to_owned(),
                temp,
            },
            file,
        ))
    }

    pub(crate) fn commit(self, file: File) -> Result<(), IngestError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| IngestError::Io { path, source }
        };
        file.sync_all().map_err(io(&self.temp))?;
        drop(file);
        crate::fault::before_rename();
        std::fs::rename(&self.temp, &self.target).map_err(io(&self.target))?;
        if let Some(dir) = self.target.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            sync_dir(dir)?;
        }
        Ok(())
    }
}

/// Fsyncs a directory, making renames and new files in it durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), IngestError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| IngestError::Io {
            path: dir.to_owned(),
            source,
        })
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
            .sensor
            .iter()
            .map(|&i| sensors[i as usize].id.as_str()),
    );
    let ts = Int64Chunked::from_vec("ts".into(), batch.ts_ms.clone())
        .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let value = Float64Chunked::from_vec("value".into(), batch.value.clone());
    DataFrame::new(
        batch.len(),
        vec![sensor.into_column(), ts.into_column(), value.into_column()],
    )
}

/// Writes readings to a Parquet file batch by batch, in bounded memory.
pub struct ReadingsParquetWriter {
    file: AtomicFile,
    handle: File,
    writer: polars::io::parquet::write::BatchedWriter<File>,
    rows: u64,
}

impl ReadingsParquetWriter {
    /// Starts a readings file at `path` (written under a temporary name until `finish`).
    pub fn create(path: &Path) -> Result<Self, IngestError> {
        let (file, handle) = AtomicFile::create(path)?;
        let polars_err = |source| IngestError::Polars {
            path: path.to_owned(),
            source,
        };
        let writer_handle = handle.try_clone().map_err(|source| IngestError::Io {
            path: path.to_owned(),
            source,
        })?;
        let writer = ParquetWriter::new(writer_handle)
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::default())
            .batched(&readings_schema())
            .map_err(polars_err)?;
        Ok(Self {
            file,
            handle,
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
                path: self.file.target.clone(),
                source,
            })?;
        self.rows += batch.len() as u64;
        Ok(())
    }

    /// Writes the footer, fsyncs and renames the file into place; returns the rows written.
    pub fn finish(self) -> Result<u64, IngestError> {
        self.writer.finish().map_err(|source| IngestError::Polars {
            path: self.file.target.clone(),
            source,
        })?;
        drop(self.writer);
        self.file.commit(self.handle)?;
        Ok(self.rows)
    }
}

/// Writes readings as CSV (`sensor,ts,value`, RFC 3339 times).
pub struct ReadingsCsvWriter {
    file: AtomicFile,
    out: BufWriter<File>,
}

impl ReadingsCsvWriter {
    /// Starts a CSV readings file at `path`, header included.
    pub fn create(path: &Path) -> Result<Self, IngestError> {
        let (file, handle) = AtomicFile::create(path)?;
        let mut out = BufWriter::new(handle);
        writeln!(out, "sensor,ts,value").map_err(|source| IngestError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self { file, out })
    }

    /// Appends a batch.
    pub fn write(&mut self, registry: &Registry, batch: &ReadingBatch) -> Result<(), IngestError> {
        let sensors = registry.sensors();
        for i in 0..batch.len() {
            writeln!(
                self.out,
                "{},{},{}",
                sensors[batch.sensor[i] as usize].id,
                Timestamp::from_millis(batch.ts_ms[i]),
                batch.value[i]
            )
            .map_err(|source| IngestError::Io {
                path: self.file.target.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Flushes, fsyncs and renames the file into place.
    pub fn finish(self) -> Result<(), IngestError> {
        let handle = self.out.into_inner().map_err(|e| IngestError::Io {
            path: self.file.target.clone(),
            source: e.into_error(),
        })?;
        self.file.commit(handle)
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

/// Writes events to a Parquet file, atomically.
pub fn write_events_parquet(path: &Path, events: &[Event]) -> Result<(), IngestError> {
    let polars_err = |source| IngestError::Polars {
        path: path.to_owned(),
        source,
    };
    let mut df = events_frame(events).map_err(polars_err)?;
    let (file, handle) = AtomicFile::create(path)?;
    let mut out = BufWriter::new(handle);
    ParquetWriter::new(&mut out)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut df)
        .map_err(polars_err)?;
    let handle = out.into_inner().map_err(|e| IngestError::Io {
        path: path.to_owned(),
        source: e.into_error(),
    })?;
    file.commit(handle)
}

/// Writes events as CSV, atomically.
pub fn write_events_csv(path: &Path, events: &[Event]) -> Result<(), IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_owned(),
        source,
    };
    let (file, handle) = AtomicFile::create(path)?;
    let mut out = BufWriter::new(handle);
    writeln!(out, "ts,equipment,kind,code,description,cost,unit").map_err(io)?;
    for e in events {
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            e.ts,
            e.equipment,
            e.kind,
            csv_field(e.code.as_deref().unwrap_or("")),
            csv_field(&e.description),
            e.cost.map(|c| c.to_string()).unwrap_or_default(),
            e.unit.as_ref().map(|u| u.as_str()).unwrap_or("")
        )
        .map_err(io)?;
    }
    let handle = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.commit(handle)
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
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
