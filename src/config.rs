//! The one typed configuration every subcommand uses.
//!
//! Sources, later ones winning: built-in defaults, the TOML file
//! (`--config FILE`, `CARETAKER_CONFIG`, or `./caretaker.toml` if present),
//! `CARETAKER_`-prefixed environment variables (`__` separates sections:
//! `CARETAKER_MQTT__BROKER=mqtt://host:1883`), then command-line flags.
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

/// Caretaker's configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The data directory: database, readings, quarantine, models, reports.
    pub data_dir: PathBuf,
    /// A registry file to use instead of the data directory's `registry.toml`.
    pub registry: Option<PathBuf>,
    /// Logging.
    pub log: LogConfig,
    /// The MQTT broker.
    pub mqtt: MqttConfig,
    /// The ingest pipeline.
    pub ingest: IngestConfig,
    /// The simulator.
    pub simulate: SimulateConfig,
    /// The HTTP API and periodic scoring (`caretaker serve`).
    pub api: ApiConfig,
    /// The server certificate of the TLS listeners (HTTPS, MQTT over TLS).
    pub tls: TlsConfig,
    /// Knowledge packs shared with other co-ops (docs/federation.md).
    pub federation: FederationConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("caretaker-data"),
            registry: None,
            log: LogConfig::default(),
            mqtt: MqttConfig::default(),
            ingest: IngestConfig::default(),
            simulate: SimulateConfig::default(),
            api: ApiConfig::default(),
            tls: TlsConfig::default(),
            federation: FederationConfig::default(),
        }
    }
}

/// The ingest pipeline's limits and rhythm.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Largest payload accepted (bytes); larger ones are quarantined.
    pub max_payload_bytes: usize,
    /// Readings older than this many days (before arrival) are quarantined.
    pub max_age_days: u32,
    /// Readings more than this many seconds in the future are quarantined.
    pub max_future_s: u32,
    /// Flush buffered readings to Parquet at least this often (seconds).
    pub flush_interval_s: f64,
    /// ... or as soon as this many readings are buffered.
    pub flush_readings: usize,
    /// Compact a day's files once it has this many.
    pub compact_min_files: usize,
    /// Bring the daily aggregates up to date at least this often while ingest runs (seconds).
    pub aggregates_refresh_s: f64,
    /// Where `/metrics` is served while `caretaker ingest` runs (empty: nowhere).
    pub metrics_listen: String,
    /// Most megabytes of quarantine written a day; the refusals beyond are only counted.
    pub quarantine_max_mb_per_day: u64,
    /// Days of quarantine files kept.
    pub quarantine_keep_days: u32,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_payload_bytes: 256 * 1024,
            max_age_days: 90,
            max_future_s: 600,
            flush_interval_s: 10.0,
            flush_readings: 50_000,
            compact_min_files: 24,
            aggregates_refresh_s: 60.0,
            quarantine_max_mb_per_day: 64,
            quarantine_keep_days: 90,
            metrics_listen: "127.0.0.1:9464".into(),
        }
    }
}

/// Log output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Level filter (`info`, `debug`, `caretaker=debug,warn`); `RUST_LOG` wins if set.
    pub level: String,
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Where MQTT messages come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MqttConfig {
    /// An external broker (`mqtt://HOST:PORT`, `mqtts://HOST:PORT`); unset means the embedded listener.
    pub broker: Option<String>,
    /// Address the embedded MQTT listener listens on.
    pub embedded_listen: String,
    /// Address of the embedded listener's TLS listener (MQTT over TLS); unset: none.
    pub embedded_tls_listen: Option<String>,
    /// User name on the external broker.
    pub username: Option<String>,
    /// Password on the external broker (never printed).
    #[serde(serialize_with = "redact")]
    pub password: Option<SecretString>,
    /// Client id of the ingest subscriber (stable, for a persistent session).
    pub client_id: String,
    /// CA certificate (PEM) for an `mqtts://` broker with a private CA.
    pub ca_file: Option<PathBuf>,
}

impl Default for MqttConfig {
    fn default() -> Self {
        Self {
            broker: None,
            embedded_listen: "127.0.0.1:1883".into(),
            embedded_tls_listen: None,
            username: None,
            password: None,
            client_id: "caretaker-ingest".into(),
            ca_file: None,
        }
    }
}

impl MqttConfig {
    /// The broker URL to connect to: the external one, or the embedded listener's address.
    pub fn broker_url(&self) -> String {
        self.broker
            .clone()
            .unwrap_or_else(|| format!("mqtt://{}", self.embedded_listen))
    }

    /// User name and password, if both are set.
    pub fn credentials(&self) -> Option<(String, String)> {
        match (&self.username, &self.password) {
            (Some(u), Some(p)) => Some((u.clone(), p.expose_secret().to_owned())),
            _ => None,
        }
    }
}

fn redact<S: Serializer>(secret: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => s.serialize_some("[redacted]"),
        None => s.serialize_none(),
    }
}

/// Simulator defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimulateConfig {
    /// Seed of the simulated co-op.
    pub seed: u64,
    /// First day of simulated history (`YYYY-MM-DD`).
    pub start: String,
    /// Simulated seconds per real second for `simulate live`.
    pub speed: f64,
}

impl Default for SimulateConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            start: "2024-01-01".into(),
            speed: 60.0,
        }
    }
}

/// The HTTP API and periodic scoring.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Address the API listens on (`127.0.0.1:8080`; port 0 picks a free one).
    pub listen: String,
    /// Seconds between two scorings of every piece of equipment.
    pub score_every_s: u64,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take, seconds.
    pub request_timeout_s: f64,
    /// Requests handled at once; more get 429.
    pub max_concurrent: usize,
    /// Heavy requests (readings series, budget plans) handled at once; more get 503.
    pub max_heavy: usize,
    /// Problem reports one resident token may send per hour; more get 429.
    pub reports_per_hour: u32,
    /// Unknown or revoked tokens one client address may present within a minute
    /// before it gets 429 for `auth_lockout_s`.
    pub auth_failures_per_minute: u32,
    /// Seconds a client address is refused after too many failed logins.
    pub auth_lockout_s: u64,
    /// Most nodes the budget plan's branch and bound visits; beyond, the best
    /// plan found so far is returned, marked `cut_short`.
    pub plan_max_nodes: u64,
    /// Serve HTTPS (with the certificate of `[tls]`) instead of plain HTTP.
    pub tls: bool,
    /// When set, `/metrics` requires `Authorization: Bearer <this token>` (never printed).
    #[serde(serialize_with = "redact")]
    pub metrics_token: Option<SecretString>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        let limits = caretaker_api::Limits::default();
        Self {
            listen: "127.0.0.1:8080".into(),
            score_every_s: 3600,
            max_body_bytes: limits.max_body_bytes,
            request_timeout_s: limits.request_timeout_s,
            max_concurrent: limits.max_concurrent,
            max_heavy: limits.max_heavy,
            reports_per_hour: limits.reports_per_hour,
            auth_failures_per_minute: limits.auth_failures_per_minute,
            auth_lockout_s: limits.auth_lockout_s,
            plan_max_nodes: limits.plan_max_nodes,
            tls: false,
            metrics_token: None,
        }
    }
}

impl ApiConfig {
    /// The API's request limits from this configuration.
    pub fn limits(&self) -> caretaker_api::Limits {
        caretaker_api::Limits {
            max_body_bytes: self.max_body_bytes,
            request_timeout_s: self.request_timeout_s,
            max_concurrent: self.max_concurrent,
            max_heavy: self.max_heavy,
            reports_per_hour: self.reports_per_hour,
            auth_failures_per_minute: self.auth_failures_per_minute,
            auth_lockout_s: self.auth_lockout_s,
            plan_max_nodes: self.plan_max_nodes,
            ..caretaker_api::Limits::default()
        }
    }
}

/// The server certificate and key of the TLS listeners; unset paths mean the
/// files `caretaker tls init` writes in the data directory's `tls/`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// The server certificate chain (PEM).
    pub cert_file: Option<PathBuf>,
    /// The server certificate's private key (PEM).
    pub key_file: Option<PathBuf>,
}

/// Knowledge packs: what the co-op shares with other co-ops and whom it trusts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationConfig {
    /// Whether `caretaker federation export` may write a pack: members decide,
    /// and nothing is shared until this is `true`.
    pub share: bool,
    /// The name other co-ops see in this co-op's packs; unset: "anonymous".
    pub name: Option<String>,
    /// The trusted-keys file (`NAME KEY` lines); unset: `federation/trusted` in
    /// the data directory.
    pub trusted: Option<PathBuf>,
}

impl Config {
    /// The data directory's folder of federation files: the key pair, the
    /// trusted keys (by default) and the accepted packs (`packs/`).
    pub fn federation_dir(&self) -> PathBuf {
        self.data_dir.join("federation")
    }

    /// The trusted-keys file.
    pub fn trusted_keys_file(&self) -> PathBuf {
        self.federation
            .trusted
            .clone()
            .unwrap_or_else(|| self.federation_dir().join("trusted"))
    }

    /// The data directory's folder of TLS files.
    pub fn tls_dir(&self) -> PathBuf {
        self.data_dir.join("tls")
    }

    /// The server certificate chain and key files the TLS listeners use.
    pub fn tls_files(&self) -> (PathBuf, PathBuf) {
        let dir = self.tls_dir();
        (
            self.tls
                .cert_file
                .clone()
                .unwrap_or_else(|| dir.join(crate::tls::SERVER_CERT)),
            self.tls
                .key_file
                .clone()
                .unwrap_or_else(|| dir.join(crate::tls::SERVER_KEY)),
        )
    }
}

/// The configuration and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The effective configuration.
    pub config: Config,
    /// The file read, if any.
    pub file: Option<PathBuf>,
}

impl Config {
    /// Loads defaults, then `file` (or `./caretaker.toml` if it exists), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<LoadedConfig> {
        let file = match file {
            Some(f) => {
                anyhow::ensure!(
                    f.exists(),
                    "configuration file {} does not exist",
                    f.display()
                );
                Some(f.to_owned())
            }
            None => Some(PathBuf::from("caretaker.toml")).filter(|p| p.exists()),
        };
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = &file {
            figment = figment.merge(Toml::file_exact(f));
        }
        figment = figment.merge(
            Env::prefixed("CARETAKER_")
                .split("__")
                .ignore(&["config", "fault"]),
        );
        let config: Config = figment.extract().map_err(|e| {
            let mut message = String::new();
            for err in e {
                message.push_str(&format!("\n  {err}"));
            }
            anyhow::anyhow!("invalid configuration:{message}")
        })?;
        config.check().context("invalid configuration")?;
        Ok(LoadedConfig { config, file })
    }

    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.simulate.speed.is_finite() && self.simulate.speed > 0.0,
            "simulate.speed must be a positive number, got {}",
            self.simulate.speed
        );
        anyhow::ensure!(
            !self.mqtt.client_id.is_empty(),
            "mqtt.client_id must not be empty"
        );
        anyhow::ensure!(
            self.ingest.flush_interval_s.is_finite() && self.ingest.flush_interval_s > 0.0,
            "ingest.flush_interval_s must be a positive number of seconds"
        );
        anyhow::ensure!(
            self.ingest.aggregates_refresh_s.is_finite() && self.ingest.aggregates_refresh_s > 0.0,
            "ingest.aggregates_refresh_s must be a positive number of seconds"
        );
        anyhow::ensure!(
            self.ingest.flush_readings > 0,
            "ingest.flush_readings must be at least 1"
        );
        anyhow::ensure!(
            self.ingest.max_payload_bytes >= 1024,
            "ingest.max_payload_bytes must be at least 1024"
        );
        anyhow::ensure!(
            self.api.score_every_s >= 1,
            "api.score_every_s must be at least 1"
        );
        anyhow::ensure!(
            self.api.request_timeout_s.is_finite() && self.api.request_timeout_s > 0.0,
            "api.request_timeout_s must be a positive number of seconds"
        );
        anyhow::ensure!(
            self.api.max_concurrent >= 1 && self.api.max_body_bytes >= 1024,
            "api.max_concurrent must be at least 1 and api.max_body_bytes at least 1024"
        );
        anyhow::ensure!(
            self.api.max_heavy >= 1
                && self.api.reports_per_hour >= 1
                && self.api.auth_failures_per_minute >= 1,
            "api.max_heavy, api.reports_per_hour and api.auth_failures_per_minute must be at least 1"
        );
        anyhow::ensure!(
            self.api
                .metrics_token
                .as_ref()
                .is_none_or(|t| !t.expose_secret().trim().is_empty()),
            "api.metrics_token must not be empty (leave it unset for an open /metrics)"
        );
        caretaker_core::Timestamp::parse(&self.simulate.start)
            .with_context(|| format!("simulate.start {:?}", self.simulate.start))?;
        Ok(())
    }

    /// The configuration as TOML, secrets redacted.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("configuration serializes")
    }
}
