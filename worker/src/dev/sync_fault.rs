//! `POST /api/dev/sync-fault`: makes D1 itself refuse every write of one order, to test how sync
//! handles a change it cannot save (issue 22), with no test code in the push path. A trigger on
//! `orders` raises the error; `kind` picks its text, which decides how the worker classifies it:
//! `transient` reads like D1's "Network connection lost" (retried, then refused after a bounded
//! number of pushes), `too_big` like SQLite's "string or blob too big" (refused at once).
//! `{"clear": true}` removes every injected fault.

use serde::Deserialize;
use uuid::Uuid;
use worker::{query, Request, Response, RouteContext};

use crate::{error::ApiError, http::ok_json, http::read_json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    #[serde(default)]
    order_id: Option<Uuid>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    clear: bool,
}

const SETUP: [&str; 5] = [
    "CREATE TABLE IF NOT EXISTS dev_sync_faults (order_id TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS dev_sync_fault_transient_insert BEFORE INSERT ON orders \
     WHEN EXISTS (SELECT 1 FROM dev_sync_faults WHERE order_id = NEW.id AND kind = 'transient') \
     BEGIN SELECT RAISE(ABORT, 'injected: Network connection lost.'); END",
    "CREATE TRIGGER IF NOT EXISTS dev_sync_fault_transient_update BEFORE UPDATE ON orders \
     WHEN EXISTS (SELECT 1 FROM dev_sync_faults WHERE order_id = NEW.id AND kind = 'transient') \
     BEGIN SELECT RAISE(ABORT, 'injected: Network connection lost.'); END",
    "CREATE TRIGGER IF NOT EXISTS dev_sync_fault_too_big_insert BEFORE INSERT ON orders \
     WHEN EXISTS (SELECT 1 FROM dev_sync_faults WHERE order_id = NEW.id AND kind = 'too_big') \
     BEGIN SELECT RAISE(ABORT, 'injected: string or blob too big: SQLITE_TOOBIG'); END",
    "CREATE TRIGGER IF NOT EXISTS dev_sync_fault_too_big_update BEFORE UPDATE ON orders \
     WHEN EXISTS (SELECT 1 FROM dev_sync_faults WHERE order_id = NEW.id AND kind = 'too_big') \
     BEGIN SELECT RAISE(ABORT, 'injected: string or blob too big: SQLITE_TOOBIG'); END",
];

pub async fn inject(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    super::require_dev(&req, &ctx)?;
    let body: FaultRequest = read_json(&mut req).await?;
    let db = ctx.d1("DB")?;
    db.batch(SETUP.iter().map(|sql| db.prepare(*sql)).collect())
        .await?;
    if body.clear {
        db.prepare("DELETE FROM dev_sync_faults").run().await?;
        return ok_json(&serde_json::json!({ "cleared": true }));
    }
    let order_id = body
        .order_id
        .ok_or_else(|| ApiError::BadQuery("order_id is required".into()))?;
    let kind = body.kind.unwrap_or_else(|| "transient".into());
    if !matches!(kind.as_str(), "transient" | "too_big") {
        return Err(ApiError::BadQuery(
            "kind must be transient or too_big".into(),
        ));
    }
    query!(
        &db,
        "INSERT INTO dev_sync_faults (order_id, kind) VALUES (?1, ?2) \
         ON CONFLICT (order_id) DO UPDATE SET kind = excluded.kind",
        &order_id.to_string(),
        &kind
    )?
    .run()
    .await?;
    ok_json(&serde_json::json!({ "order_id": order_id, "kind": kind }))
}
