-- Imports from spreadsheets (issue 15). One row per committed import: who, when, how, and which
-- orders it wrote with the version each had before (NULL for an order it created), so that an
-- import can be named in the audit trail (`order_events.device_id` = 'import:' || id) and undone
-- for orders nobody has touched since.
CREATE TABLE import_batches (
    id         TEXT PRIMARY KEY NOT NULL,
    actor_id   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    mode       TEXT NOT NULL,
    created    INTEGER NOT NULL,
    updated    INTEGER NOT NULL,
    -- JSON: [[order id, version before or null], …]
    orders     TEXT NOT NULL
);
