//! `caretaker serve`: ingest, periodic scoring and the HTTP API in one process.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use caretaker_api::AppState;
use caretaker_api::auth::MetricsToken;
use caretaker_api::board;
use caretaker_core::Timestamp;
use caretaker_data::DataDir;
use caretaker_ingest::metrics::IngestMetrics;
use caretaker_ingest::service::IngestService;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cli::ServeArgs;
use crate::commands::forecast::score_at;
use crate::commands::ingest::{self, wait_for_stop};
use crate::config::Config;
use crate::context::Context;

pub async fn run(config: &Config, args: ServeArgs) -> anyhow::Result<()> {
    let ctx = Context::open(config).await?;
    let listen = args.listen.unwrap_or_else(|| config.api.listen.clone());
    let every = args
        .score_every
        .unwrap_or(Duration::from_secs(config.api.score_every_s));
    let services = Services::start(config, &ctx, &listen, args.broker.as_deref(), every).await?;
    let base = services.base_url();
    println!("API: {base}/api/v1 (OpenAPI: /api/v1/openapi.json)");
    println!("health: {base}/health   metrics: {base}/metrics");
    if services.tls {
        let (cert, _) = config.tls_files();
        println!("HTTPS with {}", cert.display());
    }
    println!("serving; Ctrl-C stops");
    wait_for_stop().await;
    services.stop().await
}

/// Ingest, the API and the scoring loop, running.
pub struct Services {
    /// Where the API listens.
    pub api: SocketAddr,
    /// Whether the API serves HTTPS.
    pub tls: bool,
    /// The API's state (the risk board...).
    pub state: Arc<AppState>,
    ingest: IngestService,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    scoring: JoinHandle<()>,
}

impl Services {
    /// Starts ingest (embedded listener unless `broker` names one), the API on
    /// `listen`, and scoring every `every` (the first at once).
    pub async fn start(
        config: &Config,
        ctx: &Context,
        listen: &str,
        broker: Option<&str>,
        every: Duration,
    ) -> anyhow::Result<Self> {
        let addr: SocketAddr = listen
            .parse()
            .with_context(|| format!("API address {listen:?} (expected HOST:PORT)"))?;
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!("cannot listen on {addr}: is another Caretaker running? Use --listen HOST:PORT")
        })?;
        let api = listener.local_addr()?;
        let tls = match config.api.tls {
            true => {
                let (cert, key) = config.tls_files();
                Some(crate::tls::server_config(&cert, &key, &[b"http/1.1"])?)
            }
            false => None,
        };
        let metrics = Arc::new(IngestMetrics::default());
        let mut ingest = ingest::start(config, ctx, broker, metrics.clone()).await?;
        let mut state = AppState::new(
            ctx.store.clone(),
            Arc::new(ctx.registry.clone()),
            ctx.data.readings_dir(),
        );
        state.ingest_metrics = Some(metrics);
        state.limits = config.api.limits();
        state.models_dir = Some(ctx.data.models_dir());
        // Over HTTPS the session cookie is marked Secure (never sent in clear).
        state.secure_cookies = config.api.tls;
        state.metrics_token = config.api.metrics_token.clone().map(MetricsToken::new);
        let state = Arc::new(state);
        if let Some(mut health) = ingest.take_health_events() {
            // Sensor health alarms become events the ranking weighs.
            let store = ctx.store.clone();
            tokio::spawn(async move {
                while let Some(event) = health.recv().await {
                    if let Err(e) = store.insert_events(&[event], "ingest:sensor-health").await {
                        tracing::error!(error = %e, "cannot record a sensor health event");
                    }
                }
            });
        }
        let (stop, stopped) = watch::channel(false);
        let mut server_stop = stopped.clone();
        let https = tls.is_some();
        let server = tokio::spawn(caretaker_api::serve(
            listener,
            state.clone(),
            tls,
            async move {
                let _ = server_stop.wait_for(|s| *s).await;
            },
        ));
        let scoring = tokio::spawn(scoring_loop(
            ctx.data.clone(),
            state.clone(),
            every,
            stopped,
        ));
        Ok(Self {
            api,
            tls: https,
            state,
            ingest,
            stop,
            server,
            scoring,
        })
    }

    /// The API's base URL (`https://` when it serves TLS).
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.api)
    }

    /// Stops the API and scoring, then ingest (flushing what it holds).
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        let _ = self.scoring.await;
        self.ingest.stop().await?;
        Ok(())
    }
}

/// Scores every piece of equipment now and every `every`, and refreshes the board.
async fn scoring_loop(
    data: DataDir,
    state: Arc<AppState>,
    every: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut warned = false;
    loop {
        let at = Timestamp::now();
        match score_at(&data, &state.registry, &state.store, at).await {
            Ok(scores) => match board::refresh(&state, scores, at).await {
                Ok(summary) => tracing::info!(
                    created = summary.created,
                    updated = summary.updated,
                    reopened = summary.reopened,
                    "scored every piece of equipment; work orders updated"
                ),
                Err(e) => tracing::error!(error = %e, "cannot update work orders"),
            },
            Err(e) if !warned => {
                warned = true;
                tracing::warn!(error = %e, "no forecasts yet");
            }
            Err(e) => tracing::debug!(error = %e, "no forecasts yet"),
        }
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
