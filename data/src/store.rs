//! The operational store: an embedded SQLite database in the data directory.
//!
//! Holds the registry as loaded, the event history, work orders and their
//! decision log, notices, API tokens and gateway credentials. The schema is in
//! `data/migrations/`, applied in order at open; the SQL sticks to what
//! PostgreSQL also understands (epoch-millisecond `BIGINT` times,
//! `ON CONFLICT DO NOTHING`).
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use caretaker_core::{
    EquipmentId, Event, EventKind, GatewayName, Registry, Timestamp, UnitId, WorkOrderState,
};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};

/// Why the operational store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or queried.
    #[error("operational store {path}: {source}")]
    Database {
        /// The database file.
        path: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The schema could not be brought up to date.
    #[error("operational store {path}: migration failed: {source}")]
    Migration {
        /// The database file.
        path: String,
        /// The migrator's error.
        source: sqlx::migrate::MigrateError,
    },
    /// A row did not hold what the schema promises.
    #[error("operational store {path}: corrupt row: {message}")]
    Corrupt {
        /// The database file.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// No row has that id.
    #[error("no {what} {id}")]
    NotFound {
        /// What was looked for (work order, notice...).
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The work order's lifecycle does not allow the move.
    #[error("work order {id} is {from}: it cannot move to {to}")]
    InvalidTransition {
        /// The work order.
        id: i64,
        /// Its state.
        from: WorkOrderState,
        /// The state asked for.
        to: WorkOrderState,
    },
    /// The work order changed since the caller read it.
    #[error(
        "work order {id} changed meanwhile: it is at version {actual}, the change was for version {expected}"
    )]
    VersionConflict {
        /// The work order.
        id: i64,
        /// The version the caller read.
        expected: i64,
        /// The version stored.
        actual: i64,
    },
    /// The request itself is wrong (missing window, bad value...); the text says how.
    #[error("{0}")]
    Invalid(String),
}

/// Row counts of the main tables, for summaries and health checks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoreCounts {
    /// Buildings in the registry.
    pub buildings: i64,
    /// Units in the registry.
    pub units: i64,
    /// Equipment in the registry.
    pub equipment: i64,
    /// Sensors in the registry.
    pub sensors: i64,
    /// Events in the history.
    pub events: i64,
}

/// A handle on the operational store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: SqlitePool,
    path: String,
}

/// A new random secret: 32 bytes from the operating system, as 64 hex digits.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `secret` hashes to `hash` (hex SHA-256), compared in constant time.
///
/// Secrets are random 256-bit values, so a fast hash is enough: there is
/// nothing to guess.
pub fn secret_matches(secret: &str, hash: &str) -> bool {
    let computed = sha256_hex(secret.as_bytes());
    computed.len() == hash.len()
        && computed
            .bytes()
            .zip(hash.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|source| StoreError::Database {
                path: shown.clone(),
                source,
            })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Database {
                path: shown.clone(),
                source,
            })?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migration {
                path: shown.clone(),
                source,
            })?;
        Ok(Self { pool, path: shown })
    }

    /// The connection pool, for crates that own other tables' queries.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub(crate) fn db(&self) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        |source| StoreError::Database {
            path: self.path.clone(),
            source,
        }
    }

    /// A [`StoreError::Corrupt`] for this database.
    pub(crate) fn corrupt(&self, message: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// An event from a row holding the `events` columns `ts_ms, equipment_id,
    /// kind, code, description, cost, unit_id`.
    pub(crate) fn event_from_row(&self, row: &SqliteRow) -> Result<Event, StoreError> {
        let equipment: String = row.get("equipment_id");
        let kind: String = row.get("kind");
        let unit: Option<String> = row.get("unit_id");
        Ok(Event {
            ts: Timestamp::from_millis(row.get("ts_ms")),
            equipment: EquipmentId::parse(&equipment).map_err(|e| self.corrupt(e.to_string()))?,
            kind: EventKind::parse(&kind).map_err(|e| self.corrupt(e.to_string()))?,
            code: row.get("code"),
            description: row.get("description"),
            cost: row.get("cost"),
            unit: unit
                .map(|u| UnitId::parse(&u))
                .transpose()
                .map_err(|e| self.corrupt(e.to_string()))?,
        })
    }

    /// Records the registry as loaded from `source` (its text `content`), replacing
    /// the registry tables if it differs from the last one loaded. Returns whether it changed.
    pub async fn sync_registry(
        &self,
        registry: &Registry,
        source: &str,
        content: &str,
    ) -> Result<bool, StoreError> {
        let hash = sha256_hex(content.as_bytes());
        let last: Option<String> =
            sqlx::query_scalar("SELECT content_hash FROM registry_loads ORDER BY id DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await
                .map_err(self.db())?;
        if last.as_deref() == Some(hash.as_str()) {
            return Ok(false);
        }
        let mut tx = self.pool.begin().await.map_err(self.db())?;
        for table in [
            "sensors",
            "equipment_units",
            "equipment",
            "units",
            "buildings",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await
                .map_err(self.db())?;
        }
        for b in registry.buildings() {
            sqlx::query("INSERT INTO buildings (id, name, address, floors) VALUES (?, ?, ?, ?)")
                .bind(b.id.as_str())
                .bind(&b.name)
                .bind(&b.address)
                .bind(b.floors as i64)
                .execute(&mut *tx)
                .await
                .map_err(self.db())?;
        }
        for u in registry.units() {
            sqlx::query("INSERT INTO units (id, building_id, floor) VALUES (?, ?, ?)")
                .bind(u.id.as_str())
                .bind(u.building.as_str())
                .bind(u.floor as i64)
                .execute(&mut *tx)
                .await
                .map_err(self.db())?;
        }
        for e in registry.equipment() {
            sqlx::query(
                "INSERT INTO equipment (id, building_id, kind, name, make, model, installed, \
                 replacement_cost, failure_cost, criticality) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(e.id.as_str())
            .bind(e.building.as_str())
            .bind(e.kind.name())
            .bind(&e.name)
            .bind(&e.make)
            .bind(&e.model)
            .bind(e.installed.to_string())
            .bind(e.replacement_cost)
            .bind(e.failure_cost)
            .bind(e.criticality as i64)
            .execute(&mut *tx)
            .await
            .map_err(self.db())?;
            for u in &e.serves {
                sqlx::query("INSERT INTO equipment_units (equipment_id, unit_id) VALUES (?, ?)")
                    .bind(e.id.as_str())
                    .bind(u.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(self.db())?;
            }
        }
        for s in registry.sensors() {
            sqlx::query(
                "INSERT INTO sensors (id, equipment_id, metric, unit, expected_min, expected_max, \
                 interval_s, native_id, zigbee_name, zigbee_key, lorawan_dev_eui, lorawan_field) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(s.id.as_str())
            .bind(s.equipment.as_str())
            .bind(s.metric.name())
            .bind(&s.unit)
            .bind(s.expected_range.0)
            .bind(s.expected_range.1)
            .bind(s.interval_s as i64)
            .bind(s.address.native.as_deref())
            .bind(s.address.zigbee.as_ref().map(|z| z.name.as_str()))
            .bind(s.address.zigbee.as_ref().map(|z| z.key.as_str()))
            .bind(s.address.lorawan.as_ref().map(|l| l.dev_eui.as_str()))
            .bind(s.address.lorawan.as_ref().map(|l| l.field.as_str()))
            .execute(&mut *tx)
            .await
            .map_err(self.db())?;
        }
        sqlx::query(
            "INSERT INTO registry_loads (loaded_at_ms, source, content_hash, content) VALUES (?, ?, ?, ?)",
        )
        .bind(Timestamp::now().millis())
        .bind(source)
        .bind(&hash)
        .bind(content)
        .execute(&mut *tx)
        .await
        .map_err(self.db())?;
        tx.commit().await.map_err(self.db())?;
        Ok(true)
    }

    /// Adds events to the history; an event already recorded (same equipment,
    /// time, kind and description) is skipped. Returns how many were new.
    pub async fn insert_events(&self, events: &[Event], source: &str) -> Result<u64, StoreError> {
        let now = Timestamp::now().millis();
        let mut tx = self.pool.begin().await.map_err(self.db())?;
        let mut added = 0;
        for e in events {
            added += sqlx::query(
                "INSERT INTO events (ts_ms, equipment_id, kind, code, description, cost, unit_id, \
                 source, recorded_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(e.ts.millis())
            .bind(e.equipment.as_str())
            .bind(e.kind.name())
            .bind(e.code.as_deref())
            .bind(&e.description)
            .bind(e.cost)
            .bind(e.unit.as_ref().map(|u| u.as_str()))
            .bind(source)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(self.db())?
            .rows_affected();
        }
        tx.commit().await.map_err(self.db())?;
        Ok(added)
    }

    /// The event history in time order, optionally for one piece of equipment.
    pub async fn events(&self, equipment: Option<&EquipmentId>) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT ts_ms, equipment_id, kind, code, description, cost, unit_id FROM events \
             WHERE (? IS NULL OR equipment_id = ?) ORDER BY ts_ms, id",
        )
        .bind(equipment.map(|e| e.as_str()))
        .bind(equipment.map(|e| e.as_str()))
        .fetch_all(&self.pool)
        .await
        .map_err(self.db())?;
        rows.iter().map(|row| self.event_from_row(row)).collect()
    }

    /// The events at or after `since`, in time order (the pages' recent reports
    /// and sensor problems: an indexed range, not the whole history).
    pub async fn events_since(&self, since: Timestamp) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT ts_ms, equipment_id, kind, code, description, cost, unit_id FROM events \
             WHERE ts_ms >= ? ORDER BY ts_ms, id",
        )
        .bind(since.millis())
        .fetch_all(&self.pool)
        .await
        .map_err(self.db())?;
        rows.iter().map(|row| self.event_from_row(row)).collect()
    }

    /// Registers a gateway with the hash of its password, or issues a revoked
    /// gateway's name again. Returns `false` if an active gateway has the name.
    pub async fn add_gateway(
        &self,
        name: &GatewayName,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let added = sqlx::query(
            "INSERT INTO gateways (name, password_hash, created_at_ms) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, \
             created_at_ms = excluded.created_at_ms, revoked_at_ms = NULL \
             WHERE gateways.revoked_at_ms IS NOT NULL",
        )
        .bind(name.as_str())
        .bind(password_hash)
        .bind(Timestamp::now().millis())
        .execute(&self.pool)
        .await
        .map_err(self.db())?
        .rows_affected();
        Ok(added == 1)
    }

    /// The password hash of an active (not revoked) gateway.
    pub async fn gateway_password_hash(&self, name: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT password_hash FROM gateways WHERE name = ? AND revoked_at_ms IS NULL",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(self.db())
    }

    /// Revokes a gateway's credentials; returns whether it was active.
    pub async fn revoke_gateway(&self, name: &GatewayName) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE gateways SET revoked_at_ms = ? WHERE name = ? AND revoked_at_ms IS NULL",
        )
        .bind(Timestamp::now().millis())
        .bind(name.as_str())
        .execute(&self.pool)
        .await
        .map_err(self.db())?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Gives an active gateway a new password hash (the old password stops
    /// working); returns whether it was active.
    pub async fn rotate_gateway(
        &self,
        name: &GatewayName,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE gateways SET password_hash = ? WHERE name = ? AND revoked_at_ms IS NULL",
        )
        .bind(password_hash)
        .bind(name.as_str())
        .execute(&self.pool)
        .await
        .map_err(self.db())?
        .rows_affected();
        Ok(changed == 1)
    }

    /// The password hash of every active gateway, by name.
    pub async fn gateway_password_hashes(
        &self,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT name, password_hash FROM gateways WHERE revoked_at_ms IS NULL")
                .fetch_all(&self.pool)
                .await
                .map_err(self.db())?;
        Ok(rows.into_iter().collect())
    }

    /// Names of the active gateways, sorted.
    pub async fn gateways(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT name FROM gateways WHERE revoked_at_ms IS NULL ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(self.db())
    }

    /// Row counts of the registry and event tables.
    pub async fn counts(&self) -> Result<StoreCounts, StoreError> {
        let count = |table: &'static str| {
            let pool = self.pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
                    .fetch_one(&pool)
                    .await
            }
        };
        Ok(StoreCounts {
            buildings: count("buildings").await.map_err(self.db())?,
            units: count("units").await.map_err(self.db())?,
            equipment: count("equipment").await.map_err(self.db())?,
            sensors: count("sensors").await.map_err(self.db())?,
            events: count("events").await.map_err(self.db())?,
        })
    }
}
