//! Dev-only baselines for `scripts/bench` (`POST /api/dev/bench/select`, `POST /api/dev/bench/write`):
//! plain D1 batches over the same rows sync reads and writes, so the benchmark can say what the
//! sync endpoints cost on top of D1 itself; `PUT /api/dev/bench/r2/:name`, the same bytes an
//! attachment upload carries put straight into the same R2 binding. Enabled only where `DEMO_DATA=enabled` (local runs);
//! 404 elsewhere, like the demo-data endpoint.

use serde::Deserialize;
use worker::{Request, Response, RouteContext};

use crate::{
    error::ApiError,
    files,
    http::{ok_json, read_bytes, read_json, server_now},
    repository::{timestamp, RawOrderRow, Repository},
};

#[derive(Deserialize)]
struct SelectBody {
    cursor: i64,
    limit: u32,
    pages: u32,
}

#[derive(Deserialize)]
struct WriteBody {
    rows: Vec<RawOrderRow>,
}

pub async fn select(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    super::require_dev(&req, &ctx)?;
    let body: SelectBody = read_json(&mut req).await?;
    let rows = Repository::new(ctx.d1("DB")?)
        .bench_select(
            body.cursor,
            body.limit.clamp(1, 1000),
            body.pages.clamp(1, 50),
        )
        .await?;
    ok_json(&serde_json::json!({ "rows": rows }))
}

pub async fn write(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    super::require_dev(&req, &ctx)?;
    let body: WriteBody = read_json(&mut req).await?;
    Repository::new(ctx.d1("DB")?)
        .bench_write(&body.rows, &timestamp(server_now()))
        .await?;
    ok_json(&serde_json::json!({ "written": body.rows.len() }))
}

/// `POST /api/dev/bench/constant`: the floor for `scripts/bench_track.sh` — the same router,
/// headers and JSON writer as the lookup, with no body read and no D1 at all.
pub async fn constant(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    super::require_dev(&req, &ctx)?;
    ok_json(&serde_json::json!({ "ok": true }))
}

/// `PUT /api/dev/bench/r2/:name`: the floor for the attachment upload benchmark — the body read
/// with the same limit and put into the same bucket, without the session, the order, the checks
/// of the bytes, the hash or the D1 row.
pub async fn r2_put(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    super::require_dev(&req, &ctx)?;
    let name = ctx
        .param("name")
        .filter(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric()))
        .cloned()
        .ok_or_else(|| ApiError::BadQuery("name must be letters and digits".into()))?;
    let bytes = read_bytes(&mut req, domain::attachment::MAX_FILE_BYTES).await?;
    let size = bytes.len();
    files::put_plain(&ctx.env, &name, bytes).await?;
    ok_json(&serde_json::json!({ "stored": size }))
}
