//! `/equipment/{id}`: a piece of equipment's risk now and over time, its
//! sensors' trends with failures, alarms, reports and orders marked, its work
//! orders and its history.
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use caretaker_core::{EquipmentId, EventKind, Timestamp};
use caretaker_dashboards::charts::risk_over_time::RiskOverTime;
use caretaker_dashboards::charts::sensor_trend::{self, NormalBand, SensorTrend, TrendEvent};
use caretaker_dashboards::pages::equipment_page;
use caretaker_dashboards::pages::view::{ChartView, EquipmentPage};
use caretaker_data::WorkOrderFilter;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::committee::{order_line, reason_lines};
use super::error::PageError;
use super::format::{money, percent, when, zone};
use super::html;
use super::session::Visitor;
use crate::error::ApiError;
use crate::routes::readings::heavy_permit;
use crate::state::AppState;

/// Most points drawn per sensor trend (the readings are averaged to fit).
const TREND_POINTS: i64 = 400;

/// Most sensors charted on one page.
const SENSORS_CHARTED: usize = 6;

/// `?days=30`.
#[derive(Debug, Deserialize)]
pub struct EquipmentQuery {
    days: Option<String>,
}

fn event_words(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Failure => "Failure",
        EventKind::PreventiveMaintenance => "Planned maintenance",
        EventKind::CorrectiveMaintenance => "Repair",
        EventKind::Alarm => "Alarm",
        EventKind::ResidentReport => "Resident report",
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The middle 80 % of the readings shown: where the sensor usually is.
fn usual_band(values: &[f64]) -> Option<(f64, f64)> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.len() < 10 {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    Some((at(0.1), at(0.9)))
}

/// A piece of equipment's page.
pub async fn page(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(q): Query<EquipmentQuery>,
) -> Result<Response, PageError> {
    visitor.require_committee()?;
    let not_found = || ApiError::not_found(format!("There is no equipment {id:?}."));
    let id = EquipmentId::parse(&id).map_err(|_| not_found())?;
    let equipment = state
        .registry
        .equipment_by_id(&id)
        .ok_or_else(not_found)?
        .clone();
    let days: u32 = q
        .days
        .as_deref()
        .and_then(|d| d.parse().ok())
        .filter(|d| [7, 30, 90, 365].contains(d))
        .unwrap_or(30);
    let tz = zone(&state.registry);
    let currency = state.registry.coop().currency.clone();
    let now = Timestamp::now();
    let from = Timestamp::from_millis(now.millis() - i64::from(days) * 86_400_000);
    let to_utc = |t: Timestamp| -> DateTime<Utc> { t.to_datetime() };

    let events = state.store.events(Some(&id)).await?;
    let filter = WorkOrderFilter {
        equipment: Some(id.clone()),
        ..WorkOrderFilter::default()
    };
    let (orders, _) = state.store.list_work_orders(&filter, 100, 0).await?;
    let mut marks: Vec<TrendEvent> = events
        .iter()
        .filter(|e| e.ts >= from)
        .filter_map(|e| {
            let kind = match e.kind {
                EventKind::Failure => sensor_trend::EventKind::Failure,
                EventKind::Alarm => sensor_trend::EventKind::Alarm,
                EventKind::ResidentReport => sensor_trend::EventKind::ResidentReport,
                _ => return None,
            };
            Some(TrendEvent {
                at: to_utc(e.ts),
                kind,
            })
        })
        .collect();
    marks.extend(
        orders
            .iter()
            .filter(|o| o.created_at >= from)
            .map(|o| TrendEvent {
                at: to_utc(o.created_at),
                kind: sensor_trend::EventKind::WorkOrder,
            }),
    );

    let board = state.board();
    let entry = board.entries.iter().find(|e| e.assessment.equipment == id);
    let mut charts = Vec::new();
    let history = state
        .store
        .risk_history(&id, from.to_datetime().date_naive())
        .await?;
    let horizon = entry.map_or(30, |e| e.assessment.horizon_days);
    let risk = RiskOverTime {
        equipment: equipment.name.clone(),
        horizon_days: horizon,
        tz,
        risk: history
            .iter()
            .filter_map(|p| {
                p.day
                    .and_hms_opt(12, 0, 0)
                    .map(|t| (t.and_utc(), p.probability))
            })
            .collect(),
        threshold: None,
        work_orders: orders
            .iter()
            .filter(|o| o.created_at >= from)
            .map(|o| to_utc(o.created_at))
            .collect(),
    };
    // One day's forecast is a point, not a trend: the chart waits for a second day.
    let risk_note = (risk.risk.len() < 2).then(|| {
        "The chance of failure over time is charted once Caretaker has forecast on two days or more."
            .to_owned()
    });
    if risk_note.is_none()
        && let Ok(svg) = risk.svg()
    {
        charts.push(ChartView {
            svg,
            caption: format!(
                "Chance that {} fails within {horizon} days, as forecast each day; the marks above show work orders.",
                equipment.name
            ),
        });
    }

    let sensors: Vec<_> = state
        .registry
        .sensors_of(&id)
        .map(|i| state.registry.sensors()[i].clone())
        .take(SENSORS_CHARTED)
        .collect();
    if !sensors.is_empty() {
        let _permit = heavy_permit(&state)?;
        let root = state.readings_dir.clone();
        let ids: Vec<_> = sensors.iter().map(|s| s.id.clone()).collect();
        let every = (i64::from(days) * 86_400_000 / TREND_POINTS).max(1);
        let series = tokio::task::spawn_blocking(move || {
            ids.iter()
                .map(|s| {
                    caretaker_ingest::store::sensor_readings(&root, s, from, now).map(|rows| {
                        crate::routes::readings::downsample(&rows, from.millis(), every)
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
        for (sensor, points) in sensors.iter().zip(series) {
            let readings: Vec<(DateTime<Utc>, f64)> = points
                .iter()
                .filter_map(|p| Timestamp::parse(&p.ts).ok().map(|t| (to_utc(t), p.value)))
                .collect();
            let values: Vec<f64> = readings.iter().map(|r| r.1).collect();
            let quantity = capitalised(&sensor.metric.name().replace('_', " "));
            let trend = SensorTrend {
                sensor: format!(
                    "{} {}",
                    equipment.name,
                    sensor.metric.name().replace('_', " ")
                ),
                quantity: quantity.clone(),
                unit: sensor.metric.unit().to_owned(),
                tz,
                start: to_utc(from),
                end: to_utc(now),
                readings,
                normal_band: usual_band(&values)
                    .map(|(lower, upper)| NormalBand::Constant { lower, upper }),
                expected_range: Some(sensor.expected_range),
                events: marks.clone(),
            };
            if let Ok(svg) = trend.svg() {
                charts.push(ChartView {
                    svg,
                    caption: format!(
                        "{quantity} ({}) over the last {days} days. The shaded band is where 8 readings in 10 fell; the dashed lines are the expected range; marks above the chart are failures, alarms, resident reports and work orders.",
                        sensor.metric.unit()
                    ),
                });
            }
        }
    }

    let mut facts = vec![
        (
            "What".to_owned(),
            capitalised(&equipment.kind.name().replace('_', " ")),
        ),
        (
            "Where".to_owned(),
            state
                .registry
                .buildings()
                .iter()
                .find(|b| b.id == equipment.building)
                .map_or_else(|| equipment.building.to_string(), |b| b.name.clone()),
        ),
        (
            "Installed".to_owned(),
            equipment.installed.format("%B %Y").to_string(),
        ),
        (
            "Replacing it would cost".to_owned(),
            money(equipment.replacement_cost, &currency),
        ),
    ];
    if !equipment.serves.is_empty() {
        facts.push((
            "Serves".to_owned(),
            format!(
                "{} units: {}",
                equipment.serves.len(),
                equipment
                    .serves
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let page = EquipmentPage {
        name: equipment.name.clone(),
        facts,
        risk: entry.map(|e| {
            format!(
                "{} chance of failure within {} days{}.",
                percent(e.assessment.probability),
                e.assessment.horizon_days,
                if e.down { "; it is broken now" } else { "" }
            )
        }),
        note: risk_note,
        reasons: entry.map(|e| reason_lines(&e.forecast)).unwrap_or_default(),
        charts,
        orders: orders.iter().map(|o| order_line(&state, o, None)).collect(),
        events: events
            .iter()
            .rev()
            .take(100)
            .map(|e| {
                (
                    when(e.ts, tz),
                    format!("{}: {}", event_words(e.kind), e.description),
                )
            })
            .collect(),
        days,
    };
    Ok(html(equipment_page(&visitor.chrome(&state), &page)).into_response())
}
