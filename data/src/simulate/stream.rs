//! Readings, generated in time order a step at a time, so any length of
//! history streams out in bounded memory.
use caretaker_core::{EquipmentKind, Metric, ReadingBatch, Timestamp};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};

use super::Simulation;
use super::faults::{Battery, FaultKind, SensorFault};
use super::signals::{Condition, Draw, Moment, Traits, noise_and_precision, true_value};
use super::stream_rng;
use super::timeline::Episode;

/// Simulation time step.
const STEP_MS: i64 = Timestamp::MINUTE;
/// Largest random delay of a native sensor's report after it is due.
const NATIVE_JITTER_MS: i64 = 2_000;

impl Draw for ChaCha8Rng {
    fn uniform(&mut self) -> f64 {
        self.gen_range(0.0..1.0)
    }

    fn poisson(&mut self, mean: f64) -> f64 {
        if mean <= 0.0 {
            return 0.0;
        }
        Poisson::new(mean).map_or(0.0, |p| p.sample(self))
    }
}

struct EquipmentCursor {
    kind: EquipmentKind,
    traits: Traits,
    episode: usize,
    service: usize,
    last_service: Timestamp,
    sump_level: f64,
    sump_running: bool,
    condition: Condition,
}

struct SensorCursor {
    index: u32,
    equipment: usize,
    metric: Metric,
    interval_ms: i64,
    next_due: i64,
    rng: ChaCha8Rng,
    noise_sd: f64,
    scale: f64,
    fault: usize,
    stuck: Option<f64>,
    last_value: Option<f64>,
    battery: Option<usize>,
    /// Milliseconds of random delay added to each report (0 for Zigbee
    /// devices, which report all their keys at once).
    jitter_ms: i64,
}

/// Generates the simulated co-op's readings in time order.
pub struct ReadingStream<'a> {
    sim: &'a Simulation,
    now: Timestamp,
    equipment: Vec<EquipmentCursor>,
    sensors: Vec<SensorCursor>,
    batteries: Vec<&'a Battery>,
}

fn draw_traits(sim: &Simulation, i: usize) -> Traits {
    let e = &sim.registry.equipment()[i];
    let mut rng = stream_rng(sim.params.seed, &format!("traits/{}", e.id));
    let nominal_current = match e.kind {
        EquipmentKind::CirculationPump => rng.gen_range(2.0..4.0),
        EquipmentKind::SumpPump => rng.gen_range(5.0..6.5),
        EquipmentKind::HeatPump => rng.gen_range(12.0..17.0),
        EquipmentKind::AirHandler => rng.gen_range(6.0..9.0),
        _ => 0.0,
    };
    let upper_units = e
        .serves
        .iter()
        .filter(|u| sim.registry.unit(u).is_some_and(|u| u.floor >= 2))
        .count();
    let name = e.name.to_ascii_lowercase();
    Traits {
        scale: rng.gen_range(0.85..1.15),
        nominal_current,
        peak_trips: 0.7 * upper_units.max(1) as f64,
        on_roof: name.contains("roof"),
        in_plant_room: name.contains("boiler room") || name.contains("mechanical"),
    }
}

impl<'a> ReadingStream<'a> {
    /// How far past `until` a reading of [`ReadingStream::fill_until`] may be
    /// timed: the stream works a minute at a time and native sensors report up
    /// to two seconds late.
    pub const LOOKAHEAD_MS: i64 = STEP_MS + NATIVE_JITTER_MS;

    pub(super) fn new(sim: &'a Simulation) -> Self {
        let start = sim.params.start;
        let equipment = (0..sim.registry.equipment().len())
            .map(|i| {
                let e = &sim.registry.equipment()[i];
                let mut rng = stream_rng(sim.params.seed, &format!("state/{}", e.id));
                EquipmentCursor {
                    kind: e.kind,
                    traits: draw_traits(sim, i),
                    episode: 0,
                    service: 0,
                    last_service: start.plus_millis(-rng.gen_range(0..90) * Timestamp::DAY),
                    sump_level: rng.gen_range(10.0..30.0),
                    sump_running: false,
                    condition: Condition::default(),
                }
            })
            .collect();
        let mut battery_names: Vec<&String> = sim.faults.batteries.keys().collect();
        battery_names.sort();
        let batteries: Vec<&Battery> = battery_names
            .iter()
            .map(|n| &sim.faults.batteries[*n])
            .collect();
        let sensors = sim
            .registry
            .sensors()
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut rng = stream_rng(sim.params.seed, &format!("sensor/{}", s.id));
                let interval_ms = s.interval_s as i64 * Timestamp::SECOND;
                let equipment = sim
                    .registry
                    .equipment()
                    .iter()
                    .position(|e| e.id == s.equipment)
                    .expect("registry references are checked");
                let battery = match (&s.address.zigbee, s.metric) {
                    (Some(z), _) => battery_names.iter().position(|n| **n == z.name),
                    _ => None,
                };
                // A Zigbee device reports all its keys together: one phase per device.
                let (phase, jitter_ms) = match &s.address.zigbee {
                    Some(z) => {
                        let mut device = stream_rng(sim.params.seed, &format!("zigbee/{}", z.name));
                        (device.gen_range(0..600) * Timestamp::SECOND, 0)
                    }
                    None => (rng.gen_range(0..interval_ms), NATIVE_JITTER_MS),
                };
                SensorCursor {
                    index: i as u32,
                    equipment,
                    metric: s.metric,
                    interval_ms,
                    next_due: start.millis() + phase,
                    jitter_ms,
                    noise_sd: noise_and_precision(s.metric).0,
                    scale: 10f64.powi(noise_and_precision(s.metric).1),
                    rng,
                    fault: 0,
                    stuck: None,
                    last_value: None,
                    battery,
                }
            })
            .collect();
        Self {
            sim,
            now: start,
            equipment,
            sensors,
            batteries,
        }
    }

    /// Whether the whole period has been generated.
    pub fn is_done(&self) -> bool {
        self.now >= self.sim.params.end
    }

    /// Appends the readings up to `until` (or the end of the period) to `out`.
    pub fn fill_until(&mut self, until: Timestamp, out: &mut ReadingBatch) {
        let until = until.min(self.sim.params.end);
        while self.now < until {
            let t = self.now;
            let step_end = t.plus_millis(STEP_MS).min(self.sim.params.end);
            let moment = Moment::at(&self.sim.weather, t);
            for (i, eq) in self.equipment.iter_mut().enumerate() {
                update_equipment(
                    eq,
                    &self.sim.histories[i].episodes,
                    &self.sim.histories[i].services,
                    &moment,
                    t,
                );
            }
            for s in &mut self.sensors {
                while s.next_due < step_end.millis() {
                    let ts = Timestamp::from_millis(s.next_due + s.rng.gen_range(0..=s.jitter_ms));
                    s.next_due += s.interval_ms;
                    let eq = &self.equipment[s.equipment];
                    let battery = s.battery.map(|b| self.batteries[b]);
                    if let Some(v) = sensor_value(
                        s,
                        eq,
                        battery,
                        &self.sim.faults.by_sensor[s.index as usize],
                        &moment,
                        ts,
                    ) {
                        // Clamped into the physical range and rounded: finite, unless
                        // a model of the simulator is broken.
                        out.push(s.index, ts, v)
                            .expect("a simulated value is finite");
                    }
                }
            }
            self.now = step_end;
        }
    }
}

fn update_equipment(
    eq: &mut EquipmentCursor,
    episodes: &[Episode],
    services: &[Timestamp],
    m: &Moment,
    t: Timestamp,
) {
    while eq.episode < episodes.len() && episodes[eq.episode].over_at() <= t {
        eq.episode += 1;
    }
    while eq.service < services.len() && services[eq.service] <= t {
        eq.last_service = services[eq.service];
        eq.service += 1;
    }
    let mut c = Condition {
        filter_age_days: t.days_since(eq.last_service),
        ..Condition::default()
    };
    if let Some(ep) = episodes.get(eq.episode)
        && t >= ep.start
    {
        c.mode = Some(ep.mode.code);
        c.severity = ep.severity(t);
        c.down = ep.is_down(t);
    }
    if eq.kind == EquipmentKind::SumpPump {
        let dt_h = STEP_MS as f64 / Timestamp::HOUR as f64;
        let inflow = 0.8 + 0.12 * m.wetness;
        let on_level = 35.0 + 25.0 * c.sev("float_switch_sticking");
        let rate = 60.0 * (1.0 - 0.4 * c.sev("motor_wear"));
        if c.down {
            eq.sump_running = false;
        } else if eq.sump_level >= on_level {
            eq.sump_running = true;
        } else if eq.sump_level <= 12.0 {
            eq.sump_running = false;
        }
        let out = if eq.sump_running { rate } else { 0.0 };
        eq.sump_level = (eq.sump_level + (inflow - out) * dt_h).clamp(5.0, 62.0);
        c.sump = Some((eq.sump_level, eq.sump_running));
    }
    eq.condition = c;
}

fn sensor_value(
    s: &mut SensorCursor,
    eq: &EquipmentCursor,
    battery: Option<&Battery>,
    faults: &[SensorFault],
    m: &Moment,
    ts: Timestamp,
) -> Option<f64> {
    while s.fault < faults.len() && faults[s.fault].end <= ts {
        s.fault += 1;
    }
    let active = faults[s.fault..]
        .iter()
        .take_while(|f| f.start <= ts)
        .filter(|f| f.end > ts);
    let mut drift = 0.0;
    let mut stuck = false;
    for f in active {
        match f.fault {
            _ if f.silences() => return None,
            FaultKind::Stuck => stuck = true,
            FaultKind::Drift => drift += f.drift_per_day.unwrap_or(0.0) * ts.days_since(f.start),
            _ => {}
        }
    }
    if let Some(b) = battery
        && b.level(ts) <= 1.0
    {
        return None;
    }
    // Random loss on the way (radio, Wi-Fi, a full buffer).
    let noise: f64 = s.rng.sample(StandardNormal);
    if s.rng.gen_bool(0.003) {
        return None;
    }
    let value = if s.metric == Metric::Battery {
        battery.map_or(100.0, |b| b.level(ts)).round()
    } else {
        let truth = true_value(eq.kind, s.metric, m, &eq.condition, &eq.traits, &mut s.rng)?;
        truth + drift + noise * s.noise_sd
    };
    let value = if stuck {
        *s.stuck.get_or_insert(s.last_value.unwrap_or(value))
    } else {
        s.stuck = None;
        value
    };
    let (lo, hi) = s.metric.physical_range();
    let value = ((value.clamp(lo, hi)) * s.scale).round() / s.scale;
    s.last_value = Some(value);
    Some(value)
}
