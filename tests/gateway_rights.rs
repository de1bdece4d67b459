//! The MQTT rights matrix: what a gateway may do, on the embedded listener and
//! on Mosquitto configured as docs/ingest.md says. Only a gateway's own sensor
//! on its own topic is stored; everything else is refused or quarantined as
//! `wrong_gateway`, and ingest's own connection count stays at 1.
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{IngestProcess, Mosquitto, add_gateway, base_time, free_port, metric, run_ok};
use rumqttc::{Client, ConnectReturnCode, Connection, Event, MqttOptions, Packet, QoS};

/// A reading of `sensor` at `base + seq` minutes, on `gateway`'s native topic.
fn reading(gateway: &str, sensor: &str, ts: i64) -> (String, Vec<u8>) {
    common::native(gateway, &[(sensor, ts, 50.0)])
}

/// An MQTT client logged in, or the broker's refusal.
struct Session {
    client: Client,
    connection: Connection,
}

impl Session {
    fn open(port: u16, client_id: &str, login: Option<(&str, &str)>) -> Result<Self, String> {
        let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(5));
        if let Some((user, password)) = login {
            options.set_credentials(user, password);
        }
        let (client, mut connection) = Client::new(options, 16);
        match connection.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(Event::Incoming(Packet::ConnAck(ack))))
                if ack.code == ConnectReturnCode::Success =>
            {
                Ok(Self { client, connection })
            }
            Ok(Ok(Event::Incoming(Packet::ConnAck(ack)))) => Err(format!("{:?}", ack.code)),
            Ok(Err(rumqttc::ConnectionError::ConnectionRefused(code))) => Err(format!("{code:?}")),
            other => Err(format!("{other:?}")),
        }
    }

    /// Publishes at QoS 1; whether the broker acknowledged it within a few seconds.
    fn publish(&mut self, (topic, payload): (String, Vec<u8>)) -> bool {
        if self
            .client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .is_err()
        {
            return false;
        }
        self.until(Duration::from_secs(5), |p| matches!(p, Packet::PubAck(_)))
            .is_some()
    }

    /// The SUBACK codes of a subscription to `filter`: whether it was granted.
    fn subscribe(&mut self, filter: &str) -> bool {
        self.client.subscribe(filter, QoS::AtLeastOnce).unwrap();
        match self.until(Duration::from_secs(5), |p| matches!(p, Packet::SubAck(_))) {
            Some(Packet::SubAck(ack)) => ack
                .return_codes
                .iter()
                .all(|c| matches!(c, rumqttc::SubscribeReasonCode::Success(_))),
            _ => false,
        }
    }

    /// Whether any message arrives within `wait`.
    fn receives_anything(&mut self, wait: Duration) -> bool {
        self.until(wait, |p| matches!(p, Packet::Publish(_)))
            .is_some()
    }

    /// Whether the connection is closed by the broker within `wait`.
    fn is_closed_within(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            match self.connection.recv_timeout(Duration::from_millis(200)) {
                Ok(Err(_)) => return true,
                Ok(Ok(_)) | Err(rumqttc::RecvTimeoutError::Timeout) => {}
                Err(rumqttc::RecvTimeoutError::Disconnected) => return true,
            }
        }
        false
    }

    fn until(&mut self, wait: Duration, want: impl Fn(&Packet) -> bool) -> Option<Packet> {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            match self.connection.recv_timeout(Duration::from_millis(100)) {
                Ok(Ok(Event::Incoming(packet))) if want(&packet) => return Some(packet),
                Ok(Err(_)) => return None,
                _ => {}
            }
        }
        None
    }
}

/// Quarantined count for one reason.
fn quarantined(text: &str, reason: &str) -> f64 {
    metric(
        text,
        &format!("caretaker_quarantined_total{{reason=\"{reason}\"}}"),
    )
}

/// The stored readings' keys as `(sensor, ts)`.
fn stored(data: &Path) -> Vec<(String, i64)> {
    let mut keys: Vec<(String, i64)> = common::stored_readings(data)
        .into_iter()
        .map(|(s, ts, _)| (s, ts))
        .collect();
    keys.sort();
    keys
}

#[test]
fn on_the_embedded_listener_a_gateway_stores_only_its_own_sensors_on_its_own_topics() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pass_a = add_gateway(&data, "gateway-a");
    let pass_b = add_gateway(&data, "gateway-b");
    let port = free_port();
    let ingest = IngestProcess::start(&data, port, false, &[]);
    let t = base_time();

    let mut a = Session::open(port, "gateway-a", Some(("gateway-a", &pass_a))).unwrap();
    // Own sensor, own topic: stored.
    assert!(a.publish(reading("gateway-a", "A-BLR-1-supply", t)));
    // Another gateway's topic, another's sensor on its own topic: acknowledged
    // (durably quarantined) and not stored.
    assert!(a.publish(reading("gateway-b", "B-BLR-1-supply", t)));
    assert!(a.publish(reading("gateway-a", "B-BLR-1-supply", t + 60_000)));
    // A bridge's topic.
    let z2m = (
        "zigbee2mqtt/Maple Court/roof/leak 1".to_owned(),
        br#"{"water_leak": true}"#.to_vec(),
    );
    assert!(a.publish(z2m));
    // Nobody's readings to read.
    assert!(!a.subscribe("#"), "a gateway may subscribe to every topic");
    assert!(!a.subscribe("caretaker/gateway-b/readings"));
    assert!(
        a.subscribe("caretaker/gateway-a/#"),
        "its own topics are its own"
    );
    let mut b = Session::open(port, "gateway-b", Some(("gateway-b", &pass_b))).unwrap();
    assert!(b.publish(reading("gateway-b", "B-BLR-1-supply", t + 120_000)));
    assert!(
        !a.receives_anything(Duration::from_secs(1)),
        "gateway-a read gateway-b's readings"
    );

    // Another's client id, or ingest's, is refused; so is a guessed password.
    assert_eq!(
        Session::open(port, "gateway-b", Some(("gateway-a", &pass_a)))
            .err()
            .as_deref(),
        Some("BadClientId")
    );
    assert_eq!(
        Session::open(port, "caretaker-ingest", Some(("gateway-a", &pass_a)))
            .err()
            .as_deref(),
        Some("BadClientId")
    );
    assert!(Session::open(port, "gateway-a", Some(("gateway-a", "guess"))).is_err());
    assert!(
        Session::open(port, "anyone", None).is_err(),
        "anonymous accepted"
    );

    // Rotation: the connected gateway is cut off within seconds, the old password refused.
    let new_a = run_ok(common::caretaker(&data).args(["gateway", "rotate", "gateway-a"]));
    let new_a = new_a
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_owned();
    assert!(
        a.is_closed_within(Duration::from_secs(8)),
        "rotated gateway still connected"
    );
    assert!(Session::open(port, "gateway-a", Some(("gateway-a", &pass_a))).is_err());
    let mut a = Session::open(port, "gateway-a", Some(("gateway-a", &new_a))).unwrap();
    assert!(a.publish(reading("gateway-a", "A-BLR-1-supply", t + 180_000)));

    // Revocation: cut off within seconds; no new login.
    run_ok(common::caretaker(&data).args(["gateway", "revoke", "gateway-b"]));
    assert!(
        b.is_closed_within(Duration::from_secs(8)),
        "revoked gateway still connected"
    );
    assert!(Session::open(port, "gateway-b", Some(("gateway-b", &pass_b))).is_err());
    // A revoked name can be issued again, with a new password.
    let again = add_gateway(&data, "gateway-b");
    assert!(Session::open(port, "gateway-b", Some(("gateway-b", &again))).is_ok());

    let text = ingest.wait_until(Duration::from_secs(30), |m| {
        metric(m, "caretaker_readings_stored_total") >= 3.0
            && metric(m, "caretaker_readings_buffered") == 0.0
    });
    assert_eq!(quarantined(&text, "wrong_gateway"), 3.0, "{text}");
    assert_eq!(metric(&text, "caretaker_mqtt_connections_total"), 1.0);
    assert!(
        metric(&text, "caretaker_gateway_logins_refused_total") >= 5.0,
        "{text}"
    );
    assert_eq!(
        metric(&text, "caretaker_gateway_subscriptions_refused_total"),
        2.0
    );
    ingest.stop();
    assert_eq!(
        stored(&data),
        vec![
            ("A-BLR-1-supply".to_owned(), t),
            ("A-BLR-1-supply".to_owned(), t + 180_000),
            ("B-BLR-1-supply".to_owned(), t + 120_000),
        ]
    );
    let quarantine: String = std::fs::read_dir(data.join("quarantine"))
        .unwrap()
        .flatten()
        .map(|f| std::fs::read_to_string(f.path()).unwrap())
        .collect();
    assert_eq!(
        quarantine.matches("\"wrong_gateway\"").count(),
        3,
        "{quarantine}"
    );
}

#[test]
fn through_mosquitto_a_gateway_stores_only_its_own_sensors_on_its_own_topics() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(broker) = Mosquitto::for_gateways() else {
        return;
    };
    let data = tmp.path().join("data");
    let ingest = IngestProcess::start(
        &data,
        broker.port,
        true,
        &[
            ("CARETAKER_MQTT__USERNAME", "caretaker-ingest"),
            ("CARETAKER_MQTT__PASSWORD", "ingest-secret"),
        ],
    );
    let t = base_time();
    let port = broker.port;
    let mut a = Session::open(port, "gateway-a", Some(("gateway-a", "a-secret"))).unwrap();
    assert!(a.publish(reading("gateway-a", "A-BLR-1-supply", t)));
    // Another gateway's topic: Mosquitto acknowledges and drops it.
    assert!(a.publish(reading("gateway-b", "B-BLR-1-supply", t)));
    // Another's sensor on its own topic: quarantined by ingest.
    assert!(a.publish(reading("gateway-a", "B-BLR-1-supply", t + 60_000)));
    // Subscribing to everything delivers nothing (the ACL grants no reads).
    a.subscribe("#");
    let mut b = Session::open(port, "gateway-b", Some(("gateway-b", "b-secret"))).unwrap();
    assert!(b.publish(reading("gateway-b", "B-BLR-1-supply", t + 120_000)));
    assert!(
        !a.receives_anything(Duration::from_secs(1)),
        "gateway-a read gateway-b's readings"
    );
    // Asking for ingest's client id gets the gateway's own (use_username_as_clientid):
    // ingest keeps its session.
    let mut thief =
        Session::open(port, "caretaker-ingest", Some(("gateway-b", "b-secret"))).unwrap();
    assert!(thief.publish(reading("gateway-b", "B-BLR-1-supply", t + 180_000)));
    assert!(Session::open(port, "gateway-a", Some(("gateway-a", "guess"))).is_err());
    assert!(
        Session::open(port, "anyone", None).is_err(),
        "anonymous accepted"
    );

    ingest.wait_until(Duration::from_secs(30), |m| {
        metric(m, "caretaker_readings_stored_total") >= 3.0
            && quarantined(m, "wrong_gateway") >= 1.0
            && metric(m, "caretaker_readings_buffered") == 0.0
    });
    // Nothing else arrives late.
    std::thread::sleep(Duration::from_secs(1));
    let text = ingest.metrics();
    assert_eq!(quarantined(&text, "wrong_gateway"), 1.0, "{text}");
    assert_eq!(
        metric(&text, "caretaker_mqtt_connections_total"),
        1.0,
        "{text}"
    );
    ingest.stop();
    assert_eq!(
        stored(&data),
        vec![
            ("A-BLR-1-supply".to_owned(), t),
            ("B-BLR-1-supply".to_owned(), t + 120_000),
            ("B-BLR-1-supply".to_owned(), t + 180_000),
        ]
    );
}
