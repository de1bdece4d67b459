//! What sensors measure: metrics, their units of measure and physical limits.
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

macro_rules! metrics {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $unit:literal, [$($alias:literal),*], $lo:expr, $hi:expr, $binary:literal;)*) => {
        /// A quantity a sensor measures.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Metric {
            $($(#[$doc])* $variant,)*
        }

        impl Metric {
            /// Every metric, in declaration order.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant,)*];

            /// The metric's name in files, payloads and the API (`supply_temperature`).
            pub const fn name(self) -> &'static str {
                match self { $(Metric::$variant => $name,)* }
            }

            /// The canonical unit of measure (`°C`).
            pub const fn unit(self) -> &'static str {
                match self { $(Metric::$variant => $unit,)* }
            }

            /// Whether `unit` is the canonical unit or an accepted spelling of it.
            pub fn accepts_unit(self, unit: &str) -> bool {
                match self { $(Metric::$variant => unit == $unit $(|| unit == $alias)*,)* }
            }

            /// The physically possible range: a value outside it is an error, not a reading.
            pub const fn physical_range(self) -> (f64, f64) {
                match self { $(Metric::$variant => ($lo, $hi),)* }
            }

            /// Whether the metric is an on/off state (0 or 1).
            pub const fn is_binary(self) -> bool {
                match self { $(Metric::$variant => $binary,)* }
            }

            /// Parses a metric name.
            pub fn parse(name: &str) -> Result<Self, DomainError> {
                match name {
                    $($name => Ok(Metric::$variant),)*
                    other => Err(DomainError::UnknownMetric(other.to_owned())),
                }
            }

            /// All metric names.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|m| m.name()).collect()
            }
        }
    };
}

metrics! {
    /// Heating or hot-water flow temperature leaving the equipment.
    SupplyTemperature = "supply_temperature", "°C", ["C", "degC"], -60.0, 250.0, false;
    /// Temperature of water returning to the equipment.
    ReturnTemperature = "return_temperature", "°C", ["C", "degC"], -60.0, 250.0, false;
    /// Hot-water outlet temperature of a water heater.
    OutletTemperature = "outlet_temperature", "°C", ["C", "degC"], -60.0, 250.0, false;
    /// Air temperature in a room, duct or roof space.
    AirTemperature = "air_temperature", "°C", ["C", "degC"], -60.0, 150.0, false;
    /// System water pressure.
    Pressure = "pressure", "bar", [], 0.0, 40.0, false;
    /// Pressure difference across a pump.
    DifferentialPressure = "differential_pressure", "kPa", [], 0.0, 1000.0, false;
    /// Pressure drop across an air filter.
    FilterPressureDrop = "filter_pressure_drop", "Pa", [], 0.0, 5000.0, false;
    /// Vibration velocity, RMS.
    VibrationRms = "vibration_rms", "mm/s", [], 0.0, 200.0, false;
    /// Motor current.
    MotorCurrent = "motor_current", "A", [], 0.0, 1000.0, false;
    /// Electrical power draw.
    Power = "power", "W", [], 0.0, 1.0e6, false;
    /// Burner starts in the last hour.
    BurnerCycles = "burner_cycles", "1/h", ["cycles/h"], 0.0, 3600.0, false;
    /// Running (1) or stopped (0).
    RunState = "run_state", "state", ["bool"], 0.0, 1.0, true;
    /// Minutes a water heater took to recover its set point after the last draw.
    RecoveryTime = "recovery_time", "min", [], 0.0, 1440.0, false;
    /// Mean seconds for an elevator door to open and close.
    DoorCycleTime = "door_cycle_time", "s", [], 0.0, 600.0, false;
    /// Elevator trips in the last hour.
    Trips = "trips", "1/h", ["trips/h"], 0.0, 1000.0, false;
    /// Water level in a sump pit.
    WaterLevel = "water_level", "cm", [], -100.0, 1000.0, false;
    /// Water detected (1) or dry (0).
    WaterLeak = "water_leak", "state", ["bool"], 0.0, 1.0, true;
    /// Relative humidity.
    Humidity = "humidity", "%", [], 0.0, 100.0, false;
    /// Battery charge of a wireless sensor.
    Battery = "battery", "%", [], 0.0, 100.0, false;
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Metric {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_ranges_are_ordered() {
        for &m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()).unwrap(), m);
            assert!(m.accepts_unit(m.unit()));
            let (lo, hi) = m.physical_range();
            assert!(lo < hi, "{m}");
        }
        assert!(Metric::parse("temperature").is_err());
        assert!(Metric::SupplyTemperature.accepts_unit("C"));
        assert!(!Metric::SupplyTemperature.accepts_unit("K"));
    }
}
