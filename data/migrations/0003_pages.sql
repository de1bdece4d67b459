-- The pages: browser sessions, one-time sign-in links and calendar feeds.
-- Secrets are stored only as SHA-256 hashes. Portable SQL, epoch-millisecond times.

-- A signed-in browser: the token it signed in with (revoking the token ends the
-- session) and the session's CSRF token, which every form carries.
CREATE TABLE web_sessions (
    session_hash TEXT PRIMARY KEY,
    token_id BIGINT NOT NULL REFERENCES api_tokens (id),
    csrf_token TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_token ON web_sessions (token_id);

-- A sign-in link the committee printed for a resident: used once, then gone.
CREATE TABLE sign_in_links (
    code_hash TEXT PRIMARY KEY,
    token_id BIGINT NOT NULL REFERENCES api_tokens (id),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms BIGINT
);

-- A read-only calendar feed of scheduled work, under an unguessable address.
CREATE TABLE calendar_feeds (
    id INTEGER PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);

-- Each piece of equipment's chance of failure, one row per day (the last
-- forecast of the day wins): the risk-over-time chart.
CREATE TABLE risk_history (
    equipment_id TEXT NOT NULL,
    day TEXT NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    horizon_days INTEGER NOT NULL,
    PRIMARY KEY (equipment_id, day)
);

-- The pages' recent reports and sensor problems: events by time.
CREATE INDEX events_by_time ON events (ts_ms);
