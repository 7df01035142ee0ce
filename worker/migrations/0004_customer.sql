-- Limits on customer lookups (number + digits, and signed links), counted in D1 so that they
-- hold across every instance of the worker (see worker/src/track_limits.rs).
--
-- One fixed window per key: `ip:<client address>`, `number:<order number, lower case>` or
-- `link:<order id>`. `hits` counts requests since `window_ends_at` was set; once the window
-- has ended the next request starts a new one. Times are fixed-width UTC text
-- (`repository::timestamp`), so comparing them as text compares the times. Rows of ended
-- windows are deleted as requests come in (the index makes that a range scan).
CREATE TABLE track_throttle (
    key            TEXT PRIMARY KEY NOT NULL,
    hits           INTEGER NOT NULL CHECK (hits >= 1),
    window_ends_at TEXT NOT NULL
);
CREATE INDEX track_throttle_window_end ON track_throttle (window_ends_at);
