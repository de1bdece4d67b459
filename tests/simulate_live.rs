//! `caretaker simulate live` publishes what the co-op's gateways would, to a real Mosquitto.
mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Mosquitto, caretaker, run_ok};
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

#[test]
fn live_simulation_publishes_native_zigbee2mqtt_and_chirpstack_messages() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let mut options = MqttOptions::new("test-listener", "127.0.0.1", broker.port);
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut connection) = Client::new(options, 100);
    client.subscribe("#", QoS::AtLeastOnce).unwrap();
    let listener = std::thread::spawn(move || {
        let mut got: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let value = serde_json::from_slice(&p.payload).expect("payload is JSON");
                    got.entry(p.topic.clone()).or_default().push(value);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        got
    });
    // Wait until the subscription is in place.
    std::thread::sleep(Duration::from_millis(500));

    let tmp = tempfile::tempdir().unwrap();
    let out = run_ok(caretaker(&tmp.path().join("data")).args([
        "simulate",
        "live",
        "--broker",
        &format!("mqtt://127.0.0.1:{}", broker.port),
        "--speed",
        "7200",
        "--duration",
        "3s",
    ]));
    assert!(out.contains("published"), "{out}");
    std::thread::sleep(Duration::from_millis(500));
    client.disconnect().unwrap();
    let got = listener.join().unwrap();

    let native = &got["caretaker/gateway-a/readings"];
    let reading = &native[0]["readings"][0];
    assert!(
        reading["sensor"].as_str().unwrap().starts_with("A-"),
        "{reading}"
    );
    assert!(reading["value"].is_number());
    assert!(caretaker_core::Timestamp::parse(reading["ts"].as_str().unwrap()).is_ok());

    let leak = got
        .get("zigbee2mqtt/Maple Court/roof/leak 1")
        .expect("a Zigbee2MQTT leak sensor message");
    assert!(
        leak.iter().any(|m| m["water_leak"].is_boolean()),
        "{leak:?}"
    );
    let climate = &got["zigbee2mqtt/Maple Court/roof/climate"];
    assert!(
        climate
            .iter()
            .any(|m| m["temperature"].is_number() && m["humidity"].is_number())
    );

    let uplinks: Vec<&serde_json::Value> = got
        .iter()
        .filter(|(t, _)| t.starts_with("application/") && t.ends_with("/event/up"))
        .flat_map(|(_, v)| v)
        .collect();
    assert!(
        !uplinks.is_empty(),
        "no ChirpStack uplink in {:?}",
        got.keys()
    );
    assert!(uplinks[0]["object"]["water_level_cm"].is_number());
    assert_eq!(
        uplinks[0]["deviceInfo"]["devEui"].as_str().unwrap().len(),
        16
    );
}
