//! What needs the person's attention, outside the page: the count on the installed app's icon
//! (Badging API) and the opt-in "orders are overdue" notification shown when the app is opened.
//!
//! Both come from the same 今天 list as the navigation badge (`domain::today` over the cards on
//! the device), so they work offline and never disagree with the screen. The browser APIs are
//! reached through a few lines of inline JS, as in `pwa.rs`: the web-sys features for them
//! (Notification, ServiceWorkerRegistration, Navigator badging) are not enabled, and enabling
//! one rebuilds web-sys and everything above it.
//!
//! The notification goes through the service worker's registration (`showNotification`), not
//! `new Notification()`: Chrome on Android and installed apps only allow the former, and the
//! service worker's `notificationclick` handler (public/sw.js) opens /today when it is tapped.

use chrono::NaiveDate;
use leptos_i18n::I18nContext;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::{i18n::*, state::AppState};

#[wasm_bindgen(inline_js = r#"
export function notificationPermission() {
  if (!('Notification' in window) || !('serviceWorker' in navigator)) return 'unsupported';
  return Notification.permission;
}

export function requestNotificationPermission() {
  if (!('Notification' in window)) return Promise.resolve('unsupported');
  // Old Safari takes a callback and returns nothing; newer browsers return a promise.
  return new Promise((resolve) => {
    const answer = Notification.requestPermission(resolve);
    if (answer && typeof answer.then === 'function') answer.then(resolve, () => resolve('denied'));
  });
}

export function showReminder(title, body, url) {
  if (!('serviceWorker' in navigator)) return Promise.resolve(false);
  return navigator.serviceWorker.ready
    .then((registration) => registration.showNotification(title, {
      body,
      // One reminder at a time: a newer one replaces the older instead of piling up.
      tag: 'gendan-today',
      icon: '/icons/icon-192.png',
      data: { url },
    }))
    .then(() => true, (error) => { console.warn('reminder not shown', error); return false; });
}

export function setAppBadge(count) {
  // Installed apps on Chromium (desktop, Android via the launcher) and Safari 16.4+ have it;
  // elsewhere the navigation badge is all there is.
  if (!('setAppBadge' in navigator)) return;
  const done = count > 0 ? navigator.setAppBadge(count) : navigator.clearAppBadge();
  done.catch(() => {});
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = notificationPermission)]
    fn notification_permission_js() -> String;
    #[wasm_bindgen(js_name = requestNotificationPermission)]
    fn request_notification_permission_js() -> js_sys::Promise;
    #[wasm_bindgen(js_name = showReminder)]
    fn show_reminder_js(title: &str, body: &str, url: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = setAppBadge)]
    fn set_app_badge_js(count: u32);
}

/// The browser's answer about notifications for this site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// No Notification API or no service worker (old browsers, iOS Safari outside an installed
    /// app).
    Unsupported,
    /// Never asked: asking is allowed, and only on the person's tap.
    Ask,
    Granted,
    /// Blocked by the person or the browser; only the browser's site settings can undo it.
    Denied,
}

impl Permission {
    fn parse(answer: &str) -> Permission {
        match answer {
            "granted" => Permission::Granted,
            "denied" => Permission::Denied,
            "default" => Permission::Ask,
            _ => Permission::Unsupported,
        }
    }
}

pub fn permission() -> Permission {
    Permission::parse(&notification_permission_js())
}

/// Shows the browser's permission prompt. Call it only from a tap: browsers ignore (and some
/// penalise) prompts nobody asked for.
pub async fn request_permission() -> Permission {
    let answer = wasm_bindgen_futures::JsFuture::from(request_notification_permission_js())
        .await
        .ok()
        .and_then(|value| value.as_string())
        .unwrap_or_default();
    Permission::parse(&answer)
}

/// The number on the installed app's icon (0 clears it). Does nothing where unsupported.
pub fn set_app_badge(count: usize) {
    set_app_badge_js(u32::try_from(count).unwrap_or(u32::MAX));
}

/// The person's reminder choice and when the last reminder was shown, kept on the device
/// (`Storage` settings, key [`REMINDERS_SETTING`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReminderSettings {
    pub enabled: bool,
    /// The business date of the last reminder shown: at most one a day.
    #[serde(default)]
    pub last_shown: Option<NaiveDate>,
}

pub const REMINDERS_SETTING: &str = "reminders";

thread_local! {
    static CHECKED_ON_OPEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `false` the first time it is asked in this page load, `true` afterwards: "the app was
/// opened" happens once per page load, however often the shell re-renders.
pub fn checked_on_open() -> bool {
    CHECKED_ON_OPEN.with(|checked| checked.replace(true))
}

impl ReminderSettings {
    /// Should a reminder about `overdue` orders be shown on `today`?
    pub fn is_due(&self, today: NaiveDate, overdue: usize) -> bool {
        self.enabled && overdue > 0 && self.last_shown != Some(today)
    }
}

/// How many order numbers a reminder names before "等": enough to recognise, short enough for
/// a lock screen.
const NAMED_IN_REMINDER: usize = 2;

/// The reminder's body for the overdue order numbers (latest deadline first, as 今天 lists
/// them): "GD-1 已逾期…" for one, "3 个订单已逾期：GD-1、GD-2 等" for more.
pub fn reminder_body(i18n: I18nContext<Locale>, numbers: &[String]) -> String {
    match numbers {
        [] => String::new(),
        [number] => t_string!(i18n, reminder_body_one, number = number.clone()).to_string(),
        _ => {
            let separator = td_string!(i18n.get_locale_untracked(), list_separator);
            let named = numbers
                .iter()
                .take(NAMED_IN_REMINDER)
                .cloned()
                .collect::<Vec<_>>()
                .join(separator);
            let count = numbers.len();
            t_string!(i18n, reminder_body_many, count, numbers = named).to_string()
        }
    }
}

/// Shows ONE notification summarising the signed-in person's overdue orders, if they turned
/// reminders on, the browser allows it, something is overdue and none was shown today.
/// Returns whether one was shown. Runs when the app opens and right after the tap that turns
/// reminders on (the same once-a-day rule applies to both).
pub async fn remind_if_due(state: AppState, i18n: I18nContext<Locale>) -> bool {
    if permission() != Permission::Granted {
        return false;
    }
    let Ok(Some(settings)) = state.setting::<ReminderSettings>(REMINDERS_SETTING).await else {
        return false;
    };
    let today = crate::format::today();
    let numbers = state
        .with_today(|list| {
            list.overdue
                .iter()
                .map(|card| card.number.as_str().to_string())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if !settings.is_due(today, numbers.len()) {
        return false;
    }
    let title = t_string!(i18n, reminder_title).to_string();
    let body = reminder_body(i18n, &numbers);
    let shown = wasm_bindgen_futures::JsFuture::from(show_reminder_js(&title, &body, "/today"))
        .await
        .ok()
        .and_then(|value| value.as_bool())
        .unwrap_or(false);
    if shown {
        let settings = ReminderSettings {
            last_shown: Some(today),
            ..settings
        };
        // If this write fails the worst case is a second reminder today.
        let _ = state.save_setting(REMINDERS_SETTING, &settings).await;
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[wasm_bindgen_test]
    fn a_reminder_is_due_once_a_day_only_when_enabled_and_something_is_overdue() {
        let on = ReminderSettings {
            enabled: true,
            last_shown: Some(day(26)),
        };
        assert!(on.is_due(day(27), 1));
        assert!(!on.is_due(day(26), 3), "already shown today");
        assert!(!on.is_due(day(27), 0), "nothing overdue");
        let off = ReminderSettings::default();
        assert!(!off.is_due(day(27), 5));
    }
}
