//! The monthly report's contents, built from the same store, board and plan as
//! the pages (`caretaker report` writes it to a folder).
use caretaker_core::{EventKind, Timestamp, WorkOrderState};
use caretaker_dashboards::charts::backlog_spend::{BacklogSpend, MonthFigures};
use caretaker_dashboards::charts::budget_plan::{BudgetPlan, PlanItem};
use caretaker_dashboards::pages::view::{CardSection, ChartView};
use caretaker_dashboards::pages::{ChartWithTable, MonthlyReport, monthly_report};
use caretaker_data::{WorkOrder, WorkOrderFilter};
use chrono::{Datelike, Months, NaiveDate, TimeZone};

use super::committee::order_line;
use super::format::{money, when, zone};
use super::model_card::{card_view, current_card};
use crate::error::ApiError;
use crate::routes::risks::budget_plan;
use crate::state::AppState;

/// Months of spending and open work charted back from the report's month.
const MONTHS_CHARTED: u32 = 12;

/// Orders listed as the work most worth doing.
const RANKED_SHOWN: i64 = 15;

/// The report for the month starting on `month` (its first day), planning for
/// `budget`: a whole HTML document.
pub async fn monthly(state: &AppState, month: NaiveDate, budget: f64) -> Result<String, ApiError> {
    let tz = zone(&state.registry);
    let currency = state.registry.coop().currency.clone();
    let local_start = |day: NaiveDate| -> Timestamp {
        let local = tz
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
            .earliest()
            .expect("a local midnight");
        Timestamp::from_millis(local.timestamp_millis())
    };
    let next = month + Months::new(1);
    let (from, to) = (local_start(month), local_start(next));

    let open = WorkOrderFilter::open();
    let (ranked, _) = state.store.list_work_orders(&open, RANKED_SHOWN, 0).await?;
    let all = WorkOrderFilter {
        states: Vec::new(),
        ..WorkOrderFilter::default()
    };
    let (orders, _) = state.store.list_work_orders(&all, 5_000, 0).await?;
    let events = state.store.events(None).await?;

    let name_of = |o: &WorkOrder| {
        state
            .registry
            .equipment_by_id(&o.equipment)
            .map_or_else(|| o.equipment.to_string(), |e| e.name.clone())
    };
    let done_in = |o: &&WorkOrder, from: Timestamp, to: Timestamp| {
        o.state == WorkOrderState::Done && o.updated_at >= from && o.updated_at < to
    };
    let done: Vec<[String; 4]> = orders
        .iter()
        .filter(|o| done_in(o, from, to))
        .map(|o| {
            [
                when(o.updated_at, tz),
                format!("{}: {}", name_of(o), o.title),
                o.outcome.as_ref().map(|x| x.summary()).unwrap_or_default(),
                o.outcome
                    .as_ref()
                    .map(|x| money(x.cost, &currency))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut done = done;
    done.extend(
        events
            .iter()
            .filter(|e| {
                e.ts >= from
                    && e.ts < to
                    && matches!(
                        e.kind,
                        EventKind::CorrectiveMaintenance | EventKind::PreventiveMaintenance
                    )
            })
            .map(|e| {
                let name = state
                    .registry
                    .equipment_by_id(&e.equipment)
                    .map_or_else(|| e.equipment.to_string(), |q| q.name.clone());
                [
                    when(e.ts, tz),
                    format!("{name}: {}", e.description),
                    if e.kind == EventKind::CorrectiveMaintenance {
                        "repair".to_owned()
                    } else {
                        "planned maintenance".to_owned()
                    },
                    e.cost.map(|c| money(c, &currency)).unwrap_or_default(),
                ]
            }),
    );
    let spend_between = |from: Timestamp, to: Timestamp| -> (f64, usize) {
        let orders: Vec<f64> = orders
            .iter()
            .filter(|o| done_in(o, from, to))
            .filter_map(|o| o.outcome.as_ref().map(|x| x.cost))
            .collect();
        let repairs: Vec<f64> = events
            .iter()
            .filter(|e| {
                e.ts >= from
                    && e.ts < to
                    && matches!(
                        e.kind,
                        EventKind::CorrectiveMaintenance | EventKind::PreventiveMaintenance
                    )
            })
            .filter_map(|e| e.cost)
            .collect();
        (
            orders.iter().chain(&repairs).sum(),
            orders.len() + repairs.len(),
        )
    };
    let (spent, jobs) = spend_between(from, to);
    let spent = format!(
        "{} spent on {jobs} job{} (closed work orders and recorded maintenance).",
        money(spent, &currency),
        if jobs == 1 { "" } else { "s" }
    );

    let plan = budget_plan(state, budget).await?;
    let funded: Vec<String> = plan.plan.chosen.clone();
    let candidates: Vec<&WorkOrder> = orders
        .iter()
        .filter(|o| {
            funded.contains(&o.id.to_string())
                || plan.plan.deferred.iter().any(|d| d.id == o.id.to_string())
        })
        .collect();
    let plan_summary = if candidates.is_empty() {
        "There are no open work orders to plan for.".to_owned()
    } else {
        format!(
            "With a budget of {}, {} of {} candidate orders fit: they cost {} and are expected to save {}.",
            money(budget, &currency),
            funded.len(),
            candidates.len(),
            money(plan.plan.total_cost, &currency),
            money(plan.plan.total_benefit, &currency),
        )
    };
    let mut ordered = candidates.clone();
    ordered.sort_by(|a, b| {
        b.expected_benefit
            .unwrap_or(0.0)
            .total_cmp(&a.expected_benefit.unwrap_or(0.0))
    });
    let items: Vec<PlanItem> = ordered
        .iter()
        .map(|o| PlanItem {
            name: o.title.clone(),
            cost: o.estimated_cost.unwrap_or(0.0).max(0.0),
            expected_benefit: o.expected_benefit.unwrap_or(0.0),
            funded: funded.contains(&o.id.to_string()),
        })
        .collect();
    let plan_table = ChartWithTable {
        chart: ChartView {
            svg: BudgetPlan {
                currency: currency.clone(),
                budget,
                items: items.clone(),
            }
            .svg()
            .map_err(ApiError::internal)?,
            caption: "Expected saving against money spent, most worth doing first; the dashed line is the budget.".into(),
            png_url: None,
        },
        header: vec!["Work".into(), "Cost".into(), "Expected saving".into(), "In the plan".into()],
        rows: items
            .iter()
            .map(|i| {
                vec![
                    i.name.clone(),
                    money(i.cost, &currency),
                    money(i.expected_benefit, &currency),
                    if i.funded { "yes" } else { "no" }.into(),
                ]
            })
            .collect(),
    };

    let months: Vec<NaiveDate> = (0..MONTHS_CHARTED)
        .rev()
        .map(|back| month - Months::new(back))
        .collect();
    let figures: Vec<MonthFigures> = months
        .iter()
        .map(|m| {
            let (start, end) = (local_start(*m), local_start(*m + Months::new(1)));
            let open_at_end = orders
                .iter()
                .filter(|o| o.created_at < end)
                .filter(|o| o.state.is_open() || o.updated_at >= end)
                .count();
            MonthFigures {
                month: *m,
                open_orders: u32::try_from(open_at_end).unwrap_or(u32::MAX),
                spend: spend_between(start, end).0,
            }
        })
        .collect();
    let backlog = ChartWithTable {
        chart: ChartView {
            svg: BacklogSpend {
                currency: currency.clone(),
                months: figures.clone(),
            }
            .svg()
            .map_err(ApiError::internal)?,
            caption: "Open work orders at the end of each month (top) and money spent each month (bottom).".into(),
            png_url: None,
        },
        header: vec!["Month".into(), "Open orders at its end".into(), "Spent".into()],
        rows: figures
            .iter()
            .map(|f| {
                vec![
                    format!("{} {}", month_name(f.month), f.month.year()),
                    f.open_orders.to_string(),
                    money(f.spend, &currency),
                ]
            })
            .collect(),
    };

    let (card, card_charts) = match current_card(state)? {
        Some(card) => card_view(&card),
        None => (
            vec![CardSection {
                heading: "No forecasts yet".into(),
                paragraphs: vec!["No model has been trained on this co-op's history yet.".into()],
            }],
            Vec::new(),
        ),
    };
    let report = MonthlyReport {
        coop: state.registry.coop().name.clone(),
        month: format!("{} {}", month_name(month), month.year()),
        made: when(Timestamp::now(), tz),
        ranked: ranked
            .iter()
            .enumerate()
            .map(|(i, o)| order_line(state, o, Some(i as i64 + 1)))
            .collect(),
        done,
        spent,
        plan_summary,
        // With nothing to plan, the sentence says so and an empty chart would only take room.
        plan: (!plan_table.rows.is_empty()).then_some(plan_table),
        backlog: Some(backlog),
        card,
        card_charts,
    };
    Ok(monthly_report(&report).into_string())
}

fn month_name(day: NaiveDate) -> &'static str {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][day.month0() as usize]
}
