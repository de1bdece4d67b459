//! The risk board: the latest forecast for each piece of equipment, weighed by
//! [`crate::ranking`] into the expected benefit of acting now, and the work orders
//! proposed from it.
//!
//! [`refresh`] takes a new set of forecasts (from periodic scoring); [`reassess`]
//! weighs the last set again with fresh evidence (resident reports: off the
//! request path, by [`reassess_on_signal`], at most once per
//! [`REASSESS_DELAY`]). Both keep one open order per piece of equipment and
//! origin up to date:
//! - an order is proposed when acting now is expected to save money;
//! - its origin says what made it worth doing: the forecast, resident reports
//!   (when their evidence floor, not the model, sets the probability), or sensor
//!   health problems;
//! - a deferred or dismissed order comes back when the risk has grown since the
//!   decision ([`risk_grew`]).
//!
//! A unit's reports about one piece of equipment count once per UTC day as
//! evidence, however many it sends; every report stays stored and listed.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use caretaker_core::{EquipmentId, Event, EventKind, Timestamp, WorkOrderOrigin};
use caretaker_data::{Proposal, ProposalChange, StoreError, WorkOrderFilter};
use caretaker_models::explain::Driver;
use caretaker_models::lifecycle::Score;
use chrono::NaiveDate;
use serde::Serialize;

use crate::ranking::{Assessment, RiskInput, assess, is_sole_of_kind, rank};
use crate::state::AppState;

/// Days of resident reports and sensor problems that count as evidence.
pub const EVIDENCE_DAYS: i64 = 30;

/// Days of sensor-health alarms that count as a current sensor problem.
pub const SENSOR_PROBLEM_DAYS: i64 = 7;

/// How long the reassessment task waits after a signal, so that a burst of
/// reports is weighed once.
pub const REASSESS_DELAY: Duration = Duration::from_secs(1);

/// One piece of equipment on the board.
#[derive(Debug, Clone, Serialize)]
pub struct RiskEntry {
    /// Rank by expected benefit, 1 first.
    pub rank: usize,
    /// Whether it is broken now (failed, not yet repaired).
    pub down: bool,
    /// Resident reports about it in the last [`EVIDENCE_DAYS`] days, a unit
    /// counted once per day.
    pub resident_reports: u32,
    /// Sensor-health problems of the last [`SENSOR_PROBLEM_DAYS`] days.
    pub sensor_problems: usize,
    /// The forecast's own explanation.
    pub forecast: String,
    /// What raises the forecast most, with the numbers and a sentence each.
    pub drivers: Vec<Driver>,
    /// The weighing: probabilities, costs, impact, benefit and reasons.
    pub assessment: Assessment,
}

/// The latest forecasts, weighed and ranked.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RiskBoard {
    /// When the forecasts were made for (RFC 3339), if any were made.
    pub as_of: Option<String>,
    /// The model version that made them.
    pub model_version: Option<String>,
    /// Ranked entries, best benefit first.
    pub entries: Vec<RiskEntry>,
    #[serde(skip)]
    scores: Vec<Score>,
}

impl RiskBoard {
    /// The forecasts the board was weighed from.
    pub fn scores(&self) -> &[Score] {
        &self.scores
    }
}

/// What a refresh changed in the work orders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefreshSummary {
    /// Orders proposed.
    pub created: usize,
    /// Open orders whose numbers were updated.
    pub updated: usize,
    /// Deferred or dismissed orders that came back.
    pub reopened: usize,
}

/// Whether a deferred or dismissed order comes back: the risk grew by half, or by
/// ten points, since the decision.
pub fn risk_grew(at_decision: f64, now: f64) -> bool {
    // A hair of slack so that 0.2 → 0.3 counts as ten points despite rounding.
    const SLACK: f64 = 1e-9;
    now + SLACK >= at_decision * 1.5 || now + SLACK >= at_decision + 0.10
}

/// Weighs `scores` (made at `at`), ranks them, replaces the board and updates
/// the proposed work orders.
pub async fn refresh(
    state: &AppState,
    scores: Vec<Score>,
    at: Timestamp,
) -> Result<RefreshSummary, StoreError> {
    let events = state.store.events(None).await?;
    let evidence = Evidence::from_events(&events, at);
    let as_of = at.to_datetime().date_naive();
    let mut assessments = Vec::new();
    // What ranking does not carry, by equipment: down, reports, sensor problems, forecast text.
    let mut facts = HashMap::new();
    for score in &scores {
        let Some(input) = risk_input(state, score, &evidence, as_of) else {
            continue;
        };
        facts.insert(
            input.equipment.clone(),
            (
                score.down,
                input.resident_reports_30d,
                input.sensor_problems.len(),
                score.explanation.clone(),
                score.drivers.clone(),
            ),
        );
        assessments.push(assess(&input, &state.policy));
    }
    let entries: Vec<RiskEntry> = rank(assessments)
        .into_iter()
        .map(|(rank, assessment)| {
            let (down, resident_reports, sensor_problems, forecast, drivers) =
                facts.remove(&assessment.equipment).unwrap_or_default();
            RiskEntry {
                rank,
                down,
                resident_reports,
                sensor_problems,
                forecast,
                drivers,
                assessment,
            }
        })
        .collect();
    let summary = propose(state, &entries, at).await?;
    let risks: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.assessment.equipment.clone(),
                e.assessment.probability,
                i64::from(e.assessment.horizon_days),
            )
        })
        .collect();
    state.store.record_risks(as_of, &risks).await?;
    state.set_board(RiskBoard {
        as_of: Some(at.to_string()),
        model_version: scores.first().map(|s| s.model_version.clone()),
        entries,
        scores,
    });
    Ok(summary)
}

/// Weighs the board's forecasts again with the evidence recorded since (resident
/// reports, sensor alarms); does nothing before the first forecasts.
pub async fn reassess(state: &AppState) -> Result<RefreshSummary, StoreError> {
    let board = state.board();
    if board.scores.is_empty() {
        return Ok(RefreshSummary::default());
    }
    let at = board
        .as_of
        .as_deref()
        .and_then(|s| Timestamp::parse(s).ok())
        .unwrap_or_else(Timestamp::now);
    refresh(state, board.scores.clone(), at.max(Timestamp::now())).await
}

/// Weighs the board again whenever [`AppState::reassess`] is signalled: waits
/// [`REASSESS_DELAY`] so that the signals of a burst of reports are coalesced
/// (a [`tokio::sync::Notify`] keeps at most one), then runs [`reassess`]; one
/// reassessment at a time. Runs until aborted.
pub async fn reassess_on_signal(state: Arc<AppState>) {
    loop {
        state.reassess.notified().await;
        tokio::time::sleep(REASSESS_DELAY).await;
        match reassess(&state).await {
            Ok(summary) => tracing::debug!(
                created = summary.created,
                updated = summary.updated,
                reopened = summary.reopened,
                "weighed the ranking again after resident reports"
            ),
            Err(e) => tracing::error!(error = %e, "cannot weigh the ranking again after reports"),
        }
    }
}

/// Resident reports, sensor problems and last maintenance per equipment, as of a time.
struct Evidence {
    reports: HashMap<String, u32>,
    sensor_problems: HashMap<String, Vec<String>>,
    last_maintenance: HashMap<String, Timestamp>,
}

impl Evidence {
    fn from_events(events: &[Event], at: Timestamp) -> Self {
        let report_since = at.millis() - EVIDENCE_DAYS * Timestamp::DAY;
        let alarm_since = at.millis() - SENSOR_PROBLEM_DAYS * Timestamp::DAY;
        let mut evidence = Self {
            reports: HashMap::new(),
            sensor_problems: HashMap::new(),
            last_maintenance: HashMap::new(),
        };
        let mut unit_days = HashSet::new();
        for e in events.iter().filter(|e| e.ts <= at) {
            let key = e.equipment.as_str().to_owned();
            match e.kind {
                // A later report of the same unit, equipment and day falls through to `_`.
                EventKind::ResidentReport
                    if e.ts.millis() >= report_since
                        && first_of_its_unit_day(&mut unit_days, e) =>
                {
                    *evidence.reports.entry(key).or_default() += 1;
                }
                EventKind::Alarm
                    if e.ts.millis() >= alarm_since
                        && e.code.as_deref().is_some_and(is_sensor_health_code) =>
                {
                    let problems = evidence.sensor_problems.entry(key).or_default();
                    if !problems.contains(&e.description) {
                        problems.push(e.description.clone());
                    }
                }
                EventKind::PreventiveMaintenance | EventKind::CorrectiveMaintenance => {
                    let last = evidence.last_maintenance.entry(key).or_insert(e.ts);
                    *last = (*last).max(e.ts);
                }
                _ => {}
            }
        }
        evidence
    }
}

/// Whether a report is the first of its unit about its equipment on its UTC day
/// (`seen` holds those already counted). A report without a unit (imported
/// history) counts on its own.
fn first_of_its_unit_day<'a>(
    seen: &mut HashSet<(&'a str, &'a str, i64)>,
    report: &'a Event,
) -> bool {
    let Some(unit) = &report.unit else {
        return true;
    };
    let day = report.ts.millis().div_euclid(Timestamp::DAY);
    seen.insert((report.equipment.as_str(), unit.as_str(), day))
}

/// Alarm codes ingest raises about sensors rather than equipment.
pub fn is_sensor_health_code(code: &str) -> bool {
    matches!(code, "sensor_silent" | "sensor_stuck" | "battery_low")
}

fn risk_input(
    state: &AppState,
    score: &Score,
    evidence: &Evidence,
    as_of: NaiveDate,
) -> Option<RiskInput> {
    let id = EquipmentId::parse(&score.equipment).ok()?;
    let equipment = state.registry.equipment_by_id(&id)?;
    let sole = is_sole_of_kind(&state.registry, &id).unwrap_or(false);
    let probability = if score.down { 1.0 } else { score.probability };
    let mut input = RiskInput::from_equipment(
        equipment,
        sole,
        probability,
        as_of,
        &state.registry.coop().currency,
    );
    input.horizon_days = u32::try_from(score.horizon_days).unwrap_or(30);
    input.drivers = score.drivers.iter().map(|d| d.sentence.clone()).collect();
    input.resident_reports_30d = evidence.reports.get(id.as_str()).copied().unwrap_or(0);
    input.sensor_problems = evidence
        .sensor_problems
        .get(id.as_str())
        .cloned()
        .unwrap_or_default();
    input.days_since_maintenance = evidence.last_maintenance.get(id.as_str()).map(|t| {
        u32::try_from(((as_of_ms(as_of) - t.millis()) / Timestamp::DAY).max(0)).unwrap_or(u32::MAX)
    });
    Some(input)
}

fn as_of_ms(day: NaiveDate) -> i64 {
    Timestamp::from_date(day).millis()
}

/// What made an order worth doing, and its title.
fn origin_and_title(entry: &RiskEntry) -> (WorkOrderOrigin, String) {
    let a = &entry.assessment;
    if entry.down {
        return (
            WorkOrderOrigin::Forecast,
            format!("Repair {} (out of service)", a.name),
        );
    }
    if a.evidence_floor > a.model_probability {
        if entry.resident_reports > 0 {
            return (
                WorkOrderOrigin::ResidentReports,
                format!("Check {}: residents report problems", a.name),
            );
        }
        return (
            WorkOrderOrigin::SensorHealth,
            format!("Check the sensors of {}", a.name),
        );
    }
    (
        WorkOrderOrigin::Forecast,
        format!("Inspect and service {}", a.name),
    )
}

/// Proposes or updates orders for entries worth acting on, and updates open orders
/// of entries no longer worth it (their numbers drop; members decide).
async fn propose(
    state: &AppState,
    entries: &[RiskEntry],
    at: Timestamp,
) -> Result<RefreshSummary, StoreError> {
    let open_filter = WorkOrderFilter::open();
    let (open, _) = state
        .store
        .list_work_orders(&open_filter, 100_000, 0)
        .await?;
    let mut summary = RefreshSummary::default();
    for entry in entries {
        let (origin, title) = origin_and_title(entry);
        let has_open = open
            .iter()
            .any(|o| o.equipment == entry.assessment.equipment && o.origin == origin);
        if entry.assessment.expected_benefit <= 0.0 && !has_open {
            continue;
        }
        let a = &entry.assessment;
        let proposal = Proposal {
            equipment: a.equipment.clone(),
            origin,
            title,
            probability: Some(a.probability),
            horizon_days: Some(i64::from(a.horizon_days)),
            expected_benefit: Some(a.expected_benefit),
            estimated_cost: Some(a.cost_of_acting_now),
            assessment: serde_json::to_value(a).unwrap_or_default(),
            explanation: a.summary.clone(),
        };
        match state
            .store
            .upsert_proposal(&proposal, at, risk_grew)
            .await?
        {
            ProposalChange::Created(_) => summary.created += 1,
            ProposalChange::Updated(_) => summary.updated += 1,
            ProposalChange::Reopened(_) => summary.reopened += 1,
            _ => {}
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use caretaker_core::UnitId;

    use super::*;

    fn report(equipment: &str, unit: Option<&str>, ts: i64) -> Event {
        Event {
            ts: Timestamp::from_millis(ts),
            equipment: EquipmentId::parse(equipment).unwrap(),
            kind: EventKind::ResidentReport,
            code: Some("no_heat".into()),
            description: "cold".into(),
            cost: None,
            unit: unit.map(|u| UnitId::parse(u).unwrap()),
        }
    }

    #[test]
    fn a_unit_counts_once_per_equipment_per_day() {
        let day0 = 20_000 * Timestamp::DAY;
        let at = Timestamp::from_millis(day0 + 3 * Timestamp::DAY);
        let count = |events: &[Event]| {
            Evidence::from_events(events, at)
                .reports
                .get("A-BLR-1")
                .copied()
                .unwrap_or(0)
        };
        let burst: Vec<Event> = (0..45)
            .map(|i| report("A-BLR-1", Some("A-101"), day0 + i * Timestamp::MINUTE))
            .collect();
        assert_eq!(count(&burst), 1);
        let mut events = burst.clone();
        // Another unit the same day, the same unit the next day (just after
        // midnight UTC), and a report about other equipment.
        events.push(report("A-BLR-1", Some("A-102"), day0 + 5));
        events.push(report("A-BLR-1", Some("A-101"), day0 + Timestamp::DAY));
        events.push(report("A-RP-01", Some("A-101"), day0 + 7));
        assert_eq!(count(&events), 3);
        // Imported reports without a unit count one by one.
        events.push(report("A-BLR-1", None, day0 + 8));
        events.push(report("A-BLR-1", None, day0 + 9));
        assert_eq!(count(&events), 5);
        // Reports older than the evidence window or after `at` do not count.
        let old = day0 + 3 * Timestamp::DAY - (EVIDENCE_DAYS + 1) * Timestamp::DAY;
        assert_eq!(count(&[report("A-BLR-1", Some("A-103"), old)]), 0);
        assert_eq!(
            count(&[report("A-BLR-1", Some("A-103"), at.millis() + 1)]),
            0
        );
    }

    #[test]
    fn risk_grows_by_half_or_ten_points() {
        assert!(!risk_grew(0.20, 0.25));
        assert!(risk_grew(0.20, 0.30));
        assert!(risk_grew(0.02, 0.03));
        assert!(!risk_grew(0.02, 0.029));
        assert!(risk_grew(0.50, 0.60));
    }
}
