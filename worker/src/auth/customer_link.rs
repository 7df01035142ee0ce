//! Signed customer links: `/t/<token>` opens one order's customer page without the phone digits.
//!
//! A token is `base64url(order id, 16 bytes ‖ expiry, 4 bytes big-endian Unix seconds ‖ issued
//! at, 6 bytes big-endian Unix milliseconds)` + `.` + `base64url(HMAC-SHA-256(secret,
//! "gendan/track-link/v2\0" ‖ those 26 bytes), first 16 bytes)`: 35 + 1 + 22 = 58 characters,
//! so the QR code of the whole URL stays sparse enough for a cheap phone camera.
//!
//! **Revocation, one order at a time:** the team can revoke an order's links (`share::revoke`),
//! which records "links issued up to now are void" for that order (`share_revocations`); a token
//! issued at or before that instant is refused as `link_invalid` (`is_revoked`). The instant a
//! link was issued is what the signed data carries, rather than a counter, so every signer —
//! the share button, the lookup, customer notices queued inside a sync batch — signs without
//! reading anything first, and a link made after a revocation works at once.
//! Tokens of the first format (v1: 20 bytes, no issue time, 50 characters) are still accepted
//! until they expire, as issued at an unknown time: they stop working as soon as their order's
//! links are revoked once.
//! 128 bits of MAC are far beyond guessing at any request rate. The secret is the worker secret
//! `SHARE_SECRET` (at least 32 bytes); changing it invalidates every link ever given out.
//!
//! The same tokens, with a short expiry, are what a successful number + digits lookup hands the
//! customer for the follow-up actions (rating, after-sales): one kind of proof, one check.
//!
//! A token is judged in one order: shape, then MAC (constant time), then expiry. So "expired"
//! is only ever said of a token this server really signed, and nothing tells a caller which part
//! of a forged token was wrong.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;
use worker::Env;

use crate::{auth::crypto, error::ApiError};

/// How long a link from "share with customer" works.
pub const SHARE_LINK_DAYS: i64 = 30;
/// How long the proof from a number + digits lookup works (enough to rate and file a request).
pub const LOOKUP_TOKEN_HOURS: i64 = 2;
/// Shorter secrets are refused: HMAC's strength is capped by the key's.
pub const MIN_SECRET_BYTES: usize = 32;

/// Separates these MACs from any other use of the same secret, and versions the format.
const DOMAIN_V1: &[u8] = b"gendan/track-link/v1\0";
const DOMAIN: &[u8] = b"gendan/track-link/v2\0";
const PAYLOAD_V1_BYTES: usize = 20;
const PAYLOAD_BYTES: usize = 26;
const MAC_BYTES: usize = 16;
/// base64url lengths without padding: 20 bytes → 27 characters, 26 → 35, 16 → 22.
const PAYLOAD_V1_CHARS: usize = 27;
const PAYLOAD_CHARS: usize = 35;
const MAC_CHARS: usize = 22;

/// The signing key. Only `from_env` and tests make one, so a short secret never signs anything.
pub struct ShareSecret(Vec<u8>);

impl ShareSecret {
    pub fn new(secret: &[u8]) -> Result<Self, ApiError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ApiError::ShareNotConfigured);
        }
        Ok(Self(secret.to_vec()))
    }

    /// `SHARE_SECRET` from the worker's secrets (`.dev.vars` locally). Missing or too short:
    /// `ShareNotConfigured` (503), never a link signed with a weak key.
    pub fn from_env(env: &Env) -> Result<Self, ApiError> {
        // `var` reads secrets too (as plain text), and `--var` values in local runs.
        let secret = env
            .var("SHARE_SECRET")
            .map(|value| value.to_string())
            .map_err(|_| ApiError::ShareNotConfigured)?;
        Self::new(secret.as_bytes())
    }

    fn mac(&self, payload: &[u8]) -> [u8; MAC_BYTES] {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(if payload.len() == PAYLOAD_V1_BYTES {
            DOMAIN_V1
        } else {
            DOMAIN
        });
        mac.update(payload);
        let full = mac.finalize().into_bytes();
        let mut short = [0u8; MAC_BYTES];
        short.copy_from_slice(&full[..MAC_BYTES]);
        short
    }
}

/// Why a token was refused. Deliberately no more detail than this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Malformed, or not signed by this server (tampered, or another secret).
    Invalid,
    /// Genuine but past its expiry.
    Expired,
}

impl From<LinkError> for ApiError {
    fn from(error: LinkError) -> Self {
        match error {
            LinkError::Invalid => ApiError::LinkInvalid,
            LinkError::Expired => ApiError::LinkExpired,
        }
    }
}

/// A token for `order_id`, issued at `issued_at` (milliseconds), that works until `expires_at`
/// (whole seconds; clamped to what 4 bytes hold, i.e. until 2106).
pub fn sign(
    secret: &ShareSecret,
    order_id: Uuid,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> String {
    let seconds = u32::try_from(expires_at.timestamp().max(0)).unwrap_or(u32::MAX);
    let issued_ms = issued_at.timestamp_millis().clamp(0, (1 << 48) - 1) as u64;
    let mut payload = [0u8; PAYLOAD_BYTES];
    payload[..16].copy_from_slice(order_id.as_bytes());
    payload[16..20].copy_from_slice(&seconds.to_be_bytes());
    payload[20..].copy_from_slice(&issued_ms.to_be_bytes()[2..]);
    format!(
        "{}.{}",
        crypto::base64url(&payload),
        crypto::base64url(&secret.mac(&payload))
    )
}

/// What a genuine token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkClaims {
    pub order_id: Uuid,
    pub expires_at: DateTime<Utc>,
    /// Unix milliseconds; `None` for a token of the first format, which did not carry it.
    pub issued_at_ms: Option<i64>,
}

/// Whether a genuine token was voided by its order's revocation (`revoked_through_ms`: links
/// issued up to then are void). A first-format token's issue time is unknown: any revocation
/// voids it.
pub fn is_revoked(claims: &LinkClaims, revoked_through_ms: Option<i64>) -> bool {
    match (revoked_through_ms, claims.issued_at_ms) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(through), Some(issued)) => issued <= through,
    }
}

pub fn verify(
    secret: &ShareSecret,
    token: &str,
    now: DateTime<Utc>,
) -> Result<LinkClaims, LinkError> {
    let (payload_text, mac_text) = token.split_once('.').ok_or(LinkError::Invalid)?;
    if !matches!(payload_text.len(), PAYLOAD_CHARS | PAYLOAD_V1_CHARS)
        || mac_text.len() != MAC_CHARS
    {
        return Err(LinkError::Invalid);
    }
    let payload = crypto::from_base64url(payload_text).ok_or(LinkError::Invalid)?;
    let given_mac = crypto::from_base64url(mac_text).ok_or(LinkError::Invalid)?;
    // Re-encoding must give the same text: base64url has several spellings of the last
    // character's spare bits, and a token must have exactly one.
    if crypto::base64url(&payload) != payload_text || crypto::base64url(&given_mac) != mac_text {
        return Err(LinkError::Invalid);
    }
    if !crypto::constant_time_eq(&secret.mac(&payload), &given_mac) {
        return Err(LinkError::Invalid);
    }
    let mut id = [0u8; 16];
    id.copy_from_slice(&payload[..16]);
    let mut seconds = [0u8; 4];
    seconds.copy_from_slice(&payload[16..20]);
    let issued_at_ms = (payload.len() == PAYLOAD_BYTES).then(|| {
        let mut millis = [0u8; 8];
        millis[2..].copy_from_slice(&payload[20..]);
        u64::from_be_bytes(millis) as i64
    });
    let expires_at = DateTime::from_timestamp(i64::from(u32::from_be_bytes(seconds)), 0)
        .ok_or(LinkError::Invalid)?;
    if now >= expires_at {
        return Err(LinkError::Expired);
    }
    Ok(LinkClaims {
        order_id: Uuid::from_bytes(id),
        expires_at,
        issued_at_ms,
    })
}

/// The absolute customer link for an order, valid `SHARE_LINK_DAYS` from `now`:
/// `<base_url>/t/<token>`. `base_url` is `PUBLIC_URL` or the request's origin (see
/// `http::public_base`); a trailing slash is fine. Pure, so notifications can call it as well.
pub fn customer_track_link(
    base_url: &str,
    secret: &ShareSecret,
    order_id: Uuid,
    now: DateTime<Utc>,
) -> String {
    let token = sign(secret, order_id, now, now + Duration::days(SHARE_LINK_DAYS));
    track_url(base_url, &token)
}

/// The customer's page of an order for a message: the signed link when `SHARE_SECRET` is set, else
/// the lookup page (number + phone digits), so a notice still goes out without it.
pub fn customer_page_link(
    base: Option<&str>,
    secret: Option<&ShareSecret>,
    order_id: Uuid,
    now: DateTime<Utc>,
) -> Option<String> {
    let base = base?;
    Some(match secret {
        Some(secret) => customer_track_link(base, secret, order_id, now),
        None => format!("{}/track", base.trim_end_matches('/')),
    })
}

fn track_url(base_url: &str, token: &str) -> String {
    format!("{}/t/{token}", base_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> ShareSecret {
        ShareSecret::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    const ORDER: Uuid = Uuid::from_u128(0x6a1f3c2e_8d4b_4e07_9c51_00000000d008);

    #[test]
    fn a_signed_token_is_fifty_eight_url_safe_characters_and_verifies_until_it_expires() {
        let token = sign(&secret(), ORDER, at(100), at(2_000_000_000));
        assert_eq!(token.len(), 58);
        assert!(token
            .bytes()
            .all(|b| crypto::is_base64url_char(b) || b == b'.'));
        let claims = verify(&secret(), &token, at(1_999_999_999)).unwrap();
        assert_eq!(claims.order_id, ORDER);
        assert_eq!(claims.expires_at, at(2_000_000_000));
        assert_eq!(
            verify(&secret(), &token, at(2_000_000_000)),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn any_changed_character_makes_the_token_invalid_never_expired() {
        let token = sign(&secret(), ORDER, at(100), at(1_000));
        for index in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            if tampered == token {
                continue;
            }
            // Long after expiry: a forged token must still say "invalid", not "expired".
            assert_eq!(
                verify(&secret(), &tampered, at(5_000)),
                Err(LinkError::Invalid),
                "{tampered}"
            );
        }
    }

    #[test]
    fn another_secret_or_a_malformed_token_is_invalid() {
        let token = sign(&secret(), ORDER, at(100), at(2_000_000_000));
        let other = ShareSecret::new(b"another secret, also 32 bytes long!").unwrap();
        assert_eq!(verify(&other, &token, at(0)), Err(LinkError::Invalid));
        for bad in [
            "",
            ".",
            "abc",
            &token[..57],
            &format!("{token}A"),
            &token.replace('.', ""),
        ] {
            assert_eq!(
                verify(&secret(), bad, at(0)),
                Err(LinkError::Invalid),
                "{bad:?}"
            );
        }
    }

    /// A token of the first format (no issue time), made as the server made them before.
    fn v1_token(secret: &ShareSecret, order: Uuid, expires: i64) -> String {
        let mut payload = [0u8; PAYLOAD_V1_BYTES];
        payload[..16].copy_from_slice(order.as_bytes());
        payload[16..].copy_from_slice(&(expires as u32).to_be_bytes());
        format!(
            "{}.{}",
            crypto::base64url(&payload),
            crypto::base64url(&secret.mac(&payload))
        )
    }

    #[test]
    fn tokens_carry_their_issue_time_and_revocation_voids_those_issued_up_to_it() {
        let issued = DateTime::from_timestamp_millis(1_800_000_000_123).unwrap();
        let token = sign(&secret(), ORDER, issued, at(2_000_000_000));
        let claims = verify(&secret(), &token, at(1_800_000_001)).unwrap();
        assert_eq!(claims.issued_at_ms, Some(1_800_000_000_123));
        assert!(!is_revoked(&claims, None));
        assert!(is_revoked(&claims, Some(1_800_000_000_123)));
        assert!(is_revoked(&claims, Some(1_900_000_000_000)));
        // A link made after the revocation works.
        assert!(!is_revoked(&claims, Some(1_800_000_000_122)));
    }

    #[test]
    fn first_format_tokens_still_work_until_their_order_is_revoked_once() {
        let token = v1_token(&secret(), ORDER, 2_000_000_000);
        assert_eq!(token.len(), 50);
        let claims = verify(&secret(), &token, at(1_000)).unwrap();
        assert_eq!(claims.order_id, ORDER);
        assert_eq!(claims.issued_at_ms, None);
        assert!(!is_revoked(&claims, None));
        assert!(is_revoked(&claims, Some(0)));
        // The v1 MAC domain is not the v2 one: a v1 payload cannot pass as v2 or back.
        let other = ShareSecret::new(b"another secret, also 32 bytes long!").unwrap();
        assert_eq!(verify(&other, &token, at(1_000)), Err(LinkError::Invalid));
    }

    #[test]
    fn a_secret_shorter_than_32_bytes_signs_nothing() {
        assert!(matches!(
            ShareSecret::new(b"short"),
            Err(ApiError::ShareNotConfigured)
        ));
    }

    #[test]
    fn the_track_link_is_the_base_url_plus_a_thirty_day_token() {
        let now = at(1_800_000_000);
        let link = customer_track_link("https://gendan.example.com/", &secret(), ORDER, now);
        let token = link
            .strip_prefix("https://gendan.example.com/t/")
            .expect(&link);
        let claims = verify(&secret(), token, now).unwrap();
        assert_eq!(claims.expires_at, now + Duration::days(SHARE_LINK_DAYS));
        assert_eq!(claims.order_id, ORDER);
    }

    #[test]
    fn customer_links_are_signed_share_links_or_the_lookup_page() {
        let secret = ShareSecret::new(&[7u8; 32]).unwrap();
        let now = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let id = Uuid::from_u128(9);
        let signed = customer_page_link(Some("https://gd.example.com"), Some(&secret), id, now);
        assert_eq!(
            signed,
            Some(customer_track_link(
                "https://gd.example.com",
                &secret,
                id,
                now
            ))
        );
        assert!(signed.unwrap().starts_with("https://gd.example.com/t/"));
        assert_eq!(
            customer_page_link(Some("https://gd.example.com/"), None, id, now).as_deref(),
            Some("https://gd.example.com/track")
        );
        assert_eq!(customer_page_link(None, Some(&secret), id, now), None);
    }
}
