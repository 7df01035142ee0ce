//! Request and response plumbing shared by every handler: JSON bodies with hard limits going in,
//! JSON with safe headers going out, the server's clock, and the origin links point to.
//!
//! It knows nothing of `ApiError`: body errors are `BodyError`, which `error.rs` maps (so the
//! error module may use the response helpers here without an import loop).

use serde::{de::DeserializeOwned, Serialize};
use worker::{Headers, Request, Response};

/// Why a request body was refused before any handler saw it.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("request body is not valid JSON for this endpoint: {0}")]
    Malformed(String),
    #[error("request body has the wrong media type")]
    UnsupportedMediaType,
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
}

/// No endpoint needs more than this; sync pushes are paged by the client to stay under it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Reads a JSON body, refusing wrong content types and oversized bodies before parsing.
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, BodyError> {
    let bytes = read_body(req, "application/json", MAX_BODY_BYTES).await?;
    serde_json::from_slice(&bytes).map_err(|error| BodyError::Malformed(error.to_string()))
}

/// The raw body of a request whose media type must be `media_type`, at most `limit` bytes.
pub async fn read_body(
    req: &mut Request,
    media_type: &str,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let content_type = req
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    let given = content_type.split(';').next().unwrap_or("").trim();
    if !given.eq_ignore_ascii_case(media_type) {
        return Err(BodyError::UnsupportedMediaType);
    }
    read_bytes(req, limit).await
}

/// The raw body of an upload whatever its declared media type (an uploaded file is told by its
/// bytes, not by what the browser guessed), at most `limit` bytes.
pub async fn read_bytes(req: &mut Request, limit: usize) -> Result<Vec<u8>, BodyError> {
    // The declared length lets us refuse a huge upload without reading it; the real length is
    // checked again below because chunked bodies declare nothing.
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|error| BodyError::Malformed(error.to_string()))?;
    if bytes.len() > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Every API answer is JSON that no cache or browser sniffing may reinterpret.
pub fn json_response<T: Serialize>(body: &T, status: u16) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| {
        r#"{"error":{"code":"internal","message":"服务器内部错误","message_en":"Internal server error"}}"#
            .to_string()
    });
    json_text_response(text, status)
}

/// An answer whose JSON text is already made (e.g. stored documents spliced into a pull page).
pub fn json_text_response(text: String, status: u16) -> Response {
    let headers = Headers::new();
    for (name, value) in [
        ("content-type", "application/json; charset=utf-8"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        // Static, valid header names and values: setting them cannot fail.
        let _ = headers.set(name, value);
    }
    Response::ok(text)
        .map(|response| response.with_status(status).with_headers(headers))
        .unwrap_or_else(|_| Response::empty().expect("an empty response is always valid"))
}

/// A file to download (exports): never cached, never sniffed, saved under `filename` (ASCII).
pub fn file_response(bytes: Vec<u8>, content_type: &str, filename: &str) -> Response {
    let headers = Headers::new();
    let disposition = format!("attachment; filename=\"{filename}\"");
    for (name, value) in [
        ("content-type", content_type),
        ("content-disposition", disposition.as_str()),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ] {
        let _ = headers.set(name, value);
    }
    Response::from_bytes(bytes)
        .map(|response| response.with_headers(headers))
        .unwrap_or_else(|_| Response::empty().expect("an empty response is always valid"))
}

/// `Ok` of a 200 JSON answer, in whatever error type the caller uses.
pub fn ok_json<T: Serialize, E>(body: &T) -> Result<Response, E> {
    Ok(json_response(body, 200))
}

/// The server's clock, as the domain wants it. Phone clocks lie; this one is the reference.
pub fn server_now() -> chrono::DateTime<chrono::Utc> {
    let millis = worker::Date::now().as_millis() as i64;
    chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// The origin links in messages point to, without a trailing slash: the `PUBLIC_URL` variable
/// when set (it must be, for the cron: a scheduled event has no request), else the origin of the
/// request being served.
pub fn public_base(env: &worker::Env, request_origin: Option<&str>) -> Option<String> {
    env.var("PUBLIC_URL")
        .ok()
        .map(|var| var.to_string())
        .filter(|url| !url.trim().is_empty())
        .or_else(|| request_origin.map(str::to_string))
        .map(|url| url.trim().trim_end_matches('/').to_string())
}

/// The team's page of an order.
pub fn order_link(base: Option<&str>, order_id: uuid::Uuid) -> Option<String> {
    base.map(|base| format!("{base}/orders/{order_id}"))
}
