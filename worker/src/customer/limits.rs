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
//! On top of those, a **daily, escalating limit per order number** on number + digits lookups
//! with wrong digits (`number-day:<number>`, one window per business day, China time): 10 on a
//! first day (`TRACK_FAILED_LOOKUPS_PER_NUMBER_PER_DAY`), halved for each day the limit was hit
//! in the last 30 days (`number-strikes:<number>`: 10, 5, 2, 1, 1 …). Every lookup is counted
//! before it is judged (so a burst cannot overshoot) and a lookup with the right digits takes
//! its count back, so the real customer's own lookups never use the allowance. Once over, only
//! the signed link works for that order until the business day ends; the first refusal of the
//! day records a strike and queues a message for the team channels naming the order's owner
//! (`Payload::LookupLocked`). SECURITY.md works out the time to guess under these limits.
//!
//! The window is `TRACK_WINDOW_SECONDS` (default 900). A request over a limit gets 429 with
//! `Retry-After` = the rest of its window. Every request is counted, successful or not, and
//! before it is judged, so the answer never depends on whether the guess was right.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;
use worker::Env;

use crate::{error::ApiError, repository::TrackCount, repository::TrackKey};

/// How long a day that hit the daily limit keeps lowering the allowance of later days.
pub const STRIKE_MEMORY_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub lookups_per_ip: u32,
    pub lookups_per_number: u32,
    pub link_requests_per_ip: u32,
    pub link_requests_per_order: u32,
    pub window_seconds: i64,
    /// Wrong-digit lookups of one order number per business day before escalation.
    pub failed_lookups_per_number_per_day: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            lookups_per_ip: 30,
            lookups_per_number: 10,
            link_requests_per_ip: 120,
            link_requests_per_order: 120,
            window_seconds: 900,
            failed_lookups_per_number_per_day: 10,
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
            failed_lookups_per_number_per_day: number(
                "TRACK_FAILED_LOOKUPS_PER_NUMBER_PER_DAY",
                defaults.failed_lookups_per_number_per_day,
            ),
        }
    }

    pub fn window_end(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + Duration::seconds(self.window_seconds)
    }

    /// The keys of a number + digits lookup: per address, per number (15 minutes), and the
    /// number's day (`DAY_KEY`, limit without escalation; see `daily_allowance`).
    pub fn lookup_keys(&self, address: &str, number: &str, now: DateTime<Utc>) -> Vec<TrackKey> {
        let window_ends_at = self.window_end(now);
        vec![
            TrackKey {
                key: format!("ip:{address}"),
                limit: self.lookups_per_ip,
                window_ends_at,
            },
            TrackKey {
                // The number's key: full-width or other-case spellings of one number must not
                // multiply the guesses allowed on it.
                key: format!("number:{}", normal_number(number)),
                limit: self.lookups_per_number,
                window_ends_at,
            },
            TrackKey {
                key: day_key(number),
                limit: self.failed_lookups_per_number_per_day,
                window_ends_at: business_day_end(now),
            },
        ]
    }

    pub fn link_keys(&self, address: &str, order_id: Uuid, now: DateTime<Utc>) -> Vec<TrackKey> {
        let window_ends_at = self.window_end(now);
        vec![
            TrackKey {
                key: format!("link-ip:{address}"),
                limit: self.link_requests_per_ip,
                window_ends_at,
            },
            TrackKey {
                key: format!("link:{order_id}"),
                limit: self.link_requests_per_order,
                window_ends_at,
            },
        ]
    }
}

/// Where the day counter sits in `Limits::lookup_keys`.
pub const DAY_KEY: usize = 2;

/// One spelling per order number (`domain::number_key`: full-width or other-case spellings of
/// one number must not multiply the guesses allowed on it).
fn normal_number(number: &str) -> String {
    domain::number_key(number.trim())
}

/// The counter of one order number's lookups in the current business day.
pub fn day_key(number: &str) -> String {
    format!("number-day:{}", normal_number(number))
}

/// The counter of the days (in the last `STRIKE_MEMORY_DAYS`) one order number hit its limit.
pub fn strike_key(number: &str) -> String {
    format!("number-strikes:{}", normal_number(number))
}

/// The end of the business day (China time, UTC+8) that `now` is in: when the daily limit
/// starts again.
pub fn business_day_end(now: DateTime<Utc>) -> DateTime<Utc> {
    let china = Duration::hours(8);
    let local_midnight = (now + china)
        .date_naive()
        .succ_opt()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc() - china);
    local_midnight.unwrap_or(now + Duration::days(1))
}

/// Today's allowance of wrong-digit lookups for a number that hit its limit on `strikes` days
/// of the last 30: halved for each, never below one a day (so the number never locks for good,
/// and the lookup form keeps meaning something for the customer who has no link).
pub fn daily_allowance(base: u32, strikes: u32) -> u32 {
    base.checked_shr(strikes).unwrap_or(0).max(1)
}

/// Whether this wrong guess (already counted, `day.limit` set to today's allowance) was the
/// day's last allowed one: the moment to record a strike and tell the order's owner. Judged on
/// the last allowed guess rather than the first refused one, so an attacker who stops exactly
/// at the allowance still escalates; counts are atomic, so one request a day sees it.
pub fn uses_up_the_day(day: &TrackCount) -> bool {
    day.hits == day.limit
}

impl Limits {}

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
        for index in [1, DAY_KEY] {
            assert_eq!(
                limits.lookup_keys("1.2.3.4", " gd-Demo-008 ", now())[index].key,
                limits.lookup_keys("5.6.7.8", "GD-DEMO-008", now())[index].key
            );
        }
        assert_eq!(strike_key(" gd-Demo-008 "), strike_key("GD-DEMO-008"));
        for index in [1, DAY_KEY] {
            assert_eq!(
                limits.lookup_keys("1.2.3.4", "ＧＤ-ＤＥＭＯ-００８", now())[index].key,
                limits.lookup_keys("5.6.7.8", "GD-DEMO-008", now())[index].key
            );
        }
        assert_eq!(
            strike_key("ＧＤ-ＤＥＭＯ-００８"),
            strike_key("GD-DEMO-008")
        );
    }

    #[test]
    fn the_daily_window_ends_at_midnight_china_time() {
        // 10:00 UTC is 18:00 in China: the day ends at 16:00 UTC.
        assert_eq!(
            business_day_end(now()),
            "2026-11-27T16:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // 17:00 UTC is already the next day (01:00) in China.
        let late: DateTime<Utc> = "2026-11-27T17:00:00Z".parse().unwrap();
        assert_eq!(
            business_day_end(late),
            "2026-11-28T16:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            Limits::default().lookup_keys("1.2.3.4", "GD-1", now())[DAY_KEY].window_ends_at,
            business_day_end(now())
        );
    }

    #[test]
    fn the_daily_allowance_halves_with_each_day_it_was_used_up_but_never_reaches_zero() {
        let allowances: Vec<u32> = (0..6).map(|strikes| daily_allowance(10, strikes)).collect();
        assert_eq!(allowances, vec![10, 5, 2, 1, 1, 1]);
        assert_eq!(daily_allowance(10, 40), 1);
        assert_eq!(Limits::default().failed_lookups_per_number_per_day, 10);
    }

    #[test]
    fn only_the_wrong_guess_that_uses_the_day_up_records_a_strike() {
        let ends = "2026-11-27T16:00:00.000Z";
        assert!(!uses_up_the_day(&count(9, 10, ends)));
        assert!(uses_up_the_day(&count(10, 10, ends)));
        assert!(!uses_up_the_day(&count(11, 10, ends)));
        assert!(uses_up_the_day(&count(5, 5, ends)));
    }
}
