//! `POST /api/dev/demo-data`: fills an EMPTY database with the domain's demo orders.
//!
//! Only enabled where the `DEMO_DATA` variable is `enabled` (the run command writes it into
//! `.dev.vars`); a production deployment answers 404. It never touches a database that already
//! has orders, so running it twice is harmless.

use domain::{demo_orders, Pipeline};
use serde::Serialize;
use worker::{Request, Response, RouteContext};

use crate::{
    error::ApiError,
    http::{ok_json, server_now},
    repository::Repository,
};

#[derive(Serialize)]
struct Seeded {
    inserted: usize,
    already_had_orders: bool,
}

pub async fn load(_req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let enabled = ctx
        .var("DEMO_DATA")
        .map(|var| var.to_string() == "enabled")
        .unwrap_or(false);
    if !enabled {
        return Err(ApiError::Disabled);
    }
    let repository = Repository::new(ctx.d1("DB")?);
    if repository.count_orders().await? > 0 {
        return ok_json(&Seeded {
            inserted: 0,
            already_had_orders: true,
        });
    }
    let now = server_now();
    let orders = demo_orders(&Pipeline::standard(), now);
    for order in &orders {
        repository.insert_order(order, &order.history, now).await?;
    }
    ok_json(&Seeded {
        inserted: orders.len(),
        already_had_orders: false,
    })
}
