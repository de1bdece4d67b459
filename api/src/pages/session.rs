//! Who is at the browser: the session cookie, checked against the store on
//! every request (so revoking the token ends the session at once), and the
//! CSRF token every form must send back.
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use caretaker_core::{Role, Timestamp};
use caretaker_dashboards::pages::Chrome;

use super::error::PageError;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "caretaker_session";

/// How long a session lasts without signing in again: 14 days.
pub const SESSION_TTL_MS: i64 = 14 * 24 * 3600 * 1000;

/// A signed-in visitor.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// Who they are and what their role lets them do (the API's rules).
    pub caller: Caller,
    /// The token their forms must send back.
    pub csrf_token: String,
}

impl Visitor {
    /// Refuses unless the visitor is on the committee (or an admin).
    pub fn require_committee(&self) -> Result<(), PageError> {
        Ok(self.caller.require_committee()?)
    }

    /// Refuses (403) a form whose `csrf_token` is not this session's.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), PageError> {
        let sent = sent.unwrap_or_default();
        if caretaker_data::secret_matches(
            sent,
            &caretaker_data::sha256_hex(self.csrf_token.as_bytes()),
        ) {
            Ok(())
        } else {
            Err(
                ApiError::forbidden("the form is out of date; reload the page and try again")
                    .into(),
            )
        }
    }

    /// The frame of a page for this visitor.
    pub fn chrome(&self, state: &AppState) -> Chrome {
        let who = match self.caller.role {
            Role::Resident => format!(
                "resident of unit {}",
                self.caller
                    .unit
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ),
            _ => self.caller.label.clone(),
        };
        Chrome {
            coop: state.registry.coop().name.clone(),
            signed_in_as: Some(who),
            committee: matches!(self.caller.role, Role::Committee | Role::Admin),
            csrf_token: self.csrf_token.clone(),
            flash: None,
        }
    }
}

/// The session secret in the request's cookies, if any.
pub fn session_secret(parts: &Parts) -> Option<String> {
    cookie_value(&parts.headers, SESSION_COOKIE).filter(|v| !v.is_empty() && v.len() <= 128)
}

/// A cookie's value in the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The `Set-Cookie` value that opens a session.
pub fn session_cookie(secret: &str, secure: bool) -> String {
    cookie::Cookie::build((SESSION_COOKIE, secret.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::milliseconds(SESSION_TTL_MS))
        .build()
        .to_string()
}

/// The `Set-Cookie` value that ends a session.
pub fn expired_cookie() -> String {
    cookie::Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string()
}

impl FromRequestParts<Arc<AppState>> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let secret = session_secret(parts).ok_or(PageError::SignIn)?;
        let session = state
            .store
            .web_session(&secret, Timestamp::now())
            .await?
            .ok_or(PageError::SignIn)?;
        let token = session.token;
        Ok(Visitor {
            caller: Caller {
                token_id: token.id,
                role: token.role,
                unit: token.unit,
                label: token.label,
            },
            csrf_token: session.csrf_token,
        })
    }
}
