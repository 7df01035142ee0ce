//! Driving the notification cron's clock in tests.

use chrono::DateTime;
use worker::{Request, Response, RouteContext};

use crate::{error::ApiError, http::ok_json, notify};

/// `POST /api/dev/notify/cron?time=<ms>`: runs the cron's work as if the trigger fired at `time`
/// (dev only, like demo data: 404 unless `DEMO_DATA=enabled`). Why it exists: wrangler 4.86's
/// `/__scheduled` (from `--test-scheduled`) takes no time, and its
/// `/cdn-cgi/handler/scheduled?time=` fails for this worker with "DataCloneError: Could not
/// serialize object of type ScheduledController" (wrangler's dev proxy forwards the event to
/// workers-rs's entrypoint class as an RPC call). Tests drive time through this route, which
/// calls the same `run_cron` as the `scheduled` handler, and run the real handler through
/// `/__scheduled`.
pub async fn run_cron(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    super::require_dev(&req, &ctx)?;
    let url = req.url().map_err(|e| ApiError::BadQuery(e.to_string()))?;
    let time = url
        .query_pairs()
        .find(|(name, _)| name == "time")
        .and_then(|(_, value)| value.parse::<i64>().ok())
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(|| ApiError::BadQuery("time must be milliseconds since 1970".into()))?;
    notify::run_cron(&ctx.env, time).await?;
    ok_json(&serde_json::json!({ "ran_at": notify::stamp(time) }))
}
