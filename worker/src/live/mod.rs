//! The live channel: phones keep a WebSocket open to one Durable Object per deployment
//! (`room::LiveRoom`, named `company`), and the worker *pokes* it after every change that phones
//! should pull (`pokes_after`). A poke carries only the server's data version; the phone pulls,
//! so the pull stays the one path that brings data, with its permissions.
//!
//! `GET /api/live` checks the session here (`auth::require_live_user`), then forwards a fresh
//! request to the object carrying only the user id and session hash (never the token). Closing
//! a disabled account's or a signed-out session's sockets is a command to the object too.

mod room;

pub use room::LiveRoom;

use worker::{Env, Headers, Method, Request, RequestInit, Response, RouteContext, Stub};

use crate::{auth, error::ApiError, repository::Repository};

/// The binding in `wrangler.toml` and the one object's name: a deployment is one company.
const BINDING: &str = "LIVE";
const ROOM_NAME: &str = "company";
/// Requests to the object need an absolute URL; its host is never resolved.
const ROOM_ORIGIN: &str = "https://live.room";

fn room(env: &Env) -> Result<Stub, ApiError> {
    Ok(env.durable_object(BINDING)?.get_by_name(ROOM_NAME)?)
}

/// `GET /api/live`: a WebSocket upgrade for a signed-in user.
pub async fn connect(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let user = auth::require_live_user(&req, &ctx).await?;
    let upgrade = req.headers().get("upgrade").ok().flatten();
    if !upgrade.is_some_and(|value| value.eq_ignore_ascii_case("websocket")) {
        return Err(ApiError::UpgradeRequired);
    }
    let headers = Headers::new();
    headers.set("upgrade", "websocket")?;
    let forwarded = Request::new_with_init(
        &format!("{ROOM_ORIGIN}/connect/{}/{}", user.id, user.session_hash()),
        RequestInit::new().with_headers(headers),
    )?;
    Ok(room(&ctx.env)?.fetch_with_request(forwarded).await?)
}

/// Whether an answered request changed what phones should pull: a committed push, a customer's
/// rating or after-sales request (API or page), a published process or a migration, an import
/// (a dry run too: one needless pull is cheaper than parsing the answer here), demo data, a
/// changed holiday calendar (deadlines move).
pub fn pokes_after(method: &Method, path: &str, status: u16) -> bool {
    if *method == Method::Put && path.starts_with("/api/admin/holidays/") {
        return (200..300).contains(&status);
    }
    if *method != Method::Post || !(200..400).contains(&status) {
        return false;
    }
    let customer_write = |path: &str| {
        path.strip_prefix("/t/")
            .or_else(|| path.strip_prefix("/api/track/t/"))
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(_, action)| action == "rating" || action == "after-sales")
    };
    matches!(
        path,
        "/api/sync/push"
            | "/api/admin/process/publish"
            | "/api/admin/process/migrate"
            | "/api/admin/import"
            | "/api/dev/demo-data"
    ) || customer_write(path)
}

/// Tells every connected phone the current data version. Called after the answer has gone
/// (`ctx.wait_until`), so a push is never slower for it.
pub async fn poke(env: &Env) -> Result<(), ApiError> {
    let version = Repository::new(env.d1("DB")?).current_version().await?;
    command(env, "/poke", &room::Poke { version }).await
}

/// Closes every socket of a user (disabled, or signed out everywhere by a password reset).
pub async fn close_user(env: &Env, user_id: &str) -> Result<(), ApiError> {
    command(env, "/close", &room::Close::User(user_id.to_string())).await
}

/// Closes the sockets opened with one session (its token hash), e.g. at sign-out.
pub async fn close_session(env: &Env, session_hash: &str) -> Result<(), ApiError> {
    command(
        env,
        "/close",
        &room::Close::Session(session_hash.to_string()),
    )
    .await
}

async fn command(env: &Env, path: &str, body: &impl serde::Serialize) -> Result<(), ApiError> {
    let body =
        serde_json::to_string(body).map_err(|error| ApiError::Internal(error.to_string()))?;
    let request = Request::new_with_init(
        &format!("{ROOM_ORIGIN}{path}"),
        RequestInit::new()
            .with_method(Method::Post)
            .with_body(Some(body.into())),
    )?;
    let response = room(env)?.fetch_with_request(request).await?;
    if response.status_code() != 200 {
        return Err(ApiError::Internal(format!(
            "live room answered {} to {path}",
            response.status_code()
        )));
    }
    Ok(())
}

/// Sockets to close, logged when closing fails: an admin's change must not fail because the
/// live channel is down (the closed account is refused at its next request anyway).
pub async fn close_quietly(close: impl std::future::Future<Output = Result<(), ApiError>>) {
    if let Err(error) = close.await {
        worker::console_error!("closing live sockets: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::pokes_after;
    use worker::Method;

    #[test]
    fn writes_poke_and_reads_and_failures_do_not() {
        assert!(pokes_after(&Method::Post, "/api/sync/push", 200));
        assert!(pokes_after(&Method::Put, "/api/admin/holidays/2027", 200));
        assert!(!pokes_after(&Method::Put, "/api/admin/holidays/2027", 422));
        assert!(pokes_after(&Method::Post, "/api/track/t/abc/rating", 200));
        assert!(pokes_after(
            &Method::Post,
            "/api/track/t/abc/after-sales",
            200
        ));
        assert!(pokes_after(&Method::Post, "/t/abc/after-sales", 303));
        assert!(pokes_after(
            &Method::Post,
            "/api/admin/process/publish",
            200
        ));
        assert!(!pokes_after(&Method::Post, "/api/sync/push", 409));
        assert!(!pokes_after(&Method::Get, "/api/sync/pull", 200));
        assert!(!pokes_after(&Method::Post, "/api/track/lookup", 200));
        assert!(!pokes_after(&Method::Post, "/api/admin/process/draft", 200));
        assert!(!pokes_after(&Method::Post, "/t/abc/other", 303));
    }
}
