//! The calendar feed of scheduled work: `GET /calendar/{secret}.ics`, read-only,
//! under an address only its holder knows; the committee makes and revokes
//! addresses from its first screen.
//!
//! Event times are the co-op's local times (`DTSTART;TZID=America/Toronto:...`)
//! and the feed carries that zone's `VTIMEZONE` with every daylight-saving
//! change in the years it covers, so a calendar app places them right without
//! a time-zone database; each description repeats the window in words.
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use caretaker_core::{Timestamp, WorkOrderState};
use caretaker_dashboards::pages::message_page;
use caretaker_data::{WorkOrder, WorkOrderFilter};
use chrono::Datelike;

use super::error::PageError;
use super::form::FormFields;
use super::format::{window, zone};
use super::html;
use super::session::Visitor;
use super::vtimezone::{local_stamp, vtimezone};
use crate::error::ApiError;
use crate::state::AppState;

/// Makes a calendar address and shows it once.
pub async fn add(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    body: Bytes,
) -> Result<Response, PageError> {
    visitor.require_committee()?;
    let fields = FormFields::parse(&body);
    visitor.check_csrf(fields.get("csrf_token"))?;
    let label = fields.require("label", "Who the calendar is for")?;
    let (_, secret) = state
        .store
        .add_calendar_feed(label, Timestamp::now())
        .await
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    state.responses.invalidate();
    let text = format!(
        "Add this address to a calendar app as a subscription: /calendar/{secret}.ics \
         (after this box's address). It is shown only now; anyone who has it can read \
         the schedule, so revoke it on the first screen when it is no longer needed."
    );
    Ok(html(message_page(
        &visitor.chrome(&state),
        "Calendar address made",
        &text,
    ))
    .into_response())
}

/// Revokes a calendar address.
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    visitor.require_committee()?;
    visitor.check_csrf(FormFields::parse(&body).get("csrf_token"))?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found("There is no such calendar."))?;
    if !state
        .store
        .revoke_calendar_feed(id, Timestamp::now())
        .await?
    {
        return Err(
            ApiError::not_found("There is no such calendar, or it was revoked already.").into(),
        );
    }
    state.responses.invalidate();
    Ok(Redirect::to("/#feeds-h").into_response())
}

/// The feed itself: scheduled and under-way work, as iCalendar.
pub async fn feed(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let not_found = || ApiError::not_found("There is no such calendar.");
    let secret = file.strip_suffix(".ics").ok_or_else(not_found)?;
    if secret.is_empty() || secret.len() > 128 || !state.store.calendar_feed_active(secret).await? {
        return Err(not_found().into());
    }
    let filter = WorkOrderFilter {
        states: vec![WorkOrderState::Scheduled, WorkOrderState::InProgress],
        ..WorkOrderFilter::default()
    };
    let (orders, _) = state.store.list_work_orders(&filter, 1_000, 0).await?;
    let body = ics(&state, &orders, Timestamp::now());
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// The iCalendar text of the scheduled orders.
fn ics(state: &AppState, orders: &[WorkOrder], now: Timestamp) -> String {
    let tz = zone(&state.registry);
    let coop = &state.registry.coop().name;
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Caretaker//Scheduled work//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!(
            "X-WR-CALNAME:{}",
            escape(&format!("{coop}: scheduled work"))
        ),
        format!("X-WR-TIMEZONE:{}", tz.name()),
    ];
    // Times are the co-op's local times, with the zone's rules in the feed.
    let years = orders
        .iter()
        .filter_map(|o| o.window)
        .flat_map(|(start, end)| [start, end])
        .chain([now])
        .map(|t| t.to_datetime().with_timezone(&tz).year());
    let (first, last) = years.fold((i32::MAX, i32::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
    lines.extend(vtimezone(tz, first, last));
    let local = |t: Timestamp| format!("TZID={}:{}", tz.name(), local_stamp(tz, t.to_datetime()));
    for o in orders {
        let Some((start, end)) = o.window else {
            continue;
        };
        let name = state
            .registry
            .equipment_by_id(&o.equipment)
            .map_or_else(|| o.equipment.to_string(), |e| e.name.clone());
        let units = o
            .units
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        lines.extend([
            "BEGIN:VEVENT".to_owned(),
            format!("UID:work-order-{}@caretaker", o.id),
            format!("DTSTAMP:{}", stamp(now)),
            format!("DTSTART;{}", local(start)),
            format!("DTEND;{}", local(end)),
            format!("SEQUENCE:{}", o.version),
            format!("SUMMARY:{}", escape(&format!("{}: {name}", o.title))),
            format!(
                "DESCRIPTION:{}",
                escape(&format!(
                    "{} ({}). Units affected: {units}.",
                    window(start, end, tz),
                    tz.name()
                ))
            ),
            "END:VEVENT".to_owned(),
        ]);
    }
    lines.push("END:VCALENDAR".to_owned());
    lines.iter().map(|l| fold(l)).collect::<String>()
}

fn stamp(t: Timestamp) -> String {
    t.to_datetime().format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a text value (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets, never inside a character, ending in CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_lines_fold_between_characters() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let long = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&long);
        for line in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{long}\r\n"));
    }
}
