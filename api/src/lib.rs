//! Caretaker's HTTP side. Today: `/metrics` (Prometheus text) and `/health`
//! while ingest runs; the committee, resident and gateway API comes next.
//!
//! Only this crate speaks HTTP.
#![deny(missing_docs)]

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
