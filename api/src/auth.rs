//! Who is calling: a bearer token (stored hashed) with its role and, for a
//! resident, the one unit it is bound to. Every handler takes a [`Caller`] and
//! checks the role it needs ([`Caller::require`]) and, for objects that belong to
//! a unit, ownership ([`Caller::may_see_unit`]).
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use caretaker_core::{Role, UnitId};

use crate::error::ApiError;
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
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("send `Authorization: Bearer TOKEN`"))?;
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 128)
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer TOKEN`")
            })?;
        let hash = caretaker_data::sha256_hex(secret.as_bytes());
        let token = match state.tokens.get(&hash) {
            Some(token) => token,
            None => {
                let token = state
                    .store
                    .token_for_secret(secret)
                    .await?
                    .ok_or_else(|| ApiError::unauthorized("unknown or revoked token"))?;
                state.tokens.put(hash, token.clone());
                token
            }
        };
        Ok(Caller {
            token_id: token.id,
            role: token.role,
            unit: token.unit,
            label: token.label,
        })
    }
}
