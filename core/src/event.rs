//! The maintenance history: failures, maintenance, alarms and resident reports.
use serde::{Deserialize, Serialize};

use crate::{EquipmentId, Timestamp, UnitId};

named_enum! {
    /// What happened to a piece of equipment.
    pub enum EventKind as "event kind" {
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
