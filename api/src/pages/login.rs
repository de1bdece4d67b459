//! `/login` and `/logout`. A token typed into the form, or a one-time sign-in
//! link (`/login?code=...`), opens a session; unknown tokens count against the
//! client address like the API's failed logins. The sign-in form carries a
//! `csrf_token` too, matched against a short-lived cookie (double submit).
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use caretaker_core::{Role, Timestamp};
use caretaker_dashboards::pages::{Chrome, login_page};
use caretaker_data::ApiToken;
use serde::Deserialize;

use super::error::PageError;
use super::form::FormFields;
use super::html;
use super::session::{
    SESSION_TTL_MS, Visitor, cookie_value, expired_cookie, session_cookie, session_secret,
};
use crate::auth::client_address;
use crate::error::ApiError;
use crate::log_text::for_log;
use crate::state::AppState;

/// The cookie that carries the sign-in form's CSRF token.
const LOGIN_CSRF_COOKIE: &str = "caretaker_login";

/// `/login?code=...`: a printed sign-in link.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    code: Option<String>,
}

fn chrome(state: &AppState, csrf: &str) -> Chrome {
    Chrome {
        coop: state.registry.coop().name.clone(),
        csrf_token: csrf.to_owned(),
        ..Chrome::default()
    }
}

fn form_response(state: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    let csrf = caretaker_data::new_secret();
    let cookie = cookie::Cookie::build((LOGIN_CSRF_COOKIE, csrf.clone()))
        .path("/login")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::hours(1))
        .build()
        .to_string();
    (
        status,
        [(header::SET_COOKIE, cookie)],
        html(login_page(&chrome(state, &csrf), error)),
    )
        .into_response()
}

/// The sign-in form, or a sign-in link used.
pub async fn form(
    State(state): State<Arc<AppState>>,
    Query(q): Query<LoginQuery>,
    parts: Parts,
) -> Result<Response, PageError> {
    let Some(code) = q.code.filter(|c| !c.is_empty() && c.len() <= 128) else {
        return Ok(form_response(&state, StatusCode::OK, None));
    };
    let client = client_address(&parts);
    if let Some(wait) = state.login_throttle.blocked(client, Instant::now()) {
        return Err(too_many(wait));
    }
    match state
        .store
        .use_sign_in_link(&code, Timestamp::now())
        .await?
    {
        Some(token) => open_session(&state, token).await,
        None => {
            refuse(&state, client, "a used, expired or unknown sign-in link");
            Ok(form_response(
                &state,
                StatusCode::UNAUTHORIZED,
                Some(
                    "This sign-in link has been used or has expired. Ask the committee for a new one, or enter your token.",
                ),
            ))
        }
    }
}

fn too_many(wait: Duration) -> PageError {
    ApiError::too_many_requests(
        "Too many wrong tokens from this device. Wait a few minutes and try again.",
        wait,
    )
    .into()
}

fn refuse(state: &AppState, client: std::net::IpAddr, what: &str) {
    tracing::warn!(client = %client, what = %for_log(what), "refused a page sign-in");
    state.login_throttle.record_failure(
        client,
        state.limits.auth_failures_per_minute,
        Duration::from_secs(state.limits.auth_lockout_s),
        Instant::now(),
    );
}

/// Signs in with a token typed into the form.
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, PageError> {
    let client = client_address(&parts);
    if let Some(wait) = state.login_throttle.blocked(client, Instant::now()) {
        return Err(too_many(wait));
    }
    let fields = FormFields::parse(&body);
    let expected = cookie_value(&parts.headers, LOGIN_CSRF_COOKIE);
    let sent = fields.get("csrf_token");
    if expected.is_none() || expected.as_deref() != sent {
        return Ok(form_response(
            &state,
            StatusCode::FORBIDDEN,
            Some("The form had expired. Please enter your token again."),
        ));
    }
    let typed: String = fields
        .get("token")
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let token = if typed.is_empty() || typed.len() > 128 {
        None
    } else {
        state.store.token_for_secret(&typed).await?
    };
    match token {
        Some(token) if token.role != Role::Gateway => open_session(&state, token).await,
        _ => {
            refuse(&state, client, "an unknown, revoked or gateway token");
            Ok(form_response(
                &state,
                StatusCode::UNAUTHORIZED,
                Some(
                    "That token is not known or no longer works. Check it, or ask the committee for a new one.",
                ),
            ))
        }
    }
}

async fn open_session(state: &AppState, token: ApiToken) -> Result<Response, PageError> {
    if token.role == Role::Gateway {
        return Err(ApiError::forbidden("gateway tokens do not sign in").into());
    }
    let secret = state
        .store
        .open_web_session(token.id, Timestamp::now(), SESSION_TTL_MS)
        .await?;
    let home = if token.role == Role::Resident {
        "/unit"
    } else {
        "/"
    };
    Ok((
        [(
            header::SET_COOKIE,
            session_cookie(&secret, state.secure_cookies),
        )],
        Redirect::to(home),
    )
        .into_response())
}

/// Signs out: the session ends in the store, and the cookie is cleared.
pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    parts: Parts,
    body: Bytes,
) -> Result<Response, PageError> {
    visitor.check_csrf(FormFields::parse(&body).get("csrf_token"))?;
    if let Some(secret) = session_secret(&parts) {
        state.store.close_web_session(&secret).await?;
    }
    Ok((
        [(header::SET_COOKIE, expired_cookie())],
        Redirect::to("/login"),
    )
        .into_response())
}
