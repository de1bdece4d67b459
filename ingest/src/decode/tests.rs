//! Decoder tests: the real payloads of `data/fixtures/payloads` on the topics
//! they arrived on, every native variant, every reason, and a property test.
//!
//! Every case goes through [`check`]: decode a message against the test
//! registry and compare a rendering of the outcome, one line per reading
//! (`sensor time value`), per rejection (`rejected reason: detail`) and for
//! the ignored reason (`ignored: why`).
use std::fmt::Write as _;

use caretaker_core::{
    Building, BuildingId, Coop, Equipment, EquipmentId, EquipmentKind, Gateway, GatewayName,
    GatewayProtocol, LorawanAddress, Metric, ReadingBatch, Registry, Sensor, SensorAddress,
    SensorId, Timestamp, ZigbeeAddress,
};
use chrono::NaiveDate;
use proptest::prelude::*;

use super::{DecodeContext, RejectReason, Verdict, decode};

/// When test messages arrive unless a case says otherwise.
const AT: &str = "2024-01-31T12:00:00Z";

const MAX_AGE_MS: i64 = 7 * Timestamp::DAY;
const MAX_FUTURE_MS: i64 = 5 * Timestamp::MINUTE;
const MAX_PAYLOAD: usize = 64 * 1024;

enum Addr {
    Native(Option<&'static str>),
    Zigbee(&'static str, &'static str),
    Lora(&'static str, &'static str),
}

use Addr::{Lora, Native, Zigbee};

/// The test registry: a few native sensors, and some devices and keys of the fixtures.
const SENSORS: &[(&str, Metric, Addr)] = &[
    ("A-BLR-1-supply", Metric::SupplyTemperature, Native(None)),
    ("A-BLR-1-pressure", Metric::Pressure, Native(None)),
    ("A-BLR-1-run", Metric::RunState, Native(None)),
    ("B-SUMP-1-level", Metric::WaterLevel, Native(Some("sump-b"))),
    // The one sensor of gateway-b; every other native sensor is gateway-a's.
    ("B-BLR-1-supply", Metric::SupplyTemperature, Native(None)),
    (
        "Z-BED-temp",
        Metric::AirTemperature,
        Zigbee("Bedroom Temperature Sensor", "temperature"),
    ),
    (
        "Z-BED-hum",
        Metric::Humidity,
        Zigbee("Bedroom Temperature Sensor", "humidity"),
    ),
    (
        "Z-BED-batt",
        Metric::Battery,
        Zigbee("Bedroom Temperature Sensor", "battery"),
    ),
    (
        "Z-LIV-temp",
        Metric::AirTemperature,
        Zigbee(
            "Living Room temperature, humidity and pressure sensor",
            "temperature",
        ),
    ),
    (
        "Z-LIV-hum",
        Metric::Humidity,
        Zigbee(
            "Living Room temperature, humidity and pressure sensor",
            "humidity",
        ),
    ),
    (
        "Z-STF-temp",
        Metric::AirTemperature,
        Zigbee("humidity_xiaomi_bad_stefan", "temperature"),
    ),
    // Misconfigured on purpose: the device reports hPa, the metric is in bar.
    (
        "Z-STF-pressure",
        Metric::Pressure,
        Zigbee("humidity_xiaomi_bad_stefan", "pressure"),
    ),
    (
        "Z-WLB-leak",
        Metric::WaterLeak,
        Zigbee("waterleak-bad", "water_leak"),
    ),
    (
        "Z-WLB-batt",
        Metric::Battery,
        Zigbee("waterleak-bad", "battery"),
    ),
    (
        "Z-BSM-leak",
        Metric::WaterLeak,
        Zigbee("Basement leak", "water_leak"),
    ),
    (
        "Z-BSM-batt",
        Metric::Battery,
        Zigbee("Basement leak", "battery"),
    ),
    (
        "Z-GST-temp",
        Metric::AirTemperature,
        Zigbee("WeatherGuestRoom", "temperature"),
    ),
    (
        "Z-GST-batt",
        Metric::Battery,
        Zigbee("WeatherGuestRoom", "battery"),
    ),
    (
        "Z-MOT-batt",
        Metric::Battery,
        Zigbee("bewegungsmelder1", "battery"),
    ),
    (
        "Z-LNG-power",
        Metric::Power,
        Zigbee("Prise zigbee lingerie", "power"),
    ),
    (
        "Z-LNG-run",
        Metric::RunState,
        Zigbee("Prise zigbee lingerie", "state"),
    ),
    ("Z-PMP-power", Metric::Power, Zigbee("Pump plug", "power")),
    ("Z-PMP-run", Metric::RunState, Zigbee("Pump plug", "state")),
    (
        "Z-BRK-current",
        Metric::MotorCurrent,
        Zigbee("TO-Q-SY2-163JZT", "current"),
    ),
    (
        "Z-BRK-power",
        Metric::Power,
        Zigbee("TO-Q-SY2-163JZT", "power"),
    ),
    (
        "Z-BRK-run",
        Metric::RunState,
        Zigbee("TO-Q-SY2-163JZT", "state"),
    ),
    (
        "Z-P23-power",
        Metric::Power,
        Zigbee("plug_zigbee23", "power"),
    ),
    (
        "Z-P23-current",
        Metric::MotorCurrent,
        Zigbee("plug_zigbee23", "current"),
    ),
    ("Z-CHE-power", Metric::Power, Zigbee("Chauffe-eau", "power")),
    (
        "Z-CHE-run",
        Metric::RunState,
        Zigbee("Chauffe-eau", "state_l1"),
    ),
    (
        "Z-S1-temp",
        Metric::AirTemperature,
        Zigbee("sensor1", "temperature"),
    ),
    ("Z-S1-hum", Metric::Humidity, Zigbee("sensor1", "humidity")),
    (
        "Z-BRC-temp",
        Metric::AirTemperature,
        Zigbee("Boiler room climate", "temperature"),
    ),
    (
        "Z-BRC-batt",
        Metric::Battery,
        Zigbee("Boiler room climate", "battery"),
    ),
    (
        "Z-ROOF-leak",
        Metric::WaterLeak,
        Zigbee("Maple Court/roof/leak 1", "water_leak"),
    ),
    (
        "Z-ROOF-batt",
        Metric::Battery,
        Zigbee("Maple Court/roof/leak 1", "battery"),
    ),
    (
        "L-AN3-temp",
        Metric::AirTemperature,
        Lora("ffffff200000b703", "temperature"),
    ),
    (
        "L-AN3-hum",
        Metric::Humidity,
        Lora("ffffff200000b703", "humidity"),
    ),
    (
        "L-LHT-temp",
        Metric::AirTemperature,
        Lora("a840419edb62011c", "TempC_SHT"),
    ),
    (
        "L-LHT-hum",
        Metric::Humidity,
        Lora("a840419edb62011c", "Hum_SHT"),
    ),
    // Misconfigured on purpose: Ext_sensor is a label, not a temperature.
    (
        "L-LHT-ext",
        Metric::OutletTemperature,
        Lora("a840419edb62011c", "Ext_sensor"),
    ),
    (
        "L-EM3-temp",
        Metric::AirTemperature,
        Lora("24e124136b325190", "temperatuur"),
    ),
    (
        "L-EM3-hum",
        Metric::Humidity,
        Lora("24e124136b325190", "luchtvochtigheid"),
    ),
    (
        "L-EM3-leak",
        Metric::WaterLeak,
        Lora("24e124136b325190", "lekstatus"),
    ),
    (
        "L-DOC-level",
        Metric::WaterLevel,
        Lora("0101010101010101", "level"),
    ),
    (
        "L-SUMP-level",
        Metric::WaterLevel,
        Lora("a8404100000001b3", "water_level_cm"),
    ),
    (
        "L-SUMP-alarm",
        Metric::WaterLeak,
        Lora("a8404100000001b3", "alarm"),
    ),
];

/// Application ids of the ChirpStack fixtures and cases.
const APPLICATIONS: &[&str] = &[
    "1",
    "2",
    "8",
    "x",
    "6f1c9a52",
    "3ef9e6b9-ec54-4eda-86b8-a5fb46899f39",
    "17c82e96-be03-4f38-aef3-f83d48582d97",
    "635fda7b-0428-495e-812f-027490bcaf9d",
    "a6876544-453b-4586-9df2-ab165acac6f6",
];

/// The test registry's gateways: two native ones, a Zigbee2MQTT bridge per base
/// topic of the fixtures, and a ChirpStack integration of their applications.
fn gateways() -> Vec<Gateway> {
    let gateway = |name: &str, protocol| Gateway {
        name: GatewayName::parse(name).unwrap(),
        protocol,
    };
    let zigbee = |base: &str| GatewayProtocol::Zigbee2mqtt {
        base_topic: base.into(),
    };
    vec![
        gateway("gateway-a", GatewayProtocol::Native),
        gateway("gateway-b", GatewayProtocol::Native),
        gateway("zigbee-bridge", zigbee("zigbee2mqtt")),
        gateway("cc1352-bridge", zigbee("zigbee2mqttcc1352")),
        gateway("myzigbee-bridge", zigbee("myzigbee")),
        gateway(
            "lorawan-bridge",
            GatewayProtocol::Chirpstack {
                applications: APPLICATIONS.iter().map(|a| a.to_string()).collect(),
            },
        ),
    ]
}

/// The gateway that owns a test sensor.
fn owner(id: &str, addr: &Addr) -> &'static str {
    match addr {
        Native(_) if id == "B-BLR-1-supply" => "gateway-b",
        Native(_) => "gateway-a",
        Zigbee("plug_zigbee23", _) => "cc1352-bridge",
        Zigbee(..) => "zigbee-bridge",
        Lora(..) => "lorawan-bridge",
    }
}

fn registry() -> Registry {
    let building = BuildingId::parse("A").unwrap();
    let equipment = EquipmentId::parse("A-TEST-1").unwrap();
    let sensors = SENSORS
        .iter()
        .map(|(id, metric, addr)| Sensor {
            gateway: GatewayName::parse(owner(id, addr)).unwrap(),
            id: SensorId::parse(id).unwrap(),
            equipment: equipment.clone(),
            metric: *metric,
            unit: metric.unit().to_owned(),
            expected_range: metric.physical_range(),
            interval_s: 300,
            address: match *addr {
                Native(native) => SensorAddress {
                    native: native.map(str::to_owned),
                    ..SensorAddress::default()
                },
                Zigbee(name, key) => SensorAddress {
                    zigbee: Some(ZigbeeAddress {
                        name: name.to_owned(),
                        key: key.to_owned(),
                    }),
                    ..SensorAddress::default()
                },
                Lora(dev_eui, field) => SensorAddress {
                    lorawan: Some(LorawanAddress {
                        dev_eui: dev_eui.to_owned(),
                        field: field.to_owned(),
                    }),
                    ..SensorAddress::default()
                },
            },
        })
        .collect();
    Registry::from_checked_parts(
        Coop {
            name: "Test Co-op".into(),
            currency: "CAD".into(),
            timezone: None,
        },
        vec![Building {
            id: building.clone(),
            name: "Test House".into(),
            address: "1 Test Street".into(),
            floors: 2,
        }],
        vec![],
        vec![Equipment {
            id: equipment,
            building,
            kind: EquipmentKind::Boiler,
            name: "Everything".into(),
            make: "Acme".into(),
            model: "T1".into(),
            installed: NaiveDate::from_ymd_opt(2010, 1, 1).unwrap(),
            replacement_cost: 1.0,
            failure_cost: 1.0,
            criticality: 3,
            serves: vec![],
        }],
        sensors,
        gateways(),
    )
}

fn bases() -> Vec<String> {
    ["zigbee2mqtt", "zigbee2mqttcc1352", "myzigbee"]
        .map(String::from)
        .to_vec()
}

fn context<'a>(registry: &'a Registry, bases: &'a [String], at: &str) -> DecodeContext<'a> {
    DecodeContext {
        registry,
        received_at: Timestamp::parse(at).unwrap(),
        max_age_ms: MAX_AGE_MS,
        max_future_ms: MAX_FUTURE_MS,
        max_payload: MAX_PAYLOAD,
        zigbee_base_topics: bases,
        publisher: None,
    }
}

/// The outcome of a message as text: readings, rejections, the ignored reason.
fn render(registry: &Registry, verdict: &Verdict, out: &ReadingBatch) -> String {
    let mut text = String::new();
    for i in 0..out.len() {
        let sensor = &registry.sensors()[out.sensors()[i] as usize].id;
        let ts = Timestamp::from_millis(out.ts_ms()[i]);
        writeln!(text, "{sensor} {ts} {}", out.values()[i]).unwrap();
    }
    for r in &verdict.rejected {
        writeln!(text, "rejected {}: {}", r.reason, r.detail).unwrap();
    }
    if let Some(why) = verdict.ignored {
        writeln!(text, "ignored: {why}").unwrap();
    }
    text
}

/// Decodes `payload` on `topic`, arriving at `at`, and compares the outcome
/// with `expect` (indentation and blank lines aside).
#[track_caller]
fn check_at(topic: &str, payload: impl AsRef<[u8]>, at: &str, expect: &str) {
    check_from(None, topic, payload, at, expect);
}

/// [`check_at`] for a message whose connection says which gateway published it.
#[track_caller]
fn check_from(
    publisher: Option<&str>,
    topic: &str,
    payload: impl AsRef<[u8]>,
    at: &str,
    expect: &str,
) {
    let registry = registry();
    let bases = bases();
    let ctx = DecodeContext {
        publisher,
        ..context(&registry, &bases, at)
    };
    let mut out = ReadingBatch::default();
    let verdict = decode(topic, payload.as_ref(), &ctx, &mut out);
    assert_eq!(
        verdict.accepted,
        out.len(),
        "accepted count vs readings appended"
    );
    let actual = render(&registry, &verdict, &out);
    let expect: String = expect
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        actual == expect,
        "topic {topic:?}\n--- expected\n{expect}--- actual\n{actual}---"
    );
}

#[track_caller]
fn check(topic: &str, payload: impl AsRef<[u8]>, expect: &str) {
    check_at(topic, payload, AT, expect);
}

// ---------------------------------------------------------------- fixtures

macro_rules! fixtures {
    ($($file:literal,)*) => {
        &[$(($file, include_str!(concat!("../../../data/fixtures/payloads/", $file))),)*]
    };
}

const FIXTURES: &[(&str, &str)] = fixtures![
    "zigbee2mqtt/aqara-djt11lm-vibration.json",
    "zigbee2mqtt/aqara-dual-relay-float-noise.json",
    "zigbee2mqtt/aqara-sjcgq11lm-state.json",
    "zigbee2mqtt/aqara-sjcgq11lm-waterleak-null-legacy-device.json",
    "zigbee2mqtt/aqara-sp-euc01-device-info.json",
    "zigbee2mqtt/aqara-sp-euc01-zero-power.json",
    "zigbee2mqtt/aqara-wsdcgq11lm-bad.json",
    "zigbee2mqtt/aqara-wsdcgq11lm-battery-null.json",
    "zigbee2mqtt/aqara-wsdcgq11lm-livingroom.json",
    "zigbee2mqtt/availability-json-online-z2m2.json",
    "zigbee2mqtt/availability-legacy-offline.txt",
    "zigbee2mqtt/availability-legacy-online.txt",
    "zigbee2mqtt/bridge-config-legacy-string-numbers.json",
    "zigbee2mqtt/bridge-devices-excerpt.json",
    "zigbee2mqtt/bridge-state-json-online.json",
    "zigbee2mqtt/bridge-state-legacy-online.txt",
    "zigbee2mqtt/sonoff-snzb02-sample.json",
    "zigbee2mqtt/sonoff-snzb02-sensor1.json",
    "zigbee2mqtt/tongou-ts011f-breaker.json",
    "zigbee2mqtt/tuya-ts011f-plug3-custom-base-topic.json",
    "zigbee2mqtt/xiaomi-rtcgq01lm-motion-device-v1.6.json",
    "zigbee2mqtt/xiaomi-weather-battery-string-2018.json",
    "chirpstack/v3-dragino-ldds75-objectjson.json",
    "chirpstack/v3-elsys-elt-temp-object-redacted.json",
    "chirpstack/v3-http-legacy-json-klax.json",
    "chirpstack/v4-an303-th-cn470-vendor-rawdata.json",
    "chirpstack/v4-docs-status-event.json",
    "chirpstack/v4-docs-up-minimal.json",
    "chirpstack/v4-dragino-lht65n.json",
    "chirpstack/v4-milesight-em300-sld-helium.json",
];

const SOURCES: &str = include_str!("../../../data/fixtures/payloads/SOURCES.tsv");

/// The topic SOURCES.tsv gives for a fixture (up to ` (`: an entry may add
/// a remark), with a placeholder (`<friendly_name>`, `<devEUI>`) filled in.
fn source_topic(file: &str, fill: Option<&str>) -> String {
    let line = SOURCES
        .lines()
        .find(|l| l.split('\t').next() == Some(file))
        .unwrap_or_else(|| panic!("{file} is not in SOURCES.tsv"));
    let column = line.split('\t').nth(1).unwrap();
    let topic = column.split(" (").next().unwrap();
    match fill {
        Some(fill) => topic
            .replace("<friendly_name>", fill)
            .replace("<devEUI>", fill),
        None => topic.to_owned(),
    }
}

/// Checks a fixture on its topic; `fill` replaces a placeholder in the topic.
#[track_caller]
fn check_fixture(file: &str, fill: Option<&str>, at: &str, expect: &str) {
    let (_, payload) = FIXTURES
        .iter()
        .find(|(f, _)| *f == file)
        .unwrap_or_else(|| panic!("{file} is not in FIXTURES"));
    check_at(&source_topic(file, fill), payload, at, expect);
}

#[test]
fn decode_fixtures_cover_sources_tsv() {
    let listed: Vec<&str> = SOURCES
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    let ours: Vec<&str> = FIXTURES.iter().map(|(f, _)| *f).collect();
    assert_eq!(listed.len(), ours.len());
    for file in listed {
        assert!(ours.contains(&file), "{file} has no test");
    }
}

#[test]
fn decode_zigbee_fixtures() {
    check_fixture(
        "zigbee2mqtt/aqara-djt11lm-vibration.json",
        None,
        AT,
        r#"rejected unknown_sensor: zigbee2mqtt device "VibrationSensor" is not in the registry"#,
    );
    // Float noise in unmapped keys; "OFF" for an on/off sensor; last_seen with an offset.
    check_fixture(
        "zigbee2mqtt/aqara-dual-relay-float-noise.json",
        None,
        "2024-09-09T22:37:00Z",
        "Z-CHE-power 2024-09-09T22:36:06Z 0
         Z-CHE-run 2024-09-09T22:36:06Z 0",
    );
    // last_seen as epoch milliseconds; a boolean leak.
    check_fixture(
        "zigbee2mqtt/aqara-sjcgq11lm-state.json",
        Some("Basement leak"),
        "2022-06-25T00:55:00Z",
        "Z-BSM-batt 2022-06-25T00:54:04.933Z 100
         Z-BSM-leak 2022-06-25T00:54:04.933Z 0",
    );
    // water_leak null: no reading and no error; nested device object skipped.
    check_fixture(
        "zigbee2mqtt/aqara-sjcgq11lm-waterleak-null-legacy-device.json",
        None,
        "2022-01-02T12:55:00Z",
        "Z-WLB-batt 2022-01-02T12:54:08Z 100",
    );
    check_fixture(
        "zigbee2mqtt/aqara-sp-euc01-device-info.json",
        None,
        AT,
        "Z-LNG-power 2024-01-31T12:00:00Z 0
         Z-LNG-run 2024-01-31T12:00:00Z 1",
    );
    check_fixture(
        "zigbee2mqtt/aqara-sp-euc01-zero-power.json",
        Some("Pump plug"),
        AT,
        "Z-PMP-power 2024-01-31T12:00:00Z 0
         Z-PMP-run 2024-01-31T12:00:00Z 1",
    );
    check_fixture(
        "zigbee2mqtt/aqara-wsdcgq11lm-bad.json",
        None,
        AT,
        r#"Z-STF-temp 2024-01-31T12:00:00Z 22.4
           rejected out_of_range: zigbee2mqtt device "humidity_xiaomi_bad_stefan" key "pressure" (sensor "Z-STF-pressure"): value 1001.8 is outside the physical range of pressure, 0 to 40 bar"#,
    );
    check_fixture(
        "zigbee2mqtt/aqara-wsdcgq11lm-battery-null.json",
        None,
        AT,
        "Z-BED-hum 2024-01-31T12:00:00Z 52.82
         Z-BED-temp 2024-01-31T12:00:00Z 26.14",
    );
    // A friendly name with spaces and a comma.
    check_fixture(
        "zigbee2mqtt/aqara-wsdcgq11lm-livingroom.json",
        None,
        AT,
        "Z-LIV-hum 2024-01-31T12:00:00Z 44.43
         Z-LIV-temp 2024-01-31T12:00:00Z 20.74",
    );
    for file in [
        "zigbee2mqtt/availability-json-online-z2m2.json",
        "zigbee2mqtt/availability-legacy-offline.txt",
        "zigbee2mqtt/availability-legacy-online.txt",
    ] {
        check_fixture(file, None, AT, "ignored: availability");
    }
    for file in [
        "zigbee2mqtt/bridge-config-legacy-string-numbers.json",
        "zigbee2mqtt/bridge-devices-excerpt.json",
        "zigbee2mqtt/bridge-state-json-online.json",
        "zigbee2mqtt/bridge-state-legacy-online.txt",
    ] {
        check_fixture(file, None, AT, "ignored: zigbee2mqtt bridge message");
    }
    check_fixture(
        "zigbee2mqtt/sonoff-snzb02-sample.json",
        Some("Boiler room climate"),
        AT,
        "Z-BRC-batt 2024-01-31T12:00:00Z 100
         Z-BRC-temp 2024-01-31T12:00:00Z 27.2",
    );
    check_fixture(
        "zigbee2mqtt/sonoff-snzb02-sensor1.json",
        None,
        AT,
        "Z-S1-temp 2024-01-31T12:00:00Z 26.05
         Z-S1-hum 2024-01-31T12:00:00Z 61.49",
    );
    // last_seen with milliseconds and Z.
    check_fixture(
        "zigbee2mqtt/tongou-ts011f-breaker.json",
        None,
        "2026-07-02T15:08:00Z",
        "Z-BRK-current 2026-07-02T15:07:55.326Z 0.09
         Z-BRK-power 2026-07-02T15:07:55.326Z 10
         Z-BRK-run 2026-07-02T15:07:55.326Z 0",
    );
    // A non-default base topic.
    check_fixture(
        "zigbee2mqtt/tuya-ts011f-plug3-custom-base-topic.json",
        None,
        "2022-11-15T19:07:00Z",
        "Z-P23-current 2022-11-15T19:06:38Z 0.1
         Z-P23-power 2022-11-15T19:06:38Z 3",
    );
    check_fixture(
        "zigbee2mqtt/xiaomi-rtcgq01lm-motion-device-v1.6.json",
        None,
        "2019-08-05T09:30:00Z",
        "Z-MOT-batt 2019-08-05T09:27:15Z 100",
    );
    // The same message replayed years later.
    check_fixture(
        "zigbee2mqtt/xiaomi-rtcgq01lm-motion-device-v1.6.json",
        None,
        AT,
        r#"rejected bad_timestamp: zigbee2mqtt device "bewegungsmelder1": last_seen 2019-08-05T09:27:15Z is more than 7 days before the message arrived (2024-01-31T12:00:00Z)"#,
    );
    // battery sent as the string "37.00".
    check_fixture(
        "zigbee2mqtt/xiaomi-weather-battery-string-2018.json",
        None,
        AT,
        "Z-GST-temp 2024-01-31T12:00:00Z 24.59
         Z-GST-batt 2024-01-31T12:00:00Z 37",
    );
}

#[test]
fn decode_chirpstack_fixtures() {
    check_fixture(
        "chirpstack/v3-dragino-ldds75-objectjson.json",
        Some("a840414d6182e088"),
        AT,
        "rejected unsupported_format: ChirpStack v3 payload (it has applicationID, devEUI, objectJSON): \
         Caretaker reads ChirpStack v4 uplinks only; upgrade the network server to v4",
    );
    check_fixture(
        "chirpstack/v3-elsys-elt-temp-object-redacted.json",
        Some("xxxxxxxxxxxxxx"),
        AT,
        "rejected unsupported_format: ChirpStack v3 payload (it has applicationID, devEUI): \
         Caretaker reads ChirpStack v4 uplinks only; upgrade the network server to v4",
    );
    check_fixture(
        "chirpstack/v3-http-legacy-json-klax.json",
        Some("123"),
        AT,
        r#"rejected unsupported_format: topic "application/2/device/123/rx" is a ChirpStack v3 uplink topic: Caretaker reads ChirpStack v4 uplinks only; upgrade the network server to v4"#,
    );
    // Nanosecond time; a vendor's extra rawData; unmapped fields, one a string.
    check_fixture(
        "chirpstack/v4-an303-th-cn470-vendor-rawdata.json",
        None,
        "2026-01-20T08:48:00Z",
        "L-AN3-hum 2026-01-20T08:47:43.457Z 57.5
         L-AN3-temp 2026-01-20T08:47:43.457Z 25.68",
    );
    check_fixture(
        "chirpstack/v4-docs-status-event.json",
        None,
        AT,
        "ignored: ChirpStack status event",
    );
    // No object, no fCnt: nothing to read, and no error.
    check_fixture(
        "chirpstack/v4-docs-up-minimal.json",
        None,
        "2022-07-18T09:35:00Z",
        "ignored: ChirpStack uplink without a decoded object",
    );
    check_fixture(
        "chirpstack/v4-dragino-lht65n.json",
        None,
        "2026-08-27T14:40:00Z",
        r#"L-LHT-temp 2026-08-27T14:39:44.530Z 24.73
           L-LHT-hum 2026-08-27T14:39:44.530Z 45.2
           rejected wrong_type: LoRaWAN device a840419edb62011c field "Ext_sensor" (sensor "L-LHT-ext"): value "Temperature Sensor" is not a number"#,
    );
    check_fixture(
        "chirpstack/v4-milesight-em300-sld-helium.json",
        None,
        "2025-04-16T09:48:00Z",
        "L-EM3-temp 2025-04-16T09:47:45.418Z 19.2
         L-EM3-hum 2025-04-16T09:47:45.418Z 44.5
         L-EM3-leak 2025-04-16T09:47:45.418Z 0",
    );
}

// ---------------------------------------------------------------- native

const NATIVE: &str = "caretaker/gateway-a/readings";

// ---------------------------------------------------------------- ownership

#[test]
fn a_gateway_stores_only_its_own_sensors_on_its_own_topics() {
    let own = r#"{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:59:00Z", "value": 71.5}"#;
    let other = r#"{"sensor": "B-BLR-1-supply", "ts": "2024-01-31T11:59:00Z", "value": 77.7}"#;
    let both = format!("[{own}, {other}]");
    // Own sensor on own topic: stored, whether the connection or the topic says who published.
    for publisher in [None, Some("gateway-a")] {
        check_from(
            publisher,
            NATIVE,
            own,
            AT,
            "A-BLR-1-supply 2024-01-31T11:59:00Z 71.5",
        );
    }
    // Another gateway's sensor on its own topic: that reading is refused, the rest stored.
    for publisher in [None, Some("gateway-a")] {
        check_from(
            publisher,
            NATIVE,
            &both,
            AT,
            "A-BLR-1-supply 2024-01-31T11:59:00Z 71.5
             rejected wrong_gateway: sensor B-BLR-1-supply belongs to gateway gateway-b, not gateway-a",
        );
    }
    // Another gateway's topic.
    check_from(
        Some("gateway-a"),
        "caretaker/gateway-b/readings",
        other,
        AT,
        r#"rejected wrong_gateway: gateway gateway-a may not publish on topic "caretaker/gateway-b/readings""#,
    );
    check_from(
        Some("gateway-a"),
        "zigbee2mqtt/Bedroom Temperature Sensor",
        r#"{"temperature": 21.5}"#,
        AT,
        r#"rejected wrong_gateway: gateway gateway-a may not publish on topic "zigbee2mqtt/Bedroom Temperature Sensor""#,
    );
    // A gateway Caretaker has credentials for but the registry does not declare.
    check_from(
        Some("gw-x"),
        "caretaker/gw-x/readings",
        other,
        AT,
        r#"rejected wrong_gateway: gateway "gw-x" is not declared in the registry"#,
    );
    // Through a broker that enforces topics, a topic no declared gateway owns.
    check(
        "caretaker/gw-x/readings",
        other,
        r#"rejected wrong_gateway: no gateway in the registry publishes on topic "caretaker/gw-x/readings""#,
    );
    // A bridge's messages that carry no readings are still only its own to send.
    check_from(
        Some("zigbee-bridge"),
        "zigbee2mqtt/bridge/state",
        "online",
        AT,
        "ignored: zigbee2mqtt bridge message",
    );
}

#[test]
fn decode_native_single_reading() {
    check(
        NATIVE,
        r#"{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:59:00Z", "value": 71.5}"#,
        "A-BLR-1-supply 2024-01-31T11:59:00Z 71.5",
    );
    // Epoch milliseconds, an offset, an integer value, unknown fields, any key order.
    check(
        NATIVE,
        r#"{"value": 2, "rssi": -70, "ts": 1706702340000, "sensor": "A-BLR-1-pressure", "meta": {"fw": "1.2"}}"#,
        "A-BLR-1-pressure 2024-01-31T11:59:00Z 2",
    );
    check(
        NATIVE,
        r#"{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T12:59:00+01:00", "value": -0.0}"#,
        "A-BLR-1-supply 2024-01-31T11:59:00Z 0",
    );
    // A native id other than the sensor id; escapes in strings.
    check(
        NATIVE,
        r#"{"sensor": "sump\u002db", "ts": "2024-01-31T11:59:00Z", "value": 41.5}"#,
        "B-SUMP-1-level 2024-01-31T11:59:00Z 41.5",
    );
}

#[test]
fn decode_native_batches() {
    let readings = r#"{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:58:00Z", "value": 70},
                      {"sensor": "A-BLR-1-run", "ts": 1706702340000, "value": 1}"#;
    let expect = "A-BLR-1-supply 2024-01-31T11:58:00Z 70
                  A-BLR-1-run 2024-01-31T11:59:00Z 1";
    check(NATIVE, format!("[{readings}]"), expect);
    check(
        NATIVE,
        format!(r#"{{"gateway": "a", "readings": [{readings}]}}"#),
        expect,
    );
    check(NATIVE, "[]", "");
    check(NATIVE, r#"{"readings": []}"#, "");
    check(NATIVE, " [ ] \n", "");
}

#[test]
fn decode_native_partial_batch() {
    let payload = r#"[
        {"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": 70.5},
        {"sensor": "X-9", "ts": "2024-01-31T11:00:00Z", "value": 1},
        {"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": "70.5"},
        {"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": null},
        {"sensor": "A-BLR-1-run", "ts": "2024-01-31T11:00:00Z", "value": true},
        {"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z"},
        {"ts": "2024-01-31T11:00:00Z", "value": 1},
        {"sensor": 7, "ts": "2024-01-31T11:00:00Z", "value": 1},
        {"sensor": "A-BLR-1-supply", "value": 1},
        {"sensor": "A-BLR-1-supply", "ts": "yesterday", "value": 1},
        {"sensor": "A-BLR-1-supply", "ts": false, "value": 1},
        {"sensor": "A-BLR-1-supply", "ts": 1706702340000.5, "value": 1},
        {"sensor": "A-BLR-1-supply", "ts": "2024-01-01T00:00:00Z", "value": 1},
        {"sensor": "A-BLR-1-supply", "ts": "2024-01-31T12:06:00Z", "value": 1},
        {"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": 1e400},
        {"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": 300},
        {"sensor": "A-BLR-1-run", "ts": "2024-01-31T11:00:00Z", "value": 0.5},
        {"sensor": "A-BLR-1-pressure", "ts": "2024-01-31T11:00:00Z", "value": -1},
        {"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": 1, "value": 2},
        42,
        null,
        [1],
        {"sensor": "A-BLR-1-pressure", "ts": "2024-01-31T11:00:00Z", "value": 1.5}
    ]"#;
    check(
        NATIVE,
        payload,
        r#"A-BLR-1-supply 2024-01-31T11:00:00Z 70.5
           A-BLR-1-pressure 2024-01-31T11:00:00Z 1.5
           rejected unknown_sensor: reading at index 1: sensor "X-9" is not in the registry
           rejected wrong_type: reading at index 2 (sensor "A-BLR-1-supply"): value "70.5" is a string, not a number
           rejected wrong_type: reading at index 3 (sensor "A-BLR-1-supply"): value is null, not a number
           rejected wrong_type: reading at index 4 (sensor "A-BLR-1-run"): value is a boolean, not a number
           rejected wrong_type: reading at index 5 (sensor "A-BLR-1-supply") has no "value" field
           rejected wrong_type: reading at index 6 has no "sensor" field
           rejected wrong_type: reading at index 7: "sensor" is a number, expected a string
           rejected wrong_type: reading at index 8 (sensor "A-BLR-1-supply") has no "ts" field
           rejected bad_timestamp: reading at index 9 (sensor "A-BLR-1-supply"): ts "yesterday" is neither an RFC 3339 time nor epoch milliseconds
           rejected wrong_type: reading at index 10 (sensor "A-BLR-1-supply"): ts is a boolean, expected an RFC 3339 string or epoch milliseconds
           rejected bad_timestamp: reading at index 11 (sensor "A-BLR-1-supply"): ts 1706702340000.5 is not a whole number of epoch milliseconds
           rejected bad_timestamp: reading at index 12 (sensor "A-BLR-1-supply"): ts 2024-01-01T00:00:00Z is more than 7 days before the message arrived (2024-01-31T12:00:00Z)
           rejected bad_timestamp: reading at index 13 (sensor "A-BLR-1-supply"): ts 2024-01-31T12:06:00Z is more than 5 minutes after the message arrived (2024-01-31T12:00:00Z)
           rejected non_finite: reading at index 14 (sensor "A-BLR-1-supply"): value inf is not a finite number
           rejected out_of_range: reading at index 15 (sensor "A-BLR-1-supply"): value 300 is outside the physical range of supply_temperature, -60 to 250 °C
           rejected out_of_range: reading at index 16 (sensor "A-BLR-1-run"): value 0.5 is neither 0 nor 1, as run_state must be
           rejected out_of_range: reading at index 17 (sensor "A-BLR-1-pressure"): value -1 is outside the physical range of pressure, 0 to 40 bar
           rejected wrong_type: reading at index 18 (sensor "A-BLR-1-supply") has the field "value" twice
           rejected wrong_type: reading at index 19 is a number, expected an object
           rejected wrong_type: reading at index 20 is null, expected an object
           rejected wrong_type: reading at index 21 is an array, expected an object"#,
    );
}

#[test]
fn decode_native_whole_message_refusals() {
    check(
        NATIVE,
        r#"{"sensor": "X-9", "ts": "2024-01-31T11:00:00Z", "value": 1}"#,
        r#"rejected unknown_sensor: sensor "X-9" is not in the registry"#,
    );
    check(
        NATIVE,
        r#"{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": "NaN"}"#,
        r#"rejected wrong_type: sensor "A-BLR-1-supply": value "NaN" is a string, not a number"#,
    );
    check(
        NATIVE,
        r#"{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": -1e400}"#,
        r#"rejected non_finite: sensor "A-BLR-1-supply": value -inf is not a finite number"#,
    );
    check(
        NATIVE,
        "42",
        r#"rejected wrong_type: native payload is a number, expected a reading, an array of readings or {"readings": [...]}"#,
    );
    check(
        NATIVE,
        r#"{"readings": {"sensor": "A-BLR-1-supply"}}"#,
        r#"rejected wrong_type: native payload: "readings" is an object, expected an array of readings"#,
    );
    check(
        NATIVE,
        "sensor=A-BLR-1-supply value=71.5",
        "rejected invalid_json: native payload is not JSON: expected value at line 1 column 1",
    );
    // Cut short after a good reading: nothing of it is kept.
    check(
        NATIVE,
        r#"[{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": 70.5}, {"sens"#,
        "rejected invalid_json: native payload is not JSON: EOF while parsing a string at line 1 column 82",
    );
    check(
        NATIVE,
        r#"[] []"#,
        "rejected invalid_json: native payload is not JSON: trailing characters at line 1 column 4",
    );
    check(
        NATIVE,
        b"[{\"sensor\": \"A-BLR-1-supply\xff\"}]",
        "rejected not_utf8: payload is not UTF-8: invalid byte at offset 27",
    );
    check(
        NATIVE,
        vec![b' '; MAX_PAYLOAD + 1],
        "rejected oversize: payload of 65537 bytes is larger than the 65536-byte limit",
    );
    check(NATIVE, "", "ignored: empty payload");
}

#[test]
fn decode_keeps_earlier_readings_of_the_batch_it_appends_to() {
    let registry = registry();
    let bases = bases();
    let ctx = context(&registry, &bases, AT);
    let mut out = ReadingBatch::default();
    out.push(0, Timestamp::parse(AT).unwrap(), 1.0).unwrap();
    let good = br#"{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": 70.5}"#;
    assert_eq!(decode(NATIVE, good, &ctx, &mut out).accepted, 1);
    let cut = br#"[{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": 70.5}"#;
    let verdict = decode(NATIVE, cut, &ctx, &mut out);
    assert_eq!(verdict.accepted, 0);
    assert_eq!(verdict.rejected[0].reason, RejectReason::InvalidJson);
    assert_eq!(out.values(), [1.0, 70.5]);
}

#[test]
fn decode_many_huge_numbers() {
    // Each is refused alone, up to a limit; past it, the message is refused whole.
    let reading = r#"{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T11:00:00Z", "value": 1e999}"#;
    let few = format!("[{}]", [reading; 3].join(","));
    check(
        NATIVE,
        few,
        r#"rejected non_finite: reading at index 0 (sensor "A-BLR-1-supply"): value inf is not a finite number
           rejected non_finite: reading at index 1 (sensor "A-BLR-1-supply"): value inf is not a finite number
           rejected non_finite: reading at index 2 (sensor "A-BLR-1-supply"): value inf is not a finite number"#,
    );
    let many = format!("[{}]", [reading; 40].join(",\n"));
    check(
        NATIVE,
        many,
        "rejected non_finite: native payload: the number at line 33, column 73 is too large for a 64-bit float",
    );
}

// ---------------------------------------------------------------- zigbee2mqtt

const ROOF: &str = "zigbee2mqtt/Maple Court/roof/leak 1";

#[test]
fn decode_zigbee_values() {
    // Slashes in the name; string numbers, a string boolean state, null.
    check(
        ROOF,
        r#"{"water_leak": true, "battery": " 88.50 ", "last_seen": null, "voltage": 2900}"#,
        "Z-ROOF-leak 2024-01-31T12:00:00Z 1
         Z-ROOF-batt 2024-01-31T12:00:00Z 88.5",
    );
    check(ROOF, r#"{"water_leak": null, "linkquality": 3}"#, "");
    check(ROOF, r#"{"linkquality": 3, "last_seen": "garbage"}"#, "");
    check(
        ROOF,
        r#"{"water_leak": "ON", "battery": "NaN"}"#,
        r#"Z-ROOF-leak 2024-01-31T12:00:00Z 1
           rejected non_finite: zigbee2mqtt device "Maple Court/roof/leak 1" key "battery" (sensor "Z-ROOF-batt"): value NaN is not a finite number"#,
    );
    check(
        ROOF,
        r#"{"battery": "inf", "water_leak": 2}"#,
        r#"rejected non_finite: zigbee2mqtt device "Maple Court/roof/leak 1" key "battery" (sensor "Z-ROOF-batt"): value inf is not a finite number
           rejected out_of_range: zigbee2mqtt device "Maple Court/roof/leak 1" key "water_leak" (sensor "Z-ROOF-leak"): value 2 is neither 0 nor 1, as water_leak must be"#,
    );
    check(
        ROOF,
        r#"{"battery": 1e400, "water_leak": "wet", "linkquality": 1e400}"#,
        r#"rejected non_finite: zigbee2mqtt device "Maple Court/roof/leak 1" key "battery" (sensor "Z-ROOF-batt"): value inf is not a finite number
           rejected wrong_type: zigbee2mqtt device "Maple Court/roof/leak 1" key "water_leak" (sensor "Z-ROOF-leak"): value "wet" is not a number"#,
    );
    check(
        ROOF,
        r#"{"battery": {"level": 80}, "water_leak": [false]}"#,
        r#"rejected wrong_type: zigbee2mqtt device "Maple Court/roof/leak 1" key "battery" (sensor "Z-ROOF-batt"): value is an object, not a number
           rejected wrong_type: zigbee2mqtt device "Maple Court/roof/leak 1" key "water_leak" (sensor "Z-ROOF-leak"): value is an array, not a number"#,
    );
    // The last of a repeated key wins.
    check(
        ROOF,
        r#"{"battery": 10, "battery": 20}"#,
        "Z-ROOF-batt 2024-01-31T12:00:00Z 20",
    );
}

#[test]
fn decode_zigbee_timestamps() {
    check(
        ROOF,
        r#"{"battery": 90, "last_seen": 1706702390000}"#,
        "Z-ROOF-batt 2024-01-31T11:59:50Z 90",
    );
    check(
        ROOF,
        r#"{"battery": 90, "last_seen": "2024-01-31T13:00:00+01:00"}"#,
        "Z-ROOF-batt 2024-01-31T12:00:00Z 90",
    );
    check(
        ROOF,
        r#"{"battery": 90, "last_seen": "yesterday"}"#,
        r#"rejected bad_timestamp: zigbee2mqtt device "Maple Court/roof/leak 1": last_seen "yesterday" is neither an RFC 3339 time nor epoch milliseconds"#,
    );
    check(
        ROOF,
        r#"{"battery": 90, "last_seen": true}"#,
        r#"rejected wrong_type: zigbee2mqtt device "Maple Court/roof/leak 1": last_seen is a boolean, expected an RFC 3339 string or epoch milliseconds"#,
    );
    check(
        ROOF,
        r#"{"battery": 90, "last_seen": "2024-02-01T00:00:00Z"}"#,
        r#"rejected bad_timestamp: zigbee2mqtt device "Maple Court/roof/leak 1": last_seen 2024-02-01T00:00:00Z is more than 5 minutes after the message arrived (2024-01-31T12:00:00Z)"#,
    );
}

#[test]
fn decode_zigbee_payloads_that_are_not_objects() {
    check(
        ROOF,
        "online",
        r#"rejected invalid_json: zigbee2mqtt device "Maple Court/roof/leak 1" is not JSON: expected value at line 1 column 1"#,
    );
    check(
        ROOF,
        "23.5",
        r#"rejected wrong_type: zigbee2mqtt device "Maple Court/roof/leak 1": payload is a number, expected a JSON object"#,
    );
    check(
        ROOF,
        r#"[{"battery": 1}]"#,
        r#"rejected wrong_type: zigbee2mqtt device "Maple Court/roof/leak 1": payload is an array, expected a JSON object"#,
    );
    check(
        ROOF,
        r#"{"battery": 1"#,
        r#"rejected invalid_json: zigbee2mqtt device "Maple Court/roof/leak 1" is not JSON: EOF while parsing an object at line 1 column 13"#,
    );
}

#[test]
fn decode_zigbee_topics() {
    check(
        "zigbee2mqtt/Maple Court/roof/leak 1/availability",
        r#"{"state":"offline"}"#,
        "ignored: availability",
    );
    check(
        "zigbee2mqtt/bridge",
        "x",
        "ignored: zigbee2mqtt bridge message",
    );
    check(
        "zigbee2mqtt/bridge/logging",
        "{}",
        "ignored: zigbee2mqtt bridge message",
    );
    for command in ["set", "get", "set/state", "get/battery"] {
        check(
            &format!("{ROOF}/{command}"),
            r#"{"state": "ON"}"#,
            "ignored: zigbee2mqtt command",
        );
    }
    check(
        "zigbee2mqtt/Maple Court/roof/leak 9",
        r#"{"water_leak": true}"#,
        r#"rejected unknown_sensor: zigbee2mqtt device "Maple Court/roof/leak 9" is not in the registry"#,
    );
    // An unknown device is refused by its topic, whatever the payload.
    check(
        "myzigbee/Hall sensor",
        [0xff, 0xfe],
        r#"rejected unknown_sensor: zigbee2mqtt device "Hall sensor" is not in the registry"#,
    );
    check(
        "zigbee2mqtt/",
        "{}",
        "rejected unknown_topic: zigbee2mqtt topic names no device",
    );
}

#[test]
fn decode_zigbee_attribute_mode() {
    let at = |attribute: &str| format!("{ROOF}/{attribute}");
    check(
        &at("water_leak"),
        "true",
        "Z-ROOF-leak 2024-01-31T12:00:00Z 1",
    );
    check(
        &at("water_leak"),
        "OFF",
        "Z-ROOF-leak 2024-01-31T12:00:00Z 0",
    );
    check(
        &at("water_leak"),
        r#""ON""#,
        "Z-ROOF-leak 2024-01-31T12:00:00Z 1",
    );
    check(
        &at("battery"),
        "23.5\n",
        "Z-ROOF-batt 2024-01-31T12:00:00Z 23.5",
    );
    check(
        &at("battery"),
        r#""97""#,
        "Z-ROOF-batt 2024-01-31T12:00:00Z 97",
    );
    check(&at("battery"), "null", "");
    check(
        &at("battery"),
        "1e400",
        r#"rejected non_finite: zigbee2mqtt device "Maple Court/roof/leak 1" key "battery" (sensor "Z-ROOF-batt"): value inf is not a finite number"#,
    );
    check(
        &at("battery"),
        "ON",
        r#"rejected wrong_type: zigbee2mqtt device "Maple Court/roof/leak 1" key "battery" (sensor "Z-ROOF-batt"): value "ON" is not a number"#,
    );
    check(
        &at("battery"),
        r#"{"battery": 97}"#,
        r#"rejected wrong_type: zigbee2mqtt device "Maple Court/roof/leak 1" key "battery" (sensor "Z-ROOF-batt"): value is an object, not a number"#,
    );
    check(
        &at("battery"),
        "101",
        r#"rejected out_of_range: zigbee2mqtt device "Maple Court/roof/leak 1" key "battery" (sensor "Z-ROOF-batt"): value 101 is outside the physical range of battery, 0 to 100 %"#,
    );
    check(
        &at("linkquality"),
        "120",
        "ignored: zigbee2mqtt attribute not mapped to a sensor",
    );
}

// ---------------------------------------------------------------- chirpstack

const SUMP_UP: &str = "application/6f1c9a52/device/a8404100000001b3/event/up";

#[test]
fn decode_chirpstack_uplinks() {
    // No deviceInfo (the topic's devEUI), no time, no fCnt; a numeric string,
    // a boolean, a null, a nested object.
    check(
        SUMP_UP,
        r#"{"object": {"water_level_cm": "41.5", "alarm": true, "battery": null, "raw": {"a": 1}}}"#,
        "L-SUMP-level 2024-01-31T12:00:00Z 41.5
         L-SUMP-alarm 2024-01-31T12:00:00Z 1",
    );
    check(
        "application/x/device/A8404100000001B3/event/up",
        r#"{"time": "2024-01-31T11:59:00Z", "deviceInfo": {"devEui": "A8404100000001B3"},
            "object": {"water_level_cm": 12, "alarm": false}}"#,
        "L-SUMP-level 2024-01-31T11:59:00Z 12
         L-SUMP-alarm 2024-01-31T11:59:00Z 0",
    );
    check(
        SUMP_UP,
        r#"{"deviceInfo": {"devEui": "a8404100000001b3"}, "object": {"water_level_cm": 5000, "alarm": "maybe"}}"#,
        r#"rejected out_of_range: LoRaWAN device a8404100000001b3 field "water_level_cm" (sensor "L-SUMP-level"): value 5000 is outside the physical range of water_level, -100 to 1000 cm
           rejected wrong_type: LoRaWAN device a8404100000001b3 field "alarm" (sensor "L-SUMP-alarm"): value "maybe" is not a number"#,
    );
    check(
        SUMP_UP,
        r#"{"object": {"water_level_cm": 1e400}}"#,
        r#"rejected non_finite: LoRaWAN device a8404100000001b3 field "water_level_cm" (sensor "L-SUMP-level"): value inf is not a finite number"#,
    );
    check(SUMP_UP, r#"{"object": {"temperature": 3}}"#, "");
    check(
        SUMP_UP,
        r#"{"time": "2023-01-31T12:00:00Z", "object": {"water_level_cm": 12}}"#,
        "rejected bad_timestamp: ChirpStack uplink from a8404100000001b3: time 2023-01-31T12:00:00Z is more than 7 days before the message arrived (2024-01-31T12:00:00Z)",
    );
}

#[test]
fn decode_chirpstack_refusals() {
    check(
        "application/x/device/0000000000000001/event/up",
        r#"{"deviceInfo": {"devEui": "0000000000000001"}, "object": {"water_level_cm": 12}}"#,
        "rejected unknown_sensor: LoRaWAN device 0000000000000001 is not in the registry",
    );
    check(
        SUMP_UP,
        r#"{"deviceInfo": {"devEui": "a840410000000366"}, "object": {"water_level_cm": 12}}"#,
        r#"rejected wrong_type: ChirpStack uplink: deviceInfo.devEui "a840410000000366" does not match the topic's devEUI "a8404100000001b3""#,
    );
    check(
        SUMP_UP,
        r#"{"deviceInfo": {"devEui": "qEBBAAAAAbM="}, "object": {"water_level_cm": 12}}"#,
        r#"rejected unsupported_format: ChirpStack uplink: devEUI "qEBBAAAAAbM=" is base64, as ChirpStack v3 sends it: Caretaker reads ChirpStack v4 uplinks only; upgrade the network server to v4"#,
    );
    check(
        SUMP_UP,
        r#"{"deviceInfo": {"devEui": 42}}"#,
        "rejected wrong_type: ChirpStack uplink: deviceInfo.devEui is a number, expected a string",
    );
    check(
        SUMP_UP,
        r#"{"deviceInfo": "sump"}"#,
        "rejected wrong_type: ChirpStack uplink: deviceInfo is a string, expected a JSON object",
    );
    check(
        "application/x/device/zz/event/up",
        r#"{"object": {}}"#,
        r#"rejected wrong_type: ChirpStack uplink: devEUI "zz" is not 16 hex digits"#,
    );
    check(
        SUMP_UP,
        r#"{"object": "41.5"}"#,
        "rejected wrong_type: ChirpStack uplink from a8404100000001b3: object is a string, expected a JSON object",
    );
    check(
        SUMP_UP,
        "[]",
        "rejected wrong_type: ChirpStack uplink is an array, expected a JSON object",
    );
    check(
        SUMP_UP,
        "{",
        r#"rejected invalid_json: ChirpStack uplink from "a8404100000001b3" is not JSON: EOF while parsing an object at line 1 column 1"#,
    );
}

#[test]
fn decode_chirpstack_topics() {
    let prefix = "application/6f1c9a52/device/a8404100000001b3";
    for (event, why) in [
        ("event/join", "ChirpStack join event"),
        ("event/log", "ChirpStack log event"),
        ("event/ack", "ChirpStack ack event"),
        ("event/txack", "ChirpStack txack event"),
        ("event/status", "ChirpStack status event"),
        ("event/location", "ChirpStack location event"),
        ("event/other", "ChirpStack event that is not an uplink"),
        ("command/down", "ChirpStack downlink command"),
    ] {
        check(
            &format!("{prefix}/{event}"),
            "{}",
            &format!("ignored: {why}"),
        );
    }
}

#[test]
fn decode_unknown_topics() {
    for topic in [
        "caretaker/gateway-a/status",
        "caretaker/a/b/readings",
        "caretaker//readings",
        "application/1/device/a8404100000001b3/event/up/extra",
        "zigbee2mqttx/Hall",
        "",
    ] {
        check(
            topic,
            "{}",
            &format!(
                "rejected unknown_topic: topic {topic:?} matches no known format \
                 (caretaker/<gateway>/readings, a Zigbee2MQTT base topic, application/<id>/device/<devEUI>/event/up)"
            ),
        );
    }
}

#[test]
fn decode_rejects_with_every_reason() {
    // (topic, payload, reason) for each reason; the cases above say more.
    let long = "x".repeat(MAX_PAYLOAD + 1);
    let cases: [(&str, &[u8], RejectReason); 11] = [
        (NATIVE, long.as_bytes(), RejectReason::Oversize),
        (NATIVE, b"\xc3\x28", RejectReason::NotUtf8),
        (NATIVE, b"{", RejectReason::InvalidJson),
        (NATIVE, b"true", RejectReason::WrongType),
        (ROOF, br#"{"battery": "-inf"}"#, RejectReason::NonFinite),
        (
            NATIVE,
            br#"{"sensor": "A-BLR-1-run", "ts": "2000-01-01", "value": 1}"#,
            RejectReason::BadTimestamp,
        ),
        (
            NATIVE,
            br#"{"sensor": "?", "ts": 0, "value": 1}"#,
            RejectReason::UnknownSensor,
        ),
        (ROOF, br#"{"battery": -5}"#, RejectReason::OutOfRange),
        (
            SUMP_UP,
            br#"{"applicationID": "2", "objectJSON": "{}"}"#,
            RejectReason::UnsupportedFormat,
        ),
        (
            "homeassistant/sensor/x/config",
            b"{}",
            RejectReason::UnknownTopic,
        ),
        (
            "caretaker/gateway-a/readings",
            br#"{"sensor": "B-BLR-1-supply", "ts": "2024-01-31T11:59:00Z", "value": 70}"#,
            RejectReason::WrongGateway,
        ),
    ];
    let registry = registry();
    let bases = bases();
    let ctx = context(&registry, &bases, AT);
    let mut seen = Vec::new();
    for (topic, payload, reason) in cases {
        let mut out = ReadingBatch::default();
        let verdict = decode(topic, payload, &ctx, &mut out);
        assert_eq!(verdict.accepted, 0, "{topic}");
        assert_eq!(verdict.rejected.len(), 1, "{topic}: {verdict:?}");
        assert_eq!(verdict.rejected[0].reason, reason, "{topic}: {verdict:?}");
        assert!(out.is_empty());
        seen.push(reason);
    }
    seen.sort();
    assert_eq!(seen, RejectReason::ALL);
}

#[test]
fn decode_quotes_user_text_short_and_escaped() {
    let name = format!("{}\"\n", "é".repeat(100));
    let payload = format!(
        r#"{{"sensor": {}, "ts": 0, "value": 1}}"#,
        serde_json::json!(name)
    );
    let expect = format!(
        r#"rejected unknown_sensor: sensor "{}…" is not in the registry"#,
        "é".repeat(64)
    );
    check(NATIVE, payload, &expect);
}

// ---------------------------------------------------------------- properties

/// Topics that reach every decoder and route, and some that reach none.
fn topic() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(NATIVE.to_owned()),
        Just(ROOF.to_owned()),
        Just(format!("{ROOF}/battery")),
        Just(format!("{ROOF}/water_leak")),
        Just("zigbee2mqtt/Bedroom Temperature Sensor".to_owned()),
        Just(SUMP_UP.to_owned()),
        Just("application/x/device/ffffff200000b703/event/up".to_owned()),
        "(caretaker|zigbee2mqtt|myzigbee|application)(/[a-zA-Z0-9 ._-]{0,12}){0,6}",
        any::<String>(),
    ]
}

/// JSON-ish text: mostly valid, from the words the decoders look for, with
/// strings and numbers that should be refused.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("1e400".to_owned()),
        Just("-1e999".to_owned()),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|x| serde_json::json!(x).to_string()),
        (-100.0..300.0f64).prop_map(|x| x.to_string()),
        prop_oneof![
            Just("A-BLR-1-supply"),
            Just("A-BLR-1-run"),
            Just("sump-b"),
            Just("2024-01-31T11:59:00Z"),
            Just("2024-01-31T12:59:00+01:00"),
            Just("1706702340000"),
            Just("NaN"),
            Just("inf"),
            Just("-Infinity"),
            Just("100.00"),
            Just("ON"),
            Just("a8404100000001b3"),
            Just("ffffff200000b703"),
            Just("qEBBTWGC4Ig="),
        ]
        .prop_map(|s| format!("{s:?}")),
        "[a-z\\\\\"é\u{0}]{0,6}".prop_map(|s| serde_json::json!(s).to_string()),
    ];
    let key = prop_oneof![
        Just("sensor"),
        Just("ts"),
        Just("value"),
        Just("readings"),
        Just("water_leak"),
        Just("battery"),
        Just("temperature"),
        Just("humidity"),
        Just("last_seen"),
        Just("deviceInfo"),
        Just("devEui"),
        Just("object"),
        Just("time"),
        Just("water_level_cm"),
        Just("alarm"),
        Just("applicationID"),
        Just("x"),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((key.clone(), inner), 0..8).prop_map(|v| {
                let entries: Vec<String> = v.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                format!("{{{}}}", entries.join(","))
            }),
        ]
    })
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_text().prop_map(String::into_bytes),
        // Valid JSON, cut anywhere or with a byte changed.
        (json_text(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(t, i, b)| {
            let mut bytes = t.into_bytes();
            let at = i.index(bytes.len());
            if b % 2 == 0 {
                bytes.truncate(at);
            } else {
                bytes[at] = b;
            }
            bytes
        }),
        prop::collection::vec(any::<u8>(), 0..200),
    ]
}

/// A field value: mostly numbers, with every kind of wrong one.
fn value_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (-200.0..1200.0f64).prop_map(|x| x.to_string()),
        4 => prop::sample::select(&[
            "0", "1", "-0", "0.5", "2", "true", "false", "null", "1e400", "-1e400", r#""NaN""#,
            r#""inf""#, r#""37.00""#, r#""ON""#, r#""OFF""#, r#""wet""#, "{}", "[1]",
        ][..])
        .prop_map(str::to_owned),
    ]
}

/// A timestamp: mostly around when the message arrives, as text or milliseconds.
fn ts_text() -> impl Strategy<Value = String> {
    let at = Timestamp::parse(AT).unwrap().millis();
    prop_oneof![
        4 => (-8 * Timestamp::DAY..10 * Timestamp::MINUTE)
            .prop_map(move |d| format!("\"{}\"", Timestamp::from_millis(at + d))),
        2 => (-8 * Timestamp::DAY..10 * Timestamp::MINUTE).prop_map(move |d| (at + d).to_string()),
        1 => prop::sample::select(&[r#""yesterday""#, "1.5", "null", "true", "1e400"][..])
            .prop_map(str::to_owned),
    ]
}

fn object(entries: Vec<(String, String)>) -> String {
    let entries: Vec<String> = entries.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
    format!("{{{}}}", entries.join(","))
}

/// A native reading, with fields left out, repeated or extra now and then.
fn native_reading() -> impl Strategy<Value = String> {
    let sensor = prop::sample::select(
        &[
            r#""A-BLR-1-supply""#,
            r#""A-BLR-1-run""#,
            r#""A-BLR-1-pressure""#,
            r#""sump-b""#,
            r#""X-1""#,
            "7",
        ][..],
    );
    let field = prop_oneof![
        (sensor.clone(), Just("sensor")).prop_map(|(v, k)| (k.to_owned(), v.to_owned())),
        ts_text().prop_map(|v| ("ts".to_owned(), v)),
        value_text().prop_map(|v| ("value".to_owned(), v)),
        value_text().prop_map(|v| ("extra".to_owned(), v)),
    ];
    (
        sensor,
        ts_text(),
        value_text(),
        prop::collection::vec(field, 0..2),
    )
        .prop_map(|(sensor, ts, value, more)| {
            let mut entries = vec![
                ("sensor".to_owned(), sensor.to_owned()),
                ("ts".to_owned(), ts),
                ("value".to_owned(), value),
            ];
            entries.extend(more);
            object(entries)
        })
}

fn native_payload() -> impl Strategy<Value = String> {
    prop_oneof![
        native_reading(),
        prop::collection::vec(native_reading(), 0..6).prop_map(|r| format!("[{}]", r.join(","))),
        prop::collection::vec(native_reading(), 0..6)
            .prop_map(|r| format!(r#"{{"readings":[{}]}}"#, r.join(","))),
    ]
}

/// A Zigbee2MQTT device state.
fn zigbee_payload() -> impl Strategy<Value = String> {
    let key = prop::sample::select(
        &[
            "water_leak",
            "battery",
            "temperature",
            "humidity",
            "linkquality",
            "update",
        ][..],
    );
    let entry = prop_oneof![
        4 => (key, value_text()).prop_map(|(k, v)| (k.to_owned(), v)),
        1 => ts_text().prop_map(|v| ("last_seen".to_owned(), v)),
    ];
    prop::collection::vec(entry, 0..6).prop_map(object)
}

/// A ChirpStack uplink, v4 mostly.
fn chirpstack_payload() -> impl Strategy<Value = String> {
    let dev_eui = prop::sample::select(
        &[
            r#""a8404100000001b3""#,
            r#""A8404100000001B3""#,
            r#""a840410000000366""#,
            r#""qEBBAAAAAbM=""#,
            "7",
        ][..],
    );
    let field = prop::sample::select(&["water_level_cm", "alarm", "temperature", "x"][..]);
    (
        prop::option::of(dev_eui),
        prop::option::of(ts_text()),
        prop::collection::vec((field, value_text()), 0..5),
        any::<bool>(),
    )
        .prop_map(|(dev_eui, time, fields, v3)| {
            let mut entries = Vec::new();
            if let Some(eui) = dev_eui {
                entries.push(("deviceInfo".to_owned(), format!(r#"{{"devEui":{eui}}}"#)));
            }
            if let Some(time) = time {
                entries.push(("time".to_owned(), time));
            }
            let fields = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            entries.push(("object".to_owned(), object(fields)));
            if v3 && entries.len() % 2 == 0 {
                entries.push(("applicationID".to_owned(), r#""2""#.to_owned()));
            }
            object(entries)
        })
}

/// A message: one of each format on its own topic, or anything on any topic.
fn message() -> impl Strategy<Value = (String, Vec<u8>)> {
    let zigbee_topic = prop::sample::select(&[ROOF, "zigbee2mqtt/Bedroom Temperature Sensor"][..]);
    let attribute_topic = prop::sample::select(&["battery", "water_leak", "linkquality"][..]);
    prop_oneof![
        native_payload().prop_map(|p| (NATIVE.to_owned(), p.into_bytes())),
        (zigbee_topic, zigbee_payload()).prop_map(|(t, p)| (t.to_owned(), p.into_bytes())),
        (attribute_topic, value_text()).prop_map(|(a, p)| (format!("{ROOF}/{a}"), p.into_bytes())),
        chirpstack_payload().prop_map(|p| (SUMP_UP.to_owned(), p.into_bytes())),
        (topic(), payload()),
    ]
}

/// RFC 3339 texts around the edges: any date, leap days, fractions of any
/// length, offsets, and a few forms only chrono reads.
fn rfc3339() -> impl Strategy<Value = String> {
    (
        (0..=9999i32, 1..=12u32, 1..=31u32),
        (0..=24u32, 0..=60u32, 0..=60u32),
        "(\\.[0-9]{0,10})?",
        prop_oneof![
            Just("Z".to_owned()),
            Just("z".to_owned()),
            "[+-]([01][0-9]|2[0-5]):[0-6][0-9]",
            Just(String::new()),
        ],
        prop_oneof![Just('T'), Just('t'), Just(' ')],
    )
        .prop_map(|((y, mo, d), (h, mi, s), fraction, offset, t)| {
            format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{fraction}{offset}")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_timestamps_parse_as_core_parses_them(text in rfc3339()) {
        let ours = super::value::parse_ts(&super::json::Scalar::Str(text.as_str().into()), "ts")
            .map(|ts| ts.millis())
            .ok();
        let core = Timestamp::parse(&text).map(|ts| ts.millis()).ok();
        prop_assert_eq!(ours, core);
        if let Some(fast) = super::value::fast_rfc3339(&text) {
            prop_assert_eq!(Some(fast), core);
        }
    }

    #[test]
    fn decode_never_panics_and_accepts_only_sound_readings((topic, payload) in message()) {
        let registry = registry();
        let bases = bases();
        let ctx = context(&registry, &bases, AT);
        let mut out = ReadingBatch::default();
        out.push(0, ctx.received_at, 70.0).unwrap();
        let verdict = decode(&topic, &payload, &ctx, &mut out);
        prop_assert_eq!(verdict.accepted, out.len() - 1);
        prop_assert!(verdict.ignored.is_none() || (verdict.accepted == 0 && verdict.rejected.is_empty()));
        let (lo, hi) = (
            ctx.received_at.millis() - ctx.max_age_ms,
            ctx.received_at.millis() + ctx.max_future_ms,
        );
        for i in 1..out.len() {
            let sensor = &registry.sensors()[out.sensors()[i] as usize];
            let (value, ts) = (out.values()[i], out.ts_ms()[i]);
            let (min, max) = sensor.metric.physical_range();
            prop_assert!(value.is_finite() && (min..=max).contains(&value), "{} = {value}", sensor.id);
            prop_assert!(!sensor.metric.is_binary() || value == 0.0 || value == 1.0);
            prop_assert!((lo..=hi).contains(&ts), "{} at {ts}", sensor.id);
        }
        for r in &verdict.rejected {
            prop_assert!(!r.detail.is_empty() && r.detail.len() < 600, "{:?}", r);
        }
    }
}
