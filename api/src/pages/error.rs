//! What a page shows when something is wrong: a page in words with the right
//! status, or a trip to the sign-in page.
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use caretaker_dashboards::pages::{Chrome, message_page};

use super::html;
use crate::error::ApiError;

/// A page request that cannot be answered with the page.
#[derive(Debug)]
pub enum PageError {
    /// No session: go and sign in.
    SignIn,
    /// Anything the API would refuse, shown as a page with its status and reason.
    Refused(ApiError),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        Self::Refused(e)
    }
}

impl From<caretaker_data::StoreError> for PageError {
    fn from(e: caretaker_data::StoreError) -> Self {
        Self::Refused(ApiError::from(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = match self {
            Self::SignIn => return Redirect::to("/login").into_response(),
            Self::Refused(e) => e,
        };
        let (title, text) = match e.status {
            StatusCode::NOT_FOUND => ("Not found", e.message.clone()),
            StatusCode::FORBIDDEN => (
                "Not for this account",
                "This page is for the maintenance committee.".to_owned(),
            ),
            StatusCode::TOO_MANY_REQUESTS => ("Please wait", e.message.clone()),
            // The cause was logged where the error was made; the page says nothing of it.
            s if s.is_server_error() => (
                "Something went wrong",
                "Please try again in a moment.".to_owned(),
            ),
            _ => ("That did not work", e.message.clone()),
        };
        let chrome = Chrome {
            coop: "Caretaker".into(),
            ..Chrome::default()
        };
        let mut response = (e.status, html(message_page(&chrome, title, &text))).into_response();
        if let Some(wait) = e.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        response
    }
}
