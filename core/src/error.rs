use thiserror::Error;

/// Why a value could not become a domain type.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DomainError {
    /// An identifier was empty, too long or used characters outside `[A-Za-z0-9._-]`.
    #[error("invalid {what} {value:?}: {why}")]
    InvalidId {
        /// Which kind of identifier (sensor, equipment...).
        what: &'static str,
        /// The rejected text.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A timestamp could not be parsed or is out of range.
    #[error(
        "invalid timestamp {0:?}: expected RFC 3339 (2024-01-31T12:00:00Z) or epoch milliseconds"
    )]
    InvalidTimestamp(String),
    /// A reading value was NaN or infinite.
    #[error("value is not a finite number")]
    NonFinite,
    /// A metric name is not one Caretaker knows.
    #[error("unknown metric {0:?} (known: {known})", known = crate::Metric::names().join(", "))]
    UnknownMetric(String),
    /// A unit of measure does not fit the metric.
    #[error("unit {unit:?} does not fit metric {metric} (expected {expected})")]
    WrongUnit {
        /// The metric.
        metric: crate::Metric,
        /// The unit given.
        unit: String,
        /// The unit(s) accepted.
        expected: String,
    },
    /// An equipment kind is not one Caretaker knows.
    #[error("unknown equipment kind {0:?} (known: {known})", known = crate::EquipmentKind::names().join(", "))]
    UnknownKind(String),
    /// An event kind is not one Caretaker knows.
    #[error("unknown event kind {0:?} (known: {known})", known = crate::EventKind::names().join(", "))]
    UnknownEventKind(String),
    /// A name (work order state or origin, role...) is not one Caretaker knows.
    #[error("unknown {what} {name:?} (known: {known})")]
    UnknownName {
        /// Which kind of name (work order state, role...).
        what: &'static str,
        /// The rejected text.
        name: String,
        /// The names accepted, comma-separated.
        known: String,
    },
}
