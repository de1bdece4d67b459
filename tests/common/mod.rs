//! Helpers shared by the integration tests: run the real binary in a fresh
//! data directory, start a real Mosquitto on a free port.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A `caretaker` command with a clean environment and its own data directory.
pub fn caretaker(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caretaker"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CARETAKER_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd.env("CARETAKER_DATA_DIR", data_dir)
        .env("NO_COLOR", "1")
        .current_dir(data_dir.parent().unwrap_or(data_dir));
    cmd
}

/// Runs a command and returns its output, printing stderr on failure.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("caretaker runs");
    if !out.status.success() {
        eprintln!("stderr: {}", String::from_utf8_lossy(&out.stderr));
    }
    out
}

/// Runs a command that must succeed; returns its stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(out.status.success(), "command failed: {cmd:?}");
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A Mosquitto broker started for one test, stopped on drop.
pub struct Mosquitto {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    conf: PathBuf,
    /// Its folder (configuration, persistence, password and ACL files).
    pub dir: tempfile::TempDir,
    /// Files its configuration names, kept as long as it runs.
    keep: Option<tempfile::TempDir>,
}

/// Whether Mosquitto is installed; under CI its absence is a failure.
pub fn mosquitto_available() -> bool {
    let found = Command::new("mosquitto")
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "mosquitto is not installed, and CI must run the tests against it"
        );
        eprintln!("SKIPPED: mosquitto is not installed");
    }
    found
}

impl Mosquitto {
    /// Starts Mosquitto on a free port, anonymous access allowed; `None` (with a
    /// note) where Mosquitto is not installed, and a failure under CI.
    pub fn start() -> Option<Self> {
        Self::start_with("allow_anonymous true\n")
    }

    /// Starts Mosquitto with extra configuration lines (`{dir}` is replaced by its folder).
    pub fn start_with(extra: &str) -> Option<Self> {
        if !mosquitto_available() {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let conf: PathBuf = dir.path().join("mosquitto.conf");
        let extra = extra.replace("{dir}", &dir.path().display().to_string());
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nuser root\nmax_queued_messages 1000000\nmax_inflight_messages 100\n{extra}"
            ),
        )
        .expect("write mosquitto.conf");
        let mut broker = Self {
            child: None,
            port,
            conf,
            dir,
            keep: None,
        };
        broker.launch();
        Some(broker)
    }

    fn launch(&mut self) {
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Mosquitto as docs/ingest.md configures it for gateways: passwords
    /// (`caretaker-ingest`/`ingest-secret`, `gateway-a`/`a-secret`,
    /// `gateway-b`/`b-secret`), client ids bound to user names, each gateway
    /// writing only under its own topics and reading nothing.
    pub fn for_gateways() -> Option<Self> {
        if !mosquitto_available() {
            return None;
        }
        let files = tempfile::tempdir().expect("temp dir");
        let passwords = files.path().join("passwords");
        for (i, (user, pass)) in [
            ("caretaker-ingest", "ingest-secret"),
            ("gateway-a", "a-secret"),
            ("gateway-b", "b-secret"),
        ]
        .iter()
        .enumerate()
        {
            let mut cmd = Command::new("mosquitto_passwd");
            if i == 0 {
                cmd.arg("-c");
            }
            let ok = cmd.arg("-b").arg(&passwords).arg(user).arg(pass).status();
            assert!(ok.is_ok_and(|s| s.success()), "mosquitto_passwd failed");
        }
        let acl = files.path().join("acl");
        std::fs::write(
            &acl,
            "user caretaker-ingest\ntopic read caretaker/#\ntopic read zigbee2mqtt/#\ntopic read application/#\n\n\
             pattern write caretaker/%u/#\n",
        )
        .expect("write the ACL");
        let mut broker = Self::start_with(&format!(
            "allow_anonymous false\nuse_username_as_clientid true\npassword_file {}\nacl_file {}\n",
            passwords.display(),
            acl.display()
        ))?;
        broker.keep = Some(files);
        Some(broker)
    }

    /// Stops Mosquitto gracefully (SIGTERM: a persistent broker saves its state).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }

    /// Stops and starts Mosquitto again on the same port and configuration.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A `caretaker ingest` process on its own embedded listener (or `broker`), stopped on drop.
pub struct IngestProcess {
    /// The process.
    pub child: Child,
    /// MQTT port (embedded listener, or the external one given).
    pub mqtt_port: u16,
    /// Port of /metrics.
    pub metrics_port: u16,
}

impl IngestProcess {
    /// Starts ingest on `data_dir`, with an embedded listener on `mqtt_port` unless `external` is set.
    pub fn start(data_dir: &Path, mqtt_port: u16, external: bool, envs: &[(&str, &str)]) -> Self {
        let metrics_port = free_port();
        let mut cmd = caretaker(data_dir);
        cmd.arg("ingest")
            .env(
                "CARETAKER_INGEST__METRICS_LISTEN",
                format!("127.0.0.1:{metrics_port}"),
            )
            .env("CARETAKER_INGEST__FLUSH_INTERVAL_S", "0.5")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if external {
            cmd.env(
                "CARETAKER_MQTT__BROKER",
                format!("mqtt://127.0.0.1:{mqtt_port}"),
            );
        } else {
            cmd.env(
                "CARETAKER_MQTT__EMBEDDED_LISTEN",
                format!("127.0.0.1:{mqtt_port}"),
            );
        }
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("caretaker ingest starts");
        let process = Self {
            child,
            mqtt_port,
            metrics_port,
        };
        // Subscribed: a message published from now on reaches ingest.
        process.wait_until(Duration::from_secs(30), |m| {
            metric(m, "caretaker_mqtt_subscribed") >= 1.0
        });
        process
    }

    /// The /metrics text.
    pub fn metrics(&self) -> String {
        http_get(self.metrics_port, "/metrics").unwrap_or_default()
    }

    /// Waits until the metrics satisfy `ready`; panics after `timeout`.
    pub fn wait_until(&self, timeout: Duration, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.metrics();
            if ready(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting; metrics:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the process with SIGTERM (it flushes first) and waits for it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().expect("ingest exits");
        assert!(status.success(), "ingest exited with {status}");
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for IngestProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of an unlabelled metric (0 if absent).
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// GET over plain HTTP/1.1 on loopback; the body.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
}

/// Issues gateway credentials with `caretaker gateway add`; returns the password.
pub fn add_gateway(data_dir: &Path, name: &str) -> String {
    let out = run_ok(caretaker(data_dir).args(["gateway", "add", name]));
    out.lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a password line")
        .to_owned()
}

/// Every reading of one Parquet file with the readings schema: (sensor, ts ms, value).
pub fn parquet_readings(path: &Path) -> Vec<(String, i64, f64)> {
    use polars::prelude::*;
    let df = ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap_or_else(|e| panic!("{} does not open: {e}", path.display()));
    let sensor = df.column("sensor").unwrap().str().unwrap().clone();
    let ts = df
        .column("ts")
        .unwrap()
        .datetime()
        .unwrap()
        .physical()
        .clone();
    let value = df.column("value").unwrap().f64().unwrap().clone();
    sensor
        .iter()
        .zip(ts.iter())
        .zip(value.iter())
        .map(|((s, t), v)| (s.unwrap().to_owned(), t.unwrap(), v.unwrap()))
        .collect()
}

/// Every reading in the store under `data_dir/readings`: (sensor, ts ms, value).
/// Fails if a temporary file is left or a file does not open.
pub fn stored_readings(data_dir: &Path) -> Vec<(String, i64, f64)> {
    let mut out = Vec::new();
    let root = data_dir.join("readings");
    let Ok(days) = std::fs::read_dir(&root) else {
        return out;
    };
    for day in days.flatten().filter(|d| d.path().is_dir()) {
        for file in std::fs::read_dir(day.path()).unwrap().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            assert!(
                !name.ends_with(".tmp"),
                "temporary file left in the store: {name}"
            );
            out.extend(parquet_readings(&file.path()));
        }
    }
    out
}

/// Publishes every message at QoS 1 and waits for the broker's acks.
pub fn publish_all(
    port: u16,
    credentials: Option<(&str, &str)>,
    messages: &[(String, Vec<u8>)],
) -> Result<(), String> {
    // A gateway's client id is its name.
    let client_id =
        credentials.map_or_else(|| format!("pub-{}", free_port()), |(u, _)| u.to_owned());
    let mut options = rumqttc::MqttOptions::new(client_id, "127.0.0.1", port);
    options.set_max_packet_size(4 << 20, 4 << 20);
    options.set_inflight(100);
    if let Some((u, p)) = credentials {
        options.set_credentials(u, p);
    }
    let (client, mut connection) = rumqttc::Client::new(options, 64);
    let sender = {
        let client = client.clone();
        let messages = messages.to_vec();
        std::thread::spawn(move || {
            for (topic, payload) in messages {
                if client
                    .publish(topic, rumqttc::QoS::AtLeastOnce, false, payload)
                    .is_err()
                {
                    return;
                }
            }
        })
    };
    let mut acked = 0;
    for event in connection.iter() {
        match event {
            Ok(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_))) => {
                acked += 1;
                if acked == messages.len() {
                    break;
                }
            }
            Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(ack)))
                if ack.code != rumqttc::ConnectReturnCode::Success =>
            {
                return Err(format!("refused: {:?}", ack.code));
            }
            Ok(rumqttc::Event::Outgoing(rumqttc::Outgoing::Disconnect)) => break,
            Ok(_) => {}
            Err(rumqttc::ConnectionError::ConnectionRefused(code)) => {
                return Err(format!("refused: {code:?}"));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let _ = client.disconnect();
    let _ = sender.join();
    Ok(())
}

pub fn native(gateway: &str, readings: &[(&str, i64, f64)]) -> (String, Vec<u8>) {
    let list: Vec<serde_json::Value> = readings
        .iter()
        .map(|(s, ts, v)| serde_json::json!({"sensor": s, "ts": ts, "value": v}))
        .collect();
    (
        format!("caretaker/{gateway}/readings"),
        serde_json::to_vec(&serde_json::json!({ "readings": list })).unwrap(),
    )
}

/// The ledger check (every key stored once, no temporary file left): every sequence number published is stored exactly once.
pub fn check_ledger(data: &Path, sensor: &str, base: i64, n: i64) {
    let stored = stored_readings(data);
    let mut seen: HashMap<(String, i64), usize> = HashMap::new();
    for (s, ts, _) in &stored {
        *seen.entry((s.clone(), *ts)).or_default() += 1;
    }
    assert!(seen.values().all(|c| *c == 1), "a key is stored twice");
    for seq in 0..n {
        let key = (sensor.to_owned(), base + seq * STEP_MS);
        assert_eq!(
            seen.get(&key),
            Some(&1),
            "sequence {seq} of {sensor} not stored exactly once"
        );
    }
}

pub fn base_time() -> i64 {
    let now = caretaker_core::Timestamp::now().millis();
    now - now.rem_euclid(60_000) - 3 * 86_400_000
}

/// Milliseconds between the readings of a ledger (sequence n is at `base + n * STEP_MS`).
pub const STEP_MS: i64 = 1_000;

/// A response: status, headers and body.
#[derive(Debug)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// The status line and headers, as received.
    pub head: String,
    /// Body text.
    pub body: String,
}

impl HttpResponse {
    /// The value of a header (name case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// The body as JSON (panics with the body if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
}

/// An HTTP/1.1 request on loopback with an optional bearer token and JSON body.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> HttpResponse {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = Vec::new();
    if let Some(b) = &bearer {
        headers.push(("Authorization", b.as_str()));
    }
    if body.is_some_and(|b| !b.is_empty()) || method == "POST" {
        headers.push(("Content-Type", "application/json"));
    }
    http_with(port, method, path, &headers, body)
}

/// An HTTP/1.1 request on loopback with the given headers and body.
pub fn http_with(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> HttpResponse {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    exchange(&mut stream, method, path, headers, body).expect("a response")
}

/// An HTTPS request to `localhost:port` from a client that trusts only the
/// CA certificates in `ca` (PEM); an error if the TLS handshake fails.
pub fn https(
    port: u16,
    ca: &Path,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> Result<HttpResponse, String> {
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let connection =
        rustls::ClientConnection::new(tls_client(ca), name).map_err(|e| e.to_string())?;
    let socket = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut stream = rustls::StreamOwned::new(connection, socket);
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .iter()
        .map(|b| ("Authorization", b.as_str()))
        .collect();
    exchange(&mut stream, method, path, &headers, None)
}

/// A TLS client configuration (ring) trusting only the CA certificates in `ca`.
pub fn tls_client(ca: &Path) -> std::sync::Arc<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).expect("a CA file") {
        roots
            .add(cert.expect("a PEM certificate"))
            .expect("a CA certificate");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Sends one request on `stream` and reads the response to the end.
fn exchange(
    stream: &mut (impl std::io::Read + std::io::Write),
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<HttpResponse, String> {
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || method == "POST" {
        request += &format!("Content-Length: {}\r\n", body.len());
    }
    request += "\r\n";
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    // A server may answer (413...) before reading the whole body.
    let _ = stream.write_all(body.as_bytes());
    let mut raw = Vec::new();
    // A TLS peer may close without close_notify after a whole response.
    if let Err(e) = stream.read_to_end(&mut raw)
        && raw.is_empty()
    {
        return Err(e.to_string());
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line in {text:?}"))?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok(HttpResponse {
        status,
        head: head.to_owned(),
        body,
    })
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// Creates an API token with `caretaker token add`; returns its secret.
pub fn add_token(data_dir: &Path, role: &str, unit: Option<&str>) -> String {
    let mut cmd = caretaker(data_dir);
    cmd.args(["token", "add", "--role", role]);
    if let Some(u) = unit {
        cmd.args(["--unit", u]);
    }
    let out = run_ok(&mut cmd);
    out.lines()
        .nth(1)
        .expect("the secret line")
        .trim()
        .to_owned()
}

/// A `caretaker serve` process (API, ingest on its own embedded listener, scoring), stopped on drop.
pub struct ServeProcess {
    /// The process.
    pub child: Child,
    /// Port of the API.
    pub port: u16,
}

impl ServeProcess {
    /// Starts `caretaker serve` on `data_dir` with extra environment; waits for /health.
    pub fn start(data_dir: &Path, envs: &[(&str, &str)]) -> Self {
        Self::start_with_stderr(data_dir, envs, Stdio::inherit())
    }

    /// [`ServeProcess::start`], with the server's log (stderr) written to `log`.
    pub fn start_logging_to(data_dir: &Path, envs: &[(&str, &str)], log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("log file created");
        Self::start_with_stderr(data_dir, envs, Stdio::from(file))
    }

    fn start_with_stderr(data_dir: &Path, envs: &[(&str, &str)], stderr: Stdio) -> Self {
        let port = free_port();
        let mut cmd = caretaker(data_dir);
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env(
                "CARETAKER_MQTT__EMBEDDED_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(stderr);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("caretaker serve starts");
        let process = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while http_get(port, "/health").is_none() {
            assert!(
                Instant::now() < deadline,
                "caretaker serve did not answer /health"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        process
    }

    /// A request to the API.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> HttpResponse {
        http(self.port, method, path, token, body)
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A data directory holding `years` of simulated co-op history (readings and
/// events), imported as a co-op would import it.
pub fn imported_coop(dir: &Path, years: &str) -> PathBuf {
    let sim = dir.join("sim");
    let data = dir.join("data");
    run_ok(
        caretaker(&data)
            .args(["simulate", "history", "--years", years, "--out"])
            .arg(&sim),
    );
    run_ok(
        caretaker(&data)
            .args(["import", "readings"])
            .arg(sim.join("readings.parquet")),
    );
    run_ok(
        caretaker(&data)
            .args(["import", "events"])
            .arg(sim.join("events.parquet")),
    );
    data
}

/// [`imported_coop`] with a trained model; `train_args` go to `caretaker train`.
pub fn trained_coop(dir: &Path, years: &str, train_args: &[&str]) -> PathBuf {
    let data = imported_coop(dir, years);
    run_ok(caretaker(&data).arg("train").args(train_args));
    data
}
