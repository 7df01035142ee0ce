//! What each product wants on the wire, and the signatures. Pure: no clock (the timestamp is an
//! argument), no I/O, so every byte is unit-tested natively.
//!
//! Sources (checked 2026-11-27; the official pages themselves are not reachable from here, the
//! algorithms below are as quoted from them by several independent mirrors, and the unit tests
//! pin them to values computed with Python's `hmac`):
//! - DingTalk custom robot, security setting 加签:
//!   <https://open.dingtalk.com/document/robots/customize-robot-security-settings> — "把
//!   timestamp+"\n"+密钥当做签名字符串，使用HmacSHA256算法计算签名，然后进行Base64 encode，最后再把
//!   签名参数再进行urlEncode"; timestamp in milliseconds, within 1 hour of DingTalk's clock;
//!   sent as `&timestamp=…&sign=…` on the webhook URL. Answers `{"errcode":0,"errmsg":"ok"}`.
//! - Feishu/Lark custom bot, 签名校验:
//!   <https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot> — "把 timestamp + "\n" +
//!   密钥 当做签名字符串，使用 HmacSHA256 算法计算签名，再进行 Base64 编码": the string is the HMAC
//!   *key* and the message is empty; timestamp in seconds, within 1 hour; both go in the JSON
//!   body. Answers `{"code":0,…}` (older deployments `{"StatusCode":0,…}`).
//! - WeCom group robot: <https://developer.work.weixin.qq.com/document/path/91770> — POST
//!   `{"msgtype":"markdown","markdown":{"content":…}}` (≤ 4096 bytes) to the webhook URL, no
//!   signature (the key in the URL is the credential). Markdown can only @ by user id
//!   (`<@userid>`), not by phone (`mentioned_mobile_list` is for text messages), so WeCom
//!   digests name people without an @. Answers `{"errcode":0,"errmsg":"ok"}`.
//!
//! All three answer HTTP 200 even when they refuse a message, so the body decides.

use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{
    ChannelKind, CustomerNotice, DigestPayload, HelpAsked, LookupLocked, Payload, TestMessage,
    WeeklyPayload,
};

type HmacSha256 = Hmac<Sha256>;

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// DingTalk 加签: base64(HMAC-SHA256(key = secret, message = timestamp_ms + "\n" + secret)).
/// Not yet URL-encoded; [`build`] encodes it as a query value.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let message = format!("{timestamp_ms}\n{secret}");
    BASE64.encode(hmac_sha256(secret.as_bytes(), message.as_bytes()))
}

/// Feishu 签名校验: base64(HMAC-SHA256(key = timestamp_s + "\n" + secret, message = "")).
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    let key = format!("{timestamp_s}\n{secret}");
    BASE64.encode(hmac_sha256(key.as_bytes(), b""))
}

/// The generic webhook's `X-Gendan-Signature`: `sha256=` + hex HMAC-SHA256 of the exact body.
pub fn webhook_signature(secret: &str, body: &str) -> String {
    let digest = hmac_sha256(secret.as_bytes(), body.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// One HTTP POST to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// Size budgets for the rendered text, under each product's limit (WeCom markdown 4096 bytes;
/// DingTalk and Feishu allow ~20 KB): a long digest lists what fits and says how many it left out.
const WECOM_BUDGET: usize = 3800;
const ROBOT_BUDGET: usize = 15000;
const WEBHOOK_BUDGET: usize = 30000;

/// Builds the request for one message. `now_ms` is the real clock (signatures are checked
/// against the receiver's clock), not the scheduled time the cron works with.
pub fn build(
    kind: ChannelKind,
    url: &str,
    secret: Option<&str>,
    idempotency_key: &str,
    payload: &Payload,
    now_ms: i64,
) -> Result<Outgoing, String> {
    let secret = secret.filter(|s| !s.is_empty());
    let json = vec![(
        "content-type",
        "application/json; charset=utf-8".to_string(),
    )];
    let to_text = |value: serde_json::Value| value.to_string();
    match kind {
        ChannelKind::Wecom => Ok(Outgoing {
            url: url.to_string(),
            headers: json,
            body: to_text(serde_json::json!({
                "msgtype": "markdown",
                "markdown": { "content": markdown(payload, false, WECOM_BUDGET) },
            })),
        }),
        ChannelKind::Dingtalk => {
            let mut target = worker::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
            if let Some(secret) = secret {
                target
                    .query_pairs_mut()
                    .append_pair("timestamp", &now_ms.to_string())
                    .append_pair("sign", &dingtalk_sign(secret, now_ms));
            }
            let mobiles = mentioned_phones(payload);
            Ok(Outgoing {
                url: target.to_string(),
                headers: json,
                body: to_text(serde_json::json!({
                    "msgtype": "markdown",
                    "markdown": {
                        "title": title(payload),
                        "text": markdown(payload, true, ROBOT_BUDGET),
                    },
                    "at": { "atMobiles": mobiles, "isAtAll": false },
                })),
            })
        }
        ChannelKind::Feishu => {
            let mut body = serde_json::json!({
                "msg_type": "text",
                "content": { "text": plain_text(payload, ROBOT_BUDGET) },
            });
            if let Some(secret) = secret {
                let seconds = now_ms.div_euclid(1000);
                body["timestamp"] = seconds.to_string().into();
                body["sign"] = feishu_sign(secret, seconds).into();
            }
            Ok(Outgoing {
                url: url.to_string(),
                headers: json,
                body: to_text(body),
            })
        }
        ChannelKind::Webhook => {
            let mut body = serde_json::to_value(payload).map_err(|e| e.to_string())?;
            body["idempotency_key"] = idempotency_key.into();
            body["text"] = plain_text(payload, WEBHOOK_BUDGET).into();
            let body = to_text(body);
            let mut headers = json;
            headers.push(("idempotency-key", idempotency_key.to_string()));
            if let Some(secret) = secret {
                headers.push(("x-gendan-signature", webhook_signature(secret, &body)));
            }
            Ok(Outgoing {
                url: url.to_string(),
                headers,
                body,
            })
        }
    }
}

/// Whether the receiver took the message. The robots answer HTTP 200 with an error code in the
/// body when they refuse one (bad signature, keyword missing, rate limit), so the body decides.
/// The error names the status and the robot's numeric code only: the answer's text is never
/// quoted, because admins see these errors and a receiver (or whatever a URL reached) must not
/// be able to show them anything. Redirects (3xx, never followed) are failures.
pub fn check_answer(kind: ChannelKind, status: u16, body: &str) -> Result<(), String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}"));
    }
    let code_field = match kind {
        ChannelKind::Webhook => return Ok(()),
        ChannelKind::Wecom | ChannelKind::Dingtalk => &["errcode"][..],
        ChannelKind::Feishu => &["code", "StatusCode"][..],
    };
    let json: serde_json::Value = serde_json::from_str(body)
        .map_err(|_| format!("HTTP {status}, the answer is not the robot's JSON"))?;
    let code = code_field
        .iter()
        .find_map(|field| json.get(*field).and_then(serde_json::Value::as_i64));
    match code {
        Some(0) => Ok(()),
        Some(code) => Err(format!("error code {code}")),
        None => Err("no result code in the answer".to_string()),
    }
}

fn title(payload: &Payload) -> String {
    match payload {
        Payload::Digest(digest) => format!(
            "逾期提醒 {}：{} 个订单",
            digest.business_date,
            order_count(digest)
        ),
        Payload::CustomerNotice(notice) => {
            format!("订单进度通知 {}", inert_markdown(&notice.number))
        }
        Payload::Test(_) => "跟单测试消息".to_string(),
        Payload::LookupLocked(locked) => {
            format!("订单查询已暂停 {}", inert_markdown(&locked.number))
        }
        Payload::HelpAsked(help) => format!(
            "请{}处理 {}",
            inert_markdown(&help.department),
            inert_markdown(&help.number)
        ),
        Payload::WeeklySummary(week) => weekly_title(week),
    }
}

fn weekly_title(week: &WeeklyPayload) -> String {
    format!(
        "跟单周报 {}–{}",
        week.week_from.format("%-m月%-d日"),
        week.week_to.format("%-m月%-d日")
    )
}

/// The summary's lines; `bold` marks the figures where the format has emphasis.
fn weekly_lines(
    week: &WeeklyPayload,
    bold: fn(String) -> String,
    inert: fn(&str) -> String,
) -> Vec<String> {
    let mut lines = vec![
        format!(
            "新开 {} 单，完成 {} 单，取消 {} 单",
            bold(week.started.to_string()),
            bold(week.completed.to_string()),
            bold(week.cancelled.to_string())
        ),
        match week.on_time_percent {
            Some(p) => format!(
                "准时发货率 {}（发货日不晚于预计交付日期）",
                bold(format!("{p}%"))
            ),
            None => "准时发货率：上周没有带预计交付日期的发货".to_string(),
        },
        match &week.average_rating {
            Some(average) => format!(
                "客户平均评分 {}（{} 个评分）",
                bold(average.clone()),
                week.ratings
            ),
            None => "客户评分：上周没有新评分".to_string(),
        },
        format!("当前逾期 {} 单", bold(week.overdue_now.to_string())),
    ];
    if let Some(b) = &week.bottleneck {
        lines.push(format!(
            "瓶颈：{}，订单停留中位时间为时限的 {}%，{} 单正在等待",
            bold(inert(&b.stage_name)),
            b.median_of_sla_percent,
            b.waiting
        ));
    }
    lines
}

fn order_count(digest: &DigestPayload) -> usize {
    digest.people.iter().map(|p| p.orders.len()).sum()
}

fn mentioned_phones(payload: &Payload) -> Vec<String> {
    match payload {
        Payload::Digest(digest) => digest
            .people
            .iter()
            .filter_map(|p| p.work_phone.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// A message as lines, where order lines may be left out when the text is too long.
struct Lines {
    lines: Vec<(String, bool)>,
}

impl Lines {
    fn new() -> Self {
        Lines { lines: Vec::new() }
    }

    fn fixed(&mut self, line: String) {
        self.lines.push((line, false));
    }

    fn order(&mut self, line: String) {
        self.lines.push((line, true));
    }

    /// Joins the lines; order lines past `budget` bytes are dropped and counted in a last line.
    fn fit(self, budget: usize) -> String {
        let mut text = String::new();
        let mut left_out = 0;
        for (line, is_order) in self.lines {
            if is_order && (left_out > 0 || text.len() + line.len() + 1 > budget) {
                left_out += 1;
                continue;
            }
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&line);
        }
        if left_out > 0 {
            text.push_str(&format!(
                "\n……另有 {left_out} 个逾期订单未列出，请在跟单中查看"
            ));
        }
        text
    }
}

/// Text from people (names, companies, order numbers, stage labels, channel names) made inert
/// for WeCom's and DingTalk's markdown: every character markdown could read as syntax becomes
/// its full-width twin (［］（）＊＿＃｀＜＞｜～＼), `://` becomes `：//` so no URL in a
/// company name turns into a link, and line breaks become spaces so no text starts a heading,
/// a list or a quote (`-`, `+`, `=` and `!` matter only at a line's start or before `[`, so
/// order numbers such as GD-2026-001 keep their hyphens). Why look-alikes and not backslashes: neither robot documents backslash escapes
/// (a client that does not support them shows the backslash and still renders the link),
/// while full-width characters read the same to a person and mean nothing to any renderer.
/// Links the server makes itself (order pages, customer links) are never passed through this.
pub fn inert_markdown(text: &str) -> String {
    inert(text, |c| match c {
        '[' => Some('［'),
        ']' => Some('］'),
        '(' => Some('（'),
        ')' => Some('）'),
        '*' => Some('＊'),
        '_' => Some('＿'),
        '#' => Some('＃'),
        '`' => Some('｀'),
        '<' => Some('＜'),
        '>' => Some('＞'),
        '|' => Some('｜'),
        '~' => Some('～'),
        '\\' => Some('＼'),
        _ => None,
    })
}

/// Text from people made inert for plain-text messages (Feishu's text message, the webhook's
/// `text`): Feishu reads `<at user_id="all">` tags in text, so `<` and `>` become full-width;
/// URLs are broken as in `inert_markdown` and line breaks become spaces.
pub fn inert_plain(text: &str) -> String {
    inert(text, |c| match c {
        '<' => Some('＜'),
        '>' => Some('＞'),
        _ => None,
    })
}

fn inert(text: &str, twin: impl Fn(char) -> Option<char>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.replace("://", "：//").chars() {
        if c.is_control() {
            out.push(' ');
        } else {
            out.push(twin(c).unwrap_or(c));
        }
    }
    out
}

fn late_phrase(days: i64) -> String {
    format!("逾期 {days} 天")
}

/// WeCom and DingTalk markdown. `at_phones`: DingTalk @-mentions need `@<phone>` in the text.
fn markdown(payload: &Payload, at_phones: bool, budget: usize) -> String {
    let mut lines = Lines::new();
    match payload {
        Payload::Digest(digest) => {
            let md = inert_markdown;
            lines.fixed(format!("### 逾期提醒 · {}", digest.business_date));
            lines.fixed(format!(
                "共 **{}** 个订单的当前阶段已逾期，请尽快处理。",
                order_count(digest)
            ));
            for person in &digest.people {
                let mention = match (&person.work_phone, at_phones) {
                    (Some(phone), true) => format!(" @{phone}"),
                    _ => String::new(),
                };
                lines.fixed(String::new());
                lines.fixed(format!(
                    "**负责人：{}**（{} 个）{mention}",
                    md(&person.name),
                    person.orders.len()
                ));
                for order in &person.orders {
                    let number = match &order.link {
                        Some(link) => format!("[{}]({link})", md(&order.number)),
                        None => md(&order.number),
                    };
                    lines.order(format!(
                        "- {number} {}｜{}｜{}（应于 {} 完成）",
                        md(&order.company),
                        md(&order.stage_name),
                        late_phrase(order.days_late),
                        order.due_date
                    ));
                }
            }
        }
        Payload::CustomerNotice(notice) => {
            lines.fixed(format!(
                "### 订单进度通知 · {}",
                inert_markdown(&notice.number)
            ));
            lines.fixed(customer_sentence(notice, inert_markdown));
        }
        Payload::Test(test) => {
            lines.fixed("### 跟单测试消息".to_string());
            lines.fixed(test_sentence(test, inert_markdown));
        }
        Payload::LookupLocked(locked) => {
            lines.fixed(format!(
                "### 订单查询已暂停 · {}",
                inert_markdown(&locked.number)
            ));
            let number = match &locked.link {
                Some(link) => format!("[{}]({link})", inert_markdown(&locked.number)),
                None => inert_markdown(&locked.number),
            };
            lines.fixed(lookup_locked_sentence(locked, &number, inert_markdown));
        }
        Payload::HelpAsked(help) => {
            lines.fixed(format!(
                "### 请{}处理 · {}",
                inert_markdown(&help.department),
                inert_markdown(&help.number)
            ));
            let number = match &help.link {
                Some(link) => format!("[{}]({link})", inert_markdown(&help.number)),
                None => inert_markdown(&help.number),
            };
            lines.fixed(help_asked_sentence(help, &number, inert_markdown));
        }
        Payload::WeeklySummary(week) => {
            lines.fixed(format!("### {}", weekly_title(week)));
            for line in weekly_lines(week, |text| format!("**{text}**"), inert_markdown) {
                lines.fixed(format!("- {line}"));
            }
            if let Some(link) = &week.link {
                lines.fixed(format!("[打开分析]({link})"));
            }
        }
    }
    lines.fit(budget)
}

/// Feishu text and the generic webhook's `text`.
fn plain_text(payload: &Payload, budget: usize) -> String {
    let mut lines = Lines::new();
    match payload {
        Payload::Digest(digest) => {
            lines.fixed(format!(
                "【逾期提醒】{} 共 {} 个订单的当前阶段已逾期，请尽快处理。",
                digest.business_date,
                order_count(digest)
            ));
            let plain = inert_plain;
            for person in &digest.people {
                lines.fixed(format!(
                    "负责人：{}（{} 个）",
                    plain(&person.name),
                    person.orders.len()
                ));
                for order in &person.orders {
                    let link = order
                        .link
                        .as_ref()
                        .map(|link| format!(" {link}"))
                        .unwrap_or_default();
                    lines.order(format!(
                        "· {} {}｜{}｜{}（应于 {} 完成）{link}",
                        plain(&order.number),
                        plain(&order.company),
                        plain(&order.stage_name),
                        late_phrase(order.days_late),
                        order.due_date
                    ));
                }
            }
        }
        Payload::CustomerNotice(notice) => lines.fixed(customer_sentence(notice, inert_plain)),
        Payload::Test(test) => lines.fixed(test_sentence(test, inert_plain)),
        Payload::LookupLocked(locked) => {
            let link = locked
                .link
                .as_ref()
                .map(|link| format!(" {link}"))
                .unwrap_or_default();
            let number = inert_plain(&locked.number);
            lines.fixed(format!(
                "{}{link}",
                lookup_locked_sentence(locked, &number, inert_plain)
            ));
        }
        Payload::HelpAsked(help) => {
            let link = help
                .link
                .as_ref()
                .map(|link| format!(" {link}"))
                .unwrap_or_default();
            let number = inert_plain(&help.number);
            lines.fixed(format!(
                "{}{link}",
                help_asked_sentence(help, &number, inert_plain)
            ));
        }
        Payload::WeeklySummary(week) => {
            lines.fixed(format!("【{}】", weekly_title(week)));
            for line in weekly_lines(week, |text| text, inert_plain) {
                lines.fixed(format!("· {line}"));
            }
            if let Some(link) = &week.link {
                lines.fixed(format!("打开分析：{link}"));
            }
        }
    }
    lines.fit(budget)
}

/// `inert` makes each interpolated text safe for the message's format (the link is ours).
fn customer_sentence(notice: &CustomerNotice, inert: fn(&str) -> String) -> String {
    let link = notice
        .track_link
        .as_ref()
        .map(|link| format!("查看进度：{link}"))
        .unwrap_or_default();
    format!(
        "【{}】{}您好：您的订单 {} 已进入“{}”阶段。{}{link}",
        inert(&notice.company),
        inert(&notice.contact),
        inert(&notice.number),
        inert(&notice.stage_label),
        inert(&notice.message)
    )
}

/// `number` is already made inert (and maybe a link to the order).
fn lookup_locked_sentence(
    locked: &LookupLocked,
    number: &str,
    inert: fn(&str) -> String,
) -> String {
    format!(
        "【跟单】订单 {number}（{}）今天用电话后 4 位查询错误已达 {} 次，按订单号查询已暂停到今天结束。\
         负责人：{}。如客户需要查看进度，请在订单页用“分享”发送链接（链接不受影响）；如非客户本人操作，可能有人在猜测号码。",
        inert(&locked.company),
        locked.allowance,
        inert(&locked.owner_name),
    )
}

/// `number` is already made inert (and maybe a link to the order).
fn help_asked_sentence(help: &HelpAsked, number: &str, inert: fn(&str) -> String) -> String {
    format!(
        "【跟单】{} 请{}处理订单 {number}（{}）：{}。订单在“{}”阶段，等这一项登记后才能继续。",
        inert(&help.asked_by),
        inert(&help.department),
        inert(&help.company),
        inert(&help.task),
        inert(&help.stage_name),
    )
}

fn test_sentence(test: &TestMessage, inert: fn(&str) -> String) -> String {
    format!(
        "【跟单】测试消息：渠道“{}”已配置成功，可以接收跟单的逾期提醒和通知。（{} 发送）",
        inert(&test.channel_name),
        inert(&test.requested_by)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{OverdueOrder, PersonDigest};
    use chrono::NaiveDate;
    use uuid::Uuid;

    // Expected values computed independently with Python 3:
    // hmac.new(key, msg, hashlib.sha256) + base64.b64encode / urllib.parse.quote_plus.
    #[test]
    fn dingtalk_signature_matches_the_documented_algorithm() {
        assert_eq!(
            dingtalk_sign("SECtest-secret", 1_700_000_000_000),
            "LC7hxZ4wslL+P7j7gu1hoQ+wzByekL+yWgiUMekZs0g="
        );
    }

    #[test]
    fn feishu_signature_uses_timestamp_and_secret_as_the_key_of_an_empty_message() {
        assert_eq!(
            feishu_sign("feishu-secret", 1_700_000_000),
            "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU="
        );
    }

    #[test]
    fn webhook_signature_is_hex_hmac_of_the_body() {
        assert_eq!(
            webhook_signature("hook-secret", r#"{"a":1}"#),
            "sha256=eb8ded9d103e519ca7e2ab1be0df069c649c61531b59a9dcbf2fa2e799fb1fa6"
        );
    }

    fn digest(orders: usize) -> Payload {
        let order = |i: usize| OverdueOrder {
            order_id: Uuid::from_u128(i as u128),
            number: format!("GD-{i:03}"),
            company: "杭州明远纺织有限公司".into(),
            stage_id: "requirement".into(),
            stage_name: "需求确认".into(),
            responsible: "王芳".into(),
            due_date: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
            days_late: 8,
            link: Some(format!("https://gd.example.com/orders/{i}")),
        };
        Payload::Digest(DigestPayload {
            business_date: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            people: vec![PersonDigest {
                user_id: "u-wangfang".into(),
                name: "王芳".into(),
                work_phone: Some("13857123456".into()),
                orders: (0..orders).map(order).collect(),
            }],
        })
    }

    #[test]
    fn dingtalk_request_carries_the_url_encoded_signature_and_mentions() {
        let out = build(
            ChannelKind::Dingtalk,
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            Some("SECtest-secret"),
            "digest:c1:2026-12-07",
            &digest(1),
            1_700_000_000_000,
        )
        .unwrap();
        assert_eq!(
            out.url,
            "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000\
             &sign=LC7hxZ4wslL%2BP7j7gu1hoQ%2BwzByekL%2ByWgiUMekZs0g%3D"
        );
        let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(body["msgtype"], "markdown");
        assert_eq!(body["at"]["atMobiles"][0], "13857123456");
        let text = body["markdown"]["text"].as_str().unwrap();
        for part in [
            "GD-000",
            "杭州明远纺织有限公司",
            "需求确认",
            "王芳",
            "逾期 8 天",
            "https://gd.example.com/orders/0",
            "@13857123456",
        ] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
    }

    #[test]
    fn feishu_request_signs_in_the_body_with_seconds() {
        let out = build(
            ChannelKind::Feishu,
            "https://open.feishu.cn/open-apis/bot/v2/hook/x",
            Some("feishu-secret"),
            "k",
            &digest(1),
            1_700_000_000_999,
        )
        .unwrap();
        let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(body["timestamp"], "1700000000");
        assert_eq!(body["sign"], "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU=");
        assert_eq!(body["msg_type"], "text");
        assert!(body["content"]["text"]
            .as_str()
            .unwrap()
            .contains("负责人：王芳"));
    }

    #[test]
    fn unsigned_robots_send_no_signature() {
        let out = build(
            ChannelKind::Feishu,
            "https://open.feishu.cn/open-apis/bot/v2/hook/x",
            None,
            "k",
            &digest(1),
            0,
        )
        .unwrap();
        let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
        assert!(body.get("sign").is_none() && body.get("timestamp").is_none());
        let out = build(
            ChannelKind::Dingtalk,
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            Some(""),
            "k",
            &digest(1),
            0,
        )
        .unwrap();
        assert_eq!(
            out.url,
            "https://oapi.dingtalk.com/robot/send?access_token=abc"
        );
    }

    #[test]
    fn webhook_request_has_structured_fields_text_idempotency_key_and_signature() {
        let out = build(
            ChannelKind::Webhook,
            "https://hooks.example.com/gendan",
            Some("hook-secret"),
            "digest:c1:2026-12-07",
            &digest(2),
            0,
        )
        .unwrap();
        let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(body["kind"], "digest");
        assert_eq!(body["idempotency_key"], "digest:c1:2026-12-07");
        assert_eq!(body["people"][0]["orders"][1]["number"], "GD-001");
        assert!(body["text"].as_str().unwrap().contains("逾期 8 天"));
        let header = |name: &str| {
            out.headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            header("idempotency-key").as_deref(),
            Some("digest:c1:2026-12-07")
        );
        assert_eq!(
            header("x-gendan-signature"),
            Some(webhook_signature("hook-secret", &out.body))
        );
    }

    #[test]
    fn wecom_markdown_stays_under_its_limit_and_says_what_it_left_out() {
        let out = build(
            ChannelKind::Wecom,
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            None,
            "k",
            &digest(200),
            0,
        )
        .unwrap();
        let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(body["msgtype"], "markdown");
        let content = body["markdown"]["content"].as_str().unwrap();
        assert!(content.len() <= 4096, "{} bytes", content.len());
        assert!(content.contains("个逾期订单未列出"));
        assert!(content.contains("共 **200** 个订单"));
        // WeCom markdown cannot @ by phone: no stray "@phone" text.
        assert!(!content.contains("@1385"));
    }

    #[test]
    fn failures_never_quote_the_answer() {
        let body = r#"{"errcode":310000,"errmsg":"internal secret 10.0.0.7 admin panel"}"#;
        assert_eq!(
            check_answer(ChannelKind::Dingtalk, 200, body).unwrap_err(),
            "error code 310000"
        );
        assert_eq!(
            check_answer(ChannelKind::Webhook, 500, "<html>internal dashboard</html>").unwrap_err(),
            "HTTP 500"
        );
        assert_eq!(
            check_answer(ChannelKind::Webhook, 302, "").unwrap_err(),
            "HTTP 302"
        );
        let not_json = check_answer(ChannelKind::Wecom, 200, "hello from inside").unwrap_err();
        assert!(!not_json.contains("hello"), "{not_json}");
    }

    #[test]
    fn robots_refusing_with_http_200_count_as_failures() {
        assert!(check_answer(ChannelKind::Dingtalk, 200, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert!(check_answer(
            ChannelKind::Dingtalk,
            200,
            r#"{"errcode":310000,"errmsg":"sign not match"}"#
        )
        .is_err());
        assert!(check_answer(ChannelKind::Wecom, 200, r#"{"errcode":93000}"#).is_err());
        assert!(check_answer(ChannelKind::Wecom, 200, "ok").is_err());
        assert!(check_answer(ChannelKind::Feishu, 200, r#"{"code":0,"msg":"success"}"#).is_ok());
        assert!(check_answer(ChannelKind::Feishu, 200, r#"{"StatusCode":0}"#).is_ok());
        assert!(check_answer(ChannelKind::Feishu, 200, r#"{"code":19021,"msg":"sign"}"#).is_err());
        assert!(check_answer(ChannelKind::Webhook, 204, "").is_ok());
        assert!(check_answer(ChannelKind::Webhook, 500, "boom").is_err());
        assert!(check_answer(ChannelKind::Wecom, 502, "").is_err());
    }

    fn hostile_digest() -> Payload {
        let Payload::Digest(mut digest) = digest(1) else {
            unreachable!()
        };
        digest.people[0].name = "王芳](https://evil.example/a) **紧急**".into();
        let order = &mut digest.people[0].orders[0];
        order.company = "[点此领取补贴](https://evil.example/phish)\n### 假标题 <at user_id=\"all\">所有人</at>".into();
        order.number = "GD-1](https://evil.example)".into();
        Payload::Digest(digest)
    }

    /// A markdown message is safe when nothing of the hostile text can become a link, a
    /// heading, bold text, a tag or a clickable URL: the only links are the server's own.
    fn assert_no_injected_markup(text: &str) {
        assert!(!text.contains("](https://evil"), "{text}");
        assert!(
            !text.contains("https://evil"),
            "a bare URL would be auto-linked: {text}"
        );
        assert!(!text.contains("<at"), "{text}");
        assert!(!text.contains("\n### 假标题"), "{text}");
        assert!(!text.contains("**紧急**"), "{text}");
    }

    #[test]
    fn wecom_and_dingtalk_markdown_neutralise_links_headings_and_bold_in_names_and_companies() {
        for kind in [ChannelKind::Wecom, ChannelKind::Dingtalk] {
            let out = build(
                kind,
                "https://oapi.dingtalk.com/robot/send?access_token=abc",
                None,
                "k",
                &hostile_digest(),
                0,
            )
            .unwrap();
            let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
            let text = body["markdown"]["content"]
                .as_str()
                .or(body["markdown"]["text"].as_str())
                .unwrap();
            assert_no_injected_markup(text);
            // Still readable, and the server's own link to the order is still a link.
            assert!(
                text.contains("［点此领取补贴］（https：//evil.example/phish）"),
                "{text}"
            );
            assert!(text.contains("(https://gd.example.com/orders/0)"), "{text}");
        }
    }

    #[test]
    fn feishu_text_cannot_mention_everyone_or_carry_a_link_from_a_company_name() {
        let out = build(
            ChannelKind::Feishu,
            "https://open.feishu.cn/open-apis/bot/v2/hook/x",
            None,
            "k",
            &hostile_digest(),
            0,
        )
        .unwrap();
        let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
        let text = body["content"]["text"].as_str().unwrap();
        // Plain text: markdown means nothing there, but tags, URLs and line breaks do.
        assert!(!text.contains("https://evil"), "{text}");
        assert!(!text.contains("<at"), "{text}");
        assert!(!text.contains("\n### 假标题"), "{text}");
        assert!(text.contains("＜at user_id"), "{text}");
        assert!(text.contains("https://gd.example.com/orders/0"), "{text}");
    }

    #[test]
    fn customer_notices_and_test_messages_escape_every_interpolated_text() {
        let notice = Payload::CustomerNotice(CustomerNotice {
            order_id: Uuid::nil(),
            number: "GD-7".into(),
            company: "[赢大奖](http://evil.example)".into(),
            contact: "**周建国**".into(),
            phone: "13857101234".into(),
            email: None,
            stage_id: "contract".into(),
            stage_label: "`签订合同`".into(),
            message: "<at user_id=\"all\"></at>".into(),
            track_link: Some("https://gd.example.com/t/abc".into()),
        });
        let text = markdown(&notice, true, ROBOT_BUDGET);
        assert!(!text.contains("](http"), "{text}");
        assert!(
            !text.contains("**周建国**") && !text.contains("`签订合同`"),
            "{text}"
        );
        assert!(!text.contains("<at"), "{text}");
        assert!(
            text.ends_with("查看进度：https://gd.example.com/t/abc"),
            "{text}"
        );
        let test = Payload::Test(TestMessage {
            channel_name: "[群](https://evil.example)".into(),
            requested_by: "管理员 **".into(),
        });
        let text = markdown(&test, false, ROBOT_BUDGET);
        assert!(!text.contains("](https") && !text.contains("**"), "{text}");
    }

    #[test]
    fn customer_notice_text_names_the_order_stage_and_link() {
        let notice = Payload::CustomerNotice(CustomerNotice {
            order_id: Uuid::nil(),
            number: "GD-7".into(),
            company: "杭州明远纺织有限公司".into(),
            contact: "周建国".into(),
            phone: "13857101234".into(),
            email: None,
            stage_id: "contract".into(),
            stage_label: "签订合同".into(),
            message: "合同正在准备和签署中。".into(),
            track_link: Some("https://gd.example.com/track?number=GD-7".into()),
        });
        let text = plain_text(&notice, WEBHOOK_BUDGET);
        assert_eq!(
            text,
            "【杭州明远纺织有限公司】周建国您好：您的订单 GD-7 已进入“签订合同”阶段。\
             合同正在准备和签署中。查看进度：https://gd.example.com/track?number=GD-7"
        );
    }

    #[test]
    fn a_request_for_help_names_who_asked_whom_for_what_with_the_order_link_and_escapes_text() {
        let help = Payload::HelpAsked(HelpAsked {
            order_id: Uuid::nil(),
            number: "GD-8".into(),
            company: "[点我](https://evil.example)".into(),
            stage_name: "发货发票".into(),
            asked_by: "王芳".into(),
            department: "财务".into(),
            task: "登记发票".into(),
            link: Some("https://gd.example.com/orders/0".into()),
        });
        let text = plain_text(&help, WEBHOOK_BUDGET);
        assert!(
            text.starts_with("【跟单】王芳 请财务处理订单 GD-8"),
            "{text}"
        );
        assert!(text.contains("：登记发票。"), "{text}");
        assert!(text.ends_with(" https://gd.example.com/orders/0"), "{text}");
        let text = markdown(&help, true, ROBOT_BUDGET);
        assert!(text.starts_with("### 请财务处理 · GD-8"), "{text}");
        assert!(
            text.contains("[GD-8](https://gd.example.com/orders/0)"),
            "{text}"
        );
        assert!(!text.contains("](https://evil"), "{text}");
    }

    #[test]
    fn the_weekly_summary_names_the_figures_and_keeps_a_stage_name_inert() {
        let week = |bottleneck, on_time, rating: Option<&str>| {
            Payload::WeeklySummary(WeeklyPayload {
                week_from: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                week_to: chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
                started: 12,
                completed: 5,
                cancelled: 1,
                on_time_percent: on_time,
                average_rating: rating.map(str::to_string),
                ratings: 4,
                overdue_now: 3,
                bottleneck,
                link: Some("https://gd.example.com/desk/analytics".into()),
            })
        };
        let full = week(
            Some(super::super::WeeklyBottleneck {
                stage_id: "production".into(),
                stage_name: "[生产](https://evil.example)".into(),
                median_of_sla_percent: 180,
                waiting: 4,
            }),
            Some(83),
            Some("4.5"),
        );
        let text = markdown(&full, false, WECOM_BUDGET);
        assert!(text.starts_with("### 跟单周报 11月30日–12月6日"), "{text}");
        for part in [
            "新开 **12** 单，完成 **5** 单，取消 **1** 单",
            "准时发货率 **83%**",
            "客户平均评分 **4.5**（4 个评分）",
            "当前逾期 **3** 单",
            "为时限的 180%，4 单正在等待",
            "[打开分析](https://gd.example.com/desk/analytics)",
        ] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
        assert!(!text.contains("](https://evil"), "{text}");
        let plain = plain_text(&full, ROBOT_BUDGET);
        assert!(
            plain.starts_with("【跟单周报 11月30日–12月6日】"),
            "{plain}"
        );
        assert!(
            plain.contains("· 新开 12 单，完成 5 单，取消 1 单"),
            "{plain}"
        );
        // A quiet week says so instead of showing empty figures.
        let quiet = plain_text(&week(None, None, None), ROBOT_BUDGET);
        assert!(quiet.contains("上周没有带预计交付日期的发货"), "{quiet}");
        assert!(quiet.contains("上周没有新评分"), "{quiet}");
        assert!(!quiet.contains("瓶颈"), "{quiet}");
        assert_eq!(title(&full), "跟单周报 11月30日–12月6日");
    }
}
