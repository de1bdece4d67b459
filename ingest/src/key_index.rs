//! The duplicate index: the (sensor, timestamp) keys of recently touched days, with
//! the value stored for each, so a resend is recognised without reading Parquet.
//!
//! A key packs the sensor's registry index and the milliseconds since the start of
//! its UTC day into one `u64` (16 bytes an entry with the value's bits). Days are
//! kept least recently used first; a day is forgotten once more than
//! [`KEY_CACHE_DAYS`] days or [`KEY_CACHE_KEYS`] keys are held, unless the caller
//! says it must stay (it has buffered readings not yet in a file). A forgotten
//! day is loaded again from its files when next touched.
use caretaker_core::Timestamp;
use rustc_hash::FxHashMap;

/// How many days' keys stay in memory for duplicate checks (days with
/// buffered readings always stay).
pub const KEY_CACHE_DAYS: usize = 16;

/// How many keys stay in memory, at most, beyond those of days that must stay
/// (about ten days of the sample co-op; 16 bytes a key plus the table's slack).
pub const KEY_CACHE_KEYS: usize = 500_000;

/// The keys of one UTC day and the value bits stored for each.
#[derive(Debug, Default)]
pub struct DayKeys {
    day_start_ms: i64,
    keys: FxHashMap<u64, u64>,
}

impl DayKeys {
    /// An empty set of keys for `day` (days since the epoch).
    pub fn new(day: i64) -> Self {
        Self {
            day_start_ms: day * Timestamp::DAY,
            keys: FxHashMap::default(),
        }
    }

    fn pack(&self, sensor: u32, ts_ms: i64) -> u64 {
        let offset = ts_ms - self.day_start_ms;
        debug_assert!(
            (0..Timestamp::DAY).contains(&offset),
            "reading outside its day"
        );
        (u64::from(sensor) << 32) | offset as u64
    }

    /// The value bits stored for a key, if any.
    pub fn get(&self, sensor: u32, ts_ms: i64) -> Option<u64> {
        self.keys.get(&self.pack(sensor, ts_ms)).copied()
    }

    /// Records a key with its value bits.
    pub fn insert(&mut self, sensor: u32, ts_ms: i64, value_bits: u64) {
        let key = self.pack(sensor, ts_ms);
        self.keys.insert(key, value_bits);
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

/// The days whose keys are in memory, least recently used first.
#[derive(Debug, Default)]
pub struct KeyIndex {
    days: FxHashMap<i64, DayKeys>,
    lru: Vec<i64>,
    total: usize,
}

impl KeyIndex {
    /// The keys of `day` if held, marking the day as just used.
    pub fn day_mut(&mut self, day: i64) -> Option<&mut DayKeys> {
        if self.lru.last() != Some(&day) {
            let pos = self.lru.iter().position(|d| *d == day)?;
            self.lru.remove(pos);
            self.lru.push(day);
        }
        self.days.get_mut(&day)
    }

    /// Adds a day's keys (loaded from its files), forgetting least recently used
    /// days over the limits unless `must_stay` says they hold buffered readings.
    pub fn add_day(&mut self, day: i64, keys: DayKeys, must_stay: impl Fn(i64) -> bool) {
        self.total += keys.len();
        self.days.insert(day, keys);
        self.lru.retain(|d| *d != day);
        self.lru.push(day);
        self.shrink(must_stay);
    }

    /// Records that a key was added to a held day (keeps the count of keys right).
    pub fn insert(&mut self, day: i64, sensor: u32, ts_ms: i64, value_bits: u64) {
        if let Some(keys) = self.day_mut(day) {
            let before = keys.len();
            keys.insert(sensor, ts_ms, value_bits);
            let added = keys.len() - before;
            self.total += added;
        }
    }

    /// Forgets least recently used days while over either limit; the newest day and
    /// days that must stay are kept.
    pub fn shrink(&mut self, must_stay: impl Fn(i64) -> bool) {
        let mut i = 0;
        while (self.lru.len() > KEY_CACHE_DAYS || self.total > KEY_CACHE_KEYS)
            && i + 1 < self.lru.len()
        {
            let day = self.lru[i];
            if must_stay(day) {
                i += 1;
                continue;
            }
            self.lru.remove(i);
            if let Some(keys) = self.days.remove(&day) {
                self.total -= keys.len();
            }
        }
    }

    /// Keys held, over all days.
    pub fn total_keys(&self) -> usize {
        self.total
    }

    /// Days held.
    #[cfg(test)]
    fn days(&self) -> usize {
        self.days.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_told_apart_by_sensor_and_millisecond() {
        let day = 19_000;
        let start = day * Timestamp::DAY;
        let mut keys = DayKeys::new(day);
        keys.insert(3, start, 1.5f64.to_bits());
        keys.insert(3, start + Timestamp::DAY - 1, 2.5f64.to_bits());
        keys.insert(u32::MAX, start, 3.5f64.to_bits());
        assert_eq!(keys.get(3, start), Some(1.5f64.to_bits()));
        assert_eq!(
            keys.get(3, start + Timestamp::DAY - 1),
            Some(2.5f64.to_bits())
        );
        assert_eq!(keys.get(u32::MAX, start), Some(3.5f64.to_bits()));
        assert_eq!(keys.get(4, start), None);
        assert_eq!(keys.len(), 3);
    }

    #[test]
    fn least_recently_used_days_are_forgotten_unless_they_must_stay() {
        let mut index = KeyIndex::default();
        for day in 0..KEY_CACHE_DAYS as i64 + 4 {
            let mut keys = DayKeys::new(day);
            keys.insert(0, day * Timestamp::DAY, 0);
            // Day 0 has buffered readings: it must stay.
            index.add_day(day, keys, |d| d == 0);
        }
        assert_eq!(index.days(), KEY_CACHE_DAYS);
        assert!(index.day_mut(0).is_some(), "a day that must stay is kept");
        assert!(
            index.day_mut(1).is_none(),
            "the oldest other day is forgotten"
        );
        assert!(index.day_mut(KEY_CACHE_DAYS as i64 + 3).is_some());
        assert_eq!(index.total_keys(), KEY_CACHE_DAYS);
    }

    #[test]
    fn the_key_limit_forgets_days_but_never_the_newest() {
        let mut index = KeyIndex::default();
        let mut big = DayKeys::new(1);
        for i in 0..(KEY_CACHE_KEYS as i64 + 10) {
            big.insert((i / 1000) as u32, Timestamp::DAY + i % 1000, 0);
        }
        let mut small = DayKeys::new(0);
        small.insert(0, 0, 0);
        index.add_day(0, small, |_| false);
        index.add_day(1, big, |_| false);
        assert_eq!(index.days(), 1, "day 0 went, the newest day stays");
        assert!(index.day_mut(1).is_some());
        index.insert(1, 9_999_999, Timestamp::DAY, 7);
        assert_eq!(index.total_keys(), KEY_CACHE_KEYS + 11);
    }
}
