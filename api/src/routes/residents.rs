//! What residents read and send: notices for their unit and problem reports.
//! A resident sees only their own unit: another unit's notice or report is
//! "not found", whether asked by id or by query.
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use caretaker_core::{EquipmentId, EquipmentKind, Role, Timestamp, UnitId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::views::{NoticeView, ReportView};

/// Which unit's notices or reports.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    /// The unit (a resident's own by default; required for the committee).
    pub unit: Option<String>,
    /// Include cancelled notices (default true: residents should see that work was called off).
    pub include_cancelled: Option<bool>,
}

/// The unit a request is about: a resident's own (another unit is "not found"),
/// or the one the committee names.
fn unit_for(state: &AppState, caller: &Caller, asked: Option<&str>) -> Result<UnitId, ApiError> {
    caller.require(&[Role::Resident, Role::Committee, Role::Admin])?;
    let unit = match (asked, &caller.unit) {
        (Some(text), _) => {
            UnitId::parse(text).map_err(|_| ApiError::not_found(format!("no unit {text:?}")))?
        }
        (None, Some(own)) => own.clone(),
        (None, None) => return Err(ApiError::invalid("give `unit`")),
    };
    if !caller.may_see_unit(&unit) || state.registry.unit(&unit).is_none() {
        return Err(ApiError::not_found(format!("no unit {unit}")));
    }
    Ok(unit)
}

/// Notices for one unit, newest first.
#[utoipa::path(get, path = "/api/v1/notices", tag = "residents", params(UnitQuery),
    responses((status = 200, body = [NoticeView]), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn notices(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> Result<Json<Vec<NoticeView>>, ApiError> {
    let unit = unit_for(&state, &caller, q.unit.as_deref())?;
    let notices = state
        .store
        .notices_for_unit(&unit, q.include_cancelled.unwrap_or(true))
        .await?;
    Ok(Json(notices.iter().map(NoticeView::from).collect()))
}

/// One notice; a resident sees only their own unit's.
#[utoipa::path(get, path = "/api/v1/notices/{id}", tag = "residents",
    params(("id" = i64, Path, description = "Notice id")),
    responses((status = 200, body = NoticeView), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn notice(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NoticeView>, ApiError> {
    caller.require(&[Role::Resident, Role::Committee, Role::Admin])?;
    let notice = state
        .store
        .notice(id)
        .await?
        .filter(|n| caller.may_see_unit(&n.unit))
        .ok_or_else(|| ApiError::not_found(format!("no notice {id}")))?;
    Ok(Json(NoticeView::from(&notice)))
}

/// What a report is about.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportCategory {
    /// No heat, or not enough.
    NoHeat,
    /// No hot water.
    NoHotWater,
    /// The elevator is stuck, stopped or unsafe.
    Elevator,
    /// Water where it should not be.
    Leak,
    /// Stuffy air, ventilation not working.
    Ventilation,
    /// A noise, smell or anything else.
    Other,
}

impl ReportCategory {
    fn name(self) -> &'static str {
        match self {
            Self::NoHeat => "no_heat",
            Self::NoHotWater => "no_hot_water",
            Self::Elevator => "elevator",
            Self::Leak => "leak",
            Self::Ventilation => "ventilation",
            Self::Other => "other",
        }
    }

    /// Kinds of equipment that can cause it, most likely first.
    /// The category a report about this kind of equipment falls in.
    pub(crate) fn for_kind(kind: EquipmentKind) -> Self {
        [
            Self::NoHeat,
            Self::NoHotWater,
            Self::Elevator,
            Self::Leak,
            Self::Ventilation,
        ]
        .into_iter()
        .find(|c| c.kinds().contains(&kind))
        .unwrap_or(Self::Other)
    }

    fn kinds(self) -> &'static [EquipmentKind] {
        use EquipmentKind::*;
        match self {
            Self::NoHeat => &[Boiler, CirculationPump, HeatPump],
            Self::NoHotWater => &[DhwHeater, Boiler],
            Self::Elevator => &[Elevator],
            Self::Leak => &[LeakZone, SumpPump],
            Self::Ventilation => &[AirHandler],
            Self::Other => &[],
        }
    }
}

/// A problem a resident reports for their unit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// What it is about.
    pub category: ReportCategory,
    /// What is wrong, in the resident's words (1 to 2000 characters).
    pub text: String,
    /// The equipment, if the resident knows it (it must serve the unit); otherwise
    /// the equipment of that category serving the unit.
    pub equipment: Option<String>,
    /// The unit (a resident's own by default; required for the committee).
    pub unit: Option<String>,
}

/// Reports a problem for a unit; it becomes evidence on the equipment serving it
/// (a unit counts once per equipment and day) and the ranking is weighed again
/// shortly after, in the background. A resident token may send
/// `api.reports_per_hour` reports an hour; more get 429 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/reports", tag = "residents", request_body = NewReport,
    responses((status = 201, body = ReportView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "More reports from this resident token \
            in the last hour than `api.reports_per_hour`",
            headers(("Retry-After" = u64, description = "Seconds until a report is accepted again")))),
    security(("bearer" = [])))]
pub async fn report(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewReport>,
) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    let view = submit_report(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Files a problem report for the caller's unit (or, for the committee, the
/// unit named): the one path the API and the pages share.
pub(crate) async fn submit_report(
    state: &AppState,
    caller: &Caller,
    body: NewReport,
) -> Result<ReportView, ApiError> {
    let unit = unit_for(state, caller, body.unit.as_deref())?;
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > 2_000 {
        return Err(ApiError::invalid("text: 1 to 2000 characters"));
    }
    let serving: Vec<_> = state
        .registry
        .equipment()
        .iter()
        .filter(|e| e.serves.contains(&unit))
        .collect();
    let equipment = match &body.equipment {
        Some(id) => {
            let id = EquipmentId::parse(id)
                .map_err(|_| ApiError::not_found(format!("no equipment {id:?}")))?;
            serving.iter().find(|e| e.id == id).ok_or_else(|| {
                ApiError::not_found(format!("no equipment {id} serving unit {unit}"))
            })?
        }
        None => body
            .category
            .kinds()
            .iter()
            .find_map(|k| serving.iter().find(|e| e.kind == *k))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "no equipment of that category serves unit {unit}: name the `equipment` \
                     (GET /api/v1/me lists what serves the unit)"
                ))
            })?,
    };
    limit_reports(state, caller)?;
    let now = Timestamp::now();
    let id = state
        .store
        .report_problem(&unit, &equipment.id, body.category.name(), text, now)
        .await?;
    state.responses.invalidate();
    state.reassess.notify_one();
    Ok(ReportView {
        id,
        at: now.to_string(),
        unit: Some(unit.to_string()),
        equipment: equipment.id.to_string(),
        category: Some(body.category.name().to_owned()),
        text: text.to_owned(),
    })
}

/// Refuses (429) a resident token's report beyond `reports_per_hour` in the last hour.
fn limit_reports(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    if caller.role != Role::Resident {
        return Ok(());
    }
    let per_hour = state.limits.reports_per_hour;
    let hour = Duration::from_secs(3600);
    state
        .report_limiter
        .try_acquire(caller.token_id, per_hour, hour, Instant::now())
        .map_err(|wait| {
            ApiError::too_many_requests(
                format!(
                    "a resident may send {per_hour} reports an hour; the committee has \
                     received the earlier ones"
                ),
                wait,
            )
        })
}

/// Problems reported for one unit, newest first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "residents", params(UnitQuery),
    responses((status = 200, body = [ReportView]), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reports(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> Result<Json<Vec<ReportView>>, ApiError> {
    let unit = unit_for(&state, &caller, q.unit.as_deref())?;
    let reports = state.store.reports_for_unit(&unit).await?;
    Ok(Json(
        reports
            .iter()
            .map(|(id, e)| ReportView {
                id: *id,
                at: e.ts.to_string(),
                unit: e.unit.as_ref().map(ToString::to_string),
                equipment: e.equipment.to_string(),
                category: e.code.clone(),
                text: e.description.clone(),
            })
            .collect(),
    ))
}
