//! Publishing to an MQTT broker, as a gateway does (used by the simulated gateways).
use std::collections::HashMap;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, Transport};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::IngestError;
use crate::payload::Message;

/// A broker address parsed from `mqtt://HOST:PORT` or `mqtts://HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether to use TLS.
    pub tls: bool,
}

impl BrokerUrl {
    /// Parses `mqtt://HOST[:PORT]` (default port 1883) or `mqtts://HOST[:PORT]` (8883).
    pub fn parse(url: &str) -> Result<Self, IngestError> {
        let bad = |why: &str| IngestError::BrokerUrl {
            url: url.to_owned(),
            why: why.to_owned(),
        };
        let (tls, rest) = if let Some(r) = url.strip_prefix("mqtt://") {
            (false, r)
        } else if let Some(r) = url.strip_prefix("mqtts://") {
            (true, r)
        } else {
            return Err(bad("unknown scheme"));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>().map_err(|_| bad("port is not a number"))?,
            ),
            None => (rest, if tls { 8883 } else { 1883 }),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(Self {
            host: host.trim_matches(['[', ']']).to_owned(),
            port,
            tls,
        })
    }
}

impl std::fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// A connected MQTT publisher; messages go out at QoS 1.
pub struct Publisher {
    client: AsyncClient,
    driver: JoinHandle<Result<(), IngestError>>,
    broker: String,
    /// Messages handed to the client, and those the broker acknowledged.
    published: u64,
    acked: watch::Receiver<u64>,
}

/// How long [`Publisher::close`] waits for the broker's last acknowledgements.
const CLOSE_WAIT: Duration = Duration::from_secs(30);

impl Publisher {
    /// Connects to `broker` as `client_id`, with optional credentials, and waits for the broker to accept.
    pub async fn connect(
        broker: &BrokerUrl,
        client_id: &str,
        credentials: Option<(String, String)>,
    ) -> Result<Self, IngestError> {
        let mut options = MqttOptions::new(client_id, broker.host.clone(), broker.port);
        options.set_keep_alive(Duration::from_secs(30));
        options.set_max_packet_size(1 << 20, 1 << 20);
        if let Some((user, password)) = credentials {
            options.set_credentials(user, password);
        }
        if broker.tls {
            options.set_transport(Transport::tls_with_default_config());
        }
        let (client, mut eventloop) = AsyncClient::new(options, 1024);
        let name = broker.to_string();
        // Wait for the ConnAck (or the first error) before handing back the publisher.
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => break,
                Ok(_) => {}
                Err(e) => {
                    return Err(IngestError::Mqtt {
                        broker: name,
                        message: e.to_string(),
                    });
                }
            }
        }
        let broker_name = name.clone();
        let (acks, acked) = watch::channel(0u64);
        let driver = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => return Ok(()),
                    Ok(Event::Incoming(Packet::PubAck(_))) => acks.send_modify(|n| *n += 1),
                    Ok(_) => {}
                    Err(e) => {
                        return Err(IngestError::Mqtt {
                            broker: broker_name,
                            message: e.to_string(),
                        });
                    }
                }
            }
        });
        Ok(Self {
            client,
            driver,
            broker: name,
            published: 0,
            acked,
        })
    }

    /// Queues a message for publishing at QoS 1.
    pub async fn publish(&mut self, message: Message) -> Result<(), IngestError> {
        self.client
            .publish(message.topic, QoS::AtLeastOnce, false, message.payload)
            .await
            .map_err(|e| IngestError::Mqtt {
                broker: self.broker.clone(),
                message: e.to_string(),
            })?;
        self.published += 1;
        Ok(())
    }

    /// Waits until the broker acknowledged every message (at most [`CLOSE_WAIT`]),
    /// disconnects and waits for the connection to close.
    pub async fn close(mut self) -> Result<(), IngestError> {
        let published = self.published;
        let all_acked = self.acked.wait_for(|acked| *acked >= published);
        if tokio::time::timeout(CLOSE_WAIT, all_acked).await.is_err() {
            tracing::warn!(
                published,
                acked = *self.acked.borrow(),
                "the broker did not acknowledge every message before closing"
            );
        }
        let _ = self.client.disconnect().await;
        match self.driver.await {
            Ok(result) => result,
            Err(e) => Err(IngestError::Mqtt {
                broker: self.broker,
                message: e.to_string(),
            }),
        }
    }
}

/// How simulated gateways log in to the broker.
#[derive(Debug, Clone)]
pub enum GatewayLogins {
    /// One connection publishes for every gateway, with these credentials or
    /// none (a broker that lets one client publish every gateway's topics).
    Shared(Option<(String, String)>),
    /// One connection per gateway, logged in as the gateway (user name and
    /// client id its name) with its password, by gateway name.
    PerGateway(HashMap<String, String>),
}

/// Publishers for simulated gateways: each message goes out on its gateway's connection.
pub struct GatewayPublishers {
    shared: Option<Publisher>,
    each: HashMap<String, Publisher>,
}

impl GatewayPublishers {
    /// Connects as `logins` says; with [`GatewayLogins::PerGateway`], one
    /// connection per gateway of `gateways` (all must have a password).
    pub async fn connect(
        broker: &BrokerUrl,
        logins: GatewayLogins,
        gateways: &[String],
    ) -> Result<Self, IngestError> {
        match logins {
            GatewayLogins::Shared(credentials) => Ok(Self {
                shared: Some(
                    Publisher::connect(broker, "caretaker-simulated-gateways", credentials).await?,
                ),
                each: HashMap::new(),
            }),
            GatewayLogins::PerGateway(passwords) => {
                let mut each = HashMap::new();
                for name in gateways {
                    let password = passwords.get(name).ok_or_else(|| IngestError::Mqtt {
                        broker: broker.to_string(),
                        message: format!("no password for gateway {name}"),
                    })?;
                    let publisher =
                        Publisher::connect(broker, name, Some((name.clone(), password.clone())))
                            .await?;
                    each.insert(name.clone(), publisher);
                }
                Ok(Self { shared: None, each })
            }
        }
    }

    /// Queues a message on its gateway's connection.
    pub async fn publish(&mut self, message: Message) -> Result<(), IngestError> {
        let publisher = self
            .shared
            .as_mut()
            .or_else(|| self.each.get_mut(&message.gateway))
            .ok_or_else(|| IngestError::Mqtt {
                broker: String::new(),
                message: format!("no connection for gateway {}", message.gateway),
            })?;
        publisher.publish(message).await
    }

    /// Closes every connection (see [`Publisher::close`]).
    pub async fn close(self) -> Result<(), IngestError> {
        for publisher in self.shared.into_iter().chain(self.each.into_values()) {
            publisher.close().await?;
        }
        Ok(())
    }
}
