//! One gateway's connection to the embedded listener: login, then its
//! publications into the pipeline, and the acks the pipeline sends back.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use caretaker_core::{Gateway, Timestamp};
use rumqttc::mqttbytes::v4::{
    ConnAck, Connect, ConnectReturnCode, Packet, PubAck, PubComp, PubRec, Publish, SubAck,
    Subscribe, SubscribeReasonCode, UnsubAck,
};
use rumqttc::mqttbytes::{Error as FrameError, Protocol, QoS};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_rustls::server::TlsStream;

use super::Shared;
use super::logins::printable;
use crate::service::{Arrival, MAX_WAITING_BYTES, Origin};

/// How long a new connection may take to send its CONNECT.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a refused login waits before its answer, to slow password guessing.
const REFUSAL_DELAY: Duration = Duration::from_secs(1);

/// QoS 1 and 2 messages of one gateway received and not yet acknowledged, at
/// most; beyond, the listener stops reading from it until acks go out.
const MAX_INFLIGHT: usize = 1000;

/// A logged-in gateway as the pipeline sees it: who it is, and where its acks go.
#[derive(Debug)]
pub(crate) struct GatewayLink {
    /// The gateway's name.
    pub name: String,
    outgoing: mpsc::UnboundedSender<Packet>,
}

impl GatewayLink {
    /// Acknowledges a message whose readings are durable (a QoS 0 message needs
    /// nothing). Returns whether the connection was still there to take it: if
    /// not, the gateway sends the message again when it reconnects.
    pub(crate) fn acknowledge(&self, publish: &Publish) -> bool {
        let packet = match publish.qos {
            QoS::AtMostOnce => return true,
            QoS::AtLeastOnce => Packet::PubAck(PubAck::new(publish.pkid)),
            QoS::ExactlyOnce => Packet::PubRec(PubRec::new(publish.pkid)),
        };
        self.outgoing.send(packet).is_ok()
    }
}

/// A gateway's connection, plain TCP or TLS, as two halves the session reads
/// and writes independently. Both listeners run the same [`run`] over it.
pub(crate) trait Connection: Send + 'static {
    /// What the session reads packets from.
    type Read: AsyncRead + Unpin + Send + 'static;
    /// What the session writes packets to.
    type Write: AsyncWrite + Unpin + Send + 'static;
    /// The two halves.
    fn split(self) -> (Self::Read, Self::Write);
}

impl Connection for TcpStream {
    type Read = tokio::net::tcp::OwnedReadHalf;
    type Write = tokio::net::tcp::OwnedWriteHalf;

    fn split(self) -> (Self::Read, Self::Write) {
        self.into_split()
    }
}

impl Connection for TlsStream<TcpStream> {
    type Read = tokio::io::ReadHalf<Self>;
    type Write = tokio::io::WriteHalf<Self>;

    fn split(self) -> (Self::Read, Self::Write) {
        tokio::io::split(self)
    }
}

/// Why a connection ended, for the log.
enum End {
    Closed(&'static str),
    Failed(String),
}

/// Serves one connection until it ends, is replaced, revoked, or ingest stops.
pub(crate) async fn run<C: Connection>(
    stream: C,
    peer: SocketAddr,
    id: u64,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let (mut reader, mut writer) = stream.split();
    let mut buf = BytesMut::with_capacity(4096);
    let connect = match tokio::time::timeout(
        CONNECT_TIMEOUT,
        read_packet(&mut reader, &mut buf, shared.max_packet),
    )
    .await
    {
        Ok(Ok(Packet::Connect(connect))) => connect,
        Ok(Ok(_)) | Ok(Err(_)) | Err(_) => return,
    };
    let (name, stamp) = match login(&connect, peer, &shared).await {
        Ok(login) => login,
        Err(code) => {
            shared.metrics.gateway_logins_refused.inc();
            let _ = write(&mut writer, Packet::ConnAck(ConnAck::new(code, false))).await;
            return;
        }
    };
    // Without a session kept here, a gateway asking for one still resends what
    // was not acknowledged: tell it its session is present.
    let ack = ConnAck::new(ConnectReturnCode::Success, !connect.clean_session);
    if write(&mut writer, Packet::ConnAck(ack)).await.is_err() {
        return;
    }
    let mut closed = shared.register(&name, id, stamp);
    tracing::info!(gateway = %name, %peer, "gateway connected");
    let (outgoing, queued) = mpsc::unbounded_channel();
    let writer = tokio::spawn(write_loop(writer, queued));
    let link = Arc::new(GatewayLink { name, outgoing });
    // A gateway the registry does not declare may connect; all it sends is
    // quarantined as `wrong_gateway`.
    let gateway = shared.registry.gateway(&link.name).cloned();
    let inflight = Arc::new(Semaphore::new(MAX_INFLIGHT));
    // 1.5 times the keep-alive without a packet ends the connection (MQTT 3.1.1, 3.1.2.10).
    let silence = (connect.keep_alive > 0)
        .then(|| Duration::from_millis(u64::from(connect.keep_alive) * 1500));
    let end = loop {
        let read = read_packet(&mut reader, &mut buf, shared.max_packet);
        let packet = tokio::select! {
            _ = closed.changed() => break End::Closed("revoked, rotated or replaced"),
            _ = shutdown.changed() => break End::Closed("ingest stopping"),
            packet = with_timeout(silence, read) => packet,
        };
        let packet = match packet {
            Ok(packet) => packet,
            Err(e) => break e,
        };
        let arrived = match packet {
            Packet::Publish(publish) => publish,
            Packet::Subscribe(subscribe) => {
                let codes = subscription_codes(&subscribe, gateway.as_ref(), &shared);
                let _ = link
                    .outgoing
                    .send(Packet::SubAck(SubAck::new(subscribe.pkid, codes)));
                continue;
            }
            Packet::Unsubscribe(u) => {
                let _ = link.outgoing.send(Packet::UnsubAck(UnsubAck::new(u.pkid)));
                continue;
            }
            Packet::PubRel(rel) => {
                let _ = link.outgoing.send(Packet::PubComp(PubComp::new(rel.pkid)));
                continue;
            }
            Packet::PingReq => {
                let _ = link.outgoing.send(Packet::PingResp);
                continue;
            }
            Packet::Disconnect => break End::Closed("the gateway disconnected"),
            Packet::Connect(_) => break End::Failed("a second CONNECT".into()),
            // Acks of publications: the listener publishes nothing.
            _ => continue,
        };
        shared.metrics.messages_received.inc();
        let bytes = arrived.payload.len().clamp(1, MAX_WAITING_BYTES) as u32;
        let permits = async {
            let budget = shared
                .waiting_bytes
                .clone()
                .acquire_many_owned(bytes)
                .await
                .ok()?;
            let inflight = match arrived.qos {
                QoS::AtMostOnce => None,
                _ => Some(inflight.clone().acquire_owned().await.ok()?),
            };
            Some((budget, inflight))
        };
        // Waiting here stops reading from the gateway (TCP pushes back) while the
        // pipeline is full or the gateway has too much unacknowledged.
        let (budget, inflight_permit) = tokio::select! {
            _ = closed.changed() => break End::Closed("revoked, rotated or replaced"),
            _ = shutdown.changed() => break End::Closed("ingest stopping"),
            permits = permits => match permits {
                Some(permits) => permits,
                None => break End::Closed("ingest stopping"),
            },
        };
        let arrival = Arrival {
            origin: Origin::Gateway {
                link: link.clone(),
                _inflight: inflight_permit,
            },
            publish: arrived,
            received_at: Timestamp::now(),
            _budget: budget,
        };
        if shared.tx.send(arrival).await.is_err() {
            break End::Closed("ingest stopping");
        }
    };
    shared.unregister(&link.name, id);
    writer.abort();
    match end {
        End::Closed(why) => tracing::info!(gateway = %link.name, why, "gateway disconnected"),
        End::Failed(why) => {
            tracing::warn!(gateway = %link.name, why = %printable(&why), "gateway connection ended")
        }
    }
}

/// Checks a CONNECT: MQTT 3.1.1, a user name and password that the store
/// knows, a client id that is the user name (or empty), an address not
/// throttled. Returns the gateway's name and credentials stamp.
async fn login(
    connect: &Connect,
    peer: SocketAddr,
    shared: &Shared,
) -> Result<(String, String), ConnectReturnCode> {
    if shared.logins.throttled(peer.ip(), Instant::now()) {
        return Err(ConnectReturnCode::NotAuthorized);
    }
    if connect.protocol != Protocol::V4 {
        return Err(ConnectReturnCode::RefusedProtocolVersion);
    }
    let Some(login) = &connect.login else {
        tracing::warn!(%peer, "MQTT login refused: no user name (anonymous clients are not allowed)");
        return refuse(peer, shared).await;
    };
    if !connect.client_id.is_empty() && connect.client_id != login.username {
        tracing::warn!(
            %peer,
            user = %printable(&login.username),
            client_id = %printable(&connect.client_id),
            "MQTT login refused: a gateway's client id must be its name"
        );
        return Err(ConnectReturnCode::BadClientId);
    }
    match shared
        .credentials
        .login(&login.username, &login.password)
        .await
    {
        Ok(Some(stamp)) => Ok((login.username.clone(), stamp)),
        Ok(None) => {
            tracing::warn!(%peer, user = %printable(&login.username), "MQTT login refused: unknown gateway or wrong password");
            refuse(peer, shared).await
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot check gateway credentials");
            Err(ConnectReturnCode::ServiceUnavailable)
        }
    }
}

/// Counts a failed login and answers it after a pause.
async fn refuse<T>(peer: SocketAddr, shared: &Shared) -> Result<T, ConnectReturnCode> {
    shared.logins.failed(peer.ip(), Instant::now());
    tokio::time::sleep(REFUSAL_DELAY).await;
    Err(ConnectReturnCode::BadUserNamePassword)
}

/// SUBACK codes: granted (at QoS 0: nothing is ever delivered) for filters
/// within the gateway's own topics, refused for the rest.
fn subscription_codes(
    subscribe: &Subscribe,
    gateway: Option<&Gateway>,
    shared: &Shared,
) -> Vec<SubscribeReasonCode> {
    subscribe
        .filters
        .iter()
        .map(|f| {
            let own = gateway.is_some_and(|g| within(&f.path, &g.topic_filters()));
            if own {
                SubscribeReasonCode::Success(QoS::AtMostOnce)
            } else {
                shared.metrics.gateway_subscriptions_refused.inc();
                SubscribeReasonCode::Failure
            }
        })
        .collect()
}

/// Whether every topic `filter` matches lies under one of `own` (filters of
/// the form `PREFIX/#` without other wildcards).
fn within(filter: &str, own: &[String]) -> bool {
    own.iter().any(|o| {
        let prefix = o.trim_end_matches('#');
        filter.starts_with(prefix) || filter == prefix.trim_end_matches('/')
    })
}

/// Reads one whole MQTT packet, refusing one larger than `max`.
async fn read_packet(
    reader: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
    max: usize,
) -> Result<Packet, End> {
    loop {
        match Packet::read(buf, max) {
            Ok(packet) => return Ok(packet),
            Err(FrameError::InsufficientBytes(_)) => {}
            Err(e) => return Err(End::Failed(format!("unreadable MQTT packet: {e}"))),
        }
        match reader.read_buf(buf).await {
            Ok(0) => return Err(End::Closed("the connection closed")),
            // A TLS peer that closes without close_notify has still closed.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(End::Closed("the connection closed"));
            }
            Ok(_) => {}
            Err(e) => return Err(End::Failed(e.to_string())),
        }
    }
}

/// `read` within `limit`, if there is one.
async fn with_timeout(
    limit: Option<Duration>,
    read: impl Future<Output = Result<Packet, End>>,
) -> Result<Packet, End> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, read)
            .await
            .unwrap_or(Err(End::Closed("silent past 1.5 times its keep-alive"))),
        None => read.await,
    }
}

/// Writes one packet and flushes.
async fn write(writer: &mut (impl AsyncWrite + Unpin), packet: Packet) -> std::io::Result<()> {
    let mut out = BytesMut::new();
    packet
        .write(&mut out, usize::MAX)
        .map_err(std::io::Error::other)?;
    writer.write_all(&out).await?;
    writer.flush().await
}

/// Writes queued packets, all that wait at once, until the session ends.
async fn write_loop(
    mut writer: impl AsyncWrite + Unpin,
    mut queued: mpsc::UnboundedReceiver<Packet>,
) {
    let mut out = BytesMut::new();
    while let Some(packet) = queued.recv().await {
        out.clear();
        let mut next = Some(packet);
        while let Some(packet) = next {
            if packet.write(&mut out, usize::MAX).is_err() {
                return;
            }
            next = queued.try_recv().ok();
        }
        if writer.write_all(&out).await.is_err() || writer.flush().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_subscribes_only_within_its_own_topics() {
        let own = vec!["caretaker/gw/#".to_owned(), "zigbee2mqtt/#".to_owned()];
        assert!(within("caretaker/gw/#", &own));
        assert!(within("caretaker/gw/commands", &own));
        assert!(within("zigbee2mqtt/bridge/request/+", &own));
        assert!(!within("#", &own));
        assert!(!within("caretaker/#", &own));
        assert!(!within("caretaker/+/readings", &own));
        assert!(!within("caretaker/gw2/readings", &own));
        assert!(!within("+/gw/readings", &own));
    }
}
