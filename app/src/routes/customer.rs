//! `/customers/:company` (客户档案): one customer as this device knows them, from the orders'
//! cards (works offline): contact, every order, the total, the average rating, open after-sales
//! requests. Reached by tapping the company on an order.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use crate::{components::order_card::OrderCard, format, i18n::*, state::use_app_state};

#[component]
pub fn CustomerPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let params = use_params_map();
    let customer = Memo::new(move |_| {
        let raw = params.read().get("company").unwrap_or_default();
        // The link encodes the name; decoding an already decoded name leaves it as it is.
        let company = js_sys::decode_uri_component(&raw)
            .map(String::from)
            .unwrap_or(raw);
        state
            .cards
            .with(|cards| domain::customer_named(cards.values(), &company))
    });
    view! {
        <section class="page customer">
            {move || match customer.get() {
                None => view! {
                    <h1>{t!(i18n, customer_title)}</h1>
                    <p class="notice notice-warn">{t!(i18n, customer_unknown)}</p>
                    <A href="/">{t!(i18n, not_found_back)}</A>
                }
                .into_any(),
                Some(customer) => {
                    let cards = state.cards.with(|cards| {
                        customer
                            .orders
                            .iter()
                            .filter_map(|id| cards.get(id).cloned())
                            .collect::<Vec<_>>()
                    });
                    let unsynced = state.unsynced;
                    let dial = customer.phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect::<String>();
                    let count = customer.orders.len();
                    let rating = customer.average_rating.map(|r| format!("{r:.1} ★"));
                    let open = customer.open_requests;
                    view! {
                        <h1 data-testid="customer-company">{customer.company.clone()}</h1>
                        <dl class="facts" data-testid="customer-facts">
                            <dt>{t!(i18n, form_contact)}</dt>
                            <dd class="contact-line">
                                <span>{customer.contact.clone()}</span>
                                <a class="tap-link" href=format!("tel:{dial}")>{customer.phone.clone()}</a>
                            </dd>
                            <dt>{t!(i18n, customer_orders)}</dt>
                            <dd data-testid="customer-order-count">{move || t_string!(i18n, customer_order_count, count).to_string()}</dd>
                            <dt>{t!(i18n, customer_total)}</dt>
                            <dd data-testid="customer-total">{format::money(customer.total)}</dd>
                            <dt>{t!(i18n, customer_rating)}</dt>
                            <dd data-testid="customer-rating">{rating.unwrap_or_else(|| "—".into())}</dd>
                            <dt>{t!(i18n, customer_open_requests)}</dt>
                            <dd data-testid="customer-open-requests">{open}</dd>
                        </dl>
                        <ul class="card-list">
                            {cards.into_iter().map(|card| {
                                let is_unsynced = unsynced.with_untracked(|ids| ids.contains(&card.id));
                                view! { <OrderCard card unsynced=is_unsynced /> }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
