//! The embedded MQTT broker (rumqttd), so a co-op needs nothing else installed.
//!
//! It keeps sessions in memory only and has no per-topic ACL: every
//! authenticated client may publish anywhere. Gateways authenticate with
//! credentials checked by an [`AuthCheck`] (unknown credentials are refused).
//! For persistence across broker restarts and per-gateway topic ACLs, use an
//! external broker such as Mosquitto.
use std::collections::HashMap;
use std::future::Future;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttd::{Config, ConnectionSettings, RouterConfig, ServerSettings};

use crate::IngestError;

/// Decides whether a client may connect, given its user name and password.
pub type AuthCheck =
    Arc<dyn Fn(String, String) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// A running embedded broker. It runs until the process exits.
#[derive(Debug, Clone)]
pub struct EmbeddedBroker {
    /// Where it listens.
    pub listen: SocketAddr,
}

impl EmbeddedBroker {
    /// Starts the broker on `listen`, refusing clients `auth` refuses, and
    /// waits until it accepts connections.
    pub fn start(
        listen: SocketAddr,
        auth: AuthCheck,
        max_payload: usize,
    ) -> Result<Self, IngestError> {
        // rumqttd reports a taken port only in its log: check first, to say so plainly.
        if let Err(e) = TcpListener::bind(listen) {
            return Err(IngestError::Mqtt {
                broker: format!("embedded broker on {listen}"),
                message: format!(
                    "cannot listen ({e}): another MQTT broker may be running there. \
                     Point Caretaker at it with --broker mqtt://{listen} (or mqtt.broker in the \
                     configuration), or move the embedded broker with mqtt.embedded_listen"
                ),
            });
        }
        let mut connections = ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: max_payload,
            max_inflight_count: 500,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        };
        connections.set_auth_handler(move |_client_id, user, password| auth(user, password));
        let server = ServerSettings {
            name: "caretaker-v4".into(),
            listen,
            tls: None,
            next_connection_delay_ms: 1,
            connections,
        };
        let config = Config {
            id: 0,
            router: RouterConfig {
                max_connections: 1000,
                max_outgoing_packet_count: 500,
                max_segment_size: 64 << 20,
                max_segment_count: 4,
                custom_segment: None,
                initialized_filters: None,
                shared_subscriptions_strategy: Default::default(),
            },
            v4: Some(HashMap::from([("1".to_owned(), server)])),
            ..Config::default()
        };
        std::thread::Builder::new()
            .name("embedded-broker".into())
            .spawn(move || {
                let mut broker = rumqttd::Broker::new(config);
                if let Err(e) = broker.start() {
                    tracing::error!(error = %e, "embedded MQTT broker stopped");
                }
            })
            .map_err(|e| IngestError::Mqtt {
                broker: listen.to_string(),
                message: e.to_string(),
            })?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&listen, Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline {
                return Err(IngestError::Mqtt {
                    broker: listen.to_string(),
                    message: "the embedded broker did not start listening".into(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        tracing::info!(%listen, "embedded MQTT broker listening");
        Ok(Self { listen })
    }
}
