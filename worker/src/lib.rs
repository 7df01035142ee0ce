//! The 跟单 Cloudflare Worker: the team's sync API, the customer lookup API, and (through the
//! static-assets binding) the built app, all on one origin. See ARCHITECTURE.md.

mod accounts;
mod admin_users;
mod auth;
mod bench;
mod board;
mod demo_data;
mod error;
mod health;
mod http;
mod pages;
mod repository;
mod router;
mod session;
mod setup;
mod share;
mod sync;
mod track;

use worker::{event, Context, Env, Request, Response};

#[event(start)]
fn start() {
    // A panic must reach the logs with its message instead of an opaque "unreachable".
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    // The customer pages are the worker's own (wrangler.toml `run_worker_first` sends them here).
    let customer_page = path == "/track" || path == "/track.css" || path.starts_with("/t/");
    if !path.starts_with("/api/") && !customer_page {
        // Wrangler serves assets before the worker; this only runs for paths it did not know,
        // e.g. when the assets directory is missing, and lets the assets binding answer.
        return env.assets("ASSETS")?.fetch_request(req).await;
    }
    Ok(router::handle(req, env).await)
}
