//! The write-ahead log: readings are durable here before their MQTT messages are acknowledged.
//!
//! Segments `wal/<seq>.wal` hold records `[len: u32][crc32: u32][body]`, body =
//! readings as `[count: u32]` then per reading `[sensor id len: u16][sensor id][ts ms: i64][value: f64]`
//! (little endian). Appends are fsynced in groups ([`Wal::sync`]); a record is
//! durable once `sync` returns. When the readings of every segment but the
//! current one are safely in Parquet, those segments are deleted
//! ([`Wal::rotate`] then [`Wal::remove_through`]). On start, [`Wal::replay`]
//! returns every intact record; a torn tail (crash mid-append) ends replay of
//! its segment.
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use prometheus_client::metrics::histogram::Histogram;

use crate::IngestError;

/// One reading as the log keeps it: sensor id text, time, value.
#[derive(Debug, Clone, PartialEq)]
pub struct WalReading {
    /// Sensor id.
    pub sensor: String,
    /// Epoch milliseconds.
    pub ts_ms: i64,
    /// Value.
    pub value: f64,
}

/// The write-ahead log in one folder.
pub struct Wal {
    dir: PathBuf,
    seq: u64,
    file: File,
    /// Bytes appended to the current segment.
    segment_bytes: u64,
    /// Bytes in all segments.
    total_bytes: u64,
    buffer: Vec<u8>,
    /// Where each fsync's duration goes, if anywhere.
    fsync_duration: Option<Histogram>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Io {
        path: path.to_owned(),
        source,
    }
}

fn segment_name(seq: u64) -> String {
    format!("{seq:020}.wal")
}

/// Segment sequence numbers present in `dir`, ascending.
fn segments(dir: &Path) -> Result<Vec<u64>, IngestError> {
    let mut seqs: Vec<u64> = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".wal")?.parse().ok()
        })
        .collect();
    seqs.sort_unstable();
    Ok(seqs)
}

impl Wal {
    /// Opens the log in `dir`, starting a new segment after any existing ones
    /// (replay them first with [`Wal::replay`]).
    pub fn open(dir: &Path) -> Result<Self, IngestError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let existing = segments(dir)?;
        let total_bytes = existing
            .iter()
            .filter_map(|s| std::fs::metadata(dir.join(segment_name(*s))).ok())
            .map(|m| m.len())
            .sum();
        let seq = existing.last().map_or(1, |s| s + 1);
        let file = Self::create_segment(dir, seq)?;
        Ok(Self {
            dir: dir.to_owned(),
            seq,
            file,
            segment_bytes: 0,
            total_bytes,
            buffer: Vec::with_capacity(1 << 16),
            fsync_duration: None,
        })
    }

    fn create_segment(dir: &Path, seq: u64) -> Result<File, IngestError> {
        let path = dir.join(segment_name(seq));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir))?;
        Ok(file)
    }

    /// Records how long each fsync of the log takes (seconds) in `histogram`.
    pub fn time_fsyncs(&mut self, histogram: Histogram) {
        self.fsync_duration = Some(histogram);
    }

    /// The current segment's sequence number.
    pub fn current_segment(&self) -> u64 {
        self.seq
    }

    /// Bytes in the log, all segments.
    pub fn size_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Appends readings as one record (written, not yet durable: call [`Wal::sync`]).
    pub fn append<'a>(
        &mut self,
        readings: impl ExactSizeIterator<Item = (&'a str, i64, f64)>,
    ) -> Result<(), IngestError> {
        self.buffer.clear();
        self.buffer.extend_from_slice(&[0; 8]);
        self.buffer
            .extend_from_slice(&(readings.len() as u32).to_le_bytes());
        for (sensor, ts, value) in readings {
            let id = &sensor.as_bytes()[..sensor.len().min(u16::MAX as usize)];
            self.buffer
                .extend_from_slice(&(id.len() as u16).to_le_bytes());
            self.buffer.extend_from_slice(id);
            self.buffer.extend_from_slice(&ts.to_le_bytes());
            self.buffer.extend_from_slice(&value.to_le_bytes());
        }
        let body_len = (self.buffer.len() - 8) as u32;
        let crc = crc32fast::hash(&self.buffer[8..]);
        self.buffer[..4].copy_from_slice(&body_len.to_le_bytes());
        self.buffer[4..8].copy_from_slice(&crc.to_le_bytes());
        let path = self.dir.join(segment_name(self.seq));
        let written = crate::fault::before_write().and_then(|()| self.file.write_all(&self.buffer));
        if let Err(e) = written {
            // Cut a partly written record off, so later records stay readable.
            let _ = self.file.set_len(self.segment_bytes);
            return Err(io_err(&path)(e));
        }
        self.segment_bytes += self.buffer.len() as u64;
        self.total_bytes += self.buffer.len() as u64;
        Ok(())
    }

    /// Makes every appended record durable.
    pub fn sync(&mut self) -> Result<(), IngestError> {
        let began = Instant::now();
        crate::fault::before_fsync();
        let synced = self.file.sync_data();
        if let Some(histogram) = &self.fsync_duration {
            histogram.observe(began.elapsed().as_secs_f64());
        }
        synced.map_err(io_err(&self.dir.join(segment_name(self.seq))))
    }

    /// Closes the current segment (synced) and starts a new one; returns the
    /// closed segment's number. Records appended from now on go to the new one.
    pub fn rotate(&mut self) -> Result<u64, IngestError> {
        self.sync()?;
        let closed = self.seq;
        self.seq += 1;
        self.file = Self::create_segment(&self.dir, self.seq)?;
        self.segment_bytes = 0;
        Ok(closed)
    }

    /// Deletes every segment numbered `seq` or below (their readings are safely stored elsewhere).
    pub fn remove_through(&mut self, seq: u64) -> Result<(), IngestError> {
        for s in segments(&self.dir)? {
            if s <= seq && s != self.seq {
                let path = self.dir.join(segment_name(s));
                let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                std::fs::remove_file(&path).map_err(io_err(&path))?;
                self.total_bytes = self.total_bytes.saturating_sub(len);
            }
        }
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&self.dir))
    }

    /// Every intact record in the segments of `dir` numbered below `before`, in order.
    pub fn replay(dir: &Path, before: u64) -> Result<Vec<WalReading>, IngestError> {
        let mut out = Vec::new();
        if !dir.exists() {
            return Ok(out);
        }
        for seq in segments(dir)? {
            if seq >= before {
                break;
            }
            let path = dir.join(segment_name(seq));
            let mut reader = BufReader::new(File::open(&path).map_err(io_err(&path))?);
            let mut header = [0u8; 8];
            loop {
                if reader.read_exact(&mut header).is_err() {
                    break;
                }
                let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
                let crc = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_err() || crc32fast::hash(&body) != crc {
                    tracing::warn!(segment = %path.display(), "torn record at the end of a log segment, ignored");
                    break;
                }
                if decode_body(&body, &mut out).is_none() {
                    tracing::warn!(segment = %path.display(), "malformed log record, ignored");
                    break;
                }
            }
        }
        Ok(out)
    }
}

fn decode_body(body: &[u8], out: &mut Vec<WalReading>) -> Option<()> {
    let mut at = 0;
    let mut take = |n: usize| {
        let slice = body.get(at..at + n)?;
        at += n;
        Some(slice)
    };
    let count = u32::from_le_bytes(take(4)?.try_into().ok()?);
    for _ in 0..count {
        let len = u16::from_le_bytes(take(2)?.try_into().ok()?) as usize;
        let sensor = std::str::from_utf8(take(len)?).ok()?.to_owned();
        let ts_ms = i64::from_le_bytes(take(8)?.try_into().ok()?);
        let value = f64::from_le_bytes(take(8)?.try_into().ok()?);
        out.push(WalReading {
            sensor,
            ts_ms,
            value,
        });
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_records_replay_in_order_and_a_torn_tail_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let mut wal = Wal::open(dir.path()).unwrap();
        wal.append([("a", 1, 1.5), ("b", 2, 2.5)].into_iter())
            .unwrap();
        wal.append([("c", 3, -1.0)].into_iter()).unwrap();
        wal.sync().unwrap();
        let first = wal.current_segment();
        drop(wal);
        // A crash mid-append leaves half a record.
        let path = dir.path().join(segment_name(first));
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[40, 0, 0, 0, 1, 2]).unwrap();
        let replayed = Wal::replay(dir.path(), u64::MAX).unwrap();
        let keys: Vec<(&str, i64)> = replayed
            .iter()
            .map(|r| (r.sensor.as_str(), r.ts_ms))
            .collect();
        assert_eq!(keys, [("a", 1), ("b", 2), ("c", 3)]);
        // Reopening starts a new segment after the old one.
        let mut wal = Wal::open(dir.path()).unwrap();
        assert_eq!(wal.current_segment(), first + 1);
        wal.append([("d", 4, 0.0)].into_iter()).unwrap();
        let closed = wal.rotate().unwrap();
        wal.remove_through(closed).unwrap();
        assert!(Wal::replay(dir.path(), u64::MAX).unwrap().is_empty());
    }

    #[test]
    fn every_fsync_is_timed() {
        let dir = tempfile::tempdir().unwrap();
        let metrics = crate::metrics::IngestMetrics::new();
        let mut wal = Wal::open(dir.path()).unwrap();
        wal.time_fsyncs(metrics.wal_fsync_duration());
        wal.append([("a", 1, 1.5)].into_iter()).unwrap();
        wal.sync().unwrap();
        wal.rotate().unwrap();
        let text = metrics.render();
        assert!(
            text.lines()
                .any(|l| l == "caretaker_wal_fsync_duration_seconds_count 2"),
            "{text}"
        );
    }
}
