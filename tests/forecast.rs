//! Forecasting end to end with the real binary: simulated history imported into a
//! data directory, `caretaker backtest`, `train`, `score`; and `caretaker eval
//! cmapss` on the published C-MAPSS FD001 files.
mod common;

use std::path::Path;

use common::{caretaker, imported_coop, run, run_ok};

#[test]
fn train_score_and_explain_on_the_simulated_coop() {
    let dir = tempfile::tempdir().unwrap();
    let data = imported_coop(dir.path(), "1");

    let out = run_ok(
        caretaker(&data)
            .args(["backtest", "--out"])
            .arg(dir.path().join("bt.json"))
            .arg("--samples")
            .arg(dir.path().join("samples.csv")),
    );
    for name in [
        "logistic_regression",
        "decision_tree",
        "random_forest",
        "baseline_rate_by_kind_and_age",
        "baseline_threshold_rule",
    ] {
        assert!(
            out.contains(name),
            "{name} missing from the backtest table:\n{out}"
        );
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("bt.json")).unwrap())
            .unwrap();
    assert!(!report["folds"].as_array().unwrap().is_empty());
    // Every sample, with its outcome and one column per feature.
    let samples = std::fs::read_to_string(dir.path().join("samples.csv")).unwrap();
    let mut lines = samples.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[..4], ["equipment", "kind", "date", "fails"]);
    assert!(header.contains(&"strongest_departure_3d"), "{header:?}");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 100, "{} samples", rows.len());
    assert!(rows.iter().all(|r| r.len() == header.len()));
    assert!(rows.iter().any(|r| r[3] == "1") && rows.iter().any(|r| r[3] == "0"));
    for r in report["results"].as_array().unwrap() {
        let cases = r["scorecard"]["cases"].as_u64().unwrap();
        assert!(cases > 0, "{r}");
    }

    let out = run_ok(caretaker(&data).args(["train", "--no-backtest"]));
    assert!(out.contains("saved in"), "{out}");
    let models = data.join("models");
    let version = std::fs::read_to_string(models.join("CURRENT")).unwrap();
    let folder = models.join(version.trim());
    for file in ["model.json", "card.json", "card.md"] {
        assert!(folder.join(file).exists(), "{file} missing");
    }
    let card = std::fs::read_to_string(folder.join("card.md")).unwrap();
    assert!(
        card.contains("Known limits") && card.contains("Features"),
        "{card}"
    );
    // In members' words first: trained without a backtest, it says it has no figures.
    assert!(
        card.starts_with("# How Caretaker's forecast works")
            && card.contains("there are no figures on how well it forecasts"),
        "{card}"
    );
    assert!(out.contains("WHAT IT LEARNED FROM"), "{out}");

    let out = run_ok(caretaker(&data).args([
        "score",
        "--at",
        "2024-11-15T00:00:00Z",
        "--format",
        "json",
    ]));
    let scores: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(scores.len(), 42, "one forecast per equipment");
    let p: Vec<f64> = scores
        .iter()
        .map(|s| s["probability"].as_f64().unwrap())
        .collect();
    assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(p.windows(2).all(|w| w[0] >= w[1]), "most at risk first");
    assert!(
        p.iter().any(|&v| v != p[0]),
        "forecasts differ between equipment"
    );
    for s in &scores {
        assert!(
            s["explanation"]
                .as_str()
                .unwrap()
                .contains("within 30 days")
                || s["down"] == true
        );
    }
    let csv = run_ok(caretaker(&data).args(["score", "--at", "2024-11-15", "--format", "csv"]));
    assert_eq!(csv.lines().count(), 43, "{csv}");
    // The table, for people: the time in the co-op's zone, equipment by name,
    // reasons in words with the points each adds.
    let table = run_ok(caretaker(&data).args(["score", "--at", "2024-11-15T17:00:00Z"]));
    assert!(
        table.starts_with("Forecasts as of 2024-11-15 12:00 EST (America/Toronto)"),
        "{table}"
    );
    assert!(table.contains("Maple Court"), "{table}");
    // A time without an offset is on the co-op's clock.
    let local = run_ok(caretaker(&data).args(["score", "--at", "2024-11-15 12:00"]));
    assert_eq!(local.lines().next(), table.lines().next());
    assert!(
        !table.contains("adds 0 points") && !table.contains("(+0 points)"),
        "{table}"
    );

    // Scored today, the history is old: a warning on stderr, plain text when
    // stderr is not a terminal (even without NO_COLOR), results alone on stdout.
    let out = run(caretaker(&data).env_remove("NO_COLOR").args(["score"]));
    assert!(out.status.success());
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(stderr.contains("forecasts rest on old data"), "{stderr}");
    assert!(
        !stdout.contains("old data"),
        "a log line on stdout: {stdout}"
    );
    assert!(
        !stdout.contains('\x1b') && !stderr.contains('\x1b'),
        "escape codes in output: {stderr}"
    );
    let out = run(caretaker(&data).args(["--log-format", "json", "score", "--format", "json"]));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let warning: serde_json::Value = stderr
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON log line"))
        .find(|l| l["level"] == "WARN")
        .unwrap_or_else(|| panic!("no warning in {stderr}"));
    assert!(
        warning["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("old data")
    );
    let scores: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(scores.len(), 42);

    // A model trained on another registry is refused with the way out.
    let registry = std::fs::read_to_string(data.join("registry.toml")).unwrap();
    let changed = dir.path().join("changed.toml");
    let moved = registry.replacen(
        "metric = \"supply_temperature\"",
        "metric = \"air_temperature\"",
        1,
    );
    assert_ne!(moved, registry);
    std::fs::write(&changed, moved).unwrap();
    let refused = run(caretaker(&data)
        .arg("--registry")
        .arg(&changed)
        .args(["score"]));
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("another registry") && err.contains("caretaker train"),
        "{err}"
    );

    // So is one saved with other feature definitions.
    let model_file = folder.join("model.json");
    let mut model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model_file).unwrap()).unwrap();
    model["feature_version"] = 0.into();
    std::fs::write(&model_file, model.to_string()).unwrap();
    let refused = run(caretaker(&data).args(["score"]));
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("feature version 0") && err.contains("caretaker train"),
        "{err}"
    );
}

#[test]
fn cmapss_fd001_fails_within_30_cycles() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fixtures/cmapss");
    let out = run_ok(
        caretaker(&tempfile::tempdir().unwrap().path().join("d"))
            .args([
                "eval", "cmapss", "--subset", "FD001", "--within", "30", "--json", "--dir",
            ])
            .arg(&dir),
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["test_engines"], 100);
    let results = report["results"].as_array().unwrap();
    let line = |name: &str| results.iter().find(|r| r["name"] == name).unwrap();
    let figures =
        |r: &serde_json::Value| (r["f1"].as_f64().unwrap(), r["pr_auc"].as_f64().unwrap());
    // The logistic regression reaches the published logistic regression's level.
    let (f1, pr_auc) = figures(line("logistic_regression"));
    assert!(f1 >= 0.93, "F1 {f1}:\n{out}");
    assert!(pr_auc >= 0.95, "PR-AUC {pr_auc}:\n{out}");
    // Every learner beats the rate baseline by far.
    let (_, rate_pr_auc) = figures(line("baseline_rate_by_kind_and_age"));
    for name in ["logistic_regression", "decision_tree", "random_forest"] {
        let (_, pr_auc) = figures(line(name));
        assert!(
            pr_auc > rate_pr_auc + 0.3,
            "{name}: {pr_auc} vs {rate_pr_auc}"
        );
    }
    // So does the learner chosen before testing, which is what a user would take.
    let (f1, pr_auc) = figures(line(report["chosen"].as_str().unwrap()));
    assert!(
        f1 >= 0.93 && pr_auc >= 0.95,
        "F1 {f1}, PR-AUC {pr_auc}:\n{out}"
    );

    let bad = run(caretaker(&tempfile::tempdir().unwrap().path().join("d"))
        .args(["eval", "cmapss", "--subset", "FD009", "--dir"])
        .arg(&dir));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("train_FD009.txt"));
}

/// FD001 flown in the six operating conditions of FD002 and FD004: each cycle in one
/// of them, each sensor shifted and scaled by its condition far more than it wears.
fn in_six_conditions(from: &Path, to: &Path, subset: &str) {
    const CONDITIONS: [[f64; 3]; 6] = [
        [0.0, 0.0, 100.0],
        [10.0, 0.25, 100.0],
        [20.0, 0.7, 100.0],
        [25.0, 0.62, 60.0],
        [35.0, 0.84, 100.0],
        [42.0, 0.84, 100.0],
    ];
    for part in ["train", "test"] {
        let text = std::fs::read_to_string(from.join(format!("{part}_FD001.txt"))).unwrap();
        let mut out = String::new();
        for (row, line) in text.lines().enumerate() {
            let fields: Vec<f64> = line
                .split_whitespace()
                .map(|v| v.parse().unwrap())
                .collect();
            let c = (row * 7 + row / 3) % 6;
            let mut values = vec![fields[0], fields[1]];
            // Setting noise as in the published files.
            values.extend(CONDITIONS[c].iter().zip(&fields[2..5]).map(|(s, n)| s + n));
            for (i, v) in fields[5..].iter().enumerate() {
                values.push(v * (1.0 + 0.02 * c as f64) + 5.0 * (c * (i % 4 + 1)) as f64);
            }
            let words: Vec<String> = values.iter().map(|v| format!("{v:.4}")).collect();
            out.push_str(&words.join(" "));
            out.push('\n');
        }
        std::fs::write(to.join(format!("{part}_{subset}.txt")), out).unwrap();
    }
    std::fs::copy(
        from.join("RUL_FD001.txt"),
        to.join(format!("RUL_{subset}.txt")),
    )
    .unwrap();
}

#[test]
fn cmapss_in_several_operating_conditions() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fixtures/cmapss");
    let dir = tempfile::tempdir().unwrap();
    in_six_conditions(&shared, dir.path(), "FD902");
    let out = run_ok(
        caretaker(&dir.path().join("d"))
            .args([
                "eval", "cmapss", "--subset", "FD902", "--within", "30", "--json", "--dir",
            ])
            .arg(dir.path()),
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["conditions"], 6, "{out}");
    let results = report["results"].as_array().unwrap();
    let chosen = results
        .iter()
        .find(|r| r["name"] == report["chosen"])
        .unwrap();
    // Normalised per condition, the wear shows through as in FD001.
    let (f1, pr_auc) = (
        chosen["f1"].as_f64().unwrap(),
        chosen["pr_auc"].as_f64().unwrap(),
    );
    assert!(
        f1 >= 0.9 && pr_auc >= 0.93,
        "F1 {f1}, PR-AUC {pr_auc}:\n{out}"
    );
}
