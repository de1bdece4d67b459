//! What the pages keep: browser sessions (each bound to the token it signed in
//! with), one-time sign-in links, and calendar feeds. Secrets are stored only as
//! hashes; a session or link of a revoked token is worthless, because every lookup
//! joins on the token being active.
use caretaker_core::Timestamp;
use sqlx::Row;

use crate::{ApiToken, Store, StoreError, new_secret, sha256_hex};

/// A signed-in browser: its token and the CSRF token its forms carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// The token it signed in with (active: checked on every lookup).
    pub token: ApiToken,
    /// The value every form of this session must send back as `csrf_token`.
    pub csrf_token: String,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// A calendar feed as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFeed {
    /// Its id.
    pub id: i64,
    /// Who it is for, in words.
    pub label: String,
    /// When it was made.
    pub created_at: Timestamp,
}

const TOKEN_JOIN: &str = "t.id, t.role, t.unit_id, t.label, t.created_at_ms, t.revoked_at_ms";

impl Store {
    /// Opens a session for an active token, valid for `ttl_ms`; returns the
    /// session secret for the cookie (stored only as a hash).
    pub async fn open_web_session(
        &self,
        token_id: i64,
        now: Timestamp,
        ttl_ms: i64,
    ) -> Result<String, StoreError> {
        let secret = new_secret();
        sqlx::query(
            "INSERT INTO web_sessions (session_hash, token_id, csrf_token, created_at_ms, expires_at_ms) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(sha256_hex(secret.as_bytes()))
        .bind(token_id)
        .bind(new_secret())
        .bind(now.millis())
        .bind(now.millis().saturating_add(ttl_ms))
        .execute(&self.pool)
        .await
        .map_err(self.db())?;
        // Expired sessions are cleared as new ones open: the table stays small.
        sqlx::query("DELETE FROM web_sessions WHERE expires_at_ms < ?")
            .bind(now.millis())
            .execute(&self.pool)
            .await
            .map_err(self.db())?;
        Ok(secret)
    }

    /// The live session with this secret: not expired, its token not revoked.
    pub async fn web_session(
        &self,
        secret: &str,
        now: Timestamp,
    ) -> Result<Option<WebSession>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_JOIN}, s.csrf_token, s.expires_at_ms FROM web_sessions s \
             JOIN api_tokens t ON t.id = s.token_id \
             WHERE s.session_hash = ? AND s.expires_at_ms > ? AND t.revoked_at_ms IS NULL"
        ))
        .bind(sha256_hex(secret.as_bytes()))
        .bind(now.millis())
        .fetch_optional(&self.pool)
        .await
        .map_err(self.db())?;
        row.map(|r| {
            Ok(WebSession {
                token: self.token_from_row(&r)?,
                csrf_token: r.get("csrf_token"),
                expires_at: Timestamp::from_millis(r.get("expires_at_ms")),
            })
        })
        .transpose()
    }

    /// Ends a session (sign out).
    pub async fn close_web_session(&self, secret: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM web_sessions WHERE session_hash = ?")
            .bind(sha256_hex(secret.as_bytes()))
            .execute(&self.pool)
            .await
            .map_err(self.db())?;
        Ok(())
    }

    /// A one-time sign-in link code for a token, valid for `ttl_ms`.
    pub async fn add_sign_in_link(
        &self,
        token_id: i64,
        now: Timestamp,
        ttl_ms: i64,
    ) -> Result<String, StoreError> {
        if !self.token_active(token_id).await? {
            return Err(StoreError::Invalid(format!(
                "token {token_id} does not exist or is revoked"
            )));
        }
        let code = new_secret();
        sqlx::query(
            "INSERT INTO sign_in_links (code_hash, token_id, created_at_ms, expires_at_ms) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(sha256_hex(code.as_bytes()))
        .bind(token_id)
        .bind(now.millis())
        .bind(now.millis().saturating_add(ttl_ms))
        .execute(&self.pool)
        .await
        .map_err(self.db())?;
        Ok(code)
    }

    /// Uses a sign-in link: the token it signs in, once. A used, expired or
    /// unknown code, or one whose token was revoked, gives nothing.
    pub async fn use_sign_in_link(
        &self,
        code: &str,
        now: Timestamp,
    ) -> Result<Option<ApiToken>, StoreError> {
        let hash = sha256_hex(code.as_bytes());
        let used = sqlx::query(
            "UPDATE sign_in_links SET used_at_ms = ? \
             WHERE code_hash = ? AND used_at_ms IS NULL AND expires_at_ms > ?",
        )
        .bind(now.millis())
        .bind(&hash)
        .bind(now.millis())
        .execute(&self.pool)
        .await
        .map_err(self.db())?
        .rows_affected();
        if used != 1 {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_JOIN} FROM sign_in_links l JOIN api_tokens t ON t.id = l.token_id \
             WHERE l.code_hash = ? AND t.revoked_at_ms IS NULL"
        ))
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(self.db())?;
        row.map(|r| self.token_from_row(&r)).transpose()
    }

    /// Adds a calendar feed; returns it and its secret (shown once, stored hashed).
    pub async fn add_calendar_feed(
        &self,
        label: &str,
        now: Timestamp,
    ) -> Result<(CalendarFeed, String), StoreError> {
        let label = label.trim();
        if label.is_empty() || label.len() > 100 {
            return Err(StoreError::Invalid(
                "a calendar feed needs a label of 1 to 100 characters".into(),
            ));
        }
        let secret = new_secret();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO calendar_feeds (secret_hash, label, created_at_ms) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(sha256_hex(secret.as_bytes()))
        .bind(label)
        .bind(now.millis())
        .fetch_one(&self.pool)
        .await
        .map_err(self.db())?;
        Ok((
            CalendarFeed {
                id,
                label: label.to_owned(),
                created_at: now,
            },
            secret,
        ))
    }

    /// Whether this secret opens an active calendar feed.
    pub async fn calendar_feed_active(&self, secret: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM calendar_feeds WHERE secret_hash = ? AND revoked_at_ms IS NULL",
        )
        .bind(sha256_hex(secret.as_bytes()))
        .fetch_optional(&self.pool)
        .await
        .map_err(self.db())?;
        Ok(found.is_some())
    }

    /// The active calendar feeds, oldest first.
    pub async fn calendar_feeds(&self) -> Result<Vec<CalendarFeed>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, label, created_at_ms FROM calendar_feeds WHERE revoked_at_ms IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.db())?;
        Ok(rows
            .iter()
            .map(|r| CalendarFeed {
                id: r.get("id"),
                label: r.get("label"),
                created_at: Timestamp::from_millis(r.get("created_at_ms")),
            })
            .collect())
    }

    /// Revokes a calendar feed; returns whether it was active.
    pub async fn revoke_calendar_feed(&self, id: i64, now: Timestamp) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE calendar_feeds SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL",
        )
        .bind(now.millis())
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(self.db())?
        .rows_affected();
        Ok(changed == 1)
    }
}

/// One day's forecast for a piece of equipment.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskPoint {
    /// The day forecast for (UTC).
    pub day: chrono::NaiveDate,
    /// The chance of failure within the horizon.
    pub probability: f64,
    /// The horizon, in days.
    pub horizon_days: i64,
}

impl Store {
    /// Records the day's forecasts (a later one the same day replaces the earlier).
    pub async fn record_risks(
        &self,
        day: chrono::NaiveDate,
        risks: &[(caretaker_core::EquipmentId, f64, i64)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.db())?;
        for (equipment, probability, horizon) in risks {
            sqlx::query(
                "INSERT INTO risk_history (equipment_id, day, probability, horizon_days) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (equipment_id, day) DO UPDATE SET probability = excluded.probability, \
                 horizon_days = excluded.horizon_days",
            )
            .bind(equipment.as_str())
            .bind(day.to_string())
            .bind(probability)
            .bind(horizon)
            .execute(&mut *tx)
            .await
            .map_err(self.db())?;
        }
        tx.commit().await.map_err(self.db())
    }

    /// A piece of equipment's forecasts from `since` on, oldest first.
    pub async fn risk_history(
        &self,
        equipment: &caretaker_core::EquipmentId,
        since: chrono::NaiveDate,
    ) -> Result<Vec<RiskPoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, probability, horizon_days FROM risk_history \
             WHERE equipment_id = ? AND day >= ? ORDER BY day",
        )
        .bind(equipment.as_str())
        .bind(since.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(self.db())?;
        rows.iter()
            .map(|r| {
                let day: String = r.get("day");
                Ok(RiskPoint {
                    day: day
                        .parse()
                        .map_err(|_| self.corrupt(format!("risk_history day {day:?}")))?,
                    probability: r.get("probability"),
                    horizon_days: r.get("horizon_days"),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caretaker_core::{Role, UnitId};

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("s.sqlite"))
            .await
            .expect("store");
        (dir, store)
    }

    #[tokio::test]
    async fn a_session_ends_with_its_token_its_expiry_or_sign_out() {
        let (_dir, store) = store().await;
        let now = Timestamp::from_millis(1_000_000);
        let (token, _) = store
            .add_token(Role::Committee, None, "committee: Ana", now)
            .await
            .expect("token");
        let secret = store
            .open_web_session(token.id, now, 60_000)
            .await
            .expect("session");
        let session = store.web_session(&secret, now).await.expect("lookup");
        assert_eq!(session.expect("live").token.id, token.id);
        let later = Timestamp::from_millis(now.millis() + 60_001);
        assert!(
            store
                .web_session(&secret, later)
                .await
                .expect("lookup")
                .is_none()
        );
        assert!(
            store
                .web_session("nope", now)
                .await
                .expect("lookup")
                .is_none()
        );
        store.close_web_session(&secret).await.expect("close");
        assert!(
            store
                .web_session(&secret, now)
                .await
                .expect("lookup")
                .is_none()
        );

        let secret = store
            .open_web_session(token.id, now, 60_000)
            .await
            .expect("session");
        store.revoke_token(token.id, now).await.expect("revoke");
        assert!(
            store
                .web_session(&secret, now)
                .await
                .expect("lookup")
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_sign_in_link_works_once() {
        let (_dir, store) = store().await;
        let now = Timestamp::from_millis(1_000_000);
        let unit = UnitId::parse("A-101").expect("unit");
        let (token, _) = store
            .add_token(Role::Resident, Some(&unit), "resident: A-101", now)
            .await
            .expect("token");
        let code = store
            .add_sign_in_link(token.id, now, 60_000)
            .await
            .expect("link");
        let used = store.use_sign_in_link(&code, now).await.expect("use");
        assert_eq!(used.expect("signs in").unit, Some(unit));
        assert!(
            store
                .use_sign_in_link(&code, now)
                .await
                .expect("use")
                .is_none()
        );
        let late = store
            .add_sign_in_link(token.id, now, 10)
            .await
            .expect("link");
        let after = Timestamp::from_millis(now.millis() + 11);
        assert!(
            store
                .use_sign_in_link(&late, after)
                .await
                .expect("use")
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_revoked_calendar_feed_opens_nothing() {
        let (_dir, store) = store().await;
        let now = Timestamp::from_millis(1_000_000);
        let (feed, secret) = store
            .add_calendar_feed("laundry room screen", now)
            .await
            .expect("feed");
        assert!(store.calendar_feed_active(&secret).await.expect("check"));
        assert_eq!(
            store.calendar_feeds().await.expect("list"),
            vec![feed.clone()]
        );
        assert!(
            store
                .revoke_calendar_feed(feed.id, now)
                .await
                .expect("revoke")
        );
        assert!(!store.calendar_feed_active(&secret).await.expect("check"));
        assert!(store.calendar_feeds().await.expect("list").is_empty());
    }
}
