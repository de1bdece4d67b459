//! The quarantine: every refused message or reading, with its reason, in JSON lines.
//!
//! `quarantine/YYYY-MM-DD.jsonl` (by arrival date, UTC), one object per line:
//! `{"received_at": "...", "topic": "...", "gateway": "gateway-a", "reason": "unknown_sensor",
//! "detail": "...", "payload": "<text, if UTF-8 and at most 2 KiB>", "payload_sha256": "...",
//! "payload_bytes": 123}` (`gateway`: the gateway logged in on the embedded listener;
//! absent for messages from another broker).
//! Lines are made durable together with the write-ahead log, before the message is acknowledged.
//!
//! It is bounded ([`QuarantineLimits`]): a day's file stops growing at its size cap
//! (the lines beyond are counted, not written), and files older than the retention
//! are deleted when a new day's file opens.
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use caretaker_core::Timestamp;
use serde::Serialize;

use crate::IngestError;
use crate::decode::Rejection;

/// Largest payload copied into a quarantine line; larger ones are kept as a hash.
const MAX_COPIED_PAYLOAD: usize = 2048;

#[derive(Serialize)]
struct Line<'a> {
    received_at: Timestamp,
    topic: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway: Option<&'a str>,
    reason: &'static str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a str>,
    payload_sha256: String,
    payload_bytes: usize,
}

/// How much the quarantine keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuarantineLimits {
    /// Most bytes written to one day's file; later lines that day are dropped.
    pub max_bytes_per_day: u64,
    /// Days of files kept (today included); older ones are deleted.
    pub keep_days: u32,
}

impl Default for QuarantineLimits {
    fn default() -> Self {
        Self {
            max_bytes_per_day: 64 << 20,
            keep_days: 90,
        }
    }
}

/// Whether a refusal's line was written or dropped at the day's size cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The line is in the day's file (durable after [`Quarantine::sync`]).
    Written,
    /// The day's file is full: only the counters know of it.
    Dropped,
}

/// Appends quarantine lines to the day's file.
pub struct Quarantine {
    dir: PathBuf,
    limits: QuarantineLimits,
    day: String,
    /// Bytes in the day's file.
    day_bytes: u64,
    out: Option<BufWriter<File>>,
    dirty: bool,
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Quarantine {
    /// The quarantine in `dir`, kept within `limits`.
    pub fn open(dir: &Path, limits: QuarantineLimits) -> Result<Self, IngestError> {
        std::fs::create_dir_all(dir).map_err(|source| IngestError::Io {
            path: dir.to_owned(),
            source,
        })?;
        Ok(Self {
            dir: dir.to_owned(),
            limits,
            day: String::new(),
            day_bytes: 0,
            out: None,
            dirty: false,
        })
    }

    /// Records a refused message (or reading in it), sent by `gateway` when the
    /// connection says so; durable after [`Quarantine::sync`].
    pub fn record(
        &mut self,
        received_at: Timestamp,
        topic: &str,
        gateway: Option<&str>,
        payload: &[u8],
        rejection: &Rejection,
    ) -> Result<Recorded, IngestError> {
        let date = received_at.to_datetime().date_naive();
        let day = date.to_string();
        if self.out.is_none() || day != self.day {
            self.sync()?;
            let path = self.dir.join(format!("{day}.jsonl"));
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|source| IngestError::Io {
                    path: path.clone(),
                    source,
                })?;
            self.day_bytes = file.metadata().map_or(0, |m| m.len());
            self.out = Some(BufWriter::new(file));
            self.day = day;
            self.remove_expired(date);
        }
        let text = std::str::from_utf8(payload)
            .ok()
            .filter(|t| t.len() <= MAX_COPIED_PAYLOAD);
        let line = Line {
            received_at,
            topic,
            gateway,
            reason: rejection.reason.name(),
            detail: &rejection.detail,
            payload: text,
            payload_sha256: sha256_hex(payload),
            payload_bytes: payload.len(),
        };
        let mut bytes = serde_json::to_vec(&line).map_err(|e| IngestError::Io {
            path: self.dir.clone(),
            source: std::io::Error::from(e),
        })?;
        bytes.push(b'\n');
        if self.day_bytes + bytes.len() as u64 > self.limits.max_bytes_per_day {
            return Ok(Recorded::Dropped);
        }
        let path = self.dir.join(format!("{}.jsonl", self.day));
        let out = self.out.as_mut().expect("opened above");
        out.write_all(&bytes)
            .map_err(|source| IngestError::Io { path, source })?;
        self.day_bytes += bytes.len() as u64;
        self.dirty = true;
        Ok(Recorded::Written)
    }

    /// Deletes day files older than the retention, counted back from `today`.
    fn remove_expired(&self, today: chrono::NaiveDate) {
        let keep = i64::from(self.limits.keep_days.max(1)) - 1;
        let Some(oldest) = today.checked_sub_signed(chrono::Duration::days(keep)) else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(day) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".jsonl"))
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            else {
                continue;
            };
            if day < oldest {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => {
                        tracing::info!(file = %entry.path().display(), "quarantine file past its retention removed")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, file = %entry.path().display(), "cannot remove an expired quarantine file")
                    }
                }
            }
        }
    }

    /// Makes every recorded line durable.
    pub fn sync(&mut self) -> Result<(), IngestError> {
        if !self.dirty {
            return Ok(());
        }
        let path = self.dir.join(format!("{}.jsonl", self.day));
        if let Some(out) = self.out.as_mut() {
            out.flush()
                .and_then(|()| out.get_ref().sync_data())
                .map_err(|source| IngestError::Io { path, source })?;
        }
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::RejectReason;

    #[test]
    fn a_day_stops_at_its_cap_and_old_days_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("2024-01-01.jsonl"), "old\n").unwrap();
        std::fs::write(dir.path().join("2024-01-08.jsonl"), "kept\n").unwrap();
        let limits = QuarantineLimits {
            max_bytes_per_day: 600,
            keep_days: 3,
        };
        let mut q = Quarantine::open(dir.path(), limits).unwrap();
        let rejection = Rejection::new(RejectReason::InvalidJson, "payload is not JSON");
        let at = Timestamp::parse("2024-01-10T12:00:00Z").unwrap();
        let outcomes: Vec<Recorded> = (0..10)
            .map(|_| {
                q.record(at, "caretaker/gw/readings", Some("gw"), b"{", &rejection)
                    .unwrap()
            })
            .collect();
        q.sync().unwrap();
        let written = outcomes.iter().filter(|r| **r == Recorded::Written).count();
        assert!((1..10).contains(&written), "{outcomes:?}");
        assert_eq!(outcomes[written..], vec![Recorded::Dropped; 10 - written]);
        let today = std::fs::read_to_string(dir.path().join("2024-01-10.jsonl")).unwrap();
        assert!(today.len() <= 600);
        assert_eq!(today.lines().count(), written);
        assert!(today.contains(r#""gateway":"gw""#));
        assert!(
            !dir.path().join("2024-01-01.jsonl").exists(),
            "past the retention"
        );
        assert!(
            dir.path().join("2024-01-08.jsonl").exists(),
            "within 3 days"
        );
    }
}
