//! `caretaker simulate live` publishes what the co-op's gateways would, and
//! feeds `caretaker ingest` on its defaults: the simulated gateways replay the
//! recent past and then keep pace with the wall clock, so ingest quarantines
//! none of their readings, on the embedded listener and on Mosquitto, at the
//! default speed and faster, and across crashes of ingest.
mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{IngestProcess, Mosquitto, caretaker, free_port, metric, run_ok, stored_readings};
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

/// Runs `simulate live` against the broker on `port` for `duration`; returns
/// how many readings it published.
fn simulate_live(data: &Path, port: u16, args: &[&str], issue_credentials: bool) -> u64 {
    let mut cmd = caretaker(data);
    cmd.args(["simulate", "live", "--broker"])
        .arg(format!("mqtt://127.0.0.1:{port}"))
        .args(args);
    if issue_credentials {
        // Each simulated gateway logs in as itself, as the embedded listener requires.
        cmd.arg("--issue-credentials");
    }
    let out = run_ok(&mut cmd);
    out.lines()
        .find_map(|l| {
            l.strip_prefix("published ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no 'published N readings' line in:\n{out}"))
}

/// Sum of a labelled counter over all its labels.
fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Waits until ingest has stored `n` readings and flushed them; checks that
/// nothing was quarantined, refused as a conflict or stored twice.
fn expect_all_stored(ingest: &IngestProcess, n: u64) {
    let text = ingest.wait_until(Duration::from_secs(60), |m| {
        metric(m, "caretaker_readings_stored_total") >= n as f64
            && metric(m, "caretaker_readings_buffered") == 0.0
    });
    assert_eq!(
        metric_sum(&text, "caretaker_quarantined_total"),
        0.0,
        "readings quarantined:\n{text}"
    );
    assert_eq!(metric(&text, "caretaker_readings_stored_total"), n as f64);
    assert_eq!(metric(&text, "caretaker_readings_conflict_total"), 0.0);
}

fn live_into_ingest(external: Option<&Mosquitto>, speed_args: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let port = external.map_or_else(free_port, |broker| broker.port);
    let ingest = IngestProcess::start(&data, port, external.is_some(), &[]);
    let mut args = vec!["--duration", "10s"];
    args.extend_from_slice(speed_args);
    let published = simulate_live(&data, port, &args, external.is_none());
    assert!(published > 100, "only {published} readings published");
    eprintln!("simulate live {speed_args:?} published {published} readings");
    expect_all_stored(&ingest, published);
    ingest.stop();
    let stored = stored_readings(&data);
    assert_eq!(stored.len() as u64, published);
    assert!(
        std::fs::read_dir(data.join("quarantine"))
            .map(|d| d.flatten().all(|f| f.metadata().unwrap().len() == 0))
            .unwrap_or(true),
        "the quarantine is not empty"
    );
}

#[test]
fn live_at_the_default_speed_into_ingest_on_the_embedded_listener_quarantines_nothing() {
    live_into_ingest(None, &[]);
}

#[test]
fn live_at_600x_into_ingest_on_the_embedded_listener_catches_up_and_quarantines_nothing() {
    live_into_ingest(None, &["--speed", "600", "--replay", "30m"]);
}

#[test]
fn live_at_the_default_speed_and_at_600x_into_ingest_through_mosquitto_quarantines_nothing() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    live_into_ingest(Some(&broker), &[]);
    live_into_ingest(Some(&broker), &["--speed", "600", "--replay", "30m"]);
}

/// Every native reading on the broker, as `mosquitto_sub` sees it.
struct NativeTap {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl NativeTap {
    fn start(port: u16) -> Self {
        let mut child = Command::new("mosquitto_sub")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(["-t", "caretaker/+/readings", "-q", "1", "-i", "native-tap"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto_sub starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // mosquitto_sub prints nothing once subscribed: give it a moment.
        std::thread::sleep(Duration::from_millis(500));
        Self { child, lines }
    }

    /// (sensor, ts ms) -> value of every native reading seen so far.
    fn readings(&self) -> Vec<(String, i64, f64)> {
        let mut out = Vec::new();
        while let Ok(line) = self.lines.try_recv() {
            let payload: serde_json::Value = serde_json::from_str(&line).expect("native JSON");
            for r in payload["readings"].as_array().expect("a readings array") {
                let ts = chrono::DateTime::parse_from_rfc3339(r["ts"].as_str().unwrap())
                    .unwrap()
                    .timestamp_millis();
                let sensor = r["sensor"].as_str().unwrap().to_owned();
                out.push((sensor, ts, r["value"].as_f64().unwrap()));
            }
        }
        out
    }
}

impl Drop for NativeTap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The keys of the store's finished Parquet files while ingest may be writing
/// or merging them; `None` if a file went away while being read.
fn keys_in_finished_files(data: &Path) -> Option<HashSet<(String, i64)>> {
    use polars::prelude::*;
    let mut out = HashSet::new();
    let Ok(days) = std::fs::read_dir(data.join("readings")) else {
        return Some(out);
    };
    for day in days.flatten().filter(|d| d.path().is_dir()) {
        for file in std::fs::read_dir(day.path()).ok()?.flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".parquet") || name.starts_with('.') {
                continue;
            }
            let df = ParquetReader::new(std::fs::File::open(file.path()).ok()?)
                .finish()
                .ok()?;
            let sensor = df.column("sensor").ok()?.str().ok()?.clone();
            let ts = df.column("ts").ok()?.datetime().ok()?.physical().clone();
            for (s, t) in sensor.iter().zip(ts.iter()) {
                out.insert((s?.to_owned(), t?));
            }
        }
    }
    Some(out)
}

#[test]
fn live_through_mosquitto_with_two_ingest_crashes_stores_every_native_reading_once() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let tap = NativeTap::start(broker.port);
    let mut ingest = IngestProcess::start(&data, broker.port, true, &[]);
    let mut sim = caretaker(&data)
        .args(["simulate", "live", "--broker"])
        .arg(format!("mqtt://127.0.0.1:{}", broker.port))
        .args(["--speed", "600", "--replay", "30m", "--duration", "14s"])
        .stdout(Stdio::null())
        .spawn()
        .expect("simulate live starts");
    for _ in 0..2 {
        std::thread::sleep(Duration::from_secs(4));
        ingest.kill();
        std::thread::sleep(Duration::from_millis(500));
        ingest = IngestProcess::start(&data, broker.port, true, &[]);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while sim.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "simulate live did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let seen = tap.readings();
    assert!(seen.len() > 300, "only {} native readings seen", seen.len());
    // Wait until ingest, started afresh, has every native reading in its files.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let m = ingest.metrics();
        let missing = keys_in_finished_files(&data).map_or(usize::MAX, |stored| {
            seen.iter()
                .filter(|(s, t, _)| !stored.contains(&(s.clone(), *t)))
                .count()
        });
        if missing == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} native readings not stored; metrics:\n{m}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    ingest.stop();
    let stored = stored_readings(&data);
    let mut by_key: HashMap<(String, i64), Vec<f64>> = HashMap::new();
    for (sensor, ts, value) in &stored {
        by_key
            .entry((sensor.clone(), *ts))
            .or_default()
            .push(*value);
    }
    assert!(by_key.values().all(|v| v.len() == 1), "a key stored twice");
    for (sensor, ts, value) in &seen {
        let values = by_key
            .get(&(sensor.clone(), *ts))
            .unwrap_or_else(|| panic!("{sensor} at {ts} was published but not stored"));
        assert_eq!(values, &[*value], "{sensor} at {ts}");
    }
    assert!(
        std::fs::read_dir(data.join("quarantine"))
            .map(|d| d.flatten().all(|f| f.metadata().unwrap().len() == 0))
            .unwrap_or(true),
        "the quarantine is not empty"
    );
}

#[test]
fn live_simulation_publishes_native_zigbee2mqtt_and_chirpstack_messages() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let mut options = MqttOptions::new("test-listener", "127.0.0.1", broker.port);
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut connection) = Client::new(options, 100);
    client.subscribe("#", QoS::AtLeastOnce).unwrap();
    let listener = std::thread::spawn(move || {
        let mut got: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let value = serde_json::from_slice(&p.payload).expect("payload is JSON");
                    got.entry(p.topic.clone()).or_default().push(value);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        got
    });
    // Wait until the subscription is in place.
    std::thread::sleep(Duration::from_millis(500));

    let tmp = tempfile::tempdir().unwrap();
    let out = run_ok(caretaker(&tmp.path().join("data")).args([
        "simulate",
        "live",
        "--broker",
        &format!("mqtt://127.0.0.1:{}", broker.port),
        "--speed",
        "7200",
        "--duration",
        "3s",
    ]));
    assert!(out.contains("published"), "{out}");
    std::thread::sleep(Duration::from_millis(500));
    client.disconnect().unwrap();
    let got = listener.join().unwrap();

    let native = &got["caretaker/gateway-a/readings"];
    let reading = &native[0]["readings"][0];
    assert!(
        reading["sensor"].as_str().unwrap().starts_with("A-"),
        "{reading}"
    );
    assert!(reading["value"].is_number());
    assert!(caretaker_core::Timestamp::parse(reading["ts"].as_str().unwrap()).is_ok());

    let leak = got
        .get("zigbee2mqtt/Maple Court/roof/leak 1")
        .expect("a Zigbee2MQTT leak sensor message");
    assert!(
        leak.iter().any(|m| m["water_leak"].is_boolean()),
        "{leak:?}"
    );
    let climate = &got["zigbee2mqtt/Maple Court/roof/climate"];
    assert!(
        climate
            .iter()
            .any(|m| m["temperature"].is_number() && m["humidity"].is_number())
    );

    let uplinks: Vec<&serde_json::Value> = got
        .iter()
        .filter(|(t, _)| t.starts_with("application/") && t.ends_with("/event/up"))
        .flat_map(|(_, v)| v)
        .collect();
    assert!(
        !uplinks.is_empty(),
        "no ChirpStack uplink in {:?}",
        got.keys()
    );
    assert!(uplinks[0]["object"]["water_level_cm"].is_number());
    assert_eq!(
        uplinks[0]["deviceInfo"]["devEui"].as_str().unwrap().len(),
        16
    );
}
