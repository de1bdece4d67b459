//! Identifiers: short, printable, stable names.
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::DomainError;

/// Longest identifier accepted, in bytes.
const MAX_ID_LEN: usize = 64;

fn check_id(what: &'static str, value: &str) -> Result<(), DomainError> {
    let bad = |why| {
        Err(DomainError::InvalidId {
            what,
            value: value.to_owned(),
            why,
        })
    };
    if value.is_empty() {
        return bad("must not be empty");
    }
    if value.len() > MAX_ID_LEN {
        return bad("must be at most 64 characters");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return bad("may only use letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses an identifier: 1 to 64 characters of `[A-Za-z0-9._-]`.
            pub fn parse(value: &str) -> Result<Self, DomainError> {
                check_id($what, value)?;
                Ok(Self(value.to_owned()))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// A sensor's identifier, unique in the co-op (`A-BLR-1-supply`).
    SensorId,
    "sensor id"
);
id_type!(
    /// A piece of equipment's identifier, unique in the co-op (`A-BLR-1`).
    EquipmentId,
    "equipment id"
);
id_type!(
    /// A dwelling unit's identifier, unique in the co-op (`B-204`).
    UnitId,
    "unit id"
);
id_type!(
    /// A building's identifier, unique in the co-op (`A`).
    BuildingId,
    "building id"
);
id_type!(
    /// A sensor gateway's name, also its MQTT user name and topic segment.
    GatewayName,
    "gateway name"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_ids_and_rejects_the_rest() {
        assert!(SensorId::parse("A-BLR-1.supply_temp").is_ok());
        for bad in ["", "a b", "a/b", "é", &"x".repeat(65)] {
            assert!(SensorId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
