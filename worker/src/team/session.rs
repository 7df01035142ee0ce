//! Signing in and out: `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`.
//!
//! A wrong password and an unknown login get the very same answer, after the very same work
//! (one PBKDF2 derivation), so neither the body nor the time tells which accounts exist.
//! Attempts are limited per account and per address (`auth::throttle`).

use domain::wire::{Credentials, OneUser, PasswordChange, SignedIn};
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
        must_change_password: credentials.must_change_password,
    })
}

/// `POST /api/auth/password {current_password, new_password}`: anyone signed in replaces their
/// own password, proving the current one (counted like a sign-in, so a stolen session cannot be
/// used to guess it). Every session of the account ends, this one included, and the answer is a
/// new session, as after a sign-in: a device someone else signed in on loses access.
pub async fn change_password(
    mut req: Request,
    ctx: RouteContext<()>,
) -> Result<Response, ApiError> {
    let user = auth::require_user(&req, &ctx).await?;
    let input: PasswordChange = read_json(&mut req).await?;
    if input.current_password.is_empty()
        || input.current_password.chars().count() > accounts::MAX_PASSWORD_CHARS
    {
        return Err(ApiError::WrongCurrentPassword);
    }
    accounts::new_password(&input.new_password)
        .map_err(|error| rename_field(error, "new_password"))?;
    if input.new_password == input.current_password {
        return Err(domain::DomainError::invalid(
            "new_password",
            "新密码不能与当前密码相同",
            "The new password must differ from the current one",
        )
        .into());
    }
    let repository = Repository::new(ctx.d1("DB")?);
    let now = server_now();
    let login = repository
        .find_user(&user.id)
        .await?
        .ok_or(ApiError::Unauthorized)?
        .login;
    let address = throttle::client_address(&req);
    let attempt =
        throttle::begin_attempt(&repository, throttle::login_keys(&login, &address), now).await?;
    let credentials = repository
        .find_credentials(&login)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !password::verify_password(&input.current_password, &credentials.password).await? {
        // The attempt stays counted.
        return Err(ApiError::WrongCurrentPassword);
    }
    attempt.succeeded(&repository).await?;
    let hash = password::hash_password(&input.new_password).await?;
    repository
        .set_password(
            &user.id,
            &hash,
            &throttle::account_key(&login),
            &timestamp(now),
            false,
        )
        .await?;
    let session = auth::new_session(&user.id, now).await?;
    repository.insert_session(&session.record).await?;
    ok_json(&SignedIn {
        token: session.token,
        expires_at: session.expires_at,
        user: user_view(credentials.user),
        must_change_password: false,
    })
}

/// The account rules name the field `password`; this endpoint's field is `new_password`.
fn rename_field(error: domain::DomainError, field: &str) -> ApiError {
    match error {
        domain::DomainError::Invalid { message, .. } => domain::DomainError::Invalid {
            field: field.to_string(),
            message,
        }
        .into(),
        other => other.into(),
    }
}

pub async fn logout(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let user = auth::require_user(&req, &ctx).await?;
    Repository::new(ctx.d1("DB")?)
        .revoke_session(user.session_hash(), &timestamp(server_now()))
        .await?;
    crate::live::close_quietly(crate::live::close_session(&ctx.env, user.session_hash())).await;
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
