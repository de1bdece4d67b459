//! What goes wrong with the sensors themselves: dropouts, stuck values, drift, flat batteries.
//!
//! Per sensor-year: 0.5 dropouts of 0.5-7 days and 0.25 stuck spells of 1-10
//! days; 8% of analogue sensors drift by 2-8% of their expected range per
//! year from a random start. Each building's gateway goes offline about twice
//! a year for 2-36 hours. Zigbee devices run on batteries that drain over
//! 1.5-3 years; a flat device goes silent until someone replaces the battery
//! 5-20 days later. 0.3% of readings are lost at random.
use std::collections::HashMap;

use caretaker_core::{Registry, Timestamp};
use rand::Rng;
use serde::Serialize;

use super::{SimulationParams, stream_rng};

/// A kind of sensor fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// No readings.
    Dropout,
    /// The gateway serving the building was offline: no readings.
    GatewayOutage,
    /// The battery was flat: no readings.
    BatteryFlat,
    /// The same value over and over.
    Stuck,
    /// Readings slowly move away from the truth.
    Drift,
}

/// One fault of one sensor, for the ground truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensorFault {
    /// The sensor.
    pub sensor: String,
    /// What went wrong.
    pub fault: FaultKind,
    /// From when.
    pub start: Timestamp,
    /// Until when (the end of the period for drift).
    pub end: Timestamp,
    /// Drift only: units of measure per day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_per_day: Option<f64>,
}

impl SensorFault {
    /// Whether the fault silences the sensor.
    pub fn silences(&self) -> bool {
        matches!(
            self.fault,
            FaultKind::Dropout | FaultKind::GatewayOutage | FaultKind::BatteryFlat
        )
    }
}

/// A Zigbee device's battery: level over time, with replacements.
#[derive(Debug, Clone, PartialEq)]
pub struct Battery {
    /// (from, level at from, drain per day) segments, in time order.
    segments: Vec<(Timestamp, f64, f64)>,
}

impl Battery {
    /// Battery level (%) at `t`; at or below 1% the device is silent.
    pub fn level(&self, t: Timestamp) -> f64 {
        let seg = self
            .segments
            .iter()
            .rev()
            .find(|(from, _, _)| *from <= t)
            .unwrap_or(&self.segments[0]);
        (seg.1 - seg.2 * t.days_since(seg.0)).max(0.0)
    }
}

/// Every sensor's faults, and every Zigbee device's battery.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    /// Faults per sensor index, in time order.
    pub by_sensor: Vec<Vec<SensorFault>>,
    /// Battery per Zigbee device name.
    pub batteries: HashMap<String, Battery>,
}

fn spell(
    rng: &mut impl Rng,
    params: &SimulationParams,
    per_year: f64,
    days: (f64, f64),
) -> Vec<(Timestamp, Timestamp)> {
    let mut out = Vec::new();
    let total_days = params.days() as f64;
    let n = (per_year * total_days / 365.25).floor() as usize
        + usize::from(rng.gen_bool((per_year * total_days / 365.25).fract()));
    for _ in 0..n {
        let start = params
            .start
            .plus_millis((rng.gen_range(0.0..total_days) * Timestamp::DAY as f64) as i64);
        let len = rng.gen_range(days.0..days.1);
        out.push((
            start,
            start.plus_millis((len * Timestamp::DAY as f64) as i64),
        ));
    }
    out.sort();
    out
}

/// Draws the sensor faults for the whole registry.
pub fn plan_faults(params: &SimulationParams, registry: &Registry) -> FaultPlan {
    let mut plan = FaultPlan {
        by_sensor: vec![Vec::new(); registry.sensors().len()],
        batteries: HashMap::new(),
    };
    let end = params.end;
    let mut outages = HashMap::new();
    for b in registry.buildings() {
        let mut rng = stream_rng(params.seed, &format!("gateway/{}", b.id));
        outages.insert(
            b.id.clone(),
            spell(&mut rng, params, 2.0, (2.0 / 24.0, 1.5)),
        );
    }
    // Batteries, one per Zigbee device.
    for s in registry.sensors() {
        let Some(z) = &s.address.zigbee else { continue };
        if plan.batteries.contains_key(&z.name) {
            continue;
        }
        let mut rng = stream_rng(params.seed, &format!("battery/{}", z.name));
        let mut segments = Vec::new();
        let mut from = params.start;
        let mut level = rng.gen_range(35.0..100.0);
        while from < end {
            let drain = 100.0 / (365.25 * rng.gen_range(1.5..3.0));
            segments.push((from, level, drain));
            let flat_at = from.plus_millis(((level - 1.0) / drain * Timestamp::DAY as f64) as i64);
            let replaced = flat_at.plus_millis(rng.gen_range(5..20) * Timestamp::DAY);
            from = replaced;
            level = 100.0;
        }
        plan.batteries.insert(z.name.clone(), Battery { segments });
    }
    for (i, s) in registry.sensors().iter().enumerate() {
        let mut rng = stream_rng(params.seed, &format!("sensor-faults/{}", s.id));
        let faults = &mut plan.by_sensor[i];
        let sensor = s.id.to_string();
        let mut add = |fault, (start, stop): (Timestamp, Timestamp)| {
            faults.push(SensorFault {
                sensor: sensor.clone(),
                fault,
                start,
                end: stop.min(end),
                drift_per_day: None,
            })
        };
        for w in spell(&mut rng, params, 0.5, (0.5, 7.0)) {
            add(FaultKind::Dropout, w);
        }
        if !s.metric.is_binary() {
            for w in spell(&mut rng, params, 0.25, (1.0, 10.0)) {
                add(FaultKind::Stuck, w);
            }
        }
        let building = registry
            .equipment_by_id(&s.equipment)
            .map(|e| e.building.clone());
        if let Some(windows) = building.and_then(|b| outages.get(&b)) {
            for &w in windows {
                add(FaultKind::GatewayOutage, w);
            }
        }
        if let Some(z) = &s.address.zigbee {
            let battery = &plan.batteries[&z.name];
            for (k, seg) in battery.segments.iter().enumerate() {
                let flat_at = seg
                    .0
                    .plus_millis(((seg.1 - 1.0) / seg.2 * Timestamp::DAY as f64) as i64);
                let back = battery.segments.get(k + 1).map_or(end, |next| next.0);
                if flat_at < back && flat_at < end {
                    add(FaultKind::BatteryFlat, (flat_at, back));
                }
            }
        }
        if !s.metric.is_binary() && rng.gen_bool(0.08) {
            let (lo, hi) = s.expected_range;
            let sign = if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
            let per_day = sign * (hi - lo) * rng.gen_range(0.02..0.08) / 365.25;
            let start = params.start.plus_millis(
                (rng.gen_range(0.0..params.days() as f64 * 0.7) * Timestamp::DAY as f64) as i64,
            );
            faults.push(SensorFault {
                sensor: s.id.to_string(),
                fault: FaultKind::Drift,
                start,
                end,
                drift_per_day: Some(per_day),
            });
        }
        faults.retain(|f| f.start < end);
        faults.sort_by_key(|f| (f.start, f.end));
    }
    plan
}
