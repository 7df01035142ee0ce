//! Routes that exist only on local runs (`scripts/run`, `scripts/test`, `scripts/bench`): demo
//! data, the benchmark's raw-D1 baselines, and driving the notification cron's clock. They share
//! one gate, so a deployment without `DEMO_DATA=enabled` answers 404 to all of them.

pub mod bench;
pub mod cron;
pub mod demo_data;
pub mod sync_fault;

use worker::RouteContext;

use crate::error::ApiError;

/// The one gate of every dev route: 404 `disabled` unless `DEMO_DATA=enabled`.
pub fn require_dev(ctx: &RouteContext<()>) -> Result<(), ApiError> {
    let enabled = ctx
        .var("DEMO_DATA")
        .map(|var| var.to_string() == "enabled")
        .unwrap_or(false);
    if enabled {
        Ok(())
    } else {
        Err(ApiError::Disabled)
    }
}
