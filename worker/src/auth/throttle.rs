//! Password guessing limits, kept in D1 (`login_throttle`) so that they hold across every
//! instance of the worker.
//!
//! Two keys are counted for every login attempt: the account (`account:<login, lower case>`,
//! whether or not it exists) and the client address (`ip:<address>`). After 5 failures of an
//! account, or 20 from one address, within 15 minutes, the key is locked for 15 minutes: a locked
//! key is answered with 429 and a `Retry-After`, without looking at the password.
//!
//! An attempt is counted *before* its password is checked (atomically, in one D1 batch, which
//! returns the new count), so a burst of simultaneous guesses cannot slip past the limit: the
//! attempts numbered above the limit are refused. A successful attempt then takes its count
//! back: it clears the account's key and gives the address its one attempt back (it does not
//! clear the address, or one valid account would let an attacker reset its address's count).

use chrono::{DateTime, Duration, Utc};
use worker::Request;

use crate::{
    error::ApiError,
    repository::{timestamp, Repository, ThrottleKey},
};

pub const ACCOUNT_LIMIT: u32 = 5;
pub const ADDRESS_LIMIT: u32 = 20;
pub const WINDOW_MINUTES: i64 = 15;
pub const LOCK_MINUTES: i64 = 15;

/// An attempt that passed the limits, to be settled once its outcome is known.
pub struct Attempt {
    keys: Vec<ThrottleKey>,
}

/// Where a request comes from. On Cloudflare `CF-Connecting-IP` is always set by the edge and
/// cannot be forged by the client; the fallbacks only matter in local development.
pub fn client_address(req: &Request) -> String {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let address = header("cf-connecting-ip")
        .or_else(|| {
            header("x-forwarded-for")
                .and_then(|list| list.split(',').next().map(|first| first.to_string()))
        })
        .map(|address| address.trim().to_string())
        .filter(|address| !address.is_empty())
        .unwrap_or_else(|| "unknown".into());
    // Addresses are at most 45 characters; anything longer is not one and must not bloat keys.
    address.chars().take(64).collect()
}

pub fn account_key(login: &str) -> String {
    format!("account:{}", login.to_lowercase())
}

pub fn address_key(address: &str) -> String {
    format!("ip:{address}")
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
            &timestamp(now),
            &timestamp(now - Duration::minutes(WINDOW_MINUTES)),
            &timestamp(now + Duration::minutes(LOCK_MINUTES)),
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
        ThrottleKey::account(account_key(login), ACCOUNT_LIMIT),
        ThrottleKey::address(address_key(address), ADDRESS_LIMIT),
    ]
}
