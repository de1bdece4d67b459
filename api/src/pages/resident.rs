//! `/unit`: a resident's notices (current first), the problem-report form and
//! the reports they sent. A resident sees their own unit only; the committee
//! has no unit page (it sees every unit's notices on the orders).
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use caretaker_core::{Role, Timestamp};
use caretaker_dashboards::pages::unit_page;
use caretaker_dashboards::pages::view::{Flash, ReportChoice, ReportLine, UnitPage};

use super::committee::notice_line;
use super::error::PageError;
use super::form::FormFields;
use super::format::{when, zone};
use super::html;
use super::session::Visitor;
use crate::error::ApiError;
use crate::routes::residents::{NewReport, ReportCategory, submit_report};
use crate::state::AppState;

/// `/unit?sent=1`: a report was just sent.
#[derive(Debug, serde::Deserialize)]
pub struct UnitQuery {
    sent: Option<String>,
}

async fn view(state: &AppState, visitor: &Visitor) -> Result<UnitPage, PageError> {
    let unit = visitor
        .caller
        .unit
        .clone()
        .ok_or_else(|| ApiError::not_found("This account has no unit."))?;
    let tz = zone(&state.registry);
    let now = Timestamp::now();
    let mut notices = state.store.notices_for_unit(&unit, true).await?;
    // Current and coming first (soonest first), then past and called off.
    notices.sort_by_key(|n| {
        let over = n.cancelled_at.is_some() || n.ends_at.is_some_and(|e| e < now);
        (
            over,
            if over {
                -n.starts_at.map_or(0, |s| s.millis())
            } else {
                n.starts_at.map_or(0, |s| s.millis())
            },
        )
    });
    let name_of = |id: &caretaker_core::EquipmentId| {
        state
            .registry
            .equipment_by_id(id)
            .map_or_else(|| id.to_string(), |e| e.name.clone())
    };
    Ok(UnitPage {
        unit: unit.to_string(),
        notices: notices.iter().map(|n| notice_line(n, tz)).collect(),
        equipment: state
            .registry
            .equipment()
            .iter()
            .filter(|e| e.serves.contains(&unit))
            .map(|e| ReportChoice {
                id: e.id.to_string(),
                name: e.name.clone(),
            })
            .collect(),
        reports: state
            .store
            .reports_for_unit(&unit)
            .await?
            .iter()
            .take(50)
            .map(|(_, e)| ReportLine {
                when: when(e.ts, tz),
                unit: unit.to_string(),
                equipment: name_of(&e.equipment),
                text: e.description.clone(),
            })
            .collect(),
    })
}

/// A resident's page (the committee is sent to its own first screen).
pub async fn page(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Query(q): Query<UnitQuery>,
) -> Result<Response, PageError> {
    if visitor.caller.role != Role::Resident {
        return Ok(Redirect::to("/").into_response());
    }
    let page = view(&state, &visitor).await?;
    let mut chrome = visitor.chrome(&state);
    chrome.flash = q.sent.is_some().then(|| Flash {
        text: "Thank you. The committee has your report.".into(),
        error: false,
    });
    Ok(html(unit_page(&chrome, &page)).into_response())
}

/// Sends a problem report from the form: the API's rules (own unit only, a
/// bounded number per hour, counted once a day as evidence).
pub async fn report(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    body: Bytes,
) -> Result<Response, PageError> {
    if visitor.caller.role != Role::Resident {
        return Err(ApiError::forbidden("only residents send reports from this page").into());
    }
    let fields = FormFields::parse(&body);
    visitor.check_csrf(fields.get("csrf_token"))?;
    let equipment = fields.get("equipment").unwrap_or_default().to_owned();
    let category = caretaker_core::EquipmentId::parse(&equipment)
        .ok()
        .and_then(|id| state.registry.equipment_by_id(&id))
        .map_or(ReportCategory::Other, |e| ReportCategory::for_kind(e.kind));
    let sent = submit_report(
        &state,
        &visitor.caller,
        NewReport {
            category,
            text: fields.get("text").unwrap_or_default().to_owned(),
            equipment: Some(equipment),
            unit: None,
        },
    )
    .await;
    match sent {
        Ok(_) => Ok(Redirect::to("/unit?sent=1").into_response()),
        Err(e) if e.status.is_client_error() => {
            let mut chrome = visitor.chrome(&state);
            chrome.flash = Some(Flash {
                text: e.message.clone(),
                error: true,
            });
            let page = view(&state, &visitor).await?;
            Ok((e.status, html(unit_page(&chrome, &page))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
