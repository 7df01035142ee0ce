//! The customer side: look an order up (number + last 4 phone digits, or a signed link), rate
//! it, file after-sales requests. Only the domain's `CustomerView` ever leaves this module, plus
//! the customer's access token.
//!
//! JSON API (the worker-rendered pages in `pages.rs` call the same functions):
//! - `POST /api/track/lookup {order_number, phone_last4, lang?}` → the view + `access`
//!   (a signed token valid `LOOKUP_TOKEN_HOURS`, for the follow-up actions).
//! - `GET /api/track/t/:token?lang=zh|en` → the view + `access` (the same token).
//! - `POST /api/track/t/:token/rating {stars, comment}` → the view.
//! - `POST /api/track/t/:token/after-sales {request_id, kind, description, contact}` → the view;
//!   the client-made `request_id` makes a double submit land once.
//!
//! A wrong number and wrong digits get the very same answer, so guessing teaches nothing; an
//! invalid link and an expired one get `link_invalid` / `link_expired` and nothing more.
//! Every request is counted against rate limits first (`limits`).

use chrono::{DateTime, Duration, Utc};
use domain::{
    apply, customer_view, Actor, AfterSalesKind, Context, CustomerView, Lang, Mutation, Processes,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use worker::{Env, Request, Response, RouteContext};

use crate::{
    auth::customer_link::{self, ShareSecret, LOOKUP_TOKEN_HOURS},
    auth::throttle::client_address,
    error::ApiError,
    http::{ok_json, read_json, server_now},
    repository::{
        timestamp, CommitError, CustomerLookup, CustomerOrder, Repository, ServerSideChange,
    },
};

/// What a customer may use for the follow-up actions, in every successful lookup answer.
#[derive(Debug, Clone, Serialize)]
pub struct TrackAccess {
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

/// A lookup answer: the customer view with the access token beside its fields.
#[derive(Serialize)]
struct TrackAnswer {
    #[serde(flatten)]
    view: CustomerView,
    access: TrackAccess,
}

pub const MAX_ORDER_NUMBER_CHARS: usize = 40;

fn invalid(field: &str, zh: &str, en: &str) -> ApiError {
    ApiError::Domain(domain::DomainError::Invalid {
        field: field.to_string(),
        message: domain::Localized {
            zh: zh.to_string(),
            en: en.to_string(),
        },
    })
}

/// Compares without an early exit, so response time does not depend on how many digits match.
fn same_digits(expected: &str, given: &str) -> bool {
    crate::auth::crypto::constant_time_eq(expected.as_bytes(), given.as_bytes())
}

/// Who is asking, as the customer functions need it.
pub struct Caller<'a> {
    pub env: &'a Env,
    pub address: String,
}

impl<'a> Caller<'a> {
    pub fn new(env: &'a Env, req: &Request) -> Self {
        Self {
            env,
            address: client_address(req),
        }
    }

    fn repository(&self) -> Result<Repository, ApiError> {
        Ok(Repository::new(self.env.d1("DB")?))
    }
}

fn view_of(
    found: &CustomerOrder,
    processes: &Processes,
    lang: Lang,
    now: DateTime<Utc>,
) -> CustomerView {
    customer_view(
        &found.order,
        processes.for_order(&found.order),
        lang,
        found.sales_phone.clone(),
        now,
    )
}

/// Number + digits → the view and a short-lived token. Input errors name their field; a wrong
/// number or wrong digits are both `OrderNotFound`.
pub async fn lookup_by_number(
    caller: &Caller<'_>,
    number: &str,
    digits: &str,
    lang: Lang,
) -> Result<(CustomerView, TrackAccess), ApiError> {
    let number = number.trim();
    if number.is_empty() || number.chars().count() > MAX_ORDER_NUMBER_CHARS {
        return Err(invalid(
            "order_number",
            "请输入订单号（最多 40 个字符）",
            "Enter the order number (at most 40 characters)",
        ));
    }
    let digits = digits.trim();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "phone_last4",
            "请输入联系电话的后 4 位数字",
            "Enter the last 4 digits of the contact phone",
        ));
    }
    // Checked before any work, so a misconfigured deployment says so instead of "not found".
    let secret = ShareSecret::from_env(caller.env)?;
    let now = server_now();
    let limits = super::limits::Limits::from_env(caller.env);
    let keys = limits.lookup_keys(&caller.address, number, now);
    let strike_key = super::limits::strike_key(number);
    let repository = caller.repository()?;
    let (mut counts, strikes, found) = repository
        .customer_read(
            &keys,
            now,
            CustomerLookup::Number(number),
            Some(&strike_key),
        )
        .await?;
    // The day's allowance shrinks with the days it was used up recently.
    let day = &mut counts[super::limits::DAY_KEY];
    day.limit = super::limits::daily_allowance(limits.failed_lookups_per_number_per_day, strikes);
    let day = day.clone();
    super::limits::check(&counts, now)?;
    let right = found
        .as_ref()
        .is_some_and(|found| same_digits(&found.order.customer.phone_last4(), digits));
    let found = match found {
        Some(found) if right => found,
        wrong => {
            if super::limits::uses_up_the_day(&day) {
                record_lookup_lock(
                    caller,
                    &repository,
                    &strike_key,
                    wrong.as_ref(),
                    day.limit,
                    now,
                )
                .await?;
            }
            return Err(ApiError::OrderNotFound);
        }
    };
    // The right digits do not use the day's allowance of wrong ones: the real customer's own
    // lookups never bring the order number closer to being stopped.
    repository
        .forgive_track(&keys[super::limits::DAY_KEY].key)
        .await?;
    let expires_at = whole_seconds(now + Duration::hours(LOOKUP_TOKEN_HOURS));
    let access = TrackAccess {
        token: customer_link::sign(&secret, found.order.id, now, expires_at),
        expires_at: timestamp(expires_at),
    };
    let processes = repository.processes().await?;
    let mut view = view_of(&found, &processes, lang, now);
    // Files only ever go with a link the team gave out.
    view.attachments.clear();
    Ok((view, access))
}

/// The wrong guess that used up an order number's day: a strike for the number
/// (lowering its allowance on later days) and, when the number is an order's, a message to the
/// team's channels naming the owner and the order's own record of it (sync brings it to the
/// owner's 今天), in one batch. A concurrent change of the order makes it read and try again.
async fn record_lookup_lock(
    caller: &Caller<'_>,
    repository: &Repository,
    strike_key: &str,
    found: Option<&CustomerOrder>,
    allowance: u32,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    const MAX_ATTEMPTS: u32 = 6;
    let until = now + Duration::days(super::limits::STRIKE_MEMORY_DAYS);
    let Some(found) = found else {
        return repository
            .record_lookup_strike(strike_key, until, now, &[], None)
            .await
            .map_err(CommitError::into_api_error);
    };
    let business_date = domain::calendar::business_date(now);
    let messages = {
        let order = &found.order;
        let base = crate::http::public_base(caller.env, None);
        let locked = crate::notify::LookupLocked {
            order_id: order.id,
            number: order.number.as_str().to_string(),
            company: order.customer.company.clone(),
            owner_user_id: order.owner.user_id.clone(),
            owner_name: order.owner.name.clone(),
            business_date,
            allowance,
            link: crate::http::order_link(base.as_deref(), order.id),
        };
        let channels = repository.list_channels().await?;
        crate::notify::lookup_locked_rows(&channels, &locked, now)?
    };
    let mut current = Some((found.order.clone(), found.version));
    for attempt in 1..=MAX_ATTEMPTS {
        let recorded = current
            .as_ref()
            .and_then(|(order, _)| domain::record_lookup_lock(order, business_date, now));
        // The last try records the strike and the messages without the order's record rather
        // than lose them to a busy order.
        let change = match (&recorded, &current) {
            _ if attempt == MAX_ATTEMPTS => None,
            (Some(applied), Some((_, version))) => Some(ServerSideChange {
                order: &applied.order,
                based_on_version: *version,
                events: &applied.events,
            }),
            _ => None,
        };
        match repository
            .record_lookup_strike(strike_key, until, now, &messages, change)
            .await
        {
            Ok(()) => return Ok(()),
            Err(CommitError::Stale) | Err(CommitError::Transient(_)) if attempt < MAX_ATTEMPTS => {
                crate::repository::retry::backoff(attempt).await;
                let (_, _, fresh) = repository
                    .customer_read(&[], now, CustomerLookup::Id(found.order.id), None)
                    .await?;
                current = fresh.map(|fresh| (fresh.order, fresh.version));
            }
            Err(error) => return Err(error.into_api_error()),
        }
    }
    Ok(())
}

/// Tokens carry whole seconds; say the expiry the token really has.
fn whole_seconds(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
}

/// A verified token's order, counted against the link limits. Deleted orders: `LinkInvalid`
/// (the link was genuine, but there is nothing left to show, and saying more helps no one).
async fn read_by_token(
    caller: &Caller<'_>,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(customer_link::LinkClaims, CustomerOrder), ApiError> {
    let secret = ShareSecret::from_env(caller.env)?;
    let claims = customer_link::verify(&secret, token, now)?;
    let limits = super::limits::Limits::from_env(caller.env);
    let keys = limits.link_keys(&caller.address, claims.order_id, now);
    let (counts, _, found) = caller
        .repository()?
        .customer_read(&keys, now, CustomerLookup::Id(claims.order_id), None)
        .await?;
    super::limits::check(&counts, now)?;
    let found = found.ok_or(ApiError::LinkInvalid)?;
    // A revoked link answers exactly like one that never existed.
    if customer_link::is_revoked(&claims, found.links_revoked_through_ms) {
        return Err(ApiError::LinkInvalid);
    }
    Ok((claims, found))
}

pub async fn open_link(
    caller: &Caller<'_>,
    token: &str,
    lang: Lang,
) -> Result<(CustomerView, TrackAccess), ApiError> {
    let now = server_now();
    let (claims, found) = read_by_token(caller, token, now).await?;
    let access = TrackAccess {
        token: token.to_string(),
        expires_at: timestamp(claims.expires_at),
    };
    let repository = caller.repository()?;
    let processes = repository.processes().await?;
    let mut view = view_of(&found, &processes, lang, now);
    keep_customer_files(&repository, &claims, &mut view).await?;
    Ok((view, access))
}

/// A link the team gave out (shared, or sent in a notice: `SHARE_LINK_DAYS` long), not the
/// short proof a number + digits lookup hands out, which never opens files.
fn is_team_link(claims: &customer_link::LinkClaims) -> bool {
    claims.issued_at_ms.is_some_and(|issued| {
        claims.expires_at.timestamp_millis() - issued > LOOKUP_TOKEN_HOURS * 3_600_000
    })
}

/// Leaves in `view` only the attachments this link may open and the server holds.
async fn keep_customer_files(
    repository: &Repository,
    claims: &customer_link::LinkClaims,
    view: &mut CustomerView,
) -> Result<(), ApiError> {
    if !is_team_link(claims) {
        view.attachments.clear();
        return Ok(());
    }
    if view.attachments.is_empty() {
        return Ok(());
    }
    let stored = repository.stored_files(claims.order_id).await?;
    view.attachments.retain(|a| stored.contains(&a.sha256));
    // A phone sends the thumbnail after the file: until then the page links the file alone.
    for attachment in &mut view.attachments {
        attachment.has_thumbnail = attachment
            .thumbnail_sha256
            .as_ref()
            .is_some_and(|sha| stored.contains(sha));
    }
    Ok(())
}

/// `GET /t/<token>/files/<attachment id>[/thumbnail]`: a customer-visible attachment (签收单,
/// 发票) through a link the team gave out; anything else answers like a link that never was.
pub async fn customer_file(
    caller: &Caller<'_>,
    token: &str,
    attachment_id: &str,
    thumbnail: bool,
) -> Result<Response, ApiError> {
    let now = server_now();
    let (claims, found) = read_by_token(caller, token, now).await?;
    if !is_team_link(&claims) {
        return Err(ApiError::LinkInvalid);
    }
    let attachment = found
        .order
        .attachments
        .iter()
        .find(|a| a.is_live() && a.kind.customer_visible() && a.id.to_string() == attachment_id)
        .ok_or(ApiError::AttachmentNotFound)?;
    let file = if thumbnail {
        attachment
            .thumbnail
            .as_ref()
            .ok_or(ApiError::AttachmentNotFound)?
    } else {
        &attachment.file
    };
    let name = format!(
        "{}-{}",
        attachment.kind.key(),
        &attachment.id.simple().to_string()[..8]
    );
    crate::files::respond(caller.env, found.order.id, file, &name)
        .await?
        .ok_or(ApiError::FileNotUploaded)
}

/// What a customer asks for through a token.
pub enum CustomerAction {
    Rate {
        stars: u8,
        comment: String,
    },
    RequestAfterSales {
        request_id: Uuid,
        kind: AfterSalesKind,
        description: String,
        contact: String,
    },
}

/// A customer's change, decided by the domain with the customer actor and written in one
/// guarded batch; a concurrent write to the order makes it read and decide again.
pub async fn act(
    caller: &Caller<'_>,
    token: &str,
    action: CustomerAction,
    lang: Lang,
) -> Result<CustomerView, ApiError> {
    const MAX_ATTEMPTS: u32 = 6;
    let now = server_now();
    let (claims, mut found) = read_by_token(caller, token, now).await?;
    let repository = caller.repository()?;
    let processes = repository.processes().await?;
    for attempt in 1..=MAX_ATTEMPTS {
        let order = &found.order;
        // Already as asked (a double submit, or a retry after a lost answer): nothing to write.
        let already = match &action {
            CustomerAction::RequestAfterSales { request_id, .. } => {
                order.after_sales.iter().any(|r| r.id == *request_id)
            }
            CustomerAction::Rate { stars, comment } => order
                .feedback
                .as_ref()
                .is_some_and(|f| f.stars == *stars && f.comment == comment.trim()),
        };
        if already {
            let mut view = view_of(&found, &processes, lang, now);
            keep_customer_files(&repository, &claims, &mut view).await?;
            return Ok(view);
        }
        let mutation = match &action {
            CustomerAction::Rate { stars, comment } => Mutation::RateOrder {
                order_id: order.id,
                stars: *stars,
                comment: comment.clone(),
            },
            CustomerAction::RequestAfterSales {
                request_id,
                kind,
                description,
                contact,
            } => Mutation::RequestAfterSales {
                order_id: order.id,
                request_id: *request_id,
                kind: *kind,
                description: description.clone(),
                contact: contact.clone(),
            },
        };
        let actor = Actor::customer(&order.customer.contact);
        let applied = apply(
            &Context {
                processes: &processes,
                actor: &actor,
                now,
            },
            Some(order),
            &mutation,
        )?;
        match repository
            .commit_server_side_change(&applied.order, found.version, &applied.events, now)
            .await
        {
            Ok(version) => {
                let written = CustomerOrder {
                    order: applied.order,
                    version,
                    sales_phone: found.sales_phone,
                    links_revoked_through_ms: found.links_revoked_through_ms,
                };
                let mut view = view_of(&written, &processes, lang, now);
                keep_customer_files(&repository, &claims, &mut view).await?;
                return Ok(view);
            }
            Err(CommitError::Stale) | Err(CommitError::Transient(_)) if attempt < MAX_ATTEMPTS => {
                crate::repository::retry::backoff(attempt).await;
                // Not counted again: this is still the same request.
                let (_, _, fresh) = repository
                    .customer_read(&[], now, CustomerLookup::Id(claims.order_id), None)
                    .await?;
                found = fresh.ok_or(ApiError::LinkInvalid)?;
            }
            Err(CommitError::Stale) | Err(CommitError::Transient(_)) => {
                return Err(ApiError::OrderBusy)
            }
            Err(CommitError::Other(error)) => return Err(error),
        }
    }
    Err(ApiError::OrderBusy)
}

// ---------------------------------------------------------------------------------------------
// JSON handlers

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupRequest {
    order_number: String,
    phone_last4: String,
    #[serde(default)]
    lang: Lang,
}

/// `?lang=en` → English; anything else is the default, Chinese.
pub fn lang_of(req: &Request) -> Lang {
    req.url()
        .ok()
        .and_then(|url| {
            url.query_pairs()
                .find(|(name, _)| name == "lang")
                .map(|(_, value)| value.into_owned())
        })
        .map(|value| if value == "en" { Lang::En } else { Lang::Zh })
        .unwrap_or_default()
}

pub async fn lookup(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let input: LookupRequest = read_json(&mut req).await?;
    let caller = Caller::new(&ctx.env, &req);
    let (view, access) =
        lookup_by_number(&caller, &input.order_number, &input.phone_last4, input.lang).await?;
    ok_json(&TrackAnswer { view, access })
}

fn token_param(ctx: &RouteContext<()>) -> String {
    ctx.param("token").cloned().unwrap_or_default()
}

pub async fn by_token(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let caller = Caller::new(&ctx.env, &req);
    let (view, access) = open_link(&caller, &token_param(&ctx), lang_of(&req)).await?;
    ok_json(&TrackAnswer { view, access })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RatingRequest {
    stars: u8,
    #[serde(default)]
    comment: String,
}

pub async fn rate(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let input: RatingRequest = read_json(&mut req).await?;
    let caller = Caller::new(&ctx.env, &req);
    let action = CustomerAction::Rate {
        stars: input.stars,
        comment: input.comment,
    };
    ok_json(&act(&caller, &token_param(&ctx), action, lang_of(&req)).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AfterSalesRequestBody {
    request_id: Uuid,
    kind: AfterSalesKind,
    description: String,
    contact: String,
}

pub async fn after_sales(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let input: AfterSalesRequestBody = read_json(&mut req).await?;
    let caller = Caller::new(&ctx.env, &req);
    let action = CustomerAction::RequestAfterSales {
        request_id: input.request_id,
        kind: input.kind,
        description: input.description,
        contact: input.contact,
    };
    ok_json(&act(&caller, &token_param(&ctx), action, lang_of(&req)).await?)
}
