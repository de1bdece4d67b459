-- The operational store. Portable SQL: timestamps are epoch milliseconds (BIGINT),
-- money is DOUBLE PRECISION, ids of rows Caretaker creates are INTEGER keys.

-- Every registry file loaded, newest last; the tables below hold the newest.
CREATE TABLE registry_loads (
    id INTEGER PRIMARY KEY,
    loaded_at_ms BIGINT NOT NULL,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    content TEXT NOT NULL
);

CREATE TABLE buildings (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    floors INTEGER NOT NULL
);

CREATE TABLE units (
    id TEXT PRIMARY KEY,
    building_id TEXT NOT NULL REFERENCES buildings (id),
    floor INTEGER NOT NULL
);

CREATE TABLE equipment (
    id TEXT PRIMARY KEY,
    building_id TEXT NOT NULL REFERENCES buildings (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    make TEXT NOT NULL,
    model TEXT NOT NULL,
    installed DATE NOT NULL,
    replacement_cost DOUBLE PRECISION NOT NULL,
    failure_cost DOUBLE PRECISION NOT NULL,
    criticality INTEGER NOT NULL
);

CREATE TABLE equipment_units (
    equipment_id TEXT NOT NULL REFERENCES equipment (id),
    unit_id TEXT NOT NULL REFERENCES units (id),
    PRIMARY KEY (equipment_id, unit_id)
);

CREATE TABLE sensors (
    id TEXT PRIMARY KEY,
    equipment_id TEXT NOT NULL REFERENCES equipment (id),
    metric TEXT NOT NULL,
    unit TEXT NOT NULL,
    expected_min DOUBLE PRECISION NOT NULL,
    expected_max DOUBLE PRECISION NOT NULL,
    interval_s INTEGER NOT NULL,
    native_id TEXT,
    zigbee_name TEXT,
    zigbee_key TEXT,
    lorawan_dev_eui TEXT,
    lorawan_field TEXT
);

-- The maintenance history. No foreign key to equipment: history outlives registry edits.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ts_ms BIGINT NOT NULL,
    equipment_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT,
    description TEXT NOT NULL,
    cost DOUBLE PRECISION,
    unit_id TEXT,
    source TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX events_by_equipment ON events (equipment_id, ts_ms);
CREATE UNIQUE INDEX events_once ON events (equipment_id, ts_ms, kind, description);

CREATE TABLE work_orders (
    id INTEGER PRIMARY KEY,
    equipment_id TEXT NOT NULL,
    state TEXT NOT NULL,
    origin TEXT NOT NULL,
    title TEXT NOT NULL,
    expected_benefit DOUBLE PRECISION,
    estimated_cost DOUBLE PRECISION,
    window_start_ms BIGINT,
    window_end_ms BIGINT,
    outcome TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX work_orders_by_state ON work_orders (state);

CREATE TABLE work_order_units (
    work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
    unit_id TEXT NOT NULL,
    PRIMARY KEY (work_order_id, unit_id)
);

-- Every decision on a work order, who took it and why: append only.
CREATE TABLE work_order_decisions (
    id INTEGER PRIMARY KEY,
    work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    note TEXT NOT NULL
);

CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
    unit_id TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    starts_at_ms BIGINT,
    ends_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX notices_by_unit ON notices (unit_id);

-- Bearer tokens, stored as hashes only.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    unit_id TEXT,
    label TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);

-- MQTT gateway credentials, stored as hashes only.
CREATE TABLE gateways (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);
