//! Work orders: where each comes from and the lifecycle it follows.
//!
//! | from | may move to |
//! |---|---|
//! | proposed | approved, deferred, dismissed |
//! | deferred | proposed, approved, dismissed |
//! | approved | scheduled, deferred, dismissed |
//! | scheduled | scheduled (reschedule), in_progress, approved (unschedule), dismissed |
//! | in_progress | done |
//! | dismissed | proposed (reopened) |
//! | done | — |
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// Where a work order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkOrderState {
    /// Suggested (by the model, a rule or a person), not yet decided.
    Proposed,
    /// Put off by the committee; may come back if the risk grows.
    Deferred,
    /// Agreed to, not yet given a time.
    Approved,
    /// Given a time window and the units it affects.
    Scheduled,
    /// Work has started.
    InProgress,
    /// Finished, with its outcome recorded.
    Done,
    /// Judged not worth doing; may be reopened.
    Dismissed,
}

impl WorkOrderState {
    /// Every state, in lifecycle order.
    pub const ALL: &'static [WorkOrderState] = &[
        Self::Proposed,
        Self::Deferred,
        Self::Approved,
        Self::Scheduled,
        Self::InProgress,
        Self::Done,
        Self::Dismissed,
    ];

    /// The state's name in the database and the API.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Deferred => "deferred",
            Self::Approved => "approved",
            Self::Scheduled => "scheduled",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::Dismissed => "dismissed",
        }
    }

    /// Parses a state name.
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.name() == name)
            .ok_or_else(|| DomainError::UnknownName {
                what: "work order state",
                name: name.to_owned(),
                known: Self::names().join(", "),
            })
    }

    /// All state names.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|s| s.name()).collect()
    }

    /// Whether the order still asks for work: proposed, approved, scheduled or in progress.
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            Self::Proposed | Self::Approved | Self::Scheduled | Self::InProgress
        )
    }

    /// Whether the committee has set the order aside for now: deferred or dismissed.
    pub const fn is_closed_for_now(self) -> bool {
        matches!(self, Self::Deferred | Self::Dismissed)
    }

    /// Whether an order in this state may move to `next`. `Scheduled → Scheduled`
    /// (a new window or new units) is the only move that keeps the state.
    pub const fn can_move_to(self, next: WorkOrderState) -> bool {
        use WorkOrderState::*;
        matches!(
            (self, next),
            (Proposed, Approved | Deferred | Dismissed)
                | (Deferred, Proposed | Approved | Dismissed)
                | (Approved, Scheduled | Deferred | Dismissed)
                | (Scheduled, Scheduled | InProgress | Approved | Dismissed)
                | (InProgress, Done)
                | (Dismissed, Proposed)
        )
    }
}

impl fmt::Display for WorkOrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for WorkOrderState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for WorkOrderState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What raised a work order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkOrderOrigin {
    /// The failure forecast.
    Forecast,
    /// A sensor that stopped reporting or reads nonsense.
    SensorHealth,
    /// Residents' problem reports.
    ResidentReports,
    /// A person, by hand.
    Manual,
}

impl WorkOrderOrigin {
    /// Every origin.
    pub const ALL: &'static [WorkOrderOrigin] = &[
        Self::Forecast,
        Self::SensorHealth,
        Self::ResidentReports,
        Self::Manual,
    ];

    /// The origin's name in the database and the API.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Forecast => "forecast",
            Self::SensorHealth => "sensor_health",
            Self::ResidentReports => "resident_reports",
            Self::Manual => "manual",
        }
    }

    /// Parses an origin name.
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        Self::ALL
            .iter()
            .copied()
            .find(|o| o.name() == name)
            .ok_or_else(|| DomainError::UnknownName {
                what: "work order origin",
                name: name.to_owned(),
                known: Self::names().join(", "),
            })
    }

    /// All origin names.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|o| o.name()).collect()
    }
}

impl fmt::Display for WorkOrderOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for WorkOrderOrigin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for WorkOrderOrigin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::WorkOrderState::*;
    use super::*;

    /// The lifecycle, written out as the product describes it.
    const ALLOWED: &[(WorkOrderState, WorkOrderState)] = &[
        (Proposed, Approved),
        (Proposed, Deferred),
        (Proposed, Dismissed),
        (Deferred, Proposed),
        (Deferred, Approved),
        (Deferred, Dismissed),
        (Approved, Scheduled),
        (Approved, Deferred),
        (Approved, Dismissed),
        (Scheduled, Scheduled),
        (Scheduled, InProgress),
        (Scheduled, Approved),
        (Scheduled, Dismissed),
        (InProgress, Done),
        (Dismissed, Proposed),
    ];

    #[test]
    fn listed_moves_are_allowed_and_every_other_pair_refused() {
        for &from in WorkOrderState::ALL {
            for &to in WorkOrderState::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    ALLOWED.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
        assert!(WorkOrderState::ALL.iter().all(|&s| !Done.can_move_to(s)));
    }

    #[test]
    fn open_and_closed_for_now_partition_all_but_done() {
        for &s in WorkOrderState::ALL {
            assert!(!(s.is_open() && s.is_closed_for_now()), "{s}");
            assert_eq!(s.is_open() || s.is_closed_for_now(), s != Done, "{s}");
        }
        assert!(InProgress.is_open());
        assert!(Deferred.is_closed_for_now());
    }

    #[test]
    fn names_round_trip_through_parse_and_serde() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, StrDeserializer};
        for &s in WorkOrderState::ALL {
            assert_eq!(WorkOrderState::parse(s.name()).unwrap(), s);
            assert_eq!(s.to_string(), s.name());
            let d: StrDeserializer<'_, Error> = s.name().into_deserializer();
            assert_eq!(WorkOrderState::deserialize(d).unwrap(), s);
        }
        assert_eq!(InProgress.name(), "in_progress");
        for &o in WorkOrderOrigin::ALL {
            assert_eq!(WorkOrderOrigin::parse(o.name()).unwrap(), o);
            let d: StrDeserializer<'_, Error> = o.name().into_deserializer();
            assert_eq!(WorkOrderOrigin::deserialize(d).unwrap(), o);
        }
        assert_eq!(WorkOrderOrigin::SensorHealth.name(), "sensor_health");
        let err = WorkOrderState::parse("closed").unwrap_err().to_string();
        assert!(
            err.contains("work order state") && err.contains("in_progress"),
            "{err}"
        );
        assert!(WorkOrderOrigin::parse("model").is_err());
        let d: StrDeserializer<'_, Error> = "model".into_deserializer();
        assert!(WorkOrderOrigin::deserialize(d).is_err());
    }
}
