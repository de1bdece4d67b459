//! Reading a co-op registry from TOML, with errors that name the file, line and problem.
//!
//! The file format is documented in the README ("The co-op registry"); the
//! sample co-op (`data/sample-coop.toml`) is a complete example.
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use caretaker_core::local::parse_zone;
use caretaker_core::{
    Building, BuildingId, Coop, Equipment, EquipmentId, EquipmentKind, GatewayName, LorawanAddress,
    Metric, Registry, Sensor, SensorAddress, SensorId, Tz, Unit, UnitId, ZigbeeAddress,
};
use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

mod gateways;

use gateways::{Gateways, RawGateway};

/// The sample co-op's registry, shipped with Caretaker.
pub const SAMPLE_REGISTRY: &str = include_str!("../../sample-coop.toml");

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
    #[serde(default)]
    gateway: Vec<RawGateway>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoop {
    name: String,
    #[serde(default = "default_currency")]
    currency: String,
    /// IANA time zone name (`America/Toronto`).
    timezone: Option<Spanned<String>>,
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
    gateway: Option<Spanned<String>>,
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
    gateway: Option<Spanned<String>>,
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

/// The buildings seen so far: their ids, and floors by id.
#[derive(Default)]
struct Buildings {
    ids: HashSet<BuildingId>,
    floors: HashMap<BuildingId, i64>,
    /// The default gateway of each building that has one.
    gateway: HashMap<BuildingId, GatewayName>,
}

/// A piece of equipment as checked: itself if usable, and the units it serves
/// either way (a unit it serves is not reported as unserved).
struct CheckedEquipment {
    equipment: Option<Equipment>,
    serves: Vec<UnitId>,
}

/// The gateway addresses earlier sensors use.
#[derive(Default)]
struct Addresses {
    native: HashSet<String>,
    zigbee: HashSet<(String, String)>,
    lorawan: HashSet<(String, String)>,
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

    /// Checks every part in file order, each against the parts before it, and
    /// indexes what passed.
    fn check(&mut self, raw: RawRegistry) -> Registry {
        let timezone = raw.coop.timezone.as_ref().and_then(|t| self.timezone(t));
        let coop = Coop {
            name: raw.coop.name,
            currency: raw.coop.currency,
            timezone,
        };
        let mut gateways = self.gateways(raw.gateway);
        let mut buildings = Buildings::default();
        let mut building_list = Vec::new();
        for b in raw.building {
            building_list.extend(self.building(b, &mut buildings, &mut gateways));
        }
        let mut unit_ids = HashSet::new();
        let mut units = Vec::new();
        for u in raw.unit {
            units.extend(self.unit(u, &mut unit_ids, &buildings));
        }
        if units.is_empty() && self.problems.is_empty() {
            self.problems.push(RegistryProblem {
                line: 1,
                column: 1,
                message: "the registry has no [[unit]]: a co-op needs at least one unit".into(),
            });
        }
        let mut equipment_ids = HashSet::new();
        let mut equipment_building = HashMap::new();
        let mut served: HashSet<UnitId> = HashSet::new();
        let mut equipment = Vec::new();
        let today = chrono::Utc::now().date_naive();
        for e in raw.equipment {
            let checked = self.equipment(e, &mut equipment_ids, &buildings.ids, &units, today);
            served.extend(checked.serves.iter().cloned());
            if let Some(e) = &checked.equipment {
                equipment_building.insert(e.id.clone(), e.building.clone());
            }
            equipment.extend(checked.equipment);
        }
        self.report_unserved_units(&units, &served);
        let mut sensor_ids = HashSet::new();
        let mut addresses = Addresses::default();
        let mut sensors = Vec::new();
        for s in raw.sensor {
            let owner = self.owner(&s, &mut gateways, &buildings, &equipment_building);
            sensors.extend(self.sensor(s, &mut sensor_ids, &equipment_ids, &mut addresses, owner));
        }
        self.report_idle_gateways(&gateways);
        Registry::from_checked_parts(
            coop,
            building_list,
            units,
            equipment,
            sensors,
            gateways.into_list(),
        )
    }

    /// An IANA time zone name, exactly as the database spells it.
    fn timezone(&mut self, raw: &Spanned<String>) -> Option<Tz> {
        parse_zone(raw.get_ref())
            .map_err(|e| self.report(raw, e))
            .ok()
    }

    /// Checks a building; `None` if its id is unusable.
    fn building(
        &mut self,
        b: RawBuilding,
        seen: &mut Buildings,
        gateways: &mut Gateways,
    ) -> Option<Building> {
        let id = self.id(&b.id, "building", BuildingId::parse, &mut seen.ids);
        if *b.floors.get_ref() < 1 {
            self.report(&b.floors, "a building needs at least 1 floor");
        }
        let gateway = b
            .gateway
            .as_ref()
            .and_then(|g| self.gateway_reference(g, gateways));
        let id = id?;
        seen.floors.insert(id.clone(), *b.floors.get_ref());
        if let Some(gateway) = gateway {
            seen.gateway.insert(id.clone(), gateway);
        }
        Some(Building {
            id,
            name: b.name,
            address: b.address,
            floors: (*b.floors.get_ref()).clamp(0, u32::MAX as i64) as u32,
        })
    }

    /// Checks a unit against the buildings; `None` if its id or building is unusable.
    fn unit(
        &mut self,
        u: RawUnit,
        seen: &mut HashSet<UnitId>,
        buildings: &Buildings,
    ) -> Option<Unit> {
        let id = self.id(&u.id, "unit", UnitId::parse, seen);
        let building = self.reference(&u.building, "building", BuildingId::parse, &buildings.ids);
        let floor = *u.floor.get_ref();
        if let Some(b) = &building {
            let floors = buildings.floors[b];
            if floor > floors || floor < -5 {
                self.report(
                    &u.floor,
                    format!("floor {floor} is outside building {b}, which has {floors} floors"),
                );
            }
        }
        Some(Unit {
            id: id?,
            building: building?,
            floor: floor.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
        })
    }

    /// Checks a piece of equipment against the buildings and units.
    fn equipment(
        &mut self,
        e: RawEquipment,
        seen: &mut HashSet<EquipmentId>,
        building_ids: &HashSet<BuildingId>,
        units: &[Unit],
        today: NaiveDate,
    ) -> CheckedEquipment {
        let id = self.id(&e.id, "equipment", EquipmentId::parse, seen);
        let building = self.reference(&e.building, "building", BuildingId::parse, building_ids);
        let kind = self.name(&e.kind, EquipmentKind::parse);
        let installed = self.installed(&e.installed, today);
        let replacement_cost = self.cost(&e.replacement_cost, "replacement_cost");
        let failure_cost = self.cost(&e.failure_cost, "failure_cost");
        let criticality = *e.criticality.get_ref();
        if !(1..=5).contains(&criticality) {
            self.report(
                &e.criticality,
                format!("criticality must be 1 (nuisance) to 5 (safety, no heat in winter), got {criticality}"),
            );
        }
        let serves = self.served_units(&e.serves, units);
        let equipment = match (id, building, kind, installed) {
            (Some(id), Some(building), Some(kind), Some(installed)) => Some(Equipment {
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
                serves: serves.clone(),
            }),
            _ => None,
        };
        CheckedEquipment { equipment, serves }
    }

    /// Parses a name (kind, metric) of a domain enum, reporting it if unknown.
    fn name<T>(
        &mut self,
        raw: &Spanned<String>,
        parse: impl Fn(&str) -> Result<T, caretaker_core::DomainError>,
    ) -> Option<T> {
        parse(raw.get_ref())
            .map_err(|err| self.report(raw, err))
            .ok()
    }

    /// The installation date: a TOML date or `YYYY-MM-DD` text, not in the future.
    fn installed(&mut self, raw: &Spanned<RawDate>, today: NaiveDate) -> Option<NaiveDate> {
        let installed = match raw.get_ref() {
            RawDate::Toml(d) => d
                .date
                .and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32)),
            RawDate::Text(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d").ok(),
        };
        match installed {
            None => self.report(raw, "installed must be a date like 2015-06-30"),
            Some(d) if d > today => {
                self.report(raw, format!("installed date {d} is in the future"))
            }
            Some(_) => {}
        }
        installed
    }

    /// The units matched by the `serves` patterns, in pattern then file order, each once.
    fn served_units(
        &mut self,
        patterns: &Spanned<Vec<Spanned<String>>>,
        units: &[Unit],
    ) -> Vec<UnitId> {
        let mut serves = Vec::new();
        if patterns.get_ref().is_empty() {
            self.report(patterns, "serves must name at least one unit or pattern");
        }
        for pattern in patterns.get_ref() {
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
        serves
    }

    /// Reports each unit no equipment serves, at the unit's own table.
    fn report_unserved_units(&mut self, units: &[Unit], served: &HashSet<UnitId>) {
        for u in units {
            if !served.contains(&u.id) {
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
    }

    /// Checks a sensor against the equipment and the addresses of earlier sensors;
    /// `owner` is its gateway, already checked.
    fn sensor(
        &mut self,
        s: RawSensor,
        seen: &mut HashSet<SensorId>,
        equipment_ids: &HashSet<EquipmentId>,
        addresses: &mut Addresses,
        owner: Option<GatewayName>,
    ) -> Option<Sensor> {
        let id = self.id(&s.id, "sensor", SensorId::parse, seen);
        let equipment =
            self.reference(&s.equipment, "equipment", EquipmentId::parse, equipment_ids);
        let metric = self.name(&s.metric, Metric::parse);
        if let Some(m) = metric {
            self.check_unit_and_range(&s, m);
        }
        let interval = *s.interval_s.get_ref();
        if !(1..=86_400).contains(&interval) {
            self.report(
                &s.interval_s,
                format!("interval_s must be 1 to 86400 seconds, got {interval}"),
            );
        }
        self.check_native(&s, addresses);
        let zigbee = self.zigbee(s.zigbee.as_ref(), addresses);
        let lorawan = self.lorawan(s.lorawan.as_ref(), addresses);
        Some(Sensor {
            id: id?,
            equipment: equipment?,
            metric: metric?,
            unit: s.unit.get_ref().clone(),
            expected_range: *s.expected_range.get_ref(),
            interval_s: interval.clamp(1, 86_400) as u32,
            address: SensorAddress {
                native: s.native.map(|n| n.into_inner()),
                zigbee,
                lorawan,
            },
            gateway: owner?,
        })
    }

    /// Checks that the sensor's unit fits its metric and its expected range is
    /// ordered and physically possible.
    fn check_unit_and_range(&mut self, s: &RawSensor, m: Metric) {
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

    /// Checks that no earlier sensor has the same native id (its own id by default).
    fn check_native(&mut self, s: &RawSensor, addresses: &mut Addresses) {
        let native_key = s
            .native
            .as_ref()
            .map(|n| n.get_ref().clone())
            .unwrap_or_else(|| s.id.get_ref().clone());
        if !addresses.native.insert(native_key.clone()) {
            let at = s.native.as_ref().unwrap_or(&s.id);
            self.report(
                at,
                format!("native id {native_key:?} is used by two sensors"),
            );
        }
    }

    /// The Zigbee2MQTT address, checked: non-empty, a valid friendly name, unused.
    fn zigbee(
        &mut self,
        raw: Option<&Spanned<RawZigbee>>,
        addresses: &mut Addresses,
    ) -> Option<ZigbeeAddress> {
        let raw = raw?;
        let z = ZigbeeAddress {
            name: raw.get_ref().name.clone(),
            key: raw.get_ref().key.clone(),
        };
        if z.name.is_empty() || z.key.is_empty() {
            self.report(raw, "zigbee needs a non-empty name and key");
        } else if z.name.contains(['#', '+']) {
            self.report(raw, "a Zigbee2MQTT friendly name cannot contain '#' or '+'");
        } else if !addresses.zigbee.insert((z.name.clone(), z.key.clone())) {
            self.report(
                raw,
                format!(
                    "zigbee device {:?} key {:?} is used by two sensors",
                    z.name, z.key
                ),
            );
        }
        Some(z)
    }

    /// The LoRaWAN address, checked: a 16-hex-digit device EUI (kept lowercase), unused.
    fn lorawan(
        &mut self,
        raw: Option<&Spanned<RawLorawan>>,
        addresses: &mut Addresses,
    ) -> Option<LorawanAddress> {
        let raw = raw?;
        let l = LorawanAddress {
            dev_eui: raw.get_ref().dev_eui.to_ascii_lowercase(),
            field: raw.get_ref().field.clone(),
        };
        if l.dev_eui.len() != 16 || !l.dev_eui.bytes().all(|b| b.is_ascii_hexdigit()) {
            self.report(
                raw,
                format!("lorawan dev_eui {:?} must be 16 hex digits", l.dev_eui),
            );
        } else if !addresses
            .lorawan
            .insert((l.dev_eui.clone(), l.field.clone()))
        {
            self.report(
                raw,
                format!(
                    "lorawan device {} field {:?} is used by two sensors",
                    l.dev_eui, l.field
                ),
            );
        }
        Some(l)
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
        assert_eq!(r.timezone().name(), "America/Toronto");
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
