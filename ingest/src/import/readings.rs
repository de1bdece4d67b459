//! Readings import: a readings file's layout and columns, each row checked as
//! live ingest checks it and pushed into the store, the store flushed often
//! enough to keep memory bounded.
use std::collections::HashMap;
use std::path::Path;

#[cfg(feature = "pipeline")]
use caretaker_core::Timestamp;
use caretaker_core::{Metric, Registry};

use super::FileFormat;
use super::cells::{Problem, parse_metric, reading_value, text, time};
use super::table::{Cell, RowData, Table, Want};
use super::{ImportError, ImportKind, ImportReason, ImportReport, ImportSettings, Place, RowNote};
#[cfg(feature = "pipeline")]
use crate::store::{PushResult, ReadingsStore};

/// Most distinct days touched between two flushes of the store: as many as the
/// store keeps keys for, so that memory stays bounded on long histories.
#[cfg(feature = "pipeline")]
const MAX_DAYS_BETWEEN_FLUSHES: usize = crate::store::KEY_CACHE_DAYS;

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
    pub(super) table: Table,
    pub(super) layout: ReadingsLayout,
    /// `[sensor or equipment, metric (long layout), ts, value]`.
    pub(super) wants: Vec<(Option<usize>, Want)>,
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
pub(super) struct SensorLookup<'r> {
    by_id: HashMap<&'r str, u32>,
    /// Each piece of equipment's sensors (none for equipment without sensors).
    pub(super) by_equipment: HashMap<&'r str, Vec<(Metric, u32)>>,
    registry: &'r Registry,
}

impl<'r> SensorLookup<'r> {
    /// The lookup of `registry`'s sensors.
    pub(super) fn new(registry: &'r Registry) -> Self {
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
#[cfg_attr(not(feature = "pipeline"), allow(dead_code))]
struct Checked {
    sensor: u32,
    ts_ms: i64,
    value: f64,
    place: Place,
}

/// Imports a readings file into the store: checks every row, pushes the good
/// ones, flushes along the way and at the end; returns the report.
#[cfg(feature = "pipeline")]
pub fn import_readings(
    file: &ReadingsFile,
    store: &mut ReadingsStore,
    settings: &ImportSettings,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let registry = store.registry().clone();
    let shown = file.path().display().to_string();
    let mut report = ImportReport::new(ImportKind::Readings);
    let mut pusher = Pusher {
        store,
        days: Vec::new(),
        flush_readings: settings.flush_readings.max(1),
    };
    let push_chunk = settings.push_chunk.max(1);
    let mut chunk: Vec<Checked> = Vec::with_capacity(push_chunk.min(1 << 16));
    let scanned = check_rows(
        file,
        &registry,
        settings,
        &mut report,
        progress,
        &mut |checked, report| {
            chunk.push(checked);
            if chunk.len() >= push_chunk {
                pusher.push_all(&mut chunk, report, &shown, settings)?;
            }
            Ok(())
        },
    );
    // Keep what was checked even if the file broke off: it is valid, and a re-run skips it.
    let pushed = pusher.push_all(&mut chunk, &mut report, &shown, settings);
    let flushed = pusher.flush();
    scanned?;
    pushed?;
    flushed?;
    Ok(report)
}

/// Checks every row of a readings file as [`import_readings`] does, and stores
/// nothing: the report says what an import would refuse (its `imported`,
/// `duplicates` and `conflicts` stay 0). Needs no Parquet store, so it also
/// runs in builds without the `pipeline` feature (the fuzz targets).
pub fn check_readings(
    file: &ReadingsFile,
    registry: &Registry,
    settings: &ImportSettings,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::new(ImportKind::Readings);
    check_rows(
        file,
        registry,
        settings,
        &mut report,
        &mut |_| {},
        &mut |_, _| Ok(()),
    )?;
    Ok(report)
}

/// Checks every row of `file` into `report`, handing each valid reading to `valid`.
fn check_rows(
    file: &ReadingsFile,
    registry: &Registry,
    settings: &ImportSettings,
    report: &mut ImportReport,
    progress: &mut dyn FnMut(u64),
    valid: &mut dyn FnMut(Checked, &mut ImportReport) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let lookup = SensorLookup::new(registry);
    let shown = file.path().display().to_string();
    let mut each = |place: Place, row: RowData<'_>| -> Result<(), ImportError> {
        report.rows += 1;
        let checked = match row {
            RowData::Malformed(why) => Err((ImportReason::MalformedRow, why)),
            RowData::Cells(cells) => check_reading(&lookup, file.layout, cells, settings),
        };
        match checked {
            Ok((sensor, ts_ms, value)) => {
                report.valid += 1;
                let checked = Checked {
                    sensor,
                    ts_ms,
                    value,
                    place,
                };
                valid(checked, report)?;
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
    file.table.scan(&file.wants, &mut each, progress)
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
#[cfg(feature = "pipeline")]
struct Pusher<'s> {
    store: &'s mut ReadingsStore,
    /// Days touched since the last flush.
    days: Vec<i64>,
    flush_readings: usize,
}

#[cfg(feature = "pipeline")]
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

#[cfg(test)]
mod tests {
    //! Imports through `check_import`: a CSV text in, the report and the
    //! store's contents out.
    use std::fmt::Write as _;
    use std::fs::File;
    use std::sync::Arc;

    use caretaker_core::ReadingBatch;
    use polars::prelude::*;

    use super::super::cells::EARLIEST_MS;
    use super::super::testing::{registry, settings};
    use super::*;

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
            batch
                .push(
                    0,
                    Timestamp::parse("2024-01-01")
                        .unwrap()
                        .plus_millis(i * 300_000),
                    60.0 + (i % 7) as f64,
                )
                .unwrap();
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
}
