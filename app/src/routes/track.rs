//! `/track`: the customer's page. No account: order number + last 4 digits of the contact phone.
//! Only the domain's `CustomerView` is ever shown here.

use domain::{CustomerStageState, CustomerStatus, CustomerView};
use leptos::prelude::*;

use crate::{
    api::{self, ApiError, LookupRequest},
    i18n::*,
    locale::current_lang,
    network::use_online,
};

#[component]
pub fn TrackPage() -> impl IntoView {
    let i18n = use_i18n();
    let online = use_online();
    let (order_number, set_order_number) = signal(String::new());
    let (phone_last4, set_phone_last4) = signal(String::new());
    let lookup = Action::new_local(|request: &LookupRequest| {
        let request = request.clone();
        async move { api::track_lookup(&request).await }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        lookup.dispatch_local(LookupRequest {
            order_number: order_number.get_untracked().trim().to_string(),
            phone_last4: phone_last4.get_untracked().trim().to_string(),
            lang: current_lang(i18n),
        });
    };
    let switch_language = move |_| {
        i18n.set_locale(match i18n.get_locale() {
            Locale::zh => Locale::en,
            Locale::en => Locale::zh,
        })
    };

    view! {
        <div class="customer-layout">
            <header class="top-bar">
                <div class="brand">
                    <img class="brand-mark" src="/icons/icon.svg" alt="" width="28" height="28" />
                    <span class="brand-name">{t!(i18n, track_title)}</span>
                </div>
                <button type="button" class="link-button" on:click=switch_language>
                    {move || match i18n.get_locale() {
                        Locale::zh => "English",
                        Locale::en => "中文",
                    }}
                </button>
            </header>
            <main class="page track">
                <p class="hint">{t!(i18n, track_intro)}</p>
                <form class="track-form" on:submit=submit>
                    <label for="order-number">{t!(i18n, track_number_label)}</label>
                    <input
                        id="order-number"
                        name="order_number"
                        autocomplete="off"
                        autocapitalize="characters"
                        required
                        maxlength="40"
                        placeholder=move || t_string!(i18n, track_number_placeholder).to_string()
                        prop:value=order_number
                        on:input=move |event| set_order_number.set(event_target_value(&event))
                    />
                    <label for="phone-last4">{t!(i18n, track_phone_label)}</label>
                    <input
                        id="phone-last4"
                        name="phone_last4"
                        inputmode="numeric"
                        pattern="[0-9]{4}"
                        maxlength="4"
                        required
                        autocomplete="off"
                        prop:value=phone_last4
                        on:input=move |event| set_phone_last4.set(event_target_value(&event))
                    />
                    <button type="submit" class="primary" disabled=move || lookup.pending().get()>
                        {move || {
                            if lookup.pending().get() {
                                t_string!(i18n, track_searching)
                            } else {
                                t_string!(i18n, track_submit)
                            }
                        }}
                    </button>
                </form>
                <Show when=move || !online.get()>
                    <p class="notice notice-warn">{t!(i18n, track_offline)}</p>
                </Show>
                {move || {
                    lookup
                        .value()
                        .get()
                        .map(|result| match result {
                            Ok(view) => view! { <OrderProgress view /> }.into_any(),
                            Err(error) => view! { <LookupError error /> }.into_any(),
                        })
                }}
            </main>
        </div>
    }
}

#[component]
fn LookupError(error: ApiError) -> impl IntoView {
    let i18n = use_i18n();
    let not_found = error.code() == Some("order_not_found");
    view! {
        <p class="notice notice-warn" role="alert" data-testid="track-error">
            {move || {
                if not_found {
                    t_string!(i18n, track_not_found).to_string()
                } else {
                    error.message(current_lang(i18n))
                }
            }}
        </p>
    }
}

#[component]
fn OrderProgress(view: CustomerView) -> impl IntoView {
    let i18n = use_i18n();
    let status = view.status;
    let status_text = move || match status {
        CustomerStatus::InProgress => t_string!(i18n, track_status_in_progress),
        CustomerStatus::Completed => t_string!(i18n, track_status_completed),
        CustomerStatus::Cancelled => t_string!(i18n, track_status_cancelled),
    };
    view! {
        <article class="progress-card" data-testid="track-result">
            <header>
                <h2>{view.order_number.clone()}</h2>
                <p class="company">{view.company.clone()}</p>
                <span class="total-chip">{status_text}</span>
            </header>
            <p class="current-message">{view.current_message.clone()}</p>
            <ol class="timeline">
                {view
                    .stages
                    .iter()
                    .map(|stage| {
                        let class = match stage.state {
                            CustomerStageState::Done => "timeline-step done",
                            CustomerStageState::Current => "timeline-step current",
                            CustomerStageState::Upcoming => "timeline-step upcoming",
                        };
                        let reached = stage.reached_on.map(|date| date.format("%Y-%m-%d").to_string());
                        view! {
                            <li class=class>
                                <span class="timeline-label">{stage.label.clone()}</span>
                                <span class="timeline-date">{reached}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
            <dl class="facts">
                {view
                    .expected_delivery
                    .map(|date| {
                        view! {
                            <dt>{t!(i18n, track_expected)}</dt>
                            <dd>{date.format("%Y-%m-%d").to_string()}</dd>
                        }
                    })}
                {view
                    .shipment
                    .clone()
                    .map(|shipment| {
                        view! {
                            <dt>{t!(i18n, track_shipment)}</dt>
                            <dd>{format!("{} {}", shipment.carrier, shipment.tracking_no)}</dd>
                        }
                    })}
                <dt>{t!(i18n, track_contact)}</dt>
                <dd>
                    {view.sales_contact.name.clone()}
                    {view.sales_contact.phone.clone().map(|phone| format!(" · {phone}"))}
                </dd>
            </dl>
        </article>
    }
}
