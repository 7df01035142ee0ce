-- Photos and files on orders (issue 16). The attachment's record (kind, who, when, hashes)
-- lives in the order document like every other part of an order; this table says which
-- files the R2 bucket FILES holds, under `orders/<order_id>/<sha256>`. A row is written only
-- after its bytes are stored, so a row means the file can be served; an upload of a file that
-- already has its row stores nothing (uploads are exactly once, keyed by the content hash).
CREATE TABLE attachment_files (
  order_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  uploaded_by TEXT NOT NULL,
  uploaded_at TEXT NOT NULL,
  PRIMARY KEY (order_id, sha256)
);
