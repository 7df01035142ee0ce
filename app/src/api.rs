//! Every call the app makes to the worker, in one module. Errors are one enum whose messages are
//! ready to show to a person.

use domain::wire::{
    ChannelList, Credentials, ErrorEnvelope, NewPassword, OneChannel, OneMessage, OneUser, UserList,
};
use domain::{Lang, PullResponse, PushRequest, PushResponse};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

// The shapes exchanged with the worker are the domain's, shared with it.
pub use domain::wire::{
    BoardSummary, Channel, ChannelChanges, ChannelKind, MemberChanges, NewChannel, NewMember,
    Outbox, OutboxMessage, ProcessDraftInput, ProcessImpact, ProcessMapping, ProcessMigrated,
    ProcessOverview, ProcessPublished, ProcessRestore, ShareLink, SignedIn, StageSummary, User,
};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The request never got an answer: no network, server down, or blocked.
    #[error("network unavailable")]
    Network,
    /// The server answered with an error body (stable `code`, readable messages).
    #[error("{message}")]
    Server {
        status: u16,
        code: String,
        message: String,
        message_en: String,
        /// The input field an `invalid` answer is about (`stages[2].sla_days`).
        field: Option<String>,
    },
    /// The server answered something this build does not understand.
    #[error("unexpected answer: {0}")]
    Unexpected(String),
}

impl ApiError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (ApiError::Network, Lang::Zh) => "无法连接服务器".into(),
            (ApiError::Network, Lang::En) => "Cannot reach the server".into(),
            (ApiError::Server { message, .. }, Lang::Zh) => message.clone(),
            (ApiError::Server { message_en, .. }, Lang::En) => message_en.clone(),
            (ApiError::Unexpected(detail), Lang::Zh) => {
                format!("服务器返回了无法识别的内容（{detail}）")
            }
            (ApiError::Unexpected(detail), Lang::En) => {
                format!("Unexpected server answer ({detail})")
            }
        }
    }

    /// The field a refusal names, to show the message next to it.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Server { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Server { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The server no longer accepts this device's session (expired, revoked, disabled).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Server { status: 401, .. })
    }

    /// The session's account was disabled by an admin (the device must drop the team's data).
    pub fn is_account_disabled(&self) -> bool {
        matches!(self, ApiError::Server { code, .. } if code == "account_disabled")
    }
}

async fn send(request: RequestBuilder) -> Result<Response, ApiError> {
    request.send().await.map_err(|_| ApiError::Network)
}

async fn send_json<B: Serialize>(request: RequestBuilder, body: &B) -> Result<Response, ApiError> {
    request
        .json(body)
        .map_err(|error| ApiError::Unexpected(error.to_string()))?
        .send()
        .await
        .map_err(|_| ApiError::Network)
}

/// Opens the live channel (`GET /api/live`). Browsers cannot set headers on a WebSocket, so
/// the session token travels as a second subprotocol after `LIVE_PROTOCOL`, never in the address
/// (addresses end up in logs).
pub fn open_live(token: &str) -> Result<web_sys::WebSocket, ApiError> {
    let location = web_sys::window().ok_or(ApiError::Network)?.location();
    let secure = location
        .protocol()
        .is_ok_and(|protocol| protocol == "https:");
    let host = location.host().map_err(|_| ApiError::Network)?;
    let url = format!("{}://{host}/api/live", if secure { "wss" } else { "ws" });
    let protocols = js_sys::Array::of2(&domain::wire::LIVE_PROTOCOL.into(), &token.into());
    web_sys::WebSocket::new_with_str_sequence(&url, &protocols).map_err(|_| ApiError::Network)
}

fn authorized(request: RequestBuilder, token: &str) -> RequestBuilder {
    request.header("Authorization", &format!("Bearer {token}"))
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|error| ApiError::Unexpected(error.to_string()));
    }
    let status = response.status();
    match response.json::<ErrorEnvelope>().await {
        Ok(envelope) => Err(ApiError::Server {
            status,
            code: envelope.error.code,
            message: envelope.error.message,
            message_en: envelope.error.message_en,
            field: envelope.error.field,
        }),
        Err(_) => Err(ApiError::Unexpected(format!("HTTP {status}"))),
    }
}

pub async fn board_summary(token: &str) -> Result<BoardSummary, ApiError> {
    decode(send(authorized(Request::get("/api/board/summary"), token)).await?).await
}

// ---- accounts ------------------------------------------------------------------------------

pub async fn login(login: &str, password: &str) -> Result<SignedIn, ApiError> {
    let body = Credentials {
        login: login.to_string(),
        password: password.to_string(),
    };
    decode(send_json(Request::post("/api/auth/login"), &body).await?).await
}

/// Ends the session on the server (its token stops working for every device).
pub async fn logout(token: &str) -> Result<(), ApiError> {
    let response = send(authorized(Request::post("/api/auth/logout"), token)).await?;
    decode::<serde_json::Value>(response).await.map(|_| ())
}

/// Replaces the signed-in person's own password. Every session of the account ends; the answer
/// is a new one for this device.
pub async fn change_password(
    token: &str,
    current_password: &str,
    new_password: &str,
) -> Result<SignedIn, ApiError> {
    let body = domain::wire::PasswordChange {
        current_password: current_password.to_string(),
        new_password: new_password.to_string(),
    };
    decode(
        send_json(
            authorized(Request::post("/api/auth/password"), token),
            &body,
        )
        .await?,
    )
    .await
}

pub async fn me(token: &str) -> Result<User, ApiError> {
    let answer: OneUser =
        decode(send(authorized(Request::get("/api/auth/me"), token)).await?).await?;
    Ok(answer.user)
}

pub async fn list_members(token: &str) -> Result<Vec<User>, ApiError> {
    let answer: UserList =
        decode(send(authorized(Request::get("/api/admin/users"), token)).await?).await?;
    Ok(answer.users)
}

pub async fn add_member(token: &str, member: &NewMember) -> Result<User, ApiError> {
    let request = authorized(Request::post("/api/admin/users"), token);
    let answer: OneUser = decode(send_json(request, member).await?).await?;
    Ok(answer.user)
}

pub async fn change_member(
    token: &str,
    id: &str,
    changes: &MemberChanges,
) -> Result<User, ApiError> {
    let request = authorized(Request::patch(&format!("/api/admin/users/{id}")), token);
    let answer: OneUser = decode(send_json(request, changes).await?).await?;
    Ok(answer.user)
}

pub async fn reset_password(token: &str, id: &str, password: &str) -> Result<(), ApiError> {
    let request = authorized(
        Request::post(&format!("/api/admin/users/{id}/password")),
        token,
    );
    decode::<serde_json::Value>(
        send_json(
            request,
            &NewPassword {
                password: password.to_string(),
            },
        )
        .await?,
    )
    .await
    .map(|_| ())
}

// ---- sync ------------------------------------------------------------------------------------

/// Sends queued mutations (at most `domain::MAX_PUSH_MUTATIONS`, consecutive seqs).
pub async fn sync_push(token: &str, request: &PushRequest) -> Result<PushResponse, ApiError> {
    let builder = authorized(Request::post("/api/sync/push"), token);
    decode(send_json(builder, request).await?).await
}

/// One page of what changed on the server since `cursor`, and refusals after `rejections_after`.
pub async fn sync_pull(
    token: &str,
    device_id: Uuid,
    cursor: u64,
    rejections_after: u64,
    limit: u32,
    processes_after: u32,
    calendar_after: u64,
) -> Result<PullResponse, ApiError> {
    let url = format!(
        "/api/sync/pull?device_id={device_id}&cursor={cursor}&rejections_after={rejections_after}&limit={limit}&processes_after={processes_after}&calendar_after={calendar_after}"
    );
    decode(send(authorized(Request::get(&url), token)).await?).await
}

// ---- notification channels (admins) ------------------------------------------------------------

pub async fn list_channels(token: &str) -> Result<Vec<Channel>, ApiError> {
    let request = authorized(Request::get("/api/admin/notify/channels"), token);
    let answer: ChannelList = decode(send(request).await?).await?;
    Ok(answer.channels)
}

pub async fn add_channel(token: &str, channel: &NewChannel) -> Result<Channel, ApiError> {
    let request = authorized(Request::post("/api/admin/notify/channels"), token);
    let answer: OneChannel = decode(send_json(request, channel).await?).await?;
    Ok(answer.channel)
}

pub async fn change_channel(
    token: &str,
    id: &str,
    changes: &ChannelChanges,
) -> Result<Channel, ApiError> {
    let url = format!("/api/admin/notify/channels/{id}");
    let request = authorized(Request::patch(&url), token);
    let answer: OneChannel = decode(send_json(request, changes).await?).await?;
    Ok(answer.channel)
}

pub async fn delete_channel(token: &str, id: &str) -> Result<(), ApiError> {
    let url = format!("/api/admin/notify/channels/{id}");
    let request = authorized(Request::delete(&url), token);
    decode::<serde_json::Value>(send(request).await?)
        .await
        .map(|_| ())
}

/// Queues a test message to the channel and sends it at once; the answer is its outbox row
/// (`sent`, or `pending` with the receiver's error and the retry time).
pub async fn test_channel(token: &str, id: &str) -> Result<OutboxMessage, ApiError> {
    let url = format!("/api/admin/notify/channels/{id}/test");
    let request = authorized(Request::post(&url), token);
    let answer: OneMessage = decode(send(request).await?).await?;
    Ok(answer.message)
}

/// The newest outbox messages first.
pub async fn outbox(token: &str, limit: u32) -> Result<Outbox, ApiError> {
    let url = format!("/api/admin/notify/outbox?limit={limit}");
    decode(send(authorized(Request::get(&url), token)).await?).await
}

// ---- sharing with customers ------------------------------------------------------------------

/// Asks the server to sign a link for `order_id`. The server signs it (with a secret the app
/// never sees), so this needs the network and a session the server still accepts.
pub async fn share_order(token: &str, order_id: Uuid) -> Result<ShareLink, ApiError> {
    let url = format!("/api/orders/{order_id}/share");
    decode(send(authorized(Request::post(&url), token)).await?).await
}

/// Voids every link of `order_id` given out so far; the answer is a fresh link made after that.
pub async fn revoke_share_links(token: &str, order_id: Uuid) -> Result<ShareLink, ApiError> {
    let url = format!("/api/orders/{order_id}/share/revoke");
    decode(send(authorized(Request::post(&url), token)).await?).await
}

// ---- the process (admins) ----------------------------------------------------------------------

pub async fn process_overview(token: &str) -> Result<ProcessOverview, ApiError> {
    decode(send(authorized(Request::get("/api/admin/process"), token)).await?).await
}

/// The company's working-day calendar (any member).
pub async fn holiday_calendar(token: &str) -> Result<domain::HolidayCalendar, ApiError> {
    decode(send(authorized(Request::get("/api/holidays"), token)).await?).await
}

/// Replaces one year of the calendar (admins); the answer is the whole calendar.
pub async fn save_holiday_year(
    token: &str,
    year: i32,
    input: &domain::wire::HolidayYearInput,
) -> Result<domain::HolidayCalendar, ApiError> {
    let request = authorized(Request::put(&format!("/api/admin/holidays/{year}")), token);
    decode(send_json(request, input).await?).await
}

/// Stores the draft (one per company); the answer is the checked draft.
pub async fn save_process_draft(
    token: &str,
    draft: &ProcessDraftInput,
) -> Result<domain::ProcessDraft, ApiError> {
    let request = authorized(Request::put("/api/admin/process/draft"), token);
    decode(send_json(request, draft).await?).await
}

/// Publishes the draft as the next version; a stale base is a 409 `process_conflict`.
pub async fn publish_process(
    token: &str,
    draft: &ProcessDraftInput,
) -> Result<ProcessPublished, ApiError> {
    let request = authorized(Request::post("/api/admin/process/publish"), token);
    decode(send_json(request, draft).await?).await
}

/// Publishes a copy of an older version.
pub async fn restore_process(
    token: &str,
    restore: &ProcessRestore,
) -> Result<ProcessPublished, ApiError> {
    let request = authorized(Request::post("/api/admin/process/restore"), token);
    decode(send_json(request, restore).await?).await
}

/// How many in-flight orders of older versions would move where.
pub async fn preview_migration(
    token: &str,
    mapping: &ProcessMapping,
) -> Result<ProcessImpact, ApiError> {
    let request = authorized(Request::post("/api/admin/process/preview"), token);
    decode(send_json(request, mapping).await?).await
}

/// Moves a bounded number of in-flight orders onto the current version; call again while
/// `remaining > 0`.
pub async fn migrate_orders(
    token: &str,
    mapping: &ProcessMapping,
) -> Result<ProcessMigrated, ApiError> {
    let request = authorized(Request::post("/api/admin/process/migrate"), token);
    decode(send_json(request, mapping).await?).await
}

// ---- spreadsheets (worker/src/sheets/) ----------------------------------------------------------

fn import_query(mode: domain::sheet::ImportMode) -> &'static str {
    match mode {
        domain::sheet::ImportMode::Create => "create",
        domain::sheet::ImportMode::Update => "update",
        domain::sheet::ImportMode::Both => "both",
    }
}

/// The person's column choices as `&map=…` (nothing when they chose none).
fn map_query(
    mapping: &std::collections::HashMap<String, Option<domain::sheet::Column>>,
) -> Result<String, ApiError> {
    if mapping.is_empty() {
        return Ok(String::new());
    }
    let chosen =
        serde_json::to_string(mapping).map_err(|error| ApiError::Unexpected(error.to_string()))?;
    Ok(format!(
        "&map={}",
        String::from(js_sys::encode_uri_component(&chosen))
    ))
}

/// Sends the chosen file to the worker for a dry run (`dry_run`) or the commit of an import.
pub async fn import_sheet(
    token: &str,
    file: &web_sys::File,
    mode: domain::sheet::ImportMode,
    dry_run: bool,
    mapping: &std::collections::HashMap<String, Option<domain::sheet::Column>>,
) -> Result<domain::wire::ImportReport, ApiError> {
    let mut url = format!(
        "/api/admin/import?mode={}&dry_run={}",
        import_query(mode),
        if dry_run { 1 } else { 0 }
    );
    url.push_str(&map_query(mapping)?);
    let request = authorized(Request::post(&url), token)
        .header("Content-Type", "application/octet-stream")
        .body(wasm_bindgen::JsValue::from(file.clone()))
        .map_err(|error| ApiError::Unexpected(error.to_string()))?;
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    decode(response).await
}

/// The dry run's failing rows of the chosen file as an .xlsx with 错误原因, to fix in Excel.
pub async fn fetch_import_errors(
    token: &str,
    file: &web_sys::File,
    mode: domain::sheet::ImportMode,
    mapping: &std::collections::HashMap<String, Option<domain::sheet::Column>>,
) -> Result<Download, ApiError> {
    let mut url = format!("/api/admin/import/errors?mode={}", import_query(mode));
    url.push_str(&map_query(mapping)?);
    let request = authorized(Request::post(&url), token)
        .header("Content-Type", "application/octet-stream")
        .body(wasm_bindgen::JsValue::from(file.clone()))
        .map_err(|error| ApiError::Unexpected(error.to_string()))?;
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    let name = format!(
        "import-errors-{}.xlsx",
        domain::business_date(chrono::Utc::now()).format("%Y%m%d")
    );
    download(response, name).await
}

/// Undoes a committed import (admins): its new orders cancelled, its updates taken back.
pub async fn undo_import(
    token: &str,
    batch_id: &str,
) -> Result<domain::wire::ImportUndone, ApiError> {
    let url = format!("/api/admin/import/{batch_id}/undo");
    decode(send(authorized(Request::post(&url), token)).await?).await
}

/// A file the server sent, to be saved by the screen that asked for it.
pub struct Download {
    pub bytes: Vec<u8>,
    pub mime: String,
    pub name: String,
}

/// Fetches `/api/export.{format}` with the session; `filter` narrows it as the board does
/// (`BoardFilter::to_query`, empty for every order).
pub async fn fetch_export(token: &str, format: &str, filter: &str) -> Result<Download, ApiError> {
    let url = if filter.is_empty() {
        format!("/api/export.{format}")
    } else {
        format!("/api/export.{format}?{filter}")
    };
    let response = send(authorized(Request::get(&url), token)).await?;
    let name = format!(
        "orders-{}.{format}",
        domain::business_date(chrono::Utc::now()).format("%Y%m%d")
    );
    download(response, name).await
}

/// A file answer as a `Download` named `name`, or the error the server sent instead.
async fn download(response: Response, name: String) -> Result<Download, ApiError> {
    if !response.ok() {
        let status = response.status();
        return Err(match decode::<serde_json::Value>(response).await {
            Err(error) => error,
            Ok(_) => ApiError::Unexpected(format!("HTTP {status}")),
        });
    }
    let mime = response
        .headers()
        .get("content-type")
        .unwrap_or_else(|| "application/octet-stream".into());
    let bytes = response
        .binary()
        .await
        .map_err(|error| ApiError::Unexpected(error.to_string()))?;
    Ok(Download { bytes, mime, name })
}

/// `PUT /api/orders/:id/files/:sha256`: one attachment file's bytes. `Ok(stored)`: whether the
/// server stored them now (false: it already had them). `on_progress(sent, total)` hears the
/// bytes leave the phone: sent with XMLHttpRequest, because fetch reports no upload progress.
pub async fn upload_file(
    token: &str,
    order_id: Uuid,
    sha256: &str,
    bytes: &[u8],
    on_progress: impl Fn(u64, u64) + 'static,
) -> Result<bool, ApiError> {
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    let unexpected = |error: wasm_bindgen::JsValue| ApiError::Unexpected(format!("{error:?}"));
    let request = web_sys::XmlHttpRequest::new().map_err(unexpected)?;
    request
        .open("PUT", &format!("/api/orders/{order_id}/files/{sha256}"))
        .map_err(unexpected)?;
    request
        .set_request_header("Authorization", &format!("Bearer {token}"))
        .map_err(unexpected)?;
    request
        .set_request_header("Content-Type", "application/octet-stream")
        .map_err(unexpected)?;
    let progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
            if event.length_computable() {
                on_progress(event.loaded() as u64, event.total() as u64);
            }
        });
    request
        .upload()
        .map_err(unexpected)?
        .set_onprogress(Some(progress.as_ref().unchecked_ref()));
    // Answered (any status) or not (network gone, aborted): whichever comes first, once.
    let (done, finished) = futures::channel::oneshot::channel::<bool>();
    let done = Rc::new(RefCell::new(Some(done)));
    let settle = |answered: bool| {
        let done = done.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(done) = done.borrow_mut().take() {
                let _ = done.send(answered);
            }
        })
    };
    let (on_load, on_fail) = (settle(true), settle(false));
    request.set_onload(Some(on_load.as_ref().unchecked_ref()));
    request.set_onerror(Some(on_fail.as_ref().unchecked_ref()));
    request.set_onabort(Some(on_fail.as_ref().unchecked_ref()));
    request.set_ontimeout(Some(on_fail.as_ref().unchecked_ref()));
    request
        .send_with_opt_u8_array(Some(bytes))
        .map_err(|_| ApiError::Network)?;
    let answered = finished.await.unwrap_or(false);
    // The closures live until the request settled.
    drop((progress, on_load, on_fail));
    if !answered {
        return Err(ApiError::Network);
    }
    let status = request.status().map_err(unexpected)?;
    let text = request
        .response_text()
        .map_err(unexpected)?
        .unwrap_or_default();
    if (200..300).contains(&status) {
        return serde_json::from_str::<domain::wire::UploadAnswer>(&text)
            .map(|answer| answer.stored)
            .map_err(|error| ApiError::Unexpected(error.to_string()));
    }
    match serde_json::from_str::<ErrorEnvelope>(&text) {
        Ok(envelope) => Err(ApiError::Server {
            status,
            code: envelope.error.code,
            message: envelope.error.message,
            message_en: envelope.error.message_en,
            field: envelope.error.field,
        }),
        Err(_) => Err(ApiError::Unexpected(format!("HTTP {status}"))),
    }
}

/// Deletes a removed attachment's bytes for good (admins); the order's history records it and
/// reaches this phone with the next pull.
pub async fn purge_attachment(
    token: &str,
    order_id: Uuid,
    attachment_id: Uuid,
) -> Result<(), ApiError> {
    let url = format!("/api/admin/orders/{order_id}/attachments/{attachment_id}/purge");
    decode::<serde_json::Value>(send(authorized(Request::post(&url), token)).await?)
        .await
        .map(|_| ())
}

/// An attachment's file (or its thumbnail) with the session, as a blob for an object URL.
pub async fn fetch_attachment(
    token: &str,
    order_id: Uuid,
    attachment_id: Uuid,
    thumbnail: bool,
) -> Result<Vec<u8>, ApiError> {
    let suffix = if thumbnail { "/thumbnail" } else { "" };
    let response = send(authorized(
        Request::get(&format!(
            "/api/orders/{order_id}/attachments/{attachment_id}{suffix}"
        )),
        token,
    ))
    .await?;
    if !response.ok() {
        let status = response.status();
        return Err(match decode::<serde_json::Value>(response).await {
            Err(error) => error,
            Ok(_) => ApiError::Unexpected(format!("HTTP {status}")),
        });
    }
    response
        .binary()
        .await
        .map_err(|error| ApiError::Unexpected(error.to_string()))
}
