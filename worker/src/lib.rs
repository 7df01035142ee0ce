//! The 跟单 Cloudflare Worker: the team's sync API, the customer lookup API, and (through the
//! static-assets binding) the built app, all on one origin. See ARCHITECTURE.md.

// Entry points: `fetch` (below) hands every request to `router`, `scheduled` runs the cron.
mod router;

// Features, one room per audience.
mod attachments;
mod customer;
mod dev;
mod live;
mod notify;
mod process;
mod sheets;
mod sync;
mod team;

// Plumbing the features share; it imports no feature.
mod auth;
mod error;
mod files;
mod health;
mod http;
mod repository;

// The live channel's Durable Object class, exported for `wrangler.toml` `[durable_objects]`.
pub use live::LiveRoom;

use worker::{event, Context, Env, Method, Request, Response, ScheduleContext, ScheduledEvent};

#[event(start)]
fn start() {
    // A panic must reach the logs with its message instead of an opaque "unreachable".
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    // The customer pages are the worker's own (wrangler.toml `run_worker_first` sends them here).
    let customer_page = path == "/track" || path == "/track.css" || path.starts_with("/t/");
    let reads = matches!(req.method(), Method::Get | Method::Head);
    if let Some(page) = app_page(&path).filter(|_| reads) {
        // A desk screen (wrangler.toml `run_worker_first`): the desk bundle's page, whose router
        // shows the screen. Everything else of the app is a static asset or the field page.
        let mut url = req.url()?;
        url.set_path(page);
        url.set_query(None);
        return env.assets("ASSETS")?.fetch(url.to_string(), None).await;
    }
    if !path.starts_with("/api/") && !customer_page {
        // Wrangler serves assets before the worker; this only runs for paths it did not know,
        // e.g. when the assets directory is missing, and lets the assets binding answer.
        return env.assets("ASSETS")?.fetch_request(req).await;
    }
    let is_push = req.path() == "/api/sync/push";
    let method = req.method();
    let response = router::handle(req, env.clone()).await;
    if live::pokes_after(&method, &path, response.status_code()) {
        // Phones with the live channel open pull now instead of at their next poll; after the
        // answer, so the writer never waits for it.
        let env = env.clone();
        ctx.wait_until(async move {
            if let Err(error) = live::poke(&env).await {
                worker::console_error!("poking the live room: {error}");
            }
        });
    }
    if is_push && response.status_code() == 200 {
        // A push may have queued customer notices (in its own D1 batch): send them after the
        // answer instead of waiting for the hourly cron. With nothing due this is one query.
        ctx.wait_until(async move {
            if let Err(error) = notify::run_sender(&env, http::server_now()).await {
                worker::console_error!("sending notifications after a push: {error}");
            }
        });
    }
    Ok(response)
}

/// The app's page for an address the assets alone cannot answer: the desk bundle's screens all
/// live under `/desk/` (app/src/bundle.rs) and share one page, `desk.html`, which the assets
/// binding serves at `/desk`.
fn app_page(path: &str) -> Option<&'static str> {
    path.starts_with("/desk/").then_some("/desk")
}

/// The hourly Cron Trigger (`wrangler.toml` `[triggers]`): today's overdue digests, then every
/// due message. "Now" is the event's scheduled time, so tests can drive time through
/// `/cdn-cgi/handler/scheduled?time=…`.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now = chrono::DateTime::from_timestamp_millis(event.schedule() as i64)
        .unwrap_or_else(http::server_now);
    if let Err(error) = notify::run_cron(&env, now).await {
        worker::console_error!("scheduled run at {now}: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::app_page;

    #[test]
    fn desk_screens_get_the_desk_page_and_nothing_else_does() {
        assert_eq!(app_page("/desk/team"), Some("/desk"));
        assert_eq!(app_page("/desk/notifications"), Some("/desk"));
        assert_eq!(app_page("/desktop"), None);
        assert_eq!(app_page("/"), None);
        assert_eq!(app_page("/api/desk/x"), None);
    }
}
