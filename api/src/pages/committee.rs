//! `/`: the committee's first screen — the ranked open work orders with their
//! reasons, the budget plan for a budget they type, the buildings at a glance,
//! sensors to check, and residents' recent reports.
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use caretaker_core::{EventKind, Role, Timestamp, WorkOrderState};
use caretaker_dashboards::charts::budget_plan::{BudgetPlan as PlanChart, PlanItem};
use caretaker_dashboards::pages::committee_home;
use caretaker_dashboards::pages::view::{
    AttentionLine, BuildingLine, ChartView, CommitteeHome, FeedLine, NoticeLine, OrderLine,
    PlanView, ReportLine,
};
use caretaker_data::{WorkOrder, WorkOrderFilter};
use caretaker_ingest::activity::GatewayProblem;
use serde::Deserialize;

use super::error::PageError;
use super::format::{money, percent, when, window, zone};
use super::html;
use super::session::Visitor;
use crate::error::ApiError;
use crate::ranking::BudgetPlan;
use crate::routes::readings::heavy_permit;
use crate::routes::risks::budget_plan;
use crate::state::AppState;

/// Orders listed on the first screen.
pub const ORDERS_SHOWN: i64 = 50;

/// The budget planned for when the committee has typed none.
pub const DEFAULT_BUDGET: f64 = 10_000.0;

/// Days of resident reports and sensor alarms shown.
const RECENT_DAYS: i64 = 30;

/// `/?budget=...`.
#[derive(Debug, Deserialize)]
pub struct HomeQuery {
    budget: Option<String>,
    feed: Option<String>,
}

/// A state in words.
pub fn state_words(state: WorkOrderState) -> &'static str {
    match state {
        WorkOrderState::Proposed => "Waiting for a decision",
        WorkOrderState::Deferred => "Deferred",
        WorkOrderState::Approved => "Approved, not scheduled",
        WorkOrderState::Scheduled => "Scheduled",
        WorkOrderState::InProgress => "Under way",
        WorkOrderState::Done => "Done",
        WorkOrderState::Dismissed => "Dismissed",
    }
}

/// An explanation's reasons, a line each, without list marks.
pub fn reason_lines(explanation: &str) -> Vec<String> {
    explanation
        .lines()
        .map(|l| l.trim().trim_start_matches(['-', '*', '•']).trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first reason of an explanation: the reason in one line.
pub fn first_reason(explanation: &str) -> String {
    reason_lines(explanation)
        .into_iter()
        .next()
        .unwrap_or_else(|| "Opened by hand.".to_owned())
}

/// A stored notice as the pages show it.
pub fn notice_line(n: &caretaker_data::Notice, tz: chrono_tz::Tz) -> NoticeLine {
    NoticeLine {
        id: Some(n.id),
        unit: n.unit.to_string(),
        title: n.title.clone(),
        body: n.body.clone(),
        when: n.starts_at.zip(n.ends_at).map(|(s, e)| window(s, e, tz)),
        cancelled: n.cancelled_at.is_some(),
    }
}

/// An order as a line of a list.
pub fn order_line(state: &AppState, o: &WorkOrder, rank: Option<i64>) -> OrderLine {
    let currency = &state.registry.coop().currency;
    let tz = zone(&state.registry);
    let equipment = state.registry.equipment_by_id(&o.equipment);
    OrderLine {
        id: o.id,
        rank,
        title: o.title.clone(),
        equipment_id: o.equipment.to_string(),
        equipment_name: equipment.map_or_else(|| o.equipment.to_string(), |e| e.name.clone()),
        state: state_words(o.state).to_owned(),
        reason: first_reason(&o.explanation),
        chance: o.probability.map(|p| match o.horizon_days {
            Some(days) => format!("{} within {days} days", percent(p)),
            None => percent(p),
        }),
        benefit: o.expected_benefit.map(|b| money(b, currency)),
        cost: o.estimated_cost.map(|c| money(c, currency)),
        window: o.window.map(|(s, e)| window(s, e, tz)),
        funded: None,
    }
}

fn parse_budget(text: Option<&str>) -> Result<f64, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(DEFAULT_BUDGET),
        Some(t) => t
            .replace(',', "")
            .parse::<f64>()
            .ok()
            .filter(|b| b.is_finite() && *b >= 0.0 && *b <= 1e12)
            .ok_or_else(|| ApiError::invalid(format!("the budget {t:?} is not an amount"))),
    }
}

/// The committee's first screen (a resident is sent to their unit's page).
pub async fn home(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Query(q): Query<HomeQuery>,
) -> Result<Response, PageError> {
    if visitor.caller.role == Role::Resident {
        return Ok(Redirect::to("/unit").into_response());
    }
    visitor.require_committee()?;
    let budget = parse_budget(q.budget.as_deref())?;
    let key = budget.to_string();
    let generation = state.responses.generation();
    let view = match state.committee_views.get(&key, generation) {
        Some(view) => view,
        None => {
            let view = Arc::new(home_view(&state, budget).await?);
            state
                .committee_views
                .put(key, generation, Arc::clone(&view));
            view
        }
    };
    let new_feed_url = q
        .feed
        .filter(|f| f.len() <= 128)
        .map(|f| format!("/calendar/{f}.ics"));
    Ok(html(committee_home(
        &visitor.chrome(&state),
        &view,
        new_feed_url.as_deref(),
    ))
    .into_response())
}

/// What the first screen shows for a budget: computed once per change of the
/// orders (and at most every [`crate::state::HOME_VIEW_MAX_AGE`]), since the
/// committee opens it far more often than anything changes.
async fn home_view(state: &AppState, budget: f64) -> Result<CommitteeHome, ApiError> {
    let tz = zone(&state.registry);
    let currency = state.registry.coop().currency.clone();
    let open = WorkOrderFilter::open();
    let (orders, open_total) = state.store.list_work_orders(&open, ORDERS_SHOWN, 0).await?;

    let plan = cached_plan(state, budget).await?;
    let funded: Vec<i64> = plan
        .chosen
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    let planned: Vec<i64> = funded
        .iter()
        .copied()
        .chain(plan.deferred.iter().filter_map(|d| d.id.parse().ok()))
        .collect();
    let lines: Vec<OrderLine> = orders
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let mut line = order_line(state, o, Some(i as i64 + 1));
            if planned.contains(&o.id) {
                line.funded = Some(funded.contains(&o.id));
            }
            line
        })
        .collect();
    let chart_items: Vec<PlanItem> = orders
        .iter()
        .filter(|o| planned.contains(&o.id))
        .map(|o| PlanItem {
            name: o.title.clone(),
            cost: o.estimated_cost.unwrap_or(0.0).max(0.0),
            expected_benefit: o.expected_benefit.unwrap_or(0.0),
            funded: funded.contains(&o.id),
        })
        .collect();
    let summary = format!(
        "{} of {} candidate orders fit a budget of {}: they cost {} and are expected to save {}. \
         Leaving the other {} for later risks about {}.{}",
        plan.chosen.len(),
        planned.len(),
        money(budget, &currency),
        money(plan.total_cost, &currency),
        money(plan.total_benefit, &currency),
        plan.deferred.len(),
        money(plan.deferred_risk, &currency),
        if plan.cut_short {
            " (The search stopped early: this plan is good, but may not be the best.)"
        } else {
            ""
        }
    );
    // Drawn once per change of the orders, like the plan it shows.
    let chart_key = format!("page plan chart {budget}");
    let svg = match state.responses.get(&chart_key) {
        Some(bytes) => String::from_utf8(bytes.to_vec()).ok(),
        None => {
            let generation = state.responses.generation();
            let svg = PlanChart {
                currency: currency.clone(),
                budget,
                items: chart_items,
            }
            .svg()
            .ok();
            if let Some(svg) = &svg {
                state
                    .responses
                    .put(chart_key, generation, svg.clone().into_bytes().into());
            }
            svg
        }
    };
    let chart = svg.map(|svg| ChartView {
        svg,
        caption: "Expected saving against money spent, orders in ranked order; the dashed line is the budget, hollow marks fall outside it.".into(),
        png_url: None,
    });

    let since = Timestamp::from_millis(Timestamp::now().millis() - RECENT_DAYS * 86_400_000);
    let events = state.store.events_since(since).await?;
    let name_of = |id: &caretaker_core::EquipmentId| {
        state
            .registry
            .equipment_by_id(id)
            .map_or_else(|| id.to_string(), |e| e.name.clone())
    };
    let mut reports: Vec<ReportLine> = events
        .iter()
        .filter(|e| e.kind == EventKind::ResidentReport && e.ts >= since)
        .map(|e| ReportLine {
            when: when(e.ts, tz),
            unit: e.unit.as_ref().map(ToString::to_string).unwrap_or_default(),
            equipment: name_of(&e.equipment),
            text: e.description.clone(),
        })
        .collect();
    reports.reverse();
    reports.truncate(50);
    let attention: Vec<AttentionLine> = latest_sensor_problems(&events, since)
        .into_iter()
        .map(|e| AttentionLine {
            what: name_of(&e.equipment),
            problem: format!("{} (since {})", e.description, when(e.ts, tz)),
        })
        .chain(gateway_attention(state, tz))
        .collect();

    let board = state.board();
    let mut open_by_equipment: HashMap<String, usize> = HashMap::new();
    for o in &orders {
        *open_by_equipment
            .entry(o.equipment.to_string())
            .or_default() += 1;
    }
    let buildings = state
        .registry
        .buildings()
        .iter()
        .map(|b| {
            let equipment: Vec<_> = state
                .registry
                .equipment()
                .iter()
                .filter(|e| e.building == b.id)
                .collect();
            let riskiest = board
                .entries
                .iter()
                .filter(|r| equipment.iter().any(|e| e.id == r.assessment.equipment))
                .max_by(|a, b| {
                    a.assessment
                        .probability
                        .total_cmp(&b.assessment.probability)
                })
                .map(|r| {
                    (
                        format!(
                            "{}, {} chance of failure within {} days",
                            name_of(&r.assessment.equipment),
                            percent(r.assessment.probability),
                            r.assessment.horizon_days
                        ),
                        r.assessment.equipment.to_string(),
                    )
                });
            BuildingLine {
                name: b.name.clone(),
                units: state
                    .registry
                    .units()
                    .iter()
                    .filter(|u| u.building == b.id)
                    .count(),
                equipment: equipment.len(),
                open_orders: equipment
                    .iter()
                    .map(|e| open_by_equipment.get(e.id.as_str()).copied().unwrap_or(0))
                    .sum(),
                riskiest,
            }
        })
        .collect();
    let feeds = state
        .store
        .calendar_feeds()
        .await?
        .into_iter()
        .map(|f| FeedLine {
            id: f.id,
            label: f.label,
            created: when(f.created_at, tz),
        })
        .collect();
    Ok(CommitteeHome {
        as_of: board
            .as_of
            .as_deref()
            .and_then(|t| Timestamp::parse(t).ok())
            .map(|t| when(t, tz)),
        orders: lines,
        open_total,
        plan: PlanView {
            budget: format!("{budget:.0}"),
            currency,
            summary,
            chart,
        },
        buildings,
        attention,
        reports,
        feeds,
    })
}

/// Gateways gone silent or whose messages are being refused far more than usual
/// (known when ingest runs in this process).
fn gateway_attention(state: &AppState, tz: chrono_tz::Tz) -> Vec<AttentionLine> {
    let Some(metrics) = &state.ingest_metrics else {
        return Vec::new();
    };
    let names = state.registry.gateways().iter().map(|g| g.name.as_str());
    metrics
        .gateways
        .attention(names, Timestamp::now())
        .into_iter()
        .map(|a| AttentionLine {
            what: format!("Sensor gateway {}", a.gateway),
            problem: match a.problem {
                GatewayProblem::Silent {
                    last_message: Some(at),
                    ..
                } => format!("Silent: nothing heard from it since {}", when(at, tz)),
                GatewayProblem::Silent {
                    last_message: None,
                    started,
                } => format!(
                    "Silent: nothing heard from it since Caretaker started, {}",
                    when(started, tz)
                ),
                GatewayProblem::QuarantineSpike {
                    last_hour,
                    usual_per_hour,
                    reason,
                } => format!(
                    "{last_hour} of its messages or readings were refused in the last hour \
                     (usually {usual_per_hour:.0} an hour){}",
                    reason.map_or_else(String::new, |r| format!(", mostly {}", r.plain()))
                ),
            },
        })
        .collect()
}

/// The budget plan for `budget`, computed once per change of the orders (the
/// first screen is opened far more often than orders change), on one of the
/// permits for heavy requests.
async fn cached_plan(state: &AppState, budget: f64) -> Result<BudgetPlan, ApiError> {
    let key = format!("page plan {budget}");
    if let Some(bytes) = state.responses.get(&key)
        && let Ok(plan) = serde_json::from_slice(&bytes)
    {
        return Ok(plan);
    }
    let generation = state.responses.generation();
    let _permit = heavy_permit(state)?;
    let plan = budget_plan(state, budget).await?.plan;
    let bytes = serde_json::to_vec(&plan).map_err(ApiError::internal)?;
    state.responses.put(key, generation, bytes.into());
    Ok(plan)
}

/// The latest sensor problem of each piece of equipment since `since`.
fn latest_sensor_problems(
    events: &[caretaker_core::Event],
    since: Timestamp,
) -> Vec<&caretaker_core::Event> {
    let mut latest: HashMap<(&str, &str), &caretaker_core::Event> = HashMap::new();
    for e in events.iter().filter(|e| {
        e.kind == EventKind::Alarm
            && e.ts >= since
            && crate::board::is_sensor_health_code(e.code.as_deref().unwrap_or_default())
    }) {
        latest.insert(
            (e.equipment.as_str(), e.code.as_deref().unwrap_or_default()),
            e,
        );
    }
    let mut out: Vec<_> = latest.into_values().collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.ts));
    out
}
