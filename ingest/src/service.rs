//! The ingest pipeline: MQTT messages → decode or quarantine → write-ahead
//! log → acknowledgement → Parquet store.
//!
//! Messages come either from gateways connected to Caretaker's own listener
//! ([`crate::listener`], which knows who sent each one and acks it directly), or
//! from a subscription on another broker: one task drives that MQTT connection
//! ([`crate::subscriber`]). The processing
//! task takes the messages that have arrived, decodes them, appends the new
//! readings to the write-ahead log and refused ones to the quarantine, fsyncs
//! both, and only then queues the messages' acks for the connection task, in
//! arrival order; acks of an earlier connection are dropped (their packet ids
//! may be reused). Buffered readings go
//! to Parquet on size or age; the log segments they came from are then deleted.
use rustc_hash::FxHashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use caretaker_core::{Event, ReadingBatch, Registry, SensorId, Timestamp};
use rumqttc::{AsyncClient, MqttOptions, Publish, QoS, Transport};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinHandle;

use crate::IngestError;
use crate::decode::{DecodeContext, decode};
use crate::health::SensorHealth;
use crate::listener::{GatewayLink, GatewayListener, ListenerSettings};
use crate::metrics::IngestMetrics;
use crate::publish::BrokerUrl;
use crate::quarantine::{Quarantine, QuarantineLimits, Recorded};
use crate::store::{FlushBatch, FlushStats, PushResult, ReadingsStore};
use crate::subscriber::{AckOutbox, Subscriber};
use crate::wal::Wal;

/// Where messages come from.
#[derive(Debug, Clone)]
pub enum MessageSource {
    /// Gateways connect to Caretaker's own MQTT listener.
    Listener(ListenerSettings),
    /// A subscription on another broker, which must hold each gateway to its
    /// own topics (the topic then says which gateway published).
    Broker(BrokerSettings),
}

/// How to subscribe to another broker.
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    /// The broker to subscribe to.
    pub url: BrokerUrl,
    /// Stable client id: the broker keeps the session (and unacked messages) under it.
    pub client_id: String,
    /// User name and password on the broker.
    pub credentials: Option<(String, String)>,
    /// CA certificate (PEM) to trust for `mqtts://`; the system's roots if unset.
    pub tls_ca: Option<Vec<u8>>,
}

/// Everything the pipeline needs to know.
#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// Where messages come from.
    pub source: MessageSource,
    /// Largest payload accepted; larger ones are quarantined.
    pub max_payload: usize,
    /// Readings older than this (before arrival) are refused.
    pub max_age: Duration,
    /// Readings newer than this (after arrival) are refused.
    pub max_future: Duration,
    /// Flush buffered readings to Parquet after this long.
    pub flush_interval: Duration,
    /// ... or once this many are buffered.
    pub flush_readings: usize,
    /// Compact a day partition once it has this many files.
    pub compact_min_files: usize,
    /// The write-ahead log folder.
    pub wal_dir: PathBuf,
    /// The Parquet readings store folder.
    pub readings_dir: PathBuf,
    /// The quarantine folder.
    pub quarantine_dir: PathBuf,
    /// How much the quarantine keeps.
    pub quarantine_limits: QuarantineLimits,
}

/// Where a message came from, and so where its ack goes.
pub(crate) enum Origin {
    /// The subscription on another broker: the connection it came on (its
    /// packet id means nothing on another).
    Broker { connection: u64 },
    /// A gateway on the embedded listener.
    Gateway {
        link: Arc<GatewayLink>,
        /// Its share of the gateway's unacknowledged messages, given back with the ack.
        _inflight: Option<OwnedSemaphorePermit>,
    },
}

/// A message as it arrived.
pub(crate) struct Arrival {
    pub origin: Origin,
    pub publish: Publish,
    pub received_at: Timestamp,
    /// The payload's share of [`MAX_WAITING_BYTES`], given back when the arrival is dropped.
    pub _budget: OwnedSemaphorePermit,
}

/// The running pipeline.
pub struct IngestService {
    shutdown: watch::Sender<bool>,
    source: SourceTask,
    processor: JoinHandle<Result<(), IngestError>>,
    metrics: Arc<IngestMetrics>,
    health_events: Option<mpsc::UnboundedReceiver<Event>>,
}

impl IngestService {
    /// Recovers what the log holds (replays it into the store), connects to
    /// the broker and starts ingesting.
    pub async fn start(
        settings: IngestSettings,
        registry: Arc<Registry>,
        metrics: Arc<IngestMetrics>,
    ) -> Result<Self, IngestError> {
        let (store, wal, quarantine) = {
            let recovery_settings = settings.clone();
            let registry = registry.clone();
            let metrics = metrics.clone();
            tokio::task::spawn_blocking(move || recover(&recovery_settings, registry, &metrics))
                .await
                .map_err(|e| IngestError::Mqtt {
                    broker: String::new(),
                    message: format!("recovery task failed: {e}"),
                })??
        };

        let (shutdown, shutdown_rx) = watch::channel(false);
        let (tx, rx) = mpsc::channel(MAX_WAITING);
        let (health_tx, health_events) = mpsc::unbounded_channel();
        let outbox = Arc::new(AckOutbox::default());
        let waiting_bytes = Arc::new(Semaphore::new(MAX_WAITING_BYTES));
        let zigbee_base_topics = registry.zigbee_base_topics();
        let source = match &settings.source {
            MessageSource::Listener(listener) => {
                // The payload limit is enforced by quarantine, visibly: let up to four
                // times as much through the connection.
                let max_packet = settings.max_payload.max(1 << 16) * 4 + 4096;
                let listener = GatewayListener::start(
                    listener.clone(),
                    registry.clone(),
                    max_packet,
                    tx,
                    waiting_bytes,
                    metrics.clone(),
                    shutdown_rx.clone(),
                )
                .await?;
                // Ingest's one link to its gateways, for the connection count.
                metrics.connections.inc();
                metrics.subscribed.set(1);
                SourceTask::Listener(listener)
            }
            MessageSource::Broker(broker) => {
                let (client, eventloop) =
                    AsyncClient::new(broker_options(broker, settings.max_payload), 4096);
                let mut topics = vec![
                    "caretaker/+/readings".to_owned(),
                    "application/+/device/+/event/+".to_owned(),
                ];
                topics.extend(zigbee_base_topics.iter().map(|b| format!("{b}/#")));
                SourceTask::Subscriber(tokio::spawn(
                    Subscriber {
                        eventloop,
                        client,
                        topics,
                        tx,
                        waiting_bytes,
                        connection: Arc::new(AtomicU64::new(0)),
                        outbox: outbox.clone(),
                        metrics: metrics.clone(),
                    }
                    .run(shutdown_rx.clone()),
                ))
            }
        };
        let registry_for_health = registry.clone();
        let processor = tokio::spawn(
            Processor {
                settings,
                registry,
                zigbee_base_topics,
                metrics: metrics.clone(),
                outbox,
                store,
                wal,
                quarantine,
                last_flush: Instant::now(),
                flushes_since_compaction: 0,
                compaction: None,
                flushing: None,
                health: SensorHealth::new(&registry_for_health, Timestamp::now()),
                last_health_check: Instant::now(),
                health_tx,
            }
            .run(rx, shutdown_rx),
        );
        Ok(Self {
            shutdown,
            source,
            processor,
            metrics,
            health_events: Some(health_events),
        })
    }

    /// Where the embedded listener listens (its port, when it was asked for port 0).
    pub fn listener_addr(&self) -> Option<SocketAddr> {
        match &self.source {
            SourceTask::Listener(listener) => Some(listener.listen),
            SourceTask::Subscriber(_) => None,
        }
    }

    /// Where the embedded listener's TLS listener listens, if there is one.
    pub fn listener_tls_addr(&self) -> Option<SocketAddr> {
        match &self.source {
            SourceTask::Listener(listener) => listener.tls_listen,
            SourceTask::Subscriber(_) => None,
        }
    }

    /// The pipeline's counters.
    pub fn metrics(&self) -> &Arc<IngestMetrics> {
        &self.metrics
    }

    /// Sensor health alarms (silent, stuck, battery low) as they are raised; once.
    pub fn take_health_events(&mut self) -> Option<mpsc::UnboundedReceiver<Event>> {
        self.health_events.take()
    }

    /// Whether the pipeline stopped by itself (an unrecoverable error).
    pub fn is_finished(&self) -> bool {
        self.processor.is_finished()
    }

    /// Stops ingesting: flushes what is buffered to Parquet and disconnects.
    pub async fn stop(self) -> Result<(), IngestError> {
        let _ = self.shutdown.send(true);
        let result = self.processor.await.unwrap_or_else(|e| {
            Err(IngestError::Mqtt {
                broker: String::new(),
                message: format!("ingest task failed: {e}"),
            })
        });
        match self.source {
            SourceTask::Listener(listener) => listener.join().await,
            SourceTask::Subscriber(task) => {
                let _ = task.await;
            }
        }
        result
    }

    /// Waits until the pipeline stops by itself, returning its error.
    pub async fn wait(&mut self) -> Result<(), IngestError> {
        (&mut self.processor).await.unwrap_or_else(|e| {
            Err(IngestError::Mqtt {
                broker: String::new(),
                message: format!("ingest task failed: {e}"),
            })
        })
    }
}

/// The task that brings messages in.
enum SourceTask {
    Listener(GatewayListener),
    Subscriber(JoinHandle<()>),
}

/// The MQTT client options of ingest's subscription on another broker: a
/// persistent session, manual acks.
fn broker_options(broker: &BrokerSettings, max_payload: usize) -> MqttOptions {
    let mut options = MqttOptions::new(
        broker.client_id.clone(),
        broker.url.host.clone(),
        broker.url.port,
    );
    options
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(Duration::from_secs(15))
        .set_max_packet_size(max_payload.max(1 << 16) * 4 + 4096, 1 << 20)
        .set_inflight(1000);
    if let Some((user, password)) = &broker.credentials {
        options.set_credentials(user, password);
    }
    if broker.url.tls {
        options.set_transport(match &broker.tls_ca {
            Some(ca) => Transport::tls(ca.clone(), None, None),
            None => Transport::tls_with_default_config(),
        });
    }
    options
}

/// Cleans the store, replays the log into it and flushes, so that every
/// reading acknowledged before a crash is in Parquet before new ones arrive.
fn recover(
    settings: &IngestSettings,
    registry: Arc<Registry>,
    metrics: &IngestMetrics,
) -> Result<(ReadingsStore, Wal, Quarantine), IngestError> {
    let mut store = ReadingsStore::open(&settings.readings_dir, registry.clone())?;
    let mut wal = Wal::open(&settings.wal_dir)?;
    wal.time_fsyncs(metrics.wal_fsync_duration());
    let replayed = Wal::replay(&settings.wal_dir, wal.current_segment())?;
    let mut unknown = 0usize;
    let mut new = 0usize;
    for r in &replayed {
        let Some(index) = SensorId::parse(&r.sensor)
            .ok()
            .and_then(|id| registry.sensor_index(&id))
        else {
            unknown += 1;
            continue;
        };
        if store.push(index as u32, r.ts_ms, r.value)? == PushResult::New {
            new += 1;
        }
    }
    if !replayed.is_empty() {
        let stats = store.flush()?;
        metrics.flushed(stats.seconds);
        tracing::info!(
            replayed = replayed.len(),
            restored = new,
            unknown_sensors = unknown,
            "write-ahead log replayed into the store"
        );
    }
    wal.remove_through(wal.current_segment() - 1)?;
    metrics.wal_bytes.set(wal.size_bytes());
    let quarantine = Quarantine::open(&settings.quarantine_dir, settings.quarantine_limits)?;
    Ok((store, wal, quarantine))
}

/// A flush in progress: the batch being written and the log segment it closed.
struct Flushing {
    task: tokio::task::JoinHandle<(FlushBatch, Result<FlushStats, IngestError>)>,
    closed: u64,
}

struct Processor {
    settings: IngestSettings,
    registry: Arc<Registry>,
    /// The Zigbee2MQTT base topics of the registry's bridges.
    zigbee_base_topics: Vec<String>,
    metrics: Arc<IngestMetrics>,
    /// Where acks of durable messages go to the connection task.
    outbox: Arc<AckOutbox>,
    store: ReadingsStore,
    wal: Wal,
    quarantine: Quarantine,
    last_flush: Instant,
    flushes_since_compaction: u32,
    /// The background compaction, while one runs.
    compaction: Option<tokio::task::JoinHandle<Result<usize, IngestError>>>,
    /// The flush writing Parquet on a blocking thread, while one runs.
    flushing: Option<Flushing>,
    health: SensorHealth,
    last_health_check: Instant,
    health_tx: mpsc::UnboundedSender<Event>,
}

/// Most messages handled between two fsyncs.
const MAX_GROUP: usize = 8192;

/// Most payload bytes handled between two fsyncs (bounds the memory a group's
/// decoded readings and log record take, whatever the readings per message).
const MAX_GROUP_BYTES: usize = 2 << 20;

/// Messages received and waiting for the processor, at most (two full groups).
const MAX_WAITING: usize = 2 * MAX_GROUP;

/// Payload bytes received and waiting for the processor, at most.
pub(crate) const MAX_WAITING_BYTES: usize = 2 * MAX_GROUP_BYTES;

/// How often sensor health is checked.
const HEALTH_CHECK_EVERY: Duration = Duration::from_secs(60);

impl Processor {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Arrival>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), IngestError> {
        let mut group = Vec::with_capacity(MAX_GROUP);
        let mut batch = ReadingBatch::default();
        loop {
            let until_flush = self
                .settings
                .flush_interval
                .saturating_sub(self.last_flush.elapsed());
            tokio::select! {
                _ = shutdown.changed() => break,
                first = rx.recv() => match first {
                    Some(a) => group.push(a),
                    None => break,
                },
                _ = tokio::time::sleep(until_flush) => {}
            }
            let mut group_bytes: usize = group.iter().map(|a| a.publish.payload.len()).sum();
            while group.len() < MAX_GROUP && group_bytes < MAX_GROUP_BYTES {
                match rx.try_recv() {
                    Ok(a) => {
                        group_bytes += a.publish.payload.len();
                        group.push(a);
                    }
                    Err(_) => break,
                }
            }
            self.metrics.messages_waiting.set(rx.len() as u64);
            if !group.is_empty() {
                // Nothing is acknowledged until it is durable: on a write error
                // (a full disk...) keep the group and retry until it succeeds.
                while let Err(e) = self.process(&group, &mut batch) {
                    self.metrics.write_errors.inc();
                    tracing::error!(error = %e, "cannot make readings durable; retrying, nothing acknowledged");
                    tokio::select! {
                        _ = shutdown.changed() => return self.flush_all().await,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
                self.acknowledge(&mut group);
            }
            if self.flushing.as_ref().is_some_and(|f| f.task.is_finished())
                && let Err(e) = self.finish_flush().await
            {
                self.metrics.write_errors.inc();
                tracing::error!(error = %e, "cannot flush to Parquet; the log keeps the readings, retrying");
            }
            if self.store.pending() >= self.settings.flush_readings
                || (self.last_flush.elapsed() >= self.settings.flush_interval
                    && self.store.pending() > 0)
            {
                if let Err(e) = self.start_flush().await {
                    self.metrics.write_errors.inc();
                    tracing::error!(error = %e, "cannot flush to Parquet; the log keeps the readings, retrying");
                }
            } else if self.store.pending() == 0 {
                self.last_flush = Instant::now();
            }
            self.compact_in_background().await;
            if self.last_health_check.elapsed() >= HEALTH_CHECK_EVERY {
                self.last_health_check = Instant::now();
                for event in self.health.check(&self.registry, Timestamp::now()) {
                    tracing::warn!(equipment = %event.equipment, "{}", event.description);
                    let _ = self.health_tx.send(event);
                }
            }
        }
        // Messages received but not processed are not acknowledged: the broker redelivers them.
        let flushed = self.flush_all().await;
        self.finish_compaction().await;
        flushed
    }

    /// Decodes a group of messages, logs new readings and refusals, and makes
    /// both durable. On error nothing is counted and the group can be retried.
    fn process(&mut self, group: &[Arrival], batch: &mut ReadingBatch) -> Result<(), IngestError> {
        let max_age_ms = self.settings.max_age.as_millis() as i64;
        let max_future_ms = self.settings.max_future.as_millis() as i64;
        batch.clear();
        let mut refused = Vec::new();
        let mut ignored = 0u64;
        for (index, a) in group.iter().enumerate() {
            let ctx = DecodeContext {
                registry: &self.registry,
                received_at: a.received_at,
                max_age_ms,
                max_future_ms,
                max_payload: self.settings.max_payload,
                zigbee_base_topics: &self.zigbee_base_topics,
                publisher: match &a.origin {
                    Origin::Gateway { link, .. } => Some(link.name.as_str()),
                    Origin::Broker { .. } => None,
                },
            };
            let verdict = decode(&a.publish.topic, &a.publish.payload, &ctx, batch);
            ignored += u64::from(verdict.ignored.is_some());
            refused.extend(verdict.rejected.into_iter().map(|r| (index, r)));
        }

        // Which readings are new: nothing changes until they are durable in the log.
        let mut fresh = ReadingBatch::with_capacity(batch.len());
        let mut in_group: FxHashMap<(u32, i64), u64> = FxHashMap::default();
        let (mut duplicates, mut conflicts) = (0u64, 0u64);
        for i in 0..batch.len() {
            let (sensor, ts, value) = (batch.sensors()[i], batch.ts_ms()[i], batch.values()[i]);
            let result = match in_group.get(&(sensor, ts)) {
                Some(&bits) if bits == value.to_bits() => PushResult::Duplicate,
                Some(&kept_bits) => PushResult::Conflict { kept_bits },
                None => self.store.check(sensor, ts, value)?,
            };
            match result {
                PushResult::New => {
                    in_group.insert((sensor, ts), value.to_bits());
                    fresh.push_from(batch, i);
                }
                PushResult::Duplicate => duplicates += 1,
                PushResult::Conflict { kept_bits } => {
                    conflicts += 1;
                    tracing::debug!(
                        sensor = %self.registry.sensors()[sensor as usize].id,
                        ts,
                        kept = f64::from_bits(kept_bits),
                        refused = value,
                        "conflicting value for a stored reading: the first value stays"
                    );
                }
            }
        }
        if !fresh.is_empty() {
            let sensors = self.registry.sensors();
            self.wal.append(fresh.iter().map(|r| {
                (
                    sensors[r.sensor as usize].id.as_str(),
                    r.ts.millis(),
                    r.value,
                )
            }))?;
            self.wal.sync()?;
            for r in fresh.iter() {
                self.store.insert(r.sensor, r.ts.millis(), r.value)?;
                self.health.observe(r.sensor, r.ts.millis(), r.value);
            }
        }
        let mut dropped = 0u64;
        for (index, rejection) in &refused {
            let a = &group[*index];
            let gateway = match &a.origin {
                Origin::Gateway { link, .. } => Some(link.name.as_str()),
                Origin::Broker { .. } => None,
            };
            let recorded = self.quarantine.record(
                a.received_at,
                &a.publish.topic,
                gateway,
                &a.publish.payload,
                rejection,
            )?;
            dropped += u64::from(recorded == Recorded::Dropped);
        }
        self.quarantine.sync()?;

        let m = &self.metrics;
        for (index, rejection) in &refused {
            m.quarantined(rejection.reason);
            if let Some(gateway) = self.sender(&group[*index]) {
                m.gateways
                    .refused(gateway, rejection.reason, group[*index].received_at);
            }
        }
        for a in group.iter() {
            if let Some(gateway) = self.sender(a) {
                m.gateways.message(gateway, a.received_at);
            }
        }
        if let Some(newest) = fresh.ts_ms().iter().max() {
            m.stored_reading_at(*newest);
        }
        m.messages_ignored.inc_by(ignored);
        m.quarantine_dropped.inc_by(dropped);
        m.readings_stored.inc_by(fresh.len() as u64);
        m.readings_duplicate.inc_by(duplicates);
        m.readings_conflict.inc_by(conflicts);
        m.wal_bytes.set(self.wal.size_bytes());
        m.readings_buffered.set(self.store.pending() as u64);
        m.dedup_keys_cached.set(self.store.cached_keys() as u64);
        Ok(())
    }

    /// The gateway that sent a message: the one logged in on the embedded
    /// listener, or for a broker's message the gateway whose topics it is on.
    fn sender<'a>(&'a self, a: &'a Arrival) -> Option<&'a str> {
        match &a.origin {
            Origin::Gateway { link, .. } => Some(link.name.as_str()),
            Origin::Broker { .. } => self
                .registry
                .gateway_for_topic(&a.publish.topic)
                .map(|g| g.name.as_str()),
        }
    }

    /// Queues the acknowledgements of a processed group, in arrival order, for
    /// the connection task to write.
    fn acknowledge(&mut self, group: &mut Vec<Arrival>) {
        let mut sent = 0u64;
        for a in group.iter() {
            if let Origin::Gateway { link, .. } = &a.origin
                && a.publish.qos != QoS::AtMostOnce
                && link.acknowledge(&a.publish)
            {
                sent += 1;
            }
        }
        if sent > 0 {
            self.metrics.messages_acked.inc_by(sent);
            if let Some(last) = group.last() {
                let lag_ms = Timestamp::now().millis() - last.received_at.millis();
                self.metrics.ack_lag_seconds.set(lag_ms.max(0) as f64 / 1e3);
            }
        }
        let from_broker = group.iter().filter_map(|a| match a.origin {
            Origin::Broker { connection } => Some((connection, &a.publish, a.received_at)),
            Origin::Gateway { .. } => None,
        });
        let waiting = self.outbox.push_group(from_broker);
        self.metrics.acks_waiting.set(waiting as u64);
        group.clear();
    }

    /// Starts writing the buffered readings to Parquet on a blocking thread (after
    /// the previous flush ended), so that decoding and acknowledging go on meanwhile.
    /// The log is rotated first; its segments are dropped once the files are renamed.
    async fn start_flush(&mut self) -> Result<(), IngestError> {
        self.finish_flush().await?;
        self.last_flush = Instant::now();
        if self.store.pending() == 0 {
            return Ok(());
        }
        let closed = self.wal.rotate()?;
        let mut batch = self.store.take_pending();
        self.metrics.readings_buffered.set(0);
        let task = tokio::task::spawn_blocking(move || {
            let result = batch.write();
            caretaker_core::memory::release_freed_memory();
            (batch, result)
        });
        self.flushing = Some(Flushing { task, closed });
        Ok(())
    }

    /// Waits for the running flush, if any: on success drops the log segments it
    /// covered; on failure its readings are buffered again (still in the log).
    async fn finish_flush(&mut self) -> Result<(), IngestError> {
        let Some(Flushing { task, closed }) = self.flushing.take() else {
            return Ok(());
        };
        let (batch, result) = task.await.map_err(|e| IngestError::Io {
            path: self.store.root().to_owned(),
            source: std::io::Error::other(format!("flush task failed: {e}")),
        })?;
        self.store.flushed(batch);
        self.metrics
            .readings_buffered
            .set(self.store.pending() as u64);
        let stats = result?;
        self.wal.remove_through(closed)?;
        self.metrics.flushed(stats.seconds);
        self.metrics.wal_bytes.set(self.wal.size_bytes());
        tracing::debug!(
            readings = stats.readings,
            files = stats.files,
            seconds = stats.seconds,
            "flushed to Parquet"
        );
        self.flushes_since_compaction += 1;
        Ok(())
    }

    /// Writes everything buffered and waits until it is in Parquet.
    async fn flush_all(&mut self) -> Result<(), IngestError> {
        self.start_flush().await?;
        self.finish_flush().await
    }

    /// Every tenth flush, starts merging small files on a blocking thread unless a
    /// merge still runs; reports one that ended.
    async fn compact_in_background(&mut self) {
        if self
            .compaction
            .as_ref()
            .is_some_and(|task| task.is_finished())
        {
            self.finish_compaction().await;
        }
        if self.compaction.is_none() && self.flushes_since_compaction >= 10 {
            self.flushes_since_compaction = 0;
            let root = self.store.root().to_owned();
            let min_files = self.settings.compact_min_files;
            self.compaction = Some(tokio::task::spawn_blocking(move || {
                crate::store::compact_days(&root, min_files)
            }));
        }
    }

    /// Waits for the running compaction, if any, and logs how it ended.
    async fn finish_compaction(&mut self) {
        let Some(task) = self.compaction.take() else {
            return;
        };
        match task.await {
            Ok(Ok(0)) => {}
            Ok(Ok(days)) => tracing::info!(days, "compacted small files"),
            Ok(Err(e)) => tracing::warn!(error = %e, "compaction failed; the small files stay"),
            Err(e) => tracing::warn!(error = %e, "compaction task failed"),
        }
    }
}
