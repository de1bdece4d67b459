//! TLS where readings and answers leave the box: `caretaker tls init`, then
//! `caretaker serve` with HTTPS and MQTT over TLS. A gateway trusting the
//! co-op's CA stores a reading over TLS; a browser-like client trusting it gets
//! an answer, one that does not fails the handshake; `/metrics` asks for its token.
mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{add_gateway, base_time, caretaker, free_port, https, run, run_ok, stored_readings};
use rumqttc::{
    Client, ConnectReturnCode, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport,
};

const METRICS_TOKEN: &str = "metrics-secret-for-the-test";

/// `caretaker serve` with HTTPS and an MQTT TLS listener, killed on drop.
struct TlsServe {
    child: Child,
    api: u16,
    mqtts: u16,
}

impl TlsServe {
    fn start(data: &Path, ca: &Path) -> Self {
        let (api, mqtts) = (free_port(), free_port());
        let child = caretaker(data)
            .args(["serve", "--listen", &format!("127.0.0.1:{api}")])
            .env("CARETAKER_API__TLS", "true")
            .env("CARETAKER_API__METRICS_TOKEN", METRICS_TOKEN)
            .env(
                "CARETAKER_MQTT__EMBEDDED_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env(
                "CARETAKER_MQTT__EMBEDDED_TLS_LISTEN",
                format!("127.0.0.1:{mqtts}"),
            )
            .env("CARETAKER_INGEST__FLUSH_INTERVAL_S", "0.5")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("caretaker serve starts");
        let serve = Self { child, api, mqtts };
        let deadline = Instant::now() + Duration::from_secs(60);
        while https(api, ca, "GET", "/health", None).is_err() {
            assert!(Instant::now() < deadline, "no answer over HTTPS");
            std::thread::sleep(Duration::from_millis(100));
        }
        serve
    }
}

impl TlsServe {
    /// Stops the server with SIGTERM and waits for a clean exit.
    fn stop(mut self) {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().expect("serve exits");
        assert!(status.success(), "serve exited with {status}");
    }
}

impl Drop for TlsServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn tls_init_writes_a_ca_and_a_server_certificate_and_keeps_an_existing_ca() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run_ok(caretaker(&data).args(["tls", "init", "--host", "caretaker.lan"]));
    let tls = data.join("tls");
    assert!(
        out.contains(&tls.join("ca.pem").display().to_string()),
        "{out}"
    );
    assert!(out.contains("caretaker.lan"), "{out}");
    for (file, mode) in [
        ("ca.pem", 0o644),
        ("ca-key.pem", 0o600),
        ("server.pem", 0o644),
        ("server-key.pem", 0o600),
    ] {
        let meta = std::fs::metadata(tls.join(file)).expect(file);
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{file}");
    }
    let ca = std::fs::read(tls.join("ca.pem")).unwrap();

    // A second init keeps the CA gateways already trust, unless forced.
    let refused = run(caretaker(&data).args(["tls", "init"]));
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(std::fs::read(tls.join("ca.pem")).unwrap(), ca);
    run_ok(caretaker(&data).args(["tls", "init", "--force"]));
    assert_ne!(std::fs::read(tls.join("ca.pem")).unwrap(), ca);
}

#[test]
fn over_tls_a_trusting_gateway_stores_its_reading_and_the_api_answers_only_trusting_clients() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    run_ok(caretaker(&data).args(["tls", "init"]));
    let ca = data.join("tls").join("ca.pem");
    // Another co-op's CA: a client trusting only that one must not connect.
    let other = dir.path().join("other");
    run_ok(caretaker(&other).args(["tls", "init"]));
    let other_ca = other.join("tls").join("ca.pem");
    let password = add_gateway(&data, "gateway-a");
    let serve = TlsServe::start(&data, &ca);

    // HTTPS: answered for a client trusting the co-op's CA, refused in the
    // handshake for one that does not.
    let health = https(serve.api, &ca, "GET", "/health", None).unwrap();
    assert_eq!(health.status, 200, "{}", health.body);
    let refused = https(serve.api, &other_ca, "GET", "/health", None);
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("certificate")),
        "{refused:?}"
    );
    // Plain HTTP on the HTTPS port gets no answer.
    assert!(common::http_get(serve.api, "/health").is_none_or(|b| !b.contains("ok")));

    // /metrics: only with its token.
    let metrics = https(serve.api, &ca, "GET", "/metrics", None).unwrap();
    assert_eq!(metrics.status, 401, "{}", metrics.body);
    assert_eq!(metrics.json()["error"]["code"], "unauthorized");
    let wrong = https(serve.api, &ca, "GET", "/metrics", Some("guess")).unwrap();
    assert_eq!(wrong.status, 401);
    let metrics = https(serve.api, &ca, "GET", "/metrics", Some(METRICS_TOKEN)).unwrap();
    assert_eq!(metrics.status, 200, "{}", metrics.body);
    assert!(metrics.body.contains("caretaker_readings_stored_total"));
    // The token never shows in the printed configuration.
    let config = run_ok(
        caretaker(&data)
            .arg("config")
            .env("CARETAKER_API__METRICS_TOKEN", METRICS_TOKEN),
    );
    assert!(!config.contains(METRICS_TOKEN), "{config}");
    assert!(
        config.contains("metrics_token = \"[redacted]\""),
        "{config}"
    );

    // MQTT over TLS: a gateway trusting the CA publishes; its reading is stored.
    let ts = base_time();
    let (topic, payload) = common::native("gateway-a", &[("A-BLR-1-supply", ts, 50.0)]);
    let mut options = MqttOptions::new("gateway-a", "localhost", serve.mqtts);
    options.set_credentials("gateway-a", &password);
    options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
        common::tls_client(&ca),
    )));
    let (client, mut connection) = Client::new(options, 16);
    client
        .publish(topic, QoS::AtLeastOnce, false, payload)
        .unwrap();
    let mut acked = false;
    for event in connection.iter().take(20) {
        match event.expect("the TLS connection works") {
            Event::Incoming(Packet::ConnAck(ack)) => {
                assert_eq!(ack.code, ConnectReturnCode::Success)
            }
            Event::Incoming(Packet::PubAck(_)) => {
                acked = true;
                break;
            }
            _ => {}
        }
    }
    assert!(acked, "no PUBACK over TLS");
    let _ = client.disconnect();
    // Durable once counted; a graceful stop flushes it to Parquet.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let metrics = https(serve.api, &ca, "GET", "/metrics", Some(METRICS_TOKEN)).unwrap();
        if common::metric(&metrics.body, "caretaker_readings_stored_total") >= 1.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reading sent over TLS was not stored"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // A gateway that does not trust the certificate does not get in.
    let mut options = MqttOptions::new("gateway-a", "localhost", serve.mqtts);
    options.set_credentials("gateway-a", &password);
    options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
        common::tls_client(&other_ca),
    )));
    let (_client, mut connection) = Client::new(options, 16);
    let first = connection.iter().next().expect("an event");
    assert!(first.is_err(), "{first:?}");

    // HTTPS stops gracefully on SIGTERM, and the reading is in the store.
    serve.stop();
    assert!(
        stored_readings(&data).contains(&("A-BLR-1-supply".to_owned(), ts, 50.0)),
        "the reading sent over TLS is not in the store"
    );
}
