//! Sensor health: which sensors went silent, got stuck on one value, or run on a low battery.
//!
//! Issues are raised once when they start (and again only after they cleared), as
//! alarm events the ranking can use:
//! - `sensor_silent`: no reading for 3 reporting intervals (at least an hour);
//! - `sensor_stuck`: an analogue sensor repeated exactly the same value for 6
//!   hours and at least 12 readings (counts and on/off states are exempt);
//! - `battery_low`: a battery sensor reported under 15%.
use caretaker_core::{Event, EventKind, Metric, Registry, Timestamp};

/// Battery level (%) under which a sensor is flagged.
pub const BATTERY_LOW_PERCENT: f64 = 15.0;

#[derive(Debug, Clone, Copy, Default)]
struct SensorState {
    last_seen: i64,
    value: f64,
    same_since: i64,
    same_count: u32,
    silent: bool,
    stuck: bool,
    battery_low: bool,
}

/// Tracks every sensor of a registry.
#[derive(Debug, Clone)]
pub struct SensorHealth {
    states: Vec<SensorState>,
}

fn exempt_from_stuck(metric: Metric) -> bool {
    metric.is_binary()
        || matches!(
            metric,
            Metric::BurnerCycles | Metric::Trips | Metric::Battery
        )
}

impl SensorHealth {
    /// Starts tracking at `now`: a sensor not heard from since is silent after its threshold.
    pub fn new(registry: &Registry, now: Timestamp) -> Self {
        let state = SensorState {
            last_seen: now.millis(),
            value: f64::NAN,
            same_since: now.millis(),
            ..SensorState::default()
        };
        Self {
            states: vec![state; registry.sensors().len()],
        }
    }

    /// Records a reading (in any order; older readings only count as seen).
    pub fn observe(&mut self, sensor: u32, ts_ms: i64, value: f64) {
        let Some(s) = self.states.get_mut(sensor as usize) else {
            return;
        };
        if ts_ms < s.last_seen {
            return;
        }
        s.last_seen = ts_ms;
        if value.to_bits() == s.value.to_bits() {
            s.same_count += 1;
        } else {
            s.value = value;
            s.same_since = ts_ms;
            s.same_count = 1;
        }
    }

    /// Issues that started since the last check, as alarm events at `now`.
    pub fn check(&mut self, registry: &Registry, now: Timestamp) -> Vec<Event> {
        let mut events = Vec::new();
        for (s, sensor) in self.states.iter_mut().zip(registry.sensors()) {
            let alarm = |code: &str, description: String| Event {
                ts: now,
                equipment: sensor.equipment.clone(),
                kind: EventKind::Alarm,
                code: Some(code.to_owned()),
                description,
                cost: None,
                unit: None,
            };
            let silent_after =
                (3 * i64::from(sensor.interval_s) * Timestamp::SECOND).max(Timestamp::HOUR);
            let silent = now.millis() - s.last_seen > silent_after;
            if silent && !s.silent {
                events.push(alarm(
                    "sensor_silent",
                    format!(
                        "sensor {} silent since {}",
                        sensor.id,
                        Timestamp::from_millis(s.last_seen)
                    ),
                ));
            }
            s.silent = silent;
            let stuck = !exempt_from_stuck(sensor.metric)
                && s.same_count >= 12
                && s.last_seen - s.same_since >= 6 * Timestamp::HOUR;
            if stuck && !s.stuck {
                events.push(alarm(
                    "sensor_stuck",
                    format!(
                        "sensor {} stuck at {} {} since {}",
                        sensor.id,
                        s.value,
                        sensor.unit,
                        Timestamp::from_millis(s.same_since)
                    ),
                ));
            }
            s.stuck = stuck;
            let low = sensor.metric == Metric::Battery && s.value < BATTERY_LOW_PERCENT;
            if low && !s.battery_low {
                events.push(alarm(
                    "battery_low",
                    format!("sensor {} battery at {}%", sensor.id, s.value),
                ));
            }
            s.battery_low = low;
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        crate::testing::registry(&[
            ("vib", Metric::VibrationRms),
            ("bat", Metric::Battery),
            ("run", Metric::RunState),
        ])
    }

    fn codes(events: &[Event]) -> Vec<String> {
        events.iter().map(|e| e.code.clone().unwrap()).collect()
    }

    #[test]
    fn silence_stuck_values_and_low_batteries_are_raised_once_and_cleared() {
        let reg = registry();
        let t0 = Timestamp::parse("2024-03-01T00:00:00Z").unwrap();
        let mut h = SensorHealth::new(&reg, t0);
        let at = |minutes: i64| t0.plus_millis(minutes * Timestamp::MINUTE);
        // Healthy readings every 5 minutes for two hours.
        for m in (0..120).step_by(5) {
            h.observe(0, at(m).millis(), 1.0 + m as f64 / 100.0);
            h.observe(1, at(m).millis(), 80.0);
            h.observe(2, at(m).millis(), 1.0);
        }
        assert!(h.check(&reg, at(120)).is_empty());
        // The vibration sensor repeats one value for 7 hours: stuck (once).
        for m in (120..540).step_by(5) {
            h.observe(0, at(m).millis(), 2.5);
            h.observe(1, at(m).millis(), 80.0);
            h.observe(2, at(m).millis(), 1.0); // on/off states may repeat
        }
        assert_eq!(codes(&h.check(&reg, at(540))), ["sensor_stuck"]);
        assert!(h.check(&reg, at(541)).is_empty(), "raised twice");
        // The battery runs low.
        h.observe(1, at(545).millis(), 12.0);
        assert_eq!(codes(&h.check(&reg, at(546))), ["battery_low"]);
        // Everything goes quiet for two hours: all three silent.
        assert_eq!(codes(&h.check(&reg, at(546 + 120))), ["sensor_silent"; 3]);
        // Readings resume: silence clears, and a new silence is raised again later.
        h.observe(0, at(700).millis(), 3.0);
        h.check(&reg, at(701));
        let later = h.check(&reg, at(700 + 90));
        assert!(codes(&later).contains(&"sensor_silent".to_owned()));
    }
}
