//! The pages people use in a browser: sign in with a token (or a one-time
//! link), then the committee's work orders, budget plan, equipment and model
//! card, or a resident's notices and problem reports; a printable notice per
//! scheduled order and a calendar feed of scheduled work.
//!
//! The same role rules as the API hold: the committee pages need a committee or
//! admin token, and a resident sees their own unit only (anything else is "not
//! found"). Sessions are HttpOnly, SameSite cookies; every form carries the
//! session's `csrf_token`; every change is a POST. The markup comes from
//! `caretaker_dashboards::pages`; this module fills its views.

mod calendar;
mod committee;
mod equipment;
mod error;
mod form;
mod format;
mod login;
mod model_card;
mod orders;
mod report;
mod resident;
mod session;
mod vtimezone;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub use error::PageError;
pub use report::monthly as monthly_report;
pub use session::{SESSION_COOKIE, Visitor};

/// The pages' routes (merged into the API's router).
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/login", get(login::form).post(login::sign_in))
        .route("/logout", post(login::sign_out))
        .route("/", get(committee::home))
        .route("/calendar", post(calendar::add))
        .route("/calendar/{id}/revoke", post(calendar::revoke))
        .route("/calendar/{file}", get(calendar::feed))
        .route("/work-orders/{id}", get(orders::page))
        .route("/work-orders/{id}/decide", post(orders::decide))
        .route("/work-orders/{id}/notice", get(orders::printable))
        .route("/equipment/{id}", get(equipment::page))
        .route("/equipment/{id}/charts/{file}", get(equipment::chart_png))
        .route("/model", get(model_card::page))
        .route("/unit", get(resident::page))
        .route("/unit/reports", post(resident::report))
}

/// A rendered page as an HTML response body.
pub(crate) fn html(markup: caretaker_dashboards::pages::Markup) -> axum::response::Html<String> {
    axum::response::Html(markup.into_string())
}
