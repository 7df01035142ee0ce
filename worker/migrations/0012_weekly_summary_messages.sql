-- The outbox also carries `weekly_summary` messages: the Monday 周报 for the digest channels
-- (worker/src/notify/weekly.rs). SQLite cannot change a CHECK
-- in place, so the table is rebuilt with the same columns, rows and ids (as in 0006).
CREATE TABLE notify_outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    channel_id      TEXT NOT NULL,
    kind            TEXT NOT NULL
                    CHECK (kind IN ('digest', 'customer_notice', 'test', 'lookup_locked', 'help_asked',
                                     'weekly_summary')),
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
INSERT INTO notify_outbox_new (id, idempotency_key, channel_id, kind, payload, status, attempts,
    next_attempt_at, lease_until, last_error, created_at, sent_at)
SELECT id, idempotency_key, channel_id, kind, payload, status, attempts,
    next_attempt_at, lease_until, last_error, created_at, sent_at
FROM notify_outbox;
DROP TABLE notify_outbox;
ALTER TABLE notify_outbox_new RENAME TO notify_outbox;
CREATE INDEX notify_outbox_due ON notify_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
