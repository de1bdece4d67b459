//! What each sensor would read, given the weather and its equipment's condition.
//!
//! One function per equipment kind maps (metric, conditions) to a true value;
//! `None` means the sensor has nothing to report at that moment. Sensor noise,
//! drift, dropouts and stuck values are added later, in `faults`.
use caretaker_core::{EquipmentKind, Metric};

use super::weather::{Weather, hour_of_day};
use caretaker_core::Timestamp;

/// The condition of one piece of equipment at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Condition {
    /// Code of the failure mode developing or struck, if any.
    pub mode: Option<&'static str>,
    /// How far it has developed (0..1).
    pub severity: f64,
    /// Out of service (failed, not yet repaired).
    pub down: bool,
    /// Sump pit level (cm) and whether the pump runs (sump pumps only).
    pub sump: Option<(f64, bool)>,
    /// Days since the filters were changed (air handlers only).
    pub filter_age_days: f64,
}

impl Condition {
    /// Severity of `mode` if that is what is developing, else 0.
    pub fn sev(&self, mode: &str) -> f64 {
        if self.mode == Some(mode) {
            self.severity
        } else {
            0.0
        }
    }
}

/// Fixed traits of one piece of equipment (drawn once per equipment).
#[derive(Debug, Clone, Copy)]
pub struct Traits {
    /// Multiplier on nominal levels (0.85..1.15).
    pub scale: f64,
    /// Nominal motor current (A) at full load.
    pub nominal_current: f64,
    /// Elevator trips per hour at the morning peak.
    pub peak_trips: f64,
    /// Where a leak zone is: true for a roof zone.
    pub on_roof: bool,
    /// True for a mechanical-room leak zone (warm).
    pub in_plant_room: bool,
}

/// Everything the signal functions need about the moment.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    /// Outdoor temperature, °C.
    pub outdoor: f64,
    /// Heating demand 0..1 now.
    pub demand: f64,
    /// Whether the heating season is on (daily mean below 16 °C).
    pub heating_on: bool,
    /// Hour of day.
    pub hour: f64,
    /// Rain and melt reaching the foundations (mm/day).
    pub wetness: f64,
}

impl Moment {
    /// The moment `t` under `weather`.
    pub fn at(weather: &Weather, t: Timestamp) -> Self {
        Self {
            outdoor: weather.temperature(t),
            demand: weather.heating_demand(t),
            heating_on: weather.daily_mean(t) < 16.0,
            hour: hour_of_day(t),
            wetness: weather.wetness(t),
        }
    }

    /// Hot-water draw 0..1: peaks at 07:00 and 19:30.
    pub fn hot_water_draw(&self) -> f64 {
        let peak = |centre: f64, width: f64| (-((self.hour - centre) / width).powi(2)).exp();
        (0.15 + 0.85 * (peak(7.0, 1.2) + 0.8 * peak(19.5, 1.8))).min(1.0)
    }

    /// Elevator traffic 0..1: morning and evening peaks, quiet at night.
    pub fn traffic(&self) -> f64 {
        let peak = |centre: f64, width: f64| (-((self.hour - centre) / width).powi(2)).exp();
        let day = if (7.0..22.0).contains(&self.hour) {
            0.35
        } else {
            0.05
        };
        (day + peak(8.0, 1.0) + 0.9 * peak(18.0, 1.5)).min(1.0)
    }
}

/// Random draws the signal functions may take (Poisson counts, on/off duty).
pub trait Draw {
    /// A uniform number in [0, 1).
    fn uniform(&mut self) -> f64;
    /// A Poisson count with the given mean.
    fn poisson(&mut self, mean: f64) -> f64;
}

/// The true value of `metric` on equipment of `kind`, before sensor faults and noise.
pub fn true_value(
    kind: EquipmentKind,
    metric: Metric,
    m: &Moment,
    c: &Condition,
    tr: &Traits,
    draw: &mut impl Draw,
) -> Option<f64> {
    use EquipmentKind as K;
    use Metric as M;
    let v = match kind {
        K::Boiler => {
            let demand = if m.heating_on { m.demand } else { 0.0 };
            match metric {
                M::SupplyTemperature if c.down => 20.0,
                M::SupplyTemperature if m.heating_on => 38.0 + 42.0 * demand,
                M::SupplyTemperature => 24.0,
                M::ReturnTemperature if c.down => 19.5,
                M::ReturnTemperature if m.heating_on => {
                    38.0 + 42.0 * demand - (7.0 + 10.0 * demand)
                }
                M::ReturnTemperature => 23.5,
                M::Pressure if c.down && c.mode == Some("pressure_loss") => 0.5,
                M::Pressure => 1.55 * tr.scale + 0.25 * demand - 1.0 * c.sev("pressure_loss"),
                M::BurnerCycles if c.down || !m.heating_on => 0.0,
                M::BurnerCycles => {
                    draw.poisson(2.0 + 3.0 * (1.0 - demand) + 12.0 * c.sev("short_cycling"))
                }
                _ => return None,
            }
        }
        K::CirculationPump => {
            let speed = 0.5 + 0.5 * if m.heating_on { m.demand } else { 0.0 };
            match metric {
                M::VibrationRms if c.down => 0.05,
                M::VibrationRms => {
                    1.3 * tr.scale * (0.8 + 0.3 * speed) + 6.0 * c.sev("bearing_wear").powi(2)
                }
                M::MotorCurrent if c.down => 0.0,
                M::MotorCurrent => {
                    tr.nominal_current
                        * (0.55 + 0.45 * speed * speed)
                        * (1.0 + 0.15 * c.sev("bearing_wear") - 0.25 * c.sev("impeller_clog"))
                }
                M::DifferentialPressure if c.down => 0.0,
                M::DifferentialPressure => {
                    25.0 + 45.0 * speed * speed - 30.0 * c.sev("impeller_clog")
                }
                _ => return None,
            }
        }
        K::DhwHeater => {
            let draw_level = m.hot_water_draw();
            let (scale_sev, element_sev) = (c.sev("scale_buildup"), c.sev("element_failure"));
            match metric {
                M::OutletTemperature if c.down => 28.0,
                M::OutletTemperature => {
                    60.0 - 5.0 * draw_level - 3.0 * scale_sev - 18.0 * element_sev
                }
                M::RecoveryTime if c.down => return None,
                M::RecoveryTime => 18.0 + 10.0 * draw_level + 45.0 * scale_sev + 35.0 * element_sev,
                M::Power if c.down => 0.0,
                M::Power => {
                    let duty = (0.1 + 0.9 * draw_level + 0.3 * scale_sev).min(1.0);
                    if draw.uniform() < duty {
                        14_000.0 * tr.scale * (1.0 - 0.35 * element_sev)
                    } else {
                        20.0
                    }
                }
                _ => return None,
            }
        }
        K::SumpPump => {
            let (level, running) = c.sump.unwrap_or((15.0, false));
            match metric {
                M::WaterLevel => level,
                M::RunState => f64::from(u8::from(running)),
                M::MotorCurrent if running => {
                    tr.nominal_current * (1.0 + 0.4 * c.sev("motor_wear"))
                }
                M::MotorCurrent => 0.0,
                _ => return None,
            }
        }
        K::Elevator => {
            let traffic = m.traffic();
            match metric {
                M::DoorCycleTime if c.down => return None,
                M::DoorCycleTime => 5.5 * tr.scale + 6.0 * c.sev("door_operator_wear").powf(1.5),
                M::Trips if c.down => 0.0,
                M::Trips => draw.poisson(tr.peak_trips * traffic),
                M::MotorCurrent if c.down => 0.5,
                M::MotorCurrent => {
                    (6.0 + 0.8 * tr.peak_trips * traffic) * (1.0 + 0.3 * c.sev("guide_roller_wear"))
                }
                M::VibrationRms if c.down => 0.05,
                M::VibrationRms => 0.6 * tr.scale + 2.2 * c.sev("guide_roller_wear"),
                _ => return None,
            }
        }
        K::HeatPump => {
            let demand = if m.heating_on { m.demand } else { 0.0 };
            let (leak, wear) = (c.sev("refrigerant_leak"), c.sev("compressor_wear"));
            match metric {
                M::SupplyTemperature if c.down => 20.0,
                M::SupplyTemperature if m.heating_on => 32.0 + 18.0 * demand - 9.0 * leak,
                M::SupplyTemperature => 31.0,
                M::ReturnTemperature if c.down => 19.8,
                M::ReturnTemperature if m.heating_on => {
                    32.0 + 18.0 * demand - 9.0 * leak - (3.0 + 4.0 * demand)
                }
                M::ReturnTemperature => 29.0,
                M::MotorCurrent if c.down => 0.2,
                M::MotorCurrent if m.heating_on => {
                    (3.0 + tr.nominal_current * demand) * (1.0 + 0.2 * leak + 0.25 * wear)
                }
                M::MotorCurrent => 2.2,
                M::VibrationRms if c.down => 0.05,
                M::VibrationRms => 0.8 * tr.scale + 0.6 * demand + 2.5 * wear,
                _ => return None,
            }
        }
        K::AirHandler => {
            let speed = if (6.0..23.0).contains(&m.hour) {
                1.0
            } else {
                0.6
            };
            let belt = c.sev("belt_wear");
            match metric {
                M::FilterPressureDrop if c.down => 0.0,
                M::FilterPressureDrop => {
                    (80.0 + 110.0 * (c.filter_age_days / 90.0).powf(1.2)) * speed * speed
                        + 300.0 * c.sev("filter_clog")
                }
                M::MotorCurrent if c.down => 0.0,
                M::MotorCurrent => {
                    tr.nominal_current * speed.powi(3).max(0.3) * (1.0 - 0.15 * belt)
                }
                M::VibrationRms if c.down => 0.05,
                M::VibrationRms => 1.0 * tr.scale * speed + 2.5 * belt,
                M::AirTemperature if c.down => (m.outdoor + 20.0) / 2.0,
                M::AirTemperature if m.heating_on => 19.0,
                M::AirTemperature => (m.outdoor * 0.3 + 15.0).clamp(17.0, 23.0),
                _ => return None,
            }
        }
        K::LeakZone => {
            let slow = c.sev("slow_leak");
            match metric {
                M::WaterLeak => f64::from(u8::from(c.down || slow > 0.95)),
                M::Humidity if c.down => 88.0,
                M::Humidity => {
                    let base = if tr.on_roof {
                        50.0 + (m.wetness * 1.5).min(20.0)
                    } else if tr.in_plant_room {
                        35.0
                    } else {
                        45.0
                    };
                    base + 35.0 * slow
                }
                M::AirTemperature if tr.on_roof => 0.7 * m.outdoor + 9.0,
                M::AirTemperature if tr.in_plant_room => 25.0 + 4.0 * m.demand,
                M::AirTemperature => 21.0,
                _ => return None,
            }
        }
    };
    Some(v)
}

/// Standard deviation of measurement noise, and decimals a sensor reports.
pub fn noise_and_precision(metric: Metric) -> (f64, i32) {
    use Metric as M;
    match metric {
        M::SupplyTemperature | M::ReturnTemperature | M::OutletTemperature | M::AirTemperature => {
            (0.3, 1)
        }
        M::Pressure => (0.02, 2),
        M::DifferentialPressure => (1.0, 1),
        M::FilterPressureDrop => (4.0, 0),
        M::VibrationRms => (0.08, 2),
        M::MotorCurrent => (0.05, 2),
        M::Power => (60.0, 0),
        M::BurnerCycles | M::Trips | M::RunState | M::WaterLeak => (0.0, 0),
        M::RecoveryTime => (1.5, 1),
        M::DoorCycleTime => (0.15, 2),
        M::WaterLevel => (0.4, 1),
        M::Humidity => (1.2, 1),
        M::Battery => (0.0, 0),
    }
}
