//! `/work-orders/{id}`: the order, why, its decision log and notices, and the
//! committee's decisions as forms (`POST /work-orders/{id}/decide`); scheduling
//! can show the residents' notices before saving. `/work-orders/{id}/notice` is
//! the notice to print for the lobby.
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caretaker_core::{UnitId, WorkOrderState};
use caretaker_dashboards::pages::view::{
    Action, DecisionLine, Flash, NoticeLine, PrintableNotice, ScheduleForm, UnitChoice,
    WorkOrderPage,
};
use caretaker_dashboards::pages::{printable_notice, work_order_page};
use caretaker_data::WorkOrder;
use serde::Deserialize;

use super::committee::{notice_line, order_line, reason_lines, state_words};
use super::error::PageError;
use super::form::FormFields;
use super::format::{field, money, parse_field, percent, when, window, zone};
use super::html;
use super::session::Visitor;
use crate::error::ApiError;
use crate::routes::orders::{
    OutcomeBody, TransitionBody, WindowBody, apply_transition, find, notices_for_schedule,
};
use crate::state::AppState;

/// `?done=approve`: what was just saved.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

/// The decisions open to the committee in an order's state.
fn actions(state: WorkOrderState) -> Vec<Action> {
    let moves = [
        (Action::Approve, WorkOrderState::Approved),
        (Action::Schedule, WorkOrderState::Scheduled),
        (Action::Start, WorkOrderState::InProgress),
        (Action::Close, WorkOrderState::Done),
        (Action::Defer, WorkOrderState::Deferred),
        (Action::Dismiss, WorkOrderState::Dismissed),
    ];
    moves
        .into_iter()
        .filter(|(_, to)| state.can_move_to(*to))
        .map(|(a, _)| a)
        .collect()
}

/// The page's view of an order, before any form values or preview.
async fn view(state: &AppState, order: &WorkOrder) -> Result<WorkOrderPage, PageError> {
    let tz = zone(&state.registry);
    let currency = &state.registry.coop().currency;
    let decisions = state.store.decisions(order.id).await?;
    let notices = state.store.notices_for_order(order.id).await?;
    let serves: Vec<UnitId> = state
        .registry
        .equipment_by_id(&order.equipment)
        .map(|e| e.serves.clone())
        .unwrap_or_default();
    let ticked = |u: &UnitId| {
        if order.units.is_empty() {
            true
        } else {
            order.units.contains(u)
        }
    };
    let mut numbers = Vec::new();
    if let Some(p) = order.probability {
        numbers.push(("Chance of failure".to_owned(), percent(p)));
    }
    if let Some(d) = order.horizon_days {
        numbers.push(("Within".to_owned(), format!("{d} days")));
    }
    if let Some(b) = order.expected_benefit {
        numbers.push((
            "Expected saving from acting now".to_owned(),
            money(b, currency),
        ));
    }
    if let Some(c) = order.estimated_cost {
        numbers.push(("Estimated cost".to_owned(), money(c, currency)));
    }
    if let Some(serde_json::Value::Object(a)) = &order.assessment {
        for (k, v) in a {
            if let Some(x) = v.as_f64() {
                numbers.push((k.replace('_', " "), format!("{x:.3}")));
            }
        }
    }
    Ok(WorkOrderPage {
        order: order_line(state, order, None),
        explanation: reason_lines(&order.explanation),
        numbers,
        decisions: decisions
            .iter()
            .map(|d| DecisionLine {
                when: when(d.at, tz),
                who: d.actor.clone(),
                change: match d.from_state {
                    Some(from) => format!("{} → {}", state_words(from), state_words(d.to_state)),
                    None => state_words(d.to_state).to_owned(),
                },
                note: d.note.clone(),
            })
            .collect(),
        notices: notices.iter().map(|n| notice_line(n, tz)).collect(),
        actions: actions(order.state),
        schedule: ScheduleForm {
            start: order.window.map(|w| field(w.0, tz)).unwrap_or_default(),
            end: order.window.map(|w| field(w.1, tz)).unwrap_or_default(),
            work: "maintenance".into(),
            units: serves
                .iter()
                .map(|u| UnitChoice {
                    id: u.to_string(),
                    checked: ticked(u),
                })
                .collect(),
            zone: tz.name().to_owned(),
        },
        preview: Vec::new(),
        version: order.version,
        printable: order.state == WorkOrderState::Scheduled && !order.units.is_empty(),
    })
}

fn done_words(done: &str) -> Option<&'static str> {
    Some(match done {
        "approve" => "Approved. The decision is in the log.",
        "schedule" => "Scheduled. The affected units have their notices.",
        "start" => "Marked as under way.",
        "close" => "Closed. The outcome is recorded and the model will learn from it.",
        "defer" => "Deferred. It comes back if the risk grows.",
        "dismiss" => "Dismissed. The reason is in the log.",
        _ => return None,
    })
}

/// A work order's page.
pub async fn page(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    visitor.require_committee()?;
    let order = find_order(&state, &id).await?;
    let mut chrome = visitor.chrome(&state);
    chrome.flash = q.done.as_deref().and_then(done_words).map(|t| Flash {
        text: t.to_owned(),
        error: false,
    });
    let page = view(&state, &order).await?;
    Ok(html(work_order_page(&chrome, &page)).into_response())
}

async fn find_order(state: &AppState, id: &str) -> Result<WorkOrder, PageError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("There is no work order {id:?}.")))?;
    Ok(find(state, id).await?)
}

/// A decision from one of the page's forms.
pub async fn decide(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    visitor.require_committee()?;
    let fields = FormFields::parse(&body);
    visitor.check_csrf(fields.get("csrf_token"))?;
    let order = find_order(&state, &id).await?;
    let action = fields
        .get("action")
        .and_then(Action::parse)
        .ok_or_else(|| ApiError::invalid("choose one of the decisions on the page"))?;
    let tz = zone(&state.registry);
    let body = match transition_body(&state, &fields, action, tz) {
        Ok(body) => body,
        Err(e) => return again(&state, &visitor, &order, &fields, e, false).await,
    };
    if action == Action::Schedule && fields.get("preview").is_some() {
        let window = body.window.as_ref().expect("a schedule has a window");
        let (start, end) = (
            caretaker_core::Timestamp::parse(&window.start).expect("written above"),
            caretaker_core::Timestamp::parse(&window.end).expect("written above"),
        );
        if start >= end {
            let e = ApiError::invalid("The work must end after it starts.");
            return again(&state, &visitor, &order, &fields, e, false).await;
        }
        let units = chosen_units(&state, &fields)?;
        let work = body.work.clone().unwrap_or_default();
        let notices = notices_for_schedule(&state, &order, &work, (start, end), &units);
        let mut page = view(&state, &order).await?;
        keep_schedule_fields(&mut page.schedule, &fields);
        page.preview = notices
            .into_iter()
            .map(|n| NoticeLine {
                id: None,
                unit: n.unit.to_string(),
                title: n.title,
                body: n.body,
                when: Some(window_words(start, end, tz)),
                cancelled: false,
            })
            .collect();
        return Ok(html(work_order_page(&visitor.chrome(&state), &page)).into_response());
    }
    match apply_transition(&state, &visitor.caller, order.id, body).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/work-orders/{}?done={}", order.id, action.name()))
                .into_response(),
        ),
        Err(e) if e.status.is_client_error() => {
            again(&state, &visitor, &order, &fields, e, true).await
        }
        Err(e) => Err(e.into()),
    }
}

fn window_words(
    start: caretaker_core::Timestamp,
    end: caretaker_core::Timestamp,
    tz: chrono_tz::Tz,
) -> String {
    window(start, end, tz)
}

/// The page again with the refusal said at the top and the form as it was.
async fn again(
    state: &AppState,
    visitor: &Visitor,
    order: &WorkOrder,
    fields: &FormFields,
    e: ApiError,
    reload: bool,
) -> Result<Response, PageError> {
    let order = if reload {
        find(state, order.id).await?
    } else {
        order.clone()
    };
    let mut page = view(state, &order).await?;
    keep_schedule_fields(&mut page.schedule, fields);
    let mut chrome = visitor.chrome(state);
    let text = if e.status == StatusCode::CONFLICT {
        "Someone changed this order since you opened it: check it again below.".to_owned()
    } else {
        e.message.clone()
    };
    chrome.flash = Some(Flash { text, error: true });
    let status = if e.status.is_client_error() {
        e.status
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, html(work_order_page(&chrome, &page))).into_response())
}

fn keep_schedule_fields(form: &mut ScheduleForm, fields: &FormFields) {
    if fields.get("action") != Some("schedule") {
        return;
    }
    form.start = fields.get("start").unwrap_or_default().to_owned();
    form.end = fields.get("end").unwrap_or_default().to_owned();
    if let Some(work) = fields.get("work") {
        form.work = work.to_owned();
    }
    let ticked = fields.all("units");
    for u in &mut form.units {
        u.checked = ticked.contains(&u.id);
    }
}

fn chosen_units(state: &AppState, fields: &FormFields) -> Result<Vec<UnitId>, ApiError> {
    fields
        .all("units")
        .iter()
        .map(|u| {
            UnitId::parse(u)
                .ok()
                .filter(|u| state.registry.unit(u).is_some())
                .ok_or_else(|| ApiError::invalid(format!("There is no unit {u:?}.")))
        })
        .collect()
}

/// The API's transition for a form.
fn transition_body(
    state: &AppState,
    fields: &FormFields,
    action: Action,
    tz: chrono_tz::Tz,
) -> Result<TransitionBody, ApiError> {
    let version = fields
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ApiError::invalid("the form is missing its version; reload the page"))?;
    let note = fields.get("note").map(str::to_owned);
    let mut body = TransitionBody {
        to: String::new(),
        note,
        version: Some(version),
        window: None,
        units: None,
        work: None,
        outcome: None,
    };
    match action {
        Action::Approve => body.to = "approved".into(),
        Action::Start => body.to = "in_progress".into(),
        Action::Defer => body.to = "deferred".into(),
        Action::Dismiss => {
            if body.note.is_none() {
                return Err(ApiError::invalid("Say why the order is dismissed."));
            }
            body.to = "dismissed".into();
        }
        Action::Schedule => {
            let at = |name: &str, what: &str| {
                let text = fields.require(name, what)?;
                parse_field(text, tz).map_err(|e| ApiError::invalid(format!("{what}: {e}")))
            };
            let start = at("start", "The start")?;
            let end = at("end", "The end")?;
            let units = chosen_units(state, fields)?;
            if units.is_empty() {
                return Err(ApiError::invalid(
                    "Tick at least one unit the work affects.",
                ));
            }
            body.to = "scheduled".into();
            body.window = Some(WindowBody {
                start: start.to_string(),
                end: end.to_string(),
            });
            body.units = Some(units.iter().map(ToString::to_string).collect());
            body.work = Some(fields.get("work").unwrap_or("maintenance").to_owned());
        }
        Action::Close => {
            let real_fault = match fields.get("real_fault") {
                Some("true") => true,
                Some("false") => false,
                _ => return Err(ApiError::invalid("Say whether there was a real fault.")),
            };
            let cost_text = fields.require("cost", "What it cost")?;
            let cost = cost_text
                .replace(',', "")
                .parse::<f64>()
                .ok()
                .filter(|c| c.is_finite() && *c >= 0.0)
                .ok_or_else(|| ApiError::invalid(format!("{cost_text:?} is not an amount")))?;
            body.to = "done".into();
            body.outcome = Some(OutcomeBody {
                real_fault,
                replaced: fields.get("replaced").map(str::to_owned),
                cost,
            });
        }
    }
    Ok(body)
}

/// The notice to print for the lobby or the laundry room.
pub async fn printable(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, PageError> {
    visitor.require_committee()?;
    let order = find_order(&state, &id).await?;
    let (Some((start, end)), false) = (order.window, order.units.is_empty()) else {
        return Err(ApiError::not_found(
            "This order is not scheduled: there is no notice to print.",
        )
        .into());
    };
    let tz = zone(&state.registry);
    let first = notices_for_schedule(
        &state,
        &order,
        "maintenance",
        (start, end),
        &order.units[..1],
    );
    let notice = state
        .store
        .notices_for_order(order.id)
        .await?
        .into_iter()
        .find(|n| n.cancelled_at.is_none())
        .map(|n| (n.title, n.body))
        .or_else(|| first.into_iter().next().map(|n| (n.title, n.body)))
        .ok_or_else(|| ApiError::not_found("This order has no notice."))?;
    // One paragraph per line (What, When, ...), as on the residents' page. The
    // unit's greeting opens the body; the printed notice names every unit instead.
    let paragraphs = notice
        .1
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("To the residents of"))
        .map(str::to_owned)
        .collect();
    let printable = PrintableNotice {
        title: notice.0,
        when: window(start, end, tz),
        units: order.units.iter().map(ToString::to_string).collect(),
        paragraphs,
    };
    Ok(html(printable_notice(&state.registry.coop().name, &printable)).into_response())
}
