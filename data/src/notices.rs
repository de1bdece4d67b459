//! What residents read and send: notices for their unit about planned work, and
//! their problem reports (events of kind `resident_report`).
//!
//! Notices are written by [`Store::transition`](crate::Store::transition), in the
//! work order's transaction; this module reads them and holds the upsert it uses.
use std::collections::HashSet;

use caretaker_core::{EquipmentId, Event, EventKind, Timestamp, UnitId};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::{Store, StoreError};

/// Longest problem report accepted, in characters.
const MAX_REPORT_CHARS: usize = 2_000;

/// Identical reports (same equipment and text) stored within one millisecond, at most.
const MAX_SAME_MS_REPORTS: i64 = 100;

/// A plain-language notice to the residents of one unit about a work order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Notice {
    /// The notice's id.
    pub id: i64,
    /// The work order it is about.
    pub work_order_id: i64,
    /// The unit whose residents see it.
    pub unit: UnitId,
    /// One line: what happens.
    pub title: String,
    /// What, when, how long, what to do.
    pub body: String,
    /// When the disruption starts, if known.
    pub starts_at: Option<Timestamp>,
    /// When it ends, if known.
    pub ends_at: Option<Timestamp>,
    /// When the notice was withdrawn (the plan no longer affects this unit).
    pub cancelled_at: Option<Timestamp>,
    /// When it was first written.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Bumped on every change.
    pub version: i64,
}

/// A notice to write (or rewrite) for one unit of a work order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NewNotice {
    /// The unit whose residents see it.
    pub unit: UnitId,
    /// One line: what happens.
    pub title: String,
    /// What, when, how long, what to do.
    pub body: String,
    /// When the disruption starts, if known.
    pub starts_at: Option<Timestamp>,
    /// When it ends, if known.
    pub ends_at: Option<Timestamp>,
    /// Whether this text tells residents the work is called off (the notice is
    /// then marked cancelled).
    #[serde(default)]
    pub cancelled: bool,
}

const NOTICE_COLUMNS: &str = "id, work_order_id, unit_id, title, body, starts_at_ms, ends_at_ms, \
     cancelled_at_ms, created_at_ms, updated_at_ms, version";

/// Checks notices before anything is written: a title, times in order, one per unit.
pub(crate) fn check_notices(notices: &[NewNotice]) -> Result<(), StoreError> {
    let mut units = HashSet::new();
    for n in notices {
        if n.title.trim().is_empty() {
            return Err(StoreError::Invalid(format!(
                "the notice for unit {} has no title",
                n.unit
            )));
        }
        match (n.starts_at, n.ends_at) {
            (Some(start), Some(end)) if start >= end => {
                return Err(StoreError::Invalid(format!(
                    "the notice for unit {} ends ({end}) before it starts ({start})",
                    n.unit
                )));
            }
            _ => {}
        }
        if !units.insert(&n.unit) {
            return Err(StoreError::Invalid(format!(
                "two notices for unit {}",
                n.unit
            )));
        }
    }
    Ok(())
}

impl Store {
    /// The notices for a unit, most recently changed first; cancelled ones only if asked.
    pub async fn notices_for_unit(
        &self,
        unit: &UnitId,
        include_cancelled: bool,
    ) -> Result<Vec<Notice>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notices WHERE unit_id = ? \
             AND (? OR cancelled_at_ms IS NULL) ORDER BY updated_at_ms DESC, id DESC"
        ))
        .bind(unit.as_str())
        .bind(include_cancelled)
        .fetch_all(&self.pool)
        .await
        .map_err(self.db())?;
        rows.iter().map(|r| self.notice_from_row(r)).collect()
    }

    /// One notice.
    pub async fn notice(&self, id: i64) -> Result<Option<Notice>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notices WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(self.db())?;
        row.map(|r| self.notice_from_row(&r)).transpose()
    }

    /// A work order's notices (cancelled ones included), by unit.
    pub async fn notices_for_order(&self, work_order_id: i64) -> Result<Vec<Notice>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(self.db())?;
        self.order_notices(&mut conn, work_order_id).await
    }

    pub(crate) async fn order_notices(
        &self,
        conn: &mut SqliteConnection,
        work_order_id: i64,
    ) -> Result<Vec<Notice>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notices WHERE work_order_id = ? ORDER BY unit_id"
        ))
        .bind(work_order_id)
        .fetch_all(&mut *conn)
        .await
        .map_err(self.db())?;
        rows.iter().map(|r| self.notice_from_row(r)).collect()
    }

    /// Writes a work order's notices inside the caller's transaction: each of
    /// `notices` replaces the order's notice for its unit (un-cancelling it) or is
    /// added; with `cancel_others`, the order's other live notices are cancelled.
    pub(crate) async fn write_notices(
        &self,
        conn: &mut SqliteConnection,
        work_order_id: i64,
        notices: &[NewNotice],
        cancel_others: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let existing = self.order_notices(conn, work_order_id).await?;
        for n in notices {
            let updated = sqlx::query(
                "UPDATE notices SET title = ?, body = ?, starts_at_ms = ?, ends_at_ms = ?, \
                 cancelled_at_ms = ?, updated_at_ms = ?, version = version + 1 \
                 WHERE work_order_id = ? AND unit_id = ?",
            )
            .bind(&n.title)
            .bind(&n.body)
            .bind(n.starts_at.map(Timestamp::millis))
            .bind(n.ends_at.map(Timestamp::millis))
            .bind(n.cancelled.then_some(now.millis()))
            .bind(now.millis())
            .bind(work_order_id)
            .bind(n.unit.as_str())
            .execute(&mut *conn)
            .await
            .map_err(self.db())?
            .rows_affected();
            if updated == 0 {
                sqlx::query(
                    "INSERT INTO notices (work_order_id, unit_id, title, body, starts_at_ms, \
                     ends_at_ms, cancelled_at_ms, created_at_ms, updated_at_ms) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(work_order_id)
                .bind(n.unit.as_str())
                .bind(&n.title)
                .bind(&n.body)
                .bind(n.starts_at.map(Timestamp::millis))
                .bind(n.ends_at.map(Timestamp::millis))
                .bind(n.cancelled.then_some(now.millis()))
                .bind(now.millis())
                .bind(now.millis())
                .execute(&mut *conn)
                .await
                .map_err(self.db())?;
            }
        }
        if cancel_others {
            let kept: HashSet<&UnitId> = notices.iter().map(|n| &n.unit).collect();
            for old in existing
                .iter()
                .filter(|o| o.cancelled_at.is_none() && !kept.contains(&o.unit))
            {
                sqlx::query(
                    "UPDATE notices SET cancelled_at_ms = ?, updated_at_ms = ?, \
                     version = version + 1 WHERE id = ?",
                )
                .bind(now.millis())
                .bind(now.millis())
                .bind(old.id)
                .execute(&mut *conn)
                .await
                .map_err(self.db())?;
            }
        }
        Ok(())
    }

    fn notice_from_row(&self, row: &SqliteRow) -> Result<Notice, StoreError> {
        let unit: String = row.get("unit_id");
        let ms = |column: &str| {
            row.get::<Option<i64>, _>(column)
                .map(Timestamp::from_millis)
        };
        Ok(Notice {
            id: row.get("id"),
            work_order_id: row.get("work_order_id"),
            unit: UnitId::parse(&unit).map_err(|e| self.corrupt(e.to_string()))?,
            title: row.get("title"),
            body: row.get("body"),
            starts_at: ms("starts_at_ms"),
            ends_at: ms("ends_at_ms"),
            cancelled_at: ms("cancelled_at_ms"),
            created_at: Timestamp::from_millis(row.get("created_at_ms")),
            updated_at: Timestamp::from_millis(row.get("updated_at_ms")),
            version: row.get("version"),
        })
    }

    /// Records a resident's problem report as a `resident_report` event (code =
    /// `category`, description = `text`, source `resident`). Returns the event's id.
    pub async fn report_problem(
        &self,
        unit: &UnitId,
        equipment: &EquipmentId,
        category: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let category = category.trim();
        let text = text.trim();
        if category.is_empty()
            || !category
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Invalid(format!(
                "report category {category:?}: expected lowercase letters, digits and '_'"
            )));
        }
        if text.is_empty() {
            return Err(StoreError::Invalid("the report says nothing".into()));
        }
        if text.chars().count() > MAX_REPORT_CHARS {
            return Err(StoreError::Invalid(format!(
                "the report is longer than {MAX_REPORT_CHARS} characters"
            )));
        }
        // The same text about the same equipment in the same millisecond (a
        // double submission, two residents) is still a report of its own: it is
        // stored a millisecond later rather than refused by the events' unique key.
        for offset in 0..MAX_SAME_MS_REPORTS {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO events (ts_ms, equipment_id, kind, code, description, cost, unit_id, \
                 source, recorded_at_ms) VALUES (?, ?, ?, ?, ?, NULL, ?, 'resident', ?) \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(now.millis() + offset)
            .bind(equipment.as_str())
            .bind(EventKind::ResidentReport.name())
            .bind(category)
            .bind(text)
            .bind(unit.as_str())
            .bind(now.millis())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.db())?;
            if let Some(id) = id {
                return Ok(id);
            }
        }
        Err(StoreError::Invalid(format!(
            "more than {MAX_SAME_MS_REPORTS} identical reports about {equipment} at once"
        )))
    }

    /// How many problem reports about `equipment` were made at or after `since`.
    pub async fn open_reports(
        &self,
        equipment: &EquipmentId,
        since: Timestamp,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM events WHERE equipment_id = ? AND kind = ? AND ts_ms >= ?",
        )
        .bind(equipment.as_str())
        .bind(EventKind::ResidentReport.name())
        .bind(since.millis())
        .fetch_one(&self.pool)
        .await
        .map_err(self.db())
    }

    /// The problem reports made from a unit, newest first, with their event ids.
    pub async fn reports_for_unit(&self, unit: &UnitId) -> Result<Vec<(i64, Event)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, ts_ms, equipment_id, kind, code, description, cost, unit_id FROM events \
             WHERE unit_id = ? AND kind = ? ORDER BY ts_ms DESC, id DESC",
        )
        .bind(unit.as_str())
        .bind(EventKind::ResidentReport.name())
        .fetch_all(&self.pool)
        .await
        .map_err(self.db())?;
        rows.iter()
            .map(|r| Ok((r.get("id"), self.event_from_row(r)?)))
            .collect()
    }
}
