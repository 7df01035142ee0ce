-- The column mapping of an import, remembered for the next file with the same headers. One
-- deployment is one company, so the table is the company's: keyed by the header signature
-- (`domain::sheet::header_signature`), the mapping as JSON {header key: field or null}.
CREATE TABLE import_mappings (
    signature  TEXT PRIMARY KEY NOT NULL,
    mapping    TEXT NOT NULL,
    saved_by   TEXT NOT NULL,
    saved_at   TEXT NOT NULL
);
