//! The one error of the domain types: why text or a number could not become one.
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
    /// A name (metric, equipment kind, event kind, work order state or origin,
    /// role) is not one Caretaker knows.
    #[error("unknown {what} {name:?} (known: {})", known.join(", "))]
    UnknownName {
        /// Which kind of name (metric, work order state, role...).
        what: &'static str,
        /// The rejected text.
        name: String,
        /// The names accepted.
        known: &'static [&'static str],
    },
    /// A time zone name is not in the IANA database.
    #[error(
        "unknown time zone {name:?}{}: expected an IANA name such as \"America/Toronto\" or \"Europe/Paris\"",
        meant.map_or(String::new(), |m| format!(" (did you mean {m:?}?)"))
    )]
    UnknownTimeZone {
        /// The rejected text.
        name: String,
        /// The zone of the same name in another case, if there is one.
        meant: Option<&'static str>,
    },
}
