//! The quarantine: every refused message or reading, with its reason, in JSON lines.
//!
//! `quarantine/YYYY-MM-DD.jsonl` (by arrival date, UTC), one object per line:
//! `{"received_at": "...", "topic": "...", "reason": "unknown_sensor", "detail": "...",
//! "payload": "<text, if UTF-8 and at most 2 KiB>", "payload_sha256": "...", "payload_bytes": 123}`.
//! Lines are made durable together with the write-ahead log, before the message is acknowledged.
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
    reason: &'static str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a str>,
    payload_sha256: String,
    payload_bytes: usize,
}

/// Appends quarantine lines to the day's file.
pub struct Quarantine {
    dir: PathBuf,
    day: String,
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
    /// The quarantine in `dir`.
    pub fn open(dir: &Path) -> Result<Self, IngestError> {
        std::fs::create_dir_all(dir).map_err(|source| IngestError::Io {
            path: dir.to_owned(),
            source,
        })?;
        Ok(Self {
            dir: dir.to_owned(),
            day: String::new(),
            out: None,
            dirty: false,
        })
    }

    /// Records a refused message (or reading in it); durable after [`Quarantine::sync`].
    pub fn record(
        &mut self,
        received_at: Timestamp,
        topic: &str,
        payload: &[u8],
        rejection: &Rejection,
    ) -> Result<(), IngestError> {
        let day = received_at.to_datetime().date_naive().to_string();
        if self.out.is_none() || day != self.day {
            self.sync()?;
            let path = self.dir.join(format!("{day}.jsonl"));
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|source| IngestError::Io { path, source })?;
            self.out = Some(BufWriter::new(file));
            self.day = day;
        }
        let text = std::str::from_utf8(payload)
            .ok()
            .filter(|t| t.len() <= MAX_COPIED_PAYLOAD);
        let line = Line {
            received_at,
            topic,
            reason: rejection.reason.name(),
            detail: &rejection.detail,
            payload: text,
            payload_sha256: sha256_hex(payload),
            payload_bytes: payload.len(),
        };
        let path = self.dir.join(format!("{}.jsonl", self.day));
        let out = self.out.as_mut().expect("opened above");
        serde_json::to_writer(&mut *out, &line)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(|source| IngestError::Io { path, source })?;
        self.dirty = true;
        Ok(())
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
