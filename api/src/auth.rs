//! Who is calling: a bearer token (stored hashed) with its role and, for a
//! resident, the one unit it is bound to. Every handler takes a [`Caller`] and
//! checks the role it needs ([`Caller::require`]) and, for objects that belong to
//! a unit, ownership ([`Caller::may_see_unit`]).
//!
//! A token is checked against the store on every request (a cached token by id,
//! for its revocation), so a revoked token is refused at once. Unknown or revoked
//! tokens are failed logins: logged, and counted per client address; too many
//! within a minute and the address gets 429 for [`crate::Limits::auth_lockout_s`].
//!
//! `/metrics` has its own secret, [`MetricsToken`], from the configuration.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use caretaker_core::{Role, UnitId};
use caretaker_data::ApiToken;
use secrecy::{ExposeSecret as _, SecretString};

use crate::error::ApiError;
use crate::log_text::for_log;
use crate::state::AppState;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's id.
    pub token_id: i64,
    /// Its role.
    pub role: Role,
    /// The unit a resident token is bound to.
    pub unit: Option<UnitId>,
    /// The token's label, recorded as the actor of decisions.
    pub label: String,
}

impl Caller {
    /// Refuses (403) unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "a {} token may not do this (needs {})",
                self.role,
                roles
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }

    /// Refuses (403) unless the caller is on the committee or an admin.
    pub fn require_committee(&self) -> Result<(), ApiError> {
        self.require(&[Role::Committee, Role::Admin])
    }

    /// Whether the caller may see objects of `unit`: the committee and admins see
    /// every unit, a resident only their own, a gateway none.
    pub fn may_see_unit(&self, unit: &UnitId) -> bool {
        match self.role {
            Role::Admin | Role::Committee => true,
            Role::Resident => self.unit.as_ref() == Some(unit),
            Role::Gateway => false,
        }
    }

    /// The name recorded in the decision log.
    pub fn actor(&self) -> String {
        format!("{} ({}, token {})", self.label, self.role, self.token_id)
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let client = client_address(parts);
        if let Some(wait) = state.login_throttle.blocked(client, Instant::now()) {
            return Err(ApiError::too_many_requests(
                "too many unknown or revoked tokens from this address; retry later",
                wait,
            ));
        }
        let secret = bearer_secret(parts)?;
        let Some(token) = active_token(state, secret).await? else {
            return Err(refuse(state, parts, client));
        };
        Ok(Caller {
            token_id: token.id,
            role: token.role,
            unit: token.unit,
            label: token.label,
        })
    }
}

/// The token `/metrics` asks for, when one is configured (never printed).
#[derive(Clone)]
pub struct MetricsToken(SecretString);

impl MetricsToken {
    /// A token with this secret.
    pub fn new(secret: SecretString) -> Self {
        Self(secret)
    }

    /// Whether `headers` carry `Authorization: Bearer <this token>` (401 if not).
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        if same_secret(given.as_bytes(), self.0.expose_secret().as_bytes()) {
            Ok(())
        } else {
            Err(ApiError::unauthorized(
                "/metrics needs `Authorization: Bearer METRICS_TOKEN` (api.metrics_token)",
            ))
        }
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken([redacted])")
    }
}

/// Compares two secrets in time that depends on their lengths only.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// The secret of the `Authorization: Bearer TOKEN` header (401 if missing or malformed).
fn bearer_secret(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("send `Authorization: Bearer TOKEN`"))?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer TOKEN`"))
}

/// The active token whose secret this is. A cached token is trusted only after
/// a check by id that it is still not revoked (one primary-key lookup), so a
/// revocation takes effect on the next request, whichever process made it.
async fn active_token(state: &AppState, secret: &str) -> Result<Option<ApiToken>, ApiError> {
    let hash = caretaker_data::sha256_hex(secret.as_bytes());
    if let Some(token) = state.tokens.get(&hash) {
        if state.store.token_active(token.id).await? {
            return Ok(Some(token));
        }
        state.tokens.forget(token.id);
        return Ok(None);
    }
    let token = state.store.token_for_secret(secret).await?;
    if let Some(token) = &token {
        state.tokens.put(hash, token.clone());
    }
    Ok(token)
}

/// A failed login: counted against the client address, logged (without the
/// secret, client-supplied text escaped), and answered 401.
fn refuse(state: &AppState, parts: &Parts, client: IpAddr) -> ApiError {
    let limits = &state.limits;
    let lockout = Duration::from_secs(limits.auth_lockout_s);
    let user_agent = parts
        .headers
        .get(USER_AGENT)
        .map(|v| for_log(&String::from_utf8_lossy(v.as_bytes())))
        .unwrap_or_default();
    tracing::warn!(
        client = %client,
        method = %parts.method,
        path = %for_log(parts.uri.path()),
        user_agent = %user_agent,
        "refused an unknown or revoked API token"
    );
    let locked = state.login_throttle.record_failure(
        client,
        limits.auth_failures_per_minute,
        lockout,
        Instant::now(),
    );
    if locked {
        tracing::warn!(
            client = %client,
            failures = limits.auth_failures_per_minute,
            lockout_s = limits.auth_lockout_s,
            "too many failed logins from one address; refusing it for a while"
        );
    }
    ApiError::unauthorized("unknown or revoked token")
}

/// The client's address (the TCP peer; behind a reverse proxy, the proxy's).
/// Unspecified when the server was started without connection info.
pub(crate) fn client_address(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}
