//! Signing in and out: `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`.
//!
//! A wrong password and an unknown login get the very same answer, after the very same work
//! (one PBKDF2 derivation), so neither the body nor the time tells which accounts exist.
//! Attempts are limited per account and per address (`auth::throttle`).

use domain::wire::{Credentials, OneUser, SignedIn};
use serde::Serialize;
use worker::{Request, Response, RouteContext};

use crate::{
    auth::{self, password, throttle},
    error::ApiError,
    http::{ok_json, read_json, server_now},
    repository::{timestamp, Repository},
    team::account_fields::{self as accounts, user_view},
};

#[derive(Serialize)]
struct LoggedOut {
    logged_out: bool,
}

/// Refuses sign-in input that no account can have, before any work or any counting: a login
/// beyond 254 characters (the longest email address) or a password beyond 128.
fn check_sign_in_input(input: &Credentials) -> Result<(), ApiError> {
    let login = input.login.trim();
    if login.is_empty() || login.chars().count() > accounts::MAX_LOGIN_CHARS {
        return Err(domain::DomainError::invalid(
            "login",
            "请输入登录账号（手机号或邮箱，最多 254 个字符）",
            "Enter your login (phone number or email, at most 254 characters)",
        )
        .into());
    }
    if input.password.is_empty() || input.password.chars().count() > accounts::MAX_PASSWORD_CHARS {
        return Err(domain::DomainError::invalid(
            "password",
            "请输入密码（最多 128 个字符）",
            "Enter your password (at most 128 characters)",
        )
        .into());
    }
    Ok(())
}

pub async fn login(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let input: Credentials = read_json(&mut req).await?;
    check_sign_in_input(&input)?;
    let login = accounts::normalize_login(&input.login);
    let address = throttle::client_address(&req);
    let repository = Repository::new(ctx.d1("DB")?);
    let now = server_now();

    // A locked account or address is refused here, without looking at the password.
    let attempt =
        throttle::begin_attempt(&repository, throttle::login_keys(&login, &address), now).await?;

    let credentials = repository.find_credentials(&login).await?;
    let verified = match &credentials {
        Some(credentials) => {
            password::verify_password(&input.password, &credentials.password).await?
        }
        None => {
            password::burn_equivalent_time(&input.password).await?;
            false
        }
    };
    let Some(credentials) = credentials.filter(|_| verified) else {
        // The attempt stays counted.
        return Err(ApiError::InvalidCredentials);
    };
    attempt.succeeded(&repository).await?;
    if !credentials.user.active {
        // Only someone who knows the password learns that the account is disabled.
        return Err(ApiError::AccountDisabled);
    }
    let session = auth::new_session(&credentials.user.id, now).await?;
    repository.insert_session(&session.record).await?;
    ok_json(&SignedIn {
        token: session.token,
        expires_at: session.expires_at,
        user: user_view(credentials.user),
    })
}

pub async fn logout(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let user = auth::require_user(&req, &ctx).await?;
    Repository::new(ctx.d1("DB")?)
        .revoke_session(user.session_hash(), &timestamp(server_now()))
        .await?;
    ok_json(&LoggedOut { logged_out: true })
}

pub async fn me(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let user = auth::require_user(&req, &ctx).await?;
    let record = Repository::new(ctx.d1("DB")?)
        .find_user(&user.id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    ok_json(&OneUser {
        user: user_view(record),
    })
}
