//! The registry's gateways and which gateway owns each sensor.
//!
//! ```toml
//! [[gateway]]
//! name = "gateway-a"          # native JSON on caretaker/gateway-a/readings
//! speaks = "native"
//!
//! [[gateway]]
//! name = "zigbee-bridge"      # a Zigbee2MQTT bridge
//! speaks = "zigbee2mqtt"
//! base_topic = "zigbee2mqtt"
//!
//! [[gateway]]
//! name = "lorawan"            # a ChirpStack v4 MQTT integration
//! speaks = "chirpstack"
//! applications = ["6f1c9a52-3b7e-4d0a-9c55-2e8f7a1b4c3d"]
//! ```
//!
//! A building's `gateway` is the default owner of its sensors; a sensor's own
//! `gateway` overrides it. A Zigbee2MQTT bridge owns only sensors with a `zigbee`
//! address, a ChirpStack integration only sensors with a `lorawan` address.
use std::collections::{HashMap, HashSet};

use caretaker_core::{BuildingId, EquipmentId, Gateway, GatewayName, GatewayProtocol};
use serde::Deserialize;
use toml::Spanned;

use super::{Buildings, Checker, RawSensor};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGateway {
    name: Spanned<String>,
    speaks: Spanned<String>,
    base_topic: Option<Spanned<String>>,
    applications: Option<Spanned<Vec<String>>>,
}

/// The gateways that passed their checks, with where each was declared and
/// whether a building or sensor names it yet.
#[derive(Default)]
pub(super) struct Gateways {
    list: Vec<(Gateway, Spanned<String>, bool)>,
    by_name: HashMap<GatewayName, usize>,
}

impl Gateways {
    fn get(&self, name: &GatewayName) -> Option<&Gateway> {
        self.by_name.get(name).map(|&i| &self.list[i].0)
    }

    /// The checked gateways, in file order.
    pub(super) fn into_list(self) -> Vec<Gateway> {
        self.list.into_iter().map(|(g, _, _)| g).collect()
    }
}

/// Topic roots a Zigbee2MQTT bridge may not take: Caretaker's own and ChirpStack's.
const RESERVED_BASE_TOPICS: [&str; 2] = ["caretaker", "application"];

impl Checker<'_> {
    /// Checks the `[[gateway]]` tables: unique names, a known protocol, a base topic
    /// or application ids that no other gateway claims.
    pub(super) fn gateways(&mut self, raw: Vec<RawGateway>) -> Gateways {
        let mut names = HashSet::new();
        let mut topics: HashSet<String> = HashSet::new();
        let mut out = Gateways::default();
        for g in raw {
            let name = self.id(&g.name, "gateway", GatewayName::parse, &mut names);
            if let Some(name) = &name
                && name.as_str().starts_with("caretaker")
            {
                self.report(
                    &g.name,
                    "gateway names starting with \"caretaker\" are reserved for Caretaker itself",
                );
            }
            let protocol = self.protocol(&g, &mut topics);
            if let (Some(name), Some(protocol)) = (name, protocol) {
                out.by_name.insert(name.clone(), out.list.len());
                out.list.push((Gateway { name, protocol }, g.name, false));
            }
        }
        out
    }

    /// What a gateway speaks, with the topics it claims checked against those
    /// claimed before.
    fn protocol(
        &mut self,
        g: &RawGateway,
        claimed: &mut HashSet<String>,
    ) -> Option<GatewayProtocol> {
        let speaks = g.speaks.get_ref().as_str();
        let unexpected =
            |field: &str| format!("`{field}` is not used by a gateway that speaks {speaks}");
        if speaks != "zigbee2mqtt"
            && let Some(b) = &g.base_topic
        {
            self.report(b, unexpected("base_topic"));
        }
        if speaks != "chirpstack"
            && let Some(a) = &g.applications
        {
            self.report(a, unexpected("applications"));
        }
        match speaks {
            "native" => Some(GatewayProtocol::Native),
            "zigbee2mqtt" => {
                let Some(base) = &g.base_topic else {
                    self.report(
                        &g.speaks,
                        "a zigbee2mqtt gateway needs its `base_topic` (usually \"zigbee2mqtt\")",
                    );
                    return None;
                };
                let text = base.get_ref();
                if text.is_empty()
                    || text.contains(['#', '+'])
                    || text.starts_with('/')
                    || text.ends_with('/')
                {
                    self.report(base, format!("base_topic {text:?} must be a topic without wildcards or leading/trailing '/'"));
                } else if RESERVED_BASE_TOPICS.contains(&text.split('/').next().unwrap_or_default())
                {
                    self.report(base, format!("base_topic {text:?} is reserved for Caretaker's and ChirpStack's topics"));
                } else if !claimed.insert(format!("{text}/")) {
                    self.report(
                        base,
                        format!("base_topic {text:?} is claimed by two gateways"),
                    );
                }
                Some(GatewayProtocol::Zigbee2mqtt {
                    base_topic: text.clone(),
                })
            }
            "chirpstack" => {
                let Some(apps) = &g.applications else {
                    self.report(&g.speaks, "a chirpstack gateway needs its `applications` (ChirpStack application ids)");
                    return None;
                };
                if apps.get_ref().is_empty() {
                    self.report(
                        apps,
                        "`applications` needs at least one ChirpStack application id",
                    );
                }
                for app in apps.get_ref() {
                    if app.is_empty() || app.contains(['#', '+', '/']) {
                        self.report(
                            apps,
                            format!(
                                "application id {app:?} must not be empty or hold '/', '#' or '+'"
                            ),
                        );
                    } else if !claimed.insert(format!("application/{app}/")) {
                        self.report(
                            apps,
                            format!("application {app:?} is claimed by two gateways"),
                        );
                    }
                }
                Some(GatewayProtocol::Chirpstack {
                    applications: apps.get_ref().clone(),
                })
            }
            other => {
                self.report(
                    &g.speaks,
                    format!("unknown protocol {other:?}: a gateway speaks \"native\", \"zigbee2mqtt\" or \"chirpstack\""),
                );
                None
            }
        }
    }

    /// A reference to a declared gateway.
    pub(super) fn gateway_reference(
        &mut self,
        raw: &Spanned<String>,
        gateways: &mut Gateways,
    ) -> Option<GatewayName> {
        match GatewayName::parse(raw.get_ref()) {
            Ok(name) if gateways.by_name.contains_key(&name) => {
                let index = gateways.by_name[&name];
                gateways.list[index].2 = true;
                Some(name)
            }
            _ => {
                self.report(
                    raw,
                    format!(
                        "unknown gateway {:?}: declare it in a [[gateway]] table",
                        raw.get_ref()
                    ),
                );
                None
            }
        }
    }

    /// The gateway that owns a sensor: its own `gateway`, else its building's;
    /// checked to speak a format that can address the sensor.
    pub(super) fn owner(
        &mut self,
        s: &RawSensor,
        gateways: &mut Gateways,
        buildings: &Buildings,
        equipment_building: &HashMap<EquipmentId, BuildingId>,
    ) -> Option<GatewayName> {
        let building = EquipmentId::parse(s.equipment.get_ref())
            .ok()
            .and_then(|e| equipment_building.get(&e));
        let name = match &s.gateway {
            Some(raw) => self.gateway_reference(raw, gateways)?,
            None => match building.and_then(|b| buildings.gateway.get(b)) {
                Some(name) => name.clone(),
                None => {
                    // An unknown equipment is reported already.
                    if building.is_some() {
                        self.report(
                            &s.id,
                            format!(
                                "sensor {:?} belongs to no gateway: give it `gateway = \"...\"` or its building a default `gateway`",
                                s.id.get_ref()
                            ),
                        );
                    }
                    return None;
                }
            },
        };
        let gateway = gateways.get(&name)?;
        let mismatch = match &gateway.protocol {
            GatewayProtocol::Native => None,
            GatewayProtocol::Zigbee2mqtt { .. } => s.zigbee.is_none().then_some("zigbee"),
            GatewayProtocol::Chirpstack { .. } => s.lorawan.is_none().then_some("lorawan"),
        };
        if let Some(address) = mismatch {
            let at = s.gateway.as_ref().unwrap_or(&s.id);
            self.report(
                at,
                format!(
                    "sensor {:?} belongs to gateway {name}, which can only name it by a `{address}` address, and it has none",
                    s.id.get_ref()
                ),
            );
            return None;
        }
        Some(name)
    }

    /// Reports each gateway that no building or sensor names: it would own no sensor.
    pub(super) fn report_idle_gateways(&mut self, gateways: &Gateways) {
        for (gateway, at, owns) in &gateways.list {
            if !owns {
                self.report(
                    at,
                    format!(
                        "gateway {} owns no sensor: name it as a building's or a sensor's `gateway`, or remove it",
                        gateway.name
                    ),
                );
            }
        }
    }
}
