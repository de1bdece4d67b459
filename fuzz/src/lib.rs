//! What the fuzz targets share: a registry with sensors of every format (the
//! devices and fields of the real payloads in `data/fixtures/payloads`), and
//! one call of the decoder as ingest makes it.
use std::sync::OnceLock;

use caretaker_core::{
    Building, BuildingId, Coop, Equipment, EquipmentId, EquipmentKind, Gateway, GatewayName,
    GatewayProtocol, LorawanAddress, Metric, ReadingBatch, Registry, Sensor, SensorAddress,
    SensorId, Timestamp, Unit, UnitId, ZigbeeAddress,
};
use caretaker_ingest::decode::{DecodeContext, Verdict, decode};

/// The native gateway.
pub const NATIVE: &str = "gateway-a";
/// The Zigbee2MQTT bridge (base topic `zigbee2mqtt`).
pub const ZIGBEE: &str = "zigbee-bridge";
/// The ChirpStack integration.
pub const CHIRPSTACK: &str = "lorawan-bridge";

enum Addr {
    Native,
    Zigbee(&'static str, &'static str),
    Lora(&'static str, &'static str),
}

const SENSORS: &[(&str, Metric, Addr)] = &[
    ("A-BLR-1-supply", Metric::SupplyTemperature, Addr::Native),
    ("A-BLR-1-pressure", Metric::Pressure, Addr::Native),
    ("A-BLR-1-run", Metric::RunState, Addr::Native),
    (
        "Z-BED-temp",
        Metric::AirTemperature,
        Addr::Zigbee("Bedroom Temperature Sensor", "temperature"),
    ),
    (
        "Z-BED-batt",
        Metric::Battery,
        Addr::Zigbee("Bedroom Temperature Sensor", "battery"),
    ),
    (
        "Z-S1-hum",
        Metric::Humidity,
        Addr::Zigbee("sensor1", "humidity"),
    ),
    (
        "Z-PMP-run",
        Metric::RunState,
        Addr::Zigbee("Pump plug", "state"),
    ),
    (
        "Z-BSM-leak",
        Metric::WaterLeak,
        Addr::Zigbee("Basement leak", "water_leak"),
    ),
    (
        "L-AN3-temp",
        Metric::AirTemperature,
        Addr::Lora("ffffff200000b703", "temperature"),
    ),
    (
        "L-LHT-temp",
        Metric::AirTemperature,
        Addr::Lora("a840419edb62011c", "TempC_SHT"),
    ),
    (
        "L-SUMP-level",
        Metric::WaterLevel,
        Addr::Lora("a8404100000001b3", "water_level_cm"),
    ),
    (
        "L-EM3-leak",
        Metric::WaterLeak,
        Addr::Lora("24e124136b325190", "lekstatus"),
    ),
];

/// ChirpStack application ids of the fixtures.
const APPLICATIONS: &[&str] = &[
    "1",
    "2",
    "3ef9e6b9-ec54-4eda-86b8-a5fb46899f39",
    "17c82e96-be03-4f38-aef3-f83d48582d97",
    "635fda7b-0428-495e-812f-027490bcaf9d",
    "a6876544-453b-4586-9df2-ab165acac6f6",
];

/// The fuzz registry, built once.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(build)
}

fn build() -> Registry {
    let name = |n: &str| GatewayName::parse(n).expect("a gateway name");
    let building = BuildingId::parse("A").expect("a building id");
    let unit = UnitId::parse("A-101").expect("a unit id");
    let equipment = EquipmentId::parse("A-TEST-1").expect("an equipment id");
    let sensors = SENSORS
        .iter()
        .map(|(id, metric, addr)| {
            let (gateway, address) = match *addr {
                Addr::Native => (NATIVE, SensorAddress::default()),
                Addr::Zigbee(device, key) => (
                    ZIGBEE,
                    SensorAddress {
                        zigbee: Some(ZigbeeAddress {
                            name: device.into(),
                            key: key.into(),
                        }),
                        ..SensorAddress::default()
                    },
                ),
                Addr::Lora(dev_eui, field) => (
                    CHIRPSTACK,
                    SensorAddress {
                        lorawan: Some(LorawanAddress {
                            dev_eui: dev_eui.into(),
                            field: field.into(),
                        }),
                        ..SensorAddress::default()
                    },
                ),
            };
            Sensor {
                id: SensorId::parse(id).expect("a sensor id"),
                equipment: equipment.clone(),
                metric: *metric,
                unit: metric.unit().into(),
                expected_range: metric.physical_range(),
                interval_s: 300,
                address,
                gateway: name(gateway),
            }
        })
        .collect();
    Registry::from_checked_parts(
        Coop {
            name: "fuzz".into(),
            currency: "CAD".into(),
            timezone: None,
        },
        vec![Building {
            id: building.clone(),
            name: "A".into(),
            address: String::new(),
            floors: 1,
        }],
        vec![Unit {
            id: unit.clone(),
            building: building.clone(),
            floor: 1,
        }],
        vec![Equipment {
            id: equipment,
            building,
            kind: EquipmentKind::Boiler,
            name: "boiler".into(),
            make: String::new(),
            model: String::new(),
            installed: chrono_date(),
            replacement_cost: 1.0,
            failure_cost: 1.0,
            criticality: 3,
            serves: vec![unit],
        }],
        sensors,
        vec![
            Gateway {
                name: name(NATIVE),
                protocol: GatewayProtocol::Native,
            },
            Gateway {
                name: name(ZIGBEE),
                protocol: GatewayProtocol::Zigbee2mqtt {
                    base_topic: "zigbee2mqtt".into(),
                },
            },
            Gateway {
                name: name(CHIRPSTACK),
                protocol: GatewayProtocol::Chirpstack {
                    applications: APPLICATIONS.iter().map(|a| a.to_string()).collect(),
                },
            },
        ],
    )
}

fn chrono_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2010, 1, 1).expect("a date")
}

/// Splits fuzz input into a topic tail (up to the first newline, as text) and
/// a payload (the rest); input without a newline is all payload.
pub fn topic_and_payload(data: &[u8]) -> (String, &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (
            String::from_utf8_lossy(&data[..i]).into_owned(),
            &data[i + 1..],
        ),
        None => (String::new(), data),
    }
}

/// Decodes a message as ingest does on the embedded listener, published by
/// `publisher`, and checks what any verdict must satisfy.
pub fn decode_as(publisher: &str, topic: &str, payload: &[u8]) -> Verdict {
    let received_at = Timestamp::parse("2024-01-31T12:00:00Z").expect("a time");
    let zigbee = ["zigbee2mqtt".to_owned()];
    let ctx = DecodeContext {
        registry: registry(),
        received_at,
        max_age_ms: 90 * Timestamp::DAY,
        max_future_ms: 10 * Timestamp::MINUTE,
        max_payload: 256 * 1024,
        zigbee_base_topics: &zigbee,
        publisher: Some(publisher),
    };
    let mut batch = ReadingBatch::default();
    let verdict = decode(topic, payload, &ctx, &mut batch);
    // Every reading counted is in the batch, and none is more than the payload could hold.
    assert_eq!(
        verdict.accepted,
        batch.len(),
        "accepted readings and the batch differ"
    );
    assert!(
        batch.len() <= payload.len(),
        "more readings than payload bytes"
    );
    verdict
}
