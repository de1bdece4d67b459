//! `caretaker ingest` end to end: gateways publish over a real socket to the
//! embedded listener or to Mosquitto; every reading is stored exactly once, bad
//! messages are quarantined with their reason, unknown credentials are refused.
mod common;

use std::time::Duration;

use common::{
    IngestProcess, Mosquitto, add_gateway, base_time, check_ledger, free_port, metric, native,
    publish_all, stored_readings,
};

#[test]
fn embedded_listener_readings_are_stored_once_and_bad_messages_quarantined() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let password = add_gateway(&data, "gateway-a");
    let port = free_port();
    let ingest = IngestProcess::start(
        &data,
        port,
        false,
        &[("CARETAKER_INGEST__AGGREGATES_REFRESH_S", "0.5")],
    );

    // Unknown credentials are refused by the embedded listener.
    assert!(
        publish_all(port, None, &[native("x", &[])]).is_err(),
        "anonymous accepted"
    );
    assert!(
        publish_all(
            port,
            Some(("gateway-a", "wrong")),
            &[native("gateway-a", &[])]
        )
        .is_err(),
        "wrong password accepted"
    );

    let base = base_time();
    let n = 3000;
    let mut messages = Vec::new();
    for chunk in (0..n).collect::<Vec<i64>>().chunks(100) {
        let readings: Vec<(&str, i64, f64)> = chunk
            .iter()
            .map(|seq| {
                (
                    "A-BLR-1-supply",
                    base + seq * common::STEP_MS,
                    40.0 + (seq % 40) as f64,
                )
            })
            .collect();
        messages.push(native("gateway-a", &readings));
    }
    // A resend of the first batch, and one reading with a conflicting value.
    messages.push(messages[0].clone());
    messages.push(native("gateway-a", &[("A-BLR-1-supply", base, 99.0)]));
    // Poison.
    let poison: Vec<(String, Vec<u8>)> = vec![
        ("caretaker/gateway-a/readings".into(), b"{not json".to_vec()),
        (
            "caretaker/gateway-a/readings".into(),
            vec![0xff, 0xfe, 0x00],
        ),
        (
            "caretaker/gateway-a/readings".into(),
            format!(r#"{{"sensor":"A-BLR-1-supply","ts":{base},"value":"hot"}}"#).into_bytes(),
        ),
        (
            "caretaker/gateway-a/readings".into(),
            br#"{"sensor":"A-BLR-1-supply","ts":"1970-01-02T00:00:00Z","value":50}"#.to_vec(),
        ),
        (
            "caretaker/gateway-a/readings".into(),
            format!(
                r#"{{"sensor":"A-BLR-1-supply","ts":{},"value":50}}"#,
                base + 400 * 86_400_000
            )
            .into_bytes(),
        ),
        (
            "caretaker/gateway-a/readings".into(),
            format!(r#"{{"sensor":"NO-SUCH-SENSOR","ts":{base},"value":1}}"#).into_bytes(),
        ),
        (
            "caretaker/gateway-a/readings".into(),
            format!(r#"{{"sensor":"A-BLR-1-supply","ts":{base},"value":1e400}}"#).into_bytes(),
        ),
        (
            "caretaker/gateway-a/readings".into(),
            format!(r#"{{"sensor":"A-BLR-1-supply","ts":{base},"value":9999}}"#).into_bytes(),
        ),
        (
            "caretaker/gateway-a/readings".into(),
            vec![b' '; 300 * 1024],
        ),
    ];
    messages.extend(poison.iter().cloned());
    publish_all(port, Some(("gateway-a", &password)), &messages).expect("gateway publishes");

    let text = ingest.wait_until(Duration::from_secs(30), |m| {
        metric(m, "caretaker_mqtt_messages_acked_total") >= messages.len() as f64
            && metric(m, "caretaker_readings_buffered") == 0.0
    });
    assert_eq!(metric(&text, "caretaker_readings_stored_total"), n as f64);
    assert_eq!(metric(&text, "caretaker_readings_duplicate_total"), 100.0);
    assert_eq!(metric(&text, "caretaker_readings_conflict_total"), 1.0);
    for reason in [
        "invalid_json",
        "not_utf8",
        "wrong_type",
        "bad_timestamp",
        "unknown_sensor",
        "out_of_range",
        "oversize",
    ] {
        let line = format!("caretaker_quarantined_total{{reason=\"{reason}\"}}");
        let count: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix(&line)?.trim().parse().ok())
            .unwrap_or(0.0);
        assert!(count >= 1.0, "nothing quarantined as {reason}:\n{text}");
    }
    // The daily aggregates follow while ingest runs: every reading counted once.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let counted = aggregated_count(&data, "A-BLR-1-supply");
        if counted == n as f64 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the daily aggregates count {counted} readings of {n}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    ingest.stop();

    check_ledger(&data, "A-BLR-1-supply", base, n);
    let stored = stored_readings(&data);
    assert_eq!(
        stored.len(),
        n as usize,
        "only the ledger's readings are stored"
    );
    let first = stored.iter().find(|(_, ts, _)| *ts == base).unwrap();
    assert_eq!(
        first.2, 40.0,
        "the first value stored wins over a conflicting resend"
    );

    // The quarantine says why, per message.
    let quarantine: String = std::fs::read_dir(data.join("quarantine"))
        .unwrap()
        .flatten()
        .map(|f| std::fs::read_to_string(f.path()).unwrap())
        .collect();
    let lines: Vec<serde_json::Value> = quarantine
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.len() >= poison.len(),
        "{} quarantine lines",
        lines.len()
    );
    assert!(
        lines
            .iter()
            .all(|l| l["reason"].is_string() && l["payload_sha256"].is_string())
    );
    assert!(
        lines
            .iter()
            .any(|l| l["reason"] == "oversize" && l["payload"].is_null())
    );
}

#[test]
fn mosquitto_readings_survive_an_ingest_restart_and_are_stored_once() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let base = base_time();
    let ingest = IngestProcess::start(&data, broker.port, true, &[]);
    let batch = |from: i64, to: i64| -> Vec<(String, Vec<u8>)> {
        (from..to)
            .map(|seq| {
                native(
                    "gateway-a",
                    &[("A-CP-1-vibration", base + seq * common::STEP_MS, 2.0)],
                )
            })
            .collect()
    };
    publish_all(broker.port, None, &batch(0, 500)).unwrap();
    ingest.wait_until(Duration::from_secs(30), |m| {
        metric(m, "caretaker_readings_stored_total") >= 500.0
    });
    ingest.stop();
    // Published while ingest is down: the broker keeps them in the persistent session.
    publish_all(broker.port, None, &batch(500, 1000)).unwrap();
    let ingest = IngestProcess::start(&data, broker.port, true, &[]);
    ingest.wait_until(Duration::from_secs(30), |m| {
        metric(m, "caretaker_readings_stored_total") >= 500.0
            && metric(m, "caretaker_readings_buffered") == 0.0
    });
    ingest.stop();
    check_ledger(&data, "A-CP-1-vibration", base, 1000);
}

#[test]
fn a_taken_port_is_reported_with_how_to_use_the_broker_already_there() {
    let tmp = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = common::run(
        common::caretaker(&tmp.path().join("data"))
            .arg("ingest")
            .env(
                "CARETAKER_MQTT__EMBEDDED_LISTEN",
                format!("127.0.0.1:{port}"),
            )
            .env("CARETAKER_INGEST__METRICS_LISTEN", ""),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another MQTT broker may be running"), "{err}");
    assert!(
        err.contains(&format!("--broker mqtt://127.0.0.1:{port}")),
        "{err}"
    );
}

/// Readings of `sensor` counted in the daily aggregates (0 before any).
fn aggregated_count(data: &std::path::Path, sensor: &str) -> f64 {
    use polars::prelude::*;
    let Ok(days) = std::fs::read_dir(data.join("aggregates/daily")) else {
        return 0.0;
    };
    let mut total = 0.0;
    for day in days.flatten() {
        if day.path().extension().is_none_or(|e| e != "parquet") {
            continue;
        }
        let df = ParquetReader::new(std::fs::File::open(day.path()).unwrap())
            .finish()
            .unwrap();
        let sensors = df.column("sensor").unwrap().str().unwrap().clone();
        let counts = df.column("count").unwrap().f64().unwrap().clone();
        total += sensors
            .iter()
            .zip(counts.iter())
            .filter(|(s, _)| *s == Some(sensor))
            .map(|(_, c)| c.unwrap_or(0.0))
            .sum::<f64>();
    }
    total
}
