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
//! This module encodes them for the simulated gateways.
use std::collections::BTreeMap;

use caretaker_core::{BuildingId, Metric, ReadingBatch, Registry, Timestamp};
use serde_json::{Map, Value, json};

/// Base topic of the simulated Zigbee2MQTT bridge.
pub const ZIGBEE_BASE_TOPIC: &str = "zigbee2mqtt";

/// ChirpStack application id of the simulated LoRaWAN sensors.
pub const CHIRPSTACK_APPLICATION: &str = "6f1c9a52-3b7e-4d0a-9c55-2e8f7a1b4c3d";

/// One MQTT message: topic and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Topic.
    pub topic: String,
    /// Payload bytes (JSON).
    pub payload: Vec<u8>,
}

/// The native gateway name of a building (`gateway-a`), also its MQTT user name.
pub fn native_gateway(building: &BuildingId) -> String {
    format!("gateway-{}", building.as_str().to_ascii_lowercase())
}

/// The native readings topic of a gateway.
pub fn native_topic(gateway: &str) -> String {
    format!("caretaker/{gateway}/readings")
}

fn number(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// Encodes a batch of readings as the co-op's gateways would publish it:
/// Zigbee sensors as Zigbee2MQTT device messages, LoRaWAN sensors as
/// ChirpStack v4 uplinks, the rest as native JSON batches, one per building gateway.
pub fn encode_batch(registry: &Registry, batch: &ReadingBatch, fcnt: &mut u32) -> Vec<Message> {
    let mut native: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    // (device, ts) -> keys, so each device message carries one moment's state.
    let mut zigbee: BTreeMap<(&str, i64), Map<String, Value>> = BTreeMap::new();
    let mut lorawan: BTreeMap<(&str, i64), Map<String, Value>> = BTreeMap::new();
    for i in 0..batch.len() {
        let sensor = &registry.sensors()[batch.sensors()[i] as usize];
        let (ts, value) = (batch.ts_ms()[i], batch.values()[i]);
        if let Some(z) = &sensor.address.zigbee {
            // A device reports all its keys at once: one message per device and time.
            let v = if sensor.metric == Metric::WaterLeak {
                Value::Bool(value >= 0.5)
            } else {
                number(value)
            };
            let entry = zigbee.entry((z.name.as_str(), ts)).or_default();
            entry.insert(z.key.clone(), v);
            entry.insert(
                "last_seen".into(),
                Value::String(Timestamp::from_millis(ts).to_string()),
            );
        } else if let Some(l) = &sensor.address.lorawan {
            let entry = lorawan.entry((l.dev_eui.as_str(), ts)).or_default();
            entry.insert(l.field.clone(), number(value));
        } else {
            let building = registry
                .equipment_by_id(&sensor.equipment)
                .map(|e| native_gateway(&e.building))
                .unwrap_or_else(|| "gateway".into());
            let id = sensor
                .address
                .native
                .as_deref()
                .unwrap_or(sensor.id.as_str());
            native.entry(building).or_default().push(json!({
                "sensor": id,
                "ts": Timestamp::from_millis(ts).to_string(),
                "value": number(value),
            }));
        }
    }
    let mut out = Vec::new();
    for (gateway, readings) in native {
        out.push(Message {
            topic: native_topic(&gateway),
            payload: serde_json::to_vec(&json!({ "readings": readings })).expect("JSON encodes"),
        });
    }
    for ((device, _), mut state) in zigbee {
        state.insert("linkquality".into(), json!(96));
        out.push(Message {
            topic: format!("{ZIGBEE_BASE_TOPIC}/{device}"),
            payload: serde_json::to_vec(&state).expect("JSON encodes"),
        });
    }
    for ((dev_eui, ts), object) in lorawan {
        *fcnt = fcnt.wrapping_add(1);
        let uplink = json!({
            "deduplicationId": format!("{dev_eui}-{ts}"),
            "time": Timestamp::from_millis(ts).to_string(),
            "deviceInfo": {
                "tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242",
                "tenantName": "Co-op",
                "applicationId": CHIRPSTACK_APPLICATION,
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
            topic: format!("application/{CHIRPSTACK_APPLICATION}/device/{dev_eui}/event/up"),
            payload: serde_json::to_vec(&uplink).expect("JSON encodes"),
        });
    }
    out
}
