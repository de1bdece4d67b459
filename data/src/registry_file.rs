//! Reading a co-op registry from TOML, with errors that name the file, line and problem.
//!
//! The file format is documented in the README ("The co-op registry"); the
//! sample co-op (`data/sample-coop.toml`) is a complete example.
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use caretaker_core::{
    Building, BuildingId, Coop, Equipment, EquipmentId, EquipmentKind, LorawanAddress, Metric,
    Registry, Sensor, SensorAddress, SensorId, Unit, UnitId, ZigbeeAddress,
};
use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

/// The sample co-op's registry, shipped with Caretaker.
pub const SAMPLE_REGISTRY: &str = include_str!("../sample-coop.toml");

/// Name under which the sample registry is reported in errors.
pub const SAMPLE_REGISTRY_NAME: &str = "<sample co-op>";

/// One thing wrong in a registry file, at a line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryProblem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, in plain words.
    pub message: String,
}

/// Why a registry could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The file could not be read.
    #[error("cannot read registry {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid registry.
    #[error("{}", format_problems(path, problems))]
    Invalid {
        /// The file.
        path: String,
        /// Everything found wrong, in file order.
        problems: Vec<RegistryProblem>,
    },
}

fn format_problems(path: &str, problems: &[RegistryProblem]) -> String {
    let mut out = format!(
        "invalid registry {path} ({} problem{})",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        out.push_str(&format!(
            "\n  {path}:{}:{}: {}",
            p.line, p.column, p.message
        ));
    }
    out
}

/// Loads and checks a registry file.
pub fn load_registry(path: &Path) -> Result<Registry, RegistryError> {
    let source = std::fs::read_to_string(path).map_err(|source| RegistryError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_registry(&source, &path.display().to_string())
}

/// Parses and checks registry TOML; `origin` names it in errors.
pub fn parse_registry(source: &str, origin: &str) -> Result<Registry, RegistryError> {
    let invalid = |problems| RegistryError::Invalid {
        path: origin.to_owned(),
        problems,
    };
    let raw: RawRegistry = toml::from_str(source).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_col(source, s.start))
            .unwrap_or((1, 1));
        invalid(vec![RegistryProblem {
            line,
            column,
            message: e.message().trim().to_owned(),
        }])
    })?;
    let mut checker = Checker {
        source,
        problems: Vec::new(),
    };
    let registry = checker.check(raw);
    if checker.problems.is_empty() {
        Ok(registry)
    } else {
        checker.problems.sort_by_key(|p| (p.line, p.column));
        Err(invalid(checker.problems))
    }
}

fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    coop: RawCoop,
    #[serde(default)]
    building: Vec<RawBuilding>,
    #[serde(default)]
    unit: Vec<RawUnit>,
    #[serde(default)]
    equipment: Vec<RawEquipment>,
    #[serde(default)]
    sensor: Vec<RawSensor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoop {
    name: String,
    #[serde(default = "default_currency")]
    currency: String,
}

fn default_currency() -> String {
    "CAD".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuilding {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    address: String,
    floors: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    id: Spanned<String>,
    building: Spanned<String>,
    floor: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawDate {
    Toml(toml::value::Datetime),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEquipment {
    id: Spanned<String>,
    building: Spanned<String>,
    kind: Spanned<String>,
    name: String,
    #[serde(default)]
    make: String,
    #[serde(default)]
    model: String,
    installed: Spanned<RawDate>,
    replacement_cost: Spanned<f64>,
    failure_cost: Spanned<f64>,
    criticality: Spanned<i64>,
    serves: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSensor {
    id: Spanned<String>,
    equipment: Spanned<String>,
    metric: Spanned<String>,
    unit: Spanned<String>,
    expected_range: Spanned<(f64, f64)>,
    #[serde(default = "default_interval")]
    interval_s: Spanned<i64>,
    native: Option<Spanned<String>>,
    zigbee: Option<Spanned<RawZigbee>>,
    lorawan: Option<Spanned<RawLorawan>>,
}

fn default_interval() -> Spanned<i64> {
    Spanned::new(0..0, 300)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZigbee {
    name: String,
    key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLorawan {
    dev_eui: String,
    field: String,
}

struct Checker<'a> {
    source: &'a str,
    problems: Vec<RegistryProblem>,
}

impl Checker<'_> {
    fn report<T>(&mut self, at: &Spanned<T>, message: impl fmt::Display) {
        let (line, column) = line_col(self.source, at.span().start);
        self.problems.push(RegistryProblem {
            line,
            column,
            message: message.to_string(),
        });
    }

    /// Parses an id and checks it is not a duplicate of an earlier one.
    fn id<T: Clone + Eq + std::hash::Hash>(
        &mut self,
        raw: &Spanned<String>,
        what: &str,
        parse: impl Fn(&str) -> Result<T, caretaker_core::DomainError>,
        seen: &mut HashSet<T>,
    ) -> Option<T> {
        match parse(raw.get_ref()) {
            Err(e) => {
                self.report(raw, e);
                None
            }
            Ok(id) => {
                if !seen.insert(id.clone()) {
                    self.report(raw, format!("duplicate {what} id {:?}", raw.get_ref()));
                }
                Some(id)
            }
        }
    }

    fn reference<T: Eq + std::hash::Hash>(
        &mut self,
        raw: &Spanned<String>,
        what: &str,
        parse: impl Fn(&str) -> Result<T, caretaker_core::DomainError>,
        known: &HashSet<T>,
    ) -> Option<T> {
        match parse(raw.get_ref()) {
            Ok(id) if known.contains(&id) => Some(id),
            _ => {
                self.report(raw, format!("unknown {what} {:?}", raw.get_ref()));
                None
            }
        }
    }

    fn cost(&mut self, raw: &Spanned<f64>, what: &str) -> f64 {
        let v = *raw.get_ref();
        if !v.is_finite() || v < 0.0 {
            self.report(
                raw,
                format!("{what} must be a non-negative amount, got {v}"),
            );
        }
        v
    }

    fn check(&mut self, raw: RawRegistry) -> Registry {
        let coop = Coop {
            name: raw.coop.name,
            currency: raw.coop.currency,
        };

        let mut building_ids = HashSet::new();
        let mut floors_of: HashMap<BuildingId, i64> = HashMap::new();
        let mut buildings = Vec::new();
        for b in raw.building {
            let id = self.id(&b.id, "building", BuildingId::parse, &mut building_ids);
            if *b.floors.get_ref() < 1 {
                self.report(&b.floors, "a building needs at least 1 floor");
            }
            if let Some(id) = id {
                floors_of.insert(id.clone(), *b.floors.get_ref());
                buildings.push(Building {
                    id,
                    name: b.name,
                    address: b.address,
                    floors: (*b.floors.get_ref()).clamp(0, u32::MAX as i64) as u32,
                });
            }
        }

        let mut unit_ids = HashSet::new();
        let mut units = Vec::new();
        for u in raw.unit {
            let id = self.id(&u.id, "unit", UnitId::parse, &mut unit_ids);
            let building =
                self.reference(&u.building, "building", BuildingId::parse, &building_ids);
            let floor = *u.floor.get_ref();
            if let Some(b) = &building {
                let floors = floors_of[b];
                if floor > floors || floor < -5 {
                    self.report(
                        &u.floor,
                        format!("floor {floor} is outside building {b}, which has {floors} floors"),
                    );
                }
            }
            if let (Some(id), Some(building)) = (id, building) {
                units.push(Unit {
                    id,
                    building,
                    floor: floor.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
                });
            }
        }
        if units.is_empty() && self.problems.is_empty() {
            self.problems.push(RegistryProblem {
                line: 1,
                column: 1,
                message: "the registry has no [[unit]]: a co-op needs at least one unit".into(),
            });
        }

        let mut equipment_ids = HashSet::new();
        let mut served: HashSet<UnitId> = HashSet::new();
        let mut equipment = Vec::new();
        let today = chrono::Utc::now().date_naive();
        for e in raw.equipment {
            let id = self.id(&e.id, "equipment", EquipmentId::parse, &mut equipment_ids);
            let building =
                self.reference(&e.building, "building", BuildingId::parse, &building_ids);
            let kind = match EquipmentKind::parse(e.kind.get_ref()) {
                Ok(k) => Some(k),
                Err(err) => {
                    self.report(&e.kind, err);
                    None
                }
            };
            let installed = match e.installed.get_ref() {
                RawDate::Toml(d) => d.date.and_then(|d| {
                    NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32)
                }),
                RawDate::Text(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d").ok(),
            };
            match installed {
                None => self.report(&e.installed, "installed must be a date like 2015-06-30"),
                Some(d) if d > today => {
                    self.report(&e.installed, format!("installed date {d} is in the future"))
                }
                Some(_) => {}
            }
            let replacement_cost = self.cost(&e.replacement_cost, "replacement_cost");
            let failure_cost = self.cost(&e.failure_cost, "failure_cost");
            let criticality = *e.criticality.get_ref();
            if !(1..=5).contains(&criticality) {
                self.report(
                    &e.criticality,
                    format!("criticality must be 1 (nuisance) to 5 (safety, no heat in winter), got {criticality}"),
                );
            }
            let mut serves = Vec::new();
            if e.serves.get_ref().is_empty() {
                self.report(&e.serves, "serves must name at least one unit or pattern");
            }
            for pattern in e.serves.get_ref() {
                let matched: Vec<&Unit> = units
                    .iter()
                    .filter(|u| glob_match(pattern.get_ref(), u.id.as_str()))
                    .collect();
                if matched.is_empty() {
                    self.report(
                        pattern,
                        format!("serves {:?} matches no unit", pattern.get_ref()),
                    );
                }
                for u in matched {
                    if !serves.contains(&u.id) {
                        serves.push(u.id.clone());
                    }
                }
            }
            served.extend(serves.iter().cloned());
            if let (Some(id), Some(building), Some(kind), Some(installed)) =
                (id, building, kind, installed)
            {
                equipment.push(Equipment {
                    id,
                    building,
                    kind,
                    name: e.name,
                    make: e.make,
                    model: e.model,
                    installed,
                    replacement_cost,
                    failure_cost,
                    criticality: criticality.clamp(0, 255) as u8,
                    serves,
                });
            }
        }
        for u in &units {
            if !served.contains(&u.id) {
                // Point at the unit's own table so the user finds it.
                let msg = format!(
                    "unit {} is served by no equipment: add it to some equipment's serves",
                    u.id
                );
                self.problems.push(RegistryProblem {
                    line: self.line_of_unit(u.id.as_str()),
                    column: 1,
                    message: msg,
                });
            }
        }

        let mut sensor_ids = HashSet::new();
        let mut natives = HashSet::new();
        let mut zigbees = HashSet::new();
        let mut lorawans = HashSet::new();
        let mut sensors = Vec::new();
        for s in raw.sensor {
            let id = self.id(&s.id, "sensor", SensorId::parse, &mut sensor_ids);
            let equipment = self.reference(
                &s.equipment,
                "equipment",
                EquipmentId::parse,
                &equipment_ids,
            );
            let metric = match Metric::parse(s.metric.get_ref()) {
                Ok(m) => Some(m),
                Err(err) => {
                    self.report(&s.metric, err);
                    None
                }
            };
            if let Some(m) = metric {
                if !m.accepts_unit(s.unit.get_ref()) {
                    self.report(
                        &s.unit,
                        format!(
                            "unit {:?} does not fit metric {m}: use {:?}",
                            s.unit.get_ref(),
                            m.unit()
                        ),
                    );
                }
                let (lo, hi) = *s.expected_range.get_ref();
                let (plo, phi) = m.physical_range();
                if !(lo.is_finite() && hi.is_finite()) || lo > hi {
                    self.report(
                        &s.expected_range,
                        format!("expected_range [{lo}, {hi}] must be [low, high] with low <= high"),
                    );
                } else if lo < plo || hi > phi {
                    self.report(
                        &s.expected_range,
                        format!("expected_range [{lo}, {hi}] is outside what {m} can physically be ([{plo}, {phi}] {})", m.unit()),
                    );
                }
            }
            let interval = *s.interval_s.get_ref();
            if !(1..=86_400).contains(&interval) {
                self.report(
                    &s.interval_s,
                    format!("interval_s must be 1 to 86400 seconds, got {interval}"),
                );
            }
            let native_key = s
                .native
                .as_ref()
                .map(|n| n.get_ref().clone())
                .unwrap_or_else(|| s.id.get_ref().clone());
            if !natives.insert(native_key.clone()) {
                let at = s.native.as_ref().unwrap_or(&s.id);
                self.report(
                    at,
                    format!("native id {native_key:?} is used by two sensors"),
                );
            }
            let zigbee = s.zigbee.as_ref().map(|z| {
                let z = z.get_ref();
                ZigbeeAddress {
                    name: z.name.clone(),
                    key: z.key.clone(),
                }
            });
            if let (Some(z), Some(raw)) = (&zigbee, &s.zigbee) {
                if z.name.is_empty() || z.key.is_empty() {
                    self.report(raw, "zigbee needs a non-empty name and key");
                } else if z.name.contains(['#', '+']) {
                    self.report(raw, "a Zigbee2MQTT friendly name cannot contain '#' or '+'");
                } else if !zigbees.insert((z.name.clone(), z.key.clone())) {
                    self.report(
                        raw,
                        format!(
                            "zigbee device {:?} key {:?} is used by two sensors",
                            z.name, z.key
                        ),
                    );
                }
            }
            let lorawan = s.lorawan.as_ref().map(|l| {
                let l = l.get_ref();
                LorawanAddress {
                    dev_eui: l.dev_eui.to_ascii_lowercase(),
                    field: l.field.clone(),
                }
            });
            if let (Some(l), Some(raw)) = (&lorawan, &s.lorawan) {
                if l.dev_eui.len() != 16 || !l.dev_eui.bytes().all(|b| b.is_ascii_hexdigit()) {
                    self.report(
                        raw,
                        format!("lorawan dev_eui {:?} must be 16 hex digits", l.dev_eui),
                    );
                } else if !lorawans.insert((l.dev_eui.clone(), l.field.clone())) {
                    self.report(
                        raw,
                        format!(
                            "lorawan device {} field {:?} is used by two sensors",
                            l.dev_eui, l.field
                        ),
                    );
                }
            }
            if let (Some(id), Some(equipment), Some(metric)) = (id, equipment, metric) {
                sensors.push(Sensor {
                    id,
                    equipment,
                    metric,
                    unit: s.unit.get_ref().clone(),
                    expected_range: *s.expected_range.get_ref(),
                    interval_s: interval.clamp(1, 86_400) as u32,
                    address: SensorAddress {
                        native: s.native.map(|n| n.into_inner()),
                        zigbee,
                        lorawan,
                    },
                });
            }
        }
        Registry::from_checked_parts(coop, buildings, units, equipment, sensors)
    }

    fn line_of_unit(&self, id: &str) -> usize {
        let needle = format!("\"{id}\"");
        self.source
            .find(&needle)
            .map_or(1, |offset| line_col(self.source, offset).0)
    }
}

/// Matches a unit id against a pattern where `*` is any run of characters and `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_coop_is_valid_and_as_large_as_promised() {
        let r = parse_registry(SAMPLE_REGISTRY, SAMPLE_REGISTRY_NAME).unwrap();
        assert!(r.buildings().len() >= 3);
        assert!(r.units().len() >= 60);
        assert!(r.equipment().len() >= 40);
        assert!(r.sensors().len() >= 150);
        let kinds: HashSet<_> = r.equipment().iter().map(|e| e.kind).collect();
        assert!(kinds.len() >= 6, "{kinds:?}");
    }

    #[test]
    fn glob_patterns() {
        assert!(glob_match("A-*", "A-101"));
        assert!(glob_match("A-?01", "A-301"));
        assert!(!glob_match("A-?01", "A-302"));
        assert!(glob_match("A-1??", "A-105"));
        assert!(!glob_match("B-*", "A-101"));
        assert!(glob_match("A-101", "A-101"));
    }
}
