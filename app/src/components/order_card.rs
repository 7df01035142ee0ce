//! One order on the board: number, customer, amount, owner, days in stage, checklist progress,
//! the deadline badge, the unsynced marker, and what customers said: "售后 N" for open
//! after-sales requests and their rating (★4). Built from the order's `Card` alone.

use domain::{Card, DeadlineState};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{format, i18n::*};

#[component]
pub fn OrderCard(card: Card, unsynced: bool) -> impl IntoView {
    let i18n = use_i18n();
    let today = format::today();
    let (done, total) = (card.checklist_done, card.checklist_total);
    let deadline = card.deadline_state(today);
    let days = card.days_in_stage(today).max(0) + 1;
    let href = format!("/orders/{}", card.id);
    let amount = format::money(card.total);
    let number = card.number.as_str().to_string();
    let number_attr = number.clone();
    let after_sales = card.after_sales_open;
    let rating = card.rating;
    let badge = move || match deadline {
        DeadlineState::Overdue { days } => Some((
            "badge badge-overdue",
            t_string!(i18n, card_overdue, days).to_string(),
        )),
        DeadlineState::DueToday => Some((
            "badge badge-due",
            t_string!(i18n, card_due_today).to_string(),
        )),
        DeadlineState::DueSoon => Some((
            "badge badge-due",
            t_string!(i18n, card_due_tomorrow).to_string(),
        )),
        DeadlineState::OnTrack | DeadlineState::NotApplicable => None,
    };
    view! {
        <li class="order-card" data-testid="order-card" data-number=number_attr>
            <A href=href>
                <div class="card-row">
                    <span class="card-number">{number}</span>
                    {move || badge().map(|(class, text)| view! { <span class=class>{text}</span> })}
                    {(after_sales > 0)
                        .then(|| {
                            let count = after_sales;
                            view! {
                                <span
                                    class="badge badge-after-sales"
                                    data-testid="after-sales-badge"
                                    role="img"
                                    aria-label=move || t_string!(i18n, card_after_sales_label, count).to_string()
                                >
                                    {move || t_string!(i18n, card_after_sales, count).to_string()}
                                </span>
                            }
                        })}
                    {unsynced
                        .then(|| {
                            view! {
                                <span class="badge badge-unsynced" data-testid="unsynced">
                                    {t!(i18n, card_unsynced)}
                                </span>
                            }
                        })}
                </div>
                <div class="card-company">{card.company.clone()}</div>
                <div class="card-row card-meta">
                    <span class="card-amount">{amount}</span>
                    <span>{card.owner_name.clone()}</span>
                    {rating
                        .map(|stars| {
                            view! {
                                <span
                                    class="card-rating"
                                    data-testid="rating-badge"
                                    role="img"
                                    aria-label=move || t_string!(i18n, card_rating_label, stars).to_string()
                                >
                                    {move || t_string!(i18n, card_rating, stars).to_string()}
                                </span>
                            }
                        })}
                    <span>{move || t_string!(i18n, card_days_in_stage, days).to_string()}</span>
                    {(total > 0)
                        .then(|| {
                            view! {
                                <span class="card-checklist">
                                    {move || t_string!(i18n, card_checklist, done, total).to_string()}
                                </span>
                            }
                        })}
                </div>
            </A>
        </li>
    }
}
