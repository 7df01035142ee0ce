//! The admin's notification settings, `/api/admin/notify/*` (admins only):
//!
//! - `GET  /api/admin/notify/channels` → `{"channels": [Channel…]}`
//! - `POST /api/admin/notify/channels` `{kind, name, url, secret?, enabled?, receives_digest?,
//!   receives_customer_notices?}` → 201 `{"channel": Channel}`
//! - `PATCH /api/admin/notify/channels/:id` (every field optional; `secret` left out = unchanged,
//!   `null` or `""` = removed; `kind` cannot change) → `{"channel": Channel}`
//! - `DELETE /api/admin/notify/channels/:id` → `{"deleted": true}` (its unsent messages become
//!   `failed`); to pause a channel instead, PATCH `enabled: false`
//! - `POST /api/admin/notify/channels/:id/test` → queues a `test` message and sends it at once:
//!   `{"message": OutboxMessage}` (status `sent`, or `pending` with `last_error` and the retry time)
//! - `GET  /api/admin/notify/outbox?limit=N` (1–200, default 50) → `{"messages": [OutboxMessage…],
//!   "max_attempts": N}`, newest first
//!
//! A channel's secret and full URL (whose token is a credential too) never leave the server:
//! views carry `has_secret` and a masked URL (`…?access_token=…abcd`).

use chrono::{DateTime, Utc};
use domain::{
    wire::{
        Channel, ChannelChanges, ChannelKind, ChannelList, NewChannel, OneChannel, OneMessage,
        Outbox, OutboxMessage,
    },
    Role,
};
use serde::Serialize;
use worker::{Request, Response, RouteContext, Url};

use super::{send, stamp, Payload, TestMessage, MAX_ATTEMPTS};
use crate::{
    auth::{self, crypto},
    error::ApiError,
    http::{json_response, ok_json, read_json, server_now},
    repository::{ChannelRecord, NewOutboxRow, OutboxRow, Repository},
};

const NAME_MAX_CHARS: usize = 40;
const URL_MAX_CHARS: usize = 1000;
const SECRET_MAX_CHARS: usize = 200;

/// A channel as clients see it: never the secret, never the full URL.
fn channel_view(channel: &ChannelRecord) -> Channel {
    Channel {
        id: channel.id.clone(),
        kind: channel.kind.clone(),
        name: channel.name.clone(),
        url: mask_url(&channel.url),
        has_secret: channel.secret.as_deref().is_some_and(|s| !s.is_empty()),
        enabled: channel.enabled,
        receives_digest: channel.receives_digest,
        receives_customer_notices: channel.receives_customer_notices,
        created_at: channel.created_at.clone(),
        updated_at: channel.updated_at.clone(),
    }
}

/// Outbox times are written by `stamp` only; one that does not read back is shown as 1970
/// rather than failing the whole list.
fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .unwrap_or_default()
}

/// An outbox row as admins see it (without its payload, which may hold customer contacts).
fn outbox_view(row: OutboxRow, channels: &[ChannelRecord]) -> OutboxMessage {
    OutboxMessage {
        channel_name: channels
            .iter()
            .find(|c| c.id == row.channel_id)
            .map(|c| c.name.clone()),
        id: row.id,
        idempotency_key: row.idempotency_key,
        channel_id: row.channel_id,
        kind: row.kind,
        status: row.status,
        attempts: row.attempts,
        next_attempt_at: time(&row.next_attempt_at),
        lease_until: row.lease_until.as_deref().map(time),
        last_error: row.last_error,
        created_at: time(&row.created_at),
        sent_at: row.sent_at.as_deref().map(time),
    }
}

fn invalid(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
    ApiError::InvalidChannel {
        field,
        zh: zh.into(),
        en: en.into(),
    }
}

pub fn parse_kind(text: &str) -> Result<ChannelKind, ApiError> {
    ChannelKind::parse(text).ok_or_else(|| {
        invalid(
            "kind",
            "渠道类型必须是 wecom（企业微信）、dingtalk（钉钉）、feishu（飞书）或 webhook",
            "Channel kind must be wecom, dingtalk, feishu or webhook",
        )
    })
}

pub fn valid_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            format!("渠道名称需为 1–{NAME_MAX_CHARS} 个字"),
            format!("The channel name must be 1–{NAME_MAX_CHARS} characters"),
        ));
    }
    domain::text::refuse_invisible_in_line("name", "渠道名称", "The channel name", name)?;
    Ok(name.to_string())
}

/// Webhook URLs must be https to a public host (`destination::check`: no loopback, link-local,
/// private or unique-local address, no local name). Plain http is only accepted for this
/// machine (127.0.0.1, localhost, [::1]) and only where `NOTIFY_ALLOW_LOCAL_HTTP=enabled` (the
/// test command), so a deployment never sends a secret-bearing URL in clear text.
pub fn valid_url(url: &str, allow_local_http: bool) -> Result<String, ApiError> {
    let url = url.trim();
    let bad = || {
        invalid(
            "url",
            "Webhook 地址无效：必须是完整的 https:// 地址（不含用户名和密码），且不超过 1000 个字符",
            "Invalid webhook URL: it must be a full https:// address without user name or password, at most 1000 characters",
        )
    };
    if url.is_empty() || url.chars().count() > URL_MAX_CHARS {
        return Err(bad());
    }
    let parsed = Url::parse(url).map_err(|_| bad())?;
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.host().is_none() {
        return Err(bad());
    }
    if super::destination::check(&parsed, allow_local_http).is_err() {
        return Err(invalid(
            "url",
            "Webhook 地址不能指向本机、内网或保留地址（如 127.0.0.1、10.x、192.168.x、169.254.x、fd00::、localhost），请填写机器人或网关的公网地址",
            "The webhook URL may not point at this machine, a private network or a reserved address (such as 127.0.0.1, 10.x, 192.168.x, 169.254.x, fd00::, localhost); use the robot's or gateway's public address",
        ));
    }
    let local = allow_local_http
        && matches!(
            parsed.host_str(),
            Some("127.0.0.1") | Some("localhost") | Some("[::1]")
        );
    match parsed.scheme() {
        "https" => Ok(url.to_string()),
        "http" if local && allow_local_http => Ok(url.to_string()),
        "http" => Err(invalid(
            "url",
            "Webhook 地址必须以 https:// 开头（明文 http 会泄露地址中的密钥）",
            "The webhook URL must start with https:// (plain http would expose the key in it)",
        )),
        _ => Err(bad()),
    }
}

/// `None` and `""` mean "no secret". WeCom group robots have no signing secret.
pub fn valid_secret(kind: ChannelKind, secret: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(secret) = secret.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if !kind.takes_secret() {
        return Err(invalid(
            "secret",
            "企业微信群机器人没有签名密钥：地址中的 key 就是凭证，请不要填写密钥",
            "WeCom group robots have no signing secret (the key in the URL is the credential); leave the secret empty",
        ));
    }
    if secret.chars().count() > SECRET_MAX_CHARS || secret.chars().any(char::is_whitespace) {
        return Err(invalid(
            "secret",
            format!("密钥需为不含空格的 1–{SECRET_MAX_CHARS} 个字符"),
            format!("The secret must be 1–{SECRET_MAX_CHARS} characters without spaces"),
        ));
    }
    Ok(Some(secret.to_string()))
}

/// Customer notices carry the customer's phone and email for an SMS/email gateway: only a
/// generic webhook takes them, never a team chat robot.
pub fn valid_purposes(kind: ChannelKind, receives_customer_notices: bool) -> Result<(), ApiError> {
    if receives_customer_notices && !kind.takes_customer_notices() {
        return Err(invalid(
            "receives_customer_notices",
            "客户进度通知只能发往通用 Webhook（短信/邮件网关），不能发到群机器人",
            "Customer notices go only to a generic webhook (SMS/email gateway), not to a group robot",
        ));
    }
    Ok(())
}

/// `https://oapi.dingtalk.com/robot/send?access_token=…abcd`: every query value and every long
/// path segment (Feishu and generic hooks put the token in the path) shows only its last 4
/// characters, enough to tell two channels apart.
pub fn mask_url(url: &str) -> String {
    let Ok(parsed) = Url::parse(url) else {
        return "…".to_string();
    };
    let mask = |value: &str| {
        let chars: Vec<char> = value.chars().collect();
        let tail: String = if chars.len() > 8 {
            chars[chars.len() - 4..].iter().collect()
        } else {
            String::new()
        };
        format!("…{tail}")
    };
    let mut masked = format!("{}://{}", parsed.scheme(), parsed.host_str().unwrap_or(""));
    if let Some(port) = parsed.port() {
        masked.push_str(&format!(":{port}"));
    }
    for segment in parsed.path().split('/').skip(1) {
        masked.push('/');
        if segment.chars().count() > 16 {
            masked.push_str(&mask(segment));
        } else {
            masked.push_str(segment);
        }
    }
    let pairs: Vec<String> = parsed
        .query_pairs()
        .map(|(name, value)| format!("{name}={}", mask(&value)))
        .collect();
    if !pairs.is_empty() {
        masked.push('?');
        masked.push_str(&pairs.join("&"));
    }
    masked
}

fn allow_local_http(ctx: &RouteContext<()>) -> bool {
    super::allow_local_http(&ctx.env)
}

async fn require_admin(req: &Request, ctx: &RouteContext<()>) -> Result<auth::AuthUser, ApiError> {
    let user = auth::require_user(req, ctx).await?;
    auth::require_role(&user, &[Role::Admin])?;
    Ok(user)
}

fn channel_id(ctx: &RouteContext<()>) -> String {
    ctx.param("id").cloned().unwrap_or_default()
}

pub async fn list(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    require_admin(&req, &ctx).await?;
    let channels = Repository::new(ctx.d1("DB")?).list_channels().await?;
    ok_json(&ChannelList {
        channels: channels.iter().map(channel_view).collect(),
    })
}

pub async fn create(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    require_admin(&req, &ctx).await?;
    let input: NewChannel = read_json(&mut req).await?;
    let kind = parse_kind(&input.kind)?;
    let receives_customer_notices = input.receives_customer_notices.unwrap_or(false);
    valid_purposes(kind, receives_customer_notices)?;
    let now = stamp(server_now());
    let channel = ChannelRecord {
        id: format!("ch-{}", crypto::random_uuid()?),
        kind: kind.as_str().to_string(),
        name: valid_name(&input.name)?,
        url: valid_url(&input.url, allow_local_http(&ctx))?,
        secret: valid_secret(kind, input.secret.as_deref())?,
        enabled: input.enabled.unwrap_or(true),
        receives_digest: input.receives_digest.unwrap_or(true),
        receives_customer_notices,
        created_at: now.clone(),
        updated_at: now,
    };
    Repository::new(ctx.d1("DB")?)
        .insert_channel(&channel)
        .await?;
    Ok(json_response(
        &OneChannel {
            channel: channel_view(&channel),
        },
        201,
    ))
}

pub async fn update(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    require_admin(&req, &ctx).await?;
    let input: ChannelChanges = read_json(&mut req).await?;
    let repo = Repository::new(ctx.d1("DB")?);
    let mut channel = repo
        .find_channel(&channel_id(&ctx))
        .await?
        .ok_or(ApiError::ChannelNotFound)?;
    let kind = parse_kind(&channel.kind)?;
    if let Some(name) = &input.name {
        channel.name = valid_name(name)?;
    }
    if let Some(url) = &input.url {
        channel.url = valid_url(url, allow_local_http(&ctx))?;
    }
    if let Some(secret) = &input.secret {
        channel.secret = valid_secret(kind, secret.as_deref())?;
    }
    if let Some(enabled) = input.enabled {
        channel.enabled = enabled;
    }
    if let Some(digest) = input.receives_digest {
        channel.receives_digest = digest;
    }
    if let Some(notices) = input.receives_customer_notices {
        channel.receives_customer_notices = notices;
    }
    valid_purposes(kind, channel.receives_customer_notices)?;
    channel.updated_at = stamp(server_now());
    if !repo.update_channel(&channel).await? {
        return Err(ApiError::ChannelNotFound);
    }
    ok_json(&OneChannel {
        channel: channel_view(&channel),
    })
}

#[derive(Serialize)]
struct Deleted {
    deleted: bool,
}

pub async fn delete(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    require_admin(&req, &ctx).await?;
    let repo = Repository::new(ctx.d1("DB")?);
    if !repo
        .delete_channel(&channel_id(&ctx), &stamp(server_now()))
        .await?
    {
        return Err(ApiError::ChannelNotFound);
    }
    ok_json(&Deleted { deleted: true })
}

/// Queues a `test` message to the channel and sends it right away, so the admin sees at once
/// whether the URL and secret work (the answer is the outbox row: `sent`, or `pending` with the
/// receiver's error and the retry time).
pub async fn send_test(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let admin = require_admin(&req, &ctx).await?;
    let repo = Repository::new(ctx.d1("DB")?);
    let channel = repo
        .find_channel(&channel_id(&ctx))
        .await?
        .ok_or(ApiError::ChannelNotFound)?;
    let now = server_now();
    let key = format!("test:{}", crypto::random_uuid()?);
    let payload = Payload::Test(TestMessage {
        channel_name: channel.name.clone(),
        requested_by: admin.name.clone(),
    });
    let row = NewOutboxRow {
        idempotency_key: key.clone(),
        channel_id: channel.id.clone(),
        kind: payload.kind(),
        payload: serde_json::to_string(&payload).map_err(|e| ApiError::Internal(e.to_string()))?,
        next_attempt_at: stamp(now),
        created_at: stamp(now),
    };
    repo.queue_messages(&[row]).await?;
    let id = repo
        .outbox_id(&key)
        .await?
        .ok_or_else(|| ApiError::Database("the queued test message vanished".into()))?;
    send::deliver_due(&repo, now, Some(id), allow_local_http(&ctx)).await?;
    let message = repo
        .find_message(id)
        .await?
        .ok_or_else(|| ApiError::Database("the test message vanished".into()))?;
    ok_json(&OneMessage {
        message: outbox_view(message, std::slice::from_ref(&channel)),
    })
}

pub async fn outbox(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    require_admin(&req, &ctx).await?;
    let url = req.url().map_err(|e| ApiError::BadQuery(e.to_string()))?;
    let mut limit = 50;
    for (name, value) in url.query_pairs() {
        if name == "limit" {
            limit = value
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=200).contains(n))
                .ok_or_else(|| ApiError::BadQuery("limit must be between 1 and 200".into()))?;
        }
    }
    let repo = Repository::new(ctx.d1("DB")?);
    let channels = repo.list_channels().await?;
    let rows = repo.recent_messages(limit).await?;
    ok_json(&Outbox {
        messages: rows
            .into_iter()
            .map(|row| outbox_view(row, &channels))
            .collect(),
        max_attempts: MAX_ATTEMPTS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_except_local_http_when_allowed() {
        assert!(valid_url("https://oapi.dingtalk.com/robot/send?access_token=x", false).is_ok());
        assert!(valid_url("http://oapi.dingtalk.com/robot/send", false).is_err());
        assert!(valid_url("http://127.0.0.1:9000/hook", false).is_err());
        assert!(valid_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(valid_url("http://localhost/hook", true).is_ok());
        assert!(valid_url("http://10.0.0.1/hook", true).is_err());
        assert!(valid_url("ftp://example.com/x", true).is_err());
        assert!(valid_url("https://user:pw@example.com/x", false).is_err());
        assert!(valid_url("not a url", false).is_err());
        assert!(valid_url(&format!("https://example.com/{}", "a".repeat(1000)), false).is_err());
        let error = valid_url("http://example.com", false).unwrap_err();
        assert_eq!((error.status(), error.code()), (400, "invalid_channel"));
    }

    #[test]
    fn secrets_are_optional_refused_for_wecom_and_bounded() {
        assert_eq!(valid_secret(ChannelKind::Dingtalk, None).unwrap(), None);
        assert_eq!(
            valid_secret(ChannelKind::Dingtalk, Some(" ")).unwrap(),
            None
        );
        assert_eq!(
            valid_secret(ChannelKind::Feishu, Some(" abc ")).unwrap(),
            Some("abc".into())
        );
        assert!(valid_secret(ChannelKind::Wecom, Some("abc")).is_err());
        assert!(valid_secret(ChannelKind::Webhook, Some("a b")).is_err());
        assert!(valid_secret(ChannelKind::Webhook, Some(&"x".repeat(201))).is_err());
    }

    #[test]
    fn only_generic_webhooks_take_customer_notices() {
        assert!(valid_purposes(ChannelKind::Webhook, true).is_ok());
        assert!(valid_purposes(ChannelKind::Dingtalk, true).is_err());
        assert!(valid_purposes(ChannelKind::Wecom, false).is_ok());
    }

    #[test]
    fn masked_urls_keep_only_the_last_four_characters_of_tokens() {
        assert_eq!(
            mask_url("https://oapi.dingtalk.com/robot/send?access_token=0123456789abcd"),
            "https://oapi.dingtalk.com/robot/send?access_token=…abcd"
        );
        assert_eq!(
            mask_url(
                "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd"
            ),
            "https://open.feishu.cn/open-apis/bot/v2/hook/…86fd"
        );
        assert_eq!(
            mask_url("http://127.0.0.1:8831/hook?key=short"),
            "http://127.0.0.1:8831/hook?key=…"
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(valid_name("  销售群 ").unwrap(), "销售群");
        assert!(valid_name("").is_err());
        assert!(valid_name(&"群".repeat(41)).is_err());
    }
}
