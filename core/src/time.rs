//! UTC timestamps with millisecond precision.
use std::fmt;

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// A point in time, UTC, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// Milliseconds in a second, minute, hour and day.
    pub const SECOND: i64 = 1_000;
    /// Milliseconds in a minute.
    pub const MINUTE: i64 = 60 * Self::SECOND;
    /// Milliseconds in an hour.
    pub const HOUR: i64 = 60 * Self::MINUTE;
    /// Milliseconds in a day.
    pub const DAY: i64 = 24 * Self::HOUR;

    /// A timestamp from epoch milliseconds.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Epoch milliseconds.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The current time.
    pub fn now() -> Self {
        Self(Utc::now().timestamp_millis())
    }

    /// Midnight UTC at the start of a calendar date.
    pub fn from_date(date: NaiveDate) -> Self {
        Self(
            date.and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc()
                .timestamp_millis(),
        )
    }

    /// Parses RFC 3339 (`2024-01-31T12:00:00Z`, any offset), a bare date
    /// (`2024-01-31`, midnight UTC) or epoch milliseconds (`1706702400000`).
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let text = text.trim();
        if let Ok(ms) = text.parse::<i64>() {
            return Ok(Self(ms));
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
            return Ok(Self(dt.timestamp_millis()));
        }
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(Self::from_date(date));
        }
        Err(DomainError::InvalidTimestamp(text.to_owned()))
    }

    /// The time as a chrono UTC date-time.
    pub fn to_datetime(self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// This time plus `ms` milliseconds.
    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0 + ms)
    }

    /// Days (fractional) from `earlier` to `self`.
    pub fn days_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / Self::DAY as f64
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &self
                .to_datetime()
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        )
    }
}

impl std::str::FromStr for Timestamp {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Millis(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Millis(ms) => Ok(Self(ms)),
            Raw::Text(t) => Self::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        let t = Timestamp::parse("2024-01-31T12:00:00Z").unwrap();
        assert_eq!(Timestamp::parse("1706702400000").unwrap(), t);
        assert_eq!(Timestamp::parse("2024-01-31T13:00:00+01:00").unwrap(), t);
        assert_eq!(
            Timestamp::parse("2024-01-31")
                .unwrap()
                .plus_millis(12 * Timestamp::HOUR),
            t
        );
        assert_eq!(t.to_string(), "2024-01-31T12:00:00Z");
        assert!(Timestamp::parse("yesterday").is_err());
    }
}
