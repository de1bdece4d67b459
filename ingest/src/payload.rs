//! MQTT payload formats, as gateways publish them.
//!
//! - **Native JSON** on `caretaker/<gateway>/readings`: one reading
//!   `{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T12:00:00Z", "value": 71.5}`
//!   (`ts` RFC 3339 or epoch milliseconds), or a batch: an array of readings,
//!   or `{"readings": [...]}`.
//! - **Zigbee2MQTT** on `zigbee2mqtt/<friendly name>`: the device's state as
//!   one JSON object (`{"water_leak": false, "battery": 97, "linkquality": 120}`);
//!   keys map to sensors through the registry.
//! - **ChirpStack v4** uplinks on `application/<id>/device/<devEUI>/event/up`:
//!   decoded fields in `object`, mapped through the registry by devEUI and field.
//!
//! This module encodes them for the simulated gateways, each as the registry's
//! gateway that owns the sensor would.
use std::collections::BTreeMap;

use caretaker_core::{GatewayProtocol, Metric, ReadingBatch, Registry, Timestamp};
use serde_json::{Map, Value, json};

/// One MQTT message: the gateway that publishes it, topic and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The gateway that publishes it (its MQTT login).
    pub gateway: String,
    /// Topic.
    pub topic: String,
    /// Payload bytes (JSON).
    pub payload: Vec<u8>,
}

/// The native readings topic of a gateway.
pub fn native_topic(gateway: &str) -> String {
    format!("caretaker/{gateway}/readings")
}

fn number(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// Encodes a batch of readings as the co-op's gateways would publish it, each
/// sensor's readings by the gateway that owns it: native JSON batches, one per
/// native gateway; Zigbee2MQTT device messages under the bridge's base topic;
/// ChirpStack v4 uplinks of the integration's first application.
pub fn encode_batch(registry: &Registry, batch: &ReadingBatch, fcnt: &mut u32) -> Vec<Message> {
    let mut native: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    // (gateway, device, ts) -> keys, so each device message carries one moment's state.
    let mut zigbee: BTreeMap<(&str, &str, i64), Map<String, Value>> = BTreeMap::new();
    let mut lorawan: BTreeMap<(&str, &str, i64), Map<String, Value>> = BTreeMap::new();
    for i in 0..batch.len() {
        let sensor = &registry.sensors()[batch.sensors()[i] as usize];
        let (ts, value) = (batch.ts_ms()[i], batch.values()[i]);
        let Some(gateway) = registry.gateway(sensor.gateway.as_str()) else {
            continue;
        };
        match (
            &gateway.protocol,
            &sensor.address.zigbee,
            &sensor.address.lorawan,
        ) {
            (GatewayProtocol::Zigbee2mqtt { .. }, Some(z), _) => {
                // A device reports all its keys at once: one message per device and time.
                let v = if sensor.metric == Metric::WaterLeak {
                    Value::Bool(value >= 0.5)
                } else {
                    number(value)
                };
                let entry = zigbee
                    .entry((gateway.name.as_str(), z.name.as_str(), ts))
                    .or_default();
                entry.insert(z.key.clone(), v);
                entry.insert(
                    "last_seen".into(),
                    Value::String(Timestamp::from_millis(ts).to_string()),
                );
            }
            (GatewayProtocol::Chirpstack { .. }, _, Some(l)) => {
                let entry = lorawan
                    .entry((gateway.name.as_str(), l.dev_eui.as_str(), ts))
                    .or_default();
                entry.insert(l.field.clone(), number(value));
            }
            _ => {
                let id = sensor
                    .address
                    .native
                    .as_deref()
                    .unwrap_or(sensor.id.as_str());
                native
                    .entry(gateway.name.as_str())
                    .or_default()
                    .push(json!({
                        "sensor": id,
                        "ts": Timestamp::from_millis(ts).to_string(),
                        "value": number(value),
                    }));
            }
        }
    }
    let mut out = Vec::new();
    for (gateway, readings) in native {
        out.push(Message {
            gateway: gateway.to_owned(),
            topic: native_topic(gateway),
            payload: serde_json::to_vec(&json!({ "readings": readings })).expect("JSON encodes"),
        });
    }
    for ((gateway, device, _), mut state) in zigbee {
        let Some(GatewayProtocol::Zigbee2mqtt { base_topic }) =
            registry.gateway(gateway).map(|g| &g.protocol)
        else {
            continue;
        };
        state.insert("linkquality".into(), json!(96));
        out.push(Message {
            gateway: gateway.to_owned(),
            topic: format!("{base_topic}/{device}"),
            payload: serde_json::to_vec(&state).expect("JSON encodes"),
        });
    }
    for ((gateway, dev_eui, ts), object) in lorawan {
        let Some(GatewayProtocol::Chirpstack { applications }) =
            registry.gateway(gateway).map(|g| &g.protocol)
        else {
            continue;
        };
        let application = applications.first().map_or("", String::as_str);
        *fcnt = fcnt.wrapping_add(1);
        let uplink = json!({
            "deduplicationId": format!("{dev_eui}-{ts}"),
            "time": Timestamp::from_millis(ts).to_string(),
            "deviceInfo": {
                "tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242",
                "tenantName": "Co-op",
                "applicationId": application,
                "applicationName": "sump-levels",
                "deviceProfileName": "ultrasonic-level",
                "deviceName": format!("level-{dev_eui}"),
                "devEui": dev_eui,
            },
            "devAddr": "00b2c3d4",
            "fCnt": *fcnt,
            "fPort": 2,
            "data": "",
            "object": object,
        });
        out.push(Message {
            gateway: gateway.to_owned(),
            topic: format!("application/{application}/device/{dev_eui}/event/up"),
            payload: serde_json::to_vec(&uplink).expect("JSON encodes"),
        });
    }
    out
}
