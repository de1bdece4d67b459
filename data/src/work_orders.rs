//! Work orders at rest: proposals from the forecast, the committee's decisions
//! (each logged, append only), schedules with the units and notices they touch,
//! and outcomes, which become maintenance events for the model to learn from.
//!
//! Every change runs in one write transaction and bumps the order's `version`,
//! so callers can refuse to overwrite a change they have not seen. An order's
//! state changes on one path only, `Store::move_order` (behind
//! [`Store::transition`], and taken too when a proposal reopens an order), which
//! writes the decision-log row, notices and outcome event in the same transaction.
use std::collections::HashSet;

use caretaker_core::{EquipmentId, EventKind, Timestamp, UnitId, WorkOrderOrigin, WorkOrderState};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, Transaction};

use crate::notices::check_notices;
use crate::{NewNotice, Store, StoreError};

/// The actor recorded for Caretaker's own decisions (proposals, reopenings).
const CARETAKER: &str = "caretaker";

/// A work order as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkOrder {
    /// The order's id.
    pub id: i64,
    /// The equipment to work on.
    pub equipment: EquipmentId,
    /// Where it stands.
    pub state: WorkOrderState,
    /// What raised it.
    pub origin: WorkOrderOrigin,
    /// One line: what to do.
    pub title: String,
    /// Probability of failure within `horizon_days`, from the latest assessment.
    pub probability: Option<f64>,
    /// The forecast's horizon, in days.
    pub horizon_days: Option<i64>,
    /// What acting now is expected to save, in the co-op's currency.
    pub expected_benefit: Option<f64>,
    /// What the work is expected to cost.
    pub estimated_cost: Option<f64>,
    /// The full assessment behind the numbers.
    pub assessment: Option<serde_json::Value>,
    /// Why, in plain words.
    pub explanation: String,
    /// The planned window (start, end): set while scheduled, in progress or done.
    pub window: Option<(Timestamp, Timestamp)>,
    /// The units the work affects, sorted: set while scheduled, in progress or done.
    pub units: Vec<UnitId>,
    /// What the work found, once done.
    pub outcome: Option<Outcome>,
    /// The probability when the order was last deferred or dismissed.
    pub risk_at_decision: Option<f64>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Bumped on every change.
    pub version: i64,
}

/// What a done order found.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    /// Whether there was a real fault (the label the model learns from).
    pub real_fault: bool,
    /// What was replaced, if anything.
    pub replaced: Option<String>,
    /// What the work cost.
    pub cost: f64,
}

impl Outcome {
    /// The outcome in plain words: "replaced bearing (real fault)".
    pub fn summary(&self) -> String {
        let work = match &self.replaced {
            Some(part) => format!("replaced {part}"),
            None => "inspected".to_owned(),
        };
        let finding = if self.real_fault {
            "real fault"
        } else {
            "no fault found"
        };
        format!("{work} ({finding})")
    }
}

/// One decision on a work order, from the append-only log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Decision {
    /// The decision's id.
    pub id: i64,
    /// The work order.
    pub work_order_id: i64,
    /// When it was taken.
    pub at: Timestamp,
    /// Who took it (a token label, or "caretaker").
    pub actor: String,
    /// The state before (none when the order was created).
    pub from_state: Option<WorkOrderState>,
    /// The state after.
    pub to_state: WorkOrderState,
    /// Why.
    pub note: String,
}

/// What an assessment proposes for one piece of equipment.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The equipment.
    pub equipment: EquipmentId,
    /// What raised it.
    pub origin: WorkOrderOrigin,
    /// One line: what to do.
    pub title: String,
    /// Probability of failure within `horizon_days`, in [0, 1].
    pub probability: Option<f64>,
    /// The forecast's horizon, in days.
    pub horizon_days: Option<i64>,
    /// What acting now is expected to save.
    pub expected_benefit: Option<f64>,
    /// What the work is expected to cost.
    pub estimated_cost: Option<f64>,
    /// The full assessment behind the numbers.
    pub assessment: serde_json::Value,
    /// Why, in plain words.
    pub explanation: String,
}

/// What [`Store::upsert_proposal`] did, with the order's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ProposalChange {
    /// A new proposed order.
    Created(i64),
    /// The open order's numbers were refreshed; its state is unchanged.
    Updated(i64),
    /// A deferred or dismissed order came back as proposed: its risk grew.
    Reopened(i64),
    /// A deferred or dismissed order left as it was.
    StillClosed(i64),
}

impl ProposalChange {
    /// The work order concerned.
    pub fn id(self) -> i64 {
        match self {
            Self::Created(id) | Self::Updated(id) | Self::Reopened(id) | Self::StillClosed(id) => {
                id
            }
        }
    }
}

/// Which work orders to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkOrderFilter {
    /// Only these states (empty: all).
    pub states: Vec<WorkOrderState>,
    /// Only this equipment.
    pub equipment: Option<EquipmentId>,
    /// Only this origin.
    pub origin: Option<WorkOrderOrigin>,
}

impl WorkOrderFilter {
    /// Every open order (proposed, approved, scheduled, in progress), of any
    /// equipment and origin.
    pub fn open() -> Self {
        Self {
            states: WorkOrderState::ALL
                .iter()
                .copied()
                .filter(|s| s.is_open())
                .collect(),
            ..Self::default()
        }
    }
}

/// A move of a work order to a new state, with what the move needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The state to move to.
    pub to: WorkOrderState,
    /// Who decides.
    pub actor: String,
    /// Why.
    pub note: String,
    /// Refuse the move if the order is no longer at this version.
    pub expected_version: Option<i64>,
    /// The window: required when scheduling, refused otherwise.
    pub window: Option<(Timestamp, Timestamp)>,
    /// The affected units (possibly none): required when scheduling, refused otherwise.
    pub units: Option<Vec<UnitId>>,
    /// What the work found: required when done, refused otherwise.
    pub outcome: Option<Outcome>,
    /// Notices to write, one per unit, each for a unit the order affects (or affected
    /// before this move).
    pub notices: Vec<NewNotice>,
    /// Cancel the order's live notices for units not in `notices`.
    pub cancel_other_notices: bool,
    /// When the decision is taken.
    pub now: Timestamp,
}

impl Transition {
    /// A move to `to` by `actor` at `now`, with nothing else.
    pub fn new(to: WorkOrderState, actor: impl Into<String>, now: Timestamp) -> Self {
        Self {
            to,
            actor: actor.into(),
            note: String::new(),
            expected_version: None,
            window: None,
            units: None,
            outcome: None,
            notices: Vec::new(),
            cancel_other_notices: false,
            now,
        }
    }

    /// Checks what can be checked without the order.
    fn check(&self) -> Result<(), StoreError> {
        let invalid = |m: String| Err(StoreError::Invalid(m));
        if self.actor.trim().is_empty() {
            return invalid("a decision needs an actor".into());
        }
        let scheduling = self.to == WorkOrderState::Scheduled;
        match (scheduling, self.window) {
            (true, None) => return invalid("scheduling needs a window".into()),
            (true, Some((start, end))) if start >= end => {
                return invalid(format!(
                    "the window ends ({end}) before it starts ({start})"
                ));
            }
            (false, Some(_)) => {
                return invalid(format!(
                    "a window is only given when scheduling, not when moving to {}",
                    self.to
                ));
            }
            _ => {}
        }
        match (scheduling, &self.units) {
            (true, None) => {
                return invalid("scheduling needs the affected units (possibly none)".into());
            }
            (false, Some(_)) => {
                return invalid(format!(
                    "units are only given when scheduling, not when moving to {}",
                    self.to
                ));
            }
            _ => {}
        }
        match (self.to == WorkOrderState::Done, &self.outcome) {
            (true, None) => return invalid("a done order needs its outcome".into()),
            (false, Some(_)) => {
                return invalid(format!(
                    "an outcome is only given when done, not when moving to {}",
                    self.to
                ));
            }
            (true, Some(o)) => {
                if !o.cost.is_finite() || o.cost < 0.0 {
                    return invalid(format!("outcome cost {} is not an amount", o.cost));
                }
                if o.replaced.as_deref().is_some_and(|r| r.trim().is_empty()) {
                    return invalid("outcome: say what was replaced, or nothing".into());
                }
            }
            _ => {}
        }
        check_notices(&self.notices)
    }
}

impl Proposal {
    fn check(&self) -> Result<(), StoreError> {
        let invalid = |m: String| Err(StoreError::Invalid(m));
        if self.title.trim().is_empty() {
            return invalid(format!("the proposal for {} has no title", self.equipment));
        }
        if let Some(p) = self.probability.filter(|p| !(0.0..=1.0).contains(p)) {
            return invalid(format!("probability {p} is not in [0, 1]"));
        }
        if self.horizon_days.is_some_and(|h| h <= 0) {
            return invalid("the horizon must be at least a day".into());
        }
        for (what, value) in [
            ("expected benefit", self.expected_benefit),
            ("estimated cost", self.estimated_cost),
        ] {
            if value.is_some_and(|v| !v.is_finite()) {
                return invalid(format!("{what} is not a number"));
            }
        }
        Ok(())
    }
}

const ORDER_COLUMNS: &str = "id, equipment_id, state, origin, title, probability, horizon_days, \
     expected_benefit, estimated_cost, assessment, explanation, window_start_ms, window_end_ms, \
     outcome_real_fault, outcome_replaced, outcome_cost, risk_at_decision, created_at_ms, \
     updated_at_ms, version";

/// "31%".
fn percent(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

/// The note of a reopening: "reopened: risk grew from 25% to 45%".
fn reopen_note(old: f64, new: f64) -> String {
    let verb = if new > old { "grew" } else { "changed" };
    format!(
        "reopened: risk {verb} from {} to {}",
        percent(old),
        percent(new)
    )
}

/// The equipment's latest order of one origin, as [`Store::upsert_proposal`] needs it.
struct Latest {
    id: i64,
    state: WorkOrderState,
    risk_at_decision: Option<f64>,
}

impl Store {
    /// Records what an assessment proposes, in one transaction, against the
    /// equipment's latest order of the same origin:
    ///
    /// - open: its title, numbers, assessment and explanation are refreshed
    ///   (not its state) → [`ProposalChange::Updated`];
    /// - deferred or dismissed: if both the probability at that decision and the
    ///   new one are known and `reopen(old, new)` says so, it gets the new numbers
    ///   and moves back to proposed through the same path as [`Store::transition`],
    ///   its decision logged by `caretaker` (two changes: its version rises by two)
    ///   → [`ProposalChange::Reopened`];
    ///   otherwise nothing changes → [`ProposalChange::StillClosed`];
    /// - done, or none: a new proposed order (no units yet) → [`ProposalChange::Created`].
    ///
    /// A `manual` proposal (a member opening an order by hand) always creates a new order.
    pub async fn upsert_proposal(
        &self,
        p: &Proposal,
        now: Timestamp,
        reopen: impl Fn(f64, f64) -> bool,
    ) -> Result<ProposalChange, StoreError> {
        p.check()?;
        let assessment = serde_json::to_string(&p.assessment)
            .map_err(|e| StoreError::Invalid(format!("assessment: {e}")))?;
        let mut tx = self.begin_write().await?;
        let latest = if p.origin == WorkOrderOrigin::Manual {
            None
        } else {
            self.latest_order(&mut tx, p).await?
        };
        let change = match latest {
            Some(Latest { id, state, .. }) if state.is_open() => {
                self.refresh(&mut tx, id, p, &assessment, now).await?;
                ProposalChange::Updated(id)
            }
            Some(Latest {
                id,
                state,
                risk_at_decision,
            }) if state.is_closed_for_now() => match (risk_at_decision, p.probability) {
                (Some(old), Some(new)) if reopen(old, new) => {
                    self.refresh(&mut tx, id, p, &assessment, now).await?;
                    let back = Transition {
                        note: reopen_note(old, new),
                        ..Transition::new(WorkOrderState::Proposed, CARETAKER, now)
                    };
                    self.move_order(&mut tx, id, &back).await?;
                    ProposalChange::Reopened(id)
                }
                _ => ProposalChange::StillClosed(id),
            },
            _ => ProposalChange::Created(self.create_order(&mut tx, p, &assessment, now).await?),
        };
        tx.commit().await.map_err(self.db())?;
        Ok(change)
    }

    /// The equipment's latest order of the proposal's origin, if any.
    async fn latest_order(
        &self,
        conn: &mut SqliteConnection,
        p: &Proposal,
    ) -> Result<Option<Latest>, StoreError> {
        let row = sqlx::query(
            "SELECT id, state, risk_at_decision FROM work_orders \
             WHERE equipment_id = ? AND origin = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(p.equipment.as_str())
        .bind(p.origin.name())
        .fetch_optional(&mut *conn)
        .await
        .map_err(self.db())?;
        row.map(|row| {
            Ok(Latest {
                id: row.get("id"),
                state: self.state_from(row.get("state"))?,
                risk_at_decision: row.get("risk_at_decision"),
            })
        })
        .transpose()
    }

    /// Inserts a proposed order with its first decision; returns its id.
    async fn create_order(
        &self,
        conn: &mut SqliteConnection,
        p: &Proposal,
        assessment: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO work_orders (equipment_id, state, origin, title, probability, \
             horizon_days, expected_benefit, estimated_cost, assessment, explanation, \
             created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             RETURNING id",
        )
        .bind(p.equipment.as_str())
        .bind(WorkOrderState::Proposed.name())
        .bind(p.origin.name())
        .bind(&p.title)
        .bind(p.probability)
        .bind(p.horizon_days)
        .bind(p.expected_benefit)
        .bind(p.estimated_cost)
        .bind(assessment)
        .bind(&p.explanation)
        .bind(now.millis())
        .bind(now.millis())
        .fetch_one(&mut *conn)
        .await
        .map_err(self.db())?;
        let note = format!("proposed: {}", p.title);
        self.log_decision(
            conn,
            id,
            now,
            CARETAKER,
            None,
            WorkOrderState::Proposed,
            &note,
        )
        .await?;
        Ok(id)
    }

    /// One work order.
    pub async fn work_order(&self, id: i64) -> Result<Option<WorkOrder>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(self.db())?;
        self.load_order(&mut conn, id).await
    }

    /// A page of the work orders matching `filter`, most worth doing first
    /// (expected benefit, unknown last; then probability; then id), and how many
    /// match in all.
    pub async fn list_work_orders(
        &self,
        filter: &WorkOrderFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<WorkOrder>, i64), StoreError> {
        if limit < 0 || offset < 0 {
            return Err(StoreError::Invalid(format!(
                "limit {limit} and offset {offset} must not be negative"
            )));
        }
        // One read transaction: the page and the total see the same data.
        let mut tx = self.pool.begin().await.map_err(self.db())?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM work_orders");
        push_filter(&mut count, filter);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(self.db())?;
        let mut page =
            QueryBuilder::<Sqlite>::new(format!("SELECT {ORDER_COLUMNS} FROM work_orders"));
        push_filter(&mut page, filter);
        page.push(
            " ORDER BY CASE WHEN expected_benefit IS NULL THEN 1 ELSE 0 END, expected_benefit DESC, \
             CASE WHEN probability IS NULL THEN 1 ELSE 0 END, probability DESC, id ASC LIMIT ",
        );
        page.push_bind(limit);
        page.push(" OFFSET ");
        page.push_bind(offset);
        let rows = page.build().fetch_all(&mut *tx).await.map_err(self.db())?;
        let mut orders = Vec::with_capacity(rows.len());
        for row in &rows {
            let units = self.order_units(&mut tx, row.get("id")).await?;
            orders.push(self.order_from_row(row, units)?);
        }
        tx.commit().await.map_err(self.db())?;
        Ok((orders, total))
    }

    /// Moves a work order to `t.to`, in one transaction: checks the version and the
    /// lifecycle, sets the window and units (scheduling; cleared when the order goes
    /// back to proposed, approved, deferred or dismissed), the outcome (done), the
    /// probability at the decision (deferred, dismissed), logs the decision, writes
    /// the notices, and for a done order records a maintenance event with its cost.
    /// Returns the order as it now is.
    pub async fn transition(&self, id: i64, t: &Transition) -> Result<WorkOrder, StoreError> {
        let mut tx = self.begin_write().await?;
        let after = self.move_order(&mut tx, id, t).await?;
        tx.commit().await.map_err(self.db())?;
        Ok(after)
    }

    /// The one path by which a work order changes state, inside the caller's write
    /// transaction: what [`Store::transition`] describes, and how a proposal
    /// reopens an order.
    async fn move_order(
        &self,
        conn: &mut SqliteConnection,
        id: i64,
        t: &Transition,
    ) -> Result<WorkOrder, StoreError> {
        t.check()?;
        let order = self.order_that_may_move(conn, id, t).await?;
        let (window, units) = plan_after(&order, t);
        check_notices_affect(&order, &units, t)?;
        self.write_move(conn, &order, t, window, &units).await?;
        self.log_decision(conn, id, t.now, &t.actor, Some(order.state), t.to, &t.note)
            .await?;
        self.write_notices(conn, id, &t.notices, t.cancel_other_notices, t.now)
            .await?;
        if let Some(o) = &t.outcome {
            self.record_outcome(conn, &order, o, t.now).await?;
        }
        self.load_order(conn, id)
            .await?
            .ok_or_else(|| self.corrupt(format!("work order {id} vanished")))
    }

    /// Loads the order and checks that `t` may move it: the version it expects and
    /// the lifecycle.
    async fn order_that_may_move(
        &self,
        conn: &mut SqliteConnection,
        id: i64,
        t: &Transition,
    ) -> Result<WorkOrder, StoreError> {
        let order = self
            .load_order(conn, id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "work order",
                id: id.to_string(),
            })?;
        if let Some(expected) = t.expected_version.filter(|&v| v != order.version) {
            return Err(StoreError::VersionConflict {
                id,
                expected,
                actual: order.version,
            });
        }
        if !order.state.can_move_to(t.to) {
            return Err(StoreError::InvalidTransition {
                id,
                from: order.state,
                to: t.to,
            });
        }
        Ok(order)
    }

    /// Writes the order's new state, window, outcome and probability at the
    /// decision, bumps its version, and replaces its units if they changed.
    async fn write_move(
        &self,
        conn: &mut SqliteConnection,
        order: &WorkOrder,
        t: &Transition,
        window: Option<(Timestamp, Timestamp)>,
        units: &[UnitId],
    ) -> Result<(), StoreError> {
        let id = order.id;
        let risk_at_decision = match t.to {
            WorkOrderState::Deferred | WorkOrderState::Dismissed => order.probability,
            _ => order.risk_at_decision,
        };
        let outcome = t.outcome.as_ref();
        let updated = sqlx::query(
            "UPDATE work_orders SET state = ?, window_start_ms = ?, window_end_ms = ?, \
             outcome = ?, outcome_real_fault = ?, outcome_replaced = ?, outcome_cost = ?, \
             risk_at_decision = ?, version = version + 1, updated_at_ms = ? \
             WHERE id = ? AND version = ?",
        )
        .bind(t.to.name())
        .bind(window.map(|w| w.0.millis()))
        .bind(window.map(|w| w.1.millis()))
        .bind(outcome.map(Outcome::summary))
        .bind(outcome.map(|o| i64::from(o.real_fault)))
        .bind(outcome.and_then(|o| o.replaced.as_deref()))
        .bind(outcome.map(|o| o.cost))
        .bind(risk_at_decision)
        .bind(t.now.millis())
        .bind(id)
        .bind(order.version)
        .execute(&mut *conn)
        .await
        .map_err(self.db())?
        .rows_affected();
        if updated != 1 {
            return Err(self.corrupt(format!("work order {id} changed under its write lock")));
        }
        if units != order.units.as_slice() {
            sqlx::query("DELETE FROM work_order_units WHERE work_order_id = ?")
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(self.db())?;
            for unit in units {
                sqlx::query("INSERT INTO work_order_units (work_order_id, unit_id) VALUES (?, ?)")
                    .bind(id)
                    .bind(unit.as_str())
                    .execute(&mut *conn)
                    .await
                    .map_err(self.db())?;
            }
        }
        Ok(())
    }

    /// Records what a done order found as a maintenance event with its cost:
    /// corrective for a real fault, else preventive.
    async fn record_outcome(
        &self,
        conn: &mut SqliteConnection,
        order: &WorkOrder,
        o: &Outcome,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let kind = if o.real_fault {
            EventKind::CorrectiveMaintenance
        } else {
            EventKind::PreventiveMaintenance
        };
        let id = order.id;
        sqlx::query(
            "INSERT INTO events (ts_ms, equipment_id, kind, code, description, cost, unit_id, \
             source, recorded_at_ms) VALUES (?, ?, ?, ?, ?, ?, NULL, 'work_order', ?)",
        )
        .bind(now.millis())
        .bind(order.equipment.as_str())
        .bind(kind.name())
        .bind(format!("work_order:{id}"))
        .bind(format!("Work order {id} done: {}", o.summary()))
        .bind(o.cost)
        .bind(now.millis())
        .execute(&mut *conn)
        .await
        .map_err(self.db())?;
        Ok(())
    }

    /// A work order's decisions, oldest first.
    pub async fn decisions(&self, work_order_id: i64) -> Result<Vec<Decision>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, work_order_id, at_ms, actor, from_state, to_state, note \
             FROM work_order_decisions WHERE work_order_id = ? ORDER BY at_ms, id",
        )
        .bind(work_order_id)
        .fetch_all(&self.pool)
        .await
        .map_err(self.db())?;
        rows.iter()
            .map(|row| {
                Ok(Decision {
                    id: row.get("id"),
                    work_order_id: row.get("work_order_id"),
                    at: Timestamp::from_millis(row.get("at_ms")),
                    actor: row.get("actor"),
                    from_state: row
                        .get::<Option<String>, _>("from_state")
                        .map(|s| self.state_from(s))
                        .transpose()?,
                    to_state: self.state_from(row.get("to_state"))?,
                    note: row.get("note"),
                })
            })
            .collect()
    }

    /// A transaction that holds SQLite's write lock from its start, so reading the
    /// order and writing it back can neither interleave with another writer nor
    /// fail on upgrading the lock (PostgreSQL would read with `SELECT ... FOR UPDATE`).
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(self.db())
    }

    /// Refreshes an order's title, numbers, assessment and explanation (not its state).
    async fn refresh(
        &self,
        conn: &mut SqliteConnection,
        id: i64,
        p: &Proposal,
        assessment: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE work_orders SET title = ?, probability = ?, horizon_days = ?, \
             expected_benefit = ?, estimated_cost = ?, assessment = ?, explanation = ?, \
             version = version + 1, updated_at_ms = ? WHERE id = ?",
        )
        .bind(&p.title)
        .bind(p.probability)
        .bind(p.horizon_days)
        .bind(p.expected_benefit)
        .bind(p.estimated_cost)
        .bind(assessment)
        .bind(&p.explanation)
        .bind(now.millis())
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(self.db())?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn log_decision(
        &self,
        conn: &mut SqliteConnection,
        id: i64,
        at: Timestamp,
        actor: &str,
        from: Option<WorkOrderState>,
        to: WorkOrderState,
        note: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO work_order_decisions (work_order_id, at_ms, actor, from_state, to_state, \
             note) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(at.millis())
        .bind(actor)
        .bind(from.map(WorkOrderState::name))
        .bind(to.name())
        .bind(note)
        .execute(&mut *conn)
        .await
        .map_err(self.db())?;
        Ok(())
    }

    async fn load_order(
        &self,
        conn: &mut SqliteConnection,
        id: i64,
    ) -> Result<Option<WorkOrder>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM work_orders WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(self.db())?;
        match row {
            Some(row) => {
                let units = self.order_units(conn, id).await?;
                Ok(Some(self.order_from_row(&row, units)?))
            }
            None => Ok(None),
        }
    }

    async fn order_units(
        &self,
        conn: &mut SqliteConnection,
        id: i64,
    ) -> Result<Vec<UnitId>, StoreError> {
        let units: Vec<String> = sqlx::query_scalar(
            "SELECT unit_id FROM work_order_units WHERE work_order_id = ? ORDER BY unit_id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(self.db())?;
        units
            .iter()
            .map(|u| UnitId::parse(u).map_err(|e| self.corrupt(e.to_string())))
            .collect()
    }

    fn order_from_row(&self, row: &SqliteRow, units: Vec<UnitId>) -> Result<WorkOrder, StoreError> {
        let id: i64 = row.get("id");
        let equipment: String = row.get("equipment_id");
        let origin: String = row.get("origin");
        let assessment = row
            .get::<Option<String>, _>("assessment")
            .map(|a| serde_json::from_str(&a))
            .transpose()
            .map_err(|e| self.corrupt(format!("work order {id}: assessment: {e}")))?;
        let window = match (
            row.get::<Option<i64>, _>("window_start_ms"),
            row.get::<Option<i64>, _>("window_end_ms"),
        ) {
            (Some(start), Some(end)) => {
                Some((Timestamp::from_millis(start), Timestamp::from_millis(end)))
            }
            _ => None,
        };
        let outcome = match (
            row.get::<Option<i64>, _>("outcome_real_fault"),
            row.get::<Option<f64>, _>("outcome_cost"),
        ) {
            (Some(real_fault), Some(cost)) => Some(Outcome {
                real_fault: real_fault != 0,
                replaced: row.get("outcome_replaced"),
                cost,
            }),
            _ => None,
        };
        Ok(WorkOrder {
            id,
            equipment: EquipmentId::parse(&equipment).map_err(|e| self.corrupt(e.to_string()))?,
            state: self.state_from(row.get("state"))?,
            origin: WorkOrderOrigin::parse(&origin).map_err(|e| self.corrupt(e.to_string()))?,
            title: row.get("title"),
            probability: row.get("probability"),
            horizon_days: row.get("horizon_days"),
            expected_benefit: row.get("expected_benefit"),
            estimated_cost: row.get("estimated_cost"),
            assessment,
            explanation: row.get("explanation"),
            window,
            units,
            outcome,
            risk_at_decision: row.get("risk_at_decision"),
            created_at: Timestamp::from_millis(row.get("created_at_ms")),
            updated_at: Timestamp::from_millis(row.get("updated_at_ms")),
            version: row.get("version"),
        })
    }

    fn state_from(&self, name: String) -> Result<WorkOrderState, StoreError> {
        WorkOrderState::parse(&name).map_err(|e| self.corrupt(e.to_string()))
    }
}

/// The window and units an order has after moving as `t` says: those given when
/// scheduling (units sorted, once each), kept when starting or finishing, none
/// otherwise.
fn plan_after(order: &WorkOrder, t: &Transition) -> (Option<(Timestamp, Timestamp)>, Vec<UnitId>) {
    use WorkOrderState::*;
    match t.to {
        Scheduled => {
            let mut units = t.units.clone().unwrap_or_default();
            units.sort();
            units.dedup();
            (t.window, units)
        }
        InProgress | Done => (order.window, order.units.clone()),
        Proposed | Approved | Deferred | Dismissed => (None, Vec::new()),
    }
}

/// Refuses a notice for a unit the order neither affected nor affects after the move.
fn check_notices_affect(
    order: &WorkOrder,
    units: &[UnitId],
    t: &Transition,
) -> Result<(), StoreError> {
    let affected: HashSet<&UnitId> = order.units.iter().chain(units).collect();
    match t.notices.iter().find(|n| !affected.contains(&n.unit)) {
        Some(n) => Err(StoreError::Invalid(format!(
            "work order {} does not affect unit {}: no notice for it",
            order.id, n.unit
        ))),
        None => Ok(()),
    }
}

/// Appends `WHERE ...` for the filter (nothing if it filters nothing).
fn push_filter<'a>(qb: &mut QueryBuilder<'a, Sqlite>, filter: &'a WorkOrderFilter) {
    let mut sep = " WHERE ";
    if !filter.states.is_empty() {
        qb.push(sep).push("state IN (");
        let mut states = qb.separated(", ");
        for s in &filter.states {
            states.push_bind(s.name());
        }
        qb.push(")");
        sep = " AND ";
    }
    if let Some(e) = &filter.equipment {
        qb.push(sep).push("equipment_id = ").push_bind(e.as_str());
        sep = " AND ";
    }
    if let Some(o) = filter.origin {
        qb.push(sep).push("origin = ").push_bind(o.name());
    }
}
