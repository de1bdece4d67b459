//! Each equipment kind's failure modes, hazard and maintenance schedule.
use caretaker_core::{EquipmentKind, Metric};

/// A way a kind of equipment fails.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailureMode {
    /// Machine-readable name, used as the failure event's code (`bearing_wear`).
    pub code: &'static str,
    /// What a technician would write down.
    pub description: &'static str,
    /// Share of this kind's failures that take this mode.
    pub weight: f64,
    /// Days of degradation before the failure: `None` for a sudden failure
    /// (nothing to see beforehand), else the range the lead time is drawn from.
    pub lead_days: Option<(f64, f64)>,
    /// Metrics whose readings move while the fault develops.
    pub signature: &'static [Metric],
}

impl FailureMode {
    /// Whether sensors can see this mode coming.
    pub fn is_gradual(&self) -> bool {
        self.lead_days.is_some()
    }
}

/// How failures and maintenance come to a kind of equipment.
#[derive(Debug, Clone, Copy)]
pub struct KindProfile {
    /// Failures per year at the reference virtual age, before season.
    pub annual_rate: f64,
    /// Weibull shape: above 1, failures grow with age.
    pub weibull_shape: f64,
    /// Virtual age (years) at which the rate equals `annual_rate`.
    pub reference_age: f64,
    /// How the season weighs on the hazard.
    pub season: Season,
    /// Months (1-12) in which preventive maintenance is due.
    pub service_months: &'static [u32],
    /// What the service is, as recorded.
    pub service_description: &'static str,
    /// Typical cost of one service.
    pub service_cost: f64,
    /// Chance a service finds a developing (gradual) fault.
    pub detect_probability: f64,
    /// Typical cost of a repair after a failure.
    pub repair_cost: f64,
    /// Range of days from failure to repair.
    pub repair_days: (f64, f64),
    /// Failure modes.
    pub modes: &'static [FailureMode],
    /// What residents say when it is down (report category, text).
    pub outage_report: (&'static str, &'static str),
    /// What residents may notice while it degrades, if anything.
    pub degraded_report: Option<(&'static str, &'static str)>,
}

/// How the season weighs on a kind's hazard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Season {
    /// No seasonal effect.
    None,
    /// Heating load: worst in the coldest weeks.
    Heating,
    /// Rain and snowmelt: worst in wet weeks.
    Wet,
}

use Metric as M;

const BOILER_MODES: &[FailureMode] = &[
    FailureMode {
        code: "short_cycling",
        description: "burner short-cycling ended in lockout (fouled burner / failing controls)",
        weight: 0.35,
        lead_days: Some((14.0, 45.0)),
        signature: &[M::BurnerCycles, M::SupplyTemperature],
    },
    FailureMode {
        code: "pressure_loss",
        description: "system pressure loss (leaking relief valve / expansion tank)",
        weight: 0.25,
        lead_days: Some((10.0, 40.0)),
        signature: &[M::Pressure],
    },
    FailureMode {
        code: "ignition_failure",
        description: "ignition failure, no flame",
        weight: 0.25,
        lead_days: None,
        signature: &[],
    },
    FailureMode {
        code: "control_board",
        description: "control board fault",
        weight: 0.15,
        lead_days: None,
        signature: &[],
    },
];

const PUMP_MODES: &[FailureMode] = &[
    FailureMode {
        code: "bearing_wear",
        description: "pump bearing seized after wear",
        weight: 0.45,
        lead_days: Some((21.0, 60.0)),
        signature: &[M::VibrationRms, M::MotorCurrent],
    },
    FailureMode {
        code: "impeller_clog",
        description: "impeller clogged with sludge, no flow",
        weight: 0.15,
        lead_days: Some((7.0, 30.0)),
        signature: &[M::DifferentialPressure, M::MotorCurrent],
    },
    FailureMode {
        code: "motor_burnout",
        description: "motor winding burnt out",
        weight: 0.25,
        lead_days: None,
        signature: &[],
    },
    FailureMode {
        code: "seal_leak",
        description: "mechanical seal leaking",
        weight: 0.15,
        lead_days: None,
        signature: &[],
    },
];

const DHW_MODES: &[FailureMode] = &[
    FailureMode {
        code: "scale_buildup",
        description: "scale buildup, heater could not keep up",
        weight: 0.4,
        lead_days: Some((20.0, 60.0)),
        signature: &[M::RecoveryTime, M::OutletTemperature],
    },
    FailureMode {
        code: "element_failure",
        description: "heating element burnt out",
        weight: 0.3,
        lead_days: Some((7.0, 20.0)),
        signature: &[M::OutletTemperature, M::RecoveryTime, M::Power],
    },
    FailureMode {
        code: "thermostat_failure",
        description: "thermostat failed",
        weight: 0.2,
        lead_days: None,
        signature: &[],
    },
    FailureMode {
        code: "tank_leak",
        description: "tank leaking",
        weight: 0.1,
        lead_days: None,
        signature: &[],
    },
];

const SUMP_MODES: &[FailureMode] = &[
    FailureMode {
        code: "float_switch_sticking",
        description: "float switch stuck, pit overflowed",
        weight: 0.35,
        lead_days: Some((5.0, 20.0)),
        signature: &[M::WaterLevel, M::RunState],
    },
    FailureMode {
        code: "motor_wear",
        description: "pump motor worn out",
        weight: 0.35,
        lead_days: Some((14.0, 45.0)),
        signature: &[M::MotorCurrent, M::RunState],
    },
    FailureMode {
        code: "seizure",
        description: "pump seized (debris)",
        weight: 0.3,
        lead_days: None,
        signature: &[],
    },
];

const ELEVATOR_MODES: &[FailureMode] = &[
    FailureMode {
        code: "door_operator_wear",
        description: "door operator failed, car out of service",
        weight: 0.45,
        lead_days: Some((21.0, 60.0)),
        signature: &[M::DoorCycleTime],
    },
    FailureMode {
        code: "guide_roller_wear",
        description: "guide rollers worn, car shut down for ride quality",
        weight: 0.15,
        lead_days: Some((20.0, 50.0)),
        signature: &[M::VibrationRms, M::MotorCurrent],
    },
    FailureMode {
        code: "controller_fault",
        description: "controller fault",
        weight: 0.3,
        lead_days: None,
        signature: &[],
    },
    FailureMode {
        code: "safety_circuit_trip",
        description: "safety circuit tripped",
        weight: 0.1,
        lead_days: None,
        signature: &[],
    },
];

const HEAT_PUMP_MODES: &[FailureMode] = &[
    FailureMode {
        code: "refrigerant_leak",
        description: "refrigerant leak, low capacity then high-pressure lockout",
        weight: 0.35,
        lead_days: Some((20.0, 60.0)),
        signature: &[M::SupplyTemperature, M::MotorCurrent],
    },
    FailureMode {
        code: "compressor_wear",
        description: "compressor failed after wear",
        weight: 0.25,
        lead_days: Some((14.0, 40.0)),
        signature: &[M::VibrationRms, M::MotorCurrent],
    },
    FailureMode {
        code: "fan_motor",
        description: "outdoor fan motor failed",
        weight: 0.25,
        lead_days: None,
        signature: &[],
    },
    FailureMode {
        code: "control_board",
        description: "control board fault",
        weight: 0.15,
        lead_days: None,
        signature: &[],
    },
];

const AIR_HANDLER_MODES: &[FailureMode] = &[
    FailureMode {
        code: "belt_wear",
        description: "fan belt broke after wear",
        weight: 0.4,
        lead_days: Some((14.0, 40.0)),
        signature: &[M::VibrationRms, M::MotorCurrent],
    },
    FailureMode {
        code: "filter_clog",
        description: "filters clogged, unit tripped on low airflow",
        weight: 0.25,
        lead_days: Some((10.0, 30.0)),
        signature: &[M::FilterPressureDrop],
    },
    FailureMode {
        code: "motor_failure",
        description: "fan motor failed",
        weight: 0.35,
        lead_days: None,
        signature: &[],
    },
];

const LEAK_MODES: &[FailureMode] = &[
    FailureMode {
        code: "slow_leak",
        description: "slow leak became water damage",
        weight: 0.5,
        lead_days: Some((3.0, 21.0)),
        signature: &[M::Humidity],
    },
    FailureMode {
        code: "burst",
        description: "sudden leak (burst fitting / roof membrane tear)",
        weight: 0.5,
        lead_days: None,
        signature: &[],
    },
];

/// The profile of a kind of equipment.
pub fn profile(kind: EquipmentKind) -> KindProfile {
    match kind {
        EquipmentKind::Boiler => KindProfile {
            annual_rate: 1.0,
            weibull_shape: 2.0,
            reference_age: 15.0,
            season: Season::Heating,
            service_months: &[9],
            service_description: "annual boiler service: burner cleaned, combustion tuned",
            service_cost: 450.0,
            detect_probability: 0.6,
            repair_cost: 2500.0,
            repair_days: (0.3, 3.0),
            modes: BOILER_MODES,
            outage_report: ("no_heat", "No heat in the apartment, radiators cold"),
            degraded_report: Some(("heat_uneven", "Radiators warm then cold, on and off")),
        },
        EquipmentKind::CirculationPump => KindProfile {
            annual_rate: 0.35,
            weibull_shape: 2.0,
            reference_age: 12.0,
            season: Season::Heating,
            service_months: &[4, 10],
            service_description: "pump inspection: bearings checked, strainer cleaned",
            service_cost: 180.0,
            detect_probability: 0.45,
            repair_cost: 1300.0,
            repair_days: (0.3, 2.5),
            modes: PUMP_MODES,
            outage_report: ("no_heat", "Radiators cold / no hot water at the tap"),
            degraded_report: Some(("noise", "Grinding or humming noise from the pipes")),
        },
        EquipmentKind::DhwHeater => KindProfile {
            annual_rate: 0.9,
            weibull_shape: 2.0,
            reference_age: 12.0,
            season: Season::None,
            service_months: &[6],
            service_description: "annual flush and anode check",
            service_cost: 300.0,
            detect_probability: 0.5,
            repair_cost: 1400.0,
            repair_days: (0.3, 2.0),
            modes: DHW_MODES,
            outage_report: ("no_hot_water", "No hot water since this morning"),
            degraded_report: Some(("lukewarm_water", "Hot water runs out quickly / lukewarm")),
        },
        EquipmentKind::SumpPump => KindProfile {
            annual_rate: 0.8,
            weibull_shape: 1.8,
            reference_age: 10.0,
            season: Season::Wet,
            service_months: &[3, 10],
            service_description: "sump pit cleaned, float and check valve tested",
            service_cost: 150.0,
            detect_probability: 0.5,
            repair_cost: 900.0,
            repair_days: (0.2, 1.5),
            modes: SUMP_MODES,
            outage_report: (
                "water_in_basement",
                "Water on the basement floor / storage locker wet",
            ),
            degraded_report: None,
        },
        EquipmentKind::Elevator => KindProfile {
            annual_rate: 2.0,
            weibull_shape: 1.5,
            reference_age: 20.0,
            season: Season::None,
            service_months: &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            service_description: "monthly elevator maintenance visit",
            service_cost: 350.0,
            detect_probability: 0.35,
            repair_cost: 1800.0,
            repair_days: (0.2, 4.0),
            modes: ELEVATOR_MODES,
            outage_report: ("elevator_out", "Elevator out of service"),
            degraded_report: Some(("elevator_door", "Elevator door slow, reopens, bangs")),
        },
        EquipmentKind::HeatPump => KindProfile {
            annual_rate: 0.9,
            weibull_shape: 2.0,
            reference_age: 10.0,
            season: Season::Heating,
            service_months: &[4, 10],
            service_description: "heat pump service: coils cleaned, refrigerant checked",
            service_cost: 280.0,
            detect_probability: 0.45,
            repair_cost: 2000.0,
            repair_days: (0.5, 4.0),
            modes: HEAT_PUMP_MODES,
            outage_report: ("no_heat", "Apartment cold, heat pump not running"),
            degraded_report: Some(("heat_weak", "Heating weak, apartment never warm")),
        },
        EquipmentKind::AirHandler => KindProfile {
            annual_rate: 0.9,
            weibull_shape: 1.8,
            reference_age: 15.0,
            season: Season::None,
            service_months: &[1, 4, 7, 10],
            service_description: "quarterly filter change and belt check",
            service_cost: 220.0,
            detect_probability: 0.35,
            repair_cost: 900.0,
            repair_days: (0.3, 2.0),
            modes: AIR_HANDLER_MODES,
            outage_report: ("stuffy_air", "Corridors stuffy, no ventilation"),
            degraded_report: Some(("noise", "Squealing noise from the ventilation")),
        },
        EquipmentKind::LeakZone => KindProfile {
            annual_rate: 0.5,
            weibull_shape: 1.5,
            reference_age: 25.0,
            season: Season::Wet,
            service_months: &[5],
            service_description: "annual inspection of roof membrane / risers",
            service_cost: 250.0,
            detect_probability: 0.35,
            repair_cost: 3500.0,
            repair_days: (0.5, 5.0),
            modes: LEAK_MODES,
            outage_report: ("leak", "Water dripping from the ceiling"),
            degraded_report: Some(("damp", "Damp stain on the ceiling, musty smell")),
        },
    }
}
