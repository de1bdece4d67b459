//! What the API sends back: JSON shapes with OpenAPI schemas. Times are RFC 3339
//! (UTC), money is in the co-op's currency.
use caretaker_core::{Building, Equipment, Event, Sensor, Unit};
use caretaker_data::{ApiToken, Decision, Notice, WorkOrder};
use serde::Serialize;
use utoipa::ToSchema;

use crate::board::RiskEntry;
use crate::ranking::{Assessment, BudgetPlan};

/// A building.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuildingView {
    /// Identifier.
    pub id: String,
    /// Name residents use.
    pub name: String,
    /// Street address.
    pub address: String,
    /// Floors above ground.
    pub floors: u32,
}

impl From<&Building> for BuildingView {
    fn from(b: &Building) -> Self {
        Self {
            id: b.id.to_string(),
            name: b.name.clone(),
            address: b.address.clone(),
            floors: b.floors,
        }
    }
}

/// A dwelling unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitView {
    /// Identifier (`A-204`).
    pub id: String,
    /// Its building.
    pub building: String,
    /// Floor.
    pub floor: i32,
}

impl From<&Unit> for UnitView {
    fn from(u: &Unit) -> Self {
        Self {
            id: u.id.to_string(),
            building: u.building.to_string(),
            floor: u.floor,
        }
    }
}

/// A piece of equipment.
#[derive(Debug, Serialize, ToSchema)]
pub struct EquipmentView {
    /// Identifier.
    pub id: String,
    /// Its building.
    pub building: String,
    /// Kind (`boiler`, `circulation_pump`...).
    pub kind: String,
    /// Plain-language name.
    pub name: String,
    /// Manufacturer.
    pub make: String,
    /// Model.
    pub model: String,
    /// Installation date (YYYY-MM-DD).
    pub installed: String,
    /// Cost of replacing it.
    pub replacement_cost: f64,
    /// Cost of a failure beyond the repair.
    pub failure_cost: f64,
    /// 1 (nuisance) to 5 (safety, no heat in winter).
    pub criticality: u8,
    /// Units it serves.
    pub serves: Vec<String>,
}

impl From<&Equipment> for EquipmentView {
    fn from(e: &Equipment) -> Self {
        Self {
            id: e.id.to_string(),
            building: e.building.to_string(),
            kind: e.kind.name().to_owned(),
            name: e.name.clone(),
            make: e.make.clone(),
            model: e.model.clone(),
            installed: e.installed.to_string(),
            replacement_cost: e.replacement_cost,
            failure_cost: e.failure_cost,
            criticality: e.criticality,
            serves: e.serves.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A sensor.
#[derive(Debug, Serialize, ToSchema)]
pub struct SensorView {
    /// Identifier.
    pub id: String,
    /// The equipment it watches.
    pub equipment: String,
    /// What it measures.
    pub metric: String,
    /// Unit of measure.
    pub unit: String,
    /// Normal range `[low, high]`.
    pub expected_range: [f64; 2],
    /// Seconds between readings.
    pub interval_s: u32,
}

impl From<&Sensor> for SensorView {
    fn from(s: &Sensor) -> Self {
        Self {
            id: s.id.to_string(),
            equipment: s.equipment.to_string(),
            metric: s.metric.name().to_owned(),
            unit: s.unit.clone(),
            expected_range: [s.expected_range.0, s.expected_range.1],
            interval_s: s.interval_s,
        }
    }
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    /// Role of the token.
    pub role: String,
    /// The unit of a resident token.
    pub unit: Option<String>,
    /// The token's label.
    pub label: String,
    /// For a resident: the equipment serving their unit (what they can report on).
    pub equipment: Vec<EquipmentRef>,
}

/// A piece of equipment by id, name and kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct EquipmentRef {
    /// Identifier.
    pub id: String,
    /// Plain-language name.
    pub name: String,
    /// Kind.
    pub kind: String,
}

/// One point of a readings series (downsampled: the mean of a bucket).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingPoint {
    /// Start of the bucket (or the reading's time), RFC 3339.
    pub ts: String,
    /// Mean value in the bucket.
    pub value: f64,
    /// Lowest value in the bucket.
    pub min: f64,
    /// Highest value in the bucket.
    pub max: f64,
    /// Readings in the bucket.
    pub count: u32,
}

/// A sensor's readings over a time range.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingSeries {
    /// The sensor.
    pub sensor: String,
    /// Unit of measure.
    pub unit: String,
    /// Start of the range (inclusive).
    pub from: String,
    /// End of the range (exclusive).
    pub to: String,
    /// Bucket width in seconds (0: raw readings).
    pub every_s: i64,
    /// The points, in time order.
    pub points: Vec<ReadingPoint>,
}

/// The risk board: each piece of equipment, ranked by the benefit of acting now.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskList {
    /// When the forecasts were made for (RFC 3339); absent before the first scoring.
    pub as_of: Option<String>,
    /// Model version.
    pub model_version: Option<String>,
    /// Ranked risks.
    pub risks: Vec<RiskView>,
}

/// One piece of equipment's risk.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskView {
    /// Rank by expected benefit, 1 first.
    pub rank: usize,
    /// Broken now.
    pub down: bool,
    /// The forecast's explanation.
    pub forecast: String,
    /// What raises the forecast most, each with its numbers and its sentence.
    pub drivers: Vec<DriverView>,
    /// The weighing behind the rank.
    pub assessment: Assessment,
}

/// One thing that raises a forecast: the feature's numbers, and the sentence
/// that says it in the sensor's own unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct DriverView {
    /// Feature name (`sibling_departure_7d`).
    pub feature: String,
    /// The sensor (metric) it comes from, for a feature over several sensors.
    pub sensor: Option<String>,
    /// Its value (in the feature's terms: standard deviations, days, a share...).
    pub value: Option<f64>,
    /// Its usual value for this equipment.
    pub normal: Option<f64>,
    /// Probability it adds (0.19 is 19 points).
    pub contribution: f64,
    /// The sensor's unit of measure.
    pub unit: Option<String>,
    /// A departure in standard deviations, in the sensor's unit (signed).
    pub in_units: Option<f64>,
    /// One standard deviation of the sensor's normal, in its unit.
    pub usual_spread: Option<f64>,
    /// The driver as a caretaker would say it.
    pub sentence: String,
}

impl From<&RiskEntry> for RiskView {
    fn from(e: &RiskEntry) -> Self {
        Self {
            rank: e.rank,
            down: e.down,
            forecast: e.forecast.clone(),
            drivers: e
                .drivers
                .iter()
                .map(|d| DriverView {
                    feature: d.feature.clone(),
                    sensor: d.sensor.clone(),
                    value: d.value,
                    normal: d.normal,
                    contribution: d.contribution,
                    unit: d.unit.clone(),
                    in_units: d.in_units,
                    usual_spread: d.usual_spread,
                    sentence: d.sentence.clone(),
                })
                .collect(),
            assessment: e.assessment.clone(),
        }
    }
}

/// A work order.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrderView {
    /// Identifier.
    pub id: i64,
    /// Rank among the listed orders by expected benefit, 1 first (in lists only).
    pub rank: Option<i64>,
    /// The equipment.
    pub equipment: String,
    /// `proposed`, `deferred`, `approved`, `scheduled`, `in_progress`, `done` or `dismissed`.
    pub state: String,
    /// What made it worth doing: `forecast`, `sensor_health`, `resident_reports`, `manual`.
    pub origin: String,
    /// Title.
    pub title: String,
    /// Probability of failure within the horizon used for the ranking.
    pub probability: Option<f64>,
    /// Horizon in days.
    pub horizon_days: Option<i64>,
    /// Expected benefit of acting now.
    pub expected_benefit: Option<f64>,
    /// Estimated cost of the work.
    pub estimated_cost: Option<f64>,
    /// Why, in plain words, with the numbers.
    pub explanation: String,
    /// The full weighing (reasons, costs, factors), as the ranking computed it.
    #[schema(value_type = Object)]
    pub assessment: Option<serde_json::Value>,
    /// Scheduled window start.
    pub window_start: Option<String>,
    /// Scheduled window end.
    pub window_end: Option<String>,
    /// Units affected by the work.
    pub units: Vec<String>,
    /// Outcome once done.
    pub outcome: Option<OutcomeView>,
    /// Probability when last deferred or dismissed.
    pub risk_at_decision: Option<f64>,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// Version: send it back with a transition to refuse acting on stale numbers.
    pub version: i64,
}

/// What a done order found.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeView {
    /// Whether there was a real fault.
    pub real_fault: bool,
    /// What was replaced.
    pub replaced: Option<String>,
    /// What it cost.
    pub cost: f64,
}

impl WorkOrderView {
    /// The view of an order, with its rank in a list if known.
    pub fn new(o: &WorkOrder, rank: Option<i64>) -> Self {
        Self {
            id: o.id,
            rank,
            equipment: o.equipment.to_string(),
            state: o.state.name().to_owned(),
            origin: o.origin.name().to_owned(),
            title: o.title.clone(),
            probability: o.probability,
            horizon_days: o.horizon_days,
            expected_benefit: o.expected_benefit,
            estimated_cost: o.estimated_cost,
            explanation: o.explanation.clone(),
            assessment: o.assessment.clone(),
            window_start: o.window.map(|w| w.0.to_string()),
            window_end: o.window.map(|w| w.1.to_string()),
            units: o.units.iter().map(ToString::to_string).collect(),
            outcome: o.outcome.as_ref().map(|x| OutcomeView {
                real_fault: x.real_fault,
                replaced: x.replaced.clone(),
                cost: x.cost,
            }),
            risk_at_decision: o.risk_at_decision,
            created_at: o.created_at.to_string(),
            updated_at: o.updated_at.to_string(),
            version: o.version,
        }
    }
}

/// A page of work orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrderPage {
    /// Orders matching the filters.
    pub total: i64,
    /// Page size used (capped).
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
    /// The orders, best expected benefit first.
    pub items: Vec<WorkOrderView>,
}

/// A work order with its decision log and notices.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrderDetail {
    /// The order.
    pub order: WorkOrderView,
    /// Every decision, oldest first.
    pub decisions: Vec<DecisionView>,
    /// Notices sent to residents.
    pub notices: Vec<NoticeView>,
}

/// A decision on a work order.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// State before (absent for the proposal).
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// Why.
    pub note: String,
}

impl From<&Decision> for DecisionView {
    fn from(d: &Decision) -> Self {
        Self {
            at: d.at.to_string(),
            actor: d.actor.clone(),
            from_state: d.from_state.map(|s| s.name().to_owned()),
            to_state: d.to_state.name().to_owned(),
            note: d.note.clone(),
        }
    }
}

/// A notice for the residents of one unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    /// Identifier.
    pub id: i64,
    /// The work order it is about.
    pub work_order_id: i64,
    /// The unit.
    pub unit: String,
    /// Title.
    pub title: String,
    /// Text in plain language.
    pub body: String,
    /// Start of the work.
    pub starts_at: Option<String>,
    /// End of the work.
    pub ends_at: Option<String>,
    /// When the work was called off, if it was.
    pub cancelled_at: Option<String>,
    /// Last changed.
    pub updated_at: String,
    /// Version (grows with each change of plan).
    pub version: i64,
}

impl From<&Notice> for NoticeView {
    fn from(n: &Notice) -> Self {
        Self {
            id: n.id,
            work_order_id: n.work_order_id,
            unit: n.unit.to_string(),
            title: n.title.clone(),
            body: n.body.clone(),
            starts_at: n.starts_at.map(|t| t.to_string()),
            ends_at: n.ends_at.map(|t| t.to_string()),
            cancelled_at: n.cancelled_at.map(|t| t.to_string()),
            updated_at: n.updated_at.to_string(),
            version: n.version,
        }
    }
}

/// A problem a resident reported.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// Identifier.
    pub id: i64,
    /// When.
    pub at: String,
    /// The unit.
    pub unit: Option<String>,
    /// The equipment it became evidence on.
    pub equipment: String,
    /// Category.
    pub category: Option<String>,
    /// What the resident wrote.
    pub text: String,
}

/// An API token (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Identifier.
    pub id: i64,
    /// Role.
    pub role: String,
    /// Unit of a resident token.
    pub unit: Option<String>,
    /// Label.
    pub label: String,
    /// Created.
    pub created_at: String,
    /// Revoked, if it was.
    pub revoked_at: Option<String>,
}

impl From<&ApiToken> for TokenView {
    fn from(t: &ApiToken) -> Self {
        Self {
            id: t.id,
            role: t.role.name().to_owned(),
            unit: t.unit.as_ref().map(ToString::to_string),
            label: t.label.clone(),
            created_at: t.created_at.to_string(),
            revoked_at: t.revoked_at.map(|t| t.to_string()),
        }
    }
}

/// A token just created: the secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenView {
    /// The token.
    pub token: TokenView,
    /// The bearer secret; only its hash is stored.
    pub secret: String,
}

/// A gateway's MQTT credentials just created: the password is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewGatewayView {
    /// MQTT user name.
    pub name: String,
    /// MQTT password; only its hash is stored.
    pub password: String,
    /// The topic it publishes native readings to.
    pub topic: String,
}

/// A budget plan for a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    /// Currency of the amounts.
    pub currency: String,
    /// The plan: chosen orders (ids), totals and what falls below the line.
    pub plan: BudgetPlan,
    /// The chosen orders in full.
    pub chosen: Vec<WorkOrderView>,
}

/// An entry of the maintenance history.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// When.
    pub ts: String,
    /// The equipment.
    pub equipment: String,
    /// `failure`, `preventive_maintenance`, `corrective_maintenance`, `alarm`, `resident_report`.
    pub kind: String,
    /// Failure mode, alarm code, report category or `work_order:ID`.
    pub code: Option<String>,
    /// What was recorded.
    pub description: String,
    /// What it cost.
    pub cost: Option<f64>,
    /// The unit concerned.
    pub unit: Option<String>,
}

impl From<&Event> for EventView {
    fn from(e: &Event) -> Self {
        Self {
            ts: e.ts.to_string(),
            equipment: e.equipment.to_string(),
            kind: e.kind.name().to_owned(),
            code: e.code.clone(),
            description: e.description.clone(),
            cost: e.cost,
            unit: e.unit.as_ref().map(ToString::to_string),
        }
    }
}
