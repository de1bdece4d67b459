//! `caretaker ingest`: the ingest pipeline on its own, with the embedded listener unless told otherwise.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use caretaker_data::{Store, secret_matches};
use caretaker_ingest::listener::{
    CredentialsFuture, GatewayCredentials, ListenerSettings, TlsListen,
};
use caretaker_ingest::metrics::IngestMetrics;
use caretaker_ingest::publish::BrokerUrl;
use caretaker_ingest::quarantine::QuarantineLimits;
use caretaker_ingest::service::{BrokerSettings, IngestService, IngestSettings, MessageSource};

use crate::cli::IngestArgs;
use crate::config::Config;
use crate::context::Context;

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
        let token = config
            .api
            .metrics_token
            .clone()
            .map(caretaker_api::auth::MetricsToken::new);
        let bound = caretaker_api::serve_metrics(addr, metrics.clone(), token)
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

/// Starts the ingest pipeline on the embedded listener (unless `broker` or the
/// configuration names another broker).
pub async fn start(
    config: &Config,
    ctx: &Context,
    broker: Option<&str>,
    metrics: Arc<IngestMetrics>,
) -> anyhow::Result<IngestService> {
    let external = broker
        .map(str::to_owned)
        .or_else(|| config.mqtt.broker.clone());
    let source = match external {
        Some(url) => MessageSource::Broker(BrokerSettings {
            url: BrokerUrl::parse(&url)?,
            client_id: config.mqtt.client_id.clone(),
            credentials: config.mqtt.credentials(),
            tls_ca: match &config.mqtt.ca_file {
                Some(path) => Some(
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
                ),
                None => None,
            },
        }),
        None => MessageSource::Listener(ListenerSettings {
            listen: config.mqtt.embedded_listen.parse().with_context(|| {
                format!("mqtt.embedded_listen {:?}", config.mqtt.embedded_listen)
            })?,
            credentials: Arc::new(StoreCredentials(ctx.store.clone())),
            tls: match &config.mqtt.embedded_tls_listen {
                Some(listen) => Some(TlsListen {
                    listen: listen
                        .parse()
                        .with_context(|| format!("mqtt.embedded_tls_listen {listen:?}"))?,
                    config: {
                        let (cert, key) = config.tls_files();
                        crate::tls::server_config(&cert, &key, &[])?
                    },
                }),
                None => None,
            },
        }),
    };
    let settings = IngestSettings {
        source,
        max_payload: config.ingest.max_payload_bytes,
        max_age: Duration::from_secs(u64::from(config.ingest.max_age_days) * 86_400),
        max_future: Duration::from_secs(u64::from(config.ingest.max_future_s)),
        flush_interval: Duration::from_secs_f64(config.ingest.flush_interval_s),
        flush_readings: config.ingest.flush_readings,
        compact_min_files: config.ingest.compact_min_files,
        wal_dir: ctx.data.wal_dir(),
        readings_dir: ctx.data.readings_dir(),
        quarantine_dir: ctx.data.quarantine_dir(),
        quarantine_limits: QuarantineLimits {
            max_bytes_per_day: config
                .ingest
                .quarantine_max_mb_per_day
                .saturating_mul(1 << 20),
            keep_days: config.ingest.quarantine_keep_days,
        },
    };
    let service = IngestService::start(settings, Arc::new(ctx.registry.clone()), metrics).await?;
    match service.listener_addr() {
        Some(listen) => tracing::info!(%listen, "ingest started; gateways log in here"),
        None => tracing::info!("ingest started on the configured broker"),
    }
    if let Some(listen) = service.listener_tls_addr() {
        tracing::info!(%listen, "gateways log in over TLS here");
    }
    keep_aggregates_up_to_date(
        ctx.data.clone(),
        Duration::from_secs_f64(config.ingest.aggregates_refresh_s),
    );
    Ok(service)
}

/// Refreshes the daily aggregates every `period` while the process runs
/// (`ingest.aggregates_refresh_s`): only the days flushed since are recomputed
/// (today's, and any late one).
fn keep_aggregates_up_to_date(data: caretaker_data::DataDir, period: Duration) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            every.tick().await;
            let data = data.clone();
            match tokio::task::spawn_blocking(move || super::aggregates::refresh(&data)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "daily aggregates not refreshed"),
                Err(e) => tracing::warn!(error = %e, "daily aggregates refresh stopped"),
            }
        }
    });
}

/// Gateways' credentials as `caretaker gateway add|rotate|revoke` keep them in
/// the operational store; a credentials stamp is the password hash.
struct StoreCredentials(Store);

impl GatewayCredentials for StoreCredentials {
    fn login(
        &self,
        name: &str,
        password: &str,
    ) -> CredentialsFuture<'_, Result<Option<String>, String>> {
        let (name, password) = (name.to_owned(), password.to_owned());
        Box::pin(async move {
            match self.0.gateway_password_hash(&name).await {
                Ok(Some(hash)) if secret_matches(&password, &hash) => Ok(Some(hash)),
                Ok(_) => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    fn active(&self) -> CredentialsFuture<'_, Result<HashMap<String, String>, String>> {
        Box::pin(async move {
            self.0
                .gateway_password_hashes()
                .await
                .map_err(|e| e.to_string())
        })
    }
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
