//! `/equipment/{id}`: a piece of equipment's risk now and over time, its
//! sensors' trends with failures, alarms, reports and orders marked, its work
//! orders and its history.
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use caretaker_core::{Equipment, EquipmentId, Event, EventKind, SensorId, Timestamp};
use caretaker_dashboards::charts::risk_over_time::RiskOverTime;
use caretaker_dashboards::charts::sensor_trend::{self, NormalBand, SensorTrend, TrendEvent};
use caretaker_dashboards::pages::equipment_page;
use caretaker_dashboards::pages::view::{ChartView, EquipmentPage};
use caretaker_data::{WorkOrder, WorkOrderFilter};
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

/// The name of the risk-over-time chart in its PNG address.
const RISK_CHART: &str = "risk";

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

/// The name of a sensor's trend chart in its PNG address (`sensor-{id}`).
fn sensor_chart(sensor: &SensorId) -> String {
    format!("sensor-{sensor}")
}

/// A chart of the equipment page, named in its PNG address.
enum EquipmentChart {
    /// The chance of failure over time (`risk.png`).
    Risk(RiskOverTime),
    /// One sensor's readings (`sensor-{id}.png`).
    Trend(SensorTrend),
}

impl EquipmentChart {
    fn svg(&self) -> Result<String, caretaker_dashboards::charts::ChartError> {
        match self {
            Self::Risk(c) => c.svg(),
            Self::Trend(c) => c.svg(),
        }
    }

    fn png(&self) -> Result<Vec<u8>, caretaker_dashboards::charts::ChartError> {
        match self {
            Self::Risk(c) => c.png(),
            Self::Trend(c) => c.png(),
        }
    }
}

/// A chart with its name (`risk` or `sensor-{id}`) and caption.
struct NamedChart {
    name: String,
    chart: EquipmentChart,
    caption: String,
}

/// The equipment `id` names, or "not found".
fn equipment_named(state: &AppState, id: &str) -> Result<Equipment, ApiError> {
    let not_found = || ApiError::not_found(format!("There is no equipment {id:?}."));
    let id = EquipmentId::parse(id).map_err(|_| not_found())?;
    state
        .registry
        .equipment_by_id(&id)
        .cloned()
        .ok_or_else(not_found)
}

/// The chart range asked for: 7, 30, 90 or 365 days (30 otherwise).
fn chart_days(q: &EquipmentQuery) -> u32 {
    q.days
        .as_deref()
        .and_then(|d| d.parse().ok())
        .filter(|d| [7, 30, 90, 365].contains(d))
        .unwrap_or(30)
}

/// What the equipment page draws: its risk over time (once there are two days
/// of forecasts) and its sensors' trends over the last `days`, with its events
/// and work orders marked; `only` keeps one chart by name.
async fn equipment_charts(
    state: &AppState,
    equipment: &Equipment,
    days: u32,
    events: &[Event],
    orders: &[WorkOrder],
    only: Option<&str>,
) -> Result<Vec<NamedChart>, ApiError> {
    let id = &equipment.id;
    let tz = zone(&state.registry);
    let now = Timestamp::now();
    let from = Timestamp::from_millis(now.millis() - i64::from(days) * 86_400_000);
    let to_utc = |t: Timestamp| -> DateTime<Utc> { t.to_datetime() };
    let wanted = |name: &str| only.is_none_or(|o| o == name);

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

    let mut charts = Vec::new();
    if wanted(RISK_CHART) {
        let history = state
            .store
            .risk_history(id, from.to_datetime().date_naive())
            .await?;
        let board = state.board();
        let horizon = board
            .entries
            .iter()
            .find(|e| &e.assessment.equipment == id)
            .map_or(30, |e| e.assessment.horizon_days);
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
        if risk.risk.len() >= 2 {
            charts.push(NamedChart {
                name: RISK_CHART.to_owned(),
                chart: EquipmentChart::Risk(risk),
                caption: format!(
                    "Chance that {} fails within {horizon} days, as forecast each day; the marks above show work orders.",
                    equipment.name
                ),
            });
        }
    }

    let sensors: Vec<_> = state
        .registry
        .sensors_of(id)
        .map(|i| state.registry.sensors()[i].clone())
        .take(SENSORS_CHARTED)
        .filter(|s| wanted(&sensor_chart(&s.id)))
        .collect();
    if !sensors.is_empty() {
        let _permit = heavy_permit(state)?;
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
            let caption = format!(
                "{quantity} ({}) over the last {days} days. The shaded band is where 8 readings in 10 fell; the dashed lines are the expected range; marks above the chart are failures, alarms, resident reports and work orders.",
                sensor.metric.unit()
            );
            charts.push(NamedChart {
                name: sensor_chart(&sensor.id),
                chart: EquipmentChart::Trend(SensorTrend {
                    sensor: format!(
                        "{} {}",
                        equipment.name,
                        sensor.metric.name().replace('_', " ")
                    ),
                    quantity,
                    unit: sensor.metric.unit().to_owned(),
                    tz,
                    start: to_utc(from),
                    end: to_utc(now),
                    readings,
                    normal_band: usual_band(&values)
                        .map(|(lower, upper)| NormalBand::Constant { lower, upper }),
                    expected_range: Some(sensor.expected_range),
                    events: marks.clone(),
                }),
                caption,
            });
        }
    }
    Ok(charts)
}

/// The events and work orders of a piece of equipment (oldest event first).
async fn history_of(
    state: &AppState,
    id: &EquipmentId,
) -> Result<(Vec<Event>, Vec<WorkOrder>), ApiError> {
    let events = state.store.events(Some(id)).await?;
    let filter = WorkOrderFilter {
        equipment: Some(id.clone()),
        ..WorkOrderFilter::default()
    };
    let (orders, _) = state.store.list_work_orders(&filter, 100, 0).await?;
    Ok((events, orders))
}

/// `/equipment/{id}/charts/{name}.png?days=30`: one of the page's charts as a
/// PNG picture (for a letter, a slide or a message), `risk.png` or `sensor-{sensor id}.png`.
pub async fn chart_png(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path((id, file)): Path<(String, String)>,
    Query(q): Query<EquipmentQuery>,
) -> Result<Response, PageError> {
    visitor.require_committee()?;
    let equipment = equipment_named(&state, &id)?;
    let not_drawn = || {
        ApiError::not_found(format!(
            "There is no chart {file:?} for {}: it is `risk.png` (once forecast on two days) or `sensor-` and a sensor's id with `.png`.",
            equipment.name
        ))
    };
    let name = file.strip_suffix(".png").ok_or_else(not_drawn)?;
    let (events, orders) = history_of(&state, &equipment.id).await?;
    let charts = equipment_charts(
        &state,
        &equipment,
        chart_days(&q),
        &events,
        &orders,
        Some(name),
    )
    .await?;
    let chart = charts.into_iter().next().ok_or_else(not_drawn)?;
    let png = chart.chart.png().map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, max-age=60"),
        ],
        png,
    )
        .into_response())
}

/// A piece of equipment's page.
pub async fn page(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(q): Query<EquipmentQuery>,
) -> Result<Response, PageError> {
    visitor.require_committee()?;
    let equipment = equipment_named(&state, &id)?;
    let id = equipment.id.clone();
    let days = chart_days(&q);
    let tz = zone(&state.registry);
    let currency = state.registry.coop().currency.clone();
    let (events, orders) = history_of(&state, &id).await?;
    let board = state.board();
    let entry = board.entries.iter().find(|e| e.assessment.equipment == id);
    let named = equipment_charts(&state, &equipment, days, &events, &orders, None).await?;
    let risk_note = (!named.iter().any(|c| c.name == RISK_CHART)).then(|| {
        "The chance of failure over time is charted once Caretaker has forecast on two days or more."
            .to_owned()
    });
    let charts = named
        .into_iter()
        .filter_map(|c| {
            let svg = c.chart.svg().ok()?;
            Some(ChartView {
                svg,
                caption: c.caption,
                png_url: Some(format!(
                    "/equipment/{}/charts/{}.png?days={days}",
                    id, c.name
                )),
            })
        })
        .collect();

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
