-- Orders are stored as the domain's JSON document (`doc`) plus the columns the server must
-- query or constrain on. The document is the truth; the columns are derived from it by the
-- repository on every write, so they can never disagree for long.
CREATE TABLE orders (
    id           TEXT PRIMARY KEY NOT NULL,
    number       TEXT NOT NULL,
    stage        TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('active', 'completed', 'cancelled')),
    owner_id     TEXT NOT NULL,
    phone_last4  TEXT NOT NULL,
    doc          TEXT NOT NULL,
    -- Global change counter value at the last write: what sync's pull pages on.
    version      INTEGER NOT NULL,
    -- Deletes are tombstones so that offline devices learn about them on their next pull.
    deleted      INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
-- Order numbers are unique per company (one deployment = one company), case-insensitively,
-- because customers type them by hand.
CREATE UNIQUE INDEX orders_number_unique ON orders (number COLLATE NOCASE);
CREATE INDEX orders_version ON orders (version);
CREATE INDEX orders_stage ON orders (stage) WHERE deleted = 0;

-- The audit trail, append-only. One row per domain history event, with the time the server
-- received it next to the device's time, because phone clocks lie.
CREATE TABLE order_events (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id           TEXT NOT NULL REFERENCES orders (id),
    at                 TEXT NOT NULL,
    server_received_at TEXT NOT NULL,
    actor_id           TEXT NOT NULL,
    kind               TEXT NOT NULL,
    payload            TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- Small server-wide counters and settings. `version` is the global change counter.
CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
INSERT INTO server_meta (key, value) VALUES ('version', 0);
