//! Admin only: API tokens and gateway credentials. Secrets are shown once, when
//! created; only their hashes are kept.
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use caretaker_core::{GatewayName, Role, Timestamp, UnitId};
use caretaker_data::{new_secret, sha256_hex};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::views::{NewGatewayView, NewTokenView, TokenView};

/// Every API token (never the secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin",
    responses((status = 200, body = [TokenView]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn tokens(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    caller.require(&[Role::Admin])?;
    let tokens = state.store.tokens().await?;
    Ok(Json(tokens.iter().map(TokenView::from).collect()))
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// `admin`, `committee`, `resident` or `gateway`.
    pub role: String,
    /// The unit of a resident token (required for residents, refused otherwise).
    pub unit: Option<String>,
    /// Who or what holds it (1 to 100 characters).
    pub label: String,
}

/// Creates a token; its secret is in the response, once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = NewToken,
    responses((status = 201, body = NewTokenView), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_token(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<NewTokenView>), ApiError> {
    caller.require(&[Role::Admin])?;
    let role = Role::parse(&body.role).map_err(|e| ApiError::invalid(e.to_string()))?;
    let unit = body
        .unit
        .as_deref()
        .map(|u| {
            UnitId::parse(u)
                .ok()
                .filter(|u| state.registry.unit(u).is_some())
                .ok_or_else(|| ApiError::invalid(format!("no unit {u:?}")))
        })
        .transpose()?;
    let label = body.label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(ApiError::invalid("label: 1 to 100 characters"));
    }
    let (token, secret) = state
        .store
        .add_token(role, unit.as_ref(), label, Timestamp::now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenView {
            token: TokenView::from(&token),
            secret,
        }),
    ))
}

/// Revokes a token.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_token(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Admin])?;
    if state.store.revoke_token(id, Timestamp::now()).await? {
        state.tokens.forget(id);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no active token {id}")))
    }
}

/// Gateways with active MQTT credentials.
#[utoipa::path(get, path = "/api/v1/gateways", tag = "admin",
    responses((status = 200, body = [String]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn gateways(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<String>>, ApiError> {
    caller.require(&[Role::Admin])?;
    Ok(Json(state.store.gateways().await?))
}

/// A gateway to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGateway {
    /// Its name, which is also its MQTT user name.
    pub name: String,
}

/// Issues MQTT credentials for a gateway the registry declares (or one revoked
/// before); the password is in the response, once.
#[utoipa::path(post, path = "/api/v1/gateways", tag = "admin", request_body = NewGateway,
    responses((status = 201, body = NewGatewayView), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_gateway(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewGateway>,
) -> Result<(StatusCode, Json<NewGatewayView>), ApiError> {
    caller.require(&[Role::Admin])?;
    let name = GatewayName::parse(&body.name).map_err(|e| ApiError::invalid(e.to_string()))?;
    if state.registry.gateway(name.as_str()).is_none() {
        return Err(ApiError::invalid(format!(
            "the registry declares no gateway {name}: add a [[gateway]] table for it first"
        )));
    }
    let password = new_secret();
    if !state
        .store
        .add_gateway(&name, &sha256_hex(password.as_bytes()))
        .await?
    {
        return Err(ApiError::conflict(
            "exists",
            format!(
                "gateway {name} has credentials already (`caretaker gateway rotate {name}` issues a new password)"
            ),
        ));
    }
    Ok((
        StatusCode::CREATED,
        Json(NewGatewayView {
            topic: format!("caretaker/{name}/readings"),
            name: name.to_string(),
            password,
        }),
    ))
}

/// Revokes a gateway's credentials; a gateway connected to the embedded listener
/// is disconnected within seconds.
#[utoipa::path(delete, path = "/api/v1/gateways/{name}", tag = "admin",
    params(("name" = String, Path, description = "Gateway name")),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_gateway(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Admin])?;
    let name = GatewayName::parse(&name).map_err(|_| ApiError::not_found("no such gateway"))?;
    if state.store.revoke_gateway(&name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no active gateway {name}")))
    }
}
