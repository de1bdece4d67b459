//! The assumptions behind the ranking, in one place the committee can read and change.
//!
//! Every number here is a judgement, not a measurement: the defaults are
//! sensible starting points for a small co-op and are meant to be tuned in
//! the configuration (any field left out keeps its default).
use caretaker_core::{EquipmentId, EquipmentKind, Registry};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Default money value of one unit losing a service for one day at criticality 1.
pub const DEFAULT_RESIDENT_DAY_VALUE: f64 = 20.0;
/// Default multiplier on resident impact when the equipment is the only one of its kind in its building.
pub const DEFAULT_SOLE_OF_KIND_FACTOR: f64 = 2.0;
/// Default chance of failure that one resident report stands for (see [`RankingPolicy::report_evidence`]).
pub const DEFAULT_REPORT_EVIDENCE: f64 = 0.05;
/// Default chance of failure that one sensor-health problem stands for (see [`RankingPolicy::sensor_problem_evidence`]).
pub const DEFAULT_SENSOR_PROBLEM_EVIDENCE: f64 = 0.03;

/// How resident impact of a kind changes over the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seasonality {
    /// The same all year (×1).
    AllYear,
    /// Heating: weighs more in the heating season and less in summer.
    Heating,
    /// Groundwater: weighs more during the spring thaw.
    SpringThaw,
}

/// What the co-op assumes about one kind of equipment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KindAssumptions {
    /// Days residents go without the service after an unplanned failure.
    pub outage_days: f64,
    /// Cost of acting now (inspection or preventive repair) as a share of the replacement cost.
    pub acting_cost_share: f64,
    /// Share of the failure risk that acting now removes (0 to 1).
    pub risk_removed: f64,
    /// How resident impact changes over the year.
    pub seasonality: Seasonality,
}

impl KindAssumptions {
    const fn new(
        outage_days: f64,
        acting_cost_share: f64,
        risk_removed: f64,
        seasonality: Seasonality,
    ) -> Self {
        Self {
            outage_days,
            acting_cost_share,
            risk_removed,
            seasonality,
        }
    }
}

/// One [`KindAssumptions`] per equipment kind.
///
/// Defaults (outage days, acting cost share, risk removed, season):
///
/// | kind | outage | acting | removed | season | why |
/// | --- | --- | --- | --- | --- | --- |
/// | boiler | 2 | 0.08 | 0.8 | heating | parts and a technician take a day or two; a tune-up is cheap next to a boiler |
/// | circulation pump | 1 | 0.25 | 0.9 | heating | a spare pump is usually found within a day; preventive work often means swapping bearings or the pump |
/// | hot-water heater | 1.5 | 0.15 | 0.8 | all year | descaling and anode replacement; a new heater may take two days |
/// | sump pump | 1 | 0.25 | 0.9 | spring thaw | basement out of use for a day; the damage itself is in the failure cost |
/// | elevator | 3 | 0.05 | 0.7 | all year | elevator parts take days; a service visit is small next to the elevator |
/// | heat pump | 2 | 0.08 | 0.8 | heating | like a boiler |
/// | air handler | 1 | 0.10 | 0.8 | all year | belts, filters and bearings are quick to replace |
/// | leak zone | 2 | 0.10 | 0.7 | all year | a leak means water shut off and drying out; inspection cannot find every weak joint |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KindTable {
    /// Boilers.
    pub boiler: KindAssumptions,
    /// Circulation pumps.
    pub circulation_pump: KindAssumptions,
    /// Domestic hot-water heaters.
    pub dhw_heater: KindAssumptions,
    /// Sump pumps.
    pub sump_pump: KindAssumptions,
    /// Elevators.
    pub elevator: KindAssumptions,
    /// Heat pumps.
    pub heat_pump: KindAssumptions,
    /// Air handlers.
    pub air_handler: KindAssumptions,
    /// Roof and plumbing leak zones.
    pub leak_zone: KindAssumptions,
}

impl Default for KindTable {
    fn default() -> Self {
        use Seasonality::*;
        Self {
            boiler: KindAssumptions::new(2.0, 0.08, 0.8, Heating),
            circulation_pump: KindAssumptions::new(1.0, 0.25, 0.9, Heating),
            dhw_heater: KindAssumptions::new(1.5, 0.15, 0.8, AllYear),
            sump_pump: KindAssumptions::new(1.0, 0.25, 0.9, SpringThaw),
            elevator: KindAssumptions::new(3.0, 0.05, 0.7, AllYear),
            heat_pump: KindAssumptions::new(2.0, 0.08, 0.8, Heating),
            air_handler: KindAssumptions::new(1.0, 0.10, 0.8, AllYear),
            leak_zone: KindAssumptions::new(2.0, 0.10, 0.7, AllYear),
        }
    }
}

impl KindTable {
    /// The assumptions for one kind.
    pub fn get(&self, kind: EquipmentKind) -> &KindAssumptions {
        match kind {
            EquipmentKind::Boiler => &self.boiler,
            EquipmentKind::CirculationPump => &self.circulation_pump,
            EquipmentKind::DhwHeater => &self.dhw_heater,
            EquipmentKind::SumpPump => &self.sump_pump,
            EquipmentKind::Elevator => &self.elevator,
            EquipmentKind::HeatPump => &self.heat_pump,
            EquipmentKind::AirHandler => &self.air_handler,
            EquipmentKind::LeakZone => &self.leak_zone,
        }
    }
}

/// When the seasons are, and how much they weigh (months 1 = January .. 12).
///
/// Defaults are for the northern hemisphere: heating season November to
/// March ×3, summer June to August ×0.3 (for [`Seasonality::Heating`]
/// kinds), spring thaw March to May ×1.5 (for [`Seasonality::SpringThaw`]
/// kinds). A month in neither list weighs ×1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeasonPolicy {
    /// Months of the heating season.
    pub heating_months: Vec<u32>,
    /// Weight of heating kinds in the heating season.
    pub heating_factor: f64,
    /// Months of summer.
    pub summer_months: Vec<u32>,
    /// Weight of heating kinds in summer.
    pub summer_factor: f64,
    /// Months of the spring thaw.
    pub thaw_months: Vec<u32>,
    /// Weight of spring-thaw kinds during the thaw.
    pub thaw_factor: f64,
}

impl Default for SeasonPolicy {
    fn default() -> Self {
        Self {
            heating_months: vec![11, 12, 1, 2, 3],
            heating_factor: 3.0,
            summer_months: vec![6, 7, 8],
            summer_factor: 0.3,
            thaw_months: vec![3, 4, 5],
            thaw_factor: 1.5,
        }
    }
}

impl SeasonPolicy {
    /// The weight of one day for a kind with this seasonality.
    pub fn day_factor(&self, seasonality: Seasonality, day: NaiveDate) -> f64 {
        let month = day.month();
        match seasonality {
            Seasonality::AllYear => 1.0,
            Seasonality::Heating if self.heating_months.contains(&month) => self.heating_factor,
            Seasonality::Heating if self.summer_months.contains(&month) => self.summer_factor,
            Seasonality::SpringThaw if self.thaw_months.contains(&month) => self.thaw_factor,
            _ => 1.0,
        }
    }

    /// The mean weight over the `days` days starting at `start` (the
    /// forecast horizon), so a horizon straddling two seasons gets a blend;
    /// with `days` = 0, the weight of `start`.
    pub fn factor(&self, seasonality: Seasonality, start: NaiveDate, days: u32) -> f64 {
        if days == 0 {
            return self.day_factor(seasonality, start);
        }
        let sum: f64 = (0..days)
            .map(|d| self.day_factor(seasonality, start + Duration::days(d.into())))
            .sum();
        sum / f64::from(days)
    }
}

/// All the assumptions of the ranking.
///
/// Resident impact of a failure, in money:
/// `resident_day_value × criticality × units served × outage days × season factor × (sole_of_kind_factor if sole of its kind)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RankingPolicy {
    /// Money value of one unit losing a service for one day at criticality 1
    /// (criticality 5 counts five times as much). Default 20.
    pub resident_day_value: f64,
    /// Multiplier on resident impact when the equipment is the only one of
    /// its kind in its building, so residents have no fallback. Default 2.
    pub sole_of_kind_factor: f64,
    /// Chance of failure each resident report in the last 30 days stands for.
    /// Reports set a floor under the model's probability:
    /// `1 − (1 − report_evidence)^reports × (1 − sensor_problem_evidence)^problems`.
    /// Default 0.05 (3 reports → at least 14.3%).
    pub report_evidence: f64,
    /// Chance of failure each sensor-health problem stands for (we see less
    /// of the equipment, so we assume more risk); part of the same floor. Default 0.03.
    pub sensor_problem_evidence: f64,
    /// Per-kind assumptions.
    pub kinds: KindTable,
    /// Seasons.
    pub season: SeasonPolicy,
}

impl Default for RankingPolicy {
    fn default() -> Self {
        Self {
            resident_day_value: DEFAULT_RESIDENT_DAY_VALUE,
            sole_of_kind_factor: DEFAULT_SOLE_OF_KIND_FACTOR,
            report_evidence: DEFAULT_REPORT_EVIDENCE,
            sensor_problem_evidence: DEFAULT_SENSOR_PROBLEM_EVIDENCE,
            kinds: KindTable::default(),
            season: SeasonPolicy::default(),
        }
    }
}

impl RankingPolicy {
    /// The lowest probability of failure that this evidence stands for, 0 without any.
    pub fn evidence_floor(&self, resident_reports: u32, sensor_problems: usize) -> f64 {
        let keep = |share: f64, n: u32| (1.0 - share.clamp(0.0, 1.0)).powi(n as i32);
        let problems = u32::try_from(sensor_problems).unwrap_or(u32::MAX);
        1.0 - keep(self.report_evidence, resident_reports)
            * keep(self.sensor_problem_evidence, problems)
    }
}

/// Whether `id` is the only equipment of its kind in its building (no other
/// equipment of the same kind in the same building); `None` if `id` is unknown.
pub fn is_sole_of_kind(registry: &Registry, id: &EquipmentId) -> Option<bool> {
    let me = registry.equipment_by_id(id)?;
    Some(
        !registry
            .equipment()
            .iter()
            .any(|e| e.id != me.id && e.kind == me.kind && e.building == me.building),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use caretaker_core::{Building, BuildingId, Coop, Equipment};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn seasons_weigh_heating_and_thaw() {
        let s = SeasonPolicy::default();
        assert_eq!(s.factor(Seasonality::Heating, date(2025, 1, 1), 30), 3.0);
        assert_eq!(s.factor(Seasonality::Heating, date(2025, 7, 1), 30), 0.3);
        assert_eq!(s.factor(Seasonality::Heating, date(2025, 10, 1), 30), 1.0);
        assert_eq!(s.factor(Seasonality::SpringThaw, date(2025, 4, 1), 30), 1.5);
        assert_eq!(s.factor(Seasonality::AllYear, date(2025, 1, 1), 30), 1.0);
        // 22 to 31 October (10 days ×1) then 1 to 20 November (20 days ×3): 70 / 30.
        let blend = s.factor(Seasonality::Heating, date(2025, 10, 22), 30);
        assert!((blend - 70.0 / 30.0).abs() < 1e-12);
    }

    #[test]
    fn evidence_floor_compounds() {
        let p = RankingPolicy::default();
        assert_eq!(p.evidence_floor(0, 0), 0.0);
        // 1 − 0.95³ = 1 − 0.857375
        assert!((p.evidence_floor(3, 0) - 0.142625).abs() < 1e-12);
        // 1 − 0.95 × 0.97 = 0.0785
        assert!((p.evidence_floor(1, 1) - 0.0785).abs() < 1e-12);
    }

    #[test]
    fn policy_round_trips_and_fills_defaults() {
        let p = RankingPolicy::default();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<RankingPolicy>(&json).unwrap(), p);
        let partial: RankingPolicy =
            serde_json::from_str(r#"{"resident_day_value": 35, "season": {"heating_factor": 4}}"#)
                .unwrap();
        assert_eq!(partial.resident_day_value, 35.0);
        assert_eq!(partial.season.heating_factor, 4.0);
        assert_eq!(partial.season.heating_months, vec![11, 12, 1, 2, 3]);
        assert_eq!(partial.kinds, KindTable::default());
    }

    fn equipment(id: &str, building: &str, kind: EquipmentKind) -> Equipment {
        Equipment {
            id: EquipmentId::parse(id).unwrap(),
            building: BuildingId::parse(building).unwrap(),
            kind,
            name: id.to_owned(),
            make: "Acme".into(),
            model: "X".into(),
            installed: date(2010, 1, 1),
            replacement_cost: 1000.0,
            failure_cost: 100.0,
            criticality: 3,
            serves: vec![],
        }
    }

    #[test]
    fn sole_of_kind_from_registry() {
        let building = |id: &str| Building {
            id: BuildingId::parse(id).unwrap(),
            name: id.into(),
            address: "1 Main St".into(),
            floors: 4,
        };
        let registry = Registry::from_checked_parts(
            Coop {
                name: "Maple".into(),
                currency: "CAD".into(),
                timezone: None,
            },
            vec![building("A"), building("B")],
            vec![],
            vec![
                equipment("A-ELV-1", "A", EquipmentKind::Elevator),
                equipment("A-ELV-2", "A", EquipmentKind::Elevator),
                equipment("B-ELV-1", "B", EquipmentKind::Elevator),
                equipment("B-BLR-1", "B", EquipmentKind::Boiler),
            ],
            vec![],
            vec![],
        );
        let sole = |id: &str| is_sole_of_kind(&registry, &EquipmentId::parse(id).unwrap());
        assert_eq!(sole("A-ELV-1"), Some(false));
        assert_eq!(sole("B-ELV-1"), Some(true));
        assert_eq!(sole("B-BLR-1"), Some(true));
        assert_eq!(sole("C-ELV-1"), None);
    }
}
