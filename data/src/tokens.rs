//! API bearer tokens: a role, for residents a unit, and only the secret's hash.
use caretaker_core::{Role, Timestamp, UnitId};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{Store, StoreError, new_secret, sha256_hex};

/// An API token as listed: never its secret or hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    /// The token's id.
    pub id: i64,
    /// What it may do.
    pub role: Role,
    /// The unit a resident token speaks for (none for other roles).
    pub unit: Option<UnitId>,
    /// Whose it is, in words ("committee: Alice").
    pub label: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

const TOKEN_COLUMNS: &str = "id, role, unit_id, label, created_at_ms, revoked_at_ms";

impl Store {
    /// Creates a token. A resident token needs a unit; other roles must not have one.
    /// Returns the token and its secret, which is stored only as a hash: show it once.
    pub async fn add_token(
        &self,
        role: Role,
        unit: Option<&UnitId>,
        label: &str,
        now: Timestamp,
    ) -> Result<(ApiToken, String), StoreError> {
        match (role, unit) {
            (Role::Resident, None) => {
                return Err(StoreError::Invalid("a resident token needs a unit".into()));
            }
            (Role::Resident, Some(_)) | (_, None) => {}
            (_, Some(u)) => {
                return Err(StoreError::Invalid(format!(
                    "only a resident token has a unit, not a {role} token (unit {u})"
                )));
            }
        }
        let label = label.trim();
        if label.is_empty() {
            return Err(StoreError::Invalid("a token needs a label".into()));
        }
        let secret = new_secret();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (token_hash, role, unit_id, label, created_at_ms) \
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(sha256_hex(secret.as_bytes()))
        .bind(role.name())
        .bind(unit.map(UnitId::as_str))
        .bind(label)
        .bind(now.millis())
        .fetch_one(&self.pool)
        .await
        .map_err(self.db())?;
        let token = ApiToken {
            id,
            role,
            unit: unit.cloned(),
            label: label.to_owned(),
            created_at: now,
            revoked_at: None,
        };
        Ok((token, secret))
    }

    /// The active (not revoked) token whose secret this is. The lookup is by the
    /// secret's hash, so the secret itself is never compared.
    pub async fn token_for_secret(&self, secret: &str) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at_ms IS NULL"
        ))
        .bind(sha256_hex(secret.as_bytes()))
        .fetch_optional(&self.pool)
        .await
        .map_err(self.db())?;
        row.map(|r| self.token_from_row(&r)).transpose()
    }

    /// Whether the token with this id exists and is not revoked: one lookup by
    /// primary key, cheap enough to make on every request.
    pub async fn token_active(&self, id: i64) -> Result<bool, StoreError> {
        let active: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM api_tokens WHERE id = ? AND revoked_at_ms IS NULL")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.db())?;
        Ok(active.is_some())
    }

    /// Every token, revoked ones included, oldest first.
    pub async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(self.db())?;
        rows.iter().map(|r| self.token_from_row(r)).collect()
    }

    /// Revokes a token; returns whether it was active.
    pub async fn revoke_token(&self, id: i64, now: Timestamp) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE api_tokens SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL",
        )
        .bind(now.millis())
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(self.db())?
        .rows_affected();
        Ok(changed == 1)
    }

    pub(crate) fn token_from_row(&self, row: &SqliteRow) -> Result<ApiToken, StoreError> {
        let role: String = row.get("role");
        let unit: Option<String> = row.get("unit_id");
        Ok(ApiToken {
            id: row.get("id"),
            role: Role::parse(&role).map_err(|e| self.corrupt(e.to_string()))?,
            unit: unit
                .map(|u| UnitId::parse(&u))
                .transpose()
                .map_err(|e| self.corrupt(e.to_string()))?,
            label: row.get("label"),
            created_at: Timestamp::from_millis(row.get("created_at_ms")),
            revoked_at: row
                .get::<Option<i64>, _>("revoked_at_ms")
                .map(Timestamp::from_millis),
        })
    }
}
