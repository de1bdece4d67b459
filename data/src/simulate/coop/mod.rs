//! A random co-op: a plausible registry for `caretaker simulate coop`, so that
//! forecasting is tried on co-ops that differ, not only on the sample co-op.
//!
//! [`RandomCoop::generate`] draws, from one seed and nothing else (no clock, no
//! system randomness), a co-op of [`BUILDINGS`] buildings and [`UNITS`] units:
//!
//! | building | floors | units | equipment |
//! |---|---|---|---|
//! | walk-up | 2-4 | 6-36 | boiler, heating pump, hot-water heater; no elevator |
//! | mid-rise | 5-12 | 20-120 | 1-2 boilers, 2-3 pumps, hot-water heater, 1-2 elevators, air handler |
//! | townhouse row | 2-3 | 4-32 in blocks of 3-8 | a boiler (with its pump) or a heat pump per block |
//!
//! Every building may also have a sump pump (its water level on LoRaWAN) and has
//! leak zones (Zigbee leak and climate sensors); the rest of the sensors report
//! through the building's native gateway, some under a channel name of their own.
//! Makes, models, installation dates and costs vary per piece of equipment.
//! [`RandomCoop::to_toml`] writes it in the registry format of the sample co-op;
//! the same seed always gives the same bytes.
mod buildings;
mod catalog;
mod equipment;
mod render;
mod sensors;

use std::ops::RangeInclusive;

use caretaker_core::EquipmentKind;
use chrono::NaiveDate;
use rand::Rng;
use rand::seq::SliceRandom;

pub use buildings::BuildingForm;

use super::stream_rng;

/// How many buildings a random co-op has.
pub const BUILDINGS: RangeInclusive<usize> = 1..=8;
/// How many units a random co-op has, over all its buildings.
pub const UNITS: RangeInclusive<usize> = 10..=400;
/// The last day a random co-op's equipment can have been installed: before the
/// simulator's default start (2024-01-01), so every machine has a history.
pub const LAST_INSTALLED: (i32, u32, u32) = (2023, 6, 30);

/// A random co-op, ready to be written as a registry.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomCoop {
    /// The seed it was drawn from.
    pub seed: u64,
    /// The co-op's name.
    pub name: String,
    /// Its currency (ISO 4217).
    pub currency: String,
    /// Its IANA time zone.
    pub timezone: String,
    /// Its buildings, with their units.
    pub buildings: Vec<PlannedBuilding>,
    /// Its equipment.
    pub equipment: Vec<PlannedEquipment>,
    /// Its sensors.
    pub sensors: Vec<PlannedSensor>,
    /// The ChirpStack application id of the LoRaWAN bridge, if any sensor uses LoRaWAN.
    pub lorawan_application: Option<String>,
}

/// A building of a random co-op.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedBuilding {
    /// Its id (`A`, `B`, ...).
    pub id: String,
    /// Its name (`Maple Court`).
    pub name: String,
    /// Its street address.
    pub address: String,
    /// Floors above ground.
    pub floors: u32,
    /// Year built.
    pub built: i32,
    /// What kind of building it is.
    pub form: BuildingForm,
    /// Its units: id and floor.
    pub units: Vec<(String, u32)>,
    /// Its native gateway.
    pub gateway: String,
}

/// A piece of equipment of a random co-op.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedEquipment {
    /// Its id (`A-BLR-1`).
    pub id: String,
    /// The building it is in.
    pub building: String,
    /// Its kind.
    pub kind: EquipmentKind,
    /// Its name, as members say it.
    pub name: String,
    /// Manufacturer.
    pub make: String,
    /// Model.
    pub model: String,
    /// Installation date.
    pub installed: NaiveDate,
    /// Cost of replacing it.
    pub replacement_cost: f64,
    /// Cost of a failure beyond the repair.
    pub failure_cost: f64,
    /// 1 (nuisance) to 5 (safety, no heat in winter).
    pub criticality: u8,
    /// Units (or patterns) it serves.
    pub serves: Vec<String>,
}

/// How a sensor reaches Caretaker.
#[derive(Debug, Clone, PartialEq)]
pub enum PlannedAddress {
    /// Through its building's native gateway, by its id or the channel name given.
    Native(Option<String>),
    /// Through the Zigbee2MQTT bridge: device friendly name and payload key.
    Zigbee {
        /// Friendly name.
        name: String,
        /// Key in the device's payload.
        key: String,
    },
    /// Through the ChirpStack integration: device EUI and decoded field.
    Lorawan {
        /// 16 hex digits.
        dev_eui: String,
        /// Field of the decoded payload.
        field: String,
    },
}

/// A sensor of a random co-op.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedSensor {
    /// Its id (`A-BLR-1-supply`).
    pub id: String,
    /// The equipment it watches.
    pub equipment: String,
    /// Metric name.
    pub metric: &'static str,
    /// Unit of its readings.
    pub unit: &'static str,
    /// Expected range of a healthy machine.
    pub expected_range: (f64, f64),
    /// Seconds between readings.
    pub interval_s: u32,
    /// How it reports.
    pub address: PlannedAddress,
}

/// The gateway names every random co-op uses for its bridges.
pub const ZIGBEE_BRIDGE: &str = "zigbee-bridge";
/// The LoRaWAN (ChirpStack) bridge's gateway name.
pub const LORAWAN_BRIDGE: &str = "lorawan-bridge";

impl RandomCoop {
    /// Draws a co-op from `seed`.
    pub fn generate(seed: u64) -> Self {
        let mut rng = stream_rng(seed, "coop");
        let (zone, currency) = *catalog::ZONES.choose(&mut rng).expect("zones");
        let name = catalog::coop_name(&mut rng);
        let buildings = buildings::plan(&mut rng);
        let last = NaiveDate::from_ymd_opt(LAST_INSTALLED.0, LAST_INSTALLED.1, LAST_INSTALLED.2)
            .expect("a date");
        let mut equipment = Vec::new();
        for b in &buildings {
            equipment.extend(equipment::plan(&mut rng, b, last));
        }
        let mut addresses = sensors::Addresses::new(rng.r#gen());
        let mut sensors = Vec::new();
        for e in &equipment {
            let b = buildings
                .iter()
                .find(|b| b.id == e.building)
                .expect("its building");
            sensors.extend(sensors::plan(&mut rng, b, e, &mut addresses));
        }
        let lorawan_application = sensors
            .iter()
            .any(|s| matches!(s.address, PlannedAddress::Lorawan { .. }))
            .then(|| catalog::uuid(&mut rng));
        Self {
            seed,
            name,
            currency: currency.to_owned(),
            timezone: zone.to_owned(),
            buildings,
            equipment,
            sensors,
            lorawan_application,
        }
    }

    /// Units over all buildings.
    pub fn unit_count(&self) -> usize {
        self.buildings.iter().map(|b| b.units.len()).sum()
    }

    /// The registry, as TOML in the sample co-op's format.
    pub fn to_toml(&self) -> String {
        render::registry(self)
    }
}

#[cfg(test)]
mod tests;
