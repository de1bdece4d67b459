//! Caretaker's HTTP side and the ranking of work orders.
//!
//! - [`routes`]: the API under `/api/v1` (JSON, bearer tokens with roles), `/health`,
//!   `/metrics` and the OpenAPI document ([`openapi`]), behind request limits ([`limits`]);
//! - [`auth`]: who is calling and what their role lets them do;
//! - [`board`]: forecasts weighed into the expected benefit of acting now, and the
//!   work orders proposed from them;
//! - [`ranking`]: the weighing itself, the budget plan and residents' notices.
//!
//! Only this crate speaks HTTP.
#![deny(missing_docs)]

pub mod auth;
pub mod board;
pub mod cache;
pub mod error;
pub mod extract;
pub mod limits;
pub mod openapi;
pub mod ranking;
pub mod routes;
pub mod state;
pub mod views;

pub use routes::router;
pub use state::{AppState, Limits};

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use caretaker_ingest::metrics::IngestMetrics;

/// The router serving `/metrics` and `/health`.
pub fn metrics_router(metrics: Arc<IngestMetrics>) -> Router {
    Router::new()
        .route("/metrics", get(render_metrics))
        .route("/health", get(|| async { "ok\n" }))
        .with_state(metrics)
}

async fn render_metrics(State(metrics): State<Arc<IngestMetrics>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
}

/// Serves the whole API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves `/metrics` and `/health` on `addr` in the background; returns the bound address.
pub async fn serve_metrics(
    addr: SocketAddr,
    metrics: Arc<IngestMetrics>,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, metrics_router(metrics)).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    });
    Ok(bound)
}
