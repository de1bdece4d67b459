//! Readings: one value of one sensor at one time.
use crate::{DomainError, SensorId, Timestamp};

/// One sensor value at one time. The value is always finite.
///
/// A reading's key is `(sensor, ts)`: a resend of the same key is the same reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    sensor: SensorId,
    ts: Timestamp,
    value: f64,
}

impl Reading {
    /// A reading; NaN and infinities are rejected.
    pub fn new(sensor: SensorId, ts: Timestamp, value: f64) -> Result<Self, DomainError> {
        if !value.is_finite() {
            return Err(DomainError::NonFinite);
        }
        Ok(Self { sensor, ts, value })
    }

    /// The sensor.
    pub fn sensor(&self) -> &SensorId {
        &self.sensor
    }

    /// When it was measured.
    pub fn ts(&self) -> Timestamp {
        self.ts
    }

    /// The value, in the sensor's unit of measure.
    pub fn value(&self) -> f64 {
        self.value
    }
}

/// Many readings in columns, sensors given as indexes into the registry's sensor list.
///
/// The compact form in which the simulator and ingest move readings in bulk. Like a
/// [`Reading`], every value is finite: [`ReadingBatch::push`] is the only way in, and
/// it refuses NaN and infinities.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadingBatch {
    sensor: Vec<u32>,
    ts_ms: Vec<i64>,
    value: Vec<f64>,
}

/// One reading of a [`ReadingBatch`], as [`ReadingBatch::get`] and
/// [`ReadingBatch::iter`] give it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct BatchReading {
    /// Index of the sensor in [`crate::Registry::sensors`].
    pub sensor: u32,
    /// When it was measured.
    pub ts: Timestamp,
    /// The value, finite.
    pub value: f64,
}

impl ReadingBatch {
    /// An empty batch with room for `n` readings.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            sensor: Vec::with_capacity(n),
            ts_ms: Vec::with_capacity(n),
            value: Vec::with_capacity(n),
        }
    }

    /// Appends a reading of the sensor at index `sensor`; NaN and infinities are
    /// refused, leaving the batch as it was.
    pub fn push(&mut self, sensor: u32, ts: Timestamp, value: f64) -> Result<(), DomainError> {
        if !value.is_finite() {
            return Err(DomainError::NonFinite);
        }
        self.sensor.push(sensor);
        self.ts_ms.push(ts.millis());
        self.value.push(value);
        Ok(())
    }

    /// Appends the `i`-th reading of `other` (its value is finite, as in any batch).
    ///
    /// # Panics
    ///
    /// If `other` holds `i` readings or fewer, as indexing a slice would.
    pub fn push_from(&mut self, other: &ReadingBatch, i: usize) {
        self.sensor.push(other.sensor[i]);
        self.ts_ms.push(other.ts_ms[i]);
        self.value.push(other.value[i]);
    }

    /// Appends every reading of `other`, in order.
    pub fn append(&mut self, other: &ReadingBatch) {
        self.sensor.extend_from_slice(&other.sensor);
        self.ts_ms.extend_from_slice(&other.ts_ms);
        self.value.extend_from_slice(&other.value);
    }

    /// Keeps the readings from index `start` on whose sensor `keep` accepts, in
    /// order, and hands each one dropped to `dropped`; readings before `start`
    /// are untouched.
    pub fn retain_from(
        &mut self,
        start: usize,
        mut keep: impl FnMut(u32) -> bool,
        mut dropped: impl FnMut(BatchReading),
    ) {
        let mut kept = start;
        for i in start..self.len() {
            if keep(self.sensor[i]) {
                self.sensor[kept] = self.sensor[i];
                self.ts_ms[kept] = self.ts_ms[i];
                self.value[kept] = self.value[i];
                kept += 1;
            } else {
                dropped(BatchReading {
                    sensor: self.sensor[i],
                    ts: Timestamp::from_millis(self.ts_ms[i]),
                    value: self.value[i],
                });
            }
        }
        self.truncate(kept);
    }

    /// Number of readings.
    pub fn len(&self) -> usize {
        self.ts_ms.len()
    }

    /// Whether the batch holds no reading.
    pub fn is_empty(&self) -> bool {
        self.ts_ms.is_empty()
    }

    /// The `i`-th reading, if there are that many.
    pub fn get(&self, i: usize) -> Option<BatchReading> {
        Some(BatchReading {
            sensor: *self.sensor.get(i)?,
            ts: Timestamp::from_millis(self.ts_ms[i]),
            value: self.value[i],
        })
    }

    /// The readings in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = BatchReading> + '_ {
        (0..self.len()).map(|i| BatchReading {
            sensor: self.sensor[i],
            ts: Timestamp::from_millis(self.ts_ms[i]),
            value: self.value[i],
        })
    }

    /// Each reading's sensor, as an index into [`crate::Registry::sensors`].
    pub fn sensors(&self) -> &[u32] {
        &self.sensor
    }

    /// Each reading's time, epoch milliseconds UTC.
    pub fn ts_ms(&self) -> &[i64] {
        &self.ts_ms
    }

    /// Each reading's value, all finite.
    pub fn values(&self) -> &[f64] {
        &self.value
    }

    /// Keeps the first `len` readings and drops the rest (nothing if it holds fewer).
    pub fn truncate(&mut self, len: usize) {
        self.sensor.truncate(len);
        self.ts_ms.truncate(len);
        self.value.truncate(len);
    }

    /// Removes every reading, keeping the allocation.
    pub fn clear(&mut self) {
        self.truncate(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retain_from_keeps_order_and_reports_what_it_drops() {
        let mut batch = ReadingBatch::default();
        for (sensor, ts) in [(0, 1), (1, 2), (2, 3), (1, 4), (3, 5)] {
            batch
                .push(sensor, Timestamp::from_millis(ts), ts as f64)
                .unwrap();
        }
        let mut dropped = Vec::new();
        batch.retain_from(1, |s| s != 1, |r| dropped.push(r.ts.millis()));
        assert_eq!(batch.sensors(), &[0, 2, 3]);
        assert_eq!(batch.ts_ms(), &[1, 3, 5]);
        assert_eq!(batch.values(), &[1.0, 3.0, 5.0]);
        assert_eq!(dropped, vec![2, 4]);
    }

    #[test]
    fn a_batch_refuses_what_is_not_a_number_and_stays_as_it_was() {
        let mut batch = ReadingBatch::default();
        let t = Timestamp::from_millis(1_000);
        batch.push(3, t, 1.5).unwrap();
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(batch.push(4, t, bad), Err(DomainError::NonFinite));
        }
        assert_eq!(
            (batch.sensors(), batch.ts_ms(), batch.values()),
            (&[3][..], &[1_000][..], &[1.5][..])
        );
        let first = batch.get(0).unwrap();
        assert_eq!((first.sensor, first.ts, first.value), (3, t, 1.5));
        assert_eq!(batch.get(1), None);
    }

    #[test]
    fn truncate_keeps_the_first_readings() {
        let mut batch = ReadingBatch::with_capacity(3);
        for i in 0..3 {
            batch
                .push(i, Timestamp::from_millis(i64::from(i)), f64::from(i))
                .unwrap();
        }
        let mut copy = ReadingBatch::default();
        copy.push_from(&batch, 2);
        copy.append(&batch);
        assert_eq!(copy.values(), [2.0, 0.0, 1.0, 2.0]);
        batch.truncate(5);
        assert_eq!(batch.len(), 3);
        batch.truncate(1);
        assert_eq!(batch.iter().map(|r| r.sensor).collect::<Vec<_>>(), [0]);
        batch.clear();
        assert!(batch.is_empty());
    }
}
