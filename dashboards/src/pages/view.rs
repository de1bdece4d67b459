//! What the pages show, already in words: times in the co-op's local time,
//! money with its currency, chances as percentages. The API fills these from the
//! store, the board and the models; the templates only lay them out.

/// A message about what just happened (saved, refused...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// The message.
    pub text: String,
    /// Whether it reports a problem.
    pub error: bool,
}

/// A chart ready to place: its SVG and a caption that says what it shows.
#[derive(Debug, Clone, Default)]
pub struct ChartView {
    /// The SVG markup (from `crate::charts`).
    pub svg: String,
    /// What the chart shows, in a sentence.
    pub caption: String,
    /// Where the same chart is served as a PNG picture, if it is.
    pub png_url: Option<String>,
}

/// A chart with the table of the numbers it draws.
#[derive(Debug, Clone, Default)]
pub struct ChartWithTable {
    /// The chart and its caption.
    pub chart: ChartView,
    /// The table's header.
    pub header: Vec<String>,
    /// Its rows.
    pub rows: Vec<Vec<String>>,
}

/// A work order in a list.
#[derive(Debug, Clone, Default)]
pub struct OrderLine {
    /// Its id (for its page).
    pub id: i64,
    /// Its rank by expected benefit, 1 first.
    pub rank: Option<i64>,
    /// What to do.
    pub title: String,
    /// The equipment's id (for its page) and name.
    pub equipment_id: String,
    /// The equipment's name ("Boiler 1, Building A").
    pub equipment_name: String,
    /// Its state in words ("Waiting for a decision").
    pub state: String,
    /// Why, in one plain sentence.
    pub reason: String,
    /// The chance of failure, in words ("34 % within 30 days").
    pub chance: Option<String>,
    /// What acting now is expected to save.
    pub benefit: Option<String>,
    /// What the work is expected to cost.
    pub cost: Option<String>,
    /// When it is scheduled, in local time.
    pub window: Option<String>,
    /// Whether the budget plan funds it (none when no plan was asked for).
    pub funded: Option<bool>,
}

/// One building at a glance.
#[derive(Debug, Clone, Default)]
pub struct BuildingLine {
    /// Its name.
    pub name: String,
    /// How many units it has.
    pub units: usize,
    /// How many pieces of equipment.
    pub equipment: usize,
    /// Open work orders on its equipment.
    pub open_orders: usize,
    /// Its riskiest equipment, in words, and the equipment's id.
    pub riskiest: Option<(String, String)>,
}

/// A sensor or gateway that needs a look.
#[derive(Debug, Clone, Default)]
pub struct AttentionLine {
    /// What it is ("Boiler 1 pressure sensor", "gateway zigbee-bridge").
    pub what: String,
    /// The problem, in words ("silent since Tuesday 8 December, 09:00").
    pub problem: String,
}

/// A resident's problem report as the committee sees it.
#[derive(Debug, Clone, Default)]
pub struct ReportLine {
    /// When, in local time.
    pub when: String,
    /// The unit it came from.
    pub unit: String,
    /// The equipment it is about, in words.
    pub equipment: String,
    /// What the resident wrote.
    pub text: String,
}

/// A calendar feed.
#[derive(Debug, Clone, Default)]
pub struct FeedLine {
    /// Its id.
    pub id: i64,
    /// Who it is for.
    pub label: String,
    /// When it was made, in local time.
    pub created: String,
}

/// The budget plan as the committee page shows it.
#[derive(Debug, Clone, Default)]
pub struct PlanView {
    /// The budget asked for, as typed.
    pub budget: String,
    /// The currency ("CAD").
    pub currency: String,
    /// What the plan says, in words ("4 orders for 3,200 CAD fit ...").
    pub summary: String,
    /// The chart of the plan.
    pub chart: Option<ChartView>,
}

/// The committee's first screen.
#[derive(Debug, Clone, Default)]
pub struct CommitteeHome {
    /// When the forecasts were made, in words.
    pub as_of: Option<String>,
    /// Open work orders, best first.
    pub orders: Vec<OrderLine>,
    /// How many open orders there are in all (the list may show fewer).
    pub open_total: i64,
    /// The budget plan.
    pub plan: PlanView,
    /// The buildings.
    pub buildings: Vec<BuildingLine>,
    /// Sensors and gateways that need a look.
    pub attention: Vec<AttentionLine>,
    /// Recent resident reports, newest first.
    pub reports: Vec<ReportLine>,
    /// Calendar feeds.
    pub feeds: Vec<FeedLine>,
}

/// One decision in an order's log.
#[derive(Debug, Clone, Default)]
pub struct DecisionLine {
    /// When, in local time.
    pub when: String,
    /// Who decided.
    pub who: String,
    /// What changed, in words ("Proposed → Approved").
    pub change: String,
    /// Their note.
    pub note: String,
}

/// A notice to residents, as shown or previewed.
#[derive(Debug, Clone, Default)]
pub struct NoticeLine {
    /// Its id, once saved.
    pub id: Option<i64>,
    /// The unit it is for.
    pub unit: String,
    /// One line: what is happening.
    pub title: String,
    /// The details.
    pub body: String,
    /// When, in local time.
    pub when: Option<String>,
    /// Whether it was called off.
    pub cancelled: bool,
}

/// A unit that work may affect, for the scheduling form.
#[derive(Debug, Clone, Default)]
pub struct UnitChoice {
    /// The unit's id.
    pub id: String,
    /// Whether it is ticked.
    pub checked: bool,
}

/// The scheduling form's values.
#[derive(Debug, Clone, Default)]
pub struct ScheduleForm {
    /// Start, local, as `YYYY-MM-DDTHH:MM`.
    pub start: String,
    /// End, local, as `YYYY-MM-DDTHH:MM`.
    pub end: String,
    /// The work in a few words.
    pub work: String,
    /// The units it may affect.
    pub units: Vec<UnitChoice>,
    /// The co-op's time zone, to say which clock the times are on.
    pub zone: String,
}

/// What the committee may do with an order now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Approve the work.
    Approve,
    /// Schedule it (window and units).
    Schedule,
    /// Mark it started.
    Start,
    /// Close it with the outcome.
    Close,
    /// Put it off.
    Defer,
    /// Dismiss it with a reason.
    Dismiss,
}

impl Action {
    /// The form's `action` value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Schedule => "schedule",
            Self::Start => "start",
            Self::Close => "close",
            Self::Defer => "defer",
            Self::Dismiss => "dismiss",
        }
    }

    /// Parses a form's `action` value.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Approve,
            Self::Schedule,
            Self::Start,
            Self::Close,
            Self::Defer,
            Self::Dismiss,
        ]
        .into_iter()
        .find(|a| a.name() == name)
    }
}

/// A work order's page.
#[derive(Debug, Clone, Default)]
pub struct WorkOrderPage {
    /// The order.
    pub order: OrderLine,
    /// Its explanation, a line per reason.
    pub explanation: Vec<String>,
    /// The numbers behind the ranking, as (what, value).
    pub numbers: Vec<(String, String)>,
    /// The decision log, oldest first.
    pub decisions: Vec<DecisionLine>,
    /// Notices sent for it.
    pub notices: Vec<NoticeLine>,
    /// What the committee may do now.
    pub actions: Vec<Action>,
    /// The scheduling form.
    pub schedule: ScheduleForm,
    /// Notices residents would get, shown before saving a schedule (the page
    /// shows the first and lists the units).
    pub preview: Vec<NoticeLine>,
    /// The order's version (decisions on stale numbers are refused).
    pub version: i64,
    /// Whether a printable notice exists (the order is scheduled).
    pub printable: bool,
}

/// A piece of equipment's page.
#[derive(Debug, Clone, Default)]
pub struct EquipmentPage {
    /// Its name.
    pub name: String,
    /// What it is, where, whom it serves, in words.
    pub facts: Vec<(String, String)>,
    /// Its chance of failure now, in words.
    pub risk: Option<String>,
    /// Why, a line per reason.
    pub reasons: Vec<String>,
    /// A word about a chart that is not drawn yet.
    pub note: Option<String>,
    /// Its charts: risk over time, then its sensors.
    pub charts: Vec<ChartView>,
    /// Its work orders, newest first.
    pub orders: Vec<OrderLine>,
    /// Its events (failures, repairs, alarms, reports), newest first: (when, what).
    pub events: Vec<(String, String)>,
    /// The range the charts cover, in days, and the choices offered.
    pub days: u32,
}

/// A section of the model card: a heading and paragraphs.
#[derive(Debug, Clone, Default)]
pub struct CardSection {
    /// The heading.
    pub heading: String,
    /// Its paragraphs.
    pub paragraphs: Vec<String>,
}

/// The model card page.
#[derive(Debug, Clone, Default)]
pub struct ModelPage {
    /// The card in members' words.
    pub sections: Vec<CardSection>,
    /// Charts of the backtest (calibration, precision and recall), each with its numbers.
    pub charts: Vec<ChartWithTable>,
}

/// A piece of equipment a resident may report about.
#[derive(Debug, Clone, Default)]
pub struct ReportChoice {
    /// Its id.
    pub id: String,
    /// Its name in words.
    pub name: String,
}

/// A resident's page for their unit.
#[derive(Debug, Clone, Default)]
pub struct UnitPage {
    /// The unit.
    pub unit: String,
    /// Its notices, current first.
    pub notices: Vec<NoticeLine>,
    /// What they may report about.
    pub equipment: Vec<ReportChoice>,
    /// The reports they sent, newest first.
    pub reports: Vec<ReportLine>,
}

/// A notice to print for residents without accounts.
#[derive(Debug, Clone, Default)]
pub struct PrintableNotice {
    /// One line: what is happening.
    pub title: String,
    /// When, in local time, in large print.
    pub when: String,
    /// The units affected.
    pub units: Vec<String>,
    /// The details, in paragraphs.
    pub paragraphs: Vec<String>,
}
