//! The registry: buildings, units, equipment, sensors; and who the caller is.
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use caretaker_core::{EquipmentId, Role};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use crate::views::{
    BuildingView, EquipmentRef, EquipmentView, EventView, MeView, SensorView, UnitView,
};

/// Who the caller is; for a resident, the equipment serving their unit.
#[utoipa::path(get, path = "/api/v1/me", tag = "registry",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(State(state): State<Arc<AppState>>, caller: Caller) -> Json<MeView> {
    let equipment = match (&caller.role, &caller.unit) {
        (Role::Resident, Some(unit)) => state
            .registry
            .equipment()
            .iter()
            .filter(|e| e.serves.contains(unit))
            .map(|e| EquipmentRef {
                id: e.id.to_string(),
                name: e.name.clone(),
                kind: e.kind.name().to_owned(),
            })
            .collect(),
        _ => Vec::new(),
    };
    Json(MeView {
        role: caller.role.name().to_owned(),
        unit: caller.unit.as_ref().map(ToString::to_string),
        label: caller.label,
        equipment,
    })
}

/// The co-op's buildings.
#[utoipa::path(get, path = "/api/v1/buildings", tag = "registry",
    responses((status = 200, body = [BuildingView]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn buildings(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<BuildingView>>, ApiError> {
    caller.require_committee()?;
    Ok(Json(
        state.registry.buildings().iter().map(Into::into).collect(),
    ))
}

/// The co-op's units.
#[utoipa::path(get, path = "/api/v1/units", tag = "registry",
    responses((status = 200, body = [UnitView]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn units(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<UnitView>>, ApiError> {
    caller.require_committee()?;
    Ok(Json(
        state.registry.units().iter().map(Into::into).collect(),
    ))
}

/// The co-op's equipment.
#[utoipa::path(get, path = "/api/v1/equipment", tag = "registry",
    responses((status = 200, body = [EquipmentView]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn equipment_list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<EquipmentView>>, ApiError> {
    caller.require_committee()?;
    Ok(Json(
        state.registry.equipment().iter().map(Into::into).collect(),
    ))
}

/// One piece of equipment.
#[utoipa::path(get, path = "/api/v1/equipment/{id}", tag = "registry",
    params(("id" = String, Path, description = "Equipment id")),
    responses((status = 200, body = EquipmentView), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn equipment_one(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EquipmentView>, ApiError> {
    caller.require_committee()?;
    let id = EquipmentId::parse(&id).map_err(|e| ApiError::not_found(e.to_string()))?;
    let e = state
        .registry
        .equipment_by_id(&id)
        .ok_or_else(|| ApiError::not_found(format!("no equipment {id}")))?;
    Ok(Json(e.into()))
}

/// The co-op's sensors.
#[utoipa::path(get, path = "/api/v1/sensors", tag = "registry",
    responses((status = 200, body = [SensorView]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn sensors(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<SensorView>>, ApiError> {
    caller.require_committee()?;
    Ok(Json(
        state.registry.sensors().iter().map(Into::into).collect(),
    ))
}

/// Which events.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Only this equipment's history.
    pub equipment: Option<String>,
    /// At most this many, newest first (default 100, capped at 1000).
    pub limit: Option<i64>,
}

/// The maintenance history (failures, maintenance, alarms, resident reports, work
/// order outcomes), newest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "registry", params(EventsQuery),
    responses((status = 200, body = [EventView]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn events(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    caller.require_committee()?;
    let equipment = q
        .equipment
        .as_deref()
        .map(|id| EquipmentId::parse(id).map_err(|e| ApiError::bad_request(e.to_string())))
        .transpose()?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1_000) as usize;
    let events = state.store.events(equipment.as_ref()).await?;
    Ok(Json(
        events
            .iter()
            .rev()
            .take(limit)
            .map(EventView::from)
            .collect(),
    ))
}
