//! `POST /api/orders/:id/share`: a signed customer link (and its QR code) for the team to send.
//! The signing itself is plumbing shared with notifications: `auth::customer_link`.

use chrono::{DateTime, Duration};
use domain::wire::ShareLink;
use uuid::Uuid;
use worker::{Request, Response, RouteContext};

use crate::{
    auth::{
        customer_link::{customer_track_link, ShareSecret, SHARE_LINK_DAYS},
        require_user,
    },
    error::ApiError,
    http::{ok_json, public_base, server_now},
    repository::Repository,
};

/// `POST /api/orders/:id/share`: any signed-in team member may share an order that exists.
pub async fn share(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    require_user(&req, &ctx).await?;
    let secret = ShareSecret::from_env(&ctx.env)?;
    let order_id = order_param(&ctx)?;
    Repository::new(ctx.d1("DB")?)
        .find_live_order(order_id)
        .await?
        .ok_or(ApiError::OrderNotFound)?;
    signed_link(&req, &ctx, &secret, order_id, server_now())
}

/// `POST /api/orders/:id/share/revoke`: voids every link of the order given out so far (shared,
/// sent in notices, or handed out by lookups) and answers a fresh link, issued after the
/// revocation, for the customer who should keep access. Any signed-in team member, like
/// sharing: whoever may hand out a link may take the order's links back.
pub async fn revoke(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    require_user(&req, &ctx).await?;
    let secret = ShareSecret::from_env(&ctx.env)?;
    let order_id = order_param(&ctx)?;
    let repository = Repository::new(ctx.d1("DB")?);
    repository
        .find_live_order(order_id)
        .await?
        .ok_or(ApiError::OrderNotFound)?;
    let now = server_now();
    repository
        .revoke_links(order_id, now.timestamp_millis())
        .await?;
    // Issued one millisecond after the mark, so the new link is not void itself.
    signed_link(
        &req,
        &ctx,
        &secret,
        order_id,
        now + Duration::milliseconds(1),
    )
}

fn order_param(ctx: &RouteContext<()>) -> Result<Uuid, ApiError> {
    ctx.param("id")
        .and_then(|id| id.parse().ok())
        .ok_or(ApiError::OrderNotFound)
}

/// A share answer for `order_id`, issued at `issued_at`.
fn signed_link(
    req: &Request,
    ctx: &RouteContext<()>,
    secret: &ShareSecret,
    order_id: Uuid,
    issued_at: chrono::DateTime<chrono::Utc>,
) -> Result<Response, ApiError> {
    let now = issued_at;
    let origin = req.url().ok().map(|url| url.origin().ascii_serialization());
    let base = public_base(&ctx.env, origin.as_deref())
        .ok_or_else(|| ApiError::Internal("no base URL for the link".into()))?;
    // The very function notifications use, so a shared link and a notified one never differ.
    let url = customer_track_link(&base, secret, order_id, now);
    let token = url.rsplit('/').next().unwrap_or_default().to_string();
    // Whole seconds: the expiry the token carries.
    let expires_at = now + Duration::days(SHARE_LINK_DAYS);
    ok_json(&ShareLink {
        qr_svg: qr_svg(&url)?,
        expires_at: DateTime::from_timestamp(expires_at.timestamp(), 0).unwrap_or(expires_at),
        url,
        token,
    })
}

/// The QR code of `text` as SVG: dark modules on white, a quiet zone, and medium error
/// correction (survives a smudge; more would make the code denser).
pub fn qr_svg(text: &str) -> Result<String, ApiError> {
    use qrcode::{render::svg, EcLevel, QrCode};
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|error| ApiError::Internal(format!("QR code: {error}")))?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_one_svg_document() {
        let svg = qr_svg("http://127.0.0.1:8787/t/abc.def").unwrap();
        assert!(
            svg.starts_with("<?xml") || svg.starts_with("<svg"),
            "{}",
            &svg[..40]
        );
        assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    }
}
