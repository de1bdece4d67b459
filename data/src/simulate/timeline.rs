//! What happens to each piece of equipment: degradation, failures, repairs,
//! maintenance, alarms and resident reports.
//!
//! Each day a piece of equipment may start to fail with probability given by
//! its kind's hazard: Weibull in its *virtual age* (age, made younger by
//! maintenance: a year's services take 15% off, a repair 10%), times a season factor.
//! A sudden mode fails at once; a gradual one degrades for its lead time
//! first, and a preventive service in that window may find and fix it
//! (recorded as corrective maintenance: an averted failure). A failure keeps
//! the equipment down until the repair, a few hours to days later.
use caretaker_core::{Equipment, EquipmentKind, Event, EventKind, Metric, Registry, Timestamp};
use chrono::Datelike;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::modes::{FailureMode, KindProfile, Season, profile};
use super::weather::Weather;
use super::{SimulationParams, stream_rng};

/// A fault developing (or striking) on one piece of equipment.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// The failure mode.
    pub mode: &'static FailureMode,
    /// When degradation began (equals `end` for a sudden failure).
    pub start: Timestamp,
    /// When it ended: the failure, or the service that caught it.
    pub end: Timestamp,
    /// Whether it ended in a failure (otherwise maintenance caught it).
    pub failed: bool,
    /// When the equipment was back in service (failures only).
    pub repaired: Timestamp,
}

impl Episode {
    /// How far the fault has developed at `t`: 0 before it starts, rising to 1 at the failure.
    pub fn severity(&self, t: Timestamp) -> f64 {
        if t < self.start || t >= self.end || self.end == self.start {
            return 0.0;
        }
        let full = match self.mode.lead_days {
            // Severity rises toward 1 at the planned failure even when caught earlier.
            Some(_) if !self.failed => self.planned_len(),
            _ => (self.end.millis() - self.start.millis()) as f64,
        };
        let x = (t.millis() - self.start.millis()) as f64 / full;
        x.clamp(0.0, 1.0).powf(1.5)
    }

    fn planned_len(&self) -> f64 {
        // A caught episode stores its planned length in `repaired - start`.
        (self.repaired.millis() - self.start.millis()).max(1) as f64
    }

    /// When the episode stops affecting the equipment: the repair after a
    /// failure, or the service that caught it.
    pub fn over_at(&self) -> Timestamp {
        if self.failed { self.repaired } else { self.end }
    }

    /// Whether the equipment is out of service at `t`.
    pub fn is_down(&self, t: Timestamp) -> bool {
        self.failed && t >= self.end && t < self.repaired
    }
}

/// Everything that happens to one piece of equipment over the simulated period.
#[derive(Debug, Clone, Default)]
pub struct EquipmentHistory {
    /// Faults, in time order.
    pub episodes: Vec<Episode>,
    /// Preventive services, in time order.
    pub services: Vec<Timestamp>,
    /// Events as the committee records them.
    pub events: Vec<Event>,
}

/// A failure as the ground truth knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureTruth {
    /// The equipment.
    pub equipment: String,
    /// Its kind.
    pub kind: EquipmentKind,
    /// The failure mode.
    pub mode: &'static str,
    /// When it failed.
    pub ts: Timestamp,
    /// When it was back in service.
    pub repaired: Timestamp,
    /// Whether a sensor on this equipment could see it coming.
    pub visible: bool,
    /// When degradation began, for gradual modes.
    pub degradation_start: Option<Timestamp>,
    /// Days of degradation before the failure.
    pub lead_days: Option<f64>,
    /// Metrics that moved before the failure.
    pub signature: Vec<Metric>,
}

/// A developing fault that maintenance caught before it failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvertedTruth {
    /// The equipment.
    pub equipment: String,
    /// The failure mode.
    pub mode: &'static str,
    /// When degradation began.
    pub degradation_start: Timestamp,
    /// When the service caught it.
    pub caught: Timestamp,
}

fn lognormal_cost(rng: &mut ChaCha8Rng, typical: f64) -> f64 {
    let z: f64 = rng.sample(rand_distr::StandardNormal);
    ((typical * (0.35 * z).exp()) / 10.0).round() * 10.0
}

fn season_factor(season: Season, weather: &Weather, t: Timestamp) -> f64 {
    match season {
        Season::None => 1.0,
        Season::Heating => 0.4 + 2.0 * ((16.0 - weather.daily_mean(t)) / 25.0).clamp(0.0, 1.0),
        Season::Wet => 0.5 + (weather.wetness(t) / 10.0).min(2.5),
    }
}

fn pick_mode(rng: &mut ChaCha8Rng, p: &KindProfile) -> &'static FailureMode {
    let total: f64 = p.modes.iter().map(|m| m.weight).sum();
    let mut x = rng.gen_range(0.0..total);
    for m in p.modes {
        if x < m.weight {
            return m;
        }
        x -= m.weight;
    }
    p.modes.last().expect("every kind has modes")
}

fn event(
    ts: Timestamp,
    e: &Equipment,
    kind: EventKind,
    code: &str,
    description: String,
    cost: Option<f64>,
) -> Event {
    Event {
        ts,
        equipment: e.id.clone(),
        kind,
        code: Some(code.to_owned()),
        description,
        cost,
        unit: None,
    }
}

/// Simulates one piece of equipment's history.
pub fn simulate_equipment(
    params: &SimulationParams,
    weather: &Weather,
    e: &Equipment,
) -> EquipmentHistory {
    let p = profile(e.kind);
    let mut rng = stream_rng(params.seed, &format!("equipment/{}", e.id));
    let mut h = EquipmentHistory::default();
    let start_date = params.start.to_datetime().date_naive();
    let mut virtual_age = ((start_date - e.installed).num_days() as f64 / 365.25).max(0.0);
    // The day of the month each service falls on, fixed per equipment.
    let service_day = rng.gen_range(3..26);
    let mut active: Option<(usize, Timestamp)> = None; // (episode index, planned failure)
    let mut down_until = Timestamp::from_millis(i64::MIN);
    let mut last_service_month = None;
    let days = params.days();
    for d in 0..days {
        let day = params.start.plus_millis(d as i64 * Timestamp::DAY);
        let t = day.plus_millis(rng.gen_range(7 * Timestamp::HOUR..19 * Timestamp::HOUR));
        virtual_age += 1.0 / 365.25;
        if t < down_until {
            continue;
        }
        // A developing fault reaches its failure today.
        if let Some((i, fail_at)) = active
            && fail_at < day.plus_millis(Timestamp::DAY)
        {
            let repaired = fail_at.plus_millis(
                (rng.gen_range(p.repair_days.0..p.repair_days.1) * Timestamp::DAY as f64) as i64,
            );
            let ep = &mut h.episodes[i];
            ep.end = fail_at;
            ep.failed = true;
            ep.repaired = repaired;
            record_failure(&mut h.events, &mut rng, e, &p, ep.mode, fail_at, repaired);
            down_until = repaired;
            virtual_age *= 0.9;
            active = None;
            continue;
        }
        // Preventive service, once in each service month (a committee skips one in ten).
        let date = day.to_datetime().date_naive();
        let month = (date.year(), date.month());
        if p.service_months.contains(&date.month())
            && date.day() == service_day
            && last_service_month != Some(month)
        {
            last_service_month = Some(month);
            if rng.gen_bool(0.9) {
                h.services.push(t);
                h.events.push(event(
                    t,
                    e,
                    EventKind::PreventiveMaintenance,
                    "service",
                    p.service_description.to_owned(),
                    Some(lognormal_cost(&mut rng, p.service_cost)),
                ));
                // A year's services take 15% off the virtual age, however many there are.
                virtual_age *= 1.0 - 0.15 / p.service_months.len() as f64;
                if let Some((i, fail_at)) = active
                    && rng.gen_bool(p.detect_probability)
                {
                    let ep = &mut h.episodes[i];
                    // Keep the planned length so severity is consistent; see Episode::severity.
                    ep.repaired = fail_at;
                    ep.end = t;
                    ep.failed = false;
                    h.events.push(event(
                        t.plus_millis(2 * Timestamp::HOUR),
                        e,
                        EventKind::CorrectiveMaintenance,
                        ep.mode.code,
                        format!(
                            "found during service and fixed before failure: {}",
                            ep.mode.description
                        ),
                        Some(lognormal_cost(&mut rng, p.repair_cost * 0.5)),
                    ));
                    active = None;
                }
            }
        }
        if active.is_some() {
            emit_degraded_signs(&mut h, &mut rng, e, &p, t);
            continue;
        }
        // Does a new fault start today?
        let shape = p.weibull_shape;
        let age_factor = (virtual_age / p.reference_age).max(0.25).powf(shape - 1.0);
        let rate = p.annual_rate * age_factor * season_factor(p.season, weather, t);
        if rng.gen_bool((1.0 - (-rate / 365.25).exp()).clamp(0.0, 1.0)) {
            let mode = pick_mode(&mut rng, &p);
            match mode.lead_days {
                None => {
                    let repaired = t.plus_millis(
                        (rng.gen_range(p.repair_days.0..p.repair_days.1) * Timestamp::DAY as f64)
                            as i64,
                    );
                    h.episodes.push(Episode {
                        mode,
                        start: t,
                        end: t,
                        failed: true,
                        repaired,
                    });
                    record_failure(&mut h.events, &mut rng, e, &p, mode, t, repaired);
                    down_until = repaired;
                    virtual_age *= 0.9;
                }
                Some((lo, hi)) => {
                    let lead = rng.gen_range(lo..hi);
                    let fail_at = t.plus_millis((lead * Timestamp::DAY as f64) as i64);
                    h.episodes.push(Episode {
                        mode,
                        start: t,
                        end: fail_at,
                        failed: false,
                        repaired: fail_at,
                    });
                    active = Some((h.episodes.len() - 1, fail_at));
                }
            }
        } else if let Some((code, text)) = p.degraded_report {
            // Now and then a resident reports something that turns out to be nothing.
            if rng.gen_bool(0.8 / 365.25) {
                h.events.push(resident_report(&mut rng, e, t, code, text));
            }
        }
    }
    // A fault still developing at the end of the period: it is in the ground
    // truth as degradation without a failure yet.
    if let Some((i, fail_at)) = active {
        let ep = &mut h.episodes[i];
        ep.end = fail_at;
        ep.repaired = fail_at;
    }
    h.events.sort_by_key(|ev| ev.ts);
    h
}

fn resident_report(
    rng: &mut ChaCha8Rng,
    e: &Equipment,
    t: Timestamp,
    code: &str,
    text: &str,
) -> Event {
    let unit = e.serves[rng.gen_range(0..e.serves.len())].clone();
    Event {
        ts: t,
        equipment: e.id.clone(),
        kind: EventKind::ResidentReport,
        code: Some(code.to_owned()),
        description: text.to_owned(),
        cost: None,
        unit: Some(unit),
    }
}

fn emit_degraded_signs(
    h: &mut EquipmentHistory,
    rng: &mut ChaCha8Rng,
    e: &Equipment,
    p: &KindProfile,
    t: Timestamp,
) {
    let ep = h.episodes.last().expect("an active episode exists");
    let severity = ep.severity(t);
    if !ep.mode.is_gradual() {
        return;
    }
    if let Some((code, text)) = p.degraded_report
        && rng.gen_bool((0.25 * severity).min(1.0))
    {
        h.events.push(resident_report(rng, e, t, code, text));
    }
    let alarm = match (e.kind, ep.mode.code) {
        (EquipmentKind::Boiler, "short_cycling") => {
            Some(("E-05", "burner lockout, reset by caretaker"))
        }
        (EquipmentKind::Boiler, "pressure_loss") => Some(("E-11", "low water pressure warning")),
        (EquipmentKind::SumpPump, "float_switch_sticking") => {
            Some(("HIGH-LEVEL", "sump high water alarm"))
        }
        (EquipmentKind::HeatPump, _) => Some(("HP-LP", "heat pump protection stop")),
        (EquipmentKind::Elevator, "door_operator_wear") => {
            Some(("DOOR-REV", "door reversal fault logged"))
        }
        _ => None,
    };
    if let Some((code, text)) = alarm
        && severity > 0.5
        && rng.gen_bool(0.3 * severity)
    {
        h.events
            .push(event(t, e, EventKind::Alarm, code, text.to_owned(), None));
    }
}

fn record_failure(
    events: &mut Vec<Event>,
    rng: &mut ChaCha8Rng,
    e: &Equipment,
    p: &KindProfile,
    mode: &FailureMode,
    at: Timestamp,
    repaired: Timestamp,
) {
    events.push(event(
        at,
        e,
        EventKind::Failure,
        mode.code,
        mode.description.to_owned(),
        Some(lognormal_cost(rng, e.failure_cost.max(1.0) * 0.3)),
    ));
    let alarm = match e.kind {
        EquipmentKind::Boiler => Some(("LOCKOUT", "boiler in hard lockout")),
        EquipmentKind::SumpPump => Some(("HIGH-LEVEL", "sump high water alarm")),
        EquipmentKind::Elevator => Some(("OOS", "elevator out of service")),
        EquipmentKind::LeakZone => Some(("LEAK", "water leak detected")),
        _ => None,
    };
    if let Some((code, text)) = alarm {
        events.push(event(
            at.plus_millis(60_000),
            e,
            EventKind::Alarm,
            code,
            text.to_owned(),
            None,
        ));
    }
    let (code, text) = p.outage_report;
    let reports = rng.gen_range(1..=3.min(e.serves.len()).max(1));
    for i in 0..reports {
        let when = at.plus_millis((i as i64 + 1) * rng.gen_range(20..180) * Timestamp::MINUTE);
        if when < repaired {
            events.push(resident_report(rng, e, when, code, text));
        }
    }
    events.push(event(
        repaired,
        e,
        EventKind::CorrectiveMaintenance,
        mode.code,
        format!("repaired after failure: {}", mode.description),
        Some(lognormal_cost(rng, p.repair_cost)),
    ));
}

/// Ground truth for one equipment's failures and averted faults.
pub fn truths(
    registry: &Registry,
    e: &Equipment,
    h: &EquipmentHistory,
) -> (Vec<FailureTruth>, Vec<AvertedTruth>) {
    let metrics: Vec<Metric> = registry
        .sensors_of(&e.id)
        .map(|i| registry.sensors()[i].metric)
        .collect();
    let mut failures = Vec::new();
    let mut averted = Vec::new();
    for ep in &h.episodes {
        let visible = ep.mode.signature.iter().any(|m| metrics.contains(m));
        if ep.failed {
            let gradual = ep.mode.is_gradual();
            failures.push(FailureTruth {
                equipment: e.id.to_string(),
                kind: e.kind,
                mode: ep.mode.code,
                ts: ep.end,
                repaired: ep.repaired,
                visible: gradual && visible,
                degradation_start: gradual.then_some(ep.start),
                lead_days: gradual.then(|| ep.end.days_since(ep.start)),
                signature: ep.mode.signature.to_vec(),
            });
        } else if ep.end < ep.repaired {
            averted.push(AvertedTruth {
                equipment: e.id.to_string(),
                mode: ep.mode.code,
                degradation_start: ep.start,
                caught: ep.end,
            });
        }
    }
    (failures, averted)
}
