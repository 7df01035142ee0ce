-- One definition of "the same order number": domain::number_key (NFKC + case folding), stored
-- in its own column with the unique index on it. The NOCASE index folded only A–Z while the code
-- folded all of Unicode, so a full-width or Greek number could be "free" to the code and taken
-- to the index: the write failed on every retry and wedged the phone's sync (issue 22).
ALTER TABLE orders ADD COLUMN number_key TEXT;
-- For printable ASCII the key is exactly lower(); other rows stay NULL and the worker fills them
-- (renaming any collision the new comparison reveals, recorded in the order's history).
UPDATE orders SET number_key = lower(number) WHERE number NOT GLOB '*[^ -~]*';
DROP INDEX orders_number_unique;
CREATE UNIQUE INDEX orders_number_key_unique ON orders (number_key);
CREATE INDEX orders_number_key_missing ON orders (id) WHERE number_key IS NULL;

-- A change of a device that failed to be written, per push that gave up on it: after a few
-- pushes the change is refused (with a reason the phone shows), so the queue moves on.
CREATE TABLE sync_failures (
    device_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    attempts   INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    last_at    TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
);
