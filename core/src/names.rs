//! Text names of the domain enums: one rule for files, the database, payloads,
//! the API and the command line.
//!
//! Each enum is declared through [`named_enum!`], which derives its names with
//! `strum` as the `snake_case` of the variant (`InProgress` is `in_progress`) and
//! gives every enum the same API: `ALL`, `name` (also `Display` and
//! `Into<&'static str>`), `parse` (the same as `FromStr`, whose error lists the
//! accepted names), `names`, and serde as the name. The names are stored in SQLite, Parquet, JSON
//! and TOML, so renaming a variant renames stored data: the test below pins them.

/// Defines an enum of named values: `pub enum Name as "what" { Variant, ... }`, with
/// doc comments on the enum and each variant. `what` names the enum in errors.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident as $what:literal {
            $($(#[$variant_meta:meta])* $variant:ident,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(
            ::strum::Display,
            ::strum::EnumString,
            ::strum::IntoStaticStr,
            ::strum::VariantArray,
            ::strum::VariantNames,
        )]
        #[strum(
            serialize_all = "snake_case",
            parse_err_ty = crate::DomainError,
            parse_err_fn = Self::unknown
        )]
        pub enum $ty {
            $($(#[$variant_meta])* $variant,)*
        }

        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = <$ty as ::strum::VariantArray>::VARIANTS;

            /// The name in files, the database, the API and the command line.
            pub fn name(self) -> &'static str {
                self.into()
            }

            /// Parses a name; the error lists the accepted ones.
            pub fn parse(name: &str) -> Result<Self, crate::DomainError> {
                name.parse()
            }

            /// Every name, in declaration order.
            pub const fn names() -> &'static [&'static str] {
                <$ty as ::strum::VariantNames>::VARIANTS
            }

            /// The error for a name that is none of [`Self::names`].
            fn unknown(name: &str) -> crate::DomainError {
                crate::DomainError::UnknownName {
                    what: $what,
                    name: name.to_owned(),
                    known: Self::names(),
                }
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = String::deserialize(d)?;
                Self::parse(&name).map_err(::serde::de::Error::custom)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::str::FromStr;

    use serde::de::value::{Error, StrDeserializer};
    use serde::de::{DeserializeOwned, IntoDeserializer};

    use crate::{
        DomainError, EquipmentKind, EventKind, Metric, Role, WorkOrderOrigin, WorkOrderState,
    };

    /// Checks that `all` has exactly the names `expect`, in order, that each name
    /// round-trips through `FromStr`, `Display` and serde, and that an unknown name
    /// is refused with an error naming `what` and every accepted name.
    fn check<T>(all: &[T], names: &[&str], what: &str, expect: &[&str])
    where
        T: Copy + Debug + PartialEq + FromStr<Err = DomainError> + ToString + DeserializeOwned,
    {
        assert_eq!(names, expect, "{what}");
        assert_eq!(all.len(), expect.len(), "{what}");
        for (&value, &name) in all.iter().zip(expect) {
            assert_eq!(value.to_string(), name);
            assert_eq!(name.parse::<T>().unwrap(), value);
            let d: StrDeserializer<'_, Error> = name.into_deserializer();
            assert_eq!(T::deserialize(d).unwrap(), value);
        }
        let err = "No-Such-Name".parse::<T>().unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("unknown {what} \"No-Such-Name\"")),
            "{err}"
        );
        assert!(expect.iter().all(|name| err.contains(name)), "{err}");
        let d: StrDeserializer<'_, Error> = "No-Such-Name".into_deserializer();
        assert_eq!(T::deserialize(d).unwrap_err().to_string(), err);
    }

    #[test]
    fn stored_names_are_these_exactly() {
        check(
            Role::ALL,
            Role::names(),
            "role",
            &["admin", "committee", "resident", "gateway"],
        );
        check(
            EquipmentKind::ALL,
            EquipmentKind::names(),
            "equipment kind",
            &[
                "boiler",
                "circulation_pump",
                "dhw_heater",
                "sump_pump",
                "elevator",
                "heat_pump",
                "air_handler",
                "leak_zone",
            ],
        );
        check(
            EventKind::ALL,
            EventKind::names(),
            "event kind",
            &[
                "failure",
                "preventive_maintenance",
                "corrective_maintenance",
                "alarm",
                "resident_report",
            ],
        );
        check(
            WorkOrderState::ALL,
            WorkOrderState::names(),
            "work order state",
            &[
                "proposed",
                "deferred",
                "approved",
                "scheduled",
                "in_progress",
                "done",
                "dismissed",
            ],
        );
        check(
            WorkOrderOrigin::ALL,
            WorkOrderOrigin::names(),
            "work order origin",
            &["forecast", "sensor_health", "resident_reports", "manual"],
        );
        check(
            Metric::ALL,
            Metric::names(),
            "metric",
            &[
                "supply_temperature",
                "return_temperature",
                "outlet_temperature",
                "air_temperature",
                "pressure",
                "differential_pressure",
                "filter_pressure_drop",
                "vibration_rms",
                "motor_current",
                "power",
                "burner_cycles",
                "run_state",
                "recovery_time",
                "door_cycle_time",
                "trips",
                "water_level",
                "water_leak",
                "humidity",
                "battery",
            ],
        );
    }

    #[test]
    fn names_are_case_sensitive() {
        assert!(Role::parse("Admin").is_err());
        assert!(WorkOrderState::parse("IN_PROGRESS").is_err());
        assert!(Metric::parse("temperature").is_err());
    }
}
