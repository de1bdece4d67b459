//! `caretaker import` end to end: the real binary, real files in a temporary
//! folder, the real Parquet store and SQLite database.
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{caretaker, run, run_ok};
use polars::prelude::*;

/// Simulates about 18 days (readings and events, Parquet and CSV) into `dir/sim`.
fn simulate(dir: &Path) -> PathBuf {
    let out = dir.join("sim");
    run_ok(
        caretaker(&dir.join("sim-data"))
            .args(["simulate", "history", "--years", "0.05", "--csv", "--out"])
            .arg(&out),
    );
    out
}

/// Every reading in a Parquet file with the readings schema, sorted.
fn file_readings(path: &Path) -> Vec<(String, i64, f64)> {
    let mut out = common::parquet_readings(path);
    sort(&mut out);
    out
}

fn sort(readings: &mut [(String, i64, f64)]) {
    readings.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
}

/// Every reading in the store under `data/readings`, sorted.
fn store(data: &Path) -> Vec<(String, i64, f64)> {
    let mut out = common::stored_readings(data);
    sort(&mut out);
    out
}

/// Every file in the store's day partitions (`readings/date=.../`), sorted.
fn parquet_files(data: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(data.join("readings")) else {
        return files;
    };
    for day in entries.flatten() {
        if day.file_name().to_string_lossy().starts_with("date=") {
            for f in std::fs::read_dir(day.path()).unwrap().flatten() {
                files.push(f.path());
            }
        }
    }
    files.sort();
    files
}

/// A count from the report (`imported: 12 new readings` gives 12 for `imported`).
fn count(report: &str, what: &str) -> u64 {
    report
        .lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{what}: "))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no {what:?} line in\n{report}"))
}

fn import(data: &Path, args: &[&str]) -> String {
    run_ok(caretaker(data).arg("import").args(args))
}

fn import_fails(data: &Path, args: &[&str]) -> String {
    let out: Output = run(caretaker(data).arg("import").args(args));
    assert!(
        !out.status.success(),
        "import succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn simulated_readings_import_exactly_from_parquet_and_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = simulate(tmp.path());
    let expected = file_readings(&sim.join("readings.parquet"));
    assert!(
        expected.len() > 100_000,
        "only {} readings simulated",
        expected.len()
    );

    let data = tmp.path().join("data");
    let parquet = sim.join("readings.parquet");
    let report = import(&data, &["readings", path_str(&parquet)]);
    assert_eq!(
        count(&report, "rows read"),
        expected.len() as u64,
        "{report}"
    );
    assert_eq!(
        count(&report, "imported"),
        expected.len() as u64,
        "{report}"
    );
    assert_eq!(count(&report, "rejected"), 0, "{report}");
    let stored = store(&data);
    assert!(
        stored == expected,
        "the store differs from the file ({} vs {} readings)",
        stored.len(),
        expected.len()
    );

    // Again: every row a duplicate, the store unchanged (the same files, too).
    let files_before = parquet_files(&data);
    let report = import(&data, &["readings", path_str(&parquet)]);
    assert_eq!(count(&report, "imported"), 0, "{report}");
    assert_eq!(
        count(&report, "duplicates"),
        expected.len() as u64,
        "{report}"
    );
    assert_eq!(count(&report, "conflicts"), 0, "{report}");
    assert_eq!(parquet_files(&data), files_before);
    assert!(
        store(&data) == expected,
        "the second import changed the store"
    );

    // The CSV twin into a fresh data directory gives the same store.
    let data_csv = tmp.path().join("data-csv");
    let report = import(
        &data_csv,
        &["readings", path_str(&sim.join("readings.csv"))],
    );
    assert_eq!(
        count(&report, "imported"),
        expected.len() as u64,
        "{report}"
    );
    assert_eq!(count(&report, "rejected"), 0, "{report}");
    assert!(
        store(&data_csv) == expected,
        "the CSV import differs from the Parquet file"
    );
}

#[test]
fn long_csv_rows_are_checked_and_reported_with_their_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let csv = tmp.path().join("long.csv");
    std::fs::write(
        &csv,
        " Equipment ,METRIC,Timestamp,Value\n\
         A-BLR-1,supply_temperature,2024-03-01T00:00:00Z,71.5\n\
         A-BLR-1,supply_temperature,2024-03-01T00:05:00+00:00,72\n\
         Z-NOPE-1,supply_temperature,2024-03-01T00:00:00Z,70\n\
         A-BLR-1,supply_temperature,the first of March,70\n\
         A-BLR-1,supply_temperature,2024-03-01T00:10:00Z,NaN\n\
         A-BLR-1,supply_temperature,2024-03-01T00:15:00Z,900\n\
         A-BLR-1,supply_temperature,2024-03-02,70.25\n",
    )
    .unwrap();
    let report = import(&data, &["readings", path_str(&csv)]);
    assert_eq!(count(&report, "rows read"), 7, "{report}");
    assert_eq!(count(&report, "imported"), 3, "{report}");
    assert_eq!(count(&report, "rejected"), 4, "{report}");
    let shown = path_str(&csv);
    for (reason, line) in [
        ("unknown_equipment", 4),
        ("bad_timestamp", 5),
        ("non_finite", 6),
        ("out_of_range", 7),
    ] {
        assert!(
            report.contains(&format!("  {reason}: 1\n    {shown}:{line}: ")),
            "{reason} at line {line} not in\n{report}"
        );
    }
    let t = |s: &str| caretaker_core::Timestamp::parse(s).unwrap().millis();
    let supply = |ts: &str, v: f64| ("A-BLR-1-supply".to_owned(), t(ts), v);
    assert_eq!(
        store(&data),
        [
            supply("2024-03-01T00:00:00Z", 71.5),
            supply("2024-03-01T00:05:00Z", 72.0),
            // A bare date is midnight in the sample co-op's zone (America/Toronto).
            supply("2024-03-02T05:00:00Z", 70.25),
        ]
    );
}

#[test]
fn create_missing_adds_equipment_and_sensors_to_the_registry() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let csv = tmp.path().join("sump.csv");
    std::fs::write(
        &csv,
        "equipment,metric,ts,value\n\
         B-SUMP-9,water_level,2024-02-02T00:00:00Z,12.5\n\
         B-SUMP-9,water_level,2024-02-01T12:00:00Z,11\n\
         B-SUMP-9,run_state,2024-02-01T12:00:00Z,1\n\
         B-SUMP-9,water_level,2024-02-03T00:00:00Z,-500\n",
    )
    .unwrap();

    // Without --create-missing the rows are refused; with it but no --kind, nothing happens.
    let report = import(&data, &["readings", path_str(&csv)]);
    assert_eq!(count(&report, "imported"), 0, "{report}");
    assert!(report.contains("unknown_equipment: 4"), "{report}");
    let registry_before = std::fs::read_to_string(data.join("registry.toml")).unwrap();
    let err = import_fails(&data, &["readings", "--create-missing", path_str(&csv)]);
    assert!(err.contains("--kind"), "{err}");
    assert!(err.contains("B-SUMP-9"), "{err}");
    assert_eq!(
        std::fs::read_to_string(data.join("registry.toml")).unwrap(),
        registry_before
    );

    let report = import(
        &data,
        &[
            "readings",
            "--create-missing",
            "--kind",
            "sump_pump",
            path_str(&csv),
        ],
    );
    assert!(
        report.contains("equipment B-SUMP-9: sump_pump, building B, installed 2024-02-01"),
        "{report}"
    );
    assert_eq!(count(&report, "imported"), 3, "{report}");
    assert!(report.contains("out_of_range: 1"), "{report}");
    let registry = std::fs::read_to_string(data.join("registry.toml")).unwrap();
    assert!(
        registry.starts_with(&registry_before),
        "the registry was rewritten, not extended"
    );
    let added = &registry[registry_before.len()..];
    for expected in [
        "# added by caretaker import on ",
        "[[equipment]]\nid = \"B-SUMP-9\"\nbuilding = \"B\"\nkind = \"sump_pump\"",
        "installed = 2024-02-01\nreplacement_cost = 0\nfailure_cost = 0\ncriticality = 3",
        "[[sensor]]\nid = \"B-SUMP-9-water_level\"\nequipment = \"B-SUMP-9\"\nmetric = \"water_level\"\nunit = \"cm\"",
        "id = \"B-SUMP-9-run_state\"",
        "interval_s = 300",
    ] {
        assert!(
            added.contains(expected),
            "{expected:?} not in the additions:\n{added}"
        );
    }
    let check = run_ok(caretaker(&data).args(["registry", "check"]));
    assert!(check.contains(": valid"), "{check}");
    let sensors: BTreeMap<String, usize> =
        store(&data).into_iter().fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r.0).or_default() += 1;
            m
        });
    assert_eq!(
        sensors,
        BTreeMap::from([
            ("B-SUMP-9-run_state".to_owned(), 1),
            ("B-SUMP-9-water_level".to_owned(), 2)
        ])
    );

    // Once known, the same file imports as duplicates and adds nothing to the registry.
    let report = import(
        &data,
        &[
            "readings",
            "--create-missing",
            "--kind",
            "sump_pump",
            path_str(&csv),
        ],
    );
    assert_eq!(count(&report, "duplicates"), 3, "{report}");
    assert_eq!(
        std::fs::read_to_string(data.join("registry.toml")).unwrap(),
        registry
    );
}

/// Distinct events of a simulated events file, as the store's unique index sees them.
fn distinct_events(path: &Path) -> usize {
    let df = ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap();
    df.unique_stable(
        Some(&[
            "equipment".into(),
            "ts".into(),
            "kind".into(),
            "description".into(),
        ]),
        UniqueKeepStrategy::First,
        None,
    )
    .unwrap()
    .height()
}

fn stored_events(data: &Path) -> u64 {
    let out = run_ok(caretaker(data).args(["registry", "check"]));
    out.lines()
        .find_map(|l| {
            l.strip_prefix("operational store: ")?
                .split(", ")
                .nth(2)?
                .strip_suffix(" events")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no operational store line in\n{out}"))
}

#[test]
fn simulated_events_import_once() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = simulate(tmp.path());
    let expected = distinct_events(&sim.join("events.parquet")) as u64;
    assert!(expected > 0);
    let data = tmp.path().join("data");
    let report = import(&data, &["events", path_str(&sim.join("events.csv"))]);
    assert_eq!(count(&report, "rejected"), 0, "{report}");
    assert_eq!(count(&report, "imported"), expected, "{report}");
    assert_eq!(stored_events(&data), expected);

    let report = import(&data, &["events", path_str(&sim.join("events.csv"))]);
    assert_eq!(count(&report, "imported"), 0, "{report}");
    let report = import(&data, &["events", path_str(&sim.join("events.parquet"))]);
    assert_eq!(count(&report, "imported"), 0, "{report}");
    assert_eq!(stored_events(&data), expected);
}

#[test]
fn unreadable_files_fail_clearly_and_import_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let good = tmp.path().join("good.csv");
    std::fs::write(
        &good,
        "sensor,ts,value\nA-BLR-1-supply,2024-03-01T00:00:00Z,70\n",
    )
    .unwrap();
    let odd = tmp.path().join("odd.csv");
    std::fs::write(&odd, "when;what;how much\n").unwrap();
    let err = import_fails(&data, &["readings", path_str(&good), path_str(&odd)]);
    assert!(
        err.contains("odd.csv: no recognisable columns (found: when;what;how much)"),
        "{err}"
    );
    let err = import_fails(
        &data,
        &["readings", path_str(&tmp.path().join("absent.parquet"))],
    );
    assert!(err.contains("absent.parquet"), "{err}");
    let err = import_fails(
        &data,
        &["events", path_str(&tmp.path().join("events.json"))],
    );
    assert!(err.contains("expected a .csv or .parquet file"), "{err}");
    assert!(store(&data).is_empty(), "something was imported");
}

#[test]
fn readings_import_refuses_a_store_another_process_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let csv = tmp.path().join("sump.csv");
    std::fs::write(
        &csv,
        "equipment,metric,ts,value\nB-SUMP-9,water_level,2024-02-02T00:00:00Z,12.5\n",
    )
    .unwrap();
    // As `caretaker ingest` would: hold the store's lock.
    run_ok(caretaker(&data).args(["registry", "check"]));
    std::fs::create_dir_all(data.join("readings")).unwrap();
    let lock = std::fs::File::create(data.join("readings/.lock")).unwrap();
    lock.try_lock().unwrap();
    let registry_before = std::fs::read_to_string(data.join("registry.toml")).unwrap();
    let err = import_fails(
        &data,
        &[
            "readings",
            "--create-missing",
            "--kind",
            "sump_pump",
            path_str(&csv),
        ],
    );
    assert!(err.contains("in use"), "{err}");
    assert_eq!(
        std::fs::read_to_string(data.join("registry.toml")).unwrap(),
        registry_before,
        "the registry changed although nothing could be imported"
    );
    drop(lock);
    let report = import(
        &data,
        &[
            "readings",
            "--create-missing",
            "--kind",
            "sump_pump",
            path_str(&csv),
        ],
    );
    assert_eq!(count(&report, "imported"), 1, "{report}");
}
