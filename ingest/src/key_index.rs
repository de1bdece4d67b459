//! The duplicate index: what is known of the (sensor, timestamp) keys of recently
//! touched days, so a resend is recognised without reading Parquet on every reading.
//!
//! Per day, two kinds of keys are held apart:
//! - **unwritten** keys (buffered, or in a flush that has not finished): all of
//!   them, always, since no file has them yet;
//! - **written** keys (in the day's files): either all of them, or only each
//!   sensor's latest key. Readings mostly arrive in time order per sensor, so a
//!   key later than its sensor's latest written one is new without knowing the
//!   others; only an earlier key (a resend, or a late reading) needs them all,
//!   and the caller then loads them from the day's files
//!   ([`DayKeys::set_written`]).
//!
//! A sensor's keys are the milliseconds since the start of the UTC day (`u32`)
//! and the value's bits (`u64`) in two columns sorted by time: 12 bytes a key.
//! So memory follows the flush buffer, not the number of readings ingested: once
//! a flush ends, its keys shrink to one latest key per sensor and day unless the
//! day's written keys were loaded in full. Days are kept least recently used
//! first; over [`KEY_CACHE_KEYS`] keys, the full written keys of older days are
//! dropped (their latest keys stay), and over [`KEY_CACHE_DAYS`] days, days with
//! no unwritten keys are forgotten (read again from their files when next
//! touched).
use caretaker_core::Timestamp;
use rustc_hash::FxHashMap;

/// How many days stay in memory for duplicate checks (days with unwritten keys
/// always stay).
pub const KEY_CACHE_DAYS: usize = 16;

/// How many keys stay in memory, at most, beyond the unwritten ones and those of
/// the newest day (12 bytes a key).
pub const KEY_CACHE_KEYS: usize = 500_000;

/// A reading's key and value: (sensor index, epoch milliseconds, value bits).
pub type KeyAndValue = (u32, i64, u64);

/// What the index knows of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Neither buffered nor in any file.
    Absent,
    /// Buffered or stored, with these value bits.
    Present(u64),
    /// Maybe in a file: the day's written keys must be loaded to tell.
    Unsure,
}

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

    /// The latest key.
    fn latest(&self) -> Option<(u32, u64)> {
        Some((*self.offsets.last()?, *self.value_bits.last()?))
    }
}

/// Keys per sensor, with their count.
#[derive(Debug, Default)]
struct KeySet {
    sensors: FxHashMap<u32, SensorKeys>,
    len: usize,
}

impl KeySet {
    fn get(&self, sensor: u32, offset: u32) -> Option<u64> {
        self.sensors.get(&sensor)?.get(offset)
    }

    fn insert(&mut self, sensor: u32, offset: u32, bits: u64) {
        if self.sensors.entry(sensor).or_default().insert(offset, bits) {
            self.len += 1;
        }
    }

    /// From (sensor, offset, value bits) triples in any order; the first of two
    /// equal keys is kept.
    fn from_triples(mut keys: Vec<(u32, u32, u64)>) -> Self {
        keys.sort_by_key(|(sensor, offset, _)| (*sensor, *offset));
        keys.dedup_by_key(|(sensor, offset, _)| (*sensor, *offset));
        let mut set = Self {
            sensors: FxHashMap::default(),
            len: keys.len(),
        };
        for chunk in keys.chunk_by(|a, b| a.0 == b.0) {
            let sensor = SensorKeys {
                offsets: chunk.iter().map(|k| k.1).collect(),
                value_bits: chunk.iter().map(|k| k.2).collect(),
            };
            set.sensors.insert(chunk[0].0, sensor);
        }
        set
    }

    /// Each sensor's latest key.
    fn latest(&self) -> FxHashMap<u32, (u32, u64)> {
        self.sensors
            .iter()
            .filter_map(|(sensor, keys)| Some((*sensor, keys.latest()?)))
            .collect()
    }
}

/// What is known of the keys in a day's files.
#[derive(Debug)]
enum WrittenKeys {
    /// Every key.
    All(KeySet),
    /// Each sensor's latest key (offset, value bits): later keys are absent.
    Latest(FxHashMap<u32, (u32, u64)>),
}

/// What is known of the keys of one UTC day.
#[derive(Debug)]
pub struct DayKeys {
    day_start_ms: i64,
    unwritten: KeySet,
    written: WrittenKeys,
}

impl DayKeys {
    /// A day with no keys at all (no files, nothing buffered).
    pub fn new(day: i64) -> Self {
        Self {
            day_start_ms: day * Timestamp::DAY,
            unwritten: KeySet::default(),
            written: WrittenKeys::Latest(FxHashMap::default()),
        }
    }

    /// A day whose files hold these (sensor, timestamp, value bits) triples, in
    /// any order (as read from several files); the first of two equal keys is kept.
    pub fn from_written(day: i64, keys: Vec<KeyAndValue>) -> Self {
        let mut day_keys = Self::new(day);
        day_keys.set_written(keys);
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

    /// What is known of a key.
    pub fn get(&self, sensor: u32, ts_ms: i64) -> Known {
        let offset = self.offset(ts_ms);
        if let Some(bits) = self.unwritten.get(sensor, offset) {
            return Known::Present(bits);
        }
        match &self.written {
            WrittenKeys::All(keys) => keys
                .get(sensor, offset)
                .map_or(Known::Absent, Known::Present),
            WrittenKeys::Latest(latest) => match latest.get(&sensor) {
                None => Known::Absent,
                Some((last, _)) if *last < offset => Known::Absent,
                Some((last, bits)) if *last == offset => Known::Present(*bits),
                Some(_) => Known::Unsure,
            },
        }
    }

    /// Records a key that is buffered, not yet in a file.
    pub fn insert_unwritten(&mut self, sensor: u32, ts_ms: i64, value_bits: u64) {
        let offset = self.offset(ts_ms);
        self.unwritten.insert(sensor, offset, value_bits);
    }

    /// Records that keys are now in the day's files.
    pub fn add_written(&mut self, keys: impl IntoIterator<Item = KeyAndValue>) {
        for (sensor, ts_ms, bits) in keys {
            let offset = self.offset(ts_ms);
            match &mut self.written {
                WrittenKeys::All(set) => set.insert(sensor, offset, bits),
                WrittenKeys::Latest(latest) => {
                    let entry = latest.entry(sensor).or_insert((offset, bits));
                    if entry.0 < offset {
                        *entry = (offset, bits);
                    }
                }
            }
        }
    }

    /// Replaces the unwritten keys (after a flush: those still buffered).
    pub fn set_unwritten(&mut self, keys: impl IntoIterator<Item = KeyAndValue>) {
        let triples = keys
            .into_iter()
            .map(|(sensor, ts_ms, bits)| (sensor, self.offset(ts_ms), bits))
            .collect();
        self.unwritten = KeySet::from_triples(triples);
    }

    /// Sets every key in the day's files (as read from them, in any order).
    pub fn set_written(&mut self, keys: Vec<KeyAndValue>) {
        let triples = keys
            .into_iter()
            .map(|(sensor, ts_ms, bits)| (sensor, self.offset(ts_ms), bits))
            .collect();
        self.written = WrittenKeys::All(KeySet::from_triples(triples));
    }

    /// Keeps only each sensor's latest written key.
    fn forget_written_detail(&mut self) {
        if let WrittenKeys::All(set) = &self.written {
            self.written = WrittenKeys::Latest(set.latest());
        }
    }

    /// Whether every written key is held (not only each sensor's latest).
    pub fn written_in_full(&self) -> bool {
        matches!(self.written, WrittenKeys::All(_))
    }

    /// Keys held: unwritten, and written ones held in full.
    pub fn len(&self) -> usize {
        self.unwritten.len + self.written_len()
    }

    fn written_len(&self) -> usize {
        match &self.written {
            WrittenKeys::All(set) => set.len,
            WrittenKeys::Latest(_) => 0,
        }
    }

    /// Whether the day has unwritten keys.
    pub fn has_unwritten(&self) -> bool {
        self.unwritten.len > 0
    }
}

/// The days whose keys are in memory, least recently used first.
#[derive(Debug, Default)]
pub struct KeyIndex {
    days: FxHashMap<i64, DayKeys>,
    lru: Vec<i64>,
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

    /// Adds a day's keys (loaded from its files) as the newest, then keeps to the
    /// limits ([`KeyIndex::shrink`]).
    pub fn add_day(&mut self, day: i64, keys: DayKeys) {
        self.days.insert(day, keys);
        self.lru.retain(|d| *d != day);
        self.lru.push(day);
        self.shrink();
    }

    /// Keeps to the limits, least recently used days first: over
    /// [`KEY_CACHE_KEYS`] keys, drops full written keys (not the newest day's);
    /// over [`KEY_CACHE_DAYS`] days, forgets days with no unwritten keys.
    pub fn shrink(&mut self) {
        let newest = self.lru.last().copied();
        let mut total = self.total_keys();
        for day in &self.lru {
            if total <= KEY_CACHE_KEYS {
                break;
            }
            let keys = self.days.get_mut(day).expect("held days are listed");
            if Some(*day) != newest && keys.written_in_full() {
                total -= keys.written_len();
                keys.forget_written_detail();
            }
        }
        let mut i = 0;
        while self.lru.len() > KEY_CACHE_DAYS && i + 1 < self.lru.len() {
            let day = self.lru[i];
            if self.days[&day].has_unwritten() {
                i += 1;
                continue;
            }
            self.lru.remove(i);
            self.days.remove(&day);
        }
    }

    /// Keys held, over all days.
    pub fn total_keys(&self) -> usize {
        self.days.values().map(DayKeys::len).sum()
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

    const DAY: i64 = 19_000;
    const START: i64 = DAY * Timestamp::DAY;

    fn minute(m: i64) -> i64 {
        START + m * 60_000
    }

    #[test]
    fn keys_are_told_apart_by_sensor_and_millisecond() {
        let mut keys = DayKeys::new(DAY);
        keys.insert_unwritten(3, START, 1.5f64.to_bits());
        keys.insert_unwritten(3, START + Timestamp::DAY - 1, 2.5f64.to_bits());
        keys.insert_unwritten(u32::MAX, START, 3.5f64.to_bits());
        assert_eq!(keys.get(3, START), Known::Present(1.5f64.to_bits()));
        assert_eq!(
            keys.get(3, START + Timestamp::DAY - 1),
            Known::Present(2.5f64.to_bits())
        );
        assert_eq!(keys.get(u32::MAX, START), Known::Present(3.5f64.to_bits()));
        assert_eq!(keys.get(4, START), Known::Absent);
        assert_eq!(keys.len(), 3);
    }

    #[test]
    fn late_keys_are_placed_in_time_order_and_resends_do_not_count_twice() {
        let mut keys = DayKeys::new(DAY);
        for m in [5, 1, 9, 3, 7, 3] {
            keys.insert_unwritten(1, minute(m), m as u64);
        }
        assert_eq!(keys.len(), 5);
        let sensor = &keys.unwritten.sensors[&1];
        assert!(sensor.offsets.windows(2).all(|w| w[0] < w[1]));
        for m in [1, 3, 5, 7, 9] {
            assert_eq!(keys.get(1, minute(m)), Known::Present(m as u64));
        }
        assert_eq!(keys.get(1, minute(2)), Known::Absent);
        assert_eq!(keys.get(1, minute(10)), Known::Absent);
    }

    #[test]
    fn keys_read_from_files_in_any_order_match_keys_inserted_one_by_one() {
        let triples: Vec<(u32, i64, u64)> = (0..500u64)
            .map(|i| {
                (
                    (i * 7 % 5) as u32,
                    START + ((i * 7919) % 400) as i64 * 1000,
                    i,
                )
            })
            .collect();
        let mut one_by_one = DayKeys::new(DAY);
        for (sensor, ts, bits) in &triples {
            if one_by_one.get(*sensor, *ts) == Known::Absent {
                one_by_one.insert_unwritten(*sensor, *ts, *bits);
            }
        }
        let loaded = DayKeys::from_written(DAY, triples.clone());
        assert_eq!(loaded.len(), one_by_one.len());
        for (sensor, ts, _) in &triples {
            assert_eq!(loaded.get(*sensor, *ts), one_by_one.get(*sensor, *ts));
        }
    }

    #[test]
    fn after_a_flush_only_each_sensors_latest_key_is_kept_and_earlier_ones_are_unsure() {
        let mut keys = DayKeys::new(DAY);
        let flushed: Vec<_> = (0..100).map(|m| (1, minute(m), m as u64)).collect();
        for (sensor, ts, bits) in &flushed {
            keys.insert_unwritten(*sensor, *ts, *bits);
        }
        // Two more readings arrive while the flush runs: they stay unwritten.
        keys.insert_unwritten(1, minute(100), 100);
        keys.insert_unwritten(2, minute(3), 3);
        keys.add_written(flushed);
        keys.set_unwritten([(1, minute(100), 100), (2, minute(3), 3)]);
        assert_eq!(keys.len(), 2, "written keys are no longer held one by one");
        assert_eq!(keys.get(1, minute(99)), Known::Present(99));
        assert_eq!(keys.get(1, minute(100)), Known::Present(100));
        assert_eq!(keys.get(2, minute(3)), Known::Present(3));
        assert_eq!(keys.get(1, minute(101)), Known::Absent, "later: new");
        assert_eq!(keys.get(3, minute(0)), Known::Absent, "unseen sensor");
        assert_eq!(
            keys.get(1, minute(50)),
            Known::Unsure,
            "earlier: ask the files"
        );
        keys.set_written((0..100).map(|m| (1, minute(m), m as u64)).collect());
        assert_eq!(keys.get(1, minute(50)), Known::Present(50));
        assert_eq!(keys.get(1, minute(50) + 1), Known::Absent);
    }

    #[test]
    fn least_recently_used_days_are_forgotten_unless_they_have_unwritten_keys() {
        let mut index = KeyIndex::default();
        for day in 0..KEY_CACHE_DAYS as i64 + 4 {
            let mut keys = DayKeys::from_written(day, vec![(0, day * Timestamp::DAY, 0)]);
            if day == 0 {
                keys.insert_unwritten(1, 0, 0);
            }
            index.add_day(day, keys);
        }
        assert_eq!(index.days(), KEY_CACHE_DAYS);
        assert!(index.day_mut(0).is_some(), "a day with buffered keys stays");
        assert!(
            index.day_mut(1).is_none(),
            "the oldest other day is forgotten"
        );
        assert!(index.day_mut(KEY_CACHE_DAYS as i64 + 3).is_some());
        assert_eq!(index.total_keys(), KEY_CACHE_DAYS + 1);
    }

    #[test]
    fn the_key_limit_drops_full_written_keys_but_never_the_newest_days_or_unwritten_ones() {
        let mut index = KeyIndex::default();
        let big = |day: i64| -> Vec<(u32, i64, u64)> {
            (0..(KEY_CACHE_KEYS as i64 + 10))
                .map(|i| ((i / 1000) as u32, day * Timestamp::DAY + i % 1000, 0))
                .collect()
        };
        let mut small = DayKeys::from_written(0, vec![(0, 0, 0), (0, 5, 0)]);
        small.insert_unwritten(0, 1, 0);
        index.add_day(0, small);
        index.add_day(1, DayKeys::from_written(1, big(1)));
        assert_eq!(index.days(), 2);
        let day0 = index.day_mut(0).expect("unwritten keys keep a day");
        assert!(!day0.written_in_full(), "day 0's written keys were dropped");
        assert_eq!(day0.get(0, 1), Known::Present(0), "unwritten keys stay");
        assert_eq!(day0.get(0, 3), Known::Unsure);
        // Day 0 is now the newest: day 1's full keys go when the index shrinks.
        index.shrink();
        assert_eq!(index.total_keys(), 1);
        assert!(!index.day_mut(1).expect("held").written_in_full());
    }
}
