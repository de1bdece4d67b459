//! Ingest counters, rendered in the Prometheus text format.
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::decode::RejectReason;

/// Counters and gauges of the ingest pipeline; shared, lock-free.
#[derive(Debug, Default)]
pub struct IngestMetrics {
    /// MQTT messages received.
    pub messages_received: AtomicU64,
    /// MQTT messages acknowledged (after their readings were durable).
    pub messages_acked: AtomicU64,
    /// Messages skipped as carrying no readings (bridge, availability, status...).
    pub messages_ignored: AtomicU64,
    /// Readings accepted into the store (new keys).
    pub readings_stored: AtomicU64,
    /// Readings dropped as exact repeats of a stored key.
    pub readings_duplicate: AtomicU64,
    /// Readings dropped because their key was stored with another value.
    pub readings_conflict: AtomicU64,
    quarantined: [AtomicU64; 10],
    /// Bytes in the write-ahead log.
    pub wal_bytes: AtomicU64,
    /// Readings buffered, not yet in Parquet.
    pub readings_buffered: AtomicU64,
    /// Messages received and waiting to be decoded.
    pub messages_waiting: AtomicU64,
    /// Acknowledgements of durable messages waiting for room in the MQTT client.
    pub acks_waiting: AtomicU64,
    /// Keys held in memory for duplicate checks.
    pub dedup_keys_cached: AtomicU64,
    /// Flushes to Parquet.
    pub flushes: AtomicU64,
    /// Total microseconds spent flushing.
    pub flush_micros_total: AtomicU64,
    /// Longest flush, microseconds.
    pub flush_micros_max: AtomicU64,
    /// Milliseconds between a message's arrival and its acknowledgement (last one).
    pub ack_lag_ms: AtomicU64,
    /// Epoch ms of the newest reading stored.
    pub newest_reading_ms: AtomicU64,
    /// Connections (re)established to the broker.
    pub connections: AtomicU64,
    /// Failed attempts to write the log, quarantine or Parquet (retried).
    pub write_errors: AtomicU64,
}

impl IngestMetrics {
    fn slot(reason: RejectReason) -> usize {
        RejectReason::ALL
            .iter()
            .position(|r| *r == reason)
            .expect("every reason is listed")
    }

    /// Counts a quarantined message or reading.
    pub fn quarantined(&self, reason: RejectReason) {
        self.quarantined[Self::slot(reason)].fetch_add(1, Ordering::Relaxed);
    }

    /// Quarantined so far for one reason.
    pub fn quarantined_count(&self, reason: RejectReason) -> u64 {
        self.quarantined[Self::slot(reason)].load(Ordering::Relaxed)
    }

    /// Records a flush's duration.
    pub fn flushed(&self, seconds: f64) {
        let micros = (seconds * 1e6) as u64;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.flush_micros_total.fetch_add(micros, Ordering::Relaxed);
        self.flush_micros_max.fetch_max(micros, Ordering::Relaxed);
    }

    /// The metrics in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            "caretaker_mqtt_messages_received_total",
            "MQTT messages received.",
            get(&self.messages_received),
        );
        counter(
            "caretaker_mqtt_messages_acked_total",
            "MQTT messages acknowledged after their readings were durable.",
            get(&self.messages_acked),
        );
        counter(
            "caretaker_mqtt_messages_ignored_total",
            "Messages carrying no readings (bridge, availability, status).",
            get(&self.messages_ignored),
        );
        counter(
            "caretaker_mqtt_connections_total",
            "Connections established to the broker.",
            get(&self.connections),
        );
        counter(
            "caretaker_readings_stored_total",
            "Readings stored (new keys).",
            get(&self.readings_stored),
        );
        counter(
            "caretaker_readings_duplicate_total",
            "Readings dropped as repeats of a stored key and value.",
            get(&self.readings_duplicate),
        );
        counter(
            "caretaker_readings_conflict_total",
            "Readings dropped because their key was stored with another value.",
            get(&self.readings_conflict),
        );
        counter(
            "caretaker_flushes_total",
            "Flushes of buffered readings to Parquet.",
            get(&self.flushes),
        );
        counter(
            "caretaker_write_errors_total",
            "Failed writes to the log, quarantine or Parquet (retried).",
            get(&self.write_errors),
        );
        let _ = writeln!(
            out,
            "# HELP caretaker_quarantined_total Messages or readings quarantined, by reason.\n# TYPE caretaker_quarantined_total counter"
        );
        for r in RejectReason::ALL {
            let _ = writeln!(
                out,
                "caretaker_quarantined_total{{reason=\"{r}\"}} {}",
                self.quarantined_count(*r)
            );
        }
        let mut gauge = |name: &str, help: &str, value: f64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        };
        gauge(
            "caretaker_wal_bytes",
            "Bytes in the write-ahead log.",
            get(&self.wal_bytes) as f64,
        );
        gauge(
            "caretaker_mqtt_messages_waiting",
            "Messages received and waiting to be decoded.",
            get(&self.messages_waiting) as f64,
        );
        gauge(
            "caretaker_mqtt_acks_waiting",
            "Acknowledgements of durable messages waiting for room in the MQTT client.",
            get(&self.acks_waiting) as f64,
        );
        gauge(
            "caretaker_readings_buffered",
            "Readings durable in the log, not yet in Parquet.",
            get(&self.readings_buffered) as f64,
        );
        gauge(
            "caretaker_dedup_keys_cached",
            "Reading keys held in memory for duplicate checks.",
            get(&self.dedup_keys_cached) as f64,
        );
        gauge(
            "caretaker_flush_seconds_total",
            "Time spent flushing to Parquet.",
            get(&self.flush_micros_total) as f64 / 1e6,
        );
        gauge(
            "caretaker_flush_seconds_max",
            "Longest flush to Parquet.",
            get(&self.flush_micros_max) as f64 / 1e6,
        );
        gauge(
            "caretaker_ack_lag_seconds",
            "Arrival to acknowledgement of the last message.",
            get(&self.ack_lag_ms) as f64 / 1e3,
        );
        let newest = get(&self.newest_reading_ms);
        if newest > 0 {
            let lag = (caretaker_core::Timestamp::now().millis() - newest as i64).max(0);
            gauge(
                "caretaker_reading_lag_seconds",
                "Now minus the time of the newest reading stored.",
                lag as f64 / 1e3,
            );
        }
        out
    }
}
