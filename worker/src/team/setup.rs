//! `POST /api/auth/setup`: creates the first admin of a new deployment, and signs them in.
//!
//! It works only while there is no account at all, and only with the header `X-Setup-Token`
//! equal to the `SETUP_TOKEN` secret (`wrangler secret put SETUP_TOKEN`). Without that secret
//! the endpoint does not exist (404). Wrong tokens count against the caller's address like
//! failed sign-ins. Every later account is made by an admin through the admin API.

use domain::{wire::SignedIn, Role};
use serde::Deserialize;
use worker::{Request, Response, RouteContext};

use crate::{
    auth::{self, crypto, password, throttle},
    error::ApiError,
    http::{json_response, read_json, server_now},
    repository::{timestamp, NewUser, Repository, ThrottleKey},
    team::account_fields::{self as accounts, user_view},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupRequest {
    name: String,
    login: String,
    password: String,
}

fn configured_token(ctx: &RouteContext<()>) -> Option<String> {
    ctx.var("SETUP_TOKEN")
        .ok()
        .map(|value| value.to_string())
        .filter(|value| !value.trim().is_empty())
}

pub async fn setup(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let expected = configured_token(&ctx).ok_or(ApiError::Disabled)?;
    let repository = Repository::new(ctx.d1("DB")?);
    let now = server_now();

    let address = throttle::client_address(&req);
    let attempt = throttle::begin_attempt(
        &repository,
        vec![ThrottleKey::address(
            throttle::address_key(&address),
            throttle::ADDRESS_LIMIT,
            throttle::LOCK_MINUTES,
        )],
        now,
    )
    .await?;
    let given = req
        .headers()
        .get("x-setup-token")
        .ok()
        .flatten()
        .unwrap_or_default();
    // Hash both sides so the comparison takes the same time whatever the lengths.
    let matches = crypto::constant_time_eq(
        &crypto::sha256(given.as_bytes()).await?,
        &crypto::sha256(expected.as_bytes()).await?,
    );
    if !matches {
        return Err(ApiError::SetupTokenInvalid);
    }
    attempt.succeeded(&repository).await?;

    let input: SetupRequest = read_json(&mut req).await?;
    let name = accounts::name(&input.name)?;
    let login = accounts::login(&input.login)?;
    accounts::new_password(&input.password)?;
    if repository.count_users().await? > 0 {
        return Err(ApiError::SetupClosed);
    }

    let user = NewUser {
        id: format!("u-{}", crypto::random_uuid()?),
        name,
        login,
        roles: vec![Role::Admin],
        work_phone: None,
        password: password::hash_password(&input.password).await?,
        // The founder chose it: nothing to replace.
        must_change_password: false,
        created_at: timestamp(now),
    };
    let session = auth::new_session(&user.id, now).await?;
    // The emptiness check above saves the hashing work; this one is the one that counts.
    if !repository.insert_first_user(&user, &session.record).await? {
        return Err(ApiError::SetupClosed);
    }
    let record = repository
        .find_user(&user.id)
        .await?
        .ok_or_else(|| ApiError::Internal("the first admin vanished after setup".into()))?;
    Ok(json_response(
        &SignedIn {
            token: session.token,
            expires_at: session.expires_at,
            user: user_view(record),
            must_change_password: false,
        },
        201,
    ))
}
