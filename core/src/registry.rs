//! The co-op registry: buildings, units, equipment and sensors.
//!
//! A [`Registry`] is built by a loader that has already checked every
//! reference (the `data` crate reads it from TOML with line-numbered errors);
//! here it is only indexed for lookups.
use rustc_hash::FxHashMap as HashMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;

use crate::{BuildingId, EquipmentId, EquipmentKind, GatewayName, Metric, SensorId, UnitId};

/// The co-op as a whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coop {
    /// The co-op's name.
    pub name: String,
    /// Currency of every cost in the registry (ISO 4217, e.g. `CAD`).
    pub currency: String,
    /// The co-op's time zone (IANA, `America/Toronto`), if the registry gives one:
    /// every time people read is shown in it ([`crate::local`]).
    #[serde(serialize_with = "zone_name")]
    pub timezone: Option<Tz>,
}

fn zone_name<S: serde::Serializer>(tz: &Option<Tz>, s: S) -> Result<S::Ok, S::Error> {
    match tz {
        Some(tz) => s.serialize_some(tz.name()),
        None => s.serialize_none(),
    }
}

/// A building of the co-op.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Building {
    /// Identifier (`A`).
    pub id: BuildingId,
    /// Name residents use (`Maple Court`).
    pub name: String,
    /// Street address.
    pub address: String,
    /// Floors above ground.
    pub floors: u32,
}

/// What a gateway publishes, and so the MQTT topics it may publish on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "speaks", rename_all = "snake_case")]
pub enum GatewayProtocol {
    /// Caretaker's JSON on `caretaker/<name>/readings`.
    Native,
    /// A Zigbee2MQTT bridge publishing device messages under its base topic.
    Zigbee2mqtt {
        /// The bridge's base topic (`zigbee2mqtt`).
        base_topic: String,
    },
    /// A ChirpStack v4 integration publishing uplinks of its applications
    /// on `application/<id>/device/<devEUI>/event/up`.
    Chirpstack {
        /// The ChirpStack application ids whose uplinks it publishes.
        applications: Vec<String>,
    },
}

/// A sensor gateway: who may publish readings of the sensors it owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gateway {
    /// Its name: its MQTT user name and client id, and in `caretaker/<name>/...`.
    pub name: GatewayName,
    /// What it publishes.
    #[serde(flatten)]
    pub protocol: GatewayProtocol,
}

impl Gateway {
    /// The topic filters it may publish on (MQTT wildcards).
    pub fn topic_filters(&self) -> Vec<String> {
        let mut filters = vec![format!("caretaker/{}/#", self.name)];
        match &self.protocol {
            GatewayProtocol::Native => {}
            GatewayProtocol::Zigbee2mqtt { base_topic } => filters.push(format!("{base_topic}/#")),
            GatewayProtocol::Chirpstack { applications } => {
                filters.extend(applications.iter().map(|a| format!("application/{a}/#")))
            }
        }
        filters
    }

    /// Whether it may publish on `topic`: what [`Gateway::topic_filters`] match,
    /// checked without building them (this runs for every message).
    pub fn may_publish(&self, topic: &str) -> bool {
        let own = topic
            .strip_prefix("caretaker/")
            .is_some_and(|rest| at_or_below(rest, self.name.as_str()));
        own || match &self.protocol {
            GatewayProtocol::Native => false,
            GatewayProtocol::Zigbee2mqtt { base_topic } => at_or_below(topic, base_topic),
            GatewayProtocol::Chirpstack { applications } => topic
                .strip_prefix("application/")
                .is_some_and(|rest| applications.iter().any(|a| at_or_below(rest, a))),
        }
    }
}

/// Whether `topic` is `root` or lies below it (`root/...`), as the filter `root/#` matches.
fn at_or_below(topic: &str, root: &str) -> bool {
    topic
        .strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Whether an MQTT topic filter (`+` one level, `#` the rest) matches a topic.
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    let mut levels = topic.split('/');
    for part in filter.split('/') {
        match part {
            "#" => return true,
            "+" => {
                if levels.next().is_none() {
                    return false;
                }
            }
            literal => {
                if levels.next() != Some(literal) {
                    return false;
                }
            }
        }
    }
    levels.next().is_none()
}

/// A dwelling unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    /// Identifier (`A-204`).
    pub id: UnitId,
    /// The building it is in.
    pub building: BuildingId,
    /// Floor (0 = ground, negative = basement).
    pub floor: i32,
}

/// A piece of equipment that can fail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Equipment {
    /// Identifier (`A-BLR-1`).
    pub id: EquipmentId,
    /// The building it is in.
    pub building: BuildingId,
    /// What it is.
    pub kind: EquipmentKind,
    /// A plain-language name (`Boiler 1, Maple Court basement`).
    pub name: String,
    /// Manufacturer.
    pub make: String,
    /// Model.
    pub model: String,
    /// When it was installed.
    pub installed: NaiveDate,
    /// Cost of replacing it.
    pub replacement_cost: f64,
    /// Cost of a failure beyond the repair itself (emergency call-out, damage).
    pub failure_cost: f64,
    /// How much residents suffer when it fails, 1 (nuisance) to 5 (safety or no heat in winter).
    pub criticality: u8,
    /// The units it serves (patterns already expanded).
    pub serves: Vec<UnitId>,
}

/// How a Zigbee2MQTT gateway addresses a sensor: device friendly name and payload key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ZigbeeAddress {
    /// The device's friendly name (may contain spaces and slashes).
    pub name: String,
    /// The key in the device's JSON message (`temperature`, `water_leak`...).
    pub key: String,
}

/// How a LoRaWAN (ChirpStack) gateway addresses a sensor: device EUI and decoded field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LorawanAddress {
    /// Device EUI, 16 lowercase hex digits.
    pub dev_eui: String,
    /// The field in the decoded `object`.
    pub field: String,
}

/// The ways gateways may name a sensor.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SensorAddress {
    /// Id used in native JSON payloads (defaults to the sensor id).
    pub native: Option<String>,
    /// Zigbee2MQTT address.
    pub zigbee: Option<ZigbeeAddress>,
    /// LoRaWAN address.
    pub lorawan: Option<LorawanAddress>,
}

/// A sensor on a piece of equipment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sensor {
    /// Identifier (`A-BLR-1-supply`).
    pub id: SensorId,
    /// The equipment it watches.
    pub equipment: EquipmentId,
    /// What it measures.
    pub metric: Metric,
    /// Unit of measure of its values.
    pub unit: String,
    /// The normal range of values; outside it is suspicious but still a reading.
    pub expected_range: (f64, f64),
    /// Seconds between readings when it reports normally.
    pub interval_s: u32,
    /// How gateways address it.
    pub address: SensorAddress,
    /// The gateway that owns it: the only one whose readings of it are stored.
    pub gateway: GatewayName,
}

/// The whole co-op: buildings, units, equipment and sensors, indexed for lookups.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registry {
    coop: Coop,
    buildings: Vec<Building>,
    units: Vec<Unit>,
    equipment: Vec<Equipment>,
    sensors: Vec<Sensor>,
    gateways: Vec<Gateway>,
    #[serde(skip)]
    index: Index,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Index {
    unit: HashMap<UnitId, usize>,
    equipment: HashMap<EquipmentId, usize>,
    sensor: HashMap<SensorId, usize>,
    native: HashMap<String, usize>,
    zigbee: HashMap<(String, String), usize>,
    lorawan: HashMap<(String, String), usize>,
    gateway: HashMap<GatewayName, usize>,
}

impl Registry {
    /// Indexes parts whose references the caller has already checked: every
    /// id unique, every building, unit, equipment and gateway reference known.
    pub fn from_checked_parts(
        coop: Coop,
        buildings: Vec<Building>,
        units: Vec<Unit>,
        equipment: Vec<Equipment>,
        sensors: Vec<Sensor>,
        gateways: Vec<Gateway>,
    ) -> Self {
        let mut index = Index::default();
        for (i, g) in gateways.iter().enumerate() {
            index.gateway.insert(g.name.clone(), i);
        }
        for (i, u) in units.iter().enumerate() {
            index.unit.insert(u.id.clone(), i);
        }
        for (i, e) in equipment.iter().enumerate() {
            index.equipment.insert(e.id.clone(), i);
        }
        for (i, s) in sensors.iter().enumerate() {
            index.sensor.insert(s.id.clone(), i);
            let native = s.address.native.clone().unwrap_or_else(|| s.id.to_string());
            index.native.insert(native, i);
            if let Some(z) = &s.address.zigbee {
                index.zigbee.insert((z.name.clone(), z.key.clone()), i);
            }
            if let Some(l) = &s.address.lorawan {
                index
                    .lorawan
                    .insert((l.dev_eui.clone(), l.field.clone()), i);
            }
        }
        Self {
            coop,
            buildings,
            units,
            equipment,
            sensors,
            gateways,
            index,
        }
    }

    /// All gateways.
    pub fn gateways(&self) -> &[Gateway] {
        &self.gateways
    }

    /// A gateway by name.
    pub fn gateway(&self, name: &str) -> Option<&Gateway> {
        let name = GatewayName::parse(name).ok()?;
        self.index.gateway.get(&name).map(|&i| &self.gateways[i])
    }

    /// The gateway whose topics include `topic`, if exactly one does; the
    /// publisher a topic implies on a broker that enforces each gateway's topics.
    pub fn gateway_for_topic(&self, topic: &str) -> Option<&Gateway> {
        let mut owners = self.gateways.iter().filter(|g| g.may_publish(topic));
        let first = owners.next()?;
        owners.next().is_none().then_some(first)
    }

    /// The Zigbee2MQTT base topics of the registry's bridges.
    pub fn zigbee_base_topics(&self) -> Vec<String> {
        self.gateways
            .iter()
            .filter_map(|g| match &g.protocol {
                GatewayProtocol::Zigbee2mqtt { base_topic } => Some(base_topic.clone()),
                _ => None,
            })
            .collect()
    }

    /// The co-op.
    pub fn coop(&self) -> &Coop {
        &self.coop
    }

    /// The co-op's time zone, in which people read every time; UTC when the
    /// registry gives none.
    pub fn timezone(&self) -> Tz {
        self.coop.timezone.unwrap_or(Tz::UTC)
    }

    /// All buildings.
    pub fn buildings(&self) -> &[Building] {
        &self.buildings
    }

    /// All units.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// All equipment.
    pub fn equipment(&self) -> &[Equipment] {
        &self.equipment
    }

    /// All sensors; a sensor's position here is its index in a [`crate::ReadingBatch`].
    pub fn sensors(&self) -> &[Sensor] {
        &self.sensors
    }

    /// A unit by id.
    pub fn unit(&self, id: &UnitId) -> Option<&Unit> {
        self.index.unit.get(id).map(|&i| &self.units[i])
    }

    /// A piece of equipment by id.
    pub fn equipment_by_id(&self, id: &EquipmentId) -> Option<&Equipment> {
        self.index.equipment.get(id).map(|&i| &self.equipment[i])
    }

    /// A sensor's index by id.
    pub fn sensor_index(&self, id: &SensorId) -> Option<usize> {
        self.index.sensor.get(id).copied()
    }

    /// A sensor by id.
    pub fn sensor(&self, id: &SensorId) -> Option<&Sensor> {
        self.sensor_index(id).map(|i| &self.sensors[i])
    }

    /// A sensor's index by the id a native gateway uses.
    pub fn sensor_by_native(&self, native: &str) -> Option<usize> {
        self.index.native.get(native).copied()
    }

    /// A sensor's index by Zigbee2MQTT friendly name and key.
    pub fn sensor_by_zigbee(&self, name: &str, key: &str) -> Option<usize> {
        self.index
            .zigbee
            .get(&(name.to_owned(), key.to_owned()))
            .copied()
    }

    /// A sensor's index by LoRaWAN device EUI (any case) and decoded field.
    pub fn sensor_by_lorawan(&self, dev_eui: &str, field: &str) -> Option<usize> {
        self.index
            .lorawan
            .get(&(dev_eui.to_ascii_lowercase(), field.to_owned()))
            .copied()
    }

    /// Whether any sensor has this Zigbee2MQTT friendly name.
    pub fn has_zigbee_device(&self, name: &str) -> bool {
        self.index.zigbee.keys().any(|(n, _)| n == name)
    }

    /// The sensors of one piece of equipment, as indexes.
    pub fn sensors_of(&self, equipment: &EquipmentId) -> impl Iterator<Item = usize> + '_ {
        let equipment = equipment.clone();
        self.sensors
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.equipment == equipment)
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_filters_match_as_mqtt_does() {
        assert!(topic_matches("caretaker/gw/#", "caretaker/gw/readings"));
        assert!(topic_matches("caretaker/gw/#", "caretaker/gw"));
        assert!(!topic_matches("caretaker/gw/#", "caretaker/gw2/readings"));
        assert!(topic_matches("a/+/c", "a/b/c"));
        assert!(!topic_matches("a/+/c", "a/b/c/d"));
        assert!(!topic_matches("a/b", "a/b/c"));
        assert!(!topic_matches("a/b/c", "a/b"));
    }

    #[test]
    fn a_gateway_publishes_under_its_own_topics_only() {
        let bridge = Gateway {
            name: GatewayName::parse("zigbee-bridge").unwrap(),
            protocol: GatewayProtocol::Zigbee2mqtt {
                base_topic: "zigbee2mqtt".into(),
            },
        };
        assert!(bridge.may_publish("zigbee2mqtt/Maple Court/roof/leak 1"));
        assert!(bridge.may_publish("caretaker/zigbee-bridge/readings"));
        assert!(!bridge.may_publish("caretaker/gateway-a/readings"));
        assert!(!bridge.may_publish("zigbee2mqtt2/x"));
        let lora = Gateway {
            name: GatewayName::parse("lorawan").unwrap(),
            protocol: GatewayProtocol::Chirpstack {
                applications: vec!["app-1".into()],
            },
        };
        assert!(lora.may_publish("application/app-1/device/00/event/up"));
        assert!(!lora.may_publish("application/app-2/device/00/event/up"));
        // The quick check says what the gateway's topic filters say.
        for gateway in [&bridge, &lora] {
            for topic in [
                "caretaker/zigbee-bridge/readings",
                "caretaker/zigbee-bridge",
                "caretaker/zigbee-bridge2/readings",
                "caretaker/lorawan/x",
                "zigbee2mqtt",
                "zigbee2mqtt/a/b",
                "zigbee2mqttx/a",
                "application/app-1",
                "application/app-10/x",
                "application",
                "",
            ] {
                let by_filters = gateway
                    .topic_filters()
                    .iter()
                    .any(|f| topic_matches(f, topic));
                assert_eq!(
                    gateway.may_publish(topic),
                    by_filters,
                    "{} on {topic:?}",
                    gateway.name
                );
            }
        }
    }
}
