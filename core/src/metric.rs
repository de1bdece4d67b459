//! What sensors measure: metrics, their units of measure and physical limits.

/// One line per metric: the variant (its name is the variant in `snake_case`, see
/// [`crate::names`]), the canonical unit, other accepted spellings of it, the
/// physical range, and whether it is an on/off state.
macro_rules! metrics {
    ($($(#[$doc:meta])* $variant:ident, $unit:literal, [$($alias:literal),*], $lo:expr, $hi:expr, $binary:literal;)*) => {
        named_enum! {
            /// A quantity a sensor measures.
            pub enum Metric as "metric" {
                $($(#[$doc])* $variant,)*
            }
        }

        impl Metric {
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
        }
    };
}

metrics! {
    /// Heating or hot-water flow temperature leaving the equipment.
    SupplyTemperature, "°C", ["C", "degC"], -60.0, 250.0, false;
    /// Temperature of water returning to the equipment.
    ReturnTemperature, "°C", ["C", "degC"], -60.0, 250.0, false;
    /// Hot-water outlet temperature of a water heater.
    OutletTemperature, "°C", ["C", "degC"], -60.0, 250.0, false;
    /// Air temperature in a room, duct or roof space.
    AirTemperature, "°C", ["C", "degC"], -60.0, 150.0, false;
    /// System water pressure.
    Pressure, "bar", [], 0.0, 40.0, false;
    /// Pressure difference across a pump.
    DifferentialPressure, "kPa", [], 0.0, 1000.0, false;
    /// Pressure drop across an air filter.
    FilterPressureDrop, "Pa", [], 0.0, 5000.0, false;
    /// Vibration velocity, RMS.
    VibrationRms, "mm/s", [], 0.0, 200.0, false;
    /// Motor current.
    MotorCurrent, "A", [], 0.0, 1000.0, false;
    /// Electrical power draw.
    Power, "W", [], 0.0, 1.0e6, false;
    /// Burner starts in the last hour.
    BurnerCycles, "1/h", ["cycles/h"], 0.0, 3600.0, false;
    /// Running (1) or stopped (0).
    RunState, "state", ["bool"], 0.0, 1.0, true;
    /// Minutes a water heater took to recover its set point after the last draw.
    RecoveryTime, "min", [], 0.0, 1440.0, false;
    /// Mean seconds for an elevator door to open and close.
    DoorCycleTime, "s", [], 0.0, 600.0, false;
    /// Elevator trips in the last hour.
    Trips, "1/h", ["trips/h"], 0.0, 1000.0, false;
    /// Water level in a sump pit.
    WaterLevel, "cm", [], -100.0, 1000.0, false;
    /// Water detected (1) or dry (0).
    WaterLeak, "state", ["bool"], 0.0, 1.0, true;
    /// Relative humidity.
    Humidity, "%", [], 0.0, 100.0, false;
    /// Battery charge of a wireless sensor.
    Battery, "%", [], 0.0, 100.0, false;
}

impl Metric {
    /// A plain-language label, as a caretaker would say it (`supply temperature`,
    /// `vibration`).
    pub const fn label(self) -> &'static str {
        match self {
            Self::SupplyTemperature => "supply temperature",
            Self::ReturnTemperature => "return temperature",
            Self::OutletTemperature => "outlet temperature",
            Self::AirTemperature => "air temperature",
            Self::Pressure => "pressure",
            Self::DifferentialPressure => "pressure difference",
            Self::FilterPressureDrop => "filter pressure drop",
            Self::VibrationRms => "vibration",
            Self::MotorCurrent => "motor current",
            Self::Power => "power draw",
            Self::BurnerCycles => "burner starts",
            Self::RunState => "running",
            Self::RecoveryTime => "recovery time",
            Self::DoorCycleTime => "door cycle time",
            Self::Trips => "trips",
            Self::WaterLevel => "water level",
            Self::WaterLeak => "leak sensor",
            Self::Humidity => "humidity",
            Self::Battery => "sensor battery",
        }
    }
}

/// Why a number cannot be a reading of a metric.
///
/// Displayed as what is wrong with the value, to follow it in a sentence:
/// `format!("value {v} {err}")` reads "value 999 is outside the physical range
/// of supply_temperature, -60 to 250 °C".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// NaN or infinite.
    #[error("is not a finite number")]
    NonFinite,
    /// Neither 0 nor 1, for an on/off metric.
    #[error("is neither 0 nor 1, as {0} must be")]
    NotOnOff(Metric),
    /// Outside the metric's physical range.
    #[error(
        "is outside the physical range of {0}, {lo} to {hi} {unit}",
        lo = .0.physical_range().0,
        hi = .0.physical_range().1,
        unit = .0.unit()
    )]
    OutOfRange(Metric),
}

impl Metric {
    /// `value` as a reading of this metric: finite, within the physical range,
    /// and 0 or 1 for an on/off metric; `-0` becomes `0`. The one value rule of
    /// live ingest and of imports.
    pub fn check_value(self, value: f64) -> Result<f64, ValueError> {
        if !value.is_finite() {
            return Err(ValueError::NonFinite);
        }
        if self.is_binary() && value != 0.0 && value != 1.0 {
            return Err(ValueError::NotOnOff(self));
        }
        let (lo, hi) = self.physical_range();
        if !(lo..=hi).contains(&value) {
            return Err(ValueError::OutOfRange(self));
        }
        Ok(value + 0.0)
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

    /// Renders what [`Metric::check_value`] makes of each value.
    fn check(metric: Metric, values: &[f64], expect: &str) {
        let shown: Vec<String> = values
            .iter()
            .map(|&v| match metric.check_value(v) {
                Ok(kept) => format!("{v:?} -> {kept:?}"),
                Err(e) => format!("value {v} {e}"),
            })
            .collect();
        assert_eq!(shown.join("\n"), expect.trim(), "{metric}");
    }

    #[test]
    fn values_are_finite_within_the_physical_range_and_on_off_where_binary() {
        check(
            Metric::SupplyTemperature,
            &[70.5, -0.0, -60.0, 250.0, 999.0, f64::NAN, f64::NEG_INFINITY],
            "
70.5 -> 70.5
-0.0 -> 0.0
-60.0 -> -60.0
250.0 -> 250.0
value 999 is outside the physical range of supply_temperature, -60 to 250 °C
value NaN is not a finite number
value -inf is not a finite number",
        );
        check(
            Metric::RunState,
            &[0.0, 1.0, 0.5, 2.0],
            "
0.0 -> 0.0
1.0 -> 1.0
value 0.5 is neither 0 nor 1, as run_state must be
value 2 is neither 0 nor 1, as run_state must be",
        );
    }
}
