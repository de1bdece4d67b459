//! Risk scores with their explanations, and the budget plan.
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use caretaker_core::WorkOrderState;
use caretaker_data::WorkOrderFilter;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::ranking::BudgetItem;
use crate::ranking::budget::plan_limited;
use crate::routes::readings::heavy_permit;
use crate::state::AppState;
use crate::views::{PlanView, RiskList, RiskView, WorkOrderView};

/// Every piece of equipment ranked by the expected benefit of acting now, with
/// the forecast, the weighing and its reasons.
#[utoipa::path(get, path = "/api/v1/risks", tag = "risks",
    responses((status = 200, body = RiskList), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn risks(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<RiskList>, ApiError> {
    caller.require_committee()?;
    let board = state.board();
    Ok(Json(RiskList {
        as_of: board.as_of.clone(),
        model_version: board.model_version.clone(),
        risks: board.entries.iter().map(RiskView::from).collect(),
    }))
}

/// Query of a budget plan.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// The money available for the period, in the co-op's currency.
    pub budget: f64,
}

/// The set of open orders (proposed, deferred or approved) that maximises the
/// expected benefit within a budget, and what falls below the line with the risk
/// of deferring it. The search is bounded (`api.plan_max_nodes`); `plan.cut_short`
/// says when it stopped there with the best plan found so far.
#[utoipa::path(get, path = "/api/v1/plan", tag = "work orders", params(PlanQuery),
    responses((status = 200, body = PlanView), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "Every slot for heavy requests \
            (`api.max_heavy`) is taken",
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying")))),
    security(("bearer" = [])))]
pub async fn plan(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> Result<Json<PlanView>, ApiError> {
    caller.require_committee()?;
    let _permit = heavy_permit(&state)?;
    Ok(Json(budget_plan(&state, q.budget).await?))
}

/// The plan `GET /api/v1/plan` answers for `budget`, from the open orders in the
/// store, for callers other than HTTP (`caretaker plan`). The search runs on a
/// blocking thread, visiting at most `state.limits.plan_max_nodes` nodes.
pub async fn budget_plan(state: &AppState, budget: f64) -> Result<PlanView, ApiError> {
    let filter = WorkOrderFilter {
        states: vec![
            WorkOrderState::Proposed,
            WorkOrderState::Deferred,
            WorkOrderState::Approved,
        ],
        ..WorkOrderFilter::default()
    };
    let (orders, _) = state.store.list_work_orders(&filter, 5_000, 0).await?;
    let items: Vec<BudgetItem> = orders
        .iter()
        .map(|o| BudgetItem {
            id: o.id.to_string(),
            cost: o.estimated_cost.unwrap_or(0.0).max(0.0),
            benefit: o.expected_benefit.unwrap_or(0.0),
            risk_of_deferring: o
                .assessment
                .as_ref()
                .and_then(|a| a.get("expected_cost_of_waiting"))
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(0.0),
        })
        .collect();
    let currency = state.registry.coop().currency.clone();
    let max_nodes = state.limits.plan_max_nodes;
    let unit = currency.clone();
    let plan = tokio::task::spawn_blocking(move || plan_limited(&items, budget, &unit, max_nodes))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let chosen = plan
        .chosen
        .iter()
        .filter_map(|id| orders.iter().find(|o| o.id.to_string() == *id))
        .map(|o| WorkOrderView::new(o, None))
        .collect();
    Ok(PlanView {
        currency,
        plan,
        chosen,
    })
}
