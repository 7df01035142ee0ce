-- The company's follow-up process as published versions (domain::ProcessVersion as JSON) and
-- the one draft admins edit. Version 1 (the standard six stages) is not stored: the domain
-- supplies it, so every company starts with it and older databases need no data migration.
-- A version is never updated or deleted; the primary key on `number` is what makes two admins
-- publishing from the same base a conflict instead of an overwrite.
CREATE TABLE process_versions (
    number INTEGER PRIMARY KEY CHECK (number >= 2),
    doc TEXT NOT NULL,
    author_id TEXT NOT NULL,
    published_at TEXT NOT NULL
);

CREATE TABLE process_draft (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    doc TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
