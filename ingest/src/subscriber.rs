//! The task that drives the MQTT connection: it hands arriving messages to the
//! processor and writes the acknowledgements the processor queues once their
//! readings are durable.
//!
//! Acks are written straight to the connection, all that wait at once and one
//! flush for them, instead of one request per event-loop turn through the
//! client's request queue: that queue lets the event loop read ten messages
//! for every ack it sends, so a broker that does not hold its in-flight window
//! (Mosquitto 2.0 releases a whole window per ack while it drains a persistent
//! session's backlog) could make acks pile up without bound.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use caretaker_core::Timestamp;
use rumqttc::{
    AsyncClient, Event as MqttEvent, EventLoop, Packet, PubAck, PubRec, Publish, QoS, Request,
    StateError,
};
use tokio::sync::{Notify, Semaphore, mpsc, watch};

use crate::ack_queue::AckQueue;
use crate::metrics::IngestMetrics;
use crate::service::{Arrival, MAX_WAITING_BYTES, Origin};

/// Acks of durable messages, queued by the processor and written by the
/// connection task.
#[derive(Default)]
pub(crate) struct AckOutbox {
    queue: Mutex<AckQueue>,
    ready: Notify,
}

impl AckOutbox {
    /// Queues the acks of a processed group (messages in arrival order, with the
    /// connection each came on) and wakes the connection task.
    /// Returns how many acks wait.
    pub(crate) fn push_group<'a>(
        &self,
        group: impl IntoIterator<Item = (u64, &'a Publish, Timestamp)>,
    ) -> usize {
        let waiting = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            let mut last = None;
            for (connection, publish, received_at) in group {
                queue.push(connection, publish);
                last = Some(received_at);
            }
            if let Some(received_at) = last {
                queue.end_group(received_at);
            }
            queue.len()
        };
        self.ready.notify_one();
        waiting
    }
}

/// How long writing acks may take before the connection is given up as stuck.
const ACK_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The connection to the broker and what its task shares with the processor.
pub(crate) struct Subscriber {
    pub eventloop: EventLoop,
    pub client: AsyncClient,
    /// Topic filters subscribed to on every connection.
    pub topics: Vec<String>,
    /// Where arriving messages go.
    pub tx: mpsc::Sender<Arrival>,
    /// Payload bytes that may wait for the processor (shared with nothing else).
    pub waiting_bytes: Arc<Semaphore>,
    /// The number of the current connection (1 for the first).
    pub connection: Arc<AtomicU64>,
    pub outbox: Arc<AckOutbox>,
    pub metrics: Arc<IngestMetrics>,
}

impl Subscriber {
    /// Drives the connection until shutdown: reconnects with back-off, subscribes on
    /// every connection, waits for room in the arrival queue before taking the next
    /// message (so TCP pushes back on the broker) and writes queued acks between turns.
    pub(crate) async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let Self {
            mut eventloop,
            client,
            topics,
            tx,
            waiting_bytes,
            connection,
            outbox,
            metrics,
        } = self;
        let mut backoff = Duration::from_millis(100);
        // SUBACKs still awaited on this connection: once none, ingest hears everything.
        let mut subacks_due = usize::MAX;
        let mut acks = Vec::new();
        loop {
            let current = connection.load(Ordering::SeqCst);
            if let Err(e) = write_acks(&mut eventloop, &outbox, current, &metrics, &mut acks).await
            {
                // The broker redelivers the messages whose acks were lost.
                tracing::warn!(error = %e, "cannot acknowledge; reconnecting");
                eventloop.clean();
            }
            let connected = eventloop.network.is_some();
            let event = tokio::select! {
                _ = shutdown.changed() => break,
                // New acks interrupt a wait for the broker. The event loop waits for
                // whole packets (a frame read so far stays in its buffer), so dropping
                // the wait loses nothing.
                _ = outbox.ready.notified(), if connected => continue,
                event = eventloop.poll() => event,
            };
            match event {
                Ok(MqttEvent::Incoming(Packet::ConnAck(ack))) => {
                    let n = connection.fetch_add(1, Ordering::SeqCst) + 1;
                    metrics.connections.inc();
                    backoff = Duration::from_millis(100);
                    tracing::info!(
                        connection = n,
                        session_present = ack.session_present,
                        "connected to the MQTT broker"
                    );
                    // rumqttc does not restore subscriptions: subscribe on every connection.
                    subacks_due = topics.len();
                    metrics.subscribed.set(0);
                    for topic in &topics {
                        if let Err(e) = client.try_subscribe(topic.clone(), QoS::AtLeastOnce) {
                            tracing::error!(%topic, error = %e, "cannot subscribe");
                        }
                    }
                }
                Ok(MqttEvent::Incoming(Packet::Publish(publish))) => {
                    metrics.messages_received.inc();
                    // A full queue (in messages or bytes) stops reading from the broker
                    // (TCP pushes back) until the processor catches up, so memory stays
                    // bounded whatever the broker sends at once.
                    let bytes = publish.payload.len().clamp(1, MAX_WAITING_BYTES) as u32;
                    let budget = tokio::select! {
                        _ = shutdown.changed() => break,
                        permit = waiting_bytes.clone().acquire_many_owned(bytes) => match permit {
                            Ok(permit) => permit,
                            Err(_) => break,
                        },
                    };
                    let arrival = Arrival {
                        origin: Origin::Broker {
                            connection: connection.load(Ordering::SeqCst),
                        },
                        publish,
                        received_at: Timestamp::now(),
                        _budget: budget,
                    };
                    tokio::select! {
                        _ = shutdown.changed() => break,
                        sent = tx.send(arrival) => if sent.is_err() { break },
                    }
                }
                Ok(MqttEvent::Incoming(Packet::SubAck(_))) => {
                    subacks_due = subacks_due.saturating_sub(1);
                    if subacks_due == 0 {
                        metrics.subscribed.set(1);
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    metrics.subscribed.set(0);
                    tracing::warn!(error = %e, retry_in = ?backoff, "MQTT connection lost");
                    tokio::select! {
                        _ = shutdown.changed() => break,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        let _ = client.try_disconnect();
    }
}

/// Writes every queued ack of the `current` connection, in order, with one flush.
/// Without a connection they stay queued (a new connection then drops them).
async fn write_acks(
    eventloop: &mut EventLoop,
    outbox: &AckOutbox,
    current: u64,
    metrics: &IngestMetrics,
    acks: &mut Vec<(u16, QoS)>,
) -> Result<(), StateError> {
    let state = &mut eventloop.state;
    let Some(network) = eventloop.network.as_mut() else {
        return Ok(());
    };
    acks.clear();
    let lag = {
        let mut queue = outbox.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.is_empty() {
            return Ok(());
        }
        let (_, lag) = queue.send(current, |publish| {
            acks.push((publish.pkid, publish.qos));
            true
        });
        lag
    };
    let written = async {
        for &(pkid, qos) in acks.iter() {
            match qos {
                QoS::AtLeastOnce => network.write(Packet::PubAck(PubAck::new(pkid))).await?,
                // Through the state, which tracks the exchange's second half.
                QoS::ExactlyOnce => {
                    let request = Request::PubRec(PubRec::new(pkid));
                    if let Some(packet) = state.handle_outgoing_packet(request)? {
                        network.write(packet).await?;
                    }
                }
                QoS::AtMostOnce => {}
            }
        }
        network.flush().await
    };
    match tokio::time::timeout(ACK_WRITE_TIMEOUT, written).await {
        Ok(result) => result?,
        Err(_) => return Err(StateError::Io(std::io::ErrorKind::TimedOut.into())),
    }
    metrics.messages_acked.inc_by(acks.len() as u64);
    metrics.acks_waiting.set(0);
    if let Some(lag_ms) = lag {
        metrics.ack_lag_seconds.set(lag_ms.max(0) as f64 / 1e3);
    }
    Ok(())
}
