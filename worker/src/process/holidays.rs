//! The company's working-day calendar: everyone reads it (`GET /api/holidays`; phones get it
//! with their pulls too), admins replace a year (`PUT /api/admin/holidays/{year}`). Every
//! working-day SLA counts on it (`Repository::processes`); the rules are `domain::holidays`.

use domain::{business_date, wire::HolidayYearInput, HolidayYear, Role};
use worker::{Request, Response, RouteContext};

use crate::{
    auth,
    error::ApiError,
    http::{ok_json, read_json, server_now},
    repository::{retry::retrying, Repository},
};

pub async fn calendar(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    auth::require_user(&req, &ctx).await?;
    let repository = Repository::new(ctx.d1("DB")?);
    ok_json(&retrying(|| repository.holiday_calendar()).await?)
}

pub async fn save_year(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let user = auth::require_user(&req, &ctx).await?;
    auth::require_role(&user, &[Role::Admin])?;
    let now = server_now();
    let year = HolidayYear::editable_year(ctx.param("year").map_or("", |y| y), business_date(now))?;
    let input: HolidayYearInput = read_json(&mut req).await?;
    let entered =
        HolidayYear::from_input(year, &input.holidays, &input.workdays, input.provisional)?;
    entered.check_editable(business_date(now))?;
    let repository = Repository::new(ctx.d1("DB")?);
    repository
        .save_holiday_year(&entered, &user.id, &user.name, now)
        .await?;
    ok_json(&repository.holiday_calendar().await?)
}
