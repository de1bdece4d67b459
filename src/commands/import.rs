//! `caretaker import readings|events FILE...`: history from CSV and Parquet files.
//!
//! Parsing and checking live in `caretaker_ingest::import`; here the files are
//! opened up front (a file that cannot be read or has no recognisable columns
//! stops the command before anything is imported), `--create-missing` extends
//! the registry file, readings go into the Parquet store and events into the
//! operational store, with a progress bar on stderr and the report on stdout.
use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use caretaker_core::{EquipmentId, EquipmentKind, Metric, Registry, Timestamp};
use caretaker_data::{glob_match, parse_registry};
use caretaker_ingest::import::{
    EventsFile, FileFormat, ImportReport, ImportSettings, MissingSensor, ReadingsFile,
    find_missing_sensors, import_readings, new_sensor_id, read_events,
};
use caretaker_ingest::store::ReadingsStore;
use indicatif::{ProgressBar, ProgressStyle};
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use crate::cli::{ImportCommand, ImportEventsArgs, ImportReadingsArgs};
use crate::config::Config;
use crate::context::Context;

/// Events inserted per transaction.
const EVENTS_PER_INSERT: usize = 5_000;

pub async fn run(config: &Config, cmd: ImportCommand) -> anyhow::Result<()> {
    match cmd {
        ImportCommand::Readings(args) => readings(config, args).await,
        ImportCommand::Events(args) => events(config, args).await,
    }
}

async fn readings(config: &Config, args: ImportReadingsArgs) -> anyhow::Result<()> {
    let kind = args.kind;
    let mut ctx = Context::open(config).await?;
    let files = args
        .files
        .iter()
        .map(|path| ReadingsFile::open(path))
        .collect::<Result<Vec<_>, _>>()?;
    let settings = ImportSettings {
        timezone: ctx.registry.coop().timezone,
        ..ImportSettings::default()
    };
    // Take the store first: if ingest holds it, fail before changing the registry.
    let store = ReadingsStore::open(&ctx.data.readings_dir(), Arc::new(ctx.registry.clone()))?;
    let mut registry_changed = false;
    if args.create_missing {
        let mut missing: BTreeMap<(EquipmentId, Metric), MissingSensor> = BTreeMap::new();
        for file in &files {
            for m in find_missing_sensors(file, &ctx.registry, &settings)? {
                let entry = missing
                    .entry((m.equipment.clone(), m.metric))
                    .or_insert_with(|| m.clone());
                entry.first = entry.first.min(m.first);
            }
        }
        if !missing.is_empty() {
            let missing: Vec<MissingSensor> = missing.into_values().collect();
            add_to_registry(&mut ctx, &missing, kind, Timestamp::now()).await?;
            registry_changed = true;
        }
    }

    let began = Instant::now();
    let mut store = if registry_changed {
        // Sensor indexes changed: reopen the store on the new registry.
        drop(store);
        ReadingsStore::open(&ctx.data.readings_dir(), Arc::new(ctx.registry.clone()))?
    } else {
        store
    };
    let mut total = ImportReport::default();
    for (i, file) in files.iter().enumerate() {
        let bar = progress_bar(
            file.progress_total(),
            file.format(),
            &label(file.path(), i, files.len()),
        );
        let imported = import_readings(file, &mut store, &settings, &mut |n| bar.set_position(n));
        bar.finish_and_clear();
        match imported {
            Ok(report) => total.merge(report, settings.examples),
            Err(e) => {
                if total.files > 0 {
                    print!("imported before the error:\n{total}");
                }
                return Err(e.into());
            }
        }
    }
    store.compact(config.ingest.compact_min_files)?;
    drop(store);
    // The days the import wrote get their daily aggregates now, not at the next training.
    super::aggregates::refresh(&ctx.data)?;
    let seconds = began.elapsed().as_secs_f64();
    print!("{total}");
    eprintln!(
        "read {} rows in {seconds:.1} s ({:.0} rows/s); peak memory {}",
        total.rows,
        total.rows as f64 / seconds.max(1e-9),
        peak_memory().map_or("unknown".into(), |kb| format!(
            "{:.0} MiB",
            kb as f64 / 1024.0
        )),
    );
    Ok(())
}

async fn events(config: &Config, args: ImportEventsArgs) -> anyhow::Result<()> {
    let ctx = Context::open(config).await?;
    let files = args
        .files
        .iter()
        .map(|path| EventsFile::open(path))
        .collect::<Result<Vec<_>, _>>()?;
    let settings = ImportSettings {
        timezone: ctx.registry.coop().timezone,
        ..ImportSettings::default()
    };
    let mut total = ImportReport::default();
    for (i, file) in files.iter().enumerate() {
        let bar = progress_bar(
            file.progress_total(),
            file.format(),
            &label(file.path(), i, files.len()),
        );
        let (events, mut report) =
            read_events(file, &ctx.registry, &settings, &mut |n| bar.set_position(n))?;
        bar.finish_and_clear();
        store_events(&ctx, file.path(), &events, &mut report).await?;
        total.merge(report, settings.examples);
    }
    print!("{total}");
    Ok(())
}

/// Inserts the events with source `import:<file name>`; fills in the report's new and duplicate counts.
async fn store_events(
    ctx: &Context,
    path: &Path,
    events: &[caretaker_core::Event],
    report: &mut ImportReport,
) -> anyhow::Result<()> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let source = format!("import:{name}");
    let mut new = 0;
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        new += ctx.store.insert_events(chunk, &source).await?;
    }
    report.imported = new;
    report.duplicates = events.len() as u64 - new;
    Ok(())
}

fn label(path: &Path, i: usize, n: usize) -> String {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    if n > 1 {
        format!("{name} ({}/{n})", i + 1)
    } else {
        name
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
fn progress_bar(total: u64, format: FileFormat, label: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template = match format {
        FileFormat::Csv => {
            "{msg} [{bar:40}] {binary_bytes}/{binary_total_bytes}, {binary_bytes_per_sec}, eta {eta}"
        }
        FileFormat::Parquet => {
            "{msg} [{bar:40}] {human_pos}/{human_len} rows, {per_sec}, eta {eta}"
        }
    };
    let bar = ProgressBar::new(total)
        .with_style(ProgressStyle::with_template(template).expect("valid template"));
    bar.set_message(label.to_owned());
    bar
}

/// Peak resident memory of this process (kB), where the OS tells it.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Adds the missing equipment and sensors to the registry file in use (after
/// everything it holds, its comments and layout kept), checks the result as any
/// registry is checked, and only then writes it (atomically) and records it in
/// the operational store.
async fn add_to_registry(
    ctx: &mut Context,
    missing: &[MissingSensor],
    kind: Option<EquipmentKind>,
    now: Timestamp,
) -> anyhow::Result<()> {
    let path = ctx.registry_path.clone();
    let today = now.to_datetime().date_naive();
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read registry {}", path.display()))?;
    let additions = registry_additions(&ctx.registry, missing, kind, today)?;
    let updated = extend_registry(&text, additions.tables)
        .map_err(|e| anyhow::anyhow!("--create-missing: cannot add to {}: {e}", path.display()))?;
    let registry = parse_registry(&updated, &path.display().to_string()).map_err(|e| {
        anyhow::anyhow!(
            "--create-missing: the registry with the additions would not be valid, so it was not changed\n{e}"
        )
    })?;
    write_atomically(&path, &updated)?;
    ctx.store
        .sync_registry(&registry, &path.display().to_string(), &updated)
        .await?;
    ctx.registry = registry;
    println!("added to {} (review these values):", path.display());
    for line in &additions.summary {
        println!("  {line}");
    }
    Ok(())
}

/// Tables to add to a registry, and a line per addition for the user.
struct Additions {
    /// `("equipment" | "sensor", table)`, in the order they are to appear.
    tables: Vec<(&'static str, Table)>,
    summary: Vec<String>,
}

/// `text` (a registry) with `tables` added to its arrays of tables, after
/// everything it holds: what was there, comments included, stays as it was.
fn extend_registry(text: &str, tables: Vec<(&'static str, Table)>) -> anyhow::Result<String> {
    let mut doc: DocumentMut = text.parse()?;
    // Tables print in the order of their positions: the new ones go last, after
    // the comment (if any) that ends the file.
    let mut position = last_position(doc.as_table());
    let trailing = doc.trailing().as_str().unwrap_or_default().to_owned();
    doc.set_trailing("");
    for (i, (key, mut table)) in tables.into_iter().enumerate() {
        if i == 0 && !trailing.is_empty() {
            let prefix = format!(
                "{trailing}{}",
                table
                    .decor()
                    .prefix()
                    .and_then(|p| p.as_str())
                    .unwrap_or_default()
            );
            table.decor_mut().set_prefix(prefix);
        }
        position += 1;
        table.set_position(Some(position));
        doc.entry(key)
            .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()))
            .as_array_of_tables_mut()
            .with_context(|| format!("`{key}` is not an array of tables ([[{key}]])"))?
            .push(table);
    }
    Ok(doc.to_string())
}

/// The largest position of a table in `table`, nested ones included (0 if none).
fn last_position(table: &Table) -> isize {
    let mut last = table.position().unwrap_or(0);
    for (_, item) in table.iter() {
        match item {
            Item::Table(t) => last = last.max(last_position(t)),
            Item::ArrayOfTables(a) => {
                last = a.iter().map(last_position).fold(last, isize::max);
            }
            _ => {}
        }
    }
    last
}

/// A TOML array of `items`.
fn array<V: Into<toml_edit::Value>>(items: impl IntoIterator<Item = V>) -> Item {
    value(items.into_iter().collect::<Array>())
}

/// The `[[equipment]]` and `[[sensor]]` tables for what is missing, with defaults:
/// the building the equipment id starts with (`B-...`), else the first; serving
/// every unit of that building; installed on the day of its earliest reading
/// (today at the latest); costs 0, criticality 3; sensors named
/// `<equipment>-<metric>`, in the metric's unit, expected over its whole
/// physical range, every 300 s.
fn registry_additions(
    registry: &Registry,
    missing: &[MissingSensor],
    kind: Option<EquipmentKind>,
    today: chrono::NaiveDate,
) -> anyhow::Result<Additions> {
    let mut new_equipment: BTreeMap<&EquipmentId, Timestamp> = BTreeMap::new();
    for m in missing.iter().filter(|m| !m.equipment_known) {
        let first = new_equipment.entry(&m.equipment).or_insert(m.first);
        *first = (*first).min(m.first);
    }
    let kind = match kind {
        Some(kind) => kind,
        None if new_equipment.is_empty() => EquipmentKind::Boiler,
        None => anyhow::bail!(
            "--create-missing: {} not in the registry ({}): say what kind with --kind KIND ({}), \
             or add {} to {} by hand",
            if new_equipment.len() == 1 {
                "1 piece of equipment is"
            } else {
                "several pieces of equipment are"
            },
            new_equipment
                .keys()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            EquipmentKind::names().join(", "),
            if new_equipment.len() == 1 {
                "it"
            } else {
                "them"
            },
            "the registry"
        ),
    };
    let first_building = registry
        .buildings()
        .first()
        .context("--create-missing: the registry has no building to put new equipment in")?;
    let mut tables = Vec::new();
    let mut summary = Vec::new();
    let comment = format!("# added by caretaker import on {today}: review these values");
    for (id, first) in &new_equipment {
        let building = registry
            .buildings()
            .iter()
            .filter(|b| {
                id.as_str()
                    .strip_prefix(b.id.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
            })
            .max_by_key(|b| b.id.as_str().len())
            .unwrap_or(first_building);
        let units: Vec<&str> = registry
            .units()
            .iter()
            .filter(|u| u.building == building.id)
            .map(|u| u.id.as_str())
            .collect();
        anyhow::ensure!(
            !units.is_empty(),
            "--create-missing: building {} has no units for {id} to serve: add {id} to the registry by hand",
            building.id
        );
        // `B-*` if that pattern means exactly the building's units, else the list.
        let pattern = format!("{}-*", building.id);
        let by_pattern = registry
            .units()
            .iter()
            .filter(|u| glob_match(&pattern, u.id.as_str()))
            .count();
        let serves = if by_pattern == units.len() && units.iter().all(|u| glob_match(&pattern, u)) {
            vec![pattern]
        } else {
            units.iter().map(|u| u.to_string()).collect()
        };
        let installed = first.to_datetime().date_naive().min(today);
        let mut table = Table::new();
        table.decor_mut().set_prefix(format!("\n{comment}\n"));
        table["id"] = value(id.as_str());
        table["building"] = value(building.id.as_str());
        table["kind"] = value(kind.name());
        table["name"] = value(format!("{id} ({})", kind.label()));
        table["installed"] = value(toml_date(installed)?);
        table["replacement_cost"] = value(0);
        table["failure_cost"] = value(0);
        table["criticality"] = value(3);
        table["serves"] = array(serves.iter().map(String::as_str));
        tables.push(("equipment", table));
        summary.push(format!(
            "equipment {id}: {kind}, building {}, installed {installed}, serves {}",
            building.id,
            serves.join(", ")
        ));
    }
    for m in missing {
        let id = new_sensor_id(&m.equipment, m.metric).with_context(|| {
            format!(
                "--create-missing: cannot name a {} sensor for {}",
                m.metric, m.equipment
            )
        })?;
        let (lo, hi) = m.metric.physical_range();
        let mut table = Table::new();
        table.decor_mut().set_prefix(format!("\n{comment}\n"));
        table["id"] = value(id.as_str());
        table["equipment"] = value(m.equipment.as_str());
        table["metric"] = value(m.metric.name());
        table["unit"] = value(m.metric.unit());
        table["expected_range"] = array([lo, hi]);
        table["interval_s"] = value(300);
        tables.push(("sensor", table));
        summary.push(format!(
            "sensor {id}: {} of {} ({} row{})",
            m.metric,
            m.equipment,
            m.rows,
            if m.rows == 1 { "" } else { "s" }
        ));
    }
    Ok(Additions { tables, summary })
}

/// A day as a TOML local date (`2024-02-01`).
fn toml_date(day: chrono::NaiveDate) -> anyhow::Result<toml_edit::Datetime> {
    use chrono::Datelike as _;
    let year = u16::try_from(day.year()).with_context(|| format!("year of {day}"))?;
    Ok(toml_edit::Datetime {
        date: Some(toml_edit::Date {
            year,
            month: day.month() as u8,
            day: day.day() as u8,
        }),
        time: None,
        offset: None,
    })
}

/// Writes `text` to `path` atomically (`atomic-write-file`: a hidden temporary
/// name, fsync, rename, folder fsync), keeping the file's permissions.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let write = || -> std::io::Result<()> {
        let mut file = atomic_write_file::AtomicWriteFile::open(path)?;
        file.write_all(text.as_bytes())?;
        file.commit()
    };
    write().with_context(|| format!("cannot write registry {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(equipment: &str, metric: Metric, known: bool) -> MissingSensor {
        MissingSensor {
            equipment: EquipmentId::parse(equipment).unwrap(),
            metric,
            equipment_known: known,
            first: Timestamp::parse("2024-02-01T12:00:00Z").unwrap(),
            rows: 2,
        }
    }

    #[test]
    fn additions_keep_the_registry_comments_and_layout() {
        let text = caretaker_data::SAMPLE_REGISTRY.replace(
            "[coop]\n",
            "[coop]   # who we are\n# a comment inside a table\n",
        ) + "\n# The end of the file, after the last table.\n";
        let registry = parse_registry(&text, "test").unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let additions = registry_additions(
            &registry,
            &[
                missing("B-SUMP-9", Metric::WaterLevel, false),
                missing("B-SUMP-9", Metric::RunState, false),
            ],
            Some(EquipmentKind::SumpPump),
            today,
        )
        .unwrap();
        let updated = extend_registry(&text, additions.tables).unwrap();

        assert!(updated.starts_with(&text), "the registry was rewritten");
        let added = &updated[text.len()..];
        let comment = "\n# added by caretaker import on 2024-03-01: review these values\n";
        assert!(
            added.starts_with(&format!("{comment}[[equipment]]\nid = \"B-SUMP-9\"\n")),
            "{added}"
        );
        assert_eq!(added.matches(comment).count(), 3, "{added}");
        assert!(
            added.contains(
                "[[sensor]]\nid = \"B-SUMP-9-water_level\"\nequipment = \"B-SUMP-9\"\n\
                 metric = \"water_level\"\nunit = \"cm\"\n"
            ),
            "{added}"
        );
        assert!(added.contains("installed = 2024-02-01\n"), "{added}");
        let extended = parse_registry(&updated, "test").unwrap();
        assert_eq!(extended.sensors().len(), registry.sensors().len() + 2);
    }

    #[test]
    fn a_registry_without_such_tables_gets_them_and_a_misshapen_one_is_refused() {
        let table = || {
            let mut t = Table::new();
            t["id"] = value("X");
            t
        };
        assert_eq!(
            extend_registry("# only a comment\n", vec![("sensor", table())]).unwrap(),
            "# only a comment\n[[sensor]]\nid = \"X\"\n"
        );
        let err = extend_registry("sensor = 3\n", vec![("sensor", table())]).unwrap_err();
        assert!(err.to_string().contains("not an array of tables"), "{err}");
    }
}
