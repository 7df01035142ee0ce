//! `/desk/holidays` (设置 → 流程设置 → 节假日): the company's working-day calendar, one year at a
//! time — the days off (放假) and the weekend days worked to make up for them (调休上班) that
//! working-day SLAs count on. Everyone reads it; an admin marks a day or a range, removes a run,
//! and saves the year; phones receive it with their next pull.
//!
//! The rules are the domain's (`domain::holidays`): marking (`HolidayYear::mark`), listing runs
//! (`spans`) and the checks run before sending (`HolidayYear::check`) are the server's own; a
//! refusal the server still gives is shown with the field it names.

use chrono::{Datelike, NaiveDate};
use domain::{
    holidays::{spans, YearDraft},
    wire::HolidayYearInput,
    DayKind, HolidayCalendar, HolidayYear, HolidayYearEntry, Lang,
};
use leptos::prelude::*;

use crate::{
    api, format,
    i18n::*,
    locale::current_lang,
    network::use_online,
    state::{use_app_state, AppState},
};

/// The calendar as this device counts on it (when the server cannot be asked): the years
/// without who changed them.
fn device_calendar(state: &AppState) -> HolidayCalendar {
    HolidayCalendar {
        version: 0,
        years: state
            .processes()
            .calendar()
            .years()
            .map(|days| HolidayYearEntry {
                days: days.clone(),
                updated_by: None,
                updated_at: None,
            })
            .collect(),
    }
}

/// The years offered: every stored one, and this year and the next even when none is stored.
fn offered_years(calendar: &HolidayCalendar, today: NaiveDate) -> Vec<i32> {
    let mut years: Vec<i32> = calendar
        .years
        .iter()
        .map(|entry| entry.days.year)
        .chain([today.year(), today.year() + 1])
        .collect();
    years.sort_unstable();
    years.dedup();
    years
}

fn input_of(year: &HolidayYear) -> HolidayYearInput {
    HolidayYearInput {
        holidays: year.holidays.iter().map(|d| d.to_string()).collect(),
        workdays: year.workdays.iter().map(|d| d.to_string()).collect(),
        provisional: year.provisional,
    }
}

fn span_text(first: NaiveDate, last: NaiveDate, lang: Lang) -> String {
    let days = (last - first).num_days() + 1;
    match (first == last, lang) {
        (true, _) => format::date(first, lang),
        (false, Lang::Zh) => format!(
            "{} – {}（{days} 天）",
            format::date(first, lang),
            last.format("%-m月%-d日")
        ),
        (false, Lang::En) => format!(
            "{} – {} ({days} days)",
            format::date(first, lang),
            format::date(last, lang)
        ),
    }
}

#[component]
pub fn HolidaysPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let online = use_online();
    let lang = move || current_lang(i18n);
    let is_admin = move || state.is_admin();
    let token = move || {
        state
            .session
            .with_untracked(|session| session.as_ref().map(|session| session.token.clone()))
    };
    let today = format::today();
    let year = RwSignal::new(today.year());
    // The calendar as the server has it (`None` until read, or offline: the device's then).
    let served = RwSignal::new(None::<HolidayCalendar>);
    // The selected year as edited, not yet saved.
    let draft = RwSignal::new(None::<YearDraft>);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let server_field = RwSignal::new(None::<String>);
    let loaded = LocalResource::new(move || {
        let token = state
            .session
            .with(|session| session.as_ref().map(|session| session.token.clone()))
            .filter(|_| online.get());
        async move {
            match token {
                Some(token) => Some(api::holiday_calendar(&token).await),
                None => None,
            }
        }
    });
    Effect::new(move || {
        if let Some(Some(Ok(calendar))) = loaded.get() {
            served.set(Some(calendar));
        }
    });
    let calendar = move || {
        served.get().unwrap_or_else(|| {
            state.status.track();
            state.calendar_changes.track();
            device_calendar(&state)
        })
    };
    let entry = move || {
        let selected = year.get();
        calendar().year(selected).cloned()
    };
    // A new year picked or the calendar read (again, e.g. the network came back): an untouched
    // draft starts again from what is stored; days marked and not yet saved are kept.
    Effect::new(move || {
        let selected = year.get();
        let stored = entry()
            .map(|entry| entry.days)
            .unwrap_or_else(|| HolidayYear::empty(selected));
        draft.update(|draft| {
            let next = match draft.take() {
                Some(mut kept) => {
                    kept.reload(stored);
                    kept
                }
                None => YearDraft::new(stored),
            };
            *draft = Some(next);
        });
    });
    Effect::new(move || {
        year.track();
        server_field.set(None);
    });
    let changed = move || {
        let stored = entry().map(|entry| entry.days);
        draft.with(|draft| match (draft, stored) {
            (Some(draft), Some(stored)) => draft.differs_from(&stored),
            (Some(draft), None) => {
                !draft.edited().holidays.is_empty() || !draft.edited().workdays.is_empty()
            }
            (None, _) => false,
        })
    };
    let may_edit = move || is_admin() && online.get() && served.with(Option::is_some);

    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let kind = RwSignal::new(DayKind::Holiday);
    let mark_problem = RwSignal::new(None::<String>);
    let mark = move |_| {
        let parse = |text: String| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
        let Some(first) = parse(from.get_untracked()) else {
            mark_problem.set(Some(t_string!(i18n, holidays_pick_date).to_string()));
            return;
        };
        let last = parse(to.get_untracked()).unwrap_or(first);
        let selected = year.get_untracked();
        if first.year() != selected || last.year() != selected {
            mark_problem.set(Some(
                t_string!(i18n, holidays_other_year, year = selected).to_string(),
            ));
            return;
        }
        mark_problem.set(None);
        outcome.set(None);
        server_field.set(None);
        draft.update(|draft| {
            if let Some(draft) = draft {
                draft.edit(|days| days.mark(first, last, kind.get_untracked()));
            }
        });
        from.set(String::new());
        to.set(String::new());
    };
    let unmark = move |first: NaiveDate, last: NaiveDate| {
        outcome.set(None);
        server_field.set(None);
        draft.update(|draft| {
            if let Some(draft) = draft {
                draft.edit(|days| days.mark(first, last, DayKind::Normal));
            }
        });
    };
    // The server's own checks, before anything is sent.
    let local_problem = move || {
        draft.with(|draft| {
            draft
                .as_ref()
                .and_then(|draft| draft.edited().check().err())
                .map(|error| error.message(lang()))
        })
    };
    let saving = RwSignal::new(false);
    let save = move |_| {
        let entered = draft.with_untracked(|draft| draft.as_ref().map(|d| d.edited().clone()));
        let (Some(token), Some(entered)) = (token(), entered) else {
            return;
        };
        if local_problem().is_some() {
            return;
        }
        saving.set(true);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let answer = api::save_holiday_year(&token, entered.year, &input_of(&entered)).await;
            saving.set(false);
            match answer {
                Ok(calendar) => {
                    served.set(Some(calendar));
                    server_field.set(None);
                    outcome.set(Some(Ok(t_string!(
                        i18n,
                        holidays_saved,
                        year = entered.year
                    )
                    .to_string())));
                    // This device counts on the new calendar as soon as its pull brings it.
                    state.request_sync();
                }
                Err(error) => {
                    server_field.set(error.field().map(str::to_string));
                    outcome.set(Some(Err(error.message(current_lang(i18n)))));
                }
            }
        });
    };

    let day_list = move |holidays: bool| {
        let runs = draft.with(|draft| {
            draft.as_ref().map_or_else(Vec::new, |draft| {
                let days = draft.edited();
                spans(if holidays {
                    &days.holidays
                } else {
                    &days.workdays
                })
            })
        });
        let editable = may_edit();
        if runs.is_empty() {
            return view! { <p class="hint">{t!(i18n, holidays_none)}</p> }.into_any();
        }
        view! {
            <ul class="holiday-days" data-testid=if holidays { "holiday-list" } else { "workday-list" }>
                {runs.into_iter().map(|(first, last)| {
                    let text = span_text(first, last, lang());
                    let remove_label = t_string!(i18n, holidays_remove, days = text.clone()).to_string();
                    view! {
                        <li data-testid="holiday-span">
                            <span>{text}</span>
                            {editable.then(|| view! {
                                <button type="button" class="secondary" aria-label=remove_label on:click=move |_| unmark(first, last)>
                                    {t!(i18n, holidays_remove_short)}
                                </button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };

    view! {
        <section class="page holidays stack" data-testid="holidays-page">
            <p><a href="/desk/process" class="button">{t!(i18n, holidays_back)}</a></p>
            <h1>{t!(i18n, holidays_title)}</h1>
            <p class="hint">{t!(i18n, holidays_intro)}</p>
            {move || (!is_admin()).then(|| view! { <p class="notice" data-testid="holidays-read-only">{t!(i18n, holidays_read_only)}</p> })}
            {move || (is_admin() && !online.get()).then(|| view! { <p class="notice notice-warn">{t!(i18n, holidays_needs_network)}</p> })}
            <div class="field">
                <label for="holidays-year">{t!(i18n, holidays_year)}</label>
                <select id="holidays-year" on:change=move |event| {
                    if let Ok(picked) = event_target_value(&event).parse::<i32>() {
                        outcome.set(None);
                        year.set(picked);
                    }
                }>
                    {move || offered_years(&calendar(), today).into_iter().map(|offered| view! {
                        <option value=offered.to_string() selected=move || year.get() == offered>{offered.to_string()}</option>
                    }).collect_view()}
                </select>
            </div>
            {move || draft.with(|draft| draft.as_ref().is_some_and(|d| d.edited().provisional)).then(|| view! {
                <p class="notice notice-warn" data-testid="holidays-provisional">
                    {t_string!(i18n, holidays_provisional, year = year.get()).to_string()}
                </p>
            })}
            <p class="hint" data-testid="holidays-changed-by">{move || match entry() {
                Some(HolidayYearEntry { updated_by: Some(name), updated_at: Some(at), .. }) =>
                    t_string!(i18n, holidays_changed_by, name = name, at = format::date_time(at, lang())).to_string(),
                Some(_) => t_string!(i18n, holidays_as_shipped).to_string(),
                None => t_string!(i18n, holidays_not_set).to_string(),
            }}</p>
            <Show when=may_edit>
                <div class="panel stack" data-testid="holidays-mark">
                    <h2>{t!(i18n, holidays_mark_title)}</h2>
                    <div class="field">
                        <label for="holidays-from">{t!(i18n, holidays_from)}</label>
                        <input id="holidays-from" type="date" prop:value=from on:input=move |event| from.set(event_target_value(&event)) />
                    </div>
                    <div class="field">
                        <label for="holidays-to">{t!(i18n, holidays_to)}</label>
                        <input id="holidays-to" type="date" prop:value=to on:input=move |event| to.set(event_target_value(&event)) />
                    </div>
                    <div class="field">
                        <label for="holidays-kind">{t!(i18n, holidays_kind)}</label>
                        <select id="holidays-kind" on:change=move |event| kind.set(match event_target_value(&event).as_str() {
                            "workday" => DayKind::Workday,
                            "normal" => DayKind::Normal,
                            _ => DayKind::Holiday,
                        })>
                            <option value="holiday">{t!(i18n, holidays_kind_holiday)}</option>
                            <option value="workday">{t!(i18n, holidays_kind_workday)}</option>
                            <option value="normal">{t!(i18n, holidays_kind_normal)}</option>
                        </select>
                    </div>
                    {move || mark_problem.get().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
                    <button type="button" class="secondary wide" data-testid="holidays-mark-button" on:click=mark>{t!(i18n, holidays_mark)}</button>
                    <label class="check">
                        <input type="checkbox" id="holidays-provisional"
                            prop:checked=move || draft.with(|d| d.as_ref().is_some_and(|d| d.edited().provisional))
                            on:change=move |event| {
                                let on = event_target_checked(&event);
                                draft.update(|d| if let Some(d) = d { d.edit(|days| days.provisional = on) });
                            } />
                        <span>{t!(i18n, holidays_provisional_check)}</span>
                    </label>
                    {move || local_problem().map(|message| view! { <p class="field-error" role="alert" data-testid="holidays-problem">{message}</p> })}
                    <button type="button" class="primary wide" data-testid="holidays-save"
                        disabled=move || saving.get() || !changed() || local_problem().is_some()
                        on:click=save>
                        {move || t_string!(i18n, holidays_save, year = year.get()).to_string()}
                    </button>
                </div>
            </Show>
            {move || outcome.get().map(|outcome| match outcome {
                Ok(message) => view! { <p class="notice" role="status" data-testid="holidays-outcome">{message}</p> }.into_any(),
                Err(message) => view! {
                    <p class="notice notice-warn" role="alert" data-testid="holidays-outcome" data-field=move || server_field.get().unwrap_or_default()>{message}</p>
                }.into_any(),
            })}
            <h2>{t!(i18n, holidays_days_off)}</h2>
            {move || day_list(true)}
            <h2>{t!(i18n, holidays_make_up)}</h2>
            {move || day_list(false)}
        </section>
    }
}
