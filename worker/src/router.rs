//! Every route of the worker, in one table. Handlers live in one module per feature and return
//! `Result<Response, ApiError>`; `respond` turns errors into JSON answers in one place.

use std::future::Future;

use worker::{Env, Request, Response, Router};

use crate::{
    admin_users, bench, board, demo_data, error::ApiError, health, notify, session, setup, sync,
    track,
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
        .post_async("/api/track/lookup", |req, ctx| {
            respond(track::lookup(req, ctx))
        })
        // Accounts: sign-in, sessions, the first-admin setup (see auth/mod.rs).
        .post_async("/api/auth/login", |req, ctx| {
            respond(session::login(req, ctx))
        })
        .post_async("/api/auth/logout", |req, ctx| {
            respond(session::logout(req, ctx))
        })
        .get_async("/api/auth/me", |req, ctx| respond(session::me(req, ctx)))
        .post_async("/api/auth/setup", |req, ctx| {
            respond(setup::setup(req, ctx))
        })
        // Team management, admins only.
        .get_async("/api/admin/users", |req, ctx| {
            respond(admin_users::list(req, ctx))
        })
        .post_async("/api/admin/users", |req, ctx| {
            respond(admin_users::create(req, ctx))
        })
        .patch_async("/api/admin/users/:id", |req, ctx| {
            respond(admin_users::update(req, ctx))
        })
        .post_async("/api/admin/users/:id/password", |req, ctx| {
            respond(admin_users::set_password(req, ctx))
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
        // Sync (offline devices): push decided mutations, pull changed orders and rejections.
        .post_async("/api/sync/push", |req, ctx| respond(sync::push(req, ctx)))
        .get_async("/api/sync/pull", |req, ctx| respond(sync::pull(req, ctx)))
        .post_async("/api/dev/bench/select", |req, ctx| {
            respond(bench::select(req, ctx))
        })
        .post_async("/api/dev/bench/write", |req, ctx| {
            respond(bench::write(req, ctx))
        })
        .post_async("/api/dev/notify/cron", |req, ctx| {
            respond(notify::dev_run_cron(req, ctx))
        })
        .post_async("/api/dev/demo-data", |req, ctx| {
            respond(demo_data::load(req, ctx))
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
