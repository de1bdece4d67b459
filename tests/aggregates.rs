//! The daily aggregates learning reads: kept up to date as readings arrive
//! (late and duplicate ones included) they equal a rebuild from the raw store,
//! and the features computed from them equal those computed from every raw
//! reading.
mod common;

use std::collections::BTreeMap;
use std::path::Path;

use caretaker_models::dataset::Samples;
use caretaker_models::features::FeatureSet;
use caretaker_models::history::History;
use common::{caretaker, imported_coop, run_ok};

/// Every file of the daily aggregates, by name.
fn aggregate_files(data: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(data.join("aggregates/daily"))
        .expect("the aggregates folder")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("readable"),
            )
        })
        .collect()
}

/// (count, sum) of one sensor on one day in the aggregates.
fn day_figures(data: &Path, date: &str, sensor: &str) -> (f64, f64) {
    use polars::prelude::*;
    let path = data.join(format!("aggregates/daily/date={date}.parquet"));
    let df = ParquetReader::new(std::fs::File::open(&path).expect("the day's file"))
        .finish()
        .expect("a Parquet file");
    let sensors = df.column("sensor").unwrap().str().unwrap().clone();
    let row = sensors
        .iter()
        .position(|s| s == Some(sensor))
        .unwrap_or_else(|| panic!("no {sensor} on {date}"));
    let get = |c: &str| df.column(c).unwrap().f64().unwrap().get(row).unwrap();
    (get("count"), get("sum"))
}

#[test]
fn aggregates_kept_up_to_date_equal_a_rebuild_with_late_and_duplicate_readings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = imported_coop(dir.path(), "0.2");
    // The import computed them.
    let before = aggregate_files(&data);
    assert!(before.len() > 50, "{} files", before.len());

    // A gateway back from an outage sends readings of an old day (late), some of
    // them sent before (duplicates: the first value stays).
    let readings = common::parquet_readings(&dir.path().join("sim/readings.parquet"));
    let (sensor, ts, value) = readings[1000].clone();
    let day_ms = ts - ts.rem_euclid(86_400_000);
    let date = chrono::DateTime::from_timestamp_millis(day_ms)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let (count_before, sum_before) = day_figures(&data, &date, &sensor);
    let mut csv = String::from("sensor,ts,value\n");
    // Late: at times no reading was taken (half past each second).
    for i in 0..5 {
        csv.push_str(&format!(
            "{sensor},{},{}\n",
            day_ms + i * 60_000 + 500,
            10.0 + i as f64
        ));
    }
    // Duplicates and a conflict.
    csv.push_str(&format!("{sensor},{ts},{value}\n"));
    csv.push_str(&format!("{sensor},{ts},{}\n", value + 1.0));
    let file = dir.path().join("late.csv");
    std::fs::write(&file, csv).unwrap();
    run_ok(caretaker(&data).args(["import", "readings"]).arg(&file));
    // Refreshed once more by a reader, as training does.
    run_ok(caretaker(&data).args(["aggregates", "refresh"]));

    let (count_after, sum_after) = day_figures(&data, &date, &sensor);
    assert_eq!(
        count_after,
        count_before + 5.0,
        "five late readings counted once"
    );
    assert!(
        (sum_after - sum_before - 60.0).abs() < 1e-9,
        "{sum_before} -> {sum_after}"
    );
    let kept = aggregate_files(&data);
    let changed: Vec<&String> = kept
        .iter()
        .filter(|(name, bytes)| before.get(*name) != Some(bytes))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        changed,
        [
            &format!("date={date}.parquet"),
            &format!("date={date}.source")
        ],
        "only the late day changes"
    );

    let out = run_ok(caretaker(&data).args(["aggregates", "rebuild"]));
    assert!(out.contains("days computed"), "{out}");
    let rebuilt = aggregate_files(&data);
    assert_eq!(kept.len(), rebuilt.len());
    for (name, bytes) in &kept {
        assert!(
            rebuilt.get(name) == Some(bytes),
            "{name} differs between the kept aggregates and a rebuild"
        );
    }
}

/// A data directory holding `years` of the sample co-op whose sensors report at
/// most hourly: long enough a history at little cost.
fn imported_hourly_coop(dir: &Path, years: &str) -> std::path::PathBuf {
    let registry = include_str!("../data/sample-coop.toml")
        .lines()
        .map(|line| match line.trim().strip_prefix("interval_s = ") {
            Some(seconds) if seconds.parse::<u32>().is_ok_and(|s| s < 3600) => {
                "interval_s = 3600".to_owned()
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("registry.toml"), registry).unwrap();
    let sim = dir.join("sim");
    run_ok(
        caretaker(&data)
            .args(["simulate", "history", "--years", years, "--out"])
            .arg(&sim),
    );
    for what in ["readings", "events"] {
        run_ok(
            caretaker(&data)
                .args(["import", what])
                .arg(sim.join(format!("{what}.parquet"))),
        );
    }
    data
}

/// Over most of a year, so that the day table, read forward, lets go of days
/// (`models::daily::DayWindow`) while features are still computed.
#[test]
fn features_from_the_aggregates_equal_features_from_every_raw_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = imported_hourly_coop(dir.path(), "0.8");
    let registry = caretaker_data::parse_registry(
        &std::fs::read_to_string(data.join("registry.toml")).unwrap(),
        "registry.toml",
    )
    .expect("the registry");
    let (raw, first, last) = caretaker_ingest::store::scan_store(&data.join("readings"))
        .unwrap()
        .expect("readings");
    let daily = caretaker_ingest::aggregates::scan(&data.join("aggregates"))
        .unwrap()
        .expect("aggregates");
    assert_eq!((first, last), (daily.first_day, daily.last_day));
    let from_raw = History::from_store(&registry, raw, Vec::new(), first, last + 1);
    let from_daily =
        History::from_daily_aggregates(&registry, daily.chunks, Vec::new(), first, last + 1);
    let features = FeatureSet::for_history(&from_raw);
    let a = Samples::build(&from_raw, &features, 30, 7).unwrap();
    let b = Samples::build(&from_daily, &features, 30, 7).unwrap();
    assert!(a.len() > 100, "{} samples", a.len());
    assert_eq!(a.rows, b.rows);
    let last = b.rows.last().expect("samples").day - from_daily.start_day;
    assert!(
        last >= caretaker_models::features::LOOKBACK_DAYS + 128,
        "the last sample, {last} days in, comes before the day table lets go of days"
    );
    let names = features.names();
    let width = features.features.len();
    let rows = |s: &Samples| {
        (0..s.len())
            .map(|r| s.feature_row(r, width))
            .collect::<Vec<_>>()
    };
    let (a_rows, b_rows) = (rows(&a), rows(&b));
    let pairs = a_rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| row.iter().enumerate().map(move |(j, &x)| ((i, j), x)));
    for ((i, j), x) in pairs {
        let y = b_rows[i][j];
        let same = (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * x.abs().max(1.0);
        assert!(
            same,
            "sample {i}, {}: {x} from raw readings, {y} from aggregates",
            names[j]
        );
    }
}
