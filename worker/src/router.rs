//! Every route of the worker, in one table. Handlers live in one module per feature and return
//! `Result<Response, ApiError>`; `respond` turns errors into JSON answers in one place.

use std::future::Future;

use worker::{Env, Request, Response, Router};

use crate::{
    attachments,
    customer::{pages, share, track},
    dev,
    error::ApiError,
    health, live, notify, process, sheets, sync,
    team::{board, members, session, setup},
};

async fn respond(
    handler: impl Future<Output = Result<Response, ApiError>>,
) -> worker::Result<Response> {
    Ok(handler.await.unwrap_or_else(ApiError::into_response))
}

pub async fn handle(req: Request, env: Env) -> Response {
    let router = Router::new()
        .get_async("/api/health", |req, ctx| respond(health::handle(req, ctx)))
        // Uptime checkers often probe with HEAD.
        .head_async("/api/health", |req, ctx| respond(health::handle(req, ctx)))
        .get_async("/api/board/summary", |req, ctx| {
            respond(board::summary(req, ctx))
        })
        // Customers (no account): lookups, signed links, rating, after-sales (track.rs).
        .post_async("/api/track/lookup", |req, ctx| {
            respond(track::lookup(req, ctx))
        })
        .get_async("/api/track/t/:token", |req, ctx| {
            respond(track::by_token(req, ctx))
        })
        .post_async("/api/track/t/:token/rating", |req, ctx| {
            respond(track::rate(req, ctx))
        })
        .post_async("/api/track/t/:token/after-sales", |req, ctx| {
            respond(track::after_sales(req, ctx))
        })
        // The customer pages, HTML rendered here (pages.rs); errors are pages too.
        .get_async("/track", pages::track_form)
        .post_async("/track", pages::track_submit)
        .get_async("/track.css", pages::stylesheet)
        .get_async("/t/:token", pages::order)
        .get_async("/t/:token/files/:attachment_id", pages::order_file)
        .get_async(
            "/t/:token/files/:attachment_id/thumbnail",
            pages::order_file,
        )
        .post_async("/t/:token/rating", pages::order_action)
        .post_async("/t/:token/after-sales", pages::order_action)
        // A signed link (and its QR code) for the team to send a customer.
        .post_async("/api/orders/:id/share", |req, ctx| {
            respond(share::share(req, ctx))
        })
        .post_async("/api/orders/:id/share/revoke", |req, ctx| {
            respond(share::revoke(req, ctx))
        })
        // Photos and files on orders (attachments/): the bytes an attachment names, through the
        // worker with the session; the customer's own route is beside the customer pages.
        .put_async("/api/orders/:id/files/:sha256", |req, ctx| {
            respond(attachments::upload(req, ctx))
        })
        .get_async("/api/orders/:id/attachments/:attachment_id", |req, ctx| {
            respond(attachments::file(req, ctx))
        })
        .get_async(
            "/api/orders/:id/attachments/:attachment_id/thumbnail",
            |req, ctx| respond(attachments::thumbnail(req, ctx)),
        )
        .post_async(
            "/api/admin/orders/:id/attachments/:attachment_id/purge",
            |req, ctx| respond(attachments::purge(req, ctx)),
        )
        // Accounts: sign-in, sessions, the first-admin setup (see auth/mod.rs).
        .post_async("/api/auth/login", |req, ctx| {
            respond(session::login(req, ctx))
        })
        .post_async("/api/auth/logout", |req, ctx| {
            respond(session::logout(req, ctx))
        })
        .get_async("/api/auth/me", |req, ctx| respond(session::me(req, ctx)))
        .post_async("/api/auth/password", |req, ctx| {
            respond(session::change_password(req, ctx))
        })
        .post_async("/api/auth/setup", |req, ctx| {
            respond(setup::setup(req, ctx))
        })
        // Team management, admins only.
        .get_async("/api/admin/users", |req, ctx| {
            respond(members::list(req, ctx))
        })
        .post_async("/api/admin/users", |req, ctx| {
            respond(members::create(req, ctx))
        })
        .patch_async("/api/admin/users/:id", |req, ctx| {
            respond(members::update(req, ctx))
        })
        .post_async("/api/admin/users/:id/password", |req, ctx| {
            respond(members::set_password(req, ctx))
        })
        // Notification channels and the outbox status, admins only (notify/admin.rs).
        .get_async("/api/admin/notify/channels", |req, ctx| {
            respond(notify::admin::list(req, ctx))
        })
        .post_async("/api/admin/notify/channels", |req, ctx| {
            respond(notify::admin::create(req, ctx))
        })
        .patch_async("/api/admin/notify/channels/:id", |req, ctx| {
            respond(notify::admin::update(req, ctx))
        })
        .delete_async("/api/admin/notify/channels/:id", |req, ctx| {
            respond(notify::admin::delete(req, ctx))
        })
        .post_async("/api/admin/notify/channels/:id/test", |req, ctx| {
            respond(notify::admin::send_test(req, ctx))
        })
        .get_async("/api/admin/notify/outbox", |req, ctx| {
            respond(notify::admin::outbox(req, ctx))
        })
        // The follow-up process: versions, draft, publish, migrate; admins only (process/).
        .get_async("/api/admin/process", |req, ctx| {
            respond(process::overview(req, ctx))
        })
        .put_async("/api/admin/process/draft", |req, ctx| {
            respond(process::save_draft(req, ctx))
        })
        .post_async("/api/admin/process/publish", |req, ctx| {
            respond(process::publish(req, ctx))
        })
        .post_async("/api/admin/process/restore", |req, ctx| {
            respond(process::restore(req, ctx))
        })
        .post_async("/api/admin/process/preview", |req, ctx| {
            respond(process::preview(req, ctx))
        })
        .post_async("/api/admin/process/migrate", |req, ctx| {
            respond(process::migrate(req, ctx))
        })
        // The working-day calendar: any member reads, admins replace a year (process/holidays).
        .get_async("/api/holidays", |req, ctx| {
            respond(process::holidays::calendar(req, ctx))
        })
        .put_async("/api/admin/holidays/:year", |req, ctx| {
            respond(process::holidays::save_year(req, ctx))
        })
        // Published versions for any team member (a phone missing one fetches it).
        .get_async("/api/process/versions", |req, ctx| {
            respond(process::versions(req, ctx))
        })
        // Spreadsheets in (admins: dry run or one committed batch) and out (any member).
        .post_async("/api/admin/import", |req, ctx| {
            respond(sheets::import::import(req, ctx))
        })
        .post_async("/api/admin/import/errors", |req, ctx| {
            respond(sheets::import::errors(req, ctx))
        })
        .post_async("/api/admin/import/:batch_id/undo", |req, ctx| {
            respond(sheets::undo::undo(req, ctx))
        })
        .get_async("/api/export.xlsx", |req, ctx| {
            respond(sheets::export::xlsx(req, ctx))
        })
        .get_async("/api/export.csv", |req, ctx| {
            respond(sheets::export::csv(req, ctx))
        })
        // Sync (offline devices): push decided mutations, pull changed orders and rejections.
        .post_async("/api/sync/push", |req, ctx| respond(sync::push(req, ctx)))
        .get_async("/api/sync/pull", |req, ctx| respond(sync::pull(req, ctx)))
        // The live channel: a WebSocket that pokes phones to pull (live/).
        .get_async("/api/live", |req, ctx| respond(live::connect(req, ctx)))
        .post_async("/api/dev/bench/select", |req, ctx| {
            respond(dev::bench::select(req, ctx))
        })
        .post_async("/api/dev/bench/write", |req, ctx| {
            respond(dev::bench::write(req, ctx))
        })
        .post_async("/api/dev/notify/cron", |req, ctx| {
            respond(dev::cron::run_cron(req, ctx))
        })
        .put_async("/api/dev/bench/r2/:name", |req, ctx| {
            respond(dev::bench::r2_put(req, ctx))
        })
        .post_async("/api/dev/bench/constant", |req, ctx| {
            respond(dev::bench::constant(req, ctx))
        })
        .post_async("/api/dev/sync-fault", |req, ctx| {
            respond(dev::sync_fault::inject(req, ctx))
        })
        .post_async("/api/dev/demo-data", |req, ctx| {
            respond(dev::demo_data::load(req, ctx))
        })
        .or_else_any_method_async("/api/*rest", |_req, _ctx| async {
            Ok(ApiError::RouteNotFound.into_response())
        })
        .or_else_any_method_async("/api/", |_req, _ctx| async {
            Ok(ApiError::RouteNotFound.into_response())
        });
    match router.run(req, env).await {
        // The router's own method check answers in plain text; our clients always get JSON.
        Ok(response) if response.status_code() == 405 => ApiError::MethodNotAllowed.into_response(),
        Ok(response) => response,
        Err(error) => ApiError::Internal(error.to_string()).into_response(),
    }
}
