//! What each gateway has been doing lately, for the committee's "needs attention"
//! list: when it was last heard from, and how many of its messages or readings
//! were quarantined hour by hour over the last day.
//!
//! Memory is bounded: one entry per gateway of the registry, each with
//! [`HOURS_KEPT`] hourly counters.
use std::collections::HashMap;
use std::sync::Mutex;

use caretaker_core::Timestamp;

use crate::decode::RejectReason;

/// Hours of quarantine counts kept per gateway.
pub const HOURS_KEPT: usize = 24;

/// A gateway is silent after this long without a message.
pub const SILENT_AFTER_MS: i64 = 3_600_000;

/// Refusals in the last hour from which a gateway's quarantine counts as a spike...
pub const SPIKE_MIN_PER_HOUR: u64 = 20;

/// ...when they are also this many times its usual hourly count (over the day before).
pub const SPIKE_FACTOR: f64 = 3.0;

const HOUR_MS: i64 = 3_600_000;

#[derive(Debug, Default)]
struct Gateway {
    last_message_ms: Option<i64>,
    /// `(hour since the epoch, refusals)`, in a ring by hour.
    hours: [(i64, u64); HOURS_KEPT],
    /// Refusals by reason in the hour `reasons_hour`.
    reasons: HashMap<RejectReason, u64>,
    reasons_hour: i64,
}

/// Per-gateway activity, shared between ingest (which records) and the pages (which read).
#[derive(Debug)]
pub struct GatewayActivity {
    started_ms: i64,
    gateways: Mutex<HashMap<String, Gateway>>,
}

/// Why a gateway needs attention.
#[derive(Debug, Clone, PartialEq)]
pub enum GatewayProblem {
    /// No message since `last_message` (`None`: none since ingest started at `started`).
    Silent {
        /// When it was last heard from.
        last_message: Option<Timestamp>,
        /// When ingest started listening.
        started: Timestamp,
    },
    /// Far more of its messages were refused in the last hour than usual.
    QuarantineSpike {
        /// Refusals in the last hour.
        last_hour: u64,
        /// Its mean refusals per hour over the day before.
        usual_per_hour: f64,
        /// The commonest reason in the last hour.
        reason: Option<RejectReason>,
    },
}

/// A gateway that needs attention.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayAttention {
    /// The gateway's name.
    pub gateway: String,
    /// What is wrong.
    pub problem: GatewayProblem,
}

impl GatewayActivity {
    /// Activity tracking from `now` (a gateway not heard from since counts as silent
    /// once [`SILENT_AFTER_MS`] has passed).
    pub fn new(now: Timestamp) -> Self {
        Self {
            started_ms: now.millis(),
            gateways: Mutex::new(HashMap::new()),
        }
    }

    /// Records a message from `gateway` received at `at`.
    pub fn message(&self, gateway: &str, at: Timestamp) {
        let mut gateways = self.gateways.lock().expect("gateway activity lock");
        let g = entry(&mut gateways, gateway);
        g.last_message_ms = Some(g.last_message_ms.unwrap_or(i64::MIN).max(at.millis()));
    }

    /// Records a refusal of a message (or a reading in it) from `gateway`.
    pub fn refused(&self, gateway: &str, reason: RejectReason, at: Timestamp) {
        let hour = at.millis().div_euclid(HOUR_MS);
        let mut gateways = self.gateways.lock().expect("gateway activity lock");
        let g = entry(&mut gateways, gateway);
        let slot = &mut g.hours[hour.rem_euclid(HOURS_KEPT as i64) as usize];
        if slot.0 != hour {
            *slot = (hour, 0);
        }
        slot.1 += 1;
        if g.reasons_hour != hour {
            g.reasons.clear();
            g.reasons_hour = hour;
        }
        *g.reasons.entry(reason).or_default() += 1;
    }

    /// The gateways among `names` that need attention at `now`: silent ones, and
    /// quarantine spikes.
    pub fn attention<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
        now: Timestamp,
    ) -> Vec<GatewayAttention> {
        let gateways = self.gateways.lock().expect("gateway activity lock");
        let now_ms = now.millis();
        let hour = now_ms.div_euclid(HOUR_MS);
        let mut out = Vec::new();
        for name in names {
            let g = gateways.get(name);
            let last = g.and_then(|g| g.last_message_ms);
            let quiet_since = last.unwrap_or(self.started_ms);
            if now_ms - quiet_since >= SILENT_AFTER_MS {
                out.push(GatewayAttention {
                    gateway: name.to_owned(),
                    problem: GatewayProblem::Silent {
                        last_message: last.map(Timestamp::from_millis),
                        started: Timestamp::from_millis(self.started_ms),
                    },
                });
            }
            let Some(g) = g else { continue };
            let count_at = |h: i64| {
                let slot = g.hours[h.rem_euclid(HOURS_KEPT as i64) as usize];
                if slot.0 == h { slot.1 } else { 0 }
            };
            let last_hour = count_at(hour);
            let before: u64 = (1..HOURS_KEPT as i64).map(|d| count_at(hour - d)).sum();
            let usual = before as f64 / (HOURS_KEPT - 1) as f64;
            if last_hour >= SPIKE_MIN_PER_HOUR && last_hour as f64 >= SPIKE_FACTOR * usual {
                let reason = (g.reasons_hour == hour)
                    .then(|| g.reasons.iter().max_by_key(|(r, n)| (**n, **r)))
                    .flatten()
                    .map(|(r, _)| *r);
                out.push(GatewayAttention {
                    gateway: name.to_owned(),
                    problem: GatewayProblem::QuarantineSpike {
                        last_hour,
                        usual_per_hour: usual,
                        reason,
                    },
                });
            }
        }
        out
    }
}

fn entry<'a>(gateways: &'a mut HashMap<String, Gateway>, name: &str) -> &'a mut Gateway {
    if !gateways.contains_key(name) {
        gateways.insert(name.to_owned(), Gateway::default());
    }
    gateways.get_mut(name).expect("just inserted")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        // On the hour, so that minute offsets fall in the hour they name.
        Timestamp::from_millis(1_699_999_200_000 + minutes * 60_000)
    }

    #[test]
    fn a_gateway_is_silent_an_hour_after_its_last_message_or_the_start() {
        let activity = GatewayActivity::new(at(0));
        activity.message("gw-a", at(30));
        assert!(activity.attention(["gw-a", "gw-b"], at(59)).is_empty());
        let problems = activity.attention(["gw-a", "gw-b"], at(61));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].gateway, "gw-b");
        assert!(matches!(
            problems[0].problem,
            GatewayProblem::Silent {
                last_message: None,
                ..
            }
        ));
        let later = activity.attention(["gw-a"], at(95));
        assert!(matches!(
            later[0].problem,
            GatewayProblem::Silent { last_message: Some(t), .. } if t == at(30)
        ));
    }

    #[test]
    fn a_spike_is_many_refusals_against_the_usual_hour() {
        let activity = GatewayActivity::new(at(0));
        // A steady 10 an hour for a day is the usual, not a spike.
        for h in 0..24 {
            for i in 0..10 {
                activity.refused("gw-a", RejectReason::OutOfRange, at(h * 60 + i));
            }
            activity.message("gw-a", at(h * 60 + 30));
        }
        assert!(activity.attention(["gw-a"], at(23 * 60 + 40)).is_empty());
        // Then 40 in an hour, mostly unknown sensors.
        for i in 0..40 {
            let reason = if i < 30 {
                RejectReason::UnknownSensor
            } else {
                RejectReason::OutOfRange
            };
            activity.refused("gw-a", reason, at(24 * 60 + i));
        }
        activity.message("gw-a", at(24 * 60 + 45));
        let problems = activity.attention(["gw-a"], at(24 * 60 + 50));
        assert_eq!(
            problems,
            vec![GatewayAttention {
                gateway: "gw-a".into(),
                problem: GatewayProblem::QuarantineSpike {
                    last_hour: 40,
                    usual_per_hour: 10.0 * 23.0 / 23.0,
                    reason: Some(RejectReason::UnknownSensor),
                },
            }]
        );
    }

    #[test]
    fn a_few_refusals_are_no_spike() {
        let activity = GatewayActivity::new(at(0));
        for i in 0..(SPIKE_MIN_PER_HOUR - 1) as i64 {
            activity.refused("gw-a", RejectReason::InvalidJson, at(i));
        }
        activity.message("gw-a", at(30));
        assert!(activity.attention(["gw-a"], at(40)).is_empty());
    }
}
