//! Order page → "客户反馈": what the customer told the team through the customer page — the
//! satisfaction rating and the after-sales requests — and the team's answer to a request
//! ("标记已处理", with an optional note), committed as `Mutation::ResolveAfterSales` through
//! `AppState::commit` like every other change (so it works offline and syncs later).
//!
//! Everything the customer typed is shown as text (Leptos escapes it); never as markup.

use std::collections::HashMap;

use domain::{Action, AfterSalesRequest, Feedback, Mutation, Order};
use leptos::prelude::*;
use uuid::Uuid;

use crate::{
    format,
    i18n::*,
    locale::current_lang,
    state::{use_app_state, ChangeError},
};

/// The notes being typed and the answer to the last tap, per request. Kept by the order page:
/// the order's view is rebuilt whenever the order changes (a sync landing), and a note half
/// typed or an error just shown must survive that.
#[derive(Clone, Copy)]
pub struct FeedbackDrafts {
    notes: RwSignal<HashMap<Uuid, String>>,
    error: RwSignal<Option<(Uuid, ChangeError)>>,
}

impl FeedbackDrafts {
    pub fn new() -> Self {
        FeedbackDrafts {
            notes: RwSignal::new(HashMap::new()),
            error: RwSignal::new(None),
        }
    }
}

impl Default for FeedbackDrafts {
    fn default() -> Self {
        Self::new()
    }
}

/// The section, when there is anything to show: the order is open for feedback (shipped, in
/// after-sales, completed) or the customer has said something. Otherwise nothing.
#[component]
pub fn CustomerFeedback(order: Order) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let open = state.with_pipeline_of(&order, |pipeline| order.open_for_feedback(pipeline));
    let nothing_yet = order.feedback.is_none() && order.after_sales.is_empty();
    if !open && nothing_yet {
        return ().into_any();
    }
    // Newest first, open ones before resolved ones: what needs doing comes first.
    let mut requests = order.after_sales.clone();
    domain::sorting::sort_by_key(&mut requests, |request| {
        (!request.is_open(), std::cmp::Reverse(request.at))
    });
    let may_resolve = state.permission(Some(&order), Action::ResolveAfterSales);
    let order_id = order.id;
    view! {
        <section class="panel customer-feedback" data-testid="customer-feedback">
            <h2>{t!(i18n, feedback_title)}</h2>
            {match order.feedback.clone() {
                Some(feedback) => view! { <Rating feedback /> }.into_any(),
                None => view! { <p class="hint" data-testid="no-rating">{t!(i18n, feedback_no_rating)}</p> }.into_any(),
            }}
            <h3>{t!(i18n, feedback_after_sales)}</h3>
            {requests.is_empty().then(|| view! { <p class="hint">{t!(i18n, feedback_no_requests)}</p> })}
            <ul class="after-sales" data-testid="after-sales">
                {requests
                    .into_iter()
                    .map(|request| view! { <Request order_id request may_resolve=may_resolve.clone() /> })
                    .collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

#[component]
fn Rating(feedback: Feedback) -> impl IntoView {
    let i18n = use_i18n();
    let lang = move || current_lang(i18n);
    let stars = feedback.stars.min(5);
    let shown = format!(
        "{}{}",
        "★".repeat(stars as usize),
        "☆".repeat(5 - stars as usize)
    );
    let given_at = feedback.given_at;
    let edited = feedback.edited_at.is_some();
    let comment = (!feedback.comment.is_empty()).then(|| feedback.comment.clone());
    view! {
        <div class="rating" data-testid="rating">
            <p class="rating-line">
                <span
                    class="stars"
                    role="img"
                    aria-label=move || t_string!(i18n, feedback_stars_label, stars).to_string()
                >
                    {shown}
                </span>
                <span class="hint">
                    {move || format::date(domain::business_date(given_at), lang())}
                </span>
                {edited.then(|| view! { <span class="badge badge-stage" data-testid="rating-edited">{t!(i18n, feedback_edited)}</span> })}
            </p>
            {comment.map(|comment| view! { <p class="note-text" data-testid="rating-comment">{comment}</p> })}
        </div>
    }
}

#[component]
fn Request(
    order_id: Uuid,
    request: AfterSalesRequest,
    may_resolve: Result<(), ChangeError>,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let drafts = use_context::<FeedbackDrafts>().unwrap_or_default();
    let request_id = request.id;
    let kind = request.kind;
    let at = request.at;
    let note_id = format!("resolve-note-{request_id}");
    let note = move || {
        drafts
            .notes
            .with(|notes| notes.get(&request_id).cloned().unwrap_or_default())
    };
    let resolve = move |_| {
        let mutation = Mutation::ResolveAfterSales {
            order_id,
            request_id,
            note: note(),
        };
        leptos::task::spawn_local(async move {
            match state.commit(mutation).await {
                Ok(_) => {
                    drafts.error.set(None);
                    drafts.notes.update(|notes| {
                        notes.remove(&request_id);
                    });
                }
                Err(problem) => drafts.error.set(Some((request_id, problem))),
            }
        });
    };
    let status = match &request.resolution {
        None => view! {
            <span class="badge badge-after-sales" data-testid="request-status">{t!(i18n, feedback_open)}</span>
        }
        .into_any(),
        Some(_) => view! {
            <span class="badge badge-done" data-testid="request-status">{t!(i18n, feedback_resolved)}</span>
        }
        .into_any(),
    };
    let resolution = request.resolution.clone().map(|resolution| {
        let by = resolution.by.name.clone();
        let when = resolution.at;
        let note = (!resolution.note.is_empty()).then(|| resolution.note.clone());
        view! {
            <p class="hint" data-testid="request-resolution">
                {move || t_string!(i18n, feedback_resolved_by, name = by.clone(), at = format::date_time(when, lang())).to_string()}
            </p>
            {note.map(|note| view! { <p class="note-text">{move || t_string!(i18n, feedback_resolution_note, note = note.clone()).to_string()}</p> })}
        }
    });
    let action = request.is_open().then(|| match may_resolve {
        Ok(()) => view! {
            <div class="field">
                <label for=note_id.clone()>{t!(i18n, feedback_resolve_note)}</label>
                <textarea
                    id=note_id
                    rows="2"
                    prop:value=note
                    on:input=move |event| {
                        let text = event_target_value(&event);
                        drafts.notes.update(|notes| {
                            notes.insert(request_id, text);
                        });
                    }
                ></textarea>
            </div>
            <button type="button" class="secondary" data-testid="resolve" on:click=resolve>{t!(i18n, feedback_resolve)}</button>
            {move || drafts.error.get().filter(|(id, _)| *id == request_id).map(|(_, problem)| {
                view! { <p class="field-error" role="alert">{problem.message(lang())}</p> }
            })}
        }
        .into_any(),
        Err(problem) => view! {
            <p class="hint not-allowed" data-testid="not-allowed">{move || problem.message(lang())}</p>
        }
        .into_any(),
    });
    view! {
        <li class="after-sales-request" data-testid="after-sales-request">
            <div class="card-row">
                <strong>{move || kind.label(lang())}</strong>
                {status}
            </div>
            <p class="note-text" data-testid="request-description">{request.description.clone()}</p>
            <p class="hint">
                {let contact = request.contact.clone(); move || t_string!(i18n, feedback_contact, contact = contact.clone()).to_string()}
            </p>
            <p class="hint">{move || t_string!(i18n, feedback_submitted_at, at = format::date_time(at, lang())).to_string()}</p>
            {resolution}
            {action}
        </li>
    }
}
