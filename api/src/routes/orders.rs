//! Work orders: the ranked list, one order with its decision log, manual orders,
//! and transitions through the lifecycle (with notices for affected units).
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use caretaker_core::{EquipmentId, Timestamp, UnitId, WorkOrderOrigin, WorkOrderState};
use caretaker_data::{NewNotice, Outcome, Proposal, Transition, WorkOrder, WorkOrderFilter};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::limits::page;
use crate::ranking::{NoticeText, cancelled_notice_text, changed_notice_text, notice_text};
use crate::state::AppState;
use crate::views::{DecisionView, NoticeView, WorkOrderDetail, WorkOrderPage, WorkOrderView};

/// Most units one order may affect in a request.
pub const MAX_UNITS: usize = 1_000;

/// Filters and page of the work order list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// States to include, comma-separated (default: the open ones: proposed,
    /// approved, scheduled, in_progress; `all` for every state).
    pub state: Option<String>,
    /// Only this equipment.
    pub equipment: Option<String>,
    /// Only this origin (`forecast`, `sensor_health`, `resident_reports`, `manual`).
    pub origin: Option<String>,
    /// Page size (default 50, capped at 200).
    pub limit: Option<i64>,
    /// Items to skip.
    pub offset: Option<i64>,
}

/// Work orders ranked by expected benefit of acting now (best first), with filters
/// and pagination.
#[utoipa::path(get, path = "/api/v1/work-orders", tag = "work orders", params(ListQuery),
    responses((status = 200, body = WorkOrderPage), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    caller.require_committee()?;
    // The list is read far more often than orders change: serve it from memory
    // until the next write.
    let key = format!(
        "work-orders {:?} {:?} {:?} {:?} {:?}",
        q.state, q.equipment, q.origin, q.limit, q.offset
    );
    if let Some(body) = state.responses.get(&key) {
        return Ok(json_bytes(body));
    }
    let generation = state.responses.generation();
    let states = match q.state.as_deref() {
        None => WorkOrderFilter::open().states,
        Some("all") => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|s| {
                WorkOrderState::parse(s.trim()).map_err(|e| ApiError::bad_request(e.to_string()))
            })
            .collect::<Result<_, _>>()?,
    };
    let filter = WorkOrderFilter {
        states,
        equipment: q
            .equipment
            .as_deref()
            .map(EquipmentId::parse)
            .transpose()
            .map_err(|e| ApiError::bad_request(e.to_string()))?,
        origin: q
            .origin
            .as_deref()
            .map(WorkOrderOrigin::parse)
            .transpose()
            .map_err(|e| ApiError::bad_request(e.to_string()))?,
    };
    let (limit, offset) = page(
        q.limit,
        q.offset,
        state.limits.default_page,
        state.limits.max_page,
    );
    let (orders, total) = state.store.list_work_orders(&filter, limit, offset).await?;
    let page = WorkOrderPage {
        total,
        limit,
        offset,
        items: orders
            .iter()
            .enumerate()
            .map(|(i, o)| WorkOrderView::new(o, Some(offset + i as i64 + 1)))
            .collect(),
    };
    let body = Bytes::from(serde_json::to_vec(&page).map_err(ApiError::internal)?);
    state.responses.put(key, generation, body.clone());
    Ok(json_bytes(body))
}

fn json_bytes(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A work order with its decision log and notices.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}", tag = "work orders",
    params(("id" = i64, Path, description = "Work order id")),
    responses((status = 200, body = WorkOrderDetail), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<WorkOrderDetail>, ApiError> {
    caller.require_committee()?;
    let order = find(&state, id).await?;
    Ok(Json(detail(&state, &order).await?))
}

pub(crate) async fn find(state: &AppState, id: i64) -> Result<WorkOrder, ApiError> {
    state
        .store
        .work_order(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no work order {id}")))
}

async fn detail(state: &AppState, order: &WorkOrder) -> Result<WorkOrderDetail, ApiError> {
    let decisions = state.store.decisions(order.id).await?;
    let notices = state.store.notices_for_order(order.id).await?;
    Ok(WorkOrderDetail {
        order: WorkOrderView::new(order, None),
        decisions: decisions.iter().map(DecisionView::from).collect(),
        notices: notices.iter().map(NoticeView::from).collect(),
    })
}

/// A work order a committee member opens by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// The equipment.
    pub equipment: String,
    /// Title: what to do.
    pub title: String,
    /// Estimated cost, if known.
    pub estimated_cost: Option<f64>,
    /// Why, in plain words.
    pub explanation: Option<String>,
}

/// Opens a work order by hand (origin `manual`, state proposed).
#[utoipa::path(post, path = "/api/v1/work-orders", tag = "work orders", request_body = NewOrder,
    responses((status = 201, body = WorkOrderDetail), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewOrder>,
) -> Result<(StatusCode, Json<WorkOrderDetail>), ApiError> {
    caller.require_committee()?;
    let equipment = EquipmentId::parse(&body.equipment)
        .ok()
        .filter(|id| state.registry.equipment_by_id(id).is_some())
        .ok_or_else(|| ApiError::invalid(format!("no equipment {:?}", body.equipment)))?;
    if body.title.trim().is_empty() || body.title.len() > 200 {
        return Err(ApiError::invalid("title: 1 to 200 characters"));
    }
    if body
        .estimated_cost
        .is_some_and(|c| !c.is_finite() || c < 0.0)
    {
        return Err(ApiError::invalid(
            "estimated_cost: a finite amount, 0 or more",
        ));
    }
    let explanation = body.explanation.unwrap_or_default();
    if explanation.len() > 4_000 {
        return Err(ApiError::invalid("explanation: at most 4000 characters"));
    }
    let proposal = Proposal {
        equipment,
        origin: WorkOrderOrigin::Manual,
        title: body.title.trim().to_owned(),
        probability: None,
        horizon_days: None,
        expected_benefit: None,
        estimated_cost: body.estimated_cost,
        assessment: serde_json::json!({ "opened_by": caller.actor() }),
        explanation,
    };
    let change = state
        .store
        .upsert_proposal(&proposal, Timestamp::now(), |_, _| false)
        .await?;
    state.responses.invalidate();
    let order = find(&state, change.id()).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &order).await?)))
}

/// A scheduled window.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowBody {
    /// Start (RFC 3339).
    pub start: String,
    /// End (RFC 3339).
    pub end: String,
}

/// What a done order found.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    /// Whether there was a real fault.
    pub real_fault: bool,
    /// What was replaced.
    pub replaced: Option<String>,
    /// What the work cost.
    pub cost: f64,
}

/// A decision on a work order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// The new state.
    pub to: String,
    /// Why (recorded in the decision log).
    pub note: Option<String>,
    /// The version the decision was made on; refused (409) if the order changed since.
    pub version: Option<i64>,
    /// For `scheduled`: when.
    pub window: Option<WindowBody>,
    /// For `scheduled`: the units affected (default: every unit the equipment serves).
    pub units: Option<Vec<String>>,
    /// For `scheduled`: the work in a few words, for the residents' notice
    /// (default: "maintenance").
    pub work: Option<String>,
    /// For `done`: what was found, replaced, and what it cost.
    pub outcome: Option<OutcomeBody>,
}

/// Moves a work order through its lifecycle: proposed → approved → scheduled
/// (window, affected units: a notice for each) → in_progress → done (outcome,
/// written to the event history), or deferred / dismissed (with the risk at that
/// moment, so the order comes back when the risk grows).
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/transitions", tag = "work orders",
    params(("id" = i64, Path, description = "Work order id")), request_body = TransitionBody,
    responses((status = 200, body = WorkOrderDetail), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn transition(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TransitionBody>,
) -> Result<Json<WorkOrderDetail>, ApiError> {
    let updated = apply_transition(&state, &caller, id, body).await?;
    Ok(Json(detail(&state, &updated).await?))
}

/// Checks and applies a decision on a work order (with the notices a schedule
/// sends): the one path the API and the pages share.
pub(crate) async fn apply_transition(
    state: &AppState,
    caller: &Caller,
    id: i64,
    body: TransitionBody,
) -> Result<WorkOrder, ApiError> {
    caller.require_committee()?;
    let to = WorkOrderState::parse(&body.to).map_err(|e| ApiError::invalid(e.to_string()))?;
    let order = find(state, id).await?;
    let note = body.note.unwrap_or_default();
    if note.len() > 2_000 {
        return Err(ApiError::invalid("note: at most 2000 characters"));
    }
    let mut t = Transition::new(to, caller.actor(), Timestamp::now());
    t.note = note;
    t.expected_version = body.version;
    if to == WorkOrderState::Scheduled {
        let window = body
            .window
            .ok_or_else(|| ApiError::invalid("scheduling needs a `window` {start, end}"))?;
        let start = Timestamp::parse(&window.start)
            .map_err(|e| ApiError::invalid(format!("window.start: {e}")))?;
        let end = Timestamp::parse(&window.end)
            .map_err(|e| ApiError::invalid(format!("window.end: {e}")))?;
        if start >= end {
            return Err(ApiError::invalid("window: start must be before end"));
        }
        let units = match body.units {
            Some(list) => {
                if list.len() > MAX_UNITS {
                    return Err(ApiError::invalid(format!("units: at most {MAX_UNITS}")));
                }
                list.iter()
                    .map(|u| {
                        UnitId::parse(u)
                            .ok()
                            .filter(|u| state.registry.unit(u).is_some())
                            .ok_or_else(|| ApiError::invalid(format!("no unit {u:?}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
            None => state
                .registry
                .equipment_by_id(&order.equipment)
                .map(|e| e.serves.clone())
                .unwrap_or_default(),
        };
        let work = body.work.unwrap_or_else(|| "maintenance".to_owned());
        if work.len() > 200 {
            return Err(ApiError::invalid("work: at most 200 characters"));
        }
        t.notices = notices_for_schedule(state, &order, &work, (start, end), &units);
        t.cancel_other_notices = true;
        t.window = Some((start, end));
        t.units = Some(units);
    } else if body.window.is_some() || body.units.is_some() || body.work.is_some() {
        return Err(ApiError::invalid(
            "`window`, `units` and `work` belong to a move to `scheduled`",
        ));
    }
    if matches!(
        to,
        WorkOrderState::Approved | WorkOrderState::Deferred | WorkOrderState::Dismissed
    ) && order.state == WorkOrderState::Scheduled
    {
        t.notices = cancellations(state, &order);
        t.cancel_other_notices = true;
    }
    if let Some(o) = body.outcome {
        if !o.cost.is_finite() || o.cost < 0.0 {
            return Err(ApiError::invalid(
                "outcome.cost: a finite amount, 0 or more",
            ));
        }
        t.outcome = Some(Outcome {
            real_fault: o.real_fault,
            replaced: o.replaced,
            cost: o.cost,
        });
    }
    let updated = state.store.transition(id, &t).await;
    state.responses.invalidate();
    Ok(updated?)
}

/// A unit's notice for a work window.
fn new_notice(
    unit: &UnitId,
    text: NoticeText,
    (start, end): (Timestamp, Timestamp),
    cancelled: bool,
) -> NewNotice {
    NewNotice {
        unit: unit.clone(),
        title: text.title,
        body: text.body,
        starts_at: Some(start),
        ends_at: Some(end),
        cancelled,
    }
}

/// A notice for each affected unit: new, or "changed" if the order was scheduled before.
pub(crate) fn notices_for_schedule(
    state: &AppState,
    order: &WorkOrder,
    work: &str,
    (start, end): (Timestamp, Timestamp),
    units: &[UnitId],
) -> Vec<NewNotice> {
    let Some(equipment) = state.registry.equipment_by_id(&order.equipment) else {
        return Vec::new();
    };
    let tz = state.registry.timezone();
    units
        .iter()
        .map(|unit| {
            let text = match order.window {
                Some((old_start, old_end))
                    if order.state == WorkOrderState::Scheduled && order.units.contains(unit) =>
                {
                    changed_notice_text(
                        equipment.kind,
                        &equipment.name,
                        work,
                        (old_start.in_zone(tz), old_end.in_zone(tz)),
                        start.in_zone(tz),
                        end.in_zone(tz),
                        unit,
                    )
                }
                _ => notice_text(
                    equipment.kind,
                    &equipment.name,
                    work,
                    start.in_zone(tz),
                    end.in_zone(tz),
                    unit,
                ),
            };
            new_notice(unit, text, (start, end), false)
        })
        .collect()
}

/// "Cancelled" notices for every unit of a scheduled order that is called off.
fn cancellations(state: &AppState, order: &WorkOrder) -> Vec<NewNotice> {
    let (Some(equipment), Some((start, end))) = (
        state.registry.equipment_by_id(&order.equipment),
        order.window,
    ) else {
        return Vec::new();
    };
    let tz = state.registry.timezone();
    order
        .units
        .iter()
        .map(|unit| {
            let text = cancelled_notice_text(
                equipment.kind,
                &equipment.name,
                "maintenance",
                start.in_zone(tz),
                end.in_zone(tz),
                unit,
            );
            new_notice(unit, text, (start, end), true)
        })
        .collect()
}
