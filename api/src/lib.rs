//! Caretaker's HTTP side and the ranking of work orders.
//!
//! - [`routes`]: the API under `/api/v1` (JSON, bearer tokens with roles), `/health`,
//!   `/metrics` and the OpenAPI document ([`openapi`]), behind request limits ([`limits`]);
//! - [`auth`]: who is calling and what their role lets them do;
//! - [`board`]: forecasts weighed into the expected benefit of acting now, and the
//!   work orders proposed from them;
//! - [`ranking`]: the weighing itself, the budget plan and residents' notices;
//! - [`pages`]: the pages people use in a browser (sessions, forms), rendered by
//!   `caretaker_dashboards`;
//! - [`throttle`]: per-token report limits and per-address failed-login lockouts.
//!
//! Only this crate speaks HTTP.
#![deny(missing_docs)]

pub mod auth;
pub mod board;
pub mod cache;
pub mod error;
pub mod extract;
pub mod https;
pub mod limits;
pub mod log_text;
pub mod openapi;
pub mod pages;
pub mod ranking;
pub mod routes;
pub mod state;
pub mod throttle;
pub mod views;

pub use routes::router;
pub use state::{AppState, Limits};

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::get;
use caretaker_ingest::metrics::{self, IngestMetrics};

use crate::auth::MetricsToken;
use crate::error::ApiError;

/// The router serving `/metrics` (behind `token`, if any) and `/health`.
pub fn metrics_router(metrics: Arc<IngestMetrics>, token: Option<MetricsToken>) -> Router {
    Router::new()
        .route("/metrics", get(render_metrics))
        .route("/health", get(|| async { "ok\n" }))
        .with_state((metrics, token))
}

async fn render_metrics(
    State((ingest, token)): State<(Arc<IngestMetrics>, Option<MetricsToken>)>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(token) = &token {
        token.check(&headers)?;
    }
    Ok((
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        ingest.render(),
    ))
}

/// Serves the whole API on `listener` until `shutdown` resolves, over TLS
/// with `tls` (HTTPS) or plain HTTP without, with the background task that
/// weighs the board again after resident reports ([`board::reassess_on_signal`]).
/// Either way each request knows its client's address.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let reassessing = tokio::spawn(board::reassess_on_signal(state.clone()));
    let served = match tls {
        Some(tls) => https::serve(listener, tls, router(state), shutdown).await,
        None => {
            let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
    };
    reassessing.abort();
    served
}

/// Serves `/metrics` and `/health` on `addr` in the background; returns the bound address.
pub async fn serve_metrics(
    addr: SocketAddr,
    metrics: Arc<IngestMetrics>,
    token: Option<MetricsToken>,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, metrics_router(metrics, token)).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    #[tokio::test]
    async fn metrics_are_served_in_the_prometheus_text_format() {
        let ingest = Arc::new(IngestMetrics::new());
        ingest.readings_stored.inc_by(7);
        let addr = serve_metrics(([127, 0, 0, 1], 0).into(), ingest, None)
            .await
            .expect("binds");
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connects");
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .expect("sends");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("reads");
        let (head, body) = response.split_once("\r\n\r\n").expect("a response");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.contains("content-type: text/plain; version=0.0.4; charset=utf-8"),
            "{head}"
        );
        assert!(
            body.contains("\ncaretaker_readings_stored_total 7\n"),
            "{body}"
        );
        assert!(body.contains("# TYPE caretaker_flush_duration_seconds histogram\n"));
    }
}
