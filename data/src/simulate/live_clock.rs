//! The clock of simulated gateways publishing live: it replays the recent past
//! faster than real time until it reaches the wall clock, then keeps pace with
//! it, so no gateway ever publishes a reading from the future.
//!
//! Ingest refuses readings too far ahead of the moment their message arrives
//! (`ingest.max_future_s`) or too old (`ingest.max_age_days`); a simulated
//! clock that ran ahead of the wall clock at `speed` times real time would see
//! most of its readings quarantined after a few seconds.
use caretaker_core::Timestamp;

use super::stream::ReadingStream;

/// Maps the wall clock to the simulated clock of a live simulation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveClock {
    wall_start: Timestamp,
    sim_start: Timestamp,
    speed: f64,
}

impl LiveClock {
    /// A clock started at `wall_start` that replays from `replay_ms` before it
    /// (less [`ReadingStream::LOOKAHEAD_MS`], rounded down to the minute) at
    /// `speed` simulated seconds per real second.
    ///
    /// `speed` must be finite and positive; at `speed <= 1` the replay never
    /// catches up and the simulated clock stays behind the wall clock.
    pub fn new(wall_start: Timestamp, replay_ms: i64, speed: f64) -> Self {
        let from = wall_start.millis() - replay_ms.max(0) - ReadingStream::LOOKAHEAD_MS;
        Self {
            wall_start,
            sim_start: Timestamp::from_millis(from - from.rem_euclid(Timestamp::MINUTE)),
            speed,
        }
    }

    /// First simulated instant.
    pub fn sim_start(&self) -> Timestamp {
        self.sim_start
    }

    /// The simulated instant up to which readings may be generated when the
    /// wall clock shows `wall_start + elapsed_ms`: never later than
    /// [`ReadingStream::LOOKAHEAD_MS`] before the wall clock, so that every
    /// reading generated up to it is already in the past.
    pub fn sim_now(&self, elapsed_ms: i64) -> Timestamp {
        let replayed = self.sim_start.millis() + (elapsed_ms as f64 * self.speed) as i64;
        let wall = self.wall_start.millis() + elapsed_ms - ReadingStream::LOOKAHEAD_MS;
        Timestamp::from_millis(replayed.min(wall).max(self.sim_start.millis()))
    }

    /// Real milliseconds after the start when the replay reaches the wall clock,
    /// or `None` if it never does (`speed <= 1` with a replay to do).
    pub fn catches_up_after_ms(&self) -> Option<i64> {
        let behind =
            self.wall_start.millis() - ReadingStream::LOOKAHEAD_MS - self.sim_start.millis();
        if behind <= 0 {
            Some(0)
        } else if self.speed > 1.0 {
            Some((behind as f64 / (self.speed - 1.0)).ceil() as i64)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const WALL: i64 = 1_780_000_000_000;

    #[test]
    fn replays_at_speed_then_keeps_pace_with_the_wall_clock() {
        let clock = LiveClock::new(Timestamp::from_millis(WALL), Timestamp::HOUR, 60.0);
        assert_eq!(clock.sim_start().millis() % Timestamp::MINUTE, 0);
        let ten_s = clock.sim_now(10_000).millis() - clock.sim_start().millis();
        assert_eq!(ten_s, 600_000, "10 s at 60x is 10 simulated minutes");
        let caught_up = clock.catches_up_after_ms().unwrap();
        assert!((61_000..=64_000).contains(&caught_up), "{caught_up}");
        let later = 120_000;
        assert_eq!(
            clock.sim_now(later).millis(),
            WALL + later - ReadingStream::LOOKAHEAD_MS
        );
    }

    #[test]
    fn without_a_replay_it_runs_in_real_time_just_behind_now() {
        let clock = LiveClock::new(Timestamp::from_millis(WALL), 0, 600.0);
        assert!(clock.catches_up_after_ms().unwrap() <= 1_000);
        assert!(clock.sim_now(5_000).millis() <= WALL + 5_000 - ReadingStream::LOOKAHEAD_MS);
    }

    #[test]
    fn slower_than_real_time_never_catches_up() {
        let clock = LiveClock::new(Timestamp::from_millis(WALL), Timestamp::HOUR, 0.5);
        assert_eq!(clock.catches_up_after_ms(), None);
        assert_eq!(
            clock.sim_now(10_000).millis() - clock.sim_start().millis(),
            5_000
        );
    }

    proptest! {
        #[test]
        fn never_ahead_of_the_wall_clock_and_never_backwards(
            replay in 0i64..30 * Timestamp::DAY,
            speed in 0.01f64..100_000.0,
            a in 0i64..10 * Timestamp::DAY,
            b in 0i64..10 * Timestamp::DAY,
        ) {
            let clock = LiveClock::new(Timestamp::from_millis(WALL), replay, speed);
            let (early, late) = (a.min(b), a.max(b));
            let (s1, s2) = (clock.sim_now(early), clock.sim_now(late));
            prop_assert!(s1 <= s2);
            prop_assert!(s2.millis() + ReadingStream::LOOKAHEAD_MS <= WALL + late);
            prop_assert!(s1 >= clock.sim_start());
        }
    }
}
