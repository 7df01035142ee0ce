//! `POST /api/dev/demo-data`: fills an EMPTY database with the domain's demo orders and the demo
//! team (`domain::demo_staff`) as accounts, all with the one password `DEMO_PASSWORD`.
//!
//! Only enabled where the `DEMO_DATA` variable is `enabled` (the run and test commands pass
//! `--var DEMO_DATA:enabled`) and the request carries the `DEV_SECRET` (see `dev::require_dev`);
//! a production deployment answers 404. A database with any account the demo data did not create
//! is refused whole (409 `demo_data_refused`); otherwise orders are only added to a database
//! without orders and accounts only to one without accounts, so running it twice is harmless and
//! it never adds a known password next to real accounts.

use domain::{demo_orders, demo_staff, Pipeline, Role};
use serde::Serialize;
use worker::{Request, Response, RouteContext};

use crate::{
    auth::password,
    error::ApiError,
    http::{ok_json, server_now},
    repository::{timestamp, NewUser, Repository},
};

/// The password of every demo account. Documented in README; demo data only.
pub const DEMO_PASSWORD: &str = "gendan-demo-2026";

#[derive(Serialize)]
struct DemoLogin {
    name: String,
    login: String,
    roles: Vec<Role>,
}

#[derive(Serialize)]
struct Seeded {
    inserted: usize,
    already_had_orders: bool,
    users_created: usize,
    already_had_users: bool,
    /// The demo accounts that exist now (all sign in with `demo_password`).
    demo_logins: Vec<DemoLogin>,
    demo_password: &'static str,
}

pub async fn load(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    super::require_dev(&req, &ctx)?;
    let repository = Repository::new(ctx.d1("DB")?);
    let now = server_now();

    // The demo orders' owners and history name these ids, so the accounts reuse them.
    let staff = demo_staff();
    let existing_users = repository.list_users().await?;
    let already_had_users = !existing_users.is_empty();
    // A database with accounts that the demo data did not make belongs to someone: nothing is
    // added to it (neither demo orders nor an account with the published password). A database
    // the demo data filled answers again, adding nothing, so loading twice stays harmless.
    let seeded_by_demo = existing_users
        .iter()
        .any(|user| staff.iter().any(|(actor, _)| actor.user_id == user.id));
    if already_had_users && !seeded_by_demo {
        return Err(ApiError::DemoDataRefused);
    }

    let already_had_orders = repository.count_orders().await? > 0;
    let mut inserted = 0;
    if !already_had_orders {
        let orders = demo_orders(&Pipeline::standard(), now);
        for order in &orders {
            repository.insert_order(order, &order.history, now).await?;
        }
        inserted = orders.len();
    }

    let mut users_created = 0;
    if !already_had_users {
        let mut users = Vec::with_capacity(staff.len());
        for (actor, phone) in &staff {
            users.push(NewUser {
                id: actor.user_id.clone(),
                name: actor.name.clone(),
                login: phone.to_string(),
                roles: actor.roles.clone(),
                work_phone: Some(phone.to_string()),
                password: password::hash_password(DEMO_PASSWORD).await?,
                // Demo accounts sign in with the published password as it is.
                must_change_password: false,
                created_at: timestamp(now),
            });
        }
        users_created = repository.insert_users(&users).await?;
    }

    let users = repository.list_users().await?;
    // In the order of `demo_staff`, which is how the run command prints them.
    let demo_logins = staff
        .iter()
        .filter_map(|(actor, _)| users.iter().find(|user| user.id == actor.user_id))
        .map(|user| DemoLogin {
            name: user.name.clone(),
            login: user.login.clone(),
            roles: user.roles.clone(),
        })
        .collect();
    ok_json(&Seeded {
        inserted,
        already_had_orders,
        users_created,
        already_had_users,
        demo_logins,
        demo_password: DEMO_PASSWORD,
    })
}
