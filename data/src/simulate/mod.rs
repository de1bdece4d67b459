//! The simulated co-op: a deterministic history of readings and events for a
//! registry, realistic enough to be a fair test of forecasting.
//!
//! Given a registry and a seed, [`Simulation::new`] draws the weather, each
//! piece of equipment's history (faults, failures, repairs, services, alarms,
//! resident reports) and each sensor's faults; [`Simulation::readings`] then
//! streams the readings in time order, a chunk at a time, so years of
//! readings need little memory. The same seed and registry always give the
//! same output.
//!
//! # The model
//!
//! **Weather** (shared by all buildings): seasonal temperature (coldest
//! mid-January) with multi-day anomalies and a daily swing; rain on ~30% of
//! days, snowmelt in March-April. Heating runs when the day's mean is below
//! 16 °C; heating demand follows the outdoor temperature.
//!
//! **Failures.** Each kind has an annual failure rate, Weibull in the
//! equipment's virtual age (a year's services make it 15% younger, a repair 10%), and a
//! season factor (heating kinds fail more in cold weeks, sump pumps and roofs
//! in wet ones). A failure mode is drawn by weight; *gradual* modes degrade
//! for a lead time first, visibly in some sensors, and a service in that
//! window may catch them; *sudden* modes give no warning. A failed piece of
//! equipment is down until its repair.
//!
//! | kind | gradual modes (what the sensors see, lead days) | sudden modes |
//! |---|---|---|
//! | boiler | short cycling (burner cycles/h climb, 14-45); pressure loss (pressure falls, 10-40) | ignition failure, control board |
//! | circulation pump | bearing wear (vibration and current rise, 21-60); impeller clog (differential pressure and current fall, 7-30) | motor burnout, seal leak |
//! | hot-water heater | scale buildup (recovery time climbs, 20-60); element failure (outlet temperature and power fall, 7-20) | thermostat, tank leak |
//! | sump pump | float switch sticking (pit level peaks higher, 5-20); motor wear (current rises, runs longer, 14-45) | seizure |
//! | elevator | door operator wear (door cycle time climbs, 21-60); guide roller wear (vibration, current, 20-50) | controller fault, safety circuit |
//! | heat pump | refrigerant leak (supply temperature falls, current rises, 20-60); compressor wear (vibration, current, 14-40) | fan motor, control board |
//! | air handler | belt wear (vibration up, current down, 14-40); filter clog (filter pressure drop climbs, 10-30) | motor failure |
//! | leak zone | slow leak (humidity climbs, 3-21) | burst |
//!
//! **Normal operation.** Boilers follow an outdoor reset curve and cycle more
//! at low load; pumps run faster in the cold; hot-water heaters follow the
//! morning and evening draw; sump pits fill with rain and melt and the pump
//! cycles between its float levels; elevators follow daily traffic; air
//! handlers run slower at night and their filters load up between changes.
//!
//! **Records.** Services on each kind's schedule (one in ten skipped),
//! corrective maintenance after each failure or when a service finds a fault,
//! alarms from boilers, sump pumps, elevators, heat pumps and leak sensors,
//! resident reports during outages and degradation (and a few false ones).
//!
//! **Sensors.** Measurement noise and reporting precision per metric, jitter
//! in reporting times, dropouts, gateway outages, stuck values, drift, flat
//! Zigbee batteries and random loss (see `faults`).
mod coop;
mod faults;
mod live_clock;
mod modes;
mod signals;
mod stream;
mod timeline;
mod weather;

use std::collections::BTreeMap;

use caretaker_core::{EquipmentKind, Event, EventKind, Registry, Timestamp};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

pub use coop::{
    BUILDINGS as COOP_BUILDINGS, BuildingForm, PlannedAddress, PlannedBuilding, PlannedEquipment,
    PlannedSensor, RandomCoop, UNITS as COOP_UNITS,
};
pub use faults::{FaultKind, SensorFault};
pub use live_clock::LiveClock;
pub use modes::{FailureMode, KindProfile, profile};
pub use stream::ReadingStream;
pub use timeline::{AvertedTruth, FailureTruth};

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulationParams {
    /// Seed: the same seed gives the same history.
    pub seed: u64,
    /// First instant simulated.
    pub start: Timestamp,
    /// End of the period (exclusive).
    pub end: Timestamp,
}

impl SimulationParams {
    /// Whole days in the period (a partial last day counts).
    pub fn days(&self) -> usize {
        ((self.end.millis() - self.start.millis()).max(0) as f64 / Timestamp::DAY as f64).ceil()
            as usize
    }
}

/// A random stream for one named part of the simulation, independent of the others.
pub(crate) fn stream_rng(seed: u64, name: &str) -> ChaCha8Rng {
    // FNV-1a: a stable hash, the same on every platform and release.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ChaCha8Rng::seed_from_u64(seed ^ h.rotate_left(17))
}

/// The ground truth behind a simulated history.
#[derive(Debug, Clone, Serialize)]
pub struct GroundTruth {
    /// The seed.
    pub seed: u64,
    /// First instant simulated.
    pub start: Timestamp,
    /// End of the period.
    pub end: Timestamp,
    /// Every failure, with the degradation that preceded it.
    pub failures: Vec<FailureTruth>,
    /// Faults maintenance caught before they failed.
    pub averted: Vec<AvertedTruth>,
    /// Every sensor fault.
    pub sensor_faults: Vec<SensorFault>,
}

/// A simulated co-op's history, ready to stream.
pub struct Simulation {
    registry: Registry,
    params: SimulationParams,
    weather: weather::Weather,
    histories: Vec<timeline::EquipmentHistory>,
    faults: faults::FaultPlan,
}

impl Simulation {
    /// Draws the history of every piece of equipment and sensor of `registry`.
    pub fn new(registry: Registry, params: SimulationParams) -> Self {
        let weather = weather::Weather::generate(params.seed, params.start, params.days() + 1);
        let histories = registry
            .equipment()
            .iter()
            .map(|e| timeline::simulate_equipment(&params, &weather, e))
            .collect();
        let faults = faults::plan_faults(&params, &registry);
        Self {
            registry,
            params,
            weather,
            histories,
            faults,
        }
    }

    /// The registry simulated.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The parameters.
    pub fn params(&self) -> &SimulationParams {
        &self.params
    }

    /// Every event, in time order (ties by equipment).
    pub fn events(&self) -> Vec<Event> {
        let mut events: Vec<Event> = self
            .histories
            .iter()
            .flat_map(|h| h.events.iter().filter(|e| e.ts < self.params.end).cloned())
            .collect();
        events.sort_by(|a, b| (a.ts, &a.equipment).cmp(&(b.ts, &b.equipment)));
        events
    }

    /// What really happened: failures and their degradation, averted faults, sensor faults.
    pub fn ground_truth(&self) -> GroundTruth {
        let mut failures = Vec::new();
        let mut averted = Vec::new();
        for (e, h) in self.registry.equipment().iter().zip(&self.histories) {
            let (f, a) = timeline::truths(&self.registry, e, h);
            failures.extend(f.into_iter().filter(|f| f.ts < self.params.end));
            averted.extend(a);
        }
        failures.sort_by(|a, b| (a.ts, &a.equipment).cmp(&(b.ts, &b.equipment)));
        averted.sort_by(|a, b| (a.caught, &a.equipment).cmp(&(b.caught, &b.equipment)));
        let sensor_faults = self.faults.by_sensor.iter().flatten().cloned().collect();
        GroundTruth {
            seed: self.params.seed,
            start: self.params.start,
            end: self.params.end,
            failures,
            averted,
            sensor_faults,
        }
    }

    /// Streams the readings from the start of the period.
    pub fn readings(&self) -> ReadingStream<'_> {
        ReadingStream::new(self)
    }
}

/// What a simulated history holds, as printed after a run and saved as `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SimulationSummary {
    /// The seed.
    pub seed: u64,
    /// First instant simulated.
    pub start: Timestamp,
    /// End of the period.
    pub end: Timestamp,
    /// Readings written.
    pub readings: u64,
    /// Sensors in the registry.
    pub sensors: usize,
    /// Sensors with at least one reading.
    pub sensors_reporting: usize,
    /// Pieces of equipment.
    pub equipment: usize,
    /// Events by kind.
    pub events: BTreeMap<String, usize>,
    /// Failures by equipment kind.
    pub failures_by_kind: BTreeMap<String, usize>,
    /// All failures.
    pub failures: usize,
    /// Failures preceded by degradation a sensor could see.
    pub failures_with_visible_degradation: usize,
    /// Share of failures preceded by visible degradation (0..1).
    pub share_visible: f64,
    /// Faults that services caught before they failed.
    pub averted: usize,
}

impl SimulationSummary {
    /// Summarises a simulation's events and truth, with the reading counts the caller measured.
    pub fn new(sim: &Simulation, readings: u64, sensors_reporting: usize) -> Self {
        let truth = sim.ground_truth();
        let mut events = BTreeMap::new();
        for k in EventKind::ALL {
            events.insert(k.name().to_owned(), 0);
        }
        for e in sim.events() {
            *events.entry(e.kind.name().to_owned()).or_default() += 1;
        }
        let mut failures_by_kind: BTreeMap<String, usize> = BTreeMap::new();
        for k in EquipmentKind::ALL {
            if sim.registry.equipment().iter().any(|e| e.kind == *k) {
                failures_by_kind.insert(k.name().to_owned(), 0);
            }
        }
        for f in &truth.failures {
            *failures_by_kind
                .entry(f.kind.name().to_owned())
                .or_default() += 1;
        }
        let visible = truth.failures.iter().filter(|f| f.visible).count();
        let failures = truth.failures.len();
        Self {
            seed: sim.params.seed,
            start: sim.params.start,
            end: sim.params.end,
            readings,
            sensors: sim.registry.sensors().len(),
            sensors_reporting,
            equipment: sim.registry.equipment().len(),
            events,
            failures_by_kind,
            failures,
            failures_with_visible_degradation: visible,
            share_visible: if failures == 0 {
                0.0
            } else {
                (visible as f64 / failures as f64 * 1000.0).round() / 1000.0
            },
            averted: truth.averted.len(),
        }
    }
}

impl std::fmt::Display for SimulationSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "simulated {} to {} (seed {})",
            self.start, self.end, self.seed
        )?;
        writeln!(
            f,
            "readings: {} from {} of {} sensors on {} pieces of equipment",
            self.readings, self.sensors_reporting, self.sensors, self.equipment
        )?;
        let events: Vec<String> = self
            .events
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(f, "events: {}", events.join(", "))?;
        writeln!(f, "failures: {}", self.failures)?;
        for (kind, n) in &self.failures_by_kind {
            writeln!(f, "  {kind:<18} {n}")?;
        }
        writeln!(
            f,
            "failures preceded by visible degradation: {} of {} ({:.1}%)",
            self.failures_with_visible_degradation,
            self.failures,
            self.share_visible * 100.0
        )?;
        write!(
            f,
            "faults caught by maintenance before failing: {}",
            self.averted
        )
    }
}
