//! `caretaker simulate history`: deterministic, and its summary matches its files.
mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use common::{caretaker, run_ok};
use polars::prelude::*;

fn simulate(dir: &Path, out: &Path, seed: u64, csv: bool) -> String {
    let mut cmd = caretaker(&dir.join("data"));
    cmd.args([
        "simulate",
        "history",
        "--seed",
        &seed.to_string(),
        "--years",
        "0.1",
        "--out",
    ])
    .arg(out);
    if csv {
        cmd.arg("--csv");
    }
    run_ok(&mut cmd)
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_same_seed_gives_byte_identical_output_and_another_seed_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let first = simulate(tmp.path(), &a, 7, true);
    let second = simulate(tmp.path(), &b, 7, true);
    simulate(tmp.path(), &c, 8, false);
    assert_eq!(
        first.replace(&*a.to_string_lossy(), ""),
        second.replace(&*b.to_string_lossy(), "")
    );
    let (fa, fb) = (files(&a), files(&b));
    let names: Vec<&String> = fa.keys().collect();
    assert_eq!(
        names,
        [
            "events.csv",
            "events.parquet",
            "ground_truth.json",
            "readings.csv",
            "readings.parquet",
            "registry.toml",
            "summary.json"
        ]
    );
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{name} differs between two runs with seed 7"
        );
    }
    let fc = files(&c);
    assert_ne!(
        fa["readings.parquet"], fc["readings.parquet"],
        "seed 8 gave seed 7's readings"
    );
}

#[test]
fn the_summary_matches_what_the_files_contain() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let printed = simulate(tmp.path(), &out, 11, false);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();

    let readings = ParquetReader::new(std::fs::File::open(out.join("readings.parquet")).unwrap())
        .finish()
        .unwrap();
    assert_eq!(
        summary["readings"].as_u64().unwrap(),
        readings.height() as u64
    );
    assert!(
        printed.contains(&format!("readings: {}", readings.height())),
        "{printed}"
    );
    let sensors: HashSet<&str> = readings
        .column("sensor")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert_eq!(
        summary["sensors_reporting"].as_u64().unwrap(),
        sensors.len() as u64
    );
    assert!(
        readings
            .column("value")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .all(f64::is_finite)
    );

    // Failures: the events file, the ground truth and the summary agree.
    let events = ParquetReader::new(std::fs::File::open(out.join("events.parquet")).unwrap())
        .finish()
        .unwrap();
    let kinds = events.column("kind").unwrap().str().unwrap();
    let failure_events = kinds.iter().flatten().filter(|k| *k == "failure").count();
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("ground_truth.json")).unwrap()).unwrap();
    let failures = truth["failures"].as_array().unwrap();
    assert_eq!(failure_events, failures.len());
    assert_eq!(summary["failures"].as_u64().unwrap(), failures.len() as u64);
    assert_eq!(
        summary["events"]["failure"].as_u64().unwrap(),
        failures.len() as u64
    );
    assert_eq!(
        summary["events"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        events.height() as u64
    );
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    for f in failures {
        *by_kind
            .entry(f["kind"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    for (kind, n) in summary["failures_by_kind"].as_object().unwrap() {
        assert_eq!(
            n.as_u64().unwrap(),
            by_kind.get(kind).copied().unwrap_or(0),
            "{kind}"
        );
    }
    let visible = failures
        .iter()
        .filter(|f| f["visible"].as_bool().unwrap())
        .count();
    assert_eq!(
        summary["failures_with_visible_degradation"]
            .as_u64()
            .unwrap(),
        visible as u64
    );
    assert!(printed.contains("failures preceded by visible degradation"));
}

#[test]
fn a_new_data_directory_starts_from_the_sample_coop() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = run_ok(caretaker(&data).args(["registry", "check"]));
    assert!(out.contains("valid"), "{out}");
    assert!(out.contains("170 sensors"), "{out}");
    for f in [
        "registry.toml",
        "caretaker.sqlite",
        "readings",
        "quarantine",
        "models",
        "reports",
    ] {
        assert!(
            data.join(f).exists(),
            "{f} missing from a new data directory"
        );
    }
    let sample = std::fs::read_to_string(data.join("registry.toml")).unwrap();
    assert!(sample.contains("Riverbend Housing Co-operative"));
}
