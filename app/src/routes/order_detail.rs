//! `/orders/:id`: one order — stage timeline, the current stage's SOP checklist, moving it on
//! (with a reason when the rules ask for one), deadline, shipment, invoice, cancel / reopen,
//! notes and the full audit history; what the customer said (rating, after-sales requests, in
//! `components/customer_feedback.rs`) and sharing the order with them (`components/share_panel.rs`).
//! Every action is a domain mutation through `commit`, except making a share link, which asks
//! the server.

use domain::{
    permission, Action, DomainError, ExitRequirement, Mutation, Order, OrderStatus, Role,
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};
use uuid::Uuid;

use crate::{
    components::{
        attachments::{Attachments, EvidencePicker},
        copy_button::CopyButton,
        customer_feedback::{CustomerFeedback, FeedbackDrafts},
        field::{DraftField, TextField},
        rejections::Rejections,
        share_panel::{SharePanel, ShareState},
    },
    format,
    i18n::*,
    locale::current_lang,
    state::{use_app_state, AppState, ChangeError, DraftBox, OrderPageDraft},
};

/// A phone number as a `tel:` link dials it: digits and a leading "+" only (people type spaces,
/// dashes and "转" extensions the dialler does not take).
fn dial_string(phone: &str) -> String {
    let mut dial: String = phone
        .split(['转', ',', ';', 'x', 'X'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if dial.rfind('+').is_some_and(|at| at > 0) {
        dial.retain(|c| c != '+');
    }
    dial
}

/// Runs one mutation; on failure the message lands in `error` next to the action.
fn act(
    state: AppState,
    mutation: Mutation,
    error: RwSignal<Option<ChangeError>>,
    after: impl FnOnce() + 'static,
) {
    leptos::task::spawn_local(async move {
        match state.commit(mutation).await {
            Ok(_) => {
                error.set(None);
                after();
            }
            Err(problem) => error.set(Some(problem)),
        }
    });
}

#[component]
fn ErrorLine(error: RwSignal<Option<ChangeError>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        error.get().map(|problem| {
            view! { <p class="field-error" role="alert">{problem.message(current_lang(i18n))}</p> }
        })
    }
}

/// In place of an action the signed-in person may not take: the rulebook's reason, so nobody
/// wonders where the button went.
#[component]
fn NotAllowed(problem: ChangeError) -> impl IntoView {
    let i18n = use_i18n();
    view! { <p class="hint not-allowed" data-testid="not-allowed">{move || problem.message(current_lang(i18n))}</p> }
}

/// What a person is typing on the page, and the answers to what they did. It lives with the
/// page, not with the order's view, which is rebuilt whenever the order changes (a tick that
/// lands, a sync): text being typed and an error about the last tap must survive that.
#[derive(Clone, Copy)]
struct Drafts {
    note: RwSignal<String>,
    advance_reason: RwSignal<String>,
    cancel_reason: RwSignal<String>,
    asking_reason: RwSignal<bool>,
    stage_error: RwSignal<Option<ChangeError>>,
    shipping_error: RwSignal<Option<ChangeError>>,
    notes_error: RwSignal<Option<ChangeError>>,
    close_error: RwSignal<Option<ChangeError>>,
    /// Shipment, invoice and due date as typed (`OrderPageDraft` keeps typing when the order
    /// changes underneath); `None` until the order is read.
    forms: RwSignal<Option<OrderPageDraft>>,
}

impl Drafts {
    fn new() -> Self {
        Drafts {
            note: RwSignal::new(String::new()),
            advance_reason: RwSignal::new(String::new()),
            cancel_reason: RwSignal::new(String::new()),
            asking_reason: RwSignal::new(false),
            stage_error: RwSignal::new(None),
            shipping_error: RwSignal::new(None),
            notes_error: RwSignal::new(None),
            close_error: RwSignal::new(None),
            forms: RwSignal::new(None),
        }
    }

    /// The page now shows `order`: the typed forms follow it, keeping what was typed.
    fn follow(&self, order: &Order) {
        self.forms.update(|forms| match forms {
            Some(draft) => draft.follow(order),
            None => *forms = Some(OrderPageDraft::opening(order)),
        });
    }

    /// An input bound to one box of the typed forms.
    fn bind(&self, which: DraftBox) -> (Signal<String>, Callback<String>) {
        let forms = self.forms;
        let value = Signal::derive(move || {
            forms.with(|forms| {
                forms
                    .as_ref()
                    .map(|draft| draft.field(which).text().to_string())
                    .unwrap_or_default()
            })
        });
        let on_input = Callback::new(move |text: String| {
            forms.update(|forms| {
                if let Some(draft) = forms {
                    draft.field_mut(which).type_text(text);
                }
            })
        });
        (value, on_input)
    }

    /// The typed forms, for building a change (untracked: read when a button is tapped).
    fn typed(&self) -> Option<OrderPageDraft> {
        self.forms.get_untracked()
    }
}

fn drafts() -> Drafts {
    use_context::<Drafts>().unwrap_or_else(Drafts::new)
}

#[component]
pub fn OrderDetailPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    provide_context(Drafts::new());
    provide_context(FeedbackDrafts::new());
    provide_context(ShareState::new());
    let params = use_params_map();
    let order_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| Uuid::parse_str(&id).ok())
    };
    // The full order is read from the device when the page opens (and again once storage
    // is ready, for a deep link opened at start); after that every commit of it updates
    // `open_order`, so the page follows its changes.
    let loaded = LocalResource::new(move || {
        let id = order_id();
        let ready = state.is_ready();
        async move {
            match (id, ready) {
                (Some(id), true) => Some(state.open_order(id).await),
                _ => None,
            }
        }
    });
    let order = Memo::new(move |_| {
        let id = order_id()?;
        state
            .open_order
            .with(|open| open.as_ref().filter(|order| order.id == id).cloned())
    });
    let storage_failed = move || matches!(state.status.get(), Some(Err(_)));
    view! {
        <section class="page order-detail">
            {move || match (order.get(), loaded.get().flatten()) {
                (Some(order), _) => {
                    // A new holiday calendar moves the deadline of an unchanged order.
                    state.calendar_changes.track();
                    view! { <OrderView order /> }.into_any()
                }
                (None, Some(Err(error))) => {
                    let message = error.message(current_lang(i18n));
                    view! { <p class="notice notice-warn" role="alert">{message}</p> }.into_any()
                }
                (None, Some(Ok(_))) => view! { <NotOnDevice /> }.into_any(),
                (None, None) if storage_failed() || order_id().is_none() => {
                    view! { <NotOnDevice /> }.into_any()
                }
                (None, None) => view! { <p class="hint">{t!(i18n, storage_loading)}</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn NotOnDevice() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <h1>{t!(i18n, order_title)}</h1>
        <p class="notice notice-warn">{t!(i18n, order_not_on_device)}</p>
        <A href="/">{t!(i18n, not_found_back)}</A>
    }
}

#[component]
fn OrderView(order: Order) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    drafts().follow(&order);
    let lang = move || current_lang(i18n);
    let unsynced = state.unsynced.with(|ids| ids.contains(&order.id));
    let status = match &order.status {
        OrderStatus::Active => None,
        OrderStatus::Completed => Some((
            "badge badge-done",
            t_string!(i18n, status_completed).to_string(),
        )),
        OrderStatus::Cancelled { reason } => Some((
            "badge badge-overdue",
            format!("{}：{reason}", t_string!(i18n, status_cancelled)),
        )),
    };
    let stage_name = state.with_pipeline_of(&order, |pipeline| {
        pipeline
            .stage(&order.stage)
            .map(|stage| stage.name.get(lang()).to_string())
            .unwrap_or_else(|| order.stage.0.clone())
    });
    view! {
        <header class="detail-head">
            <div class="page-head">
                <h1 data-testid="order-number">{order.number.as_str().to_string()}</h1>
                {(order.is_active() && state.may(Some(&order), Action::EditOrder)).then(|| {
                    let href = format!("/orders/{}/edit", order.id);
                    view! { <A href=href attr:class="button">{t!(i18n, detail_edit)}</A> }
                })}
            </div>
            <p class="company">{order.customer.company.clone()}</p>
            <A
                href=format!("/customers/{}", String::from(js_sys::encode_uri_component(order.customer.company.trim())))
                attr:class="tap-link"
                attr:data-testid="customer-link"
            >
                {t!(i18n, customer_open_profile)}
            </A>
            <div class="card-row">
                <span class="badge badge-stage" data-testid="current-stage">{stage_name}</span>
                {status.map(|(class, text)| view! { <span class=class data-testid="order-status">{text}</span> })}
                {unsynced.then(|| view! { <span class="badge badge-unsynced" data-testid="unsynced">{t!(i18n, card_unsynced)}</span> })}
            </div>
            <dl class="facts">
                <dt>{t!(i18n, form_contact)}</dt>
                <dd class="contact-line">
                    <span>{order.customer.contact.clone()}</span>
                    <a
                        class="tap-link"
                        data-testid="order-phone"
                        href=format!("tel:{}", dial_string(&order.customer.phone))
                        aria-label={let phone = order.customer.phone.clone(); move || t_string!(i18n, detail_call, phone = phone.clone()).to_string()}
                    >
                        {order.customer.phone.clone()}
                    </a>
                </dd>
                {order.customer.email.clone().map(|email| view! {
                    <dt>{t!(i18n, detail_email)}</dt>
                    // An address stored before the rule that is more than an address (a hidden
                    // `?bcc=`) is shown, not linked.
                    <dd>{match domain::order::mailto_href(&email) {
                        Some(href) => view! { <a class="tap-link" data-testid="order-email" href=href>{email.clone()}</a> }.into_any(),
                        None => view! { <span data-testid="order-email">{email.clone()}</span> }.into_any(),
                    }}</dd>
                })}
                {order.customer.address.clone().map(|address| view! {
                    <dt>{t!(i18n, detail_address)}</dt>
                    <dd class="address-line">
                        <span data-testid="order-address">{address.clone()}</span>
                        <CopyButton text=address label=t_string!(i18n, detail_copy_address).to_string() testid="copy-address" />
                    </dd>
                })}
                <dt>{t!(i18n, detail_amount)}</dt>
                <dd data-testid="order-total">{format::money(order.total())}</dd>
                <dt>{t!(i18n, detail_owner)}</dt>
                <dd>{order.owner.name.clone()}</dd>
                {order.expected_delivery.map(|date| view! {
                    <dt>{t!(i18n, form_delivery)}</dt>
                    <dd>{move || format::date(date, lang())}</dd>
                })}
            </dl>
            <ul class="items">
                {order.items.iter().map(|item| view! {
                    <li>{format!("{} × {}{} @ {}", item.product, item.quantity, item.unit, format::money(item.unit_price))}</li>
                }).collect_view()}
            </ul>
        </header>
        // A change to this order the server refused (say, made offline while a colleague moved
        // it): said here too, not only on the board.
        <Rejections order=order.id />
        // Ordered for the work: what the current stage needs (checklist, then the shipment and
        // invoice that must be recorded before it can be left), the action that moves it on, a
        // quick note; then what is there to read (feedback, progress, sharing, history).
        {if order.is_active() {
            let needs = order.clone();
            view! {
                <CurrentStage order=order.clone()>
                    <ShipmentAndInvoice order=needs.clone() nested=true />
                </CurrentStage>
            }
            .into_any()
        } else {
            view! { <ShipmentAndInvoice order=order.clone() /> }.into_any()
        }}
        <Notes order=order.clone() />
        <Attachments order=order.clone() />
        <CustomerFeedback order=order.clone() />
        <Timeline order=order.clone() />
        <OrderReview order=order.clone() />
        <SharePanel order_id=order.id number=order.number.as_str().to_string() />
        <CloseOrReopen order=order.clone() />
        <History order />
    }
}

#[component]
fn Timeline(order: Order) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let rows = state.with_pipeline_of(&order, |pipeline| {
        let current_index = pipeline.index_of(&order.stage).unwrap_or(0);
        pipeline
            .stages
            .iter()
            .enumerate()
            .map(|(index, stage)| {
                let visit = order
                    .stages
                    .iter()
                    .rev()
                    .find(|visit| visit.stage == stage.id)
                    .cloned();
                let class = if order.is_active() && index == current_index {
                    "timeline-step current"
                } else if visit.is_some() {
                    "timeline-step done"
                } else {
                    "timeline-step upcoming"
                };
                (stage.name.clone(), visit, class)
            })
            .collect::<Vec<_>>()
    });
    view! {
        <section class="panel">
            <h2>{t!(i18n, detail_timeline)}</h2>
            <ol class="timeline" data-testid="timeline">
                {rows.into_iter().map(|(name, visit, class)| view! {
                    <li class=class>
                        <span class="timeline-label">{move || name.get(lang()).to_string()}</span>
                        <span class="timeline-date">
                            {visit.map(|visit| move || format!("{} · {}", format::date_time(visit.entered_at, lang()), visit.entered_by.name))}
                        </span>
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

/// 复盘: each stage visit against its plan (`domain::analytics::review`), folded away until
/// someone opens it — it is for looking back, not for the day's work.
#[component]
fn OrderReview(order: Order) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let body = move || {
        let lang = lang();
        let review = state.with_pipeline_of(&order, |pipeline| {
            domain::analytics::review(&order, pipeline, chrono::Utc::now(), lang)
        });
        let stage_name = |id: &domain::StageId| {
            state.with_pipeline_of(&order, |pipeline| {
                pipeline
                    .stage(id)
                    .map_or_else(|| id.to_string(), |def| def.name.get(lang).to_string())
            })
        };
        let rows = review
            .stages
            .iter()
            .map(|visit| {
                let (verdict, tone) = match visit.on_time {
                    Some(true) => (
                        t_string!(i18n, review_on_time).to_string(),
                        "badge badge-ok",
                    ),
                    Some(false) => (
                        t_string!(i18n, review_late).to_string(),
                        "badge badge-overdue",
                    ),
                    None if visit.due < format::today() => (
                        t_string!(i18n, review_overdue).to_string(),
                        "badge badge-overdue",
                    ),
                    None => (t_string!(i18n, review_open).to_string(), "badge badge-due"),
                };
                // The SLA's unit is the stage's (a reviewer read "时限 5 天 · 用时 5.5天 · 按时"
                // as a contradiction: the verdict is by the due date, which the text now names).
                let working = state.with_pipeline_of(&order, |pipeline| {
                    pipeline
                        .stage(&visit.stage)
                        .is_some_and(|def| def.sla_working_days)
                });
                let sla = if working {
                    t_string!(i18n, review_sla_working_days, count = visit.sla_days).to_string()
                } else {
                    t_string!(i18n, review_sla_days, count = visit.sla_days).to_string()
                };
                let plan = t_string!(
                    i18n,
                    review_plan,
                    sla = sla,
                    due = format::date(visit.due, lang),
                    took = format::duration(visit.took_minutes, lang),
                    who = visit.handled_by.as_ref().map_or_else(
                        || t_string!(i18n, review_nobody).to_string(),
                        |who| who.name.clone()
                    )
                )
                .to_string();
                let separator = t_string!(i18n, list_separator);
                let late = (!visit.ticked_late.is_empty()).then(|| {
                    t_string!(
                        i18n,
                        review_ticked_late,
                        items = visit.ticked_late.join(separator)
                    )
                    .to_string()
                });
                let never = (!visit.never_ticked.is_empty()).then(|| {
                    t_string!(
                        i18n,
                        review_never_ticked,
                        items = visit.never_ticked.join(separator)
                    )
                    .to_string()
                });
                view! {
                    <li class="review-stage" data-testid="review-stage">
                        <span class="review-name">{stage_name(&visit.stage)}</span>
                        <span class=tone>{verdict}</span>
                        <span class="hint review-plan">{plan}</span>
                        {late.map(|text| view! { <span class="hint review-warn">{text}</span> })}
                        {never.map(|text| view! { <span class="hint review-warn">{text}</span> })}
                    </li>
                }
            })
            .collect_view();
        let customer = t_string!(
            i18n,
            review_customer,
            rating = review
                .rating
                .map_or_else(|| "—".to_string(), |stars| "★".repeat(usize::from(stars))),
            requests = review.requests,
            open = review.open_requests
        )
        .to_string();
        view! {
            <ul class="review-list">{rows}</ul>
            <p class="hint" data-testid="review-customer">{customer}</p>
        }
    };
    view! {
        <details class="panel review" data-testid="review">
            <summary>
                <h2>{t!(i18n, review_title)}</h2>
            </summary>
            {body}
        </details>
    }
}

/// The current stage: its deadline and checklist, then `children` (what else the stage needs
/// recorded before it can be left), then the action that moves it on.
#[component]
fn CurrentStage(order: Order, children: ChildrenFn) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let error = drafts().stage_error;
    let reason = drafts().advance_reason;
    let asking_reason = drafts().asking_reason;
    let page = drafts();
    let pipeline = state.pipeline_of(&order);
    let stage = pipeline.stage(&order.stage).cloned();
    let Some(stage) = stage else {
        return view! { <p class="notice notice-warn">{t!(i18n, detail_unknown_stage)}</p> }
            .into_any();
    };
    let next = pipeline.next(&order.stage).cloned();
    let progress = order.current_progress().clone();
    let order_id = order.id;
    let stage_id = stage.id.clone();
    let due = order.due_date(&pipeline);
    let deadline = order.deadline_state(&pipeline, format::today());
    let can_tick = state.may(Some(&order), Action::WorkOnStage(&stage_id));
    let can_move = state.permission(Some(&order), Action::MoveFrom(&stage_id));
    let can_plan = state.may(Some(&order), Action::SetDueDate(&stage_id));
    let can_add_photo = state.may(Some(&order), Action::AddAttachment);

    let checklist = stage.checklist.iter().map(|item| {
        let done = progress.checklist.get(&item.id).copied().unwrap_or(false);
        let label = item.label.clone();
        let item_id = item.id.clone();
        let stage_id = stage_id.clone();
        let required = item.required;
        // An item that needs a photo says which, and offers the camera right there until the
        // order holds one (the tick is refused without it).
        let evidence = item.evidence;
        let picker = evidence
            .filter(|_| can_add_photo && !order.has_evidence_for(item))
            .map(|kind| view! {
                <EvidencePicker order_id stage=stage_id.clone() item=item.id.clone() kind tick=can_tick stage_error=error />
            });
        view! {
            <li data-required=required.to_string()>
                <label class="check">
                    <input
                        type="checkbox"
                        prop:checked=done
                        disabled=!can_tick
                        on:change=move |event| {
                            let checked = event_target_checked(&event);
                            let input: web_sys::HtmlInputElement = event_target(&event);
                            let mutation = Mutation::SetChecklistItem { order_id, stage: stage_id.clone(), item: item_id.clone(), done: checked };
                            leptos::task::spawn_local(async move {
                                match state.commit(mutation).await {
                                    Ok(_) => error.set(None),
                                    Err(problem) => {
                                        // Refused (a photo it needs is missing): the box shows what is stored.
                                        input.set_checked(!checked);
                                        error.set(Some(problem));
                                    }
                                }
                            });
                        }
                    />
                    <span>{move || label.get(lang()).to_string()}</span>
                    // Required items must be ticked before the order moves on; no reason passes them.
                    {required.then(|| view! { <span class="badge badge-required" data-testid="checklist-required">{t!(i18n, checklist_required)}</span> })}
                    {evidence.map(|kind| view! {
                        <span class="badge badge-evidence" data-testid="checklist-evidence">
                            {move || t_string!(i18n, checklist_evidence, kind = kind.label(lang())).to_string()}
                        </span>
                    })}
                </label>
                {picker}
            </li>
        }
    }).collect_view();

    let from = stage_id.clone();
    let target = next.as_ref().map(|next| next.id.clone());
    let advance = move |_| {
        let typed = reason.get_untracked();
        let reason_text = (!typed.trim().is_empty()).then_some(typed);
        let mutation = match target.clone() {
            Some(to) => Mutation::AdvanceStage {
                order_id,
                from: from.clone(),
                to,
                reason: reason_text,
            },
            None => Mutation::Complete {
                order_id,
                reason: reason_text,
            },
        };
        leptos::task::spawn_local(async move {
            match state.commit(mutation).await {
                Ok(_) => {
                    error.set(None);
                    reason.set(String::new());
                    asking_reason.set(false);
                }
                Err(ChangeError::Rule(DomainError::ReasonRequired)) => {
                    asking_reason.set(true);
                    error.set(Some(ChangeError::Rule(DomainError::ReasonRequired)));
                    // The box appears above the button: the keyboard comes up in it, not on a
                    // second hunt for where to type.
                    request_animation_frame(|| crate::boot::focus("advance-reason"));
                }
                Err(problem) => error.set(Some(problem)),
            }
        });
    };
    let next_name = next.as_ref().map(|next| next.name.clone());
    let advance_label = move || match &next_name {
        Some(name) => t_string!(
            i18n,
            detail_advance_to,
            stage = name.get(lang()).to_string()
        )
        .to_string(),
        None => t_string!(i18n, detail_complete).to_string(),
    };
    let due_stage = stage_id.clone();
    let save_due = move |_| {
        let due = page.typed().and_then(|draft| draft.due_date());
        act(
            state,
            Mutation::SetDueDate {
                order_id,
                stage: due_stage.clone(),
                due,
            },
            error,
            // The box now shows the saved date: the order's change brings it (`follow`).
            || {},
        );
    };
    let (due_value, due_typed) = page.bind(DraftBox::DueDate);
    let deadline_text = move || {
        let date = format::date(due, lang());
        match deadline {
            domain::DeadlineState::Overdue { days } => {
                t_string!(i18n, detail_due_overdue, date, days).to_string()
            }
            _ => t_string!(i18n, detail_due_on, date).to_string(),
        }
    };
    let stage_name = stage.name.clone();
    // Order fields this stage requires before the order may leave it, said before anyone tries
    // (the move would be refused naming the same fields), with the way to fill them.
    let missing_fields = order.missing_fields(&stage);
    let fields_hint = (!missing_fields.is_empty()).then(|| {
        let names = move || {
            let lang = lang();
            let names: Vec<String> = missing_fields
                .iter()
                .map(|field| field.label().get(lang).to_string())
                .collect();
            names.join(lang.pick("、", ", "))
        };
        let can_edit = state.may(Some(&order), Action::EditOrder);
        view! {
            <div class="notice notice-warn" data-testid="missing-fields">
                <p>{move || t_string!(i18n, detail_missing_fields, fields = names()).to_string()}</p>
                {can_edit.then(|| view! {
                    <A href=format!("/orders/{order_id}/edit") attr:class="button" attr:data-testid="fill-fields">{t!(i18n, detail_fill_fields)}</A>
                })}
            </div>
        }
    });
    view! {
        <section class="panel" data-testid="current-stage-panel">
            <h2>{move || t_string!(i18n, detail_current_stage, stage = stage_name.get(lang()).to_string()).to_string()}</h2>
            <p class="hint" data-testid="deadline">{deadline_text}</p>
            {fields_hint}
            <ul class="checklist" data-testid="checklist">{checklist}</ul>
            {children()}
            {match can_move {
                Ok(()) => view! {
                    <Show when=move || asking_reason.get()>
                        <div class="field">
                            <label for="advance-reason">{t!(i18n, detail_reason)}</label>
                            <textarea id="advance-reason" rows="2" prop:value=reason on:input=move |event| reason.set(event_target_value(&event))></textarea>
                        </div>
                    </Show>
                    <button type="button" class="primary wide" data-testid="advance" on:click=advance>{advance_label}</button>
                }.into_any(),
                Err(problem) => view! { <NotAllowed problem /> }.into_any(),
            }}
            // Right under the button that was refused (it was under the due date, out of sight).
            <ErrorLine error />
            {can_plan.then(|| view! {
                <div class="form-row">
                    <label class="inline-label" for="due-date">{t!(i18n, detail_set_due)}</label>
                    <input id="due-date" type="date" prop:value=due_value on:input=move |event| due_typed.run(event_target_value(&event)) />
                    <button type="button" class="secondary" on:click=save_due>{t!(i18n, detail_save)}</button>
                </div>
            })}
        </section>
    }
    .into_any()
}

/// `nested`: shown inside the current stage's panel, before its action, rather than as a panel.
#[component]
fn ShipmentAndInvoice(order: Order, #[prop(optional)] nested: bool) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let page = drafts();
    let error = page.shipping_error;
    let order_id = order.id;
    // The current stage's records still missing that someone else may be asked for.
    let missing: Vec<ExitRequirement> = if order.is_active() {
        state.with_pipeline_of(&order, |pipeline| {
            pipeline
                .stage(&order.stage)
                .map(|def| def.exit_requirements.clone())
                .unwrap_or_default()
        })
    } else {
        Vec::new()
    };
    let missing: Vec<ExitRequirement> = missing
        .into_iter()
        .filter(|need| !order.has_recorded(*need))
        .collect();
    let relevant = state.with_pipeline_of(&order, |pipeline| order.shipping_open(pipeline))
        && (state.may(Some(&order), Action::RecordShipment)
            || state.may(Some(&order), Action::RecordInvoice))
        || order.shipment.is_some()
        || order.invoice.is_some()
        || !missing.is_empty();
    let ask_rows = {
        let order = order.clone();
        missing
            .iter()
            .map(|need| view! { <AskForRecord order=order.clone() need=*need /> })
            .collect_view()
    };
    let pick_carrier = move |name: &'static str| {
        page.forms.update(|forms| {
            if let Some(draft) = forms {
                draft
                    .field_mut(DraftBox::Carrier)
                    .type_text(name.to_string());
            }
        })
    };
    let shipment = order.shipment.clone();
    let invoice = order.invoice.clone();
    let can_ship = state.may(Some(&order), Action::RecordShipment);
    let can_invoice = state.may(Some(&order), Action::RecordInvoice);
    let record_shipment = move |_| {
        if let Some(draft) = page.typed().filter(|draft| draft.order_id() == order_id) {
            act(state, draft.record_shipment(), error, || {});
        }
    };
    let record_invoice = move |_| {
        if let Some(draft) = page.typed().filter(|draft| draft.order_id() == order_id) {
            match draft.record_invoice() {
                Ok(mutation) => act(state, mutation, error, || {}),
                Err(problem) => error.set(Some(ChangeError::Rule(problem))),
            }
        }
    };
    let (carrier, carrier_typed) = page.bind(DraftBox::Carrier);
    let (tracking, tracking_typed) = page.bind(DraftBox::TrackingNo);
    let (invoice_no, invoice_no_typed) = page.bind(DraftBox::InvoiceNumber);
    let (invoice_date, invoice_date_typed) = page.bind(DraftBox::InvoiceDate);
    relevant.then(|| view! {
        <section class=if nested { "stage-needs" } else { "panel" } data-testid="shipping-panel">
            <h2>{t!(i18n, detail_shipping)}</h2>
            {shipment.map(|s| view! {
                <p data-testid="shipment">{move || format!("{} {} · {}", s.carrier, s.tracking_no, format::date_time(s.shipped_at, lang()))}</p>
            })}
            {can_ship.then(|| view! {
                <DraftField id="carrier" value=carrier on_input=carrier_typed>{t!(i18n, detail_carrier)}</DraftField>
                // Suggestions as buttons rather than a datalist: the box stays a plain text box
                // (a datalist makes it a combobox to tests and screen readers), and one tap fills it.
                <div class="chips carrier-chips" role="group" aria-label=move || t_string!(i18n, detail_carrier_suggestions).to_string() data-testid="carrier-suggestions">
                    {domain::carrier::CARRIERS.iter().map(|known| {
                        let name = known.name;
                        let chosen = move || (carrier.get() == name).to_string();
                        view! { <button type="button" class="chip" aria-pressed=chosen on:click=move |_| pick_carrier(name)>{known.short}</button> }
                    }).collect_view()}
                </div>
                <DraftField id="tracking" value=tracking on_input=tracking_typed>{t!(i18n, detail_tracking)}</DraftField>
                <button type="button" class="secondary" on:click=record_shipment>{t!(i18n, detail_record_shipment)}</button>
            })}
            {invoice.map(|i| view! {
                <p data-testid="invoice">{move || format!("{} · {}", i.number, format::date(i.date, lang()))}</p>
            })}
            {can_invoice.then(|| view! {
                <DraftField id="invoice-no" value=invoice_no on_input=invoice_no_typed>{t!(i18n, detail_invoice_no)}</DraftField>
                <DraftField id="invoice-date" value=invoice_date on_input=invoice_date_typed kind="date">{t!(i18n, detail_invoice_date)}</DraftField>
                <button type="button" class="secondary" on:click=record_invoice>{t!(i18n, detail_record_invoice)}</button>
            })}
            {ask_rows}
            <ErrorLine error />
        </section>
    })
}

/// A record the current stage still needs: who may record it (by role, from the rulebook) and,
/// for someone waiting on another department, 请他处理 — `Mutation::AskForHelp`, committed like
/// any change (offline first), which puts the order in that department's 今天 and, once synced,
/// in the team's group chat. An ask already made is shown with who made it and when.
#[component]
fn AskForRecord(order: Order, need: ExitRequirement) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let error = drafts().shipping_error;
    let order_id = order.id;
    let department = need.department();
    let may_record = state.may(
        Some(&order),
        match need {
            ExitRequirement::Shipment => Action::RecordShipment,
            ExitRequirement::Invoice => Action::RecordInvoice,
        },
    );
    let in_department = state
        .actor()
        .is_some_and(|actor| actor.has_role(department));
    let may_ask = state.may(Some(&order), Action::AskForHelp) && !in_department;
    if may_record && !may_ask {
        return ().into_any();
    }
    let asked = order
        .open_help_asks()
        .into_iter()
        .find(|(open, _)| *open == need)
        .map(|(_, event)| (event.actor.name.clone(), event.at));
    let who_can = move || {
        let mut roles: Vec<&str> = permission::recorders(need)
            .iter()
            .map(|role| role.label(lang()))
            .collect();
        roles.push(Role::Admin.label(lang()));
        let roles = roles.join(t_string!(i18n, list_separator));
        let task = need.task().get(lang()).to_string();
        t_string!(i18n, detail_who_can_record, task, roles).to_string()
    };
    let department_name = move || department.label(lang()).to_string();
    let ask = move |_| {
        act(state, Mutation::AskForHelp { order_id, need }, error, || {});
    };
    let testid = match need {
        ExitRequirement::Shipment => "ask-shipment",
        ExitRequirement::Invoice => "ask-invoice",
    };
    view! {
        <div class="ask-row" data-testid=testid>
            <p class="hint" data-testid="who-can-record">{who_can}</p>
            {asked.map(|(who, at)| view! {
                <p class="hint asked" data-testid="asked">
                    {move || {
                        let when = format::date_time(at, lang());
                        t_string!(i18n, detail_asked, department = department_name(), who = who.clone(), when).to_string()
                    }}
                </p>
            })}
            {may_ask.then(|| view! {
                <button type="button" class="secondary" on:click=ask>
                    {move || t_string!(i18n, detail_ask, department = department_name()).to_string()}
                </button>
            })}
        </div>
    }
    .into_any()
}

#[component]
fn Notes(order: Order) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let error = drafts().notes_error;
    let text = drafts().note;
    let order_id = order.id;
    let add = move |_| {
        act(
            state,
            Mutation::AddNote {
                order_id,
                note_id: Uuid::new_v4(),
                text: text.get_untracked(),
            },
            error,
            move || text.set(String::new()),
        );
    };
    // The box comes first: a quick note is one tap from the top of the section.
    view! {
        <section class="panel">
            <h2>{t!(i18n, detail_notes)}</h2>
            <div class="field">
                <label for="new-note">{t!(i18n, detail_add_note)}</label>
                <textarea id="new-note" rows="2" prop:value=text on:input=move |event| text.set(event_target_value(&event))></textarea>
            </div>
            <button type="button" class="secondary" on:click=add>{t!(i18n, detail_add_note)}</button>
            <ErrorLine error />
            <ul class="notes" data-testid="notes">
                {order.notes.iter().rev().map(|note| {
                    let at = note.at;
                    view! {
                        <li>
                            <p class="note-text">{note.text.clone()}</p>
                            <p class="hint">{let name = note.author.name.clone(); move || format!("{name} · {}", format::date_time(at, lang()))}</p>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn CloseOrReopen(order: Order) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let error = drafts().close_error;
    let reason = drafts().cancel_reason;
    let order_id = order.id;
    let active = order.is_active();
    let cancel = move |_| {
        act(
            state,
            Mutation::Cancel {
                order_id,
                reason: reason.get_untracked(),
            },
            error,
            move || reason.set(String::new()),
        )
    };
    let reopen = move |_| act(state, Mutation::Reopen { order_id }, error, || {});
    if !state.may(Some(&order), Action::ManageOrder) {
        return ().into_any();
    }
    view! {
        <section class="panel">
            {if active {
                view! {
                    <h2>{t!(i18n, detail_cancel)}</h2>
                    <TextField id="cancel-reason" value=reason>{t!(i18n, detail_cancel_reason)}</TextField>
                    <button type="button" class="danger" on:click=cancel>{t!(i18n, detail_cancel)}</button>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="secondary wide" on:click=reopen>{t!(i18n, detail_reopen)}</button>
                }.into_any()
            }}
            <ErrorLine error />
        </section>
    }
    .into_any()
}

#[component]
fn History(order: Order) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let events = order.history.clone();
    view! {
        <section class="panel">
            <h2>{t!(i18n, detail_history)}</h2>
            <ol class="history" data-testid="history">
                {move || {
                    let lang = lang();
                    events.iter().rev().map(|event| {
                        // Every stage of every version: a migrated order's history names stages of its old one.
                        let text = state.with_board_pipeline(|pipeline, _| event.describe(pipeline, lang));
                        view! {
                            <li>
                                <span class="history-text">{text}</span>
                                <span class="hint">{format::date_time(event.at, lang)}</span>
                            </li>
                        }
                    }).collect_view()
                }}
            </ol>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::dial_string;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_typed_phone_number_becomes_something_a_dialler_takes() {
        assert_eq!(dial_string("139 0000-2222"), "13900002222");
        assert_eq!(dial_string("+86 571 8888 6666"), "+8657188886666");
        assert_eq!(dial_string("0571-88886666转123"), "057188886666");
    }
}
