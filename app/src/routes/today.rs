//! `/today` (今天): what the signed-in person should look at first — their overdue stages (how
//! many days late), stages due today and later this week, and customers waiting on an
//! after-sales request, records a colleague asked their department for (请他处理), and their
//! own orders whose customer lookups the server locked today (send the link). Built by `domain::today` from the cards on the device (no full order is
//! read), so it works with no network. Each row opens its order.

use domain::{Card, DeadlineState, Today};
use leptos::prelude::*;

use crate::components::{pull_to_refresh::PullToRefresh, rejections::Rejections};
use leptos_router::components::A;

use crate::{format, i18n::*, locale::current_lang, state::use_app_state};

/// The sections, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overdue,
    DueToday,
    Asked,
    ThisWeek,
    AfterSales,
    LookupLocked,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Overdue,
        Section::DueToday,
        Section::Asked,
        Section::ThisWeek,
        Section::AfterSales,
        Section::LookupLocked,
    ];

    fn key(self) -> &'static str {
        match self {
            Section::Overdue => "overdue",
            Section::DueToday => "due-today",
            Section::ThisWeek => "this-week",
            Section::AfterSales => "after-sales",
            Section::Asked => "asked",
            Section::LookupLocked => "lookup-locked",
        }
    }

    fn cards<'a>(self, list: &'a Today<'a>) -> &'a [&'a Card] {
        match self {
            Section::Overdue => &list.overdue,
            Section::DueToday => &list.due_today,
            Section::ThisWeek => &list.this_week,
            Section::AfterSales => &list.after_sales,
            Section::Asked => &list.asked,
            Section::LookupLocked => &list.lookup_locked,
        }
    }
}

/// The list as the page shows it: owned copies of the cards of each section (the domain's
/// list borrows the cards signal).
#[derive(Debug, Clone, PartialEq, Default)]
struct Sections(Vec<(Section, Vec<Card>)>);

#[component]
pub fn TodayPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let sections = Memo::new(move |_| {
        state
            .with_today(|list| {
                Sections(
                    Section::ALL
                        .into_iter()
                        .map(|section| {
                            let cards = section.cards(list).iter().map(|c| (*c).clone()).collect();
                            (section, cards)
                        })
                        .collect(),
                )
            })
            .unwrap_or_default()
    });
    let is_empty =
        move || sections.with(|Sections(all)| all.iter().all(|(_, cards)| cards.is_empty()));
    let heading = move |section: Section| match section {
        Section::Overdue => t_string!(i18n, today_overdue),
        Section::DueToday => t_string!(i18n, today_due_today),
        Section::ThisWeek => t_string!(i18n, today_this_week),
        Section::AfterSales => t_string!(i18n, today_after_sales),
        Section::Asked => t_string!(i18n, today_asked),
        Section::LookupLocked => t_string!(i18n, today_lookup_locked),
    };
    view! {
        <PullToRefresh>
        <section class="page today">
            <div class="page-head">
                <h1>{t!(i18n, today_title)}</h1>
                <span class="today-date">{move || format::date(format::today(), current_lang(i18n))}</span>
            </div>
            {move || match state.status.get() {
                None => Some(view! { <p class="hint">{t!(i18n, storage_loading)}</p> }.into_any()),
                Some(Err(error)) => {
                    let message = error.message(current_lang(i18n));
                    Some(view! { <p class="notice notice-warn" role="alert">{message}</p> }.into_any())
                }
                Some(Ok(())) => None,
            }}
            <Rejections />
            <Show when=move || state.is_ready() && is_empty()>
                <div class="today-empty" data-testid="today-empty">
                    <p class="today-empty-title">{t!(i18n, today_empty)}</p>
                    <p class="hint">{t!(i18n, today_empty_hint)}</p>
                </div>
            </Show>
            {move || {
                sections
                    .get()
                    .0
                    .into_iter()
                    .filter(|(_, cards)| !cards.is_empty())
                    .map(|(section, cards)| {
                        let count = cards.len();
                        view! {
                            <section
                                class="today-section"
                                class:today-section-overdue=section == Section::Overdue
                                data-testid=format!("today-{}", section.key())
                            >
                                <h2 class="today-head">
                                    <span>{heading(section)}</span>
                                    <span class="column-count" data-testid="today-count">{count}</span>
                                </h2>
                                <ul class="card-list">
                                    {cards
                                        .into_iter()
                                        .map(|card| view! { <TodayRow card section /> })
                                        .collect_view()}
                                </ul>
                            </section>
                        }
                    })
                    .collect_view()
            }}
            <p class="hint today-offline">{t!(i18n, today_offline)}</p>
        </section>
        </PullToRefresh>
    }
}

/// One order: its number, why it is listed (days late, due date, open requests), the
/// customer, and the stage with who runs it.
#[component]
fn TodayRow(card: Card, section: Section) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let href = format!("/orders/{}", card.id);
    let number = card.number.as_str().to_string();
    let number_attr = number.clone();
    let deadline = card.deadline_state(format::today());
    let due = card.due;
    let open_requests = card.after_sales_open;
    let asked_of_me = state
        .actor_untracked()
        .map(|actor| card.asks_for(&actor))
        .unwrap_or_default();
    let reason = move || match section {
        Section::Overdue => {
            let days = match deadline {
                DeadlineState::Overdue { days } => days,
                _ => 0,
            };
            (
                "badge badge-overdue",
                t_string!(i18n, today_overdue_days, days).to_string(),
            )
        }
        Section::DueToday => (
            "badge badge-due",
            t_string!(i18n, card_due_today).to_string(),
        ),
        Section::ThisWeek => {
            let date = format::date(due, lang());
            (
                "badge badge-stage",
                t_string!(i18n, today_due_on, date).to_string(),
            )
        }
        Section::AfterSales => {
            let count = open_requests;
            (
                "badge badge-overdue",
                t_string!(i18n, today_after_sales_open, count).to_string(),
            )
        }
        Section::Asked => {
            let tasks = asked_of_me
                .iter()
                .map(|need| need.task().get(lang()).to_string())
                .collect::<Vec<_>>()
                .join(t_string!(i18n, list_separator));
            (
                "badge badge-due",
                t_string!(i18n, today_asked_task, tasks).to_string(),
            )
        }
        Section::LookupLocked => (
            "badge badge-overdue",
            t_string!(i18n, today_lookup_locked_reason).to_string(),
        ),
    };
    let stage = card.stage.clone();
    let stage_name = move || {
        state.with_board_pipeline(|pipeline, _| {
            pipeline
                .stage(&stage)
                .map(|def| def.name.get(lang()).to_string())
                .unwrap_or_else(|| stage.as_str().to_string())
        })
    };
    let who = card.stage_person_name().to_string();
    view! {
        <li class="order-card today-row" data-testid="today-row" data-number=number_attr>
            <A href=href>
                <div class="card-row">
                    <span class="card-number">{number}</span>
                    {move || {
                        let (class, text) = reason();
                        view! { <span class=class data-testid="today-reason">{text}</span> }
                    }}
                </div>
                <div class="card-company">{card.company.clone()}</div>
                <div class="card-row card-meta">
                    <span>{stage_name}</span>
                    <span>{who}</span>
                </div>
            </A>
        </li>
    }
}
