//! Who a caller is, as far as permissions go.
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// The role an API token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Runs the installation: tokens, gateways, everything.
    Admin,
    /// The maintenance committee: reads and writes work orders and the registry.
    Committee,
    /// A resident: sees and reports for their own unit only.
    Resident,
    /// A sensor gateway: publishes readings only.
    Gateway,
}

impl Role {
    /// Every role.
    pub const ALL: &'static [Role] = &[Self::Admin, Self::Committee, Self::Resident, Self::Gateway];

    /// The role's name in the database and the API.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Committee => "committee",
            Self::Resident => "resident",
            Self::Gateway => "gateway",
        }
    }

    /// Parses a role name.
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        Self::ALL
            .iter()
            .copied()
            .find(|r| r.name() == name)
            .ok_or_else(|| DomainError::UnknownName {
                what: "role",
                name: name.to_owned(),
                known: Self::names().join(", "),
            })
    }

    /// All role names.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|r| r.name()).collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error, StrDeserializer};

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for &r in Role::ALL {
            assert_eq!(Role::parse(r.name()).unwrap(), r);
            let d: StrDeserializer<'_, Error> = r.name().into_deserializer();
            assert_eq!(Role::deserialize(d).unwrap(), r);
        }
        let err = Role::parse("root").unwrap_err().to_string();
        assert!(err.contains("role") && err.contains("committee"), "{err}");
        let d: StrDeserializer<'_, Error> = "Admin".into_deserializer();
        assert!(Role::deserialize(d).is_err());
    }
}
