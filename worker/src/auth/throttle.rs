//! Password guessing limits, kept in D1 (`login_throttle`) so that they hold across every
//! instance of the worker.
//!
//! Three keys are counted for every login attempt (`login_keys`):
//! - the account from one client address (`account:<login>|ip:<address>`): 5 failures in 15
//!   minutes lock that pair for 15 minutes. This is the lock a guesser meets, and it keeps the
//!   account's owner (at another address) out of nothing;
//! - the account from anywhere (`account:<login>`, whether or not it exists): a gentler global
//!   back-off, 50 failures in 15 minutes lock it for 5 minutes. It bounds guessing spread over
//!   many addresses (at most 50 guesses per 15 minutes per account) while a stranger needs at
//!   least 10 addresses (/64s for IPv6) and must keep guessing to hold the owner out, and then
//!   only 5 minutes at a time;
//! - the client address (`ip:<address>`, see `address_of`): 20 failures across accounts in 15
//!   minutes lock the address for 15 minutes.
//!
//! A locked key is answered with 429 and a `Retry-After`, without looking at the password.
//!
//! An attempt is counted *before* its password is checked (atomically, in one D1 batch, which
//! returns the new count), so a burst of simultaneous guesses cannot slip past the limit: the
//! attempts numbered above the limit are refused. A successful attempt then takes its count
//! back: it clears the account's keys and gives the address its one attempt back (it does not
//! clear the address, or one valid account would let an attacker reset its address's count).

use chrono::{DateTime, Duration, Utc};
use worker::Request;

use crate::{
    error::ApiError,
    repository::{timestamp, Repository, ThrottleKey},
};

/// One account from one address: the guesser's limit.
pub const ACCOUNT_ADDRESS_LIMIT: u32 = 5;
/// One account from everywhere: the gentler global back-off.
pub const ACCOUNT_LIMIT: u32 = 50;
pub const ACCOUNT_LOCK_MINUTES: i64 = 5;
/// One address across accounts.
pub const ADDRESS_LIMIT: u32 = 20;
pub const WINDOW_MINUTES: i64 = 15;
pub const LOCK_MINUTES: i64 = 15;

/// An attempt that passed the limits, to be settled once its outcome is known.
pub struct Attempt {
    keys: Vec<ThrottleKey>,
}

/// Where a request comes from, as the key of per-address limits (login and customer lookups).
///
/// Only `CF-Connecting-IP` is read: Cloudflare's edge sets it on every request and a client
/// cannot forge it, whereas `X-Forwarded-For` is whatever the client sends (a fallback to it
/// would let anyone pick a fresh address per request wherever the edge does not set the
/// header). See `address_of`.
pub fn client_address(req: &Request) -> String {
    address_from_headers(|name| req.headers().get(name).ok().flatten())
}

/// `client_address` over any header lookup (plain, so it is tested natively).
pub fn address_from_headers(header: impl Fn(&str) -> Option<String>) -> String {
    address_of(header("cf-connecting-ip").as_deref())
}

/// The limit key of a `CF-Connecting-IP` value: an IPv4 address as is (also when written as
/// an IPv4-mapped IPv6 address), an IPv6 address by its /64 — every IPv6 client is handed a
/// whole /64 by its provider, so counting per /128 would give one attacker 2^64 "addresses" —
/// and anything that is not an address, or no header at all, as the one key `unknown`.
pub fn address_of(header: Option<&str>) -> String {
    use std::net::IpAddr;
    let Some(address) = header.and_then(|value| value.trim().parse::<IpAddr>().ok()) else {
        return "unknown".into();
    };
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let segments = v6.segments();
                format!(
                    "{:x}:{:x}:{:x}:{:x}::/64",
                    segments[0], segments[1], segments[2], segments[3]
                )
            }
        },
    }
}

pub fn account_key(login: &str) -> String {
    format!("account:{}", login.to_lowercase())
}

pub fn address_key(address: &str) -> String {
    format!("ip:{address}")
}

/// The account from one address; starts with `account_key(login)` and `|` (an admin's password
/// reset deletes the account's keys by that prefix).
pub fn account_address_key(login: &str, address: &str) -> String {
    format!("{}|{}", account_key(login), address_key(address))
}

/// Counts one attempt against every key and refuses it with `TooManyAttempts` when any key is
/// over its limit: the attempt that reaches a limit still goes ahead (and locks the key for the
/// ones after it); attempts on a locked key are counted but never look at a password.
pub async fn begin_attempt(
    repository: &Repository,
    keys: Vec<ThrottleKey>,
    now: DateTime<Utc>,
) -> Result<Attempt, ApiError> {
    let states = repository
        .count_attempt(
            &keys,
            now,
            &timestamp(now - Duration::minutes(WINDOW_MINUTES)),
        )
        .await?;
    let mut retry_after_secs = 0u32;
    for state in states.iter().filter(|state| state.over_limit) {
        let remaining = state
            .locked_until
            .as_deref()
            .and_then(|until| DateTime::parse_from_rfc3339(until).ok())
            .map(|until| until.with_timezone(&Utc) - now)
            // Over the limit without a readable lock: wait a full lock rather than not at all.
            .unwrap_or(Duration::minutes(LOCK_MINUTES));
        let millis = u64::try_from(remaining.num_milliseconds()).unwrap_or(0);
        let secs = u32::try_from(millis.div_ceil(1000)).unwrap_or(u32::MAX);
        retry_after_secs = retry_after_secs.max(secs.max(1));
    }
    if retry_after_secs > 0 {
        return Err(ApiError::TooManyAttempts { retry_after_secs });
    }
    Ok(Attempt { keys })
}

impl Attempt {
    /// The password (or setup token) was right: account keys are cleared, address keys get this
    /// attempt back.
    pub async fn succeeded(self, repository: &Repository) -> Result<(), ApiError> {
        repository.forgive_attempt(&self.keys).await
    }
}

pub fn login_keys(login: &str, address: &str) -> Vec<ThrottleKey> {
    vec![
        ThrottleKey::account(
            account_address_key(login, address),
            ACCOUNT_ADDRESS_LIMIT,
            LOCK_MINUTES,
        ),
        ThrottleKey::account(account_key(login), ACCOUNT_LIMIT, ACCOUNT_LOCK_MINUTES),
        ThrottleKey::address(address_key(address), ADDRESS_LIMIT, LOCK_MINUTES),
    ]
}

#[cfg(test)]
mod tests {
    use super::{address_from_headers, address_of};

    #[test]
    fn only_cf_connecting_ip_names_the_client_never_x_forwarded_for() {
        let forwarded_only =
            |name: &str| (name == "x-forwarded-for").then(|| "198.51.100.9".to_string());
        assert_eq!(address_from_headers(forwarded_only), "unknown");
        let both = |name: &str| match name {
            "cf-connecting-ip" => Some("203.0.113.7".to_string()),
            "x-forwarded-for" => Some("198.51.100.9".to_string()),
            _ => None,
        };
        assert_eq!(address_from_headers(both), "203.0.113.7");
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_one_key() {
        let first = address_of(Some("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
        assert_eq!(first, "2001:db8:1:2::/64");
        assert_eq!(address_of(Some("2001:db8:1:2::1")), first);
        assert_eq!(address_of(Some("2001:0DB8:0001:0002:ffff::9")), first);
        assert_ne!(address_of(Some("2001:db8:1:3::1")), first);
    }

    #[test]
    fn ipv4_keys_by_the_address_also_when_mapped_into_ipv6() {
        assert_eq!(address_of(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(address_of(Some("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(address_of(Some(" 203.0.113.7 ")), "203.0.113.7");
    }

    #[test]
    fn anything_but_one_address_is_the_unknown_key() {
        assert_eq!(address_of(None), "unknown");
        assert_eq!(address_of(Some("")), "unknown");
        assert_eq!(address_of(Some("203.0.113.7, 198.51.100.1")), "unknown");
        assert_eq!(address_of(Some("not-an-address")), "unknown");
        assert_eq!(address_of(Some(&"1".repeat(10_000))), "unknown");
    }
}
