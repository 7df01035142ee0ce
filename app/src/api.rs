//! Every call the app makes to the worker, in one module. Errors are one enum whose messages are
//! ready to show to a person.

use chrono::{DateTime, Utc};
use domain::{Lang, PullResponse, PushRequest, PushResponse, Role};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

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

fn authorized(request: RequestBuilder, token: &str) -> RequestBuilder {
    request.header("Authorization", &format!("Bearer {token}"))
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
    message_en: String,
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
        }),
        Err(_) => Err(ApiError::Unexpected(format!("HTTP {status}"))),
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StageSummary {
    pub stage: String,
    pub active_orders: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BoardSummary {
    pub stages: Vec<StageSummary>,
    pub total_active: u32,
}

pub async fn board_summary(token: &str) -> Result<BoardSummary, ApiError> {
    decode(send(authorized(Request::get("/api/board/summary"), token)).await?).await
}

// ---- accounts ------------------------------------------------------------------------------

/// A team member as the server shows them (never password material).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub login: String,
    pub roles: Vec<Role>,
    pub active: bool,
    #[serde(default)]
    pub work_phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedIn {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

#[derive(Serialize)]
struct Credentials<'a> {
    login: &'a str,
    password: &'a str,
}

#[derive(Deserialize)]
struct OneUser {
    user: User,
}

#[derive(Deserialize)]
struct UserList {
    users: Vec<User>,
}

pub async fn login(login: &str, password: &str) -> Result<SignedIn, ApiError> {
    let body = Credentials { login, password };
    decode(send_json(Request::post("/api/auth/login"), &body).await?).await
}

/// Ends the session on the server (its token stops working for every device).
pub async fn logout(token: &str) -> Result<(), ApiError> {
    let response = send(authorized(Request::post("/api/auth/logout"), token)).await?;
    decode::<serde_json::Value>(response).await.map(|_| ())
}

pub async fn me(token: &str) -> Result<User, ApiError> {
    let answer: OneUser =
        decode(send(authorized(Request::get("/api/auth/me"), token)).await?).await?;
    Ok(answer.user)
}

/// What an admin fills in to add a member.
#[derive(Debug, Clone, Serialize)]
pub struct NewMember {
    pub name: String,
    pub login: String,
    pub password: String,
    pub roles: Vec<Role>,
    pub work_phone: Option<String>,
}

/// An admin's change to a member; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MemberChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// `Some(None)` clears the phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_phone: Option<Option<String>>,
}

#[derive(Serialize)]
struct NewPassword<'a> {
    password: &'a str,
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
    decode::<serde_json::Value>(send_json(request, &NewPassword { password }).await?)
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
) -> Result<PullResponse, ApiError> {
    let url = format!(
        "/api/sync/pull?device_id={device_id}&cursor={cursor}&rejections_after={rejections_after}&limit={limit}"
    );
    decode(send(authorized(Request::get(&url), token)).await?).await
}

// ---- notification channels (admins) ------------------------------------------------------------

/// A notification channel as the server shows it: never its secret, never its full URL (the
/// token in a webhook URL is a credential too), only a masked URL and whether a secret is set.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Channel {
    pub id: String,
    /// `wecom`, `dingtalk`, `feishu` or `webhook`.
    pub kind: String,
    pub name: String,
    pub url: String,
    pub has_secret: bool,
    pub enabled: bool,
    pub receives_digest: bool,
    pub receives_customer_notices: bool,
}

/// What an admin fills in to add a channel.
#[derive(Debug, Clone, Serialize)]
pub struct NewChannel {
    pub kind: String,
    pub name: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub enabled: bool,
    pub receives_digest: bool,
    pub receives_customer_notices: bool,
}

/// An admin's change to a channel; `None` leaves a field as it is (the secret included: it is
/// write-only, so "unchanged" is the default; `Some(None)` removes it).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChannelChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receives_digest: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receives_customer_notices: Option<bool>,
}

/// One message in the server's outbox (without its content, which may hold customer contacts).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub channel_id: String,
    /// `None` once the channel was deleted.
    pub channel_name: Option<String>,
    /// `digest`, `customer_notice` or `test`.
    pub kind: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Outbox {
    pub messages: Vec<OutboxMessage>,
    /// After this many failed attempts a message is `failed` for good.
    pub max_attempts: i64,
}

#[derive(Deserialize)]
struct ChannelList {
    channels: Vec<Channel>,
}

#[derive(Deserialize)]
struct OneChannel {
    channel: Channel,
}

#[derive(Deserialize)]
struct OneMessage {
    message: OutboxMessage,
}

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

/// A signed customer link for one order (`POST /api/orders/:id/share`): the customer opens
/// `url` (or scans the QR code of it) and sees the order's progress without the phone digits.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ShareLink {
    pub url: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// A standalone `<svg>` document of the QR code of `url`; shown only as an image.
    pub qr_svg: String,
}

/// Asks the server to sign a link for `order_id`. The server signs it (with a secret the app
/// never sees), so this needs the network and a session the server still accepts.
pub async fn share_order(token: &str, order_id: Uuid) -> Result<ShareLink, ApiError> {
    let url = format!("/api/orders/{order_id}/share");
    decode(send(authorized(Request::post(&url), token)).await?).await
}
