//! Routes that exist only on local runs (`scripts/run`, `scripts/test`, `scripts/bench`): demo
//! data, the benchmark's raw-D1 baselines, and driving the notification cron's clock. They share
//! one gate: a deployment needs `DEMO_DATA=enabled` AND a `DEV_SECRET` (at least 16 bytes, in
//! `worker/.dev.vars` locally), and each request must carry that secret in `X-Dev-Secret`.
//! A variable left on by mistake in production is then still not enough to reach them.

pub mod bench;
pub mod cron;
pub mod demo_data;
pub mod sync_fault;

use worker::{Request, RouteContext};

use crate::error::ApiError;

/// Shorter secrets are treated as unset: a dev secret is only worth having if it cannot be guessed.
const MIN_DEV_SECRET_BYTES: usize = 16;

/// The one gate of every dev route: 404 `disabled` unless `DEMO_DATA=enabled`, a `DEV_SECRET` is
/// configured and the request's `X-Dev-Secret` equals it. Every failure answers the same, so the
/// routes cannot be told apart from routes that do not exist.
pub fn require_dev(req: &Request, ctx: &RouteContext<()>) -> Result<(), ApiError> {
    let enabled = ctx
        .var("DEMO_DATA")
        .map(|var| var.to_string() == "enabled")
        .unwrap_or(false);
    let configured = ctx.var("DEV_SECRET").map(|var| var.to_string()).ok();
    let given = req.headers().get("x-dev-secret").ok().flatten();
    if enabled && dev_secret_matches(configured.as_deref(), given.as_deref()) {
        Ok(())
    } else {
        Err(ApiError::Disabled)
    }
}

/// True when a long enough secret is configured and the request carries exactly it.
fn dev_secret_matches(configured: Option<&str>, given: Option<&str>) -> bool {
    match (configured, given) {
        (Some(configured), Some(given)) if configured.len() >= MIN_DEV_SECRET_BYTES => {
            crate::auth::crypto::constant_time_eq(configured.as_bytes(), given.as_bytes())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::dev_secret_matches;

    const SECRET: &str = "0123456789abcdef0123";

    #[test]
    fn the_configured_secret_opens_the_gate() {
        assert!(dev_secret_matches(Some(SECRET), Some(SECRET)));
    }

    #[test]
    fn a_missing_or_wrong_header_keeps_it_closed() {
        assert!(!dev_secret_matches(Some(SECRET), None));
        assert!(!dev_secret_matches(
            Some(SECRET),
            Some("0123456789abcdef012")
        ));
        assert!(!dev_secret_matches(Some(SECRET), Some("")));
    }

    #[test]
    fn no_secret_or_a_short_one_keeps_it_closed_even_for_a_matching_header() {
        assert!(!dev_secret_matches(None, Some(SECRET)));
        assert!(!dev_secret_matches(Some(""), Some("")));
        assert!(!dev_secret_matches(Some("short"), Some("short")));
    }
}
