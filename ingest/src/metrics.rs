//! The ingest pipeline's metrics: typed counters, gauges and histograms in a
//! `prometheus-client` registry, rendered for `/metrics` in the Prometheus text
//! format (version 0.0.4).
//!
//! Counters and gauges are atomics, so the pipeline counts each message and
//! reading without a lock. The two histograms take a short, uncontended lock per
//! observation: once per flush or log fsync, never per message.
//!
//! | name | type | what |
//! | --- | --- | --- |
//! | `caretaker_mqtt_messages_received_total` | counter | MQTT messages received |
//! | `caretaker_mqtt_messages_acked_total` | counter | messages acknowledged, after their readings were durable |
//! | `caretaker_mqtt_messages_ignored_total` | counter | messages carrying no readings (bridge, availability, status) |
//! | `caretaker_mqtt_connections_total` | counter | connections established to the broker (1 for the embedded listener) |
//! | `caretaker_mqtt_subscribed` | gauge | 1 once every subscription on the broker is acknowledged (and on the embedded listener) |
//! | `caretaker_gateway_sessions` | gauge | gateways connected to the embedded listener |
//! | `caretaker_gateway_logins_refused_total` | counter | logins the embedded listener refused |
//! | `caretaker_gateway_subscriptions_refused_total` | counter | subscriptions refused: outside the gateway's own topics |
//! | `caretaker_readings_stored_total` | counter | readings stored (new keys) |
//! | `caretaker_readings_duplicate_total` | counter | readings dropped as repeats of a stored key and value |
//! | `caretaker_readings_conflict_total` | counter | readings dropped: key stored with another value |
//! | `caretaker_flushes_total` | counter | flushes to Parquet |
//! | `caretaker_write_errors_total` | counter | failed writes to the log, quarantine or Parquet (retried) |
//! | `caretaker_quarantined_total{reason}` | counter | quarantined, one series per [`RejectReason`] |
//! | `caretaker_quarantine_dropped_total` | counter | quarantine lines not written: the day's file was at its size cap |
//! | `caretaker_flush_seconds_total` | counter | time spent flushing |
//! | `caretaker_wal_bytes` | gauge | bytes in the write-ahead log |
//! | `caretaker_mqtt_messages_waiting` | gauge | messages received, waiting to be decoded |
//! | `caretaker_mqtt_acks_waiting` | gauge | acks of durable messages waiting for the MQTT client |
//! | `caretaker_readings_buffered` | gauge | readings durable in the log, not yet in Parquet |
//! | `caretaker_dedup_keys_cached` | gauge | reading keys held in memory for duplicate checks |
//! | `caretaker_flush_seconds_max` | gauge | longest flush |
//! | `caretaker_ack_lag_seconds` | gauge | arrival to acknowledgement of the last message |
//! | `caretaker_reading_lag_seconds` | gauge | now minus the newest reading stored (absent before the first) |
//! | `caretaker_flush_duration_seconds` | histogram | each flush to Parquet, 1 ms to 33 s |
//! | `caretaker_wal_fsync_duration_seconds` | histogram | each write-ahead log fsync, 0.1 ms to 3.3 s |
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _, prometheus_text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::decode::RejectReason;

/// A gauge of a count or size.
pub type Level = Gauge<u64, AtomicU64>;

/// A gauge of seconds.
pub type Seconds = Gauge<f64, AtomicU64>;

/// The `Content-Type` of [`IngestMetrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Counters, gauges and histograms of the ingest pipeline; shared, lock-free to count.
#[derive(Debug)]
pub struct IngestMetrics {
    registry: Registry,
    /// MQTT messages received.
    pub messages_received: Counter,
    /// Quarantine lines not written because the day's file was full.
    pub quarantine_dropped: Counter,
    /// 1 while ingest hears every topic it needs: its subscriptions on the broker
    /// acknowledged, or the embedded listener up.
    pub subscribed: Level,
    /// Gateways connected to the embedded listener.
    pub gateway_sessions: Level,
    /// Logins the embedded listener refused.
    pub gateway_logins_refused: Counter,
    /// Subscriptions refused for lying outside a gateway's own topics.
    pub gateway_subscriptions_refused: Counter,
    /// MQTT messages acknowledged (after their readings were durable).
    pub messages_acked: Counter,
    /// Messages skipped as carrying no readings (bridge, availability, status...).
    pub messages_ignored: Counter,
    /// Connections (re)established to the broker.
    pub connections: Counter,
    /// Readings accepted into the store (new keys).
    pub readings_stored: Counter,
    /// Readings dropped as exact repeats of a stored key.
    pub readings_duplicate: Counter,
    /// Readings dropped because their key was stored with another value.
    pub readings_conflict: Counter,
    /// Failed attempts to write the log, quarantine or Parquet (retried).
    pub write_errors: Counter,
    /// One counter per reason, in the order of [`RejectReason::ALL`].
    quarantined: Vec<Counter>,
    /// Bytes in the write-ahead log.
    pub wal_bytes: Level,
    /// Messages received and waiting to be decoded.
    pub messages_waiting: Level,
    /// Acknowledgements of durable messages waiting for room in the MQTT client.
    pub acks_waiting: Level,
    /// Readings buffered, not yet in Parquet.
    pub readings_buffered: Level,
    /// Keys held in memory for duplicate checks.
    pub dedup_keys_cached: Level,
    /// Between a message's arrival and its acknowledgement (the last one).
    pub ack_lag_seconds: Seconds,
    flushes: Counter,
    flush_seconds: Counter<f64, AtomicU64>,
    flush_seconds_max: Seconds,
    flush_duration: Histogram,
    wal_fsync_duration: Histogram,
    /// Epoch ms of the newest reading stored (0: none yet).
    newest_reading_ms: Arc<AtomicU64>,
    /// Each gateway's last message and recent refusals (not exported as metrics).
    pub gateways: crate::activity::GatewayActivity,
}

impl Default for IngestMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl IngestMetrics {
    /// Every metric at zero, registered under its `caretaker_` name.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("caretaker");
        // Help texts get their closing full stop from the registry.
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let messages_received = counter(
            &mut registry,
            "mqtt_messages_received",
            "MQTT messages received",
        );
        let messages_acked = counter(
            &mut registry,
            "mqtt_messages_acked",
            "MQTT messages acknowledged after their readings were durable",
        );
        let messages_ignored = counter(
            &mut registry,
            "mqtt_messages_ignored",
            "Messages carrying no readings (bridge, availability, status)",
        );
        let connections = counter(
            &mut registry,
            "mqtt_connections",
            "Connections established to the broker",
        );
        let gateway_logins_refused = counter(
            &mut registry,
            "gateway_logins_refused",
            "Logins the embedded MQTT listener refused",
        );
        let gateway_subscriptions_refused = counter(
            &mut registry,
            "gateway_subscriptions_refused",
            "Subscriptions refused because they reach beyond the gateway's own topics",
        );
        let quarantine_dropped = counter(
            &mut registry,
            "quarantine_dropped",
            "Quarantine lines not written because the day's file reached its size cap",
        );
        let readings_stored = counter(
            &mut registry,
            "readings_stored",
            "Readings stored (new keys)",
        );
        let readings_duplicate = counter(
            &mut registry,
            "readings_duplicate",
            "Readings dropped as repeats of a stored key and value",
        );
        let readings_conflict = counter(
            &mut registry,
            "readings_conflict",
            "Readings dropped because their key was stored with another value",
        );
        let flushes = counter(
            &mut registry,
            "flushes",
            "Flushes of buffered readings to Parquet",
        );
        let write_errors = counter(
            &mut registry,
            "write_errors",
            "Failed writes to the log, quarantine or Parquet (retried)",
        );
        let by_reason = Family::<[(&'static str, &'static str); 1], Counter>::default();
        registry.register(
            "quarantined",
            "Messages or readings quarantined, by reason",
            by_reason.clone(),
        );
        // Every reason is listed from the start (at 0), and counted through its own
        // handle so that counting never looks the label up.
        let quarantined = RejectReason::ALL
            .iter()
            .map(|r| by_reason.get_or_create_owned(&[("reason", r.name())]))
            .collect();
        let flush_seconds = Counter::<f64, AtomicU64>::default();
        registry.register(
            "flush_seconds",
            "Time spent flushing to Parquet",
            flush_seconds.clone(),
        );

        let level = |registry: &mut Registry, name: &str, help: &str| {
            let g = Level::default();
            registry.register(name, help, g.clone());
            g
        };
        let wal_bytes = level(&mut registry, "wal_bytes", "Bytes in the write-ahead log");
        let subscribed = level(
            &mut registry,
            "mqtt_subscribed",
            "1 once every subscription on the broker is acknowledged, or the embedded listener is up",
        );
        let gateway_sessions = level(
            &mut registry,
            "gateway_sessions",
            "Gateways connected to the embedded MQTT listener",
        );
        let messages_waiting = level(
            &mut registry,
            "mqtt_messages_waiting",
            "Messages received and waiting to be decoded",
        );
        let acks_waiting = level(
            &mut registry,
            "mqtt_acks_waiting",
            "Acknowledgements of durable messages waiting for room in the MQTT client",
        );
        let readings_buffered = level(
            &mut registry,
            "readings_buffered",
            "Readings durable in the log, not yet in Parquet",
        );
        let dedup_keys_cached = level(
            &mut registry,
            "dedup_keys_cached",
            "Reading keys held in memory for duplicate checks",
        );
        let seconds = |registry: &mut Registry, name: &str, help: &str| {
            let g = Seconds::default();
            registry.register(name, help, g.clone());
            g
        };
        let flush_seconds_max = seconds(
            &mut registry,
            "flush_seconds_max",
            "Longest flush to Parquet",
        );
        let ack_lag_seconds = seconds(
            &mut registry,
            "ack_lag_seconds",
            "Arrival to acknowledgement of the last message",
        );
        let newest_reading_ms = Arc::new(AtomicU64::new(0));
        registry.register_collector(Box::new(ReadingLag(newest_reading_ms.clone())));

        let flush_duration = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register(
            "flush_duration_seconds",
            "Duration of each flush of buffered readings to Parquet",
            flush_duration.clone(),
        );
        let wal_fsync_duration = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        registry.register(
            "wal_fsync_duration_seconds",
            "Duration of each write-ahead log fsync",
            wal_fsync_duration.clone(),
        );

        Self {
            registry,
            messages_received,
            quarantine_dropped,
            subscribed,
            gateway_sessions,
            gateway_logins_refused,
            gateway_subscriptions_refused,
            messages_acked,
            messages_ignored,
            connections,
            readings_stored,
            readings_duplicate,
            readings_conflict,
            write_errors,
            quarantined,
            wal_bytes,
            messages_waiting,
            acks_waiting,
            readings_buffered,
            dedup_keys_cached,
            ack_lag_seconds,
            flushes,
            flush_seconds,
            flush_seconds_max,
            flush_duration,
            wal_fsync_duration,
            newest_reading_ms,
            gateways: crate::activity::GatewayActivity::new(caretaker_core::Timestamp::now()),
        }
    }

    fn slot(reason: RejectReason) -> usize {
        RejectReason::ALL
            .iter()
            .position(|r| *r == reason)
            .expect("every reason is listed")
    }

    /// Counts a quarantined message or reading.
    pub fn quarantined(&self, reason: RejectReason) {
        self.quarantined[Self::slot(reason)].inc();
    }

    /// Quarantined so far for one reason.
    pub fn quarantined_count(&self, reason: RejectReason) -> u64 {
        self.quarantined[Self::slot(reason)].get()
    }

    /// Records a flush's duration.
    pub fn flushed(&self, seconds: f64) {
        let seconds = seconds.max(0.0);
        self.flushes.inc();
        self.flush_seconds.inc_by(seconds);
        // A non-negative f64's bits order as its value does.
        self.flush_seconds_max
            .inner()
            .fetch_max(seconds.to_bits(), Ordering::Relaxed);
        self.flush_duration.observe(seconds);
    }

    /// The histogram of write-ahead log fsync durations, for [`crate::wal::Wal::time_fsyncs`].
    pub fn wal_fsync_duration(&self) -> Histogram {
        self.wal_fsync_duration.clone()
    }

    /// Notes the time of readings just stored (epoch ms), for the reading lag.
    pub fn stored_reading_at(&self, ts_ms: i64) {
        self.newest_reading_ms
            .fetch_max(ts_ms.max(0) as u64, Ordering::Relaxed);
    }

    /// The metrics in the Prometheus text exposition format ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 << 10);
        prometheus_text::encode(&mut out, &self.registry).expect("writing to a String succeeds");
        out
    }
}

/// `caretaker_reading_lag_seconds`, worked out at each scrape; absent until a
/// reading is stored (a lag of 0 would claim a fresh reading).
#[derive(Debug)]
struct ReadingLag(Arc<AtomicU64>);

impl Collector for ReadingLag {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let newest = self.0.load(Ordering::Relaxed);
        if newest == 0 {
            return Ok(());
        }
        let lag_ms = (caretaker_core::Timestamp::now().millis() - newest as i64).max(0);
        let gauge = ConstGauge::new(lag_ms as f64 / 1e3);
        let metric = encoder.encode_descriptor(
            "reading_lag_seconds",
            "Now minus the time of the newest reading stored.",
            None,
            gauge.metric_type(),
        )?;
        gauge.encode(metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every series `/metrics` had before it moved to `prometheus-client`:
    /// dashboards, alerts and `bench/ingest.sh` read these names.
    const SERIES: &[&str] = &[
        "caretaker_mqtt_messages_received_total",
        "caretaker_mqtt_messages_acked_total",
        "caretaker_mqtt_messages_ignored_total",
        "caretaker_mqtt_connections_total",
        "caretaker_readings_stored_total",
        "caretaker_readings_duplicate_total",
        "caretaker_readings_conflict_total",
        "caretaker_flushes_total",
        "caretaker_write_errors_total",
        "caretaker_quarantined_total{reason=\"oversize\"}",
        "caretaker_quarantined_total{reason=\"not_utf8\"}",
        "caretaker_quarantined_total{reason=\"invalid_json\"}",
        "caretaker_quarantined_total{reason=\"wrong_type\"}",
        "caretaker_quarantined_total{reason=\"non_finite\"}",
        "caretaker_quarantined_total{reason=\"bad_timestamp\"}",
        "caretaker_quarantined_total{reason=\"unknown_sensor\"}",
        "caretaker_quarantined_total{reason=\"out_of_range\"}",
        "caretaker_quarantined_total{reason=\"unsupported_format\"}",
        "caretaker_quarantined_total{reason=\"unknown_topic\"}",
        "caretaker_quarantined_total{reason=\"wrong_gateway\"}",
        "caretaker_quarantine_dropped_total",
        "caretaker_mqtt_subscribed",
        "caretaker_gateway_sessions",
        "caretaker_gateway_logins_refused_total",
        "caretaker_gateway_subscriptions_refused_total",
        "caretaker_wal_bytes",
        "caretaker_mqtt_messages_waiting",
        "caretaker_mqtt_acks_waiting",
        "caretaker_readings_buffered",
        "caretaker_dedup_keys_cached",
        "caretaker_flush_seconds_total",
        "caretaker_flush_seconds_max",
        "caretaker_ack_lag_seconds",
    ];

    /// The value of series `name` in `text`, if present.
    fn value(text: &str, name: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn every_series_keeps_its_name_and_labels() {
        let text = IngestMetrics::new().render();
        for name in SERIES {
            assert_eq!(value(&text, name), Some(0.0), "{name} missing:\n{text}");
        }
        assert_eq!(value(&text, "caretaker_reading_lag_seconds"), None);
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(' ').next().unwrap_or_default();
            let histogram = ["flush_duration_seconds", "wal_fsync_duration_seconds"]
                .iter()
                .any(|h| name.starts_with(&format!("caretaker_{h}_")));
            assert!(SERIES.contains(&name) || histogram, "new series {name}");
        }
    }

    #[test]
    fn counts_and_durations_are_rendered() {
        let m = IngestMetrics::new();
        m.messages_acked.inc_by(3);
        m.wal_bytes.set(4096);
        m.quarantined(RejectReason::UnknownSensor);
        m.flushed(0.25);
        m.flushed(0.5);
        m.wal_fsync_duration().observe(0.002);
        m.stored_reading_at(caretaker_core::Timestamp::now().millis() - 5_000);
        let text = m.render();
        let v = |name| value(&text, name);
        assert_eq!(v("caretaker_mqtt_messages_acked_total"), Some(3.0));
        assert_eq!(v("caretaker_wal_bytes"), Some(4096.0));
        assert_eq!(
            v("caretaker_quarantined_total{reason=\"unknown_sensor\"}"),
            Some(1.0)
        );
        assert_eq!(m.quarantined_count(RejectReason::UnknownSensor), 1);
        assert_eq!(v("caretaker_flushes_total"), Some(2.0));
        assert_eq!(v("caretaker_flush_seconds_total"), Some(0.75));
        assert_eq!(v("caretaker_flush_seconds_max"), Some(0.5));
        assert_eq!(v("caretaker_flush_duration_seconds_count"), Some(2.0));
        assert_eq!(v("caretaker_flush_duration_seconds_sum"), Some(0.75));
        assert_eq!(
            v("caretaker_flush_duration_seconds_bucket{le=\"0.256\"}"),
            Some(1.0)
        );
        assert_eq!(v("caretaker_wal_fsync_duration_seconds_count"), Some(1.0));
        let lag = v("caretaker_reading_lag_seconds").expect("a reading lag");
        assert!((5.0..60.0).contains(&lag), "lag {lag}");
        assert!(text.contains("# TYPE caretaker_wal_fsync_duration_seconds histogram"));
    }
}
