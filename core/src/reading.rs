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
/// The compact form in which the simulator and ingest move readings in bulk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadingBatch {
    /// Index of each reading's sensor in [`crate::Registry::sensors`].
    pub sensor: Vec<u32>,
    /// Each reading's time, epoch milliseconds UTC.
    pub ts_ms: Vec<i64>,
    /// Each reading's value (finite).
    pub value: Vec<f64>,
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

    /// Appends a reading. `value` must be finite.
    pub fn push(&mut self, sensor: u32, ts: Timestamp, value: f64) {
        debug_assert!(value.is_finite());
        self.sensor.push(sensor);
        self.ts_ms.push(ts.millis());
        self.value.push(value);
    }

    /// Number of readings.
    pub fn len(&self) -> usize {
        self.ts_ms.len()
    }

    /// Whether the batch holds no reading.
    pub fn is_empty(&self) -> bool {
        self.ts_ms.is_empty()
    }

    /// Removes every reading, keeping the allocation.
    pub fn clear(&mut self) {
        self.sensor.clear();
        self.ts_ms.clear();
        self.value.clear();
    }
}
