-- Work orders get the forecast behind them, the committee's decisions and their
-- outcome; notices can be cancelled and are versioned. Additive only; portable SQL
-- (one ADD COLUMN per statement, epoch-millisecond BIGINT times).

-- The forecast: probability of failure within horizon_days, and why.
ALTER TABLE work_orders ADD COLUMN probability DOUBLE PRECISION;
ALTER TABLE work_orders ADD COLUMN horizon_days INTEGER;
-- The full assessment behind the numbers, as JSON.
ALTER TABLE work_orders ADD COLUMN assessment TEXT;
ALTER TABLE work_orders ADD COLUMN explanation TEXT NOT NULL DEFAULT '';
-- The probability when the order was last deferred or dismissed, to tell when it has grown.
ALTER TABLE work_orders ADD COLUMN risk_at_decision DOUBLE PRECISION;
-- The outcome of a done order (the label the model learns from); the older
-- `outcome` column keeps the same in plain words.
ALTER TABLE work_orders ADD COLUMN outcome_real_fault INTEGER;
ALTER TABLE work_orders ADD COLUMN outcome_replaced TEXT;
ALTER TABLE work_orders ADD COLUMN outcome_cost DOUBLE PRECISION;
-- Bumped on every change, for optimistic concurrency.
ALTER TABLE work_orders ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- An equipment's latest order of each origin.
CREATE INDEX work_orders_by_equipment_origin ON work_orders (equipment_id, origin, id);

ALTER TABLE notices ADD COLUMN cancelled_at_ms BIGINT;
ALTER TABLE notices ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- At most one notice per order and unit: a changed plan updates it.
CREATE UNIQUE INDEX notices_once_per_unit ON notices (work_order_id, unit_id);
