//! The reliability scenarios that concern ingest (listed in docs/ingest.md),
//! each against a real broker on loopback and the real `caretaker ingest`
//! process, each ending in the ledger check: every sequence number published
//! is stored exactly once, keys are unique, every Parquet file opens.
//! (Scenario 7, poison messages, is in `tests/ingest.rs`.)
mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{IngestProcess, Mosquitto, base_time, check_ledger, metric, native, publish_all};

const SENSOR: &str = "A-CP-1-current";

/// Messages of `per_message` readings carrying sequence numbers `from..to`.
fn ledger_messages(base: i64, from: i64, to: i64, per_message: usize) -> Vec<(String, Vec<u8>)> {
    (from..to)
        .collect::<Vec<_>>()
        .chunks(per_message)
        .map(|seqs| {
            let readings: Vec<(&str, i64, f64)> = seqs
                .iter()
                .map(|s| {
                    (
                        SENSOR,
                        base + s * common::STEP_MS,
                        3.0 + (*s % 7) as f64 / 10.0,
                    )
                })
                .collect();
            native("gateway-a", &readings)
        })
        .collect()
}

/// Lets ingest drain what the broker holds, then stops it (it flushes on SIGTERM).
fn drain_and_stop(ingest: IngestProcess) {
    let mut last = -1.0;
    let mut stable_since = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let m = ingest.metrics();
        let received = metric(&m, "caretaker_mqtt_messages_received_total");
        if received != last {
            last = received;
            stable_since = Instant::now();
        } else if stable_since.elapsed() > Duration::from_secs(2)
            && metric(&m, "caretaker_readings_buffered") == 0.0
        {
            break;
        }
        assert!(Instant::now() < deadline, "ingest did not drain:\n{m}");
        std::thread::sleep(Duration::from_millis(100));
    }
    ingest.stop();
}

#[test]
fn scenario_1_sigkill_during_a_stream_loses_nothing_and_stores_nothing_twice() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let base = base_time();
    let n = 100_000;
    // Create the persistent session first, so the broker queues for ingest while it is down.
    IngestProcess::start(&data, broker.port, true, &[]).stop();
    let messages = ledger_messages(base, 0, n, 10);
    let port = broker.port;
    let publisher = std::thread::spawn(move || publish_all(port, None, &messages));
    for round in 0..5 {
        let ingest = IngestProcess::start(&data, broker.port, true, &[]);
        std::thread::sleep(Duration::from_millis(400 + 300 * round));
        ingest.kill();
    }
    publisher.join().unwrap().expect("publisher finished");
    drain_and_stop(IngestProcess::start(&data, broker.port, true, &[]));
    check_ledger(&data, SENSOR, base, n);
}

#[test]
fn scenario_2_a_crash_between_parquet_write_and_rename_leaves_only_temporary_files() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let base = base_time();
    let mut ingest = IngestProcess::start(
        &data,
        broker.port,
        true,
        &[("CARETAKER_FAULT", "crash-before-rename")],
    );
    publish_all(broker.port, None, &ledger_messages(base, 0, 2000, 50)).unwrap();
    let status = wait_for_exit(&mut ingest.child, Duration::from_secs(30));
    assert!(!status.success(), "the injected crash did not happen");
    // Only hidden temporaries (`.part-….parquet.XXXXXX`): no file under its
    // final name, so none half-written.
    let temporary = |f: &String| f.starts_with('.') && f.contains(".parquet.");
    let files = files_under(&data.join("readings"));
    assert!(
        !files.is_empty() && files.iter().all(temporary),
        "{files:?}"
    );
    // Restart: leftovers are cleaned and the log replayed.
    drain_and_stop(IngestProcess::start(&data, broker.port, true, &[]));
    let files = files_under(&data.join("readings"));
    assert!(!files.iter().any(temporary), "{files:?}");
    check_ledger(&data, SENSOR, base, 2000);
}

#[test]
fn scenario_3_a_persistent_broker_restarted_while_ingest_is_down_delivers_everything() {
    let Some(mut broker) = Mosquitto::start_with(
        "allow_anonymous true\npersistence true\npersistence_location {dir}/\nautosave_interval 1\n",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let base = base_time();
    IngestProcess::start(&data, broker.port, true, &[]).stop();
    publish_all(broker.port, None, &ledger_messages(base, 0, 3000, 10)).unwrap();
    broker.restart();
    drain_and_stop(IngestProcess::start(&data, broker.port, true, &[]));
    check_ledger(&data, SENSOR, base, 3000);
}

/// A loopback TCP proxy whose connections can be cut at once.
struct Proxy {
    port: u16,
    open: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (open2, stop2) = (open.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                open2.lock().unwrap().push(client.try_clone().unwrap());
                open2.lock().unwrap().push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Self { port, open, stop }
    }

    /// Cuts every connection through the proxy, mid-stream.
    fn cut(&self) {
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

#[test]
fn scenario_4_cutting_the_connection_with_messages_in_flight_stores_each_once() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let proxy = Proxy::start(broker.port);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let base = base_time();
    // Slow fsyncs keep messages unacknowledged in flight when the cut comes.
    let ingest = IngestProcess::start(
        &data,
        proxy.port,
        true,
        &[("CARETAKER_FAULT", "fsync-delay-ms=20")],
    );
    let messages = ledger_messages(base, 0, 20_000, 10);
    let port = broker.port;
    let publisher = std::thread::spawn(move || publish_all(port, None, &messages));
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(600));
        proxy.cut();
    }
    publisher.join().unwrap().expect("publisher finished");
    let m = ingest.metrics();
    assert!(
        metric(&m, "caretaker_mqtt_connections_total") >= 2.0,
        "the connection was never cut:\n{m}"
    );
    drain_and_stop(ingest);
    check_ledger(&data, SENSOR, base, 20_000);
}

#[test]
fn scenario_6_a_full_disk_gets_no_ack_and_no_corrupt_file_and_recovers() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let flag = tmp.path().join("disk-full");
    let base = base_time();
    let fault = format!("disk-full-flag={}", flag.display());
    let ingest = IngestProcess::start(&data, broker.port, true, &[("CARETAKER_FAULT", &fault)]);
    publish_all(broker.port, None, &ledger_messages(base, 0, 500, 10)).unwrap();
    ingest.wait_until(Duration::from_secs(30), |m| {
        metric(m, "caretaker_mqtt_messages_acked_total") >= 50.0
    });
    std::fs::write(&flag, "").unwrap();
    publish_all(broker.port, None, &ledger_messages(base, 500, 1000, 10)).unwrap();
    let m = ingest.wait_until(Duration::from_secs(30), |m| {
        metric(m, "caretaker_write_errors_total") >= 2.0
    });
    assert_eq!(
        metric(&m, "caretaker_mqtt_messages_acked_total"),
        50.0,
        "acked while the disk was full"
    );
    common::stored_readings(&data); // every file that exists opens
    std::fs::remove_file(&flag).unwrap();
    ingest.wait_until(Duration::from_secs(30), |m| {
        metric(m, "caretaker_mqtt_messages_acked_total") >= 100.0
    });
    drain_and_stop(ingest);
    check_ledger(&data, SENSOR, base, 1000);
}

#[test]
fn scenario_8_repeated_keys_and_out_of_order_batches_give_one_row_per_key() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let base = base_time();
    let ingest = IngestProcess::start(&data, broker.port, true, &[]);
    let mut messages = ledger_messages(base, 1000, 2000, 25);
    messages.extend(ledger_messages(base, 0, 1000, 25));
    messages.extend(ledger_messages(base, 500, 1500, 25)); // every one of these again
    messages.reverse();
    publish_all(broker.port, None, &messages).unwrap();
    let m = ingest.wait_until(Duration::from_secs(30), |m| {
        metric(m, "caretaker_readings_stored_total")
            + metric(m, "caretaker_readings_duplicate_total")
            >= 3000.0
    });
    assert_eq!(metric(&m, "caretaker_readings_stored_total"), 2000.0);
    assert_eq!(metric(&m, "caretaker_readings_duplicate_total"), 1000.0);
    drain_and_stop(ingest);
    check_ledger(&data, SENSOR, base, 2000);
    assert_eq!(common::stored_readings(&data).len(), 2000);
}

#[test]
fn scenario_9_mosquitto_refuses_strangers_and_drops_a_gateway_posing_as_another() {
    let Some(broker) = Mosquitto::for_gateways() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let base = base_time();
    let ingest = IngestProcess::start(
        &data,
        broker.port,
        true,
        &[
            ("CARETAKER_MQTT__USERNAME", "caretaker-ingest"),
            ("CARETAKER_MQTT__PASSWORD", "ingest-secret"),
        ],
    );
    let reading = |seq: i64| vec![(SENSOR, base + seq * common::STEP_MS, 3.0)];
    let to_a = |seq| {
        let (_, payload) = native("gateway-a", &reading(seq));
        ("caretaker/gateway-a/readings".to_owned(), payload)
    };
    assert!(
        publish_all(broker.port, None, &[to_a(100)]).is_err(),
        "anonymous accepted"
    );
    assert!(
        publish_all(broker.port, Some(("gateway-a", "guess")), &[to_a(101)]).is_err(),
        "wrong password accepted"
    );
    // gateway-b publishing under gateway-a's topic: the broker drops it.
    publish_all(broker.port, Some(("gateway-b", "b-secret")), &[to_a(102)]).unwrap();
    // gateway-a on its own topic: stored.
    publish_all(broker.port, Some(("gateway-a", "a-secret")), &[to_a(0)]).unwrap();
    drain_and_stop(ingest);
    let stored = common::stored_readings(&data);
    let keys: Vec<i64> = stored
        .iter()
        .map(|(_, ts, _)| (ts - base) / common::STEP_MS)
        .collect();
    assert_eq!(keys, [0], "only gateway-a's own reading is stored");
}

fn wait_for_exit(child: &mut std::process::Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "process did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Names of the files under `dir` (the store's lock file aside).
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                out.extend(files_under(&e.path()));
            } else if e.file_name() != ".lock" {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    out
}
