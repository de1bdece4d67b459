//! The HTTP routes: `/api/v1/...` (JSON, bearer tokens), `/health`, `/metrics`
//! and the OpenAPI document, with the request limits around them.
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::limits::{Guard, guard};
use crate::openapi::ApiDoc;
use crate::state::AppState;

pub mod admin;
pub mod orders;
pub mod readings;
pub mod registry;
pub mod residents;
pub mod risks;

/// The whole API on one router.
pub fn router(state: Arc<AppState>) -> Router {
    let limits = state.limits.clone();
    let v1 = Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(registry::me))
        .route("/buildings", get(registry::buildings))
        .route("/units", get(registry::units))
        .route("/equipment", get(registry::equipment_list))
        .route("/equipment/{id}", get(registry::equipment_one))
        .route("/sensors", get(registry::sensors))
        .route("/events", get(registry::events))
        .route("/sensors/{id}/readings", get(readings::readings))
        .route("/risks", get(risks::risks))
        .route("/plan", get(risks::plan))
        .route("/work-orders", get(orders::list).post(orders::create))
        .route("/work-orders/{id}", get(orders::get_one))
        .route("/work-orders/{id}/transitions", post(orders::transition))
        .route("/notices", get(residents::notices))
        .route("/notices/{id}", get(residents::notice))
        .route("/reports", get(residents::reports).post(residents::report))
        .route("/tokens", get(admin::tokens).post(admin::add_token))
        .route("/tokens/{id}", delete(admin::revoke_token))
        .route("/gateways", get(admin::gateways).post(admin::add_gateway))
        .route("/gateways/{name}", delete(admin::revoke_gateway));
    Router::new()
        .nest("/api/v1", v1)
        .merge(crate::pages::router())
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .fallback(|| async { ApiError::not_found("no such endpoint (see /api/v1/openapi.json)") })
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            Guard::new(
                limits.max_concurrent,
                Duration::from_secs_f64(limits.request_timeout_s),
            ),
            guard,
        ))
        .with_state(state)
}

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
}

/// Liveness: answers while the server runs (no token needed).
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Ingest's counters, gauges and histograms; empty where this process runs no
/// ingest. With `api.metrics_token` set, only for `Authorization: Bearer` that
/// token (an API token does not do); otherwise open to whoever reaches it.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain"),
        (status = 401, description = "a metrics token is configured and the request does not carry it", body = ErrorBody)))]
pub async fn metrics(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(token) = &state.metrics_token {
        token.check(&headers)?;
    }
    let body = state
        .ingest_metrics
        .as_ref()
        .map(|m| m.render())
        .unwrap_or_default();
    Ok((
        [(
            header::CONTENT_TYPE,
            caretaker_ingest::metrics::CONTENT_TYPE,
        )],
        body,
    ))
}

/// The OpenAPI document of this API, generated from the code.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}
