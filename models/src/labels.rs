//! Labels from the event history: does the equipment fail within the horizon?
//!
//! Rules, for equipment `e` as of time `t` and horizon `H`:
//! - **down**: `e` failed before `t` and was not yet repaired (no corrective maintenance
//!   since that failure): no sample, there is nothing to forecast;
//! - **fails**: a failure in `[t, t + H)`;
//! - **censored** (no sample) when the outcome cannot be known: the data ends before
//!   `t + H`, or a fault was found and repaired before it failed (corrective
//!   maintenance not closing a failure) inside the window before any failure: the repair
//!   reset the risk, so whether it would have failed is unknown;
//! - **survives** otherwise. Preventive maintenance does not censor: services happen
//!   on a schedule, the equipment can fail after one, and the days since the last
//!   service are a feature.

use caretaker_core::EventKind;
use serde::{Deserialize, Serialize};

use crate::history::{DAY_MS, History};

/// The outcome of one equipment after one as-of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Failed within the horizon.
    Fails,
    /// Did not fail within the horizon.
    Survives,
    /// Unknown: data ended or a repair intervened.
    Censored,
    /// Broken at the as-of time.
    Down,
}

/// Failures and repairs of one piece of equipment, in time order.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    failures: Vec<i64>,
    /// Corrective maintenance times, each with whether it closed a failure.
    repairs: Vec<(i64, bool)>,
}

impl Timeline {
    /// The timelines of every equipment of a history.
    pub fn for_history(history: &History) -> Vec<Timeline> {
        let mut out = vec![Timeline::default(); history.equipment.len()];
        let mut corrective: Vec<Vec<i64>> = vec![Vec::new(); history.equipment.len()];
        for e in &history.events {
            let Some(i) = history.equipment_index(&e.equipment) else {
                continue;
            };
            match e.kind {
                EventKind::Failure => out[i].failures.push(e.ts.millis()),
                EventKind::CorrectiveMaintenance => corrective[i].push(e.ts.millis()),
                _ => {}
            }
        }
        for (t, mut repairs) in out.iter_mut().zip(corrective) {
            t.failures.sort_unstable();
            repairs.sort_unstable();
            // A repair closes a failure when a failure happened since the previous repair.
            let mut previous = i64::MIN;
            t.repairs = repairs
                .into_iter()
                .map(|time| {
                    let closes = t.failures.iter().any(|&f| f > previous && f <= time);
                    previous = time;
                    (time, closes)
                })
                .collect();
        }
        out
    }

    /// The outcome after `t` (ms) over `horizon_days`, with data up to `data_end` (ms, exclusive).
    pub fn outcome(&self, t: i64, horizon_days: i64, data_end: i64) -> Outcome {
        let end = t + horizon_days * DAY_MS;
        // Down: the last failure before t has no repair between it and t.
        if let Some(&last_failure) = self.failures.iter().rev().find(|&&f| f < t) {
            let repaired = self
                .repairs
                .iter()
                .any(|&(r, _)| r >= last_failure && r < t);
            if !repaired {
                return Outcome::Down;
            }
        }
        let next_failure = self.failures.iter().copied().find(|&f| f >= t);
        let averted_before = |until: i64| {
            self.repairs
                .iter()
                .any(|&(r, closes)| !closes && r >= t && r < until)
        };
        match next_failure {
            Some(f) if f < end => {
                if averted_before(f) {
                    Outcome::Censored
                } else {
                    Outcome::Fails
                }
            }
            _ if averted_before(end) => Outcome::Censored,
            _ if end > data_end => Outcome::Censored,
            _ => Outcome::Survives,
        }
    }
}
