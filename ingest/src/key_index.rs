//! The duplicate index: the (sensor, timestamp) keys of recently touched days, with
//! the value stored for each, so a resend is recognised without reading Parquet.
//!
//! A day holds, per sensor, the milliseconds since the start of its UTC day
//! (`u32`) and the value's bits (`u64`) in two columns sorted by time: 12 bytes a
//! key. Readings mostly arrive in time order, so a new key is usually appended and
//! a lookup checks the last entry first; late readings are found and placed by
//! binary search. Days are kept least recently used first; a day is forgotten once
//! more than [`KEY_CACHE_DAYS`] days or [`KEY_CACHE_KEYS`] keys are held, unless
//! the caller says it must stay (it has buffered readings not yet in a file). A
//! forgotten day is loaded again from its files when next touched.
use caretaker_core::Timestamp;
use rustc_hash::FxHashMap;

/// How many days' keys stay in memory for duplicate checks (days with
/// buffered readings always stay).
pub const KEY_CACHE_DAYS: usize = 16;

/// How many keys stay in memory, at most, beyond those of days that must stay
/// (about two days of the sample co-op at one reading a minute; 12 bytes a key).
pub const KEY_CACHE_KEYS: usize = 500_000;

/// One sensor's keys in one day, sorted by time.
#[derive(Debug, Default)]
struct SensorKeys {
    offsets: Vec<u32>,
    value_bits: Vec<u64>,
}

impl SensorKeys {
    /// Where `offset` is, or where it would go.
    fn find(&self, offset: u32) -> Result<usize, usize> {
        match self.offsets.last() {
            None => Err(0),
            Some(last) if *last < offset => Err(self.offsets.len()),
            Some(last) if *last == offset => Ok(self.offsets.len() - 1),
            Some(_) => self.offsets.binary_search(&offset),
        }
    }

    fn get(&self, offset: u32) -> Option<u64> {
        self.find(offset).ok().map(|i| self.value_bits[i])
    }

    /// Inserts or replaces; true when the key is new.
    fn insert(&mut self, offset: u32, bits: u64) -> bool {
        match self.find(offset) {
            Ok(i) => {
                self.value_bits[i] = bits;
                false
            }
            Err(i) => {
                self.offsets.insert(i, offset);
                self.value_bits.insert(i, bits);
                true
            }
        }
    }

    fn shrink_to_fit(&mut self) {
        self.offsets.shrink_to_fit();
        self.value_bits.shrink_to_fit();
    }
}

/// The keys of one UTC day and the value bits stored for each.
#[derive(Debug, Default)]
pub struct DayKeys {
    day_start_ms: i64,
    sensors: FxHashMap<u32, SensorKeys>,
    len: usize,
}

impl DayKeys {
    /// An empty set of keys for `day` (days since the epoch).
    pub fn new(day: i64) -> Self {
        Self {
            day_start_ms: day * Timestamp::DAY,
            sensors: FxHashMap::default(),
            len: 0,
        }
    }

    /// The keys of `day` from (sensor, timestamp, value bits) triples in any order
    /// (as read from several files); the first of two equal keys is kept.
    pub fn from_keys(day: i64, mut keys: Vec<(u32, i64, u64)>) -> Self {
        keys.sort_by_key(|(sensor, ts, _)| (*sensor, *ts));
        keys.dedup_by_key(|(sensor, ts, _)| (*sensor, *ts));
        let mut day_keys = Self::new(day);
        for chunk in keys.chunk_by(|a, b| a.0 == b.0) {
            let sensor = SensorKeys {
                offsets: chunk.iter().map(|k| day_keys.offset(k.1)).collect(),
                value_bits: chunk.iter().map(|k| k.2).collect(),
            };
            day_keys.len += chunk.len();
            day_keys.sensors.insert(chunk[0].0, sensor);
        }
        day_keys
    }

    fn offset(&self, ts_ms: i64) -> u32 {
        let offset = ts_ms - self.day_start_ms;
        debug_assert!(
            (0..Timestamp::DAY).contains(&offset),
            "reading outside its day"
        );
        offset as u32
    }

    /// The value bits stored for a key, if any.
    pub fn get(&self, sensor: u32, ts_ms: i64) -> Option<u64> {
        self.sensors.get(&sensor)?.get(self.offset(ts_ms))
    }

    /// Records a key with its value bits (replacing the value of a known key).
    pub fn insert(&mut self, sensor: u32, ts_ms: i64, value_bits: u64) {
        let offset = self.offset(ts_ms);
        if self
            .sensors
            .entry(sensor)
            .or_default()
            .insert(offset, value_bits)
        {
            self.len += 1;
        }
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Gives back the spare capacity of a day that is no longer growing fast.
    fn shrink_to_fit(&mut self) {
        self.sensors
            .values_mut()
            .for_each(SensorKeys::shrink_to_fit);
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
        if let Some(previous) = self.lru.last().and_then(|d| self.days.get_mut(d)) {
            previous.shrink_to_fit();
        }
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
    fn late_keys_are_placed_in_time_order_and_resends_do_not_count_twice() {
        let day = 19_000;
        let start = day * Timestamp::DAY;
        let mut keys = DayKeys::new(day);
        for minute in [5, 1, 9, 3, 7, 3] {
            keys.insert(1, start + minute * 60_000, minute as u64);
        }
        assert_eq!(keys.len(), 5);
        let sensor = &keys.sensors[&1];
        assert!(sensor.offsets.windows(2).all(|w| w[0] < w[1]));
        for minute in [1, 3, 5, 7, 9] {
            assert_eq!(keys.get(1, start + minute * 60_000), Some(minute as u64));
        }
        assert_eq!(keys.get(1, start + 2 * 60_000), None);
        assert_eq!(keys.get(1, start + 10 * 60_000), None);
    }

    #[test]
    fn keys_read_from_files_in_any_order_match_keys_inserted_one_by_one() {
        let day = 19_000;
        let start = day * Timestamp::DAY;
        let triples: Vec<(u32, i64, u64)> = (0..500u64)
            .map(|i| {
                (
                    (i * 7 % 5) as u32,
                    start + ((i * 7919) % 400) as i64 * 1000,
                    i,
                )
            })
            .collect();
        let mut one_by_one = DayKeys::new(day);
        for (sensor, ts, bits) in &triples {
            if one_by_one.get(*sensor, *ts).is_none() {
                one_by_one.insert(*sensor, *ts, *bits);
            }
        }
        let loaded = DayKeys::from_keys(day, triples.clone());
        assert_eq!(loaded.len(), one_by_one.len());
        for (sensor, ts, _) in &triples {
            assert_eq!(loaded.get(*sensor, *ts), one_by_one.get(*sensor, *ts));
        }
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
