//! `POST /api/track/lookup`: a customer looks an order up by number plus the last four digits
//! of the contact phone. Only the domain's `CustomerView` ever leaves this module.
//!
//! A wrong number and wrong digits get the very same answer, so guessing teaches nothing.

use domain::{customer_view, Lang, Pipeline};
use serde::Deserialize;
use worker::{Request, Response, RouteContext};

use crate::{
    error::ApiError,
    http::{ok_json, read_json},
    repository::Repository,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupRequest {
    order_number: String,
    phone_last4: String,
    #[serde(default)]
    lang: Lang,
}

const MAX_ORDER_NUMBER_CHARS: usize = 40;

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
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

pub async fn lookup(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let input: LookupRequest = read_json(&mut req).await?;
    let number = input.order_number.trim();
    if number.is_empty() || number.chars().count() > MAX_ORDER_NUMBER_CHARS {
        return Err(invalid(
            "order_number",
            "请输入订单号（最多 40 个字符）",
            "Enter the order number (at most 40 characters)",
        ));
    }
    let digits = input.phone_last4.trim();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "phone_last4",
            "请输入联系电话的后 4 位数字",
            "Enter the last 4 digits of the contact phone",
        ));
    }
    let order = Repository::new(ctx.d1("DB")?)
        .find_order_by_number(number)
        .await?
        .filter(|order| same_digits(&order.customer.phone_last4(), digits))
        .ok_or(ApiError::OrderNotFound)?;
    ok_json(&customer_view(
        &order,
        &Pipeline::standard(),
        input.lang,
        None,
        crate::http::server_now(),
    ))
}
