//! The maintenance history: failures, maintenance, alarms and resident reports.
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{DomainError, EquipmentId, Timestamp, UnitId};

/// What happened to a piece of equipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// It stopped doing its job.
    Failure,
    /// Scheduled service (inspection, cleaning, parts replaced on a schedule).
    PreventiveMaintenance,
    /// A repair: after a failure, or of a fault found before it failed.
    CorrectiveMaintenance,
    /// An alarm or error code the equipment raised.
    Alarm,
    /// A resident reported a problem.
    ResidentReport,
}

impl EventKind {
    /// Every event kind.
    pub const ALL: &'static [EventKind] = &[
        Self::Failure,
        Self::PreventiveMaintenance,
        Self::CorrectiveMaintenance,
        Self::Alarm,
        Self::ResidentReport,
    ];

    /// The kind's name in files and the API.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Failure => "failure",
            Self::PreventiveMaintenance => "preventive_maintenance",
            Self::CorrectiveMaintenance => "corrective_maintenance",
            Self::Alarm => "alarm",
            Self::ResidentReport => "resident_report",
        }
    }

    /// Parses an event kind name.
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.name() == name)
            .ok_or_else(|| DomainError::UnknownEventKind(name.to_owned()))
    }

    /// All event kind names.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|k| k.name()).collect()
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// One entry of the maintenance history, as a committee would record it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened.
    pub ts: Timestamp,
    /// The equipment concerned.
    pub equipment: EquipmentId,
    /// What happened.
    pub kind: EventKind,
    /// A short machine-readable code: failure mode, alarm code or report category.
    pub code: Option<String>,
    /// What was recorded, in plain words.
    pub description: String,
    /// What it cost, in the co-op's currency.
    pub cost: Option<f64>,
    /// The unit concerned (resident reports).
    pub unit: Option<UnitId>,
}
