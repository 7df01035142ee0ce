//! Rate limits on customer requests, counted in D1 (`track_throttle`, one fixed window per key).
//!
//! Why D1 and not Cloudflare's rate-limiting binding: the binding's counters are per data
//! centre and eventually consistent, its period is 10 or 60 s only and its limits live in
//! wrangler.toml, not in vars; guessing 4 digits needs limits over minutes that hold everywhere
//! at once. The cost is one more statement per lookup, sent in the same D1 batch as the lookup's
//! read, so no extra round trip (the benchmark in `scripts/bench_track.sh` measures it).
//!
//! Two kinds of request, each counted per client address and per order:
//! - number + digits lookups: `ip:<address>` (`TRACK_LOOKUPS_PER_IP`, default 30) and
//!   `number:<number key>` (`TRACK_LOOKUPS_PER_NUMBER`, default 10: spreading guesses
//!   of one order's digits over many addresses still gets 10 a window);
//! - signed-link requests (page, rating, after-sales): `link-ip:<address>` and
//!   `link:<order id>` (`TRACK_LINK_REQUESTS_PER_IP` / `_PER_ORDER`, default 120 each). A link
//!   cannot be guessed (128-bit MAC, checked before anything is counted); these limits only
//!   bound the load one client or one widely forwarded link can cause.
//!
//! The window is `TRACK_WINDOW_SECONDS` (default 900). A request over a limit gets 429 with
//! `Retry-After` = the rest of its window. Every request is counted, successful or not, and
//! before it is judged, so the answer never depends on whether the guess was right.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;
use worker::Env;

use crate::{error::ApiError, repository::TrackCount, repository::TrackKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub lookups_per_ip: u32,
    pub lookups_per_number: u32,
    pub link_requests_per_ip: u32,
    pub link_requests_per_order: u32,
    pub window_seconds: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            lookups_per_ip: 30,
            lookups_per_number: 10,
            link_requests_per_ip: 120,
            link_requests_per_order: 120,
            window_seconds: 900,
        }
    }
}

impl Limits {
    /// The defaults, each replaced by its var when that is a positive number.
    pub fn from_env(env: &Env) -> Self {
        Self::from_vars(|name| env.var(name).ok().map(|value| value.to_string()))
    }

    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let defaults = Self::default();
        let number = |name: &str, default: u32| {
            var(name)
                .and_then(|value| value.trim().parse::<u32>().ok())
                .filter(|value| *value > 0)
                .unwrap_or(default)
        };
        Self {
            lookups_per_ip: number("TRACK_LOOKUPS_PER_IP", defaults.lookups_per_ip),
            lookups_per_number: number("TRACK_LOOKUPS_PER_NUMBER", defaults.lookups_per_number),
            link_requests_per_ip: number(
                "TRACK_LINK_REQUESTS_PER_IP",
                defaults.link_requests_per_ip,
            ),
            link_requests_per_order: number(
                "TRACK_LINK_REQUESTS_PER_ORDER",
                defaults.link_requests_per_order,
            ),
            window_seconds: i64::from(number(
                "TRACK_WINDOW_SECONDS",
                defaults.window_seconds as u32,
            )),
        }
    }

    pub fn window_end(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + Duration::seconds(self.window_seconds)
    }

    pub fn lookup_keys(&self, address: &str, number: &str) -> Vec<TrackKey> {
        vec![
            TrackKey {
                key: format!("ip:{address}"),
                limit: self.lookups_per_ip,
            },
            TrackKey {
                // The number's key: full-width or other-case spellings of one number must not
                // multiply the guesses allowed on it.
                key: format!("number:{}", domain::number_key(number.trim())),
                limit: self.lookups_per_number,
            },
        ]
    }

    pub fn link_keys(&self, address: &str, order_id: Uuid) -> Vec<TrackKey> {
        vec![
            TrackKey {
                key: format!("link-ip:{address}"),
                limit: self.link_requests_per_ip,
            },
            TrackKey {
                key: format!("link:{order_id}"),
                limit: self.link_requests_per_order,
            },
        ]
    }
}

/// `TooManyAttempts` with the longest wait of the counters over their limit, else `Ok`.
pub fn check(counts: &[TrackCount], now: DateTime<Utc>) -> Result<(), ApiError> {
    let retry_after_secs = counts
        .iter()
        .filter(|count| count.hits > count.limit)
        .map(|count| {
            let remaining = DateTime::parse_from_rfc3339(&count.window_ends_at)
                .map(|end| end.with_timezone(&Utc) - now)
                // An unreadable window end: wait a default window rather than not at all.
                .unwrap_or(Duration::seconds(Limits::default().window_seconds));
            let millis = u64::try_from(remaining.num_milliseconds()).unwrap_or(0);
            u32::try_from(millis.div_ceil(1000))
                .unwrap_or(u32::MAX)
                .max(1)
        })
        .max();
    match retry_after_secs {
        Some(retry_after_secs) => Err(ApiError::TooManyAttempts { retry_after_secs }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(hits: u32, limit: u32, ends: &str) -> TrackCount {
        TrackCount {
            limit,
            hits,
            window_ends_at: ends.to_string(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-27T10:00:00.000Z".parse().unwrap()
    }

    #[test]
    fn requests_up_to_the_limit_pass_and_the_next_waits_for_the_rest_of_its_window() {
        let ends = "2026-11-27T10:05:00.500Z";
        assert!(check(&[count(10, 10, ends)], now()).is_ok());
        match check(&[count(11, 10, ends), count(3, 30, ends)], now()) {
            Err(ApiError::TooManyAttempts { retry_after_secs }) => {
                assert_eq!(retry_after_secs, 301)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn vars_raise_limits_and_nonsense_keeps_the_safe_default() {
        let limits = Limits::from_vars(|name| match name {
            "TRACK_LOOKUPS_PER_IP" => Some("100000".into()),
            "TRACK_LOOKUPS_PER_NUMBER" => Some("0".into()),
            "TRACK_WINDOW_SECONDS" => Some("lots".into()),
            _ => None,
        });
        assert_eq!(limits.lookups_per_ip, 100_000);
        assert_eq!(
            limits.lookups_per_number,
            Limits::default().lookups_per_number
        );
        assert_eq!(limits.window_seconds, 900);
    }

    #[test]
    fn a_number_is_counted_the_same_however_it_is_typed() {
        let limits = Limits::default();
        assert_eq!(
            limits.lookup_keys("1.2.3.4", " gd-Demo-008 ")[1].key,
            limits.lookup_keys("5.6.7.8", "GD-DEMO-008")[1].key
        );
        assert_eq!(
            limits.lookup_keys("1.2.3.4", "ＧＤ-ＤＥＭＯ-００８")[1].key,
            limits.lookup_keys("5.6.7.8", "GD-DEMO-008")[1].key
        );
    }
}
