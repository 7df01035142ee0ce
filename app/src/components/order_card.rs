//! One order on the board: number, customer, amount, owner, days in stage, checklist progress,
//! the deadline badge and the unsynced marker.

use domain::{DeadlineState, Order};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{format, i18n::*, state::use_app_state};

#[component]
pub fn OrderCard(order: Order, unsynced: bool) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let today = format::today();
    let (done, total) = state.with_pipeline(|pipeline| order.checklist_done(pipeline));
    let deadline = state.with_pipeline(|pipeline| order.deadline_state(pipeline, today));
    let days = order.days_in_stage(today).max(0) + 1;
    let href = format!("/orders/{}", order.id);
    let amount = format::money(order.total());
    let number = order.number.as_str().to_string();
    let number_attr = number.clone();
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
                    {unsynced
                        .then(|| {
                            view! {
                                <span class="badge badge-unsynced" data-testid="unsynced">
                                    {t!(i18n, card_unsynced)}
                                </span>
                            }
                        })}
                </div>
                <div class="card-company">{order.customer.company.clone()}</div>
                <div class="card-row card-meta">
                    <span class="card-amount">{amount}</span>
                    <span>{order.owner.name.clone()}</span>
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
