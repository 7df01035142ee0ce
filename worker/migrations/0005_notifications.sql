-- Notifications (issue 8): the channels an admin configured and the outbox of messages to them.
-- Times are fixed-width UTC text (`repository::timestamp`), so comparing them as text compares
-- the times.

-- Where messages go. `secret` (DingTalk 加签 secret, Feishu signing secret, or the generic
-- webhook's HMAC key) never leaves the server: the admin API only says whether one is set.
CREATE TABLE notify_channels (
    id                        TEXT PRIMARY KEY NOT NULL,
    kind                      TEXT NOT NULL CHECK (kind IN ('wecom', 'dingtalk', 'feishu', 'webhook')),
    name                      TEXT NOT NULL,
    url                       TEXT NOT NULL,
    secret                    TEXT,
    enabled                   INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    -- What it receives: the daily overdue digest, customer progress notices (webhook only).
    receives_digest           INTEGER NOT NULL DEFAULT 1 CHECK (receives_digest IN (0, 1)),
    receives_customer_notices INTEGER NOT NULL DEFAULT 0 CHECK (receives_customer_notices IN (0, 1)),
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL
);

-- One row per message to one channel. `idempotency_key` makes queuing the same message twice a
-- no-op (`digest:<channel>:<business date>`, `notice:<order>:<stage>:<visit>:<channel>`,
-- `test:<uuid>`); it is also sent as the `Idempotency-Key` header. A sender takes rows with ONE
-- conditional UPDATE (pending and due, or `sending` with an expired lease) that sets `sending`
-- and `lease_until`, so two senders never hold the same row. Failures go back to `pending`
-- with `next_attempt_at` moved by exponential backoff; after the last attempt the row is
-- `failed` and stays visible to admins.
CREATE TABLE notify_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    channel_id      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('digest', 'customer_notice', 'test')),
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
-- What the sender scans: rows that may be due.
CREATE INDEX notify_outbox_due ON notify_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
