//! Kinds of equipment.
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// What a piece of equipment is; each kind has its own failure modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EquipmentKind {
    /// A space-heating boiler.
    Boiler,
    /// A heating-loop or riser circulation pump.
    CirculationPump,
    /// A domestic hot-water heater.
    DhwHeater,
    /// A sump pump in a basement pit.
    SumpPump,
    /// An elevator.
    Elevator,
    /// A heat pump.
    HeatPump,
    /// An air handler (ventilation unit).
    AirHandler,
    /// A roof or plumbing zone watched by leak sensors.
    LeakZone,
}

impl EquipmentKind {
    /// Every kind.
    pub const ALL: &'static [EquipmentKind] = &[
        Self::Boiler,
        Self::CirculationPump,
        Self::DhwHeater,
        Self::SumpPump,
        Self::Elevator,
        Self::HeatPump,
        Self::AirHandler,
        Self::LeakZone,
    ];

    /// The kind's name in files and the API (`circulation_pump`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Boiler => "boiler",
            Self::CirculationPump => "circulation_pump",
            Self::DhwHeater => "dhw_heater",
            Self::SumpPump => "sump_pump",
            Self::Elevator => "elevator",
            Self::HeatPump => "heat_pump",
            Self::AirHandler => "air_handler",
            Self::LeakZone => "leak_zone",
        }
    }

    /// A plain-language label (`circulation pump`).
    pub const fn label(self) -> &'static str {
        match self {
            Self::Boiler => "boiler",
            Self::CirculationPump => "circulation pump",
            Self::DhwHeater => "hot-water heater",
            Self::SumpPump => "sump pump",
            Self::Elevator => "elevator",
            Self::HeatPump => "heat pump",
            Self::AirHandler => "air handler",
            Self::LeakZone => "leak zone",
        }
    }

    /// Parses a kind name.
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.name() == name)
            .ok_or_else(|| DomainError::UnknownKind(name.to_owned()))
    }

    /// All kind names.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|k| k.name()).collect()
    }
}

impl fmt::Display for EquipmentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for EquipmentKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for EquipmentKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
