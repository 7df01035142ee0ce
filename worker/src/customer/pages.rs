//! The customer pages, rendered here as plain HTML (maud escapes every value) and working with
//! no JavaScript at all: `/track` (look up by number + phone digits) and `/t/<token>` (one
//! order: timeline, shipment, sales contact; once open, rating and after-sales forms).
//!
//! Why not the Leptos app: a customer's first visit would download the whole team app (600 KiB
//! of wasm) to show one page; Lighthouse scored that 71. These pages are a few KiB of HTML and
//! one small, long-cached stylesheet (`/track.css`).
//!
//! Forms POST to the worker and follow Post/Redirect/Get: a success answers 303 to the order
//! page (so reloading never submits twice), an error renders the page again with the message
//! and the status the API would give. The language (中文 default, `?lang=en`) travels in every
//! link and form. The after-sales form carries a request id made when the page was rendered, so
//! a double tap on "submit" files one request.

use chrono::NaiveDate;
use domain::{
    feedback::{COMMENT_MAX, CONTACT_MAX, DESCRIPTION_MAX},
    AfterSalesKind, CustomerStageState, CustomerStatus, CustomerView, Lang,
};
use maud::{html, Markup, DOCTYPE};
use uuid::Uuid;
use worker::{Headers, Request, Response, RouteContext};

use crate::{auth::crypto, error::ApiError};

use super::track::{self, Caller, CustomerAction, TrackAccess, MAX_ORDER_NUMBER_CHARS};

/// The stylesheet, compiled in. Its URL carries a hash of its content, so browsers may keep it
/// for a year and still never use an old one.
const STYLESHEET: &str = include_str!("../../../style/track.css");

/// Pages answer with these, on top of the content type: nothing may run or load except our own
/// stylesheet, forms go only to us, no framing, and no referrer (the URL holds a token).
const PAGE_SECURITY_HEADERS: [(&str, &str); 5] = [
    (
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    ),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    // Pages show one customer's order and hold a token in their URL: never stored by caches.
    ("cache-control", "no-store"),
];

/// Form bodies are a few fields; anything larger is not ours.
const MAX_FORM_BYTES: usize = 16 * 1024;

fn stylesheet_version() -> String {
    // FNV-1a: not for security, only to change the URL when the file changes.
    let hash = STYLESHEET
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    crypto::hex(&hash.to_be_bytes()[..6])
}

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    lang.pick(zh, en)
}

fn lang_query(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "",
        Lang::En => "?lang=en",
    }
}

fn date(lang: Lang, date: NaiveDate) -> String {
    match lang {
        Lang::Zh => date.format("%Y年%-m月%-d日").to_string(),
        Lang::En => date.format("%-d %b %Y").to_string(),
    }
}

/// The frame every page shares: `<html lang>`, the title, the stylesheet, the language switch
/// (to the same page in the other language).
fn layout(lang: Lang, title: &str, switch_to: (&str, &str), body: Markup) -> Markup {
    let (other_href, other_label) = switch_to;
    html! {
        (DOCTYPE)
        html lang=(pick(lang, "zh-CN", "en")) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex";
                title { (title) }
                link rel="stylesheet" href={ "/track.css?v=" (stylesheet_version()) };
                link rel="icon" href="/icons/icon.svg" type="image/svg+xml";
            }
            body {
                header.top {
                    span.brand { (pick(lang, "订单进度查询", "Order tracking")) }
                    a.lang href=(other_href) lang=(pick(lang, "en", "zh-CN")) { (other_label) }
                }
                main { (body) }
            }
        }
    }
}

fn switch_for(lang: Lang, path: &str) -> (String, &'static str) {
    match lang {
        Lang::Zh => (format!("{path}?lang=en"), "English"),
        Lang::En => (path.to_string(), "中文"),
    }
}

fn notice(kind: &str, text: &str) -> Markup {
    html! {
        p class={ "notice " (kind) } role=(if kind == "error" { "alert" } else { "status" }) { (text) }
    }
}

fn lookup_form(lang: Lang, number: &str, error: Option<&str>) -> Markup {
    html! {
        section.card {
            h1 { (pick(lang, "查询订单进度", "Track your order")) }
            p.intro { (pick(lang, "输入订单号和联系电话后 4 位，即可查看订单进度。",
                "Enter the order number and the last 4 digits of the contact phone.")) }
            @if let Some(error) = error {
                p.notice.error role="alert" data-testid="track-error" { (error) }
            }
            form method="post" action="/track" {
                input type="hidden" name="lang" value=(lang_name(lang));
                label for="order_number" { (pick(lang, "订单号", "Order number")) }
                input #order_number type="text" name="order_number" value=(number) required
                    maxlength=(MAX_ORDER_NUMBER_CHARS) autocomplete="off" autocapitalize="characters"
                    spellcheck="false" placeholder=(pick(lang, "例如 GD-20261126-7F3A", "e.g. GD-20261126-7F3A"));
                label for="phone_last4" { (pick(lang, "联系电话后 4 位", "Last 4 digits of phone")) }
                input #phone_last4 type="text" name="phone_last4" required inputmode="numeric"
                    pattern="[0-9]{4}" maxlength="4" autocomplete="off";
                button type="submit" { (pick(lang, "查询", "Look up")) }
            }
        }
    }
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

fn status_label(lang: Lang, status: CustomerStatus) -> &'static str {
    match status {
        CustomerStatus::InProgress => pick(lang, "进行中", "In progress"),
        CustomerStatus::Completed => pick(lang, "已完成", "Completed"),
        CustomerStatus::Cancelled => pick(lang, "已取消", "Cancelled"),
    }
}

/// What a form on the order page said last, to show beside that form.
#[derive(Default)]
struct FormState<'a> {
    rating_error: Option<String>,
    after_sales_error: Option<String>,
    /// What the customer typed, kept when the form is shown again with an error.
    typed_comment: Option<&'a str>,
    typed_stars: Option<u8>,
    typed_kind: Option<AfterSalesKind>,
    typed_description: Option<&'a str>,
    typed_contact: Option<&'a str>,
    done: Option<String>,
}

fn order_page(
    lang: Lang,
    view: &CustomerView,
    access: &TrackAccess,
    request_id: Uuid,
    state: FormState<'_>,
) -> Markup {
    let base = format!("/t/{}", access.token);
    let hidden_lang = html! { input type="hidden" name="lang" value=(lang_name(lang)); };
    html! {
        @if let Some(done) = &state.done {
            (notice("ok", done))
        }
        section.card data-testid="track-result" {
            p.number { (view.order_number) }
            h1 { (view.company) }
            p { span class={ "status " (status_class(view.status)) } { (status_label(lang, view.status)) } }
            p.message { (view.current_message) }
            dl.facts {
                @if let Some(day) = view.expected_delivery {
                    div { dt { (pick(lang, "预计交付", "Expected delivery")) } dd { (date(lang, day)) } }
                }
                @if !view.items.is_empty() {
                    div data-testid="track-items" {
                        dt { (pick(lang, "订购货品", "Items")) }
                        dd {
                            ul.items {
                                @for item in &view.items {
                                    li { (item.product) " × " (item.quantity) (item.unit) }
                                }
                            }
                        }
                    }
                }
                @if let Some(shipment) = &view.shipment {
                    div {
                        dt { (pick(lang, "物流信息", "Shipment")) }
                        dd {
                            (shipment.carrier) " · "
                            // One tap selects the whole number for copying (no script on these pages).
                            span.tracking data-testid="tracking-no" { (shipment.tracking_no) }
                            @if let Some(link) = domain::carrier::tracking_link(&shipment.carrier, &shipment.tracking_no) {
                                br;
                                a.track-link data-testid="tracking-link" href=(link) target="_blank" rel="noopener noreferrer" {
                                    (pick(lang, "查看物流轨迹", "Track the parcel"))
                                }
                            }
                            br;
                            span.muted { (pick(lang, "发货日期 ", "Shipped ")) (date(lang, shipment.shipped_on)) }
                        }
                    }
                }
                div {
                    dt { (pick(lang, "销售联系人", "Sales contact")) }
                    dd {
                        (view.sales_contact.name)
                        @if let Some(phone) = &view.sales_contact.phone {
                            " " a.tel href={ "tel:" (phone.replace(' ', "")) } { (phone) }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (pick(lang, "进度", "Progress")) }
            ol.timeline {
                @for stage in &view.stages {
                    li class={ "timeline-step " (stage_class(stage.state)) }
                        aria-current=[(stage.state == CustomerStageState::Current).then_some("step")] {
                        span.label { (stage.label) }
                        @if let Some(day) = stage.reached_on {
                            span.date { (date(lang, day)) }
                        }
                    }
                }
            }
        }
        @if view.feedback_open || view.feedback.is_some() {
            section.card #feedback {
                h2 { (pick(lang, "满意度评价", "Your rating")) }
                @if let Some(feedback) = &view.feedback {
                    p.given data-testid="feedback-given" {
                        span.stars aria-label={ (feedback.stars) (pick(lang, " 星", " stars")) } {
                            (domain::stars_text(feedback.stars))
                        }
                        " " span.muted { (date(lang, feedback.given_on)) }
                    }
                    @if !feedback.comment.is_empty() {
                        p.comment data-testid="feedback-comment" { (feedback.comment) }
                    }
                    @if let Some(until) = feedback.editable_until {
                        p.muted { (pick(lang, "可修改至 ", "You can change it until "))
                            (date(lang, domain::business_date(until))) }
                    }
                }
                @if let Some(error) = &state.rating_error {
                    p.notice.error role="alert" { (error) }
                }
                @let editable = view.feedback.as_ref().map_or(view.feedback_open, |f| f.editable_until.is_some());
                @if editable {
                    @let current = state.typed_stars.or(view.feedback.as_ref().map(|f| f.stars));
                    form method="post" action={ (base) "/rating" } {
                        (hidden_lang)
                        fieldset.stars-input {
                            legend { (pick(lang, "评分（1–5 星）", "Stars (1–5)")) }
                            @for n in 1..=5u8 {
                                label.star {
                                    input type="radio" name="stars" value=(n) required checked[current == Some(n)];
                                    span { (n) " ★" }
                                }
                            }
                        }
                        label for="comment" { (pick(lang, "评价内容（可选）", "Comment (optional)")) }
                        textarea #comment name="comment" rows="3" maxlength=(COMMENT_MAX) {
                            (state.typed_comment.map(str::to_string)
                                .or_else(|| view.feedback.as_ref().map(|f| f.comment.clone()))
                                .unwrap_or_default())
                        }
                        button type="submit" {
                            @if view.feedback.is_some() { (pick(lang, "修改评价", "Update rating")) }
                            @else { (pick(lang, "提交评价", "Submit rating")) }
                        }
                    }
                }
            }
        }
        @if !view.attachments.is_empty() {
            section.card #files {
                h2 { (pick(lang, "单据与照片", "Documents and photos")) }
                ul.files data-testid="customer-files" {
                    @for file in &view.attachments {
                        li {
                            a href={ (base) "/files/" (file.id) } {
                                @if file.has_thumbnail {
                                    img src={ (base) "/files/" (file.id) "/thumbnail" } alt=(file.kind_label) width="72" height="72";
                                }
                                span { strong { (file.kind_label) } " " span.muted { (date(lang, file.added_on)) } }
                            }
                        }
                    }
                }
            }
        }
        @if view.feedback_open || !view.after_sales.is_empty() {
            section.card #after-sales {
                h2 { (pick(lang, "售后服务", "After-sales service")) }
                @if !view.after_sales.is_empty() {
                    ul.requests data-testid="after-sales-list" {
                        @for request in &view.after_sales {
                            li {
                                p { strong { (request.kind_label) } " " span.muted { (date(lang, request.submitted_on)) } }
                                p.description { (request.description) }
                                p {
                                    @match request.resolved_on {
                                        Some(day) => span.status.done { (pick(lang, "已处理 ", "Resolved ")) (date(lang, day)) },
                                        None => span.status.open { (pick(lang, "处理中", "In progress")) },
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(error) = &state.after_sales_error {
                    p.notice.error role="alert" { (error) }
                }
                @if view.feedback_open {
                    form method="post" action={ (base) "/after-sales" } {
                        (hidden_lang)
                        input type="hidden" name="request_id" value=(request_id);
                        label for="kind" { (pick(lang, "问题类型", "Type of problem")) }
                        select #kind name="kind" required {
                            @for kind in AfterSalesKind::ALL {
                                option value=(kind.as_str()) selected[state.typed_kind == Some(kind)] { (kind.label(lang)) }
                            }
                        }
                        label for="description" { (pick(lang, "问题描述", "Description")) }
                        textarea #description name="description" rows="4" required maxlength=(DESCRIPTION_MAX) {
                            (state.typed_description.unwrap_or_default())
                        }
                        label for="contact" { (pick(lang, "联系方式", "How to reach you")) }
                        input #contact type="text" name="contact" required maxlength=(CONTACT_MAX)
                            value=(state.typed_contact.unwrap_or_default()) autocomplete="tel";
                        button type="submit" { (pick(lang, "提交售后申请", "Send request")) }
                    }
                }
            }
        }
        @if let Ok(until) = chrono::DateTime::parse_from_rfc3339(&access.expires_at) {
            p.muted.small { (pick(lang, "此链接有效期至 ", "This link works until "))
                (date(lang, domain::business_date(until.with_timezone(&chrono::Utc)))) }
        }
    }
}

fn status_class(status: CustomerStatus) -> &'static str {
    match status {
        CustomerStatus::InProgress => "open",
        CustomerStatus::Completed => "done",
        CustomerStatus::Cancelled => "cancelled",
    }
}

fn stage_class(state: CustomerStageState) -> &'static str {
    match state {
        CustomerStageState::Done => "done",
        CustomerStageState::Current => "current",
        CustomerStageState::Upcoming => "upcoming",
    }
}

fn html_response(markup: Markup, status: u16) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "text/html; charset=utf-8");
    for (name, value) in PAGE_SECURITY_HEADERS {
        // Static, valid header names and values: setting them cannot fail.
        let _ = headers.set(name, value);
    }
    Response::ok(markup.into_string())
        .map(|response| response.with_status(status).with_headers(headers))
        .unwrap_or_else(|_| Response::empty().expect("an empty response is always valid"))
}

fn see_other(location: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("location", location);
    let _ = headers.set("cache-control", "no-store");
    let _ = headers.set("referrer-policy", "no-referrer");
    Response::empty()
        .map(|response| response.with_status(303).with_headers(headers))
        .unwrap_or_else(|_| Response::empty().expect("an empty response is always valid"))
}

/// An error page: the message, and the lookup form (the way on for an expired link too).
fn error_page(lang: Lang, error: &ApiError, number: &str) -> Response {
    let title = pick(lang, "订单进度查询", "Track your order");
    let (href, label) = switch_for(lang, "/track");
    let message = error.message(lang);
    let mut response = html_response(
        layout(
            lang,
            title,
            (&href, label),
            lookup_form(lang, number, Some(&message)),
        ),
        error.status(),
    );
    if let ApiError::TooManyAttempts { retry_after_secs } = error {
        let _ = response
            .headers_mut()
            .set("retry-after", &retry_after_secs.to_string());
    }
    response
}

/// The form fields of a urlencoded body, refusing other content types and big bodies.
async fn read_form(req: &mut Request) -> Result<Vec<(String, String)>, ApiError> {
    let bytes =
        crate::http::read_body(req, "application/x-www-form-urlencoded", MAX_FORM_BYTES).await?;
    Ok(url::form_urlencoded::parse(&bytes).into_owned().collect())
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or("")
}

fn form_lang(fields: &[(String, String)]) -> Lang {
    if field(fields, "lang") == "en" {
        Lang::En
    } else {
        Lang::Zh
    }
}

fn query_value(req: &Request, name: &str) -> Option<String> {
    req.url().ok().and_then(|url| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    })
}

fn token_of(ctx: &RouteContext<()>) -> String {
    ctx.param("token").cloned().unwrap_or_default()
}

/// `GET /track`: the lookup form.
pub async fn track_form(req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    let lang = track::lang_of(&req);
    let (href, label) = switch_for(lang, "/track");
    Ok(html_response(
        layout(
            lang,
            pick(lang, "订单进度查询", "Track your order"),
            (&href, label),
            lookup_form(lang, "", None),
        ),
        200,
    ))
}

/// `POST /track`: number + digits → 303 to the order page with a short-lived token.
pub async fn track_submit(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let fields = match read_form(&mut req).await {
        Ok(fields) => fields,
        Err(error) => return Ok(error_page(Lang::Zh, &error, "")),
    };
    let lang = form_lang(&fields);
    let number = field(&fields, "order_number");
    let caller = Caller::new(&ctx.env, &req);
    match track::lookup_by_number(&caller, number, field(&fields, "phone_last4"), lang).await {
        Ok((_, access)) => Ok(see_other(&format!(
            "/t/{}{}",
            access.token,
            lang_query(lang)
        ))),
        Err(error) => Ok(error_page(lang, &error, number)),
    }
}

fn render_order(
    lang: Lang,
    view: &CustomerView,
    access: &TrackAccess,
    state: FormState<'_>,
    status: u16,
) -> Response {
    // A fresh id per rendering: a double tap sends the same one, a new request gets a new page.
    let request_id = crypto::random_uuid()
        .ok()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(Uuid::nil);
    let (href, label) = switch_for(lang, &format!("/t/{}", access.token));
    let title = format!(
        "{} · {}",
        view.order_number,
        pick(lang, "订单进度", "Order progress")
    );
    html_response(
        layout(
            lang,
            &title,
            (&href, label),
            order_page(lang, view, access, request_id, state),
        ),
        status,
    )
}

/// `GET /t/<token>/files/<id>` and `…/thumbnail`: a customer-visible attachment (`track.rs`
/// decides); a refusal is the lookup page with the reason, like a bad link.
pub async fn order_file(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let lang = track::lang_of(&req);
    let caller = Caller::new(&ctx.env, &req);
    let attachment_id = ctx.param("attachment_id").cloned().unwrap_or_default();
    let thumbnail = req.path().ends_with("/thumbnail");
    match track::customer_file(&caller, &token_of(&ctx), &attachment_id, thumbnail).await {
        Ok(response) => Ok(response),
        Err(error) => Ok(error_page(lang, &error, "")),
    }
}

/// `GET /t/<token>`: the order page; a bad or expired link gets the message and the lookup form.
pub async fn order(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let lang = track::lang_of(&req);
    let caller = Caller::new(&ctx.env, &req);
    let done = match query_value(&req, "done").as_deref() {
        Some("rating") => Some(pick(lang, "感谢您的评价！", "Thank you for your rating!")),
        Some("after_sales") => Some(pick(
            lang,
            "售后申请已提交，我们会尽快与您联系。",
            "Your request was sent; we will contact you soon.",
        )),
        _ => None,
    };
    match track::open_link(&caller, &token_of(&ctx), lang).await {
        Ok((view, access)) => {
            let state = FormState {
                done: done.map(str::to_string),
                ..FormState::default()
            };
            Ok(render_order(lang, &view, &access, state, 200))
        }
        Err(error) => Ok(error_page(lang, &error, "")),
    }
}

/// `POST /t/<token>/rating` and `/after-sales`: the customer's change, then 303 back to the
/// page; a refusal shows the page again with the message beside the form and what was typed.
pub async fn order_action(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let token = token_of(&ctx);
    let rating = req.path().ends_with("/rating");
    let fields = match read_form(&mut req).await {
        Ok(fields) => fields,
        Err(error) => return Ok(error_page(Lang::Zh, &error, "")),
    };
    let lang = form_lang(&fields);
    let caller = Caller::new(&ctx.env, &req);
    let stars: Option<u8> = field(&fields, "stars").parse().ok();
    let kind = AfterSalesKind::parse(field(&fields, "kind"));
    let action = if rating {
        CustomerAction::Rate {
            // 0 is refused by the domain with its own message ("choose 1 to 5 stars").
            stars: stars.unwrap_or(0),
            comment: field(&fields, "comment").to_string(),
        }
    } else {
        CustomerAction::RequestAfterSales {
            request_id: field(&fields, "request_id")
                .parse()
                .unwrap_or_else(|_| Uuid::nil()),
            kind: kind.unwrap_or(AfterSalesKind::Other),
            description: field(&fields, "description").to_string(),
            contact: field(&fields, "contact").to_string(),
        }
    };
    let anchor = if rating { "rating" } else { "after_sales" };
    match track::act(&caller, &token, action, lang).await {
        Ok(_) => {
            let separator = if lang == Lang::En { "&" } else { "?" };
            Ok(see_other(&format!(
                "/t/{token}{}{separator}done={anchor}",
                lang_query(lang)
            )))
        }
        Err(error @ ApiError::Domain(_)) => {
            // Refused by the rules (bad input, rating no longer editable): the page again.
            match track::open_link(&caller, &token, lang).await {
                Ok((view, access)) => {
                    let message = error.message(lang);
                    let state = FormState {
                        rating_error: rating.then(|| message.clone()),
                        after_sales_error: (!rating).then_some(message),
                        typed_comment: rating.then(|| field(&fields, "comment")),
                        typed_stars: stars,
                        typed_kind: kind,
                        typed_description: Some(field(&fields, "description")),
                        typed_contact: Some(field(&fields, "contact")),
                        done: None,
                    };
                    Ok(render_order(lang, &view, &access, state, error.status()))
                }
                Err(error) => Ok(error_page(lang, &error, "")),
            }
        }
        Err(error) => Ok(error_page(lang, &error, "")),
    }
}

/// `GET /track.css`: the pages' only stylesheet.
pub async fn stylesheet(req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    let headers = Headers::new();
    let _ = headers.set("content-type", "text/css; charset=utf-8");
    let _ = headers.set("x-content-type-options", "nosniff");
    let current = query_value(&req, "v").is_some_and(|v| v == stylesheet_version());
    // The versioned URL never changes content; an unversioned or old one is revalidated soon.
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let _ = headers.set("cache-control", cache);
    Ok(Response::ok(STYLESHEET)?.with_headers(headers))
}
