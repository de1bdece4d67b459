//! `caretaker ingest`: the ingest pipeline on its own, with the embedded broker unless told otherwise.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use caretaker_data::{Store, new_secret, secret_matches};
use caretaker_ingest::broker::{AuthCheck, EmbeddedBroker};
use caretaker_ingest::metrics::IngestMetrics;
use caretaker_ingest::publish::BrokerUrl;
use caretaker_ingest::service::{IngestService, IngestSettings};

use crate::cli::IngestArgs;
use crate::config::Config;
use crate::context::Context;

/// The user name Caretaker's own subscriber uses on the embedded broker.
const INTERNAL_USER: &str = "caretaker-ingest";

pub async fn run(config: &Config, args: IngestArgs) -> anyhow::Result<()> {
    let ctx = Context::open(config).await?;
    let metrics = Arc::new(IngestMetrics::default());
    let mut service = start(config, &ctx, args.broker.as_deref(), metrics.clone()).await?;
    if let Some(mut health) = service.take_health_events() {
        // Sensor health alarms become events the ranking can use.
        let store = ctx.store.clone();
        tokio::spawn(async move {
            while let Some(event) = health.recv().await {
                if let Err(e) = store.insert_events(&[event], "ingest:sensor-health").await {
                    tracing::error!(error = %e, "cannot record a sensor health event");
                }
            }
        });
    }
    let listen = args
        .metrics_listen
        .unwrap_or_else(|| config.ingest.metrics_listen.clone());
    if !listen.is_empty() {
        let addr: SocketAddr = listen
            .parse()
            .with_context(|| format!("metrics address {listen:?}"))?;
        let bound = caretaker_api::serve_metrics(addr, metrics.clone())
            .await
            .with_context(|| format!("cannot serve /metrics on {addr}"))?;
        println!("metrics: http://{bound}/metrics");
    }
    println!("ingesting; Ctrl-C stops");
    wait_for_stop().await;
    println!("stopping: flushing buffered readings");
    service.stop().await?;
    Ok(())
}

/// Starts the embedded broker (unless `broker` or the configuration names
/// another) and the ingest pipeline on it.
pub async fn start(
    config: &Config,
    ctx: &Context,
    broker: Option<&str>,
    metrics: Arc<IngestMetrics>,
) -> anyhow::Result<IngestService> {
    let external = broker
        .map(str::to_owned)
        .or_else(|| config.mqtt.broker.clone());
    let (url, credentials) = match external {
        Some(url) => (BrokerUrl::parse(&url)?, config.mqtt.credentials()),
        None => {
            let listen: SocketAddr = config.mqtt.embedded_listen.parse().with_context(|| {
                format!("mqtt.embedded_listen {:?}", config.mqtt.embedded_listen)
            })?;
            let internal_password = new_secret();
            let auth = gateway_auth(ctx.store.clone(), internal_password.clone());
            // Let oversize payloads through to Caretaker, which quarantines them visibly.
            let broker =
                EmbeddedBroker::start(listen, auth, config.ingest.max_payload_bytes * 4 + 4096)?;
            (
                BrokerUrl::parse(&format!("mqtt://{}", broker.listen))?,
                Some((INTERNAL_USER.to_owned(), internal_password)),
            )
        }
    };
    let tls_ca = match &config.mqtt.ca_file {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
        }
        None => None,
    };
    let settings = IngestSettings {
        broker: url.clone(),
        client_id: config.mqtt.client_id.clone(),
        credentials,
        tls_ca,
        zigbee_base_topics: config.ingest.zigbee_base_topics.clone(),
        max_payload: config.ingest.max_payload_bytes,
        max_age: Duration::from_secs(u64::from(config.ingest.max_age_days) * 86_400),
        max_future: Duration::from_secs(u64::from(config.ingest.max_future_s)),
        flush_interval: Duration::from_secs_f64(config.ingest.flush_interval_s),
        flush_readings: config.ingest.flush_readings,
        compact_min_files: config.ingest.compact_min_files,
        wal_dir: ctx.data.wal_dir(),
        readings_dir: ctx.data.readings_dir(),
        quarantine_dir: ctx.data.quarantine_dir(),
    };
    let service = IngestService::start(settings, Arc::new(ctx.registry.clone()), metrics).await?;
    tracing::info!(broker = %url, "ingest started");
    Ok(service)
}

/// Gateways authenticate with the credentials `caretaker gateway add` issued;
/// Caretaker's own subscriber with a secret made for this run.
fn gateway_auth(store: Store, internal_password: String) -> AuthCheck {
    Arc::new(move |user: String, password: String| {
        let store = store.clone();
        let internal_password = internal_password.clone();
        Box::pin(async move {
            if user == INTERNAL_USER {
                return password == internal_password;
            }
            match store.gateway_password_hash(&user).await {
                Ok(Some(hash)) => secret_matches(&password, &hash),
                Ok(None) => {
                    tracing::warn!(%user, "MQTT connection refused: unknown gateway");
                    false
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot check gateway credentials");
                    false
                }
            }
        })
    })
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler installs");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
