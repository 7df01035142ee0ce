//! The admin's team management: `GET/POST /api/admin/users`, `PATCH /api/admin/users/:id`,
//! `POST /api/admin/users/:id/password`. Admins only.
//!
//! Disabling an account or resetting its password ends all its sessions in the same transaction.
//! The last active admin can be neither disabled nor demoted, so a team cannot lock itself out.

use domain::{
    wire::{MemberChanges, NewMember, NewPassword, OneUser, UserList},
    Role,
};
use worker::{Request, Response, RouteContext};

use crate::{
    auth::{self, crypto, password, throttle},
    error::ApiError,
    http::{json_response, ok_json, read_json, server_now},
    live,
    repository::{timestamp, NewUser, Repository},
    team::account_fields::{self as accounts, user_view},
};

async fn require_admin(req: &Request, ctx: &RouteContext<()>) -> Result<auth::AuthUser, ApiError> {
    let user = auth::require_user(req, ctx).await?;
    auth::require_role(&user, &[Role::Admin])?;
    Ok(user)
}

fn user_id(ctx: &RouteContext<()>) -> String {
    ctx.param("id").cloned().unwrap_or_default()
}

pub async fn list(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    require_admin(&req, &ctx).await?;
    let users = Repository::new(ctx.d1("DB")?).list_users().await?;
    ok_json(&UserList {
        users: users.into_iter().map(user_view).collect(),
    })
}

pub async fn create(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    require_admin(&req, &ctx).await?;
    let input: NewMember = read_json(&mut req).await?;
    let name = accounts::name(&input.name)?;
    let login = accounts::login(&input.login)?;
    accounts::new_password(&input.password)?;
    let roles = accounts::roles(&input.roles)?;
    let work_phone = accounts::work_phone(input.work_phone.as_deref())?;

    let repository = Repository::new(ctx.d1("DB")?);
    // Checked first so a taken login costs no hashing; the insert checks again atomically.
    if repository.find_credentials(&login).await?.is_some() {
        return Err(ApiError::LoginTaken);
    }
    let user = NewUser {
        id: format!("u-{}", crypto::random_uuid()?),
        name,
        login,
        roles,
        work_phone,
        password: password::hash_password(&input.password).await?,
        // The admin chose it: the member replaces it at the first sign-in.
        must_change_password: true,
        created_at: timestamp(server_now()),
    };
    if !repository.insert_user(&user).await? {
        return Err(ApiError::LoginTaken);
    }
    let record = repository
        .find_user(&user.id)
        .await?
        .ok_or(ApiError::UserNotFound)?;
    Ok(json_response(
        &OneUser {
            user: user_view(record),
        },
        201,
    ))
}

pub async fn update(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    require_admin(&req, &ctx).await?;
    let input: MemberChanges = read_json(&mut req).await?;
    let repository = Repository::new(ctx.d1("DB")?);
    let current = repository
        .find_user(&user_id(&ctx))
        .await?
        .ok_or(ApiError::UserNotFound)?;

    let mut changed = current.clone();
    if let Some(name) = &input.name {
        changed.name = accounts::name(name)?;
    }
    if let Some(roles) = &input.roles {
        changed.roles = accounts::roles(roles)?;
    }
    if let Some(active) = input.active {
        changed.active = active;
    }
    if let Some(work_phone) = &input.work_phone {
        changed.work_phone = accounts::work_phone(work_phone.as_deref())?;
    }
    changed.updated_at = timestamp(server_now());

    let keep_an_admin = current.is_active_admin() && !changed.is_active_admin();
    if !repository.update_user(&changed, keep_an_admin).await? {
        return Err(if keep_an_admin {
            ApiError::LastAdmin
        } else {
            ApiError::UserNotFound
        });
    }
    if current.active && !changed.active {
        // Its sessions were revoked with it; its open live sockets go now too.
        live::close_quietly(live::close_user(&ctx.env, &changed.id)).await;
    }
    let record = repository
        .find_user(&changed.id)
        .await?
        .ok_or(ApiError::UserNotFound)?;
    ok_json(&OneUser {
        user: user_view(record),
    })
}

/// Sets a new password chosen by the admin and signs the user out everywhere (including the
/// admin's own sessions when they reset their own password).
pub async fn set_password(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    require_admin(&req, &ctx).await?;
    let input: NewPassword = read_json(&mut req).await?;
    accounts::new_password(&input.password)?;
    let repository = Repository::new(ctx.d1("DB")?);
    let user = repository
        .find_user(&user_id(&ctx))
        .await?
        .ok_or(ApiError::UserNotFound)?;
    let hash = password::hash_password(&input.password).await?;
    let now = timestamp(server_now());
    if !repository
        .set_password(
            &user.id,
            &hash,
            &throttle::account_key(&user.login),
            &now,
            // The admin chose it: the member replaces it at the next sign-in.
            true,
        )
        .await?
    {
        return Err(ApiError::UserNotFound);
    }
    live::close_quietly(live::close_user(&ctx.env, &user.id)).await;
    let record = repository
        .find_user(&user.id)
        .await?
        .ok_or(ApiError::UserNotFound)?;
    ok_json(&OneUser {
        user: user_view(record),
    })
}
