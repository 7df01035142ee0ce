//! Who is calling: session tokens, `require_user` and `require_role`.
//!
//! A session token is 32 random bytes, sent to the client once as base64url (43 characters) and
//! then presented as `Authorization: Bearer <token>`. The server keeps only the hex SHA-256 of
//! the token text, so a copy of the database does not contain working tokens. Sessions expire
//! after 30 days, end at logout, and end for every session of a user who is disabled or whose
//! password an admin resets.
//!
//! Every team endpoint starts with `require_user`; it is the one place a token is read.

pub mod crypto;
pub mod customer_link;
pub mod password;
pub mod throttle;

use chrono::{DateTime, Duration, Utc};
use domain::{Actor, Role};
use worker::{Request, RouteContext};

use crate::{
    error::ApiError,
    http::server_now,
    repository::{timestamp, NewSession, Repository},
};

pub const SESSION_DAYS: i64 = 30;
/// 32 random bytes in base64url without padding.
const TOKEN_CHARS: usize = 43;

/// The signed-in user of a request. Roles are read from `users` on every request, so a role
/// change applies at once to sessions that already exist.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// Which session the request came with (its token hash), for logout.
    session: String,
}

impl AuthUser {
    /// The user as the domain records them in history events.
    pub fn actor(&self) -> Actor {
        Actor::new(self.id.clone(), self.name.clone(), self.roles.clone())
    }

    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Admin)
    }

    pub fn session_hash(&self) -> &str {
        &self.session
    }
}

/// The bearer token of a request, if the `Authorization` header holds one of the right shape.
fn bearer_token(req: &Request) -> Option<String> {
    let value = req.headers().get("authorization").ok().flatten()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer")
        && token.len() == TOKEN_CHARS
        && token.bytes().all(crypto::is_base64url_char))
    .then(|| token.to_string())
}

/// What is stored for a token: hex SHA-256 of its text.
pub async fn token_hash(token: &str) -> Result<String, ApiError> {
    Ok(crypto::hex(&crypto::sha256(token.as_bytes()).await?))
}

/// The user behind the request's session. A disabled account's session is 403
/// `account_disabled`; a missing, malformed, unknown, expired or revoked token all get the same
/// `401 unauthorized`.
pub async fn require_user(req: &Request, ctx: &RouteContext<()>) -> Result<AuthUser, ApiError> {
    let token = bearer_token(req).ok_or(ApiError::Unauthorized)?;
    user_for_token(&token, ctx).await
}

/// The session token of a live-channel connection (`GET /api/live`, a WebSocket). Browsers
/// cannot set headers on a WebSocket, so the app offers the token as a second subprotocol after
/// `LIVE_PROTOCOL` (`Sec-WebSocket-Protocol: gendan-live, <token>`) rather than in the address:
/// a query string is written into access logs and proxy logs, a header is not.
fn live_token(req: &Request) -> Option<String> {
    let value = req.headers().get("sec-websocket-protocol").ok().flatten()?;
    let mut offered = value.split(',').map(str::trim);
    if offered.next()? != domain::wire::LIVE_PROTOCOL {
        return None;
    }
    let token = offered.next()?;
    (token.len() == TOKEN_CHARS && token.bytes().all(crypto::is_base64url_char))
        .then(|| token.to_string())
}

/// `require_user` for the live channel: the same checks, the token from the subprotocol.
pub async fn require_live_user(
    req: &Request,
    ctx: &RouteContext<()>,
) -> Result<AuthUser, ApiError> {
    let token = live_token(req).ok_or(ApiError::Unauthorized)?;
    user_for_token(&token, ctx).await
}

async fn user_for_token(token: &str, ctx: &RouteContext<()>) -> Result<AuthUser, ApiError> {
    let hash = token_hash(token).await?;
    let session = Repository::new(ctx.d1("DB")?)
        .find_session(&hash)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    // Read the expiry as a time rather than comparing text: an unreadable one counts as expired.
    let live = session.revoked_at.is_none()
        && DateTime::parse_from_rfc3339(&session.expires_at)
            .is_ok_and(|expires| expires.with_timezone(&Utc) > server_now());
    // A disabled account is told so (its sessions were revoked when it was disabled): the app
    // then removes the team's data from the phone instead of asking to sign in again.
    if !session.user.active {
        return Err(ApiError::AccountDisabled);
    }
    if !live {
        return Err(ApiError::Unauthorized);
    }
    Ok(AuthUser {
        id: session.user.id,
        name: session.user.name,
        roles: session.user.roles,
        session: hash,
    })
}

/// Lets the user through if they have one of `allowed`; admins always pass.
pub fn require_role(user: &AuthUser, allowed: &[Role]) -> Result<(), ApiError> {
    if user.is_admin() || user.roles.iter().any(|role| allowed.contains(role)) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// A new session: the token (for the client, once) and what the database keeps.
pub struct IssuedSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub record: NewSession,
}

pub async fn new_session(user_id: &str, now: DateTime<Utc>) -> Result<IssuedSession, ApiError> {
    let token = crypto::base64url(&crypto::random_bytes::<32>()?);
    let expires_at = now + Duration::days(SESSION_DAYS);
    let record = NewSession {
        token_hash: token_hash(&token).await?,
        user_id: user_id.to_string(),
        created_at: timestamp(now),
        expires_at: timestamp(expires_at),
    };
    Ok(IssuedSession {
        token,
        expires_at,
        record,
    })
}
