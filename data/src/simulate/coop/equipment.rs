//! The equipment of a random co-op's building: what its form needs, with varied
//! makes, models, installation dates and costs.
use caretaker_core::EquipmentKind;
use chrono::{Datelike as _, NaiveDate};
use rand::Rng;
use rand::seq::SliceRandom;

use super::catalog::{economics, makes};
use super::{BuildingForm, PlannedBuilding, PlannedEquipment};

/// The equipment of building `b`, none installed after `last`.
pub(super) fn plan(
    rng: &mut impl Rng,
    b: &PlannedBuilding,
    last: NaiveDate,
) -> Vec<PlannedEquipment> {
    use EquipmentKind as K;
    let mut out = Planner {
        rng,
        b,
        last,
        list: Vec::new(),
    };
    let all = vec![format!("{}-*", b.id)];
    let ground = vec![format!("{}-1??", b.id)];
    let top = b.units.iter().map(|(_, f)| *f).max().unwrap_or(1);
    let top_floor = vec![format!("{}-{top}??", b.id)];
    let name = b.name.clone();
    match &b.form {
        BuildingForm::WalkUp => {
            out.add(K::Boiler, "BLR-1", format!("Boiler, {name}"), &all, None);
            out.add(
                K::CirculationPump,
                "CP-1",
                format!("Heating loop pump, {name}"),
                &all,
                None,
            );
            out.add(
                K::DhwHeater,
                "DHW-1",
                format!("Hot-water heater, {name}"),
                &all,
                None,
            );
            if out.rng.gen_bool(0.5) {
                out.add(
                    K::SumpPump,
                    "SP-1",
                    format!("Sump pump, {name} basement"),
                    &ground,
                    None,
                );
            }
            if out.rng.gen_bool(0.2) {
                out.add(
                    K::AirHandler,
                    "AHU-1",
                    format!("Ventilation unit, {name}"),
                    &all,
                    None,
                );
            }
            out.add(
                K::LeakZone,
                "LZ-ROOF",
                format!("Leak zone, {name} roof"),
                &top_floor,
                Some(3),
            );
            out.add(
                K::LeakZone,
                "LZ-MECH",
                format!("Leak zone, {name} boiler room"),
                &ground,
                None,
            );
        }
        BuildingForm::MidRise { elevators } => {
            let boilers = if b.units.len() > 50 || out.rng.gen_bool(0.5) {
                2
            } else {
                1
            };
            for k in 1..=boilers {
                let crit = if k == 1 { None } else { Some(4) };
                out.add(
                    K::Boiler,
                    &format!("BLR-{k}"),
                    format!("Boiler {k}, {name}"),
                    &all,
                    crit,
                );
            }
            for k in 1..=out.rng.gen_range(2..=3) {
                let what = format!("Heating loop pump {k}, {name}");
                out.add(K::CirculationPump, &format!("CP-{k}"), what, &all, None);
            }
            out.add(
                K::DhwHeater,
                "DHW-1",
                format!("Hot-water heater, {name}"),
                &all,
                None,
            );
            if out.rng.gen_bool(0.7) {
                out.add(
                    K::SumpPump,
                    "SP-1",
                    format!("Sump pump, {name} basement"),
                    &ground,
                    None,
                );
            }
            let upper: Vec<String> = (2..=top).map(|f| format!("{}-{f}??", b.id)).collect();
            let upper = if upper.is_empty() { all.clone() } else { upper };
            for k in 1..=*elevators {
                out.add(
                    K::Elevator,
                    &format!("ELV-{k}"),
                    format!("Elevator {k}, {name}"),
                    &upper,
                    None,
                );
            }
            out.add(
                K::AirHandler,
                "AHU-1",
                format!("Corridor air handler, {name} roof"),
                &all,
                None,
            );
            out.add(
                K::LeakZone,
                "LZ-ROOF",
                format!("Leak zone, {name} roof"),
                &top_floor,
                Some(3),
            );
            out.add(
                K::LeakZone,
                "LZ-MECH",
                format!("Leak zone, {name} mechanical room"),
                &ground,
                None,
            );
            if out.rng.gen_bool(0.5) {
                out.add(
                    K::LeakZone,
                    "LZ-RISER",
                    format!("Leak zone, {name} riser shaft"),
                    &all,
                    Some(3),
                );
            }
        }
        BuildingForm::TownhouseRow { blocks } => {
            for (k, block) in blocks.iter().enumerate() {
                let k = k + 1;
                if out.rng.gen_bool(0.55) {
                    let what = format!("Boiler, {name} block {k}");
                    out.add(K::Boiler, &format!("BLR-{k}"), what, block, None);
                    let what = format!("Heating pump, {name} block {k}");
                    out.add(K::CirculationPump, &format!("CP-{k}"), what, block, None);
                } else {
                    let what = format!("Heat pump, {name} block {k}");
                    out.add(K::HeatPump, &format!("HP-{k}"), what, block, None);
                }
            }
            if out.rng.gen_bool(0.4) {
                out.add(
                    K::SumpPump,
                    "SP-1",
                    format!("Sump pump, {name} crawl space"),
                    &all,
                    None,
                );
            }
            out.add(
                K::LeakZone,
                "LZ-ROOF",
                format!("Leak zone, {name} roofs"),
                &all,
                Some(3),
            );
            out.add(
                K::LeakZone,
                "LZ-BASEMENT",
                format!("Leak zone, {name} basements"),
                &all,
                None,
            );
        }
    }
    out.list
}

struct Planner<'a, R> {
    rng: &'a mut R,
    b: &'a PlannedBuilding,
    last: NaiveDate,
    list: Vec<PlannedEquipment>,
}

impl<R: Rng> Planner<'_, R> {
    /// Adds a piece of equipment; `criticality` overrides its kind's.
    fn add(
        &mut self,
        kind: EquipmentKind,
        code: &str,
        name: String,
        serves: &[String],
        criticality: Option<u8>,
    ) {
        let (make, model) = *makes(kind).choose(self.rng).expect("makes");
        let (replacement, failure, kind_criticality, life) = economics(kind);
        let first_year = self.b.built.max(self.last.year() - life);
        let year = self.rng.gen_range(first_year..=self.last.year());
        let installed =
            NaiveDate::from_ymd_opt(year, self.rng.gen_range(1..=12), self.rng.gen_range(1..=28))
                .expect("a date")
                .min(self.last);
        let vary = |rng: &mut R, amount: f64, step: f64| {
            (amount * rng.gen_range(0.75..1.35) / step).round() * step
        };
        let roof = name.contains("roof");
        let (replacement, failure) = if kind == EquipmentKind::LeakZone && roof {
            (replacement * 6.0, failure * 2.8)
        } else {
            (replacement, failure)
        };
        self.list.push(PlannedEquipment {
            id: format!("{}-{code}", self.b.id),
            building: self.b.id.clone(),
            kind,
            name,
            make: make.to_owned(),
            model: model.to_owned(),
            installed,
            replacement_cost: vary(self.rng, replacement, 100.0),
            failure_cost: vary(self.rng, failure, 50.0),
            criticality: criticality.unwrap_or(kind_criticality),
            serves: serves.to_vec(),
        });
    }
}
