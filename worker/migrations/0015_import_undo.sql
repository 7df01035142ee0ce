-- Undoing an import (`POST /api/admin/import/{id}/undo`): per order an import wrote, the document
-- before it (NULL for an order it created) and the version it left, so an undo can restore the
-- first and tell by the second whether anyone changed the order since. A batch is undone once.
CREATE TABLE import_batch_orders (
    batch_id      TEXT NOT NULL,
    order_id      TEXT NOT NULL,
    before_doc    TEXT,
    after_version INTEGER NOT NULL,
    PRIMARY KEY (batch_id, order_id)
);
ALTER TABLE import_batches ADD COLUMN undone_at TEXT;
ALTER TABLE import_batches ADD COLUMN undone_by TEXT;
