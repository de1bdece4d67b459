//! `caretaker demo`, as the README's quickstart runs it: a simulated co-op's
//! history stored, a model trained, ingest and the API started with simulated
//! gateways publishing live, and ranked work orders served over HTTP.
mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{caretaker, free_port, http};

#[test]
fn the_demo_starts_and_serves_ranked_work_orders_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let port = free_port();
    let mut child = caretaker(&dir.path().join("unused"))
        .args(["demo", "--years", "1", "--duration", "40s", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--dir")
        .arg(&demo_dir)
        .env(
            "CARETAKER_MQTT__EMBEDDED_LISTEN",
            format!("127.0.0.1:{}", free_port()),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("caretaker demo starts");
    let began = Instant::now();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut committee = None;
    let mut resident = None;
    let mut output = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        output.push_str(&line);
        output.push('\n');
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.first() {
            Some(&"committee") => committee = words.get(1).map(|s| s.to_string()),
            Some(&"resident") => resident = words.last().map(|s| s.to_string()),
            _ => {}
        }
        if line.starts_with("Top of the ranking") {
            break;
        }
        assert!(began.elapsed() < Duration::from_secs(600), "{output}");
    }
    assert!(output.contains("Caretaker demo is running"), "{output}");
    let committee = committee.unwrap_or_else(|| panic!("no committee token in:\n{output}"));
    let resident = resident.unwrap_or_else(|| panic!("no resident token in:\n{output}"));

    let orders = http(port, "GET", "/api/v1/work-orders", Some(&committee), None);
    assert_eq!(orders.status, 200, "{}", orders.body);
    let orders = orders.json();
    let mut items = orders["items"].as_array().unwrap().clone();
    if items.is_empty() {
        // No machine is worth acting on today (the simulated history ends now, so
        // this depends on the day): the risk board still ranks every one, with reasons.
        let board = http(port, "GET", "/api/v1/risks", Some(&committee), None).json();
        items = board["risks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut a = r["assessment"].clone();
                a["explanation"] = a["summary"].clone();
                a
            })
            .collect();
        assert!(
            !items.is_empty(),
            "no proposed orders and no risks: {board}\n{output}"
        );
    }
    let benefits: Vec<f64> = items
        .iter()
        .map(|o| o["expected_benefit"].as_f64().unwrap())
        .collect();
    assert!(
        benefits.windows(2).all(|w| w[0] >= w[1]),
        "not ranked by expected benefit: {benefits:?}"
    );
    let first = &items[0];
    assert!(
        first["explanation"]
            .as_str()
            .unwrap()
            .contains("chance of failing within 30 days"),
        "{first}"
    );
    let risks = http(port, "GET", "/api/v1/risks", Some(&committee), None).json();
    assert!(risks["risks"].as_array().unwrap().len() >= 20, "{risks}");
    // Each driver keeps its numbers beside its sentence; none adds nothing.
    for driver in risks["risks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["drivers"].as_array().unwrap())
    {
        let sentence = driver["sentence"].as_str().unwrap();
        assert!(
            sentence.ends_with('.') && !sentence.contains("adds"),
            "{driver}"
        );
        assert!(
            driver["contribution"].as_f64().unwrap() >= 0.005,
            "{driver}"
        );
        assert!(driver["feature"].is_string(), "{driver}");
    }

    // The demo's model was trained with its backtest: its card in members' words
    // has figures and the data of its charts.
    let models = demo_dir.join("models");
    let version = std::fs::read_to_string(models.join("CURRENT")).unwrap();
    let card: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(models.join(version.trim()).join("card.json")).unwrap(),
    )
    .unwrap();
    let plain = &card["plain"];
    let headings: Vec<&str> = plain["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["heading"].as_str().unwrap())
        .collect();
    assert_eq!(
        headings,
        [
            "What it is",
            "What it learned from",
            "How well it did",
            "What it cannot do"
        ]
    );
    let how_well = plain["sections"][2]["paragraphs"].to_string();
    assert!(
        how_well.contains("ranked riskiest each month"),
        "{how_well}"
    );
    assert_eq!(
        plain["calibration"].as_array().unwrap().len(),
        10,
        "{plain}"
    );
    let curves: Vec<&str> = plain["precision_recall"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(curves.len(), 3, "{curves:?}");
    assert!(curves[1..] == ["baseline_rate_by_kind_and_age", "baseline_threshold_rule"]);
    assert!(
        !card["plain"].to_string().contains("A-BLR-1"),
        "an id in the card: {plain}"
    );
    // The resident token works for its own unit and nothing of the committee's.
    assert_eq!(
        http(port, "GET", "/api/v1/notices", Some(&resident), None).status,
        200
    );
    assert_eq!(
        http(port, "GET", "/api/v1/work-orders", Some(&resident), None).status,
        403
    );

    // Resident reports become evidence on the equipment serving the unit: the
    // ranking is weighed again shortly after, in the background. One unit's reports
    // about one piece of equipment count once a day.
    let mut reported = None;
    for _ in 0..3 {
        let r = http(
            port,
            "POST",
            "/api/v1/reports",
            Some(&resident),
            Some(r#"{"category":"no_hot_water","text":"No hot water since this morning"}"#),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        reported = Some(r.json()["equipment"].as_str().unwrap().to_owned());
    }
    let reported = reported.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let entry = loop {
        let risks = http(port, "GET", "/api/v1/risks", Some(&committee), None).json();
        let entry = risks["risks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["assessment"]["equipment"] == reported.as_str())
            .unwrap_or_else(|| panic!("{reported} not on the board: {risks}"))
            .clone();
        let floor = entry["assessment"]["evidence_floor"].as_f64().unwrap();
        // At least one report (the history may hold more of the last 30 days).
        let reasons = entry["assessment"]["reasons"].to_string();
        if floor >= 1.0 - 0.95 - 1e-9 && reasons.contains("resident") {
            break entry;
        }
        assert!(
            Instant::now() < deadline,
            "the report was never weighed: {entry}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let floor = entry["assessment"]["evidence_floor"].as_f64().unwrap();
    assert!(entry["assessment"]["probability"].as_f64().unwrap() >= floor);

    // Live readings arrive through the embedded listener.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let metrics = http(port, "GET", "/metrics", None, None).body;
        if common::metric(&metrics, "caretaker_readings_stored_total") > 0.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no live readings stored:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    for _ in lines {}
    let status = child.wait().unwrap();
    assert!(status.success(), "demo exited with {status}");
}
