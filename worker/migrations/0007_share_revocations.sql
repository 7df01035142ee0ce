-- Per-order revocation of customer links (worker/src/auth/customer_link.rs): links of this order
-- issued at or before `revoked_through_ms` (Unix milliseconds) are void. A side table rather than
-- a field of the order document, because the document is the phones' synced data and this is
-- the server's own business; no row means nothing was ever revoked.
CREATE TABLE share_revocations (
    order_id           TEXT PRIMARY KEY NOT NULL,
    revoked_through_ms INTEGER NOT NULL
);
