-- Team accounts, their sessions, and the limits on guessing passwords.
-- Times in these tables are fixed-width UTC text, `YYYY-MM-DDTHH:MM:SS.mmmZ` (written by
-- `repository::timestamp`), so that comparing two of them as text compares the times.

-- One row per team member. `login` is a phone number (stored without spaces or dashes) or an
-- email address, unique without regard to letter case. `roles` is a JSON array of role ids
-- (`["sales","legal"]`, the snake_case names of `domain::Role`). The password is never stored:
-- only a PBKDF2-HMAC-SHA-256 hash (hex), its random salt (hex) and its iteration count.
CREATE TABLE users (
    id                  TEXT PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL,
    login               TEXT NOT NULL UNIQUE COLLATE NOCASE,
    roles               TEXT NOT NULL CHECK (json_valid(roles) AND json_type(roles) = 'array'),
    active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    password_hash       TEXT NOT NULL,
    password_salt       TEXT NOT NULL,
    password_iterations INTEGER NOT NULL CHECK (password_iterations > 0),
    -- Shown to customers as the sales contact's phone; optional.
    work_phone          TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

-- A signed-in device. The token itself is only ever sent to the client; this is the hex SHA-256
-- of its text, so a copy of the database holds no usable token. Revoked sessions keep their row
-- (with `revoked_at`) until they would have expired.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-in counters: `account:<login in lower case>` (whether the account exists or not)
-- and `ip:<client address>`. A key that reached its limit within the window is locked until
-- `locked_until`. Rows whose window and lock are over are deleted as attempts come in.
CREATE TABLE login_throttle (
    key              TEXT PRIMARY KEY NOT NULL,
    failures         INTEGER NOT NULL,
    first_failure_at TEXT NOT NULL,
    locked_until     TEXT
);
