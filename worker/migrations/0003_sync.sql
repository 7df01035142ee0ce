-- Sync (push/pull, see ARCHITECTURE.md "Sync"). Times are fixed-width UTC text written by
-- `repository::timestamp`.

-- One row per installation of the app. A device id belongs to the user who first used it: a push
-- or pull by anyone else with that id is refused (403 device_not_yours), so one user can never
-- advance or read another user's mutation counter and rejections. `last_seq` is the highest seq
-- of this device the server has processed (applied or rejected); it only moves forward, in the
-- same transaction as the effect of that mutation.
CREATE TABLE sync_devices (
    device_id    TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id),
    last_seq     INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    created_at   TEXT NOT NULL,
    last_push_at TEXT
);
CREATE INDEX sync_devices_user ON sync_devices (user_id);

-- Mutations the server refused, kept whole (the JSON mutation) so the user can see and re-enter
-- what they typed. `id` is the rejection cursor a device pulls after; (device_id, seq) is unique,
-- so a rejection can never be recorded twice.
CREATE TABLE sync_rejections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id   TEXT NOT NULL REFERENCES sync_devices (device_id),
    seq         INTEGER NOT NULL,
    order_id    TEXT NOT NULL,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    message_en  TEXT NOT NULL,
    mutation    TEXT NOT NULL,
    device_time TEXT NOT NULL,
    rejected_at TEXT NOT NULL,
    UNIQUE (device_id, seq)
);

-- The optimistic-concurrency guard. Every sync write batch starts by inserting one row here whose
-- `ok` says whether what the decision was based on still holds (the order's version, the device's
-- last_seq); a 0 breaks the CHECK, which fails the whole batch (one transaction), so nothing of a
-- decision made on stale data is ever written. The batch ends by deleting the row again, so the
-- table is empty outside a running batch.
CREATE TABLE sync_guard (
    ok INTEGER NOT NULL CHECK (ok = 1)
);

-- Which device mutation produced an audit event, and the phone's own time for it (the `at` column
-- is the server's decision time). NULL for events written outside sync (demo data).
ALTER TABLE order_events ADD COLUMN device_id TEXT;
ALTER TABLE order_events ADD COLUMN seq INTEGER;
ALTER TABLE order_events ADD COLUMN device_time TEXT;
CREATE INDEX order_events_device_seq ON order_events (device_id, seq);
